//! Parsing a large snapshot on two cores: the text is cut inside
//! `partitions[]` into two JSON documents that are parsed at the same time
//! and merged.
//!
//! Owns the cut and the proof that the merged result is exactly what one
//! serde pass over the whole text gives. The cut: the bytes are read with a
//! gap of [`GAP`] spare bytes in the middle; near the middle the first
//! separator `}` `,` `{` (whitespace allowed) is taken as the boundary
//! between two partitions, the first half is closed with `]}` and the
//! second opened with `{"partitions":[`, all in place (no copy of the
//! text). Why this is sound without a JSON scanner of our own:
//! - the first document is a prefix P of the original plus `]}`; it parses
//!   only if, after P, the original is inside an array that is the value of
//!   the top-level object's last key, right after an element (P ends in `}`)
//!   — and that key must be `partitions` (checked);
//! - the second document continues exactly where the original does (after
//!   `[..., element,`), so it parses iff the rest of the original does, and
//!   its first token is an element (`{`), so `[..., ]` cannot sneak in;
//! - a top-level field found in both halves (a duplicate in the original),
//!   or a required field missing, sends the text to the serial parser.
//!
//! Any failure hands back the original bytes, restored, and the caller
//! parses them serially, which also words every error.

use super::types::{
    Broker, ClusterInfo, ConsumerGroup, Partition, Producers, Provenance, Snapshot, TopicConfig,
    Window, ZoneEntry,
};
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// Spare bytes inserted in the middle of the text: room for `]}` and
/// `{"partitions":[` between the halves.
pub const GAP: usize = 64;

/// Below this size one core parses faster than two can start.
pub const MIN_SPLIT_LEN: usize = 4 << 20;

const CLOSE: &[u8] = b"]}";
const OPEN: &[u8] = b"{\"partitions\":[";

/// The original text with [`GAP`] bytes inserted at `gap_at`.
#[derive(Debug)]
pub struct Gapped {
    buf: Vec<u8>,
    gap_at: usize,
}

impl Gapped {
    /// Moves the second half of `bytes` up by [`GAP`] bytes (in place, at
    /// most one reallocation).
    pub fn new(mut bytes: Vec<u8>) -> Gapped {
        let len = bytes.len();
        let gap_at = len / 2;
        bytes.resize(len + GAP, b' ');
        bytes.copy_within(gap_at..len, gap_at + GAP);
        Gapped { buf: bytes, gap_at }
    }

    /// Reads a file of `len` bytes straight into the gapped layout, its two
    /// halves on two threads (page faults and copies of a 300 MB file are
    /// a real share of the load). `None` on any error or if the file is not
    /// exactly `len` bytes long: the caller then reads it the ordinary way,
    /// which also words the error.
    #[cfg(unix)]
    pub fn read(file: &std::fs::File, len: usize) -> Option<Gapped> {
        use std::os::unix::fs::FileExt;
        let gap_at = len / 2;
        // Zeroed memory comes lazily from the kernel, so each thread faults
        // in its own half's pages.
        let mut buf = vec![0u8; len + GAP];
        let (head, rest) = buf.split_at_mut(gap_at);
        let (gap, tail) = rest.split_at_mut(GAP);
        gap.fill(b' ');
        let read = std::thread::scope(|scope| {
            let second = scope.spawn(|| file.read_exact_at(tail, gap_at as u64));
            let first = file.read_exact_at(head, 0);
            let second = second
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            first.and(second)
        });
        let mut probe = [0u8; 1];
        let at_end = file.read_at(&mut probe, len as u64).is_ok_and(|n| n == 0);
        (read.is_ok() && at_end).then_some(Gapped { buf, gap_at })
    }

    /// The original text back, gap removed.
    pub fn into_original(mut self) -> Vec<u8> {
        let len = self.buf.len();
        self.buf.copy_within(self.gap_at + GAP..len, self.gap_at);
        self.buf.truncate(len - GAP);
        self.buf
    }
}

/// Parses `text` in two halves on two threads; when the text does not cut
/// cleanly or either half fails, hands back the original bytes for the
/// serial parser.
pub fn parse(text: Gapped) -> Result<Snapshot, Vec<u8>> {
    parse_text(text, false).map(|(snapshot, _)| snapshot)
}

/// [`parse`] that also hands back the original text (restored in place)
/// when it succeeds: the report job keeps the bytes it analysed.
pub fn parse_keeping(text: Gapped) -> Result<(Snapshot, Vec<u8>), Vec<u8>> {
    parse_text(text, true).map(|(snapshot, text)| (snapshot, text.unwrap_or_default()))
}

