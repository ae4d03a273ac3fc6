//! Bytes in a window to dollars in the window and per month: the one
//! formula every figure of an analysis goes through (the breakdowns when
//! they are made, a finance row when it is read), so both give the same
//! bits.

use super::BYTES_PER_GB;

/// Turns bytes into USD in the window, and USD in the window into USD per month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Money {
    price_per_gb: f64,
    /// Months per window: monthly USD = window USD × this.
    pub(super) month_factor: f64,
}

impl Money {
    /// At `price_per_gb`, with months of `month_hours` and a window of
    /// `window_seconds`.
    pub(super) fn new(price_per_gb: f64, month_hours: f64, window_seconds: f64) -> Self {
        Money {
            price_per_gb,
            month_factor: month_hours * 3600.0 / window_seconds,
        }
    }

    /// USD in the window of `bytes` billed.
    pub(super) fn usd(self, bytes: f64) -> f64 {
        bytes / BYTES_PER_GB * self.price_per_gb
    }
}
