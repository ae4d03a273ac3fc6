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

use crate::findings::Finding;
use crate::model::{Analysis, frames};
use polars::prelude::*;
use std::borrow::Cow;
use std::fmt::Write as _;
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

/// The findings CSV: exactly the text of [`write()`] on a frame of the
/// findings' columns, written a row at a time. At 2M partitions it is
/// 45 MB; built as a frame and then a string, it took a fifth of a second
/// of the report job, most of it fresh memory.
pub fn write_findings(findings: &[Finding], out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(b"id,severity,monthly_usd,title,objects,fix,tradeoff\n")?;
    let mut line = String::with_capacity(512);
    let mut objects = String::new();
    for f in findings {
        line.clear();
        objects.clear();
        let o = &f.objects;
        let mut name = |kind: &str, name: &dyn std::fmt::Display| {
            let sep = if objects.is_empty() { "" } else { ";" };
            // Formatting into a `String` cannot fail.
            let _ = write!(objects, "{sep}{kind}:{name}");
        };
        o.topics.iter().for_each(|t| name("topic", t));
        o.partitions.iter().for_each(|p| name("partition", p));
        o.groups.iter().for_each(|g| name("group", g));
        o.members.iter().for_each(|m| name("member", m));
        o.brokers.iter().for_each(|b| name("broker", b));
        for cell in [&f.id, f.severity.as_str()] {
            push_cell(&mut line, Some(cell));
            line.push(',');
        }
        super::csv_text::push_float(&mut line, frames::round_usd(f.monthly_usd));
        for cell in [&f.title, &objects, &f.fix, &f.tradeoff] {
            line.push(',');
            push_cell(&mut line, Some(cell));
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Objects, Severity};

    /// The findings CSV as it was made before [`write_findings`]: a frame
    /// of the findings' columns, written by [`write`].
    fn findings_by_frame(findings: &[Finding]) -> String {
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
        .unwrap();
        write(&df).unwrap()
    }

    #[test]
    fn findings_are_written_as_their_frame_was() {
        let awkward = [
            "=cmd",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "",
            "-1",
            "plain",
            "\rx",
        ];
        let mut findings = Vec::new();
        for (i, text) in awkward.iter().enumerate() {
            let names = |k: usize| -> Vec<String> {
                (0..(i + k) % 3)
                    .map(|j| format!("{}{j}", awkward[(i + j + k) % awkward.len()]))
                    .collect()
            };
            findings.push(Finding {
                id: format!("{text}/{i}"),
                severity: [Severity::High, Severity::Medium, Severity::Low][i % 3],
                title: text.to_string(),
                objects: Objects {
                    topics: names(0),
                    partitions: names(1),
                    groups: names(2),
                    members: names(3),
                    brokers: (0..i as i32 % 3).map(|b| b * 100 - 1).collect(),
                },
                monthly_usd: [0.0, 1234.5678, -0.004, 1e9 / 7.0][i % 4],
                fix: awkward[(i + 1) % awkward.len()].to_string(),
                tradeoff: awkward[(i + 2) % awkward.len()].to_string(),
            });
        }
        for n in [0, 1, findings.len()] {
            let mut out = Vec::new();
            write_findings(&findings[..n], &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                findings_by_frame(&findings[..n])
            );
        }
    }

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
