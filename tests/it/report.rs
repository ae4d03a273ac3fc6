//! `azcost report` end to end: bundles, history, chargeback, Prometheus,
//! crash safety, config errors, precedence, and the HTML page in Chromium.

use azcost::job::{BUNDLE_FILES, history};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");

fn azcost(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azcost"));
    cmd.args(args);
    for var in [
        "AZCOST_CONFIG",
        "AZCOST_OUT",
        "AZCOST_DATE",
        "AZCOST_PRICE_PER_GB",
        "AZCOST_PLATFORM",
        "AZCOST_MONTH_HOURS",
        "AZCOST_PROMETHEUS_TEXTFILE",
        "AZCOST_LOG_FORMAT",
        azcost::job::bundle::ABORT_HOOK,
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("azcost runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A config in `dir` with the demo as `orders-prod` plus `extra` TOML.
fn config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("azcost.toml");
    let body = format!(
        "[defaults]\nout = \"out\"\n\n[[clusters]]\nname = \"orders-prod\"\nsnapshot = \"{DEMO}\"\n\n[[owners]]\nname = \"payments-team\"\ncost_center = \"CC-1\"\ntopics = [\"^payments$\", \"^orders$\"]\ngroups = [\"^billing-\", \"^fraud-\"]\n{extra}"
    );
    std::fs::write(&path, body).unwrap();
    path
}

fn run_report(cfg: &Path, date: &str, more: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["report", "-q", "-c", cfg.to_str().unwrap(), "--date", date];
    args.extend_from_slice(more);
    azcost(&args, env)
}

fn bundle(dir: &Path, date: &str) -> PathBuf {
    dir.join("out/cluster=orders-prod")
        .join(format!("date={date}"))
}

/// Every file under `dir` but staging, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if rel.starts_with(".tmp") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn schema(df: &DataFrame) -> Vec<(String, String)> {
    df.columns()
        .iter()
        .map(|c| (c.name().to_string(), format!("{}", c.dtype())))
        .collect()
}

#[test]
fn reference_config_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/azcost.toml");
    let cfg = azcost::job::config::read_file(Path::new(path)).expect("examples/azcost.toml parses");
    assert_eq!(cfg.clusters.len(), 1);
    assert_eq!(cfg.owners.len(), 2);
    assert_eq!(cfg.pricing.price_per_gb, Some(0.02));
}

#[test]
fn bundle_files_parse_and_agree_with_audit_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let out = run_report(&cfg, "2026-11-22", &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let b = bundle(dir.path(), "2026-11-22");
    for f in BUNDLE_FILES {
        assert!(b.join(f).is_file(), "{f} missing");
    }
    // audit.json and finance.csv are exactly what `audit` prints.
    let audit = azcost(&["audit", "-q", "-s", DEMO, "-f", "json"], &[]);
    assert_eq!(std::fs::read(b.join("audit.json")).unwrap(), audit.stdout);
    let csv = azcost(&["audit", "-q", "-s", DEMO, "-f", "csv"], &[]);
    assert_eq!(std::fs::read(b.join("finance.csv")).unwrap(), csv.stdout);
    assert_eq!(
        std::fs::read(b.join("snapshot.json")).unwrap(),
        std::fs::read(DEMO).unwrap()
    );
    let doc: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let monthly = |s: &str| doc["scenarios"][s]["monthly_cost_usd"].as_f64().unwrap();
    let cents = |v: f64| (v * 100.0).round() as i64;
    // breakdowns.parquet: topic rows sum to the scenario's monthly USD.
    let df = parquet(&b.join("breakdowns.parquet"));
    let kinds = df.column("breakdown").unwrap().str().unwrap();
    let scen = df.column("scenario").unwrap().str().unwrap();
    let usd = df.column("monthly_usd").unwrap().f64().unwrap();
    for s in ["leader_only", "current", "rack_aware"] {
        let sum: f64 = (0..df.height())
            .filter(|&i| kinds.get(i) == Some("topic") && scen.get(i) == Some(s))
            .filter_map(|i| usd.get(i))
            .sum();
        assert_eq!(cents(sum), cents(monthly(s)), "{s}");
    }
    // chargeback.csv: owners plus the unmatched line cover every dollar.
    let charge = std::fs::read_to_string(b.join("chargeback.csv")).unwrap();
    assert!(charge.starts_with("owner,cost_center,scenario,monthly_usd,share\n"));
    for s in ["leader_only", "current", "rack_aware"] {
        let sum: f64 = charge
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(2) == Some(s))
            .map(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap())
            .sum();
        assert_eq!(cents(sum), cents(monthly(s)), "chargeback {s}");
    }
    assert!(charge.contains("(unmatched),,current,"));
    // The summary states the same totals.
    let md = std::fs::read_to_string(b.join("summary.md")).unwrap();
    let current = azcost::numbers::usd(monthly("current"));
    assert!(md.contains(&current), "{current} not in summary.md");
    assert!(md.contains("## Chargeback"));
    let html = std::fs::read_to_string(b.join("summary.html")).unwrap();
    assert!(html.contains(&current) && html.contains("<svg"));
    // history.parquet: one row, the same figures.
    let rows = history::read(&dir.path().join("out/history.parquet")).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].cluster, "orders-prod");
    assert_eq!(
        cents(rows[0].current_monthly_usd),
        cents(monthly("current"))
    );
}

