//! Findings price fixes incrementally (`whatif::price_fix_on`,
//! `whatif::price_balanced_leaders`): from the snapshot's index and the
//! fix's new placements, without applying the change. The reference kept
//! here is the old path: a snapshot of only the chosen partitions, changed
//! by `whatif::apply` and audited by `model::cost::price`. Both must agree
//! to the last bit on random messy snapshots (small ones, so the suite
//! stays fast in debug builds).

use azcost::findings;
use azcost::model::cost::{Priced, price};
use azcost::model::flows::{Beside, Index, Scope, Tally};
use azcost::model::{Pricing, Scenario};
use azcost::snapshot::{Platform, Producers, Snapshot, validate};
use azcost::synth::{MessyParams, generate_messy};
use azcost::whatif::{self, Change, PartitionFix, Target};
use proptest::prelude::*;
use std::collections::BTreeMap;

type ByTopic = BTreeMap<String, ([f64; 3], [f64; 3])>;

/// A small messy cluster, varied: platform, selector, KIP-1123 producers,
/// offline partitions.
fn messy_strategy() -> impl Strategy<Value = Snapshot> {
    (
        any::<u64>(),
        20usize..=400,
        0usize..=8,
        any::<bool>(),
        any::<bool>(),
        0u8..3,
        0.0f64..=1.0,
        0u8..20,
    )
        .prop_map(
            |(seed, partitions, groups, self_managed, selector, producers, unkeyed, offline)| {
                let mut s = generate_messy(&MessyParams {
                    seed,
                    partitions,
                    groups,
                });
                if self_managed {
                    s.cluster.platform = Some(Platform::SelfManaged);
                }
                if !selector {
                    s.cluster.replica_selector = None;
                }
                // Some partitions lose their leader (offline: left out of sums).
                for (i, p) in s.partitions.iter_mut().enumerate() {
                    if offline > 0 && (i as u64 + seed) % u64::from(offline) == 0 && i % 7 == 3 {
                        p.leader = None;
                    }
                }
                let first_topic = s.partitions[0].topic.clone();
                s.producers = match producers {
                    0 => None,
                    1 => Some(Producers {
                        rack_aware_topics: Some(vec![first_topic.to_string()]),
                        unkeyed_share: Some(unkeyed),
                        ..Producers::default()
                    }),
                    _ => Some(Producers {
                        rack_aware_topics: Some(vec!["*".to_string()]),
                        unkeyed_share: Some(unkeyed),
                        ..Producers::default()
                    }),
                };
                s
            },
        )
}

/// The old path: audit a snapshot of only the kept partitions, before and
/// after the change.
fn reference(s: &Snapshot, keep: &[bool], change: &Change, pricing: &Pricing) -> ByTopic {
    let mut part = s.clone_without_partitions();
    part.partitions = s
        .partitions
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(p, _)| p.clone())
        .collect();
    let mut out = ByTopic::new();
    for (topic, v) in price(&part, pricing).by_topic {
        out.entry(topic).or_default().0 = v;
    }
    let changed = whatif::apply(&part, std::slice::from_ref(change)).expect("applies");
    for (topic, v) in price(&changed, pricing).by_topic {
        out.entry(topic).or_default().1 = v;
    }
    out
}

fn bits(m: &ByTopic) -> Vec<(String, [u64; 3], [u64; 3])> {
    m.iter()
        .map(|(t, (b, a))| (t.clone(), b.map(f64::to_bits), a.map(f64::to_bits)))
        .collect()
}

/// One scenario's column of [`bits`]: what `price_fix_in` must match.
fn scenario_bits(m: &ByTopic, scenario: Scenario) -> Vec<(String, u64, u64)> {
    let i = scenario.index();
    m.iter()
        .map(|(t, (b, a))| (t.clone(), b[i].to_bits(), a[i].to_bits()))
        .collect()
}

