//! Warnings: what the estimate left out or had to guess, and how much of it
//! that touches. Never a silent zero (brief, "Standards").

use super::BYTES_PER_GB;
use super::flows::{Flows, NO_MEMBER};
use super::placement::UNKNOWN_ZONE;
use crate::snapshot::{RACK_AWARE_SELECTOR, Snapshot};

/// Offline partitions named one by one before the rest are only counted.
const OFFLINE_NAMED: usize = 20;

/// Builds the warnings in a fixed order: data left out, then guesses.
pub fn collect(s: &Snapshot, flows: &Flows) -> Vec<String> {
    // The collector's own gaps come first: they bound everything after.
    let mut out: Vec<String> = s
        .warnings
        .iter()
        .map(|w| format!("collection: {w}"))
        .collect();
    let c = &flows.coverage;
    for p in flows.offline.iter().take(OFFLINE_NAMED) {
        out.push(format!(
            "partition {} has no leader: left out ({} produced in the window not counted)",
            p.name,
            gb(p.bytes_in)
        ));
    }
    if flows.offline.len() > OFFLINE_NAMED {
        out.push(format!(
            "… and {} more partitions without a leader",
            flows.offline.len() - OFFLINE_NAMED
        ));
    }
    if c.partitions_offline > 0 {
        out.push(format!(
            "{} of {} partitions are offline: {} produced ({}) and {} read by groups are left out of every sum",
            c.partitions_offline,
            c.partitions,
            gb(c.bytes_in_offline),
            percent(c.bytes_in_offline, c.bytes_in_total),
            gb(c.bytes_read_offline)
        ));
    }
    if let Some(class) = s.cluster.replica_selector.as_deref()
        && !flows.placement.selector_enabled
        && !class.trim().is_empty()
    {
        out.push(format!(
            "cluster.replica_selector is {class:?}, not {RACK_AWARE_SELECTOR}: `current` fetches from leaders"
        ));
    }
    if s.consumer_groups.is_empty() {
        out.push(
            "the snapshot has no consumer groups: consume traffic is 0 only because nothing is known to read"
                .to_string(),
        );
    }
    group_warnings(s, flows, &mut out);
    out
}

fn group_warnings(s: &Snapshot, flows: &Flows, out: &mut Vec<String>) {
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
            out.push(format!(
                "group {name}: {} of {} members have no known zone (no `zone`, and `client_rack` names no broker zone): {} read ({} of all consume reads) spread uniformly over {n} zones",
                unknown.len(),
                zones.len(),
                gb(bytes),
                percent(bytes, all_read)
            ));
        }
        let unowned = read_by(&|m| m == NO_MEMBER);
        if unowned > 0.0 {
            out.push(format!(
                "group {name}: {} read from partitions that no live member owns: treated as read from an unknown zone",
                gb(unowned)
            ));
        }
        // Sorted, so the warnings do not depend on the order of members[].
        let mut outside: Vec<String> = group
            .members
            .iter()
            .enumerate()
            .filter(|&(m, _)| zones[m] != UNKNOWN_ZONE && usize::from(zones[m]) >= n)
            .map(|(m, member)| {
                format!(
                    "group {name}: member {} runs in {}, where no broker runs: every byte it reads crosses zones",
                    member_label(member, m),
                    flows.placement.zones.name(zones[m])
                )
            })
            .collect();
        outside.sort();
        out.extend(outside);
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
