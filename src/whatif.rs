//! What-ifs: pure changes to a snapshot (set `client.rack`, turn on the
//! selector, place replicas, balance leaders, KIP-1123 producers, move
//! consumers). The changed snapshot is an ordinary v1 snapshot, so a what-if
//! is audited by the same model and can be kept as evidence.
//!
//! Findings use the same changes to price their fixes.

use crate::error::Error;
use crate::model::placement::{Placement, UNKNOWN_ZONE, ZoneId};
use crate::snapshot::{ALL_TOPICS, Producers, RACK_AWARE_SELECTOR, Snapshot};
use std::collections::{BTreeMap, BTreeSet};

/// Which groups or topics a change applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every group or topic.
    All,
    /// The one named.
    Named(String),
}

impl Target {
    /// `all` (or `*`) or a name; a group or topic literally named `all`
    /// is reached through `all`.
    pub fn parse(text: &str) -> Self {
        if text == "all" || text == ALL_TOPICS {
            Target::All
        } else {
            Target::Named(text.to_string())
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Target::All => true,
            Target::Named(n) => n == name,
        }
    }
}

/// One change to a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Every member of the groups sends the `broker.rack` of its real zone.
    SetClientRack(Target),
    /// The brokers run `RackAwareReplicaSelector`.
    EnableSelector,
    /// Every online partition of the topics gets `rf` replicas (default one
    /// per broker zone), spread over as many zones as possible, all in sync.
    PlaceReplicas {
        /// Topics to change.
        topics: Target,
        /// Replication factor; `None` means one replica per broker zone.
        rf: Option<usize>,
    },
    /// Every in-sync replica set back in sync (the ISR equals the replicas).
    RestoreIsr(Target),
    /// Leaders moved among in-sync replicas so each zone leads an equal share of bytes.
    BalanceLeaders,
    /// Producers of the topics use KIP-1123 rack-aware partitioning.
    ProducerRackAware {
        /// Topics to change.
        topics: Target,
        /// Share of records produced without a key.
        unkeyed_share: f64,
    },
    /// Every member of a group moves to a zone (its `client.rack` follows
    /// when it was right before).
    MoveConsumers {
        /// Group id.
        group: String,
        /// AZ ID (or AZ name from `zones`).
        zone: String,
    },
}

/// Applies changes in order. Errors name the flag and the missing object.
pub fn apply(s: &Snapshot, changes: &[Change]) -> Result<Snapshot, Error> {
    let mut out = s.clone();
    for change in changes {
        apply_one(&mut out, change)?;
    }
    Ok(out)
}

fn apply_one(s: &mut Snapshot, change: &Change) -> Result<(), Error> {
    match change {
        Change::SetClientRack(target) => {
            require_group(s, target, "--set-client-rack")?;
            set_client_rack(s, target);
        }
        Change::EnableSelector => {
            s.cluster.replica_selector = Some(RACK_AWARE_SELECTOR.to_string());
        }
        Change::PlaceReplicas { topics, rf } => {
            require_topic(s, topics, "--replication-factor/--one-replica-per-zone")?;
            place_replicas(s, topics, *rf);
        }
        Change::RestoreIsr(topics) => {
            require_topic(s, topics, "restore ISR")?;
            for p in s.partitions.iter_mut().filter(|p| topics.matches(&p.topic)) {
                if p.leader.is_some_and(|l| l >= 0) {
                    p.isr = p.replicas.clone();
                }
            }
        }
        Change::BalanceLeaders => balance_leaders(s),
        Change::ProducerRackAware {
            topics,
            unkeyed_share,
        } => {
            require_topic(s, topics, "--producer-rack-aware")?;
            if !(0.0..=1.0).contains(unkeyed_share) {
                return Err(Error::usage(format!(
                    "--unkeyed-share {unkeyed_share}: expected a share from 0 to 1"
                )));
            }
            let producers = s.producers.get_or_insert_with(Producers::default);
            let mut listed: BTreeSet<String> = producers
                .rack_aware_topics
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect();
            match topics {
                Target::All => {
                    listed.clear();
                    listed.insert(ALL_TOPICS.to_string());
                }
                Target::Named(t) => {
                    listed.insert(t.clone());
                }
            }
            producers.rack_aware_topics = Some(listed.into_iter().collect());
            producers.unkeyed_share = Some(*unkeyed_share);
        }
        Change::MoveConsumers { group, zone } => move_consumers(s, group, zone)?,
    }
    Ok(())
}

