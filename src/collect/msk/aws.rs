//! The AWS calls of the MSK collection (issue 4), behind one narrow trait.
//!
//! [`AwsApi`] has exactly the seven read-only calls `collect msk` makes, and
//! returns plain azcost structs, never SDK types: the planning and assembly
//! code above it is then testable with any double, and the least-privilege
//! policy in `docs/iam-policy.json` is checked against [`Call::action`] (one
//! IAM action per method). [`SdkAws`] is the real adapter: it follows every
//! `NextToken` page, retries throttling with the SDK's standard retry
//! (exponential backoff with jitter), and turns an AWS refusal into a
//! [`Error::Runtime`] that names the IAM action to add. The rest of azcost is
//! synchronous, so the adapter owns a current-thread tokio runtime and
//! blocks on each call.

use crate::error::Error;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_kafka::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kafka::primitives::DateTime;
use std::fmt::Debug;

/// GetMetricData accepts at most this many queries per request
/// (CloudWatch API reference, `MetricDataQueries`, "Maximum number of 500 items").
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// Attempts per AWS call, the first included, before a throttled or
/// transient failure is final.
pub const MAX_ATTEMPTS: u32 = 5;

/// The seven calls of [`AwsApi`], each needing one IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    /// MSK DescribeClusterV2.
    DescribeClusterV2,
    /// MSK ListNodes.
    ListNodes,
    /// MSK GetBootstrapBrokers.
    GetBootstrapBrokers,
    /// MSK DescribeConfigurationRevision.
    DescribeConfigurationRevision,
    /// EC2 DescribeSubnets.
    DescribeSubnets,
    /// EC2 DescribeAvailabilityZones.
    DescribeAvailabilityZones,
    /// CloudWatch GetMetricData.
    GetMetricData,
}

/// Every call the trait makes, in the order a collection makes them.
pub const CALLS: [Call; 7] = [
    Call::DescribeClusterV2,
    Call::ListNodes,
    Call::GetBootstrapBrokers,
    Call::DescribeConfigurationRevision,
    Call::DescribeSubnets,
    Call::DescribeAvailabilityZones,
    Call::GetMetricData,
];

/// The Kafka requests the collector sends through MSK's IAM listener, and
/// the `kafka-cluster:` actions MSK's IAM authorizer needs for each. MSK
/// defines each action as a Kafka ACL operation (DescribeTopic = DESCRIBE
/// TOPIC, ReadData = READ TOPIC, DescribeGroup = DESCRIBE GROUP,
/// Describe*DynamicConfiguration = DESCRIBE_CONFIGS), and Kafka's
/// authorizer asks for these operations per request. librdkafka's
/// DescribeCluster and DescribeTopics are Metadata requests without
/// authorized operations, so `kafka-cluster:DescribeCluster` is not needed;
/// ListGroups shows every group the principal may describe; the sizing
/// Fetch has no group, so no `AlterGroup`. The IAM tests record the API
/// keys a collection sends and check each is listed here.
pub const KAFKA_REQUESTS: [(&str, &[&str]); 12] = [
    ("ApiVersions", &["kafka-cluster:Connect"]),
    ("SaslHandshake", &["kafka-cluster:Connect"]),
    ("SaslAuthenticate", &["kafka-cluster:Connect"]),
    (
        "Metadata",
        &["kafka-cluster:Connect", "kafka-cluster:DescribeTopic"],
    ),
    ("ListOffsets", &["kafka-cluster:DescribeTopic"]),
    (
        "DescribeConfigs",
        &[
            "kafka-cluster:DescribeClusterDynamicConfiguration",
            "kafka-cluster:DescribeTopicDynamicConfiguration",
        ],
    ),
    ("FindCoordinator", &["kafka-cluster:DescribeGroup"]),
    ("ListGroups", &["kafka-cluster:DescribeGroup"]),
    ("DescribeGroups", &["kafka-cluster:DescribeGroup"]),
    (
        "OffsetFetch",
        &["kafka-cluster:DescribeGroup", "kafka-cluster:DescribeTopic"],
    ),
    ("Fetch", &["kafka-cluster:ReadData"]),
    // KIP-714 client metrics: librdkafka asks when a broker offers it;
    // Kafka authorizes it for any authenticated client.
    ("GetTelemetrySubscriptions", &["kafka-cluster:Connect"]),
];

