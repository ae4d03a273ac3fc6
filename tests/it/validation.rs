//! One test per rule of `snapshot-v1.md`: each takes the demo snapshot,
//! breaks exactly one thing, and checks that the problem is reported at the
//! exact JSON path with a message that says what was expected.

use crate::support::{demo_value, problems};
use azcost::error::Error;
use azcost::snapshot::parse_and_validate;
use serde_json::{Value, json};

/// Asserts that `problems(v)` holds an entry at exactly `path` whose message
/// contains `word`; prints every problem when it does not.
#[track_caller]
fn assert_problem(v: &Value, path: &str, word: &str) {
    let found = problems(v);
    assert_problem_in(&found, path, word);
}

#[track_caller]
fn assert_problem_in(found: &[String], path: &str, word: &str) {
    let prefix = format!("{path}: ");
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&prefix) && p.contains(word)),
        "expected a problem at `{path}` mentioning {word:?}, got {found:#?}"
    );
}

#[track_caller]
fn assert_valid(v: &Value) {
    let found = problems(v);
    assert!(
        found.is_empty(),
        "expected a valid snapshot, got {found:#?}"
    );
}

/// Parses raw bytes as "case.json"; returns the error's Display and its
/// problems as `path: message` lines. Panics when the bytes are accepted or
/// the error is of another kind.
fn raw_error(bytes: &[u8]) -> (String, Vec<String>) {
    match parse_and_validate(bytes, "case.json") {
        Ok(_) => panic!(
            "expected {:?} to be rejected",
            String::from_utf8_lossy(bytes)
        ),
        Err(err @ Error::InvalidSnapshot { .. }) => {
            let display = err.to_string();
            let Error::InvalidSnapshot { file, problems } = err else {
                unreachable!()
            };
            assert_eq!(file, "case.json");
            (display, problems.iter().map(|p| p.to_string()).collect())
        }
        Err(other) => panic!("expected an invalid-snapshot error, got {other}"),
    }
}

/// The demo as compact JSON text with the string value `"@@"` replaced by
/// `raw` — for values a `serde_json::Value` cannot hold (such as 1e999).
fn demo_text_with(edit: impl FnOnce(&mut Value), raw: &str) -> Vec<u8> {
    let mut v = demo_value();
    edit(&mut v);
    let text = serde_json::to_string(&v).expect("serializable");
    assert_eq!(text.matches("\"@@\"").count(), 1, "one placeholder");
    text.replace("\"@@\"", raw).into_bytes()
}

fn remove(v: &mut Value, key: &str) {
    v.as_object_mut()
        .expect("an object")
        .remove(key)
        .unwrap_or_else(|| panic!("{key} was present"));
}

// ---------------------------------------------------------------- the demo

#[test]
fn demo_snapshot_is_valid() {
    assert_valid(&demo_value());
}

#[test]
fn demo_indices_used_by_these_tests_are_as_assumed() {
    let v = demo_value();
    assert_eq!(v["partitions"][0]["topic"], "orders");
    assert_eq!(v["partitions"][0]["partition"], 0);
    assert_eq!(v["partitions"][0]["replicas"], json!([1, 2, 3]));
    assert_eq!(v["partitions"][3]["replicas"], json!([4, 5, 6]));
    assert_eq!(v["partitions"][6]["topic"], "payments");
    assert_eq!(v["partitions"][17]["leader"], -1);
    assert_eq!(v["brokers"].as_array().unwrap().len(), 6);
    assert_eq!(
        v["zones"][0],
        json!({"id": "use1-az4", "name": "us-east-1a"})
    );
    assert_eq!(
        v["zones"][1],
        json!({"id": "use1-az6", "name": "us-east-1b"})
    );
    assert_eq!(
        v["zones"][2],
        json!({"id": "use1-az1", "name": "us-east-1c"})
    );
    assert_eq!(v["consumer_groups"][0]["group"], "billing-service");
    assert_eq!(v["consumer_groups"][1]["group"], "analytics-etl");
    assert_eq!(v["consumer_groups"][3]["group"], "search-indexer");
    assert_eq!(
        v["consumer_groups"][3]["bytes_read"][0]["topic"],
        "clickstream"
    );
    assert_eq!(v["consumer_groups"][3]["bytes_read"][0]["partition"], 0);
}

