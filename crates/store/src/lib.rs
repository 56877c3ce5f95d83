//! mamori's storage: the only crate that holds SQL.
//!
//! One `AnyPool` serves SQLite (the default, one file in the data folder) and
//! PostgreSQL (for hosted installations). Each query is written once with `$N`
//! placeholders and runs unchanged on both; the two migration folders differ only
//! where the DDL must (`BIGSERIAL` against `INTEGER PRIMARY KEY AUTOINCREMENT`).
//!
//! Invariant: every function that reads or writes tenant data takes a `Grant`
//! (or a `Principal`) and filters by its institution id; none takes an institution
//! id from a caller.
//! Invariant: every change is written together with its audit event, in one transaction.
#![forbid(unsafe_code)]

pub mod access_log;
pub mod audit_log;
pub mod backup;
pub mod backup_register;
pub mod bcp;
pub mod break_glass;
pub mod carry_out;
pub mod checklist;
pub mod checklist_version;
pub mod contact;
pub mod contract;
pub mod device;
mod error;
pub mod incident;
pub mod incident_link;
pub mod institution;
pub mod maintenance;
#[cfg(test)]
mod migration_tests;
pub mod network;
pub mod people;
pub mod policy;
pub mod portable;
pub mod reminder;
pub mod review;
mod sealed;
pub mod session;
pub mod staff;
pub mod testing;
pub mod tokushima;
pub mod training;
pub mod two_factor;
pub mod usage;
pub mod vendor;

pub use sealed::SecretKey;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

pub use error::Error;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, embedded in one file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// Chooses the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> Result<Self, Error> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(Error::BadUrl(
                "the database URL must start with sqlite:// or postgres://".to_owned(),
            ))
        }
    }

    /// A name for messages and the diagnostics page.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The database handle shared by every request.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Seals secrets at rest; `None` until [`Store::with_secret_key`].
    secret_key: Option<std::sync::Arc<SecretKey>>,
}

/// How long a write waits for the database's write lock, and a request for a
/// connection, before it fails.
const BUSY_TIMEOUT_SECONDS: u64 = 60;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Connects to `url`, checks that the database is readable and migrates it to
    /// the current schema. A migration that fails is rolled back and reported.
    pub async fn open(url: &str) -> Result<Self, Error> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        audit_log::seal_unsealed(&store).await?;
        Ok(store)
    }

    /// Connects without migrating; `open` is what the server uses.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::connect_as(url, false).await
    }

    /// Connects for reading only, without migrating: `mamori audit verify` on
    /// an inspector's copy of a backup, in a folder that may not be writable.
    /// SQLite opens the file read-only, and immutable (writing not even a lock
    /// or shared-memory file) unless a write-ahead log beside it still holds
    /// committed pages; PostgreSQL sessions are read-only.
    pub async fn connect_read_only(url: &str) -> Result<Self, Error> {
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => {
                let base = url.split_once('?').map_or(url, |(base, _)| base);
                let path = base
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
                if wal > 0 {
                    format!("{base}?mode=ro")
                } else {
                    format!("{base}?mode=ro&immutable=1")
                }
            }
            Backend::Postgres => url.to_owned(),
        };
        Self::connect_as(&url, true).await
    }

    async fn connect_as(url: &str, read_only: bool) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = AnyConnectOptions::from_str(url)
            .map_err(|error| Error::BadUrl(error.to_string()))?
            .disable_statement_logging();
        // One direct connection first: a pool retries until its timeout and then
        // reports only "timed out", hiding "connection refused" or "not a database".
        let mut probe = sqlx::AnyConnection::connect_with(&options)
            .await
            .map_err(|error| Error::Unavailable(describe_connect_error(backend, &error)))?;
        prepare_connection(backend, read_only, &mut probe)
            .await
            .map_err(|error| Error::Unavailable(format!("the database cannot be read: {error}")))?;
        let _ = probe.close().await;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // SQLite has one writer at a time; more connections only add lock waits.
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            // Writers queue behind a long import for as long as the busy
            // timeout below allows; waiting for a connection must allow as much.
            .acquire_timeout(Duration::from_secs(BUSY_TIMEOUT_SECONDS))
            .after_connect(move |connection, _meta| {
                Box::pin(prepare_connection(backend, read_only, connection))
            })
            .connect_with(options)
            .await
            .map_err(|error| Error::Unavailable(describe_connect_error(backend, &error)))?;
        let store = Self {
            pool,
            backend,
            secret_key: None,
        };
        store.check_readable().await?;
        Ok(store)
    }

    /// The store with the key that seals secrets at rest (TOTP seeds); without
    /// it, reading or writing such a secret fails.
    pub fn with_secret_key(mut self, key: SecretKey) -> Self {
        self.secret_key = Some(std::sync::Arc::new(key));
        self
    }

    pub(crate) fn secret_key(&self) -> Result<&SecretKey, Error> {
        self.secret_key.as_deref().ok_or(Error::NoSecretKey)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for the store's own benchmarks (`benches/`), which compare the audit
    /// trail with raw inserts; nothing else outside this crate may touch SQL.
    #[doc(hidden)]
    pub fn pool_for_benchmarks(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool, for the store's own modules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy
    /// timeout instead of failing with "database is locked" when a deferred
    /// transaction that has read tries to write after another one committed.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Applies pending migrations. Each runs in its own transaction, so a failure
    /// leaves the database as the last successful migration left it.
    pub async fn migrate(&self) -> Result<(), Error> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|error| Error::Migration(error.to_string()))
    }

    /// Closes every connection; SQLite checkpoints its WAL on the last close.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn check_readable(&self) -> Result<(), Error> {
        let probe = match self.backend {
            // A file that is not SQLite fails here ("file is not a database"),
            // not later in the middle of a request.
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master",
            Backend::Postgres => "SELECT 1",
        };
        sqlx::query(probe)
            .fetch_one(&self.pool)
            .await
            .map(|_| ())
            .map_err(|error| Error::Unavailable(format!("the database cannot be read: {error}")))
    }
}

