//! The control plane of an MSK cluster: DescribeClusterV2, ListNodes,
//! GetBootstrapBrokers and, when a custom configuration is attached,
//! DescribeConfigurationRevision for `replica.selector.class`.

use super::arn::ClusterArn;
use super::aws::{AwsApi, BootstrapBrokers, ClusterDescription, ClusterKind, NodeEntry};
use crate::error::Error;

/// What the control plane says.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// DescribeClusterV2.
    pub cluster: ClusterDescription,
    /// ListNodes, brokers only.
    pub nodes: Vec<NodeEntry>,
    /// GetBootstrapBrokers.
    pub bootstrap: BootstrapBrokers,
    /// `replica.selector.class` and where it came from.
    pub selector: (Option<String>, String),
}

/// Reads the control plane.
pub fn read(api: &dyn AwsApi, arn: &ClusterArn) -> Result<Control, Error> {
    let cluster = api.describe_cluster(&arn.text)?;
    if cluster.kind == ClusterKind::Serverless {
        return Err(Error::usage(format!(
            "{} is MSK Serverless: it has no brokers or zones to audit and its pricing differs (cost-model.md, not covered)",
            arn.text
        )));
    }
    let nodes = api.list_nodes(&arn.text)?;
    let bootstrap = api.bootstrap_brokers(&arn.text)?;
    let selector = match &cluster.configuration {
        Some((conf, rev)) => {
            let props = api.server_properties(conf, *rev)?;
            (
                selector_of(&props),
                format!("MSK configuration {conf} revision {rev} (DescribeConfigurationRevision)"),
            )
        }
        None => (
            None,
            "MSK default configuration (no custom configuration attached): replica.selector.class not set".to_string(),
        ),
    };
    Ok(Control {
        cluster,
        nodes,
        bootstrap,
        selector,
    })
}

/// `replica.selector.class` in server properties text (`key=value` lines,
/// `#` comments), if set.
pub fn selector_of(properties: &str) -> Option<String> {
    properties
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').or_else(|| l.split_once(':')))
        .find(|(k, _)| k.trim() == "replica.selector.class")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
