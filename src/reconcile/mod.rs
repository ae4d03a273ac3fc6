//! `azcost reconcile` (issue 14): the estimate's regional data transfer
//! beside the AWS bill's, per UTC day and in total, from Cost and Usage
//! Report files (cost-model.md, "What the bill should show").
//!
//! sources.rs (PATH… → files) → cur.rs (schema check, lazy scan, per
//! resource and day sums) → matching.rs (the cluster's resources) →
//! daily.rs (the numbers) → gap.rs (the finding) → render.rs. The estimate
//! side comes from estimate.rs.

pub mod cur;
pub mod daily;
pub mod estimate;
pub mod gap;
pub mod matching;
pub mod render;
pub mod sources;

use crate::error::Error;
use crate::findings::Finding;
use crate::snapshot::{Platform, SnapshotSource};
use daily::Reconciliation;
use estimate::Estimate;
use std::path::PathBuf;

/// Where the estimate comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum EstimateSource {
    /// A snapshot, audited here.
    Snapshot(SnapshotSource),
    /// An `azcost.audit/v1` document.
    Audit(PathBuf),
}

/// Everything `azcost reconcile` needs, resolved (config.rs).
#[derive(Debug, Clone)]
pub struct Config {
    /// `--cur` values: files, directories, globs.
    pub cur: Vec<String>,
    /// The estimate.
    pub source: EstimateSource,
    /// `--cur-resource` values.
    pub resources: Vec<String>,
    /// Platform override.
    pub platform: Option<Platform>,
    /// Hours in a month, for the finding's severity.
    pub month_hours: f64,
    /// Output format.
    pub format: render::Format,
    /// Output file, or stdout.
    pub output: Option<PathBuf>,
    /// Print nothing but the report.
    pub quiet: bool,
}

/// Reads the CUR files `cur` names (`flag` names them in errors) and
/// reconciles `estimate` with them; the finding when the gap is large.
pub fn reconcile(
    estimate: &Estimate,
    cur: &[String],
    flag: &str,
    resources: &[String],
    month_hours: f64,
) -> Result<(Reconciliation, Option<Finding>), Error> {
    let files = sources::expand(cur, flag)?;
    let matcher = matching::Matcher::new(estimate.arn.as_deref(), resources)?;
    let (rows, _layouts) = cur::read_all(&files, daily::days_of(estimate))?;
    let r = daily::reconcile(estimate, &rows, &matcher, files.len())?;
    let finding = gap::finding(&r, month_hours);
    Ok((r, finding))
}
