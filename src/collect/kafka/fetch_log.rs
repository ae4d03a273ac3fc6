//! Stored record-batch bytes, read from librdkafka's own fetch debug log
//! (issue 10): what a partition's record batches take on disk and on the
//! wire, batch headers and compression included, and the offsets they span.
//!
//! librdkafka's consumer API hands out decompressed records only; the batch
//! framing is gone by then. Its debug log is the one place the stored sizes
//! still show: for each partition of each Fetch response it logs the bytes
//! of the records field (`MessageSet size`), then, after parsing them, the
//! last offset it read, the control records among them and the codec
//! (`Enqueue N message(s) … last_offset L, C ctrl msgs, …, lz4)`), where
//! N counts every record handed on, transaction markers included. Records
//! the broker sent from before the fetch offset (the start of the batch
//! that holds it) are logged one by one (`Skip offset …`). So each response
//! gives an exact count: these bytes hold N + skipped records, the last at
//! offset L. The span is counted from the records, not from the fetch
//! offset, because a broker may start its answer after the fetch offset
//! (Tansu 0.6 starts at the next batch), and the newest records have no
//! gaps (compaction never touches a partition's active segment).
//!
//! A response may end in a cut batch (the broker stops at the fetch's byte
//! limit, mid-batch; the client drops the rest and fetches it again). Its
//! bytes are then more than its whole batches, by an unknown amount, so such
//! a response is not counted: librdkafka logs the cut as a read-buffer
//! underflow when `protocol` debugging is on, between the two lines above.
//!
//! Lines of one broker come from that broker's thread, in order; lines of
//! different brokers interleave. Each line starts with its thread's name
//! (`[thrd:…]:`, librdkafka's `log.thread.name`), so this module follows
//! one open response per thread.
//!
//! The formats are librdkafka 2.12's (`rdkafka_fetcher.c`,
//! `rdkafka_msgset_reader.c`); the tests feed it lines captured from it.
//! A line that does not parse is ignored: the collection then falls back to
//! uncompressed record sizes and says so, rather than guessing.

use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The librdkafka `debug` contexts this module needs: `fetch` and `msg`
/// (the response size, skipped records, the enqueue summary) and
/// `protocol` (cut batches).
pub const DEBUG_CONTEXTS: &str = "fetch,msg,protocol";

/// Consecutive whole record batches of one partition, as one Fetch response
/// carried them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRun {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Bytes of the batches as stored and sent: headers and (compressed)
    /// records.
    pub bytes: u64,
    /// First offset the batches hold.
    pub first_offset: i64,
    /// Last offset they hold.
    pub last_offset: i64,
    /// Control records among them (transaction markers).
    pub control_records: u64,
    /// The codec of the last compressed batch, `none` when none was.
    pub codec: String,
}

impl StoredRun {
    /// Offsets the run spans, control records included: they occupy
    /// offsets and bytes like any record.
    pub fn offsets(&self) -> u64 {
        u64::try_from(self.last_offset - self.first_offset + 1).unwrap_or(0)
    }
}

/// A partition's response between its size line and its summary line.
#[derive(Debug, Clone)]
struct Open {
    topic: String,
    partition: i32,
    bytes: i64,
    skipped: u64,
    cut: bool,
}

/// Follows librdkafka's fetch debug lines and keeps the whole runs.
#[derive(Debug, Default)]
pub struct FetchLog {
    /// The response being parsed on each broker thread.
    open: HashMap<String, Open>,
    runs: Vec<StoredRun>,
    /// Responses left out because a batch was cut.
    cut: u64,
}

static SIZE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"Topic (\S+) \[(\d+)\] MessageSet size (-?\d+), error "([^"]*)""#)
        .expect("valid regex")
});
static SKIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\S+) \[(\d+)\]: Skip offset (-?\d+) .*< fetch offset (-?\d+)")
        .expect("valid regex")
});
static ENQUEUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"Enqueue (\d+) (compressed )?message\(s\) \((-?\d+) bytes, \d+ ops\) on (\S+) \[(\d+)\] fetch queue \(qlen -?\d+, v-?\d+, last_offset (-?\d+), (\d+) ctrl msgs, (\d+) aborted msgsets, ([^)]+)\)",
    )
    .expect("valid regex")
});

