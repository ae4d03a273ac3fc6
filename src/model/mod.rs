//! The cost model of `shared/design/cost-model.md`: pure and offline.
//!
//! Snapshot in, [`Analysis`] out; no network, clock or environment, so the
//! same snapshot always gives a byte-identical report.

pub mod cost;
pub mod finance;
pub mod flows;
pub mod frames;
pub mod matrix;
mod money;
pub mod placement;
pub mod reads;
pub mod selection;
pub mod warnings;

pub use cost::{Analysis, Pricing, ScenarioTotals, analyze};
pub use warnings::{WarningGroup, WarningKind, member_label};

use serde::Serialize;

/// Bytes in the GB that prices are quoted in: 2^30, our stated convention.
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

/// Default price of one GB crossing zones: $0.01 out of one + $0.01 into the other.
pub const DEFAULT_PRICE_PER_GB: f64 = 0.02;

/// Hours in the month that monthly figures project to.
pub const DEFAULT_MONTH_HOURS: f64 = 730.0;

/// One of the three ways consumers may fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// No rack awareness: every fetch goes to the leader.
    LeaderOnly,
    /// As configured now (selector setting and each member's `client.rack`).
    Current,
    /// Selector on and every `client.rack` equal to the member's real zone.
    RackAware,
}

impl Scenario {
    /// The three scenarios in report order.
    pub const ALL: [Scenario; 3] = [Scenario::LeaderOnly, Scenario::Current, Scenario::RackAware];

    /// Position in [`Scenario::ALL`].
    pub fn index(self) -> usize {
        match self {
            Scenario::LeaderOnly => 0,
            Scenario::Current => 1,
            Scenario::RackAware => 2,
        }
    }

    /// The name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::LeaderOnly => "leader_only",
            Scenario::Current => "current",
            Scenario::RackAware => "rack_aware",
        }
    }
}

/// Why bytes cross a zone boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Traffic {
    /// Producer → leader.
    Produce,
    /// Leader → follower.
    Replication,
    /// Broker → consumer.
    Consume,
}

impl Traffic {
    /// The three kinds in report order.
    pub const ALL: [Traffic; 3] = [Traffic::Produce, Traffic::Replication, Traffic::Consume];

    /// The name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Traffic::Produce => "produce",
            Traffic::Replication => "replication",
            Traffic::Consume => "consume",
        }
    }
}

/// One value per scenario, in report order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PerScenario<T> {
    /// `leader_only`.
    pub leader_only: T,
    /// `current`.
    pub current: T,
    /// `rack_aware`.
    pub rack_aware: T,
}

impl<T> PerScenario<T> {
    /// Builds each value from its scenario.
    pub fn from_fn(mut f: impl FnMut(Scenario) -> T) -> Self {
        PerScenario {
            leader_only: f(Scenario::LeaderOnly),
            current: f(Scenario::Current),
            rack_aware: f(Scenario::RackAware),
        }
    }

    /// The value of one scenario.
    pub fn get(&self, scenario: Scenario) -> &T {
        match scenario {
            Scenario::LeaderOnly => &self.leader_only,
            Scenario::Current => &self.current,
            Scenario::RackAware => &self.rack_aware,
        }
    }
}
