//! MSK collection (issue 4) against operation-level AWS mocks
//! (`aws-smithy-mocks`): the real `SdkAws` adapter runs, only the HTTP
//! exchange is replaced. Responses are shaped like AWS's: real ARN
//! formats, subnet and AZ ids, RFC 3339 times, paged ListNodes and
//! GetMetricData, partial data, throttling, access denied. The end-to-end
//! test adds librdkafka's mock cluster for placement.

use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
use aws_sdk_cloudwatch::types::{MetricDataResult, StatusCode};
use aws_sdk_ec2::operation::describe_availability_zones::DescribeAvailabilityZonesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::types::{AvailabilityZone, Subnet};
use aws_sdk_kafka::operation::describe_cluster_v2::DescribeClusterV2Output;
use aws_sdk_kafka::operation::describe_configuration_revision::DescribeConfigurationRevisionOutput;
use aws_sdk_kafka::operation::get_bootstrap_brokers::GetBootstrapBrokersOutput;
use aws_sdk_kafka::operation::list_nodes::{ListNodesError, ListNodesOutput};
use aws_sdk_kafka::primitives::{Blob, DateTime, DateTimeFormat};
use aws_sdk_kafka::types::{
    BrokerNodeGroupInfo, BrokerNodeInfo, BrokerSoftwareInfo, Cluster, ClusterState, ClusterType,
    EnhancedMonitoring, NodeInfo, NodeType, Provisioned,
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use azcost::cli::{KafkaSourceArgs, MskSourceArgs};
use azcost::collect::msk::aws::{self, AwsApi, SdkAws};
use azcost::collect::msk::cloudwatch::{self, MAX_DATAPOINTS_PER_CALL, MetricKey, MetricName};
use azcost::collect::msk::follower_check::{self, BrokerFigures, Outcome};
use azcost::collect::msk::{self, MskOptions};
use azcost::config::msk_options;
use azcost::model::{Pricing, Scenario};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders-prod/6f1c3e2a-9b1d-4c7e-a5f0-2d8e4b6c1a90-3";
const CONF_ARN: &str = "arn:aws:kafka:us-east-1:123456789012:configuration/orders-prod-config/0b7e5a3c-1d2f-4e6a-9c8b-7f6e5d4c3b2a-3";
const VPC: &str = "vpc-0c4e2a19b7d35f861";
/// Broker subnets: id, CIDR, AZ ID, AZ name in this account (shuffled).
const SUBNETS: [(&str, &str, &str, &str); 3] = [
    (
        "subnet-0a1b2c3d4e5f60001",
        "10.0.0.0/20",
        "use1-az1",
        "us-east-1d",
    ),
    (
        "subnet-0a1b2c3d4e5f60002",
        "10.0.16.0/20",
        "use1-az2",
        "us-east-1a",
    ),
    (
        "subnet-0a1b2c3d4e5f60003",
        "10.0.32.0/20",
        "use1-az4",
        "us-east-1b",
    ),
];
/// 2^30 bytes.
const GIB: f64 = 1_073_741_824.0;

/// A client of `$krate` whose HTTP exchange is replaced by `$rules`, with
/// the adapter's own retry configuration.
macro_rules! client {
    ($krate:ident, $mode:expr, $rules:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode($mode);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        $krate::Client::from_conf(
            $krate::Config::builder()
                .with_test_defaults()
                .behavior_version($krate::config::BehaviorVersion::latest())
                .region($krate::config::Region::new("us-east-1"))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .retry_config(aws::retry_config())
                .build(),
        )
    }};
}

fn sdk(kafka: &[&Rule], ec2: &[&Rule], cw: &[&Rule]) -> SdkAws {
    SdkAws::from_clients(
        client!(aws_sdk_kafka, RuleMode::MatchAny, kafka.iter().copied()),
        client!(aws_sdk_ec2, RuleMode::MatchAny, ec2.iter().copied()),
        client!(aws_sdk_cloudwatch, RuleMode::MatchAny, cw.iter().copied()),
    )
    .unwrap()
}

fn time(text: &str) -> DateTime {
    DateTime::from_str(text, DateTimeFormat::DateTime).unwrap()
}

