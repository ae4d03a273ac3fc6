//! CloudWatch byte history of an MSK cluster (namespace `AWS/Kafka`):
//! which metrics to ask for, at what period, in batches of at most 500
//! queries, and what came back, with coverage instead of invented zeros.
//!
//! Limits that shape the plan (CloudWatch `GetMetricData` reference):
//! at most 500 queries and 100,800 datapoints per call; data older than
//! 15 days exists only at 5-minute resolution, older than 63 days only
//! hourly, and nothing after 455 days. Each query is billed ($0.01 per
//! 1,000 metrics requested), so the count is returned for the user.

use super::aws::{AwsApi, MAX_QUERIES_PER_CALL, MetricQuery};
use super::control::Control;
use crate::error::Error;
use crate::snapshot::Snapshot;
use std::collections::{BTreeMap, BTreeSet};

/// Datapoints one GetMetricData call may return.
pub const MAX_DATAPOINTS_PER_CALL: usize = 100_800;

/// Datapoints per query we aim at: fine enough for coverage by hour over
/// 30 days (720), coarse enough to keep calls few.
pub const MAX_POINTS_PER_QUERY: usize = 1_440;

/// Periods CloudWatch keeps (seconds), finest first.
const PERIODS: [i64; 5] = [60, 300, 3_600, 21_600, 86_400];

/// USD per metric requested with GetMetricData ($0.01 per 1,000).
pub const USD_PER_METRIC: f64 = 0.01 / 1_000.0;

/// How the window is cut into datapoints and calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Period of every query, seconds.
    pub period: i64,
    /// Datapoints one query returns at most over the window.
    pub points_per_query: usize,
    /// Queries per GetMetricData call, ≤ 500 and so that
    /// `queries × points ≤ 100,800`.
    pub queries_per_call: usize,
}

/// Chooses the period and batch size for `[start, end)` read at `now`
/// (epoch seconds). The period is the finest CloudWatch still keeps for
/// data as old as `start` that gives at most [`MAX_POINTS_PER_QUERY`]
/// points per query.
pub fn plan(start: i64, end: i64, now: i64) -> Result<Plan, Error> {
    if end <= start {
        return Err(Error::usage("the window's end must be after its start"));
    }
    let age_days = (now - start) as f64 / 86_400.0;
    let finest = if age_days <= 15.0 {
        60
    } else if age_days <= 63.0 {
        300
    } else if age_days <= 455.0 {
        3_600
    } else {
        return Err(Error::usage(format!(
            "the window starts {age_days:.0} days ago: CloudWatch keeps MSK metrics for 455 days"
        )));
    };
    let span = end - start;
    let period = PERIODS
        .iter()
        .copied()
        .find(|&p| p >= finest && points(span, p) <= MAX_POINTS_PER_QUERY)
        .unwrap_or(86_400);
    let points_per_query = points(span, period);
    let queries_per_call =
        (MAX_DATAPOINTS_PER_CALL / points_per_query.max(1)).clamp(1, MAX_QUERIES_PER_CALL);
    Ok(Plan {
        period,
        points_per_query,
        queries_per_call,
    })
}

fn points(span: i64, period: i64) -> usize {
    ((span + period - 1) / period) as usize
}

/// The MSK metrics azcost reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricName {
    /// Bytes per second producers send to a broker.
    BytesIn,
    /// Bytes per second a broker sends to consumers (not to followers).
    BytesOut,
    /// Bytes per second a broker receives from leaders (replication).
    ReplicationBytesIn,
    /// Bytes per second a broker sends to followers (replication).
    ReplicationBytesOut,
}

impl MetricName {
    /// The CloudWatch metric name.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::BytesIn => "BytesInPerSec",
            MetricName::BytesOut => "BytesOutPerSec",
            MetricName::ReplicationBytesIn => "ReplicationBytesInPerSec",
            MetricName::ReplicationBytesOut => "ReplicationBytesOutPerSec",
        }
    }
}

impl MetricName {
    /// Bytes in or out (not replication): what coverage is computed over.
    pub fn is_client_bytes(self) -> bool {
        matches!(self, MetricName::BytesIn | MetricName::BytesOut)
    }
}

/// `broker` of a key read without the `Broker ID` dimension: the
/// `Cluster Name` + `Topic` series MSK publishes at every monitoring level.
pub const ALL_BROKERS: i32 = -1;

/// One metric to read: a name, a broker, and a topic or none (broker total).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricKey {
    /// Which metric.
    pub metric: MetricName,
    /// Broker ID dimension; [`ALL_BROKERS`] for the cluster-wide topic
    /// series (dimensions `Cluster Name` and `Topic` only).
    pub broker: i32,
    /// Topic dimension; `None` for the broker's total.
    pub topic: Option<String>,
}

