//! Turns what the Kafka collection observed into a snapshot: bytes from
//! offset growth × bytes per record, placement at the window's end, group
//! reads from committed offsets at both ends, and a warning for everything
//! that could not be seen (never a silent zero). Pure: no I/O, no clock.

use super::ffi::{CommittedOffset, NodeInfo};
use super::groups::{GroupState, MemberState};
use super::observed::Observed;
use super::offsets::TopicPartition;
use super::options::KafkaOptions;
use super::sizes::{SizeSource, Tally};
use crate::error::Error;
use crate::snapshot::{
    self, Broker, BytesRead, ClusterInfo, ConsumerGroup, FORMAT_V1, Member, Partition, Platform,
    Provenance, Snapshot, TopicConfig, TopicPartitions, Window,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Items named one by one in a warning before the rest are only counted.
const NAMED: usize = 5;

/// Builds and checks the snapshot.
pub fn snapshot(opts: &KafkaOptions, o: Observed) -> Result<Snapshot, Error> {
    let mut warnings = o.warnings.clone();
    if o.sizes.overall().offsets == 0 && o.sizes.sampled_records() > 0 {
        warnings.push(format!(
            "no stored record batch could be measured ({} fetch responses ended in a cut batch; librdkafka's fetch log may have changed): bytes use the uncompressed record size, which overstates a compressed topic by its compression ratio",
            o.sizes.cut_responses()
        ));
    }
    let brokers = brokers(opts, &o)?;
    let known: HashSet<i32> = brokers.iter().map(|b| b.id).collect();
    let partitions = partitions(&o, &known, &mut warnings);
    let existing: HashSet<(&str, i32)> = partitions
        .iter()
        .map(|p| (p.topic.as_str(), p.partition))
        .collect();
    let consumer_groups = groups(opts, &o, &existing, &mut warnings);
    let mut topics: Vec<TopicConfig> = o
        .min_insync
        .iter()
        .filter(|(t, _)| existing.iter().any(|(et, _)| et == t))
        .map(|(t, &m)| TopicConfig {
            topic: t.clone(),
            min_insync_replicas: Some(m),
        })
        .collect();
    topics.sort_by(|a, b| a.topic.cmp(&b.topic));
    let start = o.start.at.unwrap_or_default();
    let end = o.end.at.unwrap_or(start);
    let snap = Snapshot {
        format: FORMAT_V1.to_string(),
        cluster: ClusterInfo {
            name: opts
                .cluster_name
                .clone()
                .or_else(|| o.cluster_id.clone())
                .unwrap_or_else(|| opts.bootstrap.clone()),
            region: None,
            platform: Some(platform_of(&opts.bootstrap)),
            replica_selector: o.replica_selector.0.clone(),
            arn: None,
        },
        window: Window {
            start: rfc3339(start),
            end: rfc3339(end),
        },
        zones: Vec::new(),
        brokers,
        partitions,
        consumer_groups,
        producers: None,
        topics,
        provenance: provenance(opts, &o),
        warnings,
    };
    let problems = snapshot::validate(&snap);
    if let Some(p) = problems.first() {
        return Err(Error::Runtime(format!(
            "the Kafka collection produced an invalid snapshot (please report): {p}"
        )));
    }
    Ok(snap)
}

/// Amazon MSK's broker names end in `.kafka.<region>.amazonaws.com`; any
/// other cluster is priced as self-managed (replication billed).
pub fn platform_of(bootstrap: &str) -> Platform {
    let msk = bootstrap
        .split(',')
        .any(|b| b.contains(".kafka.") && b.contains(".amazonaws.com"));
    if msk {
        Platform::Msk
    } else {
        Platform::SelfManaged
    }
}

fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Refuses brokers whose zone cannot be known, and `--broker-zone` ids
/// the cluster does not have: both are bad input (exit 2), checked as soon
/// as the brokers are known so nobody waits out a window for it.
pub fn check_broker_zones(opts: &KafkaOptions, nodes: &[NodeInfo]) -> Result<(), Error> {
    let ids: BTreeSet<i32> = nodes.iter().map(|n| n.id).collect();
    if let Some(id) = opts.broker_zones.keys().find(|id| !ids.contains(id)) {
        let list: Vec<String> = ids.iter().map(i32::to_string).collect();
        return Err(Error::usage(format!(
            "--broker-zone {id}=…: the cluster has no broker {id} (brokers: {})",
            list.join(", ")
        )));
    }
    let mut no_zone: Vec<i32> = nodes
        .iter()
        .filter(|n| n.rack.is_none() && !opts.broker_zones.contains_key(&n.id))
        .map(|n| n.id)
        .collect();
    no_zone.sort_unstable();
    no_zone.dedup();
    if let Some(first) = no_zone.first() {
        let list: Vec<String> = no_zone.iter().map(i32::to_string).collect();
        return Err(Error::usage(format!(
            "brokers {} report no broker.rack, so their zones are unknown: give each with --broker-zone ID=ZONE (e.g. --broker-zone {first}=use1-az1)",
            list.join(", ")
        )));
    }
    Ok(())
}

/// Brokers seen at either end; a broker down at the end keeps its rack
/// from the start.
fn brokers(opts: &KafkaOptions, o: &Observed) -> Result<Vec<Broker>, Error> {
    let mut seen: BTreeMap<i32, &NodeInfo> = BTreeMap::new();
    for n in o.start.brokers.iter().chain(&o.end.brokers) {
        seen.insert(n.id, n);
    }
    let nodes: Vec<NodeInfo> = seen.values().map(|n| (*n).clone()).collect();
    check_broker_zones(opts, &nodes)?;
    Ok(seen
        .values()
        .map(|n| Broker {
            id: n.id,
            rack: n.rack.clone(),
            zone: opts.broker_zones.get(&n.id).cloned(),
            host: Some(format!("{}:{}", n.host, n.port)),
            instance_type: None,
        })
        .collect())
}

/// Placement at the end of the window and bytes produced during it.
fn partitions(o: &Observed, known: &HashSet<i32>, warnings: &mut Vec<String>) -> Vec<Partition> {
    let mut out = Vec::new();
    let mut deleted: BTreeSet<&str> = BTreeSet::new();
    let mut no_offsets: Vec<(String, String)> = Vec::new();
    let mut unmeasured: Vec<(String, i64)> = Vec::new();
    let mut shrunk: Vec<String> = Vec::new();
    let mut dropped_replicas = 0usize;
    let end_failed: HashMap<&TopicPartition, &str> = o
        .end
        .watermarks
        .failed
        .iter()
        .map(|(tp, why)| (tp, why.as_str()))
        .collect();
    let start_failed: HashMap<&TopicPartition, &str> = o
        .start
        .watermarks
        .failed
        .iter()
        .map(|(tp, why)| (tp, why.as_str()))
        .collect();
    let end_topics: HashMap<&str, _> = o.end.topics.iter().map(|t| (t.name.as_str(), t)).collect();
    for t in &o.start.topics {
        match end_topics.get(t.name.as_str()) {
            None => {
                deleted.insert(&t.name);
            }
            Some(e) if e.error.is_some() => {
                deleted.insert(&t.name);
            }
            _ => {}
        }
    }
    for t in o.end.topics.iter().filter(|t| t.error.is_none()) {
        for p in &t.partitions {
            let tp = (t.name.clone(), p.partition);
            let keep = |ids: &[i32]| -> Vec<i32> {
                ids.iter().copied().filter(|i| known.contains(i)).collect()
            };
            let replicas = keep(&p.replicas);
            let isr: Vec<i32> = keep(&p.isr)
                .into_iter()
                .filter(|i| replicas.contains(i))
                .collect();
            dropped_replicas += p.replicas.len() - replicas.len();
            let leader = p.leader.filter(|l| replicas.contains(l));
            let hi = o.end.watermarks.high.get(&tp).copied();
            // A topic created during the window started empty.
            let created = !o.start.topics.iter().any(|s| s.name == t.name);
            let lo =
                o.start
                    .watermarks
                    .high
                    .get(&tp)
                    .copied()
                    .or(if created { Some(0) } else { None });
            let records = match (lo, hi) {
                (Some(lo), Some(hi)) if hi >= lo => hi - lo,
                (Some(_), Some(_)) => {
                    shrunk.push(name(&tp));
                    0
                }
                _ => {
                    let why = end_failed
                        .get(&tp)
                        .or_else(|| start_failed.get(&tp))
                        .copied()
                        .unwrap_or("not answered");
                    no_offsets.push((name(&tp), why.to_string()));
                    0
                }
            };
            let bytes_in = match o.sizes.of(&tp) {
                SizeSource::Partition(b)
                | SizeSource::Topic(b)
                | SizeSource::Cluster(b)
                | SizeSource::Uncompressed(b) => records as f64 * b,
                SizeSource::Unknown => {
                    if records > 0 {
                        unmeasured.push((name(&tp), records));
                    }
                    0.0
                }
            };
            out.push(Partition {
                topic: t.name.as_str().into(),
                partition: p.partition,
                leader,
                replicas: replicas.into(),
                isr: isr.into(),
                bytes_in: round3(bytes_in),
            });
        }
    }
    out.sort_by(|a, b| (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)));
    let total = out.len().max(1);
    if !deleted.is_empty() {
        warnings.push(format!(
            "{} topics were deleted during the window and are left out: {}",
            deleted.len(),
            named(deleted.iter().map(|s| s.to_string()))
        ));
    }
    if !no_offsets.is_empty() {
        warnings.push(format!(
            "{} of {} partitions have no high watermark at the window's start or end, so their bytes produced are unknown and counted as 0 ({}): {}",
            no_offsets.len(),
            out.len(),
            percent(no_offsets.len(), total),
            named(no_offsets.iter().map(|(n, why)| format!("{n} ({why})")))
        ));
    }
    if !unmeasured.is_empty() {
        let records: i64 = unmeasured.iter().map(|(_, r)| r).sum();
        warnings.push(format!(
            "{} partitions grew by {records} records in all but no record could be sampled to size them, so their bytes are counted as 0: {}",
            unmeasured.len(),
            named(unmeasured.iter().map(|(n, _)| n.clone()))
        ));
    }
    if !shrunk.is_empty() {
        warnings.push(format!(
            "{} partitions have a lower high watermark at the end than at the start (recreated or truncated), counted as 0 bytes: {}",
            shrunk.len(),
            named(shrunk.into_iter())
        ));
    }
    if dropped_replicas > 0 {
        warnings.push(format!(
            "{dropped_replicas} replicas sit on brokers that were not seen in DescribeCluster at either end of the window (down): left out of replication"
        ));
    }
    out
}

