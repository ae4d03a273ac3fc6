//! SIGINT and SIGTERM during a run: the staging directories of bundles not
//! yet in place are removed and the process exits 1, leaving the previous
//! bundles, history and textfile as they were.
//!
//! Why a handler rather than leaving debris for the next run to sweep: a
//! timer stopped by systemd (`systemctl stop`, a shutdown) or a person's
//! Ctrl-C is ordinary, and `--out` should not fill with half bundles
//! between runs; the sweep of old staging (see `bundle`) is only for
//! SIGKILL and power loss. The handler runs on its own thread (signal-hook's
//! iterator), takes the critical-section mutex of [`super::lock`] so a swap
//! or history write in progress finishes first, then removes every
//! registered staging directory and exits while still holding the mutex and
//! the registry, so nothing starts after it (no staging directory is created
//! between the handler reading the registry and the exit).
//!
//! Bundle files are written on several threads at once (the snapshot's copy
//! and the placement map beside the analysis), so a file could be created
//! in a staging directory while the handler empties it: `remove_dir_all`
//! would then fail on the last `rmdir` and leave the directory behind. Each
//! write, and a failed run's own removal of its staging, holds
//! [`writing`]'s shared lock; the handler takes it exclusively first, so it
//! removes directories no one is writing into or removing. The largest
//! files are made as they are written (`Staged::write_with`), so the
//! handler can wait for a file's making as well as its writing: at 2M
//! partitions, the placement map's encoding, a few seconds at most.

use super::lock;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

/// Staging directories of this process not yet moved into place.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn staging() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    STAGING.lock().unwrap_or_else(|p| p.into_inner())
}

/// Shared by writes into staging directories, exclusive for the handler
/// while it removes them (see the module docs).
static WRITING: RwLock<()> = RwLock::new(());

/// Runs `write` (one file written into a staging directory, or a staging
/// directory removed) so the handler never removes a staging directory in
/// the middle of it.
pub fn writing<T>(write: impl FnOnce() -> T) -> T {
    let _shared = WRITING.read().unwrap_or_else(|p| p.into_inner());
    write()
}

/// Creates a staging directory with `create` and registers it, under the
/// registry's mutex so the handler never misses one.
pub fn register<T>(create: impl FnOnce() -> std::io::Result<(PathBuf, T)>) -> std::io::Result<T> {
    let mut list = staging();
    let (path, value) = create()?;
    list.push(path);
    Ok(value)
}

/// Forgets a staging directory (it was moved into place or removed).
pub fn unregister(path: &Path) {
    staging().retain(|p| p != path);
}

/// Installs the handler. Called once, at the start of `azcost report`,
/// before anything is written. An error (no signal support) is reported
/// and the run goes on: the stale-staging sweep still cleans up later.
pub fn install(log: &super::log::Log) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(s) => s,
        Err(e) => {
            log.error(
                None,
                &format!("cannot handle SIGINT/SIGTERM ({e}): an interrupted run leaves staging for the next run to clear"),
            );
            return;
        }
    };
    let log = *log;
    let spawned = std::thread::Builder::new()
        .name("azcost-signals".to_string())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                lock::set_stopping();
                // Waits for a swap or history write in progress to finish.
                let _critical = lock::critical();
                // Waits for files being written into staging to be whole;
                // held until the exit, so no new file is started.
                let _writes = WRITING.write().unwrap_or_else(|p| p.into_inner());
                // Held until the exit: a cluster starting now cannot create
                // a staging directory after the list was read.
                let list = staging();
                for dir in list.iter() {
                    let _ = std::fs::remove_dir_all(dir);
                }
                log.error(
                    None,
                    &format!(
                        "interrupted by {name}: stopped; {} unfinished bundle(s) discarded, earlier bundles, history and textfile unchanged",
                        list.len()
                    ),
                );
                std::process::exit(i32::from(crate::error::EXIT_RUNTIME));
            }
        });
    if let Err(e) = spawned {
        log.error(None, &format!("cannot start the signal thread: {e}"));
    }
}

/// When a signal is being handled, leaves the exit (status and message) to
/// the handler instead of racing it with the job's own summary; returns
/// after a few seconds if the handler never exits (it always should).
pub fn await_handler() {
    if !lock::stopping() {
        return;
    }
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
