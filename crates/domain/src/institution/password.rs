//! Passwords: the policy a new password must meet, and Argon2id hashing.
//!
//! The policy follows 第4条⑧ (10 characters at least) and the FY2025 checklist
//! item 2-⑦: without two-factor authentication a password must have 13 or more
//! characters for periodic changes to be waived, so 13 is the default minimum.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash as PhcHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::{ParseError, ParseErrorKind};

/// The rules a new password must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    min_length: usize,
}

impl PasswordPolicy {
    /// The longest password accepted; Argon2 would take anything, but a limit keeps
    /// a hostile request from making the server hash megabytes.
    pub const MAX_LENGTH: usize = 256;

    /// The default: 13 characters, which waives periodic changes without two-factor.
    pub const DEFAULT: Self = Self { min_length: 13 };

    /// The least any institution may set (第4条⑧).
    pub const FLOOR: usize = 10;

    /// The minimum length.
    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// The policy for one account: 13 characters, or 10 (第4条⑧) when the account
    /// has two-factor authentication (which waives periodic changes by itself) or
    /// the institution relaxed the rule with a recorded reason.
    pub fn for_account(institution_relaxed: bool, has_two_factor: bool) -> Self {
        if institution_relaxed || has_two_factor {
            Self {
                min_length: Self::FLOOR,
            }
        } else {
            Self::DEFAULT
        }
    }
}

/// An institution's decision to accept 10-character passwords, with its reason
/// (FY2025 checklist 2-⑦: the reason must be on record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRelaxation(String);

impl PasswordRelaxation {
    /// Parses the reason: required, at most 500 characters.
    pub fn parse(reason: &str) -> Result<Self, ParseError> {
        crate::error::required_text("reason", reason, 500).map(Self)
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A password that met the policy when it was parsed. It is never shown or logged.
#[derive(Clone)]
pub struct PlainPassword(String);

impl std::fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainPassword(..)")
    }
}

impl PlainPassword {
    /// Checks a new password against `policy`; it must not contain the login ID or
    /// the person's name, and must not be one character repeated.
    pub fn parse_new(
        raw: &str,
        policy: PasswordPolicy,
        login_id: &str,
        display_name: &str,
    ) -> Result<Self, ParseError> {
        let n_chars = raw.chars().count();
        if n_chars < policy.min_length {
            return Err(ParseError::new(
                "password",
                ParseErrorKind::TooShort {
                    min: policy.min_length,
                },
            ));
        }
        if n_chars > PasswordPolicy::MAX_LENGTH {
            return Err(ParseError::new(
                "password",
                ParseErrorKind::TooLong {
                    max: PasswordPolicy::MAX_LENGTH,
                },
            ));
        }
        let lower = raw.to_lowercase();
        if !login_id.is_empty() && lower.contains(&login_id.to_lowercase()) {
            return Err(ParseError::new(
                "password",
                ParseErrorKind::Inconsistent("must not contain the login ID"),
            ));
        }
        let name_without_spaces: String = display_name
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if name_without_spaces.chars().count() >= 2
            && lower.contains(&name_without_spaces.to_lowercase())
        {
            return Err(ParseError::new(
                "password",
                ParseErrorKind::Inconsistent("must not contain the name"),
            ));
        }
        let mut chars = raw.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(ParseError::new(
                "password",
                ParseErrorKind::BadFormat("must not be one character repeated"),
            ));
        }
        // zxcvbn knows the 30,000 most common passwords, names, words, keyboard
        // walks, dates and repeats; score 3 means more than 10^8 guesses.
        let strength = zxcvbn::zxcvbn(raw, &[login_id, display_name]);
        if (strength.score() as u8) < 3 {
            return Err(ParseError::new(
                "password",
                ParseErrorKind::BadFormat("too easy to guess: a common password, word or pattern"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// A password as typed at sign-in, checked only against the maximum length.
    pub fn for_sign_in(raw: &str) -> Option<Self> {
        (raw.chars().count() <= PasswordPolicy::MAX_LENGTH).then(|| Self(raw.to_owned()))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// An Argon2id hash in PHC string form; the parameters travel inside it, so they can
/// be raised later without breaking existing hashes.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

impl PasswordHash {
    /// Wraps a stored PHC string.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hashes with Argon2id (v19, m = 19 MiB, t = 2, p = 1: the OWASP baseline) and a
/// fresh random salt. CPU-heavy: call it from a blocking task.
pub fn hash_password(password: &PlainPassword) -> Result<PasswordHash, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|phc| PasswordHash(phc.to_string()))
        .map_err(|error| error.to_string())
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub fn verify_password(password: &PlainPassword, hash: &PasswordHash) -> bool {
    match PhcHash::new(&hash.0) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expect_ok: bool) {
        let result = PlainPassword::parse_new(raw, PasswordPolicy::DEFAULT, "tanaka", "田中 花子");
        assert_eq!(result.is_ok(), expect_ok, "{raw:?}");
    }

    #[test]
    fn the_policy_is_enforced() {
        check("short-pass", false);
        check("correct horse battery", true);
        check("my-tanaka-password-1", false);
        check("TANAKA-horse-battery", false);
        check("田中花子のパスワードです", false);
        check("aaaaaaaaaaaaaaaa", false);
        // Long enough, but among the most common passwords or a keyboard walk.
        check("password12345", false);
        check("qwertyuiopasdf", false);
        check("1234567890123", false);
        check("iloveyou123456", false);
        check(&"x1".repeat(200), false);
    }

    #[test]
    fn ten_characters_need_two_factor_or_a_recorded_relaxation() {
        assert_eq!(PasswordPolicy::for_account(false, false).min_length(), 13);
        assert_eq!(PasswordPolicy::for_account(false, true).min_length(), 10);
        assert_eq!(PasswordPolicy::for_account(true, false).min_length(), 10);
        assert!(PasswordRelaxation::parse("  ").is_err());
        assert_eq!(
            PasswordRelaxation::parse(" 電子カルテが12文字までのため ")
                .map(|r| r.reason().to_owned()),
            Ok("電子カルテが12文字までのため".to_owned())
        );
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let password =
            PlainPassword::parse_new("correct horse battery", PasswordPolicy::DEFAULT, "u", "")
                .expect("valid");
        let hash = hash_password(&password).expect("hash");
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.as_str()
        );
        assert!(verify_password(&password, &hash));
        let wrong = PlainPassword::for_sign_in("correct horse battery!").expect("short enough");
        assert!(!verify_password(&wrong, &hash));
        assert!(!verify_password(
            &password,
            &PasswordHash::from_stored("garbage".into())
        ));
    }
}
