//! Bytes that cross zones, per scenario, traffic kind, topic, group and zone
//! pair: the sums of `cost-model.md`, before any price.
//!
//! Partitions, groups and reads are visited in a canonical order (sorted by
//! name), so the floating-point sums do not depend on the order of the
//! snapshot's arrays: same evidence in, byte-identical report out.
//!
//! The snapshot is resolved once into an [`Index`] (topics, partitions,
//! groups and reads as small integers); sums are kept in flat arrays keyed
//! by those integers, in the same order of additions as ever, and the cells
//! come out already in report order.

use super::placement::{PartitionPlace, Placement, RackId, UNKNOWN_ZONE, ZoneId};
use super::selection::{Positions, Selection};
use super::{Scenario, Traffic};
use crate::snapshot::{ConsumerGroup, Snapshot};
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeMap;

/// `group` of a flow that belongs to no consumer group (produce, replication).
pub const NO_GROUP: u32 = u32::MAX;

/// `member` of a read that no live member owns.
pub const NO_MEMBER: u32 = u32::MAX;

/// One cell of the flow cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// Scenario.
    pub scenario: Scenario,
    /// Produce, replication or consume.
    pub traffic: Traffic,
    /// Index into [`Flows::topics`].
    pub topic: u32,
    /// Index into [`Flows::groups`], or [`NO_GROUP`].
    pub group: u32,
    /// Zone the bytes leave.
    pub src: ZoneId,
    /// Zone the bytes enter ([`UNKNOWN_ZONE`] for consumers we cannot place).
    pub dst: ZoneId,
}

/// What one member (or the unowned reads of a group) read and sent across.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberFlow {
    /// Bytes read, all scenarios alike.
    pub read: f64,
    /// Consume bytes that crossed zones, by [`Scenario::index`].
    pub cross: [f64; 3],
}

/// Counts of what the estimate covers and what it leaves out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    /// Partitions in the snapshot.
    pub partitions: usize,
    /// Partitions without a leader, left out of every sum.
    pub partitions_offline: usize,
    /// Bytes produced to all partitions.
    pub bytes_in_total: f64,
    /// Bytes produced to offline partitions (left out).
    pub bytes_in_offline: f64,
    /// Bytes groups read from online partitions (in the sums).
    pub bytes_read: f64,
    /// Bytes groups read from offline partitions (left out).
    pub bytes_read_offline: f64,
    /// Bytes read by consumers whose zone is unknown (spread uniformly).
    pub bytes_read_unknown_zone: f64,
    /// Bytes read from partitions no live member owns (unknown zone).
    pub bytes_read_unowned: f64,
    /// Members in all groups.
    pub members: usize,
    /// Members whose zone is unknown.
    pub members_unknown_zone: usize,
}

/// The flow cube and what is needed to name its axes.
#[derive(Debug, Clone)]
pub struct Flows {
    /// Cells with bytes, in report order (see [`Tally::cells`]).
    pub cells: Vec<(FlowKey, f64)>,
    /// Per group: per member index (in the snapshot's `members[]`) or [`NO_MEMBER`].
    pub members: BTreeMap<(u32, u32), MemberFlow>,
    /// Topic names, sorted; a [`FlowKey::topic`] indexes this.
    pub topics: Vec<String>,
    /// Group ids, sorted; a [`FlowKey::group`] indexes this.
    pub groups: Vec<String>,
    /// For each sorted group, its index in `consumer_groups[]`.
    pub group_source: Vec<usize>,
    /// For each member of each group, its zone (snapshot order), by sorted group.
    pub member_zones: Vec<Vec<ZoneId>>,
    /// Zones and brokers.
    pub placement: Placement,
    /// What the estimate covers.
    pub coverage: Coverage,
    /// Offline partitions as `topic/partition`, sorted.
    pub offline: Vec<OfflinePartition>,
}

/// A partition left out because it has no leader.
#[derive(Debug, Clone, PartialEq)]
pub struct OfflinePartition {
    /// `topic/partition`.
    pub name: String,
    /// Bytes produced to it in the window.
    pub bytes_in: f64,
}

/// Who owns which partition in a group (member index in `members[]`; the
/// last member listing a partition wins) and what the group read, per
/// cost-model.md: its `bytes_read` when present (exactly those, nothing
/// else), else `in(p)` of every assigned partition. Reads of partitions the
/// snapshot does not have are dropped. The reads come sorted by `rank`
/// (the partitions' canonical order; a partition listed twice in
/// `bytes_read` keeps its listing order), each with its owner.
///
/// Sorting `(rank, listing position)` keys does what a hash map of owners
/// did, at a fraction of the cost: the last listing of a partition is the
/// last of its run, and the reads and the owners, both in rank order, are
/// matched in one merge. Millions of assigned partitions go through here.
fn group_reads(
    s: &Snapshot,
    group: &ConsumerGroup,
    lookup: impl Fn(&str, i32) -> Option<usize>,
    order: &[usize],
    rank: &[u32],
    reads: &mut Vec<GroupRead>,
) {
    let key = |i: usize, at: usize| (u64::from(rank[i]) << 32) | at as u64;
    let rank_of = |key: u64| (key >> 32) as u32;
    let mut listed: Vec<(u64, u32)> = Vec::new();
    for (mi, m) in group.members.iter().enumerate() {
        for tp in &m.assignment {
            for &part in &tp.partitions {
                if let Some(i) = lookup(&tp.topic, part) {
                    listed.push((key(i, listed.len()), mi as u32));
                }
            }
        }
    }
    listed.sort_unstable_by_key(|&(k, _)| k);
    // (rank, owner) of every assigned partition, ascending, each once.
    let mut owners: Vec<(u32, u32)> = Vec::with_capacity(listed.len());
    for (k, member) in listed {
        match owners.last_mut() {
            Some(last) if last.0 == rank_of(k) => last.1 = member,
            _ => owners.push((rank_of(k), member)),
        }
    }
    let order_at = |r: u32| order[r as usize];
    match &group.bytes_read {
        None => reads.extend(owners.iter().map(|&(r, member)| {
            let partition = order_at(r);
            GroupRead {
                partition: partition as u32,
                owner: member,
                bytes: s.partitions[partition].bytes_in,
            }
        })),
        Some(list) => {
            let mut listed: Vec<(u64, f64)> = list
                .iter()
                .filter_map(|r| lookup(&r.topic, r.partition).map(|i| (i, r.bytes)))
                .enumerate()
                .map(|(at, (i, bytes))| (key(i, at), bytes))
                .collect();
            listed.sort_unstable_by_key(|a| a.0);
            let mut owner = owners.iter().peekable();
            for (k, bytes) in listed {
                let r = rank_of(k);
                while owner.next_if(|o| o.0 < r).is_some() {}
                reads.push(GroupRead {
                    partition: order_at(r) as u32,
                    owner: owner.peek().filter(|o| o.0 == r).map_or(NO_MEMBER, |o| o.1),
                    bytes,
                });
            }
        }
    }
}