/// Settings every new connection gets.
async fn prepare_connection(
    backend: Backend,
    read_only: bool,
    connection: &mut sqlx::AnyConnection,
) -> Result<(), sqlx::Error> {
    if read_only {
        if backend == Backend::Postgres {
            connection
                .execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                .await?;
        }
        return Ok(());
    }
    if backend == Backend::Sqlite {
        // WAL lets readers work while one writer commits; FULL makes each commit
        // durable against power loss, not only against a crash of mamori.
        connection.execute("PRAGMA journal_mode = WAL").await?;
        connection.execute("PRAGMA synchronous = FULL").await?;
        connection.execute("PRAGMA foreign_keys = ON").await?;
        // 32 MiB of page cache a connection, taken only as it is used (at
        // the default 2 MiB an access-log import read its index pages back
        // from the file again and again; BENCHMARKS.md).
        connection.execute("PRAGMA cache_size = -32768").await?;
        // A writer waits for the one before it (the largest import holds the
        // lock for seconds) rather than failing.
        // (BUSY_TIMEOUT_SECONDS in milliseconds.)
        connection.execute("PRAGMA busy_timeout = 60000").await?;
    }
    Ok(())
}

fn describe_connect_error(backend: Backend, error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => format!("cannot reach the {} server: {io}", backend.name()),
        sqlx::Error::PoolTimedOut => format!("timed out connecting to {}", backend.name()),
        other => format!("cannot open the {} database: {other}", backend.name()),
    }
}

/// Microseconds since the Unix epoch: how every instant is stored.
pub(crate) fn to_micros(timestamp: jiff::Timestamp) -> i64 {
    timestamp.as_microsecond()
}

/// The inverse of [`to_micros`]; out-of-range values (impossible unless the
/// database was edited by hand) become the epoch rather than a panic.
pub(crate) fn from_micros(micros: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(micros).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Lower-case hexadecimal, as SHA-256 sums are stored and shown.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}