/// Groups at the end of the window (else the start), with reads from
/// committed offset growth.
fn groups(
    opts: &KafkaOptions,
    o: &Observed,
    existing: &HashSet<(&str, i32)>,
    warnings: &mut Vec<String>,
) -> Vec<ConsumerGroup> {
    let (start, end) = match (&o.start.groups, &o.end.groups) {
        (Err(e), Err(_)) => {
            warnings.push(format!(
                "could not list consumer groups ({e}): no group is in the snapshot, so consume traffic is not covered"
            ));
            return Vec::new();
        }
        (s, e) => {
            for (side, listing) in [("start", s), ("end", e)] {
                if let Err(err) = listing {
                    warnings.push(format!(
                        "could not list consumer groups at the window's {side} ({err}): groups are those listed at the other end, and reads that need this end's commits are unknown"
                    ));
                }
            }
            (s.as_ref().ok(), e.as_ref().ok())
        }
    };
    let mut by_id: BTreeMap<&str, (Option<&GroupState>, Option<&GroupState>)> = BTreeMap::new();
    for g in start.iter().flat_map(|l| &l.groups) {
        by_id.entry(&g.group).or_default().0 = Some(g);
    }
    for g in end.iter().flat_map(|l| &l.groups) {
        by_id.entry(&g.group).or_default().1 = Some(g);
    }
    let mut unknown_zone = 0usize;
    let mut members_total = 0usize;
    let mut member_problems: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (id, (s, e)) in by_id {
        let Some(current) = e.or(s) else { continue };
        if let (Some(s), Some(e)) = (s, e) {
            let ids = |g: &GroupState| -> BTreeSet<String> {
                g.members.iter().map(|m| m.member_id.clone()).collect()
            };
            if ids(s) != ids(e) {
                warnings.push(format!(
                    "group {id} rebalanced during the window ({} members at the start, {} at the end): its members and assignments are those at the end",
                    s.members.len(),
                    e.members.len()
                ));
            }
        }
        let mut taken: HashSet<(String, i32)> = HashSet::new();
        let mut dropped = 0usize;
        let members: Vec<Member> = current
            .members
            .iter()
            .map(|m| {
                members_total += 1;
                if let Some(p) = &m.problem {
                    member_problems.push(format!("{id}/{}: {p}", label(m)));
                }
                let zone = opts.zone_map.zone_of(&m.host).map(str::to_string);
                if zone.is_none() {
                    unknown_zone += 1;
                }
                let assignment = m
                    .assignment
                    .iter()
                    .filter_map(|tp| {
                        let parts: Vec<i32> = tp
                            .partitions
                            .iter()
                            .copied()
                            .filter(|&p| {
                                let ok = existing.contains(&(tp.topic.as_str(), p))
                                    && taken.insert((tp.topic.clone(), p));
                                dropped += usize::from(!ok);
                                ok
                            })
                            .collect();
                        (!parts.is_empty()).then(|| TopicPartitions {
                            topic: tp.topic.as_str().into(),
                            partitions: parts,
                        })
                    })
                    .collect();
                Member {
                    member_id: Some(m.member_id.clone()).filter(|s| !s.is_empty()),
                    client_id: Some(m.client_id.clone()).filter(|s| !s.is_empty()),
                    host: Some(m.host.clone()).filter(|s| !s.is_empty()),
                    client_rack: m.client_rack.clone(),
                    zone,
                    assignment,
                }
            })
            .collect();
        if dropped > 0 {
            warnings.push(format!(
                "group {id}: {dropped} assigned partitions are not in the snapshot (deleted, internal, or assigned twice) and are left out of its assignment"
            ));
        }
        let bytes_read = reads(id, o, existing, warnings);
        let read_total: f64 = bytes_read.iter().flatten().map(|r| r.bytes).sum();
        if members.is_empty() && read_total > 0.0 {
            warnings.push(format!(
                "group {id} read {read_total:.0} bytes in the window but DescribeGroups lists no members (state {:?}): it is an offset-only reader or uses the KIP-848 consumer protocol, whose members (and RackId) need ConsumerGroupDescribe, which azcost does not send yet; its reads count from an unknown zone",
                current.state
            ));
        }
        out.push(ConsumerGroup {
            group: id.to_string(),
            members,
            bytes_read,
        });
    }
    if !member_problems.is_empty() {
        warnings.push(format!(
            "{} members sent no readable rack or assignment (their client.rack counts as missing): {}",
            member_problems.len(),
            named(member_problems.into_iter())
        ));
    }
    if unknown_zone > 0 {
        warnings.push(format!(
            "{unknown_zone} of {members_total} members connect from hosts no --zone-map network covers: their zone is unknown{}",
            if opts.zone_map.is_empty() {
                " (no --zone-map was given)"
            } else {
                ""
            }
        ));
    }
    let others: BTreeSet<&String> = [&o.start.groups, &o.end.groups]
        .into_iter()
        .filter_map(|g| g.as_ref().ok())
        .flat_map(|l| &l.other_protocols)
        .collect();
    if !others.is_empty() {
        warnings.push(format!(
            "{} groups use a protocol other than `consumer` (Kafka Connect, …) and are left out: {}",
            others.len(),
            named(others.into_iter().cloned())
        ));
    }
    out
}

