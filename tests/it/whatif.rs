//! What-ifs checked against an audit of the equivalent hand-edited snapshot;
//! a what-if that changes nothing reports zero difference.
//!
//! Each case builds a small snapshot, applies one change with
//! `whatif::apply`, edits a clone by hand into what the change should
//! produce, and requires both to audit to the same totals. The bytes of the
//! client.rack, replica-placement and KIP-1123 cases are worked out by hand
//! in comments, as in `model_proof.rs`.
//!
//! Zones are A = use1-az1, B = use1-az2, C = use1-az3 (AZ names
//! us-east-1a/b/c where a case says so). GB = 2^30 bytes; price $0.02/GB;
//! platform msk (replication not billed); the 30-day window projects to a
//! 730-hour month by the factor 730/720.

use crate::support::*;
use azcost::model::placement::UNKNOWN_ZONE_NAME;
use azcost::model::{Analysis, Scenario};
use azcost::snapshot::{ALL_TOPICS, Producers, RACK_AWARE_SELECTOR, Snapshot, validate};
use azcost::synth::{SynthParams, generate};
use azcost::whatif::{self, Change, Target};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

const A: &str = "use1-az1";
const B: &str = "use1-az2";
const C: &str = "use1-az3";
const MONTH: f64 = 730.0 / 720.0;

fn three_zones() -> Snapshot {
    cluster(&[(1, A), (2, B), (3, C)])
}

/// The `zones` table A ↔ us-east-1a, B ↔ us-east-1b, C ↔ us-east-1c.
fn with_az_names(s: &mut Snapshot) {
    az_names(
        s,
        &[(A, "us-east-1a"), (B, "us-east-1b"), (C, "us-east-1c")],
    );
}

/// Applies the changes, panicking with the error if any.
fn changed(s: &Snapshot, changes: &[Change]) -> Snapshot {
    match whatif::apply(s, changes) {
        Ok(out) => out,
        Err(e) => panic!("what-if {changes:?} failed: {e}"),
    }
}

/// The two audits agree on every total of every scenario and on the savings.
#[track_caller]
fn assert_same_audit(what_if: &Analysis, by_hand: &Analysis) {
    for sc in Scenario::ALL {
        let (w, h) = (what_if.scenarios.get(sc), by_hand.scenarios.get(sc));
        assert_close(w.consume_cross_az_bytes, h.consume_cross_az_bytes);
        assert_close(w.produce_cross_az_bytes, h.produce_cross_az_bytes);
        assert_close(w.replication_cross_az_bytes, h.replication_cross_az_bytes);
        assert_close(w.billed_cross_az_bytes, h.billed_cross_az_bytes);
        assert_close(w.cost_usd, h.cost_usd);
        assert_close(w.monthly_cost_usd, h.monthly_cost_usd);
    }
    assert_close(
        what_if.savings.monthly_usd_rack_aware_vs_leader_only,
        by_hand.savings.monthly_usd_rack_aware_vs_leader_only,
    );
    assert_close(
        what_if.savings.monthly_usd_rack_aware_vs_current,
        by_hand.savings.monthly_usd_rack_aware_vs_current,
    );
}

/// Applies `changes`, checks the result is valid and identical to the
/// hand-edited snapshot, and that both audit the same. Returns the audit.
#[track_caller]
fn check_against_hand_edit(s: &Snapshot, changes: &[Change], by_hand: &Snapshot) -> Analysis {
    let out = changed(s, changes);
    let problems = validate(&out);
    assert!(
        problems.is_empty(),
        "changed snapshot invalid: {problems:?}"
    );
    assert_eq!(&out, by_hand, "what-if and hand edit differ");
    let (w, h) = (audit(&out), audit(by_hand));
    assert_same_audit(&w, &h);
    w
}

/// Expected totals of one scenario on msk: billed = consume + produce.
#[track_caller]
fn assert_totals(a: &Analysis, sc: Scenario, consume: f64, produce: f64, replication: f64) {
    let t = a.scenarios.get(sc);
    assert_close(t.consume_cross_az_bytes, consume);
    assert_close(t.produce_cross_az_bytes, produce);
    assert_close(t.replication_cross_az_bytes, replication);
    assert_close(t.billed_cross_az_bytes, consume + produce);
    assert_close(t.cost_usd, (consume + produce) / GIB * 0.02);
    assert_close(t.monthly_cost_usd, (consume + produce) / GIB * 0.02 * MONTH);
}

// ---------------------------------------------------------------------------
// client.rack

/// Selector on, RF 3 everywhere (a replica in every zone), every leader in A.
/// g1: m0 in B, no rack, reads t/0 (1 GiB); m1 with no zone and the AZ
/// *name* us-east-1c as rack (so it runs in C) reads t/1 (2 GiB); m2 with
/// neither zone nor rack (unknown) reads t/3 (3 GiB). g2: m3 in C, no rack,
/// reads t/2 (4 GiB).
fn racks_case() -> Snapshot {
    let mut s = three_zones();
    with_az_names(&mut s);
    selector_on(&mut s);
    for (p, gib) in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 3.0)] {
        partition(&mut s, "t", p, &[1, 2, 3], gib * GIB);
    }
    group(
        &mut s,
        "g1",
        vec![
            member(Some(B), None, "t", &[0]),
            member(None, Some("us-east-1c"), "t", &[1]),
            member(None, None, "t", &[3]),
        ],
    );
    group(&mut s, "g2", vec![member(Some(C), None, "t", &[2])]);
    s
}

#[test]
fn racks_case_before() {
    // produce: uniform 1/3, every leader in A → 10 GiB · 2/3 = 20/3 GiB.
    // replication: 2 followers in other zones per partition → 2 · 10 = 20 GiB.
    // leader_only: m0 1 + m1 2 + m3 4 (leader in A, members in B/C) + m2
    // unknown 3 · 2/3 = 2 → 9 GiB. current: m0 and m3 send no rack, m1's AZ
    // name matches no broker.rack, m2 sends nothing → all from the leader:
    // 9 GiB. rack_aware: a replica in every zone → 0.
    let a = audit(&racks_case());
    let (produce, repl) = (20.0 / 3.0 * GIB, 20.0 * GIB);
    assert_totals(&a, Scenario::LeaderOnly, 9.0 * GIB, produce, repl);
    assert_totals(&a, Scenario::Current, 9.0 * GIB, produce, repl);
    assert_totals(&a, Scenario::RackAware, 0.0, produce, repl);
}