/// Every `kafka-cluster:` action of [`KAFKA_REQUESTS`], sorted, once each:
/// the data-plane statement of `docs/iam-policy.json`.
pub fn kafka_cluster_actions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = KAFKA_REQUESTS
        .iter()
        .flat_map(|(_, actions)| actions.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

impl Call {
    /// The IAM action the call needs: what the policy must allow.
    pub fn action(self) -> &'static str {
        match self {
            Call::DescribeClusterV2 => "kafka:DescribeClusterV2",
            Call::ListNodes => "kafka:ListNodes",
            Call::GetBootstrapBrokers => "kafka:GetBootstrapBrokers",
            Call::DescribeConfigurationRevision => "kafka:DescribeConfigurationRevision",
            Call::DescribeSubnets => "ec2:DescribeSubnets",
            Call::DescribeAvailabilityZones => "ec2:DescribeAvailabilityZones",
            Call::GetMetricData => "cloudwatch:GetMetricData",
        }
    }
}

/// Provisioned (brokers we can see) or serverless (no brokers, no zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterKind {
    /// MSK Provisioned: Standard or Express brokers.
    Provisioned,
    /// MSK Serverless.
    Serverless,
}

/// What DescribeClusterV2 tells about a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDescription {
    /// Cluster name.
    pub name: String,
    /// Provisioned or serverless.
    pub kind: ClusterKind,
    /// Kafka version, e.g. `3.6.0`.
    pub kafka_version: Option<String>,
    /// Broker instance type, e.g. `kafka.m5.large` or `express.m7g.large`.
    pub broker_type: Option<String>,
    /// Enhanced monitoring level (`DEFAULT`, `PER_BROKER`,
    /// `PER_TOPIC_PER_BROKER`, `PER_TOPIC_PER_PARTITION`).
    pub monitoring: String,
    /// Number of brokers the cluster is configured with.
    pub broker_count: Option<i32>,
    /// Client subnets of the broker node group.
    pub client_subnets: Vec<String>,
    /// Custom configuration ARN and revision, when one is attached.
    pub configuration: Option<(String, i64)>,
}

impl ClusterDescription {
    /// Express brokers are named `express.*`.
    pub fn express(&self) -> bool {
        self.broker_type
            .as_deref()
            .is_some_and(|t| t.starts_with("express."))
    }
}

/// One broker from ListNodes.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEntry {
    /// Kafka broker id.
    pub broker_id: i32,
    /// Client subnet the broker's ENI sits in.
    pub client_subnet: Option<String>,
    /// The broker's ENI.
    pub eni: Option<String>,
    /// The broker's client IP in the VPC.
    pub ip: Option<String>,
    /// DNS names of the broker.
    pub endpoints: Vec<String>,
    /// Instance type.
    pub instance_type: Option<String>,
}

/// GetBootstrapBrokers: one bootstrap string per listener (private VPC ones).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BootstrapBrokers {
    /// PLAINTEXT listener (port 9092).
    pub plaintext: Option<String>,
    /// TLS listener (9094).
    pub tls: Option<String>,
    /// SASL/SCRAM over TLS (9096).
    pub sasl_scram: Option<String>,
    /// SASL/IAM over TLS (9098).
    pub sasl_iam: Option<String>,
}

/// Which subnets DescribeSubnets should return.
#[derive(Debug, Clone, PartialEq)]
pub enum SubnetQuery {
    /// These subnet ids.
    Ids(Vec<String>),
    /// Every subnet of this VPC.
    Vpc(String),
}

