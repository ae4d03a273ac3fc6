//! `azcost report` processes sharing one `--out` (issue 12): runs started
//! together keep every history row and every cluster's textfile lines, two
//! runs of one bundle never mix, a lock held too long names its holder,
//! and a soak of 200 overlapping runs leaves exactly what succeeded.

use crate::job_support::*;
use azcost::job::{BUNDLE_FILES, history, hooks};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn report_cmd(cfg: &Path, date: &str, more: &[&str]) -> Command {
    let mut cmd = azcost();
    cmd.args(["report", "-c", cfg.to_str().unwrap(), "--date", date])
        .args(more);
    cmd
}

/// The reproduction: runs started together, different dates and
/// clusters, one `--out` and one textfile. Before the lock, three of four
/// history rows were lost.
#[test]
fn runs_started_together_keep_every_history_row_and_textfile_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let prom = out.join("azcost.prom");
    let names = ["east", "west", "north", "south"];
    let mut children = Vec::new();
    for (i, name) in names.iter().cycle().take(8).enumerate() {
        let snap = demo_as(dir.path(), &format!("{name}.json"), name);
        let cfg = dir.path().join(format!("c{i}.toml"));
        write_config(&cfg, &out, &[(name, &snap)], "");
        let date = format!("2026-11-{:02}", 10 + i);
        let mut cmd = report_cmd(
            &cfg,
            &date,
            &["-q", "--prometheus-textfile", prom.to_str().unwrap()],
        );
        children.push((date, cmd.spawn().unwrap()));
    }
    for (date, mut child) in children {
        assert!(child.wait().unwrap().success(), "run of {date} failed");
    }
    let rows = history::read(&out.join("history.parquet")).unwrap();
    let mut got: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.cluster.clone(), r.date.clone()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = names
        .iter()
        .cycle()
        .take(8)
        .enumerate()
        .map(|(i, n)| (n.to_string(), format!("2026-11-{:02}", 10 + i)))
        .collect();
    want.sort();
    assert_eq!(got, want, "one history row per run");
    let samples = parse_prometheus(&std::fs::read_to_string(&prom).unwrap()).unwrap();
    let clusters: BTreeSet<&str> = samples
        .iter()
        .filter(|s| s.name == "azcost_last_success_timestamp_seconds")
        .map(|s| s.labels["cluster"].as_str())
        .collect();
    assert_eq!(clusters, names.iter().copied().collect());
    assert!(debris(&out).is_empty(), "{:?}", debris(&out));
}

/// A second run of the same cluster and date while the first holds the
/// lock (paused there by the test hook): with `--force` it waits and then
/// replaces the bundle whole; without it, it fails with "exists"; neither
/// leaves staging or a mixed bundle.
#[test]
fn a_second_run_of_the_same_bundle_waits_and_never_mixes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let snap = demo_as(dir.path(), "a.json", "orders-prod");
    let cfg = dir.path().join("c.toml");
    write_config(&cfg, &out, &[("orders-prod", &snap)], "");
    let resume = dir.path().join("resume");
    let date = "2026-11-22";
    let mut first = report_cmd(&cfg, date, &["--force", "--price-per-gb", "0.02"]);
    first
        .env(hooks::PAUSE_HOOK, "locked")
        .env(hooks::RESUME_HOOK, &resume);
    let mut first = Running::start(first);
    first.wait_for("paused at locked");
    let forced = Running::start(report_cmd(
        &cfg,
        date,
        &["-q", "--force", "--price-per-gb", "0.05"],
    ));
    let plain = Running::start(report_cmd(&cfg, date, &["-q", "--price-per-gb", "0.07"]));
    // Both have staged (or will) but cannot publish while the lock is held.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut forced = forced;
    let mut plain = plain;
    assert!(
        forced.child.try_wait().unwrap().is_none(),
        "published past the lock"
    );
    let early_plain = plain.child.try_wait().unwrap();
    std::fs::write(&resume, "").unwrap();
    let (code, err) = first.finish();
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = forced.finish();
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = plain.finish();
    assert_eq!(code, Some(2), "{err} (exited early: {early_plain:?})");
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    // The bundle is one run's, whole: the price of audit.json is the price
    // every other file was computed with.
    let b = out.join("cluster=orders-prod/date=2026-11-22");
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("audit.json")).unwrap()).unwrap();
    let price = audit["price_per_gb_usd"].as_f64().unwrap();
    assert_eq!(price, 0.05, "the forced run published last");
    let current = azcost::numbers::usd(
        audit["scenarios"]["current"]["monthly_cost_usd"]
            .as_f64()
            .unwrap(),
    );
    let md = std::fs::read_to_string(b.join("summary.md")).unwrap();
    assert!(
        md.contains(&current),
        "summary.md is not from the same run as audit.json"
    );
    let html = std::fs::read_to_string(b.join("summary.html")).unwrap();
    assert!(
        html.contains(&current),
        "summary.html is not from the same run"
    );
    let files: BTreeSet<String> = std::fs::read_dir(&b)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, BUNDLE_FILES.iter().map(|s| s.to_string()).collect());
    let rows = history::read(&out.join("history.parquet")).unwrap();
    assert_eq!(rows.len(), 2, "two successful runs, two rows");
    assert!(debris(&out).is_empty(), "{:?}", debris(&out));
}

