//! Zones from EC2: the AZ ID of every broker subnet, the CIDR → AZ ID map
//! of the cluster's VPC (a consumer's client host falls in one of its
//! subnets), and the account's AZ name ↔ AZ ID table for the snapshot's
//! `zones`. AZ names are shuffled per account, AZ IDs are not, and MSK's
//! `broker.rack` is the AZ ID (cost-model.md), so every zone here is an ID.

use super::aws::{AwsApi, SubnetQuery};
use crate::collect::zone_map::ZoneMap;
use crate::error::Error;
use crate::snapshot::ZoneEntry;
use std::collections::BTreeMap;

/// What EC2 says about the cluster's network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkZones {
    /// Subnet id → AZ ID, for broker subnets and every subnet of the VPC.
    pub subnet_zone: BTreeMap<String, String>,
    /// Client networks of the VPC → AZ ID.
    pub clients: ZoneMap,
    /// AZ name ↔ ID of the account, sorted by ID.
    pub zones: Vec<ZoneEntry>,
    /// The VPC of the broker subnets.
    pub vpc: Option<String>,
    /// Subnets seen in the VPC.
    pub vpc_subnets: usize,
}

/// Reads the broker subnets, then every subnet of their VPC, then the AZ
/// table. Subnets without a CIDR or AZ ID are skipped (IPv6-only).
pub fn read(api: &dyn AwsApi, broker_subnets: &[String]) -> Result<NetworkZones, Error> {
    let mut out = NetworkZones::default();
    let mut wanted: Vec<String> = broker_subnets.to_vec();
    wanted.sort();
    wanted.dedup();
    if !wanted.is_empty() {
        for s in api.describe_subnets(&SubnetQuery::Ids(wanted))? {
            if out.vpc.is_none() {
                out.vpc = s.vpc_id.clone();
            }
            if let Some(id) = &s.az_id {
                out.subnet_zone.insert(s.subnet_id.clone(), id.clone());
            }
        }
    }
    if let Some(vpc) = out.vpc.clone() {
        let all = api.describe_subnets(&SubnetQuery::Vpc(vpc))?;
        out.vpc_subnets = all.len();
        for s in all {
            if let (Some(cidr), Some(zone)) = (&s.cidr, &s.az_id) {
                // A subnet's CIDR is a valid network; a bad one is skipped.
                if let Ok(map) = ZoneMap::parse([format!("{cidr}={zone}").as_str()], "EC2") {
                    out.clients.extend(map);
                }
                out.subnet_zone.insert(s.subnet_id.clone(), zone.clone());
            }
        }
    }
    let mut zones: Vec<ZoneEntry> = api
        .availability_zones()?
        .into_iter()
        .map(|z| ZoneEntry {
            id: z.id,
            name: Some(z.name),
        })
        .collect();
    zones.sort_by(|a, b| a.id.cmp(&b.id));
    zones.dedup_by(|a, b| a.id == b.id);
    out.zones = zones;
    Ok(out)
}
