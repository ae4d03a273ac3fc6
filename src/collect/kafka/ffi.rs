//! The only unsafe code in azcost: librdkafka calls that the safe
//! `rdkafka` crate does not wrap, reached through `rdkafka::bindings` and
//! turned into owned Rust values before returning:
//! - DescribeCluster and DescribeTopics (librdkafka ≥ 2.3), because
//!   `rd_kafka_metadata_broker_t` carries no rack (issue 3), and the rack is
//!   the whole point of this tool;
//! - ListConsumerGroupOffsets, which rdkafka's admin client lacks;
//! - the legacy per-partition consumer (`rd_kafka_consume_start_queue`),
//!   because it fetches with no `group.id` at all, while
//!   `rd_kafka_assign` refuses to run without one (issue 3: "without a
//!   group id: assign, fetch, never commit");
//! - the length of the client's main queue, where rdkafka's `log.queue`
//!   keeps log lines until polled: the sampler serves them while it fetches,
//!   since they carry the stored batch sizes (issue 10).
//! - the SASL/OAUTHBEARER token refresh of MSK IAM authentication
//!   ([`Refreshing`], issue 10), served from librdkafka's SASL queue by a
//!   thread of our own for every client, because neither the admin client
//!   nor the never-polled readers serve the queue rdkafka would use.
//!
//! Invariants every function here keeps:
//! 1. Every librdkafka object we create (admin options, queue, topic
//!    collection, partition list, request array) is owned by a guard whose
//!    `Drop` destroys it exactly once, so early returns cannot leak.
//! 2. The queue is destroyed before the borrowed client can be dropped: the
//!    guard borrows the client for its lifetime.
//! 3. Pointers read out of a result event (nodes, descriptions, strings) are
//!    owned by that event; they are copied into owned values while the event
//!    guard is alive and never escape it.
//! 4. Every C string we pass is a `CString` that outlives the call; every C
//!    string we read is checked for NULL and decoded lossily.
//! 5. Nothing here joins a group, commits an offset or changes a config:
//!    these calls are reads (Metadata, OffsetFetch, ListOffsets and Fetch
//!    requests).
//! 6. Every partition started with `rd_kafka_consume_start_queue` is
//!    stopped, and every message returned is destroyed, before the queue
//!    and topic handles they use.
//! 7. A token-refresh thread and its SASL queue handle live inside the
//!    [`Refreshing`] that owns the client, and are stopped, joined and
//!    destroyed before that client is (field drop order), so the thread
//!    never touches a destroyed client.
#![allow(unsafe_code)]

use rdkafka::bindings as rd;
use rdkafka::client::{Client, ClientContext};
use std::ffi::{CStr, CString, c_char};
use std::time::Duration;

/// A broker as DescribeCluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Broker id.
    pub id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: u16,
    /// `broker.rack`, when the broker has one.
    pub rack: Option<String>,
}

/// The cluster as DescribeCluster reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Cluster id, when the broker reports one.
    pub cluster_id: Option<String>,
    /// Controller broker id, when known.
    pub controller: Option<i32>,
    /// Every broker.
    pub nodes: Vec<NodeInfo>,
}

/// One partition as DescribeTopics reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    /// Partition number.
    pub partition: i32,
    /// Leader broker id; `None` when the partition has no leader.
    pub leader: Option<i32>,
    /// Replica broker ids, preferred leader first.
    pub replicas: Vec<i32>,
    /// In-sync replica broker ids.
    pub isr: Vec<i32>,
}

/// One topic as DescribeTopics reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    /// Topic name.
    pub name: String,
    /// Internal topics (`__consumer_offsets`) carry no client traffic we price.
    pub internal: bool,
    /// Partitions, in the order the broker gave them.
    pub partitions: Vec<PartitionInfo>,
    /// The broker's error for this topic (deleted, not authorized), if any.
    pub error: Option<String>,
}

/// A committed offset of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The committed offset (≥ 0); partitions without a commit are left out.
    pub offset: i64,
}

/// Why an admin call failed: librdkafka's error name and reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{call}: {reason}")]
pub struct AdminError {
    /// The admin call, e.g. `DescribeCluster`.
    pub call: &'static str,
    /// librdkafka's error name and text.
    pub reason: String,
}

impl AdminError {
    fn new(call: &'static str, reason: impl Into<String>) -> Self {
        AdminError {
            call,
            reason: reason.into(),
        }
    }
}

