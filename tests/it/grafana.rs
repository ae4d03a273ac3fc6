//! `docs/grafana/azcost.json` (issue 11): a dashboard Grafana imports as
//! is, whose every query asks for metrics, labels and label values that a
//! textfile written by `azcost report --prometheus-textfile` really has.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");
/// A cluster with CUR files, so the textfile has the bill gauge too.
const BILLED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/reconcile/orders.json"
);
const CUR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/reconcile/cur-2026-11.csv.gz"
);

fn dashboard() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/grafana/azcost.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("the dashboard is JSON")
}

/// Metric name → label name → the values seen, from a textfile the report
/// job wrote for three clusters (one with CUR files).
fn textfile() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("azcost.toml");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nout = \"out\"\n\n[[clusters]]\nname = \"orders-prod\"\nsnapshot = \"{DEMO}\"\n\n[[clusters]]\nname = \"events-prod\"\nsnapshot = \"{DEMO}\"\n\n[[clusters]]\nname = \"billed\"\nsnapshot = \"{BILLED}\"\ncur = \"{CUR}\"\n"
        ),
    )
    .unwrap();
    let prom = dir.path().join("azcost.prom");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azcost"));
    cmd.args([
        "report",
        "-q",
        "-c",
        cfg.to_str().unwrap(),
        "--date",
        "2026-11-23",
    ])
    .args(["--prometheus-textfile", prom.to_str().unwrap()]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AZCOST_")) {
        cmd.env_remove(k);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_textfile(&std::fs::read_to_string(&prom).unwrap())
}

/// The text exposition format's sample lines: `name{l="v",…} value`.
fn parse_textfile(text: &str) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, rest) = line
            .split_once('{')
            .unwrap_or_else(|| (line.split(' ').next().unwrap(), ""));
        let labels = out.entry(name.to_string()).or_default();
        let mut chars = rest.chars().peekable();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() || key.starts_with('}') {
                break;
            }
            assert_eq!(chars.next(), Some('"'), "{line}");
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.push(chars.next().unwrap_or('\\')),
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels
                .entry(key.trim_start_matches(',').to_string())
                .or_default()
                .insert(value);
            if chars.peek() == Some(&'}') {
                break;
            }
        }
    }
    out
}

/// Every PromQL query of the dashboard with where it is: panel targets
/// and `label_values(…)` variable queries.
fn queries(d: &Value) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            out.push((
                format!("panel {:?} target {}", p["title"], t["refId"]),
                t["expr"]
                    .as_str()
                    .expect("every target has an expr")
                    .to_string(),
                t["legendFormat"].as_str().map(String::from),
            ));
        }
    }
    for v in d["templating"]["list"].as_array().unwrap() {
        if v["type"] == "query" {
            let q = v["query"]["query"]
                .as_str()
                .or(v["query"].as_str())
                .unwrap();
            out.push((format!("variable {}", v["name"]), q.to_string(), None));
        }
    }
    out
}

