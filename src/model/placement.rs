//! Where things are: zones of brokers and members, and which broker serves
//! a fetch (Kafka's `RackAwareReplicaSelector`, KIP-392).
//!
//! Owns the mapping of a validated snapshot onto zone and broker indices.
//! It does not sum bytes (`flows.rs`) or price them (`cost.rs`).

use crate::snapshot::{Member, Partition, RACK_AWARE_SELECTOR, Snapshot};
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use std::collections::BTreeSet;

/// Index of a zone in a [`Zones`] table.
pub type ZoneId = u16;

/// The zone of a consumer we cannot place.
pub const UNKNOWN_ZONE: ZoneId = ZoneId::MAX;

/// What reports call [`UNKNOWN_ZONE`].
pub const UNKNOWN_ZONE_NAME: &str = "unknown";

/// Zones by index. The broker zones `Z` come first, sorted, as
/// `0..broker_zone_count`; zones where only consumers run follow.
#[derive(Debug, Clone)]
pub struct Zones {
    names: Vec<String>,
    index: HashMap<String, ZoneId>,
    broker_zone_count: usize,
    az_name_to_id: HashMap<String, String>,
}

impl Zones {
    /// The AZ ID an AZ name stands for in this snapshot, else the text itself.
    pub fn canonical<'a>(&'a self, text: &'a str) -> &'a str {
        self.az_name_to_id
            .get(text)
            .map(String::as_str)
            .unwrap_or(text)
    }

    /// The index of a broker zone `z ∈ Z`, after mapping AZ names.
    pub fn broker_zone(&self, text: &str) -> Option<ZoneId> {
        self.index
            .get(self.canonical(text))
            .copied()
            .filter(|&z| usize::from(z) < self.broker_zone_count)
    }

    /// `n = |Z|`.
    pub fn broker_zone_count(&self) -> usize {
        self.broker_zone_count
    }

    /// Every broker zone index.
    pub fn broker_zone_ids(&self) -> impl Iterator<Item = ZoneId> + use<> {
        // Validation caps nothing here, but 65,535 zones is far past any region.
        (0..self.broker_zone_count).map(|z| z as ZoneId)
    }

    /// The name reports print for a zone index.
    pub fn name(&self, zone: ZoneId) -> &str {
        if zone == UNKNOWN_ZONE {
            return UNKNOWN_ZONE_NAME;
        }
        self.names
            .get(usize::from(zone))
            .map(String::as_str)
            .unwrap_or(UNKNOWN_ZONE_NAME)
    }

    /// How many zones are known: broker zones, then zones only consumers run in.
    pub fn count(&self) -> usize {
        self.names.len()
    }

    /// For each zone index, its position when all zones are sorted by name.
    pub fn rank_by_name(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        let mut rank = vec![0; order.len()];
        for (r, z) in order.into_iter().enumerate() {
            rank[z] = r;
        }
        rank
    }

    fn intern(&mut self, text: &str) -> ZoneId {
        let id = self.canonical(text).to_string();
        if let Some(&z) = self.index.get(&id) {
            return z;
        }
        let z = self.names.len() as ZoneId;
        self.names.push(id.clone());
        self.index.insert(id, z);
        z
    }
}

/// A broker: its raw `broker.rack` (for the selector) and its zone (for cost).
#[derive(Debug, Clone)]
pub struct BrokerPlace {
    /// `broker.rack`, compared raw against `client.rack`.
    pub rack: Option<String>,
    /// `rack` interned ([`Placement::rack_id`]).
    pub rack_id: Option<RackId>,
    /// The zone it runs in.
    pub zone: ZoneId,
}

/// An online partition mapped onto zones.
#[derive(Debug, Clone)]
pub struct PartitionPlace {
    /// Leader broker index into [`Placement::brokers`] ([`Self::leader`]):
    /// 4 bytes like the followers', so a place is 64 bytes, not 72 (2M of
    /// them in the index, and as many again in a fix's places).
    leader: u32,
    /// Zone of the leader.
    pub leader_zone: ZoneId,
    /// In-sync followers (ISR without the leader), as broker indices.
    /// Inline: a placement per partition must not cost heap allocations.
    pub isr_followers: SmallVec<[u32; 4]>,
    /// Zones of every follower in `replicas` (in sync or not): replication targets.
    pub follower_zones: SmallVec<[ZoneId; 4]>,
    /// Bit `z` set when the leader or an in-sync follower sits in zone
    /// `z < 64`: [`Placement::has_local_replica`] without a scan.
    local_zones: u64,
}

// A guard on the layout the field types above were chosen for.
const _: () = assert!(std::mem::size_of::<PartitionPlace>() <= 64);

impl PartitionPlace {
    /// The leader's index into [`Placement::brokers`].
    pub fn leader(&self) -> usize {
        self.leader as usize
    }
}