/// DescribeCluster: brokers with their racks.
///
/// `broker` sends the request to one broker rather than the controller.
/// librdkafka's mock cluster needs that, and any broker can answer this
/// Metadata-backed call.
pub fn describe_cluster<C: ClientContext>(
    client: &Client<C>,
    broker: Option<i32>,
    timeout: Duration,
) -> Result<ClusterInfo, AdminError> {
    const CALL: &str = "DescribeCluster";
    let rk = client.native_ptr();
    let options = Options::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        broker,
        timeout,
        CALL,
    )?;
    let queue = Queue::new(client);
    // SAFETY: rk, options and queue are live for the call (invariants 1, 2).
    unsafe { rd::rd_kafka_DescribeCluster(rk, options.0, queue.0) };
    let event = queue.wait(timeout, CALL)?;
    // SAFETY: the event is a DescribeCluster result (checked by `wait`'s
    // error path and by the NULL check below) and lives until `event` drops.
    unsafe {
        let result = rd::rd_kafka_event_DescribeCluster_result(event.0);
        if result.is_null() {
            return Err(AdminError::new(CALL, "unexpected event type"));
        }
        let mut count = 0usize;
        let nodes = rd::rd_kafka_DescribeCluster_result_nodes(result, &mut count);
        let nodes = slice(nodes, count)
            .iter()
            .filter(|n| !n.is_null())
            .map(|&n| node(n))
            .collect::<Vec<_>>();
        let controller = rd::rd_kafka_DescribeCluster_result_controller(result);
        let controller = (!controller.is_null()).then(|| rd::rd_kafka_Node_id(controller));
        let cluster_id = string(rd::rd_kafka_DescribeCluster_result_cluster_id(result));
        Ok(ClusterInfo {
            cluster_id,
            controller,
            nodes,
        })
    }
}

/// DescribeTopics for the named topics: leader, replicas and ISR of each
/// partition, in one request.
pub fn describe_topics<C: ClientContext>(
    client: &Client<C>,
    topics: &[String],
    broker: Option<i32>,
    timeout: Duration,
) -> Result<Vec<TopicInfo>, AdminError> {
    const CALL: &str = "DescribeTopics";
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let names = topics
        .iter()
        .map(|t| CString::new(t.as_str()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AdminError::new(CALL, "a topic name contains a NUL byte"))?;
    let mut pointers: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
    // SAFETY: `pointers` and `names` outlive the call; librdkafka copies them.
    let collection = TopicCollection(unsafe {
        rd::rd_kafka_TopicCollection_of_topic_names(pointers.as_mut_ptr(), pointers.len())
    });
    let rk = client.native_ptr();
    let options = Options::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS,
        broker,
        timeout,
        CALL,
    )?;
    let queue = Queue::new(client);
    // SAFETY: every argument is live for the call (invariants 1, 2).
    unsafe { rd::rd_kafka_DescribeTopics(rk, collection.0, options.0, queue.0) };
    let event = queue.wait(timeout, CALL)?;
    // SAFETY: pointers read below belong to `event` (invariant 3).
    unsafe {
        let result = rd::rd_kafka_event_DescribeTopics_result(event.0);
        if result.is_null() {
            return Err(AdminError::new(CALL, "unexpected event type"));
        }
        let mut count = 0usize;
        let descriptions = rd::rd_kafka_DescribeTopics_result_topics(result, &mut count);
        // librdkafka leaves NULL where a broker omitted a requested topic.
        Ok(slice(descriptions, count)
            .iter()
            .filter(|d| !d.is_null())
            .map(|&d| topic(d))
            .collect())
    }
}

/// ListConsumerGroupOffsets (an OffsetFetch, which neither joins the group
/// nor changes it): the committed offsets of one group, of every partition
/// it committed (`partitions` = `None`) or of the ones named.
pub fn list_group_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    partitions: Option<&[(String, i32)]>,
    timeout: Duration,
) -> Result<Vec<CommittedOffset>, AdminError> {
    const CALL: &str = "ListConsumerGroupOffsets";
    let group_c =
        CString::new(group).map_err(|_| AdminError::new(CALL, "group id contains a NUL byte"))?;
    let list = match partitions {
        Some(parts) => {
            let mut list = rdkafka::TopicPartitionList::with_capacity(parts.len());
            for (t, p) in parts {
                list.add_partition(t, *p);
            }
            Some(list)
        }
        None => None,
    };
    // SAFETY: a NULL partition list asks for every committed partition; the
    // request copies the group id and the list, which outlive the call.
    let request = GroupOffsetsRequest(unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets_new(
            group_c.as_ptr(),
            list.as_ref().map_or(std::ptr::null(), |l| l.ptr()),
        )
    });
    let rk = client.native_ptr();
    let options = Options::new(
        rk,
        rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
        None,
        timeout,
        CALL,
    )?;
    let queue = Queue::new(client);
    let mut requests = [request.0];
    // SAFETY: librdkafka copies the request array; our guard still owns
    // and later destroys the request itself.
    unsafe {
        rd::rd_kafka_ListConsumerGroupOffsets(
            rk,
            requests.as_mut_ptr(),
            requests.len(),
            options.0,
            queue.0,
        )
    };
    let event = queue.wait(timeout, CALL)?;
    // SAFETY: pointers read below belong to `event` (invariant 3).
    unsafe {
        let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event.0);
        if result.is_null() {
            return Err(AdminError::new(CALL, "unexpected event type"));
        }
        let mut count = 0usize;
        let groups = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
        let mut offsets = Vec::new();
        for &g in slice(groups, count).iter().filter(|g| !g.is_null()) {
            let error = rd::rd_kafka_group_result_error(g);
            if !error.is_null() {
                return Err(AdminError::new(CALL, error_text(error)));
            }
            let list = rd::rd_kafka_group_result_partitions(g);
            if list.is_null() {
                continue;
            }
            let list = &*list;
            for p in slice(list.elems, usize::try_from(list.cnt).unwrap_or(0)) {
                // A partition without a commit comes back as -1001 (invalid).
                if p.offset >= 0 && p.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    offsets.push(CommittedOffset {
                        topic: string(p.topic).unwrap_or_default(),
                        partition: p.partition,
                        offset: p.offset,
                    });
                }
            }
        }
        Ok(offsets)
    }
}