/// A group's reads: committed offset growth × bytes per record. A group
/// that committed nothing read nothing; a partition first committed during
/// the window counts from the high watermark at the start (from 0 for a
/// topic created in the window). `None` (the snapshot's "reads its
/// assignment in full") with a warning when either end's commits are
/// unknown: never a silent zero.
fn reads(
    id: &str,
    o: &Observed,
    existing: &HashSet<(&str, i32)>,
    warnings: &mut Vec<String>,
) -> Option<Vec<BytesRead>> {
    let (start, end) = (&o.start, &o.end);
    let unknown = |side: &str, why: &str, warnings: &mut Vec<String>| {
        warnings.push(format!(
            "group {id}: committed offsets unknown at the window's {side} ({why}): it is taken to read its assigned partitions in full"
        ));
    };
    let at_end = match end.committed.get(id) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            unknown("end", e, warnings);
            return None;
        }
        None => {
            unknown("end", "not read", warnings);
            return None;
        }
    };
    let at_start: HashMap<(&str, i32), i64> = match (start.committed.get(id), &start.groups) {
        (Some(Ok(c)), _) => by_partition(c),
        (Some(Err(e)), _) => {
            unknown("start", e, warnings);
            return None;
        }
        // Listed at the start without it: the group is new.
        (None, Ok(_)) => HashMap::new(),
        (None, Err(e)) => {
            unknown("start", e, warnings);
            return None;
        }
    };
    let created: HashSet<&str> = end
        .topics
        .iter()
        .map(|t| t.name.as_str())
        .filter(|n| !start.topics.iter().any(|s| s.name == *n))
        .collect();
    let mut first_commits = 0usize;
    let mut no_baseline = 0usize;
    let mut past_end = 0usize;
    let mut out: Vec<BytesRead> = Vec::new();
    for c in at_end {
        if !existing.contains(&(c.topic.as_str(), c.partition)) {
            continue;
        }
        let tp = (c.topic.clone(), c.partition);
        let from = match at_start.get(&(c.topic.as_str(), c.partition)) {
            Some(&f) => f,
            None if created.contains(c.topic.as_str()) => 0,
            None => match start.watermarks.high.get(&tp) {
                Some(&hw) => {
                    first_commits += 1;
                    hw
                }
                None => {
                    no_baseline += 1;
                    continue;
                }
            },
        };
        if end
            .watermarks
            .high
            .get(&tp)
            .is_some_and(|&hw| c.offset > hw)
        {
            past_end += 1;
        }
        let records = (c.offset - from).max(0);
        let bytes = match o.sizes.of(&tp) {
            SizeSource::Partition(b)
            | SizeSource::Topic(b)
            | SizeSource::Cluster(b)
            | SizeSource::Uncompressed(b) => records as f64 * b,
            SizeSource::Unknown => 0.0,
        };
        out.push(BytesRead {
            topic: c.topic.as_str().into(),
            partition: c.partition,
            bytes: round3(bytes),
        });
    }
    if past_end > 0 {
        warnings.push(format!(
            "group {id}: {past_end} partitions are committed past the high watermark the broker reported at the window's end: that broker's ListOffsets answers look wrong, so bytes produced there are undercounted"
        ));
    }
    if first_commits > 0 {
        warnings.push(format!(
            "group {id}: {first_commits} partitions were first committed during the window; their reads are counted from the high watermark at the start"
        ));
    }
    if no_baseline > 0 {
        warnings.push(format!(
            "group {id}: {no_baseline} partitions were first committed during the window and had no high watermark at the start: their reads are unknown and left out"
        ));
    }
    out.sort_by(|a, b| (a.topic.as_str(), a.partition).cmp(&(b.topic.as_str(), b.partition)));
    Some(out)
}

