//! The reconciliation itself, per UTC day of the window and in total:
//! expected GB (the window's `expected_usage` spread over its days in
//! proportion to the seconds of each day inside the window), billed GB and
//! USD of the cluster's regional data-transfer usage lines, the share the
//! estimate explains and what is left. Other line item types (credits,
//! refunds, taxes, discounts) are kept apart, never summed into usage.

use super::cur::{BillRow, Days, KEPT_TYPES, day_text};
use super::estimate::Estimate;
use super::matching::Matcher;
use crate::error::Error;
use std::collections::{BTreeMap, BTreeSet};

/// Bytes in the GB of the bill's data-transfer usage amounts. AWS prices
/// data transfer per GB and azcost takes that GB as 2^30 bytes, like its
/// cost model (README, "Reconcile with the AWS bill").
pub const BILL_BYTES_PER_GB: f64 = 1_073_741_824.0;

/// Resources listed when none matched.
pub const LISTED_RESOURCES: usize = 20;

/// One UTC day (or the total).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayRow {
    /// `YYYY-MM-DD`, or `total`.
    pub date: String,
    /// Seconds of the window inside this day.
    pub window_seconds: f64,
    /// Expected GB.
    pub expected_gb: f64,
    /// Billed GB (usage line items of the cluster's resources).
    pub billed_gb: f64,
    /// Billed USD of those lines (unblended).
    pub billed_usd: f64,
    /// Line items summed.
    pub lines: u64,
    /// expected / billed; none when nothing was billed.
    pub explained: Option<f64>,
    /// billed − expected, GB (negative when the estimate is above the bill).
    pub unexplained_gb: f64,
    /// The billed USD the estimate does not explain, at the bill's own
    /// rate: billed_usd · (1 − explained).
    pub unexplained_usd: f64,
}

impl DayRow {
    fn finish(&mut self) {
        self.explained = (self.billed_gb > 0.0).then(|| self.expected_gb / self.billed_gb);
        self.unexplained_gb = self.billed_gb - self.expected_gb;
        self.unexplained_usd = match self.explained {
            Some(e) => self.billed_usd * (1.0 - e),
            None => 0.0,
        };
    }
}

/// Lines that are not usage, or not the cluster's own, shown apart.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherRow {
    /// `Credit`, `Refund`, `Tax`, `DiscountedUsage`, …
    pub item_type: String,
    /// Product code.
    pub product: String,
    /// The resource, or empty for product-wide lines (taxes).
    pub resource: String,
    /// Usage amount (GB for data transfer; 0 for most credits and taxes).
    pub amount: f64,
    /// USD (negative for credits and refunds).
    pub usd: f64,
    /// Line items.
    pub lines: u64,
}

/// A resource's regional data-transfer usage in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRow {
    /// Resource id.
    pub resource: String,
    /// Product code.
    pub product: String,
    /// GB.
    pub gb: f64,
    /// USD.
    pub usd: f64,
}

/// Everything a reconciliation reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// The estimate it started from.
    pub estimate: Estimate,
    /// Expected bytes over the window (`expected_usage`).
    pub expected_bytes: f64,
    /// One row per UTC day of the window.
    pub days: Vec<DayRow>,
    /// The sum of the days.
    pub total: DayRow,
    /// Other line items of the cluster's resources and products.
    pub others: Vec<OtherRow>,
    /// The matched resources, largest first.
    pub resources: Vec<ResourceRow>,
    /// Days of the window without any regional data-transfer line in the
    /// CUR files (for any resource): the files do not cover them.
    pub days_without_cur: Vec<String>,
    /// CUR files read.
    pub files: usize,
}

/// The UTC days a window touches.
pub fn days_of(e: &Estimate) -> Days {
    let start = e.start.as_second();
    let end = e.end.as_second();
    Days {
        first: start.div_euclid(86_400),
        end: (end + 86_399)
            .div_euclid(86_400)
            .max(start.div_euclid(86_400) + 1),
    }
}

