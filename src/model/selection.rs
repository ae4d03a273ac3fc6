//! Which partitions a tally sums, and how the tally finds them.
//!
//! A finding prices its fix on the partitions it concerns. A shrunk ISR
//! concerns about 5% of a messy cluster's partitions, yet each of the
//! fix's two tallies (before and after) walked every partition and every
//! read, 4.9M at 2M partitions, only to skip the rest. A sparse selection
//! lists, once, the positions of the kept partitions in the index's report
//! order and of their reads, both ascending: a tally visits exactly them,
//! in the order it always did, so its sums are the same bit for bit.

/// The partitions a tally sums: all of them, or those a mask keeps.
#[derive(Debug, Clone)]
pub struct Selection<'k> {
    /// Per partition index, whether it is summed; `None` keeps every one.
    mask: Option<&'k [bool]>,
    /// The kept positions, when few enough partitions are kept to be
    /// worth listing.
    walk: Option<Walk>,
}

/// Positions a sparse selection visits, ascending.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Positions in the index's report order of the kept partitions.
    pub order_at: Vec<usize>,
    /// Positions in the index's reads of the reads of kept partitions.
    pub reads_at: Vec<usize>,
}

impl<'k> Selection<'k> {
    /// Listing pays when at most this share (1/n) of partitions is kept:
    /// above it, a walk skips little and its lists cost memory (a fix on
    /// most of a messy cluster's partitions would list millions of reads).
    const SPARSE_AT_MOST_ONE_IN: usize = 4;

    /// Every partition.
    pub fn all() -> Self {
        Selection {
            mask: None,
            walk: None,
        }
    }

    /// The partitions `mask` keeps (by partition index). `order` is the
    /// index's report order of partitions and `read_partitions` the
    /// partition of each of its reads, in order; they are walked once here
    /// when few partitions are kept, so that no tally walks them again.
    pub fn of(
        mask: &'k [bool],
        order: &[usize],
        read_partitions: impl Iterator<Item = usize>,
    ) -> Self {
        let kept = mask.iter().filter(|&&k| k).count();
        let sparse = kept.saturating_mul(Self::SPARSE_AT_MOST_ONE_IN) <= mask.len();
        Self::with_walk(mask, sparse, order, read_partitions)
    }

    /// [`Selection::of`], listing the positions or not as `sparse` says:
    /// both ways sum the same, which the tests check.
    pub fn with_walk(
        mask: &'k [bool],
        sparse: bool,
        order: &[usize],
        read_partitions: impl Iterator<Item = usize>,
    ) -> Self {
        let walk = sparse.then(|| Walk {
            order_at: order
                .iter()
                .enumerate()
                .filter(|&(_, &i)| mask[i])
                .map(|(at, _)| at)
                .collect(),
            reads_at: read_partitions
                .enumerate()
                .filter(|&(_, i)| mask[i])
                .map(|(at, _)| at)
                .collect(),
        });
        Selection {
            mask: Some(mask),
            walk,
        }
    }

    /// Whether partition `i` is summed.
    pub fn keeps(&self, i: usize) -> bool {
        self.mask.is_none_or(|mask| mask[i])
    }

    /// The positions to visit, when listed.
    pub fn walk(&self) -> Option<&Walk> {
        self.walk.as_ref()
    }
}

/// Positions a tally visits: those a sparse walk lists, or every one of a
/// range. One plain loop serves both (a closure per item, tried first,
/// made the dense tally of a whole cluster 10% slower).
pub enum Positions<'a> {
    /// Listed positions.
    Listed(std::slice::Iter<'a, usize>),
    /// Every position.
    All(std::ops::Range<usize>),
}

impl<'a> Positions<'a> {
    /// `listed` when there is a list, else all of `all`.
    pub fn new(listed: Option<&'a [usize]>, all: std::ops::Range<usize>) -> Self {
        match listed {
            Some(listed) => Positions::Listed(listed.iter()),
            None => Positions::All(all),
        }
    }
}

impl Iterator for Positions<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Positions::Listed(listed) => listed.next().copied(),
            Positions::All(all) => all.next(),
        }
    }
}
