//! Signed checkpoints: a tree head in the C2SP tlog-checkpoint format, carried in an Ed25519 signed note.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::note::{open_note, sign_note};
use crate::{Error, Hash};

/// A log's commitment to its tree head at one size.
///
/// As note text it is exactly three lines:
/// `<origin>\n<size in decimal>\n<base64 of the 32-byte root>\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `example.com/audit`; non-empty, one line, no
    /// ASCII control characters. By convention it equals the signing key's name.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The tree head (MTH) at that size.
    pub root: Hash,
}

impl Checkpoint {
    /// The note text of this checkpoint, refusing an origin that would not
    /// survive the round trip through a note.
    fn body(&self) -> Result<String, Error> {
        if self.origin.is_empty() {
            return Err(Error::MalformedCheckpoint("origin is empty"));
        }
        if self.origin.chars().any(|c| c < ' ') {
            return Err(Error::MalformedCheckpoint(
                "origin contains a newline or another ASCII control character",
            ));
        }
        Ok(format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root.as_bytes())
        ))
    }

    /// Signs this checkpoint and returns the whole signed note: the three
    /// body lines, a blank line and the signature line
    /// `— <key name> <base64(key id || Ed25519 signature)>`.
    ///
    /// Fails only for an invalid key name or an origin that is empty or
    /// contains a control character (such as a newline).
    pub fn sign(&self, key_name: &str, key: &SigningKey) -> Result<String, Error> {
        sign_note(&self.body()?, key_name, key)
    }

    /// Verifies a signed checkpoint note against one trusted key and returns the checkpoint.
    ///
    /// The note must carry a valid signature by `key` under `key_name` (other
    /// signers' lines are ignored, see [`open_note`]) and its text must be
    /// exactly the three checkpoint lines, in canonical form. Extension lines
    /// are refused: this type could not carry them, and silently dropping
    /// signed content would mislead the caller. The caller still has to check
    /// that [`Checkpoint::origin`] is the log it expects.
    pub fn verify(note: &str, key_name: &str, key: &VerifyingKey) -> Result<Checkpoint, Error> {
        Self::parse_body(open_note(note, key_name, key)?)
    }

    /// Parses checkpoint note text, accepting only the canonical encoding so
    /// that one checkpoint has exactly one text.
    fn parse_body(text: &str) -> Result<Checkpoint, Error> {
        let Some(text) = text.strip_suffix('\n') else {
            return Err(Error::MalformedCheckpoint(
                "text does not end with a newline",
            ));
        };
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(Error::MalformedCheckpoint("fewer than three lines"));
        };
        if lines.next().is_some() {
            return Err(Error::MalformedCheckpoint(
                "extension lines are not supported",
            ));
        }
        if origin.is_empty() {
            return Err(Error::MalformedCheckpoint("origin is empty"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
        })
    }
}

/// Parses the tree size line: ASCII decimal digits, no sign, no leading zero.
fn parse_size(line: &str) -> Result<u64, Error> {
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::MalformedCheckpoint(
            "tree size is not a decimal number",
        ));
    }
    if line.len() > 1 && line.starts_with('0') {
        return Err(Error::MalformedCheckpoint("tree size has a leading zero"));
    }
    line.parse()
        .map_err(|_| Error::MalformedCheckpoint("tree size does not fit in 64 bits"))
}

/// Parses the root hash line: standard padded base64 of exactly 32 bytes.
fn parse_root(line: &str) -> Result<Hash, Error> {
    let bytes = STANDARD
        .decode(line)
        .map_err(|_| Error::MalformedCheckpoint("root hash is not standard base64"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::MalformedCheckpoint("root hash is not 32 bytes"))?;
    // The engine already refuses non-zero trailing bits and missing padding;
    // comparing the re-encoding makes "one hash, one text" explicit.
    if STANDARD.encode(bytes) != line {
        return Err(Error::MalformedCheckpoint(
            "root hash is not canonical base64",
        ));
    }
    Ok(Hash(bytes))
}
