//! Is follower fetching (KIP-392) really happening? Pure check from a
//! snapshot and CloudWatch's measured `BytesOutPerSec` per broker.
//!
//! Under leader-only fetching every consumer byte leaves the partition's
//! leader. The *follower-served share* of a set of per-(broker, topic)
//! figures is Σ max(0, out(b,t) − leader_reads(b,t)) / Σ out(b,t): the bytes brokers
//! sent beyond what their leadership explains. It is computed for the
//! measured figures and for what the `current` scenario predicts (the
//! selector and each member's `client.rack`, as in the cost model), and
//! compared: measured ≥ 5% and at least half the prediction → yes; some
//! but less than half → partly; under 5% → no.

use super::cloudwatch::{ALL_BROKERS, Measured, MetricName};
use crate::model::placement::Placement;
use crate::snapshot::Snapshot;
use std::collections::{BTreeMap, HashMap};

/// Below this follower-served share, nothing is observed.
pub const OBSERVED_THRESHOLD: f64 = 0.05;

/// One broker's consumer bytes out of one topic over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerFigures {
    /// Broker id.
    pub broker: i32,
    /// Topic; `None` when CloudWatch was read per broker only.
    pub topic: Option<String>,
    /// Measured `BytesOutPerSec` × seconds.
    pub measured: f64,
    /// Reads of the partitions it leads (leader-only fetching).
    pub leader_only: f64,
    /// What the `current` scenario says it serves.
    pub current: f64,
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Followers serve about as much as the `current` scenario predicts, or more.
    Yes,
    /// Followers serve some, but less than half the prediction.
    Partly,
    /// Followers serve (almost) nothing.
    No,
    /// No consumer bytes were measured, or not per broker and topic.
    Unknown,
}

impl Outcome {
    /// `yes`, `partly`, `no`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Yes => "yes",
            Outcome::Partly => "partly",
            Outcome::No => "no",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The verdict with its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// yes / partly / no / unknown.
    pub outcome: Outcome,
    /// Measured follower-served share, 0–1.
    pub measured_share: f64,
    /// Predicted by `current`, 0–1.
    pub predicted_share: f64,
    /// Σ measured bytes out.
    pub measured_bytes: f64,
    /// Per broker.
    pub brokers: Vec<BrokerFigures>,
    /// Why the verdict is unknown without judging figures (placement
    /// assumed, no per-broker topic series).
    pub reason: Option<String>,
}

impl Verdict {
    /// One line for stderr, warnings and provenance.
    pub fn sentence(&self) -> String {
        if let Some(r) = &self.reason {
            return format!("follower fetching observed: unknown ({r})");
        }
        let gb = |b: f64| b / crate::model::BYTES_PER_GB;
        let served: f64 = self
            .brokers
            .iter()
            .map(|b| (b.measured - b.leader_only).max(0.0))
            .sum();
        format!(
            "follower fetching observed: {} ({:.1}% of the {:.2} GB CloudWatch measured in BytesOutPerSec, {:.2} GB, left brokers beyond the reads of the partitions they lead; the current scenario predicts {:.1}%)",
            self.outcome.as_str(),
            100.0 * self.measured_share,
            gb(self.measured_bytes),
            gb(served),
            100.0 * self.predicted_share
        )
    }
}

/// Judges per-broker figures.
pub fn judge(brokers: Vec<BrokerFigures>) -> Verdict {
    let share = |f: &dyn Fn(&BrokerFigures) -> f64| {
        let total: f64 = brokers.iter().map(f).sum();
        if total <= 0.0 {
            0.0
        } else {
            brokers
                .iter()
                .map(|b| (f(b) - b.leader_only).max(0.0))
                .sum::<f64>()
                / total
        }
    };
    let measured_share = share(&|b| b.measured);
    let predicted_share = share(&|b| b.current);
    let measured_bytes: f64 = brokers.iter().map(|b| b.measured).sum();
    let outcome = if measured_bytes <= 0.0 {
        Outcome::Unknown
    } else if measured_share < OBSERVED_THRESHOLD {
        Outcome::No
    } else if predicted_share > 0.0 && measured_share < 0.5 * predicted_share {
        Outcome::Partly
    } else {
        Outcome::Yes
    };
    Verdict {
        outcome,
        measured_share,
        predicted_share,
        measured_bytes,
        brokers,
        reason: None,
    }
}

