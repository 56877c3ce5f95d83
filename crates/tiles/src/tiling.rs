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

/// The right edge of the tiled tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tiling {
    /// The hashes of the partial tile of each level (empty when that level's
    /// tiles are all full).
    pub(crate) open: Vec<Vec<Hash>>,
    pub(crate) frontier: Frontier,
}

impl Tiling {
    pub(crate) fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Adds the next leaf hash; tiles it fills are appended to `full`.
    pub(crate) fn push(&mut self, leaf: Hash, full: &mut Vec<FullTile>) {
        self.frontier.push(leaf);
        let size = self.frontier.size();
        let mut hash = leaf;
        let mut level = 0usize;
        loop {
            if self.open.len() <= level {
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
                index: (size >> span_bits) - 1,
                hashes,
            });
            level += 1;
        }
    }

    /// The partial tiles as (level, index, hashes), for every level that has one.
    pub(crate) fn partial_tiles(&self) -> impl Iterator<Item = (u8, u64, &[Hash])> {
        let size = self.frontier.size();
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
        assert_eq!(tiling.frontier.root(), root(&leaves));
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
