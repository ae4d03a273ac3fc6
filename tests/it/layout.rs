//! The shape of `src/` (issue 11): no import cycle between modules, and
//! command-line types only where flags are parsed and resolved.
//!
//! The check reads the sources as text: every `use` tree and every
//! `crate::` / `super::` / `self::` / child-module path is resolved to the
//! file that defines it (following `pub use` re-exports), and each such
//! reference between two files that are not ancestor and descendant is an
//! edge between the two siblings that contain them. Those sibling graphs,
//! at every level (the top-level modules of `src/` included), must have no
//! cycle; nor may the graph of the files themselves, where a child using an
//! item its parent's `mod.rs` defines counts too (a `pub use` re-export is
//! the parent's front for the child, not a use).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Sibling → sibling → one file edge that makes it (for the message).
type Siblings = BTreeMap<String, BTreeMap<String, (Module, Module)>>;

/// Every `.rs` file under `src/` and the module path it defines
/// (`src/collect/msk/mod.rs` → `collect::msk`). `main.rs` is a separate
/// crate and is left out.
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Module = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            match parts.last().map(String::as_str) {
                Some("main") if parts.len() == 1 => continue,
                Some("lib") if parts.len() == 1 => parts.clear(),
                Some("mod") => {
                    parts.pop();
                }
                _ => {}
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The code of a file without comments, string and char literals, and
/// without its `#[cfg(test)]` tail (unit tests may reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if b.get(i + 1) == Some(&b'#')
                || (b.get(i + 1) == Some(&b'"') && !ident(b, i)) =>
            {
                // r"…" or r#"…"#
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                j += 1;
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                out.push_str("\"\"");
                i = j + close.len();
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '"'), else a lifetime.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    text[i + 2..].find('\'').map(|k| i + 2 + k)
                } else {
                    text[i + 1..]
                        .char_indices()
                        .nth(1)
                        .filter(|(_, c)| *c == '\'')
                        .map(|(k, _)| i + 1 + k)
                };
                match end {
                    Some(e) => {
                        out.push_str("' '");
                        i = e + 1;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

fn ident(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// `a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, ch) in body.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.trim_end_matches(':').to_string()
            } else {
                format!("{prefix}{p}")
            }
        })
        .collect()
}

struct Graph {
    modules: BTreeMap<Module, PathBuf>,
    /// Module → name → the module a `pub use` there brings it from.
    reexports: BTreeMap<Module, BTreeMap<String, Module>>,
}

impl Graph {
    /// The module a path written in `from` names, down to the deepest file.
    fn module_of(&self, from: &Module, path: &str) -> Option<Module> {
        let segs: Vec<&str> = path
            .split("::")
            .map(|s| s.split(" as ").next().unwrap_or(s).trim())
            .filter(|s| !s.is_empty())
            .collect();
        let (mut base, rest) = match segs.first().copied() {
            Some("crate") => (Module::new(), &segs[1..]),
            Some("super") => {
                let mut base = from.clone();
                let mut k = 0;
                while segs.get(k) == Some(&"super") {
                    base.pop();
                    k += 1;
                }
                (base, &segs[k..])
            }
            Some("self") => (from.clone(), &segs[1..]),
            Some(first) => {
                let mut child = from.clone();
                child.push(first.to_string());
                if !self.modules.contains_key(&child) {
                    return None;
                }
                (from.clone(), &segs[..])
            }
            None => return None,
        };
        let mut depth = 0;
        for (k, s) in rest.iter().enumerate() {
            base.push(s.to_string());
            if self.modules.contains_key(&base) {
                depth = k + 1;
            }
        }
        base.truncate(base.len() - (rest.len() - depth));
        // Follow re-exports of the name right after the module.
        let mut target = base;
        let mut name = rest.get(depth).map(|s| s.to_string());
        if depth == rest.len() {
            name = None;
        }
        for _ in 0..8 {
            let Some(n) = &name else { break };
            match self.reexports.get(&target).and_then(|r| r.get(n)) {
                Some(next) if *next != target => target = next.clone(),
                _ => break,
            }
        }
        let _ = name.take();
        Some(target)
    }
}

