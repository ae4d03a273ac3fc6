//! The advisory lock that makes the short read-modify-write steps of a run
//! safe when several `azcost report` processes share `--out` (a cron job
//! catching up beside the timer, a manual run): moving a bundle into place,
//! appending to `history.parquet`, merging the Prometheus textfile.
//!
//! Why a lock and not an append-only layout: the history stays one file
//! that every existing reader (and the trend sentence) reads as before, and
//! the critical sections are milliseconds long, so a run never waits on
//! another run's Kafka window, only on its file swaps.
//!
//! The lock is `flock(2)` on the directory itself, so no lock file is left
//! behind: the kernel drops it when the holder exits, however it exits. The
//! holder writes who it is (pid, host, start time) to [`HOLDER_NOTE`] while
//! it holds the lock, so a run that gives up after its bounded wait can name
//! it. Threads of one process are serialised first by a process-wide mutex
//! (flock does not order threads sharing nothing but a path), which the
//! signal handler also takes before it exits, so an interrupt never lands
//! in the middle of a swap.

use crate::error::Error;
use rustix::fs::{FlockOperation, flock};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Name of the note the holder writes in the locked directory (hidden, so
/// Hive-style readers and node_exporter skip it), removed before unlocking.
pub const HOLDER_NOTE: &str = ".azcost-lock-holder";

/// Default bound on the wait for the lock.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// Serialises critical sections inside one process; see the module docs.
static CRITICAL: Mutex<()> = Mutex::new(());

/// Set once SIGINT or SIGTERM arrived: waits give up, nothing new starts.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Says the process is being stopped (called by the signal handler).
pub fn set_stopping() {
    STOPPING.store(true, Ordering::SeqCst);
}

/// Whether the process is being stopped.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// Takes the process-wide critical-section mutex: the signal handler holds
/// it while it cleans up and exits. A poisoned mutex is still a mutex.
pub fn critical() -> MutexGuard<'static, ()> {
    CRITICAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A held lock on a directory; dropping it removes the note and unlocks
/// (and, for the first lock of a critical section, releases the
/// process-wide mutex).
pub struct DirLock {
    dir: PathBuf,
    file: File,
    _critical: Option<MutexGuard<'static, ()>>,
}

impl DirLock {
    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Locks a second directory inside this critical section (the
    /// textfile's, when it is not `--out`). Always taken after `--out`'s,
    /// so two runs never wait on each other in opposite orders.
    pub fn also(&self, dir: &Path, wait: Duration, what: &str) -> Result<DirLock, Error> {
        Ok(DirLock {
            dir: dir.to_path_buf(),
            file: flock_dir(dir, wait, what)?,
            _critical: None,
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // The note goes first: once unlocked, the next holder writes its own.
        let _ = std::fs::remove_file(self.dir.join(HOLDER_NOTE));
        let _ = flock(&self.file, FlockOperation::Unlock);
    }
}

/// Locks `dir` for a critical section, waiting at most `wait`. `what` says
/// what the lock is for, in the timeout message. Gives up at once when the
/// process is stopping.
pub fn acquire(dir: &Path, wait: Duration, what: &str) -> Result<DirLock, Error> {
    let critical = critical();
    Ok(DirLock {
        dir: dir.to_path_buf(),
        file: flock_dir(dir, wait, what)?,
        _critical: Some(critical),
    })
}

fn flock_dir(dir: &Path, wait: Duration, what: &str) -> Result<File, Error> {
    let file = File::open(dir)
        .map_err(|e| Error::io(format!("opening {} to lock it", dir.display()), e))?;
    let deadline = Instant::now() + wait;
    loop {
        if stopping() {
            return Err(Error::Runtime(format!(
                "interrupted while waiting for the lock on {}",
                dir.display()
            )));
        }
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => break,
            Err(e) if e == rustix::io::Errno::WOULDBLOCK || e == rustix::io::Errno::INTR => {}
            Err(e) => {
                return Err(Error::io(
                    format!("locking {}", dir.display()),
                    std::io::Error::from(e),
                ));
            }
        }
        if Instant::now() >= deadline {
            let holder = std::fs::read_to_string(dir.join(HOLDER_NOTE))
                .map(|s| s.trim().to_string())
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "another process (it left no note)".to_string());
            return Err(Error::Runtime(format!(
                "{}: still locked by {holder} after waiting {} to {what}; raise --lock-timeout or check that process",
                dir.display(),
                humantime::format_duration(wait)
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Best effort (a full disk may refuse it): the note only helps a
    // waiter's message.
    let _ = std::fs::write(dir.join(HOLDER_NOTE), holder_note());
    Ok(file)
}

/// `azcost report pid 123 on host db-1, started 2026-11-22T06:10:00Z`.
fn holder_note() -> String {
    format!(
        "azcost report pid {} on host {}, started {}\n",
        std::process::id(),
        host_name(),
        started()
    )
}

/// This machine's name, for the holder note (never fails).
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}

/// When this process started (the first call's time, made at start-up).
pub fn started() -> &'static str {
    static STARTED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STARTED.get_or_init(|| {
        jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
    })
}
