//! Kafka collection against librdkafka's own mock cluster: real Kafka
//! protocol on loopback sockets, three brokers with racks. The mock answers
//! Metadata, ListOffsets, Produce and Fetch, but not ListGroups or
//! DescribeGroups (groups are tested against Tansu in `kafka_tansu`).

use azcost::cli::KafkaSourceArgs;
use azcost::collect::kafka::{self, KafkaOptions};
use azcost::snapshot::Snapshot;
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::process::Command;
use std::time::{Duration, Instant};

const ZONES: [&str; 3] = ["use1-az1", "use1-az2", "use1-az4"];

/// Three brokers, ids 1..=3, with racks; topic `orders` (6 partitions,
/// RF 3) led round-robin and `audit-log` (2 partitions, RF 2).
fn mock() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let mock = MockCluster::new(3).expect("start librdkafka's mock cluster");
    for (i, zone) in ZONES.iter().enumerate() {
        mock.broker_rack(i as i32 + 1, zone).unwrap();
    }
    mock.create_topic("orders", 6, 3).unwrap();
    mock.create_topic("audit-log", 2, 2).unwrap();
    for p in 0..6 {
        mock.partition_leader("orders", p, Some(p % 3 + 1)).unwrap();
    }
    mock
}

fn options(bootstrap: &str, window: &str, extra: &[&str]) -> KafkaOptions {
    let mut args = KafkaSourceArgs {
        bootstrap: Some(bootstrap.to_string()),
        window: Some(humantime::parse_duration(window).unwrap()),
        timeout: Some(Duration::from_secs(10)),
        cluster_name: Some("mock".to_string()),
        ..KafkaSourceArgs::default()
    };
    for e in extra {
        args.kafka_setting.push(e.to_string());
    }
    azcost::config::kafka_options(&args, true).unwrap().unwrap()
}

/// Produces `count` records of `size` bytes to each listed partition,
/// flushed, and returns the payload bytes written.
fn produce(bootstrap: &str, topic: &str, partitions: &[i32], count: usize, size: usize) -> f64 {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("batch.num.messages", "100")
        .create()
        .unwrap();
    let value = vec![b'x'; size];
    for &p in partitions {
        for _ in 0..count {
            loop {
                match producer.send(BaseRecord::<(), _>::to(topic).partition(p).payload(&value)) {
                    Ok(()) => break,
                    Err((_, _)) => {
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    (partitions.len() * count * size) as f64
}

/// Runs the azcost binary with `args` and no `AZCOST_*` config variable.
fn azcost(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .env_remove("AZCOST_CONFIG")
        .output()
        .expect("run azcost")
}

fn partition<'a>(s: &'a Snapshot, topic: &str, p: i32) -> &'a azcost::snapshot::Partition {
    s.partitions
        .iter()
        .find(|x| x.topic == topic && x.partition == p)
        .unwrap_or_else(|| panic!("{topic}/{p} missing from the snapshot"))
}

#[test]
fn brokers_racks_partitions_and_bytes_match_the_mock_cluster() {
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    // Records already there before the window must not count.
    produce(&bootstrap, "orders", &[0, 1, 2, 3, 4, 5], 50, 1000);
    let opts = options(&bootstrap, "2s", &[]);
    let mut truth = [0.0f64; 6];
    let snap = kafka::collect_with(&opts, &mut || {
        // Known bytes in known batch sizes, different per partition.
        for p in 0..6 {
            truth[p as usize] = produce(&bootstrap, "orders", &[p], 200 * (p as usize + 1), 1000);
        }
    })
    .expect("collect from the mock cluster");

    // Brokers and racks as set up.
    let racks: Vec<(i32, Option<&str>)> = snap
        .brokers
        .iter()
        .map(|b| (b.id, b.rack.as_deref()))
        .collect();
    assert_eq!(
        racks,
        vec![
            (1, Some(ZONES[0])),
            (2, Some(ZONES[1])),
            (3, Some(ZONES[2]))
        ]
    );
    // Every partition with leader, replicas and ISR.
    assert_eq!(snap.partitions.len(), 8);
    for p in 0..6 {
        let part = partition(&snap, "orders", p);
        assert_eq!(part.leader, Some(p % 3 + 1), "leader of orders/{p}");
        let mut replicas = part.replicas.clone();
        replicas.sort();
        assert_eq!(replicas, vec![1, 2, 3], "replicas of orders/{p}");
        assert_eq!(part.isr.len(), 3);
    }
    assert_eq!(partition(&snap, "audit-log", 0).replicas.len(), 2);
    // Bytes within 5% of the payload produced in the window.
    let mut worst: f64 = 0.0;
    for p in 0..6 {
        let got = partition(&snap, "orders", p).bytes_in;
        let err = (got - truth[p as usize]) / truth[p as usize];
        worst = worst.max(err.abs());
        assert!(
            err.abs() < 0.05,
            "orders/{p}: bytes_in {got} vs {} produced ({:+.2}%); warnings {:?}, provenance {:?}",
            truth[p as usize],
            100.0 * err,
            snap.warnings,
            snap.provenance
        );
    }
    eprintln!(
        "byte accuracy on the mock cluster: worst partition off by {:.2}% (record-format overhead)",
        100.0 * worst
    );
    assert_eq!(partition(&snap, "audit-log", 0).bytes_in, 0.0);
    // The mock has no groups API: that is said, not hidden.
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.contains("could not list consumer groups")),
        "{:?}",
        snap.warnings
    );
    assert!(
        snap.provenance
            .iter()
            .any(|p| p.detail.contains("records read from the newest of"))
    );
}

#[test]
fn leaderless_partition_and_broker_down_are_warnings_not_zeros() {
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    mock.partition_leader("audit-log", 1, None).unwrap();
    let opts = options(&bootstrap, "1s", &[]);
    let snap = kafka::collect_with(&opts, &mut || {
        produce(&bootstrap, "orders", &[0], 100, 500);
    })
    .expect("collect");
    assert_eq!(partition(&snap, "audit-log", 1).leader, None);
    let w = snap.warnings.join("\n");
    assert!(
        w.contains("audit-log/1 (no leader)") && w.contains("have no high watermark"),
        "{w}"
    );
    // The audit counts the offline partition in its warnings.
    let analysis = azcost::model::analyze(&snap, &azcost::model::Pricing::default());
    assert!(
        analysis
            .warnings
            .iter()
            .any(|w| w.starts_with("collection: ") && w.contains("no high watermark")),
        "{:?}",
        analysis.warnings
    );
}

#[test]
fn broker_down_during_the_window_costs_only_its_partitions() {
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    let opts = options(&bootstrap, "1s", &[]);
    let snap = kafka::collect_with(&opts, &mut || {
        produce(&bootstrap, "orders", &[0, 1], 100, 500);
        mock.broker_down(3).unwrap();
    })
    .expect("a broker down is not a failed collection");
    // Broker 3 led orders/2 and orders/5: their end offsets are unknown.
    let w = snap.warnings.join("\n");
    assert!(
        w.contains("orders/2") && w.contains("have no high watermark"),
        "{w}"
    );
    assert!(partition(&snap, "orders", 0).bytes_in > 0.0);
    assert_eq!(
        snap.brokers.len(),
        3,
        "broker 3 keeps its rack from the start"
    );
}

#[test]
fn unreachable_bootstrap_exits_1_within_the_timeout_naming_address_and_reason() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let out = azcost(&[
        "collect",
        "kafka",
        "--bootstrap",
        &address,
        "--timeout",
        "2s",
        "-q",
    ]);
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(err.contains(&address), "{err}");
    assert!(
        err.to_lowercase().contains("connect"),
        "names librdkafka's reason: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing half-written");
}