/// What the byte history says, in bytes over the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    /// Bytes per metric key: Σ average rate × sample count × 60 s over the
    /// periods present.
    pub bytes: BTreeMap<MetricKey, f64>,
    /// Period used, seconds.
    pub period: i64,
    /// Minutes with a datapoint (`SampleCount`), summed over the
    /// bytes-in/bytes-out keys (replication keys are not counted).
    pub present: usize,
    /// Minutes in the window × bytes-in/bytes-out keys.
    pub expected: usize,
    /// The bytes-in/bytes-out key with the fewest minutes present, and its
    /// coverage (0–1); `None` when no such key was read.
    pub weakest: Option<(MetricKey, f64)>,
    /// Metrics requested, summed over every request (pages included).
    pub metrics_requested: usize,
    /// GetMetricData requests made.
    pub requests: usize,
    /// Largest number of queries in one request.
    pub largest_request: usize,
    /// Series CloudWatch marked other than `Complete`.
    pub partial_series: usize,
    /// Per-broker topic bytes keys with no datapoint at all. A broker that
    /// never led a partition of the topic in the window publishes no such
    /// series, so these are not counted as missing minutes; they are named
    /// in a warning instead.
    pub silent_series: Vec<MetricKey>,
}

impl Measured {
    /// Bytes of one key, 0 when CloudWatch had none.
    pub fn get(&self, metric: MetricName, broker: i32, topic: Option<&str>) -> f64 {
        self.bytes
            .get(&MetricKey {
                metric,
                broker,
                topic: topic.map(str::to_string),
            })
            .copied()
            .unwrap_or(0.0)
    }

    /// Share of the bytes keys' minutes present, 0–1 (1 when nothing was expected).
    pub fn coverage(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.present as f64 / self.expected as f64
        }
    }

    /// What the CloudWatch reads cost: metrics requested × $0.01 / 1,000.
    pub fn cost_usd(&self) -> f64 {
        self.metrics_requested as f64 * USD_PER_METRIC
    }

    /// The unit of `present` and `expected`.
    pub fn unit(&self) -> String {
        "metric-minutes".to_string()
    }

    /// "BytesInPerSec of orders on broker 3" for a key.
    pub fn describe(key: &MetricKey) -> String {
        let mut s = key.metric.as_str().to_string();
        if let Some(t) = &key.topic {
            s.push_str(&format!(" of {t}"));
        }
        if key.broker == ALL_BROKERS {
            s.push_str(" (all brokers)");
        } else {
            s.push_str(&format!(" on broker {}", key.broker));
        }
        s
    }
}

/// A period's `Average` and `SampleCount`, as far as they came back.
type Pair = (Option<f64>, Option<f64>);

/// Seconds one MSK datapoint stands for: MSK publishes its metrics once a
/// minute, and CloudWatch's `SampleCount` counts those minutes in a period.
pub const SAMPLE_SECONDS: f64 = 60.0;

/// Reads every key over `[start, end)` at `now`: each key is asked for its
/// `Average` and its `SampleCount` (two queries, both billed), in batches of
/// at most `plan.queries_per_call` queries, every page followed by the
/// adapter. Bytes = Σ average bytes/s × sample count × 60 s over the
/// periods present: a period with 1 of its 60 minutes counts one minute,
/// nothing is extrapolated. Coverage per bytes key = minutes present ÷
/// minutes in the window.
pub fn read(
    api: &dyn AwsApi,
    cluster_name: &str,
    keys: &[MetricKey],
    start: i64,
    end: i64,
    now: i64,
) -> Result<Measured, Error> {
    let plan = plan(start, end, now)?;
    let mut out = Measured {
        period: plan.period,
        ..Measured::default()
    };
    let mut minutes: BTreeMap<&MetricKey, f64> = BTreeMap::new();
    let keys_per_call = (plan.queries_per_call / 2).max(1);
    for chunk in keys.chunks(keys_per_call) {
        let queries: Vec<MetricQuery> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, k)| {
                [
                    query(cluster_name, k, &format!("a{i}"), "Average", plan.period),
                    query(
                        cluster_name,
                        k,
                        &format!("n{i}"),
                        "SampleCount",
                        plan.period,
                    ),
                ]
            })
            .collect();
        let (series, requests) = api.get_metric_data(&queries, start, end)?;
        out.requests += requests;
        out.metrics_requested += requests * queries.len();
        out.largest_request = out.largest_request.max(queries.len());
        // key index → timestamp → (average, sample count)
        let mut joined: BTreeMap<usize, BTreeMap<i64, Pair>> = BTreeMap::new();
        for s in series {
            let (is_avg, rest) = match s.id.split_at_checked(1) {
                Some(("a", r)) => (true, r),
                Some(("n", r)) => (false, r),
                _ => continue,
            };
            let Some(index) = rest.parse::<usize>().ok().filter(|&i| i < chunk.len()) else {
                continue;
            };
            if s.status.as_deref().is_some_and(|c| c != "Complete") {
                out.partial_series += 1;
            }
            let points = joined.entry(index).or_default();
            // CloudWatch rounds an unaligned start down to the period, so a
            // first point may sit just before `start`: it is kept.
            for (t, v) in &s.points {
                if *t < end && v.is_finite() {
                    let slot = points.entry(*t).or_default();
                    if is_avg {
                        slot.0 = Some(v.max(0.0));
                    } else {
                        slot.1 = Some(v.max(0.0));
                    }
                }
            }
        }
        for (index, points) in joined {
            let key = &chunk[index];
            let mut bytes = 0.0;
            let mut present = 0.0;
            for (avg, count) in points.into_values() {
                if let (Some(avg), Some(count)) = (avg, count) {
                    bytes += avg * count * SAMPLE_SECONDS;
                    present += count;
                }
            }
            *out.bytes.entry(key.clone()).or_insert(0.0) += bytes;
            *minutes.entry(key).or_insert(0.0) += present;
        }
    }
    // Coverage per bytes key in minutes (a replication series never
    // stands in for a missing bytes series), summed, and the weakest key.
    let counted: BTreeSet<&MetricKey> =
        keys.iter().filter(|k| k.metric.is_client_bytes()).collect();
    let per_key = ((end - start) as f64 / SAMPLE_SECONDS).ceil() as usize;
    out.expected = counted.len() * per_key;
    for k in counted {
        if k.broker != ALL_BROKERS
            && k.topic.is_some()
            && minutes.get(k).copied().unwrap_or(0.0) == 0.0
        {
            out.silent_series.push(k.clone());
            out.expected -= per_key;
            continue;
        }
        let present = (minutes.get(k).copied().unwrap_or(0.0).round() as usize).min(per_key);
        out.present += present;
        let share = present as f64 / per_key.max(1) as f64;
        if out.weakest.as_ref().is_none_or(|(_, w)| share < *w) {
            out.weakest = Some((k.clone(), share));
        }
    }
    Ok(out)
}

