//! Verification of a whole log folder against its signed checkpoint.

use std::ops::Range;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use mamori_tlog::{Checkpoint, Hash, leaf_hash};

use crate::bundle::parse_bundle;
use crate::tiling::{FullTile, Tiling, tile_bytes, tile_hashes};
use crate::{CHECKPOINT_FILE, TILE_WIDTH, VerifyError, bundle_path, tile_path};

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The number of entries the checkpoint signs.
    pub size: u64,
    /// The signed tree head.
    pub root: Hash,
    /// The entries whose bytes were read and hashed.
    pub checked: u64,
    /// The bytes of those entries (with their length prefixes).
    pub bytes: u64,
    /// Ranges of entries whose bundles are in neither the log folder nor the
    /// archive folder: their hashes came from the level-0 tiles, so the rest
    /// verifies, but their content was not checked.
    pub archived: Vec<Range<u64>>,
}

fn read(path: &Path) -> Result<Option<Vec<u8>>, VerifyError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(VerifyError::Io {
            path: path.display().to_string(),
            reason: err.to_string(),
        }),
    }
}

/// Verifies the log in `dir`: its checkpoint against `key` and `origin`,
/// every entry against the hash tiles, every tile against the entries, and
/// the tree head against the checkpoint. Bundles moved out of `dir` are
/// looked for in `archive`, laid out the same way.
pub fn verify(
    dir: &Path,
    origin: &str,
    key_name: &str,
    key: &VerifyingKey,
    archive: Option<&Path>,
) -> Result<Verified, VerifyError> {
    let note = read(&dir.join(CHECKPOINT_FILE))?
        .ok_or_else(|| VerifyError::Checkpoint("there is no checkpoint file".to_owned()))?;
    let note = String::from_utf8(note)
        .map_err(|_| VerifyError::Checkpoint("the checkpoint is not UTF-8".to_owned()))?;
    let checkpoint = Checkpoint::verify(&note, key_name, key)
        .map_err(|err| VerifyError::Checkpoint(err.to_string()))?;
    if checkpoint.origin != origin {
        return Err(VerifyError::Checkpoint(format!(
            "it is for the log {:?}, not {origin:?}",
            checkpoint.origin
        )));
    }
    let size = checkpoint.size;
    let mut verified = Verified {
        size,
        root: checkpoint.root,
        checked: 0,
        bytes: 0,
        archived: Vec::new(),
    };
    let mut tiling = Tiling::default();
    let mut full: Vec<FullTile> = Vec::new();
    let check_tile = |level: u8, index: u64, hashes: &[Hash]| -> Result<(), VerifyError> {
        let path = tile_path(level, index, hashes.len() as u64);
        match read(&dir.join(&path))? {
            Some(bytes) if bytes == tile_bytes(hashes) => Ok(()),
            _ => Err(VerifyError::TileMismatch {
                path: path.display().to_string(),
            }),
        }
    };
    for index in 0..size.div_ceil(TILE_WIDTH) {
        let start = index * TILE_WIDTH;
        let width = (size - start).min(TILE_WIDTH);
        let tile = tile_path(0, index, width);
        let recorded = read(&dir.join(&tile))?
            .and_then(|bytes| tile_hashes(&bytes, width))
            .ok_or_else(|| VerifyError::TileMismatch {
                path: tile.display().to_string(),
            })?;
        let path = bundle_path(index, width);
        let mut bundle = read(&dir.join(&path))?;
        if bundle.is_none()
            && let Some(archive) = archive
        {
            bundle = read(&archive.join(&path))?;
        }
        let leaves = match bundle {
            Some(bytes) => {
                let bad = |reason: String| VerifyError::BadBundle {
                    path: path.display().to_string(),
                    reason,
                };
                let entries = parse_bundle(&bytes).ok_or_else(|| {
                    bad("it is cut short or a length runs past its end".to_owned())
                })?;
                if entries.len() as u64 != width {
                    return Err(bad(format!(
                        "it holds {} entries where the checkpoint needs {width} (an entry was removed or added)",
                        entries.len()
                    )));
                }
                let leaves: Vec<Hash> = entries.iter().map(|entry| leaf_hash(entry)).collect();
                if let Some(at) = leaves.iter().zip(&recorded).position(|(a, b)| a != b) {
                    return Err(VerifyError::EntryMismatch {
                        index: start + at as u64,
                    });
                }
                verified.checked += width;
                verified.bytes += bytes.len() as u64;
                leaves
            }
            None => {
                match verified.archived.last_mut() {
                    Some(range) if range.end == start => range.end = start + width,
                    _ => verified.archived.push(start..start + width),
                }
                recorded
            }
        };
        for leaf in leaves {
            tiling.push(leaf, &mut full);
        }
        for tile in full.drain(..).filter(|tile| tile.level > 0) {
            check_tile(tile.level, tile.index, &tile.hashes)?;
        }
    }
    for (level, index, hashes) in tiling.partial_tiles().filter(|(level, ..)| *level > 0) {
        check_tile(level, index, hashes)?;
    }
    if tiling.frontier.root() != checkpoint.root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(verified)
}
