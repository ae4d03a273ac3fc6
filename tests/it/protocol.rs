//! The consumer protocol decoder against real bytes: what the Java client's
//! own protocol tests serialize, and what librdkafka 2.12.1 and Debian's kcat
//! (librdkafka 2.0.2) put on the wire (`fixtures/protocol/README.md` says
//! where each fixture came from). Then the ways untrusted bytes go wrong.

use azcost::collect::kafka::protocol::{
    Assignment, Context, DecodeError, Message, Subscription, TopicPartitions, decode_assignment,
    decode_subscription,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/protocol/");

/// Reads a `.hex` fixture: lowercase hex, wrapped anywhere.
fn fixture(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(format!("{DIR}{name}"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "{name}: odd number of hex digits");
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).unwrap();
            assert_eq!(
                pair,
                pair.to_ascii_lowercase(),
                "{name}: hex must be lowercase"
            );
            u8::from_str_radix(pair, 16).unwrap_or_else(|e| panic!("{name}: {pair:?}: {e}"))
        })
        .collect()
}

/// Every fixture, paired with the decoder it is for.
fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".hex"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "fixtures missing: {names:?}");
    names
        .into_iter()
        .map(|n| {
            let bytes = fixture(&n);
            (n, bytes)
        })
        .collect()
}

fn is_subscription(name: &str) -> bool {
    assert!(
        name.contains("subscription") != name.contains("assignment"),
        "{name}: name must say subscription or assignment"
    );
    name.contains("subscription")
}

