//! Verification of a whole log folder against its signed checkpoint.

use std::ops::Range;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use mamori_tlog::{Checkpoint, Hash, leaf_hash, root};

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
    // The bundles are read and hashed on every core, a run of them at a
    // time; the tiles above level 0 are built in order from their heads.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) as u64;
    let bundles = size.div_ceil(TILE_WIDTH);
    let per_run = workers * 32;
    let mut first = 0;
    while first < bundles {
        let last = (first + per_run).min(bundles);
        let share = (last - first).div_ceil(workers);
        let results: Vec<Result<Vec<Bundle>, VerifyError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (first..last)
                .step_by(share as usize)
                .map(|from| {
                    let to = (from + share).min(last);
                    scope.spawn(move || {
                        (from..to)
                            .map(|index| check_bundle(dir, archive, size, index))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(VerifyError::Io {
                            path: dir.display().to_string(),
                            reason: "a verifying thread failed".to_owned(),
                        })
                    })
                })
                .collect()
        });
        for bundle in results
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
        {
            if bundle.checked {
                verified.checked += bundle.width;
                verified.bytes += bundle.bytes;
            } else {
                match verified.archived.last_mut() {
                    Some(range) if range.end == bundle.start => range.end += bundle.width,
                    _ => verified
                        .archived
                        .push(bundle.start..bundle.start + bundle.width),
                }
            }
            match bundle.head {
                Some(head) => tiling.push_at(1, head, &mut full),
                None => {
                    for leaf in bundle.leaves {
                        tiling.push(leaf, &mut full);
                    }
                }
            }
            for tile in full.drain(..).filter(|tile| tile.level > 0) {
                check_tile(tile.level, tile.index, &tile.hashes)?;
            }
        }
        first = last;
    }
    for (level, index, hashes) in tiling.partial_tiles().filter(|(level, ..)| *level > 0) {
        check_tile(level, index, hashes)?;
    }
    if tiling.root() != checkpoint.root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(verified)
}

/// One bundle, checked against its level-0 tile.
struct Bundle {
    start: u64,
    width: u64,
    /// Whether its entries were read (not archived away).
    checked: bool,
    bytes: u64,
    /// The head of a full bundle's 256 leaves; `None` for the last, partial one.
    head: Option<Hash>,
    /// The leaf hashes of a partial bundle.
    leaves: Vec<Hash>,
}

/// Reads bundle `index` (from `dir`, else `archive`) and its level-0 tile,
/// and checks every entry against the hash recorded for it.
fn check_bundle(
    dir: &Path,
    archive: Option<&Path>,
    size: u64,
    index: u64,
) -> Result<Bundle, VerifyError> {
    let start = index * TILE_WIDTH;
    let width = (size - start).min(TILE_WIDTH);
    let tile = tile_path(0, index, width);
    let recorded = read(&dir.join(&tile))?
        .and_then(|bytes| tile_hashes(&bytes, width))
        .ok_or_else(|| VerifyError::TileMismatch {
            path: tile.display().to_string(),
        })?;
    let path = bundle_path(index, width);
    let mut content = read(&dir.join(&path))?;
    if content.is_none()
        && let Some(archive) = archive
    {
        content = read(&archive.join(&path))?;
    }
    let (checked, bytes) = match content {
        Some(bytes) => {
            let bad = |reason: String| VerifyError::BadBundle {
                path: path.display().to_string(),
                reason,
            };
            let entries = parse_bundle(&bytes)
                .ok_or_else(|| bad("it is cut short or a length runs past its end".to_owned()))?;
            if entries.len() as u64 != width {
                return Err(bad(format!(
                    "it holds {} entries where the checkpoint needs {width} (an entry was removed or added)",
                    entries.len()
                )));
            }
            if let Some(at) = entries
                .iter()
                .zip(&recorded)
                .position(|(entry, hash)| leaf_hash(entry) != *hash)
            {
                return Err(VerifyError::EntryMismatch {
                    index: start + at as u64,
                });
            }
            (true, bytes.len() as u64)
        }
        None => (false, 0),
    };
    let full = width == TILE_WIDTH;
    Ok(Bundle {
        start,
        width,
        checked,
        bytes,
        head: full.then(|| root(&recorded)),
        leaves: if full { Vec::new() } else { recorded },
    })
}
