//! Properties over random valid snapshots (seeded synthetic clusters with
//! random shape, platform, selector and producer shares).

use crate::support::*;
use azcost::model::{Analysis, Pricing, Scenario, Traffic, analyze};
use azcost::snapshot::{Platform, Producers, Snapshot};
use azcost::synth::{SynthParams, generate};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn snapshot_strategy() -> impl Strategy<Value = Snapshot> {
    (
        any::<u64>(),
        1usize..=4,
        1usize..=9,
        1usize..=120,
        0usize..=6,
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(proptest::collection::vec(0.0f64..1.0, 4)),
    )
        .prop_map(
            |(seed, zones, brokers, partitions, groups, self_managed, selector, shares)| {
                let mut s = generate(&SynthParams {
                    seed,
                    zones,
                    brokers,
                    partitions,
                    partitions_per_topic: 8,
                    groups,
                    members_per_group: 4,
                    topics_per_group: 3,
                });
                if self_managed {
                    s.cluster.platform = Some(Platform::SelfManaged);
                }
                if !selector {
                    s.cluster.replica_selector = None;
                }
                // Shares only over the zones that hold brokers.
                let broker_zones: std::collections::BTreeSet<String> =
                    s.brokers.iter().filter_map(|b| b.rack.clone()).collect();
                if let Some(raw) = shares {
                    let raw = &raw[..broker_zones.len()];
                    let sum: f64 = raw.iter().sum();
                    if sum > 0.0 {
                        let map: BTreeMap<String, f64> = broker_zones
                            .iter()
                            .zip(raw)
                            .map(|(z, v)| (z.clone(), v / sum))
                            .collect();
                        s.producers = Some(Producers {
                            zone_shares: Some(map),
                            ..Producers::default()
                        });
                    }
                }
                s
            },
        )
}

fn le(a: f64, b: f64) -> bool {
    a <= b + 1e-9 * b.abs().max(1.0)
}

fn check_sums(a: &Analysis) -> Result<(), TestCaseError> {
    for sc in Scenario::ALL {
        let t = a.scenarios.get(sc);
        let kinds = |k: Traffic| -> f64 {
            a.flows
                .iter()
                .filter(|f| f.scenario == sc && f.traffic == k)
                .map(|f| f.bytes)
                .sum()
        };
        prop_assert!(close(kinds(Traffic::Consume), t.consume_cross_az_bytes));
        prop_assert!(close(kinds(Traffic::Produce), t.produce_cross_az_bytes));
        prop_assert!(close(
            kinds(Traffic::Replication),
            t.replication_cross_az_bytes
        ));
        let usd: f64 = a
            .flows
            .iter()
            .filter(|f| f.scenario == sc && f.billed)
            .map(|f| f.usd)
            .sum();
        prop_assert!(close(usd, t.cost_usd));
        let topics = a.by_topic.iter().map(|r| r.scenarios.get(sc));
        let (mut p, mut r, mut c, mut cost) = (0.0, 0.0, 0.0, 0.0);
        for x in topics {
            p += x.produce_bytes;
            r += x.replication_bytes;
            c += x.consume_bytes;
            cost += x.monthly_usd;
        }
        prop_assert!(close(p, t.produce_cross_az_bytes));
        prop_assert!(close(r, t.replication_cross_az_bytes));
        prop_assert!(close(c, t.consume_cross_az_bytes));
        prop_assert!(close(cost, t.monthly_cost_usd));
        let groups: f64 = a.by_group.iter().map(|g| g.scenarios.get(sc).bytes).sum();
        prop_assert!(close(groups, t.consume_cross_az_bytes));
        let members: f64 = a.by_member.iter().map(|m| m.scenarios.get(sc).bytes).sum();
        prop_assert!(close(members, t.consume_cross_az_bytes));
        let pairs: f64 = a
            .by_zone_pair
            .iter()
            .map(|z| z.scenarios.get(sc).bytes)
            .sum();
        prop_assert!(close(
            pairs,
            t.consume_cross_az_bytes + t.produce_cross_az_bytes + t.replication_cross_az_bytes
        ));
        let pair_usd: f64 = a
            .by_zone_pair
            .iter()
            .map(|z| z.scenarios.get(sc).cost_usd)
            .sum();
        prop_assert!(close(pair_usd, t.cost_usd));
    }
    Ok(())
}

fn shuffled(s: &Snapshot, seed: u64) -> Snapshot {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut s = s.clone();
    rng.shuffle(&mut s.partitions);
    rng.shuffle(&mut s.brokers);
    rng.shuffle(&mut s.consumer_groups);
    for g in &mut s.consumer_groups {
        rng.shuffle(&mut g.members);
        for m in &mut g.members {
            rng.shuffle(&mut m.assignment);
            for tp in &mut m.assignment {
                rng.shuffle(&mut tp.partitions);
            }
        }
        if let Some(reads) = &mut g.bytes_read {
            rng.shuffle(reads);
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn generated_snapshots_are_valid(s in snapshot_strategy()) {
        let problems = azcost::snapshot::validate(&s);
        prop_assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn rack_aware_is_never_worse(s in snapshot_strategy()) {
        let a = analyze(&s, &Pricing::default());
        let c = |sc| a.scenarios.get(sc).consume_cross_az_bytes;
        prop_assert!(le(c(Scenario::RackAware), c(Scenario::Current)));
        prop_assert!(le(c(Scenario::RackAware), c(Scenario::LeaderOnly)));
        for sc in Scenario::ALL {
            prop_assert!(le(c(sc), a.coverage.bytes_read));
            let online_in = a.coverage.bytes_in_total - a.coverage.bytes_in_offline;
            prop_assert!(le(a.scenarios.get(sc).produce_cross_az_bytes, online_in));
        }
    }

    #[test]
    fn totals_equal_the_sum_of_every_breakdown(s in snapshot_strategy()) {
        check_sums(&analyze(&s, &Pricing::default()))?;
    }

    #[test]
    fn result_does_not_depend_on_order(s in snapshot_strategy(), seed in any::<u64>()) {
        let a = analyze(&s, &Pricing::default());
        let b = analyze(&shuffled(&s, seed), &Pricing::default());
        for sc in Scenario::ALL {
            let (x, y) = (a.scenarios.get(sc), b.scenarios.get(sc));
            prop_assert!(close(x.consume_cross_az_bytes, y.consume_cross_az_bytes));
            prop_assert!(close(x.produce_cross_az_bytes, y.produce_cross_az_bytes));
            prop_assert!(close(x.replication_cross_az_bytes, y.replication_cross_az_bytes));
            prop_assert!(close(x.monthly_cost_usd, y.monthly_cost_usd));
        }
        prop_assert_eq!(a.flows.len(), b.flows.len());
        prop_assert_eq!(&a.warnings, &b.warnings);
    }
}
