//! Running a fleet's clusters concurrently: at most `jobs` at once, each on
//! its own thread with its own deadline, so thirty live clusters with
//! 10-minute windows take about thirty / `jobs` windows, not thirty.
//!
//! Why threads and not async: a cluster's run is a blocking librdkafka
//! collection (or a file read) followed by the pure model, and the model
//! already runs on the calling thread everywhere else.
//!
//! A cluster that passes its deadline is given up: it counts as failed at
//! once and its slot goes to the next cluster. Its thread cannot be killed
//! (librdkafka may be blocked in a call), so it is abandoned; a [`Claim`]
//! makes sure it can never publish afterwards: a run must win the claim
//! before it moves its bundle into place, and a run that has won it is
//! waited for (publishing is local file work, not network).

use crate::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RUNNING: u8 = 0;
const PUBLISHING: u8 = 1;
const ABANDONED: u8 = 2;

/// The right of one cluster's run to publish, which the scheduler takes
/// away when the deadline passes first.
#[derive(Clone)]
pub struct Claim(Arc<AtomicU8>);

impl Claim {
    /// Called before publishing: `false` when the deadline already passed
    /// (the run must then discard its work).
    pub fn start_publishing(&self) -> bool {
        self.0
            .compare_exchange(RUNNING, PUBLISHING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    fn abandon(&self) -> bool {
        self.0
            .compare_exchange(RUNNING, ABANDONED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    fn running(&self) -> bool {
        self.0.load(Ordering::SeqCst) == RUNNING
    }
}

/// What a cluster's run does, given its claim.
pub type Work<T> = Box<dyn FnOnce(&Claim) -> Result<T, Error> + Send>;

/// One cluster's run.
pub struct Task<T> {
    /// The cluster's name (thread name and messages).
    pub name: String,
    /// How long the run may take.
    pub deadline: Duration,
    /// The run itself.
    pub work: Work<T>,
}

struct Slot {
    index: usize,
    due: Instant,
    deadline: Duration,
    claim: Claim,
}

/// Runs every task, at most `jobs` at once, and returns their results in
/// task order. `on_start` is called as each starts (for the log).
pub fn run_all<T: Send + 'static>(
    tasks: Vec<Task<T>>,
    jobs: usize,
    on_start: &dyn Fn(&str),
) -> Vec<Result<T, Error>> {
    let n = tasks.len();
    let (tx, rx) = mpsc::channel::<(usize, Result<T, Error>)>();
    let mut results: Vec<Option<Result<T, Error>>> = (0..n).map(|_| None).collect();
    let mut pending = tasks.into_iter().enumerate();
    let mut running: Vec<Slot> = Vec::new();
    loop {
        while running.len() < jobs.max(1) {
            let Some((index, task)) = pending.next() else {
                break;
            };
            on_start(&task.name);
            let claim = Claim(Arc::new(AtomicU8::new(RUNNING)));
            let worker_claim = claim.clone();
            let tx = tx.clone();
            let work = task.work;
            let spawned = std::thread::Builder::new()
                .name(format!("cluster {}", task.name))
                .spawn(move || {
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        work(&worker_claim)
                    }))
                    .unwrap_or_else(|_| {
                        Err(Error::Runtime(
                            "internal error: the run of this cluster panicked".to_string(),
                        ))
                    });
                    let _ = tx.send((index, result));
                });
            match spawned {
                Ok(_) => running.push(Slot {
                    index,
                    due: Instant::now() + task.deadline,
                    deadline: task.deadline,
                    claim,
                }),
                Err(e) => {
                    results[index] = Some(Err(Error::io("starting a thread for the cluster", e)));
                }
            }
        }
        if running.is_empty() {
            break;
        }
        let next_due = running
            .iter()
            .filter(|s| s.claim.running())
            .map(|s| s.due)
            .min();
        let received = match next_due {
            Some(due) => rx.recv_timeout(due.saturating_duration_since(Instant::now())),
            // Every run left is publishing: wait for them however long.
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match received {
            Ok((index, result)) => {
                running.retain(|s| s.index != index);
                results[index] = Some(result);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                running.retain(|s| {
                    if s.due > now || !s.claim.abandon() {
                        return true;
                    }
                    results[s.index] = Some(Err(Error::Runtime(format!(
                        "gave up after {} (the cluster's deadline; set deadline = \"…\" in its [[clusters]] entry to allow longer): no bundle written",
                        humantime::format_duration(s.deadline)
                    ))));
                    false
                });
            }
            // Unreachable while `tx` lives here; leave what is missing as errors.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(Error::Runtime(
                    "internal error: the cluster's run ended without a result".to_string(),
                ))
            })
        })
        .collect()
}
