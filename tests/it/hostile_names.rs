//! Names from the cluster are data, never code (issue 12): a snapshot whose
//! group ids, member ids, hosts, client ids and cluster name carry
//! formulas, HTML, quotes, pipes and line breaks goes through `azcost
//! report` and `audit --format csv`, and every output is parsed the way
//! its reader would: CSV with a CSV reader (no cell starts a formula), the
//! page with an HTML parser (no element azcost did not write), the
//! Prometheus text format, Markdown table columns; JSON and Parquet keep
//! the names exactly.

use crate::job_support::*;
use polars::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

const GROUPS: [&str; 5] = [
    "=HYPERLINK(\"http://x.invalid/?\"&A1,\"ok\")",
    "<script>alert(1)</script><b>bold</b>",
    "+cmd|' /C calc'!A0",
    "-2+3\nsecond line | pipe",
    "@SUM(1)\t\"quoted\"\r\nend",
];
const CLUSTER: &str = "=cluster<i>x</i>|\"q\"\nline";
const CONFIG_NAME: &str = "@fleet <b>x | \"prod\"";

/// The demo with every group, member id, client id, host and the cluster
/// name replaced by hostile text.
fn hostile_snapshot(dir: &Path) -> std::path::PathBuf {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(DEMO).unwrap()).unwrap();
    v["cluster"]["name"] = CLUSTER.into();
    for (gi, g) in v["consumer_groups"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        g["group"] = GROUPS[gi % GROUPS.len()].into();
        for (mi, m) in g["members"].as_array_mut().unwrap().iter_mut().enumerate() {
            m["member_id"] = format!("=m{gi}{mi}()|<img src=x onerror=alert(1)>").into();
            m["client_id"] = format!("+c{gi}{mi}\n<b>").into();
            m["host"] = format!("-h{gi}{mi}|\"").into();
            if mi == 0 {
                // A member of unknown zone: a warning that names it.
                m["zone"] = serde_json::Value::Null;
            }
        }
    }
    let path = dir.join("hostile.json");
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    path
}

