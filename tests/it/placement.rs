//! The placement map (`azcost placement`, issue 15): every case works out
//! the serving broker and the crossing bytes by hand in a comment, and the
//! rows must agree, one reason at a time; the rows add up to the audit.
//!
//! Zones are A = use1-az1, B = use1-az2, C = use1-az3; brokers 1, 2, 3 sit
//! in A, B, C with broker.rack = their zone unless said otherwise.

use crate::support::*;
use azcost::model::Scenario;
use azcost::model::reads::{Reason, for_each_read};
use azcost::placement::{CSV_HEADER, cells};
use azcost::snapshot::{BytesRead, Snapshot};
use azcost::synth::{MessyParams, generate_messy};

const A: &str = "use1-az1";
const B: &str = "use1-az2";
const C: &str = "use1-az3";
const GB: f64 = GIB;

/// One row, owned: its 17 CSV cells and its numbers.
#[derive(Debug)]
struct Row {
    cells: [String; 17],
    cross: [f64; 3],
    reason: Reason,
}

impl Row {
    fn cell(&self, name: &str) -> &str {
        let i = CSV_HEADER
            .split(',')
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        &self.cells[i]
    }
    /// (leader, current, rack_aware) serving broker ids.
    fn brokers(&self) -> (&str, &str, &str) {
        (
            self.cell("leader"),
            self.cell("current_broker"),
            self.cell("rack_aware_broker"),
        )
    }
}

fn rows(s: &Snapshot) -> Vec<Row> {
    let problems = azcost::snapshot::validate(s);
    assert!(problems.is_empty(), "invalid test snapshot: {problems:?}");
    let mut out = Vec::new();
    for_each_read(s, |r| {
        out.push(Row {
            cells: cells(r),
            cross: r.cross,
            reason: r.reason,
        });
        Ok::<(), ()>(())
    })
    .expect("no error");
    out
}

fn three_zones() -> Snapshot {
    cluster(&[(1, A), (2, B), (3, C)])
}

/// One partition `t/0` of 1 GiB with `replicas` (leader first, ISR = all)
/// and one group `g` of one member in `zone` sending `rack`, owning it.
fn one_read(selector: bool, replicas: &[i32], zone: Option<&str>, rack: Option<&str>) -> Snapshot {
    let mut s = three_zones();
    if selector {
        selector_on(&mut s);
    }
    partition(&mut s, "t", 0, replicas, GB);
    group(&mut s, "g", vec![member(zone, rack, "t", &[0])]);
    s
}

fn only(s: &Snapshot) -> Row {
    let mut r = rows(s);
    assert_eq!(r.len(), 1, "{r:?}");
    r.remove(0)
}

#[test]
fn the_header_is_the_contract() {
    assert_eq!(
        CSV_HEADER,
        "consumer_group,member_id,topic,partition,member_zone,client_rack,leader,leader_zone,current_broker,current_zone,rack_aware_broker,rack_aware_zone,bytes,leader_only_cross_az_bytes,current_cross_az_bytes,rack_aware_cross_az_bytes,reason"
    );
}

#[test]
fn selector_off_leader_serves_even_with_a_right_rack() {
    // Leader 2 (B), followers 1 (A), 3 (C) in sync. Member in A sends rack A,
    // but the selector is off: current = leader 2 in B → 1 GiB crosses.
    // leader_only: 2 → 1 GiB. rack_aware: follower 1 sits in A → 0.
    let r = only(&one_read(false, &[2, 1, 3], Some(A), Some(A)));
    assert_eq!(r.brokers(), ("2", "2", "1"));
    assert_eq!(r.cell("current_zone"), B);
    assert_eq!(r.cell("rack_aware_zone"), A);
    assert_eq!(r.cross, [GB, GB, 0.0]);
    assert_eq!(r.reason, Reason::SelectorOff);
    assert_eq!(r.cell("reason"), "selector-off");
}