fn epoch(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// Broker `id` sits in subnet `(id - 1) % 3`: brokers 1 and 4 in use1-az1,
/// 2 and 5 in use1-az2, 3 and 6 in use1-az4.
fn node(id: i32) -> NodeInfo {
    let (subnet, _, _, _) = SUBNETS[((id - 1) % 3) as usize];
    NodeInfo::builder()
        .added_to_cluster_time("2026-03-02T09:20:11.000Z")
        .instance_type("kafka.m5.large")
        .node_arn(format!(
            "arn:aws:kafka:us-east-1:123456789012:broker/orders-prod/6f1c3e2a-9b1d-4c7e-a5f0-2d8e4b6c1a90-3/{id}"
        ))
        .node_type(NodeType::Broker)
        .broker_node_info(
            BrokerNodeInfo::builder()
                .broker_id(id as f64)
                .client_subnet(subnet)
                .client_vpc_ip_address(format!("10.0.{}.{}", 16 * ((id - 1) % 3), 10 + id))
                .attached_eni_id(format!("eni-0d2f4a6b8c0e1357{id}"))
                .endpoints(format!(
                    "b-{id}.ordersprod.x7k2ab.c3.kafka.us-east-1.amazonaws.com"
                ))
                .build(),
        )
        .build()
}

/// ListNodes in two pages of three brokers (NextToken followed).
fn list_nodes_rules() -> Vec<Rule> {
    const TOKEN: &str = "AAEAAU5vZGVzUGFnZTI=";
    vec![
        mock!(aws_sdk_kafka::Client::list_nodes)
            .match_requests(|r| r.cluster_arn() == Some(ARN) && r.next_token().is_none())
            .then_output(|| {
                ListNodesOutput::builder()
                    .set_node_info_list(Some((1..=3).map(node).collect()))
                    .next_token(TOKEN)
                    .build()
            }),
        mock!(aws_sdk_kafka::Client::list_nodes)
            .match_requests(|r| r.next_token() == Some(TOKEN))
            .then_output(|| {
                ListNodesOutput::builder()
                    .set_node_info_list(Some((4..=6).map(node).collect()))
                    .build()
            }),
    ]
}

fn describe_cluster_rule(monitoring: EnhancedMonitoring) -> Rule {
    mock!(aws_sdk_kafka::Client::describe_cluster_v2)
        .match_requests(|r| r.cluster_arn() == Some(ARN))
        .then_output(move || {
            DescribeClusterV2Output::builder()
                .cluster_info(
                    Cluster::builder()
                        .cluster_arn(ARN)
                        .cluster_name("orders-prod")
                        .cluster_type(ClusterType::Provisioned)
                        .state(ClusterState::Active)
                        .current_version("K3AEGXETSR30VB")
                        .creation_time(time("2026-03-02T09:14:27.123Z"))
                        .provisioned(
                            Provisioned::builder()
                                .broker_node_group_info(
                                    BrokerNodeGroupInfo::builder()
                                        .instance_type("kafka.m5.large")
                                        .set_client_subnets(Some(
                                            SUBNETS.iter().map(|s| s.0.to_string()).collect(),
                                        ))
                                        .build(),
                                )
                                .current_broker_software_info(
                                    BrokerSoftwareInfo::builder()
                                        .kafka_version("3.6.0")
                                        .configuration_arn(CONF_ARN)
                                        .configuration_revision(2)
                                        .build(),
                                )
                                .enhanced_monitoring(monitoring.clone())
                                .number_of_broker_nodes(6)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
}

fn control_rules(bootstrap: &str, monitoring: EnhancedMonitoring) -> Vec<Rule> {
    control_rules_with(
        bootstrap,
        "b-1.ordersprod.x7k2ab.c3.kafka.us-east-1.amazonaws.com:9098,b-2.ordersprod.x7k2ab.c3.kafka.us-east-1.amazonaws.com:9098",
        monitoring,
    )
}

/// The control plane with `bootstrap` as the plaintext listener (empty:
/// none, an IAM-only cluster) and `iam` as the SASL/IAM one.
fn control_rules_with(bootstrap: &str, iam: &str, monitoring: EnhancedMonitoring) -> Vec<Rule> {
    let bootstrap = Some(bootstrap.to_string()).filter(|b| !b.is_empty());
    let iam = iam.to_string();
    let mut rules = list_nodes_rules();
    rules.push(describe_cluster_rule(monitoring));
    rules.push(
        mock!(aws_sdk_kafka::Client::get_bootstrap_brokers).then_output(move || {
            GetBootstrapBrokersOutput::builder()
                .set_bootstrap_broker_string(bootstrap.clone())
                .bootstrap_broker_string_sasl_iam(iam.clone())
                .build()
        }),
    );
    rules.push(
        mock!(aws_sdk_kafka::Client::describe_configuration_revision)
            .match_requests(|r| r.arn() == Some(CONF_ARN) && r.revision() == Some(2))
            .then_output(|| {
                DescribeConfigurationRevisionOutput::builder()
                    .arn(CONF_ARN)
                    .revision(2)
                    .creation_time(time("2026-03-02T09:10:00.000Z"))
                    .server_properties(Blob::new(
                        "auto.create.topics.enable=false\n# follower fetching (KIP-392)\nreplica.selector.class=org.apache.kafka.common.replica.RackAwareReplicaSelector\nmin.insync.replicas=2\n",
                    ))
                    .build()
            }),
    );
    rules
}

fn subnet(i: usize) -> Subnet {
    let (id, cidr, az_id, az) = SUBNETS[i];
    Subnet::builder()
        .subnet_id(id)
        .vpc_id(VPC)
        .cidr_block(cidr)
        .availability_zone_id(az_id)
        .availability_zone(az)
        .build()
}

/// DescribeSubnets by id (the broker subnets) and by VPC (a fourth,
/// client-only subnet in use1-az6, on a second page).
fn ec2_rules() -> Vec<Rule> {
    let by = |name: &'static str| {
        move |r: &aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsInput| {
            r.filters().first().is_some_and(|f| f.name() == Some(name))
        }
    };
    vec![
        mock!(aws_sdk_ec2::Client::describe_subnets)
            .match_requests(by("subnet-id"))
            .then_output(|| {
                DescribeSubnetsOutput::builder()
                    .set_subnets(Some((0..3).map(subnet).collect()))
                    .build()
            }),
        mock!(aws_sdk_ec2::Client::describe_subnets)
            .match_requests(move |r| by("vpc-id")(r) && r.next_token().is_none())
            .then_output(|| {
                DescribeSubnetsOutput::builder()
                    .set_subnets(Some((0..3).map(subnet).collect()))
                    .next_token("eyJ2IjoxLCJjIjoic3VibmV0cyJ9")
                    .build()
            }),
        mock!(aws_sdk_ec2::Client::describe_subnets)
            .match_requests(|r| r.next_token() == Some("eyJ2IjoxLCJjIjoic3VibmV0cyJ9"))
            .then_output(|| {
                DescribeSubnetsOutput::builder()
                    .subnets(
                        Subnet::builder()
                            .subnet_id("subnet-0a1b2c3d4e5f60009")
                            .vpc_id(VPC)
                            .cidr_block("10.0.48.0/20")
                            .availability_zone_id("use1-az6")
                            .availability_zone("us-east-1c")
                            .build(),
                    )
                    .build()
            }),
        mock!(aws_sdk_ec2::Client::describe_availability_zones).then_output(|| {
            let zones = [
                ("us-east-1a", "use1-az2"),
                ("us-east-1b", "use1-az4"),
                ("us-east-1c", "use1-az6"),
                ("us-east-1d", "use1-az1"),
                ("us-east-1e", "use1-az3"),
                ("us-east-1f", "use1-az5"),
            ];
            DescribeAvailabilityZonesOutput::builder()
                .set_availability_zones(Some(
                    zones
                        .iter()
                        .map(|(n, i)| {
                            AvailabilityZone::builder()
                                .zone_name(*n)
                                .zone_id(*i)
                                .region_name("us-east-1")
                                .build()
                        })
                        .collect(),
                ))
                .build()
        }),
    ]
}

/// A metric's dimensions as a map.
fn dims(q: &aws_sdk_cloudwatch::types::MetricDataQuery) -> (String, BTreeMap<String, String>) {
    let metric = q.metric_stat().and_then(|s| s.metric()).unwrap();
    (
        metric.metric_name().unwrap_or_default().to_string(),
        metric
            .dimensions()
            .iter()
            .map(|d| {
                (
                    d.name().unwrap_or_default().to_string(),
                    d.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    )
}

/// The answer of a bytes-per-second history: for each query, one
/// datapoint per period from start to end whose value `rate` gives
/// (None: no series), minus the points `missing` drops. Results come in
/// two pages (NextToken) and every request's query count is recorded.
type RateFn = dyn Fn(&str, &BTreeMap<String, String>) -> Option<f64> + Send + Sync;
type MissingFn = dyn Fn(&BTreeMap<String, String>, usize) -> bool + Send + Sync;

fn cloudwatch_rule(
    rate: Arc<RateFn>,
    missing: Arc<MissingFn>,
    sizes: Arc<Mutex<Vec<usize>>>,
) -> Rule {
    cloudwatch_rule_samples(
        rate,
        Arc::new(move |d, i, period| (!missing(d, i)).then_some(period as f64 / 60.0)),
        sizes,
    )
}

/// Minutes present in period `i` of a series (`SampleCount`); None: no point.
type SamplesFn = dyn Fn(&BTreeMap<String, String>, usize, i64) -> Option<f64> + Send + Sync;

/// As [`cloudwatch_rule`], with the minutes present in each period given
/// by `samples` (a `SampleCount` query gets those, an `Average` query the
/// rate where `samples` is not None).
fn cloudwatch_rule_samples(
    rate: Arc<RateFn>,
    samples: Arc<SamplesFn>,
    sizes: Arc<Mutex<Vec<usize>>>,
) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(move |r| {
            sizes.lock().unwrap().push(r.metric_data_queries().len());
            true
        })
        .then_compute_output(move |r| {
            let start = r.start_time().unwrap().secs();
            let end = r.end_time().unwrap().secs();
            let queries = r.metric_data_queries();
            let half = queries.len().div_ceil(2);
            let (page, next) = match r.next_token() {
                None if queries.len() > 1 => (&queries[..half], Some("page-2-of-2")),
                None => (queries, None),
                Some(_) => (&queries[half..], None),
            };
            let mut results = Vec::new();
            for q in page {
                let period = q.metric_stat().and_then(|s| s.period()).unwrap() as i64;
                let (name, d) = dims(q);
                let mut b = MetricDataResult::builder()
                    .id(q.id().unwrap())
                    .label(name.clone())
                    .status_code(StatusCode::Complete);
                if let Some(v) = rate(&name, &d) {
                    // CloudWatch returns newest first.
                    let n = ((end - start) / period) as usize;
                    let stat = q.metric_stat().and_then(|s| s.stat()).unwrap();
                    for i in (0..n).rev() {
                        if let Some(count) = samples(&d, i, period) {
                            b = b
                                .timestamps(DateTime::from_secs(start + i as i64 * period))
                                .values(if stat == "SampleCount" { count } else { v });
                        }
                    }
                }
                results.push(b.build());
            }
            GetMetricDataOutput::builder()
                .set_metric_data_results(Some(results))
                .set_next_token(next.map(str::to_string))
                .build()
        })
}

#[test]
fn list_nodes_pages_are_followed() {
    let rules = list_nodes_rules();
    let api = sdk(&rules.iter().collect::<Vec<_>>(), &[], &[]);
    let nodes = api.list_nodes(ARN).unwrap();
    let ids: Vec<i32> = nodes.iter().map(|n| n.broker_id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(nodes[3].client_subnet.as_deref(), Some(SUBNETS[0].0));
    assert_eq!(nodes[4].ip.as_deref(), Some("10.0.16.15"));
    assert_eq!(rules[0].num_calls(), 1);
    assert_eq!(rules[1].num_calls(), 1, "the second page was asked for");
}

#[test]
fn get_metric_data_pages_are_followed_and_joined() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let rule = cloudwatch_rule(
        Arc::new(|_, d| Some(d["Broker ID"].parse::<f64>().unwrap() * 1000.0)),
        Arc::new(|_, _| false),
        sizes.clone(),
    );
    let api = sdk(&[], &[], &[&rule]);
    let keys: Vec<MetricKey> = (1..=4)
        .map(|b| MetricKey {
            metric: MetricName::BytesIn,
            broker: b,
            topic: Some("orders".to_string()),
        })
        .collect();
    let end = epoch("2026-11-23T00:00:00Z");
    let m = cloudwatch::read(&api, "orders-prod", &keys, end - 86_400, end, end + 3_600).unwrap();
    // One batch of 8 queries (Average and SampleCount of 4 keys), two
    // pages (4 results each).
    assert_eq!(m.requests, 2);
    assert_eq!(*sizes.lock().unwrap(), vec![8, 8]);
    assert_eq!(m.metrics_requested, 16);
    // 1 day at 1 min: 1,440 points of 1000·b bytes/s × 60 s = 86,400,000·b bytes.
    for b in 1..=4 {
        assert_eq!(
            m.get(MetricName::BytesIn, b, Some("orders")),
            86_400_000.0 * b as f64
        );
    }
    assert_eq!((m.present, m.expected), (4 * 1_440, 4 * 1_440));
}

#[test]
fn no_call_asks_for_more_than_500_metrics_and_each_stays_under_the_datapoint_limit() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let rule = cloudwatch_rule(
        Arc::new(|_, _| Some(1.0)),
        Arc::new(|_, _| false),
        sizes.clone(),
    );
    let api = sdk(&[], &[], &[&rule]);
    // 30 brokers × 60 topics × 2 metrics = 3,600 metrics over 30 days.
    let mut keys = Vec::new();
    for b in 1..=30 {
        for t in 0..60 {
            for metric in [MetricName::BytesIn, MetricName::BytesOut] {
                keys.push(MetricKey {
                    metric,
                    broker: b,
                    topic: Some(format!("topic-{t:02}")),
                });
            }
        }
    }
    let end = epoch("2026-11-23T00:00:00Z");
    let m = cloudwatch::read(&api, "orders-prod", &keys, end - 30 * 86_400, end, end).unwrap();
    let sizes = sizes.lock().unwrap();
    assert!(!sizes.is_empty());
    for &n in sizes.iter() {
        assert!(
            n <= aws::MAX_QUERIES_PER_CALL,
            "a request asked for {n} metrics"
        );
        // Hourly over 30 days: 720 points per query.
        assert!(
            n * 720 <= MAX_DATAPOINTS_PER_CALL,
            "{n} queries × 720 points"
        );
    }
    // Every metric asked for once per page; each batch has two pages.
    assert_eq!(m.metrics_requested, sizes.iter().sum::<usize>());
    // Average and SampleCount per key, each page.
    assert_eq!(m.metrics_requested, 4 * keys.len());
    assert_eq!(m.period, 3_600);
}

#[test]
fn period_choice_keeps_every_call_under_the_datapoint_limit() {
    let now = epoch("2026-11-23T00:00:00Z");
    for days in [1, 7, 14, 15, 16, 30, 62, 63, 64, 90, 180, 365, 454] {
        for age in [0, 1, 20, 60] {
            let end = now - age * 86_400;
            let start = end - days * 86_400;
            if now - start > 455 * 86_400 {
                continue;
            }
            let p = cloudwatch::plan(start, end, now).unwrap();
            assert!(p.queries_per_call >= 1 && p.queries_per_call <= 500);
            assert!(
                p.queries_per_call * p.points_per_query <= MAX_DATAPOINTS_PER_CALL,
                "{days} d ending {age} d ago: {p:?}"
            );
            // Retention: data older than 15 days has no 1-minute points,
            // older than 63 days no 5-minute points.
            let age_start = (now - start) / 86_400;
            if age_start > 15 {
                assert!(p.period >= 300, "{p:?}");
            }
            if age_start > 63 {
                assert!(p.period >= 3_600, "{p:?}");
            }
        }
    }
    assert!(cloudwatch::plan(now - 500 * 86_400, now - 490 * 86_400, now).is_err());
}

#[test]
fn throttled_call_is_retried_with_backoff_then_succeeds() {
    let rule = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .sequence()
        .error(|| {
            GetMetricDataError::generic(
                aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .output(|| {
            let point = |id: &str, v: f64| {
                MetricDataResult::builder()
                    .id(id)
                    .timestamps(DateTime::from_secs(epoch("2026-11-22T00:00:00Z")))
                    .values(v)
                    .status_code(StatusCode::Complete)
                    .build()
            };
            GetMetricDataOutput::builder()
                .metric_data_results(point("a0", 10.0))
                .metric_data_results(point("n0", 1.0))
                .build()
        })
        .build();
    let api = sdk(&[], &[], &[&rule]);
    let keys = [MetricKey {
        metric: MetricName::BytesOut,
        broker: 1,
        topic: None,
    }];
    let end = epoch("2026-11-23T00:00:00Z");
    let m = cloudwatch::read(&api, "orders-prod", &keys, end - 86_400, end, end).unwrap();
    assert_eq!(rule.num_calls(), 2, "one throttled attempt, one retry");
    // One point of 10 B/s, one minute (SampleCount 1) × 60 s.
    assert_eq!(m.get(MetricName::BytesOut, 1, None), 600.0);
}

#[test]
fn access_denied_exits_1_naming_the_missing_action() {
    let denied = mock!(aws_sdk_kafka::Client::list_nodes).then_error(|| {
        ListNodesError::generic(
            aws_sdk_kafka::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User: arn:aws:sts::123456789012:assumed-role/azcost-ci/session is not authorized to perform: kafka:ListNodes on resource: arn:aws:kafka:us-east-1:123456789012:cluster/orders-prod/6f1c3e2a-9b1d-4c7e-a5f0-2d8e4b6c1a90-3")
                .build(),
        )
    });
    let api = sdk(&[&denied], &[], &[]);
    let err = api.list_nodes(ARN).unwrap_err();
    assert_eq!(err.exit_code(), 1);
    let text = err.to_string();
    assert!(
        text.contains("AWS denied kafka:ListNodes (AccessDeniedException)")
            && text.contains("add it to the policy"),
        "{text}"
    );
}

#[test]
fn iam_policy_lists_exactly_the_actions_the_adapter_calls() {
    let policy: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/iam-policy.json")).unwrap();
    let actions = |i: usize| -> Vec<String> {
        let mut a: Vec<String> = policy["Statement"][i]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        a.sort();
        a
    };
    let mut declared: Vec<String> = aws::CALLS.iter().map(|c| c.action().to_string()).collect();
    declared.sort();
    assert_eq!(actions(0), declared);
    // The data-plane statement: exactly the actions of the Kafka requests
    // the collector sends (tests/it/iam.rs checks those requests).
    let data_plane: Vec<String> = aws::kafka_cluster_actions()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(actions(1), data_plane);
    for s in policy["Statement"].as_array().unwrap() {
        assert_eq!(s["Effect"], "Allow");
    }
    // The calls the adapter's code really makes (`self.kafka.list_nodes()`
    // …), turned into IAM action names, are exactly the declared ones.
    let source = include_str!("../../src/collect/msk/aws.rs");
    let call = regex::Regex::new(r"self\.(kafka|ec2|cloudwatch)\s*\.([a-z0-9_]+)\(\)").unwrap();
    let mut made: Vec<String> = call
        .captures_iter(source)
        .map(|c| {
            let op: String = c[2]
                .split('_')
                .map(|w| {
                    let mut ch = w.chars();
                    let first = ch.next().unwrap().to_ascii_uppercase();
                    std::iter::once(first).chain(ch).collect::<String>()
                })
                .collect();
            format!("{}:{op}", &c[1])
        })
        .collect();
    made.sort();
    made.dedup();
    assert_eq!(made, declared);
}

#[test]
fn follower_fetching_verdicts_on_crafted_figures() {
    let f = |broker, measured, leader_only, current| BrokerFigures {
        broker,
        topic: Some("orders".to_string()),
        measured,
        leader_only,
        current,
    };
    // Two brokers lead 100 each; `current` moves 60 to followers (30%).
    // Measured: broker 1 sent 40 and broker 2 sent 160: 60 beyond
    // leadership, 30% of 200: yes.
    let yes = follower_check::judge(vec![f(1, 40.0, 100.0, 40.0), f(2, 160.0, 100.0, 160.0)]);
    assert_eq!(yes.outcome, Outcome::Yes);
    assert!((yes.measured_share - 0.30).abs() < 1e-12);
    assert!((yes.predicted_share - 0.30).abs() < 1e-12);
    // Measured 20 beyond leadership (10%), a third of the 30% predicted: partly.
    let partly = follower_check::judge(vec![f(1, 80.0, 100.0, 40.0), f(2, 120.0, 100.0, 160.0)]);
    assert_eq!(partly.outcome, Outcome::Partly);
    assert!((partly.measured_share - 0.10).abs() < 1e-12);
    // Everything from the leaders although `current` predicts 30%: no.
    let no = follower_check::judge(vec![f(1, 100.0, 100.0, 40.0), f(2, 100.0, 100.0, 160.0)]);
    assert_eq!(no.outcome, Outcome::No);
    assert!(
        no.sentence()
            .starts_with("follower fetching observed: no (0.0%")
    );
    assert!(
        no.sentence().contains("predicts 30.0%"),
        "{}",
        no.sentence()
    );
    // Nothing measured: unknown.
    assert_eq!(
        follower_check::judge(vec![f(1, 0.0, 10.0, 10.0)]).outcome,
        Outcome::Unknown
    );
}

#[test]
fn malformed_arn_and_window_with_start_exit_2() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_azcost"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[
        "audit",
        "--cluster-arn",
        "arn:aws:kafka:us-east-1:1234:cluster/x",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--cluster-arn") && err.contains("cluster/NAME/UUID"),
        "{err}"
    );
    let (code, err) = run(&[
        "collect",
        "msk",
        "--cluster-arn",
        ARN,
        "--window",
        "7d",
        "--start",
        "2026-11-01T00:00:00Z",
        "--end",
        "2026-11-02T00:00:00Z",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--window and --start/--end exclude each other"),
        "{err}"
    );
    let (code, err) = run(&["audit", "--window", "30d"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--window needs a live cluster") && err.contains("--cluster-arn ARN"),
        "{err}"
    );
    let (code, err) = run(&["audit", "--cluster-arn", ARN, "--bootstrap", "b-1:9092"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("exclude each other"), "{err}");
    let (code, err) = run(&["audit", "--region", "us-east-1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--region needs --cluster-arn"), "{err}");
}

fn options(msk: MskSourceArgs, now: &str) -> MskOptions {
    let kafka = KafkaSourceArgs {
        timeout: Some(Duration::from_secs(10)),
        ..KafkaSourceArgs::default()
    };
    msk_options(&msk, &kafka, true, now.parse().unwrap())
        .unwrap()
        .unwrap()
}

#[test]
fn cloudwatch_only_run_reports_partial_datapoints_as_coverage_not_zeros() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    // Every broker sends 1 MiB/s in and 2 MiB/s out; broker 6 lost the
    // first 36 of the 168 hours of the week; broker 5's first hour has one
    // minute of 60 (SampleCount 1).
    let cw = cloudwatch_rule_samples(
        Arc::new(|name, _| match name {
            "BytesInPerSec" => Some(1_048_576.0),
            "BytesOutPerSec" => Some(2_097_152.0),
            _ => None,
        }),
        Arc::new(|d, hour, period| match (d["Broker ID"].as_str(), hour) {
            ("6", h) if h < 36 => None,
            ("5", 0) => Some(1.0),
            _ => Some(period as f64 / 60.0),
        }),
        sizes.clone(),
    );
    let api = mocked_aws("unused:9092", EnhancedMonitoring::Default, &cw);
    let opts = options(
        MskSourceArgs {
            cluster_arn: Some(ARN.to_string()),
            no_kafka: true,
            ..MskSourceArgs::default()
        },
        "2026-11-23T12:34:56Z",
    );
    let done = msk::collect(&opts, &api, &mut || {}).unwrap();
    let s = &done.snapshot;
    // 12 keys × 10,080 minutes = 120,960; missing: 2 × 36 × 60 on broker
    // 6 and 2 × 59 on broker 5: 116,522 present, 96.3%.
    let w = s.warnings.join("\n");
    assert!(
        w.contains(
            "CloudWatch returned 96.3% of metric-minutes of bytes in/out (116522 of 120960); weakest: BytesInPerSec on broker 6, 78.6%"
        ),
        "{w}"
    );
    assert!(w.contains("understated by about 3.7%"), "{w}");
    // The weakest bytes key: broker 6's BytesIn (BytesIn sorts before
    // BytesOut), 132 of 168 hours.
    let (weakest, share) = done.measured.weakest.clone().unwrap();
    assert_eq!((weakest.metric, weakest.broker), (MetricName::BytesIn, 6));
    assert!((share - 132.0 / 168.0).abs() < 1e-12);
    assert!(w.contains("placement is assumed"), "{w}");
    // Broker 6's bytes are those of its 132 present hours, not 168 hours
    // and not zero-filled: 1 MiB/s × 3600 s × 132.
    let p6 = s.partitions.iter().find(|p| p.partition == 6).unwrap();
    assert_eq!(p6.bytes_in, 1_048_576.0 * 3_600.0 * 132.0);
    // Broker 5's first hour counts its one minute, not 60.
    let p5 = s.partitions.iter().find(|p| p.partition == 5).unwrap();
    assert_eq!(p5.bytes_in, 1_048_576.0 * 60.0 * (167.0 * 60.0 + 1.0));
    let p1 = s.partitions.iter().find(|p| p.partition == 1).unwrap();
    assert_eq!(p1.bytes_in, 1_048_576.0 * 3_600.0 * 168.0);
    // Window: the 7 days ending at the last whole hour.
    assert_eq!(s.window.start, "2026-11-16T12:00:00Z");
    assert_eq!(s.window.end, "2026-11-23T12:00:00Z");
    // Zones: broker 4 sits in subnet …0001, use1-az1; names from EC2.
    let b4 = s.brokers.iter().find(|b| b.id == 4).unwrap();
    assert_eq!(b4.zone.as_deref(), Some("use1-az1"));
    assert!(
        s.zones
            .iter()
            .any(|z| z.id == "use1-az1" && z.name.as_deref() == Some("us-east-1d"))
    );
    assert_eq!(
        s.cluster.replica_selector.as_deref(),
        Some("org.apache.kafka.common.replica.RackAwareReplicaSelector")
    );
    // DEFAULT monitoring: no replication metrics; 12 keys, Average and
    // SampleCount each, two pages.
    assert_eq!(done.measured.metrics_requested, 48);
    // Placement assumed: the follower check cannot judge, and says why.
    assert_eq!(done.verdict.outcome, Outcome::Unknown);
    assert!(
        w.contains(
            "follower fetching observed: unknown (Kafka was not read, so placement is assumed"
        ),
        "{w}"
    );
    assert!(!w.contains("follower fetching observed: no"), "{w}");
    assert!(azcost::snapshot::validate(s).is_empty());
}

/// The end-to-end test of issue 4: a 6-broker, 3-zone MSK cluster with
/// mocked MSK, EC2 and CloudWatch answers and librdkafka's mock cluster
/// for placement, collected and audited, against a hand-computed answer.
///
/// Cluster: brokers 1,4 in use1-az1; 2,5 in use1-az2; 3,6 in use1-az4
/// (racks = AZ IDs, as MSK sets them). Topic `orders`: 6 partitions,
/// partition p led by broker p+1; `payments`: 3 partitions led by 1, 3, 5.
/// RF 6, so every zone holds an in-sync replica of every partition.
/// Window: 30 days, 2026-10-24T00:00:00Z to 2026-11-23T00:00:00Z
/// (W = 2,592,000 s), hourly (it starts 30.5 days before `now`).
///
/// CloudWatch (bytes over the window, from constant rates):
///   BytesInPerSec  orders   on each broker 1..6 (each leads one): 120 GiB
///     → 720 GiB for the topic, split evenly (no offset growth): 120 GiB each
///   BytesInPerSec  payments on 1, 3, 5: 40 GiB; on 2, 4, 6 (followers): 0
///     → 120 GiB for the topic: 40 GiB per partition
///   BytesOutPerSec orders   on each broker:     240 GiB → 1,440 GiB read
///   BytesOutPerSec payments on 1, 3, 5: 40 GiB; on 2, 4, 6: 0 → 120 GiB read
/// The mock cluster has no groups API, so reads fall back to one
/// `unattributed/<topic>` group per topic (no members: unknown zone),
/// spread over partitions by bytes in: 240 GiB per orders partition,
/// 40 GiB per payments partition.
///
/// By hand (cost-model.md, platform msk, 3 zones, uniform producers):
///   produce     = (720 + 120) GiB × 2/3                     =   560 GiB
///   replication = 840 GiB × 4 followers in other zones      = 3,360 GiB (not billed)
///   consume leader_only = 1,560 GiB × 2/3 (unknown zone: the
///     leader is in another zone for 2 of 3 zones)            = 1,040 GiB
///   consume current = leader_only (no member sends client.rack) = 1,040 GiB
///   consume rack_aware = 0 (an in-sync replica in every zone)
///   billed: leader_only = current = 1,600 GiB → $32.00; rack_aware = 560 GiB → $11.20
///   monthly = × 730 h / 720 h: $32.444444 and $11.355556; savings $21.088889
/// CloudWatch: BytesIn and BytesOut on every replica broker of each topic
///   (12 + 12) + 12 replication (PER_TOPIC_PER_BROKER) = 36 keys, each
///   asked for Average and SampleCount: 72 queries in one batch, answered
///   in two pages: 144 metrics requested.
#[test]
fn end_to_end_six_brokers_three_zones_matches_the_hand_computed_audit() {
    use rdkafka::mocking::MockCluster;
    let mock: MockCluster<'static, rdkafka::producer::DefaultProducerContext> =
        MockCluster::new(6).expect("librdkafka mock cluster");
    for b in 1..=6 {
        mock.broker_rack(b, SUBNETS[((b - 1) % 3) as usize].2)
            .unwrap();
    }
    mock.create_topic("orders", 6, 6).unwrap();
    mock.create_topic("payments", 3, 6).unwrap();
    for p in 0..6 {
        mock.partition_leader("orders", p, Some(p + 1)).unwrap();
    }
    for p in 0..3 {
        mock.partition_leader("payments", p, Some(2 * p + 1))
            .unwrap();
    }
    let window = 2_592_000.0;
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let cw = cloudwatch_rule(
        Arc::new(move |name, d| {
            let broker: i32 = d["Broker ID"].parse().unwrap();
            let topic = d.get("Topic").map(String::as_str);
            let gib = match (name, topic) {
                ("BytesInPerSec", Some("orders")) => 120.0,
                // Producers reach only leaders: like real MSK, a broker that
                // leads no partition of payments publishes no series for it.
                ("BytesInPerSec", Some("payments")) if broker % 2 == 1 => 40.0,
                ("BytesOutPerSec", Some("orders")) => 240.0,
                ("BytesOutPerSec", Some("payments")) if broker % 2 == 1 => 40.0,
                ("ReplicationBytesInPerSec", None) | ("ReplicationBytesOutPerSec", None) => 500.0,
                _ => return None,
            };
            Some(gib * GIB / window)
        }),
        Arc::new(|_, _| false),
        sizes.clone(),
    );
    let done = collect_30_days(
        &mock.bootstrap_servers(),
        EnhancedMonitoring::PerTopicPerBroker,
        &cw,
    );
    let s = &done.snapshot;
    assert!(azcost::snapshot::validate(s).is_empty());

    // Zones from subnets, racks from Kafka, selector from the configuration.
    for b in &s.brokers {
        let zone = SUBNETS[((b.id - 1) % 3) as usize].2;
        assert_eq!(
            (b.zone.as_deref(), b.rack.as_deref()),
            (Some(zone), Some(zone))
        );
        assert_eq!(b.instance_type.as_deref(), Some("kafka.m5.large"));
    }
    assert_eq!(s.cluster.name, "orders-prod");
    assert_eq!(s.cluster.platform, Some(azcost::snapshot::Platform::Msk));
    // The ARN rides along for `azcost reconcile` (issue 14).
    assert_eq!(s.cluster.arn.as_deref(), Some(ARN));
    assert_eq!(s.window.start, "2026-10-24T00:00:00Z");
    // Bytes: CloudWatch's, per leader and topic.
    let part = |t: &str, p: i32| {
        s.partitions
            .iter()
            .find(|x| x.topic == t && x.partition == p)
            .unwrap()
    };
    for p in 0..6 {
        assert!((part("orders", p).bytes_in - 120.0 * GIB).abs() < 1.0);
    }
    assert!((part("payments", 2).bytes_in - 40.0 * GIB).abs() < 1.0);
    // Groups: the fallback, flagged.
    let groups: Vec<&str> = s.consumer_groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(groups, vec!["unattributed/orders", "unattributed/payments"]);
    let w = s.warnings.join("\n");
    assert!(w.contains("no committed-offset growth was seen"), "{w}");
    assert!(w.contains("could not list consumer groups"), "{w}");
    // Follower fetching: every byte left the leaders, as `current` predicts.
    assert_eq!(done.verdict.outcome, Outcome::No);
    assert!(w.contains("follower fetching observed: no"), "{w}");
    // CloudWatch bill of the run.
    assert_eq!(done.measured.metrics_requested, 144);
    assert_eq!(*sizes.lock().unwrap(), vec![72, 72]);
    // The six absent follower series are named, not counted as missing.
    assert_eq!(done.measured.coverage(), 1.0);
    assert_eq!(done.measured.silent_series.len(), 6);
    assert!(
        w.contains("6 per-broker topic series had no datapoint at all in the window (BytesInPerSec of payments on broker 2"),
        "{w}"
    );
    assert!(!w.contains("CloudWatch returned"), "{w}");

    let a = azcost::model::analyze(s, &Pricing::default());
    let t = |sc: Scenario| a.scenarios.get(sc).clone();
    let close = |got: f64, want: f64, what: &str| {
        assert!(
            (got - want).abs() < 1e-6 * want.max(1.0),
            "{what}: {got} vs {want}"
        );
    };
    close(
        t(Scenario::LeaderOnly).produce_cross_az_bytes,
        560.0 * GIB,
        "produce",
    );
    close(
        t(Scenario::LeaderOnly).replication_cross_az_bytes,
        3_360.0 * GIB,
        "replication",
    );
    close(
        t(Scenario::LeaderOnly).consume_cross_az_bytes,
        1_040.0 * GIB,
        "consume leader_only",
    );
    close(
        t(Scenario::Current).consume_cross_az_bytes,
        1_040.0 * GIB,
        "consume current",
    );
    assert!(t(Scenario::RackAware).consume_cross_az_bytes.abs() < 1.0);
    close(t(Scenario::LeaderOnly).cost_usd, 32.0, "leader_only $");
    close(t(Scenario::Current).cost_usd, 32.0, "current $");
    close(t(Scenario::RackAware).cost_usd, 11.2, "rack_aware $");
    close(
        t(Scenario::LeaderOnly).monthly_cost_usd,
        32.0 * 730.0 / 720.0,
        "monthly",
    );
    close(
        t(Scenario::RackAware).monthly_cost_usd,
        11.2 * 730.0 / 720.0,
        "monthly",
    );
    close(
        a.savings.monthly_usd_rack_aware_vs_leader_only,
        20.8 * 730.0 / 720.0,
        "savings",
    );
    eprintln!(
        "e2e: {} metrics requested (${:.5}); leader_only ${:.6}, current ${:.6}, rack_aware ${:.6} in the window",
        done.measured.metrics_requested,
        done.measured.cost_usd(),
        t(Scenario::LeaderOnly).cost_usd,
        t(Scenario::Current).cost_usd,
        t(Scenario::RackAware).cost_usd
    );
}

/// A DEFAULT-monitoring cluster read through Kafka (librdkafka's mock
/// cluster, 6 brokers; `orders` 6 partitions, `payments` 3). CloudWatch
/// answers only queries without a `Broker ID` (the `Cluster Name` + `Topic`
/// series, the only per-topic ones at DEFAULT); `rate` gives GiB over the
/// window per topic and metric.
/// The SDK adapter over mocked MSK and EC2 answers (`bootstrap` and
/// `level` in the MSK ones) and the CloudWatch rule `cw`.
fn mocked_aws(bootstrap: &str, level: EnhancedMonitoring, cw: &Rule) -> SdkAws {
    let kafka = control_rules(bootstrap, level);
    let ec2 = ec2_rules();
    sdk(
        &kafka.iter().collect::<Vec<_>>(),
        &ec2.iter().collect::<Vec<_>>(),
        &[cw],
    )
}

/// The MSK collection of the 30 days to 2026-11-23 against mocked MSK and
/// EC2 answers at `level`, CloudWatch rule `cw`, and the Kafka mock
/// cluster at `bootstrap` watched for one second.
fn collect_30_days(bootstrap: &str, level: EnhancedMonitoring, cw: &Rule) -> msk::Collection {
    let api = mocked_aws(bootstrap, level, cw);
    let opts = options(
        MskSourceArgs {
            cluster_arn: Some(ARN.to_string()),
            start: Some("2026-10-24T00:00:00Z".to_string()),
            end: Some("2026-11-23T00:00:00Z".to_string()),
            kafka_window: Some(Duration::from_secs(1)),
            ..MskSourceArgs::default()
        },
        "2026-11-23T12:00:00Z",
    );
    msk::collect(&opts, &api, &mut || {}).expect("MSK collection")
}

fn default_level_kafka_run(
    rate: impl Fn(&str, &str) -> Option<f64> + Send + Sync + 'static,
) -> msk::Collection {
    use rdkafka::mocking::MockCluster;
    let mock: MockCluster<'static, rdkafka::producer::DefaultProducerContext> =
        MockCluster::new(6).expect("librdkafka mock cluster");
    for b in 1..=6 {
        mock.broker_rack(b, SUBNETS[((b - 1) % 3) as usize].2)
            .unwrap();
    }
    mock.create_topic("orders", 6, 3).unwrap();
    mock.create_topic("payments", 3, 3).unwrap();
    let window = 2_592_000.0;
    let cw = cloudwatch_rule(
        Arc::new(move |name, d| {
            if d.contains_key("Broker ID") {
                return None;
            }
            rate(name, d.get("Topic")?).map(|gib| gib * GIB / window)
        }),
        Arc::new(|_, _| false),
        Arc::new(Mutex::new(Vec::new())),
    );
    collect_30_days(&mock.bootstrap_servers(), EnhancedMonitoring::Default, &cw)
}

#[test]
fn default_monitoring_reads_the_cluster_wide_topic_series() {
    let done = default_level_kafka_run(|name, topic| match (name, topic) {
        ("BytesInPerSec", "orders") => Some(60.0),
        ("BytesInPerSec", "payments") => Some(45.0),
        ("BytesOutPerSec", "orders") => Some(120.0),
        ("BytesOutPerSec", "payments") => Some(30.0),
        _ => None,
    });
    let s = &done.snapshot;
    // 60 GiB of orders over 6 partitions (no offset growth: evenly), 45
    // GiB of payments over 3.
    assert_eq!(s.partitions.len(), 9);
    for p in s.partitions.iter() {
        let want = if p.topic == "orders" { 10.0 } else { 15.0 };
        assert!((p.bytes_in - want * GIB).abs() < 1.0, "{p:?}");
    }
    let read: f64 = s
        .consumer_groups
        .iter()
        .flat_map(|g| g.bytes_read.iter().flatten())
        .map(|r| r.bytes)
        .sum();
    assert!((read - 150.0 * GIB).abs() < 1.0, "{read}");
    let w = s.warnings.join("\n");
    assert!(
        w.contains("enhanced monitoring is DEFAULT: CloudWatch has per-broker topic series only at PER_TOPIC_PER_BROKER"),
        "{w}"
    );
    // 2 topics × (in, out), no replication at DEFAULT: full coverage.
    // 30 days = 43,200 minutes per key.
    assert_eq!(done.measured.expected, 4 * 43_200);
    // No per-broker topic series: the follower check cannot judge.
    assert_eq!(done.verdict.outcome, Outcome::Unknown);
    assert!(
        w.contains("follower fetching observed: unknown (CloudWatch has BytesOutPerSec per topic only for the whole cluster"),
        "{w}"
    );
    assert_eq!(done.measured.coverage(), 1.0);
    assert!(!w.contains("CloudWatch returned"), "{w}");
}

#[test]
fn missing_per_topic_series_is_reported_as_coverage_not_zeros() {
    // payments has no series at all: half of the four bytes keys missing.
    let done = default_level_kafka_run(|name, topic| match (name, topic) {
        ("BytesInPerSec", "orders") => Some(60.0),
        ("BytesOutPerSec", "orders") => Some(120.0),
        _ => None,
    });
    assert_eq!(done.measured.present, 2 * 43_200);
    assert_eq!(done.measured.coverage(), 0.5);
    let w = done.snapshot.warnings.join("\n");
    assert!(
        w.contains("CloudWatch returned 50.0% of metric-minutes of bytes in/out (86400 of 172800); weakest: BytesInPerSec of payments (all brokers), 0.0%"),
        "{w}"
    );
}

/// An IAM-only cluster (GetBootstrapBrokers gives only the SASL/IAM
/// string) read through IAM: six mock brokers behind SASL-terminating
/// proxies that accept only tokens signed with the credentials the MSK
/// calls use, for the ARN's region.
#[test]
fn iam_only_cluster_is_read_over_iam_with_the_credentials_of_the_msk_calls() {
    use aws_credential_types::provider::SharedCredentialsProvider;
    let mock = crate::iam::Mock::new(6);
    for b in 1..=6 {
        mock.rack(b, SUBNETS[((b - 1) % 3) as usize].2);
    }
    mock.topic("orders", 6, 3);
    mock.topic("payments", 3, 3);
    let trusted = crate::sasl_proxy::Trusted {
        region: "us-east-1".to_string(),
        ..crate::iam::trusted()
    };
    let proxied = crate::iam::put_proxies_trusting(&mock, trusted);
    let window = 2_592_000.0;
    let cw = cloudwatch_rule(
        Arc::new(move |name, d| {
            if d.contains_key("Broker ID") {
                return None;
            }
            match (name, d.get("Topic")?.as_str()) {
                ("BytesInPerSec", "orders") => Some(60.0 * GIB / window),
                ("BytesOutPerSec", "orders") => Some(120.0 * GIB / window),
                _ => None,
            }
        }),
        Arc::new(|_, _| false),
        Arc::new(Mutex::new(Vec::new())),
    );
    let rules = control_rules_with("", &proxied.bootstrap, EnhancedMonitoring::Default);
    let ec2 = ec2_rules();
    let plain = || {
        sdk(
            &rules.iter().collect::<Vec<_>>(),
            &ec2.iter().collect::<Vec<_>>(),
            &[&cw],
        )
    };
    let api = plain().with_credentials(SharedCredentialsProvider::new(crate::iam::credentials(
        crate::iam::SECRET,
    )));
    let msk = |auth: Option<azcost::cli::KafkaAuth>| MskSourceArgs {
        cluster_arn: Some(ARN.to_string()),
        start: Some("2026-10-24T00:00:00Z".to_string()),
        end: Some("2026-11-23T00:00:00Z".to_string()),
        kafka_window: Some(Duration::from_secs(1)),
        kafka_auth: auth,
        ..MskSourceArgs::default()
    };
    let kafka = KafkaSourceArgs {
        timeout: Some(Duration::from_secs(10)),
        // The test proxies speak plain TCP; MSK's IAM listener is TLS.
        kafka_setting: vec!["security.protocol=SASL_PLAINTEXT".to_string()],
        ..KafkaSourceArgs::default()
    };
    let opts = msk_options(
        &msk(None),
        &kafka,
        true,
        "2026-11-23T12:00:00Z".parse().unwrap(),
    )
    .unwrap()
    .unwrap();
    let done = msk::collect(&opts, &api, &mut || {}).expect("IAM-only cluster collected");
    let s = &done.snapshot;
    let w = s.warnings.join("\n");
    assert!(!w.contains("placement is assumed"), "{w}");
    // Placement and racks from Kafka itself, over IAM.
    assert_eq!(s.partitions.len(), 9);
    for b in &s.brokers {
        assert_eq!(
            b.rack.as_deref(),
            Some(SUBNETS[((b.id - 1) % 3) as usize].2)
        );
    }
    let read_through = s
        .provenance
        .iter()
        .any(|p| p.detail.contains("read through the iam listener"));
    assert!(read_through, "{:?}", s.provenance);
    let order = std::sync::atomic::Ordering::SeqCst;
    assert!(proxied.stats.authentications.load(order) >= 3);
    assert_eq!(proxied.stats.refusals(), Vec::<String>::new());

    // Without credentials to sign with: asked for, exit 1; by default,
    // CloudWatch only, saying why.
    let no_creds = plain();
    let explicit = msk_options(
        &msk(Some(azcost::cli::KafkaAuth::Iam)),
        &kafka,
        true,
        "2026-11-23T12:00:00Z".parse().unwrap(),
    )
    .unwrap()
    .unwrap();
    let err = msk::collect(&explicit, &no_creds, &mut || {}).unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(err.to_string().contains("IAM authentication"), "{err}");
    let fallback = msk::collect(&opts, &no_creds, &mut || {}).unwrap();
    let w = fallback.snapshot.warnings.join("\n");
    assert!(
        w.contains("only Kafka listener is IAM") && w.contains("no AWS credentials"),
        "{w}"
    );
    assert!(w.contains("placement is assumed"), "{w}");
}

#[test]
fn report_config_takes_cluster_arn_instead_of_a_snapshot() {
    use azcost::cli::{Cli, Command};
    use azcost::job::config::ClusterSource;
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let resolve = |text: &str| {
        let path = dir.path().join("azcost.toml");
        std::fs::write(&path, text).unwrap();
        let cli =
            Cli::try_parse_from(["azcost", "report", "--config", path.to_str().unwrap()]).unwrap();
        match cli.command {
            Command::Report(args) => azcost::job::config::resolve(&args, jiff::Timestamp::now()),
            _ => unreachable!(),
        }
    };
    let cfg = resolve(&format!(
        "[[clusters]]\nname = \"orders-prod\"\ncluster_arn = \"{ARN}\"\nregion = \"us-east-1\"\nwindow = \"30d\"\n"
    ))
    .unwrap();
    match &cfg.clusters[0].source {
        ClusterSource::Msk(opts) => {
            assert_eq!(opts.arn.text, ARN);
            assert_eq!(opts.region.as_deref(), Some("us-east-1"));
            assert_eq!(opts.profile, None);
            // The configured window is the CloudWatch history, ending at a
            // whole hour.
            assert_eq!(opts.end - opts.start, 30 * 86_400);
            assert_eq!(opts.end % 3_600, 0);
            let kafka = opts.kafka.as_ref().expect("Kafka is read");
            assert_eq!(kafka.settings.keys().count(), 0);
            assert!(kafka.zone_map.is_empty() && opts.zone_map.is_empty());
            assert!(opts.quiet && !kafka.progress);
        }
        other => panic!("expected an MSK source, got {other:?}"),
    }
    // The Kafka settings of the entry reach the live Kafka read.
    std::fs::write(
        dir.path().join("client.properties"),
        "ssl.ca.location=/etc/ssl/ca.pem\n",
    )
    .unwrap();
    let with_kafka = resolve(&format!(
        "[[clusters]]\nname = \"orders-prod\"\ncluster_arn = \"{ARN}\"\nkafka_config = \"client.properties\"\ngroup = \"^billing\"\nzone_map = [\"10.9.0.0/16=use1-az2\"]\nbroker_zone = [\"1=use1-az1\"]\n[clusters.kafka]\n\"sasl.username\" = \"auditor\"\n\"security.protocol\" = \"SASL_SSL\"\n"
    ))
    .unwrap();
    match &with_kafka.clusters[0].source {
        ClusterSource::Msk(opts) => {
            assert_eq!(opts.arn.text, ARN);
            let kafka = opts.kafka.as_ref().expect("Kafka is read");
            assert_eq!(
                kafka.settings.keys().collect::<Vec<_>>(),
                ["ssl.ca.location", "sasl.username", "security.protocol"]
            );
            assert_eq!(
                kafka.group_filter.as_ref().map(|g| g.as_str()),
                Some("^billing")
            );
            let zones =
                azcost::collect::zone_map::ZoneMap::parse(["10.9.0.0/16=use1-az2"], "t").unwrap();
            assert_eq!(kafka.zone_map, zones);
            assert_eq!(opts.zone_map, zones);
            assert_eq!(
                kafka.broker_zones,
                BTreeMap::from([(1, "use1-az1".to_string())])
            );
            // Filled in from GetBootstrapBrokers when the collection runs.
            assert!(kafka.bootstrap.is_empty());
        }
        other => panic!("expected an MSK source, got {other:?}"),
    }
    assert_eq!(cfg.clusters[0].window_seconds, Some(30.0 * 86_400.0));
    let err = resolve(&format!(
        "[[clusters]]\nname = \"x\"\nsnapshot = \"s.json\"\ncluster_arn = \"{ARN}\"\n"
    ))
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("snapshot, cluster_arn and bootstrap exclude each other"),
        "{err}"
    );
    let err =
        resolve("[[clusters]]\nname = \"x\"\ncluster_arn = \"arn:aws:s3:::bucket\"\n").unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("clusters[0].cluster_arn"), "{err}");
}

/// The pure assembly with a Kafka view that has groups: CloudWatch's
/// bytes split by offset growth, reads scaled by committed-offset growth,
/// the even fallbacks flagged, and follower fetching seen at the follower.
#[test]
fn assembly_splits_cloudwatch_bytes_by_kafka_weights_and_sees_follower_fetching() {
    use azcost::collect::msk::assemble::{Inputs, assemble};
    use azcost::collect::msk::aws::{ClusterDescription, ClusterKind, NodeEntry};
    use azcost::collect::msk::cloudwatch::Measured;
    use azcost::collect::msk::ec2::NetworkZones;
    use azcost::collect::msk::{ClusterArn, Control};
    use azcost::snapshot::{
        Broker, BytesRead, ConsumerGroup, Member, Partition, RACK_AWARE_SELECTOR, Snapshot,
        TopicPartitions,
    };
    let zones = ["use1-az1", "use1-az2", "use1-az4"];
    let control = Control {
        cluster: ClusterDescription {
            name: "orders-prod".to_string(),
            kind: ClusterKind::Provisioned,
            kafka_version: Some("3.6.0".to_string()),
            broker_type: Some("kafka.m7g.large".to_string()),
            monitoring: "PER_TOPIC_PER_BROKER".to_string(),
            broker_count: Some(3),
            client_subnets: SUBNETS.iter().map(|s| s.0.to_string()).collect(),
            configuration: None,
        },
        nodes: (1..=3)
            .map(|id| NodeEntry {
                broker_id: id,
                client_subnet: Some(SUBNETS[(id - 1) as usize].0.to_string()),
                eni: None,
                ip: None,
                endpoints: vec![],
                instance_type: None,
            })
            .collect(),
        bootstrap: Default::default(),
        selector: (Some(RACK_AWARE_SELECTOR.to_string()), "test".to_string()),
    };
    let network = NetworkZones {
        subnet_zone: SUBNETS
            .iter()
            .map(|s| (s.0.to_string(), s.2.to_string()))
            .collect(),
        vpc: Some(VPC.to_string()),
        vpc_subnets: 3,
        ..NetworkZones::default()
    };
    let part = |topic: &str, p: i32, leader: i32, bytes_in: f64| Partition {
        topic: topic.into(),
        partition: p,
        leader: Some(leader),
        replicas: vec![1, 2, 3].into(),
        isr: vec![1, 2, 3].into(),
        bytes_in,
    };
    let member = |zone: &str, rack: Option<&str>, topic: &str| Member {
        zone: Some(zone.to_string()),
        client_rack: rack.map(str::to_string),
        assignment: vec![TopicPartitions {
            topic: topic.into(),
            partitions: vec![0, 1],
        }],
        ..Member::default()
    };
    let mut kafka: Snapshot = azcost::snapshot::parse_and_validate(
        br#"{"format":"azcost.snapshot/v1","cluster":{"name":"k"},
             "window":{"start":"2026-11-23T00:00:00Z","end":"2026-11-23T00:01:00Z"},
             "brokers":[{"id":1,"rack":"r"}],"partitions":[]}"#,
        "kafka",
    )
    .unwrap();
    kafka.brokers = (1..=3)
        .map(|id| Broker {
            id,
            rack: Some(zones[(id - 1) as usize].to_string()),
            zone: None,
            host: None,
            instance_type: None,
        })
        .collect();
    // Offset growth in the live window: orders/1 grew 3× orders/0;
    // audit did not grow.
    kafka.partitions = vec![
        part("audit", 0, 2, 0.0),
        part("audit", 1, 2, 0.0),
        part("orders", 0, 1, 100.0),
        part("orders", 1, 1, 300.0),
        // Offline during the Kafka window.
        Partition {
            leader: None,
            ..part("orders", 2, 1, 0.0)
        },
    ];
    kafka.consumer_groups = vec![
        ConsumerGroup {
            group: "audit-reader".to_string(),
            members: vec![member("use1-az4", None, "audit")],
            bytes_read: Some(vec![]),
        },
        ConsumerGroup {
            group: "billing".to_string(),
            members: vec![member("use1-az2", Some("use1-az2"), "orders")],
            bytes_read: Some(vec![
                BytesRead {
                    topic: "orders".into(),
                    partition: 0,
                    bytes: 50.0,
                },
                BytesRead {
                    topic: "orders".into(),
                    partition: 1,
                    bytes: 150.0,
                },
            ]),
        },
        // Assigned to orders but committed nothing in the live window.
        ConsumerGroup {
            group: "fraud".to_string(),
            members: vec![member("use1-az1", None, "orders")],
            bytes_read: Some(vec![]),
        },
    ];
    // CloudWatch: broker 1 took 4,000 B of orders, broker 2 1,000 B of
    // audit; consumers got 8,000 B of orders from broker 2 (a follower)
    // and 500 B of audit from broker 2 (its leader).
    let key = |metric, broker, topic: &str| MetricKey {
        metric,
        broker,
        topic: Some(topic.to_string()),
    };
    let measured = Measured {
        bytes: [
            (key(MetricName::BytesIn, 1, "orders"), 3_600.0),
            // Broker 2 led orders for part of the window: its bytes count.
            (key(MetricName::BytesIn, 2, "orders"), 400.0),
            (key(MetricName::BytesIn, 2, "audit"), 1_000.0),
            (key(MetricName::BytesOut, 1, "orders"), 0.0),
            (key(MetricName::BytesOut, 2, "orders"), 8_000.0),
            (key(MetricName::BytesOut, 2, "audit"), 500.0),
        ]
        .into_iter()
        .collect(),
        period: 3_600,
        present: 72,
        expected: 72,
        ..Measured::default()
    };
    let arn = ClusterArn::parse(ARN).unwrap();
    let s = assemble(&Inputs {
        arn: &arn,
        region: "us-east-1",
        control: &control,
        network: &network,
        kafka: Some((&kafka, msk::KafkaAuth::Tls)),
        kafka_warnings: &[],
        measured: &measured,
        start: epoch("2026-11-22T00:00:00Z"),
        end: epoch("2026-11-25T00:00:00Z"),
    })
    .unwrap();
    let bytes_in = |t: &str, p: i32| {
        s.partitions
            .iter()
            .find(|x| x.topic == t && x.partition == p)
            .unwrap()
            .bytes_in
    };
    // 3,600 + 400 B (brokers 1 and 2) split 1:3 by offset growth over the
    // partitions with a leader; audit's 1,000 B evenly (flagged); the
    // offline partition gets nothing, named in a warning.
    assert_eq!(
        (bytes_in("orders", 0), bytes_in("orders", 1)),
        (1_000.0, 3_000.0)
    );
    assert_eq!((bytes_in("audit", 0), bytes_in("audit", 1)), (500.0, 500.0));
    assert_eq!(bytes_in("orders", 2), 0.0);
    let reads = |g: &str| -> Vec<f64> {
        s.consumer_groups
            .iter()
            .find(|x| x.group == g)
            .unwrap()
            .bytes_read
            .as_ref()
            .unwrap()
            .iter()
            .map(|r| r.bytes)
            .collect()
    };
    // fraud committed nothing: orders' 8,000 B go evenly to its two
    // groups (flagged); billing splits its 4,000 B 50:150 by its committed
    // growth, fraud by partition bytes in (1,000:3,000).
    assert_eq!(reads("billing"), vec![1_000.0, 3_000.0]);
    assert_eq!(reads("fraud"), vec![1_000.0, 3_000.0, 0.0]);
    // audit-reader committed nothing: audit's 500 B spread over its
    // readers (one group), by partition bytes in (1:1).
    assert_eq!(reads("audit-reader"), vec![250.0, 250.0]);
    let w = s.warnings.join("\n");
    assert!(
        w.contains("split evenly over their partitions: audit"),
        "{w}"
    );
    assert!(
        w.contains("no committed-offset growth was seen during the Kafka window for 1 topics"),
        "{w}"
    );
    assert!(
        !w.contains("CloudWatch returned"),
        "full coverage is not a warning: {w}"
    );
    assert!(
        w.contains("1 partitions had no leader during the Kafka window: they get no bytes in (their topic's CloudWatch bytes go to its partitions with a leader) and are left out of the costs: orders/2"),
        "{w}"
    );
    assert!(
        w.contains("groups reading orders committed no offsets during the Kafka window (fraud): orders's CloudWatch BytesOutPerSec is split evenly over all 2 groups reading it"),
        "{w}"
    );
    // Follower fetching: leader-only would send 8,000 B from broker 1 and
    // 500 B from broker 2; measured 0 and 8,500: 8,000 of 8,500 (94.1%)
    // beyond leadership; `current` (selector on, billing's rack = broker
    // 2's; fraud sets no rack, so its 4,000 B stay on the leader) predicts
    // 4,000 of 8,500: measured is above the prediction: yes.
    let v = follower_check::check(&s, &measured);
    assert_eq!(v.outcome, Outcome::Yes);
    assert!((v.measured_share - 8_000.0 / 8_500.0).abs() < 1e-12);
    assert!((v.predicted_share - 4_000.0 / 8_500.0).abs() < 1e-12);
    assert!(v.sentence().contains("yes (94.1%"), "{}", v.sentence());
}

#[test]
fn vpc_subnets_map_client_hosts_to_az_ids_across_pages() {
    let ec2 = ec2_rules();
    let api = sdk(&[], &ec2.iter().collect::<Vec<_>>(), &[]);
    let n = azcost::collect::msk::ec2::read(&api, &[SUBNETS[1].0.to_string()]).unwrap();
    assert_eq!(n.vpc.as_deref(), Some(VPC));
    assert_eq!(n.vpc_subnets, 4, "the second DescribeSubnets page was read");
    assert_eq!(n.clients.zone_of("/10.0.17.3"), Some("use1-az2"));
    // The client-only subnet of the second page.
    assert_eq!(n.clients.zone_of("10.0.49.7"), Some("use1-az6"));
    // Outside the VPC: unknown.
    assert_eq!(n.clients.zone_of("172.31.0.9"), None);
    assert_eq!(n.subnet_zone[SUBNETS[0].0], "use1-az1");
    assert_eq!(n.zones.len(), 6);
}

#[test]
fn unreachable_kafka_falls_back_to_cloudwatch_and_says_so() {
    // A port nothing listens on, as the plaintext listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bootstrap = format!("127.0.0.1:{port}");
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let cw = cloudwatch_rule(Arc::new(|_, _| Some(10.0)), Arc::new(|_, _| false), sizes);
    let api = mocked_aws(&bootstrap, EnhancedMonitoring::Default, &cw);
    let args = KafkaSourceArgs {
        timeout: Some(Duration::from_secs(2)),
        ..KafkaSourceArgs::default()
    };
    let msk_args = MskSourceArgs {
        cluster_arn: Some(ARN.to_string()),
        ..MskSourceArgs::default()
    };
    let opts = msk_options(
        &msk_args,
        &args,
        true,
        "2026-11-23T12:00:00Z".parse().unwrap(),
    )
    .unwrap()
    .unwrap();
    let done = msk::collect(&opts, &api, &mut || {}).expect("CloudWatch-only fallback");
    let w = done.snapshot.warnings.join("\n");
    assert!(
        w.contains(&format!("Kafka at {bootstrap} could not be read")),
        "{w}"
    );
    assert!(w.contains("placement is assumed"), "{w}");
    // 6 brokers × (in, out) at 10 B/s over the 7-day window.
    let total_in: f64 = done.snapshot.partitions.iter().map(|p| p.bytes_in).sum();
    assert_eq!(total_in, 6.0 * 10.0 * 7.0 * 86_400.0);
}
