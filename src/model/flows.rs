//! Bytes that cross zones, per scenario, traffic kind, topic, group and zone
//! pair: the sums of `cost-model.md`, before any price.
//!
//! Partitions, groups and reads are visited in a canonical order (sorted by
//! name), so the floating-point sums do not depend on the order of the
//! snapshot's arrays: same evidence in, byte-identical report out.

use super::placement::{PartitionPlace, Placement, UNKNOWN_ZONE, ZoneId};
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
    /// Bytes per cell.
    pub cells: HashMap<FlowKey, f64>,
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

/// A read of one partition by one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Read {
    /// Index into the snapshot's `partitions[]`.
    pub partition: usize,
    /// `read(g, p)`.
    pub bytes: f64,
}

/// Who owns which partition in a group (member index in `members[]`; the
/// last member listing a partition wins) and what the group read, per
/// cost-model.md: its `bytes_read` when present (exactly those, nothing
/// else), else `in(p)` of every assigned partition. Reads of partitions the
/// snapshot does not have are dropped. Unsorted. Shared by the flows and
/// the placement rows, so both count the same reads.
pub fn group_reads(
    s: &Snapshot,
    group: &ConsumerGroup,
    lookup: impl Fn(&str, i32) -> Option<usize>,
) -> (HashMap<usize, u32>, Vec<Read>) {
    let mut owner: HashMap<usize, u32> = HashMap::default();
    for (mi, m) in group.members.iter().enumerate() {
        for tp in &m.assignment {
            for &part in &tp.partitions {
                if let Some(i) = lookup(&tp.topic, part) {
                    owner.insert(i, mi as u32);
                }
            }
        }
    }
    let reads: Vec<Read> = match &group.bytes_read {
        Some(list) => list
            .iter()
            .filter_map(|r| {
                lookup(&r.topic, r.partition).map(|i| Read {
                    partition: i,
                    bytes: r.bytes,
                })
            })
            .collect(),
        None => owner
            .keys()
            .map(|&i| Read {
                partition: i,
                bytes: s.partitions[i].bytes_in,
            })
            .collect(),
    };
    (owner, reads)
}

