//! Speed and memory of `azcost reconcile` at scale (issue 14): a seeded
//! CUR 2.0 Data Exports Parquet file of 10 million line items (30 days of
//! an account: a dozen products, many usage types, 20,000 resources, line
//! item types beside Usage, and a few percent of the lines the cluster's
//! regional data transfer), written in row groups of a million so the
//! generator stays small, then reconciled end to end (snapshot, model, CUR
//! scan and sums, the per-day table, JSON out) in a child process of this
//! binary, so its peak memory (VmHWM) is the reconcile's alone. Prints
//! figures; asserts nothing (a timed test on a shared machine proves
//! little). Run: `cargo bench --bench reconcile_scale` (`--lines N` for
//! another size, `--save DIR` to keep the files, `--generate-only` with
//! `--save DIR` to only write them).

use polars::prelude::*;
use std::time::Instant;

const ARN: &str =
    "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6f1c8e2a-1b2c-4d5e-9f00-123456789abc-3";
const DAYS: i64 = 30;
/// 2026-11-01T00:00:00Z.
const START_S: i64 = 1_793_491_200;
const CHUNK: usize = 1_000_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], &args[i + 2]);
        return;
    }
    let lines: usize = args
        .iter()
        .position(|a| a == "--lines")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = args
        .iter()
        .position(|a| a == "--save")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().to_path_buf());
    std::fs::create_dir_all(&root).expect("dir");
    let cur = root.join("cur-00001.snappy.parquet");
    let started = Instant::now();
    let cluster_lines = generate(&cur, lines);
    let size = std::fs::metadata(&cur).map(|m| m.len()).unwrap_or(0);
    println!(
        "azcost reconcile benchmark (issue 14 target on 2 cores: 10 million line items in < 5 s)\n\
         CUR 2.0 Parquet: {lines} line items ({cluster_lines} the cluster's regional transfer), {DAYS} days, {:.1} MB, generated in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let snapshot = root.join("snapshot.json");
    std::fs::write(&snapshot, snapshot_json()).expect("write snapshot");
    // `--generate-only --save DIR`: the files, to time the azcost binary
    // itself (`azcost reconcile --cur DIR/cur-00001.snappy.parquet -s DIR/snapshot.json`).
    if args.iter().any(|a| a == "--generate-only") {
        return;
    }
    // polars' default (in-memory) engine, then its streaming engine
    // (POLARS_FORCE_STREAMING=1), which azcost could use instead.
    for (engine, force) in [("in-memory", "0"), ("streaming", "1")] {
        for run in 1..=3 {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args([
                    "--child",
                    snapshot.to_str().expect("utf-8"),
                    cur.to_str().expect("utf-8"),
                ])
                .env("POLARS_FORCE_STREAMING", force)
                .output()
                .expect("child runs");
            print!(
                "  {engine} run {run}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
        }
    }
}

/// Writes `n` line items in row groups of [`CHUNK`]; returns how many are
/// the cluster's regional data transfer.
fn generate(path: &std::path::Path, n: usize) -> usize {
    let products = [
        (
            "AmazonEC2",
            &[
                "BoxUsage:m5.xlarge",
                "EBS:VolumeUsage.gp3",
                "DataTransfer-Regional-Bytes",
                "DataTransfer-Out-Bytes",
                "NatGateway-Bytes",
            ][..],
        ),
        (
            "AmazonS3",
            &[
                "TimedStorage-ByteHrs",
                "Requests-Tier1",
                "Requests-Tier2",
                "DataTransfer-Out-Bytes",
            ][..],
        ),
        (
            "AmazonRDS",
            &[
                "InstanceUsage:db.r6g.large",
                "RDS:GP3-Storage",
                "DataTransfer-Regional-Bytes",
            ][..],
        ),
        ("AWSLambda", &["Lambda-GB-Second", "Request"][..]),
        (
            "AmazonCloudWatch",
            &[
                "CW:MetricMonitorUsage",
                "CW:Requests",
                "DataProcessing-Bytes",
            ][..],
        ),
        ("AmazonVPC", &["VpcEndpoint-Hours", "VpcEndpoint-Bytes"][..]),
        (
            "AmazonDynamoDB",
            &[
                "ReadRequestUnits",
                "WriteRequestUnits",
                "TimedStorage-ByteHrs",
            ][..],
        ),
        (
            "AmazonMSK",
            &[
                "Kafka.m5.large",
                "Kafka.Storage.GP2",
                "DataTransfer-Regional-Bytes",
            ][..],
        ),
        ("AmazonEKS", &["AmazonEKS-Hours:perCluster"][..]),
        (
            "AWSELB",
            &[
                "LoadBalancerUsage",
                "LCUUsage",
                "DataTransfer-Regional-Bytes",
            ][..],
        ),
        ("AmazonECR", &["TimedStorage-ByteHrs"][..]),
        ("AmazonSNS", &["Requests-Tier1"][..]),
    ];
    let regions = ["USE1", "USE2", "EUW1"];
    let item_types = [
        "Usage",
        "Usage",
        "Usage",
        "Usage",
        "Usage",
        "Usage",
        "DiscountedUsage",
        "SavingsPlanCoveredUsage",
        "Credit",
        "Tax",
    ];
    let mut rng = fastrand::Rng::with_seed(14);
    let file = std::fs::File::create(path).expect("create");
    let mut writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>> = None;
    let mut file = Some(file);
    let mut cluster = 0;
    let mut done = 0;
    while done < n {
        let m = CHUNK.min(n - done);
        let mut start = Vec::with_capacity(m);
        let mut product = Vec::with_capacity(m);
        let mut usage_type = Vec::with_capacity(m);
        let mut operation = Vec::with_capacity(m);
        let mut resource = Vec::with_capacity(m);
        let mut item_type = Vec::with_capacity(m);
        let mut amount = Vec::with_capacity(m);
        let mut cost = Vec::with_capacity(m);
        let mut id = Vec::with_capacity(m);
        let mut account = Vec::with_capacity(m);
        let mut zone = Vec::with_capacity(m);
        for k in 0..m {
            let i = done + k;
            let hour = (i as i64) % (DAYS * 24);
            start.push((START_S + hour * 3600) * 1000);
            id.push(format!("{:016x}", rng.u64(..)));
            account.push(if rng.bool() {
                "123456789012"
            } else {
                "210987654321"
            });
            zone.push(["us-east-1a", "us-east-1b", "us-east-1c", ""][rng.usize(..4)]);
            // 3% of the lines: the cluster's regional transfer, in and out.
            if rng.u32(..100) < 3 {
                cluster += 1;
                product.push("AmazonMSK".to_string());
                usage_type.push("USE1-DataTransfer-Regional-Bytes".to_string());
                operation.push(if rng.bool() {
                    "InterZone-In"
                } else {
                    "InterZone-Out"
                });
                resource.push(ARN.to_string());
                item_type.push("Usage");
                let gb = rng.f64() * 2.0;
                amount.push(gb);
                cost.push(gb * 0.01);
                continue;
            }
            let (p, types) = products[rng.usize(..products.len())];
            let t = types[rng.usize(..types.len())];
            product.push(p.to_string());
            usage_type.push(format!("{}-{t}", regions[rng.usize(..regions.len())]));
            operation.push(if t.contains("DataTransfer") {
                "InterZone-Out"
            } else {
                "RunInstances"
            });
            resource.push(format!(
                "arn:aws:{}:us-east-1:123456789012:resource/r-{:05}",
                p.to_ascii_lowercase(),
                rng.u32(..20_000)
            ));
            let ty = item_types[rng.usize(..item_types.len())];
            item_type.push(ty);
            let a = rng.f64() * 10.0;
            amount.push(a);
            cost.push(if ty == "Credit" { -a * 0.05 } else { a * 0.05 });
        }
        let start = Column::new("line_item_usage_start_date".into(), start)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
            .expect("datetime");
        let end = start.clone().with_name("line_item_usage_end_date".into());
        let mut df = DataFrame::new(
            m,
            vec![
                Column::new("identity_line_item_id".into(), id),
                Column::new("bill_payer_account_id".into(), account.clone()),
                Column::new("line_item_usage_account_id".into(), account),
                start,
                end,
                Column::new("line_item_product_code".into(), product),
                Column::new("line_item_usage_type".into(), usage_type),
                Column::new("line_item_operation".into(), operation),
                Column::new("line_item_availability_zone".into(), zone),
                Column::new("line_item_resource_id".into(), resource),
                Column::new("line_item_line_item_type".into(), item_type),
                Column::new("line_item_usage_amount".into(), amount),
                Column::new("line_item_unblended_cost".into(), cost.clone()),
                Column::new("line_item_blended_cost".into(), cost),
                Column::new("line_item_currency_code".into(), vec!["USD"; m]),
            ],
        )
        .expect("frame");
        if writer.is_none() {
            let f = file.take().expect("file");
            writer = Some(
                ParquetWriter::new(f)
                    .with_row_group_size(Some(CHUNK))
                    .batched(df.schema())
                    .expect("writer"),
            );
        }
        df.rechunk_mut();
        writer
            .as_mut()
            .expect("writer")
            .write_batch(&df)
            .expect("write");
        done += m;
    }
    if let Some(w) = writer {
        w.finish().expect("finish");
    }
    cluster
}

/// A two-broker MSK snapshot with the cluster's ARN over the 30 days.
fn snapshot_json() -> String {
    let end = START_S + DAYS * 86_400;
    let end = jiff::Timestamp::from_second(end).expect("time");
    format!(
        r#"{{"format":"azcost.snapshot/v1",
"cluster":{{"name":"orders","region":"us-east-1","platform":"msk","arn":"{ARN}"}},
"window":{{"start":"2026-11-01T00:00:00Z","end":"{end}"}},
"brokers":[{{"id":1,"rack":"use1-az1"}},{{"id":2,"rack":"use1-az2"}}],
"partitions":[{{"topic":"orders","partition":0,"leader":1,"replicas":[1,2],"isr":[1,2],"bytes_in":3000000000000}}],
"consumer_groups":[{{"group":"billing","members":[{{"member_id":"m","zone":"use1-az2","assignment":[{{"topic":"orders","partitions":[0]}}]}}]}}]}}"#
    )
}