fn by_partition(c: &[CommittedOffset]) -> HashMap<(&str, i32), i64> {
    c.iter()
        .map(|c| ((c.topic.as_str(), c.partition), c.offset))
        .collect()
}

/// Where each part came from, quoted by reports.
fn provenance(opts: &KafkaOptions, o: &Observed) -> Vec<Provenance> {
    let keys: Vec<&str> = opts.settings.keys().collect();
    let groups = o.end.groups.as_ref().map(|l| l.groups.len()).unwrap_or(0);
    let mut details = vec![
        format!(
            "bootstrap {}{}",
            opts.bootstrap,
            if keys.is_empty() {
                String::new()
            } else {
                format!(
                    " with client settings {} (values not recorded)",
                    keys.join(", ")
                )
            }
        ),
        format!(
            "window {} watched live; bytes = high-watermark growth × stored bytes per record",
            humantime::format_duration(opts.window)
        ),
        format!(
            "stored bytes per record: {} records read from the newest of {} partitions (up to {} each, read_uncommitted); the record batches fetched (batch headers and compressed records, sizes from librdkafka's fetch log) measured on {} of them over the offsets they span, transaction markers included{}; other partitions use their topic's or the cluster's average",
            o.sizes.sampled_records(),
            o.sizes.sampled_partitions(),
            opts.sample_records,
            o.sizes.stored_partitions(),
            match o.sizes.cut_responses() {
                0 => String::new(),
                n => format!(
                    "; {n} fetch responses ending in a batch cut at the byte limit left out"
                ),
            }
        ),
        "placement (leader, replicas, ISR) from DescribeTopics at the window's end".to_string(),
        format!(
            "{groups} consumer groups from ListGroups/DescribeGroups; client.rack from subscription v3; reads = committed-offset growth (ListConsumerGroupOffsets) × bytes per record"
        ),
        format!("replica.selector.class from {}", o.replica_selector.1),
        "producer zones unknown: produce traffic is spread evenly over zones".to_string(),
    ];
    details.extend(
        o.sizes
            .topics()
            .map(|(topic, t)| topic_sizes(&o.sizes, topic, t)),
    );
    details.extend(o.notes.iter().cloned());
    details
        .into_iter()
        .map(|detail| Provenance {
            source: "kafka".to_string(),
            detail,
        })
        .collect()
}

