//! Kafka collection (issue 3): reads a running cluster through the Kafka
//! protocol and writes an `azcost.snapshot/v1`, without changing anything.
//!
//! The order: metadata and racks, topic placement, configs, then offsets
//! and groups at the start of the window, the wait, the same reads at the
//! end, and a bounded sample of records to turn offsets into bytes.
//! [`assemble`] turns those observations into the snapshot; it does no I/O.

pub mod assemble;
pub mod client;
pub mod configs;
pub mod ffi;
pub mod groups;
pub mod offsets;
pub mod options;
pub mod protocol;
pub mod sizes;

pub use options::KafkaOptions;

use crate::collect::progress::Progress;
use crate::error::Error;
use crate::snapshot::Snapshot;
use client::Reader;
use ffi::{CommittedOffset, NodeInfo, TopicInfo};
use groups::GroupListing;
use offsets::{TopicPartition, Watermarks};
use rdkafka::consumer::Consumer;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Topics per DescribeTopics request: bounds one answer's size.
const TOPICS_PER_REQUEST: usize = 1000;

/// What was seen at one end of the window.
#[derive(Debug, Clone)]
pub struct Observation {
    /// When the reads began.
    pub at: Option<jiff::Timestamp>,
    /// Brokers with racks.
    pub brokers: Vec<NodeInfo>,
    /// Topics with placement (errors included).
    pub topics: Vec<TopicInfo>,
    /// High watermarks.
    pub watermarks: Watermarks,
    /// Groups, or why they could not be listed.
    pub groups: Result<GroupListing, String>,
    /// Committed offsets per group, or why they could not be read.
    pub committed: BTreeMap<String, Result<Vec<CommittedOffset>, String>>,
}

/// Everything the collection observed, for [`assemble::snapshot`].
#[derive(Debug, Clone)]
pub struct Observed {
    /// The Kafka cluster id.
    pub cluster_id: Option<String>,
    /// Read at the start of the window.
    pub start: Observation,
    /// Read at the end of the window.
    pub end: Observation,
    /// `replica.selector.class` and where it came from.
    pub replica_selector: (Option<String>, String),
    /// `min.insync.replicas` per topic.
    pub min_insync: BTreeMap<String, i32>,
    /// Bytes per record.
    pub sizes: sizes::RecordSizes,
    /// Notes on how things were obtained, for provenance.
    pub notes: Vec<String>,
    /// What could not be seen.
    pub warnings: Vec<String>,
}

/// Collects a snapshot from the cluster `opts` names.
pub fn collect(opts: &KafkaOptions) -> Result<Snapshot, Error> {
    collect_with(opts, &mut || {})
}

/// [`collect`], calling `during_window` once the start of the window has
/// been read and before the wait: tests produce and consume there, so what
/// happens inside the window is known exactly.
pub fn collect_with(
    opts: &KafkaOptions,
    during_window: &mut dyn FnMut(),
) -> Result<Snapshot, Error> {
    let progress = Progress::new(opts.progress);
    let observed = observe(opts, &progress, during_window)?;
    progress.finish();
    assemble::snapshot(opts, observed)
}

/// Reads the cluster at both ends of the window.
pub fn observe(
    opts: &KafkaOptions,
    progress: &Progress,
    during_window: &mut dyn FnMut(),
) -> Result<Observed, Error> {
    let timeout_ms = opts.timeout.as_millis() as u64;
    let reader: Reader = client::reader(&opts.bootstrap, &opts.settings, timeout_ms)?;
    progress.step(format!("connecting to {}", opts.bootstrap));
    let metadata = reader.fetch_metadata(None, opts.timeout).map_err(|e| {
        // librdkafka's logs and errors arrive as events: serve them so the
        // context has the reason.
        for _ in 0..5 {
            let _ = reader.poll(Duration::from_millis(20));
        }
        let why = reader
            .client()
            .context()
            .last_error()
            .map(|r| format!(" (librdkafka: {r})"))
            .unwrap_or_default();
        Error::Runtime(format!(
            "cannot reach Kafka at {} within {}: {e}{why}",
            opts.bootstrap,
            humantime::format_duration(opts.timeout)
        ))
    })?;
    let any_broker = metadata.brokers().first().map(|b| b.id()).ok_or_else(|| {
        Error::Runtime(format!(
            "Kafka at {} answered metadata with no brokers",
            opts.bootstrap
        ))
    })?;
    let mut notes = Vec::new();
    let mut warnings = Vec::new();

    progress.step("describing the cluster (DescribeCluster)");
    let cluster = ffi::describe_cluster(reader.client(), Some(any_broker), opts.timeout)
        .map_err(|e| Error::Runtime(format!("Kafka at {}: {e}", opts.bootstrap)))?;
    notes.push(format!(
        "{} brokers and racks from DescribeCluster",
        cluster.nodes.len()
    ));

    let topic_names: Vec<String> = metadata
        .topics()
        .iter()
        .map(|t| t.name().to_string())
        .filter(|n| !n.starts_with("__"))
        .collect();

    progress.step("reading configs (DescribeConfigs)");
    let (replica_selector, min_insync) = match &opts.replica_selector {
        Some(class) => (
            (Some(class.clone()), "--replica-selector".to_string()),
            BTreeMap::new(),
        ),
        None => match configs::read(
            &opts.bootstrap,
            &opts.settings,
            any_broker,
            &topic_names,
            opts.timeout,
        ) {
            Ok(c) => (
                (
                    c.replica_selector,
                    format!("DescribeConfigs of broker {any_broker}"),
                ),
                c.min_insync,
            ),
            Err(e) => {
                warnings.push(format!(
                    "could not read replica.selector.class with DescribeConfigs ({e}): taken as not set, so `current` fetches from leaders; pass --replica-selector CLASS if the brokers set it"
                ));
                ((None, "not readable".to_string()), BTreeMap::new())
            }
        },
    };

    let start = observation(&reader, opts, any_broker, &topic_names, progress, "start")?;
    let window_started = Instant::now();
    during_window();
    wait(opts.window, window_started, progress);
    // Topics created during the window are read at the end too.
    let end_names = match reader.fetch_metadata(None, opts.timeout) {
        Ok(m) => m
            .topics()
            .iter()
            .map(|t| t.name().to_string())
            .filter(|n| !n.starts_with("__"))
            .collect(),
        Err(_) => topic_names.clone(),
    };
    let end_broker = start
        .brokers
        .iter()
        .map(|b| b.id)
        .next()
        .unwrap_or(any_broker);
    let end = observation(&reader, opts, end_broker, &end_names, progress, "end")?;

    let ranges = sample_ranges(&start, &end, opts);
    progress.counted(
        format!("sampling record sizes of {} partitions", ranges.len()),
        ranges.len() as u64,
    );
    let sampler: Reader = client::reader(&opts.bootstrap, &opts.settings, timeout_ms)?;
    let sizes = match sizes::sample(&sampler, &ranges, opts.timeout, |n| progress.set(n)) {
        Ok(s) => s,
        Err(e) => {
            warnings.push(format!("sampling record sizes failed: {e}"));
            sizes::RecordSizes::default()
        }
    };
    Ok(Observed {
        cluster_id: cluster.cluster_id,
        start,
        end,
        replica_selector,
        min_insync,
        sizes,
        notes,
        warnings,
    })
}