/// The module graph of `src/`: which file uses which. With `facades`
/// false, a module's `pub use` re-exports are not uses of their own (the
/// files that name the item through them are, of the file defining it).
fn build(facades: bool) -> (Graph, BTreeMap<Module, BTreeSet<Module>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&src);
    let texts: BTreeMap<Module, String> = modules
        .iter()
        .map(|(m, p)| (m.clone(), code(&std::fs::read_to_string(p).unwrap())))
        .collect();
    let use_re = regex::Regex::new(r"(?s)\buse\s+([^;]+);").unwrap();
    let pub_use_re = regex::Regex::new(r"(?s)\bpub(?:\([a-z]+\))?\s+use\s+([^;]+);").unwrap();
    let path_re =
        regex::Regex::new(r"\b((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+)").unwrap();
    let child_re = regex::Regex::new(r"(?:^|[^:\w])([a-z_][a-z0-9_]*)::[A-Za-z_]").unwrap();
    let mut graph = Graph {
        modules,
        reexports: BTreeMap::new(),
    };
    let mut reexports = BTreeMap::new();
    for (m, text) in &texts {
        for c in pub_use_re.captures_iter(text) {
            for e in expand(&c[1]) {
                let name = e.rsplit("::").next().unwrap_or(&e);
                let name = name.rsplit(" as ").next().unwrap_or(name).trim();
                if let Some(target) = graph.module_of(m, &e) {
                    reexports
                        .entry(m.clone())
                        .or_insert_with(BTreeMap::new)
                        .insert(name.to_string(), target);
                }
            }
        }
    }
    graph.reexports = reexports;
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, text) in &texts {
        let text = if facades {
            text.clone()
        } else {
            pub_use_re.replace_all(text, "").into_owned()
        };
        let text = &text;
        let mut deps = BTreeSet::new();
        for c in use_re.captures_iter(text) {
            for e in expand(&c[1]) {
                deps.extend(graph.module_of(m, &e));
            }
        }
        for c in path_re.captures_iter(text) {
            deps.extend(graph.module_of(m, &c[1]));
        }
        for c in child_re.captures_iter(text) {
            let mut child = m.clone();
            child.push(c[1].to_string());
            if graph.modules.contains_key(&child) {
                deps.insert(child);
            }
        }
        deps.remove(m);
        edges.insert(m.clone(), deps);
    }
    (graph, edges)
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// For every parent, the graph between its children, from the file edges.
fn sibling_graphs(edges: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<Module, Siblings> {
    let mut out: BTreeMap<Module, Siblings> = BTreeMap::new();
    for (from, tos) in edges {
        for to in tos {
            let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
            if common == from.len() || common == to.len() {
                continue; // ancestor and descendant
            }
            out.entry(from[..common].to_vec())
                .or_default()
                .entry(from[common].clone())
                .or_default()
                .entry(to[common].clone())
                .or_insert_with(|| (from.clone(), to.clone()));
        }
    }
    out
}

/// One cycle of a graph, if it has any.
fn cycle(g: &Siblings) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &Siblings,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for next in g.get(n).into_iter().flat_map(|m| m.keys()) {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == next).unwrap_or(0);
                    let mut c = stack[at..].to_vec();
                    c.push(next.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(next, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_import_cycle_between_modules_of_src() {
    let (graph, edges) = build(true);
    // The scan sees the layout: the collectors and their parts.
    for m in [
        "collect::msk",
        "collect::msk::aws",
        "collect::msk::assemble",
        "collect::kafka::assemble",
        "report::json",
        "findings",
    ] {
        let m: Module = m.split("::").map(String::from).collect();
        assert!(graph.modules.contains_key(&m), "{} not found", name(&m));
    }
    // ... and the references it must see to mean anything.
    let has = |from: &str, to: &str| {
        let f: Module = from.split("::").map(String::from).collect();
        let t: Module = to.split("::").map(String::from).collect();
        edges.get(&f).is_some_and(|d| d.contains(&t))
    };
    assert!(has("collect::msk", "collect::msk::assemble"));
    assert!(has("collect::msk::assemble", "collect::msk::cloudwatch"));
    assert!(has("report::json", "findings"));
    assert!(has("config", "cli"));

    let mut cycles = Vec::new();
    for (parent, g) in sibling_graphs(&edges) {
        if let Some(c) = cycle(&g) {
            let why: Vec<String> = c
                .windows(2)
                .map(|w| {
                    let (f, t) = &g[&w[0]][&w[1]];
                    format!("{} → {} ({} uses {})", w[0], w[1], name(f), name(t))
                })
                .collect();
            cycles.push(format!("in {}: {}", name(&parent), why.join("; ")));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn no_import_cycle_between_files_of_src() {
    // Stricter than between siblings: a file that uses an item of its
    // parent's mod.rs while that mod.rs uses it back is a cycle too.
    let (_, edges) = build(false);
    let files: Siblings = edges
        .iter()
        .map(|(from, tos)| {
            let to = tos
                .iter()
                .map(|t| (name(t), (from.clone(), t.clone())))
                .collect();
            (name(from), to)
        })
        .collect();
    assert!(files.len() > 40);
    assert!(files["collect::msk"].contains_key("collect::msk::assemble"));
    assert!(files["collect::kafka::assemble"].contains_key("collect::kafka::observed"));
    if let Some(c) = cycle(&files) {
        panic!("import cycle between files: {}", c.join(" → "));
    }
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    // The checker itself, on a made-up graph: a → b → c → a under `x`.
    let m = |s: &str| -> Module { s.split("::").map(String::from).collect() };
    let edges = BTreeMap::from([
        (m("x::a"), BTreeSet::from([m("x::b::inner"), m("x")])),
        (m("x::b::inner"), BTreeSet::from([m("x::c")])),
        (m("x::c"), BTreeSet::from([m("x::a")])),
        (m("y"), BTreeSet::from([m("x::c")])),
    ]);
    let graphs = sibling_graphs(&edges);
    let c = cycle(&graphs[&m("x")]).expect("a cycle");
    assert_eq!(c.len(), 4, "{c:?}");
    assert_eq!(c.first(), c.last());
    assert!(cycle(&graphs[&Module::new()]).is_none());
    // And the text scan: comments and strings are not code.
    let text =
        code("use a::b; // use crate::x;\nlet s = \"crate::y::z\"; let c = '\"'; crate::w::f();");
    assert!(!text.contains("crate::x") && !text.contains("crate::y"));
    assert!(text.contains("crate::w::f"));
    assert_eq!(
        expand("crate::a::{b, c::{d, self}}"),
        ["crate::a::b", "crate::a::c::d", "crate::a::c"]
    );
}

#[test]
fn command_line_types_stay_where_flags_are_parsed_and_resolved() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = ["cli.rs", "main.rs", "lib.rs", "config.rs", "job/config.rs"];
    let cli = regex::Regex::new(r"\bcli::").unwrap();
    let mut leaks = Vec::new();
    let mut checked = 0;
    let mut found_allowed = 0;
    for path in modules(&src).into_values() {
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = code(&std::fs::read_to_string(&path).unwrap());
        if allowed.contains(&rel.as_str()) {
            found_allowed += usize::from(cli.is_match(&text));
            continue;
        }
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            if cli.is_match(line) {
                leaks.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(checked > 40, "only {checked} files checked");
    // config.rs and job/config.rs resolve flags, so the pattern is live.
    assert!(found_allowed >= 2);
    assert!(
        leaks.is_empty(),
        "cli:: types below the resolvers:\n{}",
        leaks.join("\n")
    );
}

/// The README's layout block: (path, description) per entry, continuation
/// lines joined to their entry.
fn readme_layout() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("\n## Layout\n").expect("a Layout section")..];
    let start = section.find("```text\n").expect("a text block in Layout") + 8;
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with(' ') {
            if let Some(last) = entries.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((path, what)) = line.split_once(' ') {
            entries.push((path.to_string(), what.trim().to_string()));
        }
    }
    entries
}

#[test]
fn readme_layout_names_what_is_there_and_all_of_src() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let entries = readme_layout();
    assert!(entries.len() > 15, "{entries:?}");
    let file = regex::Regex::new(r"\b[a-z_]+\.rs\b").unwrap();
    let mut missing = Vec::new();
    for (path, what) in &entries {
        if !root.join(path).exists() {
            missing.push(path.clone());
        }
        // File names in a folder's description are files of that folder.
        if path.ends_with('/') {
            for m in file.find_iter(what) {
                if !root.join(path).join(m.as_str()).exists() {
                    missing.push(format!("{path}{}", m.as_str()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the README's layout names paths that do not exist: {missing:?}"
    );
    // Every folder of src/ and every file at its top has an entry.
    let named: BTreeSet<&str> = entries.iter().map(|(p, _)| p.as_str()).collect();
    let mut unnamed = Vec::new();
    for path in modules(&root.join("src")).into_values() {
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let dir = rel
            .rsplit_once('/')
            .map(|(d, _)| format!("{d}/"))
            .unwrap_or_default();
        let entry = if dir == "src/" { rel.clone() } else { dir };
        if !named.contains(entry.as_str()) {
            unnamed.push(entry);
        }
    }
    // main.rs is not a module of the library.
    if !named.contains("src/main.rs") {
        unnamed.push("src/main.rs".to_string());
    }
    unnamed.sort();
    unnamed.dedup();
    assert!(
        unnamed.is_empty(),
        "the README's layout leaves out: {unnamed:?}"
    );
    // The collectors' folders list every file they hold.
    for dir in ["src/collect/kafka/", "src/collect/msk/"] {
        let what = &entries.iter().find(|(p, _)| p == dir).expect(dir).1;
        for f in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                what.contains(&name),
                "the README's layout entry {dir} does not name {name}"
            );
        }
    }
}