/// One subnet.
#[derive(Debug, Clone, PartialEq)]
pub struct SubnetEntry {
    /// `subnet-…`.
    pub subnet_id: String,
    /// `vpc-…`.
    pub vpc_id: Option<String>,
    /// IPv4 CIDR.
    pub cidr: Option<String>,
    /// AZ name in this account (`us-east-1a`).
    pub az_name: Option<String>,
    /// AZ ID (`use1-az1`).
    pub az_id: Option<String>,
}

/// An AZ name and its ID in the calling account.
#[derive(Debug, Clone, PartialEq)]
pub struct AzEntry {
    /// `us-east-1a`.
    pub name: String,
    /// `use1-az1`.
    pub id: String,
}

/// One metric of a GetMetricData request.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    /// Query id, unique in the request (`[a-z][a-zA-Z0-9_]*`).
    pub id: String,
    /// Metric name in namespace `AWS/Kafka`.
    pub metric_name: String,
    /// Dimension name and value pairs.
    pub dimensions: Vec<(String, String)>,
    /// Period, seconds.
    pub period: i32,
    /// Statistic, e.g. `Average`.
    pub stat: String,
}

/// The datapoints of one query, every page joined.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricSeries {
    /// The query id.
    pub id: String,
    /// (epoch seconds, value) pairs.
    pub points: Vec<(i64, f64)>,
    /// `Complete`, `PartialData`, … of the last page.
    pub status: Option<String>,
}

/// The namespace of every MSK metric.
pub const NAMESPACE: &str = "AWS/Kafka";

/// The seven read-only AWS calls of `collect msk`, every page followed.
pub trait AwsApi {
    /// kafka:DescribeClusterV2.
    fn describe_cluster(&self, arn: &str) -> Result<ClusterDescription, Error>;
    /// kafka:ListNodes, every page.
    fn list_nodes(&self, arn: &str) -> Result<Vec<NodeEntry>, Error>;
    /// kafka:GetBootstrapBrokers.
    fn bootstrap_brokers(&self, arn: &str) -> Result<BootstrapBrokers, Error>;
    /// kafka:DescribeConfigurationRevision: the server properties text.
    fn server_properties(&self, configuration_arn: &str, revision: i64) -> Result<String, Error>;
    /// ec2:DescribeSubnets, every page.
    fn describe_subnets(&self, query: &SubnetQuery) -> Result<Vec<SubnetEntry>, Error>;
    /// ec2:DescribeAvailabilityZones.
    fn availability_zones(&self) -> Result<Vec<AzEntry>, Error>;
    /// cloudwatch:GetMetricData for at most [`MAX_QUERIES_PER_CALL`]
    /// queries over `[start, end)` (epoch seconds), every page followed.
    /// Returns the series and the number of requests made (pages).
    fn get_metric_data(
        &self,
        queries: &[MetricQuery],
        start: i64,
        end: i64,
    ) -> Result<(Vec<MetricSeries>, usize), Error>;

    /// The credentials these calls are signed with, for MSK IAM
    /// authentication of the Kafka read (no AWS call, no IAM action).
    /// `None` when the adapter has none to share.
    fn credentials(&self) -> Option<SharedCredentialsProvider> {
        None
    }
}

/// The standard retry the adapter uses: `MAX_ATTEMPTS` attempts with
/// exponential backoff and full jitter; the SDK classifies
/// `ThrottlingException`, `Throttling`, `RequestLimitExceeded`, 5xx and
/// timeouts as retryable.
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(std::time::Duration::from_millis(200))
}

/// The real adapter over the AWS SDK clients.
pub struct SdkAws {
    runtime: tokio::runtime::Runtime,
    kafka: aws_sdk_kafka::Client,
    ec2: aws_sdk_ec2::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// The chain's credentials provider (shared with the IAM Kafka read).
    credentials: Option<SharedCredentialsProvider>,
}