/// The size-relevant parts of one fetched record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedRecord {
    /// Index into the ranges passed to [`fetch_newest`].
    pub range: usize,
    /// Offset of the record.
    pub offset: i64,
    /// Key length; `None` for a null key.
    pub key_len: Option<usize>,
    /// Value length; `None` for a null value (a tombstone).
    pub value_len: Option<usize>,
    /// Number of headers.
    pub header_count: usize,
    /// Bytes the headers take in record format v2 (names, values and
    /// their varint lengths).
    pub header_bytes: usize,
}

/// Fetches records of each `(topic, partition, from, to)` range with the
/// legacy consumer, with no group id, until every range has reached `to`
/// or `deadline` passes. Nothing is committed: the legacy consumer only
/// stores offsets when asked to, and we never ask. `tick` runs between
/// polls, so the caller can serve the client's main queue (its log lines).
pub fn fetch_newest<C: ClientContext>(
    client: &Client<C>,
    ranges: &[(String, i32, i64, i64)],
    deadline: Duration,
    header_size: impl Fn(usize, Option<usize>) -> usize,
    mut on_done: impl FnMut(usize),
    mut tick: impl FnMut(),
) -> Result<Vec<FetchedRecord>, AdminError> {
    const CALL: &str = "Fetch";
    let rk = client.native_ptr();
    let queue = Queue::new(client);
    let mut topics: std::collections::HashMap<&str, TopicHandle> = Default::default();
    let mut started: Vec<(usize, *mut rd::rd_kafka_topic_t, i32)> = Vec::new();
    let mut out = Vec::new();
    let result = (|| {
        for (i, (topic, partition, from, to)) in ranges.iter().enumerate() {
            if to <= from {
                continue;
            }
            if !topics.contains_key(topic.as_str()) {
                let name = CString::new(topic.as_str())
                    .map_err(|_| AdminError::new(CALL, "a topic name contains a NUL byte"))?;
                // SAFETY: rk is live; NULL conf takes the defaults; the
                // handle is destroyed by TopicHandle's Drop (invariant 1).
                let rkt =
                    unsafe { rd::rd_kafka_topic_new(rk, name.as_ptr(), std::ptr::null_mut()) };
                if rkt.is_null() {
                    return Err(AdminError::new(CALL, format!("cannot open topic {topic}")));
                }
                topics.insert(topic.as_str(), TopicHandle(rkt));
            }
            let rkt = topics[topic.as_str()].0;
            // SAFETY: rkt and the queue are live; stopped below (invariant 6).
            if unsafe { rd::rd_kafka_consume_start_queue(rkt, *partition, *from, queue.0) } == -1 {
                return Err(AdminError::new(
                    CALL,
                    format!("cannot start fetching {topic}/{partition}"),
                ));
            }
            started.push((i, rkt, *partition));
        }
        let mut open: std::collections::HashMap<(String, i32), usize> = started
            .iter()
            .map(|&(i, _, p)| ((ranges[i].0.clone(), p), i))
            .collect();
        let begun = std::time::Instant::now();
        let mut last_record = begun;
        while !open.is_empty() && begun.elapsed() < deadline {
            // A range whose last offsets are never delivered (transaction
            // markers, compacted tails) must not hold the run to the
            // deadline: two quiet seconds after the last record end it.
            if !out.is_empty() && last_record.elapsed() > Duration::from_secs(2) {
                break;
            }
            // SAFETY: the queue is live; a returned message is ours to
            // destroy, which Message's Drop does (invariant 6).
            let msg = unsafe { rd::rd_kafka_consume_queue(queue.0, 200) };
            tick();
            if msg.is_null() {
                continue;
            }
            let msg = MessageGuard(msg);
            // SAFETY: msg is live until the guard drops.
            let m = unsafe { &*msg.0 };
            if m.rkt.is_null() {
                continue;
            }
            // SAFETY: the topic handle of a message is live with it.
            let topic = unsafe { string(rd::rd_kafka_topic_name(m.rkt)) }.unwrap_or_default();
            let Some(&i) = open.get(&(topic.clone(), m.partition)) else {
                continue;
            };
            if m.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                // End of partition and errors (deleted, out of range) end
                // that range's sample; the others go on.
                open.remove(&(topic, m.partition));
                on_done(i);
                continue;
            }
            let to = ranges[i].3;
            last_record = std::time::Instant::now();
            if m.offset < to {
                let (header_count, header_bytes) = headers(&msg, &header_size);
                out.push(FetchedRecord {
                    range: i,
                    offset: m.offset,
                    key_len: (!m.key.is_null()).then_some(m.key_len),
                    value_len: (!m.payload.is_null()).then_some(m.len),
                    header_count,
                    header_bytes,
                });
            }
            if m.offset + 1 >= to {
                open.remove(&(topic, m.partition));
                // Stop fetching the live tail of a finished partition.
                if let Some(slot) = started.iter_mut().find(|s| s.0 == i) {
                    // SAFETY: started above on this live handle; marked
                    // stopped so it is not stopped twice (invariant 6).
                    unsafe { rd::rd_kafka_consume_stop(slot.1, slot.2) };
                    slot.1 = std::ptr::null_mut();
                }
                on_done(i);
            }
        }
        Ok(())
    })();
    for (_, rkt, partition) in started {
        if rkt.is_null() {
            continue; // already stopped when its range finished
        }
        // SAFETY: started above on this live handle; stopping purges its
        // queued messages (invariant 6).
        unsafe { rd::rd_kafka_consume_stop(rkt, partition) };
    }
    drop(topics);
    result.map(|()| out)
}

