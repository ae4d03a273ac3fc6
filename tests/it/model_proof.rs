//! The cost model as a proof: every case works out its bytes and dollars by
//! hand in a comment, and the code must agree. Changing an expected value
//! needs a stated reason (architecture.md, habit 6).
//!
//! Zones are A = use1-az1, B = use1-az2, C = use1-az3 unless said otherwise.
//! GB = 2^30 bytes; price $0.02/GB; the 30-day window projects to a
//! 730-hour month by the factor 730/720.

use crate::support::*;
use azcost::model::placement::UNKNOWN_ZONE_NAME;
use azcost::model::{Pricing, Scenario, Traffic, analyze};
use azcost::snapshot::{BytesRead, Platform, Producers};
use std::collections::BTreeMap;

const A: &str = "use1-az1";
const B: &str = "use1-az2";
const C: &str = "use1-az3";
const MONTH: f64 = 730.0 / 720.0;

fn three_zones() -> azcost::snapshot::Snapshot {
    cluster(&[(1, A), (2, B), (3, C)])
}

/// The worked example of cost-model.md: 1 TiB over 3 partitions, RF 3,
/// leaders one per zone, three members one per zone, no client.rack.
fn worked_example(rotated: bool) -> azcost::snapshot::Snapshot {
    let mut s = three_zones();
    let zones = [A, B, C];
    for i in 0..3 {
        let replicas: Vec<i32> = (0..3).map(|k| (i + k) % 3 + 1).collect();
        partition(&mut s, "t", i, &replicas, TIB / 3.0);
    }
    let members = (0..3)
        .map(|i| {
            let owned = if rotated { (i + 1) % 3 } else { i } as i32;
            member(Some(zones[i]), None, "t", &[owned])
        })
        .collect();
    group(&mut s, "g", members);
    s
}

#[test]
fn worked_example_aligned() {
    // produce = 1024 GB · 2/3 = 682.67 GB; replication = 2 followers · 1024 GB
    // = 2048 GB (msk: not billed); member i reads the leader in its own zone:
    // consume 0 in every scenario. billed = 682.67 GB → $13.6533 in the window.
    let a = audit(&worked_example(false));
    for sc in Scenario::ALL {
        let t = a.scenarios.get(sc);
        assert_close(t.produce_cross_az_bytes, TIB * 2.0 / 3.0);
        assert_close(t.replication_cross_az_bytes, 2.0 * TIB);
        assert_close(t.consume_cross_az_bytes, 0.0);
        assert_close(t.billed_cross_az_bytes, TIB * 2.0 / 3.0);
        assert_close(t.cost_usd, 1024.0 * 2.0 / 3.0 * 0.02);
        assert_close(t.monthly_cost_usd, 13.653_333_333_333_334 * MONTH);
    }
    assert_close(a.savings.monthly_usd_rack_aware_vs_leader_only, 0.0);
}

#[test]
fn worked_example_rotated() {
    // Member i owns partition i+1, whose leader is in another zone:
    // leader_only consume = 1024 GB; billed = 1706.67 GB → $34.13;
    // no client.rack and no selector: current = leader_only;
    // rack_aware: every zone holds an in-sync replica → consume 0,
    // billed = 682.67 GB → $13.65. Monthly: × 730/720.
    // saving = (34.1333 − 13.6533) · 730/720 = $20.7644.
    let a = audit(&worked_example(true));
    let lo = &a.scenarios.leader_only;
    assert_close(lo.consume_cross_az_bytes, TIB);
    assert_close(lo.billed_cross_az_bytes, TIB * 5.0 / 3.0);
    assert_eq!(format!("{:.2}", lo.cost_usd), "34.13");
    assert_close(lo.monthly_cost_usd, 1024.0 * 5.0 / 3.0 * 0.02 * MONTH);
    assert_eq!(a.scenarios.current, a.scenarios.leader_only);
    let ra = &a.scenarios.rack_aware;
    assert_close(ra.consume_cross_az_bytes, 0.0);
    assert_eq!(format!("{:.2}", ra.cost_usd), "13.65");
    assert_close(
        a.savings.monthly_usd_rack_aware_vs_leader_only,
        1024.0 * 0.02 * MONTH,
    );
    assert_close(
        a.savings.monthly_usd_rack_aware_vs_current,
        1024.0 * 0.02 * MONTH,
    );
}

