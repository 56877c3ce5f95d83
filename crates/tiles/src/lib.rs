//! A tamper-evident log kept in a local folder as C2SP tlog-tiles.
//!
//! The entries are appended to *entry bundles* and their Merkle tree (the
//! hashing of `mamori-tlog`, RFC 6962/9162) is kept as *hash tiles*, in the
//! layout of <https://c2sp.org/tlog-tiles>, so that any standard tlog-tiles
//! client served this folder over HTTP could check it; the latest signed
//! checkpoint (a C2SP signed note) is the file `checkpoint`.
//!
//! # Layout (relative to the log's folder)
//!
//! - `checkpoint`: the signed note of the log's current size and tree head.
//! - `tile/entries/<N>`: entries `256·N .. 256·N+256`, each as a big-endian
//!   16-bit length followed by its bytes; `tile/entries/<N>.p/<W>` holds the
//!   first `W` (1–255) entries of a bundle that is not full yet.
//! - `tile/<L>/<N>`: 256 concatenated 32-byte hashes at tree level `8·L`: at
//!   level 0 the leaf hashes, at level `L` the heads of the complete subtrees
//!   of `256^L` leaves. `tile/<L>/<N>.p/<W>` is a partial tile of `W` hashes.
//! - `<N>` is written in groups of three digits, all but the last prefixed
//!   with `x`: 1234067 is `x001/x234/067`.
//!
//! # Durability
//!
//! Every file is written to a temporary name, synced, and renamed into place;
//! the checkpoint is written last. The checkpoint is the commit point: after
//! [`TileLog::append`] returns, the entries survive a crash or a kill, and a
//! crash during an append leaves the log at its previous checkpoint (files
//! the interrupted append wrote beyond it are overwritten by the next one).
//! [`TileLog::begin_append`] returns once an append's files are written and
//! commits it in the background: the next append writes its full bundles
//! and tiles meanwhile, and its partial files and checkpoint only once that
//! commit has ended ([`TileLog::finish`] waits for it, as dropping the log
//! does). [`TileLog::append_grouped`] does not wait even then: while a
//! commit runs, the appends after it are only written ahead, and the next
//! commit takes them all (a group commit). [`TileLog::write_ahead`] writes
//! the parts of one long append (an import) and [`TileLog::commit`]
//! commits them at once; entries written ahead and not committed are not
//! appended, as after a crash.
//!
//! # Verification
//!
//! [`verify`] reads the bundles in order, hashes every entry, compares each
//! leaf hash with the level-0 tile, rebuilds every hash tile above it, and
//! compares the tree head with the signed checkpoint. An edited, removed,
//! inserted or reordered entry, a truncated bundle and an edited tile are
//! each reported by index. A bundle that has been moved away (retention) is
//! reported as archived: its leaf hashes are taken from the level-0 tile, so
//! what remains still verifies, and the archive folder can be checked too.
#![forbid(unsafe_code)]

mod bundle;
mod error;
mod files;
mod log;
mod path;
mod tiling;
mod verify;

pub use bundle::{MAX_ENTRY_LEN, encode_entry, parse_bundle};
pub use error::{Error, VerifyError};
pub use log::{LOCK_FILE, TileLog, first_kept, read_committed};
pub use path::{bundle_path, tile_path};
pub use verify::{Verified, verify};

/// Hashes per full tile and entries per full bundle (tile height 8).
pub const TILE_WIDTH: u64 = 256;

/// The file holding the latest signed checkpoint.
pub const CHECKPOINT_FILE: &str = "checkpoint";
