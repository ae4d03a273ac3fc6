//! Speed and memory of `azcost audit` at scale (issue 2): a seeded
//! 200,000-partition, 60-broker, 2,000-group snapshot audited end to end
//! (parse, validate, model, every breakdown, findings, JSON out), then ten
//! times the partitions and groups. Prints figures; asserts nothing, since
//! a timed test on a shared machine proves little. Run: `cargo bench`.
//!
//! Flags: `--quick` runs 1x only; `--save DIR` keeps the generated snapshots.
//!
//! Each audit runs in a child process of this binary so its peak memory
//! (VmHWM) is the audit's alone, not the generator's.

use azcost::model::{Pricing, analyze};
use azcost::report::{Format, render};
use azcost::snapshot::parse_and_validate;
use azcost::synth::{SynthParams, generate};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1]);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let scales: &[usize] = if quick { &[1] } else { &[1, 10] };
    println!("azcost audit benchmark (2-core target: 1x under 0.5 s and 512 MiB; 10x under 5 s)");
    for &k in scales {
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
        let snapshot = generate(&params);
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
            Some(d) => std::path::Path::new(d).join(format!("synthetic-{k}x.json")),
            None => dir.path().join("snapshot.json"),
        };
        std::fs::write(&file, &json).expect("write snapshot");
        println!(
            "\n{k}x: {} partitions, {} brokers, {} groups, {reads} assigned partitions; snapshot {:.1} MB (generated in {:.2} s)",
            params.partitions,
            params.brokers,
            params.groups,
            json.len() as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        drop(json);
        for run in 1..=3 {
            let out = std::process::Command::new(std::env::current_exe().expect("exe"))
                .args(["--child", file.to_str().expect("utf-8 path")])
                .output()
                .expect("child runs");
            print!("  run {run}: {}", String::from_utf8_lossy(&out.stdout));
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                std::process::exit(1);
            }
        }
    }
}

fn child(path: &str) {
    let t0 = Instant::now();
    let bytes = std::fs::read(path).expect("read snapshot");
    let t_read = t0.elapsed();
    let snapshot = parse_and_validate(&bytes, path).unwrap_or_else(|e| panic!("{e}"));
    let t_parse = t0.elapsed();
    let analysis = analyze(&snapshot, &Pricing::default());
    let t_model = t0.elapsed();
    let findings = azcost::findings::find(&snapshot, &analysis, &Default::default());
    let t_findings = t0.elapsed();
    let json = render(&analysis, &findings, Format::Json, None, 10).expect("render");
    let t_total = t0.elapsed();
    println!(
        "total {:.3} s (read {:.3}, parse+validate {:.3}, model+breakdowns {:.3}, findings {:.3} ({} found), JSON out {:.3}); without findings {:.3} s; peak RSS {} MiB; report {:.1} MB; {} finance rows",
        t_total.as_secs_f64(),
        t_read.as_secs_f64(),
        (t_parse - t_read).as_secs_f64(),
        (t_model - t_parse).as_secs_f64(),
        (t_findings - t_model).as_secs_f64(),
        findings.len(),
        (t_total - t_findings).as_secs_f64(),
        (t_total - (t_findings - t_model)).as_secs_f64(),
        peak_rss_mib(),
        json.len() as f64 / 1e6,
        analysis.flows.len()
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