// ---------------------------------------------------------------- format

#[test]
fn wrong_format_is_named_by_path() {
    let mut v = demo_value();
    v["format"] = json!("azcost.snapshot/v2");
    assert_problem(&v, "format", "azcost.snapshot/v1");
    assert_problem(&v, "format", "exactly");
}

#[test]
fn format_of_wrong_type_is_named_by_path() {
    let mut v = demo_value();
    v["format"] = json!(1);
    assert_problem(&v, "format", "azcost.snapshot/v1");
}

#[test]
fn missing_format_is_named_by_path() {
    let mut v = demo_value();
    remove(&mut v, "format");
    assert_problem(&v, "format", "missing");
}

// ---------------------------------------------------------------- cluster

#[test]
fn empty_cluster_name_is_named_by_path() {
    let mut v = demo_value();
    v["cluster"]["name"] = json!("");
    assert_problem(&v, "cluster.name", "non-empty");
}

#[test]
fn blank_cluster_name_is_named_by_path() {
    let mut v = demo_value();
    v["cluster"]["name"] = json!("   ");
    assert_problem(&v, "cluster.name", "non-empty");
}

#[test]
fn missing_cluster_name_is_named_by_path() {
    let mut v = demo_value();
    v["cluster"].as_object_mut().unwrap().remove("name");
    assert_problem(&v, "cluster", "missing field `name`");
}

#[test]
fn unknown_platform_is_named_by_path() {
    let mut v = demo_value();
    v["cluster"]["platform"] = json!("gcp");
    assert_problem(&v, "cluster.platform", "self-managed");
    assert_problem(&v, "cluster.platform", "msk");
}

#[test]
fn both_platforms_and_absent_platform_are_valid() {
    for platform in [json!("msk"), json!("self-managed")] {
        let mut v = demo_value();
        v["cluster"]["platform"] = platform;
        assert_valid(&v);
    }
    let mut v = demo_value();
    v["cluster"].as_object_mut().unwrap().remove("platform");
    assert_valid(&v);
}

#[test]
fn absent_or_null_replica_selector_is_valid() {
    let mut v = demo_value();
    v["cluster"]["replica_selector"] = Value::Null;
    assert_valid(&v);
    v["cluster"]
        .as_object_mut()
        .unwrap()
        .remove("replica_selector");
    assert_valid(&v);
}

// ---------------------------------------------------------------- window

#[test]
fn window_start_not_rfc3339_is_named_by_path() {
    let mut v = demo_value();
    v["window"]["start"] = json!("yesterday");
    assert_problem(&v, "window.start", "RFC 3339");
}

#[test]
fn window_start_without_offset_is_named_by_path() {
    let mut v = demo_value();
    v["window"]["start"] = json!("2026-11-01T00:00:00");
    assert_problem(&v, "window.start", "RFC 3339");
}

#[test]
fn window_end_not_rfc3339_is_named_by_path() {
    let mut v = demo_value();
    v["window"]["end"] = json!("2026-11-02");
    assert_problem(&v, "window.end", "RFC 3339");
}

#[test]
fn window_end_before_start_is_named_by_path() {
    let mut v = demo_value();
    v["window"]["end"] = json!("2026-10-31T00:00:00Z");
    assert_problem(&v, "window.end", "after window.start");
}

#[test]
fn window_end_equal_to_start_is_named_by_path() {
    let mut v = demo_value();
    v["window"]["end"] = v["window"]["start"].clone();
    assert_problem(&v, "window.end", "after window.start");
}

#[test]
fn window_end_equal_to_start_in_another_offset_is_named_by_path() {
    let mut v = demo_value();
    v["window"]["end"] = json!("2026-11-01T02:00:00+02:00");
    assert_problem(&v, "window.end", "after window.start");
}