/// Where to cut `group_order` so each run of groups lists about half the
/// assigned partitions; `None` when there are too few for a second thread
/// to pay.
fn split_groups(s: &Snapshot, group_order: &[usize]) -> Option<usize> {
    const PARALLEL_FROM: usize = 100_000;
    let assigned = |g: usize| -> usize {
        let group = &s.consumer_groups[g];
        let listed: usize = group
            .members
            .iter()
            .flat_map(|m| &m.assignment)
            .map(|tp| tp.partitions.len())
            .sum();
        listed + group.bytes_read.as_ref().map_or(0, Vec::len)
    };
    let sizes: Vec<usize> = group_order.iter().map(|&g| assigned(g)).collect();
    let total: usize = sizes.iter().sum();
    if total < PARALLEL_FROM {
        return None;
    }
    let mut sum = 0;
    let at = sizes.iter().position(|&n| {
        sum += n;
        2 * sum >= total
    })?;
    // The group that crosses the middle goes to the first run.
    Some(at + 1)
}

/// A snapshot resolved once to small integers: topics ranked by name,
/// partitions in canonical order and placed on zones, groups sorted, member
/// zones interned and every group's reads resolved to partition indices and
/// owners, sorted. Built once per snapshot; [`Index::tally`] sums flows from
/// it for the whole cluster or for a subset of partitions with some of them
/// placed differently (how findings price a fix without re-auditing a
/// changed snapshot: a partition's flows do not depend on other partitions).
#[derive(Debug)]
pub struct Index<'s> {
    /// The snapshot.
    pub s: &'s Snapshot,
    /// Zones (member zones included) and brokers.
    pub placement: Placement,
    /// Topic names, sorted.
    pub topics: Vec<String>,
    /// For each partition (snapshot order), its index into `topics`.
    pub topic_of: Vec<u32>,
    /// Partition indices sorted by (topic, partition).
    pub order: Vec<usize>,
    /// Each partition placed (snapshot order); `None` when offline.
    pub places: Vec<Option<PartitionPlace>>,
    /// Group indices into `consumer_groups[]`, sorted by group id.
    pub group_order: Vec<usize>,
    /// For each sorted group, each member's zone (snapshot order).
    pub member_zones: Vec<Vec<ZoneId>>,
    /// `reads[read_start[g]..read_start[g + 1]]` are sorted group `g`'s reads.
    read_start: Vec<usize>,
    reads: Vec<GroupRead>,
    shares: Vec<f64>,
}

/// One resolved read: partition index, owning member (or [`NO_MEMBER`]), bytes.
#[derive(Debug, Clone, Copy)]
struct GroupRead {
    partition: u32,
    owner: u32,
    bytes: f64,
}

/// Where each partition sits, for a tally: every partition's place, or
/// the places a fix gives some partitions ([`SparsePlaces`]).
#[derive(Debug, Clone, Copy)]
pub enum Places<'a> {
    /// By partition index; `None` when offline.
    Dense(&'a [Option<PartitionPlace>]),
    /// Some partitions' places.
    Sparse(&'a SparsePlaces),
}

impl<'a> Places<'a> {
    /// Partition `i`'s place; `None` when offline or not placed.
    pub fn get(self, i: usize) -> Option<&'a PartitionPlace> {
        match self {
            Places::Dense(all) => all[i].as_ref(),
            Places::Sparse(some) => {
                let slot = *some.slots.get(i)?;
                (slot != SparsePlaces::NONE).then(|| &some.places[slot as usize])
            }
        }
    }
}

/// The places of some partitions: a fix priced on 5% of a cluster's
/// partitions holds 5% of their places (plus a 4-byte slot each), not a
/// copy of every partition's place (~190 MB at 2M partitions).
#[derive(Debug, Clone, Default)]
pub struct SparsePlaces {
    /// Per partition index, its position in `places` or [`Self::NONE`].
    slots: Vec<u32>,
    places: Vec<PartitionPlace>,
}

impl SparsePlaces {
    const NONE: u32 = u32::MAX;

    /// No place yet for any of `partitions` partitions; room for `placed`
    /// places (a fix on most partitions of a 2M-partition cluster holds
    /// 100 MB of them: grown by doubling, they were copied over and over).
    pub fn new(partitions: usize, placed: usize) -> Self {
        SparsePlaces {
            slots: vec![Self::NONE; partitions],
            places: Vec::with_capacity(placed),
        }
    }