/// Every record of a CSV file, parsed by the `csv` crate.
fn csv_records(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap();
    let header = r
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// No cell starts a formula; returns the cells of `column`, the leading
/// `'` of neutralised ones removed.
fn check_csv(path: &Path, column: &str) -> BTreeSet<String> {
    let (header, rows) = csv_records(path);
    let i = header.iter().position(|h| h == column).unwrap();
    let mut out = BTreeSet::new();
    for row in &rows {
        assert_eq!(
            row.len(),
            header.len(),
            "{}: ragged row {row:?}",
            path.display()
        );
        for cell in row {
            assert!(
                !cell.starts_with(FORMULA_STARTS) || cell.parse::<f64>().is_ok(),
                "{}: cell {cell:?} starts a formula",
                path.display()
            );
        }
        let cell = &row[i];
        let raw = match cell.strip_prefix('\'') {
            Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
            _ => cell.as_str(),
        };
        out.insert(raw.to_string());
    }
    out
}

/// Whether a Markdown line has an unescaped `<` opening a tag.
fn raw_tag(line: &str) -> bool {
    let mut escaped = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/') =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

#[test]
fn hostile_names_reach_every_format_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let snap = hostile_snapshot(dir.path());
    let out = dir.path().join("out");
    let prom = out.join("azcost.prom");
    let cfg = dir.path().join("c.toml");
    write_config(
        &cfg,
        &out,
        &[(CONFIG_NAME, &snap)],
        "\n[[owners]]\nname = \"=owner()|<b>\"\ncost_center = \"+CC-1\"\ngroups = [\"^=HYPERLINK\"]\n",
    );
    let run = azcost()
        .args([
            "report",
            "-q",
            "-c",
            cfg.to_str().unwrap(),
            "--date",
            "2026-11-22",
        ])
        .args(["--prometheus-textfile", prom.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let b = out.join(format!("cluster={CONFIG_NAME}/date=2026-11-22"));
    assert!(b.is_dir(), "bundle at {}", b.display());
    let groups: BTreeSet<String> = GROUPS.iter().map(|g| g.to_string()).collect();

    // CSV: a CSV reader sees every group exactly once neutralised, and no
    // cell anywhere starts a formula.
    let finance_groups = check_csv(&b.join("finance.csv"), "consumer_group");
    let seen: BTreeSet<String> = finance_groups
        .into_iter()
        .filter(|g| !g.is_empty())
        .collect();
    assert_eq!(seen, groups);
    assert_eq!(
        check_csv(&b.join("finance.csv"), "cluster"),
        [CLUSTER.to_string()].into()
    );
    let owners = check_csv(&b.join("chargeback.csv"), "owner");
    assert!(owners.contains("=owner()|<b>"), "{owners:?}");
    check_csv(&b.join("chargeback.csv"), "cost_center");
    // The bundle's findings and warnings name groups and members too.
    check_csv(&b.join("findings.csv"), "objects");
    let warnings = std::fs::read_to_string(b.join("warnings.csv")).unwrap();
    check_csv(&b.join("warnings.csv"), "warning");
    assert!(
        warnings.lines().count() > 1,
        "the hostile snapshot has no warning: {warnings}"
    );
    // `audit --format csv` and its findings file.
    let audit_csv = dir.path().join("audit.csv");
    let audit = azcost()
        .args([
            "audit",
            "-q",
            "-s",
            snap.to_str().unwrap(),
            "-f",
            "csv",
            "-o",
        ])
        .arg(&audit_csv)
        .output()
        .unwrap();
    assert!(audit.status.success(), "{}", text(&audit.stderr));
    assert_eq!(
        std::fs::read(&audit_csv).unwrap(),
        std::fs::read(b.join("finance.csv")).unwrap()
    );
    let findings = audit_csv.with_file_name("audit.findings.csv");
    if findings.exists() {
        check_csv(&findings, "title");
    }

    // JSON, snapshot and Parquet keep the names exactly.
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("audit.json")).unwrap()).unwrap();
    assert_eq!(doc["cluster"], CLUSTER);
    let json_text = std::fs::read_to_string(b.join("audit.json")).unwrap();
    for g in GROUPS {
        assert!(
            json_text.contains(&serde_json::to_string(g).unwrap()),
            "{g:?} not exact in audit.json"
        );
    }
    assert_eq!(
        std::fs::read(b.join("snapshot.json")).unwrap(),
        std::fs::read(&snap).unwrap()
    );
    let df = ParquetReader::new(std::fs::File::open(b.join("breakdowns.parquet")).unwrap())
        .finish()
        .unwrap();
    let strings = |name: &str| -> BTreeSet<String> {
        let col = df.column(name).unwrap().str().unwrap().clone();
        (0..col.len())
            .filter_map(|i| col.get(i).map(str::to_string))
            .collect()
    };
    let parquet_groups = strings("consumer_group");
    assert_eq!(parquet_groups, groups);
    let members = strings("member_id");
    assert!(members.iter().all(|m| m.starts_with("=m")), "{members:?}");
    let rows = azcost::job::history::read(&out.join("history.parquet")).unwrap();
    assert_eq!(rows[0].cluster, CONFIG_NAME);

    // HTML: parsed, the page has only the elements azcost writes, and the
    // names are text.
    let page =
        scraper::Html::parse_document(&std::fs::read_to_string(b.join("summary.html")).unwrap());
    for tag in ["script", "img", "i"] {
        let sel = scraper::Selector::parse(tag).unwrap();
        assert_eq!(
            page.select(&sel).count(),
            0,
            "a <{tag}> element came from a name"
        );
    }
    // azcost writes <b> itself; none may hold a name's "bold".
    let bold = scraper::Selector::parse("b").unwrap();
    assert!(
        page.select(&bold)
            .all(|e| e.text().collect::<String>() != "bold")
    );
    let body_text: String = page.root_element().text().collect();
    for g in [GROUPS[0], GROUPS[1], GROUPS[2]] {
        assert!(body_text.contains(g), "{g:?} is not text of the page");
    }

    // Markdown: every table row has its header's column count; no name
    // breaks a row or opens a tag.
    let md = std::fs::read_to_string(b.join("summary.md")).unwrap();
    let cells = |line: &str| -> usize {
        let mut n = 0;
        let mut escaped = false;
        for c in line.chars() {
            match (c, escaped) {
                ('\\', false) => escaped = true,
                ('|', false) => n += 1,
                _ => escaped = false,
            }
        }
        n
    };
    let mut tables = 0;
    let mut width = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            match width {
                None => {
                    width = Some(n);
                    tables += 1;
                }
                Some(w) => assert_eq!(n, w, "row {line:?} of a {w}-column table"),
            }
            assert!(line.ends_with('|'), "row {line:?} is cut");
        } else {
            width = None;
            assert!(!raw_tag(line), "raw HTML in {line:?}");
        }
    }
    assert!(tables >= 3, "only {tables} Markdown tables");
    assert!(
        md.contains("\\<script\\>alert(1)\\</script\\>"),
        "group not escaped in summary.md"
    );

    // Prometheus: parses, and the cluster label reads back exactly.
    let samples = parse_prometheus(&std::fs::read_to_string(&prom).unwrap()).unwrap();
    assert!(!samples.is_empty());
    assert!(samples.iter().all(|s| s.labels["cluster"] == CONFIG_NAME));
}

