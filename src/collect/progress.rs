//! What a collection is doing, on standard error: a spinner per step and a
//! bar for the window (architecture habit 12). Hidden when standard error
//! is not a terminal or with `--quiet`, so cron mail and CI logs stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Progress of one collection.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Visible only when asked for and standard error is a terminal.
    pub fn new(visible: bool) -> Self {
        let bar = ProgressBar::new_spinner();
        if !(visible && std::io::stderr().is_terminal()) {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar }
    }

    /// Starts a step with no known length.
    pub fn step(&self, what: impl Into<String>) {
        self.bar.set_style(ProgressStyle::default_spinner());
        self.bar.set_length(0);
        self.bar.set_message(what.into());
    }

    /// Starts a counted step.
    pub fn counted(&self, what: impl Into<String>, total: u64) {
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        self.bar.set_length(total);
        self.bar.set_position(0);
        self.bar.set_message(what.into());
    }

    /// Advances a counted step.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Sets a counted step's position.
    pub fn set(&self, pos: u64) {
        self.bar.set_position(pos);
    }

    /// Clears the line when the collection ends.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
