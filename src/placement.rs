//! `azcost placement`: the placement map of [`crate::model::reads`] filtered and
//! written as a table, CSV, JSON or Parquet, row by row as the model
//! produces them (a cluster has millions of reads; no copy of the table is
//! kept, Parquet buffers one row group at a time).

use crate::error::Error;
use crate::model::Scenario;
use crate::model::flows::Index;
use crate::model::reads::{self, ReadRow};
use regex::Regex;
use std::io::Write;

/// The CSV header: a contract (README, "azcost placement"), never reordered.
pub const CSV_HEADER: &str = "consumer_group,member_id,topic,partition,member_zone,client_rack,leader,leader_zone,current_broker,current_zone,rack_aware_broker,rack_aware_zone,bytes,leader_only_cross_az_bytes,current_cross_az_bytes,rack_aware_cross_az_bytes,reason";

/// Rows per Parquet row group.
const PARQUET_BATCH: usize = 65_536;

/// Everything `azcost placement` needs, resolved (by `config.rs`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the snapshot comes from.
    pub source: crate::snapshot::SnapshotSource,
    /// A live Kafka cluster to collect from instead of `source`.
    pub live: Option<crate::collect::kafka::options::KafkaOptions>,
    /// An Amazon MSK cluster to collect from instead of `source`.
    pub msk: Option<crate::collect::msk::options::MskOptions>,
    /// Where to keep the collected snapshot.
    pub save_snapshot: Option<std::path::PathBuf>,
    /// Row filters.
    pub filter: Filter,
    /// Output format.
    pub format: Format,
    /// Output file, or stdout.
    pub output: Option<std::path::PathBuf>,
    /// Say nothing but the rows.
    pub quiet: bool,
}

/// Output formats of `azcost placement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// CSV with the fixed header documented in the README.
    Csv,
    /// A JSON array of one object per row (the CSV's columns), one per line.
    Json,
    /// Apache Parquet, the CSV's columns.
    Parquet,
}

/// Which rows to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Group ids matching this.
    pub group: Option<Regex>,
    /// Topics matching this.
    pub topic: Option<Regex>,
    /// Member ids matching this (empty for unowned reads).
    pub member: Option<Regex>,
    /// Only rows whose current fetch crosses zones.
    pub crossing_only: bool,
}

impl Filter {
    /// Whether `row` passes every filter.
    pub fn keeps(&self, row: &ReadRow<'_>) -> bool {
        let ok = |re: &Option<Regex>, text: &str| re.as_ref().is_none_or(|r| r.is_match(text));
        ok(&self.group, row.group)
            && ok(&self.topic, row.topic)
            && ok(&self.member, row.member_id.unwrap_or(""))
            && (!self.crossing_only || row.cross[Scenario::Current.index()] > 0.0)
    }
}

/// Writes the rows of `snap` that `cfg` keeps, in its format, to its
/// output (atomically to a file) or to standard output, as they are made
/// ([`crate::output::emit_streamed`]: a 2M-partition cluster's CSV is
/// 700 MB).
pub fn emit(snap: &crate::snapshot::Snapshot, cfg: &Config) -> Result<(), Error> {
    let index = Index::new(snap);
    crate::output::emit_streamed(cfg.output.as_deref(), |mut out| {
        write(&index, &cfg.filter, cfg.format, &mut out)
    })
}

/// Current crossing bytes per reason, largest first.
pub type CrossingsByReason = Vec<(reads::Reason, f64)>;

/// Every row of the indexed snapshot as a Parquet file written to `out`
/// as it is encoded (`placement.parquet` of the report bundle, staged
/// straight into its file: 100 MB at 2M partitions), and the current
/// crossing bytes by reason, summed in the same walk over the reads.
pub fn write_parquet(
    index: &Index<'_>,
    mut out: &mut dyn std::io::Write,
) -> std::io::Result<CrossingsByReason> {
    let mut by_reason = reads::CrossingByReason::default();
    parquet::write(index, &Filter::default(), &mut out, |row| {
        by_reason.add(row)
    })?;
    Ok(by_reason.largest_first())
}

/// The "why it still crosses" table of the summaries: (reason, GB, monthly
/// USD) cells of the current crossing bytes by reason ([`write_parquet`]),
/// priced as the audit `a` of the same snapshot prices consume bytes.
pub fn why_crosses_rows(
    by_reason: &[(reads::Reason, f64)],
    a: &crate::model::Analysis,
) -> Vec<Vec<String>> {
    let month_factor = a.month_hours * 3600.0 / a.window_seconds;
    by_reason
        .iter()
        .map(|&(reason, bytes)| {
            let usd = bytes / crate::model::BYTES_PER_GB * a.price_per_gb * month_factor;
            vec![
                reason.as_str().to_string(),
                format!("{:.2}", bytes / crate::model::BYTES_PER_GB),
                crate::numbers::usd(usd),
            ]
        })
        .collect()
}

/// The header of [`why_crosses_rows`].
pub const WHY_CROSSES_HEADER: [&str; 3] = ["reason", "GB crossing (current)", "current $/mo"];

