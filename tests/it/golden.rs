//! Golden files for every rendering of the demo: fixed width, no colour.
//! Regenerate deliberately: `INSTA_UPDATE=always cargo test --test it golden`,
//! then read the diff before committing it.

use azcost::findings::{FindingOptions, find_grouped};
use azcost::model::{Pricing, analyze};
use azcost::report::{Format, render};
use azcost::snapshot::{SnapshotSource, load};

fn demo(format: Format) -> String {
    let s = load(&SnapshotSource::Demo).expect("demo loads");
    let a = analyze(&s, &Pricing::default());
    let f = find_grouped(&s, &a, &FindingOptions::default());
    render(&a, &f, format, None, 10).expect("renders")
}

#[test]
fn demo_table() {
    insta::assert_snapshot!("demo_table", demo(Format::Table));
}

#[test]
fn demo_markdown() {
    insta::assert_snapshot!("demo_markdown", demo(Format::Markdown));
}

#[test]
fn demo_csv() {
    insta::assert_snapshot!("demo_csv", demo(Format::Csv));
}

#[test]
fn demo_json() {
    insta::assert_snapshot!("demo_json", demo(Format::Json));
}

#[test]
fn every_format_is_byte_identical_across_runs() {
    for format in [Format::Table, Format::Markdown, Format::Csv, Format::Json] {
        assert_eq!(
            demo(format),
            demo(format),
            "{format:?} differs between runs"
        );
    }
}

#[test]
fn csv_header_is_the_promised_one() {
    let csv = demo(Format::Csv);
    assert_eq!(
        csv.lines().next(),
        Some(
            "cluster,window_start,window_end,scenario,traffic,topic,consumer_group,src_zone,dst_zone,bytes,gb,usd,monthly_usd,billed"
        )
    );
    assert_eq!(
        azcost::model::frames::FINANCE_COLUMNS.join(","),
        csv.lines().next().unwrap_or_default()
    );
}

#[test]
fn breakdown_frames_have_typed_columns_and_a_row_per_key_and_scenario() {
    let s = load(&SnapshotSource::Demo).expect("demo loads");
    let a = analyze(&s, &Pricing::default());
    let df = azcost::model::frames::breakdowns(&a).expect("frame");
    let keys = a.by_topic.len() + a.by_group.len() + a.by_zone_pair.len() + a.by_member.len();
    assert_eq!(df.height(), 3 * keys);
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "breakdown",
            "topic",
            "consumer_group",
            "member_id",
            "src_zone",
            "dst_zone",
            "traffic",
            "scenario",
            "bytes",
            "usd",
            "monthly_usd"
        ]
    );
    assert_eq!(
        df.column("bytes").expect("bytes").dtype(),
        &polars::prelude::DataType::Float64
    );
    let finance = azcost::model::frames::finance(&a).expect("frame");
    assert_eq!(finance.height(), a.flows.len());
    assert_eq!(
        finance.column("billed").expect("billed").dtype(),
        &polars::prelude::DataType::Boolean
    );
}
