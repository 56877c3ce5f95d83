//! C2SP signed notes with Ed25519: key ids, verifier key strings, signing and opening a note.
//!
//! Compatible with Go's `golang.org/x/mod/sumdb/note`: the same key id, the
//! same verifier key string, byte-identical signed notes (Ed25519 signatures
//! are deterministic).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Error;

/// Signature type byte of Ed25519 in the C2SP signed-note registry.
const ED25519_TYPE: u8 = 0x01;

/// What starts every signature line: U+2014 EM DASH, then a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Most signature lines accepted in one note, as in Go's implementation;
/// the spec asks verifiers for a limit (and at least 16).
const MAX_SIGNATURES: usize = 100;

/// Whether `name` may be a key name: non-empty, without Unicode spaces, `+`
/// or ASCII control characters (the spec forbids those anywhere in a note).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c < ' ')
}

/// The key id of an Ed25519 key: the first 4 bytes, big-endian, of
/// SHA-256(key name || 0x0A || 0x01 || 32-byte public key).
pub fn key_id(key_name: &str, key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(key_name.as_bytes());
    hasher.update([b'\n', ED25519_TYPE]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The verifier key string that publishes a key:
/// `<name>+<key id as 8 lowercase hex digits>+<base64(0x01 || public key)>`.
///
/// The result is only parseable (here or by Go's `note.NewVerifier`) when
/// [`is_valid_key_name`] holds for `key_name`.
pub fn verifier_key_string(key_name: &str, key: &VerifyingKey) -> String {
    let mut typed_key = Vec::with_capacity(33);
    typed_key.push(ED25519_TYPE);
    typed_key.extend_from_slice(key.as_bytes());
    format!(
        "{key_name}+{:08x}+{}",
        key_id(key_name, key),
        STANDARD.encode(typed_key)
    )
}

/// Parses a verifier key string made by [`verifier_key_string`] (or by Go's
/// `note.NewEd25519VerifierKey`) into the key name and the public key.
///
/// The key id in the string must match the one computed from the name and
/// the key, so a typo in either is caught.
pub fn parse_verifier_key(vkey: &str) -> Result<(String, VerifyingKey), Error> {
    // The name cannot contain '+' and the id is hex, so the first two '+'
    // are the separators; base64 may contain further '+'.
    let mut parts = vkey.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::MalformedVerifierKey(
            "expected <name>+<key id>+<key>",
        ));
    };
    if !is_valid_key_name(name) {
        return Err(Error::InvalidKeyName);
    }
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::MalformedVerifierKey(
            "key id is not 8 hexadecimal digits",
        ));
    }
    let id = u32::from_str_radix(id_hex, 16)
        .map_err(|_| Error::MalformedVerifierKey("key id is not 8 hexadecimal digits"))?;
    let typed_key = STANDARD
        .decode(key_b64)
        .map_err(|_| Error::MalformedVerifierKey("key is not standard base64"))?;
    let Some((&key_type, key_bytes)) = typed_key.split_first() else {
        return Err(Error::MalformedVerifierKey("key is empty"));
    };
    if key_type != ED25519_TYPE {
        return Err(Error::MalformedVerifierKey(
            "key type is not Ed25519 (0x01)",
        ));
    }
    let key_bytes: &[u8; 32] = key_bytes
        .try_into()
        .map_err(|_| Error::MalformedVerifierKey("Ed25519 key is not 32 bytes"))?;
    let key = VerifyingKey::from_bytes(key_bytes)
        .map_err(|_| Error::MalformedVerifierKey("not an Ed25519 public key"))?;
    if key_id(name, &key) != id {
        return Err(Error::MalformedVerifierKey(
            "key id does not match the name and key",
        ));
    }
    Ok((name.to_owned(), key))
}

/// Refuses text that a note may not contain: ASCII control characters other than newline.
fn check_characters(text: &str) -> Result<(), Error> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(Error::MalformedNote(
            "contains an ASCII control character other than newline",
        ));
    }
    Ok(())
}

