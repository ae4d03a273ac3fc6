//! The placement map: for every read (group, member, topic, partition),
//! which broker serves it in each scenario, the bytes that cross zones and,
//! in one word, why the current fetch crosses or not.
//!
//! Owns only the enumeration: the serving broker comes from
//! [`Placement::serving_broker`](super::placement::Placement::serving_broker),
//! the crossing bytes from
//! [`flows::consume_crossing`] and the reads from [`Index::reads_of`],
//! the same functions the audit's sums use, so the rows add up to the
//! audit's consume bytes per scenario. Rows are handed to a callback one at
//! a time: no table is held in memory.

use super::Scenario;
use super::flows::{self, Index};
use super::placement::{UNKNOWN_ZONE, ZoneId};
use crate::snapshot::Snapshot;
use rustc_hash::FxHashMap as HashMap;

/// Why the current fetch crosses zones, or does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The serving broker sits in the member's zone.
    Local,
    /// The brokers do not run `RackAwareReplicaSelector`: the leader serves.
    SelectorOff,
    /// The member sends no `client.rack`: the leader serves.
    NoClientRack,
    /// The `client.rack` equals no broker's `broker.rack` (an AZ name where
    /// MSK racks are AZ IDs, a typo): the leader serves.
    RackMatchesNoBroker,
    /// The `client.rack` names brokers of another zone than the member's.
    RackNamesOtherZone,
    /// The rack is right but no in-sync replica of the partition (leader
    /// included) sits in the member's zone.
    NoInSyncReplicaInZone,
    /// The member's zone is unknown (or no live member owns the partition):
    /// the bytes are the model's uniform expectation.
    ZoneUnknown,
    /// The partition has no leader: left out of every sum.
    Offline,
}

impl Reason {
    /// Every reason, in the order the README lists them.
    pub const ALL: [Reason; 8] = [
        Reason::Local,
        Reason::SelectorOff,
        Reason::NoClientRack,
        Reason::RackMatchesNoBroker,
        Reason::RackNamesOtherZone,
        Reason::NoInSyncReplicaInZone,
        Reason::ZoneUnknown,
        Reason::Offline,
    ];

    /// The word printed in the `reason` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Local => "local",
            Reason::SelectorOff => "selector-off",
            Reason::NoClientRack => "no-client-rack",
            Reason::RackMatchesNoBroker => "rack-matches-no-broker",
            Reason::RackNamesOtherZone => "rack-names-other-zone",
            Reason::NoInSyncReplicaInZone => "no-in-sync-replica-in-zone",
            Reason::ZoneUnknown => "zone-unknown",
            Reason::Offline => "offline",
        }
    }
}

/// A broker serving a read: its id and zone name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served<'a> {
    /// `broker.id`.
    pub broker: i32,
    /// Zone name (AZ ID when known).
    pub zone: &'a str,
}

/// One read of one partition by one group.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRow<'a> {
    /// Consumer group id.
    pub group: &'a str,
    /// The owning member's id; `None` when no live member owns the partition
    /// (or the member has no id).
    pub member_id: Option<&'a str>,
    /// Topic.
    pub topic: &'a str,
    /// Partition.
    pub partition: i32,
    /// The member's zone; `None` when unknown.
    pub member_zone: Option<&'a str>,
    /// The `client.rack` the member sends.
    pub client_rack: Option<&'a str>,
    /// The leader and, per scenario in [`Scenario::ALL`] order, the serving
    /// broker; all `None` when the partition is offline.
    pub leader: Option<Served<'a>>,
    /// Serving broker per scenario, by [`Scenario::index`].
    pub serving: [Option<Served<'a>>; 3],
    /// `read(g, p)`.
    pub bytes: f64,
    /// Bytes that cross zones per scenario, by [`Scenario::index`]
    /// (the uniform expectation when the zone is unknown; 0 when offline).
    pub cross: [f64; 3],
    /// Why the current fetch crosses or not.
    pub reason: Reason,
}

