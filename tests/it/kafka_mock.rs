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

/// The snapshot's parts that do not depend on when the window ran: the
/// cluster, brokers and racks, topic placement.
fn placement(bundle: &std::path::Path) -> serde_json::Value {
    let snap: Snapshot =
        serde_json::from_slice(&std::fs::read(bundle.join("snapshot.json")).unwrap()).unwrap();
    let parts: Vec<_> = snap
        .partitions
        .iter()
        .map(|p| {
            (
                p.topic.clone(),
                p.partition,
                p.leader,
                p.replicas.clone(),
                p.isr.clone(),
            )
        })
        .collect();
    serde_json::json!({
        "cluster": snap.cluster.name,
        "brokers": serde_json::to_value(&snap.brokers).unwrap(),
        "partitions": parts,
    })
}

/// A fleet in one window (issue 12): three mock clusters watched at once
/// take about one window, not three; a fourth that never answers gives up
/// on its own deadline without holding the others; each bundle is what a
/// run of that cluster alone gives; every log line names its cluster.
#[test]
fn report_job_watches_a_fleet_at_once_and_a_hung_cluster_times_out_alone() {
    const WINDOW: f64 = 5.0;
    let mocks: Vec<_> = (0..3)
        .map(|i| {
            let m = mock();
            m.create_topic(&format!("fleet-{i}"), 2, 3).unwrap();
            m
        })
        .collect();
    // Accepts connections and never answers: a hung cluster.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_addr = hung.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let entry = |name: &str, bootstrap: &str| {
        format!(
            "\n[[clusters]]\nname = \"{name}\"\nbootstrap = \"{bootstrap}\"\nwindow = \"{WINDOW}s\"\n"
        )
    };
    let mut fleet = String::from("[defaults]\njobs = 4\n");
    for (i, m) in mocks.iter().enumerate() {
        fleet.push_str(&entry(&format!("c{i}"), &m.bootstrap_servers()));
    }
    fleet.push_str(&entry("hung", &hung_addr));
    fleet.push_str("deadline = \"3s\"\n");
    let config = dir.path().join("fleet.toml");
    std::fs::write(&config, fleet).unwrap();
    let out = dir.path().join("fleet-out");
    let started = Instant::now();
    let run = azcost(&[
        "report",
        "-c",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--date",
        "2026-11-23",
        "--log-format",
        "json",
    ]);
    let fleet_secs = started.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{err}");
    // Each alone, for the bundle and for the time one cluster takes.
    let mut slowest_alone: f64 = 0.0;
    for (i, m) in mocks.iter().enumerate() {
        let name = format!("c{i}");
        let alone = dir.path().join(format!("{name}.toml"));
        std::fs::write(&alone, entry(&name, &m.bootstrap_servers())).unwrap();
        let alone_out = dir.path().join(format!("{name}-out"));
        let t = Instant::now();
        let solo = azcost(&[
            "report",
            "-q",
            "-c",
            alone.to_str().unwrap(),
            "--out",
            alone_out.to_str().unwrap(),
            "--date",
            "2026-11-23",
        ]);
        slowest_alone = slowest_alone.max(t.elapsed().as_secs_f64());
        assert!(
            solo.status.success(),
            "{}",
            String::from_utf8_lossy(&solo.stderr)
        );
        let bundle = format!("cluster={name}/date=2026-11-23");
        assert_eq!(
            placement(&out.join(&bundle)),
            placement(&alone_out.join(&bundle)),
            "{name}"
        );
        let files = |d: &std::path::Path| {
            let mut v: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            v.sort();
            v
        };
        assert_eq!(files(&out.join(&bundle)), files(&alone_out.join(&bundle)));
    }
    // Structural, not a speed test: three windows one after another would
    // take at least 3 × WINDOW; overlapping, one window plus what one
    // cluster's collection costs beyond its window.
    let overhead = (slowest_alone - WINDOW).max(0.0);
    assert!(
        fleet_secs < 1.6 * WINDOW + overhead,
        "the fleet took {fleet_secs:.1}s; one cluster alone {slowest_alone:.1}s; serially ≥ {:.0}s",
        3.0 * WINDOW
    );
    eprintln!(
        "fleet of 3 × {WINDOW}s windows + a hung cluster: {fleet_secs:.1}s; slowest alone {slowest_alone:.1}s"
    );
    // The hung cluster failed alone, on its deadline, and said so.
    assert!(!out.join("cluster=hung").exists());
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hung_err = lines
        .iter()
        .find(|l| l["cluster"] == "hung" && l["level"] == "error")
        .unwrap_or_else(|| panic!("no error line for hung: {err}"));
    assert!(
        hung_err["msg"]
            .as_str()
            .unwrap()
            .contains("gave up after 3s"),
        "{hung_err}"
    );
    for name in ["c0", "c1", "c2", "hung"] {
        assert!(
            lines
                .iter()
                .any(|l| l["cluster"] == name && l["msg"] == "started"),
            "no started line for {name}"
        );
    }
    for name in ["c0", "c1", "c2"] {
        assert!(
            lines
                .iter()
                .any(|l| l["cluster"] == name && l["msg"].as_str().unwrap().contains(" written: ")),
            "no written line for {name}"
        );
    }
    drop(hung);
}