/// Computes every flow of every scenario. Expects a validated snapshot.
pub fn compute(s: &Snapshot) -> Flows {
    let mut placement = Placement::new(s);
    // Topics are interned and ranked by name once, so the 10^6-partition
    // sort and every lookup below compare integers, not strings.
    let mut topic_id: HashMap<&str, u32> = HashMap::default();
    let mut raw_topic = Vec::with_capacity(s.partitions.len());
    for p in &s.partitions {
        let next = topic_id.len() as u32;
        raw_topic.push(*topic_id.entry(p.topic.as_str()).or_insert(next));
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
    let mut cube = Cube::default();
    let mut coverage = Coverage {
        partitions: s.partitions.len(),
        ..Coverage::default()
    };
    let mut offline = Vec::new();
    let shares = producer_shares(s, &placement);
    let placed: Vec<Option<PartitionPlace>> = order_places(s, &placement);
    let rack_aware = RackAwareProducers::new(s, &placed, &topic_of, topics.len(), shares.len());
    for &i in &order {
        let p = &s.partitions[i];
        coverage.bytes_in_total += p.bytes_in;
        let Some(place) = &placed[i] else {
            coverage.partitions_offline += 1;
            coverage.bytes_in_offline += p.bytes_in;
            offline.push(OfflinePartition {
                name: format!("{}/{}", p.topic, p.partition),
                bytes_in: p.bytes_in,
            });
            continue;
        };
        let topic = topic_of[i];
        // produce: producers in zone z ≠ zone(L) send in(p)·s(z) to the leader;
        // with KIP-1123 the unkeyed part stays home when z leads a partition.
        for (z, share) in shares.iter().enumerate() {
            let z = z as ZoneId;
            if z != place.leader_zone {
                let crossing = rack_aware.crossing_share(topic, z);
                cube.all_scenarios(
                    Traffic::Produce,
                    topic,
                    z,
                    place.leader_zone,
                    p.bytes_in * share * crossing,
                );
            }
        }
        // replication: each follower in another zone pulls every byte once.
        for &fz in &place.follower_zones {
            if fz != place.leader_zone {
                cube.all_scenarios(
                    Traffic::Replication,
                    topic,
                    place.leader_zone,
                    fz,
                    p.bytes_in,
                );
            }
        }
    }

    let index: HashMap<(u32, i32), usize> = s
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| ((topic_of[i], p.partition), i))
        .collect();
    let lookup = |topic: &str, partition: i32| {
        let t = topic_id.get(topic)?;
        index.get(&(*t, partition)).copied()
    };
    let rank: Vec<usize> = {
        let mut rank = vec![0; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        rank
    };
    let mut group_order: Vec<usize> = (0..s.consumer_groups.len()).collect();
    group_order.sort_by(|&a, &b| s.consumer_groups[a].group.cmp(&s.consumer_groups[b].group));
    let groups: Vec<String> = group_order
        .iter()
        .map(|&g| s.consumer_groups[g].group.clone())
        .collect();
    let mut members = BTreeMap::new();
    let mut member_zones = Vec::with_capacity(group_order.len());
    let n = placement.zones.broker_zone_count() as f64;
    for (gid, &g) in group_order.iter().enumerate() {
        let gid = gid as u32;
        let group = &s.consumer_groups[g];
        let zones: Vec<ZoneId> = group
            .members
            .iter()
            .map(|m| placement.member_zone(m))
            .collect();
        coverage.members += zones.len();
        coverage.members_unknown_zone += zones.iter().filter(|&&z| z == UNKNOWN_ZONE).count();
        let (owner, mut reads) = group_reads(s, group, lookup);
        reads.sort_by_key(|r| rank[r.partition]);
        let mut group_flows = vec![MemberFlow::default(); group.members.len() + 1];
        for read in reads {
            let Some(place) = &placed[read.partition] else {
                coverage.bytes_read_offline += read.bytes;
                continue;
            };
            coverage.bytes_read += read.bytes;
            let member = owner.get(&read.partition).copied();
            let (zone, rack) = match member {
                Some(mi) => (
                    zones[mi as usize],
                    group.members[mi as usize].client_rack.as_deref(),
                ),
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
            let topic = topic_of[read.partition];
            for scenario in Scenario::ALL {
                let Some((src, dst, bytes)) =
                    consume_crossing(&placement, place, scenario, zone, rack, n, read.bytes)
                else {
                    continue;
                };
                acc.cross[scenario.index()] += bytes;
                cube.add(
                    FlowKey {
                        scenario,
                        traffic: Traffic::Consume,
                        topic,
                        group: gid,
                        src,
                        dst,
                    },
                    bytes,
                );
            }
        }
        for (m, flow) in group_flows.into_iter().enumerate() {
            if flow != MemberFlow::default() {
                let id = if m == group.members.len() {
                    NO_MEMBER
                } else {
                    m as u32
                };
                members.insert((gid, id), flow);
            }
        }
        member_zones.push(zones);
    }
    Flows {
        cells: cube.into_cells(),
        members,
        topics,
        groups,
        group_source: group_order,
        member_zones,
        placement,
        coverage,
        offline,
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
    client_rack: Option<&str>,
    n: f64,
    bytes: f64,
) -> Option<(ZoneId, ZoneId, f64)> {
    if bytes == 0.0 {
        return None;
    }
    // Only leader_only and current reach this: rack_aware is judged by
    // whether the zone holds a replica, below.
    let serving_zone = |client_rack: Option<&str>| {
        placement.brokers[placement.serving_broker(p, scenario, zone, client_rack)].zone
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
        (_, UNKNOWN_ZONE) => (serving_zone(client_rack), bytes * (n - 1.0) / n),
        (_, z) => {
            let src = serving_zone(client_rack);
            (src, if src == z { 0.0 } else { bytes })
        }
    };
    (crossing > 0.0).then_some((src, zone, crossing))
}

/// Places every partition (None when offline), indexed like `partitions[]`.
fn order_places(s: &Snapshot, placement: &Placement) -> Vec<Option<PartitionPlace>> {
    s.partitions
        .iter()
        .enumerate()
        .map(|(i, p)| placement.partition(i, p))
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
        placed: &[Option<PartitionPlace>],
        topic_of: &[u32],
        topics: usize,
        zones: usize,
    ) -> Self {
        let producers = s.producers.as_ref();
        let listed = producers.and_then(|p| p.rack_aware_topics.as_ref());
        let mut local_leader: Vec<Option<Vec<bool>>> = vec![None; topics];
        if let Some(listed) = listed {
            let all = listed.iter().any(|t| t == crate::snapshot::ALL_TOPICS);
            for (i, p) in s.partitions.iter().enumerate() {
                if all || listed.iter().any(|t| p.topic == *t) {
                    let slot = local_leader[topic_of[i] as usize]
                        .get_or_insert_with(|| vec![false; zones]);
                    if let Some(place) = &placed[i]
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

/// Accumulates the cube. Produce and replication do not depend on the
/// scenario, so they are summed once and copied into every scenario at the
/// end: a third of the work on the largest loops.
#[derive(Default)]
struct Cube {
    cells: HashMap<FlowKey, f64>,
    shared: HashMap<FlowKey, f64>,
}

impl Cube {
    fn add(&mut self, key: FlowKey, bytes: f64) {
        if bytes > 0.0 {
            *self.cells.entry(key).or_insert(0.0) += bytes;
        }
    }

    fn all_scenarios(
        &mut self,
        traffic: Traffic,
        topic: u32,
        src: ZoneId,
        dst: ZoneId,
        bytes: f64,
    ) {
        if bytes > 0.0 {
            let key = FlowKey {
                scenario: Scenario::LeaderOnly,
                traffic,
                topic,
                group: NO_GROUP,
                src,
                dst,
            };
            *self.shared.entry(key).or_insert(0.0) += bytes;
        }
    }

    fn into_cells(mut self) -> HashMap<FlowKey, f64> {
        for (key, bytes) in self.shared {
            for scenario in Scenario::ALL {
                self.cells.insert(FlowKey { scenario, ..key }, bytes);
            }
        }
        self.cells
    }
}
