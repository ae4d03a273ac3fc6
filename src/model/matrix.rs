//! The zone matrix: bytes crossing from each zone to each zone, per
//! scenario and traffic kind, folded from the audit's zone-pair breakdown
//! (no second pass over the flows).

use super::cost::ZonePairRow;
use super::placement::UNKNOWN_ZONE_NAME;
use super::{PerScenario, Scenario, Traffic};

/// `bytes[src][dst]` over [`ZoneMatrix::zones`], per scenario and kind.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneMatrix {
    /// Zone names, sorted, `unknown` (consumers we cannot place) last.
    pub zones: Vec<String>,
    /// Per scenario, per [`Traffic::ALL`] kind: rows are source zones,
    /// columns destination zones.
    pub bytes: PerScenario<[Vec<Vec<f64>>; 3]>,
}

impl ZoneMatrix {
    /// Folds the zone-pair rows into matrices.
    pub fn from_pairs(pairs: &[ZonePairRow]) -> Self {
        let mut zones: Vec<String> = pairs
            .iter()
            .flat_map(|r| [r.src_zone.clone(), r.dst_zone.clone()])
            .collect();
        zones.sort_by(|a, b| {
            (a == UNKNOWN_ZONE_NAME, a.as_str()).cmp(&(b == UNKNOWN_ZONE_NAME, b.as_str()))
        });
        zones.dedup();
        let n = zones.len();
        let at = |name: &str| zones.iter().position(|z| z == name).unwrap_or(0);
        let mut bytes = PerScenario::from_fn(|_| {
            [
                vec![vec![0.0; n]; n],
                vec![vec![0.0; n]; n],
                vec![vec![0.0; n]; n],
            ]
        });
        for r in pairs {
            let (src, dst) = (at(&r.src_zone), at(&r.dst_zone));
            let kind = Traffic::ALL
                .iter()
                .position(|&t| t == r.traffic)
                .unwrap_or(0);
            for s in Scenario::ALL {
                let m = match s {
                    Scenario::LeaderOnly => &mut bytes.leader_only,
                    Scenario::Current => &mut bytes.current,
                    Scenario::RackAware => &mut bytes.rack_aware,
                };
                m[kind][src][dst] += r.scenarios.get(s).bytes;
            }
        }
        ZoneMatrix { zones, bytes }
    }

    /// The matrix of one scenario and kind.
    pub fn get(&self, scenario: Scenario, traffic: Traffic) -> &[Vec<f64>] {
        let kind = Traffic::ALL.iter().position(|&t| t == traffic).unwrap_or(0);
        &self.bytes.get(scenario)[kind]
    }
}
