//! `azcost report` failing while it writes (issue 12): a full disk, a
//! read-only or unusable `--out`, SIGTERM and SIGINT mid-run. Each is exit
//! 1 naming the path and the reason (or the signal), with the previous
//! bundle, history and textfile byte-identical and no staging left.
//!
//! The full and read-only disks are a real tmpfs the test mounts (it needs
//! root, as `.ci/run` has; it says so otherwise).

use crate::job_support::*;
use azcost::job::hooks;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn try_mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("mount(8): {e}"))?;
        if out.status.success() {
            Ok(Tmpfs(at.to_path_buf()))
        } else {
            Err(text(&out.stderr))
        }
    }

    fn mount(at: &Path, size: &str) -> Tmpfs {
        Tmpfs::try_mount(at, size).unwrap_or_else(|e| {
            panic!("this test mounts a small tmpfs and remounts it read-only, which needs root (CAP_SYS_ADMIN), as .ci/run has: {e}")
        })
    }

    fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount read-only");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` but `free` bytes with `dir/filler`.
fn fill_leaving(dir: &Path, free: u64) {
    use std::io::Write;
    let path = dir.join("filler");
    let _ = std::fs::remove_file(&path);
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0u64;
    while f.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
    }
    let _ = f.sync_all();
    f.set_len(written.saturating_sub(free)).unwrap();
}

fn report(cfg: &Path, date: &str, more: &[&str]) -> std::process::Output {
    azcost()
        .args(["report", "-q", "-c", cfg.to_str().unwrap(), "--date", date])
        .args(more)
        .output()
        .unwrap()
}

/// Everything under `out` but the filler.
fn state(out: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut t = tree(out);
    t.remove("filler");
    t
}

/// How the test fills the disk: a real full filesystem where it can
/// mount one, else a per-process file size limit.
enum Limit {
    /// A tmpfs, filled but `free` bytes before each run.
    Tmpfs(Tmpfs),
    /// `RLIMIT_FSIZE` of the azcost process (`prlimit --fsize`, with
    /// SIGXFSZ ignored so the write fails with EFBIG instead of killing).
    FileSize,
}

/// Runs `azcost report` with the level's limit applied.
fn report_limited(
    limit: &Limit,
    level: u64,
    cfg: &Path,
    date: &str,
    more: &[&str],
) -> std::process::Output {
    match limit {
        Limit::Tmpfs(_) => report(cfg, date, more),
        Limit::FileSize => {
            let mut cmd = Command::new("sh");
            cmd.arg("-c")
                .arg(format!(
                    "trap '' XFSZ; exec prlimit --fsize={level} -- \"$@\""
                ))
                .arg("sh")
                .arg(env!("CARGO_BIN_EXE_azcost"))
                .args(["report", "-q", "-c", cfg.to_str().unwrap(), "--date", date])
                .args(more);
            for (k, _) in std::env::vars_os() {
                if k.to_string_lossy().starts_with("AZCOST_") {
                    cmd.env_remove(k);
                }
            }
            cmd.output().unwrap()
        }
    }
}

#[test]
fn a_full_disk_is_exit_1_naming_the_path_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let limit = match Tmpfs::try_mount(&mnt, "8m") {
        Ok(fs) => {
            eprintln!(
                "full disk: a tmpfs of 8 MiB at {}, filled before each run",
                mnt.display()
            );
            Limit::Tmpfs(fs)
        }
        Err(why) => {
            eprintln!(
                "full disk: cannot mount a tmpfs ({why}); using RLIMIT_FSIZE (prlimit --fsize) instead"
            );
            std::fs::create_dir_all(&mnt).unwrap();
            Limit::FileSize
        }
    };
    let reason = match limit {
        Limit::Tmpfs(_) => "No space left on device",
        Limit::FileSize => "File too large",
    };
    let out = mnt.join("out");
    let prom = out.join("azcost.prom");
    let snap = demo_as(dir.path(), "a.json", "orders-prod");
    let cfg = dir.path().join("c.toml");
    write_config(&cfg, &out, &[("orders-prod", &snap)], "");
    let p = ["--prometheus-textfile", prom.to_str().unwrap()];
    assert!(report(&cfg, "2026-11-22", &p).status.success());
    let before = state(&out);
    let mut points = std::collections::BTreeSet::new();
    let mut succeeded = false;
    // Ever more room: the run fails at a later write each time, until it
    // fits. A new date and a --force replacement at each level.
    'levels: for level in (0..160u64).map(|k| k * 8192) {
        if let Limit::Tmpfs(_) = limit {
            fill_leaving(&out, level);
        }
        for (date, force) in [("2026-11-23", false), ("2026-11-22", true)] {
            let mut args = p.to_vec();
            if force {
                args.push("--force");
            }
            let run = report_limited(&limit, level, &cfg, date, &args);
            let err = text(&run.stderr);
            if run.status.success() {
                succeeded = true;
                eprintln!("full disk: the run fits at {level} bytes");
                break 'levels;
            }
            assert_eq!(run.status.code(), Some(1), "{level} bytes: {err}");
            assert!(err.contains(reason), "{err}");
            assert!(err.contains(out.to_str().unwrap()), "no path in {err}");
            assert_eq!(state(&out), before, "{level} bytes, {date}: {err}");
            let path = err
                .split_whitespace()
                .find(|w| w.starts_with(out.to_str().unwrap()))
                .unwrap_or_default()
                .to_string();
            points.insert(path.replace(out.to_str().unwrap(), "OUT"));
        }
    }
    let how = match &limit {
        Limit::Tmpfs(fs) => format!("a full tmpfs at {}", fs.0.display()),
        Limit::FileSize => "RLIMIT_FSIZE".to_string(),
    };
    eprintln!("full disk ({how}): failures named {points:?}");
    assert!(
        succeeded,
        "never enough room for one bundle: the test is miscalibrated"
    );
    assert!(points.len() >= 2, "failures at one point only: {points:?}");
}

