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
use crate::model::placement::{PartitionPlace, Placement, UNKNOWN_ZONE, ZoneId};
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

/// Replicas per broker by slot: every broker of the snapshot and every
/// other id the partitions list, sorted by id (so ranking slots ranks
/// ids), each with its zone. Once a partition's replicas are resolved to
/// slots, placing it compares small integers and reads vectors, with no
/// hash lookup (a messy cluster misses a zone on most partitions, so this
/// runs for most of them).
struct Loads {
    /// Broker id of each slot, ascending.
    ids: Vec<i32>,
    /// Replicas the slot's broker holds.
    load: Vec<usize>,
    /// The slot's zone; `None` for an id no broker of the snapshot has.
    zone: Vec<Option<ZoneId>>,
    /// The slot's index into [`Placement::brokers`], when it is a broker.
    broker: Vec<Option<u32>>,
    /// Broker id → slot.
    slot_of: IdTable,
    /// Per zone id, the ranking key ([`rank_key`]) of each of its brokers'
    /// slots, kept as loads change: the least loaded broker of a zone is
    /// the least key, found without a branch per broker (a branchy scan
    /// for it was half the placer's time on a messy cluster).
    by_zone: Vec<Vec<u64>>,
    /// Per slot, its position in its zone's keys (`u32::MAX`: no zone).
    zone_pos: Vec<u32>,
}

/// A slot's key among its zone's: ordered as (load, slot), so the least
/// key is the least loaded broker, then the lowest id. Loads count replica
/// ids the snapshot lists, far below 2^32; one beyond saturates.
fn rank_key(load: usize, slot: u32) -> u64 {
    (u64::from(u32::try_from(load).unwrap_or(u32::MAX)) << 32) | u64::from(slot)
}

/// Distinct broker ids → their positions in a list: a vector when the ids
/// are small and non-negative (brokers are numbered so), else a hash map.
/// The placer looks up every replica of most partitions of a messy cluster.
enum IdTable {
    Dense(Vec<u32>),
    Hashed(HashMap<i32, u32>),
}

impl IdTable {
    /// Largest id kept in a vector (4 bytes each).
    const DENSE_MAX: i32 = 1 << 16;

    fn new(ids: &[i32]) -> Self {
        let dense = ids.iter().all(|&id| (0..=Self::DENSE_MAX).contains(&id));
        if !dense {
            return IdTable::Hashed(
                ids.iter()
                    .enumerate()
                    .map(|(at, &id)| (id, at as u32))
                    .collect(),
            );
        }
        let size = ids.iter().max().map_or(0, |&m| m as usize + 1);
        let mut table = vec![u32::MAX; size];
        for (at, &id) in ids.iter().enumerate() {
            table[id as usize] = at as u32;
        }
        IdTable::Dense(table)
    }

    fn get(&self, id: i32) -> Option<u32> {
        match self {
            IdTable::Dense(table) => usize::try_from(id)
                .ok()
                .and_then(|i| table.get(i))
                .copied()
                .filter(|&at| at != u32::MAX),
            IdTable::Hashed(map) => map.get(&id).copied(),
        }
    }
}

/// A replica chosen or listed: its broker id, and its slot in [`Loads`]
/// (`None` for a leader id that neither the brokers nor any replica list has).
#[derive(Debug, Clone, Copy)]
struct Pick {
    id: i32,
    slot: Option<u32>,
}

/// Replicas of one partition: few, so kept inline.
type Picks = smallvec::SmallVec<[Pick; 8]>;

impl Loads {
    fn pick(&self, id: i32) -> Pick {
        Pick {
            id,
            slot: self.slot_of.get(id),
        }
    }

    fn zone(&self, pick: Pick) -> Option<ZoneId> {
        pick.slot.and_then(|slot| self.zone[slot as usize])
    }

    /// The slot holding the fewest replicas (then the lowest id) in
    /// `zone`. None of its slots is taken: a partition's picks so far all
    /// sit in the zones it covers, and only uncovered zones are asked for.
    fn least_loaded_in(&self, zone: ZoneId) -> Option<u32> {
        let least = self.by_zone.get(usize::from(zone))?.iter().copied().min()?;
        // The low half of a key is its slot.
        Some(least as u32)
    }

    /// The slot holding the fewest replicas (then the lowest id) among
    /// those not taken, anywhere.
    fn least_loaded_anywhere(&self, taken: &[Pick]) -> Option<u32> {
        (0..self.ids.len() as u32)
            .filter(|&slot| !taken.iter().any(|t| t.slot == Some(slot)))
            .min_by_key(|&slot| (self.load[slot as usize], slot))
    }

