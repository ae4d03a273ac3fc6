//! What-ifs: pure changes to a snapshot (set `client.rack`, turn on the
//! selector, place replicas, balance leaders, KIP-1123 producers, move
//! consumers). The changed snapshot is an ordinary v1 snapshot, so a what-if
//! is audited by the same model and can be kept as evidence.
//!
//! Findings use the same changes to price their fixes: [`price_fix_on`]
//! and [`price_balanced_leaders`] price them from a [`Index`] with the same
//! rules ([`ReplicaPlacer`], [`balanced_leaders`]), without applying them.

use crate::error::Error;
use crate::model::Pricing;
use crate::model::Scenario;
use crate::model::cost::{Priced, price_cells};
use crate::model::flows::{Index, Places, Scope, SparsePlaces};
use crate::model::placement::{Placement, UNKNOWN_ZONE, ZoneId};
use crate::snapshot::{ALL_TOPICS, Partition, Producers, RACK_AWARE_SELECTOR, Snapshot};
use rustc_hash::FxHashMap as HashMap;
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

/// Replicas for every online partition of `topics` (see [`ReplicaPlacer`]).
fn place_replicas(s: &mut Snapshot, topics: &Target, rf: Option<usize>) {
    let placement = Placement::new(s);
    let mut placer = ReplicaPlacer::new(s, &placement, s.partitions.iter(), rf);
    for p in s.partitions.iter_mut().filter(|p| topics.matches(&p.topic)) {
        if let Some(chosen) = placer.place(p) {
            p.replicas = chosen.as_slice().into();
            p.isr = chosen.into();
        }
    }
}

/// The rule of `--replication-factor` / `--one-replica-per-zone`, one
/// partition at a time in snapshot order: the leader first, then followers
/// that add a zone, then new brokers in zones still missing (the least
/// loaded broker of the zone), then more replicas wherever, up to `rf`.
/// Existing replicas are kept where they serve, to move as little as
/// possible. Load counts the replicas of the partitions it was built from
/// and follows each choice. Findings price the same rule without applying it.
pub struct ReplicaPlacer<'a> {
    placement: &'a Placement,
    rf: usize,
    load: Loads,
}

/// Replicas per broker, with each zone's brokers listed apart, so the
/// least-loaded broker of a zone is a scan of that zone's few brokers, and
/// a load is found by id in a hash map, not a search (a messy cluster
/// misses a zone on most partitions, so this runs for most of them).
struct Loads {
    /// (broker id, replicas it holds, its zone), sorted by id.
    slots: Vec<(i32, usize, Option<ZoneId>)>,
    /// Broker id → index into `slots`.
    slot_of: HashMap<i32, usize>,
    /// Per zone id, the slots of its brokers.
    by_zone: Vec<Vec<usize>>,
}

impl Loads {
    fn new(slots: Vec<(i32, usize, Option<ZoneId>)>, zones: usize) -> Self {
        let mut by_zone = vec![Vec::new(); zones];
        for (at, &(_, _, zone)) in slots.iter().enumerate() {
            if let Some(list) = zone.and_then(|z| by_zone.get_mut(usize::from(z))) {
                list.push(at);
            }
        }
        let slot_of = slots
            .iter()
            .enumerate()
            .map(|(at, &(id, _, _))| (id, at))
            .collect();
        Loads {
            slots,
            slot_of,
            by_zone,
        }
    }

    /// Adds `delta` (+1 or -1, never below 0) to the load of `id`, if known.
    fn add(&mut self, id: i32, delta: isize) {
        if let Some(&at) = self.slot_of.get(&id) {
            let load = &mut self.slots[at].1;
            *load = load.saturating_add_signed(delta);
        }
    }

    /// The broker holding the fewest replicas (then the lowest id) among
    /// those not taken, in `zone` or anywhere.
    fn least_loaded(&self, taken: &[i32], zone: Option<ZoneId>) -> Option<i32> {
        let mut best: Option<(usize, i32)> = None;
        let mut consider = |&(id, load, _): &(i32, usize, Option<ZoneId>)| {
            if best.is_none_or(|b| (load, id) < b) && !taken.contains(&id) {
                best = Some((load, id));
            }
        };
        match zone {
            Some(z) => {
                for &at in self.by_zone.get(usize::from(z))? {
                    consider(&self.slots[at]);
                }
            }
            None => self.slots.iter().for_each(consider),
        }
        best.map(|(_, id)| id)
    }
}

