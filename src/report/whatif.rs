//! The what-if report: the audit before and after a set of changes, and the
//! difference per scenario, topic and consumer group.
//!
//! JSON is `{"changes", "before", "after", "difference"}` where `before` and
//! `after` are whole `azcost.audit/v1` documents.

use super::json::document;
use super::table::{Layout, Renderer, Style};
use crate::findings::Findings;
use crate::model::frames::{round_bytes, round_usd};
use crate::model::{Analysis, PerScenario, Scenario};
use crate::numbers::Num;
use crate::numbers::{gb, usd};
use crate::whatif::{Change, Target};
use serde::Serialize;
use std::collections::BTreeMap;

/// Two audits of the same cluster and the changes between them.
pub struct Comparison<'a> {
    /// The changes applied, in order.
    pub changes: &'a [Change],
    /// Audit and findings before.
    pub before: (&'a Analysis, &'a Findings),
    /// Audit and findings after.
    pub after: (&'a Analysis, &'a Findings),
    /// Rows in the topic and group tables.
    pub top: usize,
}

/// A number before, after, and after − before.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Delta {
    before: Num,
    after: Num,
    difference: Num,
}

fn delta_usd(before: f64, after: f64) -> Delta {
    Delta {
        before: Num(round_usd(before)),
        after: Num(round_usd(after)),
        difference: Num(round_usd(after - before)),
    }
}

fn delta_bytes(before: f64, after: f64) -> Delta {
    Delta {
        before: Num(round_bytes(before)),
        after: Num(round_bytes(after)),
        difference: Num(round_bytes(after - before)),
    }
}

#[derive(Serialize)]
struct ScenarioDelta {
    consume_cross_az_bytes: Delta,
    produce_cross_az_bytes: Delta,
    replication_cross_az_bytes: Delta,
    billed_cross_az_bytes: Delta,
    cost_usd: Delta,
    monthly_cost_usd: Delta,
}

#[derive(Serialize)]
struct SavingsDelta {
    monthly_usd_rack_aware_vs_leader_only: Delta,
    monthly_usd_rack_aware_vs_current: Delta,
}

#[derive(Serialize)]
struct KeyDelta {
    name: String,
    monthly_usd: PerScenario<Delta>,
}

#[derive(Serialize)]
struct DifferenceDoc {
    scenarios: PerScenario<ScenarioDelta>,
    savings: SavingsDelta,
    by_topic: Vec<KeyDelta>,
    by_consumer_group: Vec<KeyDelta>,
}

#[derive(Serialize)]
struct WhatIfDoc<'a> {
    format: &'static str,
    changes: Vec<String>,
    before: super::json::AuditDoc<'a>,
    after: super::json::AuditDoc<'a>,
    difference: DifferenceDoc,
}

/// A change in words, as the report lists it.
pub fn describe(change: &Change) -> String {
    let target = |t: &Target, all: &str| match t {
        Target::All => all.to_string(),
        Target::Named(n) => n.clone(),
    };
    match change {
        Change::SetClientRack(t) => format!(
            "set client.rack to the real zone's broker.rack for members of {}",
            target(t, "every group")
        ),
        Change::EnableSelector => {
            "enable replica.selector.class=RackAwareReplicaSelector".to_string()
        }
        Change::PlaceReplicas { topics, rf } => format!(
            "place {} replicas per partition, one per zone first, for {}",
            rf.map_or("one-per-zone".to_string(), |r| r.to_string()),
            target(topics, "every topic")
        ),
        Change::RestoreIsr(t) => format!(
            "bring every follower of {} back in sync",
            target(t, "every topic")
        ),
        Change::BalanceLeaders => "balance leaders across zones by produced bytes".to_string(),
        Change::ProducerRackAware {
            topics,
            unkeyed_share,
        } => format!(
            "KIP-1123 rack-aware partitioning for producers of {} ({:.0}% of records unkeyed)",
            target(topics, "every topic"),
            unkeyed_share * 100.0
        ),
        Change::MoveConsumers { group, zone } => format!("move group {group} to {zone}"),
    }
}