/// A lock held longer than `--lock-timeout`: exit 1, the message names the
/// holder's pid, and the waiting run leaves nothing behind.
#[test]
fn a_lock_held_too_long_is_exit_1_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let snap = demo_as(dir.path(), "a.json", "a");
    let cfg = dir.path().join("c.toml");
    write_config(&cfg, &out, &[("a", &snap)], "");
    let resume = dir.path().join("resume");
    let mut holder = report_cmd(&cfg, "2026-11-01", &[]);
    holder
        .env(hooks::PAUSE_HOOK, "locked")
        .env(hooks::RESUME_HOOK, &resume);
    let mut holder = Running::start(holder);
    holder.wait_for("paused at locked");
    let waiter = report_cmd(&cfg, "2026-11-02", &["-q", "--lock-timeout", "300ms"])
        .output()
        .unwrap();
    let err = text(&waiter.stderr);
    assert_eq!(waiter.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("pid {}", holder.pid())) && err.contains("locked by"),
        "{err}"
    );
    assert!(!out.join("cluster=a/date=2026-11-02").exists());
    std::fs::write(&resume, "").unwrap();
    let (code, err) = holder.finish();
    assert_eq!(code, Some(0), "{err}");
    assert!(debris(&out).is_empty(), "{:?}", debris(&out));
}

/// What one soak run was asked to do.
struct Plan {
    clusters: &'static str,
    date: String,
    force: bool,
    terminate: bool,
}