    /// Changes the load of `slot` by one replica more or (saturating) less.
    fn add(&mut self, slot: u32, more: bool) {
        let load = &mut self.load[slot as usize];
        *load = if more {
            *load + 1
        } else {
            load.saturating_sub(1)
        };
        let (load, pos) = (*load, self.zone_pos[slot as usize]);
        if let Some(zone) = self.zone[slot as usize] {
            self.by_zone[usize::from(zone)][pos as usize] = rank_key(load, slot);
        }
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
        let mut brokers: Vec<i32> = s.brokers.iter().map(|b| b.id).collect();
        brokers.sort_unstable();
        brokers.dedup();
        let known = IdTable::new(&brokers);
        let mut counts = vec![0usize; brokers.len()];
        let mut others: HashMap<i32, usize> = HashMap::default();
        for p in partitions {
            for &r in &p.replicas {
                match known.get(r) {
                    Some(at) => counts[at as usize] += 1,
                    None => *others.entry(r).or_default() += 1,
                }
            }
        }
        let mut slots: Vec<(i32, usize)> = brokers.into_iter().zip(counts).collect();
        slots.extend(others);
        slots.sort_unstable();
        let broker: Vec<Option<u32>> = slots
            .iter()
            .map(|(id, _)| placement.broker_index.get(id).map(|&i| i as u32))
            .collect();
        let zone: Vec<Option<ZoneId>> = broker
            .iter()
            .map(|b| b.map(|i| placement.brokers[i as usize].zone))
            .collect();
        let mut by_zone = vec![Vec::new(); placement.zones.count()];
        let mut zone_pos = vec![u32::MAX; slots.len()];
        for (slot, (z, &(_, load))) in zone.iter().zip(&slots).enumerate() {
            if let Some(keys) = z.and_then(|z| by_zone.get_mut(usize::from(z))) {
                zone_pos[slot] = keys.len() as u32;
                keys.push(rank_key(load, slot as u32));
            }
        }
        let ids: Vec<i32> = slots.iter().map(|&(id, _)| id).collect();
        let slot_of = IdTable::new(&ids);
        ReplicaPlacer {
            placement,
            rf,
            load: Loads {
                ids,
                load: slots.iter().map(|&(_, l)| l).collect(),
                zone,
                broker,
                slot_of,
                by_zone,
                zone_pos,
            },
        }
    }

    /// The new replicas (and ISR) of `p`; `None` when it has no leader and
    /// stays as it is.
    pub fn place(&mut self, p: &Partition) -> Option<Vec<i32>> {
        self.choose(p)
            .map(|chosen| chosen.iter().map(|c| c.id).collect())
    }

    /// [`ReplicaPlacer::place`] as the model places it: `None` when `p`
    /// has no leader and stays as it is, `Some(None)` when its leader is
    /// no broker of the snapshot (offline, as [`Placement::place`] says).
    pub fn place_on_zones(&mut self, p: &Partition) -> Option<Option<PartitionPlace>> {
        let chosen = self.choose(p)?;
        let loads = &self.load;
        let broker = |c: &Pick| c.slot.and_then(|slot| loads.broker[slot as usize]);
        let Some(leader) = broker(&chosen[0]) else {
            return Some(None);
        };
        let followers: smallvec::SmallVec<[u32; 8]> =
            chosen[1..].iter().filter_map(broker).collect();
        Some(Some(
            self.placement.place_in_sync(leader as usize, &followers),
        ))
    }

