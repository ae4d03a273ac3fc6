//! `--zone-map CIDR=ZONE` and `--broker-zone ID=ZONE`: the zones Kafka
//! cannot tell. A consumer's DescribeGroups entry has only its client host,
//! so its zone comes from the network it sits in (issue 3); AWS subnet
//! lookup fills the same map on MSK (issue 4).

use crate::error::Error;
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// Client networks and their zones; the longest matching prefix wins, so
/// a /24 carved out of a /16 can name another zone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneMap {
    entries: Vec<(IpNet, String)>,
}

impl ZoneMap {
    /// Parses `CIDR=ZONE` specs; `what` names the flag or file in errors.
    pub fn parse<'a>(
        specs: impl IntoIterator<Item = &'a str>,
        what: &str,
    ) -> Result<ZoneMap, Error> {
        let mut map = ZoneMap::default();
        for spec in specs {
            map.add_spec(spec, what)?;
        }
        Ok(map)
    }

    /// Reads a file of `CIDR=ZONE` lines (`#` starts a comment).
    pub fn read_file(path: &Path) -> Result<ZoneMap, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("--zone-map-file {}: {e}", path.display())))?;
        let mut map = ZoneMap::default();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                map.add_spec(line, &format!("{}:{}", path.display(), i + 1))?;
            }
        }
        Ok(map)
    }

    /// Adds the entries of `other` after this map's own.
    pub fn extend(&mut self, other: ZoneMap) {
        self.entries.extend(other.entries);
    }

    /// Adds one network.
    pub fn insert(&mut self, net: IpNet, zone: String) {
        self.entries.push((net, zone));
    }

    /// True when no network is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn add_spec(&mut self, spec: &str, what: &str) -> Result<(), Error> {
        let bad = |why: &str| {
            Error::usage(format!(
                "{what}: {spec:?}: expected CIDR=ZONE such as 10.0.0.0/20=use1-az1 ({why})"
            ))
        };
        let (cidr, zone) = spec.split_once('=').ok_or_else(|| bad("no '='"))?;
        let zone = zone.trim();
        if zone.is_empty() {
            return Err(bad("empty zone"));
        }
        let cidr = cidr.trim();
        // A bare address is a /32 (or /128): one host.
        let net = cidr
            .parse::<IpNet>()
            .or_else(|_| cidr.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| bad("not a CIDR network"))?;
        self.entries.push((net.trunc(), zone.to_string()));
        Ok(())
    }

    /// The zone of a client host as DescribeGroups reports it (`/10.0.1.7`,
    /// `10.0.1.7`, or a name, which never matches).
    pub fn zone_of(&self, host: &str) -> Option<&str> {
        let addr: IpAddr = host.trim().trim_start_matches('/').parse().ok()?;
        self.entries
            .iter()
            .filter(|(net, _)| net.contains(&addr))
            .max_by_key(|(net, _)| net.prefix_len())
            .map(|(_, zone)| zone.as_str())
    }
}

/// Parses `--broker-zone ID=ZONE` specs.
pub fn broker_zones<'a>(
    specs: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<i32, String>, Error> {
    let mut out = BTreeMap::new();
    for spec in specs {
        let bad = || {
            Error::usage(format!(
                "--broker-zone {spec:?}: expected ID=ZONE with a broker id and a zone, such as 1=use1-az1"
            ))
        };
        let (id, zone) = spec.split_once('=').ok_or_else(bad)?;
        let id: i32 = id.trim().parse().map_err(|_| bad())?;
        let zone = zone.trim();
        if zone.is_empty() {
            return Err(bad());
        }
        if out.insert(id, zone.to_string()).is_some() {
            return Err(Error::usage(format!(
                "--broker-zone: broker {id} is given twice"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_describe_groups_slash_is_ignored() {
        let map = ZoneMap::parse(
            [
                "10.0.0.0/16=use1-az1",
                "10.0.5.0/24=use1-az2",
                "10.9.9.9=use1-az3",
            ],
            "--zone-map",
        )
        .unwrap();
        assert_eq!(map.zone_of("/10.0.5.7"), Some("use1-az2"));
        assert_eq!(map.zone_of("10.0.6.7"), Some("use1-az1"));
        assert_eq!(map.zone_of("10.9.9.9"), Some("use1-az3"));
        assert_eq!(map.zone_of("10.1.0.1"), None);
        assert_eq!(map.zone_of("consumer-7.example"), None);
    }
}
