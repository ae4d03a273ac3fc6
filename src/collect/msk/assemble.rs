//! Assembles an MSK snapshot from what the control plane, EC2, the Kafka
//! collector and CloudWatch said. Pure: no I/O, no clock, so every rule
//! here is tested with plain values.
//!
//! The rules (issue 4): absolute bytes come from CloudWatch over the
//! requested window; Kafka's short live window only gives placement,
//! groups and *relative* weights. A topic's `BytesInPerSec` on a broker is
//! split over the partitions that broker leads in proportion to their
//! offset growth, evenly when that is unknown (flagged). A topic's
//! `BytesOutPerSec` (summed over brokers) is split over the groups' reads
//! in proportion to their committed-offset growth, or spread evenly over
//! the groups reading it when that is unknown (flagged). Nothing missing
//! becomes a silent zero: it becomes a warning.

use super::arn::ClusterArn;
use super::aws::ClusterDescription;
use super::cloudwatch::{self, Measured, MetricName};
use super::control::Control;
use super::ec2::NetworkZones;
use super::listener::KafkaAuth;
use crate::error::Error;
use crate::snapshot::{
    self, Broker, BytesRead, ClusterInfo, ConsumerGroup, FORMAT_V1, Partition, Platform,
    Provenance, Snapshot, Window,
};
use std::collections::{BTreeMap, BTreeSet};

/// Everything the assembly reads.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The cluster.
    pub arn: &'a ClusterArn,
    /// Region of the calls.
    pub region: &'a str,
    /// Control plane.
    pub control: &'a Control,
    /// EC2 zones.
    pub network: &'a NetworkZones,
    /// The Kafka collection and its listener, when Kafka was read.
    pub kafka: Option<(&'a Snapshot, KafkaAuth)>,
    /// Why Kafka was not read.
    pub kafka_warnings: &'a [String],
    /// CloudWatch.
    pub measured: &'a Measured,
    /// Window start, epoch seconds.
    pub start: i64,
    /// Window end, epoch seconds.
    pub end: i64,
}

/// Name prefix of the groups that stand for consumers Kafka could not name.
pub const UNATTRIBUTED: &str = "unattributed";

