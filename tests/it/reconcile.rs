//! `azcost reconcile` as a user runs it, on CUR files built here with
//! polars in AWS's layouts: CUR 2.0 Data Exports Parquet (snake case,
//! Parquet timestamps, doubles), the legacy CUR's Parquet (same names,
//! other timestamp unit, UTC zone) and the legacy CUR's gzip CSV
//! (`lineItem/UsageStartDate` as ISO 8601 text).

use polars::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ARN: &str =
    "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6f1c8e2a-1b2c-4d5e-9f00-123456789abc-3";
const GIB: f64 = 1_073_741_824.0;

fn azcost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .output()
        .expect("azcost runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Two brokers (use1-az1 leads, use1-az2 follows), one partition with
/// 2 GiB produced over two whole days, producers half in each zone, one
/// consumer in use1-az2 without client.rack (reads from the leader).
/// Current scenario: produce crossing = 1 GiB, consume crossing = 2 GiB,
/// replication 2 GiB (not billed on MSK).
fn snapshot(dir: &Path, arn: Option<&str>, platform: &str) -> PathBuf {
    let arn = arn
        .map(|a| format!(r#", "arn": "{a}""#))
        .unwrap_or_default();
    let json = format!(
        r#"{{
  "format": "azcost.snapshot/v1",
  "cluster": {{ "name": "orders", "region": "us-east-1", "platform": "{platform}"{arn} }},
  "window": {{ "start": "2026-11-01T00:00:00Z", "end": "2026-11-03T00:00:00Z" }},
  "zones": [ {{ "id": "use1-az1" }}, {{ "id": "use1-az2" }} ],
  "brokers": [ {{ "id": 1, "rack": "use1-az1" }}, {{ "id": 2, "rack": "use1-az2" }} ],
  "partitions": [ {{ "topic": "orders", "partition": 0, "leader": 1, "replicas": [1, 2], "isr": [1, 2], "bytes_in": {} }} ],
  "consumer_groups": [ {{ "group": "billing", "members": [ {{ "member_id": "m-1", "zone": "use1-az2",
      "assignment": [ {{ "topic": "orders", "partitions": [0] }} ] }} ] }} ],
  "producers": {{ "zone_shares": {{ "use1-az1": 0.5, "use1-az2": 0.5 }} }}
}}"#,
        2.0 * GIB
    );
    let path = dir.join(format!("snapshot-{platform}.json"));
    std::fs::write(&path, json).unwrap();
    path
}

/// One CUR line item.
struct Line {
    start: &'static str,
    product: &'static str,
    usage_type: &'static str,
    operation: &'static str,
    resource: &'static str,
    item_type: &'static str,
    amount: f64,
    cost: f64,
}

const fn line(
    start: &'static str,
    product: &'static str,
    usage_type: &'static str,
    resource: &'static str,
    item_type: &'static str,
    amount: f64,
    cost: f64,
) -> Line {
    Line {
        start,
        product,
        usage_type,
        operation: "",
        resource,
        item_type,
        amount,
        cost,
    }
}

const DT: &str = "USE1-DataTransfer-Regional-Bytes";
const EC2: &str = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc";

/// The bill of the worked case. The cluster's regional transfer appears
/// once per direction (`InterZone-In` / `InterZone-Out` operations).
fn lines() -> Vec<Line> {
    let mut v = vec![
        // 2026-10-31: outside the window.
        line(
            "2026-10-31T23:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Usage",
            5.0,
            0.05,
        ),
        // 2026-11-01: 0.8 in + 0.9 out = 1.7 GB, $0.017.
        line(
            "2026-11-01T05:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Usage",
            0.8,
            0.008,
        ),
        line(
            "2026-11-01T06:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Usage",
            0.9,
            0.009,
        ),
        // 2026-11-02: 0.9 + 1.1 = 2.0 GB, $0.020.
        line(
            "2026-11-02T10:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Usage",
            0.9,
            0.009,
        ),
        line(
            "2026-11-02T11:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Usage",
            1.1,
            0.011,
        ),
        // 2026-11-03: outside.
        line(
            "2026-11-03T00:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Usage",
            7.0,
            0.07,
        ),
        // Another resource's regional transfer (not the cluster's).
        line(
            "2026-11-01T05:00:00Z",
            "AmazonEC2",
            "USE1-DataTransfer-Regional-Bytes",
            EC2,
            "Usage",
            10.0,
            0.1,
        ),
        // The cluster's broker hours: another usage type.
        line(
            "2026-11-01T00:00:00Z",
            "AmazonMSK",
            "USE1-Kafka.m5.large",
            ARN,
            "Usage",
            48.0,
            10.08,
        ),
        // Other products entirely.
        line(
            "2026-11-01T00:00:00Z",
            "AmazonS3",
            "USE1-TimedStorage-ByteHrs",
            "my-bucket",
            "Usage",
            3.0,
            0.07,
        ),
        // A credit on the cluster's transfer, and taxes.
        line(
            "2026-11-02T00:00:00Z",
            "AmazonMSK",
            DT,
            ARN,
            "Credit",
            0.0,
            -0.005,
        ),
        line("2026-11-01T00:00:00Z", "AmazonMSK", "", "", "Tax", 0.0, 0.5),
        line("2026-11-01T00:00:00Z", "AmazonEC2", "", "", "Tax", 0.0, 0.9),
    ];
    for (i, l) in v.iter_mut().enumerate() {
        if l.usage_type == DT {
            l.operation = if i % 2 == 0 {
                "InterZone-In"
            } else {
                "InterZone-Out"
            };
        }
    }
    v
}

fn epoch_ms(t: &str) -> i64 {
    t.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// A CUR Parquet: snake case, timestamps in `unit` (and `tz`), doubles.
fn write_parquet(path: &Path, lines: &[Line], unit: TimeUnit, tz: Option<&str>) {
    let n = lines.len();
    let per_ms = match unit {
        TimeUnit::Milliseconds => 1,
        TimeUnit::Microseconds => 1_000,
        TimeUnit::Nanoseconds => 1_000_000,
    };
    let start: Vec<i64> = lines.iter().map(|l| epoch_ms(l.start) * per_ms).collect();
    let tz = tz.map(|z| TimeZone::opt_try_new(Some(z)).unwrap().unwrap());
    let start = Column::new("line_item_usage_start_date".into(), start)
        .cast(&DataType::Datetime(unit, tz))
        .unwrap();
    let s = |name: &str, f: fn(&Line) -> &'static str| {
        Column::new(name.into(), lines.iter().map(f).collect::<Vec<_>>())
    };
    let mut df = DataFrame::new(
        n,
        vec![
            s("identity_line_item_id", |_| "id"),
            s("bill_payer_account_id", |_| "123456789012"),
            start,
            s("line_item_product_code", |l| l.product),
            s("line_item_usage_type", |l| l.usage_type),
            s("line_item_operation", |l| l.operation),
            s("line_item_resource_id", |l| l.resource),
            s("line_item_line_item_type", |l| l.item_type),
            Column::new(
                "line_item_usage_amount".into(),
                lines.iter().map(|l| l.amount).collect::<Vec<_>>(),
            ),
            Column::new(
                "line_item_unblended_cost".into(),
                lines.iter().map(|l| l.cost).collect::<Vec<_>>(),
            ),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

/// The legacy CUR's gzip CSV, `lineItem/…` header, ISO 8601 times.
fn write_legacy_csv_gz(path: &Path, lines: &[Line]) {
    let mut csv = String::from(
        "identity/LineItemId,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/Operation,lineItem/ResourceId,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n",
    );
    for l in lines {
        csv.push_str(&format!(
            "id,{},{},{},{},{},{},{},{}\n",
            l.start,
            l.product,
            l.usage_type,
            l.operation,
            l.resource,
            l.item_type,
            l.amount,
            l.cost
        ));
    }
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    gz.finish().unwrap();
}

fn json_run(args: &[&str]) -> serde_json::Value {
    let out = azcost(args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// The worked case, by hand (GB = 2^30 bytes on both sides):
///
/// expected = produce 1 GiB + consume 2 GiB = 3 GB over two whole days,
/// so 1.5 GB on each day (each day holds half of the window's seconds).
///
/// | day        | expected | billed | USD   | explained | unexpl. GB | unexpl. USD           |
/// |------------|----------|--------|-------|-----------|------------|-----------------------|
/// | 2026-11-01 | 1.5      | 1.7    | 0.017 | 88.2353%  | 0.2        | 0.017·(1−1.5/1.7)=0.002 |
/// | 2026-11-02 | 1.5      | 2.0    | 0.020 | 75%       | 0.5        | 0.020·0.25 = 0.005    |
/// | total      | 3.0      | 3.7    | 0.037 | 81.0811%  | 0.7        | 0.007                 |
///
/// Left out: the lines of 10-31 and 11-03, the EC2 instance, the broker
/// hours, S3, and EC2's tax. Shown apart: the credit (−$0.005) and
/// AmazonMSK's tax ($0.50, product-wide).
fn check_worked_case(doc: &serde_json::Value) {
    let days = doc["days"].as_array().unwrap();
    let want = [
        ("2026-11-01", 1.5, 1.7, 0.017, 1.5f64 / 1.7, 0.2, 0.002),
        ("2026-11-02", 1.5, 2.0, 0.020, 0.75, 0.5, 0.005),
    ];
    assert_eq!(days.len(), 2, "{doc}");
    for (d, w) in days
        .iter()
        .chain([&doc["total"]])
        .zip(
            want.iter()
                .copied()
                .chain([("total", 3.0, 3.7, 0.037, 3.0 / 3.7, 0.7, 0.007)]),
        )
    {
        assert_eq!(d["date"], w.0);
        assert!(close(num(&d["expected_gb"]), w.1), "{d}");
        assert!(close(num(&d["billed_gb"]), w.2), "{d}");
        assert!(close(num(&d["billed_usd"]), w.3), "{d}");
        assert!(
            close(num(&d["explained"]), (w.4 * 1e6).round() / 1e6),
            "{d}"
        );
        assert!(close(num(&d["unexplained_gb"]), w.5), "{d}");
        assert!(close(num(&d["unexplained_usd"]), w.6), "{d}");
    }
    let others = doc["other_line_items"].as_array().unwrap();
    assert_eq!(others.len(), 2, "{others:?}");
    let credit = others
        .iter()
        .find(|o| o["line_item_type"] == "Credit")
        .unwrap();
    assert!(close(num(&credit["usd"]), -0.005));
    let tax = others
        .iter()
        .find(|o| o["line_item_type"] == "Tax")
        .unwrap();
    assert_eq!(tax["product"], "AmazonMSK");
    assert_eq!(tax["resource"], "");
    assert!(close(num(&tax["usd"]), 0.5));
    assert_eq!(doc["resources"].as_array().unwrap().len(), 1);
    assert_eq!(doc["resources"][0]["resource"], ARN);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "81% is below 90%: {findings:?}");
    assert_eq!(findings[0]["id"], "bill-gap/orders");
    let fix = findings[0]["fix"].as_str().unwrap();
    assert!(fix.contains("Lambda event source mappings"), "{fix}");
}

#[test]
fn cur2_parquet_legacy_parquet_and_legacy_csv_give_the_hand_computed_table() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), Some(ARN), "msk");
    let snap = snap.to_str().unwrap();
    // CUR 2.0 Data Exports: millisecond timestamps without a zone.
    let cur2 = dir.path().join("cur2").join("BILLING_PERIOD=2026-11");
    std::fs::create_dir_all(&cur2).unwrap();
    write_parquet(
        &cur2.join("orders-00001.snappy.parquet"),
        &lines(),
        TimeUnit::Milliseconds,
        None,
    );
    std::fs::write(cur2.join("orders-Manifest.json"), b"{}").unwrap();
    let cur2_dir = dir.path().join("cur2");
    let doc = json_run(&[
        "reconcile",
        "--cur",
        cur2_dir.to_str().unwrap(),
        "--snapshot",
        snap,
        "-f",
        "json",
    ]);
    assert_eq!(doc["format"], "azcost.reconcile/v1");
    assert!(close(
        num(&doc["expected"]["expected_usage_bytes"]),
        3.0 * GIB
    ));
    check_worked_case(&doc);

    // Legacy CUR Parquet: microseconds, UTC, split over two files.
    let legacy = dir.path().join("legacy");
    std::fs::create_dir(&legacy).unwrap();
    let all = lines();
    let (a, b) = all.split_at(5);
    write_parquet(
        &legacy.join("part-0.parquet"),
        a,
        TimeUnit::Microseconds,
        Some("UTC"),
    );
    write_parquet(
        &legacy.join("part-1.parquet"),
        b,
        TimeUnit::Nanoseconds,
        Some("UTC"),
    );
    let glob = format!("{}/part-*.parquet", legacy.display());
    let doc = json_run(&["reconcile", "--cur", &glob, "-s", snap, "-f", "json"]);
    check_worked_case(&doc);

    // Legacy CUR gzip CSV.
    let gz = dir.path().join("cur-00001.csv.gz");
    write_legacy_csv_gz(&gz, &lines());
    let doc = json_run(&[
        "reconcile",
        "--cur",
        gz.to_str().unwrap(),
        "-s",
        snap,
        "-f",
        "json",
    ]);
    check_worked_case(&doc);

    // CSV: one row per day and the total; the table says the same.
    let out = azcost(&[
        "reconcile",
        "--cur",
        gz.to_str().unwrap(),
        "-s",
        snap,
        "-f",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some(
            "cluster,date,window_seconds,expected_gb,billed_gb,billed_usd,explained,unexplained_gb,unexplained_usd,line_items"
        )
    );
    assert_eq!(
        rows.next(),
        Some("orders,2026-11-01,86400,1.5,1.7,0.017,0.882353,0.2,0.002,2")
    );
    assert_eq!(
        rows.nth(1),
        Some("orders,total,172800,3,3.7,0.037,0.810811,0.7,0.007,4")
    );
    let out = azcost(&["reconcile", "--cur", gz.to_str().unwrap(), "-s", snap]);
    let table = text(&out.stdout);
    assert!(
        table.contains("81.1%") && table.contains("(product-wide)"),
        "{table}"
    );
}

#[test]
fn self_managed_expects_replication_twice_and_cur_resource_adds_instances() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), None, "self-managed");
    let cur = dir.path().join("cur.parquet");
    write_parquet(&cur, &lines(), TimeUnit::Milliseconds, None);
    // The EC2 instance by regex, the MSK ARN by id: 3.7 + 10 GB billed.
    let doc = json_run(&[
        "reconcile",
        "--cur",
        cur.to_str().unwrap(),
        "-s",
        snap.to_str().unwrap(),
        "--cur-resource",
        "instance/i-0a.c$",
        "--cur-resource",
        ARN,
        "-f",
        "json",
    ]);
    // 1 + 2 + 2 · 2 GiB = 7 GB expected.
    assert!(close(num(&doc["total"]["expected_gb"]), 7.0), "{doc}");
    assert!(close(num(&doc["total"]["billed_gb"]), 13.7), "{doc}");
    assert_eq!(doc["resources"][0]["resource"], EC2);
}