impl Debug for SdkAws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SdkAws")
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start the async runtime for AWS calls: {e}")))
}

impl SdkAws {
    /// Clients from the standard AWS chain (environment, profiles, SSO,
    /// instance and container roles); `region` and `profile` override it.
    /// Nothing is read or stored beyond what aws-config reads.
    pub fn from_env(region: Option<&str>, profile: Option<&str>) -> Result<Self, Error> {
        let runtime = runtime()?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(retry_config());
        if let Some(r) = region {
            loader = loader.region(aws_config::Region::new(r.to_string()));
        }
        if let Some(p) = profile {
            loader = loader.profile_name(p);
        }
        let conf = runtime.block_on(loader.load());
        if conf.region().is_none() {
            return Err(Error::usage(
                "no AWS region: give --region or set AWS_REGION (the cluster ARN's region is used when --region is absent)",
            ));
        }
        Ok(SdkAws {
            kafka: aws_sdk_kafka::Client::new(&conf),
            ec2: aws_sdk_ec2::Client::new(&conf),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&conf),
            credentials: conf.credentials_provider(),
            runtime,
        })
    }

    /// An adapter over given clients (tests build them with
    /// `aws-smithy-mocks`; the code that calls AWS is the same).
    pub fn from_clients(
        kafka: aws_sdk_kafka::Client,
        ec2: aws_sdk_ec2::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
    ) -> Result<Self, Error> {
        Ok(SdkAws {
            runtime: runtime()?,
            kafka,
            ec2,
            cloudwatch,
            credentials: None,
        })
    }

    /// The credentials to share with the IAM Kafka read (tests give the
    /// ones their clients were built with).
    pub fn with_credentials(mut self, provider: SharedCredentialsProvider) -> Self {
        self.credentials = Some(provider);
        self
    }
}

/// Error codes AWS uses to refuse a call for lack of permission.
const DENIED_CODES: [&str; 6] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "ForbiddenException",
    "UnauthorizedException",
    "Forbidden",
];

/// Turns an SDK error into the user's error: a refusal names the IAM
/// action; anything else says which call failed and why (the SDK's text
/// never contains credentials).
pub fn aws_error<E, R>(call: Call, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: Debug,
{
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_string);
    if let Some(code) = code.as_deref().filter(|c| DENIED_CODES.contains(c)) {
        return Error::Runtime(format!(
            "AWS denied {} ({code}): add it to the policy (see README, docs/iam-policy.json)",
            call.action()
        ));
    }
    let detail = match err.as_service_error() {
        Some(e) => format!(
            "{}: {}",
            e.code().unwrap_or("error"),
            e.message().unwrap_or("no message")
        ),
        None => {
            // The sources' messages, without the Debug dump DisplayErrorContext appends.
            let mut parts: Vec<String> = vec![err.to_string()];
            let mut source = std::error::Error::source(&err);
            while let Some(s) = source {
                let text = s.to_string();
                if !parts.iter().any(|p| p.contains(&text)) {
                    parts.push(text);
                }
                source = s.source();
            }
            let text = parts.join(": ");
            if text.contains("credentials") {
                return Error::Runtime(format!(
                    "no usable AWS credentials for {} (the standard chain: environment, profiles, SSO, instance and container roles; try --profile or `aws sso login`): {text}",
                    call.action()
                ));
            }
            text
        }
    };
    Error::Runtime(format!("AWS call {} failed: {detail}", call.action()))
}

fn enum_text(s: &str) -> String {
    s.to_string()
}

impl AwsApi for SdkAws {
    fn credentials(&self) -> Option<SharedCredentialsProvider> {
        self.credentials.clone()
    }