/// snapshot-v1.md requires RFC 3339; these are ISO 8601 / RFC 9557 forms
/// that RFC 3339 does not allow (basic format, no minutes, no seconds, offset
/// without a colon, offset without minutes, expanded year). Exposes a
/// validator bug: `parse_rfc3339` (validate.rs) uses jiff's lenient
/// `Timestamp` parser, which accepts all of them.
#[test]
fn window_start_in_non_rfc3339_iso8601_forms_is_named_by_path() {
    for text in [
        "20261101T000000Z",
        "2026-11-01T00Z",
        "2026-11-01T00:00Z",
        "2026-11-01T00:00:00+0000",
        "2026-11-01T00:00:00+00",
        "+002026-11-01T00:00:00Z",
    ] {
        let mut v = demo_value();
        v["window"]["start"] = json!(text);
        let found = problems(&v);
        assert!(
            found
                .iter()
                .any(|p| p.starts_with("window.start: ") && p.contains("RFC 3339")),
            "{text:?} is not RFC 3339 but was accepted: {found:#?}"
        );
    }
}

#[test]
fn window_in_rfc3339_variants_is_valid() {
    // RFC 3339 §5.6 allows fractions, lower-case t/z and (NOTE) a space.
    for start in [
        "2026-11-01T00:00:00.5Z",
        "2026-11-01t00:00:00z",
        "2026-11-01 00:00:00Z",
        "2026-11-01T00:00:00-00:00",
    ] {
        let mut v = demo_value();
        v["window"]["start"] = json!(start);
        assert_valid(&v);
    }
}

#[test]
fn window_with_offsets_is_valid() {
    let mut v = demo_value();
    v["window"]["start"] = json!("2026-11-01T02:00:00+02:00");
    v["window"]["end"] = json!("2026-11-01T19:00:00-05:00");
    assert_valid(&v);
}

// ---------------------------------------------------------------- zones

#[test]
fn duplicate_zone_id_is_named_by_path() {
    let mut v = demo_value();
    v["zones"][2]["id"] = json!("use1-az4");
    assert_problem(&v, "zones[2].id", "duplicate zone id");
}

#[test]
fn duplicate_zone_name_is_named_by_path() {
    let mut v = demo_value();
    v["zones"][2]["name"] = json!("us-east-1a");
    assert_problem(&v, "zones[2].name", "duplicate zone name");
}

#[test]
fn zones_without_names_or_absent_are_valid() {
    // Zones are optional; unmapped AZ names in member zones are not a rule.
    let mut v = demo_value();
    v["zones"][1].as_object_mut().unwrap().remove("name");
    assert_valid(&v);
    remove(&mut v, "zones");
    assert_valid(&v);
}

// ---------------------------------------------------------------- brokers

#[test]
fn duplicate_broker_id_is_named_by_path() {
    let mut v = demo_value();
    v["brokers"][4]["id"] = json!(2);
    assert_problem(&v, "brokers[4].id", "duplicate broker id");
}

#[test]
fn broker_with_neither_zone_nor_rack_is_named_by_path() {
    let mut v = demo_value();
    v["brokers"][2].as_object_mut().unwrap().remove("rack");
    assert_problem(&v, "brokers[2]", "\"zone\" or a \"rack\"");
}

#[test]
fn broker_with_zone_and_no_rack_is_valid() {
    let mut v = demo_value();
    let b = v["brokers"][2].as_object_mut().unwrap();
    b.remove("rack");
    b.insert("zone".into(), json!("use1-az1"));
    assert_valid(&v);
}

#[test]
fn broker_id_as_string_is_named_by_path() {
    let mut v = demo_value();
    v["brokers"][1]["id"] = json!("2");
    assert_problem(&v, "brokers[1].id", "i32");
}

#[test]
fn broker_id_fractional_is_named_by_path() {
    let mut v = demo_value();
    v["brokers"][1]["id"] = json!(1.5);
    assert_problem(&v, "brokers[1].id", "i32");
}

#[test]
fn broker_id_above_i32_range_is_named_by_path() {
    let mut v = demo_value();
    v["brokers"][1]["id"] = json!(2_147_483_648_i64);
    assert_problem(&v, "brokers[1].id", "i32");
}

#[test]
fn broker_id_below_i32_range_is_named_by_path() {
    let mut v = demo_value();
    v["brokers"][1]["id"] = json!(-2_147_483_649_i64);
    assert_problem(&v, "brokers[1].id", "i32");
}

