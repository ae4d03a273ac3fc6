//! Shell completions and man pages generated from the clap definitions
//! (issue 11): every shell's script, bash's really completing, and a man
//! page per command that groff renders without a warning (as `man` reads
//! it: UTF-8 through preconv).

use azcost::cli::Cli;
use clap::CommandFactory;
use std::process::{Command, Output};

fn azcost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_azcost"))
        .args(args)
        .output()
        .expect("azcost runs")
}

/// Every command's full name: `azcost`, `azcost-audit`, `azcost-collect-msk`, …
fn command_names() -> Vec<String> {
    fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let name = if prefix.is_empty() {
            cmd.get_name().to_string()
        } else {
            format!("{prefix}-{}", cmd.get_name())
        };
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            walk(sub, &name, out);
        }
        out.push(name);
    }
    let mut out = Vec::new();
    walk(&Cli::command(), "", &mut out);
    out.sort();
    out
}

#[test]
fn completions_for_every_shell_name_the_commands_and_flags() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = azcost(&["completions", shell]);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["what-if", "collect", "cluster-arn", "completions"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
    let out = azcost(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}

#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let script = azcost(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("azcost.bash");
    std::fs::write(&path, &script).unwrap();
    let syntax = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    // What bash does on TAB: COMP_WORDS/COMP_CWORD set, the function called.
    let complete = |words: &str| -> String {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _azcost azcost \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                path.display()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let subs = complete("azcost wh");
    assert_eq!(subs.trim(), "what-if");
    let flags = complete("azcost collect msk --cluster");
    assert!(flags.lines().any(|l| l == "--cluster-arn"), "{flags}");
    assert!(flags.lines().any(|l| l == "--cluster-name"), "{flags}");
}

#[test]
fn man_prints_azcost_1_and_writes_a_page_per_command() {
    let out = azcost(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH azcost 1"));
    for sub in ["audit", "what\\-if", "report", "collect", "completions"] {
        assert!(page.contains(sub), "{sub} missing from azcost(1)");
    }
    // groff renders it, and has nothing to complain about.
    let dir = tempfile::tempdir().unwrap();
    let written = azcost(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = command_names().iter().map(|n| format!("{n}.1")).collect();
    expected.sort();
    assert_eq!(files, expected);
    assert!(files.contains(&"azcost-collect-msk.1".to_string()));
    let top = std::fs::read_to_string(dir.path().join("azcost.1")).unwrap();
    assert_eq!(top, page, "--dir writes the page `azcost man` prints");
    let msk = std::fs::read_to_string(dir.path().join("azcost-collect-msk.1")).unwrap();
    assert!(msk.contains("cluster\\-arn"), "{msk}");
    for f in &files {
        let out = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"]) // -k: UTF-8 input, as man reads it
            .arg(dir.path().join(f))
            .output()
            .expect("groff runs (scripts/test installs it)");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{f}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A directory that is not there is bad input, and nothing is written.
    let out = azcost(&["man", "--dir", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dir"));
}