    /// Places partition `i` (`None`: offline).
    pub fn set(&mut self, i: usize, place: Option<PartitionPlace>) {
        match place {
            Some(place) => {
                self.slots[i] = self.places.len() as u32;
                self.places.push(place);
            }
            None => self.slots[i] = Self::NONE,
        }
    }
}

/// What a tally needs to sum: every scenario and member (an audit), or
/// one scenario's cells alone (a finding pricing one scenario of a fix,
/// which then skips two thirds of the consume work and every member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// Only this scenario's cells; `None` for all three.
    pub scenario: Option<Scenario>,
    /// Whether [`Tally::members`] is filled.
    pub members: bool,
}

impl Scope {
    /// Everything: what an audit sums.
    pub const ALL: Scope = Scope {
        scenario: None,
        members: true,
    };

    /// One scenario's cells, no members.
    pub fn only(scenario: Scenario) -> Self {
        Scope {
            scenario: Some(scenario),
            members: false,
        }
    }

    fn has(self, scenario: Scenario) -> bool {
        self.scenario.is_none_or(|s| s == scenario)
    }
}

/// What [`Index::tally`] sums.
#[derive(Debug, Clone)]
pub struct Tally {
    /// Cells with bytes, in report order: by scenario, traffic, topic,
    /// group, then source and destination zone ranked by name.
    pub cells: Vec<(FlowKey, f64)>,
    /// Per group and member, as [`Flows::members`].
    pub members: BTreeMap<(u32, u32), MemberFlow>,
    /// What the estimate covers (of the partitions tallied).
    pub coverage: Coverage,
    /// Offline partitions tallied.
    pub offline: Vec<OfflinePartition>,
}

/// A second sum taken in the same pass as a whole tally: the cells of the
/// partitions `keep` selects, in one scenario, bit for bit the cells of
/// [`Index::tally_scoped`] on them alone ([`Index::tally_beside`]). Why: the
/// replica fix of a messy cluster concerns most of its partitions, and its
/// "before" was a tally of its own over the same reads in the same order
/// as the audit's (about 0.25 CPU-s at 2M partitions); beside the audit's
/// it costs one more addition per term (about 0.1 CPU-s).
#[derive(Debug, Clone, Copy)]
pub struct Beside<'k> {
    /// Per partition index (one entry per partition, snapshot order),
    /// whether it is in the second sum.
    pub keep: &'k [bool],
    /// The one scenario it sums.
    pub scenario: Scenario,
}

/// The running sums of a [`Beside`]: its own produce shares (KIP-1123
/// depends on which partitions are summed), produce and replication array,
/// and the current group's consume sums of its scenario, by topic.
struct BesideSums<'k> {
    beside: Beside<'k>,
    rack_aware: RackAwareProducers,
    shared: Vec<f64>,
    slots: HashMap<u32, usize>,
    scratch: Vec<f64>,
    consume: Vec<(FlowKey, f64)>,
}

impl<'s> Index<'s> {
    /// Resolves a validated snapshot.
    pub fn new(s: &'s Snapshot) -> Self {
        let placement = Placement::new(s);
        // Placing every partition needs only the brokers' zones, which the
        // member zones interned by `resolve` never change: it runs on the
        // other core, on its own copy of the (small) placement.
        let broker_placement = placement.clone();
        std::thread::scope(|scope| {
            let places = scope.spawn(move || order_places(s, &broker_placement));
            let index = Self::resolve(s, placement);
            // A panic in the thread is a bug; re-raise it where it happened.
            let places = places
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            Index { places, ..index }
        })
    }