#[test]
fn missing_brokers_key_is_named_by_path() {
    let mut v = demo_value();
    remove(&mut v, "brokers");
    assert_problem(&v, ".", "missing field `brokers`");
}

// ---------------------------------------------------------------- partitions

#[test]
fn duplicate_topic_partition_is_named_by_path() {
    let mut v = demo_value();
    // partitions[6] is payments/0; make it a second orders/0.
    v["partitions"][6]["topic"] = json!("orders");
    assert_problem(&v, "partitions[6]", "duplicate partition orders/0");
}

#[test]
fn same_partition_number_in_different_topics_is_valid() {
    // The demo has orders/0, payments/0, clickstream/0 and audit-log/0.
    assert_valid(&demo_value());
}

#[test]
fn replica_naming_unknown_broker_is_named_by_path() {
    let mut v = demo_value();
    // replicas [4, 5, 6] → [4, 5, 99]; isr follows so only the replica is wrong.
    v["partitions"][3]["replicas"][2] = json!(99);
    v["partitions"][3]["isr"] = json!([4, 5]);
    assert_problem(&v, "partitions[3].replicas[2]", "not in brokers[]");
}

#[test]
fn replica_listed_twice_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["replicas"] = json!([1, 2, 1]);
    v["partitions"][0]["isr"] = json!([1, 2]);
    assert_problem(&v, "partitions[0].replicas[2]", "twice");
}

#[test]
fn isr_member_naming_unknown_broker_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][3]["isr"][1] = json!(99);
    assert_problem(&v, "partitions[3].isr[1]", "not in brokers[]");
}

#[test]
fn isr_member_not_in_replicas_is_named_by_path() {
    let mut v = demo_value();
    // partitions[0] has replicas [1, 2, 3]; broker 4 exists but is not a replica.
    v["partitions"][0]["isr"][2] = json!(4);
    assert_problem(&v, "partitions[0].isr[2]", "subset of replicas");
}

#[test]
fn isr_listed_twice_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["isr"] = json!([1, 2, 2]);
    assert_problem(&v, "partitions[0].isr[2]", "twice");
}

#[test]
fn leader_not_in_replicas_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["leader"] = json!(4);
    assert_problem(&v, "partitions[0].leader", "replicas");
}

#[test]
fn leader_unknown_broker_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["leader"] = json!(99);
    assert_problem(&v, "partitions[0].leader", "replicas");
}

#[test]
fn leader_minus_one_is_valid_offline() {
    let mut v = demo_value();
    v["partitions"][0]["leader"] = json!(-1);
    assert_valid(&v);
}

#[test]
fn leader_null_is_valid_offline() {
    let mut v = demo_value();
    v["partitions"][0]["leader"] = Value::Null;
    assert_valid(&v);
}

#[test]
fn leader_absent_is_valid_offline() {
    let mut v = demo_value();
    v["partitions"][0].as_object_mut().unwrap().remove("leader");
    assert_valid(&v);
}

#[test]
fn leader_minus_two_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["leader"] = json!(-2);
    assert_problem(&v, "partitions[0].leader", "replicas");
}

#[test]
fn negative_partition_index_is_named_by_path() {
    let mut v = demo_value();
    // Assignments of orders/0 now also fail; only this problem is checked.
    v["partitions"][0]["partition"] = json!(-1);
    assert_problem(&v, "partitions[0].partition", "≥ 0");
}

#[test]
fn empty_topic_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][15]["topic"] = json!("");
    assert_problem(&v, "partitions[15].topic", "non-empty");
}

#[test]
fn negative_bytes_in_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["bytes_in"] = json!(-1.0);
    assert_problem(&v, "partitions[0].bytes_in", "≥ 0");
}

#[test]
fn zero_bytes_in_is_valid() {
    let mut v = demo_value();
    v["partitions"][0]["bytes_in"] = json!(0);
    assert_valid(&v);
}

#[test]
fn fractional_bytes_in_is_valid() {
    let mut v = demo_value();
    v["partitions"][0]["bytes_in"] = json!(12.5);
    assert_valid(&v);
}

