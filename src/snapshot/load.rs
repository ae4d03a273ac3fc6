//! Reading a snapshot from a file, stdin or the built-in demo, and turning
//! every parse failure into an error that names the file and the JSON path.
//!
//! Owns bytes → [`Snapshot`]; the rules of the format live in `validate.rs`.

use super::split;
use super::types::{FORMAT_V1, Snapshot};
use super::validate::validate;
use crate::error::Error;
use crate::error::Problem;
use std::io::Read;
use std::path::PathBuf;

/// The demo snapshot, compiled in so `azcost audit` works on a fresh clone
/// with nothing else given.
pub const DEMO_JSON: &str = include_str!("../../fixtures/demo.json");

/// Where a snapshot comes from; its `Display` is the name used in errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotSource {
    /// A file on disk.
    File(PathBuf),
    /// Standard input (`--snapshot -`).
    Stdin,
    /// The built-in demo, `fixtures/demo.json`.
    Demo,
}

impl std::fmt::Display for SnapshotSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotSource::File(p) => write!(f, "{}", p.display()),
            SnapshotSource::Stdin => f.write_str("<stdin>"),
            SnapshotSource::Demo => f.write_str("<built-in demo: fixtures/demo.json>"),
        }
    }
}

/// Reads, parses and validates a snapshot.
pub fn load(source: &SnapshotSource) -> Result<Snapshot, Error> {
    let text = read(source)?;
    let name = source.to_string();
    let snapshot = parse(text, &name)?;
    checked(snapshot, &name)
}

/// A snapshot's text as read, laid out for [`parse`].
#[derive(Debug)]
pub struct SnapshotText(Text);

#[derive(Debug)]
enum Text {
    Plain(Vec<u8>),
    Gapped(split::Gapped),
}

impl From<Vec<u8>> for SnapshotText {
    fn from(bytes: Vec<u8>) -> Self {
        SnapshotText(Text::Plain(bytes))
    }
}

/// Reads a snapshot's text (see [`load`]); a large file is read straight
/// into the layout the two-thread parser wants, on two threads.
pub fn read(source: &SnapshotSource) -> Result<SnapshotText, Error> {
    #[cfg(unix)]
    if let SnapshotSource::File(path) = source
        && let Ok(file) = std::fs::File::open(path)
        && let Ok(meta) = file.metadata()
        && meta.is_file()
        && let Ok(len) = usize::try_from(meta.len())
        && len >= split::MIN_SPLIT_LEN
        && let Some(text) = split::Gapped::read(&file, len)
    {
        return Ok(SnapshotText(Text::Gapped(text)));
    }
    read_bytes(source).map(SnapshotText::from)
}

/// Parses and validates snapshot bytes; `name` is what errors call the input.
pub fn parse_and_validate(bytes: &[u8], name: &str) -> Result<Snapshot, Error> {
    let snapshot = parse_serially(bytes, name)?;
    checked(snapshot, name)
}