fn priced_bits(p: &Priced) -> Vec<u64> {
    let mut out: Vec<u64> = p
        .by_topic
        .iter()
        .flat_map(|(_, v)| v.map(f64::to_bits))
        .collect();
    for s in [
        &p.scenarios.leader_only,
        &p.scenarios.current,
        &p.scenarios.rack_aware,
    ] {
        out.extend(
            [
                s.consume_cross_az_bytes,
                s.produce_cross_az_bytes,
                s.replication_cross_az_bytes,
                s.billed_cross_az_bytes,
                s.cost_usd,
                s.monthly_cost_usd,
            ]
            .map(f64::to_bits),
        );
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn incremental_fix_prices_equal_the_what_if_path(
        s in messy_strategy(),
        mask_seed in any::<u64>(),
        rf in proptest::option::of(1usize..=4),
    ) {
        let problems = validate(&s);
        prop_assert!(problems.is_empty(), "{:?}", problems);
        let pricing = Pricing::default();
        let index = Index::new(&s);
        let masks: Vec<Vec<bool>> = vec![
            vec![true; s.partitions.len()],
            s.partitions.iter().map(|p| p.isr.len() < p.replicas.len()).collect(),
            (0..s.partitions.len())
                .map(|i| (i as u64).wrapping_mul(mask_seed | 1).rotate_left(17) % 3 != 0)
                .collect(),
            // Few kept: the tallies walk listed positions (`Selection`).
            (0..s.partitions.len())
                .map(|i| (i as u64).wrapping_mul(mask_seed | 1).rotate_left(29) % 7 == 0)
                .collect(),
            vec![false; s.partitions.len()],
        ];
        for keep in &masks {
            let fixes = [
                (PartitionFix::PlaceReplicas { rf }, Change::PlaceReplicas { topics: Target::All, rf }),
                (PartitionFix::RestoreIsr, Change::RestoreIsr(Target::All)),
            ];
            for (fix, change) in fixes {
                let got = whatif::price_fix_on(&index, keep, fix, &pricing);
                let want = reference(&s, keep, &change, &pricing);
                prop_assert_eq!(bits(&got), bits(&want));
                // One scenario alone (what findings price) is the same column.
                for scenario in Scenario::ALL {
                    let one = whatif::price_fix_in(&index, keep, fix, &pricing, scenario);
                    prop_assert_eq!(scenario_bits(&one, scenario), scenario_bits(&want, scenario));
                }
            }
        }
        let got = whatif::price_balanced_leaders(&index, &pricing);
        let changed = whatif::apply(&s, &[Change::BalanceLeaders]).expect("applies");
        let want = price(&changed, &pricing);
        prop_assert_eq!(priced_bits(&got), priced_bits(&want));
    }
}

/// A tally's every output, floats as bits.
fn tally_bits(t: &Tally) -> (Vec<String>, Vec<String>, String, Vec<String>) {
    (
        t.cells
            .iter()
            .map(|(k, v)| format!("{k:?} {:x}", v.to_bits()))
            .collect(),
        t.members
            .iter()
            .map(|(k, m)| {
                format!(
                    "{k:?} {:x} {:?}",
                    m.read.to_bits(),
                    m.cross.map(f64::to_bits)
                )
            })
            .collect(),
        format!("{:?}", t.coverage),
        t.offline
            .iter()
            .map(|o| format!("{} {:x}", o.name, o.bytes_in.to_bits()))
            .collect(),
    )
}

/// A pseudo-random number per partition index, from `seed`, for masks
/// that keep partitions scattered through the snapshot.
fn scattered(n: usize, seed: u64, rotate: u32) -> impl Iterator<Item = u64> {
    (0..n as u64).map(move |i| i.wrapping_mul(seed | 1).rotate_left(rotate))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A selection that lists the kept partitions' positions (what a tally
    /// of few partitions walks) sums exactly what a walk of all of them
    /// skipping the rest sums, in every scope.
    #[test]
    fn listed_and_masked_selections_tally_the_same(
        s in messy_strategy(),
        mask_seed in any::<u64>(),
        one_in in 1u64..=9,
    ) {
        let index = Index::new(&s);
        let keep: Vec<bool> = scattered(s.partitions.len(), mask_seed, 23)
            .map(|h| h % one_in == 0)
            .collect();
        let listed = index.select_with(&keep, true);
        prop_assert!(listed.walk().is_some());
        let masked = index.select_with(&keep, false);
        prop_assert!(masked.walk().is_none());
        for scope in [Scope::ALL, Scope::only(Scenario::Current), Scope::only(Scenario::RackAware)] {
            let a = index.tally_scoped(&listed, None, scope);
            let b = index.tally_scoped(&masked, None, scope);
            prop_assert_eq!(tally_bits(&a), tally_bits(&b));
        }
    }

    /// The cells summed beside a whole tally (how an audit prices the
    /// replica fix's "before" half in its own pass) are bit for bit those
    /// of a tally of the kept partitions alone in that scenario, and the
    /// whole tally is unchanged by them.
    #[test]
    fn cells_summed_beside_a_tally_equal_a_tally_of_their_own(
        s in messy_strategy(),
        mask_seed in any::<u64>(),
        one_in in 1u64..=5,
    ) {
        let index = Index::new(&s);
        let masks: Vec<Vec<bool>> = vec![
            scattered(s.partitions.len(), mask_seed, 31)
                .map(|h| h % one_in != 0)
                .collect(),
            vec![true; s.partitions.len()],
            vec![false; s.partitions.len()],
        ];
        let whole = tally_bits(&index.tally(None, None));
        for keep in &masks {
            for scenario in Scenario::ALL {
                let (tally, beside) = index.tally_beside(Beside { keep, scenario });
                prop_assert_eq!(tally_bits(&tally), whole.clone());
                let alone = index.tally_scoped(&index.select(keep), None, Scope::only(scenario));
                let bits = |cells: &[(azcost::model::flows::FlowKey, f64)]| -> Vec<String> {
                    cells.iter().map(|(k, v)| format!("{k:?} {:x}", v.to_bits())).collect()
                };
                prop_assert_eq!(bits(&beside), bits(&alone.cells));
            }
        }
    }

    /// Findings made as `azcost audit` makes them (the replica fix's two
    /// halves priced beside the analysis) are the findings of the
    /// analysis alone, priced after it.
    #[test]
    fn findings_priced_beside_the_analysis_equal_findings_after_it(s in messy_strategy()) {
        let pricing = Pricing::default();
        let index = Index::new(&s);
        let (analysis, plan) = findings::analyze_planned(&index, &pricing);
        let beside = findings::find_prepared(&index, &analysis, &Default::default(), plan);
        let after = findings::find_grouped_indexed(&index, &analysis, &Default::default());
        let fix = findings::ReplicaFix::find(&index);
        let cells = fix
            .beside()
            .map(|b| azcost::model::cost::analyze_beside(&index, &pricing, b).1)
            .unwrap_or_default();
        let halves = findings::find_fixing(&index, &analysis, &Default::default(), fix, &cells);
        // Debug text shows every float exactly (shortest round-trip form).
        let text = |f: &findings::Findings| format!("{f:?}");
        prop_assert_eq!(text(&beside), text(&after));
        prop_assert_eq!(text(&halves), text(&after));
        let plain = azcost::model::cost::analyze_indexed(&index, &pricing);
        prop_assert_eq!(format!("{plain:?}"), format!("{analysis:?}"));
    }
}
