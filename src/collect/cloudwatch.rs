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
use crate::error::Error;
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
    /// Bytes per metric key: Σ average rate × period over present points.
    pub bytes: BTreeMap<MetricKey, f64>,
    /// Period used, seconds.
    pub period: i64,
    /// Periods with a datapoint, summed over the bytes-in/bytes-out keys
    /// (replication keys are not counted).
    pub present: usize,
    /// Periods in the window × bytes-in/bytes-out keys.
    pub expected: usize,
    /// The bytes-in/bytes-out key with the fewest periods present, and its
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

    /// Share of the bytes keys' periods present, 0–1 (1 when nothing was expected).
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

    /// "metric-hours", "metric-5-minute periods", … for the period.
    pub fn unit(&self) -> String {
        match self.period {
            60 => "metric-minutes".to_string(),
            3_600 => "metric-hours".to_string(),
            86_400 => "metric-days".to_string(),
            p if p % 3_600 == 0 => format!("metric-{}-hour periods", p / 3_600),
            p => format!("metric-{}-minute periods", p / 60),
        }
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

/// Reads every key over `[start, end)` at `now`: batches of
/// `plan.queries_per_call`, `Average` statistic, every page followed by the
/// adapter. Bytes = Σ (average bytes/s × period) over the points present;
/// missing points are counted as missing coverage, not as zero traffic.
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
    let mut seen: BTreeMap<&MetricKey, BTreeSet<i64>> = BTreeMap::new();
    for chunk in keys.chunks(plan.queries_per_call) {
        let queries: Vec<MetricQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, k)| query(cluster_name, k, i, plan.period))
            .collect();
        let (series, requests) = api.get_metric_data(&queries, start, end)?;
        out.requests += requests;
        out.metrics_requested += requests * queries.len();
        out.largest_request = out.largest_request.max(queries.len());
        for s in series {
            let Some(index) = s.id.strip_prefix('m').and_then(|i| i.parse::<usize>().ok()) else {
                continue;
            };
            let Some(key) = chunk.get(index) else {
                continue;
            };
            if s.status.as_deref().is_some_and(|c| c != "Complete") {
                out.partial_series += 1;
            }
            let stamps = seen.entry(key).or_default();
            let mut bytes = 0.0;
            // CloudWatch rounds an unaligned start down to the period, so a
            // first point may sit just before `start`: it is kept.
            for (t, v) in &s.points {
                if *t < end && v.is_finite() {
                    bytes += v.max(0.0) * plan.period as f64;
                    stamps.insert(*t);
                }
            }
            *out.bytes.entry(key.clone()).or_insert(0.0) += bytes;
        }
    }
    // Coverage per bytes key (a replication series never stands in for a
    // missing bytes series), summed, and the weakest key.
    let counted: BTreeSet<&MetricKey> =
        keys.iter().filter(|k| k.metric.is_client_bytes()).collect();
    let per_query = plan.points_per_query;
    out.expected = counted.len() * per_query;
    for k in counted {
        let present = seen.get(k).map_or(0, BTreeSet::len).min(per_query);
        out.present += present;
        let share = present as f64 / per_query.max(1) as f64;
        if out.weakest.as_ref().is_none_or(|(_, w)| share < *w) {
            out.weakest = Some((k.clone(), share));
        }
    }
    Ok(out)
}

/// Query ids are `m<index in the batch>`: CloudWatch wants ids that start
/// with a lowercase letter.
fn query(cluster_name: &str, key: &MetricKey, index: usize, period: i64) -> MetricQuery {
    let mut dimensions = vec![("Cluster Name".to_string(), cluster_name.to_string())];
    if key.broker != ALL_BROKERS {
        dimensions.push(("Broker ID".to_string(), key.broker.to_string()));
    }
    if let Some(t) = &key.topic {
        dimensions.push(("Topic".to_string(), t.clone()));
    }
    MetricQuery {
        id: format!("m{index}"),
        metric_name: key.metric.as_str().to_string(),
        dimensions,
        period: period as i32,
        stat: "Average".to_string(),
    }
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