fn require_group(s: &Snapshot, target: &Target, flag: &str) -> Result<(), Error> {
    match target {
        Target::Named(g) if !s.consumer_groups.iter().any(|x| &x.group == g) => Err(Error::usage(
            format!("{flag} {g}: no consumer group {g:?} in the snapshot"),
        )),
        _ => Ok(()),
    }
}

fn require_topic(s: &Snapshot, target: &Target, flag: &str) -> Result<(), Error> {
    match target {
        Target::Named(t) if !s.partitions.iter().any(|p| &p.topic == t) => Err(Error::usage(
            format!("{flag} {t}: no topic {t:?} in the snapshot"),
        )),
        _ => Ok(()),
    }
}

fn set_client_rack(s: &mut Snapshot, target: &Target) {
    let mut placement = Placement::new(s);
    for group in s
        .consumer_groups
        .iter_mut()
        .filter(|g| target.matches(&g.group))
    {
        for m in &mut group.members {
            let zone = placement.member_zone(m);
            if zone == UNKNOWN_ZONE {
                continue;
            }
            if let Some(rack) = placement.rack_of_zone(zone).map(str::to_string) {
                // Pin the zone first: it may have been read from the old rack.
                m.zone = Some(placement.zones.name(zone).to_string());
                m.client_rack = Some(rack);
            }
        }
    }
}

fn move_consumers(s: &mut Snapshot, group: &str, zone: &str) -> Result<(), Error> {
    let mut placement = Placement::new(s);
    let Some(target) = placement.zones.broker_zone(zone) else {
        return Err(Error::usage(format!(
            "--move-consumers {group}={zone}: {zone:?} is not a zone of the cluster's brokers"
        )));
    };
    let new_rack = placement.rack_of_zone(target).map(str::to_string);
    let Some(g) = s.consumer_groups.iter_mut().find(|g| g.group == group) else {
        return Err(Error::usage(format!(
            "--move-consumers {group}={zone}: no consumer group {group:?} in the snapshot"
        )));
    };
    for m in &mut g.members {
        let old = placement.member_zone(m);
        let rack_was_right = old != UNKNOWN_ZONE
            && m.client_rack.is_some()
            && m.client_rack.as_deref() == placement.rack_of_zone(old);
        m.zone = Some(placement.zones.name(target).to_string());
        if rack_was_right {
            m.client_rack = new_rack.clone();
        }
    }
    Ok(())
}