#[test]
fn set_client_rack_all_matches_hand_edit() {
    // By hand: m0 rack B (zone already B); m1 zone pinned to C and rack C
    // (its zone was read from the old rack); m2 unknown: untouched; m3 rack C.
    // current: m0, m1, m3 now fetch from the in-sync follower in their zone
    // → 0; m2 still unknown with no rack → 3 · 2/3 = 2 GiB. leader_only and
    // rack_aware, produce and replication do not change: 9, 0, 20/3, 20 GiB.
    let s = racks_case();
    let mut hand = s.clone();
    hand.consumer_groups[0].members[0].client_rack = Some(B.to_string());
    hand.consumer_groups[0].members[1].zone = Some(C.to_string());
    hand.consumer_groups[0].members[1].client_rack = Some(C.to_string());
    hand.consumer_groups[1].members[0].client_rack = Some(C.to_string());
    let a = check_against_hand_edit(&s, &[Change::SetClientRack(Target::All)], &hand);
    let (produce, repl) = (20.0 / 3.0 * GIB, 20.0 * GIB);
    assert_totals(&a, Scenario::LeaderOnly, 9.0 * GIB, produce, repl);
    assert_totals(&a, Scenario::Current, 2.0 * GIB, produce, repl);
    assert_totals(&a, Scenario::RackAware, 0.0, produce, repl);
    // The unknown member is left as it was: no zone invented for it.
    let out = changed(&s, &[Change::SetClientRack(Target::All)]);
    let m2 = &out.consumer_groups[0].members[2];
    assert_eq!(
        (m2.zone.as_deref(), m2.client_rack.as_deref()),
        (None, None)
    );
    assert!(a.by_member.iter().any(|m| m.zone == UNKNOWN_ZONE_NAME));
}

#[test]
fn set_client_rack_named_group_changes_only_that_group() {
    // Only g1 changes (as above); g2's m3 in C still reads t/2 (4 GiB) from
    // the leader in A. current = 4 (m3) + 2 (unknown m2) = 6 GiB.
    let s = racks_case();
    let mut hand = s.clone();
    hand.consumer_groups[0].members[0].client_rack = Some(B.to_string());
    hand.consumer_groups[0].members[1].zone = Some(C.to_string());
    hand.consumer_groups[0].members[1].client_rack = Some(C.to_string());
    let change = Change::SetClientRack(Target::Named("g1".to_string()));
    let a = check_against_hand_edit(&s, &[change], &hand);
    let (produce, repl) = (20.0 / 3.0 * GIB, 20.0 * GIB);
    assert_totals(&a, Scenario::LeaderOnly, 9.0 * GIB, produce, repl);
    assert_totals(&a, Scenario::Current, 6.0 * GIB, produce, repl);
    assert_totals(&a, Scenario::RackAware, 0.0, produce, repl);
    let g2 = a.by_group.iter().find(|g| g.group == "g2").expect("g2");
    assert_close(g2.scenarios.current.bytes, 4.0 * GIB);
}

#[test]
fn set_client_rack_uses_the_broker_rack_not_the_zone_name() {
    // Brokers whose broker.rack is a custom label ("rack-a") with `zone` set:
    // the member must send the label Kafka compares against, not the AZ ID.
    // Member in B reads t/0 (leader A, follower in B), 1 GiB: current 1 → 0.
    let mut s = three_zones();
    for (b, label) in s.brokers.iter_mut().zip(["rack-a", "rack-b", "rack-c"]) {
        b.zone = b.rack.take();
        b.rack = Some(label.to_string());
    }
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    group(&mut s, "g", vec![member(Some(B), None, "t", &[0])]);
    let mut hand = s.clone();
    hand.consumer_groups[0].members[0].client_rack = Some("rack-b".to_string());
    let a = check_against_hand_edit(&s, &[Change::SetClientRack(Target::All)], &hand);
    assert_close(a.scenarios.leader_only.consume_cross_az_bytes, GIB);
    assert_close(a.scenarios.current.consume_cross_az_bytes, 0.0);
}

/// Brokers 1 (A, zone only: no broker.rack), 2 (B), 3 (C), 4 (A, rack A);
/// selector on. t/0: replicas [2, 4], led by 2 in B, in-sync follower 4 in
/// A, 1 GiB. The format allows a broker with a zone and no rack.
fn first_broker_without_rack() -> Snapshot {
    let mut s = cluster(&[(1, A), (2, B), (3, C), (4, A)]);
    s.brokers[0].zone = s.brokers[0].rack.take();
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[2, 4], GIB);
    s
}

#[test]
fn set_client_rack_finds_the_rack_of_any_broker_in_the_zone() {
    // Member in A, no rack, reads t/0. The broker.rack of zone A is
    // "use1-az1" (broker 4); broker 1 in A has none. By hand: rack A.
    // current: the selector serves it from follower 4 in A → 0 GiB, the same
    // as rack_aware; leader_only 1 GiB. produce 1 · 2/3 GiB, replication 1.
    let mut s = first_broker_without_rack();
    group(&mut s, "g", vec![member(Some(A), None, "t", &[0])]);
    let mut hand = s.clone();
    hand.consumer_groups[0].members[0].client_rack = Some(A.to_string());
    let a = check_against_hand_edit(&s, &[Change::SetClientRack(Target::All)], &hand);
    assert_totals(&a, Scenario::LeaderOnly, GIB, GIB * 2.0 / 3.0, GIB);
    assert_totals(&a, Scenario::Current, 0.0, GIB * 2.0 / 3.0, GIB);
}

// ---------------------------------------------------------------------------
// Selector