fn parse_text(text: Gapped, keep: bool) -> Result<(Snapshot, Option<Vec<u8>>), Vec<u8>> {
    let Gapped { mut buf, gap_at } = text;
    let Some(comma) = find_cut(&buf[gap_at + GAP..]).map(|c| gap_at + GAP + c) else {
        return Err(Gapped { buf, gap_at }.into_original());
    };
    // Close the gap up to the cut: the first half's text then ends at
    // `comma - GAP` and the gap sits right before the comma.
    buf.copy_within(gap_at + GAP..comma, gap_at);
    let first_end = comma - GAP;
    let saved: Vec<u8> = buf[first_end..=comma].to_vec();
    buf[first_end..first_end + CLOSE.len()].copy_from_slice(CLOSE);
    let second_start = comma + 1 - OPEN.len();
    buf[second_start..=comma].copy_from_slice(OPEN);
    let parsed = {
        let (first, second) = buf.split_at(second_start);
        let first = &first[..first_end + CLOSE.len()];
        std::thread::scope(|scope| {
            let head = scope.spawn(|| {
                let half = parse_fast::<Half>(first);
                super::topic_name::clear_interned();
                half
            });
            let tail = parse_fast::<Half>(second);
            let head = head.join();
            match (head, tail) {
                (Ok(Some(head)), Some(tail)) if mergeable(&head, &tail) => Some((head, tail)),
                _ => None,
            }
        })
    };
    match parsed {
        Some((head, tail)) => {
            let text = if keep {
                buf[first_end..=comma].copy_from_slice(&saved);
                buf.copy_within(gap_at..first_end, gap_at + GAP);
                Some(Gapped { buf, gap_at }.into_original())
            } else {
                // The text first, so the merge's copy of the second half's
                // partitions does not add to the peak.
                drop(buf);
                None
            };
            Ok((merge(head, tail), text))
        }
        None => {
            // Undo: the saved bytes back, then the first half's end back
            // above the gap.
            buf[first_end..=comma].copy_from_slice(&saved);
            buf.copy_within(gap_at..first_end, gap_at + GAP);
            Err(Gapped { buf, gap_at }.into_original())
        }
    }
}

/// `bytes` parsed without error paths, `None` when they do not parse (the
/// caller's serial, path-tracking parser then says why). The text is
/// checked as UTF-8 once, in one pass, and parsed as text: parsing bytes
/// checks every string again as it is read, which was a tenth of the parse.
pub fn parse_fast<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let text = std::str::from_utf8(bytes).ok()?;
    serde_json::from_str::<T>(text).ok()
}

/// How far past the middle a cut is looked for.
const SEARCH: usize = 1 << 20;

/// Offset of the first `,` in `text` (within [`SEARCH`] bytes) that has `}`
/// before it and, after it, an object that looks like a partition (has
/// `"topic"` and `"replicas"` before its first `}`): a likely boundary
/// between two partitions, not one between two assignments or reads. Only
/// likely: [`parse`] proves it.
fn find_cut(text: &[u8]) -> Option<usize> {
    let is_ws = |b: &&u8| matches!(**b, b' ' | b'\n' | b'\r' | b'\t');
    let text = &text[..text.len().min(SEARCH)];
    let mut from = 0;
    while let Some(i) = text[from..].iter().position(|&b| b == b',') {
        let comma = from + i;
        from = comma + 1;
        if text[..comma].iter().rev().find(|b| !is_ws(b)) != Some(&b'}') {
            continue;
        }
        let Some(start) = text[comma + 1..].iter().position(|b| !is_ws(&b)) else {
            continue;
        };
        let object = &text[comma + 1 + start..];
        let end = object
            .iter()
            .position(|&b| b == b'}')
            .unwrap_or(object.len());
        let object = &object[..end];
        if object.starts_with(b"{")
            && contains(object, b"\"topic\"")
            && contains(object, b"\"replicas\"")
        {
            return Some(comma);
        }
    }
    None
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The top-level fields of one half, each at most once.
#[derive(Default)]
struct Half {
    format: Option<String>,
    cluster: Option<ClusterInfo>,
    window: Option<Window>,
    zones: Option<Vec<ZoneEntry>>,
    brokers: Option<Vec<Broker>>,
    partitions: Option<Vec<Partition>>,
    consumer_groups: Option<Vec<ConsumerGroup>>,
    producers: Option<Option<Producers>>,
    topics: Option<Vec<TopicConfig>>,
    provenance: Option<Vec<Provenance>>,
    warnings: Option<Vec<String>>,
    /// Whether `partitions` was the last key of the object.
    partitions_last: bool,
}

impl<'de> Deserialize<'de> for Half {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(HalfVisitor)
    }
}

