//! Stored bytes of compressed topics (issue 10), against librdkafka's mock
//! cluster: producers write realistic JSON order events (varying fields,
//! not runs of one byte) with every codec, in batches of 1 to 1,000 records,
//! and the collector's `bytes_in` and `bytes_read` must come within 5% of
//! what the producers really sent. The truth is each producer's own
//! statistics: the per-topic `batchsize` window (bytes of every record batch
//! it built, header and compressed records, summed over every emission);
//! for kcat, its `debug=msg` log of every batch it produced. Per-broker
//! `txbytes` (whole requests, so framing included) is printed alongside.
//!
//! The mock cluster has no ListGroups, so the reading group's commits are
//! read by the test with OffsetFetch (which the mock answers) and handed to
//! the assembly with the rest of what the collector observed; the reads are
//! then priced with the stored sizes the collector measured.

use azcost::cli::KafkaSourceArgs;
use azcost::collect::kafka::groups::{GroupListing, GroupState};
use azcost::collect::kafka::sizes::SizeSource;
use azcost::collect::kafka::{self, KafkaOptions, assemble, ffi};
use azcost::collect::progress::Progress;
use azcost::snapshot::Snapshot;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CODECS: [&str; 5] = ["none", "gzip", "snappy", "lz4", "zstd"];
const T: Duration = Duration::from_secs(30);

/// A producer context that sums the producer's own statistics.
#[derive(Clone, Default)]
struct Truth(Arc<Mutex<Tally>>);

#[derive(Debug, Default, Clone)]
struct Tally {
    emissions: u64,
    /// Σ `batchsize.sum` per topic: bytes of every batch built.
    batch_bytes: HashMap<String, i64>,
    /// Σ `batchsize.cnt` per topic: batches built.
    batches: HashMap<String, i64>,
    /// Σ `txbytes` over brokers: every request sent, framing included.
    txbytes: u64,
}

impl ClientContext for Truth {
    fn stats(&self, s: Statistics) {
        let mut t = self.0.lock().unwrap();
        t.emissions += 1;
        for (name, topic) in &s.topics {
            *t.batch_bytes.entry(name.clone()).or_default() += topic.batchsize.sum;
            *t.batches.entry(name.clone()).or_default() += topic.batchsize.cnt;
        }
        t.txbytes = s.brokers.values().map(|b| b.txbytes).sum();
    }
}

impl ProducerContext for Truth {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = r {
            panic!("delivery failed: {e}");
        }
    }
}

/// What one producer sent to one partition.
#[derive(Debug, Clone, Copy, Default)]
struct Sent {
    batch_bytes: f64,
    batches: i64,
    records: usize,
    value_bytes: f64,
    txbytes: u64,
}

impl Sent {
    fn add(&mut self, o: Sent) {
        self.batch_bytes += o.batch_bytes;
        self.batches += o.batches;
        self.records += o.records;
        self.value_bytes += o.value_bytes;
        self.txbytes += o.txbytes;
    }
}

/// An order event of about 1 kB whose fields vary from record to record.
fn order_event(rng: &mut fastrand::Rng, i: usize) -> String {
    const PRODUCTS: [&str; 8] = [
        "Trail running shoe",
        "Merino wool sock (3 pack)",
        "Insulated water bottle 750 ml",
        "Headlamp, 400 lumen",
        "Ultralight rain jacket",
        "Compression sleeve",
        "Energy gel, salted caramel",
        "Hydration vest 12 l",
    ];
    const COUNTRIES: [&str; 6] = ["DE", "FR", "US", "JP", "BR", "NL"];
    let word = |rng: &mut fastrand::Rng, n: usize| -> String {
        (0..n).map(|_| rng.alphanumeric()).collect()
    };
    let items: Vec<String> = (0..rng.usize(2..6))
        .map(|_| {
            format!(
                r#"{{"sku":"SKU-{:06}","name":"{}","qty":{},"unit_price":{:.2},"warehouse":"wh-{}"}}"#,
                rng.u32(0..999_999),
                PRODUCTS[rng.usize(0..PRODUCTS.len())],
                rng.u8(1..5),
                rng.f64() * 200.0,
                rng.u8(1..20)
            )
        })
        .collect();
    format!(
        r#"{{"event":"order_placed","order_id":"ord-{i:010}","trace_id":"{}","customer":{{"id":"cus-{:08x}","tier":"{}","country":"{}","email":"{}@example.com"}},"placed_at":"2026-12-03T{:02}:{:02}:{:02}.{:03}Z","currency":"EUR","items":[{}],"total":{:.2},"payment":{{"method":"{}","card_last4":"{:04}","auth_code":"{}"}},"shipping":{{"carrier":"{}","service":"express","postcode":"{:05}","street":"{} {} Strasse"}}}}"#,
        word(rng, 32),
        rng.u32(..),
        ["gold", "silver", "basic"][rng.usize(0..3)],
        COUNTRIES[rng.usize(0..COUNTRIES.len())],
        word(rng, 10).to_lowercase(),
        rng.u8(0..24),
        rng.u8(0..60),
        rng.u8(0..60),
        rng.u16(0..1000),
        items.join(","),
        rng.f64() * 900.0,
        ["card", "paypal", "sepa"][rng.usize(0..3)],
        rng.u16(0..10000),
        word(rng, 12),
        ["DHL", "UPS", "DPD"][rng.usize(0..3)],
        rng.u32(10000..99999),
        rng.u16(1..300),
        word(rng, 8),
    )
}