#[test]
fn local_when_the_leader_sits_in_the_members_zone() {
    // Leader 2 in B, member in B: every scenario is served by 2 in B → 0.
    let r = only(&one_read(false, &[2, 1, 3], Some(B), None));
    assert_eq!(r.brokers(), ("2", "2", "2"));
    assert_eq!(r.cross, [0.0, 0.0, 0.0]);
    assert_eq!(r.reason, Reason::Local);
}

#[test]
fn local_when_the_selector_picks_a_follower_in_zone() {
    // Selector on, member in A sends A: leader 2 (B) does not match, the
    // in-sync follower 1 (A) does → current = 1, local, 0 bytes; leader_only
    // still 1 GiB.
    let r = only(&one_read(true, &[2, 1, 3], Some(A), Some(A)));
    assert_eq!(r.brokers(), ("2", "1", "1"));
    assert_eq!(r.cross, [GB, 0.0, 0.0]);
    assert_eq!(r.reason, Reason::Local);
}

#[test]
fn no_client_rack_gets_the_leader() {
    // Selector on, member in A sends nothing → leader 2 (B): 1 GiB crosses
    // now; rack_aware: follower 1 in A → 0.
    let r = only(&one_read(true, &[2, 1, 3], Some(A), None));
    assert_eq!(r.brokers(), ("2", "2", "1"));
    assert_eq!(r.cross, [GB, GB, 0.0]);
    assert_eq!(r.reason, Reason::NoClientRack);
}

#[test]
fn an_az_name_matches_no_broker() {
    // Racks are AZ IDs; the member (in A) sends the AZ *name* us-east-1a,
    // which equals no broker.rack → leader 2 (B), 1 GiB crosses.
    let r = only(&one_read(true, &[2, 1, 3], Some(A), Some("us-east-1a")));
    assert_eq!(r.brokers(), ("2", "2", "1"));
    assert_eq!(r.cross, [GB, GB, 0.0]);
    assert_eq!(r.reason, Reason::RackMatchesNoBroker);
    assert_eq!(r.cell("client_rack"), "us-east-1a");
}

#[test]
fn a_rack_of_another_zone_is_served_there() {
    // Member runs in A but sends C: the selector picks in-sync follower 3
    // (C) → current served from C, 1 GiB crosses into A; rack_aware: 1 in A.
    let r = only(&one_read(true, &[2, 1, 3], Some(A), Some(C)));
    assert_eq!(r.brokers(), ("2", "3", "1"));
    assert_eq!(r.cell("current_zone"), C);
    assert_eq!(r.cross, [GB, GB, 0.0]);
    assert_eq!(r.reason, Reason::RackNamesOtherZone);
}

#[test]
fn an_out_of_sync_replica_never_serves() {
    // Replicas [2, 1, 3] but ISR [2, 3]: broker 1 (A) is out of sync. Member
    // in A sends A: no in-sync replica matches → leader 2 (B), 1 GiB; and
    // rack_aware has no in-sync replica in A either → leader, 1 GiB.
    let mut s = one_read(true, &[2, 1, 3], Some(A), Some(A));
    s.partitions[0].isr = vec![2, 3].into();
    let r = only(&s);
    assert_eq!(r.brokers(), ("2", "2", "2"));
    assert_eq!(r.cross, [GB, GB, GB]);
    assert_eq!(r.reason, Reason::NoInSyncReplicaInZone);
}

#[test]
fn ties_go_to_the_leader_first_then_isr_order() {
    // Brokers 1 and 4 both in A (rack A). Partition t/0: replicas [2, 4, 1],
    // ISR order [2, 4, 1] → of the matching followers, 4 comes first in the
    // ISR; with ISR [2, 1, 4], 1 does. Partition t/1 led by 1 (A) with 4 in
    // sync: the leader matches and serves.
    let mut s = cluster(&[(1, A), (2, B), (3, C), (4, A)]);
    selector_on(&mut s);
    partition(&mut s, "t", 0, &[2, 4, 1], GB);
    partition(&mut s, "t", 1, &[1, 4, 2], GB);
    group(&mut s, "g", vec![member(Some(A), Some(A), "t", &[0, 1])]);
    let r = rows(&s);
    assert_eq!(r[0].brokers(), ("2", "4", "4"));
    assert_eq!(r[1].brokers(), ("1", "1", "1"));
    s.partitions[0].isr = vec![2, 1, 4].into();
    let r = rows(&s);
    assert_eq!(r[0].brokers(), ("2", "1", "1"));
    for row in &r {
        assert_eq!(row.cross[Scenario::Current.index()], 0.0);
        assert_eq!(row.reason, Reason::Local);
    }
}