    fn describe_cluster(&self, arn: &str) -> Result<ClusterDescription, Error> {
        let out = self
            .runtime
            .block_on(self.kafka.describe_cluster_v2().cluster_arn(arn).send())
            .map_err(|e| aws_error(Call::DescribeClusterV2, e))?;
        let info = out.cluster_info().ok_or_else(|| {
            Error::Runtime(format!("DescribeClusterV2 of {arn} returned no cluster"))
        })?;
        let name = info.cluster_name().unwrap_or_default().to_string();
        if let Some(p) = info.provisioned() {
            let group = p.broker_node_group_info();
            let software = p.current_broker_software_info();
            Ok(ClusterDescription {
                name,
                kind: ClusterKind::Provisioned,
                kafka_version: software.and_then(|s| s.kafka_version()).map(str::to_string),
                broker_type: group.and_then(|g| g.instance_type()).map(str::to_string),
                monitoring: p
                    .enhanced_monitoring()
                    .map(|m| enum_text(m.as_str()))
                    .unwrap_or_else(|| "DEFAULT".to_string()),
                broker_count: p.number_of_broker_nodes(),
                client_subnets: group
                    .map(|g| g.client_subnets().to_vec())
                    .unwrap_or_default(),
                configuration: software.and_then(|s| {
                    Some((
                        s.configuration_arn()?.to_string(),
                        s.configuration_revision()?,
                    ))
                }),
            })
        } else {
            Ok(ClusterDescription {
                name,
                kind: ClusterKind::Serverless,
                kafka_version: None,
                broker_type: None,
                monitoring: "DEFAULT".to_string(),
                broker_count: None,
                client_subnets: info
                    .serverless()
                    .map(|s| {
                        s.vpc_configs()
                            .iter()
                            .flat_map(|v| v.subnet_ids().iter().cloned())
                            .collect()
                    })
                    .unwrap_or_default(),
                configuration: None,
            })
        }
    }