#[test]
fn enable_selector_matches_hand_edit() {
    // Racks right but no selector: current = leader_only. Member in B with
    // rack B reads t/0 (leader A, RF 3), 1 GiB: leader_only 1, current 1 → 0,
    // rack_aware 0. produce 1 · 2/3 GiB, replication 2 GiB.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    group(&mut s, "g", vec![member(Some(B), Some(B), "t", &[0])]);
    let before = audit(&s);
    assert_close(before.scenarios.current.consume_cross_az_bytes, GIB);
    let mut hand = s.clone();
    selector_on(&mut hand);
    let a = check_against_hand_edit(&s, &[Change::EnableSelector], &hand);
    assert_totals(&a, Scenario::LeaderOnly, GIB, GIB * 2.0 / 3.0, 2.0 * GIB);
    assert_totals(&a, Scenario::Current, 0.0, GIB * 2.0 / 3.0, 2.0 * GIB);
    assert_totals(&a, Scenario::RackAware, 0.0, GIB * 2.0 / 3.0, 2.0 * GIB);
    assert!(a.selector_enabled);
    // Already on: nothing changes.
    assert_eq!(changed(&hand, &[Change::EnableSelector]), hand);
    // A foreign selector class is replaced.
    let mut other = s.clone();
    other.cluster.replica_selector = Some("com.example.MySelector".to_string());
    let out = changed(&other, &[Change::EnableSelector]);
    assert_eq!(
        out.cluster.replica_selector.as_deref(),
        Some(RACK_AWARE_SELECTOR)
    );
}

// ---------------------------------------------------------------------------
// Replica placement

/// Brokers 1 (A), 2 (B), 3 (C), 4 (A); selector on.
/// t/0: replicas [1, 4] (both in A), 3 GiB. t/1: replicas [2, 3] (B, C),
/// 3 GiB. t/2: offline (no leader), replicas [1, 4], ISR [], 5 GiB.
/// u/0: replicas [3] (C), 1.5 GiB. Member in C with rack C reads t/0.
fn placement_case() -> Snapshot {
    let mut s = cluster(&[(1, A), (2, B), (3, C), (4, A)]);
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 4], 3.0 * GIB);
    partition(&mut s, "t", 1, &[2, 3], 3.0 * GIB);
    partition(&mut s, "t", 2, &[1, 4], 5.0 * GIB);
    s.partitions[2].leader = None;
    s.partitions[2].isr.clear();
    partition(&mut s, "u", 0, &[3], 1.5 * GIB);
    group(&mut s, "g", vec![member(Some(C), Some(C), "t", &[0])]);
    s
}

#[test]
fn placement_case_before() {
    // produce: uniform 1/3; online 3 + 3 + 1.5 = 7.5 GiB → 5 GiB.
    // replication: t/0's follower 4 is in A with its leader → 0; t/1's
    // follower 3 in C → 3 GiB; u/0 none → 3 GiB.
    // consume: the member in C reads t/0 with no replica in C → 3 GiB in
    // every scenario.
    let a = audit(&placement_case());
    for sc in Scenario::ALL {
        assert_totals(&a, sc, 3.0 * GIB, 5.0 * GIB, 3.0 * GIB);
    }
}

#[test]
fn place_replicas_one_per_zone_matches_hand_edit() {
    // rf None → one per broker zone = 3, topic t only.
    // Load (replicas per broker) at the start: 1:2, 2:1, 3:2, 4:2.
    // t/0: leader 1 (A); follower 4 adds no zone; B is missing → broker 2
    // (only one in B); C → broker 3 → [1, 2, 3]; 4 is dropped.
    // t/1: leader 2 (B); follower 3 adds C; A missing → least loaded of
    // 1 (2) and 4 (1 after being dropped from t/0) → 4 → [2, 3, 4].
    // t/2 is offline and u/0 is another topic: untouched.
    // replication: t/0 2 followers × 3 + t/1 2 × 3 = 12 GiB.
    // produce unchanged (same leaders): 5 GiB.
    // consume: t/0 now has an in-sync replica in C: current and rack_aware
    // 0; leader_only still 3 GiB.
    let s = placement_case();
    let mut hand = s.clone();
    hand.partitions[0].replicas = vec![1, 2, 3].into();
    hand.partitions[0].isr = vec![1, 2, 3].into();
    hand.partitions[1].replicas = vec![2, 3, 4].into();
    hand.partitions[1].isr = vec![2, 3, 4].into();
    let change = Change::PlaceReplicas {
        topics: Target::Named("t".to_string()),
        rf: None,
    };
    let a = check_against_hand_edit(&s, std::slice::from_ref(&change), &hand);
    assert_totals(&a, Scenario::LeaderOnly, 3.0 * GIB, 5.0 * GIB, 12.0 * GIB);
    assert_totals(&a, Scenario::Current, 0.0, 5.0 * GIB, 12.0 * GIB);
    assert_totals(&a, Scenario::RackAware, 0.0, 5.0 * GIB, 12.0 * GIB);

    // Directly: every online partition of t has one replica per zone, the
    // leader first, ISR = replicas.
    let out = changed(&s, &[change]);
    let zone_of: BTreeMap<i32, &str> = [(1, A), (2, B), (3, C), (4, A)].into_iter().collect();
    for p in out
        .partitions
        .iter()
        .filter(|p| p.topic == "t" && p.leader.is_some())
    {
        let zones: BTreeSet<&str> = p.replicas.iter().map(|r| zone_of[r]).collect();
        assert_eq!(zones.len(), 3, "{p:?}");
        assert_eq!(p.replicas.len(), 3, "{p:?}");
        assert_eq!(p.leader, Some(p.replicas[0]), "{p:?}");
        assert_eq!(p.isr, p.replicas, "{p:?}");
    }
    assert_eq!(out.partitions[2], s.partitions[2], "offline left alone");
    assert_eq!(out.partitions[3], s.partitions[3], "other topic left alone");
}