#[test]
fn unknown_zone_is_the_uniform_expectation() {
    // Member of unknown zone (no zone, no rack); t/0 has replicas [2, 1] (B
    // leads, A follows). Spread over 3 zones: leader_only and current cross
    // in 2 of 3 zones → 2/3 GiB; rack_aware is local in A and B, remote only
    // in C → 1/3 GiB. The member_zone cell is empty; the leader is shown.
    let r = only(&one_read(true, &[2, 1], None, None));
    assert_eq!(r.cell("member_zone"), "");
    assert_eq!(r.brokers(), ("2", "2", "2"));
    assert_close(r.cross[0], GB * 2.0 / 3.0);
    assert_close(r.cross[1], GB * 2.0 / 3.0);
    assert_close(r.cross[2], GB / 3.0);
    assert_eq!(r.reason, Reason::ZoneUnknown);
}

#[test]
fn reads_no_member_owns_have_an_empty_member_id() {
    // The group read 1 GiB from t/0 and 2 GiB from t/1 (bytes_read), but its
    // only member (in B) owns t/0. t/1 is read "from an unknown zone": led by
    // 3 (C), RF 1 → 2/3 of 2 GiB crosses in every scenario.
    let mut s = three_zones();
    partition(&mut s, "t", 0, &[2], GB);
    partition(&mut s, "t", 1, &[3], GB);
    group(&mut s, "g", vec![member(Some(B), None, "t", &[0])]);
    s.consumer_groups[0].bytes_read = Some(vec![
        BytesRead {
            topic: "t".into(),
            partition: 0,
            bytes: GB,
        },
        BytesRead {
            topic: "t".into(),
            partition: 1,
            bytes: 2.0 * GB,
        },
    ]);
    let r = rows(&s);
    assert_eq!(r.len(), 2);
    assert_ne!(r[0].cell("member_id"), "");
    assert_eq!(r[0].reason, Reason::Local);
    assert_eq!(r[1].cell("member_id"), "");
    assert_eq!(r[1].cell("bytes"), (2.0 * GB).to_string());
    for sc in 0..3 {
        assert_close(r[1].cross[sc], 2.0 * GB * 2.0 / 3.0);
    }
    assert_eq!(r[1].reason, Reason::ZoneUnknown);
    sums_match_the_audit(&s);
}

#[test]
fn offline_partitions_get_a_row_and_no_bytes() {
    // t/0 has no leader: its read is listed (1 GiB read), served by nobody,
    // 0 bytes in every scenario, reason offline; the audit leaves it out too.
    let mut s = one_read(true, &[2, 1, 3], Some(A), Some(A));
    s.partitions[0].leader = None;
    s.partitions[0].isr = vec![].into();
    let r = only(&s);
    assert_eq!(r.brokers(), ("", "", ""));
    assert_eq!(r.cell("leader_zone"), "");
    assert_eq!(r.cell("bytes"), GB.to_string());
    assert_eq!(r.cross, [0.0, 0.0, 0.0]);
    assert_eq!(r.reason, Reason::Offline);
    sums_match_the_audit(&s);
}

/// The rows' crossing bytes add up to the audit's consume bytes per
/// scenario: to the byte (sums of the same terms in another order).
fn sums_match_the_audit(s: &Snapshot) -> usize {
    let a = audit(s);
    let r = rows(s);
    for sc in Scenario::ALL {
        let sum: f64 = r.iter().map(|row| row.cross[sc.index()]).sum();
        let audit = a.scenarios.get(sc).consume_cross_az_bytes;
        assert!(
            (sum - audit).abs() < 1.0,
            "{}: rows {sum} vs audit {audit}",
            sc.as_str()
        );
    }
    r.len()
}