/// Signs `text` with an Ed25519 key and returns the whole signed note:
/// the text, a blank line, and one line `— <key name> <base64(key id || signature)>`.
///
/// `text` must be non-empty, end with a newline and contain no ASCII
/// control character other than newline.
pub fn sign_note(text: &str, key_name: &str, key: &SigningKey) -> Result<String, Error> {
    if !is_valid_key_name(key_name) {
        return Err(Error::InvalidKeyName);
    }
    if !text.ends_with('\n') {
        return Err(Error::MalformedNote("text does not end with a newline"));
    }
    check_characters(text)?;
    let signature: Signature = key.sign(text.as_bytes());
    let mut signed = Vec::with_capacity(4 + 64);
    signed.extend_from_slice(&key_id(key_name, &key.verifying_key()).to_be_bytes());
    signed.extend_from_slice(&signature.to_bytes());
    Ok(format!(
        "{text}\n{SIGNATURE_PREFIX}{key_name} {}\n",
        STANDARD.encode(signed)
    ))
}

/// One signature line of a note, parsed but not yet verified.
struct SignatureLine<'a> {
    name: &'a str,
    key_id: u32,
    signature: Vec<u8>,
}

/// Splits a note into its text and its parsed signature lines, refusing any malformed part.
fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), Error> {
    check_characters(note)?;
    if !note.ends_with('\n') {
        return Err(Error::MalformedNote("does not end with a newline"));
    }
    // The text may itself contain blank lines; signature lines never do, so
    // the last blank line is the separator.
    let Some(split) = note.rfind("\n\n") else {
        return Err(Error::MalformedNote("no blank line before the signatures"));
    };
    let text = &note[..split + 1];
    let Some(block) = note[split + 2..].strip_suffix('\n') else {
        return Err(Error::MalformedNote("no signature lines"));
    };
    let mut lines = Vec::new();
    for line in block.split('\n') {
        if lines.len() == MAX_SIGNATURES {
            return Err(Error::MalformedNote("too many signature lines"));
        }
        let Some(rest) = line.strip_prefix(SIGNATURE_PREFIX) else {
            return Err(Error::MalformedNote(
                "signature line does not start with an em dash and a space",
            ));
        };
        let Some((name, encoded)) = rest.split_once(' ') else {
            return Err(Error::MalformedNote("signature line has no signature"));
        };
        if !is_valid_key_name(name) {
            return Err(Error::MalformedNote(
                "signature line has an invalid key name",
            ));
        }
        let decoded = STANDARD
            .decode(encoded)
            .map_err(|_| Error::MalformedNote("signature is not standard base64"))?;
        // A key id and at least one byte of signature, as Go requires.
        let Some((id, signature)) = decoded.split_first_chunk::<4>() else {
            return Err(Error::MalformedNote("signature is too short"));
        };
        if signature.is_empty() {
            return Err(Error::MalformedNote("signature is too short"));
        }
        lines.push(SignatureLine {
            name,
            key_id: u32::from_be_bytes(*id),
            signature: signature.to_vec(),
        });
    }
    Ok((text, lines))
}

/// Verifies a signed note against one trusted Ed25519 key and returns its
/// text (with its final newline, without the blank line and signatures).
///
/// As the signed-note spec asks: the whole note must be well formed;
/// signature lines by other keys (another name or another key id) are
/// ignored; a signature line by this key that does not verify rejects the
/// note; and at least one signature line by this key must verify.
pub fn open_note<'a>(note: &'a str, key_name: &str, key: &VerifyingKey) -> Result<&'a str, Error> {
    if !is_valid_key_name(key_name) {
        return Err(Error::InvalidKeyName);
    }
    let (text, lines) = split_note(note)?;
    let expected_id = key_id(key_name, key);
    let mut verified = false;
    for line in &lines {
        if line.name != key_name || line.key_id != expected_id {
            continue;
        }
        let bad_signature = || Error::BadSignature {
            name: key_name.to_owned(),
            key_id: expected_id,
        };
        let signature = Signature::from_slice(&line.signature).map_err(|_| bad_signature())?;
        // Strict verification refuses non-canonical (malleable) signatures
        // and weak keys, so a valid signature has no second valid encoding.
        key.verify_strict(text.as_bytes(), &signature)
            .map_err(|_| bad_signature())?;
        verified = true;
    }
    if !verified {
        return Err(Error::NoMatchingSignature {
            name: key_name.to_owned(),
            key_id: expected_id,
        });
    }
    Ok(text)
}
