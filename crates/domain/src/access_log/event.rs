//! The fields every access-log parser produces: who did what, from where,
//! when, and whether it worked — always with the raw line beside them.

use std::net::IpAddr;

use jiff::Timestamp;

/// What was attempted. Whether it worked is the [`Outcome`], so a failed
/// sign-in is `SignIn` with `Outcome::Failure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Signing in (ログイン) to a device, server or system.
    SignIn,
    /// Signing out (ログアウト), or a session ended by the device.
    SignOut,
    /// A session opened after authentication (PAM's "session opened").
    SessionOpened,
    /// A session closed (PAM's "session closed").
    SessionClosed,
    /// An account was created.
    AccountCreated,
    /// An account was enabled.
    AccountEnabled,
    /// An account was disabled.
    AccountDisabled,
    /// An account was deleted.
    AccountDeleted,
    /// An account was locked after failures or by an administrator.
    AccountLocked,
    /// An account was unlocked.
    AccountUnlocked,
    /// A password was changed or reset.
    PasswordChanged,
    /// A VPN tunnel or remote-access session came up (or was attempted).
    VpnConnect,
    /// A VPN tunnel or remote-access session went down.
    VpnDisconnect,
    /// Anything else; the text is a short label of what the source said
    /// (e.g. FortiGate's `action` value, or `"unrecognised"`).
    Other(String),
}

/// Whether the action worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It worked.
    Success,
    /// It was refused or failed.
    Failure,
    /// The line does not say.
    Unknown,
}

impl Outcome {
    /// The stable code stored in the index.
    pub fn code(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Unknown => "unknown",
        }
    }

    /// The outcome of a code written by [`Outcome::code`]; anything else is unknown.
    pub fn from_code(code: &str) -> Self {
        match code {
            "success" => Self::Success,
            "failure" => Self::Failure,
            _ => Self::Unknown,
        }
    }
}

/// One access-log event in the common shape, whatever its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When it happened (the source's clock), or when it was received if the
    /// line carried no usable time.
    pub time: Timestamp,
    /// The device or server that logged it.
    pub host: Option<String>,
    /// The program or subsystem that logged it (e.g. `sshd`).
    pub app: Option<String>,
    /// The account the event is about.
    pub user: Option<String>,
    /// The address the action came from.
    pub source_address: Option<IpAddr>,
    /// What was attempted.
    pub action: Action,
    /// Whether it worked.
    pub outcome: Outcome,
    /// The patient (患者ID) whose record was touched, for EHR (電子カルテ) logs.
    pub patient_id: Option<String>,
    /// The source's own identifier of the event, when it has one — for a
    /// Windows event `COMPUTER/Channel/EventRecordID` — so that an export
    /// overlapping an earlier one adds only what was not kept yet.
    pub record_key: Option<String>,
    /// The line exactly as received (after lossy UTF-8 decoding).
    pub raw: String,
}

impl LogEvent {
    /// An event that no parser understood: kept with its raw line, never dropped.
    pub fn unrecognised(time: Timestamp, raw: impl Into<String>) -> Self {
        Self {
            time,
            host: None,
            app: None,
            user: None,
            source_address: None,
            action: Action::Other("unrecognised".to_owned()),
            outcome: Outcome::Unknown,
            patient_id: None,
            record_key: None,
            raw: raw.into(),
        }
    }
}