/// Reconciles the estimate with the bill's rows; no matched usage line is
/// bad input (exit 2) whose message lists the resources that do carry
/// regional data transfer, so the user can pick with `--cur-resource`.
pub fn reconcile(
    estimate: &Estimate,
    rows: &[BillRow],
    matcher: &Matcher,
    files: usize,
) -> Result<Reconciliation, Error> {
    let days = days_of(estimate);
    let window_seconds = (estimate.end.as_second() - estimate.start.as_second()).max(1) as f64;
    let expected_bytes = estimate.expected_bytes();
    let mut by_day: BTreeMap<i64, DayRow> = BTreeMap::new();
    for d in days.first..days.end {
        let lo = (d * 86_400).max(estimate.start.as_second());
        let hi = ((d + 1) * 86_400).min(estimate.end.as_second());
        let secs = (hi - lo).max(0) as f64;
        by_day.insert(
            d,
            DayRow {
                date: day_text(d),
                window_seconds: secs,
                expected_gb: expected_bytes * secs / window_seconds / BILL_BYTES_PER_GB,
                ..DayRow::default()
            },
        );
    }
    let mut matched_products = BTreeSet::new();
    let mut resources: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut days_with_cur = BTreeSet::new();
    let mut others: BTreeMap<(String, String, String), OtherRow> = BTreeMap::new();
    let mut any_usage = false;
    for r in rows
        .iter()
        .filter(|r| r.day >= days.first && r.day < days.end)
    {
        if r.regional {
            days_with_cur.insert(r.day);
        }
        if !matcher.matches(&r.resource) {
            continue;
        }
        if r.regional && r.item_type == "Usage" {
            any_usage = true;
            matched_products.insert(r.product.clone());
            let res = resources
                .entry((r.resource.clone(), r.product.clone()))
                .or_default();
            res.0 += r.amount;
            res.1 += r.cost;
            if let Some(d) = by_day.get_mut(&r.day) {
                d.billed_gb += r.amount;
                d.billed_usd += r.cost;
                d.lines += r.lines;
            }
        } else {
            add_other(&mut others, r);
        }
    }
    if !any_usage {
        return Err(no_match(estimate, rows, matcher, days));
    }
    // Product-wide lines (taxes, account credits) of the cluster's products.
    for r in rows.iter().filter(|r| {
        r.day >= days.first
            && r.day < days.end
            && r.resource.is_empty()
            && KEPT_TYPES.contains(&r.item_type.as_str())
            && matched_products.contains(&r.product)
    }) {
        add_other(&mut others, r);
    }
    let mut total = DayRow {
        date: "total".into(),
        ..DayRow::default()
    };
    let mut day_rows: Vec<DayRow> = by_day.into_values().collect();
    for d in &mut day_rows {
        d.finish();
        total.window_seconds += d.window_seconds;
        total.expected_gb += d.expected_gb;
        total.billed_gb += d.billed_gb;
        total.billed_usd += d.billed_usd;
        total.lines += d.lines;
    }
    total.finish();
    let mut resources: Vec<ResourceRow> = resources
        .into_iter()
        .map(|((resource, product), (gb, usd))| ResourceRow {
            resource,
            product,
            gb,
            usd,
        })
        .collect();
    resources.sort_by(|a, b| b.gb.total_cmp(&a.gb).then(a.resource.cmp(&b.resource)));
    Ok(Reconciliation {
        estimate: estimate.clone(),
        expected_bytes,
        days: day_rows,
        total,
        others: others.into_values().collect(),
        resources,
        days_without_cur: (days.first..days.end)
            .filter(|d| !days_with_cur.contains(d))
            .map(day_text)
            .collect(),
        files,
    })
}

fn add_other(others: &mut BTreeMap<(String, String, String), OtherRow>, r: &BillRow) {
    let o = others
        .entry((r.item_type.clone(), r.product.clone(), r.resource.clone()))
        .or_insert_with(|| OtherRow {
            item_type: r.item_type.clone(),
            product: r.product.clone(),
            resource: r.resource.clone(),
            amount: 0.0,
            usd: 0.0,
            lines: 0,
        });
    o.amount += r.amount;
    o.usd += r.cost;
    o.lines += r.lines;
}

/// The error when no usage line matched: which resources do carry
/// regional data transfer in the window, largest billed GB first.
fn no_match(estimate: &Estimate, rows: &[BillRow], matcher: &Matcher, days: Days) -> Error {
    let mut totals: BTreeMap<&str, (f64, f64, &str)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.regional && r.item_type == "Usage" && r.day >= days.first && r.day < days.end)
    {
        let t = totals
            .entry(r.resource.as_str())
            .or_insert((0.0, 0.0, r.product.as_str()));
        t.0 += r.amount;
        t.1 += r.cost;
    }
    let mut list: Vec<(&str, f64, f64, &str)> = totals
        .into_iter()
        .map(|(r, (gb, usd, p))| (r, gb, usd, p))
        .collect();
    list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let looked_for = if matcher.is_empty() {
        "no cluster ARN is known (the snapshot or audit has no cluster.arn) and no --cur-resource was given".to_string()
    } else {
        format!("nothing matched {}", matcher.describe())
    };
    let window = format!("{} to {}", day_text(days.first), day_text(days.end - 1));
    let mut text = format!(
        "no regional data-transfer usage line of cluster {} in the CUR files ({window}, UTC): {looked_for}.",
        estimate.cluster
    );
    if list.is_empty() {
        text.push_str(
            " The files have no *DataTransfer-Regional-Bytes usage line on these days at all: check that they cover the snapshot's window.",
        );
    } else {
        text.push_str(
            " Resources with regional data transfer on these days, largest first (pick with --cur-resource ID_OR_REGEX):",
        );
        for (r, gb, usd, p) in list.iter().take(LISTED_RESOURCES) {
            let name = if r.is_empty() { "(no resource id)" } else { r };
            text.push_str(&format!("\n  {name}  {p}  {gb:.3} GB  ${usd:.2}"));
        }
        if list.len() > LISTED_RESOURCES {
            text.push_str(&format!(
                "\n  … and {} more resources",
                list.len() - LISTED_RESOURCES
            ));
        }
    }
    Error::usage(text)
}