#[test]
fn rows_sum_to_the_audit_on_the_demo() {
    let s = azcost::snapshot::load(&azcost::snapshot::SnapshotSource::Demo).expect("demo");
    assert!(sums_match_the_audit(&s) > 0);
}

#[test]
fn rows_sum_to_the_audit_on_a_messy_snapshot() {
    // Unknown zones, AZ-name racks, out-of-sync replicas, groups with and
    // without bytes_read: the rows still add up.
    let s = generate_messy(&MessyParams {
        seed: 11,
        partitions: 3_000,
        groups: 40,
    });
    let r = rows(&s);
    let reasons: std::collections::BTreeSet<Reason> = r.iter().map(|row| row.reason).collect();
    assert!(reasons.contains(&Reason::ZoneUnknown), "{reasons:?}");
    assert!(reasons.len() >= 3, "{reasons:?}");
    assert!(sums_match_the_audit(&s) > 0);
}

#[test]
fn every_cross_is_bytes_or_a_share_of_them() {
    // A known-zone row crosses all its bytes or none; an unknown-zone row at
    // most (n−1)/n of them; an offline row none.
    let s = generate_messy(&MessyParams {
        seed: 3,
        partitions: 1_000,
        groups: 10,
    });
    for row in rows(&s) {
        let bytes: f64 = row.cell("bytes").parse().expect("bytes");
        for c in row.cross {
            match row.reason {
                Reason::Offline => assert_eq!(c, 0.0),
                Reason::ZoneUnknown => assert!(c <= bytes),
                _ => assert!(c == 0.0 || c == bytes, "{row:?}"),
            }
        }
        if row.reason == Reason::Local {
            assert_eq!(row.cross[Scenario::Current.index()], 0.0);
        }
    }
}

fn azcost(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .output()
        .expect("azcost runs")
}

