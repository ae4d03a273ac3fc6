//! Test hooks of the report job, read from the environment: abort the
//! process, or pause it, at a named point of a run, so tests can kill,
//! interrupt or overlap real processes exactly there. Unset, they cost one
//! environment lookup per point.

use crate::error::Error;
use std::time::{Duration, Instant};

/// `AZCOST_TEST_ABORT_AFTER=<point>` aborts the process right after that
/// point (a bundle file's name, `bundle` or `history.parquet`), to prove a
/// killed run changes nothing.
pub const ABORT_HOOK: &str = "AZCOST_TEST_ABORT_AFTER";

/// `AZCOST_TEST_PAUSE_AT=<point>` stops the run at that point (a bundle
/// file's name once staged, or `locked`: holding the `--out` lock) after
/// printing `azcost: test hook: paused at <point> (pid N)`, until the file
/// named by [`RESUME_HOOK`] exists or SIGINT/SIGTERM arrives.
pub const PAUSE_HOOK: &str = "AZCOST_TEST_PAUSE_AT";

/// The file whose existence ends a pause (see [`PAUSE_HOOK`]).
pub const RESUME_HOOK: &str = "AZCOST_TEST_RESUME";

/// Longest pause, so a forgotten test process ends by itself.
const MAX_PAUSE: Duration = Duration::from_secs(120);

/// Aborts when the abort hook names `point`.
pub fn crash_point(point: &str) {
    if std::env::var(ABORT_HOOK).is_ok_and(|v| v == point) {
        std::process::abort();
    }
}

/// Pauses when the pause hook names `point`; an interrupt during the pause
/// is an error, so the caller unwinds as it would at any other point.
pub fn pause(point: &str) -> Result<(), Error> {
    if !std::env::var(PAUSE_HOOK).is_ok_and(|v| v == point) {
        return Ok(());
    }
    eprintln!(
        "azcost: test hook: paused at {point} (pid {})",
        std::process::id()
    );
    let resume = std::env::var_os(RESUME_HOOK);
    let until = Instant::now() + MAX_PAUSE;
    while Instant::now() < until {
        if super::lock::stopping() {
            return Err(Error::Runtime(format!("interrupted at {point}")));
        }
        if resume
            .as_ref()
            .is_some_and(|f| std::path::Path::new(f).exists())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}
