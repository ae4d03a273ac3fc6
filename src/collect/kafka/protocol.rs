//! Decoding of the classic Kafka consumer protocol's per-member bytes:
//! `ConsumerProtocolSubscription` (what a member sends in JoinGroup) and
//! `ConsumerProtocolAssignment` (what the leader hands it in SyncGroup).
//!
//! This module owns the wire format and nothing else. It exists because the
//! only place a consumer states its zone is the `rack_id` of its subscription
//! (version 3, KIP-881), and the only place its partitions are recorded is its
//! assignment; librdkafka's DescribeGroups (`rd_kafka_list_groups`, the rdkafka
//! crate's `GroupMemberInfo::metadata()` / `assignment()`) hands both back as
//! opaque bytes, so azcost has to decode them itself.
//!
//! The bytes were written by whatever client each member runs and passed on by
//! the broker unchecked, so every length in them is untrusted: decoding returns
//! a [`DecodeError`] naming the field and byte offset, never panics, and never
//! reserves memory for more elements than the remaining bytes could hold.
//!
//! Format (Apache Kafka `ConsumerProtocolSubscription.json` and
//! `ConsumerProtocolAssignment.json`, not flexible): an int16 version, then
//! strings with an int16 length, arrays and bytes with an int32 length, and -1
//! for null where null is allowed.
//!
//! | field            | type                        | versions |
//! |------------------|-----------------------------|----------|
//! | topics           | `[string]`                  | 0+       |
//! | user_data        | nullable bytes              | 0+       |
//! | owned_partitions | `[topic string, [int32]]`   | 1+       |
//! | generation_id    | int32                       | 2+       |
//! | rack_id          | nullable string             | 3+       |
//!
//! The assignment is `assigned_partitions: [topic string, [int32]]` then
//! `user_data` (nullable bytes) in every version 0–3.
//!
//! Where the schema leaves room, this decoder behaves as the Java client's
//! `ConsumerProtocol` does, because that is what decides how the group itself
//! sees a member: a version above 3 is read with the version 3 fields (newer
//! versions may only append fields), bytes after the last known field are
//! ignored, and an empty `rack_id` means no rack.

use std::fmt;

/// A member's subscription, as it sent it in JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The version the member wrote, even when above 3: it tells which client
    /// generation sent it (librdkafka 2.0 writes 1, and so never a rack; 2.12
    /// writes 3).
    pub version: i16,
    /// Topics the member subscribed to, in the order sent.
    pub topics: Vec<String>,
    /// Assignor-specific bytes (the sticky assignors keep state here); `None`
    /// when sent as null, which some clients do and others never do.
    pub user_data: Option<Vec<u8>>,
    /// Partitions the member held before this rebalance (version 1+; empty
    /// before that; librdkafka sends it empty with its eager assignors).
    pub owned_partitions: Vec<TopicPartitions>,
    /// The generation `owned_partitions` belongs to: `None` below version 2,
    /// otherwise as sent (-1 when the member has none).
    pub generation_id: Option<i32>,
    /// The member's `client.rack`: `None` below version 3, when sent as null,
    /// or when sent empty (librdkafka sends "" when `client.rack` is unset).
    pub rack_id: Option<String>,
}

/// The partitions the group leader gave one member, as sent in SyncGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The version the leader wrote (librdkafka 2.x writes 0, current Java
    /// clients 3); every version has the same fields.
    pub version: i16,
    /// Assigned partitions grouped by topic, in the order sent.
    pub partitions: Vec<TopicPartitions>,
    /// Assignor-specific bytes; `None` when sent as null.
    pub user_data: Option<Vec<u8>>,
}

/// One topic's partitions, the unit both messages group partitions by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitions {
    /// Topic name.
    pub topic: String,
    /// Partition numbers, in the order sent (not checked: Kafka does not).
    pub partitions: Vec<i32>,
}

/// Which of the two messages was being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// `ConsumerProtocolSubscription` (JoinGroup / DescribeGroups metadata).
    Subscription,
    /// `ConsumerProtocolAssignment` (SyncGroup / DescribeGroups assignment).
    Assignment,
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Message::Subscription => "subscription",
            Message::Assignment => "assignment",
        })
    }
}

/// Where a decoding error happened: the message, and its version once read,
/// so that a report can tell one client's malformed bytes from another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The message being decoded.
    pub message: Message,
    /// Its version, `None` only while the version itself was being read.
    pub version: Option<i16>,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{} v{v}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// Why a member's bytes could not be decoded. Offsets count from the first