/// Writes the rows of the indexed snapshot that pass `filter` to `out` in
/// `format`.
pub fn write(
    index: &Index<'_>,
    filter: &Filter,
    format: Format,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match format {
        Format::Csv => {
            writeln!(out, "{CSV_HEADER}")?;
            reads::for_each_read_indexed(index, |row| {
                if filter.keeps(row) {
                    write_csv_row(out, row)?;
                }
                Ok::<(), std::io::Error>(())
            })
        }
        Format::Table => {
            let header: Vec<&str> = CSV_HEADER.split(',').collect();
            write_table_line(out, &header)?;
            reads::for_each_read_indexed(index, |row| {
                if filter.keeps(row) {
                    let cells = cells(row);
                    let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                    write_table_line(out, &refs)?;
                }
                Ok::<(), std::io::Error>(())
            })
        }
        Format::Json => {
            write!(out, "[")?;
            let mut first = true;
            reads::for_each_read_indexed(index, |row| {
                if filter.keeps(row) {
                    out.write_all(if first { b"\n" } else { b",\n" })?;
                    first = false;
                    serde_json::to_writer(&mut *out, &json_row(row))?;
                }
                Ok::<(), std::io::Error>(())
            })?;
            writeln!(out, "{}]", if first { "" } else { "\n" })
        }
        Format::Parquet => parquet::write(index, filter, out, |_| {}),
    }
}

/// The 17 cells of a row, as the CSV prints them (before quoting).
pub fn cells(row: &ReadRow<'_>) -> [String; 17] {
    let id = |s: Option<reads::Served<'_>>| s.map(|s| s.broker.to_string()).unwrap_or_default();
    let zone = |s: Option<reads::Served<'_>>| s.map(|s| s.zone.to_string()).unwrap_or_default();
    let current = row.serving[Scenario::Current.index()];
    let rack_aware = row.serving[Scenario::RackAware.index()];
    [
        row.group.to_string(),
        row.member_id.unwrap_or("").to_string(),
        row.topic.to_string(),
        row.partition.to_string(),
        row.member_zone.unwrap_or("").to_string(),
        row.client_rack.unwrap_or("").to_string(),
        id(row.leader),
        zone(row.leader),
        id(current),
        zone(current),
        id(rack_aware),
        zone(rack_aware),
        row.bytes.to_string(),
        row.cross[Scenario::LeaderOnly.index()].to_string(),
        row.cross[Scenario::Current.index()].to_string(),
        row.cross[Scenario::RackAware.index()].to_string(),
        row.reason.as_str().to_string(),
    ]
}

fn write_csv_row(out: &mut impl Write, row: &ReadRow<'_>) -> std::io::Result<()> {
    for (i, cell) in cells(row).iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if cell.contains([',', '"', '\n', '\r']) {
            write!(out, "\"{}\"", cell.replace('"', "\"\""))?;
        } else {
            out.write_all(cell.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}

/// Column widths of the table: fixed, so rows print as they come.
const WIDTHS: [usize; 17] = [
    16, 14, 12, 9, 11, 11, 6, 11, 14, 12, 17, 15, 14, 26, 22, 25, 0,
];

fn write_table_line(out: &mut impl Write, cells: &[&str]) -> std::io::Result<()> {
    let mut line = String::new();
    for (cell, width) in cells.iter().zip(WIDTHS) {
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&format!("{cell:<width$}"));
    }
    writeln!(out, "{}", line.trim_end())
}

fn json_row(row: &ReadRow<'_>) -> serde_json::Value {
    let served = |s: Option<reads::Served<'_>>| s.map(|s| s.broker);
    fn zone<'a>(s: Option<reads::Served<'a>>) -> Option<&'a str> {
        s.map(|s| s.zone)
    }
    let current = row.serving[Scenario::Current.index()];
    let rack_aware = row.serving[Scenario::RackAware.index()];
    serde_json::json!({
        "consumer_group": row.group,
        "member_id": row.member_id.unwrap_or(""),
        "topic": row.topic,
        "partition": row.partition,
        "member_zone": row.member_zone,
        "client_rack": row.client_rack,
        "leader": served(row.leader),
        "leader_zone": zone(row.leader),
        "current_broker": served(current),
        "current_zone": zone(current),
        "rack_aware_broker": served(rack_aware),
        "rack_aware_zone": zone(rack_aware),
        "bytes": row.bytes,
        "leader_only_cross_az_bytes": row.cross[Scenario::LeaderOnly.index()],
        "current_cross_az_bytes": row.cross[Scenario::Current.index()],
        "rack_aware_cross_az_bytes": row.cross[Scenario::RackAware.index()],
        "reason": row.reason.as_str(),
    })
}

mod parquet {
    //! Parquet output: the CSV's columns, one row group per
    //! [`PARQUET_BATCH`](crate::placement::PARQUET_BATCH) rows.

    use crate::model::Scenario;
    use crate::model::flows::Index;
    use crate::model::reads::{self, ReadRow};
    use crate::placement::{Filter, PARQUET_BATCH};
    use polars::prelude::*;
    use std::io::Write;