impl FetchLog {
    /// Takes one log line (`fac` is librdkafka's facility, e.g. `FETCH`).
    pub fn line(&mut self, fac: &str, message: &str) {
        let (thread, text) = split_thread(message);
        match fac {
            "FETCH" => {
                let Some(c) = SIZE.captures(text) else {
                    return;
                };
                let (Ok(partition), Ok(bytes)) = (c[2].parse::<i32>(), c[3].parse::<i64>()) else {
                    return;
                };
                if &c[4] != "Success" || bytes <= 0 {
                    // Nothing is parsed, so no summary line follows.
                    self.open.remove(thread);
                    return;
                }
                self.open.insert(
                    thread.to_string(),
                    Open {
                        topic: c[1].to_string(),
                        partition,
                        bytes,
                        skipped: 0,
                        cut: false,
                    },
                );
            }
            "MSG" => {
                let Some(c) = SKIP.captures(text) else {
                    return;
                };
                let Ok(p) = c[2].parse::<i32>() else {
                    return;
                };
                if let Some(open) = self.open.get_mut(thread) {
                    if open.topic == c[1] && open.partition == p {
                        open.skipped += 1;
                    }
                }
            }
            "PROTOUFLOW" | "PROTOERR" => {
                if let Some(open) = self.open.get_mut(thread) {
                    open.cut = true;
                }
            }
            "CONSUME" => {
                let Some(c) = ENQUEUE.captures(text) else {
                    return;
                };
                if c.get(2).is_some() {
                    // The inner set of a compressed v0/v1 message: the
                    // outer summary follows.
                    return;
                }
                let (Ok(handed), Ok(p), Ok(last), Ok(control)) = (
                    c[1].parse::<u64>(),
                    c[5].parse::<i32>(),
                    c[6].parse::<i64>(),
                    c[7].parse::<u64>(),
                ) else {
                    return;
                };
                let Some(open) = self.open.remove(thread) else {
                    return;
                };
                if open.topic != c[4] || open.partition != p {
                    return;
                }
                if open.cut {
                    self.cut += 1;
                    return;
                }
                // The records the bytes hold: those handed on (markers
                // included) and those skipped before the fetch offset.
                let records = handed + open.skipped;
                let first = i64::try_from(records)
                    .ok()
                    .filter(|&n| n > 0 && last >= 0)
                    .and_then(|n| last.checked_sub(n - 1))
                    .filter(|&f| f >= 0);
                let Some(first) = first else {
                    return;
                };
                let codec = match c[9].trim() {
                    "uncompressed" => "none".to_string(),
                    other => other.to_string(),
                };
                self.runs.push(StoredRun {
                    topic: open.topic,
                    partition: p,
                    bytes: u64::try_from(open.bytes).unwrap_or(0),
                    first_offset: first,
                    last_offset: last,
                    control_records: control,
                    codec,
                });
            }
            _ => {}
        }
    }

    /// The whole runs seen so far, leaving none behind.
    pub fn take_runs(&mut self) -> Vec<StoredRun> {
        std::mem::take(&mut self.runs)
    }

    /// Responses left out so far because they ended in a cut batch.
    pub fn cut_responses(&self) -> u64 {
        self.cut
    }
}

