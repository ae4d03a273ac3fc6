//! Summaries that summarize (issue 16): on a messy cluster the terminal,
//! Markdown and HTML reports group findings and warnings by kind and stay
//! within their size budgets, while the JSON and the bundle's CSV files
//! keep every finding and warning. Each kind's total is checked against the
//! model's own combined what-if, built here by hand from the snapshot.

use crate::support::assert_close;
use azcost::findings::{FindingOptions, Findings, find_grouped};
use azcost::model::{Analysis, Pricing, WarningKind, analyze};
use azcost::snapshot::{Snapshot, validate};
use azcost::synth::{MessyParams, generate_messy};
use azcost::whatif::{self, Change, Target};
use polars::prelude::SerReader;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn audit_of(s: &Snapshot) -> (Analysis, Findings) {
    assert!(validate(s).is_empty(), "generated snapshot is valid");
    let a = analyze(s, &Pricing::default());
    let f = find_grouped(s, &a, &FindingOptions::default());
    (a, f)
}

fn kind_total(f: &Findings, kind: &str) -> f64 {
    f.by_kind
        .iter()
        .find(|k| k.kind == kind)
        .map(|k| k.monthly_usd)
        .unwrap_or_else(|| panic!("no findings of kind {kind}"))
}

/// A messy cluster small enough to audit several times in a debug build.
fn small_messy() -> Snapshot {
    generate_messy(&MessyParams {
        seed: 11,
        partitions: 6_000,
        groups: 120,
    })
}

#[test]
fn replica_placement_total_equals_one_combined_reassignment() {
    let s = small_messy();
    let (before, found) = audit_of(&s);
    // Independently: every partition whose replicas miss a zone gets one
    // replica per zone (the what-if's placement), all others stay; then the
    // whole cluster is audited again.
    let zone_of = |id: i32| s.brokers[(id - 1) as usize].rack.clone();
    let placed = whatif::apply(
        &s,
        &[Change::PlaceReplicas {
            topics: Target::All,
            rf: Some(3),
        }],
    )
    .unwrap();
    let mut changed = s.clone();
    let mut moved = 0;
    for (p, q) in changed.partitions.iter_mut().zip(&placed.partitions) {
        let zones: BTreeSet<_> = p.replicas.iter().map(|&r| zone_of(r)).collect();
        if zones.len() < 3 {
            *p = q.clone();
            moved += 1;
        }
    }
    assert!(moved > 1000, "a messy cluster has many short partitions");
    let after = analyze(&changed, &Pricing::default());
    let combined =
        before.scenarios.rack_aware.monthly_cost_usd - after.scenarios.rack_aware.monthly_cost_usd;
    assert!(combined > 0.0);
    assert_close(kind_total(&found, "replicas-not-in-every-zone"), combined);
    let kind = found
        .by_kind
        .iter()
        .find(|k| k.kind == "replicas-not-in-every-zone")
        .unwrap();
    assert!(kind.findings > 1, "one finding per topic");
    assert_eq!(kind.objects.topics, kind.findings);
}

#[test]
fn isr_total_equals_restoring_every_isr_at_once() {
    let s = small_messy();
    let (before, found) = audit_of(&s);
    let restored = whatif::apply(&s, &[Change::RestoreIsr(Target::All)]).unwrap();
    let after = analyze(&restored, &Pricing::default());
    let combined =
        before.scenarios.current.monthly_cost_usd - after.scenarios.current.monthly_cost_usd;
    assert!(combined > 0.0);
    assert_close(kind_total(&found, "isr-shrink-local-follower"), combined);
}

#[test]
fn client_rack_totals_equal_setting_every_members_rack_by_hand() {
    // Every member's zone known, so every wrong rack has a right value.
    let mut s = small_messy();
    for g in &mut s.consumer_groups {
        for (i, m) in g.members.iter_mut().enumerate() {
            if m.zone.is_none() {
                m.zone = Some(format!("use1-az{}", i % 3 + 1));
            }
        }
    }
    let (before, found) = audit_of(&s);
    for (kind, wrong) in [
        ("client-rack-missing", None),
        ("client-rack-az-name", Some("us-east-1")),
    ] {
        // By hand: each member of the kind sends the AZ ID it runs in.
        let mut fixed = s.clone();
        let mut changed = 0;
        for g in &mut fixed.consumer_groups {
            for m in &mut g.members {
                let is_kind = match wrong {
                    None => m.client_rack.is_none(),
                    Some(prefix) => m
                        .client_rack
                        .as_deref()
                        .is_some_and(|r| r.starts_with(prefix)),
                };
                if is_kind {
                    m.client_rack = m.zone.clone();
                    changed += 1;
                }
            }
        }
        assert!(changed > 50, "{kind}: many members");
        let after = analyze(&fixed, &Pricing::default());
        let combined =
            before.scenarios.current.monthly_cost_usd - after.scenarios.current.monthly_cost_usd;
        assert!(combined > 0.0, "{kind}");
        assert_close(kind_total(&found, kind), combined);
        let summary = found.by_kind.iter().find(|k| k.kind == kind).unwrap();
        assert_eq!(
            summary.objects.members, changed,
            "{kind}: members counted once"
        );
    }
}