#[test]
fn the_audit_document_carries_the_arn_and_gives_the_same_total() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), Some(ARN), "msk");
    let audit = dir.path().join("audit.json");
    let out = azcost(&[
        "audit",
        "-s",
        snap.to_str().unwrap(),
        "-f",
        "json",
        "-o",
        audit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&audit).unwrap()).unwrap();
    assert_eq!(doc["cluster_arn"], ARN);
    let cur = dir.path().join("cur.parquet");
    write_parquet(&cur, &lines(), TimeUnit::Milliseconds, None);
    let out_file = dir.path().join("r.md");
    let out = azcost(&[
        "reconcile",
        "--cur",
        cur.to_str().unwrap(),
        "--audit",
        audit.to_str().unwrap(),
        "-f",
        "markdown",
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = std::fs::read_to_string(&out_file).unwrap();
    assert!(md.contains("| total "), "{md}");
    assert!(md.contains("81.1%"), "{md}");
}

#[test]
fn no_match_lists_the_resources_with_regional_transfer_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), None, "msk");
    let cur = dir.path().join("cur.parquet");
    write_parquet(&cur, &lines(), TimeUnit::Milliseconds, None);
    let out = azcost(&[
        "reconcile",
        "--cur",
        cur.to_str().unwrap(),
        "-s",
        snap.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("no cluster ARN is known"), "{err}");
    // Largest billed GB first: the instance (10 GB), then the cluster (3.7).
    let ec2 = err.find(EC2).expect("the instance is listed");
    let msk = err.find(ARN).expect("the cluster is listed");
    assert!(ec2 < msk, "{err}");
    assert!(err.contains("--cur-resource"), "{err}");
}

