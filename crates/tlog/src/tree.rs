//! Merkle tree heads, inclusion proofs and consistency proofs over a slice of leaf hashes (RFC 9162 §2.1).
//!
//! Generation follows the recursive definitions of RFC 9162 (MTH, PATH,
//! SUBPROOF) literally. Verification follows the iterative algorithms of
//! §2.1.3.2 and §2.1.4.2, which only need the proof, the sizes and the roots,
//! so a client can check a proof without ever seeing the leaves.

use crate::hash::{empty_root, node_hash};
use crate::{Error, Hash};

/// The largest power of two strictly smaller than `n`; the split point `k` of RFC 9162.
///
/// Callers guarantee `n >= 2`, so `n - 1 >= 1` and `ilog2` cannot see zero.
fn split_point(n: usize) -> usize {
    1 << (n - 1).ilog2()
}

/// MTH of a non-empty slice; the empty case is handled by [`root`].
fn subtree_root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [only] => *only,
        _ => {
            let (left, right) = leaves.split_at(split_point(leaves.len()));
            node_hash(&subtree_root(left), &subtree_root(right))
        }
    }
}

/// The Merkle tree head (MTH, RFC 9162 §2.1.1) of a tree whose leaves have these hashes.
///
/// The empty tree's head is SHA-256 of the empty string; a one-leaf tree's
/// head is that leaf's hash.
pub fn root(leaves: &[Hash]) -> Hash {
    subtree_root(leaves)
}

/// Converts a `u64` position into a slice position, or reports it as out of range.
fn to_usize(value: u64, size: usize) -> Result<usize, Error> {
    usize::try_from(value).map_err(|_| Error::IndexOutOfRange {
        index: value,
        size: size as u64,
    })
}

/// The inclusion proof (audit path, RFC 9162 §2.1.3.1) of leaf `index` in the tree of `leaves`.
///
/// The proof lists sibling subtree hashes from the leaf upwards; it is empty
/// for a one-leaf tree.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, Error> {
    let position = to_usize(index, leaves.len())?;
    if position >= leaves.len() {
        return Err(Error::IndexOutOfRange {
            index,
            size: leaves.len() as u64,
        });
    }
    // PATH(m, D[n]) appends the sibling of each level after the deeper
    // levels; walking from the top down and reversing gives the same order
    // without recursion.
    let mut proof = Vec::new();
    let mut subtree = leaves;
    let mut m = position;
    while subtree.len() > 1 {
        let (left, right) = subtree.split_at(split_point(subtree.len()));
        if m < left.len() {
            proof.push(subtree_root(right));
            subtree = left;
        } else {
            proof.push(subtree_root(left));
            m -= left.len();
            subtree = right;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Checks an inclusion proof with the algorithm of RFC 9162 §2.1.3.2.
///
/// Succeeds when `proof` shows that `leaf_hash` is leaf number `index`
/// (counting from 0) of a tree of `tree_size` leaves whose head is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    if index >= tree_size {
        return Err(Error::IndexOutOfRange {
            index,
            size: tree_size,
        });
    }
    // `fn_` is the position of the running node in its level, `sn` the
    // position of the last node of that level; both move up one level per
    // shift.
    let mut fn_ = index;
    let mut sn = tree_size - 1;
    let mut running = *leaf_hash;
    for sibling in proof {
        if sn == 0 {
            return Err(Error::BadProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            running = node_hash(sibling, &running);
            // A last node without a right sibling is promoted unchanged
            // through the levels where it has no sibling at all.
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            running = node_hash(&running, sibling);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(Error::BadProofLength);
    }
    if running != *root {
        return Err(Error::RootMismatch);
    }
    Ok(())
}

/// SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1, appended to `proof`.
///
/// `complete` is `b`: true while the subtree still is the whole old tree, so
/// its hash is already known to the verifier and is left out.
fn subproof(m: usize, leaves: &[Hash], complete: bool, proof: &mut Vec<Hash>) {
    if m == leaves.len() {
        if !complete {
            proof.push(subtree_root(leaves));
        }
        return;
    }
    // Here 0 < m < n, so n >= 2 and the split is defined.
    let (left, right) = leaves.split_at(split_point(leaves.len()));
    if m <= left.len() {
        subproof(m, left, complete, proof);
        proof.push(subtree_root(right));
    } else {
        subproof(m - left.len(), right, false, proof);
        proof.push(subtree_root(left));
    }
}

/// The consistency proof (RFC 9162 §2.1.4.1) that the tree of the first
/// `old_size` leaves is a prefix of the tree of all `leaves`.
///
/// The proof is empty when `old_size` is 0 or equals the number of leaves:
/// those pairs of trees are consistent by definition.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, Error> {
    let new_size = leaves.len() as u64;
    if old_size > new_size {
        return Err(Error::OldSizeExceedsNewSize { old_size, new_size });
    }
    let m = to_usize(old_size, leaves.len())?;
    let mut proof = Vec::new();
    if m != 0 {
        subproof(m, leaves, true, &mut proof);
    }
    Ok(proof)
}

/// Checks a consistency proof with the algorithm of RFC 9162 §2.1.4.2.
///
/// Succeeds when `proof` shows that the tree of `old_size` leaves with head
/// `old_root` is a prefix of the tree of `new_size` leaves with head
/// `new_root`. Equal sizes need an empty proof and equal roots; an old size
/// of 0 needs an empty proof and the empty tree's head as `old_root`.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), Error> {
    if old_size > new_size {
        return Err(Error::OldSizeExceedsNewSize { old_size, new_size });
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(Error::BadProofLength);
        }
        if old_root != new_root {
            return Err(Error::RootMismatch);
        }
        return Ok(());
    }
    if old_size == 0 {
        // Every tree extends the empty tree; there is nothing to prove, but
        // an old head that is not the empty tree's head is a lie.
        if !proof.is_empty() {
            return Err(Error::BadProofLength);
        }
        if *old_root != empty_root() {
            return Err(Error::OldRootMismatch);
        }
        return Ok(());
    }
    // Step 1: when the old tree is a complete subtree its head is the first
    // node of the path, and the generator left it out of the proof.
    let (seed, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (first, rest),
            None => return Err(Error::BadProofLength),
        }
    };
    // Steps 2 and 3: start from the largest complete subtree that ends at
    // the old tree's last leaf.
    let mut fn_ = old_size - 1;
    let mut sn = new_size - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 4: `old_running` rebuilds the old head, `new_running` the new one.
    let mut old_running = *seed;
    let mut new_running = *seed;
    // Step 5.
    for node in rest {
        if sn == 0 {
            return Err(Error::BadProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            old_running = node_hash(node, &old_running);
            new_running = node_hash(node, &new_running);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            new_running = node_hash(&new_running, node);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 6.
    if sn != 0 {
        return Err(Error::BadProofLength);
    }
    if old_running != *old_root {
        return Err(Error::OldRootMismatch);
    }
    if new_running != *new_root {
        return Err(Error::RootMismatch);
    }
    Ok(())
}