/// byte of the message (the version), so they can be found in a hex dump.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// No bytes at all. Not corruption: brokers describe every member of a
    /// group that is rebalancing with empty metadata and assignment, so the
    /// caller should treat this as "not known yet" rather than as a bad client.
    #[error("{message}: no bytes (the member sent none, or the group is rebalancing)")]
    Empty {
        /// The message that was empty.
        message: Message,
    },
    /// A negative version, which no client writes and Kafka rejects too.
    #[error("{message}: unsupported version {version}")]
    UnsupportedVersion {
        /// The message whose version was negative.
        message: Message,
        /// The version as read.
        version: i16,
    },
    /// The bytes ended inside a field.
    #[error(
        "{context}: truncated at byte {offset} reading {field} (needs {needed} bytes, {available} left)"
    )]
    Truncated {
        /// Message and version.
        context: Context,
        /// The field being read.
        field: &'static str,
        /// Where the read started.
        offset: usize,
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A length prefix that is negative where null is not allowed, or below
    /// -1 where it is.
    #[error("{context}: invalid length {length} at byte {offset} for {field}")]
    InvalidLength {
        /// Message and version.
        context: Context,
        /// The field whose length was invalid.
        field: &'static str,
        /// Where the length prefix starts.
        offset: usize,
        /// The length as read.
        length: i32,
    },
    /// An array length larger than the remaining bytes could hold, caught
    /// before anything is reserved for it.
    #[error(
        "{context}: {field} at byte {offset} declares {count} elements, more than the {available} bytes left can hold"
    )]
    TooManyElements {
        /// Message and version.
        context: Context,
        /// The array field.
        field: &'static str,
        /// Where the length prefix starts.
        offset: usize,
        /// The element count as read.
        count: usize,
        /// Bytes left after the length prefix.
        available: usize,
    },
    /// A string that is not UTF-8 (Kafka strings always are).
    #[error("{context}: invalid UTF-8 at byte {offset} in {field}")]
    InvalidUtf8 {
        /// Message and version.
        context: Context,
        /// The string field.
        field: &'static str,
        /// The first byte that is not valid UTF-8.
        offset: usize,
    },
}

/// Decodes a member's subscription (DescribeGroups `member_metadata`, or one
/// protocol's metadata from a JoinGroup request) of any version.
pub fn decode_subscription(bytes: &[u8]) -> Result<Subscription, DecodeError> {
    let (mut r, version) = Reader::start(bytes, Message::Subscription)?;
    let topics = r.strings("topics", "topic in topics")?;
    let user_data = r.nullable_bytes("user_data")?;
    let owned_partitions = if version >= 1 {
        r.topic_partitions(OWNED)?
    } else {
        Vec::new()
    };
    let generation_id = if version >= 2 {
        Some(r.i32("generation_id")?)
    } else {
        None
    };
    let rack_id = if version >= 3 {
        r.nullable_string("rack_id")?
            .filter(|rack| !rack.is_empty())
    } else {
        None
    };
    Ok(Subscription {
        version,
        topics,
        user_data,
        owned_partitions,
        generation_id,
        rack_id,
    })
}

/// Decodes a member's assignment (DescribeGroups `member_assignment`, or one
/// member's entry in the leader's SyncGroup request) of any version.
pub fn decode_assignment(bytes: &[u8]) -> Result<Assignment, DecodeError> {
    let (mut r, version) = Reader::start(bytes, Message::Assignment)?;
    let partitions = r.topic_partitions(ASSIGNED)?;
    let user_data = r.nullable_bytes("user_data")?;
    Ok(Assignment {
        version,
        partitions,
        user_data,
    })
}

/// Field names for one `[topic, [partition]]` array, so that errors say which
/// of the two messages' arrays went wrong.
struct TopicPartitionFields {
    array: &'static str,
    topic: &'static str,
    partitions: &'static str,
}

const OWNED: TopicPartitionFields = TopicPartitionFields {
    array: "owned_partitions",
    topic: "topic in owned_partitions",
    partitions: "partitions in owned_partitions",
};

const ASSIGNED: TopicPartitionFields = TopicPartitionFields {
    array: "assigned_partitions",
    topic: "topic in assigned_partitions",
    partitions: "partitions in assigned_partitions",
};

/// Smallest encoded sizes, used to bound an untrusted element count by the
/// bytes that are actually left before reserving anything.
const MIN_STRING: usize = 2;
const MIN_INT32: usize = 4;
const MIN_TOPIC_PARTITIONS: usize = MIN_STRING + MIN_INT32;