#[test]
fn place_replicas_rf_two_on_every_topic_matches_hand_edit() {
    // rf 2, all topics. Load at the start: 1:2, 2:1, 3:2, 4:2.
    // t/0: leader 1 (A); 4 adds no zone; B missing → 2 → [1, 2] (full);
    // 4 dropped → 4:1, 2 → 2:2.
    // t/1: [2, 3] already spans two zones: kept.
    // t/2 offline: untouched.
    // u/0: leader 3 (C); zones in order A first → least loaded of 1 (2) and
    // 4 (1) → 4 → [3, 4].
    // replication: t/0 3 (B) + t/1 3 (C) + u/0 1.5 (A) = 7.5 GiB.
    // produce unchanged: 5 GiB. consume: t/0 still has nothing in C → 3 GiB
    // in every scenario.
    let s = placement_case();
    let mut hand = s.clone();
    hand.partitions[0].replicas = vec![1, 2].into();
    hand.partitions[0].isr = vec![1, 2].into();
    hand.partitions[3].replicas = vec![3, 4].into();
    hand.partitions[3].isr = vec![3, 4].into();
    let change = Change::PlaceReplicas {
        topics: Target::All,
        rf: Some(2),
    };
    let a = check_against_hand_edit(&s, &[change], &hand);
    for sc in Scenario::ALL {
        assert_totals(&a, sc, 3.0 * GIB, 5.0 * GIB, 7.5 * GIB);
    }
}

#[test]
fn place_replicas_above_broker_count_is_clamped() {
    // rf 9 on four brokers: every online partition gets all four brokers,
    // leader first, no broker twice, all in sync.
    let s = placement_case();
    let out = changed(
        &s,
        &[Change::PlaceReplicas {
            topics: Target::All,
            rf: Some(9),
        }],
    );
    assert!(validate(&out).is_empty());
    for p in out.partitions.iter().filter(|p| p.leader.is_some()) {
        let set: BTreeSet<i32> = p.replicas.iter().copied().collect();
        assert_eq!(set, BTreeSet::from([1, 2, 3, 4]), "{p:?}");
        assert_eq!(p.replicas.len(), 4, "{p:?}");
        assert_eq!(p.leader, Some(p.replicas[0]));
        assert_eq!(p.isr, p.replicas);
    }
}

// ---------------------------------------------------------------------------
// ISR

#[test]
fn restore_isr_matches_hand_edit() {
    // t/0: replicas [1, 2, 3], ISR [1, 2] (C out of sync), 1 GiB; member in
    // C with rack C; selector on. Before: current and rack_aware 1 GiB (no
    // in-sync replica in C). After, ISR = replicas: 0. leader_only 1 GiB
    // throughout. Replication counts R(p): 2 GiB before and after.
    // t/1 offline (no leader, ISR []): left alone.
    let mut s = three_zones();
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[1, 2, 3], GIB);
    s.partitions[0].isr = vec![1, 2].into();
    partition(&mut s, "t", 1, &[1, 2, 3], GIB);
    s.partitions[1].leader = Some(-1);
    s.partitions[1].isr.clear();
    group(&mut s, "g", vec![member(Some(C), Some(C), "t", &[0])]);
    let before = audit(&s);
    assert_close(before.scenarios.current.consume_cross_az_bytes, GIB);
    let mut hand = s.clone();
    hand.partitions[0].isr = vec![1, 2, 3].into();
    let a = check_against_hand_edit(&s, &[Change::RestoreIsr(Target::All)], &hand);
    assert_totals(&a, Scenario::LeaderOnly, GIB, GIB * 2.0 / 3.0, 2.0 * GIB);
    assert_totals(&a, Scenario::Current, 0.0, GIB * 2.0 / 3.0, 2.0 * GIB);
    assert_totals(&a, Scenario::RackAware, 0.0, GIB * 2.0 / 3.0, 2.0 * GIB);
    // Named: the same for topic t.
    let out = changed(&s, &[Change::RestoreIsr(Target::Named("t".to_string()))]);
    assert_eq!(out, hand);
}

// ---------------------------------------------------------------------------
// Leaders

#[test]
fn balance_leaders_matches_hand_edit() {
    // All three partitions RF 3 [1, 2, 3] led by 1 (A): t/0 3 GiB, t/1 2 GiB,
    // t/2 1 GiB. Greedy, largest first, ties to the current leader:
    // t/0 → A (all zones at 0: keep 1), A = 3; t/1 → B (0) = broker 2,
    // replicas rotated to [2, 1, 3]; t/2 → C (0) = broker 3, [3, 1, 2].
    // produce: uniform shares → in(p) · 2/3 wherever the leader is: 4 GiB.
    // replication: 2 followers elsewhere each: 12 GiB.
    // consume: member in B, no rack, reads t/1: leader_only 2 GiB before,
    // 0 after; member in C, no rack, reads t/2: 1 → 0.
    let mut s = three_zones();
    for (p, gib) in [(0, 3.0), (1, 2.0), (2, 1.0)] {
        partition(&mut s, "t", p, &[1, 2, 3], gib * GIB);
    }
    group(
        &mut s,
        "g",
        vec![
            member(Some(B), None, "t", &[1]),
            member(Some(C), None, "t", &[2]),
        ],
    );
    let before = audit(&s);
    assert_close(
        before.scenarios.leader_only.consume_cross_az_bytes,
        3.0 * GIB,
    );
    let mut hand = s.clone();
    hand.partitions[1].leader = Some(2);
    hand.partitions[1].replicas = vec![2, 1, 3].into();
    hand.partitions[2].leader = Some(3);
    hand.partitions[2].replicas = vec![3, 1, 2].into();
    let a = check_against_hand_edit(&s, &[Change::BalanceLeaders], &hand);
    for sc in Scenario::ALL {
        assert_totals(&a, sc, 0.0, 4.0 * GIB, 12.0 * GIB);
    }
}

#[test]
fn balance_leaders_only_picks_in_sync_replicas() {
    // t/0 (2 GiB) led by 1 (A); t/1 (1 GiB) led by 1 with replicas [1, 2, 3]
    // but ISR [1]: it cannot move, although A already leads 2 GiB.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1, 2, 3], 2.0 * GIB);
    partition(&mut s, "t", 1, &[1, 2, 3], GIB);
    s.partitions[1].isr = vec![1].into();
    let out = changed(&s, &[Change::BalanceLeaders]);
    assert_eq!(out, s);
}

// ---------------------------------------------------------------------------
// KIP-1123 producers