    /// Everything of [`Index::new`] but the partitions' places (left empty).
    fn resolve(s: &'s Snapshot, mut placement: Placement) -> Self {
        // Topics are interned and ranked by name once, so the 10^6-partition
        // sort and every lookup below compare integers, not strings.
        // A topic's partitions usually come one after another, sharing
        // one interned name: a name at the last one's address (and of its
        // length) is the same text, so it is hashed once per run, not once
        // per partition.
        let mut topic_id: HashMap<&str, u32> = HashMap::default();
        let mut raw_topic = Vec::with_capacity(s.partitions.len());
        let mut last: Option<(usize, usize, u32)> = None;
        for p in &s.partitions {
            let name = p.topic.as_str();
            let key = (name.as_ptr() as usize, name.len());
            let id = match last {
                Some((ptr, len, id)) if (ptr, len) == key => id,
                _ => {
                    let next = topic_id.len() as u32;
                    let id = *topic_id.entry(name).or_insert(next);
                    last = Some((key.0, key.1, id));
                    id
                }
            };
            raw_topic.push(id);
        }
        let mut by_name: Vec<(&str, u32)> = topic_id.iter().map(|(t, &id)| (*t, id)).collect();
        by_name.sort_unstable();
        let topics: Vec<String> = by_name.iter().map(|(t, _)| t.to_string()).collect();
        let mut topic_rank = vec![0u32; by_name.len()];
        for (r, (_, id)) in by_name.iter().enumerate() {
            topic_rank[*id as usize] = r as u32;
        }
        for id in topic_id.values_mut() {
            *id = topic_rank[*id as usize];
        }
        let topic_of: Vec<u32> = raw_topic
            .iter()
            .map(|&id| topic_rank[id as usize])
            .collect();
        let mut order: Vec<usize> = (0..s.partitions.len()).collect();
        order.sort_unstable_by_key(|&i| (topic_of[i], s.partitions[i].partition));
        let shares = producer_shares(s, &placement);
        // A topic's partitions are a run of `order`; when they are numbered
        // 0.. (the usual case) partition k of it is at run start + k, with
        // no hashing. Validation rejects duplicate partitions, so the map
        // below is only the fallback for gaps.
        let mut topic_start = vec![0usize; topics.len() + 1];
        for &i in &order {
            topic_start[topic_of[i] as usize + 1] += 1;
        }
        for t in 0..topics.len() {
            topic_start[t + 1] += topic_start[t];
        }
        let dense = |t: u32, partition: i32| {
            let (start, end) = (topic_start[t as usize], topic_start[t as usize + 1]);
            let k = usize::try_from(partition).ok()?;
            let i = *order.get(start + k).filter(|_| start + k < end)?;
            (s.partitions[i].partition == partition).then_some(i)
        };
        let index: HashMap<(u32, i32), usize> = s
            .partitions
            .iter()
            .enumerate()
            .filter(|&(i, p)| dense(topic_of[i], p.partition) != Some(i))
            .map(|(i, p)| ((topic_of[i], p.partition), i))
            .collect();
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as u32;
        }
        let mut group_order: Vec<usize> = (0..s.consumer_groups.len()).collect();
        group_order.sort_by(|&a, &b| s.consumer_groups[a].group.cmp(&s.consumer_groups[b].group));
        // Member zones are interned in group order, so zone ids never
        // depend on how the reads below are shared out.
        let member_zones: Vec<Vec<ZoneId>> = group_order
            .iter()
            .map(|&g| {
                let members = &s.consumer_groups[g].members;
                members.iter().map(|m| placement.member_zone(m)).collect()
            })
            .collect();
        // The groups' reads (millions at scale), each group resolved on
        // its own: in two runs of groups, one per core, when large.
        let resolve_groups = |groups: &[usize]| {
            // An assignment lists many partitions of one topic string: its
            // id is looked up once per string (same address and length),
            // not once per partition.
            let last: std::cell::Cell<(usize, usize, Option<u32>)> =
                std::cell::Cell::new((0, usize::MAX, None));
            let lookup = |topic: &str, partition: i32| {
                let key = (topic.as_ptr() as usize, topic.len());
                let (ptr, len, cached) = last.get();
                let t = if (ptr, len) == key {
                    cached
                } else {
                    let t = topic_id.get(topic).copied();
                    last.set((key.0, key.1, t));
                    t
                };
                let t = t?;
                dense(t, partition).or_else(|| index.get(&(t, partition)).copied())
            };
            let mut read_start = Vec::with_capacity(groups.len() + 1);
            let mut reads = Vec::new();
            for &g in groups {
                read_start.push(reads.len());
                group_reads(s, &s.consumer_groups[g], lookup, &order, &rank, &mut reads);
            }
            (read_start, reads)
        };
        let (mut read_start, mut reads, rest) = match split_groups(s, &group_order) {
            Some(at) => std::thread::scope(|scope| {
                let (first, second) = group_order.split_at(at);
                let second = scope.spawn(|| resolve_groups(second));
                let (read_start, reads) = resolve_groups(first);
                // A panic in the thread is a bug; re-raise it where it happened.
                let rest = second
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                (read_start, reads, Some(rest))
            }),
            None => {
                let (read_start, reads) = resolve_groups(&group_order);
                (read_start, reads, None)
            }
        };
        if let Some((starts, more)) = rest {
            let offset = reads.len();
            read_start.extend(starts.into_iter().map(|at| at + offset));
            reads.extend(more);
        }
        read_start.push(reads.len());
        Index {
            s,
            placement,
            topics,
            topic_of,
            order,
            places: Vec::new(),
            group_order,
            member_zones,
            read_start,
            reads,
            shares,
        }
    }

    /// Sorted group `g`'s reads (`g` indexes [`Index::group_order`]), by
    /// (topic, partition): the partition's index, its owning member's index
    /// in `members[]` (`None` when no live member owns it) and `read(g, p)`.
    pub fn reads_of(&self, g: usize) -> impl Iterator<Item = (usize, Option<usize>, f64)> + '_ {
        self.reads[self.read_start[g]..self.read_start[g + 1]]
            .iter()
            .map(|r| {
                let owner = (r.owner != NO_MEMBER).then_some(r.owner as usize);
                (r.partition as usize, owner, r.bytes)
            })
    }

    /// Sums the flows of the partitions `keep` selects (all when `None`),
    /// each placed as `places` says (`self.places` when `None`; a partition
    /// placed `None` is offline): the sums [`compute`] makes of a snapshot
    /// holding only those partitions, so placed, bit for bit.
    pub fn tally(&self, keep: Option<&[bool]>, places: Option<&[Option<PartitionPlace>]>) -> Tally {
        let keep = keep.map_or_else(Selection::all, |mask| self.select(mask));
        self.tally_scoped(&keep, places.map(Places::Dense), Scope::ALL)
    }

    /// The partitions `mask` keeps, for [`Index::tally_scoped`]; when few
    /// are kept, their positions are listed once here, so the tallies
    /// that share the selection visit only them.
    pub fn select<'k>(&self, mask: &'k [bool]) -> Selection<'k> {
        Selection::of(mask, &self.order, self.read_partitions())
    }

    /// [`Index::select`], listing the positions or not as `sparse` says
    /// (both sum the same; for tests).
    pub fn select_with<'k>(&self, mask: &'k [bool], sparse: bool) -> Selection<'k> {
        Selection::with_walk(mask, sparse, &self.order, self.read_partitions())
    }

    /// The partition of every read, in order (every group's, sorted).
    fn read_partitions(&self) -> impl Iterator<Item = usize> + '_ {
        self.reads.iter().map(|r| r.partition as usize)
    }

    /// [`Index::tally`] of what `scope` asks for: the cells of the scenarios
    /// it names are bit for bit those of a full tally; the others are empty.
    pub fn tally_scoped(
        &self,
        keep: &Selection<'_>,
        places: Option<Places<'_>>,
        scope: Scope,
    ) -> Tally {
        self.tally_with(keep, places, scope, None).0
    }

    /// The whole tally ([`Index::tally`] of every partition) and, from the
    /// same pass, the cells [`Beside`] asks for: exactly
    /// `tally_scoped(&select(keep), None, Scope::only(scenario)).cells`.
    pub fn tally_beside(&self, beside: Beside<'_>) -> (Tally, Vec<(FlowKey, f64)>) {
        let (tally, cells) = self.tally_with(&Selection::all(), None, Scope::ALL, Some(beside));
        (tally, cells.unwrap_or_default())
    }

    fn tally_with(
        &self,
        keep: &Selection<'_>,
        places: Option<Places<'_>>,
        scope: Scope,
        beside: Option<Beside<'_>>,
    ) -> (Tally, Option<Vec<(FlowKey, f64)>>) {
        // The beside sums ride on the whole tally's walk and scenarios.
        debug_assert!(beside.is_none() || (keep.walk().is_none() && scope == Scope::ALL));
        let s = self.s;
        let placement = &self.placement;
        let places = places.unwrap_or(Places::Dense(&self.places));
        let kept = |i: usize| keep.keeps(i);
        let walk = keep.walk();
        let topic_count = self.topics.len();
        let zb = placement.zones.broker_zone_count();
        let mut coverage = Coverage {
            partitions: s.partitions.len(),
            ..Coverage::default()
        };
        let mut offline = Vec::new();
        let rack_aware = RackAwareProducers::new(s, places, &self.topic_of, topic_count, zb, &kept);
        // Produce and replication do not depend on the scenario: one flat
        // (topic, kind, src, dst) array, copied into every scenario below.
        let shared_at = SharedAt { zb };
        let mut shared = vec![0.0f64; topic_count * 2 * zb * zb];
        let mut beside = beside.map(|beside| BesideSums {
            beside,
            rack_aware: RackAwareProducers::new(s, places, &self.topic_of, topic_count, zb, &|i| {
                beside.keep[i]
            }),
            shared: vec![0.0f64; shared.len()],
            slots: HashMap::default(),
            scratch: Vec::new(),
            consume: Vec::new(),
        });
        // Every kept partition in report order: the listed ones, or all
        // of them with the others skipped.
        for at in Positions::new(walk.map(|w| &w.order_at[..]), 0..self.order.len()) {
            let i = self.order[at];
            if walk.is_none() && !kept(i) {
                continue;
            }
            let p = &s.partitions[i];
            coverage.bytes_in_total += p.bytes_in;
            let Some(place) = places.get(i) else {
                coverage.partitions_offline += 1;
                coverage.bytes_in_offline += p.bytes_in;
                offline.push(OfflinePartition {
                    name: format!("{}/{}", p.topic, p.partition),
                    bytes_in: p.bytes_in,
                });
                continue;
            };
            let topic = self.topic_of[i];
            let add = |shared: &mut [f64], rack_aware: &RackAwareProducers| {
                add_shared(
                    shared,
                    shared_at,
                    rack_aware,
                    &self.shares,
                    topic,
                    place,
                    p.bytes_in,
                );
            };
            add(&mut shared, &rack_aware);
            if let Some(b) = beside.as_mut().filter(|b| b.beside.keep[i]) {
                add(&mut b.shared, &b.rack_aware);
            }
        }

        let zone_rank = placement.zones.rank_by_name();
        let rank = |z: ZoneId| zone_rank.get(usize::from(z)).copied().unwrap_or(usize::MAX);
        // Consume destinations: every zone, then the unknown zone last.
        let zt = placement.zones.count();
        let dst_slot = |z: ZoneId| {
            if z == UNKNOWN_ZONE {
                zt
            } else {
                usize::from(z)
            }
        };
        let dst_of = |slot: usize| {
            if slot == zt {
                UNKNOWN_ZONE
            } else {
                slot as ZoneId
            }
        };
        // A topic slot's destinations, emitted in the order of their zones'
        // names (the unknown zone last), so a group's cells of one topic
        // and scenario come out in report order.
        let mut dst_by_rank: Vec<usize> = (0..=zt).collect();
        dst_by_rank.sort_by_key(|&slot| rank(dst_of(slot)));
        let cell_len = 3 * zb * (zt + 1);
        // A beside sum's slot holds its one scenario.
        let beside_len = zb * (zt + 1);
        let mut consume: Vec<(FlowKey, f64)> = Vec::new();
        let mut members = BTreeMap::new();
        let n = zb as f64;
        // This group's consume cells: topic → offset into `scratch`.
        let mut slots: HashMap<u32, usize> = HashMap::default();
        let mut scratch: Vec<f64> = Vec::new();
        // The next of a sparse walk's reads (they come in group order).
        let mut next_read = 0;
        for (gid, &g) in self.group_order.iter().enumerate() {
            let gid = gid as u32;
            let group = &s.consumer_groups[g];
            let zones = &self.member_zones[gid as usize];
            coverage.members += zones.len();
            coverage.members_unknown_zone += zones.iter().filter(|&&z| z == UNKNOWN_ZONE).count();
            let (lo, hi) = (
                self.read_start[gid as usize],
                self.read_start[gid as usize + 1],
            );
            // A sparse walk's kept reads of this group; a group with none
            // adds nothing but its members to the coverage.
            let listed = walk.map(|walk| {
                let from = next_read;
                next_read += walk.reads_at[from..].partition_point(|&at| at < hi);
                &walk.reads_at[from..next_read]
            });
            if listed.is_some_and(<[usize]>::is_empty) {
                continue;
            }
            // Racks interned once per member, compared per read.
            let racks: Vec<Option<RackId>> = group
                .members
                .iter()
                .map(|m| placement.rack_id(m.client_rack.as_deref()))
                .collect();
            slots.clear();
            scratch.clear();
            if let Some(b) = beside.as_mut() {
                b.slots.clear();
                b.scratch.clear();
            }
            let mut last_slot: Option<(u32, usize)> = None;
            let mut group_flows = vec![MemberFlow::default(); group.members.len() + 1];
            for position in Positions::new(listed, lo..hi) {
                let read = &self.reads[position];
                let partition = read.partition as usize;
                if listed.is_none() && !kept(partition) {
                    continue;
                }
                let Some(place) = places.get(partition) else {
                    coverage.bytes_read_offline += read.bytes;
                    continue;
                };
                coverage.bytes_read += read.bytes;
                let member = (read.owner != NO_MEMBER).then_some(read.owner);
                let (zone, rack) = match member {
                    Some(mi) => (zones[mi as usize], racks[mi as usize]),
                    None => {
                        coverage.bytes_read_unowned += read.bytes;
                        (UNKNOWN_ZONE, None)
                    }
                };
                if zone == UNKNOWN_ZONE {
                    coverage.bytes_read_unknown_zone += read.bytes;
                }
                // Slot `members.len()` of the group holds reads nobody owns.
                let acc = &mut group_flows[member.map_or(group.members.len(), |m| m as usize)];
                acc.read += read.bytes;
                let topic = self.topic_of[partition];
                // The read's topic slot (an unused one adds no cell: all
                // zero). A group's reads come sorted by topic, so the slot
                // is looked up once per run of a topic, not once per read.
                let base = match last_slot {
                    Some((t, base)) if t == topic => base,
                    _ => {
                        let base = *slots.entry(topic).or_insert_with(|| {
                            scratch.resize(scratch.len() + cell_len, 0.0);
                            scratch.len() - cell_len
                        });
                        last_slot = Some((topic, base));
                        base
                    }
                };
                // The beside sum's slot of this topic, when it keeps the read.
                let mut beside_at = beside
                    .as_mut()
                    .filter(|b| b.beside.keep[partition])
                    .map(|b| {
                        let base = *b.slots.entry(topic).or_insert_with(|| {
                            b.scratch.resize(b.scratch.len() + beside_len, 0.0);
                            b.scratch.len() - beside_len
                        });
                        (b, base)
                    });
                for scenario in Scenario::ALL.into_iter().filter(|&sc| scope.has(sc)) {
                    let Some((src, dst, bytes)) =
                        consume_crossing(placement, place, scenario, zone, rack, n, read.bytes)
                    else {
                        continue;
                    };
                    acc.cross[scenario.index()] += bytes;
                    let at = base
                        + (scenario.index() * zb + usize::from(src)) * (zt + 1)
                        + dst_slot(dst);
                    scratch[at] += bytes;
                    if let Some((b, base)) = beside_at.as_mut()
                        && scenario == b.beside.scenario
                    {
                        b.scratch[*base + usize::from(src) * (zt + 1) + dst_slot(dst)] += bytes;
                    }
                }
            }
            for (&topic, &base) in &slots {
                // Broker zones are interned in name order: source ids are ranks.
                for (row, sources) in scratch[base..base + cell_len]
                    .chunks_exact(zt + 1)
                    .enumerate()
                {
                    let scenario = Scenario::ALL[row / zb];
                    let src = (row % zb) as ZoneId;
                    for &dst in &dst_by_rank {
                        let bytes = sources[dst];
                        // Every term added is positive: a cell exists iff it is.
                        if bytes > 0.0 {
                            let key = FlowKey {
                                scenario,
                                traffic: Traffic::Consume,
                                topic,
                                group: gid,
                                src,
                                dst: dst_of(dst),
                            };
                            consume.push((key, bytes));
                        }
                    }
                }
            }
            if let Some(b) = beside.as_mut() {
                for (&topic, &base) in &b.slots {
                    for (src, sources) in b.scratch[base..base + beside_len]
                        .chunks_exact(zt + 1)
                        .enumerate()
                    {
                        for &dst in &dst_by_rank {
                            let bytes = sources[dst];
                            if bytes > 0.0 {
                                let key = FlowKey {
                                    scenario: b.beside.scenario,
                                    traffic: Traffic::Consume,
                                    topic,
                                    group: gid,
                                    src: src as ZoneId,
                                    dst: dst_of(dst),
                                };
                                b.consume.push((key, bytes));
                            }
                        }
                    }
                }
            }
            for (m, flow) in group_flows.into_iter().enumerate() {
                if scope.members && flow != MemberFlow::default() {
                    let id = if m == group.members.len() {
                        NO_MEMBER
                    } else {
                        m as u32
                    };
                    members.insert((gid, id), flow);
                }
            }
        }
        let cells = report_cells(
            &shared,
            in_report_order(consume, topic_count),
            topic_count,
            zb,
            scope,
        );
        let beside = beside.map(|b| {
            report_cells(
                &b.shared,
                in_report_order(b.consume, topic_count),
                topic_count,
                zb,
                Scope::only(b.beside.scenario),
            )
        });
        let tally = Tally {
            cells,
            members,
            coverage,
            offline,
        };
        (tally, beside)
    }
}