/// A producer with `codec`, batching up to `batch` records per batch.
fn producer(
    bootstrap: &str,
    codec: &str,
    batch: usize,
    extra: &[(&str, &str)],
) -> (BaseProducer<Truth>, Truth) {
    let truth = Truth::default();
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("compression.codec", codec)
        .set("batch.num.messages", batch.to_string())
        .set("batch.size", "8000000")
        .set("message.max.bytes", "10000000")
        .set("linger.ms", if batch == 1 { "0" } else { "200" })
        .set("statistics.interval.ms", "50");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    let p = config.create_with_context(truth.clone()).expect("producer");
    (p, truth)
}

/// Waits until the producer has emitted statistics twice more: the second
/// was built after everything sent so far, so the sums are complete.
fn settle(p: &BaseProducer<Truth>, truth: &Truth) -> Tally {
    let seen = truth.0.lock().unwrap().emissions;
    let began = Instant::now();
    while truth.0.lock().unwrap().emissions < seen + 2 {
        assert!(began.elapsed() < T, "the producer emitted no statistics");
        p.poll(Duration::from_millis(20));
    }
    truth.0.lock().unwrap().clone()
}

fn send(p: &BaseProducer<Truth>, topic: &str, partition: i32, value: &str) {
    loop {
        match p.send(
            BaseRecord::<(), _>::to(topic)
                .partition(partition)
                .payload(value),
        ) {
            Ok(()) => break,
            Err(_) => {
                p.poll(Duration::from_millis(10));
            }
        }
    }
    p.poll(Duration::ZERO);
}

/// Produces `records` order events to one partition with `codec` in
/// batches of up to `batch`, and returns what the producer says it sent.
fn produce_json(
    bootstrap: &str,
    topic: &str,
    partition: i32,
    records: usize,
    codec: &str,
    batch: usize,
    seed: u64,
) -> Sent {
    let (p, truth) = producer(bootstrap, codec, batch, &[]);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut value_bytes = 0usize;
    for i in 0..records {
        let v = order_event(&mut rng, i);
        value_bytes += v.len();
        send(&p, topic, partition, &v);
    }
    p.flush(T).expect("flush");
    let t = settle(&p, &truth);
    Sent {
        batch_bytes: t.batch_bytes.get(topic).copied().unwrap_or(0) as f64,
        batches: t.batches.get(topic).copied().unwrap_or(0),
        records,
        value_bytes: value_bytes as f64,
        txbytes: t.txbytes,
    }
}

fn options(bootstrap: &str) -> KafkaOptions {
    let args = KafkaSourceArgs {
        bootstrap: Some(bootstrap.to_string()),
        window: Some(Duration::from_secs(1)),
        timeout: Some(Duration::from_secs(10)),
        cluster_name: Some("mock".to_string()),
        ..KafkaSourceArgs::default()
    };
    azcost::config::kafka_options(&args, true).unwrap().unwrap()
}

fn mock(
    topics: &[&str],
    partitions: i32,
) -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let mock = MockCluster::new(3).expect("start librdkafka's mock cluster");
    for (i, zone) in ["use1-az1", "use1-az2", "use1-az4"].iter().enumerate() {
        mock.broker_rack(i as i32 + 1, zone).unwrap();
    }
    for t in topics {
        mock.create_topic(t, partitions, 3).unwrap();
    }
    mock
}

