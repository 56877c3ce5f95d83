//! Errors of appending to and verifying a tiled log.

use std::path::PathBuf;

/// Why an append or opening the log failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An entry is longer than a bundle can hold.
    #[error("an entry of {len} bytes is longer than the 65,535 a bundle holds")]
    EntryTooLong {
        /// Its length.
        len: usize,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The checkpoint or a tile the log needs to go on is not what it wrote.
    #[error("the log in {dir} is damaged: {reason}")]
    Damaged {
        /// The log's folder.
        dir: PathBuf,
        /// What is wrong, in one line.
        reason: String,
    },
    /// Another writer has the log open.
    #[error(
        "the log in {dir} is locked by another writer or a backup; try again when it has finished"
    )]
    Busy {
        /// The log's folder.
        dir: PathBuf,
    },
    /// Signing the checkpoint failed (an invalid key name or origin).
    #[error("cannot sign the checkpoint: {0}")]
    Sign(#[from] mamori_tlog::Error),
}

/// What verification found wrong. Every variant names where, so an
/// investigator can go to the entry or the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The checkpoint is missing, unsigned by the key, or for another log.
    #[error("the checkpoint does not verify: {0}")]
    Checkpoint(String),
    /// A bundle is cut short, has extra bytes, or holds too few or too many entries.
    #[error("bundle {path} is malformed: {reason}")]
    BadBundle {
        /// The bundle's path in the log folder.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry's hash differs from the one recorded for its position: it was
    /// edited, removed, inserted or moved.
    #[error(
        "entry {index} does not match the hash recorded for it (edited, removed, inserted or reordered)"
    )]
    EntryMismatch {
        /// The entry's index in the log.
        index: u64,
    },
    /// A hash tile is missing or differs from what its entries give.
    #[error("hash tile {path} is missing or does not match the entries below it")]
    TileMismatch {
        /// The tile's path in the log folder.
        path: String,
    },
    /// The tree head of all entries is not the one the checkpoint signed.
    #[error("the entries give a tree head that the checkpoint did not sign")]
    RootMismatch,
    /// A file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        reason: String,
    },
}
