//! Chargeback: who pays for which cross-AZ dollars. Consume traffic belongs
//! to the consumer group's owner, produce and replication to the topic's
//! owner (issue 5). Traffic nobody owns is its own line, never dropped.

use super::config::Owner;
use crate::error::Error;
use crate::model::{Analysis, Scenario, Traffic};
use rustc_hash::FxHashMap;

/// The line for traffic no owner's patterns match.
pub const UNMATCHED: &str = "(unmatched)";

/// One chargeback line.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargebackRow {
    /// Owner name, or [`UNMATCHED`].
    pub owner: String,
    /// Cost center, if the owner has one.
    pub cost_center: Option<String>,
    /// Scenario.
    pub scenario: Scenario,
    /// Billed USD per month.
    pub monthly_usd: f64,
    /// Share of the scenario's monthly total (0 when the total is 0).
    pub share: f64,
}

/// Which owner a name belongs to; two owners matching one name is a config
/// error that names both.
fn owner_of<'a>(
    owners: &'a [Owner],
    name: &str,
    kind: &str,
    patterns: impl Fn(&Owner) -> &[regex::Regex],
) -> Result<Option<&'a Owner>, Error> {
    let mut found: Option<&Owner> = None;
    for o in owners {
        if patterns(o).iter().any(|r| r.is_match(name)) {
            if let Some(first) = found {
                return Err(Error::usage(format!(
                    "{kind} {name:?} is matched by two owners, {:?} and {:?}: make their patterns disjoint",
                    first.name, o.name
                )));
            }
            found = Some(o);
        }
    }
    Ok(found)
}

/// The chargeback lines of an analysis, per owner and scenario, owners in
/// config order and the unmatched line last.
pub fn chargeback(a: &Analysis, owners: &[Owner]) -> Result<Vec<ChargebackRow>, Error> {
    // Hashed, not ordered: looked up once per flow row (1.7M at 2M
    // partitions), where a string-compared tree took a fifth of a second.
    let mut topic_owner: FxHashMap<&str, Option<usize>> = FxHashMap::default();
    let mut group_owner: FxHashMap<&str, Option<usize>> = FxHashMap::default();
    if !owners.is_empty() {
        for t in &a.by_topic {
            let o = owner_of(owners, &t.topic, "topic", |o| &o.topics)?;
            topic_owner.insert(&t.topic, o.map(|o| index_of(owners, o)));
        }
        for g in &a.by_group {
            let o = owner_of(owners, &g.group, "consumer group", |o| &o.groups)?;
            group_owner.insert(&g.group, o.map(|o| index_of(owners, o)));
        }
    }
    // owner index (owners.len() = unmatched) × scenario → monthly USD
    let mut usd = vec![[0.0f64; 3]; owners.len() + 1];
    for f in &a.flows {
        let owner = match (f.traffic, &f.consumer_group) {
            _ if owners.is_empty() => None,
            (Traffic::Consume, Some(g)) => group_owner.get(g).copied().flatten(),
            _ => topic_owner.get(f.topic).copied().flatten(),
        };
        usd[owner.unwrap_or(owners.len())][f.scenario.index()] += f.monthly_usd;
    }
    let mut rows = Vec::new();
    for (i, per) in usd.iter().enumerate() {
        let (name, cost_center) = match owners.get(i) {
            Some(o) => (o.name.clone(), o.cost_center.clone()),
            None => (UNMATCHED.to_string(), None),
        };
        for s in Scenario::ALL {
            let total = a.scenarios.get(s).monthly_cost_usd;
            rows.push(ChargebackRow {
                owner: name.clone(),
                cost_center: cost_center.clone(),
                scenario: s,
                monthly_usd: per[s.index()],
                share: if total > 0.0 {
                    per[s.index()] / total
                } else {
                    0.0
                },
            });
        }
    }
    Ok(rows)
}

fn index_of(owners: &[Owner], o: &Owner) -> usize {
    owners
        .iter()
        .position(|x| std::ptr::eq(x, o))
        .unwrap_or(owners.len())
}
