//! Reading AWS Cost and Usage Report files: which of the three layouts a
//! file has, checking the columns azcost needs and their types, and one
//! lazy polars plan per file that filters on time, usage type and line
//! item type before anything is materialised, then sums usage and cost per
//! (resource, product, line item type, regional or not, UTC day).
//!
//! Layouts (AWS Data Exports user guide, "CUR 2.0 table dictionary" and
//! "Cost and Usage Report columns"):
//! - CUR 2.0 (Data Exports) Parquet and the legacy CUR's Parquet: snake
//!   case, `line_item_usage_start_date` (a Parquet timestamp),
//!   `line_item_usage_amount` and `line_item_unblended_cost` (doubles);
//! - the legacy CUR's CSV (usually `.csv.gz`): `lineItem/UsageStartDate`
//!   (ISO 8601 text such as `2026-11-01T00:00:00Z`), `lineItem/UsageAmount`.
//!
//! Resource ids are matched after the aggregation (`matching.rs`): the
//! fallback list of resources needs every resource's totals, and the
//! user's patterns are regular expressions of the `regex` crate.

use super::sources::{self, FileKind};
use crate::error::Error;
use polars::prelude::*;
use std::path::Path;

/// The usage type suffix of data transfer between zones of one region;
/// the prefix is the region's billing code (`USE1-`, `EUW1-`, `APS2-`, …).
pub const REGIONAL_SUFFIX: &str = "DataTransfer-Regional-Bytes";

/// Line item types kept besides the regional data-transfer lines, so the
/// report can show them apart: they are never usage.
pub const KEPT_TYPES: [&str; 3] = ["Credit", "Refund", "Tax"];

/// The columns azcost reads, by role.
#[derive(Debug, Clone, Copy)]
struct Columns {
    start: &'static str,
    product: &'static str,
    usage_type: &'static str,
    resource: &'static str,
    item_type: &'static str,
    amount: &'static str,
    cost: &'static str,
}

/// CUR 2.0 Data Exports, and the legacy CUR in Parquet.
const SNAKE: Columns = Columns {
    start: "line_item_usage_start_date",
    product: "line_item_product_code",
    usage_type: "line_item_usage_type",
    resource: "line_item_resource_id",
    item_type: "line_item_line_item_type",
    amount: "line_item_usage_amount",
    cost: "line_item_unblended_cost",
};

/// The legacy CUR's CSV header.
const LEGACY: Columns = Columns {
    start: "lineItem/UsageStartDate",
    product: "lineItem/ProductCode",
    usage_type: "lineItem/UsageType",
    resource: "lineItem/ResourceId",
    item_type: "lineItem/LineItemType",
    amount: "lineItem/UsageAmount",
    cost: "lineItem/UnblendedCost",
};

impl Columns {
    fn text(&self) -> [&'static str; 4] {
        [self.product, self.usage_type, self.resource, self.item_type]
    }
    fn numbers(&self) -> [&'static str; 2] {
        [self.amount, self.cost]
    }
    fn all(&self) -> [&'static str; 7] {
        [
            self.start,
            self.product,
            self.usage_type,
            self.resource,
            self.item_type,
            self.amount,
            self.cost,
        ]
    }
}

/// Which column spelling a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Snake case (`line_item_usage_type`): CUR 2.0, the legacy CUR's
    /// Parquet, and CUR 2.0 exported as CSV.
    Snake,
    /// `lineItem/UsageType`: the legacy CUR's CSV.
    Legacy,
}

/// UTC days since 1970-01-01, `first..end` (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    /// First day.
    pub first: i64,
    /// The day after the last.
    pub end: i64,
}

/// One aggregate of the bill: a resource's lines of one type on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct BillRow {
    /// `line_item_resource_id` (empty for lines without one, e.g. taxes).
    pub resource: String,
    /// `line_item_product_code`.
    pub product: String,
    /// `line_item_line_item_type` (`Usage`, `Credit`, `Tax`, …).
    pub item_type: String,
    /// The usage type ends in [`REGIONAL_SUFFIX`].
    pub regional: bool,
    /// UTC day since the epoch.
    pub day: i64,
    /// Sum of `line_item_usage_amount` (GB for data transfer).
    pub amount: f64,
    /// Sum of `line_item_unblended_cost` (USD).
    pub cost: f64,
    /// Line items summed.
    pub lines: u64,
}

/// Reads every file: the rows of the window's days, and each file's layout.
pub fn read_all(
    files: &[std::path::PathBuf],
    days: Days,
) -> Result<(Vec<BillRow>, Vec<Layout>), Error> {
    let mut rows = Vec::new();
    let mut layouts = Vec::new();
    for f in files {
        let (layout, mut r) = read(f, days)?;
        layouts.push(layout);
        rows.append(&mut r);
    }
    Ok((rows, layouts))
}

