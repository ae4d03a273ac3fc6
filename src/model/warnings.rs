//! Warnings: what the estimate left out or had to guess, and how much of it
//! that touches. Never a silent zero (brief, "Standards").
//!
//! Each warning has a kind and, where it can be measured, the bytes it
//! touches, so a report on a big cluster can say "1,397 groups have members
//! of unknown zone, 23% of reads" in one line (issue 16) while the JSON and
//! the bundle keep every sentence.

use super::BYTES_PER_GB;
use super::flows::{Flows, NO_MEMBER};
use super::placement::UNKNOWN_ZONE;
use crate::snapshot::{RACK_AWARE_SELECTOR, Snapshot};
use serde::Serialize;

/// What a warning is about; reports group warnings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// The collector could not see something (the snapshot's `warnings`).
    Collection,
    /// Partitions without a leader, left out of every sum.
    PartitionOffline,
    /// The brokers' `replica.selector.class` is set, but not to Kafka's
    /// rack-aware selector.
    SelectorNotRackAware,
    /// No consumer groups at all.
    NoConsumerGroups,
    /// Members whose zone is unknown, spread uniformly.
    MembersZoneUnknown,
    /// Reads of partitions no live member owns.
    ReadsWithoutMember,
    /// Members in a zone without brokers.
    MemberOutsideBrokerZones,
}

impl WarningKind {
    /// The stable name reports and CSV files use.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Collection => "collection",
            WarningKind::PartitionOffline => "partition-offline",
            WarningKind::SelectorNotRackAware => "selector-not-rack-aware",
            WarningKind::NoConsumerGroups => "no-consumer-groups",
            WarningKind::MembersZoneUnknown => "members-zone-unknown",
            WarningKind::ReadsWithoutMember => "reads-without-member",
            WarningKind::MemberOutsideBrokerZones => "member-outside-broker-zones",
        }
    }
}

/// Which bytes a kind's share is a share of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Bytes produced in the window (all partitions, offline included).
    Produced,
    /// Bytes read by consumer groups in the window.
    Read,
}

impl Basis {
    /// How reports name the whole.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Produced => "of bytes produced",
            Basis::Read => "of bytes read",
        }
    }
}

/// The warnings of one kind, for a one-line summary.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningGroup {
    /// The kind.
    pub kind: WarningKind,
    /// Bytes the kind touches in the window, where that can be measured
    /// (a collector's warning cannot).
    pub affected_bytes: Option<f64>,
    /// What `affected_bytes` is a share of.
    pub basis: Basis,
    /// `affected_bytes` over the basis total (0 when the total is 0).
    pub share: Option<f64>,
    /// Positions of this kind's warnings in [`super::Analysis::warnings`].
    pub indices: Vec<usize>,
}

/// Every warning as a sentence, and the same warnings grouped by kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Warnings {
    /// The sentences, in a fixed order.
    pub all: Vec<String>,
    /// By kind, in order of first appearance.
    pub by_kind: Vec<WarningGroup>,
}

/// One warning before grouping: its kind and the bytes it touches.
struct Raw {
    kind: WarningKind,
    text: String,
    affected: Option<(f64, Basis)>,
}

impl Raw {
    fn new(kind: WarningKind, text: String, affected: Option<(f64, Basis)>) -> Self {
        Raw {
            kind,
            text,
            affected,
        }
    }
}

/// Offline partitions named one by one before the rest are only counted.
const OFFLINE_NAMED: usize = 20;

/// Builds the warnings in a fixed order: data left out, then guesses.
pub fn collect(s: &Snapshot, flows: &Flows) -> Warnings {
    // The collector's own gaps come first: they bound everything after.
    let mut out: Vec<Raw> = s
        .warnings
        .iter()
        .map(|w| Raw::new(WarningKind::Collection, format!("collection: {w}"), None))
        .collect();
    let c = &flows.coverage;
    let offline = WarningKind::PartitionOffline;
    // The per-partition lines carry no bytes: the summary line below counts
    // them all once.
    for p in flows.offline.iter().take(OFFLINE_NAMED) {
        out.push(Raw::new(
            offline,
            format!(
                "partition {} has no leader: left out ({} produced in the window not counted)",
                p.name,
                gb(p.bytes_in)
            ),
            None,
        ));
    }
    if flows.offline.len() > OFFLINE_NAMED {
        out.push(Raw::new(
            offline,
            format!(
                "… and {} more partitions without a leader",
                flows.offline.len() - OFFLINE_NAMED
            ),
            None,
        ));
    }
    if c.partitions_offline > 0 {
        out.push(Raw::new(
            offline,
            format!(
                "{} of {} partitions are offline: {} produced ({}) and {} read by groups are left out of every sum",
                c.partitions_offline,
                c.partitions,
                gb(c.bytes_in_offline),
                percent(c.bytes_in_offline, c.bytes_in_total),
                gb(c.bytes_read_offline)
            ),
            Some((c.bytes_in_offline, Basis::Produced)),
        ));
    }
    if let Some(class) = s.cluster.replica_selector.as_deref()
        && !flows.placement.selector_enabled
        && !class.trim().is_empty()
    {
        out.push(Raw::new(
            WarningKind::SelectorNotRackAware,
            format!(
                "cluster.replica_selector is {class:?}, not {RACK_AWARE_SELECTOR}: `current` fetches from leaders"
            ),
            Some((c.bytes_read, Basis::Read)),
        ));
    }
    if s.consumer_groups.is_empty() {
        out.push(Raw::new(
            WarningKind::NoConsumerGroups,
            "the snapshot has no consumer groups: consume traffic is 0 only because nothing is known to read"
                .to_string(),
            None,
        ));
    }
    group_warnings(s, flows, &mut out);
    group(out, c.bytes_in_total, c.bytes_read)
}