#[test]
fn bad_cur_files_exit_2_naming_the_file_and_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), Some(ARN), "msk");
    let snap = snap.to_str().unwrap();
    let run = |path: &Path| {
        let out = azcost(&["reconcile", "--cur", path.to_str().unwrap(), "-s", snap]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains(path.to_str().unwrap()), "{err}");
        err
    };
    let not_parquet = dir.path().join("notes.parquet");
    std::fs::write(&not_parquet, b"this is not a parquet file").unwrap();
    let err = run(&not_parquet);
    assert!(err.contains("Parquet"), "{err}");

    // No resource ids in the export.
    let mut df = df!(
        "line_item_usage_start_date" => [1i64],
        "line_item_product_code" => ["AmazonMSK"],
        "line_item_usage_type" => [DT],
        "line_item_line_item_type" => ["Usage"],
        "line_item_usage_amount" => [1.0],
        "line_item_unblended_cost" => [0.01],
    )
    .unwrap();
    let missing = dir.path().join("missing.parquet");
    ParquetWriter::new(std::fs::File::create(&missing).unwrap())
        .finish(&mut df)
        .unwrap();
    let err = run(&missing);
    assert!(err.contains("line_item_resource_id"), "{err}");

    // Amounts as text in Parquet.
    let wrong = dir.path().join("wrong.parquet");
    let mut lines = lines();
    lines.truncate(3);
    write_parquet(&wrong, &lines, TimeUnit::Milliseconds, None);
    let mut df = ParquetReader::new(std::fs::File::open(&wrong).unwrap())
        .finish()
        .unwrap();
    let amount = df
        .column("line_item_usage_amount")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    df.with_column(amount).unwrap();
    ParquetWriter::new(std::fs::File::create(&wrong).unwrap())
        .finish(&mut df)
        .unwrap();
    let err = run(&wrong);
    assert!(err.contains("line_item_usage_amount"), "{err}");
    assert!(err.contains("expected a number"), "{err}");

    // A legacy CSV whose times are not ISO 8601.
    let csv = dir.path().join("dates.csv");
    std::fs::write(
        &csv,
        "lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/ResourceId,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n11/01/2026 05:00,AmazonMSK,USE1-DataTransfer-Regional-Bytes,x,Usage,1,0.01\n",
    )
    .unwrap();
    let err = run(&csv);
    assert!(err.contains("lineItem/UsageStartDate"), "{err}");

    // A legacy CSV whose amounts are not numbers.
    let csv = dir.path().join("amounts.csv");
    std::fs::write(
        &csv,
        format!("lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/ResourceId,lineItem/LineItemType,lineItem/UsageAmount,lineItem/UnblendedCost\n2026-11-01T05:00:00Z,AmazonMSK,USE1-DataTransfer-Regional-Bytes,{ARN},Usage,lots,0.01\n"),
    )
    .unwrap();
    let err = run(&csv);
    assert!(err.contains("lineItem/UsageAmount"), "{err}");
}