/// Brokers one per zone, RF 1. t/0 led in A, t/1 led in B, t/2 offline
/// (its only replica is in C); u/0 led in A. 3 GiB each, producers uniform.
fn producers_case() -> Snapshot {
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[1], 3.0 * GIB);
    partition(&mut s, "t", 1, &[2], 3.0 * GIB);
    partition(&mut s, "t", 2, &[3], 3.0 * GIB);
    s.partitions[2].leader = None;
    s.partitions[2].isr.clear();
    partition(&mut s, "u", 0, &[1], 3.0 * GIB);
    s
}

#[test]
fn producer_rack_aware_named_topic_matches_hand_edit() {
    // Before: each online partition 3 GiB · 2/3 = 2 GiB crosses → 6 GiB.
    // After, t rack-aware, unkeyed share 0.75 (×0.25 where it applies):
    // t/0 (A): from B 1 GiB, B leads t/1 → 0.25; from C 1 GiB, C leads no
    //   online partition of t (t/2 is offline) → 1; = 1.25 GiB.
    // t/1 (B): from A 1 GiB, A leads t/0 → 0.25; from C → 1; = 1.25 GiB.
    // u/0 (A): not listed → 2 GiB.
    // produce = 4.5 GiB; no replication (RF 1), no consumers.
    let s = producers_case();
    let before = audit(&s);
    assert_totals(&before, Scenario::Current, 0.0, 6.0 * GIB, 0.0);
    let mut hand = s.clone();
    hand.producers = Some(Producers {
        zone_shares: None,
        rack_aware_topics: Some(vec!["t".to_string()]),
        unkeyed_share: Some(0.75),
    });
    let change = Change::ProducerRackAware {
        topics: Target::Named("t".to_string()),
        unkeyed_share: 0.75,
    };
    let a = check_against_hand_edit(&s, &[change], &hand);
    for sc in Scenario::ALL {
        assert_totals(&a, sc, 0.0, 4.5 * GIB, 0.0);
    }
    let t = a.by_topic.iter().find(|r| r.topic == "t").expect("t");
    assert_close(t.scenarios.current.produce_bytes, 2.5 * GIB);
    let u = a.by_topic.iter().find(|r| r.topic == "u").expect("u");
    assert_close(u.scenarios.current.produce_bytes, 2.0 * GIB);
}

#[test]
fn producer_rack_aware_all_topics_matches_hand_edit() {
    // Every topic, unkeyed share 1 (everything unkeyed), zone shares
    // A 0.5, B 0.3, C 0.2 kept as they are.
    // t/0 (A): from B 3 · 0.3 = 0.9, B leads t/1 → 0; from C 3 · 0.2 = 0.6,
    //   C leads nothing → 0.6. t/1 (B): from A 1.5 → 0 (A leads t/0);
    //   from C 0.6 → 0.6. u/0 (A): u is led only in A: from B 0.9, from C
    //   0.6 → 1.5. produce = 0.6 + 0.6 + 1.5 = 2.7 GiB.
    // Before: t/0 1.5, t/1 3 · 0.7 = 2.1, u/0 1.5 → 5.1 GiB.
    let mut s = producers_case();
    let shares: BTreeMap<String, f64> = [(A, 0.5), (B, 0.3), (C, 0.2)]
        .into_iter()
        .map(|(z, v)| (z.to_string(), v))
        .collect();
    s.producers = Some(Producers {
        zone_shares: Some(shares.clone()),
        rack_aware_topics: None,
        unkeyed_share: None,
    });
    let before = audit(&s);
    assert_totals(&before, Scenario::Current, 0.0, 5.1 * GIB, 0.0);
    let mut hand = s.clone();
    hand.producers = Some(Producers {
        zone_shares: Some(shares),
        rack_aware_topics: Some(vec![ALL_TOPICS.to_string()]),
        unkeyed_share: Some(1.0),
    });
    let change = Change::ProducerRackAware {
        topics: Target::All,
        unkeyed_share: 1.0,
    };
    let a = check_against_hand_edit(&s, &[change], &hand);
    for sc in Scenario::ALL {
        assert_totals(&a, sc, 0.0, 2.7 * GIB, 0.0);
    }
}

#[test]
fn producer_rack_aware_with_keyed_records_only_changes_nothing() {
    // unkeyed share 0: KIP-1123 moves no record → produce stays 6 GiB.
    let s = producers_case();
    let a = audit(&changed(
        &s,
        &[Change::ProducerRackAware {
            topics: Target::All,
            unkeyed_share: 0.0,
        }],
    ));
    assert_same_audit(&a, &audit(&s));
}

// ---------------------------------------------------------------------------
// Moving consumers

#[test]
fn move_consumers_matches_hand_edit() {
    // Selector on, RF 3, leaders in A, 1 GiB each, AZ names known.
    // m0 in A with rack A (right) reads t/0; m1 in B with rack C (wrong)
    // reads t/1; m2 unknown (no zone, no rack) reads t/2.
    // Before: leader_only m0 0, m1 1, m2 2/3 → 5/3 GiB; current m0 0,
    // m1 served by C → 1, m2 2/3 → 5/3 GiB; rack_aware 0.
    // Move g to "us-east-1b" (the AZ name of B): every member's zone is B;
    // m0's rack was right → B; m1's stays C; m2 gets no rack.
    // After: leader_only 3 GiB; current m0 0, m1 1 (C ≠ B), m2 1 → 2 GiB;
    // rack_aware 0. produce 3 · 2/3 = 2 GiB, replication 6 GiB.
    let mut s = three_zones();
    with_az_names(&mut s);
    selector_on(&mut s);
    for p in 0..3 {
        partition(&mut s, "t", p, &[1, 2, 3], GIB);
    }
    group(
        &mut s,
        "g",
        vec![
            member(Some(A), Some(A), "t", &[0]),
            member(Some(B), Some(C), "t", &[1]),
            member(None, None, "t", &[2]),
        ],
    );
    group(&mut s, "other", vec![member(Some(C), None, "t", &[0])]);
    let before = audit(&s);
    assert_close(
        before
            .by_group
            .iter()
            .find(|g| g.group == "g")
            .unwrap()
            .scenarios
            .current
            .bytes,
        GIB * 5.0 / 3.0,
    );
    let mut hand = s.clone();
    let members = &mut hand.consumer_groups[0].members;
    for m in members.iter_mut() {
        m.zone = Some(B.to_string());
    }
    members[0].client_rack = Some(B.to_string());
    let change = Change::MoveConsumers {
        group: "g".to_string(),
        zone: "us-east-1b".to_string(),
    };
    let a = check_against_hand_edit(&s, &[change], &hand);
    let g = a.by_group.iter().find(|g| g.group == "g").expect("g");
    assert_close(g.scenarios.leader_only.bytes, 3.0 * GIB);
    assert_close(g.scenarios.current.bytes, 2.0 * GIB);
    assert_close(g.scenarios.rack_aware.bytes, 0.0);
    // The other group (member in C reading t/0 from A: 1 GiB) is untouched.
    let other = a
        .by_group
        .iter()
        .find(|g| g.group == "other")
        .expect("other");
    assert_close(other.scenarios.current.bytes, GIB);
}

