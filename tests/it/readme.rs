//! The README shows what the program does (issue 11): its sample output is
//! the demo audit exactly as the binary prints it, and every `azcost …`
//! command line it shows, in code blocks and inline, parses.

use azcost::cli::Cli;
use clap::Parser;
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The first fenced block after `heading`, without its fences.
fn block_after(text: &str, heading: &str) -> String {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let rest = &text[at..];
    let open = rest.find("\n```").expect("a code block") + 1;
    let body = open + rest[open..].find('\n').unwrap() + 1;
    let close = body + rest[body..].find("\n```").unwrap() + 1;
    rest[body..close].to_string()
}

#[test]
fn readme_sample_output_is_what_the_demo_audit_prints() {
    // As in the README: `azcost audit` on the built-in demo, into a pipe
    // (a terminal would fit the tables to its width).
    let out = Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(["audit", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let block = block_after(&readme(), "\n## Sample output (the demo)\n");
    // The README shows the start and marks the cut with a line "…".
    let shown = block
        .strip_suffix("…\n")
        .expect("the sample ends with a line \"…\" where it is cut");
    assert!(shown.lines().count() > 20, "{shown}");
    assert!(shown.contains("consume GB") && shown.contains("USD per month"));
    if !printed.starts_with(shown) {
        let first = printed
            .lines()
            .zip(shown.lines())
            .position(|(p, s)| p != s)
            .unwrap_or(0);
        panic!(
            "README.md's sample differs from `azcost audit` at line {}:\n  README: {:?}\n  azcost: {:?}\n(paste the output of `azcost audit -q` into the README)",
            first + 1,
            shown.lines().nth(first).unwrap_or(""),
            printed.lines().nth(first).unwrap_or("")
        );
    }
}

/// The README's sample of findings by kind is the demo's, line for line.
#[test]
fn readme_findings_by_kind_sample_is_what_the_demo_audit_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(["audit", "--quiet"])
        .output()
        .unwrap();
    let printed = String::from_utf8(out.stdout).unwrap();
    let block = block_after(&readme(), "\n### Findings and warnings on a big cluster\n");
    assert!(block.starts_with("Findings ("), "{block}");
    assert!(
        printed.contains(&block),
        "README.md's findings-by-kind sample is not in `azcost audit -q`'s output:\n{block}"
    );
}

/// Every azcost command line of the README: (line number, argv without
/// `azcost`). Code blocks of shell, cron and systemd lines (a trailing `\`
/// joins lines, `# …` is a comment, `cargo run … --` stands for
/// `azcost`; in a systemd unit only `ExecStart=`), and inline code that
/// starts with `azcost `.
fn readme_commands(text: &str) -> Vec<(usize, Vec<String>)> {
    let command = regex::Regex::new(r"(?:^|[\s/])azcost\s+(.*)$").unwrap();
    let cargo_run = regex::Regex::new(r"^cargo run(?: --release)? -- (.*)$").unwrap();
    let inline = regex::Regex::new(r"`azcost ([^`]+)`").unwrap();
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    let mut pending = String::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(info.trim().to_string()),
            };
            continue;
        }
        match fence.as_deref() {
            // systemd units: only ExecStart runs a command.
            Some("ini") if !line.starts_with("ExecStart=") => {}
            Some("sh" | "bash" | "console" | "cron" | "ini") => {
                pending.push_str(line.trim_end_matches('\\'));
                if line.ends_with('\\') {
                    pending.push(' ');
                    continue;
                }
                let full = std::mem::take(&mut pending);
                let full = full.split(" #").next().unwrap_or("").trim().to_string();
                let args = if let Some(c) = cargo_run.captures(&full) {
                    Some(c[1].to_string())
                } else {
                    command.captures(&full).map(|c| c[1].to_string())
                };
                if let Some(args) = args {
                    out.push((n + 1, words(&args)));
                }
            }
            Some(_) => {}
            None => {
                for c in inline.captures_iter(line) {
                    out.push((n + 1, words(&c[1])));
                }
            }
        }
    }
    out
}

/// Shell words up to the end of the command (a pipe, a redirection, `;`
/// or `&&`): whitespace splits, quotes group.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut any = false;
    for ch in text.chars() {
        match (quote, ch) {
            (None, '|' | '>' | '<' | ';' | '&') if !any => break,
            (None, '\'' | '"') => {
                quote = Some(ch);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

#[test]
fn every_azcost_command_line_in_the_readme_parses() {
    let commands = readme_commands(&readme());
    // What the scan must find, so an empty scan cannot pass.
    let has = |prefix: &[&str]| {
        commands.iter().any(|(_, argv)| {
            argv.iter().zip(prefix).all(|(a, p)| a == p) && argv.len() >= prefix.len()
        })
    };
    assert!(has(&["audit"]), "{commands:?}");
    assert!(has(&["completions", "bash"]), "{commands:?}");
    assert!(has(&["man", "--dir"]), "{commands:?}");
    assert!(
        has(&["what-if", "--set-client-rack", "all"]),
        "{commands:?}"
    );
    assert!(has(&["collect", "kafka"]), "{commands:?}");
    assert!(has(&["collect", "msk"]), "{commands:?}");
    assert!(
        has(&["report", "--config", "/etc/azcost/azcost.toml"]),
        "{commands:?}"
    );
    assert!(
        has(&["audit", "--snapshot", "my-cluster.json"]),
        "{commands:?}"
    );
    assert!(
        commands.len() >= 12,
        "{} commands: {commands:?}",
        commands.len()
    );
    let mut failed = Vec::new();
    for (line, argv) in &commands {
        let full = std::iter::once("azcost".to_string()).chain(argv.iter().cloned());
        if let Err(e) = Cli::try_parse_from(full) {
            failed.push(format!(
                "README.md:{line}: azcost {}\n{}",
                argv.join(" "),
                e.render()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn the_command_scan_reads_blocks_continuations_comments_and_inline_code() {
    let text = "Run `azcost audit -q` or `cargo build`.\n\n```sh\nazcost collect kafka --bootstrap h:9092 \\\n  --window 10m   # a comment\ncargo run --release -- what-if --enable-selector\nazcost man | man -l -\nazcost completions bash > f && echo\n```\n\n```text\nazcost audit: not a command\n```\n\n```cron\n0 6 * * * azcost report --config 'my file.toml'\n```\n\n```ini\nDescription=Run azcost report daily\nExecStart=/usr/bin/azcost report --quiet\n```\n";
    let found = readme_commands(text);
    let argv: Vec<Vec<&str>> = found
        .iter()
        .map(|(_, a)| a.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        argv,
        vec![
            vec!["audit", "-q"],
            vec![
                "collect",
                "kafka",
                "--bootstrap",
                "h:9092",
                "--window",
                "10m"
            ],
            vec!["what-if", "--enable-selector"],
            vec!["man"],
            vec!["completions", "bash"],
            vec!["report", "--config", "my file.toml"],
            vec!["report", "--quiet"],
        ]
    );
    assert_eq!(found[0].0, 1);
    assert_eq!(found[1].0, 5);
}
