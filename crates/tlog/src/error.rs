//! The one error type of the crate: every way a proof, a note or a checkpoint can be refused.

/// Why an operation on the log, a proof, a note or a checkpoint failed.
///
/// The variants are named after what failed, so a caller can tell a
/// malformed input (a bug or garbage on the wire) from a well-formed input
/// that does not verify (possible tampering).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A leaf index is not smaller than the tree size.
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size it was checked against.
        size: u64,
    },

    /// A consistency proof was asked for or checked from a larger tree to a smaller one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeExceedsNewSize {
        /// The size of the older tree.
        old_size: u64,
        /// The size of the newer tree.
        new_size: u64,
    },

    /// A proof has more or fewer hashes than its index and tree sizes require.
    #[error("proof has the wrong number of hashes for its index and tree sizes")]
    BadProofLength,

    /// An inclusion proof, or the new-tree side of a consistency proof, does
    /// not lead to the expected root hash.
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,

    /// The old-tree side of a consistency proof does not lead to the expected old root hash.
    #[error("consistency proof does not lead to the expected old root hash")]
    OldRootMismatch,

    /// A hash was not 64 hexadecimal digits.
    #[error("a hash must be 64 hexadecimal digits")]
    MalformedHash,

    /// The subtree roots given to restore a frontier do not fit its size.
    #[error("a frontier of size {size} needs {expected} subtree roots, got {got}")]
    FrontierMismatch {
        /// The declared number of leaves.
        size: u64,
        /// The number of subtree roots that size needs (its number of one bits).
        expected: usize,
        /// The number of subtree roots given.
        got: usize,
    },

    /// A frontier was to be restored at a size of 2^63 leaves or more, which no real log reaches.
    #[error("tree size {size} is too large for a frontier")]
    SizeTooLarge {
        /// The declared number of leaves.
        size: u64,
    },

    /// A key name is empty or contains a space or a plus sign.
    #[error("key name must be non-empty and contain neither spaces nor '+'")]
    InvalidKeyName,

    /// A signed note does not have the signed-note shape; the text says what is wrong.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),

    /// The text of a note is not a checkpoint; the text says what is wrong.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),

    /// A verifier key string is not `<name>+<key id>+<key>`; the text says what is wrong.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),

    /// The note carries no signature line with the expected key name and key id.
    #[error("note has no signature by key {name}+{key_id:08x}")]
    NoMatchingSignature {
        /// The expected key name.
        name: String,
        /// The expected key id.
        key_id: u32,
    },

    /// A signature line by the expected key does not verify over the note text.
    #[error("signature by key {name}+{key_id:08x} does not verify")]
    BadSignature {
        /// The expected key name.
        name: String,
        /// The expected key id.
        key_id: u32,
    },
}