fn bytes_in(s: &Snapshot, topic: &str, p: i32) -> f64 {
    s.partitions
        .iter()
        .find(|x| x.topic == topic && x.partition == p)
        .map(|x| x.bytes_in)
        .unwrap_or_else(|| panic!("{topic}/{p} missing"))
}

fn bytes_read(s: &Snapshot, group: &str, topic: &str, p: i32) -> f64 {
    s.consumer_groups
        .iter()
        .find(|g| g.group == group)
        .and_then(|g| g.bytes_read.as_ref())
        .and_then(|r| r.iter().find(|r| r.topic == topic && r.partition == p))
        .map(|r| r.bytes)
        .unwrap_or_else(|| panic!("no reads of {topic}/{p} by {group}"))
}

fn topic_provenance<'a>(s: &'a Snapshot, topic: &str) -> &'a str {
    let prefix = format!("topic {topic}:");
    s.provenance
        .iter()
        .find(|p| p.detail.starts_with(&prefix))
        .map(|p| p.detail.as_str())
        .unwrap_or_else(|| panic!("no provenance for {topic}: {:?}", s.provenance))
}

/// A group that reads every listed partition to its end and commits: a
/// real consumer, assigned (the mock has no group listing, not no groups).
fn read_and_commit(bootstrap: &str, group: &str, tps: &[(String, i32)]) {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    let mut assign = TopicPartitionList::new();
    let mut left: HashMap<(String, i32), i64> = HashMap::new();
    for (t, p) in tps {
        let (_, hi) = c.fetch_watermarks(t, *p, T).unwrap();
        let committed = c
            .committed_offsets(
                {
                    let mut l = TopicPartitionList::new();
                    l.add_partition(t, *p);
                    l
                },
                T,
            )
            .unwrap();
        let from = committed
            .elements()
            .first()
            .and_then(|e| e.offset().to_raw())
            .filter(|&o| o >= 0)
            .unwrap_or(0);
        assign
            .add_partition_offset(t, *p, Offset::Offset(from))
            .unwrap();
        if hi > from {
            left.insert((t.clone(), *p), hi);
        }
    }
    c.assign(&assign).unwrap();
    let began = Instant::now();
    let mut done = TopicPartitionList::new();
    while !left.is_empty() {
        assert!(began.elapsed() < T, "reader stuck: {left:?}");
        let Some(m) = c.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.unwrap();
        use rdkafka::Message;
        let key = (m.topic().to_string(), m.partition());
        if let Some(&hi) = left.get(&key) {
            if m.offset() + 1 >= hi {
                left.remove(&key);
                done.add_partition_offset(&key.0, key.1, Offset::Offset(hi))
                    .unwrap();
            }
        }
    }
    c.commit(&done, CommitMode::Sync).unwrap();
}

/// The group's commits as OffsetFetch returns them (the mock answers it
/// for named partitions).
fn commits(bootstrap: &str, group: &str, tps: &[(String, i32)]) -> Vec<ffi::CommittedOffset> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    ffi::list_group_offsets(c.client(), group, Some(tps), T).unwrap()
}

fn offset_only_group(id: &str) -> GroupListing {
    GroupListing {
        groups: vec![GroupState {
            group: id.to_string(),
            state: "Empty".to_string(),
            protocol_type: "consumer".to_string(),
            protocol: String::new(),
            members: Vec::new(),
        }],
        other_protocols: Vec::new(),
    }
}

fn err(got: f64, truth: f64) -> f64 {
    (got - truth) / truth
}