impl Comparison<'_> {
    fn scenario_delta(&self, s: Scenario) -> ScenarioDelta {
        let (b, a) = (
            self.before.0.scenarios.get(s),
            self.after.0.scenarios.get(s),
        );
        ScenarioDelta {
            consume_cross_az_bytes: delta_bytes(b.consume_cross_az_bytes, a.consume_cross_az_bytes),
            produce_cross_az_bytes: delta_bytes(b.produce_cross_az_bytes, a.produce_cross_az_bytes),
            replication_cross_az_bytes: delta_bytes(
                b.replication_cross_az_bytes,
                a.replication_cross_az_bytes,
            ),
            billed_cross_az_bytes: delta_bytes(b.billed_cross_az_bytes, a.billed_cross_az_bytes),
            cost_usd: delta_usd(b.cost_usd, a.cost_usd),
            monthly_cost_usd: delta_usd(b.monthly_cost_usd, a.monthly_cost_usd),
        }
    }

    /// Per topic or group: monthly USD before and after, biggest change first.
    fn keyed(
        before: impl Iterator<Item = (String, [f64; 3])>,
        after: impl Iterator<Item = (String, [f64; 3])>,
    ) -> Vec<KeyDelta> {
        let mut both: BTreeMap<String, ([f64; 3], [f64; 3])> = BTreeMap::new();
        for (k, v) in before {
            both.entry(k).or_default().0 = v;
        }
        for (k, v) in after {
            both.entry(k).or_default().1 = v;
        }
        let mut rows: Vec<(f64, KeyDelta)> = both
            .into_iter()
            .map(|(name, (b, a))| {
                let change = (a[1] - b[1]).abs() + (a[2] - b[2]).abs() + (a[0] - b[0]).abs();
                let monthly_usd = PerScenario::from_fn(|s| delta_usd(b[s.index()], a[s.index()]));
                (change, KeyDelta { name, monthly_usd })
            })
            .collect();
        rows.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.name.cmp(&y.1.name)));
        rows.into_iter().map(|(_, r)| r).collect()
    }

    fn difference(&self) -> DifferenceDoc {
        let topics = |a: &Analysis| -> Vec<(String, [f64; 3])> {
            a.by_topic
                .iter()
                .map(|t| {
                    let v = Scenario::ALL.map(|s| t.scenarios.get(s).monthly_usd);
                    (t.topic.clone(), v)
                })
                .collect()
        };
        let groups = |a: &Analysis| -> Vec<(String, [f64; 3])> {
            a.by_group
                .iter()
                .map(|g| {
                    let v = Scenario::ALL.map(|s| g.scenarios.get(s).monthly_usd);
                    (g.group.clone(), v)
                })
                .collect()
        };
        let (b, a) = (&self.before.0.savings, &self.after.0.savings);
        DifferenceDoc {
            scenarios: PerScenario::from_fn(|s| self.scenario_delta(s)),
            savings: SavingsDelta {
                monthly_usd_rack_aware_vs_leader_only: delta_usd(
                    b.monthly_usd_rack_aware_vs_leader_only,
                    a.monthly_usd_rack_aware_vs_leader_only,
                ),
                monthly_usd_rack_aware_vs_current: delta_usd(
                    b.monthly_usd_rack_aware_vs_current,
                    a.monthly_usd_rack_aware_vs_current,
                ),
            },
            by_topic: Self::keyed(
                topics(self.before.0).into_iter(),
                topics(self.after.0).into_iter(),
            ),
            by_consumer_group: Self::keyed(
                groups(self.before.0).into_iter(),
                groups(self.after.0).into_iter(),
            ),
        }
    }

    /// The JSON document.
    pub fn json(&self) -> String {
        let doc = WhatIfDoc {
            format: "azcost.what-if/v1",
            changes: self.changes.iter().map(describe).collect(),
            before: document(self.before.0, self.before.1, self.top),
            after: document(self.after.0, self.after.1, self.top),
            difference: self.difference(),
        };
        // Plain data with string keys: serialization cannot fail.
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Terminal tables.
    pub fn table(&self, width: Option<u16>) -> String {
        self.render(Style::Terminal, width)
    }

    /// Markdown.
    pub fn markdown(&self) -> String {
        self.render(Style::Markdown, None)
    }

    fn render(&self, style: Style, width: Option<u16>) -> String {
        let mut r = Renderer::new(Layout {
            style,
            width,
            top: self.top,
        });
        let (b, a) = (self.before.0, self.after.0);
        r.title(&format!("azcost what-if: cluster {}", b.cluster));
        r.heading("Changes");
        if self.changes.is_empty() {
            r.line("None: before and after are the same snapshot.");
        }
        for c in self.changes {
            r.bullet(&describe(c));
        }
        if a.price_per_gb != b.price_per_gb {
            r.bullet(&format!(
                "price per GB: ${} before, ${} after",
                b.price_per_gb, a.price_per_gb
            ));
        }
        r.heading("Monthly USD by scenario");
        let diff = self.difference();
        let mut rows = Vec::new();
        for s in Scenario::ALL {
            let (x, y) = (b.scenarios.get(s), a.scenarios.get(s));
            rows.push(vec![
                format!("{} billed GB", s.as_str()),
                gb(x.billed_cross_az_bytes),
                gb(y.billed_cross_az_bytes),
                signed(gb(y.billed_cross_az_bytes - x.billed_cross_az_bytes)),
            ]);
            rows.push(vec![
                format!("{} USD per month", s.as_str()),
                usd(x.monthly_cost_usd),
                usd(y.monthly_cost_usd),
                signed(usd(y.monthly_cost_usd - x.monthly_cost_usd)),
            ]);
        }
        r.table(&["", "before", "after", "difference"], rows, 1);
        r.line("");
        r.line(&format!(
            "Remaining opportunity (current − rack_aware): {} per month before, {} after.",
            usd(b.savings.monthly_usd_rack_aware_vs_current),
            usd(a.savings.monthly_usd_rack_aware_vs_current)
        ));
        for (title, keyed) in [
            ("topics", &diff.by_topic),
            ("consumer groups", &diff.by_consumer_group),
        ] {
            r.heading(&format!(
                "Top {} {title} by change (monthly USD)",
                self.top.min(keyed.len())
            ));
            let rows = keyed
                .iter()
                .take(self.top)
                .map(|k| {
                    let mut row = vec![k.name.clone()];
                    for s in [Scenario::Current, Scenario::RackAware] {
                        let d = k.monthly_usd.get(s);
                        row.push(usd(d.before.0));
                        row.push(usd(d.after.0));
                        row.push(signed(usd(d.difference.0)));
                    }
                    row
                })
                .collect();
            r.table(
                &[
                    title,
                    "current before",
                    "current after",
                    "current diff",
                    "rack_aware before",
                    "rack_aware after",
                    "rack_aware diff",
                ],
                rows,
                1,
            );
        }
        r.heading(&format!(
            "Findings: {} before, {} after",
            self.before.1.items.len(),
            self.after.1.items.len()
        ));
        for f in &self.after.1.items {
            r.bullet(&format!(
                "{} ({} per month): {}",
                f.id,
                usd(f.monthly_usd),
                f.title
            ));
        }
        r.finish()
    }
}

/// `+$1.00` / `-$1.00` / `$0.00`.
fn signed(text: String) -> String {
    if text.starts_with('-') || text.trim_start_matches(['$', '0', '.', ',']).is_empty() {
        text
    } else {
        format!("+{text}")
    }
}
