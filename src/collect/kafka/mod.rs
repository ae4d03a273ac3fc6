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
pub mod fetch_log;
pub mod ffi;
pub mod groups;
pub mod iam;
pub mod observed;
pub mod offsets;
pub mod options;
pub mod protocol;
pub mod sizes;

pub use observed::{Observation, Observed};
pub use options::KafkaOptions;

use crate::collect::progress::Progress;
use crate::error::Error;
use crate::snapshot::Snapshot;
use client::Reader;
use offsets::TopicPartition;
use rdkafka::consumer::Consumer;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Topics per DescribeTopics request: bounds one answer's size.
const TOPICS_PER_REQUEST: usize = 1000;

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
        let last = reader.client().context().last_error();
        if opts.settings.iam().is_some() {
            if let Some(failure) = reader.token_failure() {
                return Error::Runtime(format!(
                    "IAM authentication to Kafka at {} failed: no token could be made: {failure}",
                    opts.bootstrap
                ));
            }
            if let Some(last) = last.as_deref().filter(|l| sasl_failure(l)) {
                return Error::Runtime(format!(
                    "IAM authentication to Kafka at {} failed (SASL/OAUTHBEARER with an MSK IAM token; check the AWS credentials, the region and the kafka-cluster:Connect permission): {last}",
                    opts.bootstrap
                ));
            }
        }
        let why = last
            .map(|r| format!(" (librdkafka: {r})"))
            .unwrap_or_default();
        Error::Runtime(format!(
            "cannot reach Kafka at {} within {}: {e}{why}",
            opts.bootstrap,
            humantime::format_duration(opts.timeout)
        ))
    })?;
    let candidates: Vec<i32> = metadata.brokers().iter().map(|b| b.id()).collect();
    let any_broker = *candidates.first().ok_or_else(|| {
        Error::Runtime(format!(
            "Kafka at {} answered metadata with no brokers",
            opts.bootstrap
        ))
    })?;
    let mut notes = Vec::new();
    let mut warnings = Vec::new();

    progress.step("describing the cluster (DescribeCluster)");
    let (_, cluster) = first_answer(&candidates, |id| {
        ffi::describe_cluster(reader.client(), Some(id), opts.timeout)
    })
    .map_err(|e| Error::Runtime(format!("Kafka at {}: {e}", opts.bootstrap)))?;
    // Missing zones are bad input: say so now, not after the window.
    assemble::check_broker_zones(opts, &cluster.nodes)?;
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

    let mut candidates: Vec<i32> = cluster.nodes.iter().map(|n| n.id).collect();
    candidates.extend(metadata.brokers().iter().map(|b| b.id()));
    candidates.dedup();
    let start = observation(
        &reader,
        opts,
        &candidates,
        &topic_names,
        &[],
        progress,
        "start",
    )?;
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
    // Groups seen at the start are read at the end even if the end's
    // listing misses them, so a failed listing cannot pass for "read 0".
    let known_groups: Vec<String> = start
        .groups
        .as_ref()
        .map(|l| l.groups.iter().map(|g| g.group.clone()).collect())
        .unwrap_or_default();
    let end = observation(
        &reader,
        opts,
        &candidates,
        &end_names,
        &known_groups,
        progress,
        "end",
    )?;
    if end.brokers.is_empty() {
        warnings.push(
            "DescribeCluster did not answer at the window's end: brokers and racks are those at the start"
                .to_string(),
        );
    }

    let ranges = sample_ranges(&start, &end, opts);
    progress.counted(
        format!("sampling record sizes of {} partitions", ranges.len()),
        ranges.len() as u64,
    );
    let sampler: Reader = client::sampler(&opts.bootstrap, &opts.settings, timeout_ms)?;
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

/// librdkafka's words for a refused SASL authentication.
fn sasl_failure(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("sasl") || t.contains("authentication")
}

/// Asks each broker in turn until one answers: the first may be the one
/// that went down.
fn first_answer<T>(
    candidates: &[i32],
    mut call: impl FnMut(i32) -> Result<T, ffi::AdminError>,
) -> Result<(i32, T), ffi::AdminError> {
    let mut last = None;
    for &id in candidates {
        match call(id) {
            Ok(v) => return Ok((id, v)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(ffi::AdminError {
        call: "DescribeCluster",
        reason: "no broker to ask".to_string(),
    }))
}

/// Brokers, placement, watermarks, groups and commits at one moment.
fn observation(
    reader: &Reader,
    opts: &KafkaOptions,
    candidates: &[i32],
    topic_names: &[String],
    known_groups: &[String],
    progress: &Progress,
    label: &str,
) -> Result<Observation, Error> {
    let at = jiff::Timestamp::now();
    progress.step(format!("window {label}: brokers"));
    let (target, brokers) = match first_answer(candidates, |id| {
        ffi::describe_cluster(reader.client(), Some(id), opts.timeout)
    }) {
        Ok((id, c)) => (id, c.nodes),
        Err(_) => (candidates.first().copied().unwrap_or(0), Vec::new()),
    };
    // Live brokers first: the one that answered, then the others it listed.
    let mut ask: Vec<i32> = vec![target];
    ask.extend(brokers.iter().map(|b| b.id).filter(|&id| id != target));
    progress.counted(
        format!("window {label}: topics (DescribeTopics)"),
        topic_names.len() as u64,
    );
    let mut topics = Vec::with_capacity(topic_names.len());
    for chunk in topic_names.chunks(TOPICS_PER_REQUEST) {
        let (_, part) = first_answer(&ask, |id| {
            ffi::describe_topics(reader.client(), chunk, Some(id), opts.timeout)
        })
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
    let mut ids: Vec<&str> = known_groups.iter().map(String::as_str).collect();
    if let Ok(listing) = &groups {
        ids.extend(listing.groups.iter().map(|g| g.group.as_str()));
    }
    ids.sort_unstable();
    ids.dedup();
    let mut committed = BTreeMap::new();
    progress.counted(
        format!("window {label}: committed offsets"),
        ids.len() as u64,
    );
    for id in ids {
        let offsets = ffi::list_group_offsets(reader.client(), id, None, opts.timeout)
            .map_err(|e| e.to_string());
        committed.insert(id.to_string(), offsets);
        progress.inc(1);
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