/// Where a (topic, kind, source, destination) sum of produce (kind 0) or
/// replication (kind 1) sits in a tally's flat array, for `zb` broker zones.
#[derive(Debug, Clone, Copy)]
struct SharedAt {
    zb: usize,
}

impl SharedAt {
    fn at(self, topic: u32, kind: usize, src: ZoneId, dst: ZoneId) -> usize {
        ((topic as usize * 2 + kind) * self.zb + usize::from(src)) * self.zb + usize::from(dst)
    }
}

/// Adds one partition's produce and replication bytes to `shared`.
fn add_shared(
    shared: &mut [f64],
    shared_at: SharedAt,
    rack_aware: &RackAwareProducers,
    shares: &[f64],
    topic: u32,
    place: &PartitionPlace,
    bytes_in: f64,
) {
    // produce: producers in zone z ≠ zone(L) send in(p)·s(z) to the leader;
    // with KIP-1123 the unkeyed part stays home when z leads a partition.
    for (z, share) in shares.iter().enumerate() {
        let z = z as ZoneId;
        if z != place.leader_zone {
            let crossing = rack_aware.crossing_share(topic, z);
            let bytes = bytes_in * share * crossing;
            if bytes > 0.0 {
                shared[shared_at.at(topic, 0, z, place.leader_zone)] += bytes;
            }
        }
    }
    // replication: each follower in another zone pulls every byte once.
    for &fz in &place.follower_zones {
        if fz != place.leader_zone && bytes_in > 0.0 {
            shared[shared_at.at(topic, 1, place.leader_zone, fz)] += bytes_in;
        }
    }
}