#[test]
fn csv_and_parquet_schemas_match_the_golden_schema() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    assert!(run_report(&cfg, "2026-11-22", &[], &[]).status.success());
    let b = bundle(dir.path(), "2026-11-22");
    let header = |f: &str| {
        std::fs::read_to_string(b.join(f))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        header("finance.csv"),
        "cluster,window_start,window_end,scenario,traffic,topic,consumer_group,src_zone,dst_zone,bytes,gb,usd,monthly_usd,billed"
    );
    assert_eq!(
        header("chargeback.csv"),
        "owner,cost_center,scenario,monthly_usd,share"
    );
    let golden = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        schema(&parquet(&b.join("breakdowns.parquet"))),
        golden(&[
            ("breakdown", "str"),
            ("topic", "str"),
            ("consumer_group", "str"),
            ("member_id", "str"),
            ("src_zone", "str"),
            ("dst_zone", "str"),
            ("traffic", "str"),
            ("scenario", "str"),
            ("bytes", "f64"),
            ("usd", "f64"),
            ("monthly_usd", "f64"),
        ])
    );
    assert_eq!(
        schema(&parquet(&dir.path().join("out/history.parquet"))),
        golden(&history::SCHEMA)
    );
}

#[test]
fn a_run_killed_between_writes_leaves_the_earlier_bundle_and_history_intact() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    assert!(run_report(&cfg, "2026-11-22", &[], &[]).status.success());
    let before = tree(&dir.path().join("out"));
    for point in BUNDLE_FILES.iter().copied().chain(["bundle"]) {
        let out = run_report(
            &cfg,
            "2026-11-22",
            &["--force", "--price-per-gb", "0.05"],
            &[(azcost::job::bundle::ABORT_HOOK, point)],
        );
        assert!(!out.status.success(), "the hook at {point} did not abort");
        if point == "bundle" {
            // Killed after the bundle moved into place, before the history:
            // the new bundle is whole and the history is untouched.
            let after = tree(&dir.path().join("out"));
            assert_eq!(after["history.parquet"], before["history.parquet"]);
            continue;
        }
        assert_eq!(
            tree(&dir.path().join("out")),
            before,
            "killed after {point}"
        );
    }
}

#[test]
fn same_date_needs_force_and_one_failing_cluster_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let cfg = config(
        dir.path(),
        &format!(
            "\n[[clusters]]\nname = \"broken\"\nsnapshot = \"{}\"\n",
            bad.display()
        ),
    );
    let out = run_report(&cfg, "2026-11-22", &[], &[]);
    assert_eq!(out.status.code(), Some(2), "bad input only: exit 2");
    let err = text(&out.stderr);
    assert!(
        err.contains("broken") && err.contains("1 of 2 clusters failed"),
        "{err}"
    );
    assert!(
        bundle(dir.path(), "2026-11-22")
            .join("audit.json")
            .is_file()
    );
    assert!(!dir.path().join("out/cluster=broken").exists());
    // Again without --force: the good cluster's bundle exists.
    let again = run_report(&cfg, "2026-11-22", &[], &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("pass --force"));
    // With --force it is replaced (and history gains a row per run).
    std::fs::write(&bad, std::fs::read(DEMO).unwrap()).unwrap();
    let forced = run_report(&cfg, "2026-11-22", &["--force"], &[]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    let rows = history::read(&dir.path().join("out/history.parquet")).unwrap();
    assert_eq!(rows.len(), 3);
}