/// Brokers, placement, watermarks, groups and commits at one moment.
fn observation(
    reader: &Reader,
    opts: &KafkaOptions,
    broker: i32,
    topic_names: &[String],
    progress: &Progress,
    label: &str,
) -> Result<Observation, Error> {
    let at = jiff::Timestamp::now();
    progress.step(format!("window {label}: brokers"));
    let brokers = match ffi::describe_cluster(reader.client(), Some(broker), opts.timeout) {
        Ok(c) => c.nodes,
        Err(_) => Vec::new(),
    };
    // Ask any live broker: the one given may be the one that went down.
    let target = brokers
        .iter()
        .map(|b| b.id)
        .find(|&id| id == broker)
        .or_else(|| brokers.first().map(|b| b.id))
        .unwrap_or(broker);
    progress.counted(
        format!("window {label}: topics (DescribeTopics)"),
        topic_names.len() as u64,
    );
    let mut topics = Vec::with_capacity(topic_names.len());
    for chunk in topic_names.chunks(TOPICS_PER_REQUEST) {
        let part = ffi::describe_topics(reader.client(), chunk, Some(target), opts.timeout)
            .map_err(|e| Error::Runtime(format!("Kafka at {}: {e}", opts.bootstrap)))?;
        topics.extend(part);
        progress.inc(chunk.len() as u64);
    }
    topics.retain(|t| !t.internal);
    let partitions: Vec<(TopicPartition, Option<i32>)> = topics
        .iter()
        .filter(|t| t.error.is_none())
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| ((t.name.clone(), p.partition), p.leader))
        })
        .collect();
    progress.step(format!(
        "window {label}: high watermarks of {} partitions",
        partitions.len()
    ));
    let watermarks = offsets::high_watermarks(reader, &partitions, opts.timeout);
    progress.step(format!("window {label}: consumer groups"));
    let groups = groups::list(reader, opts.group_filter.as_ref(), opts.timeout);
    let mut committed = BTreeMap::new();
    if let Ok(listing) = &groups {
        progress.counted(
            format!("window {label}: committed offsets"),
            listing.groups.len() as u64,
        );
        for g in &listing.groups {
            let offsets = ffi::list_group_offsets(reader.client(), &g.group, None, opts.timeout)
                .map_err(|e| e.to_string());
            committed.insert(g.group.clone(), offsets);
            progress.inc(1);
        }
    }
    Ok(Observation {
        at: Some(at),
        brokers,
        topics,
        watermarks,
        groups,
        committed,
    })
}

/// Sleeps until the window that began at `started` is over, showing how
/// much of it has passed.
fn wait(window: Duration, started: Instant, progress: &Progress) {
    let secs = window.as_secs().max(1);
    progress.counted(
        format!(
            "watching the cluster for {}",
            humantime::format_duration(Duration::from_secs(window.as_secs()))
        ),
        secs,
    );
    while started.elapsed() < window {
        let left = window.saturating_sub(started.elapsed());
        std::thread::sleep(left.min(Duration::from_millis(250)));
        progress.set(started.elapsed().as_secs().min(secs));
    }
}

/// The busiest partitions' newest records, at most `sample_records` each.
fn sample_ranges(
    start: &Observation,
    end: &Observation,
    opts: &KafkaOptions,
) -> Vec<sizes::SampleRange> {
    let mut grown: Vec<(i64, &TopicPartition, i64)> = end
        .watermarks
        .high
        .iter()
        .filter_map(|(tp, &hi)| {
            let lo = start.watermarks.high.get(tp).copied().unwrap_or(0);
            // A partition that did not grow still has records to size when
            // groups read it; those with records at all are sampled last.
            (hi > 0).then_some(((hi - lo).max(0), tp, hi))
        })
        .collect();
    grown.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    grown
        .into_iter()
        .take(opts.sample_partitions)
        .map(|(_, tp, hi)| sizes::SampleRange {
            tp: tp.clone(),
            from: (hi - opts.sample_records as i64).max(0),
            to: hi,
        })
        .collect()
}
