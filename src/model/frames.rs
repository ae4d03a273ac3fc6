//! The analysis as polars frames: the finance table and the breakdowns, with
//! typed columns, for CSV and Parquet and for anyone who wants to query them.
//!
//! Long format throughout (one row per key and scenario) so a frame's schema
//! never depends on the data.

use super::cost::{Analysis, Cost};
use super::{PerScenario, Scenario};
use polars::prelude::*;

/// The finance CSV's columns, in the order the README promises never to change.
pub const FINANCE_COLUMNS: [&str; 14] = [
    "cluster",
    "window_start",
    "window_end",
    "scenario",
    "traffic",
    "topic",
    "consumer_group",
    "src_zone",
    "dst_zone",
    "bytes",
    "gb",
    "usd",
    "monthly_usd",
    "billed",
];

/// Rounds a byte count to a thousandth and dollars to a millionth, so that
/// every format prints the same digits on every machine.
pub fn round_bytes(v: f64) -> f64 {
    (v * 1e3).round() / 1e3
}

/// See [`round_bytes`].
pub fn round_usd(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// GB (2^30 bytes), rounded to a millionth.
pub fn round_gb(bytes: f64) -> f64 {
    (bytes / super::BYTES_PER_GB * 1e6).round() / 1e6
}

fn f64_col(name: &str, values: Vec<f64>) -> Column {
    Column::new(name.into(), values)
}

fn bool_col(name: &str, values: Vec<bool>) -> Column {
    Column::new(name.into(), values)
}

/// One row per (scenario, traffic kind, topic, consumer group, source zone,
/// destination zone): the finance table.
pub fn finance(a: &Analysis) -> PolarsResult<DataFrame> {
    let n = a.flows.len();
    let rows = &a.flows;
    // Names are borrowed, not copied into a `String` per cell: a 2M-partition
    // cluster has over a million finance rows.
    fn repeat(v: &str, n: usize) -> Vec<&str> {
        vec![v; n]
    }
    DataFrame::new(
        n,
        vec![
            ref_col("cluster", repeat(&a.cluster, n)),
            ref_col("window_start", repeat(&a.window_start, n)),
            ref_col("window_end", repeat(&a.window_end, n)),
            ref_col(
                "scenario",
                rows.iter().map(|r| r.scenario.as_str()).collect(),
            ),
            ref_col("traffic", rows.iter().map(|r| r.traffic.as_str()).collect()),
            ref_col("topic", rows.iter().map(|r| r.topic).collect()),
            Column::new(
                "consumer_group".into(),
                rows.iter()
                    .map(|r| r.consumer_group)
                    .collect::<Vec<Option<&str>>>(),
            ),
            ref_col("src_zone", rows.iter().map(|r| r.src_zone).collect()),
            ref_col("dst_zone", rows.iter().map(|r| r.dst_zone).collect()),
            f64_col("bytes", rows.iter().map(|r| round_bytes(r.bytes)).collect()),
            f64_col("gb", rows.iter().map(|r| round_gb(r.bytes)).collect()),
            f64_col("usd", rows.iter().map(|r| round_usd(r.usd)).collect()),
            f64_col(
                "monthly_usd",
                rows.iter().map(|r| round_usd(r.monthly_usd)).collect(),
            ),
            bool_col("billed", rows.iter().map(|r| r.billed).collect()),
        ],
    )
}

fn ref_col(name: &str, values: Vec<&str>) -> Column {
    Column::new(name.into(), values)
}

/// Columns shared by every breakdown row: which breakdown, its keys, the
/// scenario and the money. Keys a breakdown does not use are null. Names
/// are borrowed from the analysis, not copied into a `String` per cell (a
/// 2M-partition cluster has half a million breakdown rows).
#[derive(Default)]
struct Long<'a> {
    breakdown: Vec<&'static str>,
    topic: Vec<Option<&'a str>>,
    consumer_group: Vec<Option<&'a str>>,
    member_id: Vec<Option<&'a str>>,
    src_zone: Vec<Option<&'a str>>,
    dst_zone: Vec<Option<&'a str>>,
    traffic: Vec<Option<&'a str>>,
    scenario: Vec<&'static str>,
    bytes: Vec<f64>,
    usd: Vec<f64>,
    monthly_usd: Vec<f64>,
}