#[test]
fn bytes_in_nan_string_is_a_type_error_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["bytes_in"] = json!("NaN");
    assert_problem(&v, "partitions[0].bytes_in", "invalid type");
    assert_problem(&v, "partitions[0].bytes_in", "f64");
}

#[test]
fn bytes_in_null_is_a_type_error_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]["bytes_in"] = Value::Null;
    assert_problem(&v, "partitions[0].bytes_in", "invalid type");
}

#[test]
fn bytes_in_1e999_is_out_of_range_named_by_path() {
    let bytes = demo_text_with(|v| v["partitions"][0]["bytes_in"] = json!("@@"), "1e999");
    let (display, found) = raw_error(&bytes);
    assert!(display.contains("case.json"), "{display}");
    assert_problem_in(&found, "partitions[0].bytes_in", "out of range");
    assert_problem_in(&found, "partitions[0].bytes_in", "finite");
}

#[test]
fn bytes_in_minus_1e999_is_out_of_range_named_by_path() {
    let bytes = demo_text_with(|v| v["partitions"][5]["bytes_in"] = json!("@@"), "-1e999");
    let (_, found) = raw_error(&bytes);
    assert_problem_in(&found, "partitions[5].bytes_in", "out of range");
}

#[test]
fn missing_bytes_in_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][0]
        .as_object_mut()
        .unwrap()
        .remove("bytes_in");
    assert_problem(&v, "partitions[0]", "missing field `bytes_in`");
}

#[test]
fn missing_replicas_is_named_by_path() {
    let mut v = demo_value();
    v["partitions"][4]
        .as_object_mut()
        .unwrap()
        .remove("replicas");
    assert_problem(&v, "partitions[4]", "missing field `replicas`");
}

#[test]
fn missing_partitions_key_is_named_by_path() {
    let mut v = demo_value();
    remove(&mut v, "partitions");
    assert_problem(&v, ".", "missing field `partitions`");
}

#[test]
fn missing_window_end_is_named_by_path() {
    let mut v = demo_value();
    v["window"].as_object_mut().unwrap().remove("end");
    assert_problem(&v, "window", "missing field `end`");
}

// ---------------------------------------------------------------- groups

#[test]
fn assignment_naming_missing_partition_is_named_by_path() {
    let mut v = demo_value();
    // billing-service member 0: orders [0, 3]; orders has partitions 0..=5.
    v["consumer_groups"][0]["members"][0]["assignment"][0]["partitions"][1] = json!(42);
    assert_problem(
        &v,
        "consumer_groups[0].members[0].assignment[0].partitions[1]",
        "not in partitions[]",
    );
}

#[test]
fn assignment_naming_missing_topic_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][0]["members"][1]["assignment"][1]["topic"] = json!("nope");
    assert_problem(
        &v,
        "consumer_groups[0].members[1].assignment[1].partitions[0]",
        "nope/0 is not in partitions[]",
    );
}

#[test]
fn partition_assigned_to_two_members_of_a_group_is_named_by_path() {
    let mut v = demo_value();
    // billing member 1 gets orders/0, which member 0 already owns.
    v["consumer_groups"][0]["members"][1]["assignment"][0]["partitions"][1] = json!(0);
    assert_problem(
        &v,
        "consumer_groups[0].members[1].assignment[0].partitions[1]",
        "already assigned to consumer_groups[0].members[0]",
    );
}

#[test]
fn same_partition_assigned_in_two_groups_is_valid() {
    let mut v = demo_value();
    // audit-archiver (group 4) also takes orders/0..=5, all owned in billing.
    v["consumer_groups"][4]["members"][0]["assignment"]
        .as_array_mut()
        .unwrap()
        .push(json!({"topic": "orders", "partitions": [0, 1, 2, 3, 4, 5]}));
    assert_valid(&v);
}

#[test]
fn duplicate_group_name_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][4]["group"] = json!("billing-service");
    assert_problem(&v, "consumer_groups[4].group", "duplicate group");
}

#[test]
fn empty_member_zone_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][0]["members"][2]["zone"] = json!("");
    assert_problem(&v, "consumer_groups[0].members[2].zone", "non-empty");
}