fn fixture(name: &str) -> String {
    format!("{}/fixtures/reconcile/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn report(cfg: &Path, prom: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azcost"));
    cmd.args([
        "report",
        "-q",
        "-c",
        cfg.to_str().unwrap(),
        "--date",
        "2026-11-04",
    ])
    .args(["--prometheus-textfile", prom.to_str().unwrap()]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AZCOST_")) {
        cmd.env_remove(k);
    }
    cmd.output().expect("azcost runs")
}

#[test]
fn the_report_job_with_cur_writes_reconcile_csv_a_summary_section_history_and_a_gauge() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("azcost.toml");
    // Only `orders` has `cur`; `plain` is the same snapshot without it.
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nout = \"out\"\n\n[[clusters]]\nname = \"orders\"\nsnapshot = \"{}\"\ncur = \"{}\"\n\n[[clusters]]\nname = \"plain\"\nsnapshot = \"{}\"\n",
            fixture("orders.json"),
            fixture("cur-*.csv.gz"),
            fixture("orders.json"),
        ),
    )
    .unwrap();
    let prom = dir.path().join("azcost.prom");
    let out = report(&cfg, &prom);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bundle = dir.path().join("out/cluster=orders/date=2026-11-04");
    let csv = std::fs::read_to_string(bundle.join("reconcile.csv")).unwrap();
    assert!(
        csv.lines().last() == Some("orders,total,172800,3,3.7,0.037,0.810811,0.7,0.007,4"),
        "{csv}"
    );
    let md = std::fs::read_to_string(bundle.join("summary.md")).unwrap();
    assert!(
        md.contains("## Reconcile with the AWS bill: orders"),
        "{md}"
    );
    assert!(md.contains("81.1%"), "{md}");
    let html = std::fs::read_to_string(bundle.join("summary.html")).unwrap();
    let section = &html[html.find("<h2 id=\"bill\">").expect("the section")..];
    assert!(section.contains("<svg") && section.contains("estimated (blue) vs billed"));
    assert!(section.contains("2026-11-02"));
    // The other cluster has no CUR: no file, no section.
    let plain = dir.path().join("out/cluster=plain/date=2026-11-04");
    assert!(!plain.join("reconcile.csv").exists());
    assert!(
        !std::fs::read_to_string(plain.join("summary.md"))
            .unwrap()
            .contains("AWS bill")
    );
    // History: the share for orders, none for plain.
    let df =
        ParquetReader::new(std::fs::File::open(dir.path().join("out/history.parquet")).unwrap())
            .finish()
            .unwrap();
    let clusters = df.column("cluster").unwrap().str().unwrap().clone();
    let explained = df.column("bill_explained").unwrap().f64().unwrap().clone();
    for i in 0..df.height() {
        match clusters.get(i) {
            Some("orders") => assert!(close(explained.get(i).unwrap(), 3.0 / 3.7)),
            _ => assert_eq!(explained.get(i), None),
        }
    }
    let textfile = std::fs::read_to_string(&prom).unwrap();
    let gauge = textfile
        .lines()
        .find(|l| l.starts_with("azcost_bill_explained_ratio{cluster=\"orders\"}"))
        .expect("the gauge");
    let value: f64 = gauge.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(close(value, 3.0 / 3.7), "{gauge}");
    assert!(!textfile.contains("azcost_bill_explained_ratio{cluster=\"plain\"}"));
}

