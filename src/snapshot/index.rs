//! An index of `partitions[]` by (topic, partition index), built in one pass.
//!
//! Owns the lookup "where in `partitions[]` is `orders`/7?", which
//! validation asks once per partition and once per assigned or read
//! partition: millions of times on a large cluster. A hash map keyed by
//! `(&str, i32)` was the obvious shape, but hashing a topic name per lookup
//! is slow and Fx hashing of such keys collides badly (topic names differ in
//! a digit, partition indices are small and dense), so lookups degraded to
//! long probe chains: seconds at 2M partitions. Here each topic name is
//! hashed once into a small integer id, and each topic keeps a dense array
//! of positions indexed by partition number, which is what real clusters
//! (partitions 0..n) look like; indices that would make that array sparse
//! go to a per-topic map instead, so a hostile file cannot make it huge.

use super::types::Partition;
use rustc_hash::FxHashMap as HashMap;

/// Small integer standing for one topic name in a [`PartitionIndex`].
pub type TopicId = u32;

/// Where each (topic, partition) sits in `partitions[]`.
#[derive(Debug, Default)]
pub struct PartitionIndex<'a> {
    ids: HashMap<&'a str, TopicId>,
    topics: Vec<Slots<'a>>,
}

/// One topic's partitions: `dense[k]` is 1 + the position of partition `k`
/// (0 for none); indices too far beyond the dense part live in `sparse`.
#[derive(Debug, Default)]
struct Slots<'a> {
    name: &'a str,
    count: u32,
    dense: Vec<u32>,
    sparse: HashMap<i32, u32>,
}

impl<'a> PartitionIndex<'a> {
    /// Indexes `partitions`; `on_duplicate(i, earlier)` is told of each
    /// entry `i` whose (topic, partition) last appeared at position
    /// `earlier`; the index keeps the latest position, as a map insert would.
    pub fn build(partitions: &'a [Partition], mut on_duplicate: impl FnMut(usize, usize)) -> Self {
        let mut index = PartitionIndex::default();
        // Consecutive partitions nearly always share a topic: remember the
        // last one so most entries cost no hashing at all.
        let mut last: Option<(&str, TopicId)> = None;
        for (i, p) in partitions.iter().enumerate() {
            let topic = p.topic.as_str();
            let id = match last {
                Some((name, id)) if name == topic => id,
                _ => {
                    let id = index.intern(topic);
                    last = Some((topic, id));
                    id
                }
            };
            if let Some(first) = index.topics[id as usize].insert(p.partition, i) {
                on_duplicate(i, first);
            }
        }
        index
    }

    fn intern(&mut self, topic: &'a str) -> TopicId {
        let next = self.topics.len() as TopicId;
        let id = *self.ids.entry(topic).or_insert(next);
        if id == next {
            self.topics.push(Slots {
                name: topic,
                ..Slots::default()
            });
        }
        id
    }

    /// The id of a topic that has partitions, if any.
    pub fn topic_id(&self, topic: &str) -> Option<TopicId> {
        self.ids.get(topic).copied()
    }

    /// The topic name of an id from [`PartitionIndex::topic_id`].
    pub fn topic_name(&self, id: TopicId) -> &'a str {
        self.topics[id as usize].name
    }

    /// Number of distinct topics.
    pub fn topic_count(&self) -> usize {
        self.topics.len()
    }

    /// Whether `topic` has any partition.
    pub fn has_topic(&self, topic: &str) -> bool {
        self.ids.contains_key(topic)
    }

    /// Position in `partitions[]` of `partition` of the topic `id`.
    pub fn position_in(&self, id: TopicId, partition: i32) -> Option<usize> {
        self.topics.get(id as usize)?.get(partition)
    }

    /// Position in `partitions[]` of `topic`/`partition`.
    pub fn position(&self, topic: &str, partition: i32) -> Option<usize> {
        self.position_in(self.topic_id(topic)?, partition)
    }
}

impl Slots<'_> {
    /// Records `partition` at `position`; returns the position it replaces
    /// if the partition was already there.
    fn insert(&mut self, partition: i32, position: usize) -> Option<usize> {
        let value = position as u32 + 1;
        let k = partition as usize;
        // Dense while the array stays within twice the partitions seen (plus
        // slack): 0..n in any order mostly lands here, a stray 2^31 does not.
        if partition >= 0 && (k < self.dense.len() || k <= 2 * self.count as usize + 16) {
            if k >= self.dense.len() {
                self.dense.resize(k + 1, 0);
            }
            let old = std::mem::replace(&mut self.dense[k], value);
            if old != 0 {
                return Some(old as usize - 1);
            }
        } else if let Some(old) = self.sparse.insert(partition, value) {
            return Some(old as usize - 1);
        }
        self.count += 1;
        None
    }

    fn get(&self, partition: i32) -> Option<usize> {
        let found = match self.dense.get(partition as usize) {
            Some(&v) if partition >= 0 && v != 0 => v,
            _ => *self.sparse.get(&partition)?,
        };
        Some(found as usize - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(topic: &str, partition: i32) -> Partition {
        Partition {
            topic: topic.into(),
            partition,
            leader: None,
            replicas: Default::default(),
            isr: Default::default(),
            bytes_in: 0.0,
        }
    }

    #[test]
    fn finds_dense_sparse_and_duplicate_partitions() {
        let parts = vec![
            part("a", 1),
            part("a", 0),
            part("b", 2_000_000_000),
            part("a", 1),
            part("b", -3),
            part("a", 40),
            part("b", 2_000_000_000),
        ];
        let mut dups = Vec::new();
        let index = PartitionIndex::build(&parts, |i, first| dups.push((i, first)));
        assert_eq!(dups, vec![(3, 0), (6, 2)]);
        assert_eq!(index.position("a", 1), Some(3));
        assert_eq!(index.position("a", 0), Some(1));
        assert_eq!(index.position("a", 40), Some(5));
        assert_eq!(index.position("a", 2), None);
        assert_eq!(index.position("b", 2_000_000_000), Some(6));
        assert_eq!(index.position("b", -3), Some(4));
        assert_eq!(index.position("c", 0), None);
        assert_eq!(index.topic_count(), 2);
        assert!(index.has_topic("b"));
        let b = index.topic_id("b").expect("b is indexed");
        assert_eq!(index.topic_name(b), "b");
        assert_eq!(index.position_in(b, 7), None);
    }
}
