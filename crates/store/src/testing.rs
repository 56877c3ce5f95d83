//! Test databases: a fresh, uniquely named database per test, on SQLite by
//! default or on the PostgreSQL server named by `TEST_DATABASE_URL`, dropped
//! when the handle is dropped. Used by this crate's tests and by the app's.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::migrate::MigrateDatabase;

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    // Kept so the SQLite file's folder lives as long as the database.
    _folder: Option<TempFolder>,
    drop_with_server: Option<String>,
}

#[derive(Debug)]
struct TempFolder(std::path::PathBuf);

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestDatabase {
    /// Creates a fresh empty database: PostgreSQL when `TEST_DATABASE_URL` is set
    /// (a server URL such as `postgres://postgres@127.0.0.1:5432`), SQLite otherwise.
    pub async fn create() -> Self {
        sqlx::any::install_default_drivers();
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = format!(
            "mamori_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            jiff::Timestamp::now().as_microsecond()
        );
        match std::env::var("TEST_DATABASE_URL") {
            Ok(server_url) if !server_url.is_empty() => {
                let url = format!("{}/{unique}", server_url.trim_end_matches('/'));
                sqlx::Any::create_database(&url)
                    .await
                    .unwrap_or_else(|error| panic!("create {url}: {error}"));
                Self {
                    url: url.clone(),
                    _folder: None,
                    drop_with_server: Some(url),
                }
            }
            _ => {
                let folder = std::env::temp_dir().join(unique);
                std::fs::create_dir_all(&folder)
                    .unwrap_or_else(|error| panic!("create {folder:?}: {error}"));
                let url = format!("sqlite://{}?mode=rwc", folder.join("mamori.db").display());
                Self {
                    url,
                    _folder: Some(TempFolder(folder)),
                    drop_with_server: None,
                }
            }
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is PostgreSQL (for messages in test output).
    pub fn is_postgres(&self) -> bool {
        self.drop_with_server.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(url) = self.drop_with_server.take() {
            // Drop runs outside any runtime guarantee, so use a thread with its own.
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    let _ = runtime.block_on(sqlx::Any::force_drop_database(&url));
                }
            })
            .join();
        }
    }
}
