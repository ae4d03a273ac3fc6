//! The binary as a user runs it: exit codes, stderr wording, files written.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn azcost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .output()
        .expect("azcost runs")
}

fn azcost_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("azcost runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("azcost ends")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn audit_without_snapshot_audits_the_demo_and_says_so_first() {
    let out = azcost(&["audit"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("built-in demo snapshot"));
    assert!(text(&out.stdout).contains("Cross-AZ traffic by scenario"));
}

#[test]
fn json_from_stdin_matches_json_from_file() {
    let demo = azcost::snapshot::DEMO_JSON.as_bytes();
    let from_stdin = azcost_stdin(&["audit", "--snapshot", "-", "--format", "json"], demo);
    assert_eq!(
        from_stdin.status.code(),
        Some(0),
        "{}",
        text(&from_stdin.stderr)
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");
    let from_file = azcost(&["audit", "-s", path, "-f", "json"]);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let doc: serde_json::Value = serde_json::from_slice(&from_file.stdout).expect("JSON");
    assert_eq!(doc["format"], "azcost.audit/v1");
    assert!(from_file.stderr.is_empty(), "no demo note for a real file");
}

#[test]
fn invalid_snapshot_exits_2_naming_file_and_path() {
    let mut v: serde_json::Value = serde_json::from_str(azcost::snapshot::DEMO_JSON).unwrap();
    v["partitions"][3]["isr"] = serde_json::json!([1, 99]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, v.to_string()).unwrap();
    let out = azcost(&["audit", "--snapshot", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("partitions[3].isr[1]"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_and_bad_flags_exit_2() {
    let out = azcost(&["audit", "--snapshot", "/nonexistent/snap.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/snap.json"));
    for args in [
        &["audit", "--price-per-gb", "-1"][..],
        &["audit", "--price-per-gb", "NaN"],
        &["audit", "--month-hours", "0"],
        &["audit", "--platform", "gcp"],
        &["audit", "--format", "xml"],
        &["audit", "--top", "0"],
        &["audit", "--no-such-flag"],
    ] {
        let out = azcost(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).is_empty());
    }
}

#[test]
fn output_is_written_atomically_and_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.csv");
    let out = azcost(&["audit", "-q", "-f", "csv", "-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.starts_with("cluster,window_start"));
    // Findings go beside the finance CSV, whose header never changes.
    let findings = std::fs::read_to_string(dir.path().join("audit.findings.csv")).unwrap();
    assert!(findings.starts_with("id,severity,monthly_usd,title,objects,fix,tradeoff"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "audit.csv" && e.file_name() != "audit.findings.csv")
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    // A bad snapshot leaves the earlier file untouched.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let out = azcost(&[
        "audit",
        "-s",
        bad.to_str().unwrap(),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    // A missing directory is a bad flag.
    let nowhere = dir.path().join("no/such/dir/a.json");
    let out = azcost(&["audit", "-q", "-o", nowhere.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("does not exist"));
}

#[test]
fn fail_on_warnings_exits_3_after_writing_the_report() {
    let out = azcost(&["audit", "-q", "--fail-on-warnings", "-f", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report written");
    assert!(!doc["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn help_documents_every_flag_with_its_default() {
    let out = azcost(&["audit", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for flag in [
        "--snapshot",
        "--price-per-gb",
        "--platform",
        "--month-hours",
        "--top",
        "--format",
        "--output",
        "--fail-on-warnings",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    assert!(help.contains("[default: 0.02]"));
    assert!(help.contains("[default: 730]"));
}

#[test]
fn platform_flag_overrides_the_snapshot() {
    let out = azcost(&["audit", "-q", "-f", "json", "--platform", "self-managed"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["scenarios"]["current"];
    assert_eq!(doc["platform"], "self-managed");
    let billed = s["billed_cross_az_bytes"].as_f64().unwrap();
    let sum = s["consume_cross_az_bytes"].as_f64().unwrap()
        + s["produce_cross_az_bytes"].as_f64().unwrap()
        + s["replication_cross_az_bytes"].as_f64().unwrap();
    assert!((billed - sum).abs() < 1.0, "{billed} vs {sum}");
}

/// Files and bundles azcost writes get the mode any program's files get
/// (0666 / 0777 less the umask), not the temp file's 0600 / 0700 they are
/// renamed from: finance reads these exports from a shared folder.
#[test]
fn written_files_and_bundles_are_readable_like_any_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");
    std::fs::write(
        dir.path().join("azcost.toml"),
        format!("[defaults]\nout = \"{d}/out\"\n\n[[clusters]]\nname = \"demo\"\nsnapshot = \"{demo}\"\n"),
    )
    .unwrap();
    let exe = env!("CARGO_BIN_EXE_azcost");
    let script = format!(
        "umask 022 && {exe} audit -q -o {d}/audit.txt && {exe} audit -q -f csv -o {d}/finance.csv && {exe} placement -q -f csv -o {d}/placement.csv && {exe} report -q -c {d}/azcost.toml --date 2026-11-02"
    );
    let out = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = |p: std::path::PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    for f in [
        "audit.txt",
        "finance.csv",
        "finance.findings.csv",
        "placement.csv",
    ] {
        assert_eq!(mode(dir.path().join(f)), 0o644, "{f}");
    }
    let bundle = dir.path().join("out/cluster=demo/date=2026-11-02");
    assert_eq!(mode(bundle.clone()), 0o755, "bundle directory");
    assert_eq!(mode(bundle.join("finance.csv")), 0o644, "bundle file");
    assert_eq!(
        mode(dir.path().join("out/history.parquet")),
        0o644,
        "history"
    );
}

/// `audit --format json` is written out as it is made, in 1 MiB chunks on
/// a second thread: to a file or to stdout, the bytes are those of the
/// document rendered whole in memory (a snapshot whose audit spans
/// several chunks).
#[test]
fn streamed_json_is_the_document_rendered_in_memory() {
    use azcost::synth::{MessyParams, generate_messy};
    let snap = generate_messy(&MessyParams {
        seed: 11,
        partitions: 80_000,
        groups: 800,
    });
    let (analysis, found) = azcost::findings::audit(
        &snap,
        &azcost::model::Pricing::default(),
        &azcost::findings::FindingOptions::default(),
    );
    let expected = azcost::report::json::render(&analysis, &found, 10);
    assert!(expected.len() > 3 << 20, "{} bytes", expected.len());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("snap.json");
    std::fs::write(&input, azcost::snapshot::to_json(&snap)).unwrap();
    let file = dir.path().join("audit.json");
    let args = ["audit", "-q", "-f", "json", "-s", input.to_str().unwrap()];
    let out = azcost(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout == expected.as_bytes(), "stdout differs");
    let out = azcost(&[&args[..], &["-o", file.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        std::fs::read(&file).unwrap() == expected.as_bytes(),
        "file differs"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "temp files left: {names:?}");
}

/// A full disk on stdout is an error that says so (exit 1), not a
/// silently short report; a reader closing the pipe early is not.
#[cfg(target_os = "linux")]
#[test]
fn json_to_a_full_disk_fails_and_to_a_closed_pipe_does_not() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full (Linux)");
    let out = Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(["audit", "-q", "-f", "json"])
        .stdout(full)
        .output()
        .expect("azcost runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("writing to standard output: No space left"),
        "{}",
        text(&out.stderr)
    );
    // A document far larger than a pipe's buffer, so azcost is still
    // writing when the pipe closes.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("snap.json");
    let snap = azcost::synth::generate_messy(&azcost::synth::MessyParams {
        seed: 5,
        partitions: 40_000,
        groups: 400,
    });
    std::fs::write(&input, azcost::snapshot::to_json(&snap)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(["audit", "-q", "-f", "json", "-s", input.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("azcost runs");
    // Read one byte, then close the pipe.
    let mut first = [0u8; 1];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(first[0], b'{');
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