fn bad(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::usage(format!("{}: {what}", path.display()))
}

fn scan(path: &Path) -> Result<LazyFrame, Error> {
    let text = path.to_string_lossy().into_owned();
    match sources::kind_of(path) {
        FileKind::Parquet => {
            let args = ScanArgsParquet {
                glob: false,
                ..Default::default()
            };
            LazyFrame::scan_parquet(PlRefPath::new(text), args)
        }
        FileKind::Csv => LazyCsvReader::new(PlRefPath::new(text))
            .with_has_header(true)
            .with_glob(false)
            // Every column as text: the types azcost needs are cast below,
            // so a CUR with hundreds of columns is never guessed at.
            .with_infer_schema_length(Some(0))
            .finish(),
    }
    .map_err(|e| bad(path, format!("not a readable CUR file ({e})")))
}

/// Reads one file.
pub fn read(path: &Path, days: Days) -> Result<(Layout, Vec<BillRow>), Error> {
    let mut lf = scan(path)?;
    let schema = lf.collect_schema().map_err(|e| {
        bad(
            path,
            format!(
                "not a readable {} file ({e})",
                match sources::kind_of(path) {
                    FileKind::Parquet => "Parquet",
                    FileKind::Csv => "CSV",
                }
            ),
        )
    })?;
    let (cols, layout) = if schema.contains(LEGACY.usage_type) {
        (LEGACY, Layout::Legacy)
    } else {
        (SNAKE, Layout::Snake)
    };
    for name in cols.all() {
        if !schema.contains(name) {
            let hint = if name == cols.resource {
                " (the export must include resource IDs)"
            } else {
                ""
            };
            return Err(bad(
                path,
                format!(
                    "no column {name}: expected a Cost and Usage Report (CUR 2.0 Data Exports Parquet, or the legacy CUR's Parquet or CSV){hint}"
                ),
            ));
        }
    }
    let dtype = |name: &str| schema.get(name).cloned().unwrap_or(DataType::Null);
    for name in cols.text() {
        let t = dtype(name);
        if !matches!(t, DataType::String | DataType::Null) {
            return Err(bad(
                path,
                format!("column {name}: expected text (string), found {t}"),
            ));
        }
    }
    for name in cols.numbers() {
        let t = dtype(name);
        if !(t.is_primitive_numeric() || matches!(t, DataType::String | DataType::Null)) {
            return Err(bad(
                path,
                format!("column {name}: expected a number (double), found {t}"),
            ));
        }
        if t == DataType::String && sources::kind_of(path) == FileKind::Parquet {
            return Err(bad(
                path,
                format!("column {name}: expected a number (double), found text"),
            ));
        }
    }
    let start = dtype(cols.start);
    let (day, in_days) = match &start {
        DataType::Datetime(unit, _) => {
            let per_day: i64 = 86_400
                * match unit {
                    TimeUnit::Milliseconds => 1_000,
                    TimeUnit::Microseconds => 1_000_000,
                    TimeUnit::Nanoseconds => 1_000_000_000,
                };
            let raw = col(cols.start).cast(DataType::Int64);
            (
                // Integer division (polars' floor_div needs another
                // feature); the window's days are all after 1970.
                (raw.clone() / lit(per_day)).cast(DataType::Int64),
                raw.clone()
                    .gt_eq(lit(days.first * per_day))
                    .and(raw.lt(lit(days.end * per_day))),
            )
        }
        DataType::String => {
            check_text_dates(path, &mut scan(path)?, cols.start)?;
            // ISO 8601 dates compare as text; the day is parsed after the
            // aggregation, on a few hundred values.
            let date = col(cols.start).str().slice(lit(0), lit(10));
            (
                date.clone(),
                date.clone()
                    .gt_eq(lit(day_text(days.first)))
                    .and(date.lt(lit(day_text(days.end)))),
            )
        }
        other => {
            return Err(bad(
                path,
                format!(
                    "column {}: expected a timestamp (or ISO 8601 text), found {other}",
                    cols.start
                ),
            ));
        }
    };
    let regional = col(cols.usage_type)
        .str()
        .ends_with(lit(REGIONAL_SUFFIX))
        .fill_null(lit(false));
    let kept = KEPT_TYPES
        .iter()
        .map(|t| col(cols.item_type).eq(lit(*t)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let number = |name: &str| col(name).strict_cast(DataType::Float64).fill_null(lit(0.0));
    let text = |name: &str| col(name).fill_null(lit(""));
    let plan = lf
        .filter(in_days.and(regional.clone().or(kept)))
        .select([
            text(cols.resource).alias("resource"),
            text(cols.product).alias("product"),
            text(cols.item_type).alias("item_type"),
            regional.alias("regional"),
            day.alias("day"),
            number(cols.amount).alias("amount"),
            number(cols.cost).alias("cost"),
        ])
        .group_by([
            col("resource"),
            col("product"),
            col("item_type"),
            col("regional"),
            col("day"),
        ])
        .agg([
            col("amount").sum(),
            col("cost").sum(),
            col("amount").count().alias("lines"),
        ]);
    let df = plan.collect().map_err(|e| {
        let text = e.to_string();
        let column = cols
            .numbers()
            .into_iter()
            .find(|c| text.contains(c))
            .map(|c| format!("column {c}: expected numbers; "))
            .unwrap_or_default();
        bad(path, format!("{column}reading failed ({text})"))
    })?;
    Ok((layout, rows_of(path, &df)?))
}

/// A legacy CSV's first start date must be ISO 8601, or every comparison
/// on the text would silently drop the file.
fn check_text_dates(path: &Path, lf: &mut LazyFrame, column: &str) -> Result<(), Error> {
    let first = lf
        .clone()
        .select([col(column)])
        .drop_nulls(None)
        .limit(1)
        .collect()
        .map_err(|e| bad(path, format!("reading column {column} ({e})")))?;
    let value = first
        .column(column)
        .ok()
        .and_then(|c| c.str().ok().and_then(|s| s.get(0).map(str::to_string)));
    if let Some(v) = value
        && day_of_text(&v).is_none()
    {
        return Err(bad(
            path,
            format!(
                "column {column}: expected ISO 8601 times such as 2026-11-01T00:00:00Z, found {v:?}"
            ),
        ));
    }
    Ok(())
}

/// `YYYY-MM-DD` of a UTC day number.
pub fn day_text(day: i64) -> String {
    jiff::Timestamp::from_second(day * 86_400)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The UTC day number of a text starting with `YYYY-MM-DD`.
pub fn day_of_text(text: &str) -> Option<i64> {
    let date: jiff::civil::Date = text.get(..10)?.parse().ok()?;
    let ts = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(ts.as_second().div_euclid(86_400))
}

fn rows_of(path: &Path, df: &DataFrame) -> Result<Vec<BillRow>, Error> {
    let fail = |e: PolarsError| bad(path, format!("reading the aggregate ({e})"));
    let resource = df
        .column("resource")
        .and_then(|c| c.str().cloned())
        .map_err(fail)?;
    let product = df
        .column("product")
        .and_then(|c| c.str().cloned())
        .map_err(fail)?;
    let item_type = df
        .column("item_type")
        .and_then(|c| c.str().cloned())
        .map_err(fail)?;
    let regional = df
        .column("regional")
        .and_then(|c| c.bool().cloned())
        .map_err(fail)?;
    let amount = df
        .column("amount")
        .and_then(|c| c.f64().cloned())
        .map_err(fail)?;
    let cost = df
        .column("cost")
        .and_then(|c| c.f64().cloned())
        .map_err(fail)?;
    let lines = df
        .column("lines")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(fail)?;
    let lines = lines.u64().map_err(fail)?;
    let day = df.column("day").map_err(fail)?;
    let days: Vec<Option<i64>> = match day.dtype() {
        DataType::String => {
            let text = day.str().map_err(fail)?;
            (0..text.len())
                .map(|i| text.get(i).and_then(day_of_text))
                .collect()
        }
        _ => {
            let n = day.cast(&DataType::Int64).map_err(fail)?;
            let n = n.i64().map_err(fail)?;
            (0..n.len()).map(|i| n.get(i)).collect()
        }
    };
    let mut out = Vec::with_capacity(df.height());
    for (i, day) in days.into_iter().enumerate() {
        let Some(day) = day else { continue };
        out.push(BillRow {
            resource: resource.get(i).unwrap_or("").to_string(),
            product: product.get(i).unwrap_or("").to_string(),
            item_type: item_type.get(i).unwrap_or("").to_string(),
            regional: regional.get(i).unwrap_or(false),
            day,
            amount: amount.get(i).unwrap_or(0.0),
            cost: cost.get(i).unwrap_or(0.0),
            lines: lines.get(i).unwrap_or(0),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_as_text() {
        let d = day_of_text("2026-11-01T05:00:00Z").unwrap();
        assert_eq!(day_text(d), "2026-11-01");
        assert_eq!(d * 86_400, 1_793_491_200);
        assert_eq!(day_of_text("11/01/2026"), None);
    }
}