#[test]
fn every_metric_label_and_value_the_dashboard_queries_is_in_the_textfile() {
    let d = dashboard();
    let metrics = textfile();
    assert!(metrics.len() >= 4, "{metrics:?}");
    let selector = regex::Regex::new(r"\b(azcost_[a-z_]+)\s*(?:\{([^}]*)\})?").unwrap();
    let matcher = regex::Regex::new(r#"([a-zA-Z_]+)\s*(=~|!~|!=|=)\s*"([^"]*)""#).unwrap();
    let grouping =
        regex::Regex::new(r"\b(?:by|without|ignoring|on|group_left|group_right)\s*\(([^)]*)\)")
            .unwrap();
    let legend = regex::Regex::new(r"\{\{\s*([a-zA-Z_]+)\s*\}\}").unwrap();
    let label_values = regex::Regex::new(r"label_values\((azcost_[a-z_]+),\s*([a-z_]+)\)").unwrap();
    let mut problems = Vec::new();
    let mut seen_metrics = BTreeSet::new();
    let all = queries(&d);
    assert!(all.len() >= 8, "{all:?}");
    for (at, expr, legend_format) in &all {
        // Balanced brackets: a typo would make Grafana show an error.
        for (open, close) in [('(', ')'), ('{', '}'), ('[', ']')] {
            if expr.matches(open).count() != expr.matches(close).count() {
                problems.push(format!("{at}: unbalanced {open}{close} in {expr}"));
            }
        }
        let mut in_expr = Vec::new();
        for c in selector.captures_iter(expr) {
            let name = c[1].to_string();
            let Some(labels) = metrics.get(&name) else {
                problems.push(format!("{at}: metric {name} is not in the textfile"));
                continue;
            };
            seen_metrics.insert(name.clone());
            for m in c
                .get(2)
                .into_iter()
                .flat_map(|m| matcher.captures_iter(m.as_str()))
            {
                let (label, op, value) = (&m[1], &m[2], &m[3]);
                match labels.get(label) {
                    None => problems.push(format!("{at}: {name} has no label {label}")),
                    Some(values) if op == "=" && !value.contains('$') && !values.contains(value) => {
                        problems.push(format!("{at}: {name}{{{label}=\"{value}\"}} matches nothing (values: {values:?})"))
                    }
                    _ => {}
                }
            }
            in_expr.push(labels);
        }
        if in_expr.is_empty() {
            problems.push(format!("{at}: queries no azcost metric: {expr}"));
        }
        let mut on_every = |label: &str, why: &str| {
            if !in_expr.iter().all(|l| l.contains_key(label)) {
                problems.push(format!(
                    "{at}: {why} label {label} is not on every metric of {expr}"
                ));
            }
        };
        for g in grouping.captures_iter(expr) {
            for label in g[1].split(',').map(str::trim).filter(|l| !l.is_empty()) {
                on_every(label, "grouping");
            }
        }
        for l in legend_format.iter().flat_map(|f| legend.captures_iter(f)) {
            on_every(&l[1], "legend");
        }
        for lv in label_values.captures_iter(expr) {
            if !metrics.get(&lv[1]).is_some_and(|m| m.contains_key(&lv[2])) {
                problems.push(format!(
                    "{at}: label_values({}, {}) is empty",
                    &lv[1], &lv[2]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every family the job writes is on the board.
    let written: BTreeSet<String> = metrics.keys().cloned().collect();
    assert_eq!(seen_metrics, written);
}

#[test]
fn the_dashboard_has_the_panels_the_issue_asks_for_and_imports_as_is() {
    let d = dashboard();
    // What an import needs: a title, a uid, panels, no numeric id bound to
    // another Grafana, and a data source picked through a variable instead
    // of an `__inputs` prompt or a uid from someone else's instance.
    assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        d["uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty() && u.len() <= 40)
    );
    assert!(d["id"].is_null());
    assert!(d["schemaVersion"].as_u64().is_some_and(|v| v >= 30));
    assert!(d.get("__inputs").is_none());
    let vars = d["templating"]["list"].as_array().unwrap();
    let var = |name: &str| {
        vars.iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no ${name}"))
    };
    assert_eq!(var("datasource")["type"], "datasource");
    assert_eq!(var("datasource")["query"], "prometheus");
    assert_eq!(var("cluster")["type"], "query");
    let panels = d["panels"].as_array().unwrap();
    let titles: Vec<&str> = panels
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    for wanted in [
        "Monthly cost per scenario and cluster",
        "Opportunity",
        "Top changes",
        "Last successful run",
    ] {
        assert!(
            titles.iter().any(|t| t.contains(wanted)),
            "no {wanted:?} panel in {titles:?}"
        );
    }
    let mut ids = BTreeSet::new();
    let mut boxes: Vec<(u64, u64, u64, u64, &str)> = Vec::new();
    for p in panels {
        let title = p["title"].as_str().unwrap();
        assert!(
            ids.insert(p["id"].as_u64().expect("a numeric id")),
            "{title}: id twice"
        );
        assert!(
            ["timeseries", "stat", "table", "bargauge"].contains(&p["type"].as_str().unwrap()),
            "{title}: panel type"
        );
        let ds = |v: &Value| v["type"] == "prometheus" && v["uid"] == "${datasource}";
        assert!(ds(&p["datasource"]), "{title}: data source");
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title}: no query");
        let refs: BTreeSet<&str> = targets
            .iter()
            .map(|t| t["refId"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), targets.len(), "{title}: refIds repeat");
        assert!(
            targets.iter().all(|t| ds(&t["datasource"])),
            "{title}: target data source"
        );
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_u64().unwrap(),
            g["y"].as_u64().unwrap(),
            g["w"].as_u64().unwrap(),
            g["h"].as_u64().unwrap(),
        );
        assert!(x + w <= 24 && w > 0 && h > 0, "{title}: gridPos {g}");
        for &(bx, by, bw, bh, other) in &boxes {
            let overlap = x < bx + bw && bx < x + w && y < by + bh && by < y + h;
            assert!(!overlap, "{title} overlaps {other}");
        }
        boxes.push((x, y, w, h, title));
    }
}