impl<'a> ReplicaPlacer<'a> {
    /// Starts from the load of `partitions` on the brokers of `s`; `rf`
    /// `None` means one replica per broker zone.
    pub fn new<'p>(
        s: &Snapshot,
        placement: &'a Placement,
        partitions: impl Iterator<Item = &'p Partition>,
        rf: Option<usize>,
    ) -> Self {
        let zones = placement.zones.broker_zone_count();
        let rf = rf.unwrap_or(zones).clamp(1, s.brokers.len().max(1));
        let mut counts: HashMap<i32, usize> = s.brokers.iter().map(|b| (b.id, 0)).collect();
        for p in partitions {
            for r in &p.replicas {
                *counts.entry(*r).or_default() += 1;
            }
        }
        let mut load: Vec<(i32, usize)> = counts.into_iter().collect();
        load.sort_unstable();
        let zone_of = |id: i32| {
            placement
                .broker_index
                .get(&id)
                .map(|&i| placement.brokers[i].zone)
        };
        let load = load
            .into_iter()
            .map(|(id, l)| (id, l, zone_of(id)))
            .collect();
        ReplicaPlacer {
            placement,
            rf,
            load: Loads::new(load, placement.zones.count()),
        }
    }

    fn zone_of(&self, id: i32) -> Option<ZoneId> {
        self.placement
            .broker_index
            .get(&id)
            .map(|&i| self.placement.brokers[i].zone)
    }

    /// The new replicas (and ISR) of `p`; `None` when it has no leader and
    /// stays as it is.
    pub fn place(&mut self, p: &Partition) -> Option<Vec<i32>> {
        let rf = self.rf;
        let leader = p.leader.filter(|&l| l >= 0)?;
        let mut chosen = Vec::with_capacity(rf.max(p.replicas.len()));
        chosen.push(leader);
        // Zones covered so far (a few: a list, not a set).
        let mut covered: smallvec::SmallVec<[ZoneId; 8]> =
            self.zone_of(leader).into_iter().collect();
        for &f in &p.replicas {
            if chosen.len() < rf
                && !chosen.contains(&f)
                && self.zone_of(f).is_some_and(|z| !covered.contains(&z))
            {
                chosen.push(f);
                covered.extend(self.zone_of(f));
            }
        }
        for z in self.placement.zones.broker_zone_ids() {
            if chosen.len() >= rf {
                break;
            }
            if covered.contains(&z) {
                continue;
            }
            if let Some(b) = self.load.least_loaded(&chosen, Some(z)) {
                chosen.push(b);
                covered.push(z);
                self.load.add(b, 1);
            }
        }
        for &f in &p.replicas {
            if chosen.len() < rf && !chosen.contains(&f) {
                chosen.push(f);
            }
        }
        while chosen.len() < rf {
            match self.load.least_loaded(&chosen, None) {
                Some(b) => {
                    chosen.push(b);
                    self.load.add(b, 1);
                }
                None => break,
            }
        }
        for r in p.replicas.iter().filter(|r| !chosen.contains(r)) {
            self.load.add(*r, -1);
        }
        Some(chosen)
    }
}

/// Greedy: the largest partitions first, each led by the in-sync replica
/// whose zone leads the fewest bytes so far; the new leader goes first in
/// `replicas` so a preferred-leader election keeps it.
fn balance_leaders(s: &mut Snapshot) {
    for (i, leader, pos) in balanced_leaders(s) {
        let p = &mut s.partitions[i];
        p.leader = Some(leader);
        if let Some(pos) = pos {
            p.replicas[..=pos].rotate_right(1);
        }
    }
}

/// The plan of `--balance-leaders` (see [`Change::BalanceLeaders`]): per
/// partition moved or kept, (index, leader, position in `replicas` of the
/// leader, which moves to the front). Each partition's choice depends only
/// on the partitions before it, never on its own change, so the plan is the
/// same whether applied as it goes or after.
pub fn balanced_leaders(s: &Snapshot) -> Vec<(usize, i32, Option<usize>)> {
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
    let mut plan = Vec::with_capacity(order.len());
    for i in order {
        let p = &s.partitions[i];
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
        plan.push((i, leader, p.replicas.iter().position(|&r| r == leader)));
    }
    plan
}

/// A change findings price on some partitions without applying it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PartitionFix {
    /// [`Change::PlaceReplicas`] on every topic.
    PlaceReplicas {
        /// Replication factor; `None` means one replica per broker zone.
        rf: Option<usize>,
    },
    /// [`Change::RestoreIsr`] on every topic.
    RestoreIsr,
}

