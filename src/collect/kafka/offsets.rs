//! High watermarks of many partitions in few requests: one ListOffsets
//! (`offsets_for_times` with "latest") per leader broker, so the number of
//! requests grows with brokers, not partitions (issue 3), and a broker that
//! is down costs only its own partitions.

use super::client::Reader;
use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A partition: topic and number.
pub type TopicPartition = (String, i32);

/// What one round of watermark reads found.
#[derive(Debug, Default, Clone)]
pub struct Watermarks {
    /// High watermark per partition.
    pub high: HashMap<TopicPartition, i64>,
    /// Partitions that could not be read, with the reason.
    pub failed: Vec<(TopicPartition, String)>,
}

/// Reads the high watermark of every partition, grouped by leader.
/// Partitions without a leader are reported as failed without a request.
pub fn high_watermarks(
    reader: &Reader,
    partitions: &[(TopicPartition, Option<i32>)],
    timeout: Duration,
) -> Watermarks {
    let mut by_leader: BTreeMap<i32, Vec<&TopicPartition>> = BTreeMap::new();
    let mut out = Watermarks::default();
    for (tp, leader) in partitions {
        match leader {
            Some(l) => by_leader.entry(*l).or_default().push(tp),
            None => out.failed.push((tp.clone(), "no leader".to_string())),
        }
    }
    for (leader, tps) in by_leader {
        let mut list = TopicPartitionList::with_capacity(tps.len());
        for (topic, p) in &tps {
            // Offset::End is timestamp -1: ListOffsets answers "latest",
            // the high watermark.
            if list.add_partition_offset(topic, *p, Offset::End).is_err() {
                out.failed
                    .push(((topic.clone(), *p), "invalid partition".to_string()));
            }
        }
        match reader.offsets_for_times(list, timeout) {
            Ok(answer) => {
                for e in answer.elements() {
                    let tp = (e.topic().to_string(), e.partition());
                    match (e.error(), e.offset()) {
                        (Ok(()), Offset::Offset(o)) if o >= 0 => {
                            out.high.insert(tp, o);
                        }
                        (Err(err), _) => out.failed.push((tp, err.to_string())),
                        (Ok(()), other) => out
                            .failed
                            .push((tp, format!("no offset in the answer ({other:?})"))),
                    }
                }
            }
            Err(err) => {
                for (topic, p) in tps {
                    out.failed.push((
                        (topic.clone(), *p),
                        format!("ListOffsets to broker {leader}: {err}"),
                    ));
                }
            }
        }
    }
    out
}