#[test]
fn move_consumers_keeps_a_right_rack_right_in_a_zone_whose_first_broker_has_none() {
    // Member in B with rack B (right) reads t/0, moves to A. Its rack should
    // follow to A's broker.rack "use1-az1" (broker 4), not be cleared
    // because broker 1, listed first in A, has no broker.rack.
    // After: current served by follower 4 in A → 0 GiB; leader_only 1 GiB.
    let mut s = first_broker_without_rack();
    group(&mut s, "g", vec![member(Some(B), Some(B), "t", &[0])]);
    let mut hand = s.clone();
    hand.consumer_groups[0].members[0].zone = Some(A.to_string());
    hand.consumer_groups[0].members[0].client_rack = Some(A.to_string());
    let change = Change::MoveConsumers {
        group: "g".to_string(),
        zone: A.to_string(),
    };
    let a = check_against_hand_edit(&s, &[change], &hand);
    assert_totals(&a, Scenario::LeaderOnly, GIB, GIB * 2.0 / 3.0, GIB);
    assert_totals(&a, Scenario::Current, 0.0, GIB * 2.0 / 3.0, GIB);
}

// ---------------------------------------------------------------------------
// Errors

#[track_caller]
fn assert_usage_error(s: &Snapshot, changes: &[Change], flag: &str, name: &str) {
    let Err(err) = whatif::apply(s, changes) else {
        panic!("{changes:?} should fail");
    };
    assert_eq!(err.exit_code(), 2, "{err}");
    let msg = err.to_string();
    assert!(msg.contains(flag), "{msg:?} should name {flag}");
    assert!(msg.contains(name), "{msg:?} should name {name}");
}

#[test]
fn changes_naming_a_missing_group_or_topic_fail_with_exit_2() {
    let s = racks_case();
    assert_usage_error(
        &s,
        &[Change::SetClientRack(Target::Named("nogroup".to_string()))],
        "--set-client-rack",
        "nogroup",
    );
    assert_usage_error(
        &s,
        &[Change::PlaceReplicas {
            topics: Target::Named("notopic".to_string()),
            rf: Some(3),
        }],
        "--replication-factor",
        "notopic",
    );
    assert_usage_error(
        &s,
        &[Change::PlaceReplicas {
            topics: Target::Named("notopic".to_string()),
            rf: None,
        }],
        "--one-replica-per-zone",
        "notopic",
    );
    assert_usage_error(
        &s,
        &[Change::ProducerRackAware {
            topics: Target::Named("notopic".to_string()),
            unkeyed_share: 1.0,
        }],
        "--producer-rack-aware",
        "notopic",
    );
    assert_usage_error(
        &s,
        &[Change::MoveConsumers {
            group: "nogroup".to_string(),
            zone: A.to_string(),
        }],
        "--move-consumers",
        "nogroup",
    );
    // A zone where no broker runs.
    assert_usage_error(
        &s,
        &[Change::MoveConsumers {
            group: "g1".to_string(),
            zone: "use1-az9".to_string(),
        }],
        "--move-consumers",
        "use1-az9",
    );
    // A bad change after a good one still fails the whole what-if.
    assert_usage_error(
        &s,
        &[
            Change::EnableSelector,
            Change::SetClientRack(Target::Named("nogroup".to_string())),
        ],
        "--set-client-rack",
        "nogroup",
    );
}

#[test]
fn move_consumers_spec_without_equals_is_a_usage_error() {
    use azcost::cli::{Cli, Command as Sub};
    use azcost::config::WhatIfConfig;
    use clap::Parser;
    let parse = |args: &[&str]| {
        let cli = Cli::try_parse_from(args).expect("flags parse");
        let Sub::WhatIf(w) = cli.command else {
            panic!("what-if expected")
        };
        WhatIfConfig::from_args(&w)
    };
    for spec in ["bad", "=use1-az1", "g="] {
        let Err(err) = parse(&["azcost", "what-if", "--move-consumers", spec]) else {
            panic!("{spec} should fail");
        };
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--move-consumers"), "{err}");
    }
    // Consumers move before racks are set, so a moved member gets the rack
    // of its new zone.
    let cfg = parse(&[
        "azcost",
        "what-if",
        "--set-client-rack",
        "all",
        "--move-consumers",
        "g=use1-az1",
    ])
    .expect("valid flags");
    assert_eq!(
        cfg.changes,
        vec![
            Change::MoveConsumers {
                group: "g".to_string(),
                zone: A.to_string()
            },
            Change::SetClientRack(Target::All),
        ]
    );
}

// ---------------------------------------------------------------------------
// Validity on synthetic snapshots

fn every_change(first_group: &str) -> Vec<Change> {
    vec![
        Change::MoveConsumers {
            group: first_group.to_string(),
            zone: A.to_string(),
        },
        Change::SetClientRack(Target::All),
        Change::EnableSelector,
        Change::PlaceReplicas {
            topics: Target::All,
            rf: None,
        },
        Change::PlaceReplicas {
            topics: Target::All,
            rf: Some(2),
        },
        Change::RestoreIsr(Target::All),
        Change::BalanceLeaders,
        Change::ProducerRackAware {
            topics: Target::All,
            unkeyed_share: 0.6,
        },
    ]
}