/// A tally's cells in report order: per scenario `scope` names, the
/// produce and replication sums (the same in every scenario), then that
/// scenario's consume cells (`consume`, already in report order).
fn report_cells(
    shared: &[f64],
    consume: Vec<(FlowKey, f64)>,
    topic_count: usize,
    zb: usize,
    scope: Scope,
) -> Vec<(FlowKey, f64)> {
    let shared_at = SharedAt { zb };
    // Broker zones are interned in name order, so their ids are their ranks.
    let mut shared_cells: Vec<(FlowKey, f64)> = Vec::new();
    for (kind, traffic) in [Traffic::Produce, Traffic::Replication]
        .into_iter()
        .enumerate()
    {
        for topic in 0..topic_count as u32 {
            for src in 0..zb as ZoneId {
                for dst in 0..zb as ZoneId {
                    let bytes = shared[shared_at.at(topic, kind, src, dst)];
                    if bytes > 0.0 {
                        let key = FlowKey {
                            scenario: Scenario::LeaderOnly,
                            traffic,
                            topic,
                            group: NO_GROUP,
                            src,
                            dst,
                        };
                        shared_cells.push((key, bytes));
                    }
                }
            }
        }
    }
    let mut cells = Vec::with_capacity(shared_cells.len() * 3 + consume.len());
    let mut consume = consume.into_iter().peekable();
    for scenario in Scenario::ALL.into_iter().filter(|&sc| scope.has(sc)) {
        cells.extend(
            shared_cells
                .iter()
                .map(|(k, bytes)| (FlowKey { scenario, ..*k }, *bytes)),
        );
        while let Some(cell) = consume.next_if(|(k, _)| k.scenario == scenario) {
            cells.push(cell);
        }
    }
    cells
}