fn tps(list: &[(&str, &[i32])]) -> Vec<TopicPartitions> {
    list.iter()
        .map(|(topic, partitions)| TopicPartitions {
            topic: topic.to_string(),
            partitions: partitions.to_vec(),
        })
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn sub(name: &str) -> Subscription {
    decode_subscription(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn asg(name: &str) -> Assignment {
    decode_assignment(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---- The Java client's ConsumerProtocolTest inputs ----

#[test]
fn java_subscription_each_version_carries_only_its_fields() {
    // serializeDeserializeSubscriptionAllVersions: topics and owned partitions
    // come out sorted, as the Java serializer sorts them.
    let owned = tps(&[("bar", &[0]), ("foo", &[0])]);
    let expected = |version, owned: Vec<_>, generation_id, rack_id: Option<&str>| Subscription {
        version,
        topics: strings(&["bar", "foo"]),
        user_data: Some(b"hello".to_vec()),
        owned_partitions: owned,
        generation_id,
        rack_id: rack_id.map(str::to_string),
    };
    assert_eq!(
        sub("java-subscription-v0.hex"),
        expected(0, vec![], None, None)
    );
    assert_eq!(
        sub("java-subscription-v1.hex"),
        expected(1, owned.clone(), None, None)
    );
    assert_eq!(
        sub("java-subscription-v2.hex"),
        expected(2, owned.clone(), Some(1), None)
    );
    assert_eq!(
        sub("java-subscription-v3.hex"),
        expected(3, owned, Some(1), Some("rack-a"))
    );
}

#[test]
fn java_subscription_empty_and_null_user_data_stay_distinct() {
    let empty = sub("java-subscription-v3-empty-user-data.hex");
    assert_eq!(
        empty,
        Subscription {
            version: 3,
            topics: strings(&["bar", "foo"]),
            user_data: Some(vec![]),
            owned_partitions: vec![],
            generation_id: Some(-1),
            rack_id: None,
        }
    );
    let null = sub("java-subscription-v3-null-user-data.hex");
    assert_eq!(
        null,
        Subscription {
            user_data: None,
            ..empty
        }
    );
}

#[test]
fn java_future_subscription_version_reads_v3_fields_and_ignores_the_rest() {
    assert_eq!(
        sub("java-subscription-v100-future.hex"),
        Subscription {
            version: 100,
            topics: strings(&["topic"]),
            user_data: Some(vec![]),
            owned_partitions: tps(&[("bar", &[2])]),
            generation_id: Some(1),
            rack_id: Some("rack-a".to_string()),
        }
    );
}

#[test]
fn java_assignment_every_version_has_the_same_fields() {
    // serializeDeserializeAssignmentAllVersions: insertion order, not sorted.
    for version in 0..=3 {
        assert_eq!(
            asg(&format!("java-assignment-v{version}.hex")),
            Assignment {
                version,
                partitions: tps(&[("foo", &[1]), ("bar", &[2])]),
                user_data: Some(b"hello".to_vec()),
            }
        );
    }
}

#[test]
fn java_assignment_null_user_data_is_none() {
    assert_eq!(
        asg("java-assignment-v3-null-user-data.hex"),
        Assignment {
            version: 3,
            partitions: tps(&[("foo", &[1]), ("bar", &[2])]),
            user_data: None,
        }
    );
}

#[test]
fn java_future_assignment_version_ignores_the_added_field() {
    assert_eq!(
        asg("java-assignment-v100-future.hex"),
        Assignment {
            version: 100,
            partitions: tps(&[("foo", &[1])]),
            user_data: Some(vec![]),
        }
    );
}

// ---- Real clients, recorded off the wire ----

#[test]
fn librdkafka_2_12_subscription_carries_client_rack() {
    assert_eq!(
        sub("librdkafka-2.12.1-subscription-v3-rack.hex"),
        Subscription {
            version: 3,
            topics: strings(&["orders", "payments"]),
            user_data: Some(vec![]),
            owned_partitions: vec![],
            generation_id: Some(-1),
            rack_id: Some("use1-az1".to_string()),
        }
    );
}

#[test]
fn librdkafka_2_12_subscription_without_client_rack_has_no_rack() {
    // librdkafka writes an empty string, not null, when client.rack is unset.
    let bytes = fixture("librdkafka-2.12.1-subscription-v3-no-rack.hex");
    assert_eq!(&bytes[bytes.len() - 2..], &[0, 0], "rack_id sent as \"\"");
    assert_eq!(
        decode_subscription(&bytes).unwrap(),
        Subscription {
            version: 3,
            topics: strings(&["orders", "payments"]),
            user_data: Some(vec![]),
            owned_partitions: vec![],
            generation_id: Some(-1),
            rack_id: None,
        }
    );
}

#[test]
fn librdkafka_2_12_assignments_are_v0_and_split_the_partitions() {
    let sole = asg("librdkafka-2.12.1-assignment-sole-member.hex");
    assert_eq!(
        sole,
        Assignment {
            version: 0,
            partitions: tps(&[("payments", &[0, 1, 2]), ("orders", &[0, 1, 2, 3, 4, 5])]),
            user_data: Some(vec![]),
        }
    );
    let a = asg("librdkafka-2.12.1-assignment-member-a.hex");
    let b = asg("librdkafka-2.12.1-assignment-member-b.hex");
    assert_eq!(
        a.partitions,
        tps(&[("payments", &[0, 1]), ("orders", &[0, 1, 2])])
    );
    assert_eq!(
        b.partitions,
        tps(&[("payments", &[2]), ("orders", &[3, 4, 5])])
    );
    assert_eq!((a.version, b.version), (0, 0));

    // The range assignor's two shares add up to what the sole member had.
    let flat = |x: &Assignment| {
        let mut v: Vec<(String, i32)> = x
            .partitions
            .iter()
            .flat_map(|t| t.partitions.iter().map(|&p| (t.topic.clone(), p)))
            .collect();
        v.sort();
        v
    };
    let mut both = [flat(&a), flat(&b)].concat();
    both.sort();
    assert_eq!(both, flat(&sole));
}

#[test]
fn kcat_librdkafka_2_0_subscription_is_v1_and_drops_client_rack() {
    // Recorded with -X client.rack=use1-az2: librdkafka 2.0 never sends it.
    assert_eq!(
        sub("kcat-1.7.1-librdkafka-2.0.2-subscription-v1.hex"),
        Subscription {
            version: 1,
            topics: strings(&["orders", "payments"]),
            user_data: Some(vec![]),
            owned_partitions: vec![],
            generation_id: None,
            rack_id: None,
        }
    );
}

#[test]
fn kcat_librdkafka_2_0_assignment_decodes() {
    assert_eq!(
        asg("kcat-1.7.1-librdkafka-2.0.2-assignment.hex"),
        Assignment {
            version: 0,
            partitions: tps(&[("orders", &[0, 1, 2, 3, 4, 5]), ("payments", &[0, 1, 2])]),
            user_data: Some(vec![]),
        }
    );
}

#[test]
fn every_fixture_has_exactly_one_readme_line() {
    let readme = std::fs::read_to_string(format!("{DIR}README.md")).unwrap();
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let mut on_disk: Vec<String> = all_fixtures().into_iter().map(|(n, _)| n).collect();
    on_disk.sort();
    let mut listed_sorted: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
    listed_sorted.sort();
    assert_eq!(listed_sorted, on_disk);
}

// ---- Untrusted input ----

#[test]
fn every_proper_prefix_of_every_fixture_errs() {
    for (name, bytes) in all_fixtures() {
        let full_sub = is_subscription(&name);
        let version = i16::from_be_bytes([bytes[0], bytes[1]]);
        for cut in 0..bytes.len() {
            let prefix = &bytes[..cut];
            let outcome = if full_sub {
                decode_subscription(prefix).map(|s| format!("{s:?}"))
            } else {
                decode_assignment(prefix).map(|a| format!("{a:?}"))
            };
            match outcome {
                Err(DecodeError::Empty { .. }) => assert_eq!(cut, 0, "{name}"),
                Err(DecodeError::Truncated { .. } | DecodeError::TooManyElements { .. }) => {}
                Err(other) => panic!("{name}[..{cut}]: unexpected error {other}"),
                // Only a future version may end early: what follows the v3
                // fields is skipped, so the prefix decodes as the whole does.
                Ok(decoded) => {
                    assert!(version > 3, "{name}[..{cut}] decoded: {decoded}");
                    let whole = if full_sub {
                        format!("{:?}", decode_subscription(&bytes).unwrap())
                    } else {
                        format!("{:?}", decode_assignment(&bytes).unwrap())
                    };
                    assert_eq!(decoded, whole, "{name}[..{cut}]");
                }
            }
        }
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = fastrand::Rng::with_seed(9092);
    for _ in 0..50_000 {
        let len = rng.usize(0..96);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        // Small versions and lengths reach deeper than uniform bytes do.
        if len >= 2 && rng.bool() {
            bytes[0] = 0;
            bytes[1] = rng.u8(0..5);
        }
        let _ = decode_subscription(&bytes);
        let _ = decode_assignment(&bytes);
    }
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut rng = fastrand::Rng::with_seed(881);
    let fixtures = all_fixtures();
    for _ in 0..20_000 {
        let (_, original) = &fixtures[rng.usize(..fixtures.len())];
        let mut bytes = original.clone();
        for _ in 0..rng.usize(1..4) {
            let i = rng.usize(..bytes.len());
            bytes[i] = match rng.u8(0..4) {
                0 => 0xff,
                1 => 0x80,
                2 => 0x00,
                _ => rng.u8(..),
            };
        }
        let _ = decode_subscription(&bytes);
        let _ = decode_assignment(&bytes);
    }
}

#[test]
fn huge_array_length_errs_before_allocating() {
    // Reserving i32::MAX Strings would be 48 GiB and abort the test run;
    // the count is refused against the 6 bytes that follow it instead.
    let mut bytes = vec![0, 0, 0x7f, 0xff, 0xff, 0xff];
    bytes.extend_from_slice(&[0, 1, b'x', 0, 0, 0]);
    assert_eq!(
        decode_subscription(&bytes),
        Err(DecodeError::TooManyElements {
            context: Context {
                message: Message::Subscription,
                version: Some(0),
            },
            field: "topics",
            offset: 2,
            count: i32::MAX as usize,
            available: 6,
        })
    );
    let mut partitions = vec![0, 0, 0, 0, 0, 1, 0, 1, b't', 0x7f, 0xff, 0xff, 0xff];
    partitions.extend_from_slice(&[0; 8]);
    assert!(matches!(
        decode_assignment(&partitions),
        Err(DecodeError::TooManyElements {
            field: "partitions in assigned_partitions",
            offset: 9,
            ..
        })
    ));
}

#[test]
fn empty_input_is_its_own_error() {
    assert_eq!(
        decode_subscription(&[]),
        Err(DecodeError::Empty {
            message: Message::Subscription
        })
    );
    assert_eq!(
        decode_assignment(&[]),
        Err(DecodeError::Empty {
            message: Message::Assignment
        })
    );
    assert_eq!(
        decode_assignment(&[]).unwrap_err().to_string(),
        "assignment: no bytes (the member sent none, or the group is rebalancing)"
    );
}

#[test]
fn one_byte_errs_reading_the_version() {
    assert_eq!(
        decode_subscription(&[0]).unwrap_err().to_string(),
        "subscription: truncated at byte 0 reading version (needs 2 bytes, 1 left)"
    );
}

#[test]
fn negative_version_is_unsupported() {
    assert_eq!(
        decode_assignment(&[0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
        Err(DecodeError::UnsupportedVersion {
            message: Message::Assignment,
            version: -1,
        })
    );
}

#[test]
fn truncation_error_names_version_field_and_offset() {
    let mut bytes = fixture("librdkafka-2.12.1-subscription-v3-rack.hex");
    bytes.pop();
    assert_eq!(
        decode_subscription(&bytes).unwrap_err().to_string(),
        "subscription v3: truncated at byte 38 reading rack_id (needs 8 bytes, 7 left)"
    );
}

/// v0 subscription with one topic "t": version, count, string, user_data.
fn v0_with(topics_count: i32, topic_len: i16, user_data_len: i32) -> Vec<u8> {
    let mut b = vec![0, 0];
    b.extend_from_slice(&topics_count.to_be_bytes());
    b.extend_from_slice(&topic_len.to_be_bytes());
    b.push(b't');
    b.extend_from_slice(&user_data_len.to_be_bytes());
    b
}

#[test]
fn null_is_refused_where_the_schema_forbids_it() {
    let ctx = Context {
        message: Message::Subscription,
        version: Some(0),
    };
    assert_eq!(
        decode_subscription(&v0_with(-1, 1, -1)),
        Err(DecodeError::InvalidLength {
            context: ctx,
            field: "topics",
            offset: 2,
            length: -1,
        })
    );
    assert_eq!(
        decode_subscription(&v0_with(1, -1, -1)),
        Err(DecodeError::InvalidLength {
            context: ctx,
            field: "topic in topics",
            offset: 6,
            length: -1,
        })
    );
}

#[test]
fn negative_lengths_below_minus_one_are_refused_even_where_null_is_allowed() {
    assert_eq!(
        decode_subscription(&v0_with(1, 1, -1)).unwrap().user_data,
        None
    );
    assert_eq!(
        decode_subscription(&v0_with(1, 1, -2))
            .unwrap_err()
            .to_string(),
        "subscription v0: invalid length -2 at byte 9 for user_data"
    );
    // rack_id is a nullable string: -1 is no rack, -2 is an error.
    let mut v3 = fixture("java-subscription-v3-null-user-data.hex");
    assert_eq!(&v3[v3.len() - 2..], &[0xff, 0xff]);
    let n = v3.len();
    v3[n - 1] = 0xfe;
    assert!(matches!(
        decode_subscription(&v3),
        Err(DecodeError::InvalidLength {
            field: "rack_id",
            length: -2,
            ..
        })
    ));
}

#[test]
fn invalid_utf8_is_refused_with_the_offset_of_the_bad_byte() {
    let mut bytes = fixture("librdkafka-2.12.1-subscription-v3-rack.hex");
    let n = bytes.len();
    bytes[n - 3] = 0xc3; // "use1-a\xc3" then "1": a broken two-byte sequence
    assert_eq!(
        decode_subscription(&bytes),
        Err(DecodeError::InvalidUtf8 {
            context: Context {
                message: Message::Subscription,
                version: Some(3),
            },
            field: "rack_id",
            offset: n - 3,
        })
    );
}

#[test]
fn trailing_bytes_after_a_known_version_are_ignored_as_kafka_does() {
    let bytes = fixture("java-subscription-v2.hex");
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"\x00\x03xyz");
    assert_eq!(decode_subscription(&longer), decode_subscription(&bytes));
}

// ---- Round trips through a test-only encoder ----

struct Enc(Vec<u8>);

impl Enc {
    fn i16(&mut self, v: i16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn len32(&mut self, n: usize) {
        self.i32(i32::try_from(n).unwrap());
    }
    fn string(&mut self, s: &str) {
        self.i16(i16::try_from(s.len()).unwrap());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn nullable_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.i16(-1),
        }
    }
    fn nullable_bytes(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => {
                self.len32(b.len());
                self.0.extend_from_slice(b);
            }
            None => self.i32(-1),
        }
    }
    fn topic_partitions(&mut self, list: &[TopicPartitions]) {
        self.len32(list.len());
        for t in list {
            self.string(&t.topic);
            self.len32(t.partitions.len());
            for &p in &t.partitions {
                self.i32(p);
            }
        }
    }
}

fn encode_subscription(s: &Subscription) -> Vec<u8> {
    let mut e = Enc(Vec::new());
    e.i16(s.version);
    e.len32(s.topics.len());
    for t in &s.topics {
        e.string(t);
    }
    e.nullable_bytes(s.user_data.as_deref());
    if s.version >= 1 {
        e.topic_partitions(&s.owned_partitions);
    }
    if s.version >= 2 {
        e.i32(s.generation_id.unwrap());
    }
    if s.version >= 3 {
        e.nullable_string(s.rack_id.as_deref());
    }
    e.0
}

fn encode_assignment(a: &Assignment) -> Vec<u8> {
    let mut e = Enc(Vec::new());
    e.i16(a.version);
    e.topic_partitions(&a.partitions);
    e.nullable_bytes(a.user_data.as_deref());
    e.0
}

fn random_name(rng: &mut fastrand::Rng) -> String {
    // Non-empty, and sometimes beyond ASCII, so lengths count bytes.
    let len = rng.usize(1..12);
    (0..len)
        .map(|_| {
            if rng.u8(..10) == 0 {
                'é'
            } else {
                rng.alphanumeric()
            }
        })
        .collect()
}

fn random_topic_partitions(rng: &mut fastrand::Rng) -> Vec<TopicPartitions> {
    (0..rng.usize(0..4))
        .map(|_| TopicPartitions {
            topic: random_name(rng),
            partitions: (0..rng.usize(0..5)).map(|_| rng.i32(-1..1000)).collect(),
        })
        .collect()
}

fn random_user_data(rng: &mut fastrand::Rng) -> Option<Vec<u8>> {
    rng.bool()
        .then(|| (0..rng.usize(0..8)).map(|_| rng.u8(..)).collect())
}

#[test]
fn random_subscriptions_round_trip_for_every_version() {
    let mut rng = fastrand::Rng::with_seed(392);
    for _ in 0..2_000 {
        let version = rng.i16(0..=3);
        let s = Subscription {
            version,
            topics: (0..rng.usize(0..5))
                .map(|_| random_name(&mut rng))
                .collect(),
            user_data: random_user_data(&mut rng),
            owned_partitions: if version >= 1 {
                random_topic_partitions(&mut rng)
            } else {
                vec![]
            },
            generation_id: (version >= 2).then(|| rng.i32(-1..100)),
            rack_id: (version >= 3 && rng.bool()).then(|| random_name(&mut rng)),
        };
        assert_eq!(decode_subscription(&encode_subscription(&s)), Ok(s));
    }
}

#[test]
fn random_assignments_round_trip_for_every_version() {
    let mut rng = fastrand::Rng::with_seed(848);
    for _ in 0..2_000 {
        let a = Assignment {
            version: rng.i16(0..=3),
            partitions: random_topic_partitions(&mut rng),
            user_data: random_user_data(&mut rng),
        };
        assert_eq!(decode_assignment(&encode_assignment(&a)), Ok(a));
    }
}

#[test]
fn decoded_fixtures_re_encode_to_the_same_bytes() {
    // Holds for every fixture but those with an empty rack (decoded as None,
    // re-encoded as null) and the future versions (their extra field is dropped).
    for (name, bytes) in all_fixtures() {
        if name.contains("no-rack") || name.contains("future") {
            continue;
        }
        let again = if is_subscription(&name) {
            encode_subscription(&decode_subscription(&bytes).unwrap())
        } else {
            encode_assignment(&decode_assignment(&bytes).unwrap())
        };
        assert_eq!(again, bytes, "{name}");
    }
}

/// From recorded client bytes to the snapshot's member fields: the rack a
/// client sent, its assignment, and a clear problem for bad bytes.
#[test]
fn recorded_member_bytes_become_client_rack_and_assignment() {
    use azcost::collect::kafka::groups::member;
    let m = member(
        "c-1",
        "orders-app",
        "/10.0.1.7",
        Some(&fixture("librdkafka-2.12.1-subscription-v3-rack.hex")),
        Some(&fixture("librdkafka-2.12.1-assignment-member-a.hex")),
    );
    assert_eq!(m.client_rack.as_deref(), Some("use1-az1"));
    assert_eq!(m.subscription_version, Some(3));
    assert_eq!(m.host, "10.0.1.7", "DescribeGroups' leading slash dropped");
    assert!(!m.assignment.is_empty() && m.problem.is_none(), "{m:?}");
    let kcat = member(
        "c-2",
        "rdkafka",
        "/10.0.2.9",
        Some(&fixture("kcat-1.7.1-librdkafka-2.0.2-subscription-v1.hex")),
        Some(&fixture("kcat-1.7.1-librdkafka-2.0.2-assignment.hex")),
    );
    assert_eq!(
        (kcat.client_rack, kcat.subscription_version),
        (None, Some(1))
    );
    let empty_rack = member(
        "c-3",
        "x",
        "",
        Some(&fixture("librdkafka-2.12.1-subscription-v3-no-rack.hex")),
        None,
    );
    assert_eq!(empty_rack.client_rack, None, "an empty rack_id is no rack");
    let bad = member("c-4", "x", "", Some(&[0, 3, 0, 0, 0, 9]), Some(&[0xff]));
    assert_eq!(bad.client_rack, None);
    let problem = bad.problem.expect("bad bytes are the member's problem");
    assert!(
        problem.contains("subscription") && problem.contains("assignment"),
        "{problem}"
    );
}
