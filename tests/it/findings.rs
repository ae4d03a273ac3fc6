//! One fixture per finding that triggers it, and a clean one that triggers
//! none. Each finding's dollars are worked out by hand.
//!
//! Money: the 30-day window projects to a 730-hour month, so 720 GiB
//! crossing in the window costs 720 · $0.02 · 730/720 = $14.60 a month.
//! Zones A = use1-az1 (broker 1), B = use1-az2 (2), C = use1-az3 (3).

use crate::support::*;
use azcost::findings::{Finding, FindingOptions, Severity, find};
use azcost::model::{Pricing, analyze};
use azcost::snapshot::{Producers, Snapshot, TopicConfig};

const A: &str = "use1-az1";
const B: &str = "use1-az2";
const C: &str = "use1-az3";
const USD_720_GIB: f64 = 14.6;

/// Clean: RF 3 with one replica per zone, one leader per zone, 720 GiB per
/// partition, selector on, KIP-1123 producers everywhere, nobody reading.
fn base() -> Snapshot {
    let mut s = cluster(&[(1, A), (2, B), (3, C)]);
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2, 3], 720.0 * GIB);
    partition(&mut s, "t", 1, &[2, 3, 1], 720.0 * GIB);
    partition(&mut s, "t", 2, &[3, 1, 2], 720.0 * GIB);
    s.producers = Some(Producers {
        rack_aware_topics: Some(vec!["*".to_string()]),
        ..Producers::default()
    });
    s
}

fn findings_with(s: &Snapshot, opts: &FindingOptions) -> Vec<Finding> {
    let a = audit(s);
    find(s, &a, opts)
}

fn findings(s: &Snapshot) -> Vec<Finding> {
    findings_with(s, &FindingOptions::default())
}