#[test]
fn member_with_no_optional_fields_is_valid() {
    let mut v = demo_value();
    v["consumer_groups"][2]["members"][1] = json!({});
    assert_valid(&v);
}

#[test]
fn bytes_read_naming_unknown_partition_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][3]["bytes_read"][2]["partition"] = json!(17);
    assert_problem(
        &v,
        "consumer_groups[3].bytes_read[2]",
        "clickstream/17 is not in partitions[]",
    );
}

#[test]
fn bytes_read_duplicate_entry_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][3]["bytes_read"][4]["partition"] = json!(1);
    assert_problem(&v, "consumer_groups[3].bytes_read[4]", "duplicate read");
    assert_problem(
        &v,
        "consumer_groups[3].bytes_read[4]",
        "also consumer_groups[3].bytes_read[1]",
    );
}

#[test]
fn bytes_read_negative_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][3]["bytes_read"][5]["bytes"] = json!(-5);
    assert_problem(&v, "consumer_groups[3].bytes_read[5].bytes", "≥ 0");
}

#[test]
fn bytes_read_missing_bytes_is_named_by_path() {
    let mut v = demo_value();
    v["consumer_groups"][3]["bytes_read"][5]
        .as_object_mut()
        .unwrap()
        .remove("bytes");
    assert_problem(
        &v,
        "consumer_groups[3].bytes_read[5]",
        "missing field `bytes`",
    );
}

#[test]
fn bytes_read_empty_list_is_valid() {
    let mut v = demo_value();
    v["consumer_groups"][3]["bytes_read"] = json!([]);
    assert_valid(&v);
}

// ---------------------------------------------------------------- producers

#[test]
fn zone_share_naming_non_broker_zone_is_named_by_path() {
    let mut v = demo_value();
    v["producers"]["zone_shares"]["use1-az2"] = json!(0.0);
    assert_problem(
        &v,
        "producers.zone_shares.use1-az2",
        "not a zone of the cluster's brokers",
    );
}

#[test]
fn zone_share_naming_unlisted_az_name_is_named_by_path() {
    let mut v = demo_value();
    v["producers"]["zone_shares"]["us-east-1d"] = json!(0.0);
    assert_problem(
        &v,
        "producers.zone_shares.us-east-1d",
        "not a zone of the cluster's brokers",
    );
}

#[test]
fn zone_shares_not_summing_to_one_are_named_by_path() {
    let mut v = demo_value();
    v["producers"]["zone_shares"]["use1-az1"] = json!(0.3);
    assert_problem(&v, "producers.zone_shares", "sum to 1");
}

#[test]
fn zone_shares_within_tolerance_are_valid() {
    let mut v = demo_value();
    v["producers"]["zone_shares"]["use1-az1"] = json!(0.2 + 5e-7);
    assert_valid(&v);
}

#[test]
fn zone_share_negative_is_named_by_path() {
    let mut v = demo_value();
    // 1.0 - 0.2 + 0.2 still sums to 1: only the sign is wrong.
    v["producers"]["zone_shares"] = json!({"use1-az4": 1.0, "use1-az6": -0.2, "use1-az1": 0.2});
    assert_problem(&v, "producers.zone_shares.use1-az6", "≥ 0");
}

/// Two rules broken at once (a share < 0, and a sum of 0 instead of 1):
/// both must be reported. Exposes a validator bug: in `producers`
/// (validate.rs), a negative share sets `all_finite = false`, which
/// suppresses the sum check although every share is finite.
#[test]
fn zone_share_negative_and_wrong_sum_are_both_reported() {
    let mut v = demo_value();
    v["producers"]["zone_shares"] = json!({"use1-az4": -0.5, "use1-az6": 0.3, "use1-az1": 0.2});
    let found = problems(&v);
    assert_problem_in(&found, "producers.zone_shares.use1-az4", "≥ 0");
    assert_problem_in(&found, "producers.zone_shares", "sum to 1");
}

