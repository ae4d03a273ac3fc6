//! [`TopicName`]: a topic name shared by every partition of the topic.
//!
//! Owns the snapshot's representation of topic names. A cluster has
//! thousands of topics but millions of partitions, each naming its topic;
//! one `String` per partition cost 2M allocations and ~80 MB at 2M
//! partitions. Parsing interns names (one allocation per distinct name per
//! load), and equal names usually compare by pointer. For every read-only
//! use it behaves like a `String`: it derefs to `str`, compares, orders and
//! hashes like the text, prints as the text and (de)serializes exactly as a
//! JSON string, with the same error for a non-string.

use rustc_hash::FxHashSet;
use serde::de::{Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A topic name; clones share one allocation.
#[derive(Clone, Default)]
pub struct TopicName(Arc<str>);

impl TopicName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name from text, shared with equal names parsed on this thread
    /// since the last [`clear_interned`].
    fn interned(text: &str) -> TopicName {
        INTERNER.with(|cell| {
            let mut interner = cell.borrow_mut();
            if let Some(last) = &interner.last
                && &**last == text
            {
                return TopicName(last.clone());
            }
            let shared = match interner.names.get(text) {
                Some(shared) => shared.clone(),
                None => {
                    let shared: Arc<str> = Arc::from(text);
                    if interner.names.len() >= MAX_INTERNED {
                        interner.names.clear();
                    }
                    interner.names.insert(shared.clone());
                    shared
                }
            };
            interner.last = Some(shared.clone());
            TopicName(shared)
        })
    }
}

/// Bounds the interner of a thread that parses many snapshots without
/// [`clear_interned`]: past this many names it starts afresh (names already
/// handed out stay valid; only sharing with later ones is lost).
const MAX_INTERNED: usize = 1 << 20;

#[derive(Default)]
struct Interner {
    names: FxHashSet<Arc<str>>,
    /// The name interned last: consecutive partitions nearly always share a
    /// topic, so most lookups are one short comparison, no hashing.
    last: Option<Arc<str>>,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

/// Forgets the names interned on this thread, so a long-running process
/// keeps no names of snapshots it dropped; called after each load.
pub fn clear_interned() {
    INTERNER.with(|cell| *cell.borrow_mut() = Interner::default());
}

impl Deref for TopicName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl PartialEq for TopicName {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for TopicName {}

impl PartialOrd for TopicName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TopicName {
    fn cmp(&self, other: &Self) -> Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl Hash for TopicName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` (and so `String`) hashes, which `Borrow<str>` requires.
        (*self.0).hash(state)
    }
}

impl PartialEq<str> for TopicName {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for TopicName {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for TopicName {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<TopicName> for str {
    fn eq(&self, other: &TopicName) -> bool {
        self == &*other.0
    }
}

impl PartialEq<TopicName> for &str {
    fn eq(&self, other: &TopicName) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<TopicName> for String {
    fn eq(&self, other: &TopicName) -> bool {
        **self == *other.0
    }
}

impl From<&str> for TopicName {
    fn from(text: &str) -> Self {
        TopicName(Arc::from(text))
    }
}

impl From<&String> for TopicName {
    fn from(text: &String) -> Self {
        TopicName(Arc::from(text.as_str()))
    }
}

impl From<String> for TopicName {
    fn from(text: String) -> Self {
        TopicName(Arc::from(text))
    }
}

impl From<TopicName> for String {
    fn from(name: TopicName) -> Self {
        name.0.to_string()
    }
}

impl Serialize for TopicName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TopicName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(NameVisitor)
    }
}

/// Accepts exactly what `String`'s visitor accepts, with its wording.
struct NameVisitor;

impl Visitor<'_> for NameVisitor {
    type Value = TopicName;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TopicName, E> {
        Ok(TopicName::interned(v))
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<TopicName, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(TopicName::interned(s)),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(v), &self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_names_are_shared_and_behave_like_strings() {
        clear_interned();
        let names: Vec<TopicName> =
            serde_json::from_str(r#"["orders", "clicks", "orders", "ord\u0065rs"]"#)
                .expect("strings parse");
        assert!(Arc::ptr_eq(&names[0].0, &names[2].0));
        assert!(Arc::ptr_eq(&names[0].0, &names[3].0));
        assert_eq!(names[0], "orders");
        assert_eq!(names[1].to_string(), "clicks");
        assert_eq!(format!("{:?}", names[1]), "\"clicks\"");
        assert!(names[1] < names[0]);
        assert_eq!(
            serde_json::to_string(&names).expect("serializes"),
            r#"["orders","clicks","orders","orders"]"#
        );
        let set: std::collections::HashSet<TopicName> = names.into_iter().collect();
        assert!(set.contains("clicks"));
        clear_interned();
    }

    #[test]
    fn a_non_string_fails_as_for_a_string_field() {
        let ours = serde_json::from_str::<TopicName>("5").expect_err("not a string");
        let std = serde_json::from_str::<String>("5").expect_err("not a string");
        assert_eq!(ours.to_string(), std.to_string());
    }
}