struct HalfVisitor;

impl<'de> Visitor<'de> for HalfVisitor {
    type Value = Half;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a snapshot object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Half, A::Error> {
        fn put<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
            slot: &mut Option<T>,
            map: &mut A,
        ) -> Result<(), A::Error> {
            if slot.is_some() {
                return Err(serde::de::Error::custom("duplicate field"));
            }
            *slot = Some(map.next_value()?);
            Ok(())
        }
        let mut half = Half::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            half.partitions_last = false;
            match key.as_ref() {
                "format" => put(&mut half.format, &mut map)?,
                "cluster" => put(&mut half.cluster, &mut map)?,
                "window" => put(&mut half.window, &mut map)?,
                "zones" => put(&mut half.zones, &mut map)?,
                "brokers" => put(&mut half.brokers, &mut map)?,
                "partitions" => {
                    put(&mut half.partitions, &mut map)?;
                    half.partitions_last = true;
                }
                "consumer_groups" => put(&mut half.consumer_groups, &mut map)?,
                "producers" => put(&mut half.producers, &mut map)?,
                "topics" => put(&mut half.topics, &mut map)?,
                "provenance" => put(&mut half.provenance, &mut map)?,
                "warnings" => put(&mut half.warnings, &mut map)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(half)
    }
}

/// Whether the two halves make one snapshot: the first ends in
/// `partitions`, every required field is there and no field is in both
/// (a duplicate in the original, which the serial parser rejects).
fn mergeable(head: &Half, tail: &Half) -> bool {
    fn one<T>(a: &Option<T>, b: &Option<T>) -> bool {
        !(a.is_some() && b.is_some())
    }
    fn some<T>(a: &Option<T>, b: &Option<T>) -> bool {
        one(a, b) && (a.is_some() || b.is_some())
    }
    head.partitions_last
        && head.partitions.is_some()
        && tail.partitions.is_some()
        && some(&head.format, &tail.format)
        && some(&head.cluster, &tail.cluster)
        && some(&head.window, &tail.window)
        && some(&head.brokers, &tail.brokers)
        && one(&head.zones, &tail.zones)
        && one(&head.consumer_groups, &tail.consumer_groups)
        && one(&head.producers, &tail.producers)
        && one(&head.topics, &tail.topics)
        && one(&head.provenance, &tail.provenance)
        && one(&head.warnings, &tail.warnings)
}