/// Monthly USD per topic and scenario, before and after `fix`, of only the
/// partitions `keep` selects (by index into `partitions[]`): bit for bit
/// what [`price`](crate::model::cost::price) gives for a snapshot holding
/// only those partitions, before and after [`apply`]. Priced from the
/// index's resolved reads and the fix's new placements, without cloning
/// or re-reading the snapshot (a partition's flows do not depend on other
/// partitions). Topics with no selected partition are left out.
pub fn price_fix_on(
    index: &Index<'_>,
    keep: &[bool],
    fix: PartitionFix,
    pricing: &Pricing,
) -> BTreeMap<String, ([f64; 3], [f64; 3])> {
    price_fix_scoped(index, keep, fix, pricing, Scope::ALL)
}

/// [`price_fix_on`] of one scenario: its prices are bit for bit those of
/// [`price_fix_on`] (the others are 0), at a fraction of the work. What
/// findings use, since each kind's saving is judged in one scenario.
pub fn price_fix_in(
    index: &Index<'_>,
    keep: &[bool],
    fix: PartitionFix,
    pricing: &Pricing,
    scenario: Scenario,
) -> BTreeMap<String, ([f64; 3], [f64; 3])> {
    price_fix_scoped(index, keep, fix, pricing, Scope::only(scenario))
}

fn price_fix_scoped(
    index: &Index<'_>,
    keep: &[bool],
    fix: PartitionFix,
    pricing: &Pricing,
    scope: Scope,
) -> BTreeMap<String, ([f64; 3], [f64; 3])> {
    let s = index.s;
    let mut present = vec![false; index.topics.len()];
    for (i, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        present[index.topic_of[i] as usize] = true;
    }
    let priced = |places: Option<Places<'_>>| {
        let tally = index.tally_scoped(Some(keep), places, scope);
        price_cells(s, &tally.cells, &index.topics, Some(&present), pricing).by_topic
    };
    // Before and after are independent sums: one per core.
    let (before, after) = std::thread::scope(|scope| {
        let before = scope.spawn(|| priced(None));
        let after = priced(Some(Places::Sparse(&fixed_places(index, keep, fix))));
        (before.join(), after)
    });
    // A panic in the thread is a bug; re-raise it where it happened.
    let before = before.unwrap_or_else(|e| std::panic::resume_unwind(e));
    let mut out: BTreeMap<String, ([f64; 3], [f64; 3])> = BTreeMap::new();
    for (topic, v) in before {
        out.entry(topic).or_default().0 = v;
    }
    for (topic, v) in after {
        out.entry(topic).or_default().1 = v;
    }
    out
}

/// The kept partitions placed as `fix` leaves them (others `None`).
fn fixed_places(index: &Index<'_>, keep: &[bool], fix: PartitionFix) -> SparsePlaces {
    let s = index.s;
    let placement = &index.placement;
    let mut after = SparsePlaces::new(s.partitions.len());
    match fix {
        PartitionFix::PlaceReplicas { rf } => {
            let kept = || {
                s.partitions
                    .iter()
                    .zip(keep)
                    .filter(|(_, k)| **k)
                    .map(|(p, _)| p)
            };
            let mut placer = ReplicaPlacer::new(s, placement, kept(), rf);
            for (i, p) in s.partitions.iter().enumerate().filter(|(i, _)| keep[*i]) {
                let place = match placer.place(p) {
                    Some(chosen) => placement.place(p.leader, &chosen, &chosen),
                    None => index.places[i].clone(),
                };
                after.set(i, place);
            }
        }
        PartitionFix::RestoreIsr => {
            for (i, p) in s.partitions.iter().enumerate().filter(|(i, _)| keep[*i]) {
                after.set(i, placement.place(p.leader, &p.replicas, &p.replicas));
            }
        }
    }
    after
}

/// The prices of the whole snapshot after [`Change::BalanceLeaders`]: bit
/// for bit [`price`](crate::model::cost::price) of [`apply`]'s snapshot,
/// from the index and the plan's new leaders.
pub fn price_balanced_leaders(index: &Index<'_>, pricing: &Pricing) -> Priced {
    let s = index.s;
    let mut after = index.places.clone();
    for (i, leader, pos) in balanced_leaders(s) {
        let p = &s.partitions[i];
        let mut replicas = p.replicas.clone();
        if let Some(pos) = pos {
            replicas[..=pos].rotate_right(1);
        }
        after[i] = index.placement.place(Some(leader), &replicas, &p.isr);
    }
    let tally = index.tally(None, Some(&after));
    price_cells(s, &tally.cells, &index.topics, None, pricing)
}
