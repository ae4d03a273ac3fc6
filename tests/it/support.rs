//! Builders for snapshots in tests: say the few facts a case is about, not
//! a wall of JSON (kminion's `buildMeta`).

#![allow(dead_code)]

use azcost::model::{Analysis, Pricing, analyze};
use azcost::snapshot::*;

pub const GIB: f64 = 1_073_741_824.0;
pub const TIB: f64 = 1_099_511_627_776.0;

/// A snapshot with one broker per `(id, zone)`, rack = zone, a 30-day
/// window, platform msk, no selector, no partitions and no groups.
pub fn cluster(brokers: &[(i32, &str)]) -> Snapshot {
    Snapshot {
        format: FORMAT_V1.to_string(),
        cluster: ClusterInfo {
            name: "test".to_string(),
            region: None,
            platform: None,
            replica_selector: None,
            arn: None,
        },
        window: Window {
            start: "2026-10-01T00:00:00Z".to_string(),
            end: "2026-10-31T00:00:00Z".to_string(),
        },
        zones: Vec::new(),
        brokers: brokers
            .iter()
            .map(|&(id, zone)| Broker {
                id,
                rack: Some(zone.to_string()),
                zone: None,
                host: None,
                instance_type: None,
            })
            .collect(),
        partitions: Vec::new(),
        consumer_groups: Vec::new(),
        producers: None,
        topics: Vec::new(),
        provenance: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Adds a partition: leader, replicas (ISR = replicas), bytes in.
pub fn partition(s: &mut Snapshot, topic: &str, p: i32, replicas: &[i32], bytes_in: f64) {
    s.partitions.push(Partition {
        topic: topic.into(),
        partition: p,
        leader: replicas.first().copied(),
        replicas: replicas.into(),
        isr: replicas.into(),
        bytes_in,
    });
}

/// A member in `zone` (None: unknown) with `client_rack`, owning partitions of one topic.
pub fn member(zone: Option<&str>, rack: Option<&str>, topic: &str, parts: &[i32]) -> Member {
    Member {
        member_id: Some(format!("m-{}-{topic}-{parts:?}", zone.unwrap_or("x"))),
        client_id: None,
        host: None,
        client_rack: rack.map(str::to_string),
        zone: zone.map(str::to_string),
        assignment: vec![TopicPartitions {
            topic: topic.into(),
            partitions: parts.to_vec(),
        }],
    }
}

/// Adds a group.
pub fn group(s: &mut Snapshot, name: &str, members: Vec<Member>) {
    s.consumer_groups.push(ConsumerGroup {
        group: name.to_string(),
        members,
        bytes_read: None,
    });
}

/// Sets the `zones` table: (AZ ID, AZ name) pairs.
pub fn az_names(s: &mut Snapshot, pairs: &[(&str, &str)]) {
    s.zones = pairs
        .iter()
        .map(|(id, name)| ZoneEntry {
            id: id.to_string(),
            name: Some(name.to_string()),
        })
        .collect();
}

/// Turns the selector on.
pub fn selector_on(s: &mut Snapshot) {
    s.cluster.replica_selector = Some(RACK_AWARE_SELECTOR.to_string());
}

/// Validates (panicking with the problems) and analyses with default prices.
pub fn audit(s: &Snapshot) -> Analysis {
    let problems = validate(s);
    assert!(problems.is_empty(), "invalid test snapshot: {problems:?}");
    analyze(s, &Pricing::default())
}

/// Relative float comparison for sums whose order of addition may differ.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[track_caller]
pub fn assert_close(actual: f64, expected: f64) {
    assert!(
        close(actual, expected),
        "expected {expected}, got {actual} (diff {})",
        actual - expected
    );
}

/// The demo snapshot as a JSON value, for cases that edit one field.
pub fn demo_value() -> serde_json::Value {
    serde_json::from_str(DEMO_JSON).expect("demo.json is JSON")
}

/// The problems a JSON value has as a snapshot (parse or validation), as
/// `path: message` lines; empty when valid.
pub fn problems(value: &serde_json::Value) -> Vec<String> {
    let text = serde_json::to_vec(value).expect("serializable");
    match parse_and_validate(&text, "case.json") {
        Ok(_) => Vec::new(),
        Err(azcost::error::Error::InvalidSnapshot { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(other) => vec![format!("unexpected error kind: {other}")],
    }
}