#[test]
fn a_bad_cur_fails_only_its_cluster_in_the_report_job_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, b"PAR1 but not really").unwrap();
    let cfg = dir.path().join("azcost.toml");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nout = \"out\"\n\n[[clusters]]\nname = \"orders\"\nsnapshot = \"{}\"\ncur = \"{}\"\n\n[[clusters]]\nname = \"plain\"\nsnapshot = \"{}\"\n",
            fixture("orders.json"),
            bad.display(),
            fixture("orders.json"),
        ),
    )
    .unwrap();
    let out = report(&cfg, &dir.path().join("azcost.prom"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("bad.parquet"), "{err}");
    assert!(!dir.path().join("out/cluster=orders").exists());
    assert!(
        dir.path()
            .join("out/cluster=plain/date=2026-11-04/summary.md")
            .exists()
    );
}

#[test]
fn the_finding_names_what_the_snapshot_can_tell() {
    let dir = tempfile::tempdir().unwrap();
    let cur = dir.path().join("cur.parquet");
    // The bill of 11-01 only: 11-02 is missing from the files.
    let first_day: Vec<Line> = lines()
        .into_iter()
        .filter(|l| !l.start.starts_with("2026-11-02"))
        .collect();
    write_parquet(&cur, &first_day, TimeUnit::Milliseconds, None);
    // A window from noon, a member of unknown zone, a stored size guessed.
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("orders.json")).unwrap()).unwrap();
    let mut snap = snap;
    snap["window"]["start"] = "2026-11-01T12:00:00Z".into();
    snap["consumer_groups"][0]["members"][0]
        .as_object_mut()
        .unwrap()
        .remove("zone");
    snap["provenance"] = serde_json::json!([{ "source": "kafka",
        "detail": "topic orders: no whole stored batch measured; 10 records read, 100.0 uncompressed bytes per record" }]);
    let path = dir.path().join("noon.json");
    std::fs::write(&path, snap.to_string()).unwrap();
    let doc = json_run(&[
        "reconcile",
        "--cur",
        cur.to_str().unwrap(),
        "-s",
        path.to_str().unwrap(),
        "-f",
        "json",
    ]);
    // 11-01 holds a third of the window's 36 hours.
    let days = doc["days"].as_array().unwrap();
    assert_eq!(num(&days[0]["window_seconds"]), 43_200.0);
    assert_eq!(num(&days[1]["window_seconds"]), 86_400.0);
    let expected = num(&doc["expected"]["expected_usage_bytes"]) / GIB;
    assert!(close(num(&days[0]["expected_gb"]), expected / 3.0), "{doc}");
    assert_eq!(doc["days_without_cur"], serde_json::json!(["2026-11-02"]));
    let fix = doc["findings"][0]["fix"].as_str().unwrap();
    for cause in [
        "no regional data transfer on 1 of the window's 2 days (2026-11-02)",
        "is not whole UTC days",
        "1 consumer member(s) of unknown zone",
        "uncompressed record sizes",
    ] {
        assert!(fix.contains(cause), "{cause:?} not in {fix}");
    }
}