fn synth_cases() -> Vec<Snapshot> {
    [(1, 3, 6), (2, 2, 3), (3, 4, 5), (4, 3, 7), (5, 1, 2)]
        .into_iter()
        .map(|(seed, zones, brokers)| {
            generate(&SynthParams {
                seed,
                zones,
                brokers,
                partitions: 400,
                partitions_per_topic: 20,
                groups: 8,
                members_per_group: 5,
                topics_per_group: 3,
            })
        })
        .collect()
}

/// Zone (AZ ID) of each broker of a synthetic snapshot (rack = AZ ID).
fn broker_zones(s: &Snapshot) -> BTreeMap<i32, String> {
    s.brokers
        .iter()
        .map(|b| (b.id, b.zone.clone().or(b.rack.clone()).unwrap()))
        .collect()
}

#[test]
fn every_change_keeps_synthetic_snapshots_valid() {
    for s in synth_cases() {
        assert!(validate(&s).is_empty(), "{}: input invalid", s.cluster.name);
        let changes = every_change(&s.consumer_groups[0].group);
        for change in &changes {
            let out = changed(&s, std::slice::from_ref(change));
            let problems = validate(&out);
            assert!(
                problems.is_empty(),
                "{}: {change:?} → {problems:?}",
                s.cluster.name
            );
        }
        let all = changed(&s, &changes);
        let problems = validate(&all);
        assert!(
            problems.is_empty(),
            "{}: all → {problems:?}",
            s.cluster.name
        );
        // A valid snapshot also audits without panicking.
        audit(&all);
    }
}

#[test]
fn synthetic_replica_placement_invariants() {
    for s in synth_cases() {
        let zone_of = broker_zones(&s);
        let n_zones = zone_of.values().collect::<BTreeSet<_>>().len();
        for rf in [None, Some(2)] {
            let out = changed(
                &s,
                &[Change::PlaceReplicas {
                    topics: Target::All,
                    rf,
                }],
            );
            let want = rf.unwrap_or(n_zones).clamp(1, s.brokers.len());
            for (before, p) in s.partitions.iter().zip(&out.partitions) {
                if before.leader.is_none_or(|l| l < 0) {
                    assert_eq!(before, p, "offline partitions are left alone");
                    continue;
                }
                let zones: BTreeSet<&String> = p.replicas.iter().map(|r| &zone_of[r]).collect();
                assert_eq!(
                    p.replicas.len(),
                    want,
                    "{} rf {rf:?}: {p:?}",
                    s.cluster.name
                );
                assert_eq!(zones.len(), want.min(n_zones), "{p:?}");
                assert_eq!(p.leader, before.leader, "the leader stays");
                assert_eq!(p.leader, Some(p.replicas[0]), "{p:?}");
                assert_eq!(p.isr, p.replicas, "{p:?}");
            }
        }
    }
}

/// The replica placer finds small broker ids in a vector and others in a
/// hash map: the same cluster numbered either way gets the same replicas,
/// and the findings price the fix the same (ranking by id is kept: the
/// renumbering keeps the order of the ids).
#[test]
fn replica_placement_does_not_depend_on_how_brokers_are_numbered() {
    let renumber = |id: i32| id * 100_003 + 7;
    for seed in [1, 2, 3] {
        let s = azcost::synth::generate_messy(&azcost::synth::MessyParams {
            seed,
            partitions: 600,
            groups: 6,
        });
        let mut big = s.clone();
        for b in &mut big.brokers {
            b.id = renumber(b.id);
        }
        for p in &mut big.partitions {
            p.leader = p.leader.map(|l| if l >= 0 { renumber(l) } else { l });
            p.replicas.iter_mut().for_each(|r| *r = renumber(*r));
            p.isr.iter_mut().for_each(|r| *r = renumber(*r));
        }
        assert!(validate(&big).is_empty(), "renumbered snapshot is valid");
        for rf in [None, Some(2), Some(4)] {
            let change = [Change::PlaceReplicas {
                topics: Target::All,
                rf,
            }];
            let (small_out, big_out) = (changed(&s, &change), changed(&big, &change));
            for (a, b) in small_out.partitions.iter().zip(&big_out.partitions) {
                let expected: Vec<i32> = a.replicas.iter().map(|&r| renumber(r)).collect();
                assert_eq!(
                    b.replicas.to_vec(),
                    expected,
                    "seed {seed} rf {rf:?}: {a:?}"
                );
            }
        }
        let priced = |s: &Snapshot| {
            let (_, findings) =
                azcost::findings::audit(s, &Default::default(), &Default::default());
            findings
                .items
                .into_iter()
                .filter(|f| f.id.starts_with("replicas-not-in-every-zone/"))
                .map(|f| (f.id, f.monthly_usd.to_bits()))
                .collect::<Vec<_>>()
        };
        let found = priced(&s);
        assert!(!found.is_empty(), "a messy cluster misses zones");
        assert_eq!(found, priced(&big), "seed {seed}");
    }
}

#[test]
fn synthetic_restore_isr_and_balance_leaders_invariants() {
    for s in synth_cases() {
        let out = changed(&s, &[Change::RestoreIsr(Target::All)]);
        for (before, p) in s.partitions.iter().zip(&out.partitions) {
            if before.leader.is_some_and(|l| l >= 0) {
                assert_eq!(p.isr, p.replicas);
            } else {
                assert_eq!(before, p);
            }
        }
        let out = changed(&s, &[Change::BalanceLeaders]);
        for (before, p) in s.partitions.iter().zip(&out.partitions) {
            assert_eq!(p.isr, before.isr, "the ISR does not change");
            let (mut x, mut y) = (before.replicas.clone(), p.replicas.clone());
            x.sort_unstable();
            y.sort_unstable();
            assert_eq!(x, y, "the same replicas");
            if let Some(l) = p.leader.filter(|&l| l >= 0) {
                assert!(
                    Some(l) == before.leader || before.isr.contains(&l),
                    "{l} not in sync in {before:?}"
                );
                assert_eq!(p.replicas[0], l, "leader first: {p:?}");
            } else {
                assert_eq!(before, p);
            }
        }
    }
}