struct Keys<'a> {
    topic: Option<&'a str>,
    group: Option<&'a str>,
    member: Option<&'a str>,
    src: Option<&'a str>,
    dst: Option<&'a str>,
    traffic: Option<&'a str>,
}

impl<'a> Long<'a> {
    fn push(&mut self, breakdown: &'static str, keys: Keys<'a>, scenarios: PerScenario<Cost>) {
        for s in Scenario::ALL {
            let c = scenarios.get(s);
            self.breakdown.push(breakdown);
            self.topic.push(keys.topic);
            self.consumer_group.push(keys.group);
            self.member_id.push(keys.member);
            self.src_zone.push(keys.src);
            self.dst_zone.push(keys.dst);
            self.traffic.push(keys.traffic);
            self.scenario.push(s.as_str());
            self.bytes.push(round_bytes(c.bytes));
            self.usd.push(round_usd(c.cost_usd));
            self.monthly_usd.push(round_usd(c.monthly_usd));
        }
    }

    fn into_frame(self) -> PolarsResult<DataFrame> {
        DataFrame::new(
            self.scenario.len(),
            vec![
                ref_col("breakdown", self.breakdown),
                opt_ref_col("topic", self.topic),
                opt_ref_col("consumer_group", self.consumer_group),
                opt_ref_col("member_id", self.member_id),
                opt_ref_col("src_zone", self.src_zone),
                opt_ref_col("dst_zone", self.dst_zone),
                opt_ref_col("traffic", self.traffic),
                ref_col("scenario", self.scenario),
                f64_col("bytes", self.bytes),
                f64_col("usd", self.usd),
                f64_col("monthly_usd", self.monthly_usd),
            ],
        )
    }
}

fn opt_ref_col(name: &str, values: Vec<Option<&str>>) -> Column {
    Column::new(name.into(), values)
}

const NO_KEYS: Keys<'static> = Keys {
    topic: None,
    group: None,
    member: None,
    src: None,
    dst: None,
    traffic: None,
};

/// Every breakdown (topic, group, zone pair, member) in one long frame,
/// told apart by its `breakdown` column: bytes crossing and billed USD.
pub fn breakdowns(a: &Analysis) -> PolarsResult<DataFrame> {
    let mut long = Long::default();
    for row in &a.by_topic {
        let costs = PerScenario::from_fn(|s| {
            let t = row.scenarios.get(s);
            Cost {
                bytes: t.produce_bytes + t.replication_bytes + t.consume_bytes,
                cost_usd: t.cost_usd,
                monthly_usd: t.monthly_usd,
            }
        });
        long.push(
            "topic",
            Keys {
                topic: Some(&row.topic),
                ..NO_KEYS
            },
            costs,
        );
    }
    for row in &a.by_group {
        long.push(
            "consumer_group",
            Keys {
                group: Some(&row.group),
                ..NO_KEYS
            },
            row.scenarios.clone(),
        );
    }
    for row in &a.by_zone_pair {
        long.push(
            "zone_pair",
            Keys {
                src: Some(&row.src_zone),
                dst: Some(&row.dst_zone),
                traffic: Some(row.traffic.as_str()),
                ..NO_KEYS
            },
            row.scenarios.clone(),
        );
    }
    for row in &a.by_member {
        long.push(
            "member",
            Keys {
                group: Some(&row.group),
                member: row.member_id.as_deref(),
                dst: Some(&row.zone),
                ..NO_KEYS
            },
            row.scenarios.clone(),
        );
    }
    long.into_frame()
}