#[test]
fn kinds_account_for_every_finding_and_warnings_for_every_sentence() {
    let s = small_messy();
    let (a, found) = audit_of(&s);
    let per_kind: usize = found.by_kind.iter().map(|k| k.findings).sum();
    assert_eq!(per_kind, found.items.len());
    let ids: BTreeSet<&str> = found.items.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids.len(), found.items.len(), "finding ids are unique");
    let mut seen: Vec<usize> = a
        .warnings_by_kind
        .iter()
        .flat_map(|g| g.indices.iter().copied())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..a.warnings.len()).collect::<Vec<_>>());
    let unknown = a
        .warnings_by_kind
        .iter()
        .find(|g| g.kind == WarningKind::MembersZoneUnknown)
        .expect("messy members of unknown zone are warned about");
    assert!(unknown.indices.len() > 50);
    // The share is the bytes those members read over all reads.
    let share = unknown.share.unwrap();
    assert_close(
        share,
        a.coverage.bytes_read_unknown_zone / a.coverage.bytes_read,
    );
}

fn azcost(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .env_remove("AZCOST_CONFIG")
        .output()
        .expect("azcost runs")
}

fn write_messy_200k(dir: &Path) -> std::path::PathBuf {
    let s = generate_messy(&MessyParams::at_scale(1));
    let path = dir.join("messy.json");
    std::fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
    path
}

/// The budgets on the messy 200k shape: the terminal audit under
/// 200 lines, summary.md under 100 KB, summary.html under 1 MB; the JSON
/// and the bundle's CSV files keep every finding and warning.
#[test]
fn messy_200k_reports_fit_their_budgets_and_files_keep_everything() {
    let dir = tempfile::tempdir().unwrap();
    let snap = write_messy_200k(dir.path());
    let snap = snap.to_str().unwrap();

    let config = dir.path().join("azcost.toml");
    std::fs::write(
        &config,
        format!(
            "[defaults]\nout = \"{}\"\n\n[[clusters]]\nname = \"messy\"\nsnapshot = \"{snap}\"\n",
            dir.path().join("out").display()
        ),
    )
    .unwrap();
    // The terminal audit and the report job run side by side: each audits
    // the 200k cluster once, and the bundle's audit.json is the JSON output.
    let report = Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args([
            "report",
            "-q",
            "-c",
            config.to_str().unwrap(),
            "--date",
            "2026-11-02",
        ])
        .env_remove("AZCOST_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("azcost report starts");
    let table = azcost(&["audit", "-q", "--snapshot", snap]);
    let run = report.wait_with_output().expect("azcost report runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    let text = String::from_utf8(table.stdout).unwrap();
    let lines = text.lines().count();
    assert!(lines < 200, "terminal audit has {lines} lines");
    assert!(text.contains("more findings (a --top above 10 shows more)"));

    let bundle = dir.path().join("out/cluster=messy/date=2026-11-02");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("audit.json")).unwrap()).unwrap();
    let findings = doc["findings"].as_array().unwrap().len();
    let warnings = doc["warnings"].as_array().unwrap().len();
    assert!(
        findings > 1000,
        "{findings} findings on a messy 200k cluster"
    );
    assert!(
        warnings > 1000,
        "{warnings} warnings on a messy 200k cluster"
    );
    let by_kind: u64 = doc["findings_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["findings"].as_u64().unwrap())
        .sum();
    assert_eq!(by_kind as usize, findings);
    let warned: u64 = doc["warnings_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["count"].as_u64().unwrap())
        .sum();
    assert_eq!(warned as usize, warnings);
    let size = |f: &str| std::fs::metadata(bundle.join(f)).unwrap().len();
    assert!(
        size("summary.md") < 100_000,
        "summary.md {} bytes",
        size("summary.md")
    );
    assert!(
        size("summary.html") < 1_000_000,
        "summary.html {} bytes",
        size("summary.html")
    );
    let rows = |f: &str| {
        let df = polars::prelude::CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(bundle.join(f)))
            .unwrap()
            .finish()
            .unwrap();
        df.height()
    };
    assert_eq!(rows("findings.csv"), findings);
    assert_eq!(rows("warnings.csv"), warnings);
}

/// The demo keeps showing its few findings one by one, with the kinds
/// table above them.
#[test]
fn demo_shows_every_finding_and_the_kinds() {
    let out = azcost(&["audit", "-q"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Every finding (6) by monthly USD"), "{text}");
    assert!(text.contains("saves $/mo (all)"));
    assert!(!text.contains("more findings"));
}