#[test]
fn a_snapshot_of_another_window_than_configured_fails_the_cluster() {
    // The demo covers one day; the job expects a week.
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let body = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("snapshot = \"", "window = \"7d\"\nsnapshot = \"");
    std::fs::write(&cfg, body).unwrap();
    let out = run_report(&cfg, "2026-11-22", &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("covers 1 day") && err.contains("7 days"),
        "{err}"
    );
    assert!(!bundle(dir.path(), "2026-11-22").exists());
}

#[test]
fn summary_shows_the_change_since_the_previous_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    assert!(run_report(&cfg, "2026-11-22", &[], &[]).status.success());
    assert!(
        run_report(&cfg, "2026-11-23", &["--price-per-gb", "0.04"], &[])
            .status
            .success()
    );
    let md = std::fs::read_to_string(bundle(dir.path(), "2026-11-23").join("summary.md")).unwrap();
    // The price doubled, so the current monthly cost doubles: $272.71 → $545.41.
    assert!(
        md.contains(
            "Since the previous run (2026-11-22): current $272.71 → $545.41 per month (+$272.71)"
        ),
        "{md}"
    );
}

#[test]
fn prometheus_textfile_has_every_metric_and_keeps_failed_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("azcost.prom");
    let cfg = config(dir.path(), "");
    let p = prom.to_str().unwrap();
    assert!(
        run_report(&cfg, "2026-11-22", &["--prometheus-textfile", p], &[])
            .status
            .success()
    );
    let body = std::fs::read_to_string(&prom).unwrap();
    for line in [
        "# TYPE azcost_monthly_cost_usd gauge",
        "azcost_monthly_cost_usd{cluster=\"orders-prod\",scenario=\"current\"} 272.70",
        "azcost_cross_az_bytes{cluster=\"orders-prod\",scenario=\"rack_aware\",kind=\"consume\"}",
        "azcost_savings_monthly_usd{cluster=\"orders-prod\"} 108.89",
        "azcost_last_success_timestamp_seconds{cluster=\"orders-prod\"}",
    ] {
        assert!(body.contains(line), "{line} missing from\n{body}");
    }
    // Next run the cluster fails (bundle exists, no --force): its lines,
    // last-success included, are carried over unchanged.
    let out = run_report(&cfg, "2026-11-22", &["--prometheus-textfile", p], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&prom).unwrap(), body);
}

#[test]
fn flags_beat_environment_beats_file_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "\n[pricing]\nprice_per_gb = 0.03\n");
    let price = |date: &str| -> f64 {
        let doc: serde_json::Value = serde_json::from_slice(
            &std::fs::read(bundle(dir.path(), date).join("audit.json")).unwrap(),
        )
        .unwrap();
        doc["price_per_gb_usd"].as_f64().unwrap()
    };
    assert!(run_report(&cfg, "2026-11-01", &[], &[]).status.success());
    assert_eq!(price("2026-11-01"), 0.03, "file beats default");
    let env = [("AZCOST_PRICE_PER_GB", "0.04")];
    assert!(run_report(&cfg, "2026-11-02", &[], &env).status.success());
    assert_eq!(price("2026-11-02"), 0.04, "environment beats file");
    assert!(
        run_report(&cfg, "2026-11-03", &["--price-per-gb", "0.05"], &env)
            .status
            .success()
    );
    assert_eq!(price("2026-11-03"), 0.05, "flag beats environment");
}