#[test]
fn balanced_leaders_spread_bytes_within_one_partition() {
    // Three zones, six brokers, RF 3 on consecutive brokers (one replica per
    // zone), every ISR restored: each partition may be led from any zone, so
    // greedy largest-first leaves the zones at most one partition apart.
    let s = &synth_cases()[0];
    let out = changed(
        s,
        &[Change::RestoreIsr(Target::All), Change::BalanceLeaders],
    );
    let zone_of = broker_zones(s);
    let mut led: BTreeMap<&String, f64> = BTreeMap::new();
    let mut largest: f64 = 0.0;
    for p in &out.partitions {
        if let Some(l) = p.leader.filter(|&l| l >= 0) {
            *led.entry(&zone_of[&l]).or_default() += p.bytes_in;
            largest = largest.max(p.bytes_in);
        }
    }
    assert_eq!(led.len(), 3);
    let max = led.values().copied().fold(f64::MIN, f64::max);
    let min = led.values().copied().fold(f64::MAX, f64::min);
    assert!(max - min <= largest, "led {led:?}, largest {largest}");
}

#[test]
fn synthetic_set_client_rack_makes_current_equal_rack_aware_per_member() {
    // Synthetic brokers have rack = AZ ID and the selector on. Once every
    // placed member sends its zone's broker.rack, `current` is `rack_aware`
    // for each of them (members of unknown zone are spread differently in
    // the two scenarios, by the contract, and are skipped).
    for s in synth_cases() {
        let out = changed(&s, &[Change::SetClientRack(Target::All)]);
        let a = audit(&out);
        let mut placed = 0;
        for m in a.by_member.iter().filter(|m| m.zone != UNKNOWN_ZONE_NAME) {
            placed += 1;
            assert_close(m.scenarios.current.bytes, m.scenarios.rack_aware.bytes);
            assert_eq!(m.client_rack.as_deref(), Some(m.zone.as_str()), "{m:?}");
        }
        assert!(placed > 0);
    }
}

#[test]
fn synthetic_move_consumers_moves_every_member() {
    for s in synth_cases() {
        let g = s.consumer_groups[0].group.clone();
        let out = changed(
            &s,
            &[Change::MoveConsumers {
                group: g,
                zone: "us-east-1a".to_string(),
            }],
        );
        assert!(
            out.consumer_groups[0]
                .members
                .iter()
                .all(|m| m.zone.as_deref() == Some(A))
        );
        assert_eq!(out.consumer_groups[1..], s.consumer_groups[1..]);
    }
}

#[test]
fn no_changes_is_the_same_snapshot() {
    for s in synth_cases()
        .into_iter()
        .chain([racks_case(), placement_case()])
    {
        assert_eq!(changed(&s, &[]), s);
    }
}

// ---------------------------------------------------------------------------
// The binary

fn azcost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .output()
        .expect("azcost runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every `difference` number under `v`; panics on one that is not 0.
fn assert_zero_differences(v: &Value, path: &str, seen: &mut usize) {
    match v {
        Value::Object(map) => {
            if let Some(d) = map.get("difference")
                && !d.is_object()
            {
                let n = d.as_f64().unwrap_or_else(|| panic!("{path}: {d}"));
                assert_eq!(n, 0.0, "{path}.difference = {d}");
                *seen += 1;
            }
            for (k, x) in map {
                assert_zero_differences(x, &format!("{path}.{k}"), seen);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                assert_zero_differences(x, &format!("{path}[{i}]"), seen);
            }
        }
        _ => {}
    }
}

#[test]
fn what_if_without_changes_reports_zero_difference() {
    let out = azcost(&["what-if", "-q", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "-q: {}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["format"], "azcost.what-if/v1");
    assert_eq!(doc["changes"], serde_json::json!([]));
    let mut seen = 0;
    assert_zero_differences(&doc["difference"], "difference", &mut seen);
    // 3 scenarios × 6 figures + 2 savings, and at least the topics and groups.
    assert!(seen >= 20, "only {seen} differences found");
    assert_eq!(doc["before"], doc["after"]);
}

#[test]
fn what_if_snapshot_written_with_o_audits_to_the_after_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let after = dir.path().join("after.json");
    let after_path = after.to_str().expect("utf-8 path");
    let out = azcost(&[
        "what-if",
        "-q",
        "--set-client-rack",
        "all",
        "--enable-selector",
        "-o",
        after_path,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["changes"].as_array().map(Vec::len), Some(2));
    assert!(after.exists(), "-o wrote no snapshot");

    let written = std::fs::read(&after).expect("read after.json");
    let snap = azcost::snapshot::parse_and_validate(&written, "after.json").expect("valid");
    assert!(validate(&snap).is_empty());

    let audited = azcost(&["audit", "-q", "-s", after_path, "-f", "json"]);
    assert_eq!(audited.status.code(), Some(0), "{}", text(&audited.stderr));
    let audit_doc: Value = serde_json::from_slice(&audited.stdout).expect("JSON");
    assert_eq!(audit_doc["scenarios"], doc["after"]["scenarios"]);
    assert_eq!(audit_doc["savings"], doc["after"]["savings"]);
    // The changes did something on the demo: current reaches rack_aware's
    // consume bytes only where every member is placed; at least it drops.
    let cur = |d: &Value| d["scenarios"]["current"]["consume_cross_az_bytes"].as_f64();
    assert!(cur(&doc["after"]) < cur(&doc["before"]), "no effect?");
    assert_eq!(
        doc["difference"]["scenarios"]["current"]["monthly_cost_usd"]["after"],
        doc["after"]["scenarios"]["current"]["monthly_cost_usd"]
    );
}

#[test]
fn what_if_move_consumers_errors_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let after = dir.path().join("after.json");
    for spec in ["nogroup=use1-az1", "bad"] {
        let out = azcost(&[
            "what-if",
            "-q",
            "--move-consumers",
            spec,
            "-o",
            after.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{spec}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("--move-consumers"), "{spec}: {err}");
        assert!(err.contains(spec), "{spec}: {err}");
        assert!(out.stdout.is_empty(), "{spec}: no report on error");
        assert!(!after.exists(), "{spec}: no snapshot written on error");
    }
}
