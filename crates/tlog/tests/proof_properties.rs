//! Property tests: every generated proof verifies, every single alteration fails, and the frontier agrees with `root`.
//!
//! Altered tree sizes are special: an RFC 6962 head does not pin the tree
//! size (see `tree_size_is_bound_by_the_checkpoint_not_by_the_head` in
//! `rfc6962_vectors.rs`), so some altered sizes legitimately verify. For
//! those the library's iterative verifiers (RFC 9162 §2.1.3.2, §2.1.4.2) are
//! compared with independent recursive verifiers written here straight from
//! the RFC's generation rules (PATH and SUBPROOF): the two must agree on
//! every altered size, and must both refuse whenever the proof length no
//! longer fits.

use mamori_tlog::{
    Frontier, Hash, consistency_proof, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

/// Distinct leaf hashes: distinct entries make any two leaves differ, so an
/// altered index can never land on an identical leaf by accident.
fn make_leaves(count: usize, seed: u64) -> Vec<Hash> {
    (0..count as u64)
        .map(|i| {
            let mut data = seed.to_be_bytes().to_vec();
            data.extend_from_slice(&i.to_be_bytes());
            leaf_hash(&data)
        })
        .collect()
}

/// The split point `k` of RFC 9162: the largest power of two below `n` (n >= 2).
fn split(n: u64) -> u64 {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// Recomputes the head from an inclusion proof by following PATH(m, D[n])
/// of RFC 9162 §2.1.3.1 backwards: the last proof element is the sibling at
/// the top split. `None` when the proof length does not fit.
fn reference_inclusion_root(m: u64, n: u64, leaf: Hash, proof: &[Hash]) -> Option<Hash> {
    if n == 1 {
        return proof.is_empty().then_some(leaf);
    }
    let (sibling, rest) = proof.split_last()?;
    let k = split(n);
    if m < k {
        Some(node_hash(
            &reference_inclusion_root(m, k, leaf, rest)?,
            sibling,
        ))
    } else {
        Some(node_hash(
            sibling,
            &reference_inclusion_root(m - k, n - k, leaf, rest)?,
        ))
    }
}

fn reference_verify_inclusion(leaf: Hash, m: u64, n: u64, proof: &[Hash], head: Hash) -> bool {
    m < n && reference_inclusion_root(m, n, leaf, proof) == Some(head)
}

/// Rebuilds (old head, new head) of the subtree that SUBPROOF(m, D[n], b) of
/// RFC 9162 §2.1.4.1 describes, consuming the proof from its end. When
/// `complete` (b) holds at `m == n`, the subtree is the whole old tree, whose
/// head the verifier already has.
fn reference_subproof(
    m: u64,
    n: u64,
    complete: bool,
    proof: &[Hash],
    old_head: Hash,
) -> Option<(Hash, Hash)> {
    if m == n {
        return if complete {
            proof.is_empty().then_some((old_head, old_head))
        } else {
            match proof {
                [only] => Some((*only, *only)),
                _ => None,
            }
        };
    }
    let (last, rest) = proof.split_last()?;
    let k = split(n);
    if m <= k {
        let (old, new) = reference_subproof(m, k, complete, rest, old_head)?;
        Some((old, node_hash(&new, last)))
    } else {
        let (old, new) = reference_subproof(m - k, n - k, false, rest, old_head)?;
        Some((node_hash(last, &old), node_hash(last, &new)))
    }
}

fn reference_verify_consistency(m: u64, n: u64, old: Hash, new: Hash, proof: &[Hash]) -> bool {
    if m > n {
        return false;
    }
    if m == n {
        return proof.is_empty() && old == new;
    }
    if m == 0 {
        return proof.is_empty() && old == root(&[]);
    }
    reference_subproof(m, n, true, proof, old) == Some((old, new))
}

/// The length of PATH(m, D[n]): one hash per split on the way down to leaf `m`.
fn path_len(m: u64, n: u64) -> usize {
    if n <= 1 {
        return 0;
    }
    let k = split(n);
    1 + if m < k {
        path_len(m, k)
    } else {
        path_len(m - k, n - k)
    }
}

/// The length of SUBPROOF(m, D[n], b) for 0 < m <= n.
fn subproof_len(m: u64, n: u64, complete: bool) -> usize {
    if m == n {
        return usize::from(!complete);
    }
    let k = split(n);
    1 + if m <= k {
        subproof_len(m, k, complete)
    } else {
        subproof_len(m - k, n - k, false)
    }
}

/// A different hash: one bit flipped.
fn altered(hash: &Hash) -> Hash {
    let mut bytes = hash.0;
    bytes[7] ^= 0x20;
    Hash(bytes)
}

/// Sizes near `size` that a careless or hostile caller might substitute.
fn nearby_sizes(size: u64) -> Vec<u64> {
    let mut sizes = vec![size + 1, size + 2, size * 2, size / 2];
    if size >= 1 {
        sizes.push(size - 1);
    }
    if size >= 2 {
        sizes.push(size - 2);
    }
    sizes.retain(|&s| s != size);
    sizes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frontier_agrees_with_root_at_every_size(count in 0usize..200, seed in any::<u64>()) {
        let leaves = make_leaves(count, seed);
        let mut frontier = Frontier::new();
        prop_assert_eq!(frontier.root(), root(&[]));
        for (i, leaf) in leaves.iter().enumerate() {
            frontier.push(*leaf);
            prop_assert_eq!(frontier.size(), i as u64 + 1);
            prop_assert_eq!(frontier.root(), root(&leaves[..=i]));
            prop_assert_eq!(frontier.subtree_roots().len(), (i + 1).count_ones() as usize);
        }
        // A saved frontier restores to the same state and keeps growing alike.
        let mut restored =
            Frontier::from_subtree_roots(frontier.size(), frontier.subtree_roots().to_vec())
                .expect("saved frontier restores");
        prop_assert_eq!(&restored, &frontier);
        let extra = leaf_hash(b"one more");
        restored.push(extra);
        let mut extended = leaves.clone();
        extended.push(extra);
        prop_assert_eq!(restored.root(), root(&extended));
    }

    #[test]
    fn inclusion_proofs_verify_and_alterations_fail(count in 1usize..80, seed in any::<u64>()) {
        let leaves = make_leaves(count, seed);
        let size = count as u64;
        let head = root(&leaves);
        for index in 0..size {
            let leaf = leaves[index as usize];
            let proof = inclusion_proof(&leaves, index).expect("index is in range");
            prop_assert_eq!(proof.len(), path_len(index, size));
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &head).is_ok());
            prop_assert!(reference_verify_inclusion(leaf, index, size, &proof, head));

            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = altered(&bad[i]);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &head).is_err());
            }
            let mut longer = proof.clone();
            longer.push(head);
            prop_assert!(verify_inclusion(&leaf, index, size, &longer, &head).is_err());
            if !proof.is_empty() {
                let shorter = &proof[..proof.len() - 1];
                prop_assert!(verify_inclusion(&leaf, index, size, shorter, &head).is_err());
            }
            prop_assert!(verify_inclusion(&altered(&leaf), index, size, &proof, &head).is_err());
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &altered(&head)).is_err());
            for other in [index.wrapping_sub(1), index + 1, index ^ 2, size] {
                if other != index {
                    prop_assert!(verify_inclusion(&leaf, other, size, &proof, &head).is_err());
                }
            }
            for other in nearby_sizes(size) {
                let library = verify_inclusion(&leaf, index, other, &proof, &head).is_ok();
                let reference = reference_verify_inclusion(leaf, index, other, &proof, head);
                prop_assert_eq!(library, reference, "index {} size {} -> {}", index, size, other);
                if other > index && path_len(index, other) != proof.len() {
                    prop_assert!(!library);
                }
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_alterations_fail(count in 1usize..80, seed in any::<u64>()) {
        let leaves = make_leaves(count, seed);
        let new_size = count as u64;
        let new_head = root(&leaves);
        for old_size in 0..=new_size {
            let old_head = root(&leaves[..old_size as usize]);
            let proof = consistency_proof(&leaves, old_size).expect("sizes are ordered");
            if 0 < old_size && old_size < new_size {
                prop_assert_eq!(proof.len(), subproof_len(old_size, new_size, true));
            }
            prop_assert!(
                verify_consistency(old_size, new_size, &old_head, &new_head, &proof).is_ok()
            );
            prop_assert!(reference_verify_consistency(
                old_size, new_size, old_head, new_head, &proof
            ));

            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i] = altered(&bad[i]);
                prop_assert!(
                    verify_consistency(old_size, new_size, &old_head, &new_head, &bad).is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(new_head);
            prop_assert!(
                verify_consistency(old_size, new_size, &old_head, &new_head, &longer).is_err()
            );
            if !proof.is_empty() {
                let shorter = &proof[..proof.len() - 1];
                prop_assert!(
                    verify_consistency(old_size, new_size, &old_head, &new_head, shorter).is_err()
                );
            }
            prop_assert!(
                verify_consistency(old_size, new_size, &altered(&old_head), &new_head, &proof)
                    .is_err()
            );
            // From the empty tree there is nothing to prove about the new head.
            if old_size != 0 {
                prop_assert!(
                    verify_consistency(old_size, new_size, &old_head, &altered(&new_head), &proof)
                        .is_err()
                );
            }

            let mut size_pairs = Vec::new();
            for other in nearby_sizes(old_size) {
                size_pairs.push((other, new_size));
            }
            for other in nearby_sizes(new_size) {
                size_pairs.push((old_size, other));
            }
            for (m, n) in size_pairs {
                let library = verify_consistency(m, n, &old_head, &new_head, &proof).is_ok();
                let reference = reference_verify_consistency(m, n, old_head, new_head, &proof);
                prop_assert_eq!(
                    library, reference,
                    "sizes {}..{} altered to {}..{}", old_size, new_size, m, n
                );
                if 0 < m && m < n && subproof_len(m, n, true) != proof.len() {
                    prop_assert!(!library);
                }
            }
        }
    }
}