#[test]
fn self_managed_bills_replication_msk_does_not() {
    // Aligned worked example on EC2: billed = 682.67 + 2048 = 2730.67 GB →
    // $54.6133; the replication bytes are printed on both platforms.
    let mut s = worked_example(false);
    s.cluster.platform = Some(Platform::SelfManaged);
    let a = audit(&s);
    assert_close(a.scenarios.current.replication_cross_az_bytes, 2.0 * TIB);
    assert_close(a.scenarios.current.billed_cross_az_bytes, TIB * 8.0 / 3.0);
    assert_close(a.scenarios.current.cost_usd, 1024.0 * 8.0 / 3.0 * 0.02);
    // The --platform flag overrides the snapshot.
    let pricing = Pricing {
        platform: Some(Platform::Msk),
        ..Pricing::default()
    };
    let msk = analyze(&s, &pricing);
    assert_close(msk.scenarios.current.billed_cross_az_bytes, TIB * 2.0 / 3.0);
    assert_close(msk.scenarios.current.replication_cross_az_bytes, 2.0 * TIB);
}

#[test]
fn rf_below_zone_count_leaves_a_zone_without_a_local_replica() {
    // RF 2 on A (leader, broker 1) and B (broker 2); 1 GiB; selector on.
    // Member in C with client.rack C: no replica in C in any scenario →
    // 1 GiB crosses in all three. Member in B with client.rack B reads a
    // second partition led by A: leader_only 1 GiB, current and rack_aware
    // 0 (the in-sync follower in B serves it).
    // produce: uniform 1/3 → each partition 2/3 GiB crosses → 4/3 GiB.
    // replication: one follower in B per partition → 2 GiB (not billed).
    let mut s = three_zones();
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2], GIB);
    partition(&mut s, "t", 1, &[1, 2], GIB);
    group(
        &mut s,
        "g",
        vec![
            member(Some(C), Some(C), "t", &[0]),
            member(Some(B), Some(B), "t", &[1]),
        ],
    );
    let a = audit(&s);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, 2.0 * GIB);
    assert_close(a.scenarios.current.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.rack_aware.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.current.produce_cross_az_bytes, GIB * 4.0 / 3.0);
    assert_close(a.scenarios.current.replication_cross_az_bytes, 2.0 * GIB);
}

#[test]
fn isr_shrink_that_drops_the_only_local_follower_falls_back_to_the_leader() {
    // Leader 1 (A), replicas [1,2,3], ISR [1,2]: broker 3 (C) is out of sync.
    // Member in C with client.rack C, selector on: the selector considers
    // only the leader and in-sync followers → no match → leader in A:
    // 1 GiB crosses in current and in rack_aware (no in-sync replica in C).
    // Replication still counts broker 3 (R(p), not I(p)): 2 GiB.
    let mut s = three_zones();
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    s.partitions[0].isr = vec![1, 2].into();
    group(&mut s, "g", vec![member(Some(C), Some(C), "t", &[0])]);
    let a = audit(&s);
    for sc in Scenario::ALL {
        assert_close(a.scenarios.get(sc).consume_cross_az_bytes, GIB);
        assert_close(a.scenarios.get(sc).replication_cross_az_bytes, 2.0 * GIB);
    }
    // In sync again, the same member reads locally in current and rack_aware.
    s.partitions[0].isr = vec![1, 2, 3].into();
    let a = audit(&s);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.current.consume_cross_az_bytes, 0.0);
    assert_close(a.scenarios.rack_aware.consume_cross_az_bytes, 0.0);
}

#[test]
fn member_with_az_name_rack_is_not_rack_aware() {
    // Brokers' racks are AZ IDs; the member sends client.rack = "us-east-1b",
    // the AZ name of B in this account. Kafka compares raw strings: no broker
    // matches, so `current` fetches from the leader in A: 1 GiB crosses.
    // Its zone is still known (the name maps to B through `zones`), so
    // rack_aware reads the in-sync follower in B: 0.
    let mut s = three_zones();
    selector_on(&mut s);
    az_names(
        &mut s,
        &[(A, "us-east-1a"), (B, "us-east-1b"), (C, "us-east-1c")],
    );
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    group(
        &mut s,
        "g",
        vec![member(None, Some("us-east-1b"), "t", &[0])],
    );
    let a = audit(&s);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.current.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.rack_aware.consume_cross_az_bytes, 0.0);
    assert_eq!(a.by_member[0].zone, B);
}

