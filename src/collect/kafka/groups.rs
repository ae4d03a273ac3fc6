//! Consumer groups as DescribeGroups shows them (classic protocol): who the
//! members are, where they connect from, the `client.rack` each sent in its
//! subscription (v3, KIP-881) and the partitions it was assigned.
//!
//! librdkafka's `rd_kafka_list_groups` sends ListGroups then DescribeGroups
//! to every broker; it reads, it never joins.

use super::client::Reader;
use super::protocol::{self, TopicPartitions};
use rdkafka::consumer::Consumer;
use regex::Regex;
use std::time::Duration;

/// One group at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupState {
    /// Group id.
    pub group: String,
    /// `Stable`, `Empty`, `PreparingRebalance`, …
    pub state: String,
    /// `consumer` for Kafka consumers; empty for groups that only commit.
    pub protocol_type: String,
    /// The assignor (`range`, `cooperative-sticky`, …).
    pub protocol: String,
    /// Members, in the order the broker listed them.
    pub members: Vec<MemberState>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberState {
    /// Member id.
    pub member_id: String,
    /// `client.id`.
    pub client_id: String,
    /// Client host as the broker saw it (`/10.0.1.7`), without the slash.
    pub host: String,
    /// The rack the client sent (subscription v3), if any.
    pub client_rack: Option<String>,
    /// Subscription version the client sent, when decodable.
    pub subscription_version: Option<i16>,
    /// Assigned partitions, decoded from the assignment.
    pub assignment: Vec<TopicPartitions>,
    /// Why the subscription or assignment could not be read, if so.
    pub problem: Option<String>,
}

/// Groups listed, and groups left out on purpose.
#[derive(Debug, Clone, Default)]
pub struct GroupListing {
    /// Consumer groups (and offset-only groups) that match the filter.
    pub groups: Vec<GroupState>,
    /// Groups of other protocols (Connect, …), by id.
    pub other_protocols: Vec<String>,
}

/// Lists and describes every group matching `filter`.
pub fn list(
    reader: &Reader,
    filter: Option<&Regex>,
    timeout: Duration,
) -> Result<GroupListing, String> {
    let list = reader
        .fetch_group_list(None, timeout)
        .map_err(|e| e.to_string())?;
    let mut out = GroupListing::default();
    for g in list.groups() {
        // A legacy empty group id cannot be described or priced.
        if g.name().is_empty() || filter.is_some_and(|f| !f.is_match(g.name())) {
            continue;
        }
        if !g.protocol_type().is_empty() && g.protocol_type() != "consumer" {
            out.other_protocols.push(g.name().to_string());
            continue;
        }
        let members = g
            .members()
            .iter()
            .map(|m| {
                member(
                    m.id(),
                    m.client_id(),
                    m.client_host(),
                    m.metadata(),
                    m.assignment(),
                )
            })
            .collect();
        out.groups.push(GroupState {
            group: g.name().to_string(),
            state: g.state().to_string(),
            protocol_type: g.protocol_type().to_string(),
            protocol: g.protocol().to_string(),
            members,
        });
    }
    out.groups.sort_by(|a, b| a.group.cmp(&b.group));
    out.other_protocols.sort();
    Ok(out)
}

/// Decodes one member; bad bytes are that member's problem, not a failure.
pub fn member(
    id: &str,
    client_id: &str,
    host: &str,
    metadata: Option<&[u8]>,
    assignment: Option<&[u8]>,
) -> MemberState {
    let mut problems = Vec::new();
    let (client_rack, subscription_version) = match metadata {
        None | Some([]) => {
            problems.push("sent no subscription metadata".to_string());
            (None, None)
        }
        Some(bytes) => match protocol::decode_subscription(bytes) {
            Ok(s) => (s.rack_id.filter(|r| !r.is_empty()), Some(s.version)),
            Err(e) => {
                problems.push(e.to_string());
                (None, None)
            }
        },
    };
    let assignment = match assignment {
        None | Some([]) => Vec::new(),
        Some(bytes) => match protocol::decode_assignment(bytes) {
            Ok(a) => a.partitions,
            Err(e) => {
                problems.push(e.to_string());
                Vec::new()
            }
        },
    };
    MemberState {
        member_id: id.to_string(),
        client_id: client_id.to_string(),
        host: host.trim_start_matches('/').to_string(),
        client_rack,
        subscription_version,
        assignment,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    }
}
