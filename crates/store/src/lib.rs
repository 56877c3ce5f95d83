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

pub mod audit_log;
pub mod break_glass;
pub mod carry_out;
pub mod checklist;
pub mod device;
mod error;
pub mod institution;
pub mod network;
pub mod people;
pub mod review;
pub mod session;
pub mod staff;
pub mod testing;
pub mod tokushima;
pub mod two_factor;
pub mod usage;
pub mod vendor;

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
}

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
        prepare_connection(backend, &mut probe)
            .await
            .map_err(|error| Error::Unavailable(format!("the database cannot be read: {error}")))?;
        let _ = probe.close().await;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                // SQLite has one writer at a time; more connections only add lock waits.
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _meta| {
                Box::pin(prepare_connection(backend, connection))
            })
            .connect_with(options)
            .await
            .map_err(|error| Error::Unavailable(describe_connect_error(backend, &error)))?;
        let store = Self { pool, backend };
        store.check_readable().await?;
        Ok(store)
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
    connection: &mut sqlx::AnyConnection,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        // WAL lets readers work while one writer commits; FULL makes each commit
        // durable against power loss, not only against a crash of mamori.
        connection.execute("PRAGMA journal_mode = WAL").await?;
        connection.execute("PRAGMA synchronous = FULL").await?;
        connection.execute("PRAGMA foreign_keys = ON").await?;
        connection.execute("PRAGMA busy_timeout = 5000").await?;
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