/// Calls `emit` for every read of the snapshot, groups sorted by id and each
/// group's reads by (topic, partition). Stops at the first error `emit`
/// returns. Expects a validated snapshot.
pub fn for_each_read<E>(
    s: &Snapshot,
    emit: impl FnMut(&ReadRow<'_>) -> Result<(), E>,
) -> Result<(), E> {
    for_each_read_indexed(&Index::new(s), emit)
}

/// [`for_each_read`] of an indexed snapshot: the report job walks the
/// index its audit already built (millions of reads at scale) instead of
/// resolving every group's reads again.
pub fn for_each_read_indexed<E>(
    index: &Index<'_>,
    mut emit: impl FnMut(&ReadRow<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let s = index.s;
    let placement = &index.placement;
    let n = placement.zones.broker_zone_count() as f64;
    let mut rack_zones: HashMap<&str, Vec<ZoneId>> = HashMap::default();
    for b in &placement.brokers {
        if let Some(rack) = b.rack.as_deref() {
            rack_zones.entry(rack).or_default().push(b.zone);
        }
    }
    let served = |b: usize| Served {
        broker: s.brokers[b].id,
        zone: placement.zones.name(placement.brokers[b].zone),
    };
    for (gi, &g) in index.group_order.iter().enumerate() {
        let group = &s.consumer_groups[g];
        let zones = &index.member_zones[gi];
        for (partition, member, bytes) in index.reads_of(gi) {
            let p = &s.partitions[partition];
            let (zone, rack, member_id) = match member {
                Some(m) => (
                    zones[m],
                    group.members[m].client_rack.as_deref(),
                    group.members[m].member_id.as_deref(),
                ),
                None => (UNKNOWN_ZONE, None, None),
            };
            let mut row = ReadRow {
                group: &group.group,
                member_id,
                topic: &p.topic,
                partition: p.partition,
                member_zone: (zone != UNKNOWN_ZONE).then(|| placement.zones.name(zone)),
                client_rack: rack,
                leader: None,
                serving: [None; 3],
                bytes,
                cross: [0.0; 3],
                reason: Reason::Offline,
            };
            if let Some(place) = &index.places[partition] {
                let rack_id = placement.rack_id(rack);
                row.leader = Some(served(place.leader()));
                let mut current = place.leader();
                for scenario in Scenario::ALL {
                    let b = placement.serving_broker(place, scenario, zone, rack_id);
                    if scenario == Scenario::Current {
                        current = b;
                    }
                    row.serving[scenario.index()] = Some(served(b));
                    row.cross[scenario.index()] = flows::consume_crossing(
                        placement, place, scenario, zone, rack_id, n, bytes,
                    )
                    .map_or(0.0, |(_, _, crossing)| crossing);
                }
                row.reason = if zone == UNKNOWN_ZONE {
                    Reason::ZoneUnknown
                } else if placement.brokers[current].zone == zone {
                    Reason::Local
                } else if !placement.selector_enabled {
                    Reason::SelectorOff
                } else {
                    match rack.filter(|r| !r.is_empty()) {
                        None => Reason::NoClientRack,
                        Some(r) => match rack_zones.get(r) {
                            None => Reason::RackMatchesNoBroker,
                            Some(zs) if !zs.contains(&zone) => Reason::RackNamesOtherZone,
                            Some(_) => Reason::NoInSyncReplicaInZone,
                        },
                    }
                };
            }
            emit(&row)?;
        }
    }
    Ok(())
}

/// Bytes of the current scenario that cross zones, by [`Reason`], summed
/// row by row as a walk over the reads goes (the report's placement map
/// sums them in the same pass that writes its rows).
#[derive(Debug, Default)]
pub struct CrossingByReason(HashMap<Reason, f64>);

impl CrossingByReason {
    /// Counts `row`'s current crossing bytes under its reason.
    pub fn add(&mut self, row: &ReadRow<'_>) {
        let bytes = row.cross[Scenario::Current.index()];
        if bytes > 0.0 {
            *self.0.entry(row.reason).or_insert(0.0) += bytes;
        }
    }

    /// The sums, largest first (ties by reason): the "why it still crosses"
    /// table. Reasons with no crossing byte are left out.
    pub fn largest_first(self) -> Vec<(Reason, f64)> {
        let mut out: Vec<(Reason, f64)> = self.0.into_iter().collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}