#[test]
fn zone_share_by_az_name_and_by_az_id_is_named_by_path() {
    let mut v = demo_value();
    // us-east-1a is use1-az4, which is also given by its ID.
    v["producers"]["zone_shares"] =
        json!({"use1-az4": 0.25, "us-east-1a": 0.25, "use1-az6": 0.3, "use1-az1": 0.2});
    let found = problems(&v);
    let hit = |path: &str| {
        let prefix = format!("{path}: ");
        found
            .iter()
            .any(|p| p.starts_with(&prefix) && p.contains("same zone use1-az4"))
    };
    assert!(
        hit("producers.zone_shares.use1-az4") || hit("producers.zone_shares.us-east-1a"),
        "expected a same-zone problem on one of the two keys, got {found:#?}"
    );
}

#[test]
fn zone_shares_by_az_name_summing_to_one_are_valid() {
    let mut v = demo_value();
    v["producers"]["zone_shares"] =
        json!({"us-east-1a": 0.5, "us-east-1b": 0.3, "us-east-1c": 0.2});
    assert_valid(&v);
}

#[test]
fn zone_shares_mixing_names_and_ids_of_distinct_zones_are_valid() {
    let mut v = demo_value();
    v["producers"]["zone_shares"] = json!({"us-east-1a": 0.5, "use1-az6": 0.3, "us-east-1c": 0.2});
    assert_valid(&v);
}

#[test]
fn zone_shares_absent_or_producers_absent_are_valid() {
    let mut v = demo_value();
    v["producers"] = json!({});
    assert_valid(&v);
    remove(&mut v, "producers");
    assert_valid(&v);
}

// ---------------------------------------------------------------- unknown fields

#[test]
fn unknown_fields_anywhere_are_ignored() {
    let mut v = demo_value();
    let extra = json!({"nested": [1, "two", null], "x": true});
    v["future_top_level"] = extra.clone();
    v["cluster"]["kafka_version"] = json!("3.7.0");
    v["window"]["timezone"] = json!("UTC");
    v["zones"][0]["region"] = json!("us-east-1");
    v["brokers"][0]["cpu"] = json!(2);
    v["partitions"][0]["lag"] = extra.clone();
    v["consumer_groups"][0]["state"] = json!("Stable");
    v["consumer_groups"][0]["members"][0]["generation"] = json!(7);
    v["consumer_groups"][0]["members"][0]["assignment"][0]["epoch"] = json!(1);
    v["consumer_groups"][3]["bytes_read"][0]["records"] = json!(123);
    v["producers"]["idempotent"] = json!(true);
    v["provenance"][0]["at"] = json!("2026-11-02T00:00:00Z");
    assert_valid(&v);
}

// ---------------------------------------------------------------- raw input

#[test]
fn empty_file_is_rejected_naming_the_file() {
    let (display, found) = raw_error(b"");
    assert!(display.contains("case.json"), "{display}");
    assert_problem_in(&found, ".", "empty");
}

#[test]
fn whitespace_only_file_is_rejected_naming_the_file() {
    let (display, found) = raw_error(b" \n\t\r\n  ");
    assert!(display.contains("case.json"), "{display}");
    assert_problem_in(&found, ".", "empty");
}

#[test]
fn json_array_is_rejected_naming_the_file() {
    let (display, found) = raw_error(b"[1, 2, 3]");
    assert!(display.contains("case.json"), "{display}");
    assert!(
        found
            .iter()
            .any(|p| p.contains("an array") && p.contains("object")),
        "{found:#?}"
    );
}

#[test]
fn empty_json_array_is_rejected_naming_the_file() {
    let (display, found) = raw_error(b"[]");
    assert!(display.contains("case.json"), "{display}");
    assert!(found.iter().any(|p| p.contains("an array")), "{found:#?}");
}

#[test]
fn json_number_is_rejected_naming_the_file() {
    let (display, found) = raw_error(b"42");
    assert!(display.contains("case.json"), "{display}");
    assert!(
        found
            .iter()
            .any(|p| p.contains("a number") && p.contains("object")),
        "{found:#?}"
    );
}

#[test]
fn json_null_and_string_are_rejected_naming_the_file() {
    for raw in [&b"null"[..], b"\"azcost.snapshot/v1\"", b"true"] {
        let (display, found) = raw_error(raw);
        assert!(display.contains("case.json"), "{display}");
        assert!(!found.is_empty());
    }
}