/// Events waiting on the client's main queue: with rdkafka's `log.queue`,
/// its log lines wait there until the client is polled.
pub fn main_queue_len<C: ClientContext>(client: &Client<C>) -> usize {
    // SAFETY: the client is live; the returned reference is released below
    // before returning (invariant 1).
    unsafe {
        let main = rd::rd_kafka_queue_get_main(client.native_ptr());
        if main.is_null() {
            return 0;
        }
        let len = rd::rd_kafka_queue_length(main);
        rd::rd_kafka_queue_destroy(main);
        len
    }
}

/// Header count and v2 size of a message's headers.
fn headers(
    msg: &MessageGuard,
    header_size: &impl Fn(usize, Option<usize>) -> usize,
) -> (usize, usize) {
    let mut hdrs: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
    // SAFETY: msg is live; the headers belong to it.
    let err = unsafe { rd::rd_kafka_message_headers(msg.0, &mut hdrs) };
    if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || hdrs.is_null() {
        return (0, 0);
    }
    // SAFETY: hdrs is live with msg.
    let count = unsafe { rd::rd_kafka_header_cnt(hdrs) };
    let mut bytes = 0;
    for idx in 0..count {
        let mut name: *const c_char = std::ptr::null();
        let mut value: *const std::ffi::c_void = std::ptr::null();
        let mut size = 0usize;
        // SAFETY: idx < count; out-pointers are valid locals.
        let err =
            unsafe { rd::rd_kafka_header_get_all(hdrs, idx, &mut name, &mut value, &mut size) };
        if err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: name is a NUL-terminated string owned by hdrs.
            let name_len = if name.is_null() {
                0
            } else {
                unsafe { CStr::from_ptr(name) }.to_bytes().len()
            };
            bytes += header_size(name_len, (!value.is_null()).then_some(size));
        }
    }
    (count, bytes)
}

struct TopicHandle(*mut rd::rd_kafka_topic_t);

impl Drop for TopicHandle {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_topic_new, destroyed once, after its
        // partitions were stopped.
        unsafe { rd::rd_kafka_topic_destroy(self.0) }
    }
}

struct MessageGuard(*mut rd::rd_kafka_message_t);

impl Drop for MessageGuard {
    fn drop(&mut self) {
        // SAFETY: returned by rd_kafka_consume_queue, destroyed once.
        unsafe { rd::rd_kafka_message_destroy(self.0) }
    }
}

/// Admin options with a request timeout and optionally a target broker.
struct Options(*mut rd::rd_kafka_AdminOptions_t);