#[test]
fn audit_bootstrap_audits_what_it_collected_and_keeps_the_evidence() {
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    produce(&bootstrap, "orders", &[0, 1, 2], 20, 2000);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("snap.json");
    let out = azcost(&[
        "audit",
        "--bootstrap",
        &bootstrap,
        "--window",
        "1s",
        "--cluster-name",
        "mock",
        "--format",
        "json",
        "--save-snapshot",
        saved.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(audit["cluster"], "mock");
    assert_eq!(audit["platform"], "self-managed");
    // The kept snapshot audits to the same numbers.
    let again = azcost(&[
        "audit",
        "--snapshot",
        saved.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]);
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(audit["scenarios"], again["scenarios"]);
}

#[test]
fn secrets_in_client_settings_never_reach_errors_or_the_snapshot() {
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    let dir = tempfile::tempdir().unwrap();
    let snap_path = dir.path().join("s.json");
    let out = azcost(&[
        "collect",
        "kafka",
        "--bootstrap",
        &bootstrap,
        "--window",
        "1s",
        "-X",
        "sasl.username=alice",
        "-X",
        "sasl.password=hunter2-very-secret",
        "-o",
        snap_path.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let snap = std::fs::read_to_string(&snap_path).unwrap();
    assert!(!snap.contains("hunter2") && !err.contains("hunter2"));
    assert!(
        snap.contains("sasl.password"),
        "the key is recorded, not its value"
    );
    // A bad value librdkafka would quote is masked too.
    let out = azcost(&[
        "collect",
        "kafka",
        "--bootstrap",
        &bootstrap,
        "-X",
        "ssl.key.password=hunter2-very-secret",
        "-X",
        "no.such.property=hunter2-very-secret",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("no.such.property"), "{err}");
}

/// Debian's kcat (librdkafka 2.0), a third-party client, produces during
/// the window; the collector must measure its bytes too.
#[test]
fn bytes_produced_by_kcat_are_measured_within_5_percent() {
    let kcat = which_kcat();
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    let opts = options(&bootstrap, "1s", &[]);
    let lines = 2000usize;
    let line = "k".repeat(700);
    let snap = kafka::collect_with(&opts, &mut || {
        let mut child = Command::new(&kcat)
            .args([
                "-b",
                &bootstrap,
                "-P",
                "-t",
                "orders",
                "-p",
                "4",
                "-X",
                "linger.ms=20",
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("run kcat");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            for _ in 0..lines {
                writeln!(stdin, "{line}").unwrap();
            }
        }
        assert!(child.wait().unwrap().success(), "kcat failed");
    })
    .unwrap();
    let truth = (lines * line.len()) as f64;
    let got = partition(&snap, "orders", 4).bytes_in;
    let err = (got - truth) / truth;
    eprintln!(
        "kcat byte accuracy: {got} bytes measured vs {truth} produced ({:+.2}%)",
        100.0 * err
    );
    assert!(err.abs() < 0.05, "{got} vs {truth}");
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

#[test]
fn brokers_without_rack_need_broker_zone_exit_2_naming_them() {
    let mock = MockCluster::new(2).unwrap();
    mock.create_topic("t", 1, 2).unwrap();
    let bootstrap = mock.bootstrap_servers();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "collect",
            "kafka",
            "--bootstrap",
            &bootstrap,
            "--window",
            "1s",
            "-q",
        ];
        args.extend_from_slice(extra);
        azcost(&args)
    };
    let out = run(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("brokers 1, 2 report no broker.rack") && err.contains("--broker-zone"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    // Naming a broker the cluster does not have is bad input too.
    let out = run(&["--broker-zone", "1=use1-az1", "--broker-zone", "9=use1-az2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no broker 9"), "{err}");
    // With both zones given, the snapshot is written and names them.
    let out = run(&["--broker-zone", "1=use1-az1", "--broker-zone", "2=use1-az2"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: Snapshot = serde_json::from_slice(&out.stdout).unwrap();
    let zones: Vec<Option<&str>> = snap.brokers.iter().map(|b| b.zone.as_deref()).collect();
    assert_eq!(zones, vec![Some("use1-az1"), Some("use1-az2")]);
}

#[test]
fn bad_source_flags_are_exit_2_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["audit", "--window", "10m"],
            "--window needs a live cluster",
        ),
        (
            &["audit", "--bootstrap", "x:1", "--snapshot", "s.json"],
            "--snapshot",
        ),
        (
            &["collect", "kafka", "--bootstrap", "nohost"],
            "expected HOST:PORT",
        ),
        (
            &[
                "collect",
                "kafka",
                "--bootstrap",
                "h:1",
                "--zone-map",
                "10.0.0.0/33=a",
            ],
            "--zone-map",
        ),
        (
            &[
                "collect",
                "kafka",
                "--bootstrap",
                "h:1",
                "--broker-zone",
                "x=a",
            ],
            "--broker-zone",
        ),
        (
            &["collect", "kafka", "--bootstrap", "h:1", "--group", "("],
            "--group",
        ),
        (
            &[
                "collect",
                "kafka",
                "--bootstrap",
                "h:1",
                "-X",
                "group.id=mine",
            ],
            "never joins",
        ),
        (
            &["collect", "kafka", "--bootstrap", "h:1", "--window", "soon"],
            "--window",
        ),
        (
            &[
                "collect",
                "kafka",
                "--bootstrap",
                "h:1",
                "--kafka-config",
                "/nonexistent.properties",
            ],
            "/nonexistent.properties",
        ),
    ];
    for (args, needle) in cases {
        let out = azcost(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// `azcost report` with a live source: the bundle's snapshot is what was
/// collected, and its audit agrees with the bundle.
#[test]
fn report_job_collects_a_bootstrap_cluster_into_its_bundle() {
    let mock = mock();
    let bootstrap = mock.bootstrap_servers();
    produce(&bootstrap, "orders", &[0], 10, 100);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("azcost.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"live\"\nbootstrap = \"{bootstrap}\"\nwindow = \"1s\"\nkafka = {{ \"client.id\" = \"azcost-report\" }}\n"
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("reports");
    let out = azcost(&[
        "report",
        "-c",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--date",
        "2026-11-23",
        "-q",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle = out_dir.join("cluster=live/date=2026-11-23");
    let snap: Snapshot =
        serde_json::from_slice(&std::fs::read(bundle.join("snapshot.json")).unwrap()).unwrap();
    assert_eq!(snap.cluster.name, "live");
    assert_eq!(snap.brokers.len(), 3);
    assert_eq!(snap.partitions.len(), 8);
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("audit.json")).unwrap()).unwrap();
    assert_eq!(audit["cluster"], "live");
    // Without a window a live source is a config error naming the key.
    std::fs::write(
        &config,
        format!("[[clusters]]\nname = \"live\"\nbootstrap = \"{bootstrap}\"\n"),
    )
    .unwrap();
    let out = azcost(&[
        "report",
        "-c",
        config.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bootstrap needs window"), "{err}");
}
