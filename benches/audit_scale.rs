//! Speed and memory of `azcost audit` at scale (issues 2 and 13): seeded
//! 200,000-partition, 60-broker, 2,000-group snapshots audited end to end
//! (read, parse, validate, model, breakdowns, findings, JSON out), then ten
//! times the partitions and groups, in two shapes: `tidy` (one replica per
//! zone) and `messy` (replicas placed with no regard to zone, shrunk ISRs,
//! wrong and missing racks, unknown zones: `synth::generate_messy`), since
//! a tidy cluster hides the work findings do on a messy one. Prints
//! figures; asserts nothing, since a timed test on a shared machine proves
//! little. Run: `cargo bench`.
//!
//! Flags: `--quick` runs 1x only; `--profile tidy|messy` runs one shape;
//! `--save DIR` keeps the generated snapshots.
//!
//! Each audit runs in a child process of this binary so its peak memory
//! (VmHWM) is the audit's alone, not the generator's.

use azcost::findings::ReplicaFix;
use azcost::model::Pricing;
use azcost::model::cost::{analyze_beside, analyze_indexed};
use azcost::report::{Format, render};
use azcost::snapshot::{SnapshotSource, parse, read, validate};
use azcost::synth::{MessyParams, SynthParams, generate, generate_messy};
use clap::Parser;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1]);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--user-child") {
        user_child(&args[i + 1], &args[i + 2], true);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--user-child-no-findings") {
        user_child(&args[i + 1], &args[i + 2], false);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--command-child") {
        command_child(&args[i + 1..]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let scales: &[usize] = if quick { &[1] } else { &[1, 10] };
    let only = args
        .iter()
        .position(|a| a == "--profile")
        .and_then(|i| args.get(i + 1))
        .cloned();
    println!(
        "azcost audit benchmark (issue 13 targets on 2 cores: messy 1x <= 0.25 s and 256 MiB; messy 10x <= 2.5 s and 1 GiB; 10x/1x <= 11; findings <= 1/4 of the audit)"
    );
    for profile in ["tidy", "messy"] {
        if only.as_deref().is_some_and(|p| p != profile) {
            continue;
        }
        for &k in scales {
            run_scale(profile, k, &args);
        }
    }
}