#[test]
fn config_errors_name_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (body, wants) in [
        (
            "[pricing]\nprise_per_gb = 0.02\n",
            vec!["bad.toml", "prise_per_gb"],
        ),
        (
            "[pricing]\nprice_per_gb = \"cheap\"\n",
            vec!["bad.toml", "price_per_gb"],
        ),
        (
            "[[clusters]]\nname = \"x\"\n",
            vec!["bad.toml", "clusters[0]", "missing source"],
        ),
        (
            "[[clusters]]\nname = \"x\"\nsnapshot = \"s.json\"\nbootstrap = \"b:9092\"\n",
            vec!["bad.toml", "bootstrap"],
        ),
        ("", vec!["bad.toml", "no [[clusters]]"]),
        (
            "[[clusters]]\nname = \"x\"\nsnapshot = \"s\"\nwindow = \"soon\"\n",
            vec!["bad.toml", "clusters[0].window"],
        ),
        (
            "[[clusters]]\nname = \"x\"\nsnapshot = \"s\"\ndeadline = \"soon\"\n",
            vec!["bad.toml", "clusters[0].deadline"],
        ),
        (
            "[defaults]\njobs = 0\n[[clusters]]\nname = \"x\"\nsnapshot = \"s\"\n",
            vec!["bad.toml", "jobs", "from 1 to 256"],
        ),
        (
            "[defaults]\nlock_timeout = \"later\"\n[[clusters]]\nname = \"x\"\nsnapshot = \"s\"\n",
            vec!["bad.toml", "defaults.lock_timeout"],
        ),
        (
            &format!(
                "[[clusters]]\nname = \"x\"\nsnapshot = \"{DEMO}\"\n[[owners]]\nname = \"a\"\ntopics = [\"^orders$\"]\n[[owners]]\nname = \"b\"\ntopics = [\"ord\"]\n"
            ),
            vec!["orders", "\"a\"", "\"b\"", "two owners"],
        ),
        (
            "[[clusters]]\nname = \"x\"\nsnapshot = \"s\"\n[[owners]]\nname = \"a\"\ngroups = [\"(\"]\n",
            vec!["owners[0].groups[0]", "regex"],
        ),
    ] {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, body).unwrap();
        let out = azcost(
            &[
                "report",
                "-q",
                "-c",
                path.to_str().unwrap(),
                "--out",
                dir.path().join("o").to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{body}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        for w in wants {
            assert!(err.contains(w), "{w:?} not in {err:?} for {body:?}");
        }
    }
    let out = azcost(&["report", "-c", "/nonexistent.toml"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent.toml"));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let out = azcost(
        &[
            "report",
            "-c",
            cfg.to_str().unwrap(),
            "--date",
            "2026-11-22",
            "--log-format",
            "json",
        ],
        &[],
    );
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = text(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(!lines.is_empty());
    assert_eq!(lines[0]["level"], "info");
    assert_eq!(lines[0]["cluster"], "orders-prod");
    // --quiet prints nothing on success.
    let quiet = run_report(&cfg, "2026-11-23", &[], &[]);
    assert!(quiet.status.success() && quiet.stderr.is_empty());
}

/// The page opened in a real browser: headless Chromium renders the chart
/// and the totals, logs no console error, and screenshots a non-blank page.
#[test]
fn summary_html_renders_in_headless_chromium() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("this test needs Chromium: `apt-get install chromium` (.ci/run installs it)")
        });
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    assert!(run_report(&cfg, "2026-11-22", &[], &[]).status.success());
    let page = bundle(dir.path(), "2026-11-22").join("summary.html");
    let url = format!("file://{}", page.display());
    let profile = dir.path().join("chromium-profile");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let dom = Command::new(chromium)
        .args(common)
        .arg(&profile_arg)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", text(&dom.stderr));
    let rendered = text(&dom.stdout);
    assert!(rendered.contains("<svg"), "no chart in the rendered DOM");
    assert!(rendered.contains("Monthly USD by scenario"));
    assert!(rendered.contains("id=\"totals\"") && rendered.contains("$272.71"));
    let console: Vec<String> = text(&dom.stderr)
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    assert!(console.is_empty(), "console errors: {console:?}");
    let shot = dir.path().join("summary.png");
    let out = Command::new(chromium)
        .args(common)
        .arg(&profile_arg)
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,1600")
        .arg(&url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");
    // A blank white page compresses to a few KB; tables and charts do not.
    assert!(
        png.len() > 30_000,
        "screenshot is {} bytes: blank?",
        png.len()
    );
}

/// Same snapshot and date in two fresh output directories: every file of the
/// bundle is byte-identical (the charts once drew their bars in a different
/// order on every run), so a bundle can be diffed and kept as evidence.
#[test]
fn the_same_input_gives_byte_identical_bundles() {
    let bundles: Vec<BTreeMap<String, Vec<u8>>> = (0..2)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let cfg = config(dir.path(), "");
            let out = run_report(&cfg, "2026-11-22", &[], &[]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            let b = bundle(dir.path(), "2026-11-22");
            tree(&b)
        })
        .collect();
    assert!(
        bundles[0].contains_key("summary.html"),
        "{:?}",
        bundles[0].keys()
    );
    for (name, bytes) in &bundles[0] {
        assert!(
            bundles[1].get(name) == Some(bytes),
            "{name} differs between two runs of the same input"
        );
    }
    assert_eq!(bundles[0].len(), bundles[1].len());
}