fn child(snapshot: &str, cur: &str) {
    let clock = Instant::now();
    let now = || clock.elapsed().as_secs_f64();
    let source = azcost::snapshot::SnapshotSource::File(snapshot.into());
    let snap = azcost::snapshot::load(&source).unwrap_or_else(|e| panic!("{e}"));
    let analysis = azcost::model::analyze(&snap, &azcost::model::Pricing::default());
    let estimate = azcost::reconcile::estimate::Estimate::from_analysis(
        &analysis,
        snap.cluster.arn.as_deref(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let modelled = now();
    let (r, finding) =
        azcost::reconcile::reconcile(&estimate, &[cur.to_string()], "--cur", &[], 730.0)
            .unwrap_or_else(|e| panic!("{e}"));
    let reconciled = now();
    let json = azcost::reconcile::render::render(
        &r,
        finding.as_ref(),
        azcost::reconcile::render::Format::Json,
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let total = now();
    println!(
        "total {total:.3} s (snapshot and model {modelled:.3}, CUR scan and sums {:.3}, render {:.3}); {} days, billed {:.1} GB over {} line items, explained {:.1}%; peak RSS {} MiB; JSON {} bytes",
        reconciled - modelled,
        total - reconciled,
        r.days.len(),
        r.total.billed_gb,
        r.total.lines,
        r.total.explained.unwrap_or(0.0) * 100.0,
        peak_rss_mib(),
        json.len()
    );
}

/// VmHWM from /proc: the peak resident set of this process.
fn peak_rss_mib() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!("{:.0}", kb / 1024.0))
        .unwrap_or_else(|| "?".to_string())
}
