//! Collectors: turn a live source into an `azcost.snapshot/v1`. They read
//! network and clock, never price anything, and record in the snapshot's
//! provenance and warnings how each number was obtained and what they could
//! not see (architecture.md).

pub mod aws;
pub mod cloudwatch;
pub mod ec2;
pub mod follower_check;
pub mod kafka;
pub mod msk;
pub mod msk_snapshot;
pub mod progress;
pub mod zone_map;