#[test]
fn an_estimate_above_the_bill_says_so_and_suspects_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let snap = snapshot(dir.path(), Some(ARN), "self-managed");
    let cur = dir.path().join("cur.parquet");
    write_parquet(&cur, &lines(), TimeUnit::Milliseconds, None);
    let doc = json_run(&[
        "reconcile",
        "--cur",
        cur.to_str().unwrap(),
        "-s",
        snap.to_str().unwrap(),
        "-f",
        "json",
    ]);
    // 7 GB expected (replication twice) against 3.7 billed: 189%.
    assert!(close(
        num(&doc["total"]["explained"]),
        (7.0f64 / 3.7 * 1e6).round() / 1e6
    ));
    let f = &doc["findings"][0];
    assert!(
        f["title"].as_str().unwrap().contains("above the bill"),
        "{f}"
    );
    assert!(f["fix"].as_str().unwrap().contains("--platform msk"), "{f}");
    // The flag wins over the snapshot: 3 GB expected.
    let doc = json_run(&[
        "reconcile",
        "--cur",
        cur.to_str().unwrap(),
        "-s",
        snap.to_str().unwrap(),
        "--platform",
        "msk",
        "-f",
        "json",
    ]);
    assert!(close(num(&doc["total"]["expected_gb"]), 3.0));
}