/// One topic's measured sizes: codec, stored bytes and their ratio to the
/// uncompressed records (issue 10).
fn topic_sizes(sizes: &super::sizes::RecordSizes, topic: &str, t: &Tally) -> String {
    let Some(stored) = t.stored_per_offset() else {
        return format!(
            "topic {topic}: no whole stored batch measured; {} records read, {:.1} uncompressed bytes per record",
            t.records,
            t.uncompressed_per_record().unwrap_or(0.0)
        );
    };
    let codecs: Vec<&str> = t.codecs.iter().map(String::as_str).collect();
    let mut text = format!(
        "topic {topic}: codec {}; {stored:.1} stored bytes per offset ({} bytes over {} offsets of {} partitions)",
        codecs.join("+"),
        t.stored_bytes,
        t.offsets,
        sizes.stored_partitions_of(topic)
    );
    if let (Some(ratio), Some(u)) = (t.ratio(), t.uncompressed_per_record()) {
        text.push_str(&format!(
            "; stored / uncompressed = {ratio:.3} ({u:.1} uncompressed bytes per record)"
        ));
    }
    if t.control_records > 0 {
        text.push_str(&format!(
            "; {} transaction markers among the offsets",
            t.control_records
        ));
    }
    text
}

fn label(m: &MemberState) -> &str {
    if m.client_id.is_empty() {
        &m.member_id
    } else {
        &m.client_id
    }
}