/// A cursor that turns every short read into an error carrying its offset.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    context: Context,
}

impl<'a> Reader<'a> {
    /// Reads the version, which decides every later field; the decoders test
    /// it with `>=` only, so a version above 3 gets exactly the v3 fields.
    fn start(bytes: &'a [u8], message: Message) -> Result<(Self, i16), DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError::Empty { message });
        }
        let mut r = Reader {
            bytes,
            pos: 0,
            context: Context {
                message,
                version: None,
            },
        };
        let version = r.i16("version")?;
        if version < 0 {
            return Err(DecodeError::UnsupportedVersion { message, version });
        }
        r.context.version = Some(version);
        Ok((r, version))
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        match rest.get(..n) {
            Some(taken) => {
                self.pos += n;
                Ok(taken)
            }
            None => Err(DecodeError::Truncated {
                context: self.context,
                field,
                offset: self.pos,
                needed: n,
                available: rest.len(),
            }),
        }
    }

    fn fixed<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let taken = self.take(N, field)?;
        let mut out = [0; N];
        out.copy_from_slice(taken);
        Ok(out)
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, DecodeError> {
        self.fixed(field).map(i16::from_be_bytes)
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        self.fixed(field).map(i32::from_be_bytes)
    }

    fn invalid_length(&self, field: &'static str, offset: usize, length: i32) -> DecodeError {
        DecodeError::InvalidLength {
            context: self.context,
            field,
            offset,
            length,
        }
    }

    /// Reads an int16 length prefix; `Ok(None)` is null (-1), allowed only
    /// when `nullable`.
    fn string_len(
        &mut self,
        field: &'static str,
        nullable: bool,
    ) -> Result<Option<usize>, DecodeError> {
        let at = self.pos;
        let len = self.i16(field)?;
        if nullable && len == -1 {
            return Ok(None);
        }
        usize::try_from(len)
            .map(Some)
            .map_err(|_| self.invalid_length(field, at, len.into()))
    }

    fn utf8(&mut self, len: usize, field: &'static str) -> Result<String, DecodeError> {
        let at = self.pos;
        let raw = self.take(len, field)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(DecodeError::InvalidUtf8 {
                context: self.context,
                field,
                offset: at + e.valid_up_to(),
            }),
        }
    }

    fn string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        let at = self.pos;
        match self.string_len(field, false)? {
            Some(len) => self.utf8(len, field),
            None => Err(self.invalid_length(field, at, -1)),
        }
    }

    fn nullable_string(&mut self, field: &'static str) -> Result<Option<String>, DecodeError> {
        match self.string_len(field, true)? {
            Some(len) => self.utf8(len, field).map(Some),
            None => Ok(None),
        }
    }

    fn nullable_bytes(&mut self, field: &'static str) -> Result<Option<Vec<u8>>, DecodeError> {
        let at = self.pos;
        let len = self.i32(field)?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| self.invalid_length(field, at, len))?;
        self.take(len, field).map(|b| Some(b.to_vec()))
    }

    /// Reads a non-nullable array's int32 count and checks that the bytes
    /// left could hold that many elements of at least `min_size` bytes, so the
    /// caller may reserve `count` slots without trusting the sender.
    fn count(&mut self, field: &'static str, min_size: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let len = self.i32(field)?;
        let count = usize::try_from(len).map_err(|_| self.invalid_length(field, at, len))?;
        let available = self.remaining();
        if count.saturating_mul(min_size) > available {
            return Err(DecodeError::TooManyElements {
                context: self.context,
                field,
                offset: at,
                count,
                available,
            });
        }
        Ok(count)
    }

    fn strings(
        &mut self,
        field: &'static str,
        element: &'static str,
    ) -> Result<Vec<String>, DecodeError> {
        let count = self.count(field, MIN_STRING)?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(self.string(element)?);
        }
        Ok(out)
    }

    fn int32s(&mut self, field: &'static str) -> Result<Vec<i32>, DecodeError> {
        let count = self.count(field, MIN_INT32)?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(self.i32(field)?);
        }
        Ok(out)
    }

    fn topic_partitions(
        &mut self,
        fields: TopicPartitionFields,
    ) -> Result<Vec<TopicPartitions>, DecodeError> {
        let count = self.count(fields.array, MIN_TOPIC_PARTITIONS)?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let topic = self.string(fields.topic)?;
            let partitions = self.int32s(fields.partitions)?;
            out.push(TopicPartitions { topic, partitions });
        }
        Ok(out)
    }
}
