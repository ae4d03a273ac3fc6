//! Presenting a reconciliation: terminal table and Markdown (through the
//! audit's renderer), the `azcost.reconcile/v1` JSON document, and the per
//! day CSV (through `report::csv`, which neutralises formula cells).

use super::daily::{BILL_BYTES_PER_GB, DayRow, Reconciliation};
use crate::error::Error;
use crate::findings::Finding;
use crate::model::frames::round_usd;
use crate::numbers::{Num, thousands};
use crate::report::table::{Layout, Renderer, Style};
use polars::prelude::*;
use serde::Serialize;

/// The columns of the per-day table, in the terminal, Markdown and the
/// report job's HTML section alike.
pub const DAY_HEADER: [&str; 7] = [
    "day",
    "expected GB",
    "billed GB",
    "billed USD",
    "explained",
    "unexplained GB",
    "unexplained USD",
];

/// The format tag of the JSON document.
pub const RECONCILE_FORMAT: &str = "azcost.reconcile/v1";

/// Output formats of `azcost reconcile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// `azcost.reconcile/v1`.
    Json,
    /// One row per day, then the total.
    Csv,
    /// The tables as Markdown.
    Markdown,
}

/// GB rounded to a millionth (the bill's own precision is finer, but no
/// report needs it).
fn gb(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Dollars with four decimals: a day of regional transfer is often cents.
fn usd4(v: f64) -> String {
    let t = thousands(v, 4);
    match t.strip_prefix('-') {
        Some(rest) => format!("-${rest}"),
        None => format!("${t}"),
    }
}

fn share(v: Option<f64>) -> String {
    v.map(|e| format!("{}%", thousands(e * 100.0, 1)))
        .unwrap_or_else(|| "n/a".into())
}

/// Renders in `format`; `width` fits the terminal table.
pub fn render(
    r: &Reconciliation,
    finding: Option<&Finding>,
    format: Format,
    width: Option<u16>,
) -> Result<String, Error> {
    Ok(match format {
        Format::Table => text(r, finding, Style::Terminal, width),
        Format::Markdown => text(r, finding, Style::Markdown, None),
        Format::Json => json(r, finding),
        Format::Csv => csv(r)?,
    })
}

fn day_cells(d: &DayRow) -> Vec<String> {
    vec![
        d.date.clone(),
        thousands(d.expected_gb, 3),
        thousands(d.billed_gb, 3),
        usd4(d.billed_usd),
        share(d.explained),
        thousands(d.unexplained_gb, 3),
        usd4(d.unexplained_usd),
    ]
}

/// The per-day table's cells, the total last (the summaries' tables).
pub fn day_rows(r: &Reconciliation) -> Vec<Vec<String>> {
    r.days
        .iter()
        .chain(std::iter::once(&r.total))
        .map(day_cells)
        .collect()
}

fn text(r: &Reconciliation, finding: Option<&Finding>, style: Style, width: Option<u16>) -> String {
    let e = &r.estimate;
    let mut out = Renderer::new(Layout {
        style,
        width,
        top: 0,
    });
    out.title(&format!(
        "azcost reconcile: {} ({}), {} to {}",
        e.cluster,
        e.platform.as_str(),
        e.start,
        e.end
    ));
    out.line(&format!(
        "Expected regional usage (current scenario): produce {} + consume {}{} = {} GB; GB = 2^30 bytes on both sides.",
        thousands(e.produce / BILL_BYTES_PER_GB, 3),
        thousands(e.consume / BILL_BYTES_PER_GB, 3),
        match e.platform {
            crate::snapshot::Platform::Msk => String::new(),
            crate::snapshot::Platform::SelfManaged =>
                format!(" + 2 × replication {}", thousands(e.replication / BILL_BYTES_PER_GB, 3)),
        },
        thousands(r.expected_bytes / BILL_BYTES_PER_GB, 3)
    ));
    out.line(&format!(
        "Billed: usage line items of *DataTransfer-Regional-Bytes on {} resource(s), {} CUR file(s); each day's expected GB is the window's share of that day's seconds.",
        r.resources.len(),
        r.files
    ));
    out.heading("Per day (UTC)");
    out.table(&DAY_HEADER, day_rows(r), 1);
    if let Some(f) = finding {
        out.heading("Finding");
        out.bullet(&format!("[{}] {}", f.severity.as_str(), f.title));
        out.bullet(&f.fix);
    }
    out.heading("Matched resources");
    out.table(
        &["resource", "product", "billed GB", "billed USD"],
        r.resources
            .iter()
            .map(|x| {
                vec![
                    x.resource.clone(),
                    x.product.clone(),
                    thousands(x.gb, 3),
                    usd4(x.usd),
                ]
            })
            .collect(),
        2,
    );
    out.heading("Other line items (not usage; not in the figures above)");
    if r.others.is_empty() {
        out.line("None in the window.");
    } else {
        out.table(
            &[
                "line item type",
                "product",
                "resource",
                "amount",
                "USD",
                "lines",
            ],
            r.others
                .iter()
                .map(|o| {
                    vec![
                        o.item_type.clone(),
                        o.product.clone(),
                        if o.resource.is_empty() {
                            "(product-wide)".into()
                        } else {
                            o.resource.clone()
                        },
                        thousands(o.amount, 3),
                        usd4(o.usd),
                        o.lines.to_string(),
                    ]
                })
                .collect(),
            3,
        );
    }
    if !r.days_without_cur.is_empty() {
        out.line(&format!(
            "\nDays without any regional data-transfer line in the CUR files: {}.",
            r.days_without_cur.join(", ")
        ));
    }
    out.finish()
}

#[derive(Serialize)]
struct DayDoc<'a> {
    date: &'a str,
    window_seconds: Num,
    expected_gb: Num,
    billed_gb: Num,
    billed_usd: Num,
    line_items: u64,
    explained: Option<Num>,
    unexplained_gb: Num,
    unexplained_usd: Num,
}