impl Options {
    fn new(
        rk: *mut rd::rd_kafka_t,
        op: rd::rd_kafka_admin_op_t,
        broker: Option<i32>,
        timeout: Duration,
        call: &'static str,
    ) -> Result<Self, AdminError> {
        // SAFETY: rk is a live client handle borrowed by the caller.
        let options = Options(unsafe { rd::rd_kafka_AdminOptions_new(rk, op) });
        if options.0.is_null() {
            return Err(AdminError::new(
                call,
                "librdkafka refused the admin options",
            ));
        }
        let mut errstr = [0 as c_char; 256];
        let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: errstr is a writable buffer of the size we pass.
        let err = unsafe {
            rd::rd_kafka_AdminOptions_set_request_timeout(
                options.0,
                millis,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        check_option(err, &errstr, call)?;
        if let Some(id) = broker {
            // SAFETY: as above.
            let err = unsafe {
                rd::rd_kafka_AdminOptions_set_broker(
                    options.0,
                    id,
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            check_option(err, &errstr, call)?;
        }
        Ok(options)
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_AdminOptions_new, destroyed once.
        unsafe { rd::rd_kafka_AdminOptions_destroy(self.0) }
    }
}

fn check_option(
    err: rd::rd_kafka_resp_err_t,
    errstr: &[c_char],
    call: &'static str,
) -> Result<(), AdminError> {
    if err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        return Ok(());
    }
    // SAFETY: librdkafka NUL-terminates errstr within its length.
    let text = unsafe { CStr::from_ptr(errstr.as_ptr()) }.to_string_lossy();
    Err(AdminError::new(call, text.into_owned()))
}

/// A result queue that borrows its client so the client outlives it.
struct Queue<'a, C: ClientContext>(
    *mut rd::rd_kafka_queue_t,
    std::marker::PhantomData<&'a Client<C>>,
);

impl<'a, C: ClientContext> Queue<'a, C> {
    fn new(client: &'a Client<C>) -> Self {
        // SAFETY: the client handle is live for 'a.
        Queue(
            unsafe { rd::rd_kafka_queue_new(client.native_ptr()) },
            std::marker::PhantomData,
        )
    }

    /// Waits for the one result event of the call, or fails with its error.
    fn wait(&self, timeout: Duration, call: &'static str) -> Result<Event, AdminError> {
        // librdkafka enforces the request timeout itself; the extra second
        // lets its own timeout error arrive before ours.
        let millis = i32::try_from(timeout.as_millis() + 1000).unwrap_or(i32::MAX);
        // SAFETY: the queue is live; a returned event is ours to destroy.
        let event = unsafe { rd::rd_kafka_queue_poll(self.0, millis) };
        if event.is_null() {
            return Err(AdminError::new(
                call,
                format!("no answer within {}", humantime::format_duration(timeout)),
            ));
        }
        let event = Event(event);
        // SAFETY: the event is live until `event` drops.
        let err = unsafe { rd::rd_kafka_event_error(event.0) };
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: as above; the string belongs to the event.
            let text = unsafe { string(rd::rd_kafka_event_error_string(event.0)) };
            let name = rdkafka::error::RDKafkaErrorCode::from(err);
            return Err(AdminError::new(
                call,
                format!("{name:?}: {}", text.unwrap_or_default()),
            ));
        }
        Ok(event)
    }
}

impl<C: ClientContext> Drop for Queue<'_, C> {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new, destroyed once, before the
        // borrowed client (invariant 2).
        unsafe { rd::rd_kafka_queue_destroy(self.0) }
    }
}

struct Event(*mut rd::rd_kafka_event_t);

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: returned by rd_kafka_queue_poll, destroyed once.
        unsafe { rd::rd_kafka_event_destroy(self.0) }
    }
}

struct TopicCollection(*mut rd::rd_kafka_TopicCollection_t);

impl Drop for TopicCollection {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_TopicCollection_of_topic_names.
        unsafe { rd::rd_kafka_TopicCollection_destroy(self.0) }
    }
}

struct GroupOffsetsRequest(*mut rd::rd_kafka_ListConsumerGroupOffsets_t);

impl Drop for GroupOffsetsRequest {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_ListConsumerGroupOffsets_new.
        unsafe { rd::rd_kafka_ListConsumerGroupOffsets_destroy(self.0) }
    }
}

