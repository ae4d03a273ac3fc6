//! Stored bytes per record, measured by reading a bounded sample of the
//! newest records of the busiest partitions (issue 3): offsets count
//! records, the cost model needs bytes.
//!
//! The sampler fetches with librdkafka's legacy per-partition consumer and
//! no group id, so it cannot join or commit anything. Each record is sized as
//! Kafka's record format v2 stores it uncompressed (KIP-98): varint length,
//! attributes, timestamp and offset deltas, key, value, headers. The 61-byte
//! batch header and compression are not visible through librdkafka's
//! consumer API; the README says what that means for the estimate.

use super::client::Reader;
use super::ffi;
use super::offsets::TopicPartition;
use rdkafka::consumer::Consumer;
use std::collections::HashMap;
use std::time::Duration;

/// Bytes per record per sampled partition, with the topic and overall
/// averages for partitions left unsampled.
#[derive(Debug, Clone, Default)]
pub struct RecordSizes {
    per_partition: HashMap<TopicPartition, (f64, u64)>,
    per_topic: HashMap<String, (f64, u64)>,
    overall: (f64, u64),
}

/// How a partition's bytes per record was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeSource {
    /// Its own sample.
    Partition(f64),
    /// Its topic's sampled partitions.
    Topic(f64),
    /// Every sampled partition of the cluster.
    Cluster(f64),
    /// Nothing was sampled anywhere.
    Unknown,
}

impl RecordSizes {
    /// Records one sampled record of `size` bytes.
    pub fn add(&mut self, tp: &TopicPartition, size: f64) {
        for slot in [
            self.per_partition.entry(tp.clone()).or_default(),
            self.per_topic.entry(tp.0.clone()).or_default(),
            &mut self.overall,
        ] {
            slot.0 += size;
            slot.1 += 1;
        }
    }

    /// Bytes per record for a partition: its own, else its topic's, else
    /// the cluster's average.
    pub fn of(&self, tp: &TopicPartition) -> SizeSource {
        let avg = |(bytes, n): &(f64, u64)| bytes / *n as f64;
        if let Some(s) = self.per_partition.get(tp).filter(|s| s.1 > 0) {
            SizeSource::Partition(avg(s))
        } else if let Some(s) = self.per_topic.get(&tp.0).filter(|s| s.1 > 0) {
            SizeSource::Topic(avg(s))
        } else if self.overall.1 > 0 {
            SizeSource::Cluster(avg(&self.overall))
        } else {
            SizeSource::Unknown
        }
    }

    /// Partitions with a sample of their own.
    pub fn sampled_partitions(&self) -> usize {
        self.per_partition.len()
    }

    /// Records read in all.
    pub fn sampled_records(&self) -> u64 {
        self.overall.1
    }
}

/// One partition to sample: read from `from` up to (not including) `to`.
#[derive(Debug, Clone)]
pub struct SampleRange {
    /// The partition.
    pub tp: TopicPartition,
    /// First offset to read.
    pub from: i64,
    /// High watermark: stop before it.
    pub to: i64,
}

/// Reads the ranges with the group-less legacy consumer until each is
/// done or the deadline passes; `on_progress` gets the number of finished
/// ranges.
pub fn sample(
    reader: &Reader,
    ranges: &[SampleRange],
    deadline: Duration,
    mut on_progress: impl FnMut(u64),
) -> Result<RecordSizes, String> {
    let mut sizes = RecordSizes::default();
    let raw: Vec<(String, i32, i64, i64)> = ranges
        .iter()
        .map(|r| (r.tp.0.clone(), r.tp.1, r.from.max(0), r.to))
        .collect();
    let mut done = 0u64;
    let records = ffi::fetch_newest(
        reader.client(),
        &raw,
        deadline,
        |name, value| {
            varint_len(name as i64)
                + name
                + varint_len(value.map_or(-1, |n| n as i64))
                + value.unwrap_or(0)
        },
        |_| {
            done += 1;
            on_progress(done);
        },
    )
    .map_err(|e| e.to_string())?;
    for r in records {
        let size = record_v2_body(r.key_len, r.value_len, r.header_count, r.header_bytes);
        sizes.add(&ranges[r.range].tp, size as f64);
    }
    Ok(sizes)
}

/// The body of a v2 record plus its length prefix. Timestamp and offset
/// deltas are taken as one byte each: within a batch they are small.
pub fn record_v2_body(
    key: Option<usize>,
    value: Option<usize>,
    header_count: usize,
    header_bytes: usize,
) -> usize {
    let field = |len: Option<usize>| varint_len(len.map_or(-1, |n| n as i64)) + len.unwrap_or(0);
    let body = 1 /* attributes */ + 1 /* timestamp delta */ + 1 /* offset delta */
        + field(key)
        + field(value)
        + varint_len(header_count as i64)
        + header_bytes;
    varint_len(body as i64) + body
}

/// Bytes of a zig-zag varint (Kafka's record fields).
pub fn varint_len(v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut n = 1;
    while z >= 0x80 {
        z >>= 7;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_kafka_zigzag_encoding() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(-1), 1);
        assert_eq!(varint_len(63), 1);
        assert_eq!(varint_len(64), 2);
        assert_eq!(varint_len(1000), 2);
        assert_eq!(varint_len(10_000), 3);
    }

    #[test]
    fn a_1000_byte_value_without_key_is_stored_in_1009_bytes() {
        // attributes 1 + ts delta 1 + offset delta 1 + key length (-1) 1
        // + value length varint(1000) 2 + value 1000 + header count 1
        // = 1007-byte body, plus its length varint(1007) 2 = 1009.
        assert_eq!(record_v2_body(None, Some(1000), 0, 0), 1009);
    }
}