#[test]
fn the_command_writes_csv_with_the_header_and_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("placement.csv");
    let p = path.to_str().expect("utf-8 path");
    let out = azcost(&["placement", "-q", "--format", "csv", "-o", p]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = std::fs::read_to_string(&path).expect("written");
    assert_eq!(all.lines().next(), Some(CSV_HEADER));
    let demo = azcost::snapshot::load(&azcost::snapshot::SnapshotSource::Demo).expect("demo");
    assert_eq!(all.lines().count(), rows(&demo).len() + 1);
    let out = azcost(&["placement", "-q", "--format", "csv", "--crossing-only"]);
    let crossing = String::from_utf8_lossy(&out.stdout).into_owned();
    let current = CSV_HEADER
        .split(',')
        .position(|h| h == "current_cross_az_bytes")
        .expect("column");
    assert!(crossing.lines().count() > 1);
    for line in crossing.lines().skip(1) {
        let v: f64 = line
            .split(',')
            .nth(current)
            .expect("cell")
            .parse()
            .expect("number");
        assert!(v > 0.0, "{line}");
    }
    // A missing output directory is refused before the snapshot is read.
    let missing = dir.path().join("no/such/dir/p.csv");
    let out = azcost(&["placement", "-o", missing.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("--output") && !err.contains("demo"), "{err}");
    let bad = azcost(&["placement", "--topic", "("]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--topic"));
}

#[test]
fn json_and_parquet_hold_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("p.json");
    let parquet = dir.path().join("p.parquet");
    for (format, path) in [("json", &json), ("parquet", &parquet)] {
        let out = azcost(&[
            "placement",
            "-q",
            "-f",
            format,
            "-o",
            path.to_str().expect("utf-8"),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let doc: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("array");
    let demo = azcost::snapshot::load(&azcost::snapshot::SnapshotSource::Demo).expect("demo");
    assert_eq!(doc.len(), rows(&demo).len());
    let keys: Vec<&str> = doc[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut header: Vec<&str> = CSV_HEADER.split(',').collect();
    header.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, header);
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(&parquet).expect("parquet"))
        .finish()
        .expect("readable");
    assert_eq!(df.height(), doc.len());
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names.join(","), CSV_HEADER);
}

#[test]
fn the_zone_matrix_holds_every_crossing_byte_once() {
    // Each kind's matrix adds up to the audit's total of that kind, per
    // scenario, and its diagonal is empty (bytes inside a zone never cross).
    use azcost::model::Traffic;
    use azcost::model::matrix::ZoneMatrix;
    for s in [
        azcost::snapshot::load(&azcost::snapshot::SnapshotSource::Demo).expect("demo"),
        generate_messy(&MessyParams {
            seed: 5,
            partitions: 2_000,
            groups: 20,
        }),
    ] {
        let a = audit(&s);
        let m = ZoneMatrix::from_pairs(&a.by_zone_pair);
        for sc in Scenario::ALL {
            let t = a.scenarios.get(sc);
            for (kind, total) in [
                (Traffic::Produce, t.produce_cross_az_bytes),
                (Traffic::Replication, t.replication_cross_az_bytes),
                (Traffic::Consume, t.consume_cross_az_bytes),
            ] {
                let cells = m.get(sc, kind);
                let sum: f64 = cells.iter().flatten().sum();
                assert_close(sum, total);
                for (i, row) in cells.iter().enumerate() {
                    assert_eq!(row[i], 0.0, "{} {:?} diagonal", sc.as_str(), kind);
                }
            }
        }
    }
}

#[test]
fn the_report_bundle_has_the_map_and_why_it_still_crosses() {
    // `azcost report` on the demo: placement.parquet holds every read, its
    // current crossing bytes add up to the audit's; summary.md and
    // summary.html list the reasons largest first, and their monthly USD add
    // up to the current consume cost (consume is always billed).
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");
    let cfg = dir.path().join("azcost.toml");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nout = \"out\"\n\n[[clusters]]\nname = \"demo\"\nsnapshot = \"{demo}\"\n"
        ),
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args([
            "report",
            "-q",
            "-c",
            cfg.to_str().expect("utf-8"),
            "--date",
            "2026-11-22",
        ])
        .env_remove("AZCOST_OUT")
        .env_remove("AZCOST_CONFIG")
        .env_remove("AZCOST_DATE")
        .output()
        .expect("azcost runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = dir.path().join("out/cluster=demo/date=2026-11-22");
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(b.join("placement.parquet")).expect("file"))
        .finish()
        .expect("parquet");
    let s = azcost::snapshot::load(&azcost::snapshot::SnapshotSource::Demo).expect("demo");
    let a = audit(&s);
    assert_eq!(df.height(), rows(&s).len());
    let current: f64 = df
        .column("current_cross_az_bytes")
        .expect("column")
        .f64()
        .expect("f64")
        .sum()
        .expect("rows");
    assert!((current - a.scenarios.current.consume_cross_az_bytes).abs() < 1.0);
    let md = std::fs::read_to_string(b.join("summary.md")).expect("summary.md");
    let section = &md[md.find("Why it still crosses").expect("section")..];
    let usd: Vec<f64> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains("reason"))
        .map(|l| {
            let cell = l.split('|').nth(3).expect("usd cell").trim();
            cell.trim_start_matches('$')
                .replace(',', "")
                .parse()
                .expect("usd")
        })
        .collect();
    assert!(usd.len() >= 2, "{section}");
    assert!(
        usd.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {usd:?}"
    );
    let consume_monthly =
        a.scenarios.current.consume_cross_az_bytes / GIB * 0.02 * 730.0 * 3600.0 / a.window_seconds;
    assert!((usd.iter().sum::<f64>() - consume_monthly).abs() < 0.01 * usd.len() as f64);
    let html = std::fs::read_to_string(b.join("summary.html")).expect("summary.html");
    assert!(html.contains("id=\"why-crosses\""));
    // The two zone-matrix heat maps (consume, produce) beside the charts.
    assert!(html.contains("consume GB crossing zones (current)"));
    assert!(html.contains("produce GB crossing zones (current)"));
    assert!(html.trim_end().ends_with("</body></html>"));
}