/// Figures from the snapshot (predicted) and CloudWatch (measured).
pub fn check(s: &Snapshot, m: &Measured) -> Verdict {
    let out_keys = || m.bytes.keys().filter(|k| k.metric == MetricName::BytesOut);
    let per_topic = out_keys().any(|k| k.topic.is_some());
    let per_broker_topic = out_keys().any(|k| k.topic.is_some() && k.broker != ALL_BROKERS);
    let unknown = |reason: &str| Verdict {
        outcome: Outcome::Unknown,
        measured_share: 0.0,
        predicted_share: 0.0,
        measured_bytes: out_keys().map(|k| m.bytes[k]).sum(),
        brokers: Vec::new(),
        reason: Some(reason.to_string()),
    };
    if !per_topic {
        return unknown(
            "Kafka was not read, so placement is assumed: which broker leads which partition is unknown and per-broker BytesOutPerSec cannot be compared with leadership",
        );
    }
    if !per_broker_topic {
        return unknown(
            "CloudWatch has BytesOutPerSec per topic only for the whole cluster at this enhanced monitoring level (per broker and topic needs PER_TOPIC_PER_BROKER), so which broker served consumers is not measured",
        );
    }
    let mut measured: BTreeMap<(i32, Option<String>), f64> = BTreeMap::new();
    for (k, bytes) in &m.bytes {
        if k.metric == MetricName::BytesOut {
            *measured.entry((k.broker, k.topic.clone())).or_default() += bytes;
        }
    }
    let placement = Placement::new(s);
    let index: HashMap<(&str, i32), usize> = s
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.topic.as_str(), p.partition), i))
        .collect();
    let mut leader_only: BTreeMap<(i32, Option<String>), f64> = BTreeMap::new();
    let mut current: BTreeMap<(i32, Option<String>), f64> = BTreeMap::new();
    for g in &s.consumer_groups {
        let mut owner: HashMap<(&str, i32), Option<&str>> = HashMap::new();
        for mem in &g.members {
            for a in &mem.assignment {
                for &p in &a.partitions {
                    owner.insert((a.topic.as_str(), p), mem.client_rack.as_deref());
                }
            }
        }
        let reads: Vec<(&str, i32, f64)> = match &g.bytes_read {
            Some(r) => r
                .iter()
                .map(|r| (r.topic.as_str(), r.partition, r.bytes))
                .collect(),
            None => owner
                .keys()
                .filter_map(|&(t, p)| {
                    index
                        .get(&(t, p))
                        .map(|&i| (t, p, s.partitions[i].bytes_in))
                })
                .collect(),
        };
        for (t, p, bytes) in reads {
            let Some(&i) = index.get(&(t, p)) else {
                continue;
            };
            let Some(place) = placement.partition(&s.partitions[i]) else {
                continue;
            };
            let leader_id = s.brokers[place.leader()].id;
            let topic = per_topic.then(|| t.to_string());
            *leader_only.entry((leader_id, topic.clone())).or_default() += bytes;
            let rack = owner.get(&(t, p)).copied().flatten();
            let serving = if placement.selector_enabled {
                placement.preferred_read_replica(&place, rack)
            } else {
                place.leader()
            };
            *current.entry((s.brokers[serving].id, topic)).or_default() += bytes;
        }
    }
    let ids: std::collections::BTreeSet<(i32, Option<String>)> = measured
        .keys()
        .chain(leader_only.keys())
        .chain(current.keys())
        .cloned()
        .collect();
    judge(
        ids.into_iter()
            .map(|key| BrokerFigures {
                measured: measured.get(&key).copied().unwrap_or(0.0),
                leader_only: leader_only.get(&key).copied().unwrap_or(0.0),
                current: current.get(&key).copied().unwrap_or(0.0),
                broker: key.0,
                topic: key.1,
            })
            .collect(),
    )
}
