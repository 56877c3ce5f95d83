//! The incremental appender: the right edge of a growing tree, enough to compute its head.

use crate::hash::{empty_root, node_hash};
use crate::{Error, Hash};

/// Sizes from here on are refused when restoring a frontier, so that
/// [`Frontier::push`] can never overflow the leaf count; no real log gets
/// anywhere near 2^63 leaves.
const MAX_RESTORED_SIZE: u64 = 1 << 63;

/// The right edge of a Merkle tree (a "compact range" from leaf 0): the heads
/// of its maximal complete subtrees, largest first.
///
/// A tree of `n` leaves decomposes into one complete subtree per one bit of
/// `n` (e.g. 13 = 8 + 4 + 1), so a frontier holds at most 64 hashes however
/// many leaves were appended. That is all that is needed to append further
/// leaves and to compute the tree head, which always equals
/// [`root`](crate::root) of all leaves pushed so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    subtree_roots: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores a frontier saved with [`Frontier::size`] and [`Frontier::subtree_roots`].
    ///
    /// Only the number of hashes can be checked here: it must be the number
    /// of one bits of `size`. Whether they are the right hashes shows when
    /// the resulting head is compared with a signed checkpoint.
    pub fn from_subtree_roots(size: u64, subtree_roots: Vec<Hash>) -> Result<Self, Error> {
        if size >= MAX_RESTORED_SIZE {
            return Err(Error::SizeTooLarge { size });
        }
        let expected = size.count_ones() as usize;
        if subtree_roots.len() != expected {
            return Err(Error::FrontierMismatch {
                size,
                expected,
                got: subtree_roots.len(),
            });
        }
        Ok(Self {
            size,
            subtree_roots,
        })
    }

    /// Appends one leaf hash (see [`leaf_hash`](crate::leaf_hash)) as the next leaf.
    pub fn push(&mut self, leaf_hash: Hash) {
        // Like incrementing a binary counter: every trailing one bit of the
        // size is a complete subtree of the same height as the carry, and
        // merges with it into one twice as large.
        let mut carry = leaf_hash;
        let mut bits = self.size;
        while bits & 1 == 1 {
            match self.subtree_roots.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                // Unreachable while the invariant "one hash per one bit"
                // holds, which every constructor enforces.
                None => break,
            }
            bits >>= 1;
        }
        self.subtree_roots.push(carry);
        self.size += 1;
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The heads of the maximal complete subtrees, largest (leftmost) first.
    pub fn subtree_roots(&self) -> &[Hash] {
        &self.subtree_roots
    }

    /// The tree head (MTH) of all leaves appended so far.
    pub fn root(&self) -> Hash {
        // MTH splits at the largest power of two, so the head is the
        // subtrees folded together from the right.
        let mut subtrees = self.subtree_roots.iter().rev();
        match subtrees.next() {
            None => empty_root(),
            Some(last) => subtrees.fold(*last, |right, left| node_hash(left, &right)),
        }
    }
}
