//! Presenting an analysis: terminal table, Markdown, JSON, CSV.
//!
//! Owns formatting only; every number comes from `model`.

pub mod chart;
pub mod csv;
mod csv_text;
pub mod html;
pub mod json;
pub mod table;
pub mod whatif;

use crate::error::Error;
use crate::findings::{Finding, Findings};
use crate::model::Analysis;

/// An output format of `azcost audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal tables.
    Table,
    /// The `azcost.audit/v1` document.
    Json,
    /// The finance table, one row per scenario × kind × topic × group × zone pair.
    Csv,
    /// The table content as Markdown.
    Markdown,
}

/// Renders an analysis in a format.
pub fn render(
    a: &Analysis,
    findings: &Findings,
    format: Format,
    width: Option<u16>,
    top: usize,
) -> Result<String, Error> {
    let layout = |style| table::Layout { style, width, top };
    Ok(match format {
        Format::Table => table::render(a, findings, layout(table::Style::Terminal)),
        Format::Markdown => table::render(a, findings, layout(table::Style::Markdown)),
        Format::Json => json::render(a, findings, top),
        Format::Csv => csv::finance(a),
    })
}

/// The findings as CSV (text cells neutralised), for `audit --format
/// csv`, which keeps its finance table's header fixed and puts findings
/// beside it; see [`csv::write_findings`].
pub fn findings_csv(findings: &[Finding]) -> String {
    let mut out = Vec::new();
    // Into memory: writing cannot fail.
    let _ = csv::write_findings(findings, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Every warning as CSV, one row each, with its kind (report bundles'
/// warnings.csv): the summaries show kinds, this keeps every sentence.
pub fn warnings_csv(a: &Analysis) -> Result<String, Error> {
    use polars::prelude::*;
    let mut kinds = vec![""; a.warnings.len()];
    for g in &a.warnings_by_kind {
        for &i in &g.indices {
            if let Some(k) = kinds.get_mut(i) {
                *k = g.kind.as_str();
            }
        }
    }
    let df = DataFrame::new(
        a.warnings.len(),
        vec![
            Column::new("kind".into(), kinds),
            Column::new("warning".into(), a.warnings.clone()),
        ],
    )
    .map_err(|e| Error::Runtime(format!("building the warnings table: {e}")))?;
    crate::report::csv::write(&df)
        .map_err(|e| Error::Runtime(format!("writing the warnings CSV: {e}")))
}

/// Where `audit --format csv --output FILE` puts the findings: `FILE`'s
/// name with `.findings.csv` in place of its extension.
pub fn findings_path(output: &std::path::Path) -> std::path::PathBuf {
    let stem = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "audit".to_string());
    output.with_file_name(format!("{stem}.findings.csv"))
}