#[test]
fn empty_object_is_rejected_as_missing_format() {
    let (display, found) = raw_error(b"{}");
    assert!(display.contains("case.json"), "{display}");
    assert_problem_in(&found, "format", "missing");
}

#[test]
fn trailing_garbage_after_the_object_is_rejected_naming_the_file() {
    let mut bytes = serde_json::to_vec(&demo_value()).unwrap();
    bytes.extend_from_slice(b"\n garbage");
    let (display, found) = raw_error(&bytes);
    assert!(display.contains("case.json"), "{display}");
    assert_problem_in(&found, ".", "nothing after it");
}

#[test]
fn second_object_after_the_first_is_rejected() {
    let one = serde_json::to_vec(&demo_value()).unwrap();
    let mut bytes = one.clone();
    bytes.extend_from_slice(&one);
    let (_, found) = raw_error(&bytes);
    assert_problem_in(&found, ".", "nothing after it");
}

#[test]
fn trailing_whitespace_after_the_object_is_valid() {
    let mut bytes = serde_json::to_vec(&demo_value()).unwrap();
    bytes.extend_from_slice(b" \n\n\t");
    assert!(parse_and_validate(&bytes, "case.json").is_ok());
}

#[test]
fn truncated_json_is_rejected_naming_the_file() {
    let bytes = serde_json::to_vec(&demo_value()).unwrap();
    let (display, found) = raw_error(&bytes[..bytes.len() / 2]);
    assert!(display.contains("case.json"), "{display}");
    assert!(!found.is_empty());
}

#[test]
fn invalid_utf8_is_rejected_without_panic() {
    let (display, _) = raw_error(b"\xff\xfe{}");
    assert!(display.contains("case.json"), "{display}");
}

#[test]
fn validation_problems_name_the_file_in_display() {
    let mut v = demo_value();
    v["partitions"][3]["isr"][1] = json!(99);
    let bytes = serde_json::to_vec(&v).unwrap();
    let (display, found) = raw_error(&bytes);
    assert!(display.starts_with("case.json: "), "{display}");
    assert!(display.contains("partitions[3].isr[1]: "), "{display}");
    assert_problem_in(&found, "partitions[3].isr[1]", "not in brokers[]");
}

// ---------------------------------------------------------------- all at once

#[test]
fn several_broken_rules_are_all_reported() {
    let mut v = demo_value();
    v["format"] = json!("azcost.snapshot/v0");
    v["cluster"]["name"] = json!("");
    v["window"]["end"] = json!("2026-10-01T00:00:00Z");
    v["zones"][1]["id"] = json!("use1-az4");
    v["brokers"][5]["id"] = json!(1);
    v["partitions"][3]["isr"][1] = json!(99);
    v["partitions"][7]["leader"] = json!(5);
    v["partitions"][9]["bytes_in"] = json!(-3);
    v["consumer_groups"][0]["members"][0]["assignment"][1]["partitions"][0] = json!(9);
    v["consumer_groups"][1]["group"] = json!("billing-service");
    v["consumer_groups"][3]["bytes_read"][0]["bytes"] = json!(-1);
    v["producers"]["zone_shares"]["use1-az1"] = json!(0.5);
    let found = problems(&v);
    assert_problem_in(&found, "format", "exactly");
    assert_problem_in(&found, "cluster.name", "non-empty");
    assert_problem_in(&found, "window.end", "after window.start");
    assert_problem_in(&found, "zones[1].id", "duplicate zone id");
    assert_problem_in(&found, "brokers[5].id", "duplicate broker id");
    assert_problem_in(&found, "partitions[3].isr[1]", "not in brokers[]");
    assert_problem_in(&found, "partitions[7].leader", "replicas");
    assert_problem_in(&found, "partitions[9].bytes_in", "≥ 0");
    assert_problem_in(
        &found,
        "consumer_groups[0].members[0].assignment[1].partitions[0]",
        "not in partitions[]",
    );
    assert_problem_in(&found, "consumer_groups[1].group", "duplicate group");
    assert_problem_in(&found, "consumer_groups[3].bytes_read[0].bytes", "≥ 0");
    assert_problem_in(&found, "producers.zone_shares", "sum to 1");
    assert!(found.len() >= 12, "{found:#?}");
}
