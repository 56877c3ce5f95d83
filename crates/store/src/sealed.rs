//! Secrets kept encrypted at rest (the TOTP seeds): XChaCha20-Poly1305 under a
//! key kept in the data folder beside the audit signing key, outside the
//! database, so that a copy of the database alone reveals no second factor.
//! Each sealed value is bound to the row it belongs to (the associated data
//! names it), so a sealed secret copied onto another user does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::{Error, hex};

/// What a sealed value starts with; anything else is a value stored before
/// sealing existed (see [`crate::two_factor::seal_plain_secrets`]).
pub(crate) const PREFIX: &str = "sealed1:";

/// The key that seals and opens secrets.
#[derive(Clone)]
pub struct SecretKey(XChaCha20Poly1305);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// A key from its 32 bytes (drawn at random once, kept in a file).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(XChaCha20Poly1305::new(&bytes.into()))
    }

    /// Seals `plain` for the row named by `context`, with a fresh random nonce.
    pub(crate) fn seal(&self, plain: &str, context: &str) -> Result<String, Error> {
        let mut nonce = [0u8; 24];
        rand::fill(&mut nonce);
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::Corrupt("sealing a secret"))?;
        Ok(format!("{PREFIX}{}{}", hex(&nonce), hex(&sealed)))
    }

    /// Opens a value sealed for `context`.
    pub(crate) fn open(&self, stored: &str, context: &str) -> Result<String, Error> {
        let refused = Error::SealedSecret;
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(unhex)
            .filter(|bytes| bytes.len() > 24)
            .ok_or(refused)?;
        let (nonce, sealed) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| Error::SealedSecret)?;
        let plain = self
            .0
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::SealedSecret)?;
        String::from_utf8(plain).map_err(|_| Error::SealedSecret)
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_its_row() {
        let key = SecretKey::from_bytes([7; 32]);
        let sealed = key.seal("JBSWY3DPEHPK3PXP", "totp:user:1").expect("sealed");
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            key.seal("JBSWY3DPEHPK3PXP", "totp:user:1").expect("sealed"),
            "a fresh nonce each time"
        );
        assert_eq!(
            key.open(&sealed, "totp:user:1").expect("opens"),
            "JBSWY3DPEHPK3PXP"
        );
        assert!(key.open(&sealed, "totp:user:2").is_err(), "another row");
        let other = SecretKey::from_bytes([8; 32]);
        assert!(other.open(&sealed, "totp:user:1").is_err(), "another key");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('0');
        assert!(key.open(&tampered, "totp:user:1").is_err() || tampered == sealed);
        assert!(key.open("JBSWY3DPEHPK3PXP", "totp:user:1").is_err());
    }
}