/// The bit of `zone` in [`PartitionPlace`]'s local-zone mask, if it has one.
fn zone_bit(zone: ZoneId) -> Option<u64> {
    (zone < 64).then(|| 1u64 << zone)
}

/// A `broker.rack` value interned: the selector compares racks for every
/// read, millions of times, so they compare as integers, not text.
pub type RackId = u16;

/// Brokers and zones of a snapshot, with the selector's setting.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Zone table.
    pub zones: Zones,
    /// Brokers in snapshot order.
    pub brokers: Vec<BrokerPlace>,
    /// Broker id → index into `brokers`.
    pub broker_index: HashMap<i32, usize>,
    /// Whether the brokers run `RackAwareReplicaSelector`.
    pub selector_enabled: bool,
    /// Every `broker.rack` → its [`RackId`].
    rack_ids: HashMap<String, RackId>,
}

impl Placement {
    /// Maps brokers to zones. Expects a validated snapshot.
    pub fn new(s: &Snapshot) -> Self {
        let az_name_to_id: HashMap<String, String> = s
            .zones
            .iter()
            .filter_map(|z| z.name.clone().map(|n| (n, z.id.clone())))
            .collect();
        let mut zones = Zones {
            names: Vec::new(),
            index: HashMap::default(),
            broker_zone_count: 0,
            az_name_to_id,
        };
        let raw_zone = |b: &crate::snapshot::Broker| {
            b.zone
                .clone()
                .or_else(|| b.rack.clone())
                .unwrap_or_default()
        };
        let broker_zone_names: BTreeSet<String> = s
            .brokers
            .iter()
            .map(|b| zones.canonical(&raw_zone(b)).to_string())
            .collect();
        for name in &broker_zone_names {
            zones.intern(name);
        }
        zones.broker_zone_count = zones.names.len();
        let mut rack_ids: HashMap<String, RackId> = HashMap::default();
        let brokers: Vec<BrokerPlace> = s
            .brokers
            .iter()
            .map(|b| {
                let rack_id = b.rack.as_ref().map(|r| {
                    let next = rack_ids.len() as RackId;
                    *rack_ids.entry(r.clone()).or_insert(next)
                });
                BrokerPlace {
                    rack: b.rack.clone(),
                    rack_id,
                    zone: zones.intern(&raw_zone(b)),
                }
            })
            .collect();
        let broker_index = s
            .brokers
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id, i))
            .collect();
        let selector_enabled = s
            .cluster
            .replica_selector
            .as_deref()
            .is_some_and(|c| c.trim() == RACK_AWARE_SELECTOR);
        Placement {
            zones,
            brokers,
            broker_index,
            selector_enabled,
            rack_ids,
        }
    }

    /// Places a partition; `None` when it has no leader (offline).
    pub fn partition(&self, p: &Partition) -> Option<PartitionPlace> {
        self.place(p.leader, &p.replicas, &p.isr)
    }

    /// Places a partition with this leader, replicas and ISR (a
    /// partition as it is, or as a what-if would leave it).
    pub fn place(
        &self,
        leader: Option<i32>,
        replicas: &[i32],
        isr: &[i32],
    ) -> Option<PartitionPlace> {
        let leader_id = leader.filter(|&l| l >= 0)?;
        let leader = *self.broker_index.get(&leader_id)?;
        let leader_zone = self.brokers[leader].zone;
        let isr_followers: SmallVec<[u32; 4]> = isr
            .iter()
            .filter(|&&b| b != leader_id)
            .filter_map(|b| self.broker_index.get(b).map(|&i| i as u32))
            .collect();
        let local_zones = self.local_zones(leader_zone, &isr_followers);
        let follower_zones = replicas
            .iter()
            .filter(|&&b| b != leader_id)
            .filter_map(|b| self.broker_index.get(b))
            .map(|&i| self.brokers[i].zone)
            .collect();
        Some(PartitionPlace {
            leader: leader as u32,
            leader_zone,
            isr_followers,
            follower_zones,
            local_zones,
        })
    }

    /// [`Placement::place`] of a partition whose replicas are all in sync,
    /// given as indices into [`Placement::brokers`] (the leader apart, the
    /// followers distinct and without it): a replica fix's result, placed
    /// without looking its ids up again.
    pub fn place_in_sync(&self, leader: usize, followers: &[u32]) -> PartitionPlace {
        let leader_zone = self.brokers[leader].zone;
        PartitionPlace {
            leader: leader as u32,
            leader_zone,
            isr_followers: followers.iter().copied().collect(),
            follower_zones: followers
                .iter()
                .map(|&b| self.brokers[b as usize].zone)
                .collect(),
            local_zones: self.local_zones(leader_zone, followers),
        }
    }

    /// [`PartitionPlace`]'s mask of the zones of the leader and of its
    /// in-sync followers (broker indices).
    fn local_zones(&self, leader_zone: ZoneId, isr_followers: &[u32]) -> u64 {
        std::iter::once(leader_zone)
            .chain(isr_followers.iter().map(|&b| self.brokers[b as usize].zone))
            .filter_map(zone_bit)
            .fold(0, |mask, bit| mask | bit)
    }

    /// The zone a member really runs in: its `zone`, else its `client_rack`
    /// when that names a broker zone, else unknown (cost-model.md, `zone(m)`).
    pub fn member_zone(&mut self, m: &Member) -> ZoneId {
        if let Some(zone) = m.zone.as_deref() {
            return self.zones.intern(zone);
        }
        m.client_rack
            .as_deref()
            .and_then(|r| self.zones.broker_zone(r))
            .unwrap_or(UNKNOWN_ZONE)
    }

    /// The broker a consumer with `client_rack` fetches from, as Kafka's
    /// `RackAwareReplicaSelector` picks it (KIP-392): leader when the rack
    /// is empty or matches nothing; the leader when it matches; otherwise a
    /// matching in-sync follower (the first listed: any of them costs the same).
    /// The comparison is raw string equality, as in Kafka, so an AZ name
    /// never matches an AZ ID rack.
    pub fn preferred_read_replica(&self, p: &PartitionPlace, client_rack: Option<&str>) -> usize {
        self.preferred_read_replica_of(p, self.rack_id(client_rack))
    }

    /// The [`RackId`] of a `client.rack`: `None` when it is empty or equals
    /// no broker's rack (the selector then picks the leader, as for none).
    pub fn rack_id(&self, client_rack: Option<&str>) -> Option<RackId> {
        let rack = client_rack.filter(|r| !r.is_empty())?;
        self.rack_ids.get(rack).copied()
    }

    /// [`Placement::preferred_read_replica`] of a rack already interned.
    pub fn preferred_read_replica_of(&self, p: &PartitionPlace, rack: Option<RackId>) -> usize {
        let Some(rack) = rack else {
            return p.leader();
        };
        let matches = |b: usize| self.brokers[b].rack_id == Some(rack);
        if matches(p.leader()) {
            return p.leader();
        }
        p.isr_followers
            .iter()
            .map(|&b| b as usize)
            .find(|&b| matches(b))
            .unwrap_or(p.leader())
    }

    /// The broker a member in `zone` fetches from when it sends the rack of
    /// its own zone and the selector is on (the `rack_aware` scenario): the
    /// leader when it sits in `zone`, else the first in-sync follower there
    /// in ISR order, else the leader. Out-of-sync replicas never serve. A
    /// member of unknown zone is shown the leader (its cost is the uniform
    /// expectation, not this broker's).
    pub fn rack_aware_replica(&self, p: &PartitionPlace, zone: ZoneId) -> usize {
        if p.leader_zone == zone || zone == UNKNOWN_ZONE {
            return p.leader();
        }
        p.isr_followers
            .iter()
            .map(|&b| b as usize)
            .find(|&b| self.brokers[b].zone == zone)
            .unwrap_or(p.leader())
    }

    /// The broker that serves a fetch in `scenario` for a member in `zone`
    /// sending `client_rack`: the one rule flows and placement rows share.
    pub fn serving_broker(
        &self,
        p: &PartitionPlace,
        scenario: super::Scenario,
        zone: ZoneId,
        rack: Option<RackId>,
    ) -> usize {
        match scenario {
            super::Scenario::LeaderOnly => p.leader(),
            super::Scenario::Current if self.selector_enabled => {
                self.preferred_read_replica_of(p, rack)
            }
            super::Scenario::Current => p.leader(),
            super::Scenario::RackAware => self.rack_aware_replica(p, zone),
        }
    }

    /// The `client.rack` a client in `zone` must send to be served there:
    /// the `broker.rack` of a broker in that zone that has one.
    pub fn rack_of_zone(&self, zone: ZoneId) -> Option<&str> {
        if zone == UNKNOWN_ZONE {
            return None;
        }
        self.brokers
            .iter()
            .filter(|b| b.zone == zone)
            .find_map(|b| b.rack.as_deref())
    }

    /// Whether the leader or an in-sync follower sits in `zone`: the
    /// `rack_aware` scenario's test for a local fetch.
    pub fn has_local_replica(&self, p: &PartitionPlace, zone: ZoneId) -> bool {
        if let Some(bit) = zone_bit(zone) {
            return p.local_zones & bit != 0;
        }
        p.leader_zone == zone
            || p.isr_followers
                .iter()
                .any(|&b| self.brokers[b as usize].zone == zone)
    }
}
