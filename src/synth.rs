//! Seeded synthetic snapshots: realistic shapes at any scale, for the
//! benchmark and for tests that need bulk rather than hand-checked numbers.
//!
//! Same parameters and seed, same snapshot, on every machine.
//!
//! Two shapes: [`generate`] is a tidy cluster (replicas one per zone where the
//! broker count allows), [`generate_messy`] the shape real clusters drift into
//! (issue 13): replicas placed with no regard to zone, shrunk ISRs, groups
//! reading whole topics, wrong and missing racks, consumers of unknown zone.
//! A benchmark or budget measured only on the tidy one hides the work the
//! findings do on a messy one.

use crate::snapshot::*;
use std::collections::BTreeMap;

/// The shape of a synthetic cluster.
#[derive(Debug, Clone)]
pub struct SynthParams {
    /// RNG seed.
    pub seed: u64,
    /// Availability zones (1..=26).
    pub zones: usize,
    /// Brokers, spread round-robin over zones.
    pub brokers: usize,
    /// Partitions in all.
    pub partitions: usize,
    /// Average partitions per topic.
    pub partitions_per_topic: usize,
    /// Consumer groups.
    pub groups: usize,
    /// Members per group (at most).
    pub members_per_group: usize,
    /// Topics each group reads (at most).
    pub topics_per_group: usize,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            seed: 1,
            zones: 3,
            brokers: 6,
            partitions: 1_000,
            partitions_per_topic: 50,
            groups: 20,
            members_per_group: 6,
            topics_per_group: 2,
        }
    }
}

fn zone_id(z: usize) -> String {
    format!("use1-az{}", z + 1)
}

fn zone_name(z: usize) -> String {
    format!("us-east-1{}", (b'a' + (z % 26) as u8) as char)
}