/// A configured cluster name becomes `OUT/cluster=<name>`: nothing in it
/// can leave `--out`.
#[test]
fn cluster_names_that_would_leave_out_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deep/out");
    for name in [
        "../escape",
        "..",
        ".",
        "a/../../b",
        "/abs",
        "x\\y",
        "a\nb",
        "c=d",
        "",
    ] {
        let cfg = dir.path().join("c.toml");
        write_config(&cfg, &out, &[(name, Path::new(DEMO))], "");
        let run = azcost()
            .args(["report", "-q", "-c", cfg.to_str().unwrap()])
            .output()
            .unwrap();
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{name:?}: {err}");
        assert!(err.contains("clusters[0].name"), "{err}");
        assert!(
            !dir.path().join("deep").exists(),
            "{name:?} created something"
        );
        assert!(!dir.path().join("escape").exists() && !dir.path().join("b").exists());
    }
}

/// The finance CSV is written straight from the flow rows (issue 13: the
/// frame cost seconds at 2M partitions); it must be the text polars'
/// frame gives, cell for cell, hostile names and all: a topic starting
/// with `-`, groups with quotes, line breaks and formulas, a cluster name
/// with all of them.
#[test]
fn the_finance_csv_is_the_finance_frame_written_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_snapshot(dir.path());
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let renamed = v["partitions"][0]["topic"].as_str().unwrap().to_string();
    let hostile_topic = format!("-{renamed}+1");
    for p in v["partitions"].as_array_mut().unwrap() {
        if p["topic"] == renamed.as_str() {
            p["topic"] = hostile_topic.as_str().into();
        }
    }
    for g in v["consumer_groups"].as_array_mut().unwrap() {
        for m in g["members"].as_array_mut().unwrap() {
            for a in m["assignment"].as_array_mut().into_iter().flatten() {
                if a["topic"] == renamed.as_str() {
                    a["topic"] = hostile_topic.as_str().into();
                }
            }
        }
    }
    let s =
        azcost::snapshot::parse_and_validate(&serde_json::to_vec(&v).unwrap(), "hostile").unwrap();
    let a = azcost::model::analyze(&s, &azcost::model::Pricing::default());
    assert!(
        a.flows.iter().any(|r| r.topic == hostile_topic)
            && a.flows.iter().any(|r| r.consumer_group.is_none())
            && a.flows.iter().any(|r| r.billed)
            && a.flows.iter().any(|r| !r.billed),
        "the analysis has every kind of row"
    );
    let frame = azcost::model::frames::finance(&a).unwrap();
    let want = azcost::report::csv::write(&frame).unwrap();
    let got = azcost::report::csv::finance(&a);
    assert_eq!(got, want);
    assert!(got.contains(&format!("'{hostile_topic}")), "{got}");
    let records = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(got.as_bytes())
        .records()
        .map(|r| r.unwrap().len())
        .collect::<Vec<_>>();
    assert_eq!(records.len(), a.flows.len());
    assert!(records.iter().all(|&cells| cells == 14));
}