#[test]
fn client_rack_that_lies_about_the_zone_costs_more_than_leader_only() {
    // Member runs in A next to the leader (leader_only: 0), but sends
    // client.rack = B: the selector serves it from the follower in B, so
    // 1 GiB crosses in `current`; rack_aware (rack = real zone) is 0.
    let mut s = three_zones();
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    group(&mut s, "g", vec![member(Some(A), Some(B), "t", &[0])]);
    let a = audit(&s);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, 0.0);
    assert_close(a.scenarios.current.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.rack_aware.consume_cross_az_bytes, 0.0);
    assert!(a.scenarios.current.monthly_cost_usd > a.scenarios.leader_only.monthly_cost_usd);
}

#[test]
fn selector_off_means_current_is_leader_only_even_with_racks() {
    // Correct client.rack but no RackAwareReplicaSelector on the brokers:
    // the leader serves every fetch. Member in B, leader in A: 1 GiB.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    group(&mut s, "g", vec![member(Some(B), Some(B), "t", &[0])]);
    let a = audit(&s);
    assert_close(a.scenarios.current.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.rack_aware.consume_cross_az_bytes, 0.0);
    // Any other selector class is "not set" for cost, and warned about.
    s.cluster.replica_selector = Some("com.example.MySelector".to_string());
    let a = audit(&s);
    assert_close(a.scenarios.current.consume_cross_az_bytes, GIB);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("com.example.MySelector"))
    );
}

#[test]
fn unknown_consumer_zone_is_spread_uniformly() {
    // Member with no zone and no rack reads 3 GiB from partition 0 (RF 3,
    // leader A) and 3 GiB from partition 1 (RF 2 on A, B; leader A).
    // leader_only and current: the leader's zone is one of three → 2/3 of
    // each read crosses: 2 + 2 = 4 GiB, all to dst "unknown".
    // rack_aware: partition 0 has a replica in every zone → 0; partition 1
    // has none in C → 1/3 · 3 = 1 GiB.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1, 2, 3], 3.0 * GIB);
    partition(&mut s, "t", 1, &[1, 2], 3.0 * GIB);
    group(&mut s, "g", vec![member(None, None, "t", &[0, 1])]);
    let a = audit(&s);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, 4.0 * GIB);
    assert_close(a.scenarios.current.consume_cross_az_bytes, 4.0 * GIB);
    assert_close(a.scenarios.rack_aware.consume_cross_az_bytes, GIB);
    assert!(
        a.flows
            .iter()
            .filter(|f| f.traffic == Traffic::Consume)
            .all(|f| f.dst_zone == UNKNOWN_ZONE_NAME)
    );
    assert_close(a.coverage.bytes_read_unknown_zone, 6.0 * GIB);
    assert!(a.warnings.iter().any(|w| w.contains("no known zone")));
}

#[test]
fn reads_of_partitions_no_member_owns_count_as_unknown_zone() {
    // Group with one member in A owning nothing, bytes_read 3 GiB of a
    // partition on broker 1 (A) only. No owner → unknown zone: 2/3 crosses
    // in every scenario (no replica in B or C even when rack-aware) = 2 GiB.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1], 3.0 * GIB);
    group(&mut s, "g", vec![member(Some(A), Some(A), "t", &[])]);
    s.consumer_groups[0].bytes_read = Some(vec![BytesRead {
        topic: "t".into(),
        partition: 0,
        bytes: 3.0 * GIB,
    }]);
    let a = audit(&s);
    for sc in Scenario::ALL {
        assert_close(a.scenarios.get(sc).consume_cross_az_bytes, 2.0 * GIB);
    }
    assert_close(a.coverage.bytes_read_unowned, 3.0 * GIB);
    assert!(a.warnings.iter().any(|w| w.contains("no live member owns")));
}

#[test]
fn bytes_read_when_present_replaces_bytes_in() {
    // bytes_in 10 GiB but the group read only 4 GiB (it fell behind):
    // member in B, leader in A, leader_only consume = 4 GiB, not 10.
    // Partition 1 is assigned but absent from bytes_read: read 0.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1, 2, 3], 10.0 * GIB);
    partition(&mut s, "t", 1, &[1, 2, 3], 10.0 * GIB);
    group(&mut s, "g", vec![member(Some(B), None, "t", &[0, 1])]);
    s.consumer_groups[0].bytes_read = Some(vec![BytesRead {
        topic: "t".into(),
        partition: 0,
        bytes: 4.0 * GIB,
    }]);
    let a = audit(&s);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, 4.0 * GIB);
    assert_close(a.by_group[0].bytes_read, 4.0 * GIB);
}