fn name(tp: &TopicPartition) -> String {
    format!("{}/{}", tp.0, tp.1)
}

fn named(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    let mut text = all
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() > NAMED {
        text.push_str(&format!(" and {} more", all.len() - NAMED));
    }
    text
}

fn percent(part: usize, total: usize) -> String {
    format!("{:.1}% of partitions", 100.0 * part as f64 / total as f64)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    //! Edge cases of turning observations into a snapshot, without a
    //! cluster: what a listing failure or a new topic does to the numbers.
    use super::*;
    use crate::collect::kafka::fetch_log::StoredRun;
    use crate::collect::kafka::ffi::{PartitionInfo, TopicInfo};
    use crate::collect::kafka::groups::GroupListing;
    use crate::collect::kafka::observed::Observation;
    use crate::collect::kafka::offsets::Watermarks;
    use crate::collect::kafka::sizes::RecordSizes;

    fn opts() -> KafkaOptions {
        KafkaOptions {
            progress: false,
            ..KafkaOptions::new("h:9092".to_string())
        }
    }

    fn topic(name: &str) -> TopicInfo {
        TopicInfo {
            name: name.to_string(),
            internal: false,
            partitions: vec![PartitionInfo {
                partition: 0,
                leader: Some(1),
                replicas: vec![1],
                isr: vec![1],
            }],
            error: None,
        }
    }

    fn group(id: &str) -> GroupState {
        GroupState {
            group: id.to_string(),
            state: "Stable".to_string(),
            protocol_type: "consumer".to_string(),
            protocol: "range".to_string(),
            members: Vec::new(),
        }
    }

    fn observation(
        topics: &[&str],
        hw: &[(&str, i64)],
        groups: Result<Vec<&str>, &str>,
        commits: &[(&str, &str, i64)],
    ) -> Observation {
        let mut committed: BTreeMap<String, Result<Vec<CommittedOffset>, String>> = BTreeMap::new();
        for (g, t, o) in commits {
            committed
                .entry(g.to_string())
                .or_insert_with(|| Ok(Vec::new()))
                .as_mut()
                .unwrap()
                .push(CommittedOffset {
                    topic: t.to_string(),
                    partition: 0,
                    offset: *o,
                });
        }
        Observation {
            at: None,
            brokers: vec![NodeInfo {
                id: 1,
                host: "h".to_string(),
                port: 9092,
                rack: Some("use1-az1".to_string()),
            }],
            topics: topics.iter().map(|t| topic(t)).collect(),
            watermarks: Watermarks {
                high: hw.iter().map(|(t, o)| ((t.to_string(), 0), *o)).collect(),
                failed: Vec::new(),
            },
            groups: groups
                .map(|ids| GroupListing {
                    groups: ids.into_iter().map(group).collect(),
                    other_protocols: Vec::new(),
                })
                .map_err(str::to_string),
            committed,
        }
    }

    fn observed(mut start: Observation, mut end: Observation) -> Observed {
        start.at = jiff::Timestamp::from_second(1_800_000_000).ok();
        end.at = jiff::Timestamp::from_second(1_800_000_600).ok();
        let mut sizes = RecordSizes::default();
        sizes.add(&("a".to_string(), 0), 250.0);
        // Ten offsets in 1,000 stored bytes: 100 bytes per offset.
        sizes.add_run(&StoredRun {
            topic: "a".to_string(),
            partition: 0,
            bytes: 1000,
            first_offset: 0,
            last_offset: 9,
            control_records: 0,
            codec: "lz4".to_string(),
        });
        Observed {
            cluster_id: Some("c".to_string()),
            start,
            end,
            replica_selector: (None, "test".to_string()),
            min_insync: BTreeMap::new(),
            sizes,
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn reads_of(s: &Snapshot, g: &str) -> Option<Vec<(String, f64)>> {
        s.consumer_groups
            .iter()
            .find(|x| x.group == g)
            .unwrap()
            .bytes_read
            .as_ref()
            .map(|r| r.iter().map(|r| (r.topic.to_string(), r.bytes)).collect())
    }

    #[test]
    fn a_listing_failed_at_the_end_is_unknown_reads_not_zero_reads() {
        // Commits 100 → 200 on a/0, but the end's listing failed: the
        // group's commits were still read at the end (it was known from
        // the start), so its reads are 100 records × 100 bytes.
        let start = observation(&["a"], &[("a", 100)], Ok(vec!["g"]), &[("g", "a", 100)]);
        let end = observation(
            &["a"],
            &[("a", 200)],
            Err("broker down"),
            &[("g", "a", 200)],
        );
        let s = snapshot(&opts(), observed(start, end)).unwrap();
        assert_eq!(reads_of(&s, "g"), Some(vec![("a".to_string(), 10_000.0)]));
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("window's end (broker down)"))
        );
        // Without the end's commits, the reads are unknown (None), said.
        let start = observation(&["a"], &[("a", 100)], Ok(vec!["g"]), &[("g", "a", 100)]);
        let end = observation(&["a"], &[("a", 200)], Err("broker down"), &[]);
        let s = snapshot(&opts(), observed(start, end)).unwrap();
        assert_eq!(reads_of(&s, "g"), None);
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("group g: committed offsets unknown"))
        );
    }

    #[test]
    fn reads_of_a_topic_created_in_the_window_count_from_zero() {
        // Topic b appears during the window; g commits 50 on it: 50 records
        // × 100 bytes (the cluster's average, as b was not sampled).
        let start = observation(&["a"], &[("a", 0)], Ok(vec!["g"]), &[("g", "a", 0)]);
        let end = observation(
            &["a", "b"],
            &[("a", 0), ("b", 50)],
            Ok(vec!["g"]),
            &[("g", "a", 0), ("g", "b", 50)],
        );
        let s = snapshot(&opts(), observed(start, end)).unwrap();
        let reads = reads_of(&s, "g").unwrap();
        assert!(reads.contains(&("b".to_string(), 5_000.0)), "{reads:?}");
        let b = s.partitions.iter().find(|p| p.topic == "b").unwrap();
        assert_eq!(b.bytes_in, 5_000.0);
    }

    #[test]
    fn a_group_that_committed_nothing_read_nothing() {
        let start = observation(&["a"], &[("a", 0)], Ok(vec!["g"]), &[("g", "a", 40)]);
        let end = observation(&["a"], &[("a", 90)], Ok(vec!["g"]), &[("g", "a", 40)]);
        let s = snapshot(&opts(), observed(start, end)).unwrap();
        assert_eq!(reads_of(&s, "g"), Some(vec![("a".to_string(), 0.0)]));
    }

    #[test]
    fn stored_sizes_price_bytes_and_the_topic_says_codec_and_ratio() {
        let start = observation(&["a"], &[("a", 100)], Ok(vec![]), &[]);
        let end = observation(&["a"], &[("a", 200)], Ok(vec![]), &[]);
        let s = snapshot(&opts(), observed(start, end)).unwrap();
        // 100 offsets × 100 stored bytes, not × 250 uncompressed.
        assert_eq!(s.partitions[0].bytes_in, 10_000.0);
        let topic = s
            .provenance
            .iter()
            .find(|p| p.detail.starts_with("topic a:"))
            .unwrap();
        assert!(
            topic.detail.contains("codec lz4") && topic.detail.contains("= 0.400"),
            "{}",
            topic.detail
        );
        assert!(!s.warnings.iter().any(|w| w.contains("uncompressed")));
    }

    #[test]
    fn without_stored_sizes_the_uncompressed_size_is_used_and_said() {
        let start = observation(&["a"], &[("a", 100)], Ok(vec![]), &[]);
        let end = observation(&["a"], &[("a", 200)], Ok(vec![]), &[]);
        let mut o = observed(start, end);
        o.sizes = RecordSizes::default();
        o.sizes.add(&("a".to_string(), 0), 250.0);
        let s = snapshot(&opts(), o).unwrap();
        assert_eq!(s.partitions[0].bytes_in, 25_000.0);
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("no stored record batch could be measured")),
            "{:?}",
            s.warnings
        );
    }
}
