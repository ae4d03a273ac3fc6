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
use crate::model::frames;

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

/// The findings as CSV (written by polars, text cells neutralised), for `audit --format csv`, which
/// keeps its finance table's header fixed and puts findings beside it.
pub fn findings_csv(findings: &[Finding]) -> Result<String, Error> {
    use polars::prelude::*;
    let col = |name: &str, f: &dyn Fn(&Finding) -> String| {
        Column::new(name.into(), findings.iter().map(f).collect::<Vec<String>>())
    };
    let objects = |f: &Finding| {
        let o = &f.objects;
        let mut parts: Vec<String> = Vec::new();
        parts.extend(o.topics.iter().map(|t| format!("topic:{t}")));
        parts.extend(o.partitions.iter().map(|t| format!("partition:{t}")));
        parts.extend(o.groups.iter().map(|t| format!("group:{t}")));
        parts.extend(o.members.iter().map(|t| format!("member:{t}")));
        parts.extend(o.brokers.iter().map(|t| format!("broker:{t}")));
        parts.join(";")
    };
    let df = DataFrame::new(
        findings.len(),
        vec![
            col("id", &|f| f.id.clone()),
            col("severity", &|f| f.severity.as_str().to_string()),
            Column::new(
                "monthly_usd".into(),
                findings
                    .iter()
                    .map(|f| frames::round_usd(f.monthly_usd))
                    .collect::<Vec<f64>>(),
            ),
            col("title", &|f| f.title.clone()),
            col("objects", &objects),
            col("fix", &|f| f.fix.clone()),
            col("tradeoff", &|f| f.tradeoff.clone()),
        ],
    )
    .map_err(|e| Error::Runtime(format!("building the findings table: {e}")))?;
    crate::report::csv::write(&df)
        .map_err(|e| Error::Runtime(format!("writing the findings CSV: {e}")))
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
