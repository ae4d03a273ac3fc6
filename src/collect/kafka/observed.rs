//! What the Kafka collection saw at both ends of the window: the plain
//! data that passes from the reads (`mod.rs`) to [`super::assemble`].

use super::ffi::{CommittedOffset, NodeInfo, TopicInfo};
use super::groups::GroupListing;
use super::offsets::Watermarks;
use super::sizes;
use std::collections::BTreeMap;

/// What was seen at one end of the window.
#[derive(Debug, Clone)]
pub struct Observation {
    /// When the reads began.
    pub at: Option<jiff::Timestamp>,
    /// Brokers with racks.
    pub brokers: Vec<NodeInfo>,
    /// Topics with placement (errors included).
    pub topics: Vec<TopicInfo>,
    /// High watermarks.
    pub watermarks: Watermarks,
    /// Groups, or why they could not be listed.
    pub groups: Result<GroupListing, String>,
    /// Committed offsets per group, or why they could not be read.
    pub committed: BTreeMap<String, Result<Vec<CommittedOffset>, String>>,
}

/// Everything the collection observed, for [`super::assemble::snapshot`].
#[derive(Debug, Clone)]
pub struct Observed {
    /// The Kafka cluster id.
    pub cluster_id: Option<String>,
    /// Read at the start of the window.
    pub start: Observation,
    /// Read at the end of the window.
    pub end: Observation,
    /// `replica.selector.class` and where it came from.
    pub replica_selector: (Option<String>, String),
    /// `min.insync.replicas` per topic.
    pub min_insync: BTreeMap<String, i32>,
    /// Bytes per record.
    pub sizes: sizes::RecordSizes,
    /// Notes on how things were obtained, for provenance.
    pub notes: Vec<String>,
    /// What could not be seen.
    pub warnings: Vec<String>,
}
