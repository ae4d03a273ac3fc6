//! Findings: what to change, on which group, topic or broker, and what it
//! is worth per month. Pure: computed from the snapshot and its analysis.

use serde::Serialize;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Costs real money now, or silently defeats rack awareness.
    High,
    /// Worth fixing.
    Medium,
    /// Good to know.
    Low,
    /// No money at stake.
    Info,
}

/// The objects a finding names.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Objects {
    /// Topics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// `topic/partition`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<String>,
    /// Consumer groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Members as `group/member`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Broker ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub brokers: Vec<i32>,
}

/// One thing to change and what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: the kind, then the object (`client-rack-unset/billing`).
    pub id: String,
    /// How much it matters.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub title: String,
    /// What it names.
    pub objects: Objects,
    /// Monthly USD it would save (0 when none).
    #[serde(serialize_with = "usd")]
    pub monthly_usd: f64,
    /// The exact change.
    pub fix: String,
    /// What the change costs in latency or resilience.
    pub tradeoff: String,
}

fn usd<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    crate::report::json::Num(crate::model::frames::round_usd(*v)).serialize(s)
}

/// Every finding for a snapshot and its analysis, most valuable first.
pub fn find(_s: &crate::snapshot::Snapshot, _a: &crate::model::Analysis) -> Vec<Finding> {
    Vec::new()
}