/// A file's bytes with room for [`parse_and_validate_keeping`]'s gap, so a
/// 300 MB snapshot is not copied to grow by a few bytes.
pub fn read_with_room(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
    let mut bytes = Vec::with_capacity(len + split::GAP);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`parse_and_validate`] of bytes the caller keeps (the report bundle's
/// `snapshot.json` is the very text analysed): a large text is parsed on
/// two threads like [`parse`]'s, and handed back unchanged.
pub fn parse_and_validate_keeping(
    bytes: Vec<u8>,
    name: &str,
) -> Result<(Snapshot, Vec<u8>), Error> {
    if bytes.len() < split::MIN_SPLIT_LEN {
        let snapshot = parse_and_validate(&bytes, name)?;
        return Ok((snapshot, bytes));
    }
    match split::parse_keeping(split::Gapped::new(bytes)) {
        Ok((snapshot, bytes)) => Ok((checked(settled(snapshot), name)?, bytes)),
        Err(original) => {
            let snapshot = parse_and_validate(&original, name)?;
            Ok((snapshot, original))
        }
    }
}

/// Parses snapshot bytes without validating them (see [`validate`]); a
/// large input is parsed on two threads (`split.rs`), with the same result
/// and the same errors as one pass.
pub fn parse(text: impl Into<SnapshotText>, name: &str) -> Result<Snapshot, Error> {
    let gapped = match text.into().0 {
        Text::Gapped(gapped) => gapped,
        Text::Plain(bytes) if bytes.len() < split::MIN_SPLIT_LEN => {
            return parse_serially(&bytes, name);
        }
        Text::Plain(bytes) => split::Gapped::new(bytes),
    };
    match split::parse(gapped) {
        Ok(snapshot) => Ok(settled(snapshot)),
        Err(original) => parse_serially(&original, name),
    }
}

/// A snapshot the two-thread parser made, with what parsing held let go.
fn settled(mut snapshot: Snapshot) -> Snapshot {
    super::clear_interned();
    // Growth by doubling can leave up to half of the largest array
    // unused; shrinking a large block gives pages back in place.
    snapshot.partitions.shrink_to_fit();
    snapshot
}

fn checked(snapshot: Snapshot, name: &str) -> Result<Snapshot, Error> {
    let problems = validate(&snapshot);
    if problems.is_empty() {
        Ok(snapshot)
    } else {
        Err(Error::InvalidSnapshot {
            file: name.to_string(),
            problems,
        })
    }
}

fn read_bytes(source: &SnapshotSource) -> Result<Vec<u8>, Error> {
    match source {
        SnapshotSource::Demo => Ok(DEMO_JSON.as_bytes().to_vec()),
        SnapshotSource::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| {
                Error::usage(format!("--snapshot -: cannot read standard input: {e}"))
            })?;
            Ok(buf)
        }
        SnapshotSource::File(path) => std::fs::read(path).map_err(|e| {
            Error::usage(format!(
                "--snapshot {}: cannot read the file: {e}",
                path.display()
            ))
        }),
    }
}

fn parse_serially(bytes: &[u8], name: &str) -> Result<Snapshot, Error> {
    let parsed = parse_interning(bytes, name);
    // The snapshot keeps the names it uses; the interner's copies would only
    // outlive it.
    super::clear_interned();
    parsed
}

fn parse_interning(bytes: &[u8], name: &str) -> Result<Snapshot, Error> {
    let invalid = |path: &str, expected: String| Error::InvalidSnapshot {
        file: name.to_string(),
        problems: vec![Problem::new(path, expected)],
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            ".",
            format!("the file is empty: expected a JSON object with \"format\": \"{FORMAT_V1}\""),
        ));
    }
    // Fast path: plain serde. Only a file that fails is parsed again with
    // path tracking, which costs about twice as much on large snapshots.
    if let Some(snapshot) = split::parse_fast::<Snapshot>(bytes) {
        return Ok(snapshot);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<Snapshot, _> = serde_path_to_error::deserialize(&mut de);
    match parsed {
        Ok(_) => {
            let trailing = de.end().err().map(|e| e.to_string()).unwrap_or_default();
            Err(invalid(
                ".",
                format!("one JSON object and nothing after it: {trailing}"),
            ))
        }
        Err(err) => {
            // A file of another kind (an audit, some other JSON) fails on a
            // missing field first; its wrong `format` is the clearer message.
            if let Some(found) = foreign_format(bytes) {
                return Err(invalid("format", found));
            }
            let path = err.path().to_string();
            Err(invalid(&path, describe_serde_error(err.inner())))
        }
    }
}

/// Returns a message when the input is JSON whose `format` is not v1.
fn foreign_format(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let Some(object) = value.as_object() else {
        return Some(format!(
            "expected a JSON object with \"format\": \"{FORMAT_V1}\", found {}",
            json_kind(&value)
        ));
    };
    match object.get("format") {
        Some(serde_json::Value::String(s)) if s == FORMAT_V1 => None,
        Some(other) => Some(format!("expected exactly \"{FORMAT_V1}\", found {other}")),
        None => Some(format!(
            "missing: expected \"format\": \"{FORMAT_V1}\" (is this an azcost snapshot?)"
        )),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn describe_serde_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    if text.contains("number out of range") {
        format!("{text} (expected a finite number)")
    } else {
        text
    }
}
