//! Helpers for the tests of `azcost report` as real processes: a command
//! with no `AZCOST_*` variable from the caller, configs over snapshot
//! files, the tree under `--out`, and a strict reader of the Prometheus
//! text format.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json");

/// `azcost` with none of the caller's `AZCOST_*` settings or test hooks.
pub fn azcost() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azcost"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AZCOST_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A config at `path` with `[defaults] out` and one `[[clusters]]` per
/// (name, snapshot file).
pub fn write_config(path: &Path, out: &Path, clusters: &[(&str, &Path)], extra: &str) {
    let mut body = format!(
        "[defaults]\nout = {:?}\n{extra}\n",
        out.display().to_string()
    );
    for (name, snap) in clusters {
        body.push_str(&format!(
            "\n[[clusters]]\nname = {name:?}\nsnapshot = {:?}\n",
            snap.display().to_string()
        ));
    }
    std::fs::write(path, body).unwrap();
}

/// The demo snapshot renamed to `cluster`, written to `dir/<file>`.
pub fn demo_as(dir: &Path, file: &str, cluster: &str) -> PathBuf {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(DEMO).unwrap()).unwrap();
    v["cluster"]["name"] = serde_json::Value::String(cluster.to_string());
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    path
}

/// Every file under `dir` (relative path → bytes), staging included.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                stack.push(p);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// Names under `dir` that are debris: staging, temp files, lock notes.
pub fn debris(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_keys()
        .filter(|k| {
            k.split('/')
                .any(|part| part.starts_with('.') || part.ends_with(".tmp"))
        })
        .collect()
}

/// A started `azcost report` whose stderr is read line by line.
pub struct Running {
    pub child: Child,
    lines: std::sync::mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Running {
    pub fn start(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start azcost");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a stderr line containing `needle` (panics after 120 s or
    /// when the process ends first, with what it printed).
    pub fn wait_for(&mut self, needle: &str) {
        loop {
            match self.lines.recv_timeout(std::time::Duration::from_secs(120)) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.seen.push(line);
                    if hit {
                        return;
                    }
                }
                Err(_) => panic!("no {needle:?} from azcost; it printed {:?}", self.seen),
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    /// Waits for the exit; returns the code (None: killed by a signal) and
    /// everything it printed on stderr.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(10)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }
}

/// One sample of the Prometheus text format.
#[derive(Debug, Clone, PartialEq)]
pub struct PromSample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the text exposition format strictly: `# HELP`/`# TYPE` comments,
/// `name{label="value",...} number` lines with `\\`, `\"` and `\n`
/// escapes; anything else is an error naming the line.
pub fn parse_prometheus(text: &str) -> Result<Vec<PromSample>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |why: &str| format!("line {}: {why}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start();
            if !(rest.starts_with("HELP ") || rest.starts_with("TYPE ")) {
                return Err(bad("comment that is neither HELP nor TYPE"));
            }
            continue;
        }
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .ok_or_else(|| bad("no value"))?;
        let name = &line[..name_end];
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(bad("bad metric name"));
        }
        let mut chars = line[name_end..].chars().peekable();
        let mut labels = BTreeMap::new();
        if chars.peek() == Some(&'{') {
            chars.next();
            loop {
                if chars.peek() == Some(&'}') {
                    chars.next();
                    break;
                }
                let mut key = String::new();
                for c in chars.by_ref() {
                    if c == '=' {
                        break;
                    }
                    key.push(c);
                }
                if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(bad("bad label name"));
                }
                if chars.next() != Some('"') {
                    return Err(bad("label value not quoted"));
                }
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some('\\') => value.push('\\'),
                            Some('"') => value.push('"'),
                            Some('n') => value.push('\n'),
                            _ => return Err(bad("bad escape")),
                        },
                        Some('"') => break,
                        Some('\n') | None => return Err(bad("unterminated label value")),
                        Some(c) => value.push(c),
                    }
                }
                labels.insert(key, value);
                match chars.next() {
                    Some(',') => {}
                    Some('}') => break,
                    _ => return Err(bad("expected , or }")),
                }
            }
        }
        let rest: String = chars.collect();
        let value = rest
            .trim()
            .split(' ')
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| bad("value is not a number"))?;
        if !rest.starts_with(' ') {
            return Err(bad("no space before the value"));
        }
        out.push(PromSample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    Ok(out)
}