/// Generates a valid snapshot of the given shape.
pub fn generate(p: &SynthParams) -> Snapshot {
    let mut rng = fastrand::Rng::with_seed(p.seed);
    let zones = p.zones.clamp(1, 26);
    let brokers = p.brokers.max(1);
    let rf = 3.min(brokers);
    let mut topics: Vec<(String, usize)> = Vec::new();
    let mut left = p.partitions;
    while left > 0 {
        let count = rng.usize(1..=p.partitions_per_topic.max(1) * 2).min(left);
        topics.push((format!("topic-{:05}", topics.len()), count));
        left -= count;
    }
    let mut partitions = Vec::with_capacity(p.partitions);
    for (topic, count) in &topics {
        for i in 0..*count {
            let first = rng.usize(0..brokers);
            let replicas: Vec<i32> = (0..rf)
                .map(|k| ((first + k) % brokers) as i32 + 1)
                .collect();
            let mut isr = replicas.clone();
            if rng.u8(0..100) == 0 && isr.len() > 1 {
                isr.pop();
            }
            let leader = if rng.u16(0..1000) == 0 {
                None
            } else {
                Some(replicas[0])
            };
            partitions.push(Partition {
                topic: topic.as_str().into(),
                partition: i as i32,
                leader,
                replicas: replicas.into(),
                isr: isr.into(),
                bytes_in: (rng.u64(0..1 << 30)) as f64,
            });
        }
    }
    let mut consumer_groups = Vec::with_capacity(p.groups);
    for g in 0..p.groups {
        let reads: Vec<usize> = (0..rng.usize(1..=p.topics_per_group.max(1)))
            .map(|_| rng.usize(0..topics.len()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let n_members = rng.usize(1..=p.members_per_group.max(1));
        let mut members: Vec<Member> = (0..n_members)
            .map(|m| {
                let z = rng.usize(0..zones);
                let rack = match rng.u8(0..10) {
                    0..=5 => Some(zone_id(z)),
                    6 | 7 => Some(zone_name(z)),
                    _ => None,
                };
                Member {
                    member_id: Some(format!("group-{g:05}-{m}-{:08x}", rng.u32(..))),
                    client_id: Some(format!("group-{g:05}-{m}")),
                    host: Some(format!("10.{}.{}.{}", z, rng.u8(..), rng.u8(1..255))),
                    client_rack: rack,
                    zone: (rng.u8(0..10) != 0).then(|| zone_id(z)),
                    assignment: Vec::new(),
                }
            })
            .collect();
        let mut k = 0;
        let mut read_list = Vec::new();
        for &t in &reads {
            let (topic, count) = &topics[t];
            let mut by_member: BTreeMap<usize, Vec<i32>> = BTreeMap::new();
            for part in 0..*count {
                by_member
                    .entry(k % n_members)
                    .or_default()
                    .push(part as i32);
                k += 1;
                read_list.push((topic.clone(), part as i32));
            }
            for (m, parts) in by_member {
                members[m].assignment.push(TopicPartitions {
                    topic: topic.as_str().into(),
                    partitions: parts,
                });
            }
        }
        let bytes_read = (rng.u8(0..10) < 3).then(|| {
            read_list
                .into_iter()
                .map(|(topic, partition)| BytesRead {
                    topic: topic.into(),
                    partition,
                    bytes: rng.u64(0..1 << 30) as f64,
                })
                .collect()
        });
        consumer_groups.push(ConsumerGroup {
            group: format!("group-{g:05}"),
            members,
            bytes_read,
        });
    }
    Shell {
        name: format!("synthetic-{}", p.seed),
        zones,
        brokers,
        host_domain: "synthetic",
        detail: format!("{p:?}"),
    }
    .with(partitions, consumer_groups)
}

/// What every synthetic snapshot shares: a one-day MSK window with the
/// rack-aware selector on, brokers round-robin over AZ IDs named in
/// `zones`, and a provenance line saying how it was made.
struct Shell {
    name: String,
    zones: usize,
    brokers: usize,
    host_domain: &'static str,
    detail: String,
}

impl Shell {
    fn with(self, partitions: Vec<Partition>, consumer_groups: Vec<ConsumerGroup>) -> Snapshot {
        Snapshot {
            format: FORMAT_V1.to_string(),
            cluster: ClusterInfo {
                name: self.name,
                region: Some("us-east-1".to_string()),
                platform: Some(Platform::Msk),
                replica_selector: Some(RACK_AWARE_SELECTOR.to_string()),
                arn: None,
            },
            window: Window {
                start: "2026-11-01T00:00:00Z".to_string(),
                end: "2026-11-02T00:00:00Z".to_string(),
            },
            zones: (0..self.zones)
                .map(|z| ZoneEntry {
                    id: zone_id(z),
                    name: Some(zone_name(z)),
                })
                .collect(),
            brokers: (0..self.brokers)
                .map(|b| Broker {
                    id: b as i32 + 1,
                    rack: Some(zone_id(b % self.zones)),
                    zone: None,
                    host: Some(format!("b-{}.{}:9092", b + 1, self.host_domain)),
                    instance_type: None,
                })
                .collect(),
            partitions,
            consumer_groups,
            producers: None,
            topics: Vec::new(),
            provenance: vec![Provenance {
                source: "synth".to_string(),
                detail: self.detail,
            }],
            warnings: Vec::new(),
        }
    }
}

/// The shape of a messy synthetic cluster (issue 13): what an audit of a
/// real, drifted cluster has to chew through.
#[derive(Debug, Clone)]
pub struct MessyParams {
    /// RNG seed.
    pub seed: u64,
    /// Partitions in all.
    pub partitions: usize,
    /// Consumer groups.
    pub groups: usize,
}

impl MessyParams {
    /// The shape at `scale` × (200,000 partitions, 2,000 groups).
    pub fn at_scale(scale: usize) -> Self {
        MessyParams {
            seed: 7,
            partitions: 200_000 * scale,
            groups: 2_000 * scale,
        }
    }
}

/// Generates a valid messy snapshot: 60 brokers in 3 zones; every partition
/// RF 3 on brokers drawn at random (so most have two replicas in one zone);
/// 5% of partitions with a shrunk ISR; topics of 6–192 partitions; groups of
/// 1–12 members reading 1–4 whole topics; 40% of members with a correct
/// `client.rack`, 10% with an AZ name, the rest none; 20% of members of
/// unknown zone (no `zone` and no rack that names one).
pub fn generate_messy(p: &MessyParams) -> Snapshot {
    const ZONES: usize = 3;
    const BROKERS: usize = 60;
    let mut rng = fastrand::Rng::with_seed(p.seed);
    let mut topics: Vec<(String, usize)> = Vec::new();
    let mut left = p.partitions;
    while left > 0 {
        let count = rng.usize(6..=192).min(left);
        topics.push((format!("topic-{:05}", topics.len()), count));
        left -= count;
    }
    let mut partitions = Vec::with_capacity(p.partitions);
    for (topic, count) in &topics {
        for i in 0..*count {
            let mut replicas: Vec<i32> = Vec::with_capacity(3);
            while replicas.len() < 3 {
                let b = rng.i32(1..=BROKERS as i32);
                if !replicas.contains(&b) {
                    replicas.push(b);
                }
            }
            let mut isr = replicas.clone();
            if rng.u8(0..100) < 5 {
                isr.remove(rng.usize(1..isr.len()));
            }
            partitions.push(Partition {
                topic: topic.as_str().into(),
                partition: i as i32,
                leader: Some(replicas[0]),
                replicas: replicas.into(),
                isr: isr.into(),
                bytes_in: rng.u64(0..1 << 30) as f64,
            });
        }
    }
    let mut consumer_groups = Vec::with_capacity(p.groups);
    for g in 0..p.groups {
        let reads: Vec<usize> = (0..rng.usize(1..=4))
            .map(|_| rng.usize(0..topics.len()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let n_members = rng.usize(1..=12);
        let mut members: Vec<Member> = (0..n_members)
            .map(|m| {
                let z = rng.usize(0..ZONES);
                let known = rng.u8(0..100) >= 20;
                // Of all members: 40% the right AZ ID, 10% an AZ name (both
                // only among the 80% whose zone is known), the rest none.
                let rack = match (known, rng.u8(0..80)) {
                    (true, 0..=39) => Some(zone_id(z)),
                    (true, 40..=49) => Some(zone_name(z)),
                    _ => None,
                };
                Member {
                    member_id: Some(format!("consumer-{g:05}-{m}-{:08x}", rng.u32(..))),
                    client_id: Some(format!("consumer-{g:05}-{m}")),
                    host: Some(format!("10.{}.{}.{}", z, rng.u8(..), rng.u8(1..255))),
                    client_rack: rack,
                    zone: known.then(|| zone_id(z)),
                    assignment: Vec::new(),
                }
            })
            .collect();
        let mut k = 0;
        for &t in &reads {
            let (topic, count) = &topics[t];
            let mut by_member: BTreeMap<usize, Vec<i32>> = BTreeMap::new();
            for part in 0..*count {
                by_member
                    .entry(k % n_members)
                    .or_default()
                    .push(part as i32);
                k += 1;
            }
            for (m, parts) in by_member {
                members[m].assignment.push(TopicPartitions {
                    topic: topic.as_str().into(),
                    partitions: parts,
                });
            }
        }
        consumer_groups.push(ConsumerGroup {
            group: format!("group-{g:05}"),
            members,
            bytes_read: None,
        });
    }
    Shell {
        name: format!("messy-{}", p.seed),
        zones: ZONES,
        brokers: BROKERS,
        host_domain: "messy",
        detail: format!("{p:?}"),
    }
    .with(partitions, consumer_groups)
}
