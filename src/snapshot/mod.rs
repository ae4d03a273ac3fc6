//! The `azcost.snapshot/v1` format: the only thing that passes from
//! collecting to modelling (see `shared/design/snapshot-v1.md`).
//!
//! Owns the serde types, loading with path-precise errors, validation and
//! saving. It does not interpret zones or price anything.

mod broker_ids;
mod index;
mod load;
mod save;
mod split;
mod topic_name;
mod types;
mod validate;

pub use crate::error::Problem;
pub use broker_ids::BrokerIds;
pub use index::{PartitionIndex, TopicId};
pub use load::{
    DEMO_JSON, SnapshotSource, SnapshotText, load, parse, parse_and_validate,
    parse_and_validate_keeping, read, read_with_room,
};
pub use save::to_json;
pub use topic_name::{TopicName, clear_interned};
pub use types::*;
pub use validate::{SHARE_SUM_TOLERANCE, parse_rfc3339, validate};
