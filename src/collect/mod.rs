//! Collectors: turn a live source into an `azcost.snapshot/v1`. They read
//! network and clock, never price anything, and record in the snapshot's
//! provenance and warnings how each number was obtained and what they could
//! not see (architecture.md).
//!
//! One folder per source ([`kafka`], [`msk`]), each with its own options
//! struct that the command line and the report config resolve into; the
//! pieces both use ([`zone_map`], [`progress`]) sit here.

pub mod kafka;
pub mod msk;
pub mod progress;
pub mod zone_map;
