//! The hash tiles of a growing tree: the open (partial) tile of each level and
//! the tiles that complete as leaves are pushed. The writer writes what this
//! produces; the verifier compares it with what it reads.

use mamori_tlog::{Frontier, Hash, root};

use crate::TILE_WIDTH;

/// A hash tile that has just become full.
pub(crate) struct FullTile {
    pub(crate) level: u8,
    pub(crate) index: u64,
    pub(crate) hashes: Vec<Hash>,
}

/// The right edge of the tiled tree: the open (partial) tile of each level.
/// That is all the tree head needs: each complete subtree of the tree's
/// right-edge decomposition is a run of hashes inside one open tile.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tiling {
    /// The hashes of the partial tile of each level (empty when that level's
    /// tiles are all full).
    pub(crate) open: Vec<Vec<Hash>>,
    size: u64,
}

impl Tiling {
    /// The right edge of a tree of `size` leaves whose open tiles are `open`;
    /// `None` if their widths do not fit the size.
    pub(crate) fn from_open_tiles(size: u64, open: Vec<Vec<Hash>>) -> Option<Self> {
        let fits = open.iter().enumerate().all(|(level, hashes)| {
            let count = size.checked_shr(8 * level as u32).unwrap_or(0);
            hashes.len() as u64 == count % TILE_WIDTH
        });
        fits.then_some(Self { open, size })
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf hash; tiles it fills are appended to `full`.
    pub(crate) fn push(&mut self, leaf: Hash, full: &mut Vec<FullTile>) {
        self.push_at(0, leaf, full);
    }

    /// Adds the head of the next complete subtree of 256^`level` leaves (for
    /// level 1, a full level-0 tile's head), the size being a multiple of
    /// that; tiles it fills are appended to `full`.
    pub(crate) fn push_at(&mut self, level: usize, head: Hash, full: &mut Vec<FullTile>) {
        self.size += 1 << (8 * level as u32);
        let mut hash = head;
        let mut level = level;
        loop {
            while self.open.len() <= level {
                self.open.push(Vec::with_capacity(TILE_WIDTH as usize));
            }
            self.open[level].push(hash);
            if self.open[level].len() < TILE_WIDTH as usize {
                return;
            }
            let hashes = std::mem::take(&mut self.open[level]);
            hash = root(&hashes);
            // The tile at `level` covers 256^(level+1) leaves.
            let span_bits = 8 * (level as u32 + 1);
            full.push(FullTile {
                level: level as u8,
                index: (self.size >> span_bits) - 1,
                hashes,
            });
            level += 1;
        }
    }

    /// The tree head (MTH) of all leaves so far.
    pub(crate) fn root(&self) -> Hash {
        // One complete subtree per one bit of the size, largest first: a run
        // of 2^(bit % 8) hashes in the open tile of level bit / 8, right
        // after the runs of that level's larger bits.
        let mut roots = Vec::new();
        for level in (0..self.open.len()).rev() {
            let hashes = &self.open[level];
            let mut start = 0usize;
            for bit in (0..8).rev() {
                let run = 1usize << bit;
                if hashes.len() & run != 0 {
                    roots.push(root(&hashes[start..start + run]));
                    start += run;
                }
            }
        }
        Frontier::from_subtree_roots(self.size, roots)
            .map(|frontier| frontier.root())
            .unwrap_or_else(|_| root(&[]))
    }

    /// The partial tiles as (level, index, hashes), for every level that has one.
    pub(crate) fn partial_tiles(&self) -> impl Iterator<Item = (u8, u64, &[Hash])> {
        let size = self.size;
        self.open
            .iter()
            .enumerate()
            .filter(|(_, hashes)| !hashes.is_empty())
            .map(move |(level, hashes)| {
                let count = size >> (8 * level as u32);
                (level as u8, count / TILE_WIDTH, hashes.as_slice())
            })
    }
}

/// Concatenates hashes into a tile's bytes.
pub(crate) fn tile_bytes(hashes: &[Hash]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(hashes.len() * 32);
    for hash in hashes {
        bytes.extend_from_slice(hash.as_bytes());
    }
    bytes
}

/// Splits a tile's bytes into hashes; `None` unless it holds exactly `width` of them.
pub(crate) fn tile_hashes(bytes: &[u8], width: u64) -> Option<Vec<Hash>> {
    if bytes.len() as u64 != width * 32 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .filter_map(|chunk| <[u8; 32]>::try_from(chunk).ok().map(Hash))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mamori_tlog::leaf_hash;

    #[test]
    fn tiles_complete_at_every_level_and_the_frontier_agrees_with_the_tree() {
        let leaves: Vec<Hash> = (0..(256u32 * 256 + 300))
            .map(|i| leaf_hash(&i.to_be_bytes()))
            .collect();
        let mut tiling = Tiling::default();
        let mut full = Vec::new();
        for leaf in &leaves {
            tiling.push(*leaf, &mut full);
        }
        let level0: Vec<_> = full.iter().filter(|tile| tile.level == 0).collect();
        let level1: Vec<_> = full.iter().filter(|tile| tile.level == 1).collect();
        assert_eq!(level0.len(), 257);
        assert_eq!(level1.len(), 1);
        assert_eq!(level0[3].index, 3);
        assert_eq!(level0[3].hashes, leaves[768..1024]);
        assert_eq!(level1[0].hashes[3], root(&leaves[768..1024]));
        assert_eq!(root(&level1[0].hashes), root(&leaves[..65536]));
        assert_eq!(tiling.root(), root(&leaves));
        for n in [0usize, 1, 2, 255, 256, 257, 1000, 65535, 65536] {
            let mut small = Tiling::default();
            for leaf in &leaves[..n] {
                small.push(*leaf, &mut Vec::new());
            }
            assert_eq!(small.root(), root(&leaves[..n]), "size {n}");
            let again = Tiling::from_open_tiles(n as u64, small.open.clone()).expect("fits");
            assert_eq!(
                again.root(),
                root(&leaves[..n]),
                "size {n} from its open tiles"
            );
        }
        let partial: Vec<_> = tiling.partial_tiles().collect();
        // Level 0: 65,836 leaves, tile 257 holds 44; level 1: 257 heads of
        // 256 leaves, tile 1 holds one; level 2: one head of 65,536 leaves.
        assert_eq!(partial.len(), 3);
        assert_eq!(
            (partial[0].0, partial[0].1, partial[0].2.len()),
            (0, 257, 44)
        );
        assert_eq!((partial[1].0, partial[1].1, partial[1].2.len()), (1, 1, 1));
        assert_eq!((partial[2].0, partial[2].1), (2, 0));
        assert_eq!(partial[2].2, [root(&leaves[..65536])]);
    }
}
