//! Resolved configuration: where data lives, which database, which address.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything the server needs to start, after the command line is parsed.
#[derive(Clone)]
pub struct Config {
    /// The data folder (the SQLite file, and later keys and uploads).
    pub data_dir: PathBuf,
    /// The database URL; SQLite inside `data_dir` unless given.
    pub database_url: String,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// Whether cookies are marked `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Failed sign-ins that lock an account, and for how long.
    pub lockout: mamori_domain::institution::LockoutPolicy,
    /// Sign-in attempts allowed per address and per login ID each minute (0: no limit).
    pub sign_in_attempts_per_minute: u32,
    /// Reports accepted through one poster link each hour (0: no limit).
    pub poster_reports_per_hour: u32,
    /// The address others reach the server at (vendor links), if configured.
    pub public_url: Option<String>,
    /// Whether to ask the system for its NTP status (off in tests, which set it).
    pub probe_time_sync: bool,
    /// A fixed clock for tests; `None` means the system clock.
    pub fixed_now: Option<jiff::Timestamp>,
    /// mamori's own backup, taken by the server on a schedule (`--backup-dir`).
    pub scheduled_backup: Option<crate::backup::Schedule>,
    /// The reminder e-mails' SMTP server (`--smtp-host`), if configured.
    pub smtp: Option<crate::reminders::Smtp>,
    /// The syslog receivers (`--syslog-udp`, `--syslog-tcp`, `--syslog-tls`,
    /// `--syslog-relp`), if configured.
    pub receivers: crate::receivers::ReceiverConfig,
}

impl std::fmt::Debug for Config {
    // The database URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("secure_cookies", &self.secure_cookies)
            .field(
                "scheduled_backup",
                &self.scheduled_backup.as_ref().map(|schedule| &schedule.dir),
            )
            .finish()
    }
}

impl Config {
    /// The default database for a data folder: `sqlite://<dir>/mamori.db`.
    pub fn sqlite_url_for(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("mamori.db").display())
    }
}

/// `postgres://user:secret@host/db` becomes `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/mamori"),
            "postgres://app:***@db:5432/mamori"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("sqlite:///tmp/m.db"), "sqlite:///tmp/m.db");
    }
}