#[test]
fn a_read_only_or_unusable_out_is_exit_1_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    let fs = Tmpfs::mount(&mnt, "8m");
    let out = mnt.join("out");
    let prom = out.join("azcost.prom");
    let snap = demo_as(dir.path(), "a.json", "orders-prod");
    let cfg = dir.path().join("c.toml");
    write_config(&cfg, &out, &[("orders-prod", &snap)], "");
    let p = ["--prometheus-textfile", prom.to_str().unwrap()];
    assert!(report(&cfg, "2026-11-22", &p).status.success());
    let before = tree(&out);
    fs.remount_read_only();
    for (date, force) in [("2026-11-23", false), ("2026-11-22", true)] {
        let mut args = p.to_vec();
        if force {
            args.push("--force");
        }
        let run = report(&cfg, date, &args);
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(
            err.contains("Read-only file system") && err.contains(out.to_str().unwrap()),
            "{err}"
        );
        assert_eq!(tree(&out), before);
    }
}

#[test]
fn an_out_below_a_regular_file_is_exit_1_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let snap = demo_as(dir.path(), "a.json", "orders-prod");
    let cfg = dir.path().join("c.toml");
    write_config(&cfg, &dir.path().join("out"), &[("orders-prod", &snap)], "");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let bad_out = file.join("out");
    let run = report(&cfg, "2026-11-22", &["--out", bad_out.to_str().unwrap()]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(bad_out.to_str().unwrap()) && err.contains("Not a directory"),
        "{err}"
    );
}

/// SIGTERM and SIGINT at each point of a run (a bundle file staged, the
/// lock held before the swap): exit 1, the earlier bundle, history and
/// textfile unchanged, no staging directory.
#[test]
fn sigterm_or_sigint_mid_run_is_exit_1_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let prom = out.join("azcost.prom");
    let snap = demo_as(dir.path(), "a.json", "orders-prod");
    let cfg = dir.path().join("c.toml");
    write_config(&cfg, &out, &[("orders-prod", &snap)], "");
    let p = ["--prometheus-textfile", prom.to_str().unwrap()];
    assert!(report(&cfg, "2026-11-22", &p).status.success());
    let before = tree(&out);
    let points = ["snapshot.json", "finance.csv", "summary.html", "locked"];
    for (i, point) in points.iter().enumerate() {
        let sig = if i % 2 == 0 { "TERM" } else { "INT" };
        for (date, force) in [("2026-11-23", false), ("2026-11-22", true)] {
            let mut cmd = azcost();
            cmd.args(["report", "-c", cfg.to_str().unwrap(), "--date", date])
                .args(p)
                .env(hooks::PAUSE_HOOK, point)
                .env(hooks::RESUME_HOOK, dir.path().join("never"));
            if force {
                cmd.arg("--force");
            }
            let mut run = Running::start(cmd);
            run.wait_for(&format!("paused at {point}"));
            run.signal(sig);
            let (code, err) = run.finish();
            assert_eq!(code, Some(1), "SIG{sig} at {point}: {err}");
            assert!(err.contains(&format!("interrupted by SIG{sig}")), "{err}");
            assert_eq!(tree(&out), before, "SIG{sig} at {point} ({date})");
        }
    }
}