/// Consume cells, emitted group by group (each group's cells of a topic
/// and scenario already ordered by source and destination zone), put in
/// report order: by scenario, topic, group, source, destination. A stable
/// counting sort by (scenario, topic) keeps the groups ascending and each
/// group's zone order, in linear time: a comparison sort of the ~10^6
/// cells of a large cluster was a fifth of the tally. Each cell is copied
/// to its place in a new vector: the writes are independent, where a
/// permutation in place (tried to save that copy's 40 MB at 2M
/// partitions) waited on a cache miss per move and took a tenth of the
/// tally.
fn in_report_order(cells: Vec<(FlowKey, f64)>, topic_count: usize) -> Vec<(FlowKey, f64)> {
    let bucket = |k: &FlowKey| k.scenario.index() * topic_count + k.topic as usize;
    let mut start = vec![0usize; 3 * topic_count + 1];
    for (k, _) in &cells {
        start[bucket(k) + 1] += 1;
    }
    for b in 0..3 * topic_count {
        start[b + 1] += start[b];
    }
    // Every slot is overwritten below; the first cell only fills them.
    let Some(&filler) = cells.first() else {
        return cells;
    };
    let mut ordered = vec![filler; cells.len()];
    for cell in cells {
        let at = &mut start[bucket(&cell.0)];
        ordered[*at] = cell;
        *at += 1;
    }
    ordered
}

/// Computes every flow of every scenario. Expects a validated snapshot.
pub fn compute(s: &Snapshot) -> Flows {
    from_index(&Index::new(s))
}

/// Every flow of the indexed snapshot.
pub fn from_index(index: &Index<'_>) -> Flows {
    from_tally(index, index.tally(None, None))
}

/// [`from_index`], and the cells `beside` asks for from the same pass
/// ([`Index::tally_beside`]).
pub fn from_index_beside(index: &Index<'_>, beside: Beside<'_>) -> (Flows, Vec<(FlowKey, f64)>) {
    let (tally, cells) = index.tally_beside(beside);
    (from_tally(index, tally), cells)
}