impl<'a> From<&'a DayRow> for DayDoc<'a> {
    fn from(d: &'a DayRow) -> Self {
        DayDoc {
            date: &d.date,
            window_seconds: Num(d.window_seconds),
            expected_gb: Num(gb(d.expected_gb)),
            billed_gb: Num(gb(d.billed_gb)),
            billed_usd: Num(round_usd(d.billed_usd)),
            line_items: d.lines,
            explained: d.explained.map(|e| Num((e * 1e6).round() / 1e6)),
            unexplained_gb: Num(gb(d.unexplained_gb)),
            unexplained_usd: Num(round_usd(d.unexplained_usd)),
        }
    }
}

fn json(r: &Reconciliation, finding: Option<&Finding>) -> String {
    let e = &r.estimate;
    let doc = serde_json::json!({
        "format": RECONCILE_FORMAT,
        "cluster": e.cluster,
        "cluster_arn": e.arn,
        "platform": e.platform.as_str(),
        "window": { "start": e.start.to_string(), "end": e.end.to_string() },
        "bytes_per_gb": Num(BILL_BYTES_PER_GB),
        "expected": {
            "formula": match e.platform {
                crate::snapshot::Platform::Msk => "produce + consume_current",
                crate::snapshot::Platform::SelfManaged => "produce + consume_current + 2 * replication",
            },
            "produce_cross_az_bytes": Num((e.produce * 1e3).round() / 1e3),
            "consume_cross_az_bytes": Num((e.consume * 1e3).round() / 1e3),
            "replication_cross_az_bytes": Num((e.replication * 1e3).round() / 1e3),
            "expected_usage_bytes": Num((r.expected_bytes * 1e3).round() / 1e3),
        },
        "days": r.days.iter().map(DayDoc::from).collect::<Vec<_>>(),
        "total": DayDoc::from(&r.total),
        "resources": r.resources.iter().map(|x| serde_json::json!({
            "resource": x.resource, "product": x.product,
            "billed_gb": Num(gb(x.gb)), "billed_usd": Num(round_usd(x.usd)),
        })).collect::<Vec<_>>(),
        "other_line_items": r.others.iter().map(|o| serde_json::json!({
            "line_item_type": o.item_type, "product": o.product, "resource": o.resource,
            "usage_amount": Num(gb(o.amount)), "usd": Num(round_usd(o.usd)), "line_items": o.lines,
        })).collect::<Vec<_>>(),
        "days_without_cur": r.days_without_cur,
        "findings": finding.into_iter().collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The per-day table as a frame (the CSV, and the report job's chart).
pub fn frame(r: &Reconciliation) -> PolarsResult<DataFrame> {
    let rows: Vec<&DayRow> = r.days.iter().chain(std::iter::once(&r.total)).collect();
    let n = rows.len();
    let f = |get: fn(&DayRow) -> f64| -> Vec<f64> { rows.iter().map(|d| gb(get(d))).collect() };
    DataFrame::new(
        n,
        vec![
            Column::new("cluster".into(), vec![r.estimate.cluster.clone(); n]),
            Column::new(
                "date".into(),
                rows.iter().map(|d| d.date.clone()).collect::<Vec<_>>(),
            ),
            Column::new("window_seconds".into(), f(|d| d.window_seconds)),
            Column::new("expected_gb".into(), f(|d| d.expected_gb)),
            Column::new("billed_gb".into(), f(|d| d.billed_gb)),
            Column::new(
                "billed_usd".into(),
                rows.iter()
                    .map(|d| round_usd(d.billed_usd))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "explained".into(),
                rows.iter()
                    .map(|d| d.explained.map(|e| (e * 1e6).round() / 1e6))
                    .collect::<Vec<_>>(),
            ),
            Column::new("unexplained_gb".into(), f(|d| d.unexplained_gb)),
            Column::new(
                "unexplained_usd".into(),
                rows.iter()
                    .map(|d| round_usd(d.unexplained_usd))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "line_items".into(),
                rows.iter().map(|d| d.lines).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// The per-day CSV.
pub fn csv(r: &Reconciliation) -> Result<String, Error> {
    frame(r)
        .and_then(|df| crate::report::csv::write(&df))
        .map_err(|e| Error::Runtime(format!("writing the reconciliation CSV: {e}")))
}