#[track_caller]
fn the(found: &[Finding], id: &str) -> Finding {
    found
        .iter()
        .find(|f| f.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no finding {id} in {:#?}", ids(found)))
}

fn ids(found: &[Finding]) -> Vec<&str> {
    found.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn clean_cluster_has_no_findings() {
    // Every member in its own zone with the right rack, replicas everywhere.
    let mut s = base();
    group(
        &mut s,
        "g",
        vec![
            member(Some(A), Some(A), "t", &[1]),
            member(Some(B), Some(B), "t", &[2]),
            member(Some(C), Some(C), "t", &[0]),
        ],
    );
    assert_eq!(ids(&findings(&s)), Vec::<&str>::new());
}

#[test]
fn selector_off_is_the_whole_current_minus_rack_aware_gap() {
    // Member in B with client.rack B reads t/0 (leader A): with the selector
    // off it reads the leader, 720 GiB across → $14.60; rack_aware: 0.
    let mut s = base();
    s.cluster.replica_selector = None;
    group(&mut s, "g", vec![member(Some(B), Some(B), "t", &[0])]);
    let found = findings(&s);
    assert_eq!(ids(&found), ["selector-not-enabled"]);
    let f = the(&found, "selector-not-enabled");
    assert_close(f.monthly_usd, USD_720_GIB);
    assert!(f.fix.contains(
        "replica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector"
    ));
    assert!(f.fix.contains("server_properties"));
    assert_eq!(f.objects.brokers, [1, 2, 3]);
    assert!(f.tradeoff.contains("OFFSET_NOT_AVAILABLE"));
}

#[test]
fn member_without_client_rack() {
    // Member in B sends no rack and reads t/0 (leader A): current 720 GiB,
    // rack_aware 0 → $14.60; the fix names the rack of B.
    let mut s = base();
    group(&mut s, "g", vec![member(Some(B), None, "t", &[0])]);
    let found = findings(&s);
    assert_eq!(ids(&found), ["client-rack-missing/g"]);
    let f = the(&found, "client-rack-missing/g");
    assert_close(f.monthly_usd, USD_720_GIB);
    assert!(f.fix.contains("client.rack=use1-az2"), "{}", f.fix);
    assert_eq!(f.severity, Severity::Medium);
}

#[test]
fn member_with_az_name_rack() {
    // client.rack "us-east-1b" is B's AZ name; brokers' racks are AZ IDs, so
    // no broker matches: current 720 GiB, rack_aware 0 → $14.60.
    let mut s = base();
    az_names(
        &mut s,
        &[(A, "us-east-1a"), (B, "us-east-1b"), (C, "us-east-1c")],
    );
    group(
        &mut s,
        "g",
        vec![member(Some(B), Some("us-east-1b"), "t", &[0])],
    );
    let found = findings(&s);
    assert_eq!(ids(&found), ["client-rack-az-name/g"]);
    let f = the(&found, "client-rack-az-name/g");
    assert_close(f.monthly_usd, USD_720_GIB);
    assert!(f.fix.contains("client.rack=use1-az2"));
    assert!(f.severity <= Severity::Medium);
}

#[test]
fn member_with_rack_that_matches_no_broker() {
    // client.rack "rack-x" matches nothing: leader A serves the member in B:
    // $14.60 to gain.
    let mut s = base();
    group(
        &mut s,
        "g",
        vec![member(Some(B), Some("rack-x"), "t", &[0])],
    );
    let found = findings(&s);
    assert_eq!(ids(&found), ["client-rack-unmatched/g"]);
    assert_close(
        the(&found, "client-rack-unmatched/g").monthly_usd,
        USD_720_GIB,
    );
}

#[test]
fn member_whose_rack_contradicts_its_zone() {
    // Runs in A beside the leader of t/0 but says C: the follower in C serves
    // it, 720 GiB across (leader_only would be 0) → $14.60.
    let mut s = base();
    group(&mut s, "g", vec![member(Some(A), Some(C), "t", &[0])]);
    let found = findings(&s);
    assert_eq!(ids(&found), ["client-rack-wrong-zone/g"]);
    let f = the(&found, "client-rack-wrong-zone/g");
    assert_close(f.monthly_usd, USD_720_GIB);
    assert!(f.fix.contains("client.rack=use1-az1"));
    assert!(f.severity <= Severity::Medium);
}

#[test]
fn topic_without_a_replica_in_every_zone() {
    // Topic u: RF 2 on A (leader) and B, 720 GiB, read by a member in C with
    // rack C: even rack-aware it crosses (720 GiB = $14.60 residual). One
    // replica per zone puts a copy in C: rack_aware consume 0 → saves $14.60
    // (MSK: the extra replication is not billed).
    let mut s = base();
    partition(&mut s, "u", 0, &[1, 2], 720.0 * GIB);
    group(&mut s, "g", vec![member(Some(C), Some(C), "u", &[0])]);
    let found = findings(&s);
    let f = the(&found, "replicas-not-in-every-zone/u");
    assert_close(f.monthly_usd, USD_720_GIB);
    assert!(f.title.contains("$14.60"), "{}", f.title);
    assert!(f.title.contains("replication factor 2"));
}

#[test]
fn isr_shrink_that_removes_the_local_follower() {
    // t/0 ISR [1,2]: the follower in C is out of sync. The member in C (rack
    // C) falls back to leader A: 720 GiB → $14.60 until the follower returns.
    let mut s = base();
    s.partitions[0].isr = vec![1, 2].into();
    group(&mut s, "g", vec![member(Some(C), Some(C), "t", &[0])]);
    let found = findings(&s);
    assert_eq!(ids(&found), ["isr-shrink-local-follower/t"]);
    let f = the(&found, "isr-shrink-local-follower/t");
    assert_close(f.monthly_usd, USD_720_GIB);
    assert_eq!(f.objects.partitions, ["t/0"]);
    assert_eq!(f.objects.brokers, [3]);
}

#[test]
fn leader_skew_against_where_producers_run() {
    // All three leaders in A; producers 20% A, 40% B, 40% C; no KIP-1123.
    // produce now = 2160 GiB · 0.8 = 1728 GiB. Balanced (one leader per
    // zone): 720·0.8 + 720·0.6 + 720·0.6 = 1440 GiB. Saves 288 GiB
    // = 288 · 0.02 · 730/720 = $5.84.
    let mut s = base();
    for p in &mut s.partitions {
        p.replicas = vec![1, 2, 3].into();
        p.isr = vec![1, 2, 3].into();
        p.leader = Some(1);
    }
    s.producers = Some(Producers {
        zone_shares: Some(
            [(A, 0.2), (B, 0.4), (C, 0.4)]
                .iter()
                .map(|(z, v)| (z.to_string(), *v))
                .collect(),
        ),
        ..Producers::default()
    });
    let found = findings(&s);
    let f = the(&found, "leader-skew");
    assert_close(f.monthly_usd, 288.0 * 0.02 * 730.0 / 720.0);
    assert!(f.title.contains("use1-az1 100%"), "{}", f.title);
}

#[test]
fn too_many_partitions_for_the_broker_type() {
    // kafka.t3.small: MSK recommends at most 300 partition replicas; 300 more
    // RF-3 partitions give each broker 303.
    let mut s = base();
    for p in 0..300 {
        partition(
            &mut s,
            "many",
            p,
            &[(p % 3) + 1, ((p + 1) % 3) + 1, ((p + 2) % 3) + 1],
            0.0,
        );
    }
    for b in &mut s.brokers {
        b.instance_type = Some("kafka.t3.small".to_string());
    }
    let found = findings(&s);
    for b in 1..=3 {
        let f = the(&found, &format!("partitions-per-broker/{b}"));
        assert_eq!(f.monthly_usd, 0.0);
        assert!(f.title.contains("303"));
    }
    // m5.large allows 1000: no finding.
    for b in &mut s.brokers {
        b.instance_type = Some("kafka.m5.large".to_string());
    }
    assert!(
        !ids(&findings(&s))
            .iter()
            .any(|i| i.starts_with("partitions-per-broker"))
    );
}

#[test]
fn replication_factor_one_and_rf_equal_to_min_isr() {
    // Topic solo has RF 1; topic t has RF 3 with min.insync.replicas 3.
    let mut s = base();
    partition(&mut s, "solo", 0, &[1], 0.0);
    s.topics = vec![TopicConfig {
        topic: "t".to_string(),
        min_insync_replicas: Some(3),
    }];
    let found = findings(&s);
    assert_eq!(
        the(&found, "replication-factor-1/solo").severity,
        Severity::Medium
    );
    assert!(
        the(&found, "replication-factor-equals-min-isr/t")
            .fix
            .contains("min.insync.replicas=2")
    );
    // min.insync.replicas 2 with RF 3 is the safe setting.
    s.topics[0].min_insync_replicas = Some(2);
    assert!(!ids(&findings(&s)).contains(&"replication-factor-equals-min-isr/t"));
}

#[test]
fn producer_traffic_kip_1123_could_remove() {
    // No KIP-1123: uniform producers send 2/3 of 3 · 720 GiB = 1440 GiB
    // across → $29.20 a month; every zone leads a partition of t, so with all
    // records unkeyed all of it stays home: saves $29.20. With 25% unkeyed:
    // $7.30.
    let mut s = base();
    s.producers = None;
    let found = findings(&s);
    assert_eq!(ids(&found), ["producer-cross-az"]);
    let f = the(&found, "producer-cross-az");
    assert_close(f.monthly_usd, 2.0 * USD_720_GIB);
    assert!(f.title.contains("100% of records are unkeyed"));
    assert!(f.fix.contains("partitioner.rack.aware=true"));
    let quarter = findings_with(
        &s,
        &FindingOptions {
            unkeyed_share: 0.25,
        },
    );
    assert_close(
        the(&quarter, "producer-cross-az").monthly_usd,
        0.5 * USD_720_GIB,
    );
}

#[test]
fn findings_are_sorted_by_monthly_usd() {
    let s = azcost::snapshot::load(&azcost::snapshot::SnapshotSource::Demo).unwrap();
    let a = analyze(&s, &Pricing::default());
    let found = find(&s, &a, &FindingOptions::default());
    assert!(found.len() >= 5, "{:?}", ids(&found));
    assert!(
        found
            .windows(2)
            .all(|w| w[0].monthly_usd >= w[1].monthly_usd)
    );
    for want in [
        "client-rack-az-name/analytics-etl",
        "client-rack-missing/fraud-detector",
        "replicas-not-in-every-zone/clickstream",
        "isr-shrink-local-follower/payments",
    ] {
        the(&found, want);
    }
}
