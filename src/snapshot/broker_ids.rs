//! [`BrokerIds`]: a partition's replica or ISR list, stored inline.
//!
//! Owns the representation of `replicas` and `isr`. Nearly every partition
//! has at most four replicas; a `Vec<i32>` per list cost two allocations
//! per partition (4M at 2M partitions, ~130 MB). This keeps up to four ids
//! inside the partition and spills to the heap beyond. It reads like a
//! slice (`Deref<Target = [i32]>`), compares with `Vec`s and arrays, prints
//! and (de)serializes exactly as a `Vec<i32>` does, errors included.

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::{Serialize, Serializer};
use smallvec::SmallVec;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// Broker ids of one partition's replicas or in-sync replicas, in order.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrokerIds(SmallVec<[i32; 4]>);

impl BrokerIds {
    /// An empty list.
    pub fn new() -> Self {
        BrokerIds(SmallVec::new())
    }

    /// Appends an id.
    pub fn push(&mut self, id: i32) {
        self.0.push(id);
    }

    /// Removes every id.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Keeps the ids for which `keep` is true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&i32) -> bool) {
        self.0.retain(|id| keep(id));
    }

    /// Removes and returns the id at `index` (panics out of range, as
    /// `Vec::remove` does).
    pub fn remove(&mut self, index: usize) -> i32 {
        self.0.remove(index)
    }

    /// Inserts `id` at `index`, shifting later ids.
    pub fn insert(&mut self, index: usize, id: i32) {
        self.0.insert(index, id);
    }

    /// The ids as a `Vec`.
    pub fn into_vec(self) -> Vec<i32> {
        self.0.into_vec()
    }
}

impl Deref for BrokerIds {
    type Target = [i32];
    fn deref(&self) -> &[i32] {
        &self.0
    }
}

impl DerefMut for BrokerIds {
    fn deref_mut(&mut self) -> &mut [i32] {
        &mut self.0
    }
}

impl AsRef<[i32]> for BrokerIds {
    fn as_ref(&self) -> &[i32] {
        &self.0
    }
}

impl fmt::Debug for BrokerIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<Vec<i32>> for BrokerIds {
    fn from(ids: Vec<i32>) -> Self {
        BrokerIds(SmallVec::from_vec(ids))
    }
}

impl From<&[i32]> for BrokerIds {
    fn from(ids: &[i32]) -> Self {
        BrokerIds(SmallVec::from_slice(ids))
    }
}

impl From<&Vec<i32>> for BrokerIds {
    fn from(ids: &Vec<i32>) -> Self {
        BrokerIds(SmallVec::from_slice(ids))
    }
}

impl<const N: usize> From<[i32; N]> for BrokerIds {
    fn from(ids: [i32; N]) -> Self {
        BrokerIds(ids.into_iter().collect())
    }
}

impl From<BrokerIds> for Vec<i32> {
    fn from(ids: BrokerIds) -> Self {
        ids.into_vec()
    }
}

impl FromIterator<i32> for BrokerIds {
    fn from_iter<I: IntoIterator<Item = i32>>(iter: I) -> Self {
        BrokerIds(iter.into_iter().collect())
    }
}

impl Extend<i32> for BrokerIds {
    fn extend<I: IntoIterator<Item = i32>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for BrokerIds {
    type Item = i32;
    type IntoIter = smallvec::IntoIter<[i32; 4]>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a BrokerIds {
    type Item = &'a i32;
    type IntoIter = std::slice::Iter<'a, i32>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl PartialEq<Vec<i32>> for BrokerIds {
    fn eq(&self, other: &Vec<i32>) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<BrokerIds> for Vec<i32> {
    fn eq(&self, other: &BrokerIds) -> bool {
        **self == *other.0
    }
}

impl PartialEq<[i32]> for BrokerIds {
    fn eq(&self, other: &[i32]) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&[i32]> for BrokerIds {
    fn eq(&self, other: &&[i32]) -> bool {
        *self.0 == **other
    }
}

impl<const N: usize> PartialEq<[i32; N]> for BrokerIds {
    fn eq(&self, other: &[i32; N]) -> bool {
        *self.0 == other[..]
    }
}

impl Serialize for BrokerIds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A slice serializes as a sequence, exactly like a Vec.
        (*self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for BrokerIds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(IdsVisitor)
    }
}

/// Accepts exactly what `Vec<i32>`'s visitor accepts, with its wording.
struct IdsVisitor;

impl<'de> Visitor<'de> for IdsVisitor {
    type Value = BrokerIds;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BrokerIds, A::Error> {
        let mut ids = BrokerIds::new();
        while let Some(id) = seq.next_element::<i32>()? {
            ids.push(id);
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_compares_like_a_vec() {
        for text in ["[]", "[3]", "[1,2,3]", "[1,2,3,4,5,6]"] {
            let ours: BrokerIds = serde_json::from_str(text).expect("parses");
            let vec: Vec<i32> = serde_json::from_str(text).expect("parses");
            assert_eq!(ours, vec);
            assert_eq!(format!("{ours:?}"), format!("{vec:?}"));
            assert_eq!(serde_json::to_string(&ours).expect("serializes"), text);
            assert_eq!(BrokerIds::from(vec.clone()).into_vec(), vec);
        }
        let mut ids = BrokerIds::from([1, 2, 3]);
        ids.retain(|&b| b != 2);
        ids.push(7);
        assert_eq!(ids, [1, 3, 7]);
        assert!(ids.contains(&7));
        assert_eq!(ids.iter().sum::<i32>(), 11);
    }

    #[test]
    fn bad_input_fails_as_for_a_vec() {
        for text in ["5", "\"x\"", "[1,\"a\"]", "[1,2.5]", "[3000000000]", "{}"] {
            let ours = serde_json::from_str::<BrokerIds>(text).expect_err("invalid");
            let vec = serde_json::from_str::<Vec<i32>>(text).expect_err("invalid");
            assert_eq!(ours.to_string(), vec.to_string(), "{text}");
        }
    }
}
