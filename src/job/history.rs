//! `OUT/history.parquet`: one row per cluster and run, so a summary can say
//! what changed since the previous run and a query engine can chart trends
//! across clusters and months.

use crate::error::Error;
use crate::model::Analysis;
use polars::prelude::*;
use std::path::Path;

/// One run of one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// Cluster name.
    pub cluster: String,
    /// Bundle date, YYYY-MM-DD.
    pub date: String,
    /// When the run finished, RFC 3339.
    pub run_at: String,
    /// Snapshot window start.
    pub window_start: String,
    /// Snapshot window end.
    pub window_end: String,
    /// Window length in seconds.
    pub window_seconds: f64,
    /// Monthly USD, leader_only.
    pub leader_only_monthly_usd: f64,
    /// Monthly USD, current.
    pub current_monthly_usd: f64,
    /// Monthly USD, rack_aware.
    pub rack_aware_monthly_usd: f64,
    /// leader_only − rack_aware.
    pub savings_monthly_usd: f64,
    /// current − rack_aware.
    pub opportunity_monthly_usd: f64,
    /// Warnings of the audit.
    pub warnings: u32,
    /// Findings of the audit.
    pub findings: u32,
    /// The share of the bill's regional data-transfer usage the estimate
    /// explains (`azcost reconcile`), when the cluster has `cur`; empty
    /// otherwise, and in rows of history files written before it existed.
    pub bill_explained: Option<f64>,
}

impl HistoryRow {
    /// The row of one audit.
    pub fn of(cluster: &str, a: &Analysis, date: &str, run_at: &str, findings: usize) -> Self {
        HistoryRow {
            cluster: cluster.to_string(),
            date: date.to_string(),
            run_at: run_at.to_string(),
            window_start: a.window_start.clone(),
            window_end: a.window_end.clone(),
            window_seconds: a.window_seconds,
            leader_only_monthly_usd: a.scenarios.leader_only.monthly_cost_usd,
            current_monthly_usd: a.scenarios.current.monthly_cost_usd,
            rack_aware_monthly_usd: a.scenarios.rack_aware.monthly_cost_usd,
            savings_monthly_usd: a.savings.monthly_usd_rack_aware_vs_leader_only,
            opportunity_monthly_usd: a.savings.monthly_usd_rack_aware_vs_current,
            warnings: a.warnings.len() as u32,
            findings: findings as u32,
            bill_explained: None,
        }
    }
}

/// The column names and types, in order: the golden schema.
pub const SCHEMA: [(&str, &str); 14] = [
    ("cluster", "str"),
    ("date", "str"),
    ("run_at", "str"),
    ("window_start", "str"),
    ("window_end", "str"),
    ("window_seconds", "f64"),
    ("leader_only_monthly_usd", "f64"),
    ("current_monthly_usd", "f64"),
    ("rack_aware_monthly_usd", "f64"),
    ("savings_monthly_usd", "f64"),
    ("opportunity_monthly_usd", "f64"),
    ("warnings", "u32"),
    ("findings", "u32"),
    ("bill_explained", "f64"),
];

/// Rows as a frame with [`SCHEMA`].
pub fn to_frame(rows: &[HistoryRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&HistoryRow) -> &String| rows.iter().map(|r| f(r).clone()).collect::<Vec<_>>();
    let n = |f: fn(&HistoryRow) -> f64| rows.iter().map(f).collect::<Vec<_>>();
    let u = |f: fn(&HistoryRow) -> u32| rows.iter().map(f).collect::<Vec<_>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("cluster".into(), s(|r| &r.cluster)),
            Column::new("date".into(), s(|r| &r.date)),
            Column::new("run_at".into(), s(|r| &r.run_at)),
            Column::new("window_start".into(), s(|r| &r.window_start)),
            Column::new("window_end".into(), s(|r| &r.window_end)),
            Column::new("window_seconds".into(), n(|r| r.window_seconds)),
            Column::new(
                "leader_only_monthly_usd".into(),
                n(|r| r.leader_only_monthly_usd),
            ),
            Column::new("current_monthly_usd".into(), n(|r| r.current_monthly_usd)),
            Column::new(
                "rack_aware_monthly_usd".into(),
                n(|r| r.rack_aware_monthly_usd),
            ),
            Column::new("savings_monthly_usd".into(), n(|r| r.savings_monthly_usd)),
            Column::new(
                "opportunity_monthly_usd".into(),
                n(|r| r.opportunity_monthly_usd),
            ),
            Column::new("warnings".into(), u(|r| r.warnings)),
            Column::new("findings".into(), u(|r| r.findings)),
            Column::new(
                "bill_explained".into(),
                rows.iter().map(|r| r.bill_explained).collect::<Vec<_>>(),
            ),
        ],
    )
}

fn from_frame(df: &DataFrame) -> PolarsResult<Vec<HistoryRow>> {
    let s = |name: &str, i: usize| -> PolarsResult<String> {
        Ok(df
            .column(name)?
            .str()?
            .get(i)
            .unwrap_or_default()
            .to_string())
    };
    let n = |name: &str, i: usize| -> PolarsResult<f64> {
        Ok(df.column(name)?.f64()?.get(i).unwrap_or(f64::NAN))
    };
    let u = |name: &str, i: usize| -> PolarsResult<u32> {
        Ok(df.column(name)?.u32()?.get(i).unwrap_or(0))
    };
    // Older files have no bill_explained column: their rows read as none.
    let explained = match df.column("bill_explained") {
        Ok(c) => Some(c.f64()?),
        Err(_) => None,
    };
    (0..df.height())
        .map(|i| {
            Ok(HistoryRow {
                cluster: s("cluster", i)?,
                date: s("date", i)?,
                run_at: s("run_at", i)?,
                window_start: s("window_start", i)?,
                window_end: s("window_end", i)?,
                window_seconds: n("window_seconds", i)?,
                leader_only_monthly_usd: n("leader_only_monthly_usd", i)?,
                current_monthly_usd: n("current_monthly_usd", i)?,
                rack_aware_monthly_usd: n("rack_aware_monthly_usd", i)?,
                savings_monthly_usd: n("savings_monthly_usd", i)?,
                opportunity_monthly_usd: n("opportunity_monthly_usd", i)?,
                warnings: u("warnings", i)?,
                findings: u("findings", i)?,
                bill_explained: explained.and_then(|c| c.get(i)),
            })
        })
        .collect()
}

/// Every row of an existing history file (none when there is no file).
pub fn read(path: &Path) -> Result<Vec<HistoryRow>, Error> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    ParquetReader::new(file)
        .finish()
        .and_then(|df| from_frame(&df))
        .map_err(|e| {
            Error::Runtime(format!(
                "{}: not a history file azcost can read ({e}); move it aside to start a new history",
                path.display()
            ))
        })
}

/// Parquet bytes of the rows.
pub fn to_parquet(rows: &[HistoryRow]) -> Result<Vec<u8>, Error> {
    let mut df =
        to_frame(rows).map_err(|e| Error::Runtime(format!("building the history: {e}")))?;
    parquet_bytes(&mut df)
}

/// A frame as Parquet bytes (so files can be written atomically).
pub fn parquet_bytes(df: &mut DataFrame) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf)
        .finish(df)
        .map_err(|e| Error::Runtime(format!("writing Parquet: {e}")))?;
    Ok(buf)
}

/// The latest earlier run of a cluster.
pub fn previous<'a>(rows: &'a [HistoryRow], cluster: &str) -> Option<&'a HistoryRow> {
    rows.iter().rev().find(|r| r.cluster == cluster)
}