/// A C array as a slice; empty for NULL.
///
/// # Safety
/// `ptr` must point to `len` valid elements that outlive the slice.
unsafe fn slice<'e, T>(ptr: *const T, len: usize) -> &'e [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// An owned copy of a C string; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string live for the call.
unsafe fn string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: guaranteed by the caller.
        Some(
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// # Safety
/// `n` is a live node owned by an event.
unsafe fn node(n: *const rd::rd_kafka_Node_t) -> NodeInfo {
    // SAFETY: guaranteed by the caller.
    unsafe {
        NodeInfo {
            id: rd::rd_kafka_Node_id(n),
            host: string(rd::rd_kafka_Node_host(n)).unwrap_or_default(),
            port: rd::rd_kafka_Node_port(n),
            rack: string(rd::rd_kafka_Node_rack(n)).filter(|r| !r.is_empty()),
        }
    }
}

/// # Safety
/// `d` is a live topic description owned by an event.
unsafe fn topic(d: *const rd::rd_kafka_TopicDescription_t) -> TopicInfo {
    // SAFETY: guaranteed by the caller; every pointer read belongs to `d`.
    unsafe {
        let name = string(rd::rd_kafka_TopicDescription_name(d)).unwrap_or_default();
        let error = rd::rd_kafka_TopicDescription_error(d);
        let error = (!error.is_null()
            && rd::rd_kafka_error_code(error)
                != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
            .then(|| error_text(error));
        let mut count = 0usize;
        let parts = rd::rd_kafka_TopicDescription_partitions(d, &mut count);
        let partitions = slice(parts, count)
            .iter()
            .filter(|p| !p.is_null())
            .map(|&p| {
                let leader = rd::rd_kafka_TopicPartitionInfo_leader(p);
                let mut n = 0usize;
                let replicas = rd::rd_kafka_TopicPartitionInfo_replicas(p, &mut n);
                let replicas = slice(replicas, n)
                    .iter()
                    .filter(|r| !r.is_null())
                    .map(|&r| rd::rd_kafka_Node_id(r))
                    .collect();
                let mut n = 0usize;
                let isr = rd::rd_kafka_TopicPartitionInfo_isr(p, &mut n);
                let isr = slice(isr, n)
                    .iter()
                    .filter(|r| !r.is_null())
                    .map(|&r| rd::rd_kafka_Node_id(r))
                    .collect();
                PartitionInfo {
                    partition: rd::rd_kafka_TopicPartitionInfo_partition(p),
                    leader: (!leader.is_null())
                        .then(|| rd::rd_kafka_Node_id(leader))
                        .filter(|&id| id >= 0),
                    replicas,
                    isr,
                }
            })
            .collect();
        TopicInfo {
            name,
            internal: rd::rd_kafka_TopicDescription_is_internal(d) != 0,
            partitions,
            error,
        }
    }
}

/// # Safety
/// `e` is a live error object.
unsafe fn error_text(e: *const rd::rd_kafka_error_t) -> String {
    // SAFETY: guaranteed by the caller.
    unsafe {
        format!(
            "{}: {}",
            string(rd::rd_kafka_error_name(e)).unwrap_or_default(),
            string(rd::rd_kafka_error_string(e)).unwrap_or_default()
        )
    }
}

/// Makes a fresh OAUTHBEARER token: the value and its expiry in
/// milliseconds since the epoch, or why none could be made (no secret in
/// the reason).
pub type TokenSource = std::sync::Arc<dyn Fn() -> Result<(String, i64), String> + Send + Sync>;

/// The principal name librdkafka attaches to the token. MSK takes the
/// principal from the signature, not from this name; librdkafka only logs it.
const PRINCIPAL_NAME: &CStr = c"azcost-iam";

/// An rdkafka client and, when it authenticates with SASL/OAUTHBEARER,
/// the thread that gives librdkafka a new token whenever it asks (at
/// creation, then at 80% of each token's lifetime), however long the
/// client lives and whether or not anything polls it.
///
/// Why a thread of our own: librdkafka puts the refresh request on the
/// main queue, which the admin client never serves and which azcost's
/// readers (no group, no poll loop) serve only on errors; rdkafka's own
/// refresh handler runs only inside such a poll. librdkafka's answer is
/// the SASL queue (`enable_sasl_queue`), which
/// `rd_kafka_sasl_background_callbacks_enable` would forward to its
/// background thread, but that thread can only call a C refresh callback
/// set on the configuration before `rd_kafka_new`, and rdkafka creates the
/// configuration inside its client constructors. So the queue is kept
/// separate and this thread serves it as events: the same requests, the
/// same `rd_kafka_oauthbearer_set_token`, no dependence on polling.
pub struct Refreshing<T> {
    // Declared first: dropped (stopped, joined) before `inner`.
    worker: Option<Worker>,
    inner: T,
}

impl<T> std::ops::Deref for Refreshing<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> Refreshing<T> {
    /// A client that needs no token.
    pub fn plain(inner: T) -> Self {
        Refreshing {
            worker: None,
            inner,
        }
    }

    /// Starts serving the SASL queue of `inner`, whose configuration had
    /// `enable_sasl_queue=true` and `sasl.mechanism=OAUTHBEARER`.
    pub fn with_tokens<C: ClientContext>(
        inner: T,
        client: impl Fn(&T) -> &Client<C>,
        source: TokenSource,
    ) -> Result<Self, String> {
        let rk = client(&inner).native_ptr();
        // SAFETY: rk is live (owned by `inner`); the returned handle is
        // destroyed by `Worker`'s Drop, before `inner` (invariant 7).
        let queue = unsafe { rd::rd_kafka_queue_get_sasl(rk) };
        if queue.is_null() {
            return Err(
                "librdkafka has no SASL callback queue for this client (OAUTHBEARER not configured)"
                    .to_string(),
            );
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let failure = std::sync::Arc::new(std::sync::Mutex::new(None));
        let handles = Handles { rk, queue };
        let thread = {
            let stop = stop.clone();
            let failure = failure.clone();
            std::thread::Builder::new()
                .name("azcost-sasl-token".to_string())
                .spawn(move || serve_refresh(handles, &stop, &source, &failure))
        };
        let thread = match thread {
            Ok(t) => t,
            Err(e) => {
                // SAFETY: created above, not shared with any thread.
                unsafe { rd::rd_kafka_queue_destroy(queue) };
                return Err(format!("cannot start the token refresh thread: {e}"));
            }
        };
        Ok(Refreshing {
            worker: Some(Worker {
                stop,
                queue: Handles { rk, queue },
                thread: Some(thread),
                failure,
            }),
            inner,
        })
    }

    /// Why the last token could not be made, if it could not.
    pub fn token_failure(&self) -> Option<String> {
        self.worker
            .as_ref()
            .and_then(|w| w.failure.lock().ok().and_then(|f| f.clone()))
    }
}

/// The client and SASL queue handles, moved into the refresh thread.
struct Handles {
    rk: *mut rd::rd_kafka_t,
    queue: *mut rd::rd_kafka_queue_t,
}

// SAFETY: librdkafka's client and queue handles may be used from any
// thread; invariant 7 keeps both alive while the thread runs.
unsafe impl Send for Handles {}

struct Worker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    queue: Handles,
    thread: Option<std::thread::JoinHandle<()>>,
    failure: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // SAFETY: the queue handle is live until destroyed below; yield
        // wakes the thread's poll so it sees `stop`.
        unsafe { rd::rd_kafka_queue_yield(self.queue.queue) };
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // SAFETY: the only other user of the handle, the thread, has ended;
        // destroyed once, before the client (invariant 7).
        unsafe { rd::rd_kafka_queue_destroy(self.queue.queue) };
    }
}

/// The refresh thread: waits for refresh requests on the SASL queue and
/// answers each with a new token, or with the reason there is none.
fn serve_refresh(
    handles: Handles,
    stop: &std::sync::atomic::AtomicBool,
    source: &TokenSource,
    failure: &std::sync::Mutex<Option<String>>,
) {
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        // SAFETY: the queue is live while the thread runs (invariant 7); a
        // returned event is ours and destroyed by `Event`'s Drop.
        let event = unsafe { rd::rd_kafka_queue_poll(handles.queue, 500) };
        if event.is_null() {
            continue;
        }
        let event = Event(event);
        // SAFETY: the event is live.
        if unsafe { rd::rd_kafka_event_type(event.0) }
            != rd::RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH
        {
            continue;
        }
        let outcome = source().and_then(|(value, expires_ms)| {
            let value =
                CString::new(value).map_err(|_| "the token contains a NUL byte".to_string())?;
            let mut errstr = [0 as c_char; 512];
            // SAFETY: rk is live (invariant 7); librdkafka copies the token
            // and the principal; errstr is a writable buffer of that size.
            let err = unsafe {
                rd::rd_kafka_oauthbearer_set_token(
                    handles.rk,
                    value.as_ptr(),
                    expires_ms,
                    PRINCIPAL_NAME.as_ptr(),
                    std::ptr::null_mut(),
                    0,
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            if err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                Ok(())
            } else {
                // SAFETY: librdkafka NUL-terminates errstr; its text names
                // the rule broken, never the token.
                Err(unsafe { CStr::from_ptr(errstr.as_ptr()) }
                    .to_string_lossy()
                    .into_owned())
            }
        });
        let why = outcome.err();
        if let Some(why) = &why {
            let text = CString::new(why.replace('\0', " ")).unwrap_or_default();
            // SAFETY: rk is live; librdkafka copies the text and reports it
            // as the authentication error of the next attempts.
            unsafe { rd::rd_kafka_oauthbearer_set_token_failure(handles.rk, text.as_ptr()) };
        }
        if let Ok(mut slot) = failure.lock() {
            *slot = why;
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each call against librdkafka's mock cluster: real protocol on
    //! loopback, so pointers, counts and ownership are exercised for real.
    use super::*;
    use rdkafka::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    use rdkafka::{Offset, TopicPartitionList};

    const T: Duration = Duration::from_secs(10);

    fn client(bootstrap: &str) -> BaseConsumer {
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .unwrap()
    }

    #[test]
    fn describe_cluster_and_topics_carry_racks_and_placement() {
        let mock = MockCluster::new(3).unwrap();
        mock.broker_rack(2, "use1-az2").unwrap();
        mock.create_topic("t", 2, 3).unwrap();
        mock.partition_leader("t", 1, Some(2)).unwrap();
        let c = client(&mock.bootstrap_servers());
        let cluster = describe_cluster(c.client(), Some(1), T).unwrap();
        let racks: Vec<(i32, Option<&str>)> = cluster
            .nodes
            .iter()
            .map(|n| (n.id, n.rack.as_deref()))
            .collect();
        assert_eq!(racks, vec![(1, None), (2, Some("use1-az2")), (3, None)]);
        let topics = describe_topics(
            c.client(),
            &["t".to_string(), "gone".to_string()],
            Some(1),
            T,
        )
        .unwrap();
        let t = topics.iter().find(|t| t.name == "t").unwrap();
        assert_eq!(t.partitions[1].leader, Some(2));
        assert_eq!(t.partitions[1].replicas.len(), 3);
        assert!(t.error.is_none());
        let gone = topics.iter().find(|t| t.name == "gone").unwrap();
        assert!(
            gone.error
                .as_deref()
                .is_some_and(|e| e.contains("UNKNOWN_TOPIC")),
            "{gone:?}"
        );
    }

    #[test]
    fn group_offsets_are_read_without_joining() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("t", 2, 1).unwrap();
        let bootstrap = mock.bootstrap_servers();
        // A group that committed 7 on t/1 (the mock stores commits).
        let committer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "g")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("t", 1, Offset::Offset(7)).unwrap();
        committer.commit(&tpl, CommitMode::Sync).unwrap();
        let c = client(&bootstrap);
        // The mock answers OffsetFetch for named partitions only; Tansu
        // answers the all-partitions form (tests/it/kafka_tansu.rs).
        let asked = [("t".to_string(), 0), ("t".to_string(), 1)];
        let offsets = list_group_offsets(c.client(), "g", Some(&asked), T).unwrap();
        assert_eq!(
            offsets,
            vec![CommittedOffset {
                topic: "t".to_string(),
                partition: 1,
                offset: 7
            }]
        );
    }

    #[test]
    fn fetch_newest_sizes_keys_values_and_headers_without_a_group() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("t", 1, 1).unwrap();
        let bootstrap = mock.bootstrap_servers();
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .unwrap();
        for i in 0..10 {
            let headers = OwnedHeaders::new().insert(Header {
                key: "trace",
                value: Some("abc"),
            });
            producer
                .send(
                    BaseRecord::to("t")
                        .partition(0)
                        .key("k1")
                        .payload(&vec![b'x'; 100 + i])
                        .headers(headers),
                )
                .unwrap();
        }
        producer.flush(T).unwrap();
        let c = client(&bootstrap);
        let mut done = Vec::new();
        let got = fetch_newest(
            c.client(),
            &[("t".to_string(), 0, 6, 10)],
            T,
            |name, value| name + value.unwrap_or(0),
            |i| done.push(i),
            || {},
        )
        .unwrap();
        let offsets: Vec<i64> = got.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, vec![6, 7, 8, 9], "only the asked range");
        assert_eq!(got[0].key_len, Some(2));
        assert_eq!(got[0].value_len, Some(106));
        assert_eq!((got[0].header_count, got[0].header_bytes), (1, 5 + 3));
        assert_eq!(done, vec![0]);
    }

    #[test]
    fn the_sasl_queue_is_served_without_any_poll_and_failures_are_kept() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mock = MockCluster::new(1).unwrap();
        let calls = std::sync::Arc::new(AtomicUsize::new(0));
        let source: TokenSource = {
            let calls = calls.clone();
            std::sync::Arc::new(move || {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("no AWS credentials (test)".to_string())
            })
        };
        let oauth: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap_servers())
            .set("security.protocol", "SASL_PLAINTEXT")
            .set("sasl.mechanism", "OAUTHBEARER")
            .set("enable_sasl_queue", "true")
            .create()
            .unwrap();
        let c = Refreshing::with_tokens(oauth, |c| c.client(), source).unwrap();
        // librdkafka asks for the first token at creation; nothing polls.
        let begun = std::time::Instant::now();
        while c.token_failure().is_none() && begun.elapsed() < T {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(calls.load(Ordering::SeqCst) >= 1);
        assert_eq!(
            c.token_failure().as_deref(),
            Some("no AWS credentials (test)")
        );
        drop(c); // stops and joins the thread before the client goes

        // Without OAUTHBEARER there is no SASL queue to serve.
        let plain = client(&mock.bootstrap_servers());
        let none: TokenSource = std::sync::Arc::new(|| Err(String::new()));
        let err = Refreshing::with_tokens(plain, |c| c.client(), none).err();
        assert!(err.is_some_and(|e| e.contains("no SASL callback queue")));
    }
}
