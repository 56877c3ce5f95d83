//! What the benchmarks share: an application on a fresh database, browsers,
//! timed GETs and percentiles.

use std::time::Instant;

use mamori::{Application, Config};
use mamori_store::testing::TestDatabase;
use reqwest::StatusCode;

use crate::helpers::Browser;

/// A running application: the database and data folder it owns (dropped with
/// it), the backend's name, its base URL, and how to stop it.
pub type Running = (
    TestDatabase,
    tempfile::TempDir,
    &'static str,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
);

/// The database's backend, by name.
pub fn backend(database: &TestDatabase) -> &'static str {
    if database.url().starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The configuration of a benchmark's application: `database`, the data
/// folder `data_dir`, any free port, no limits, nothing run in the background.
pub fn config(database: &TestDatabase, data_dir: &std::path::Path) -> Config {
    Config {
        data_dir: data_dir.to_path_buf(),
        database_url: database.url().to_owned(),
        listen: "127.0.0.1:0".parse().expect("listen address"),
        secure_cookies: false,
        lockout: mamori_domain::institution::LockoutPolicy::DEFAULT,
        probe_time_sync: false,
        sign_in_attempts_per_minute: 0,
        poster_reports_per_hour: 0,
        public_url: None,
        fixed_now: None,
        scheduled_backup: None,
        smtp: None,
        receivers: Default::default(),
    }
}

/// Boots the application on a fresh database (PostgreSQL with `TEST_DATABASE_URL`).
pub async fn boot() -> Running {
    let database = TestDatabase::create().await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let backend = backend(&database);
    let config = config(&database, data_dir.path());
    let application = Application::build(config).await.expect("application");
    let base = format!("http://127.0.0.1:{}", application.address().port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async move {
        let _ = stopped.await;
    }));
    (database, data_dir, backend, base, stop, task)
}

pub fn browser(base: &str) -> Browser {
    Browser {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        base: base.to_owned(),
    }
}

pub struct Stats {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

pub fn stats(mut samples: Vec<f64>) -> Stats {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        max: *samples.last().unwrap_or(&0.0),
    }
}

pub async fn timed_get(browser: &Browser, path: &str) -> f64 {
    let started = Instant::now();
    let response = browser
        .client
        .get(format!("{}{path}", browser.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.expect("body");
    started.elapsed().as_secs_f64() * 1000.0
}

/// Creates the clinic `name` with its 安全管理責任者 `login` (password hash
/// `hash`), as the operator does; returns their ids.
pub async fn clinic_with_manager(
    store: &mamori_store::Store,
    name: &str,
    login: &str,
    hash: &mamori_domain::institution::PasswordHash,
) -> (
    mamori_domain::institution::InstitutionId,
    mamori_domain::institution::UserId,
) {
    use mamori_domain::institution::{NewInstitution, NewUser, RawInstitution, RawUser};
    let institution = NewInstitution::parse(RawInstitution {
        name,
        kind: "clinic_without_beds",
        bed_count: "0",
        prefecture: "徳島県",
        address: "徳島市幸町1-1",
        phone: "088-123-4567",
    })
    .expect("institution");
    let manager = NewUser::parse(RawUser {
        login_id: login,
        display_name: "院長 太郎",
        role: "security_manager",
    })
    .expect("user");
    mamori_store::institution::create_by_operator(
        store,
        &institution,
        None,
        &manager,
        hash,
        jiff::Timestamp::now(),
    )
    .await
    .expect("institution")
}