/// Builds and validates the snapshot.
pub fn assemble(i: &Inputs<'_>) -> Result<Snapshot, Error> {
    let mut warnings: Vec<String> = i.kafka_warnings.to_vec();
    let mut provenance = Vec::new();
    let c = &i.control.cluster;
    let brokers = brokers(i, &mut warnings)?;
    let (partitions, consumer_groups, topics) = match i.kafka {
        Some((k, auth)) => {
            for w in &k.warnings {
                warnings.push(format!("kafka: {w}"));
            }
            // The selector comes from the MSK configuration, not Kafka.
            provenance.extend(
                k.provenance
                    .iter()
                    .filter(|p| !p.detail.starts_with("replica.selector.class from"))
                    .cloned(),
            );
            provenance.push(prov(
                "kafka",
                format!(
                    "read through the {} listener from GetBootstrapBrokers; only placement, groups and relative weights are used, absolute bytes come from CloudWatch",
                    auth.as_str()
                ),
            ));
            let partitions = partitions_from_kafka(k, i.measured, &c.monitoring, &mut warnings);
            let groups = groups_from_kafka(k, &partitions, i.measured, &mut warnings);
            (partitions, groups, k.topics.clone())
        }
        None => {
            let (p, g) = assumed_placement(&brokers, i.measured, &mut warnings);
            provenance.push(prov(
                "msk",
                "producer zones unknown: produce traffic is spread evenly over zones".to_string(),
            ));
            (p, g, Vec::new())
        }
    };
    provenance.push(prov("msk", control_detail(i.arn, c, i.control)));
    provenance.push(prov(
        "ec2",
        format!(
            "broker zones from their client subnets (DescribeSubnets); consumer zones from the {} subnets of {} (CIDR → AZ ID); AZ names ↔ IDs from DescribeAvailabilityZones",
            i.network.vpc_subnets,
            i.network.vpc.as_deref().unwrap_or("the VPC")
        ),
    ));
    let m = i.measured;
    provenance.push(prov(
        "cloudwatch",
        format!(
            "AWS/Kafka BytesInPerSec and BytesOutPerSec (Average × SampleCount × 60 s per {} s period: only the minutes present count); {} metrics requested in {} GetMetricData requests (at most {} queries each), about ${:.4} at $0.01 per 1,000 metrics; {:.1}% of {} of bytes in/out present ({} of {}){}",
            m.period,
            m.metrics_requested,
            m.requests,
            m.largest_request,
            m.cost_usd(),
            100.0 * m.coverage(),
            m.unit(),
            m.present,
            m.expected,
            weakest(m)
        ),
    ));
    if m.present < m.expected {
        warnings.push(format!(
            "CloudWatch returned {:.1}% of {} of bytes in/out ({} of {}){}: the bytes of the missing periods are not in this snapshot (not counted as zeros, not extrapolated), so costs are understated by about {:.1}%",
            100.0 * m.coverage(),
            m.unit(),
            m.present,
            m.expected,
            weakest(m),
            100.0 * (1.0 - m.coverage())
        ));
    }
    if !m.silent_series.is_empty() {
        let named: Vec<String> = m
            .silent_series
            .iter()
            .take(5)
            .map(Measured::describe)
            .collect();
        warnings.push(format!(
            "{} per-broker topic series had no datapoint at all in the window ({}{}): a broker that led no partition of the topic publishes none, so they count as no bytes rather than as missing minutes; if one of those brokers was down, its bytes are missing",
            m.silent_series.len(),
            named.join(", "),
            if m.silent_series.len() > 5 { ", …" } else { "" }
        ));
    }
    if m.partial_series > 0 {
        warnings.push(format!(
            "CloudWatch marked {} series as PartialData",
            m.partial_series
        ));
    }
    let snap = Snapshot {
        format: FORMAT_V1.to_string(),
        cluster: ClusterInfo {
            // `--cluster-name` reaches the Kafka view; else MSK's name.
            name: i
                .kafka
                .map(|(k, _)| k.cluster.name.clone())
                .unwrap_or_else(|| c.name.clone()),
            region: Some(i.region.to_string()),
            platform: Some(Platform::Msk),
            replica_selector: i.control.selector.0.clone(),
            arn: Some(i.arn.text.clone()),
        },
        window: Window {
            start: rfc3339(i.start),
            end: rfc3339(i.end),
        },
        zones: i.network.zones.clone(),
        brokers,
        partitions,
        consumer_groups,
        producers: None,
        topics,
        provenance,
        warnings,
    };
    if let Some(p) = snapshot::validate(&snap).first() {
        return Err(Error::Runtime(format!(
            "the MSK collection produced an invalid snapshot (please report): {p}"
        )));
    }
    Ok(snap)
}

fn prov(source: &str, detail: String) -> Provenance {
    Provenance {
        source: source.to_string(),
        detail,
    }
}

fn control_detail(arn: &ClusterArn, c: &ClusterDescription, control: &Control) -> String {
    format!(
        "{} (DescribeClusterV2): Kafka {}, {} brokers of {}{}, enhanced monitoring {}; {} brokers from ListNodes; replica.selector.class from {}",
        arn.text,
        c.kafka_version.as_deref().unwrap_or("?"),
        c.broker_count.unwrap_or(control.nodes.len() as i32),
        c.broker_type.as_deref().unwrap_or("unknown type"),
        if c.express() {
            " (Express)"
        } else {
            " (Standard)"
        },
        c.monitoring,
        control.nodes.len(),
        control.selector.1
    )
}

