//! The serde shape of `azcost.snapshot/v1` (see `shared/design/snapshot-v1.md`).
//!
//! These types mirror the public JSON format one to one, so that a file that
//! parses here is exactly a file the format allows (before the rules of
//! `validate.rs`). Unknown fields are ignored on purpose: the format is
//! forward compatible. Nothing here interprets a value; the model does that.

use super::broker_ids::BrokerIds;
use super::topic_name::TopicName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The one value `format` may have.
pub const FORMAT_V1: &str = "azcost.snapshot/v1";

/// The `replica.selector.class` that turns on KIP-392 follower fetching.
pub const RACK_AWARE_SELECTOR: &str = "org.apache.kafka.common.replica.RackAwareReplicaSelector";

/// Everything the cost model needs about one cluster over one window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    /// Always [`FORMAT_V1`].
    pub format: String,
    /// Name, region, platform and selector of the cluster.
    pub cluster: ClusterInfo,
    /// The window the byte counts cover.
    pub window: Window,
    /// AZ ID ↔ AZ name table of the collecting account.
    #[serde(default)]
    pub zones: Vec<ZoneEntry>,
    /// Every broker, with its rack and zone.
    pub brokers: Vec<Broker>,
    /// Every partition with its placement and the bytes produced to it.
    pub partitions: Vec<Partition>,
    /// Consumer groups, their members and what they read.
    #[serde(default)]
    pub consumer_groups: Vec<ConsumerGroup>,
    /// Where producers run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producers: Option<Producers>,
    /// Optional extension: topic configs that findings use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicConfig>,
    /// Where each part of the snapshot came from.
    #[serde(default)]
    pub provenance: Vec<Provenance>,
    /// Optional extension: what the collector could not see, in words the
    /// audit repeats among its own warnings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Snapshot {
    /// A copy with no partitions: cheaper than `clone()` when the caller
    /// keeps only some of them.
    pub fn clone_without_partitions(&self) -> Snapshot {
        Snapshot {
            format: self.format.clone(),
            cluster: self.cluster.clone(),
            window: self.window.clone(),
            zones: self.zones.clone(),
            brokers: self.brokers.clone(),
            partitions: Vec::new(),
            consumer_groups: self.consumer_groups.clone(),
            producers: self.producers.clone(),
            topics: self.topics.clone(),
            provenance: self.provenance.clone(),
            warnings: self.warnings.clone(),
        }
    }
}

/// `cluster`: what the snapshot describes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClusterInfo {
    /// Non-empty name used in every report.
    pub name: String,
    /// AWS region, informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Decides whether replication between brokers is billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The brokers' `replica.selector.class`; absent or null means not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_selector: Option<String>,
    /// Optional extension: the Amazon MSK cluster ARN (`collect msk` fills
    /// it), which `azcost reconcile` looks for among the bill's resource ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// Where the cluster runs, which decides what AWS bills.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Amazon MSK: replication between brokers is not billed.
    #[default]
    Msk,
    /// Kafka on EC2: replication between zones is billed like any traffic.
    SelfManaged,
}

impl Platform {
    /// The name used in the snapshot, the CLI and every report.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Msk => "msk",
            Platform::SelfManaged => "self-managed",
        }
    }
}

/// `window`: RFC 3339 bounds, kept as text so a bad value is reported with
/// its path by the validator rather than as an opaque serde error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Window {
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339, after start.
    pub end: String,
}

/// One `zones[]` entry: an AZ ID and, optionally, its name in this account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ZoneEntry {
    /// AZ ID, e.g. `use1-az1`: the same in every account.
    pub id: String,
    /// AZ name, e.g. `us-east-1a`: shuffled per account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One `brokers[]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Broker {
    /// Kafka broker id (an int32 on the wire).
    pub id: i32,
    /// `broker.rack` exactly as Kafka reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack: Option<String>,
    /// The zone the broker runs in; defaults to its rack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Advertised host:port, informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Optional extension: the broker's instance type (`kafka.m5.large`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
}

/// One `partitions[]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Partition {
    /// Topic name (shared by the topic's partitions).
    pub topic: TopicName,
    /// Partition index.
    pub partition: i32,
    /// Leader broker id; null or -1 means offline.
    #[serde(default)]
    pub leader: Option<i32>,
    /// Assigned replicas, preferred leader first (inline up to four).
    pub replicas: BrokerIds,
    /// In-sync replicas (inline up to four).
    pub isr: BrokerIds,
    /// Bytes producers appended in the window, as stored (compressed).
    pub bytes_in: f64,
}

/// One `consumer_groups[]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConsumerGroup {
    /// Group id.
    pub group: String,
    /// Live members and their assignments.
    #[serde(default)]
    pub members: Vec<Member>,
    /// Exactly what the group read; absent means "every assigned partition in full".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_read: Option<Vec<BytesRead>>,
}

/// One member of a consumer group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Member {
    /// Kafka member id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// `client.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Client host as the coordinator saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The `client.rack` the member sends, compared raw to `broker.rack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_rack: Option<String>,
    /// The zone the member really runs in (AZ ID, or an AZ name from `zones`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The partitions the member owns.
    #[serde(default)]
    pub assignment: Vec<TopicPartitions>,
}

/// A topic and some of its partitions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopicPartitions {
    /// Topic name (shared by the topic's partitions).
    pub topic: TopicName,
    /// Partition indices.
    pub partitions: Vec<i32>,
}

/// Bytes one group read from one partition in the window.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BytesRead {
    /// Topic name (shared by the topic's partitions).
    pub topic: TopicName,
    /// Partition index.
    pub partition: i32,
    /// Bytes fetched, a finite number ≥ 0.
    pub bytes: f64,
}

/// `producers`: where producer bytes come from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Producers {
    /// Share of producer bytes per zone; default uniform over broker zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_shares: Option<BTreeMap<String, f64>>,
    /// Optional extension: topics whose producers use KIP-1123 rack-aware
    /// partitioning (`partitioner.rack.aware=true` with `client.rack`);
    /// `"*"` means every topic. Written by `azcost what-if --producer-rack-aware`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack_aware_topics: Option<Vec<String>>,
    /// Optional extension: share of records produced without a key (only
    /// those follow KIP-1123); default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unkeyed_share: Option<f64>,
}

/// Matches every topic in [`Producers::rack_aware_topics`].
pub const ALL_TOPICS: &str = "*";

/// Optional extension: one topic's configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopicConfig {
    /// Topic name.
    pub topic: String,
    /// `min.insync.replicas` of the topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_insync_replicas: Option<i32>,
}

/// One `provenance[]` entry: which source filled which part.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Provenance {
    /// Collector or tool name.
    pub source: String,
    /// Free text: endpoint, time, method.
    #[serde(default)]
    pub detail: String,
}