    fn list_nodes(&self, arn: &str) -> Result<Vec<NodeEntry>, Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(
                    self.kafka
                        .list_nodes()
                        .cluster_arn(arn)
                        .set_next_token(token.clone())
                        .send(),
                )
                .map_err(|e| aws_error(Call::ListNodes, e))?;
            for n in page.node_info_list() {
                let Some(b) = n.broker_node_info() else {
                    continue; // controllers and ZooKeeper nodes
                };
                let Some(id) = b.broker_id() else { continue };
                out.push(NodeEntry {
                    broker_id: id as i32,
                    client_subnet: b.client_subnet().map(str::to_string),
                    eni: b.attached_eni_id().map(str::to_string),
                    ip: b.client_vpc_ip_address().map(str::to_string),
                    endpoints: b.endpoints().to_vec(),
                    instance_type: n.instance_type().map(str::to_string),
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    fn bootstrap_brokers(&self, arn: &str) -> Result<BootstrapBrokers, Error> {
        let out = self
            .runtime
            .block_on(self.kafka.get_bootstrap_brokers().cluster_arn(arn).send())
            .map_err(|e| aws_error(Call::GetBootstrapBrokers, e))?;
        Ok(BootstrapBrokers {
            plaintext: out.bootstrap_broker_string().map(str::to_string),
            tls: out.bootstrap_broker_string_tls().map(str::to_string),
            sasl_scram: out.bootstrap_broker_string_sasl_scram().map(str::to_string),
            sasl_iam: out.bootstrap_broker_string_sasl_iam().map(str::to_string),
        })
    }

    fn server_properties(&self, configuration_arn: &str, revision: i64) -> Result<String, Error> {
        let out = self
            .runtime
            .block_on(
                self.kafka
                    .describe_configuration_revision()
                    .arn(configuration_arn)
                    .revision(revision)
                    .send(),
            )
            .map_err(|e| aws_error(Call::DescribeConfigurationRevision, e))?;
        Ok(out
            .server_properties()
            .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
            .unwrap_or_default())
    }

    fn describe_subnets(&self, query: &SubnetQuery) -> Result<Vec<SubnetEntry>, Error> {
        let filter = match query {
            SubnetQuery::Ids(ids) => aws_sdk_ec2::types::Filter::builder()
                .name("subnet-id")
                .set_values(Some(ids.clone()))
                .build(),
            SubnetQuery::Vpc(vpc) => aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc)
                .build(),
        };
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(
                    self.ec2
                        .describe_subnets()
                        .filters(filter.clone())
                        .set_next_token(token.clone())
                        .send(),
                )
                .map_err(|e| aws_error(Call::DescribeSubnets, e))?;
            for s in page.subnets() {
                let Some(id) = s.subnet_id() else { continue };
                out.push(SubnetEntry {
                    subnet_id: id.to_string(),
                    vpc_id: s.vpc_id().map(str::to_string),
                    cidr: s.cidr_block().map(str::to_string),
                    az_name: s.availability_zone().map(str::to_string),
                    az_id: s.availability_zone_id().map(str::to_string),
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    fn availability_zones(&self) -> Result<Vec<AzEntry>, Error> {
        let out = self
            .runtime
            .block_on(self.ec2.describe_availability_zones().send())
            .map_err(|e| aws_error(Call::DescribeAvailabilityZones, e))?;
        Ok(out
            .availability_zones()
            .iter()
            .filter_map(|z| {
                Some(AzEntry {
                    name: z.zone_name()?.to_string(),
                    id: z.zone_id()?.to_string(),
                })
            })
            .collect())
    }

    fn get_metric_data(
        &self,
        queries: &[MetricQuery],
        start: i64,
        end: i64,
    ) -> Result<(Vec<MetricSeries>, usize), Error> {
        if queries.len() > MAX_QUERIES_PER_CALL {
            return Err(Error::Runtime(format!(
                "internal: {} metric queries in one GetMetricData call (at most {MAX_QUERIES_PER_CALL}); please report",
                queries.len()
            )));
        }
        let sdk_queries: Vec<MetricDataQuery> = queries
            .iter()
            .map(|q| {
                let dims = q
                    .dimensions
                    .iter()
                    .map(|(n, v)| Dimension::builder().name(n).value(v).build())
                    .collect();
                MetricDataQuery::builder()
                    .id(&q.id)
                    .metric_stat(
                        MetricStat::builder()
                            .metric(
                                Metric::builder()
                                    .namespace(NAMESPACE)
                                    .metric_name(&q.metric_name)
                                    .set_dimensions(Some(dims))
                                    .build(),
                            )
                            .period(q.period)
                            .stat(&q.stat)
                            .build(),
                    )
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut series: std::collections::BTreeMap<String, MetricSeries> = queries
            .iter()
            .map(|q| {
                (
                    q.id.clone(),
                    MetricSeries {
                        id: q.id.clone(),
                        ..MetricSeries::default()
                    },
                )
            })
            .collect();
        let mut token: Option<String> = None;
        let mut requests = 0usize;
        loop {
            requests += 1;
            let page = self
                .runtime
                .block_on(
                    self.cloudwatch
                        .get_metric_data()
                        .set_metric_data_queries(Some(sdk_queries.clone()))
                        .start_time(DateTime::from_secs(start))
                        .end_time(DateTime::from_secs(end))
                        .set_next_token(token.clone())
                        .send(),
                )
                .map_err(|e| aws_error(Call::GetMetricData, e))?;
            for r in page.metric_data_results() {
                let Some(s) = r.id().and_then(|id| series.get_mut(id)) else {
                    continue;
                };
                s.points.extend(
                    r.timestamps()
                        .iter()
                        .zip(r.values())
                        .map(|(t, v)| (t.secs(), *v)),
                );
                s.status = r.status_code().map(|c| c.as_str().to_string());
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                return Ok((series.into_values().collect(), requests));
            }
        }
    }
}