/// The flows of a whole tally of `index`.
fn from_tally(index: &Index<'_>, tally: Tally) -> Flows {
    let s = index.s;
    Flows {
        cells: tally.cells,
        members: tally.members,
        topics: index.topics.clone(),
        groups: index
            .group_order
            .iter()
            .map(|&g| s.consumer_groups[g].group.clone())
            .collect(),
        group_source: index.group_order.clone(),
        member_zones: index.member_zones.clone(),
        placement: index.placement.clone(),
        coverage: tally.coverage,
        offline: tally.offline,
    }
}

/// The consume bytes of one read that cross zones in one scenario, with the
/// zone they leave and the zone they enter; `None` when nothing crosses.
///
/// A reader of unknown zone is spread uniformly over the broker zones `Z`:
/// the term is the average over `z ∈ Z` of the term with `zone(m) = z`.
pub fn consume_crossing(
    placement: &Placement,
    p: &PartitionPlace,
    scenario: Scenario,
    zone: ZoneId,
    rack: Option<RackId>,
    n: f64,
    bytes: f64,
) -> Option<(ZoneId, ZoneId, f64)> {
    if bytes == 0.0 {
        return None;
    }
    // Only leader_only and current reach this: rack_aware is judged by
    // whether the zone holds a replica, below.
    let serving_zone = |rack: Option<RackId>| {
        placement.brokers[placement.serving_broker(p, scenario, zone, rack)].zone
    };
    let (src, crossing) = match (scenario, zone) {
        (Scenario::RackAware, UNKNOWN_ZONE) => {
            let remote = placement
                .zones
                .broker_zone_ids()
                .filter(|&z| !placement.has_local_replica(p, z))
                .count() as f64;
            (p.leader_zone, bytes * remote / n)
        }
        (Scenario::RackAware, z) => {
            let local = placement.has_local_replica(p, z);
            (p.leader_zone, if local { 0.0 } else { bytes })
        }
        // The serving broker sits in one zone of Z; a uniformly placed
        // reader is elsewhere in (n − 1) of n cases.
        (_, UNKNOWN_ZONE) => (serving_zone(rack), bytes * (n - 1.0) / n),
        (_, z) => {
            let src = serving_zone(rack);
            (src, if src == z { 0.0 } else { bytes })
        }
    };
    (crossing > 0.0).then_some((src, zone, crossing))
}

/// Places every partition (None when offline), indexed like `partitions[]`.
fn order_places(s: &Snapshot, placement: &Placement) -> Vec<Option<PartitionPlace>> {
    s.partitions
        .iter()
        .map(|p| placement.partition(p))
        .collect()
}

/// KIP-1123 rack-aware partitioning, an azcost extension of the cost model:
/// for the topics listed in `producers.rack_aware_topics`, a producer sends
/// its unkeyed records (share `u`) to a partition led in its own zone when
/// the topic has one; keyed records go where the key says, as before. The
/// bytes per partition are taken as measured.
struct RackAwareProducers {
    unkeyed: f64,
    /// Per topic: `None` when the topic is not rack-aware, else whether each
    /// broker zone leads at least one online partition of it.
    local_leader: Vec<Option<Vec<bool>>>,
}

impl RackAwareProducers {
    fn new(
        s: &Snapshot,
        placed: Places<'_>,
        topic_of: &[u32],
        topics: usize,
        zones: usize,
        kept: &dyn Fn(usize) -> bool,
    ) -> Self {
        let producers = s.producers.as_ref();
        let listed = producers.and_then(|p| p.rack_aware_topics.as_ref());
        let mut local_leader: Vec<Option<Vec<bool>>> = vec![None; topics];
        if let Some(listed) = listed {
            let all = listed.iter().any(|t| t == crate::snapshot::ALL_TOPICS);
            for (i, p) in s.partitions.iter().enumerate() {
                if kept(i) && (all || listed.iter().any(|t| p.topic == *t)) {
                    let slot = local_leader[topic_of[i] as usize]
                        .get_or_insert_with(|| vec![false; zones]);
                    if let Some(place) = placed.get(i)
                        && let Some(z) = slot.get_mut(usize::from(place.leader_zone))
                    {
                        *z = true;
                    }
                }
            }
        }
        RackAwareProducers {
            unkeyed: producers.and_then(|p| p.unkeyed_share).unwrap_or(1.0),
            local_leader,
        }
    }

    /// The share of a zone's producer bytes to a remote leader that still
    /// crosses: 1 without KIP-1123; the keyed share when the zone leads a
    /// partition of the topic.
    fn crossing_share(&self, topic: u32, zone: ZoneId) -> f64 {
        match &self.local_leader[topic as usize] {
            Some(local) if local.get(usize::from(zone)).copied().unwrap_or(false) => {
                1.0 - self.unkeyed
            }
            _ => 1.0,
        }
    }
}

/// `s(z)` over the broker zones, normalised to sum to exactly 1 (validation
/// allows ±1e-6) so the produce rows add up to `in(p)·(1 − s(zone(L)))`.
fn producer_shares(s: &Snapshot, placement: &Placement) -> Vec<f64> {
    let n = placement.zones.broker_zone_count();
    let given = s.producers.as_ref().and_then(|p| p.zone_shares.as_ref());
    let Some(given) = given else {
        return vec![1.0 / n as f64; n];
    };
    let mut shares = vec![0.0; n];
    for (zone, share) in given {
        if let Some(z) = placement.zones.broker_zone(zone) {
            shares[usize::from(z)] += share;
        }
    }
    let sum: f64 = shares.iter().sum();
    if sum > 0.0 {
        shares.iter_mut().for_each(|v| *v /= sum);
    }
    shares
}
