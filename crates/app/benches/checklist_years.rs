//! Benchmark (not a test): the dashboard and the checklist overview of an
//! institution with five 年度 of checklist answers.
//!
//! The five years are written through the real HTTP forms, one boot of the
//! application per 年度 with the clock fixed inside that 年度 (each new year
//! starts from the last one's answers, as in use). Then the latest 年度's
//! `/dashboard` and `/checklist/medical/{year}` are measured: sequential
//! latency (p50/p99) and throughput with 50 concurrent clients.
//!
//! `cargo bench -p mamori --bench checklist_years` (SQLite), and with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432` on PostgreSQL.
//! The limit compared against is the foundation issue's dashboard p99 < 20 ms.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use helpers::{Browser, PASSWORD};
use jiff::civil::Date;
use mamori::{Application, Config};
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{CatalogSet, FormKind};
use mamori_store::testing::TestDatabase;
use reqwest::StatusCode;

/// The five 年度 with answers; the last is the one measured.
const YEARS: [i16; 5] = [2023, 2024, 2025, 2026, 2027];
const SEQUENTIAL: usize = 500;
const CONCURRENT_CLIENTS: usize = 50;
const CONCURRENT_SECONDS: u64 = 10;
const LIMIT_MS: f64 = 20.0;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run());
}

struct Running {
    browser: Browser,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Boots the application on `data_dir` and `database` with the clock at `today` noon (JST).
async fn boot(data_dir: &std::path::Path, database: &TestDatabase, today: Date) -> Running {
    let now = today
        .at(12, 0, 0, 0)
        .to_zoned_datetime(mamori_web::tokyo())
        .expect("a time in Tokyo")
        .timestamp();
    let config = Config {
        data_dir: data_dir.to_path_buf(),
        database_url: database.url().to_owned(),
        listen: "127.0.0.1:0".parse().expect("listen address"),
        secure_cookies: false,
        lockout: mamori_domain::institution::LockoutPolicy::DEFAULT,
        probe_time_sync: false,
        sign_in_attempts_per_minute: 0,
        poster_reports_per_hour: 0,
        public_url: None,
        fixed_now: Some(now),
        scheduled_backup: None,
        smtp: None,
        receivers: Default::default(),
    };
    let application = Application::build(config).await.expect("application");
    let base = format!("http://127.0.0.1:{}", application.address().port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(application.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(CONCURRENT_CLIENTS)
        .build()
        .expect("client");
    Running {
        browser: Browser { client, base },
        stop,
        task,
    }
}

async fn expect_redirect(page: helpers::Page, what: &str) {
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{what}: {:?}",
        page.errors()
    );
}

/// Answers every item of `year`'s form: three in four はい, every fourth いいえ with a 目標日.
async fn answer_year(browser: &Browser, catalogs: &CatalogSet, year: FiscalYear, today: Date) {
    let base = format!("/checklist/medical/{year}");
    expect_redirect(
        browser.submit(&base, &format!("{base}/start"), &[]).await,
        "start",
    )
    .await;
    expect_redirect(
        browser
            .submit(
                &base,
                &format!("{base}/gate"),
                &[("in_use", "yes".into()), ("checked_on", today.to_string())],
            )
            .await,
        "gate",
    )
    .await;
    let catalog = catalogs
        .for_year(FormKind::Medical, year)
        .expect("a catalog for the year");
    for (n, item) in catalog.items.iter().enumerate() {
        let path = format!("{base}/items/{}", item.key);
        let mut fields = vec![
            ("first_date", today.to_string()),
            ("remarks", format!("{year} の確認。担当: 事務長。")),
        ];
        if n % 4 == 3 {
            fields.push(("first_answer", "no".into()));
            fields.push(("target_date", year.last_day().to_string()));
        } else {
            fields.push(("first_answer", "yes".into()));
        }
        expect_redirect(browser.submit(&path, &path, &fields).await, &item.key).await;
    }
}

struct Latency {
    p50: f64,
    p99: f64,
    mean: f64,
}

async fn sequential(browser: &Browser, path: &str) -> Latency {
    for _ in 0..50 {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
    }
    let mut samples = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let started = Instant::now();
        let response = browser
            .client
            .get(format!("{}{path}", browser.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.expect("body");
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Latency {
        p50: at(0.50),
        p99: at(0.99),
        mean: samples.iter().sum::<f64>() / samples.len() as f64,
    }
}

/// Requests per second with `CONCURRENT_CLIENTS` clients for `CONCURRENT_SECONDS`.
async fn throughput(browser: &Browser, path: &str) -> (f64, usize) {
    let deadline = Instant::now() + Duration::from_secs(CONCURRENT_SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENT_CLIENTS {
        let client = browser.client.clone();
        let url = format!("{}{path}", browser.base);
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            while Instant::now() < deadline {
                match client.get(&url).send().await {
                    Ok(response) if response.status() == StatusCode::OK => {
                        let _ = response.bytes().await;
                        ok += 1;
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for task in tasks {
        let (o, f) = task.await.expect("client task");
        ok += o;
        failed += f;
    }
    (ok as f64 / started.elapsed().as_secs_f64(), failed)
}

async fn run() {
    let database = TestDatabase::create().await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let catalogs = CatalogSet::builtin().expect("catalogs");
    let backend = if database.url().starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    let seeding = Instant::now();
    let mut answered = 0;
    for (n, start_year) in YEARS.iter().enumerate() {
        let year = FiscalYear::new(*start_year).expect("a 年度");
        let today = Date::new(*start_year, 10, 1).expect("a date");
        let running = boot(data_dir.path(), &database, today).await;
        if n == 0 {
            expect_redirect(
                running
                    .browser
                    .submit("/setup", "/setup", &helpers::setup_fields())
                    .await,
                "setup",
            )
            .await;
        }
        expect_redirect(running.browser.sign_in("admin", PASSWORD).await, "sign-in").await;
        answer_year(&running.browser, &catalogs, year, today).await;
        answered += catalogs
            .for_year(FormKind::Medical, year)
            .map_or(0, |c| c.items.len());
        let _ = running.stop.send(());
        running.task.await.expect("server task").expect("server");
    }
    let seeding = seeding.elapsed();

    let last = *YEARS.last().expect("years");
    let year = FiscalYear::new(last).expect("a 年度");
    let running = boot(
        data_dir.path(),
        &database,
        Date::new(last, 11, 25).expect("a date"),
    )
    .await;
    expect_redirect(running.browser.sign_in("admin", PASSWORD).await, "sign-in").await;
    let overview = format!("/checklist/medical/{year}");
    let page = running.browser.get(&overview).await;
    assert!(
        YEARS.iter().all(|y| page
            .body
            .contains(&FiscalYear::new(*y).expect("年度").label_ja())),
        "the overview links every 年度"
    );

    println!(
        "{backend}: {answered} answers over {} 年度 written through the forms in {:.1} s",
        YEARS.len(),
        seeding.as_secs_f64()
    );
    println!(
        "| backend | page | p50 | p99 | mean | p99 vs {LIMIT_MS} ms | req/s ({CONCURRENT_CLIENTS} clients, {CONCURRENT_SECONDS} s) | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for path in ["/dashboard", overview.as_str()] {
        let latency = sequential(&running.browser, path).await;
        let (rps, failed) = throughput(&running.browser, path).await;
        println!(
            "| {backend} | `{path}` | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} | {rps:.0} | {failed} |",
            latency.p50,
            latency.p99,
            latency.mean,
            latency.p99 / LIMIT_MS
        );
    }
    let _ = running.stop.send(());
    running.task.await.expect("server task").expect("server");
}
