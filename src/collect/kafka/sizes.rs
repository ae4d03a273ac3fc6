//! Stored bytes per offset, measured by reading a bounded sample of the
//! newest records of the busiest partitions (issues 3 and 10): offsets
//! count records, the cost model needs the bytes brokers store, replicate
//! and serve.
//!
//! The sampler fetches with librdkafka's legacy per-partition consumer and
//! no group id, so it cannot join or commit anything, at `read_uncommitted`,
//! so it sees every batch stored (aborted transactions and transaction
//! markers too, which replication and every consumer's fetches carry).
//! Two sizes are kept per partition:
//! - stored: the record batches as the broker sent them (batch headers and
//!   compressed records), over the offsets they span, from librdkafka's
//!   fetch log ([`super::fetch_log`]). This is what bytes are priced with.
//! - uncompressed: each record read, sized as record format v2 stores it
//!   uncompressed (KIP-98), without batch headers. Only the ratio of the
//!   two is reported, and it stands in when no stored size was measured.

use super::client::Reader;
use super::fetch_log::StoredRun;
use super::ffi;
use super::offsets::TopicPartition;
use rdkafka::consumer::Consumer;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// What was measured over some partitions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Bytes of whole stored record batches (headers and compressed
    /// records).
    pub stored_bytes: u64,
    /// Offsets those batches span, transaction markers included.
    pub offsets: u64,
    /// Transaction markers (control records) among those offsets.
    pub control_records: u64,
    /// Uncompressed record format v2 bytes of the records read, without
    /// batch headers.
    pub record_bytes: f64,
    /// Records read.
    pub records: u64,
    /// Codecs seen (`none` for uncompressed batches).
    pub codecs: BTreeSet<String>,
}

impl Tally {
    /// Stored bytes per offset, when any whole batch was measured.
    pub fn stored_per_offset(&self) -> Option<f64> {
        (self.offsets > 0).then(|| self.stored_bytes as f64 / self.offsets as f64)
    }

    /// Uncompressed bytes per record, when any record was read.
    pub fn uncompressed_per_record(&self) -> Option<f64> {
        (self.records > 0).then(|| self.record_bytes / self.records as f64)
    }

    /// Stored bytes per offset over uncompressed bytes per record: below 1
    /// when compression saves more than batch headers cost.
    pub fn ratio(&self) -> Option<f64> {
        match (self.stored_per_offset(), self.uncompressed_per_record()) {
            (Some(s), Some(u)) if u > 0.0 => Some(s / u),
            _ => None,
        }
    }

    fn add_record(&mut self, size: f64) {
        self.record_bytes += size;
        self.records += 1;
    }

    fn add_run(&mut self, run: &StoredRun) {
        self.stored_bytes += run.bytes;
        self.offsets += run.offsets();
        self.control_records += run.control_records;
        self.codecs.insert(run.codec.clone());
    }
}

/// Sizes per sampled partition, with the topic and overall tallies for
/// partitions left unsampled.
#[derive(Debug, Clone, Default)]
pub struct RecordSizes {
    per_partition: HashMap<TopicPartition, Tally>,
    per_topic: BTreeMap<String, Tally>,
    overall: Tally,
    cut_responses: u64,
}

/// How a partition's bytes per offset was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeSource {
    /// Its own stored batches.
    Partition(f64),
    /// Its topic's stored batches.
    Topic(f64),
    /// Every stored batch measured in the cluster.
    Cluster(f64),
    /// No stored batch was measured anywhere: the uncompressed record size
    /// of the partition, else its topic, else the cluster.
    Uncompressed(f64),
    /// Nothing was sampled anywhere.
    Unknown,
}

impl RecordSizes {
    /// Records one record read, of `size` uncompressed bytes.
    pub fn add(&mut self, tp: &TopicPartition, size: f64) {
        self.per_partition
            .entry(tp.clone())
            .or_default()
            .add_record(size);
        self.per_topic
            .entry(tp.0.clone())
            .or_default()
            .add_record(size);
        self.overall.add_record(size);
    }

    /// Records whole stored batches.
    pub fn add_run(&mut self, run: &StoredRun) {
        let tp = (run.topic.clone(), run.partition);
        self.per_partition.entry(tp).or_default().add_run(run);
        self.per_topic
            .entry(run.topic.clone())
            .or_default()
            .add_run(run);
        self.overall.add_run(run);
    }

    /// Bytes per offset for a partition: its own stored batches, else its
    /// topic's, else the cluster's; else (nothing stored measured) the
    /// uncompressed record size.
    pub fn of(&self, tp: &TopicPartition) -> SizeSource {
        let partition = self.per_partition.get(tp);
        let topic = self.per_topic.get(&tp.0);
        if let Some(b) = partition.and_then(Tally::stored_per_offset) {
            SizeSource::Partition(b)
        } else if let Some(b) = topic.and_then(Tally::stored_per_offset) {
            SizeSource::Topic(b)
        } else if let Some(b) = self.overall.stored_per_offset() {
            SizeSource::Cluster(b)
        } else if let Some(b) = partition
            .and_then(Tally::uncompressed_per_record)
            .or_else(|| topic.and_then(Tally::uncompressed_per_record))
            .or_else(|| self.overall.uncompressed_per_record())
        {
            SizeSource::Uncompressed(b)
        } else {
            SizeSource::Unknown
        }
    }