/// 200 real `azcost report` processes, eight at a time, over rotating
/// dates and three clusters; some fail on purpose (a bad snapshot, a
/// bundle that exists without --force, SIGTERM mid-run). Afterwards the
/// history has exactly one row per success the runs logged, every bundle
/// is whole, the textfile parses, and `--out` holds nothing else.
#[test]
fn soak_200_overlapping_runs_leave_exactly_what_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let prom = out.join("azcost.prom");
    let good: Vec<_> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|n| demo_as(dir.path(), &format!("{n}.json"), n))
        .collect();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"format\": \"azcost.snapshot/v1\"}").unwrap();
    // Config "all": three good clusters; "broken": gamma's snapshot is bad.
    write_config(
        &dir.path().join("all.toml"),
        &out,
        &[("alpha", &good[0]), ("beta", &good[1]), ("gamma", &good[2])],
        "",
    );
    write_config(
        &dir.path().join("broken.toml"),
        &out,
        &[("alpha", &good[0]), ("gamma", &bad)],
        "",
    );
    write_config(
        &dir.path().join("beta.toml"),
        &out,
        &[("beta", &good[1])],
        "",
    );
    let plans: Vec<Plan> = (0..200)
        .map(|i| Plan {
            clusters: ["all", "broken", "beta"][i % 3],
            date: format!("2026-10-{:02}", 1 + (i * 7) % 12),
            force: i % 4 != 0,
            terminate: i % 25 == 13,
        })
        .collect();
    let mut successes: BTreeMap<String, usize> = BTreeMap::new();
    let mut exits: BTreeMap<String, usize> = BTreeMap::new();
    for wave in plans.chunks(8) {
        let mut running = Vec::new();
        for p in wave {
            let cfg = dir.path().join(format!("{}.toml", p.clusters));
            let mut args = vec![
                "--log-format",
                "json",
                "--prometheus-textfile",
                prom.to_str().unwrap(),
            ];
            if p.force {
                args.push("--force");
            }
            let r = Running::start(report_cmd(&cfg, &p.date, &args));
            running.push((p, r));
        }
        for (p, r) in &running {
            if p.terminate {
                std::thread::sleep(std::time::Duration::from_millis(40));
                r.signal("TERM");
            }
        }
        for (p, r) in running {
            let (code, err) = r.finish();
            *exits.entry(format!("{code:?}")).or_default() += 1;
            // Everything azcost logs is JSON but main's closing error line.
            for line in err.lines().filter(|l| l.starts_with('{')) {
                let v: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line:?}"));
                let msg = v["msg"].as_str().unwrap_or_default();
                if v["level"] == "info" && msg.contains(" written: ") {
                    let c = v["cluster"].as_str().unwrap().to_string();
                    *successes.entry(format!("{c} {}", p.date)).or_default() += 1;
                }
            }
            if !p.terminate {
                assert!(matches!(code, Some(0..=2)), "{code:?}: {err}");
            }
        }
    }
    eprintln!("soak exit codes: {exits:?}");
    let rows = history::read(&out.join("history.parquet")).unwrap();
    let mut per_key: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        *per_key
            .entry(format!("{} {}", r.cluster, r.date))
            .or_default() += 1;
    }
    assert_eq!(
        per_key, successes,
        "history rows per (cluster, date) = logged successes"
    );
    let total: usize = successes.values().sum();
    assert!(
        total > 100,
        "only {total} successes: the soak did not exercise much"
    );
    assert!(
        exits.keys().any(|k| k != "Some(0)"),
        "nothing failed: {exits:?}"
    );
    // Every bundle whole; nothing but bundles, history and the textfile.
    for entry in std::fs::read_dir(&out).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        match name.as_str() {
            "history.parquet" | "azcost.prom" => continue,
            n if n.starts_with("cluster=") => {}
            other => panic!("unexpected {other} under --out"),
        }
        for date_dir in std::fs::read_dir(entry.path()).unwrap() {
            let date_dir = date_dir.unwrap();
            let dname = date_dir.file_name().to_string_lossy().into_owned();
            assert!(dname.starts_with("date="), "unexpected {name}/{dname}");
            let files: BTreeSet<String> = std::fs::read_dir(date_dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(
                files,
                BUNDLE_FILES.iter().map(|s| s.to_string()).collect(),
                "{name}/{dname}"
            );
            let audit: serde_json::Value =
                serde_json::from_slice(&std::fs::read(date_dir.path().join("audit.json")).unwrap())
                    .unwrap();
            assert!(audit["scenarios"]["current"]["monthly_cost_usd"].is_number());
            let key = format!("{} {}", &name["cluster=".len()..], &dname["date=".len()..]);
            assert!(
                successes.contains_key(&key),
                "{key} has a bundle but no success"
            );
        }
    }
    let samples = parse_prometheus(&std::fs::read_to_string(&prom).unwrap()).unwrap();
    let clusters: BTreeSet<&str> = samples
        .iter()
        .map(|s| s.labels["cluster"].as_str())
        .collect();
    assert_eq!(clusters, ["alpha", "beta", "gamma"].into_iter().collect());
}
