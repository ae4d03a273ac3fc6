//! Writing a snapshot back out, for collectors and what-ifs: pretty JSON
//! with a trailing newline so files diff well and stay evidence.

use super::types::Snapshot;

/// The snapshot as pretty JSON, field order as in the format document.
pub fn to_json(snapshot: &Snapshot) -> String {
    // Serializing plain data with string keys cannot fail.
    let mut text = serde_json::to_string_pretty(snapshot).unwrap_or_default();
    text.push('\n');
    text
}