#[test]
fn defaults_cur_and_cur_resource_reconcile_a_snapshot_without_arn_in_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let mut snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("orders.json")).unwrap()).unwrap();
    snap["cluster"].as_object_mut().unwrap().remove("arn");
    let path = dir.path().join("orders.json");
    std::fs::write(&path, snap.to_string()).unwrap();
    let cfg = dir.path().join("azcost.toml");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nout = \"out\"\ncur = \"{}\"\n\n[[clusters]]\nname = \"orders\"\nsnapshot = \"orders.json\"\ncur_resource = [\"cluster/orders/\"]\n",
            fixture("cur-2026-11.csv.gz"),
        ),
    )
    .unwrap();
    let out = report(&cfg, &dir.path().join("azcost.prom"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(
        dir.path()
            .join("out/cluster=orders/date=2026-11-04/reconcile.csv"),
    )
    .unwrap();
    assert!(csv.contains("orders,total,172800,3,3.7,"), "{csv}");
    // cur_resource without any cur is a config error naming the entry.
    std::fs::write(
        &cfg,
        "[[clusters]]\nname = \"orders\"\nsnapshot = \"orders.json\"\ncur_resource = [\"x\"]\n",
    )
    .unwrap();
    let out = report(&cfg, &dir.path().join("azcost.prom"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cur_resource needs cur"),
        "{}",
        text(&out.stderr)
    );
}