/// RFC 3339 UTC of epoch seconds.
pub fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// ListNodes brokers with the AZ ID of their subnet and the rack Kafka
/// reports; brokers Kafka knows and ListNodes does not are kept with a
/// warning.
fn brokers(i: &Inputs<'_>, warnings: &mut Vec<String>) -> Result<Vec<Broker>, Error> {
    let kafka: BTreeMap<i32, &Broker> = i
        .kafka
        .map(|(k, _)| k.brokers.iter().map(|b| (b.id, b)).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut nodes: Vec<_> = i.control.nodes.iter().collect();
    nodes.sort_by_key(|n| n.broker_id);
    for n in nodes {
        let zone = n
            .client_subnet
            .as_ref()
            .and_then(|s| i.network.subnet_zone.get(s))
            .cloned();
        let k = kafka.get(&n.broker_id);
        let rack = k.and_then(|b| b.rack.clone());
        // `--broker-zone` (the only source of a zone in Kafka's view) wins.
        let zone = k.and_then(|b| b.zone.clone()).or(zone);
        // Express brokers may report their subnet id as broker.rack.
        let zone = zone.or_else(|| {
            rack.as_ref()
                .and_then(|r| i.network.subnet_zone.get(r))
                .cloned()
        });
        if zone.is_none() && rack.is_none() {
            return Err(Error::Runtime(format!(
                "broker {}: its subnet {} has no AZ ID in DescribeSubnets and Kafka reports no broker.rack, so its zone is unknown",
                n.broker_id,
                n.client_subnet.as_deref().unwrap_or("(none)")
            )));
        }
        out.push(Broker {
            id: n.broker_id,
            rack,
            zone,
            host: k
                .and_then(|b| b.host.clone())
                .or_else(|| n.endpoints.first().cloned()),
            instance_type: n
                .instance_type
                .clone()
                .or_else(|| i.control.cluster.broker_type.clone()),
        });
    }
    let listed: BTreeSet<i32> = out.iter().map(|b| b.id).collect();
    let extra: Vec<&&Broker> = kafka.values().filter(|b| !listed.contains(&b.id)).collect();
    if !extra.is_empty() {
        warnings.push(format!(
            "Kafka reports brokers ListNodes does not ({}): kept with Kafka's rack as their zone",
            extra
                .iter()
                .map(|b| b.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.extend(extra.into_iter().map(|b| (*b).clone()));
    }
    Ok(out)
}

/// Kafka's placement with CloudWatch's bytes: a topic's `BytesInPerSec`,
/// summed over every series read for it (each broker hosting a replica, or
/// the cluster-wide topic series), split over the topic's partitions that
/// have a leader, by offset growth (evenly when none grew, flagged).
/// Partitions without a leader get nothing and are named in a warning.
fn partitions_from_kafka(
    k: &Snapshot,
    m: &Measured,
    monitoring: &str,
    warnings: &mut Vec<String>,
) -> Vec<Partition> {
    let mut in_by_topic: BTreeMap<&str, f64> = BTreeMap::new();
    for (key, bytes) in &m.bytes {
        if key.metric == MetricName::BytesIn {
            if let Some(t) = &key.topic {
                *in_by_topic.entry(t.as_str()).or_default() += bytes;
            }
        }
    }
    let mut led: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut leaderless: Vec<String> = Vec::new();
    for (idx, p) in k.partitions.iter().enumerate() {
        if p.leader.is_some_and(|l| l >= 0) {
            led.entry(p.topic.as_str()).or_default().push(idx);
        } else {
            leaderless.push(format!("{}/{}", p.topic, p.partition));
        }
    }
    let mut out: Vec<Partition> = k
        .partitions
        .iter()
        .map(|p| Partition {
            bytes_in: 0.0,
            ..p.clone()
        })
        .collect();
    let mut even: Vec<String> = Vec::new();
    let mut even_bytes = 0.0;
    for (topic, idxs) in &led {
        let total = in_by_topic.get(topic).copied().unwrap_or(0.0);
        let weights: Vec<f64> = idxs.iter().map(|&i| k.partitions[i].bytes_in).collect();
        let sum: f64 = weights.iter().sum();
        if sum > 0.0 {
            for (&i, w) in idxs.iter().zip(&weights) {
                out[i].bytes_in = round3(total * w / sum);
            }
        } else {
            if idxs.len() > 1 && total > 0.0 {
                even.push(topic.to_string());
                even_bytes += total;
            }
            for &i in idxs {
                out[i].bytes_in = round3(total / idxs.len() as f64);
            }
        }
    }
    if !even.is_empty() {
        warnings.push(format!(
            "no offset growth was seen during the Kafka window for {} topics, so their CloudWatch bytes in ({:.3} GB) are split evenly over their partitions: {}",
            even.len(),
            even_bytes / crate::model::BYTES_PER_GB,
            named(&even)
        ));
    }
    if !leaderless.is_empty() {
        warnings.push(format!(
            "{} partitions had no leader during the Kafka window: they get no bytes in (their topic's CloudWatch bytes go to its partitions with a leader) and are left out of the costs: {}",
            leaderless.len(),
            named(&leaderless)
        ));
    }
    if !cloudwatch::has_broker_topic_series(monitoring) {
        warnings.push(format!(
            "enhanced monitoring is {monitoring}: CloudWatch has per-broker topic series only at PER_TOPIC_PER_BROKER and above, so each topic's BytesInPerSec and BytesOutPerSec come from its cluster-wide series (Cluster Name + Topic) and are split over partitions by the Kafka window's weights; which broker served consumers is not measured"
        ));
    }
    out
}

/// Groups from Kafka with reads scaled to CloudWatch's BytesOut per topic.
fn groups_from_kafka(
    k: &Snapshot,
    partitions: &[Partition],
    m: &Measured,
    warnings: &mut Vec<String>,
) -> Vec<ConsumerGroup> {
    let mut out_by_topic: BTreeMap<&str, f64> = BTreeMap::new();
    for (key, bytes) in &m.bytes {
        if key.metric == MetricName::BytesOut {
            if let Some(t) = &key.topic {
                *out_by_topic.entry(t.as_str()).or_default() += bytes;
            }
        }
    }
    let partitions_of = |t: &str| -> Vec<(i32, f64)> {
        partitions
            .iter()
            .filter(|p| p.topic == t)
            .map(|p| (p.partition, p.bytes_in))
            .collect()
    };
    // Offset-growth reads per topic, from the live window.
    let mut weights: BTreeMap<&str, Vec<(usize, i32, f64)>> = BTreeMap::new();
    let mut readers: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (gi, g) in k.consumer_groups.iter().enumerate() {
        for m in &g.members {
            for a in &m.assignment {
                readers.entry(a.topic.as_str()).or_default().insert(gi);
            }
        }
        for r in g.bytes_read.iter().flatten() {
            readers.entry(r.topic.as_str()).or_default().insert(gi);
            if r.bytes > 0.0 {
                weights
                    .entry(r.topic.as_str())
                    .or_default()
                    .push((gi, r.partition, r.bytes));
            }
        }
    }
    let mut reads: Vec<BTreeMap<(String, i32), f64>> =
        vec![BTreeMap::new(); k.consumer_groups.len()];
    let mut unattributed: Vec<ConsumerGroup> = Vec::new();
    let mut spread: Vec<String> = Vec::new();
    for (&topic, &total) in &out_by_topic {
        if total <= 0.0 {
            continue;
        }
        let parts = partitions_of(topic);
        if let Some(w) = weights.get(topic) {
            let committed: BTreeSet<usize> = w.iter().map(|x| x.0).collect();
            let silent: Vec<usize> = readers
                .get(topic)
                .map(|gs| gs.difference(&committed).copied().collect())
                .unwrap_or_default();
            if silent.is_empty() {
                let sum: f64 = w.iter().map(|x| x.2).sum();
                for &(gi, p, b) in w {
                    *reads[gi].entry((topic.to_string(), p)).or_default() += total * b / sum;
                }
                continue;
            }
            // Some readers committed nothing in the short window: their
            // share is unknown, so the topic's bytes out go evenly to every
            // group reading it; a committed group spreads its share by its
            // own growth, a silent one by partition bytes in.
            let all: BTreeSet<usize> = committed.iter().chain(&silent).copied().collect();
            let per_group = total / all.len() as f64;
            let in_sum: f64 = parts.iter().map(|x| x.1).sum();
            for &gi in &all {
                let own: Vec<(i32, f64)> =
                    w.iter().filter(|x| x.0 == gi).map(|x| (x.1, x.2)).collect();
                let own_sum: f64 = own.iter().map(|x| x.1).sum();
                let split: Vec<(i32, f64)> = if own_sum > 0.0 {
                    own.iter().map(|&(p, b)| (p, b / own_sum)).collect()
                } else if in_sum > 0.0 {
                    parts.iter().map(|&(p, b)| (p, b / in_sum)).collect()
                } else {
                    let n = parts.len().max(1) as f64;
                    parts.iter().map(|&(p, _)| (p, 1.0 / n)).collect()
                };
                for (p, f) in split {
                    *reads[gi].entry((topic.to_string(), p)).or_default() += per_group * f;
                }
            }
            warnings.push(format!(
                "groups reading {topic} committed no offsets during the Kafka window ({}): {topic}'s CloudWatch BytesOutPerSec is split evenly over all {} groups reading it instead of by committed-offset growth (fallback)",
                named(
                    &silent
                        .iter()
                        .map(|&gi| k.consumer_groups[gi].group.clone())
                        .collect::<Vec<_>>()
                ),
                all.len()
            ));
            continue;
        }
        spread.push(topic.to_string());
        let in_sum: f64 = parts.iter().map(|x| x.1).sum();
        let share = |b: f64| {
            if in_sum > 0.0 {
                b / in_sum
            } else {
                1.0 / parts.len().max(1) as f64
            }
        };
        match readers.get(topic) {
            Some(gs) if !gs.is_empty() => {
                for &gi in gs {
                    for &(p, b) in &parts {
                        *reads[gi].entry((topic.to_string(), p)).or_default() +=
                            total / gs.len() as f64 * share(b);
                    }
                }
            }
            _ => unattributed.push(ConsumerGroup {
                group: format!("{UNATTRIBUTED}/{topic}"),
                members: Vec::new(),
                bytes_read: Some(
                    parts
                        .iter()
                        .map(|&(p, b)| BytesRead {
                            topic: topic.into(),
                            partition: p,
                            bytes: round3(total * share(b)),
                        })
                        .collect(),
                ),
            }),
        }
    }
    if !spread.is_empty() {
        warnings.push(format!(
            "no committed-offset growth was seen during the Kafka window for {} topics, so their CloudWatch BytesOutPerSec is spread evenly over the groups reading them (by partition in proportion to bytes in){}: {}",
            spread.len(),
            if unattributed.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} topics have no known group and are read by `{UNATTRIBUTED}/<topic>` groups of unknown zone",
                    unattributed.len()
                )
            },
            named(&spread)
        ));
    }
    let mut groups: Vec<ConsumerGroup> = k
        .consumer_groups
        .iter()
        .zip(reads)
        .map(|(g, r)| ConsumerGroup {
            group: g.group.clone(),
            members: g.members.clone(),
            bytes_read: Some(
                r.into_iter()
                    .map(|((topic, partition), bytes)| BytesRead {
                        topic: topic.into(),
                        partition,
                        bytes: round3(bytes),
                    })
                    .collect(),
            ),
        })
        .collect();
    groups.extend(unattributed);
    groups
}

/// Without Kafka: one pseudo-partition per broker (topic `(all topics)`,
/// partition = broker id) led by it, with a replica in every other broker
/// zone (MSK's default spread, assumed), bytes from the broker's totals;
/// consumers are one group of unknown zone reading each broker's BytesOut.
fn assumed_placement(
    brokers: &[Broker],
    m: &Measured,
    warnings: &mut Vec<String>,
) -> (Vec<Partition>, Vec<ConsumerGroup>) {
    let zone = |b: &Broker| {
        b.zone
            .clone()
            .or_else(|| b.rack.clone())
            .unwrap_or_default()
    };
    let mut first_in_zone: BTreeMap<String, i32> = BTreeMap::new();
    for b in brokers {
        first_in_zone.entry(zone(b)).or_insert(b.id);
    }
    let topic = "(all topics)".to_string();
    let mut partitions = Vec::new();
    let mut reads = Vec::new();
    for b in brokers {
        let mut replicas = vec![b.id];
        replicas.extend(
            first_in_zone
                .iter()
                .filter(|(z, _)| **z != zone(b))
                .map(|(_, &id)| id),
        );
        partitions.push(Partition {
            topic: topic.as_str().into(),
            partition: b.id,
            leader: Some(b.id),
            isr: replicas.clone().into(),
            replicas: replicas.into(),
            bytes_in: round3(m.get(MetricName::BytesIn, b.id, None)),
        });
        reads.push(BytesRead {
            topic: topic.as_str().into(),
            partition: b.id,
            bytes: round3(m.get(MetricName::BytesOut, b.id, None)),
        });
    }
    warnings.push(
        "Kafka was not read: placement is assumed (one pseudo-partition per broker, a replica in every broker zone) and every consumer byte (BytesOutPerSec per broker) is read by one group of unknown zone; topics, groups and client.rack are unknown".to_string(),
    );
    (
        partitions,
        vec![ConsumerGroup {
            group: UNATTRIBUTED.to_string(),
            members: Vec::new(),
            bytes_read: Some(reads),
        }],
    )
}

/// "; weakest: BytesOutPerSec of orders on broker 3, 50.0%" when a key
/// has less than full coverage.
fn weakest(m: &Measured) -> String {
    match &m.weakest {
        Some((k, share)) if *share < 1.0 => format!(
            "; weakest: {}, {:.1}%",
            Measured::describe(k),
            100.0 * share
        ),
        _ => String::new(),
    }
}

fn named(items: &[String]) -> String {
    let mut s = items.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        s.push_str(&format!(" and {} more", items.len() - 5));
    }
    s
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
