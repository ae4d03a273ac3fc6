//! The MSK cluster ARN: parsed and checked once, so the region, account and
//! name the collection needs come from one place.

use crate::error::Error;

/// A parsed MSK cluster ARN:
/// `arn:aws:kafka:us-east-1:123456789012:cluster/orders-prod/6f1c…-3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterArn {
    /// The whole ARN.
    pub text: String,
    /// Partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// Region.
    pub region: String,
    /// Account id (12 digits).
    pub account: String,
    /// Cluster name.
    pub name: String,
}

impl ClusterArn {
    /// Parses and checks the ARN; a malformed one is a usage error.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::usage(format!(
                "--cluster-arn {text:?}: expected arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID ({why})"
            ))
        };
        let parts: Vec<&str> = text.trim().splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(bad("not an ARN"));
        }
        if !parts[1].starts_with("aws") || parts[2] != "kafka" {
            return Err(bad("not an Amazon MSK ARN"));
        }
        if parts[3].is_empty() {
            return Err(bad("no region"));
        }
        if parts[4].len() != 12 || !parts[4].bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account id has 12 digits"));
        }
        let resource: Vec<&str> = parts[5].split('/').collect();
        if resource.len() != 3 || resource[0] != "cluster" || resource[1].is_empty() {
            return Err(bad("the resource is cluster/NAME/UUID"));
        }
        if resource[2].is_empty() {
            return Err(bad("no cluster UUID"));
        }
        Ok(ClusterArn {
            text: text.trim().to_string(),
            partition: parts[1].to_string(),
            region: parts[3].to_string(),
            account: parts[4].to_string(),
            name: resource[1].to_string(),
        })
    }
}