/// `[thrd:NAME]: rest` → (`NAME`, `rest`); lines without a thread name
/// share one stream.
fn split_thread(message: &str) -> (&str, &str) {
    message
        .strip_prefix("[thrd:")
        .and_then(|rest| rest.split_once("]: "))
        .unwrap_or(("", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "[thrd:127.0.0.1:39531/bootstrap]: 127.0.0.1:39531/1: ";
    const T2: &str = "[thrd:127.0.0.1:40111/bootstrap]: 127.0.0.1:40111/2: ";

    fn feed(log: &mut FetchLog, lines: &[(&str, &str, String)]) {
        for (thread, fac, text) in lines {
            log.line(fac, &format!("{thread}{text}"));
        }
    }

    fn fetch(topic: &str, p: i32, offset: i64) -> String {
        format!(
            "Fetch topic {topic} [{p}] at offset {offset} (leader epoch -1, current leader epoch 0, v2)"
        )
    }

    fn size(topic: &str, p: i32, bytes: i64) -> String {
        format!(
            "Topic {topic} [{p}] MessageSet size {bytes}, error \"Success\", MaxOffset 1200, LSO 1200, Ver 2/2"
        )
    }

    fn enqueue(topic: &str, p: i32, n: u32, last: i64, ctrl: u32, codec: &str) -> String {
        format!(
            "Enqueue {n} message(s) (4000 bytes, {n} ops) on {topic} [{p}] fetch queue (qlen 0, v2, last_offset {last}, {ctrl} ctrl msgs, 0 aborted msgsets, {codec})"
        )
    }

    #[test]
    fn a_response_counts_from_the_first_record_skipped_to_the_last_read() {
        let mut log = FetchLog::default();
        let mut lines = vec![(T1, "FETCH", fetch("orders", 3, 1003))];
        lines.push((T1, "FETCH", size("orders", 3, 2500)));
        // The batch holding 1003 starts at 1000: three records skipped.
        for o in 1000..1003 {
            lines.push((
                T1,
                "MSG",
                format!(
                    "orders [3]: Skip offset {o} (leader epoch 0) < fetch offset 1003 (leader epoch -1)"
                ),
            ));
        }
        lines.push((T1, "CONSUME", enqueue("orders", 3, 97, 1099, 0, "lz4")));
        feed(&mut log, &lines);
        let runs = log.take_runs();
        assert_eq!(
            runs,
            vec![StoredRun {
                topic: "orders".into(),
                partition: 3,
                bytes: 2500,
                first_offset: 1000,
                last_offset: 1099,
                control_records: 0,
                codec: "lz4".into(),
            }]
        );
        assert_eq!(runs[0].offsets(), 100);
        assert!(log.take_runs().is_empty(), "taken once");
    }

    #[test]
    fn a_cut_batch_drops_its_response_and_other_threads_are_unaffected() {
        let mut log = FetchLog::default();
        feed(
            &mut log,
            &[
                (T1, "FETCH", fetch("a", 0, 0)),
                (T2, "FETCH", fetch("b", 1, 50)),
                (T1, "FETCH", size("a", 0, 1048576)),
                (T2, "FETCH", size("b", 1, 700)),
                // Broker 1 cut a's last batch at the byte limit.
                (
                    T1,
                    "PROTOUFLOW",
                    "Protocol read buffer underflow for Fetch v11 at 1048600/1048650 (rd_kafka_msgset_reader_v2:1112): expected 900 bytes > 40 remaining bytes (truncated response from broker (ok)): a [0] MessageSet at offset 990 payload size 900".to_string(),
                ),
                (T2, "CONSUME", enqueue("b", 1, 10, 59, 1, "uncompressed")),
                (T1, "CONSUME", enqueue("a", 0, 989, 989, 0, "zstd")),
            ],
        );
        let runs = log.take_runs();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!((runs[0].topic.as_str(), runs[0].partition), ("b", 1));
        assert_eq!((runs[0].first_offset, runs[0].last_offset), (50, 59));
        assert_eq!(
            (runs[0].control_records, runs[0].codec.as_str()),
            (1, "none")
        );
        assert_eq!(log.cut_responses(), 1);
    }

    #[test]
    fn errors_empty_answers_and_foreign_lines_count_nothing() {
        let mut log = FetchLog::default();
        feed(
            &mut log,
            &[
                (T1, "FETCH", fetch("a", 0, 10)),
                (
                    T1,
                    "FETCH",
                    "Topic a [0] MessageSet size 0, error \"Broker: Offset out of range\", MaxOffset -1, LSO -1, Ver 2/2".to_string(),
                ),
                (T1, "CONSUME", enqueue("a", 0, 0, -1, 0, "uncompressed")),
                (T1, "FETCH", "Fetch 1/1/1 toppar(s)".to_string()),
                (T1, "MSG", "a [0]: Produce MessageSet with 3 message(s)".to_string()),
                // A summary without a size line before it: no bytes.
                (T1, "CONSUME", enqueue("z", 0, 1, 5, 0, "gzip")),
            ],
        );
        assert!(log.take_runs().is_empty());
    }

    #[test]
    fn an_answer_starting_after_the_fetch_offset_spans_only_its_records() {
        // Asked from 276, the broker answered from 300: 200 records.
        let mut log = FetchLog::default();
        feed(
            &mut log,
            &[
                (T1, "FETCH", fetch("t", 0, 276)),
                (T1, "FETCH", size("t", 0, 54996)),
                (T1, "CONSUME", enqueue("t", 0, 200, 499, 0, "lz4")),
            ],
        );
        let runs = log.take_runs();
        assert_eq!((runs[0].first_offset, runs[0].offsets()), (300, 200));
    }

    #[test]
    fn lines_without_thread_names_share_one_stream() {
        let mut log = FetchLog::default();
        log.line("FETCH", &fetch("t", 0, 7));
        log.line("FETCH", &size("t", 0, 300));
        log.line("CONSUME", &enqueue("t", 0, 3, 9, 0, "snappy"));
        let runs = log.take_runs();
        assert_eq!(runs.len(), 1);
        assert_eq!((runs[0].offsets(), runs[0].bytes), (3, 300));
    }
}