fn run_scale(profile: &str, k: usize, args: &[String]) {
    {
        let params = SynthParams {
            seed: 42,
            zones: 3,
            brokers: 60,
            partitions: 200_000 * k,
            partitions_per_topic: 100,
            groups: 2_000 * k,
            members_per_group: 6,
            topics_per_group: 2,
        };
        let started = Instant::now();
        let snapshot = if profile == "messy" {
            generate_messy(&MessyParams::at_scale(k))
        } else {
            generate(&params)
        };
        let json = serde_json::to_string(&snapshot).expect("serializable");
        let reads: usize = snapshot
            .consumer_groups
            .iter()
            .flat_map(|g| &g.members)
            .flat_map(|m| &m.assignment)
            .map(|a| a.partitions.len())
            .sum();
        drop(snapshot);
        let dir = tempfile::tempdir().expect("temp dir");
        // `--save DIR` keeps the snapshots, to try them with `azcost audit`.
        let keep = args
            .iter()
            .position(|a| a == "--save")
            .and_then(|i| args.get(i + 1));
        let file = match keep {
            Some(d) => std::path::Path::new(d).join(format!("{profile}-{k}x.json")),
            None => dir.path().join("snapshot.json"),
        };
        std::fs::write(&file, &json).expect("write snapshot");
        println!(
            "\n{profile} {k}x: {} partitions, 60 brokers, {} groups, {reads} assigned partitions; snapshot {:.1} MB (generated in {:.2} s)",
            200_000 * k,
            2_000 * k,
            json.len() as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        drop(json);
        // First as `azcost audit` runs it (what the targets are about: the
        // analysis and the findings overlap there, on both cores), with
        // and without the findings; then stage by stage, one after
        // another, to see where the time goes.
        // The modes take turns (with, without, by stage, with, ...): run
        // back to back, the first mode's runs came right after the
        // snapshot was generated and freed, and were slower for it.
        let written = dir.path().join("audit.json");
        let modes = [
            ("--user-child", "as azcost audit"),
            ("--user-child-no-findings", "as azcost audit, no findings"),
            ("--child", "by stage"),
        ];
        let mut totals = vec![Vec::new(); modes.len()];
        for run in 1..=3 {
            for (m, (mode, label)) in modes.iter().enumerate() {
                // Each child writes a new file, not over the last one's.
                let _ = std::fs::remove_file(&written);
                let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                    .args([*mode, file.to_str().expect("utf-8 path")])
                    .arg(&written)
                    .output()
                    .expect("child runs");
                let line = String::from_utf8_lossy(&out.stdout).to_string();
                print!("  {label}, run {run}: {line}");
                if !out.status.success() {
                    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                    std::process::exit(1);
                }
                totals[m].extend(
                    line.split_whitespace()
                        .nth(1)
                        .and_then(|t| t.parse::<f64>().ok()),
                );
            }
        }
        // What the findings add to the audit as it runs: each run's
        // difference of the two modes (run one after the other), their
        // median (work that overlaps the analysis on the other core adds
        // nothing to the wall time; contention does).
        let added = median(
            totals[0]
                .iter()
                .zip(&totals[1])
                .map(|(w, o)| w - o)
                .collect(),
        );
        let medians: Vec<f64> = totals.into_iter().map(median).collect();
        println!(
            "  as azcost audit: median {:.3} s (target {})",
            medians[0],
            if k == 1 { "<= 0.25 s" } else { "<= 2.5 s" }
        );
        println!(
            "  findings as azcost audit runs them: {added:.3} s of the audit's {:.3} s ({:.0}%; target <= 25%): the median of the runs' differences, with findings {:.3} s, without {:.3} s (medians)",
            medians[0],
            100.0 * added / medians[0],
            medians[0],
            medians[1]
        );
        if profile == "messy" {
            commands(&file, dir.path());
        }
    }
}

/// Issue 13's last target: `azcost report` and `azcost what-if` within 2x
/// of `azcost audit` on the same snapshot, each run as the command runs
/// (argument parsing to files written) in a child, three times.
fn commands(snapshot: &std::path::Path, dir: &std::path::Path) {
    let file = snapshot.to_str().expect("utf-8 path");
    let at = |name: &str| dir.join(name).to_str().expect("utf-8 path").to_string();
    let config = at("azcost.toml");
    std::fs::write(
        &config,
        format!(
            "[defaults]\nout = {:?}\n\n[[clusters]]\nname = \"bench\"\nsnapshot = {file:?}\n",
            at("reports")
        ),
    )
    .expect("write the report config");
    let runs: [(&str, Vec<String>); 3] = [
        (
            "azcost audit --format json",
            [
                "audit",
                "--snapshot",
                file,
                "--format",
                "json",
                "--quiet",
                "--output",
            ]
            .map(String::from)
            .into_iter()
            .chain([at("audit.json")])
            .collect(),
        ),
        (
            "azcost what-if --set-client-rack all --enable-selector",
            [
                "what-if",
                "--snapshot",
                file,
                "--set-client-rack",
                "all",
                "--enable-selector",
            ]
            .map(String::from)
            .into_iter()
            .chain([
                "--quiet".to_string(),
                "--output".to_string(),
                at("what-if.txt"),
            ])
            .collect(),
        ),
        (
            "azcost report (one cluster, every bundle file)",
            [
                "report",
                "--config",
                &config,
                "--date",
                "2026-11-02",
                "--force",
                "--quiet",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ];
    // The commands take turns, as the audit's modes do.
    let mut times = vec![Vec::new(); runs.len()];
    for run in 1..=3 {
        for (c, (label, args)) in runs.iter().enumerate() {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .arg("--command-child")
                .args(args)
                .output()
                .expect("child runs");
            let line = String::from_utf8_lossy(&out.stdout).to_string();
            print!("  {label}, run {run}: {line}");
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
            times[c].extend(
                line.split_whitespace()
                    .nth(1)
                    .and_then(|t| t.parse::<f64>().ok()),
            );
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    println!(
        "  medians: audit {:.2} s, what-if {:.2} s ({:.2}x the audit), report {:.2} s ({:.2}x the audit; target <= 2x)",
        medians[0],
        medians[1],
        medians[1] / medians[0],
        medians[2],
        medians[2] / medians[0]
    );
}

/// `azcost ARGS...` in this process, timed from argument parsing to the
/// last file written.
fn command_child(args: &[String]) {
    let clock = Instant::now();
    let cli = azcost::cli::Cli::try_parse_from(
        std::iter::once("azcost").chain(args.iter().map(String::as_str)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    azcost::run(cli).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "total {:.3} s; peak RSS {} MiB",
        clock.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
}

fn child(path: &str) {
    let clock = Instant::now();
    let now = || clock.elapsed().as_secs_f64();
    // What `azcost audit --snapshot FILE` does, stage by stage.
    let text = read(&SnapshotSource::File(path.into())).unwrap_or_else(|e| panic!("{e}"));
    let read = now();
    let snapshot = parse(text, path).unwrap_or_else(|e| panic!("{e}"));
    let parse_done = now();
    let problems = validate(&snapshot);
    assert!(problems.is_empty(), "{problems:?}");
    let parsed = now();
    // The snapshot is indexed once for the model and the findings (as
    // `azcost audit` does). The model's flows alone first, then the whole
    // analysis (flows again, plus every breakdown): the difference is the
    // breakdowns' share. The extra flows pass is left out of the total.
    let index = azcost::model::flows::Index::new(&snapshot);
    let indexed = now();
    drop(azcost::model::flows::from_index(&index));
    let flowed = now();
    let pricing = Pricing::default();
    let cpu_analysis = cpu_seconds();
    let analysis = analyze_indexed(&index, &pricing);
    let analysed = now();
    let cpu_analysis = cpu_seconds() - cpu_analysis;
    // Findings: the work they add to the audit, one part after another.
    // The replica fix's "before" half is summed in the analysis's own pass
    // (`analyze_beside`, as `azcost audit` runs it): its share is that
    // pass's time over the plain analysis's, measured by running the
    // analysis again with it (that run is left out of the total, but not
    // out of the peak RSS: the first analysis is alive meanwhile). As a
    // difference of two runs it can come out slightly negative.
    let cpu_before = cpu_seconds();
    let fix = ReplicaFix::find(&index);
    let found_short = now();
    let cpu_short = cpu_seconds();
    let before = fix
        .beside()
        .map(|beside| analyze_beside(&index, &pricing, beside).1);
    let besides = now();
    let cpu_besides = cpu_seconds();
    let beside_time = match &before {
        Some(_) => (besides - found_short) - (analysed - flowed),
        None => 0.0,
    };
    let beside_cpu = match &before {
        Some(_) => (cpu_besides - cpu_short) - cpu_analysis,
        None => 0.0,
    };
    let before = before.unwrap_or_default();
    let findings =
        azcost::findings::find_fixing(&index, &analysis, &Default::default(), fix, &before);
    let found = now();
    let findings_time = (found_short - analysed) + beside_time + (found - besides);
    let findings_cpu = (cpu_short - cpu_before) + beside_cpu + (cpu_seconds() - cpu_besides);
    drop(index);
    let json = render(&analysis, &findings, Format::Json, None, 10).expect("render");
    let rendered = now();
    let tally = flowed - indexed;
    let flows = flowed - parsed;
    let analysis_time = analysed - flowed;
    let total = rendered - tally - (besides - found_short) + beside_time;
    println!(
        "total {total:.3} s (read {read:.3}, parse {:.3}, validate {:.3}, model {flows:.3} (index {:.3}), breakdowns {:.3}, findings {findings_time:.3} ({findings_cpu:.2} CPU-s on both cores, of which the replica fix's sums beside the analysis {beside_time:.3} s, {beside_cpu:.2} CPU-s; {} found in {} kinds), JSON out {:.3}); without findings {:.3} s; peak RSS {} MiB; report {:.1} MB; {} finance rows",
        parse_done - read,
        parsed - parse_done,
        indexed - parsed,
        (analysis_time - tally).max(0.0),
        findings.items.len(),
        findings.by_kind.len(),
        rendered - found,
        total - findings_time,
        peak_rss_mib(),
        json.len() as f64 / 1e6,
        analysis.flows.len()
    );
}

/// What `azcost audit --snapshot FILE --format json --output OUT` does,
/// timed whole: read, parse, validate, `findings::audit` (index, analysis
/// and findings, overlapped as the command runs them) and the JSON,
/// streamed to `out` as the command streams it. Without `findings`, the
/// same audit with the analysis alone (`analyze_indexed`) and no findings
/// in the document: the findings' share is the difference.
fn user_child(path: &str, out: &str, with_findings: bool) {
    let clock = Instant::now();
    let text = read(&SnapshotSource::File(path.into())).unwrap_or_else(|e| panic!("{e}"));
    let snapshot = parse(text, path).unwrap_or_else(|e| panic!("{e}"));
    let problems = validate(&snapshot);
    assert!(problems.is_empty(), "{problems:?}");
    let loaded = clock.elapsed().as_secs_f64();
    let (analysis, findings) = if with_findings {
        azcost::findings::audit(&snapshot, &Pricing::default(), &Default::default())
    } else {
        let index = azcost::model::flows::Index::new(&snapshot);
        let analysis = analyze_indexed(&index, &Pricing::default());
        (analysis, azcost::findings::Findings::default())
    };
    let audited = clock.elapsed().as_secs_f64();
    azcost::output::emit_streamed(Some(std::path::Path::new(out)), |w| {
        azcost::report::json::write(&analysis, &findings, 10, w)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let total = clock.elapsed().as_secs_f64();
    let size = std::fs::metadata(out).map_or(0, |m| m.len());
    println!(
        "total {total:.3} s (read, parse and validate {loaded:.3}, audit {} findings {:.3}, JSON out {:.3}); peak RSS {} MiB; {} findings; report {:.1} MB",
        if with_findings { "with" } else { "without" },
        audited - loaded,
        total - audited,
        peak_rss_mib(),
        findings.items.len(),
        size as f64 / 1e6
    );
    // As the command does: what the audit made is not freed one by one.
    std::mem::forget((snapshot, analysis, findings));
}

/// The middle of `values` (the upper middle of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// CPU time this process has used, user and system, in seconds (to 1/100
/// s): the work a stage does whatever the other core was doing.
fn cpu_seconds() -> f64 {
    let ticks: Option<f64> = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces): utime and
            // stime are the 12th and 13th.
            let rest = &s[s.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
        });
    ticks.map_or(f64::NAN, |t| t / 100.0)
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