    /// Column buffers for one row group. Names are copied straight into
    /// the string columns' buffers: no `String` per cell (a 2M-partition
    /// cluster has millions of rows of nine names each).
    struct Batch {
        text: [StringChunkedBuilder; 9],
        int: [Vec<Option<i32>>; 4],
        num: [Vec<f64>; 4],
    }

    const TEXT: [&str; 9] = [
        "consumer_group",
        "member_id",
        "topic",
        "member_zone",
        "client_rack",
        "leader_zone",
        "current_zone",
        "rack_aware_zone",
        "reason",
    ];

    fn text_builders() -> [StringChunkedBuilder; 9] {
        TEXT.map(|name| StringChunkedBuilder::new(name.into(), PARQUET_BATCH))
    }

    impl Batch {
        fn new() -> Self {
            Batch {
                text: text_builders(),
                int: Default::default(),
                num: Default::default(),
            }
        }

        fn push(&mut self, row: &ReadRow<'_>) {
            let current = row.serving[Scenario::Current.index()];
            let rack_aware = row.serving[Scenario::RackAware.index()];
            let texts = [
                Some(row.group),
                Some(row.member_id.unwrap_or("")),
                Some(row.topic),
                row.member_zone,
                row.client_rack,
                row.leader.map(|s| s.zone),
                current.map(|s| s.zone),
                rack_aware.map(|s| s.zone),
                Some(row.reason.as_str()),
            ];
            for (col, v) in self.text.iter_mut().zip(texts) {
                col.append_option(v);
            }
            let ints = [
                Some(row.partition),
                row.leader.map(|s| s.broker),
                current.map(|s| s.broker),
                rack_aware.map(|s| s.broker),
            ];
            for (col, v) in self.int.iter_mut().zip(ints) {
                col.push(v);
            }
            let nums = [row.bytes, row.cross[0], row.cross[1], row.cross[2]];
            for (col, v) in self.num.iter_mut().zip(nums) {
                col.push(v);
            }
        }

        fn len(&self) -> usize {
            self.num[0].len()
        }

        /// The batch as a frame in the CSV's column order; empties the batch.
        fn take(&mut self) -> PolarsResult<DataFrame> {
            let mut text = std::mem::replace(&mut self.text, text_builders())
                .into_iter()
                .map(|b| b.finish().into_column());
            let mut int = self.int.iter_mut().map(std::mem::take);
            let mut num = self.num.iter_mut().map(std::mem::take);
            let mut t = || {
                text.next()
                    .unwrap_or_else(|| Column::new_empty("".into(), &DataType::String))
            };
            let mut i = |name: &str| Column::new(name.into(), int.next().unwrap_or_default());
            let mut n = |name: &str| Column::new(name.into(), num.next().unwrap_or_default());
            let (group, member, topic, mzone, rack, lzone, czone, rzone, reason) =
                (t(), t(), t(), t(), t(), t(), t(), t(), t());
            let (partition, leader, current, rack_aware) = (
                i("partition"),
                i("leader"),
                i("current_broker"),
                i("rack_aware_broker"),
            );
            let (bytes, lo, cur, ra) = (
                n("bytes"),
                n("leader_only_cross_az_bytes"),
                n("current_cross_az_bytes"),
                n("rack_aware_cross_az_bytes"),
            );
            DataFrame::new_infer_height(vec![
                group, member, topic, partition, mzone, rack, leader, lzone, current, czone,
                rack_aware, rzone, bytes, lo, cur, ra, reason,
            ])
        }
    }

    fn to_io(e: PolarsError) -> std::io::Error {
        std::io::Error::other(e.to_string())
    }

    /// Writes the rows that pass `filter`, one row group at a time, and
    /// shows each of them to `seen`.
    pub fn write(
        index: &Index<'_>,
        filter: &Filter,
        out: &mut impl Write,
        mut seen: impl FnMut(&ReadRow<'_>),
    ) -> std::io::Result<()> {
        let mut batch = Batch::new();
        let schema = batch.take().map_err(to_io)?.schema().as_ref().clone();
        // zstd's fastest level: this file holds every read of the cluster
        // (100 MB at 2M partitions), and at the default level compressing
        // it was the largest single cost of `azcost report` on one core.
        let level = polars_parquet::write::ZstdLevel::try_new(1).map_err(to_io)?;
        let mut writer = ParquetWriter::new(out)
            .with_compression(ParquetCompression::Zstd(Some(level)))
            .batched(&schema)
            .map_err(to_io)?;
        reads::for_each_read_indexed(index, |row| {
            if filter.keeps(row) {
                seen(row);
                batch.push(row);
                if batch.len() >= PARQUET_BATCH {
                    writer
                        .write_batch(&batch.take().map_err(to_io)?)
                        .map_err(to_io)?;
                }
            }
            Ok::<(), std::io::Error>(())
        })?;
        if batch.len() > 0 {
            writer
                .write_batch(&batch.take().map_err(to_io)?)
                .map_err(to_io)?;
        }
        writer.finish().map_err(to_io)?;
        Ok(())
    }
}
