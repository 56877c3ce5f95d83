//! The 32-byte hash type and the three RFC 9162 hashing rules (leaf, interior node, empty tree).

use std::fmt;

use sha2::{Digest, Sha256};

use crate::Error;

/// Prefix of a leaf hash input; distinct from [`NODE_PREFIX`] so that a leaf
/// can never be passed off as an interior node (second-preimage resistance).
const LEAF_PREFIX: u8 = 0x00;
/// Prefix of an interior node hash input.
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 value: a leaf hash, an interior node hash or a tree root.
///
/// `Display` and `Debug` print it as 64 lowercase hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hexadecimal digits (either case) into a hash.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(Error::MalformedHash);
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let high = hex_value(pair[0]).ok_or(Error::MalformedHash)?;
            let low = hex_value(pair[1]).ok_or(Error::MalformedHash)?;
            *byte = (high << 4) | low;
        }
        Ok(Self(out))
    }
}

/// The value of one hexadecimal digit, if it is one.
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// The hash of a log entry: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_PREFIX]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest(b"").into())
}
