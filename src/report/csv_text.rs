//! The CSV text of a frame whose columns are text, numbers and booleans —
//! every CSV azcost writes — byte for byte what polars' `CsvWriter`
//! writes with `QuoteStyle::Necessary` and positional floats, in one pass
//! over the columns' arrays. The finance CSV of a 2M-partition cluster is
//! 1.7M rows (250 MB): polars' writer, with the frame's cells copied for
//! it, was most of the report job's time spent on that file. A frame with
//! any other column type gets `None`, and polars writes it.

use polars::prelude::*;
use std::fmt::Write as _;

/// One column's cells, in order.
enum Cells<'a> {
    Text(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Float(Box<dyn Iterator<Item = Option<f64>> + 'a>),
    Signed(Box<dyn Iterator<Item = Option<i64>> + 'a>),
    Unsigned(Box<dyn Iterator<Item = Option<u64>> + 'a>),
    Boolean(Box<dyn Iterator<Item = Option<bool>> + 'a>),
}

fn cells(c: &Column) -> Option<Cells<'_>> {
    Some(match c.dtype() {
        DataType::String => Cells::Text(Box::new(c.str().ok()?.iter())),
        DataType::Float64 => Cells::Float(Box::new(c.f64().ok()?.iter())),
        DataType::Float32 => Cells::Float(Box::new(c.f32().ok()?.iter().map(|v| v.map(f64::from)))),
        DataType::Int64 => Cells::Signed(Box::new(c.i64().ok()?.iter())),
        DataType::Int32 => Cells::Signed(Box::new(c.i32().ok()?.iter().map(|v| v.map(i64::from)))),
        DataType::UInt64 => Cells::Unsigned(Box::new(c.u64().ok()?.iter())),
        DataType::UInt32 => {
            Cells::Unsigned(Box::new(c.u32().ok()?.iter().map(|v| v.map(u64::from))))
        }
        DataType::Boolean => Cells::Boolean(Box::new(c.bool().ok()?.iter())),
        _ => return None,
    })
}

/// A text cell as polars quotes it: null is empty, the empty string is
/// `""`, and a cell with a comma, a line break or a quote is quoted with
/// its quotes doubled.
pub fn push_text(out: &mut String, s: &str) {
    if s.is_empty() {
        out.push_str("\"\"");
    } else if s.contains([',', '\n', '\r', '"']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A number cell as polars writes it with positional floats.
pub fn push_float(out: &mut String, v: f64) {
    // Formatting into a `String` cannot fail.
    let _ = write!(out, "{v}");
}

/// The frame as CSV with a header line; `None` when a column has a type
/// this writer does not know.
pub fn write(df: &DataFrame) -> Option<String> {
    let mut columns: Vec<Cells<'_>> = df.columns().iter().map(cells).collect::<Option<_>>()?;
    // About 150 bytes a row for the finance CSV: one allocation, not a
    // dozen doublings of a 250 MB string.
    let mut out = String::with_capacity(64 + df.height() * 32 * df.width().max(1) / 4);
    for (i, c) in df.columns().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_text(&mut out, c.name());
    }
    out.push('\n');
    for _ in 0..df.height() {
        for (i, column) in columns.iter_mut().enumerate() {
            if i > 0 {
                out.push(',');
            }
            // Cells formatted into a `String` cannot fail.
            let _ = match column {
                Cells::Text(it) => {
                    if let Some(s) = it.next().flatten() {
                        push_text(&mut out, s);
                    }
                    Ok(())
                }
                Cells::Float(it) => {
                    if let Some(v) = it.next().flatten() {
                        push_float(&mut out, v);
                    }
                    Ok(())
                }
                Cells::Signed(it) => it.next().flatten().map_or(Ok(()), |v| write!(out, "{v}")),
                Cells::Unsigned(it) => it.next().flatten().map_or(Ok(()), |v| write!(out, "{v}")),
                Cells::Boolean(it) => it.next().flatten().map_or(Ok(()), |v| write!(out, "{v}")),
            };
        }
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polars_csv(df: &mut DataFrame) -> String {
        let mut buf = Vec::new();
        CsvWriter::new(&mut buf)
            .include_header(true)
            .with_float_scientific(Some(false))
            .finish(df)
            .expect("polars writes the frame");
        String::from_utf8(buf).expect("polars writes UTF-8")
    }

    #[test]
    fn writes_what_polars_writes_for_awkward_cells() {
        let text = vec![
            Some(""),
            None,
            Some("a,b"),
            Some("say \"hi\""),
            Some("two\nlines"),
            Some("cr\rhere"),
            Some("zoné ü"),
            Some("'=SUM(A1)"),
            Some("plain"),
        ];
        let n = text.len();
        let floats = vec![
            Some(1.5),
            Some(-0.0),
            Some(1e21),
            Some(0.1 + 0.2),
            None,
            Some(123_456_789.123),
            Some(f64::INFINITY),
            Some(-2.0),
            Some(5e-7),
        ];
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("name, quoted".into(), text),
                Column::new("usd".into(), floats),
                Column::new(
                    "i32".into(),
                    (0..n as i32)
                        .map(|i| (i != 2).then_some(i - 4))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "i64".into(),
                    (0..n as i64)
                        .map(|i| i * -1_000_000_007)
                        .collect::<Vec<_>>(),
                ),
                Column::new("u32".into(), (0..n as u32).collect::<Vec<_>>()),
                Column::new(
                    "u64".into(),
                    (0..n as u64).map(|i| u64::MAX - i).collect::<Vec<_>>(),
                ),
                Column::new(
                    "billed".into(),
                    (0..n)
                        .map(|i| (i != 3).then_some(i % 2 == 0))
                        .collect::<Vec<_>>(),
                ),
            ],
        )
        .expect("a frame");
        let ours = write(&df).expect("every column type is known");
        assert_eq!(ours, polars_csv(&mut df));
    }

    #[test]
    fn an_unknown_column_type_is_left_to_polars() {
        let df = DataFrame::new(
            1,
            vec![
                Column::new("when".into(), vec![1i16])
                    .cast(&DataType::Int16)
                    .expect("cast"),
            ],
        )
        .expect("a frame");
        assert!(write(&df).is_none());
    }

    #[test]
    fn an_empty_frame_is_its_header() {
        let mut df = DataFrame::new(
            0,
            vec![
                Column::new("a".into(), Vec::<&str>::new()),
                Column::new("b".into(), Vec::<f64>::new()),
            ],
        )
        .expect("a frame");
        assert_eq!(write(&df).expect("known types"), polars_csv(&mut df));
    }
}