    /// Partitions with a sample of their own (records read or batches
    /// measured).
    pub fn sampled_partitions(&self) -> usize {
        self.per_partition.len()
    }

    /// Partitions whose stored batches were measured.
    pub fn stored_partitions(&self) -> usize {
        self.per_partition
            .values()
            .filter(|t| t.offsets > 0)
            .count()
    }

    /// Records read in all.
    pub fn sampled_records(&self) -> u64 {
        self.overall.records
    }

    /// Each sampled topic's tally, by name.
    pub fn topics(&self) -> impl Iterator<Item = (&str, &Tally)> {
        self.per_topic.iter().map(|(t, tally)| (t.as_str(), tally))
    }

    /// Partitions of `topic` with stored batches measured.
    pub fn stored_partitions_of(&self, topic: &str) -> usize {
        self.per_partition
            .iter()
            .filter(|(tp, t)| tp.0 == topic && t.offsets > 0)
            .count()
    }

    /// Everything measured.
    pub fn overall(&self) -> &Tally {
        &self.overall
    }

    /// Fetch responses left out because they ended in a cut batch.
    pub fn cut_responses(&self) -> u64 {
        self.cut_responses
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
/// ranges. `reader` must come from [`super::client::sampler`] for stored
/// sizes to be measured; any other client yields uncompressed sizes only.
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
    // Log lines wait on the main queue until polled; each poll serves one.
    let serve = || {
        for _ in 0..ffi::main_queue_len(reader.client()) {
            let _ = reader.poll(Duration::ZERO);
        }
    };
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
        serve,
    )
    .map_err(|e| e.to_string())?;
    serve();
    for r in records {
        let size = record_v2_body(r.key_len, r.value_len, r.header_count, r.header_bytes);
        sizes.add(&ranges[r.range].tp, size as f64);
    }
    let (runs, cut) = reader.context().take_stored_runs();
    for run in &runs {
        sizes.add_run(run);
    }
    sizes.cut_responses = cut;
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
    use crate::collect::kafka::client;
    use rdkafka::ClientConfig;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    fn run(topic: &str, partition: i32, bytes: u64, first: i64, last: i64) -> StoredRun {
        StoredRun {
            topic: topic.to_string(),
            partition,
            bytes,
            first_offset: first,
            last_offset: last,
            control_records: 0,
            codec: "zstd".to_string(),
        }
    }

    #[test]
    fn a_partition_uses_its_own_stored_size_then_its_topics_then_the_clusters() {
        let mut sizes = RecordSizes::default();
        let tp = |t: &str, p: i32| (t.to_string(), p);
        sizes.add(&tp("a", 0), 900.0);
        sizes.add(&tp("c", 0), 700.0);
        sizes.add_run(&run("a", 0, 3000, 0, 9)); // 300 per offset
        sizes.add_run(&run("a", 1, 1000, 0, 9)); // 100 per offset
        sizes.add_run(&run("b", 0, 2000, 0, 9)); // 200 per offset
        assert_eq!(sizes.of(&tp("a", 0)), SizeSource::Partition(300.0));
        assert_eq!(sizes.of(&tp("a", 7)), SizeSource::Topic(200.0));
        // c was read but no batch of it measured: the cluster's stored
        // size beats its uncompressed one.
        assert_eq!(sizes.of(&tp("c", 0)), SizeSource::Cluster(6000.0 / 30.0));
        let a = sizes.topics().find(|(t, _)| *t == "a").unwrap().1;
        assert_eq!(a.ratio(), Some(200.0 / 900.0));
        assert_eq!(sizes.stored_partitions(), 3);
        assert_eq!(sizes.stored_partitions_of("a"), 2);
    }

    #[test]
    fn sampling_a_compressed_partition_measures_its_batches_and_drains_the_log() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("t", 1, 1).unwrap();
        let bootstrap = mock.bootstrap_servers();
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("compression.codec", "gzip")
            // Full batches of 50: the linger never runs out before.
            .set("batch.num.messages", "50")
            .set("linger.ms", "5000")
            .create()
            .unwrap();
        for i in 0..500 {
            let value = format!("{{\"order\":{i},\"sku\":\"SKU-{}\"}}", i * 7919 % 1000);
            producer
                .send(BaseRecord::<(), _>::to("t").partition(0).payload(&value))
                .unwrap();
        }
        producer.flush(Duration::from_secs(10)).unwrap();
        let reader = client::sampler(&bootstrap, &Default::default(), 10_000).unwrap();
        let ranges = [SampleRange {
            tp: ("t".to_string(), 0),
            from: 430,
            to: 500,
        }];
        let sizes = sample(&reader, &ranges, Duration::from_secs(10), |_| {}).unwrap();
        let t = sizes.topics().next().unwrap().1;
        assert_eq!(t.records, 70);
        // The batch holding 430 starts at 400: 100 offsets, two batches.
        assert_eq!(t.offsets, 100);
        assert!(t.codecs.contains("gzip"), "{t:?}");
        assert!(t.ratio().is_some_and(|r| r < 1.0), "{t:?}");
        assert_eq!(ffi::main_queue_len(reader.client()), 0, "log lines served");
    }

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
