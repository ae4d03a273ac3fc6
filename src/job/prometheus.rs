//! Metrics for node_exporter's textfile collector (text exposition format),
//! so Grafana can chart the cost and alert when it grows or when a run
//! stops succeeding. Each successful cluster replaces its own lines and
//! keeps everyone else's (see [`merge`]); the job writes the file through
//! a temp file and a rename in the same directory, holding that
//! directory's lock, as node_exporter's textfile collector asks.

use crate::model::{Analysis, Scenario, Traffic};
use std::fmt::Write;

/// Escapes a label value: backslash, double quote and newline.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One successful cluster's figures.
pub struct Sample<'a> {
    /// The cluster's name in the config.
    pub cluster: &'a str,
    /// The audit.
    pub analysis: &'a Analysis,
    /// Unix time of the success.
    pub finished_unix: i64,
    /// The share of the bill the estimate explains, when the cluster has
    /// CUR files (`cur`).
    pub bill_explained: Option<f64>,
}

const FAMILIES: [(&str, &str); 5] = [
    (
        "azcost_monthly_cost_usd",
        "Billed cross-AZ USD per month, by scenario.",
    ),
    (
        "azcost_cross_az_bytes",
        "Bytes crossing availability zones in the audited window, by scenario and kind.",
    ),
    (
        "azcost_savings_monthly_usd",
        "Monthly USD that full rack awareness saves against leader-only fetching.",
    ),
    (
        "azcost_last_success_timestamp_seconds",
        "Unix time of the last successful azcost report run for the cluster.",
    ),
    (
        "azcost_bill_explained_ratio",
        "Expected over billed regional data-transfer GB of the cluster's resources in the CUR (1 = the estimate explains the bill).",
    ),
];

/// The file's new text: the previous file's lines with every line of the
/// clusters in `samples` replaced by their new figures. Lines of other
/// clusters (those another run wrote, those that failed this time) stay
/// as they were, so their last-success timestamp ages instead of
/// vanishing, and concurrent runs over different clusters never drop each
/// other's lines (the caller holds the directory's lock). Lines are sorted
/// within each family, so the file does not churn with the order of runs.
pub fn merge(previous: Option<&str>, samples: &[Sample]) -> String {
    let mut by_family: Vec<Vec<String>> = vec![Vec::new(); FAMILIES.len()];
    for s in samples {
        let a = s.analysis;
        let c = label(s.cluster);
        for sc in Scenario::ALL {
            let t = a.scenarios.get(sc);
            by_family[0].push(format!(
                "azcost_monthly_cost_usd{{cluster=\"{c}\",scenario=\"{}\"}} {}",
                sc.as_str(),
                t.monthly_cost_usd
            ));
            for (kind, bytes) in [
                (Traffic::Produce.as_str(), t.produce_cross_az_bytes),
                (Traffic::Replication.as_str(), t.replication_cross_az_bytes),
                (Traffic::Consume.as_str(), t.consume_cross_az_bytes),
                ("billed", t.billed_cross_az_bytes),
            ] {
                by_family[1].push(format!(
                    "azcost_cross_az_bytes{{cluster=\"{c}\",scenario=\"{}\",kind=\"{kind}\"}} {bytes}",
                    sc.as_str()
                ));
            }
        }
        by_family[2].push(format!(
            "azcost_savings_monthly_usd{{cluster=\"{c}\"}} {}",
            a.savings.monthly_usd_rack_aware_vs_leader_only
        ));
        by_family[3].push(format!(
            "azcost_last_success_timestamp_seconds{{cluster=\"{c}\"}} {}",
            s.finished_unix
        ));
        if let Some(e) = s.bill_explained {
            by_family[4].push(format!(
                "azcost_bill_explained_ratio{{cluster=\"{c}\"}} {e}"
            ));
        }
    }
    let replaced: Vec<String> = samples
        .iter()
        .map(|s| format!("{{cluster=\"{}\"", label(s.cluster)))
        .collect();
    for line in previous.unwrap_or_default().lines() {
        if line.starts_with('#') || replaced.iter().any(|r| line.contains(r.as_str())) {
            continue;
        }
        if let Some(i) = FAMILIES
            .iter()
            .position(|(f, _)| line.starts_with(&format!("{f}{{")))
        {
            by_family[i].push(line.to_string());
        }
    }
    let mut out = String::new();
    for ((name, help), mut lines) in FAMILIES.iter().zip(by_family) {
        // A family without samples (no cluster reconciles with a bill) is
        // left out whole, so files without CUR stay as they were.
        if lines.is_empty() {
            continue;
        }
        lines.sort();
        lines.dedup();
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}
