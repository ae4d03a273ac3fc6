//! Every CSV azcost writes goes through here, so none of its cells can run
//! as a formula when finance opens the file in Excel, LibreOffice or
//! Google Sheets (OWASP "CSV injection").
//!
//! Kafka allows any string as a consumer group id, member id, client id or
//! host, so a cell can begin with `=`, `+`, `-`, `@`, a tab or a carriage
//! return; such a text cell gets a leading `'` (OWASP's recommendation),
//! which spreadsheets show as text. Number and boolean columns are never
//! touched, and cells are quoted wherever the CSV format needs it (a comma,
//! a quote, a line break). The JSON, Parquet and snapshot files keep every
//! name exactly as Kafka has it.

use crate::model::{Analysis, frames};
use polars::prelude::*;
use std::borrow::Cow;
use std::io::Write;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` made safe for a spreadsheet: `'` in front when it begins with a
/// formula character, unchanged otherwise.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes a frame as CSV (header, no scientific notation), every text
/// cell neutralised.
pub fn write(df: &DataFrame) -> PolarsResult<String> {
    let columns = df
        .columns()
        .iter()
        .map(|c| {
            if c.dtype() != &DataType::String {
                return Ok(c.clone());
            }
            let text = c.str()?;
            // Almost always nothing to neutralise: the column is kept as is
            // (a scan, not a copy of a million cells).
            if !text
                .iter()
                .any(|cell| cell.is_some_and(|s| s.starts_with(FORMULA_STARTS)))
            {
                return Ok(c.clone());
            }
            let safe: Vec<Option<String>> = (0..text.len())
                .map(|i| text.get(i).map(|s| neutralise(s).into_owned()))
                .collect();
            Ok(Column::new(c.name().clone(), safe))
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    let mut safe = DataFrame::new(df.height(), columns)?;
    if let Some(text) = super::csv_text::write(&safe) {
        return Ok(text);
    }
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf)
        .include_header(true)
        .with_float_scientific(Some(false))
        .finish(&mut safe)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A text cell of any CSV azcost writes: neutralised, then quoted as
/// polars quotes it; `None` is an empty cell.
fn push_cell(out: &mut String, cell: Option<&str>) {
    if let Some(s) = cell {
        super::csv_text::push_text(out, &neutralise(s));
    }
}

/// The finance CSV of an analysis: exactly the text of
/// `write(&frames::finance(a))`, written straight from the flow rows. At
/// 2M partitions the table has 1.7M rows; building the frame and walking
/// it cell by cell took several seconds of the report job.
pub fn finance(a: &Analysis) -> String {
    let mut out = Vec::with_capacity(256 + a.flows.len() * 160);
    // Into memory: writing cannot fail.
    let _ = write_finance(a, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`finance`]'s bytes written to `out` a row at a time (`out` should
/// buffer): the report job stages its 250 MB (at 2M partitions) straight
/// into the bundle file, instead of into fresh memory first.
pub fn write_finance(a: &Analysis, out: &mut dyn Write) -> std::io::Result<()> {
    use super::csv_text::push_float;
    let mut line = String::with_capacity(512);
    line.push_str(&frames::FINANCE_COLUMNS.join(","));
    line.push('\n');
    out.write_all(line.as_bytes())?;
    // The cells every row repeats, made once.
    let mut fixed = String::new();
    for cell in [&a.cluster, &a.window_start, &a.window_end] {
        push_cell(&mut fixed, Some(cell));
        fixed.push(',');
    }
    for r in &a.flows {
        line.clear();
        line.push_str(&fixed);
        for cell in [r.scenario.as_str(), r.traffic.as_str(), r.topic] {
            push_cell(&mut line, Some(cell));
            line.push(',');
        }
        push_cell(&mut line, r.consumer_group);
        line.push(',');
        for cell in [r.src_zone, r.dst_zone] {
            push_cell(&mut line, Some(cell));
            line.push(',');
        }
        for v in [
            frames::round_bytes(r.bytes),
            frames::round_gb(r.bytes),
            frames::round_usd(r.usd),
            frames::round_usd(r.monthly_usd),
        ] {
            push_float(&mut line, v);
            line.push(',');
        }
        line.push_str(if r.billed { "true" } else { "false" });
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_get_a_quote_and_others_do_not() {
        for (cell, want) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("orders", "orders"),
            ("use1-az1", "use1-az1"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn only_text_columns_change() {
        let df = DataFrame::new(
            2,
            vec![
                Column::new("name".into(), vec![Some("=cmd"), None]),
                Column::new("usd".into(), vec![-1.5, 2.0]),
                Column::new("billed".into(), vec![true, false]),
            ],
        )
        .unwrap();
        let text = write(&df).unwrap();
        assert_eq!(text, "name,usd,billed\n'=cmd,-1.5,true\n,2,false\n");
    }
}
