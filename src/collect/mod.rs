//! Collectors: turn a live source into an `azcost.snapshot/v1`. They read
//! network and clock, never price anything, and record in the snapshot's
//! provenance and warnings how each number was obtained and what they could
//! not see (architecture.md).

pub mod kafka;
pub mod progress;
pub mod zone_map;