/// Splits raw warnings into the sentences and their groups by kind.
fn group(raw: Vec<Raw>, produced: f64, read: f64) -> Warnings {
    let mut by_kind: Vec<WarningGroup> = Vec::new();
    let mut all = Vec::with_capacity(raw.len());
    for (i, w) in raw.into_iter().enumerate() {
        let slot = match by_kind.iter().position(|g| g.kind == w.kind) {
            Some(k) => k,
            None => {
                by_kind.push(WarningGroup {
                    kind: w.kind,
                    affected_bytes: None,
                    basis: Basis::Read,
                    share: None,
                    indices: Vec::new(),
                });
                by_kind.len() - 1
            }
        };
        let g = &mut by_kind[slot];
        g.indices.push(i);
        if let Some((bytes, basis)) = w.affected {
            g.affected_bytes = Some(g.affected_bytes.unwrap_or(0.0) + bytes);
            g.basis = basis;
        }
        all.push(w.text);
    }
    for g in &mut by_kind {
        let whole = match g.basis {
            Basis::Produced => produced,
            Basis::Read => read,
        };
        g.share = g
            .affected_bytes
            .map(|b| if whole > 0.0 { b / whole } else { 0.0 });
    }
    Warnings { all, by_kind }
}

fn group_warnings(s: &Snapshot, flows: &Flows, out: &mut Vec<Raw>) {
    let n = flows.placement.zones.broker_zone_count();
    let all_read = flows.coverage.bytes_read;
    for (g, name) in flows.groups.iter().enumerate() {
        let group = &s.consumer_groups[flows.group_source[g]];
        let zones = &flows.member_zones[g];
        let unknown: Vec<usize> = (0..zones.len())
            .filter(|&m| zones[m] == UNKNOWN_ZONE)
            .collect();
        let read_by = |pred: &dyn Fn(u32) -> bool| -> f64 {
            flows
                .members
                .range((g as u32, 0)..=(g as u32, u32::MAX))
                .filter(|((_, m), _)| pred(*m))
                .map(|(_, f)| f.read)
                .sum()
        };
        if !unknown.is_empty() {
            let bytes = read_by(&|m| m != NO_MEMBER && zones[m as usize] == UNKNOWN_ZONE);
            out.push(Raw::new(
                WarningKind::MembersZoneUnknown,
                format!(
                    "group {name}: {} of {} members have no known zone (no `zone`, and `client_rack` names no broker zone): {} read ({} of all consume reads) spread uniformly over {n} zones",
                    unknown.len(),
                    zones.len(),
                    gb(bytes),
                    percent(bytes, all_read)
                ),
                Some((bytes, Basis::Read)),
            ));
        }
        let unowned = read_by(&|m| m == NO_MEMBER);
        if unowned > 0.0 {
            out.push(Raw::new(
                WarningKind::ReadsWithoutMember,
                format!(
                    "group {name}: {} read from partitions that no live member owns: treated as read from an unknown zone",
                    gb(unowned)
                ),
                Some((unowned, Basis::Read)),
            ));
        }
        // Sorted, so the warnings do not depend on the order of members[].
        let mut outside: Vec<(String, f64)> = group
            .members
            .iter()
            .enumerate()
            .filter(|&(m, _)| zones[m] != UNKNOWN_ZONE && usize::from(zones[m]) >= n)
            .map(|(m, member)| {
                (
                    format!(
                        "group {name}: member {} runs in {}, where no broker runs: every byte it reads crosses zones",
                        member_label(member, m),
                        flows.placement.zones.name(zones[m])
                    ),
                    read_by(&|x| x == m as u32),
                )
            })
            .collect();
        outside.sort_by(|a, b| a.0.cmp(&b.0));
        out.extend(outside.into_iter().map(|(text, bytes)| {
            Raw::new(
                WarningKind::MemberOutsideBrokerZones,
                text,
                Some((bytes, Basis::Read)),
            )
        }));
    }
}

/// How a member is named in messages: member id, else client id, else position.
pub fn member_label(m: &crate::snapshot::Member, index: usize) -> String {
    m.member_id
        .clone()
        .or_else(|| m.client_id.clone())
        .unwrap_or_else(|| format!("#{index}"))
}

/// Bytes as GB with two decimals, the unit every report uses.
pub fn gb(bytes: f64) -> String {
    format!("{:.2} GB", bytes / BYTES_PER_GB)
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1}%", part / whole * 100.0)
    } else {
        "0%".to_string()
    }
}