    fn choose(&mut self, p: &Partition) -> Option<Picks> {
        let rf = self.rf;
        let leader = p.leader.filter(|&l| l >= 0)?;
        let loads = &mut self.load;
        let replicas: Picks = p.replicas.iter().map(|&r| loads.pick(r)).collect();
        let mut chosen: Picks = Picks::new();
        chosen.push(loads.pick(leader));
        let taken = |chosen: &Picks, id: i32| chosen.iter().any(|c| c.id == id);
        // Zones covered so far (a few: a list, not a set).
        let mut covered: smallvec::SmallVec<[ZoneId; 8]> =
            loads.zone(chosen[0]).into_iter().collect();
        for &f in &replicas {
            if chosen.len() < rf
                && !taken(&chosen, f.id)
                && loads.zone(f).is_some_and(|z| !covered.contains(&z))
            {
                chosen.push(f);
                covered.extend(loads.zone(f));
            }
        }
        for z in self.placement.zones.broker_zone_ids() {
            if chosen.len() >= rf {
                break;
            }
            if covered.contains(&z) {
                continue;
            }
            if let Some(slot) = loads.least_loaded_in(z) {
                chosen.push(Pick {
                    id: loads.ids[slot as usize],
                    slot: Some(slot),
                });
                covered.push(z);
                loads.add(slot, true);
            }
        }
        for &f in &replicas {
            if chosen.len() < rf && !taken(&chosen, f.id) {
                chosen.push(f);
            }
        }
        while chosen.len() < rf {
            match loads.least_loaded_anywhere(&chosen) {
                Some(slot) => {
                    chosen.push(Pick {
                        id: loads.ids[slot as usize],
                        slot: Some(slot),
                    });
                    loads.add(slot, true);
                }
                None => break,
            }
        }
        for r in replicas.iter().filter(|r| !taken(&chosen, r.id)) {
            if let Some(slot) = r.slot {
                loads.add(slot, false);
            }
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
    let present = topics_kept(index, keep);
    // Listed once (when few are kept) for both tallies.
    let selection = index.select(keep);
    let priced = |places: Option<Places<'_>>| {
        let tally = index.tally_scoped(&selection, places, scope);
        by_topic(index, &tally.cells, &present, pricing)
    };
    // Before and after are independent sums: one per core.
    let (before, after) = std::thread::scope(|scope| {
        let before = scope.spawn(|| priced(None));
        let after = priced(Some(Places::Sparse(&fixed_places(index, keep, fix))));
        (before.join(), after)
    });
    // A panic in the thread is a bug; re-raise it where it happened.
    let before = before.unwrap_or_else(|e| std::panic::resume_unwind(e));
    paired(before, after)
}

/// The "after" half of [`price_fix_in`]: the kept partitions' prices by
/// topic once `fix` is applied, for a caller that has the "before" half
/// from elsewhere ([`priced_before`] of cells summed beside an audit).
pub fn price_fixed(
    index: &Index<'_>,
    keep: &[bool],
    fix: PartitionFix,
    pricing: &Pricing,
    scenario: Scenario,
) -> Vec<(String, [f64; 3])> {
    let present = topics_kept(index, keep);
    let places = fixed_places(index, keep, fix);
    let tally = index.tally_scoped(
        &index.select(keep),
        Some(Places::Sparse(&places)),
        Scope::only(scenario),
    );
    by_topic(index, &tally.cells, &present, pricing)
}

/// The "before" half of [`price_fix_in`], tallied: the kept partitions'
/// prices by topic as they are, for a caller that has the "after" half
/// ([`price_fixed`]) from elsewhere.
pub fn price_kept(
    index: &Index<'_>,
    keep: &[bool],
    pricing: &Pricing,
    scenario: Scenario,
) -> Vec<(String, [f64; 3])> {
    let present = topics_kept(index, keep);
    let tally = index.tally_scoped(&index.select(keep), None, Scope::only(scenario));
    by_topic(index, &tally.cells, &present, pricing)
}

/// The "before" half of [`price_fix_in`] from the kept partitions' cells
/// in its scenario, as [`crate::model::flows::Index::tally_beside`] sums
/// them.
pub fn priced_before(
    index: &Index<'_>,
    keep: &[bool],
    cells: &[(crate::model::flows::FlowKey, f64)],
    pricing: &Pricing,
) -> Vec<(String, [f64; 3])> {
    by_topic(index, cells, &topics_kept(index, keep), pricing)
}

/// A tally's cells priced by topic, for the topics `present` names.
fn by_topic(
    index: &Index<'_>,
    cells: &[(crate::model::flows::FlowKey, f64)],
    present: &[bool],
    pricing: &Pricing,
) -> Vec<(String, [f64; 3])> {
    price_cells(index.s, cells, &index.topics, Some(present), pricing).by_topic
}

/// Both halves by topic, as [`price_fix_on`] gives them.
pub fn paired(
    before: Vec<(String, [f64; 3])>,
    after: Vec<(String, [f64; 3])>,
) -> BTreeMap<String, ([f64; 3], [f64; 3])> {
    let mut out: BTreeMap<String, ([f64; 3], [f64; 3])> = BTreeMap::new();
    for (topic, v) in before {
        out.entry(topic).or_default().0 = v;
    }
    for (topic, v) in after {
        out.entry(topic).or_default().1 = v;
    }
    out
}

/// By topic index, whether `keep` keeps a partition of the topic: the
/// topics a snapshot of only those partitions would have.
fn topics_kept(index: &Index<'_>, keep: &[bool]) -> Vec<bool> {
    let mut present = vec![false; index.topics.len()];
    for (i, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
        present[index.topic_of[i] as usize] = true;
    }
    present
}

/// The kept partitions placed as `fix` leaves them (others `None`).
fn fixed_places(index: &Index<'_>, keep: &[bool], fix: PartitionFix) -> SparsePlaces {
    let s = index.s;
    let placement = &index.placement;
    let kept = keep.iter().filter(|&&k| k).count();
    let mut after = SparsePlaces::new(s.partitions.len(), kept);
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
                let place = placer
                    .place_on_zones(p)
                    .unwrap_or_else(|| index.places[i].clone());
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