/// One snapshot from two [`mergeable`] halves, defaults filled in as the
/// derived `Deserialize` of [`Snapshot`] fills them.
fn merge(head: Half, tail: Half) -> Snapshot {
    let mut partitions = head.partitions.unwrap_or_default();
    partitions.extend(tail.partitions.unwrap_or_default());
    Snapshot {
        format: head.format.or(tail.format).unwrap_or_default(),
        cluster: head
            .cluster
            .or(tail.cluster)
            .unwrap_or_else(|| ClusterInfo {
                name: String::new(),
                region: None,
                platform: None,
                replica_selector: None,
                arn: None,
            }),
        window: head.window.or(tail.window).unwrap_or_else(|| Window {
            start: String::new(),
            end: String::new(),
        }),
        zones: head.zones.or(tail.zones).unwrap_or_default(),
        brokers: head.brokers.or(tail.brokers).unwrap_or_default(),
        partitions,
        consumer_groups: head
            .consumer_groups
            .or(tail.consumer_groups)
            .unwrap_or_default(),
        producers: head.producers.or(tail.producers).flatten(),
        topics: head.topics.or(tail.topics).unwrap_or_default(),
        provenance: head.provenance.or(tail.provenance).unwrap_or_default(),
        warnings: head.warnings.or(tail.warnings).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SynthParams, generate};

    fn sample() -> Snapshot {
        generate(&sample_params())
    }

    fn sample_params() -> SynthParams {
        SynthParams {
            seed: 7,
            zones: 3,
            brokers: 6,
            partitions: 2000,
            partitions_per_topic: 10,
            groups: 4,
            members_per_group: 3,
            topics_per_group: 2,
        }
    }

    fn split(bytes: &[u8]) -> Result<Snapshot, Vec<u8>> {
        parse(Gapped::new(bytes.to_vec()))
    }

    #[test]
    fn both_halves_make_the_same_snapshot_as_one_pass() {
        let s = sample();
        for text in [
            crate::snapshot::to_json(&s),
            serde_json::to_string(&s).expect("serializes"),
        ] {
            let whole: Snapshot = serde_json::from_str(&text).expect("parses");
            let halves = split(text.as_bytes())
                .map_err(|_| "the text did not cut")
                .expect("cuts cleanly");
            assert_eq!(halves, whole);
            assert_eq!(halves, s);
        }
    }

    #[test]
    fn a_text_that_does_not_cut_cleanly_comes_back_unchanged() {
        let compact = serde_json::to_string(&sample()).expect("serializes");
        let duplicate_after = compact.replacen(
            "\"consumer_groups\":",
            "\"format\":\"azcost.snapshot/v1\",\"consumer_groups\":",
            1,
        );
        let second_partitions = compact.replacen(
            "\"consumer_groups\":",
            "\"partitions\":[],\"consumer_groups\":",
            1,
        );
        let truncated = compact[..compact.len() - 10].to_string();
        let trailing = format!("{compact} x");
        // The middle falls in an unknown array of partition-like objects.
        let mut decoy = String::from("{\"format\":\"azcost.snapshot/v1\",\"extra\":[");
        for i in 0..2000 {
            decoy.push_str(&format!(
                "{}{{\"topic\":\"t\",\"partition\":{i},\"replicas\":[1],\"isr\":[1],\"bytes_in\":1}}",
                if i == 0 { "" } else { "," }
            ));
        }
        decoy.push_str("],\"cluster\":{\"name\":\"c\"},\"window\":{\"start\":\"a\",\"end\":\"b\"},\"brokers\":[],\"partitions\":[]}");
        let missing_brokers = compact.replacen("\"brokers\":", "\"brokerz\":", 1);
        for text in [
            duplicate_after,
            second_partitions,
            truncated,
            trailing,
            decoy,
            missing_brokers,
            "{}".to_string(),
            "[1,2,3]".to_string(),
        ] {
            let back = split(text.as_bytes())
                .map(|_| ())
                .expect_err("must not cut");
            assert!(back == text.as_bytes(), "bytes not restored");
        }
    }

    #[test]
    fn a_cut_is_only_taken_before_a_partition_like_object() {
        assert_eq!(find_cut(b"[1,2],{\"topic\":\"a\"}"), None);
        assert_eq!(
            find_cut(b"{\"a\":1}, {\"partition\":0,\"replicas\":[1],\"topic\":\"t\"}"),
            Some(7)
        );
        assert_eq!(
            find_cut(
                b"x},{\"topic\":\"a\",\"partitions\":[1]},\n  {\"topic\":\"a\",\"replicas\":[1]}"
            ),
            Some(33)
        );
    }

    #[test]
    fn a_large_input_parses_as_one_pass_would_and_fails_with_the_same_words() {
        let big = generate(&SynthParams {
            partitions: 30_000,
            ..sample_params()
        });
        let text = crate::snapshot::to_json(&big);
        assert!(text.len() > MIN_SPLIT_LEN, "{} bytes", text.len());
        let parsed = crate::snapshot::parse(text.clone().into_bytes(), "big.json")
            .map_err(|e| e.to_string())
            .expect("parses");
        assert_eq!(parsed, big);
        assert!(
            split(text.as_bytes()).is_ok(),
            "the valid text cuts cleanly"
        );
        // A wrong value late in the second half: the halves fail, the serial
        // pass words the error with its path.
        let at = text.rfind("\"bytes_in\": ").expect("a partition");
        let mut bad = text.clone();
        bad.replace_range(at..at + 12, "\"bytes_in\": \"x\", \"y\": ");
        let split_error = crate::snapshot::parse(bad.clone().into_bytes(), "big.json")
            .map(|_| ())
            .expect_err("invalid");
        let serial_error = crate::snapshot::parse_and_validate(bad.as_bytes(), "big.json")
            .map(|_| ())
            .expect_err("invalid");
        assert!(
            split_error
                .to_string()
                .contains("partitions[29999].bytes_in")
        );
        assert_eq!(split_error.to_string(), serial_error.to_string());
    }
}
