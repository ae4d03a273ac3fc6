//! Every rule of `snapshot-v1.md` that serde cannot express, checked in one
//! pass that collects *all* problems, each with its JSON path, so a user who
//! hand-writes a snapshot fixes it in one round instead of twenty.
//!
//! Owns the rules; not the meaning (zones, scenarios), which is the model's.

use super::index::PartitionIndex;
use super::types::{FORMAT_V1, Snapshot};
use crate::error::Problem;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::BTreeMap;

/// How far zone shares may stray from summing to 1.
pub const SHARE_SUM_TOLERANCE: f64 = 1e-6;

/// Checks every rule; an empty list means the snapshot is valid.
pub fn validate(s: &Snapshot) -> Vec<Problem> {
    validate_with(s, PARALLEL_FROM)
}

fn validate_with(s: &Snapshot, parallel_from: usize) -> Vec<Problem> {
    let mut v = Validator::default();
    v.format(s);
    v.cluster(s);
    v.window(s);
    let names = v.zones(s);
    let broker_zones = v.brokers(s, &names);
    let mut duplicates = Vec::new();
    let partitions = PartitionIndex::build(&s.partitions, |i, first| duplicates.push((i, first)));
    // The per-partition rules and the groups' rules read the same index
    // and nothing else of each other: on a large snapshot they run on two
    // threads, each collecting its own problems, joined in the usual order.
    let groups = if s.partitions.len() >= parallel_from {
        std::thread::scope(|scope| {
            let groups = scope.spawn(|| {
                let mut g = Validator::default();
                g.groups(s, &partitions);
                g.problems
            });
            v.partitions(s, duplicates);
            groups
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    } else {
        v.partitions(s, duplicates);
        let mut g = Validator::default();
        g.groups(s, &partitions);
        g.problems
    };
    v.problems.extend(groups);
    v.producers(s, &names, &broker_zones);
    v.extensions(s, &partitions);
    v.problems
}

/// Partitions from which validation uses a second thread.
const PARALLEL_FROM: usize = 50_000;

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn push(&mut self, path: impl Into<String>, expected: impl Into<String>) {
        self.problems.push(Problem::new(path, expected));
    }

    fn format(&mut self, s: &Snapshot) {
        if s.format != FORMAT_V1 {
            self.push(
                "format",
                format!("expected exactly \"{FORMAT_V1}\", found {:?}", s.format),
            );
        }
    }

    fn cluster(&mut self, s: &Snapshot) {
        if s.cluster.name.trim().is_empty() {
            self.push("cluster.name", "expected a non-empty string");
        }
    }

    fn window(&mut self, s: &Snapshot) {
        let start = self.timestamp("window.start", &s.window.start);
        let end = self.timestamp("window.end", &s.window.end);
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            self.push(
                "window.end",
                format!(
                    "expected a time after window.start ({}), found {}",
                    s.window.start, s.window.end
                ),
            );
        }
    }

    fn timestamp(&mut self, path: &str, text: &str) -> Option<jiff::Timestamp> {
        match parse_rfc3339(text) {
            Ok(t) => Some(t),
            Err(reason) => {
                self.push(
                    path,
                    format!(
                        "expected an RFC 3339 time such as 2026-11-01T00:00:00Z, found {text:?} ({reason})"
                    ),
                );
                None
            }
        }
    }

    /// Returns AZ name → AZ ID.
    fn zones<'a>(&mut self, s: &'a Snapshot) -> HashMap<&'a str, &'a str> {
        let mut ids: HashMap<&str, usize> = HashMap::default();
        let mut names: HashMap<&str, &str> = HashMap::default();
        let mut name_at: HashMap<&str, usize> = HashMap::default();
        for (i, z) in s.zones.iter().enumerate() {
            if z.id.trim().is_empty() {
                self.push(format!("zones[{i}].id"), "expected a non-empty AZ ID");
            } else if let Some(first) = ids.insert(&z.id, i) {
                self.push(
                    format!("zones[{i}].id"),
                    format!("duplicate zone id {:?} (also zones[{first}])", z.id),
                );
            }
            if let Some(name) = z.name.as_deref() {
                if name.trim().is_empty() {
                    self.push(
                        format!("zones[{i}].name"),
                        "expected a non-empty AZ name or no name",
                    );
                } else if let Some(first) = name_at.insert(name, i) {
                    self.push(
                        format!("zones[{i}].name"),
                        format!("duplicate zone name {name:?} (also zones[{first}])"),
                    );
                } else {
                    names.insert(name, &z.id);
                }
            }
        }
        names
    }

    /// Returns the set of broker zones (AZ IDs after mapping names).
    fn brokers<'a>(
        &mut self,
        s: &'a Snapshot,
        names: &HashMap<&'a str, &'a str>,
    ) -> HashSet<&'a str> {
        let mut seen: HashMap<i32, usize> = HashMap::default();
        let mut zones = HashSet::default();
        for (i, b) in s.brokers.iter().enumerate() {
            if let Some(first) = seen.insert(b.id, i) {
                self.push(
                    format!("brokers[{i}].id"),
                    format!("duplicate broker id {} (also brokers[{first}])", b.id),
                );
            }
            for (field, value) in [("rack", &b.rack), ("zone", &b.zone)] {
                if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                    self.push(
                        format!("brokers[{i}].{field}"),
                        "expected a non-empty string or no value",
                    );
                }
            }
            if b.id < 0 {
                self.push(
                    format!("brokers[{i}].id"),
                    format!(
                        "expected a broker id ≥ 0 (-1 means \"no leader\"), found {}",
                        b.id
                    ),
                );
            }
            let non_empty = |v: &'a Option<String>| v.as_deref().filter(|s| !s.trim().is_empty());
            match non_empty(&b.zone).or(non_empty(&b.rack)) {
                Some(z) if !z.trim().is_empty() => {
                    zones.insert(names.get(z).copied().unwrap_or(z));
                }
                _ => self.push(
                    format!("brokers[{i}]"),
                    format!(
                        "broker {} needs a \"zone\" or a \"rack\" (the AZ ID it runs in)",
                        b.id
                    ),
                ),
            }
        }
        zones
    }

    /// The rules of each partition; `duplicates` lists (position, earlier
    /// position) of repeated (topic, partition) pairs, in order.
    fn partitions(&mut self, s: &Snapshot, duplicates: Vec<(usize, usize)>) {
        let brokers: HashSet<i32> = s.brokers.iter().map(|b| b.id).collect();
        let mut duplicates = duplicates.into_iter().peekable();
        for (i, p) in s.partitions.iter().enumerate() {
            // Paths are built only when a rule breaks: this loop runs once
            // per partition and must stay cheap at millions of them.
            let at = |field: &str| format!("partitions[{i}]{field}");
            if p.topic.is_empty() {
                self.push(at(".topic"), "expected a non-empty topic name");
            }
            if p.partition < 0 {
                self.push(
                    at(".partition"),
                    format!("expected a partition index ≥ 0, found {}", p.partition),
                );
            }
            if let Some((_, first)) = duplicates.next_if(|&(at, _)| at == i) {
                self.push(
                    at(""),
                    format!(
                        "duplicate partition {}/{} (also partitions[{first}])",
                        p.topic, p.partition
                    ),
                );
            }
            for (j, r) in p.replicas.iter().enumerate() {
                if !brokers.contains(r) {
                    self.push(
                        at(&format!(".replicas[{j}]")),
                        format!("broker {r} is not in brokers[]"),
                    );
                }
                if p.replicas[..j].contains(r) {
                    self.push(
                        at(&format!(".replicas[{j}]")),
                        format!("broker {r} is listed twice"),
                    );
                }
            }
            for (j, r) in p.isr.iter().enumerate() {
                if !brokers.contains(r) {
                    self.push(
                        at(&format!(".isr[{j}]")),
                        format!("broker {r} is not in brokers[]"),
                    );
                } else if !p.replicas.contains(r) {
                    self.push(
                        at(&format!(".isr[{j}]")),
                        format!("broker {r} is not in replicas (isr must be a subset of replicas)"),
                    );
                }
                if p.isr[..j].contains(r) {
                    self.push(
                        at(&format!(".isr[{j}]")),
                        format!("broker {r} is listed twice"),
                    );
                }
            }
            match p.leader {
                None | Some(-1) => {}
                Some(l) if !p.replicas.contains(&l) => self.push(
                    at(".leader"),
                    format!(
                        "expected a broker of replicas {:?}, or -1/null for an offline partition, found {l}",
                        p.replicas
                    ),
                ),
                Some(_) => {}
            }
            if !(p.bytes_in.is_finite() && p.bytes_in >= 0.0) {
                self.push(
                    at(".bytes_in"),
                    format!("expected a finite number ≥ 0, found {}", p.bytes_in),
                );
            }
        }
    }

    fn groups(&mut self, s: &Snapshot, partitions: &PartitionIndex) {
        let mut seen: HashMap<&str, usize> = HashMap::default();
        // Which member of the current group owns each partition, and which
        // `bytes_read` entry of it read each one, by position in
        // `partitions[]`: stamped with the group's number + 1, so the arrays
        // are allocated once, not cleared per group.
        let mut owner: Vec<(u32, u32)> = vec![(0, 0); s.partitions.len()];
        let mut read_at: Vec<(u32, u32)> = Vec::new();
        for (g, group) in s.consumer_groups.iter().enumerate() {
            let stamp = g as u32 + 1;
            let at = format!("consumer_groups[{g}]");
            if group.group.is_empty() {
                self.push(format!("{at}.group"), "expected a non-empty group id");
            } else if let Some(first) = seen.insert(&group.group, g) {
                self.push(
                    format!("{at}.group"),
                    format!(
                        "duplicate group {:?} (also consumer_groups[{first}])",
                        group.group
                    ),
                );
            }
            for (m, member) in group.members.iter().enumerate() {
                let mat = || format!("{at}.members[{m}]");
                for (field, value) in [("zone", &member.zone), ("client_rack", &member.client_rack)]
                {
                    if value.as_deref().is_some_and(str::is_empty) {
                        self.push(
                            format!("{}.{field}", mat()),
                            "expected a non-empty string or no value (leave it out when unknown)",
                        );
                    }
                }
                for (a, tp) in member.assignment.iter().enumerate() {
                    let topic = partitions.topic_id(&tp.topic);
                    for (k, part) in tp.partitions.iter().enumerate() {
                        let path = || format!("{}.assignment[{a}].partitions[{k}]", mat());
                        let Some(pos) = topic.and_then(|t| partitions.position_in(t, *part)) else {
                            self.push(
                                path(),
                                format!("partition {}/{part} is not in partitions[]", tp.topic),
                            );
                            continue;
                        };
                        let (owned_in, first) =
                            std::mem::replace(&mut owner[pos], (stamp, m as u32));
                        if owned_in == stamp {
                            self.push(
                                path(),
                                format!(
                                    "partition {}/{part} is already assigned to {at}.members[{first}] (a partition belongs to at most one member of a group)",
                                    tp.topic
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(reads) = &group.bytes_read {
                if read_at.is_empty() {
                    read_at = vec![(0, 0); s.partitions.len()];
                }
                for (r, read) in reads.iter().enumerate() {
                    let rat = || format!("{at}.bytes_read[{r}]");
                    match partitions.position(&read.topic, read.partition) {
                        None => self.push(
                            rat(),
                            format!(
                                "partition {}/{} is not in partitions[]",
                                read.topic, read.partition
                            ),
                        ),
                        Some(pos) => {
                            let (read_in, first) =
                                std::mem::replace(&mut read_at[pos], (stamp, r as u32));
                            if read_in == stamp {
                                self.push(
                                    rat(),
                                    format!(
                                        "duplicate read of {}/{} (also {at}.bytes_read[{first}])",
                                        read.topic, read.partition
                                    ),
                                );
                            }
                        }
                    }
                    if !(read.bytes.is_finite() && read.bytes >= 0.0) {
                        self.push(
                            format!("{}.bytes", rat()),
                            format!("expected a finite number ≥ 0, found {}", read.bytes),
                        );
                    }
                }
            }
        }
    }

    fn producers(
        &mut self,
        s: &Snapshot,
        names: &HashMap<&str, &str>,
        broker_zones: &HashSet<&str>,
    ) {
        let Some(shares) = s.producers.as_ref().and_then(|p| p.zone_shares.as_ref()) else {
            return;
        };
        let mut mapped: BTreeMap<&str, &str> = BTreeMap::new();
        let mut sum = 0.0;
        let mut all_finite = true;
        for (zone, share) in shares {
            let path = format!("producers.zone_shares.{zone}");
            let id = names.get(zone.as_str()).copied().unwrap_or(zone);
            if !broker_zones.contains(id) {
                let mut known: Vec<&str> = broker_zones.iter().copied().collect();
                known.sort_unstable();
                self.push(
                    path.clone(),
                    format!(
                        "{zone:?} is not a zone of the cluster's brokers (expected one of {})",
                        known.join(", ")
                    ),
                );
            } else if let Some(other) = mapped.insert(id, zone) {
                self.push(
                    path.clone(),
                    format!("{zone:?} and {other:?} are the same zone {id}: give it once"),
                );
            }
            if share.is_finite() {
                sum += share;
            } else {
                all_finite = false;
            }
            if !(share.is_finite() && *share >= 0.0) {
                self.push(path, format!("expected a share ≥ 0, found {share}"));
            }
        }
        if all_finite && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
            self.push(
                "producers.zone_shares",
                format!(
                    "expected shares that sum to 1 (±{SHARE_SUM_TOLERANCE}), found a sum of {sum}"
                ),
            );
        }
    }
}

impl Validator {
    /// The optional fields azcost adds beside v1 (README, "Extensions").
    fn extensions(&mut self, s: &Snapshot, topics: &PartitionIndex) {
        if let Some(p) = &s.producers {
            if let Some(u) = p.unkeyed_share
                && !(u.is_finite() && (0.0..=1.0).contains(&u))
            {
                self.push(
                    "producers.unkeyed_share",
                    format!("expected a share from 0 to 1, found {u}"),
                );
            }
            for (i, t) in p.rack_aware_topics.iter().flatten().enumerate() {
                if t != super::types::ALL_TOPICS && !topics.has_topic(t) {
                    self.push(
                        format!("producers.rack_aware_topics[{i}]"),
                        format!("topic {t:?} is not in partitions[] (use \"*\" for every topic)"),
                    );
                }
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::default();
        for (i, t) in s.topics.iter().enumerate() {
            if !topics.has_topic(&t.topic) {
                self.push(
                    format!("topics[{i}].topic"),
                    format!("topic {:?} is not in partitions[]", t.topic),
                );
            } else if let Some(first) = seen.insert(&t.topic, i) {
                self.push(
                    format!("topics[{i}].topic"),
                    format!("duplicate topic {:?} (also topics[{first}])", t.topic),
                );
            }
            if let Some(m) = t.min_insync_replicas
                && m < 1
            {
                self.push(
                    format!("topics[{i}].min_insync_replicas"),
                    format!("expected an integer ≥ 1, found {m}"),
                );
            }
        }
    }
}

/// Parses an RFC 3339 time (`2026-11-01T00:00:00Z`, offsets allowed).
///
/// jiff alone accepts more of ISO 8601 (basic format, `+0000`, bracketed
/// zones); the snapshot is evidence others may read with strict RFC 3339
/// parsers, so the shape is checked first.
pub fn parse_rfc3339(text: &str) -> Result<jiff::Timestamp, String> {
    if !is_rfc3339_shape(text.as_bytes()) {
        return Err("not of the form YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)".to_string());
    }
    text.parse::<jiff::Timestamp>().map_err(|e| e.to_string())
}

/// `date-time` of RFC 3339 §5.6, by shape only (jiff checks the values).
fn is_rfc3339_shape(b: &[u8]) -> bool {
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt ")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => b.len() == i + 1,
        Some(b'+' | b'-') => {
            b.len() == i + 6 && digits(i + 1..i + 3) && at(i + 3, b":") && digits(i + 4..i + 6)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_threads_find_the_same_problems_in_the_same_order() {
        let mut s: Snapshot = serde_json::from_str(super::super::DEMO_JSON).expect("demo parses");
        s.partitions[1].replicas.push(99);
        s.partitions[2].bytes_in = -1.0;
        let copy = s.partitions[0].clone();
        s.partitions.push(copy);
        s.consumer_groups[0].members[0].assignment[0]
            .partitions
            .push(4242);
        s.consumer_groups[0].group.clear();
        s.topics.push(super::super::TopicConfig {
            topic: "nope".into(),
            min_insync_replicas: Some(0),
        });
        let serial = validate_with(&s, usize::MAX);
        assert!(serial.len() >= 6, "{serial:?}");
        assert_eq!(validate_with(&s, 0), serial);
    }
}
