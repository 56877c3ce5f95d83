//! A tamper-evident log: RFC 9162 Merkle tree hashing, inclusion and consistency proofs, signed checkpoints.
//!
//! This crate knows nothing of what is logged. A log is a sequence of
//! entries (byte strings) numbered from 0; its state at `n` entries is
//! committed to by one 32-byte tree head, and a signed *checkpoint* binds a
//! head to a size and a log identity. Anyone holding the log's public key
//! can then check, with their own code and the format below, that an entry
//! is in the log (inclusion proof) and that a later checkpoint extends an
//! earlier one without rewriting history (consistency proof).
//!
//! # Hashes (RFC 6962 / RFC 9162 §2.1)
//!
//! All hashes are SHA-256, 32 bytes. Prefix bytes separate leaves from
//! interior nodes so that one can never be passed off as the other:
//!
//! - leaf hash of entry `d`: `SHA-256(0x00 || d)` ([`leaf_hash`]);
//! - interior node: `SHA-256(0x01 || left || right)` ([`node_hash`]);
//! - head of the empty tree: `SHA-256("")` ([`empty_root`]).
//!
//! The head `MTH(D[n])` of leaves `D[0..n]` is the leaf hash itself for
//! `n = 1`, and for `n > 1` is `node(MTH(D[0..k]), MTH(D[k..n]))` where `k`
//! is the largest power of two smaller than `n` ([`root`]). [`Frontier`]
//! computes the same head incrementally in O(log n) memory.
//!
//! # Proofs
//!
//! A proof is a list of 32-byte hashes, exactly as defined by RFC 9162:
//!
//! - the inclusion proof of leaf `m` in a tree of size `n` is
//!   `PATH(m, D[n])` of §2.1.3.1 ([`inclusion_proof`]), checked with the
//!   algorithm of §2.1.3.2 ([`verify_inclusion`]);
//! - the consistency proof from size `m` to size `n` is `PROOF(m, D[n])` of
//!   §2.1.4.1 ([`consistency_proof`]), checked with the algorithm of
//!   §2.1.4.2 ([`verify_consistency`]). For `m = 0` and for `m = n` the proof
//!   is empty.
//!
//! A verifier cannot learn a tree's size from its head: the same proof and
//! head can check out for more than one size (the proof of leaf 0 in a
//! 3-leaf tree also passes as one in a 4-leaf tree). Sizes are trusted
//! because the checkpoint that carries them is signed.
//!
//! # Checkpoints (C2SP tlog-checkpoint in a C2SP signed note)
//!
//! A signed checkpoint is UTF-8 text with no ASCII control characters other
//! than newline (0x0A), which ends every line, the last one included:
//!
//! ```text
//! <origin>
//! <tree size, ASCII decimal, no leading zeros>
//! <tree head, standard base64 with padding (RFC 4648 §4)>
//!
//! — <key name> <base64(key id || signature)>
//! ```
//!
//! - The first three lines, *including* the final newline of the third line
//!   and *excluding* the blank line, are the signed text. This crate writes
//!   and accepts exactly these three lines (no extension lines).
//! - Each signature line starts with U+2014 EM DASH (bytes `E2 80 94`) and
//!   one space. The key name is non-empty and contains neither spaces nor
//!   `+`. Other signers (for example witnesses) may add lines; a verifier
//!   ignores lines whose name or key id is not its trusted key's.
//! - The decoded signature is 4 bytes of key id followed by the 64-byte
//!   Ed25519 signature (RFC 8032) of the signed text.
//! - Key id: the first 4 bytes of
//!   `SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)`,
//!   read as a big-endian integer ([`key_id`]).
//! - A public key is published as a verifier key string
//!   `<key name>+<key id, 8 lowercase hex digits>+<base64(0x01 || public key)>`
//!   ([`verifier_key_string`]), the format of Go's
//!   `golang.org/x/mod/sumdb/note`, whose signed notes this crate
//!   reproduces byte for byte.
//!
//! - A verifier rejects the note if any line with its trusted key's name
//!   and key id fails to verify, and requires at least one that verifies.
//!   It then compares the origin line with the log it expects.
//!
//! [`Checkpoint::sign`] produces such a note, [`Checkpoint::verify`] accepts
//! one only under those rules, and [`sign_note`] / [`open_note`] do the same
//! for arbitrary note text.
#![forbid(unsafe_code)]

mod checkpoint;
mod error;
mod frontier;
mod hash;
mod note;
mod tree;

pub use checkpoint::Checkpoint;
pub use error::Error;
pub use frontier::Frontier;
pub use hash::{Hash, empty_root, leaf_hash, node_hash};
pub use note::{
    is_valid_key_name, key_id, open_note, parse_verifier_key, sign_note, verifier_key_string,
};
pub use tree::{consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion};