#[test]
fn offline_partitions_are_left_out_and_counted() {
    // Partition 1 has leader -1 (5 GiB in, read by the group): it adds
    // nothing to any sum; partition 0 (1 GiB, leader A, member in B) does:
    // leader_only consume 1 GiB, produce 2/3 GiB, replication 2 GiB.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    partition(&mut s, "t", 1, &[1, 2, 3], 5.0 * GIB);
    s.partitions[1].leader = Some(-1);
    s.partitions[1].isr.clear();
    group(&mut s, "g", vec![member(Some(B), None, "t", &[0, 1])]);
    let a = audit(&s);
    let lo = &a.scenarios.leader_only;
    assert_close(lo.consume_cross_az_bytes, GIB);
    assert_close(lo.produce_cross_az_bytes, GIB * 2.0 / 3.0);
    assert_close(lo.replication_cross_az_bytes, 2.0 * GIB);
    assert_eq!(a.coverage.partitions_offline, 1);
    assert_close(a.coverage.bytes_in_offline, 5.0 * GIB);
    assert_close(a.coverage.bytes_read_offline, 5.0 * GIB);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.starts_with("partition t/1 has no leader"))
    );
    // null means offline as well as -1.
    s.partitions[1].leader = None;
    assert_eq!(audit(&s).scenarios, a.scenarios);
}

#[test]
fn custom_producer_shares_move_produce_bytes() {
    // Shares A 0.5, B 0.3, C 0.2; 10 GiB to a partition led from B:
    // produce = 10 · (1 − 0.3) = 7 GiB: 5 GiB A→B and 2 GiB C→B.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[2, 1, 3], 10.0 * GIB);
    s.producers = Some(Producers {
        zone_shares: Some(BTreeMap::from([
            (A.to_string(), 0.5),
            (B.to_string(), 0.3),
            (C.to_string(), 0.2),
        ])),
        ..Producers::default()
    });
    let a = audit(&s);
    assert_close(a.scenarios.current.produce_cross_az_bytes, 7.0 * GIB);
    let produce: Vec<(String, String, f64)> = a
        .flows
        .iter()
        .filter(|f| f.traffic == Traffic::Produce && f.scenario == Scenario::Current)
        .map(|f| {
            (
                f.src_zone.to_string(),
                f.dst_zone.to_string(),
                f.bytes / GIB,
            )
        })
        .collect();
    assert_eq!(produce.len(), 2);
    assert_eq!((produce[0].0.as_str(), produce[0].1.as_str()), (A, B));
    assert_close(produce[0].2, 5.0);
    assert_eq!((produce[1].0.as_str(), produce[1].1.as_str()), (C, B));
    assert_close(produce[1].2, 2.0);
}

#[test]
fn member_in_a_zone_without_brokers_always_crosses() {
    // The member runs in use1-az5 where no broker runs: every byte crosses,
    // even rack-aware (1 GiB each), and the audit says so.
    let mut s = three_zones();
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    group(
        &mut s,
        "g",
        vec![member(Some("use1-az5"), Some("use1-az5"), "t", &[0])],
    );
    let a = audit(&s);
    for sc in Scenario::ALL {
        assert_close(a.scenarios.get(sc).consume_cross_az_bytes, GIB);
    }
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("where no broker runs"))
    );
}

#[test]
fn price_and_month_hours_scale_linearly() {
    // Rotated example at $0.01/GB and a 720-hour month: window cost halves
    // to $17.0667 and the monthly figure equals the window's (W = 720 h).
    let s = worked_example(true);
    let pricing = Pricing {
        price_per_gb: 0.01,
        platform: None,
        month_hours: 720.0,
    };
    let a = analyze(&s, &pricing);
    assert_close(a.scenarios.leader_only.cost_usd, 1024.0 * 5.0 / 3.0 * 0.01);
    assert_close(
        a.scenarios.leader_only.monthly_cost_usd,
        a.scenarios.leader_only.cost_usd,
    );
}

#[test]
fn finance_rows_add_up_to_the_scenario_cost() {
    // The CSV's billed usd of a scenario sums to its cost_usd (issue 2).
    let mut s = worked_example(true);
    s.cluster.platform = Some(Platform::SelfManaged);
    let a = audit(&s);
    for sc in Scenario::ALL {
        let sum: f64 = a
            .flows
            .iter()
            .filter(|f| f.scenario == sc && f.billed)
            .map(|f| f.usd)
            .sum();
        assert_close(sum, a.scenarios.get(sc).cost_usd);
    }
}
