//! Two-factor authentication: TOTP (RFC 6238) codes, one-time recovery codes, and
//! the institution's rule on who must use it (the FY2025 checklist expects
//! two-factor authentication by 令和9年度).

use totp_rs::{Algorithm, Secret, Totp};

use super::Role;
use crate::{ParseError, ParseErrorKind};

/// Who in an institution must use two-factor authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TwoFactorPolicy {
    /// Each person chooses.
    #[default]
    Optional,
    /// 安全管理責任者, 企画管理者 and システム運用担当者 must.
    Administrators,
    /// Everyone must.
    Everyone,
}

impl TwoFactorPolicy {
    /// All policies, for forms.
    pub const ALL: [Self; 3] = [Self::Optional, Self::Administrators, Self::Everyone];

    /// The stable code stored and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::Optional => "optional",
            Self::Administrators => "administrators",
            Self::Everyone => "everyone",
        }
    }

    /// Parses a code written by [`TwoFactorPolicy::code`].
    pub fn from_code(code: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|policy| policy.code() == code.trim())
            .ok_or(ParseError::new(
                "two_factor_policy",
                ParseErrorKind::UnknownChoice,
            ))
    }

    /// Whether a person with `role` must use two-factor authentication.
    pub fn requires(self, role: Role) -> bool {
        match self {
            Self::Optional => false,
            Self::Administrators => {
                matches!(
                    role,
                    Role::SecurityManager | Role::PlanningManager | Role::SystemOperator
                )
            }
            Self::Everyone => true,
        }
    }
}

/// A TOTP shared secret (160 random bits), kept as base32.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(String);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A secret from 20 random bytes (the caller draws them).
    pub fn from_random_bytes(bytes: [u8; 20]) -> Self {
        Self(Secret::from(bytes).to_base32())
    }

    /// A stored secret.
    pub fn from_stored(base32: String) -> Self {
        Self(base32)
    }

    /// The base32 text, to type into an app by hand.
    pub fn as_base32(&self) -> &str {
        &self.0
    }

    fn totp(&self, account: &str) -> Option<Totp> {
        let bytes = Secret::try_from_base32(&self.0).ok()?;
        // SHA-1, 6 digits, 30 seconds: what every authenticator app understands.
        totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(30)
            .with_skew(1)
            .with_secret(bytes)
            .with_account_name(account)
            .with_issuer(Some("mamori"))
            .build()
            .ok()
    }

    /// The `otpauth://` URL an authenticator app scans.
    pub fn provisioning_url(&self, account: &str) -> Option<String> {
        self.totp(account)?.to_url().ok()
    }

    /// The time step a code is valid for at `unix_seconds` (±30 s), or `None`.
    /// Callers must refuse a step already used (RFC 6238 §5.2).
    pub fn check(&self, code: &str, unix_seconds: u64) -> Option<u64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        self.totp("check")?.check(&code, unix_seconds)
    }

    /// The code for `unix_seconds` (for tests and diagnostics).
    pub fn code_at(&self, unix_seconds: u64) -> Option<String> {
        Some(self.totp("code")?.generate(unix_seconds).to_string())
    }
}

/// A recovery code as shown once to its owner: 12 characters of an alphabet without
/// look-alikes, in groups of four.
pub fn format_recovery_code(random: [u8; 12]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let chars: Vec<char> = random
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A recovery code as typed: upper case, without spaces or hyphens, so that
/// `abcd efgh jkmn` matches `ABCD-EFGH-JKMN`.
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238_and_tolerate_one_step_of_clock_drift() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = TotpSecret::from_random_bytes(*b"12345678901234567890");
        assert_eq!(secret.code_at(59).as_deref(), Some("287082"));
        assert_eq!(secret.check("287082", 59), Some(1));
        assert_eq!(
            secret.check("287 082", 89),
            Some(1),
            "one step later still accepted"
        );
        assert_eq!(secret.check("287082", 200), None, "far later refused");
        assert_eq!(secret.check("28708", 59), None);
        assert_eq!(secret.check("abcdef", 59), None);
    }

    #[test]
    fn the_provisioning_url_names_the_issuer_and_account() {
        let secret = TotpSecret::from_random_bytes([7; 20]);
        let url = secret.provisioning_url("tanaka").expect("url");
        assert!(url.starts_with("otpauth://totp/mamori:tanaka?"), "{url}");
        assert!(url.contains(&format!("secret={}", secret.as_base32())));
    }

    #[test]
    fn policies_decide_who_must_use_two_factor() {
        assert!(!TwoFactorPolicy::Optional.requires(Role::SecurityManager));
        assert!(TwoFactorPolicy::Administrators.requires(Role::PlanningManager));
        assert!(!TwoFactorPolicy::Administrators.requires(Role::Staff));
        assert!(TwoFactorPolicy::Everyone.requires(Role::Viewer));
        assert_eq!(
            TwoFactorPolicy::from_code("everyone"),
            Ok(TwoFactorPolicy::Everyone)
        );
        assert!(TwoFactorPolicy::from_code("sometimes").is_err());
    }

    #[test]
    fn recovery_codes_are_grouped_and_typed_loosely() {
        let code = format_recovery_code([0, 1, 2, 3, 31, 32, 33, 34, 200, 201, 202, 255]);
        assert_eq!(code, "ABCD-9ABC-JKL9");
        assert_eq!(
            normalize_recovery_code(&code.to_lowercase().replace('-', " ")),
            code.replace('-', "")
        );
    }
}
