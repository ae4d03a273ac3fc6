//! Broker and topic settings the model and findings use, read with
//! DescribeConfigs: `replica.selector.class` (KIP-392: without it nobody
//! fetches from followers) and each topic's `min.insync.replicas`.
//! Reading configs never changes them.

use super::client::{self, CollectorContext, Settings};
use super::ffi::Refreshing;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use std::collections::BTreeMap;
use std::time::Duration;

/// What DescribeConfigs told.
#[derive(Debug, Clone, Default)]
pub struct Configs {
    /// `replica.selector.class` of the broker asked; `None` when unset.
    pub replica_selector: Option<String>,
    /// `min.insync.replicas` per topic.
    pub min_insync: BTreeMap<String, i32>,
}

/// Reads one broker's selector and every topic's `min.insync.replicas`,
/// in one DescribeConfigs call.
pub fn read(
    bootstrap: &str,
    settings: &Settings,
    broker: i32,
    topics: &[String],
    timeout: Duration,
) -> Result<Configs, String> {
    let admin: Refreshing<AdminClient<CollectorContext>> =
        client::create(bootstrap, settings, timeout.as_millis() as u64)
            .map_err(|e| e.to_string())?;
    let mut resources = vec![ResourceSpecifier::Broker(broker)];
    resources.extend(topics.iter().map(|t| ResourceSpecifier::Topic(t)));
    let options = AdminOptions::new().request_timeout(Some(timeout));
    let answers = futures_executor::block_on(admin.describe_configs(&resources, &options))
        .map_err(|e| e.to_string())?;
    let mut out = Configs::default();
    for answer in answers {
        let resource = answer.map_err(|e| e.to_string())?;
        match &resource.specifier {
            rdkafka::admin::OwnedResourceSpecifier::Broker(_) => {
                out.replica_selector = resource
                    .get("replica.selector.class")
                    .and_then(|e| e.value.clone())
                    .filter(|v| !v.trim().is_empty());
            }
            rdkafka::admin::OwnedResourceSpecifier::Topic(name) => {
                if let Some(v) = resource
                    .get("min.insync.replicas")
                    .and_then(|e| e.value.as_deref())
                    .and_then(|v| v.parse().ok())
                {
                    out.min_insync.insert(name.clone(), v);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
