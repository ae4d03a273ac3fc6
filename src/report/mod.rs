//! Presenting an analysis: terminal table, Markdown, JSON, CSV.
//!
//! Owns formatting only; every number comes from `model`.

pub mod fmt;
pub mod json;
pub mod table;

use crate::error::Error;
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
    format: Format,
    width: Option<u16>,
    top: usize,
) -> Result<String, Error> {
    let layout = |style| table::Layout { style, width, top };
    Ok(match format {
        Format::Table => table::render(a, layout(table::Style::Terminal)),
        Format::Markdown => table::render(a, layout(table::Style::Markdown)),
        Format::Json => json::render(a, top),
        Format::Csv => frames::finance_csv(a)
            .map_err(|e| Error::Runtime(format!("writing the finance CSV: {e}")))?,
    })
}
