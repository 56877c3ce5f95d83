//! Backups of the database (issue #13): a consistent copy of an SQLite
//! database taken while the server keeps writing.

use std::path::Path;

use crate::{Backend, Error, Store};

/// Writes a consistent copy of the SQLite database to `path` (which must not
/// exist, or be empty) with `VACUUM INTO`: one read transaction, so the copy
/// holds exactly the transactions committed before it began, while writers
/// carry on. [`Error::NotSupported`] on PostgreSQL, whose backups this does not take.
pub async fn snapshot_sqlite(store: &Store, path: &Path) -> Result<(), Error> {
    if store.backend() != Backend::Sqlite {
        return Err(Error::NotSupported(
            "an SQLite snapshot of a PostgreSQL database",
        ));
    }
    let target = path
        .to_str()
        .ok_or(Error::NotSupported("a snapshot path that is not UTF-8"))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The number of audit events (the audit trail's size): what a backup holds
/// at least, and what a restore is checked against.
pub async fn audit_size(store: &Store) -> Result<i64, Error> {
    let size: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(store.pool())
        .await?;
    Ok(size)
}
