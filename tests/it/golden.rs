//! Golden files for every rendering of the demo: fixed width, no colour.
//! Regenerate deliberately: `INSTA_UPDATE=always cargo test --test it golden`,
//! then read the diff before committing it.

use azcost::model::{Pricing, analyze};
use azcost::report::{Format, render};
use azcost::snapshot::{SnapshotSource, load};

fn demo(format: Format) -> String {
    let s = load(&SnapshotSource::Demo).expect("demo loads");
    let a = analyze(&s, &Pricing::default());
    render(&a, format, None, 10).expect("renders")
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