/// Replicas for every online partition of `topics`: the leader first, then
/// followers that add a zone, then new brokers in zones still missing (the
/// least loaded broker of the zone), then more replicas wherever, up to `rf`.
/// Existing replicas are kept where they serve, to move as little as possible.
fn place_replicas(s: &mut Snapshot, topics: &Target, rf: Option<usize>) {
    let placement = Placement::new(s);
    let zones = placement.zones.broker_zone_count();
    let rf = rf.unwrap_or(zones).clamp(1, s.brokers.len().max(1));
    let zone_of = |id: i32| {
        placement
            .broker_index
            .get(&id)
            .map(|&i| placement.brokers[i].zone)
    };
    let mut load: BTreeMap<i32, usize> = s.brokers.iter().map(|b| (b.id, 0)).collect();
    for p in &s.partitions {
        for r in &p.replicas {
            *load.entry(*r).or_default() += 1;
        }
    }
    for p in s.partitions.iter_mut().filter(|p| topics.matches(&p.topic)) {
        let Some(leader) = p.leader.filter(|&l| l >= 0) else {
            continue;
        };
        let mut chosen = vec![leader];
        let mut covered: BTreeSet<ZoneId> = zone_of(leader).into_iter().collect();
        for &f in &p.replicas {
            if chosen.len() < rf
                && !chosen.contains(&f)
                && zone_of(f).is_some_and(|z| !covered.contains(&z))
            {
                chosen.push(f);
                covered.extend(zone_of(f));
            }
        }
        for z in placement.zones.broker_zone_ids() {
            if chosen.len() >= rf {
                break;
            }
            if covered.contains(&z) {
                continue;
            }
            if let Some(b) = least_loaded(&load, &chosen, |id| zone_of(id) == Some(z)) {
                chosen.push(b);
                covered.insert(z);
                *load.entry(b).or_default() += 1;
            }
        }
        for &f in &p.replicas {
            if chosen.len() < rf && !chosen.contains(&f) {
                chosen.push(f);
            }
        }
        while chosen.len() < rf {
            match least_loaded(&load, &chosen, |_| true) {
                Some(b) => {
                    chosen.push(b);
                    *load.entry(b).or_default() += 1;
                }
                None => break,
            }
        }
        for r in p.replicas.iter().filter(|r| !chosen.contains(r)) {
            if let Some(l) = load.get_mut(r) {
                *l = l.saturating_sub(1);
            }
        }
        p.replicas = chosen.as_slice().into();
        p.isr = chosen.into();
    }
}

fn least_loaded(
    load: &BTreeMap<i32, usize>,
    taken: &[i32],
    eligible: impl Fn(i32) -> bool,
) -> Option<i32> {
    load.iter()
        .filter(|(id, _)| !taken.contains(id) && eligible(**id))
        .min_by_key(|(id, l)| (**l, **id))
        .map(|(id, _)| *id)
}

/// Greedy: the largest partitions first, each led by the in-sync replica
/// whose zone leads the fewest bytes so far; the new leader goes first in
/// `replicas` so a preferred-leader election keeps it.
fn balance_leaders(s: &mut Snapshot) {
    let placement = Placement::new(s);
    let zone_of = |id: i32| {
        placement
            .broker_index
            .get(&id)
            .map(|&i| placement.brokers[i].zone)
    };
    let mut led: BTreeMap<ZoneId, f64> = placement
        .zones
        .broker_zone_ids()
        .map(|z| (z, 0.0))
        .collect();
    let mut order: Vec<usize> = (0..s.partitions.len())
        .filter(|&i| s.partitions[i].leader.is_some_and(|l| l >= 0))
        .collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&s.partitions[a], &s.partitions[b]);
        pb.bytes_in
            .total_cmp(&pa.bytes_in)
            .then_with(|| (&pa.topic, pa.partition).cmp(&(&pb.topic, pb.partition)))
    });
    for i in order {
        let p = &mut s.partitions[i];
        let Some(current) = p.leader else { continue };
        let mut candidates: Vec<i32> = vec![current];
        candidates.extend(p.isr.iter().copied().filter(|&b| b != current));
        let best = candidates
            .iter()
            .copied()
            .filter_map(|b| zone_of(b).map(|z| (b, z)))
            .min_by(|(_, za), (_, zb)| {
                let (la, lb) = (
                    led.get(za).copied().unwrap_or(0.0),
                    led.get(zb).copied().unwrap_or(0.0),
                );
                la.total_cmp(&lb)
            });
        let Some((leader, zone)) = best else { continue };
        *led.entry(zone).or_default() += p.bytes_in;
        p.leader = Some(leader);
        if let Some(pos) = p.replicas.iter().position(|&r| r == leader) {
            p.replicas[..=pos].rotate_right(1);
        }
    }
}
