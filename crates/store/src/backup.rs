//! Backups of the database (issue #13): a consistent snapshot of an SQLite
//! database read while the server keeps writing, and the fold that makes
//! the restored file and log one database file again.

use std::path::{Path, PathBuf};

use sqlx::Connection;

use crate::{Backend, Error, Store};

/// A read snapshot of the SQLite database, held while a backup reads its
/// files. [`Error::NotSupported`] on PostgreSQL.
///
/// While a reader holds its snapshot, SQLite neither checkpoints past it nor
/// restarts the write-ahead log under it. So the database file read during
/// the snapshot, followed by its log read after it, always make a consistent
/// database holding at least the snapshot: a page the file lacks, or that a
/// checkpoint rewrote while it was read, is in the log at the snapshot's
/// state or later, and the log only replays whole, checksummed commits.
/// [`fold_log`] turns the pair back into one file. This reads each byte once
/// (`VACUUM INTO` and the online backup API give the same guarantee but write
/// a whole copy first, page by page, several times slower).
pub struct SqliteSnapshot {
    transaction: sqlx::Transaction<'static, sqlx::Any>,
    audit_size: i64,
}

impl SqliteSnapshot {
    /// Takes the snapshot (a deferred read transaction, which writers do not wait for).
    pub async fn begin(store: &Store) -> Result<Self, Error> {
        if store.backend() != Backend::Sqlite {
            return Err(Error::NotSupported(
                "an SQLite snapshot of a PostgreSQL database",
            ));
        }
        let mut transaction = store.pool.begin().await?;
        // The first read takes the snapshot.
        let audit_size: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&mut *transaction)
            .await?;
        Ok(Self {
            transaction,
            audit_size,
        })
    }

    /// The number of audit events in the snapshot (the restored database
    /// holds at least these).
    pub fn audit_size(&self) -> i64 {
        self.audit_size
    }

    /// Ends the snapshot, once its files have been read.
    pub async fn end(self) -> Result<(), Error> {
        self.transaction.rollback().await?;
        Ok(())
    }
}

/// The write-ahead log beside a database file (`mamori.db-wal`).
pub fn log_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Opens a database file restored with its log (SQLite recovers it from the
/// log), folds the log in and leaves WAL mode, so the database is one file
/// again.
pub async fn fold_log(target: &Path) -> Result<(), Error> {
    let url = format!(
        "sqlite://{}",
        target
            .to_str()
            .ok_or(Error::NotSupported("a database path that is not UTF-8"))?
    );
    sqlx::any::install_default_drivers();
    let mut copy = sqlx::AnyConnection::connect(&url).await.map_err(|error| {
        Error::Unavailable(format!("cannot open the restored database: {error}"))
    })?;
    let busy: i64 = sqlx::query_scalar("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut copy)
        .await?;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut copy)
        .await?;
    copy.close().await?;
    if busy != 0 || !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::Unavailable(format!(
            "the database's log could not be folded in (busy {busy}, journal mode {mode})"
        )));
    }
    for leftover in [
        log_of(target),
        PathBuf::from(format!("{}-shm", target.display())),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn count(url: &str) -> (i64, String) {
        sqlx::any::install_default_drivers();
        let mut connection = sqlx::AnyConnection::connect(url).await.expect("open");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM filler")
            .fetch_one(&mut connection)
            .await
            .expect("count");
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut connection)
            .await
            .expect("check");
        (rows, check)
    }

    #[tokio::test]
    async fn the_file_and_its_log_read_under_a_snapshot_make_a_database_of_that_moment_or_later() {
        let folder = std::env::temp_dir().join(format!(
            "mamori-snapshot-{}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_microsecond()
        ));
        std::fs::create_dir_all(folder.join("copy")).expect("folder");
        let database = folder.join("mamori.db");
        let store = Store::open(&format!("sqlite://{}?mode=rwc", database.display()))
            .await
            .expect("open");
        sqlx::query("CREATE TABLE filler (n INTEGER NOT NULL, pad BLOB NOT NULL)")
            .execute(&store.pool)
            .await
            .expect("table");
        let insert = |n: i64| {
            sqlx::query("INSERT INTO filler (n, pad) VALUES ($1, $2)")
                .bind(n)
                .bind(vec![7_u8; 3000])
                .execute(&store.pool)
        };
        // Enough rows that the log holds pages not yet checkpointed.
        for n in 0..1500 {
            insert(n).await.expect("insert");
        }
        let snapshot = SqliteSnapshot::begin(&store).await.expect("snapshot");
        // Writers carry on and a checkpoint runs while the files are read.
        for n in 1500..1800 {
            insert(n).await.expect("insert");
        }
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&store.pool)
            .await
            .expect("checkpoint");
        let target = folder.join("copy").join("mamori.db");
        std::fs::copy(&database, &target).expect("copy the file");
        for n in 1800..1900 {
            insert(n).await.expect("insert");
        }
        assert!(
            std::fs::metadata(log_of(&database)).expect("log").len() > 0,
            "the log holds pages"
        );
        std::fs::copy(log_of(&database), log_of(&target)).expect("copy the log");
        for n in 1900..2000 {
            insert(n).await.expect("insert");
        }
        snapshot.end().await.expect("end");
        fold_log(&target).await.expect("fold");
        assert!(!log_of(&target).exists(), "one file again");
        let (rows, check) = count(&format!("sqlite://{}?mode=ro", target.display())).await;
        assert_eq!(check, "ok");
        assert!(
            (1500..=1900).contains(&rows),
            "{rows} rows: at least the snapshot's 1500, at most those before the log was read"
        );
        store.close().await;
        let _ = std::fs::remove_dir_all(&folder);
    }
}