#[test]
fn every_codec_and_batch_size_is_measured_within_5_percent_of_the_batches_sent() {
    // Partition 0: batches of 1 record; 1: of ~1,000; 2: of ~100.
    let shapes: [(usize, usize); 3] = [(300, 1), (2000, 1000), (1000, 100)];
    let topics: Vec<String> = CODECS.iter().map(|c| format!("orders-{c}")).collect();
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mock = mock(&names, 3);
    let bootstrap = mock.bootstrap_servers();
    let tps: Vec<(String, i32)> = topics
        .iter()
        .flat_map(|t| (0..3).map(move |p| (t.clone(), p)))
        .collect();
    // Records from before the window, read and committed before it.
    for (ti, codec) in CODECS.iter().enumerate() {
        for p in 0..3 {
            produce_json(&bootstrap, &topics[ti], p, 20, codec, 10, 7 + p as u64);
        }
    }
    read_and_commit(&bootstrap, "readers", &tps);
    let opts = options(&bootstrap);
    let at_start = commits(&bootstrap, "readers", &tps);
    let mut sent: BTreeMap<(String, i32), Sent> = BTreeMap::new();
    let mut observed = kafka::observe(&opts, &Progress::new(false), &mut || {
        for (ti, codec) in CODECS.iter().enumerate() {
            for (p, &(records, batch)) in shapes.iter().enumerate() {
                let s = produce_json(
                    &bootstrap,
                    &topics[ti],
                    p as i32,
                    records,
                    codec,
                    batch,
                    100 * ti as u64 + p as u64,
                );
                sent.entry((topics[ti].clone(), p as i32))
                    .or_default()
                    .add(s);
            }
        }
        read_and_commit(&bootstrap, "readers", &tps);
    })
    .expect("observe the mock cluster");
    let at_end = commits(&bootstrap, "readers", &tps);
    for (side, c) in [(&mut observed.start, at_start), (&mut observed.end, at_end)] {
        side.groups = Ok(offset_only_group("readers"));
        side.committed.insert("readers".to_string(), Ok(c));
    }
    let snap = assemble::snapshot(&opts, observed).expect("assemble");

    eprintln!(
        "codec   partition  records/batch  sent (batch bytes)  bytes_in error  bytes_read error  value bytes  txbytes"
    );
    let mut worst: BTreeMap<&str, f64> = BTreeMap::new();
    for (ti, codec) in CODECS.iter().enumerate() {
        let topic = &topics[ti];
        for p in 0..3 {
            let s = sent[&(topic.clone(), p)];
            let got_in = bytes_in(&snap, topic, p);
            let got_read = bytes_read(&snap, "readers", topic, p);
            let (e_in, e_read) = (err(got_in, s.batch_bytes), err(got_read, s.batch_bytes));
            eprintln!(
                "{codec:7} {p:9}  {:13.1}  {:18.0}  {:+13.2}%  {:+15.2}%  {:11.0}  {:7}",
                s.records as f64 / s.batches.max(1) as f64,
                s.batch_bytes,
                100.0 * e_in,
                100.0 * e_read,
                s.value_bytes,
                s.txbytes
            );
            let w = worst.entry(codec).or_default();
            *w = w.max(e_in.abs()).max(e_read.abs());
            assert!(
                e_in.abs() < 0.05 && e_read.abs() < 0.05,
                "{topic}/{p}: bytes_in {got_in}, bytes_read {got_read} vs {} sent; provenance {:?}; warnings {:?}",
                s.batch_bytes,
                snap.provenance,
                snap.warnings
            );
            if *codec == "none" && shapes[p as usize].1 >= 100 {
                // Uncompressed, batched: still within 5% of the values.
                let e = err(got_in, s.value_bytes);
                assert!(
                    e.abs() < 0.05,
                    "{topic}/{p}: {got_in} vs {} value bytes",
                    s.value_bytes
                );
            }
        }
        let detail = topic_provenance(&snap, topic);
        assert!(detail.contains(&format!("codec {codec}")), "{detail}");
        let ratio: f64 = detail
            .split("stored / uncompressed = ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|r| r.parse().ok())
            .unwrap_or_else(|| panic!("no ratio in {detail}"));
        if *codec == "none" {
            assert!((0.95..1.15).contains(&ratio), "{detail}");
        } else {
            assert!(ratio < 0.8, "JSON compresses: {detail}");
        }
        eprintln!("{detail}");
    }
    eprintln!("worst error per codec (bytes_in and bytes_read): {worst:.4?}");
}

/// Debian's kcat (librdkafka 2.0, another client build) with `-z`: its
/// own debug log lists every batch it produced, with its size.
#[test]
fn kcat_compressed_batches_are_measured_within_5_percent() {
    let kcat = which_kcat();
    let topics: Vec<String> = CODECS.iter().map(|c| format!("kcat-{c}")).collect();
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let mock = mock(&names, 1);
    let bootstrap = mock.bootstrap_servers();
    let opts = options(&bootstrap);
    let mut sent: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let snap = kafka::collect_with(&opts, &mut || {
        for (ti, codec) in CODECS.iter().enumerate() {
            let mut rng = fastrand::Rng::with_seed(ti as u64);
            let input: String = (0..1500).map(|i| order_event(&mut rng, i) + "\n").collect();
            let out = run_kcat(&kcat, &bootstrap, &topics[ti], codec, &input);
            sent.insert(topics[ti].clone(), out);
        }
    })
    .expect("collect");
    for (topic, (batch_bytes, batches)) in &sent {
        let got = bytes_in(&snap, topic, 0);
        let e = err(got, *batch_bytes);
        eprintln!(
            "kcat {topic}: {batches} batches, {batch_bytes} bytes sent, bytes_in {got} ({:+.2}%); {}",
            100.0 * e,
            topic_provenance(&snap, topic)
        );
        assert!(e.abs() < 0.05, "{topic}: {got} vs {batch_bytes}");
    }
}

/// Runs kcat as a producer of `input` lines and sums the batches its
/// librdkafka logged (`Produce MessageSet with N message(s) (B bytes, …)`).
fn run_kcat(kcat: &str, bootstrap: &str, topic: &str, codec: &str, input: &str) -> (f64, usize) {
    let mut child = Command::new(kcat)
        .args([
            "-b",
            bootstrap,
            "-P",
            "-t",
            topic,
            "-p",
            "0",
            "-X",
            &format!("compression.codec={codec}"),
            "-X",
            "linger.ms=20",
            "-d",
            "msg",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kcat");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let mut bytes = 0.0;
    let mut batches = 0;
    for line in log
        .lines()
        .filter(|l| l.contains("Produce MessageSet with"))
    {
        let size = line
            .split(" message(s) (")
            .nth(1)
            .and_then(|r| r.split(" bytes").next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("unexpected kcat log line: {line}"));
        bytes += size;
        batches += 1;
    }
    assert!(batches > 0, "kcat logged no batch: {log}");
    (bytes, batches)
}

fn which_kcat() -> String {
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = std::path::Path::new(dir).join("kcat");
        if p.exists() {
            return p.to_string_lossy().into_owned();
        }
    }
    panic!("kcat is not installed: run scripts/test, which installs Debian's kcat package");
}

/// A producer keeps writing while the sampler reads, so the newest batch of
/// the partition is still being produced: the stored bytes per offset
/// measured must still be those of the batches being sent.
#[test]
fn a_partition_written_during_sampling_is_measured_within_5_percent() {
    let mock = mock(&["live"], 1);
    let bootstrap = mock.bootstrap_servers();
    let opts = options(&bootstrap);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (bootstrap, stop) = (bootstrap.clone(), stop.clone());
        std::thread::spawn(move || {
            // Bursts of 20 records every 10 ms: batches of about 20, and
            // a partition that grows by ~2 MB/s, not without bound.
            let (p, truth) = producer(&bootstrap, "lz4", 20, &[("linger.ms", "5")]);
            let mut rng = fastrand::Rng::with_seed(42);
            let mut records = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for _ in 0..20 {
                    send(&p, "live", 0, &order_event(&mut rng, records));
                    records += 1;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            p.flush(T).unwrap();
            let t = settle(&p, &truth);
            (
                t.batch_bytes.get("live").copied().unwrap_or(0) as f64,
                records,
            )
        })
    };
    // Let the partition fill before the window so the sample never runs
    // out of records.
    let began = Instant::now();
    while {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        c.fetch_watermarks("live", 0, T).unwrap().1 < 1000
    } {
        assert!(began.elapsed() < T, "the writer wrote nothing");
        std::thread::sleep(Duration::from_millis(50));
    }
    let observed = kafka::observe(&opts, &Progress::new(false), &mut || {}).expect("observe");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (batch_bytes, records) = writer.join().unwrap();
    let truth = batch_bytes / records as f64;
    let SizeSource::Partition(got) = observed.sizes.of(&("live".to_string(), 0)) else {
        panic!(
            "live/0 has no stored size of its own: {:?}",
            observed.sizes.of(&("live".to_string(), 0))
        );
    };
    let e = err(got, truth);
    eprintln!(
        "live partition: {got:.1} stored bytes per offset measured vs {truth:.1} sent per record ({:+.2}%)",
        100.0 * e
    );
    assert!(e.abs() < 0.05, "{got} vs {truth}");
}

/// A transactional producer (the mock cluster runs the transaction
/// protocol: InitProducerId, AddPartitionsToTxn, EndTxn), with one aborted
/// transaction: its batches are stored and fetched like the others.
#[test]
fn a_transactional_topic_is_measured_within_5_percent() {
    let mock = mock(&["payments"], 2);
    let bootstrap = mock.bootstrap_servers();
    let opts = options(&bootstrap);
    let mut sent = (0.0, 0i64);
    let snap = kafka::collect_with(&opts, &mut || {
        let (p, truth) = producer(
            &bootstrap,
            "zstd",
            500,
            &[("transactional.id", "payments-writer"), ("linger.ms", "20")],
        );
        p.init_transactions(T)
            .expect("the mock cluster runs transactions");
        let mut rng = fastrand::Rng::with_seed(9);
        for txn in 0..8 {
            p.begin_transaction().unwrap();
            for i in 0..150 {
                send(
                    &p,
                    "payments",
                    i % 2,
                    &order_event(&mut rng, txn * 150 + i as usize),
                );
            }
            if txn == 5 {
                // Sent first, so the aborted batches are stored too.
                p.flush(T).unwrap();
                p.abort_transaction(T).unwrap();
            } else {
                p.commit_transaction(T).unwrap();
            }
        }
        let t = settle(&p, &truth);
        sent = (
            t.batch_bytes.get("payments").copied().unwrap_or(0) as f64,
            t.batches.get("payments").copied().unwrap_or(0),
        );
    })
    .expect("collect");
    let got = bytes_in(&snap, "payments", 0) + bytes_in(&snap, "payments", 1);
    let e = err(got, sent.0);
    eprintln!(
        "transactional topic: {} batches, {} bytes sent, bytes_in {got} ({:+.2}%); {}",
        sent.1,
        sent.0,
        100.0 * e,
        topic_provenance(&snap, "payments")
    );
    assert!(e.abs() < 0.05, "{got} vs {}", sent.0);
}

/// Against Tansu, a broker process that answers a fetch with as many
/// batches as fit (the mock sends one per response): an lz4 producer's bytes
/// per offset, measured over multi-batch responses, within 5% of what it
/// sent per record. (Tansu 0.6 has no EndTxn, so no transaction markers.)
#[test]
fn tansu_multi_batch_responses_of_an_lz4_topic_within_5_percent() {
    let tansu = super::kafka_tansu::start_tansu();
    let bootstrap = tansu.bootstrap.clone();
    super::kafka_tansu::create_topic(&bootstrap, "orders-lz4", 1);
    let args = KafkaSourceArgs {
        bootstrap: Some(bootstrap.clone()),
        window: Some(Duration::from_secs(1)),
        timeout: Some(Duration::from_secs(10)),
        broker_zone: vec!["111=use1-az1".to_string()],
        ..KafkaSourceArgs::default()
    };
    let opts = azcost::config::kafka_options(&args, true).unwrap().unwrap();
    let mut sent = (0.0, 0i64, 0usize);
    let observed = kafka::observe(&opts, &Progress::new(false), &mut || {
        let (p, truth) = producer(&bootstrap, "lz4", 25, &[("linger.ms", "20")]);
        let mut rng = fastrand::Rng::with_seed(11);
        for i in 0..500 {
            send(&p, "orders-lz4", 0, &order_event(&mut rng, i));
        }
        p.flush(T).unwrap();
        let t = settle(&p, &truth);
        sent = (
            t.batch_bytes.get("orders-lz4").copied().unwrap_or(0) as f64,
            t.batches.get("orders-lz4").copied().unwrap_or(0),
            500,
        );
    })
    .expect("observe tansu");
    let tally = observed
        .sizes
        .topics()
        .find(|(t, _)| *t == "orders-lz4")
        .map(|(_, t)| t.clone())
        .expect("orders-lz4 sampled");
    let got = tally.stored_per_offset().expect("stored size measured");
    let truth = sent.0 / sent.2 as f64;
    let e = err(got, truth);
    eprintln!(
        "tansu lz4: {} batches, {truth:.1} bytes sent per record; measured {got:.1} per offset over {} offsets ({:+.2}%)",
        sent.1,
        tally.offsets,
        100.0 * e
    );
    assert!(tally.codecs.contains("lz4"), "{tally:?}");
    assert!(e.abs() < 0.05, "{got} vs {truth}");
}