/// Query ids are `a<index>` (Average) and `n<index>` (SampleCount), the
/// index of the key in the batch: CloudWatch wants ids that start with a
/// lowercase letter.
fn query(cluster_name: &str, key: &MetricKey, id: &str, stat: &str, period: i64) -> MetricQuery {
    let mut dimensions = vec![("Cluster Name".to_string(), cluster_name.to_string())];
    if key.broker != ALL_BROKERS {
        dimensions.push(("Broker ID".to_string(), key.broker.to_string()));
    }
    if let Some(t) = &key.topic {
        dimensions.push(("Topic".to_string(), t.clone()));
    }
    MetricQuery {
        id: id.to_string(),
        metric_name: key.metric.as_str().to_string(),
        dimensions,
        period: period as i32,
        stat: stat.to_string(),
    }
}

/// Enhanced monitoring levels at which MSK publishes the per-broker topic
/// series (`Cluster Name`, `Broker ID`, `Topic`).
pub fn has_broker_topic_series(monitoring: &str) -> bool {
    matches!(
        monitoring,
        "PER_TOPIC_PER_BROKER" | "PER_TOPIC_PER_PARTITION"
    )
}

/// The metrics to read. With Kafka, at `PER_TOPIC_PER_BROKER` and above:
/// `BytesInPerSec` and `BytesOutPerSec` per (broker, topic) on every
/// broker hosting a replica of the topic (leadership moves during the
/// window, so bytes in are summed over all of them); below that level the
/// per-broker topic series do not exist and the cluster-wide per-topic
/// series (`Cluster Name` + `Topic`, broker [`ALL_BROKERS`]) are
/// read. Without Kafka, per broker. Replication per broker when the
/// monitoring level has it.
pub fn metric_keys(control: &Control, kafka: Option<&Snapshot>) -> Vec<MetricKey> {
    let mut keys = BTreeSet::new();
    let per_broker = has_broker_topic_series(&control.cluster.monitoring);
    match kafka {
        Some(s) => {
            for p in &s.partitions {
                let brokers: Vec<i32> = if per_broker {
                    p.replicas.to_vec()
                } else {
                    vec![ALL_BROKERS]
                };
                for broker in brokers {
                    for metric in [MetricName::BytesIn, MetricName::BytesOut] {
                        keys.insert(MetricKey {
                            metric,
                            broker,
                            topic: Some(p.topic.to_string()),
                        });
                    }
                }
            }
        }
        None => {
            for n in &control.nodes {
                for metric in [MetricName::BytesIn, MetricName::BytesOut] {
                    keys.insert(MetricKey {
                        metric,
                        broker: n.broker_id,
                        topic: None,
                    });
                }
            }
        }
    }
    if control.cluster.monitoring != "DEFAULT" {
        for n in &control.nodes {
            for metric in [
                MetricName::ReplicationBytesIn,
                MetricName::ReplicationBytesOut,
            ] {
                keys.insert(MetricKey {
                    metric,
                    broker: n.broker_id,
                    topic: None,
                });
            }
        }
    }
    keys.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_days_fresh_is_hourly_and_respects_the_datapoint_limit() {
        let end = 1_800_000_000;
        let p = plan(end - 30 * 86_400, end, end).unwrap();
        // 30 d at 1 min or 5 min is over 1,440 points: hourly, 720 points.
        assert_eq!((p.period, p.points_per_query), (3_600, 720));
        assert_eq!(p.queries_per_call, 140);
        assert!(p.queries_per_call * p.points_per_query <= MAX_DATAPOINTS_PER_CALL);
    }
}
