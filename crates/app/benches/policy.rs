//! Benchmark (not a test) of issue #15's policy target, through real HTTP:
//! the approved policy (第1–16条 with 別紙2) as an A4 PDF, target < 500 ms;
//! and, for scale, the draft page that composes it from live data.
//!
//! `cargo bench -p mamori --bench policy` (SQLite), and with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432` on PostgreSQL.
//! Times are measured at the client on the same machine, so they include the
//! loopback HTTP round trip: an upper bound of the server time.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use common::{browser, stats, timed_get};
use helpers::PASSWORD;
use reqwest::StatusCode;

const PDFS: usize = 20;
const DRAFTS: usize = 100;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let (database, data_dir, backend, base, stop, task) = common::boot().await;
    let _keep = (&database, &data_dir);
    let admin = browser(&base);
    let setup = admin
        .submit("/setup", "/setup", &helpers::setup_fields())
        .await;
    assert_eq!(setup.status, StatusCode::SEE_OTHER, "setup");
    assert_eq!(
        admin.sign_in("admin", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    admin
        .add_user("planner", "企画 次郎", "planning_manager")
        .await;
    let fingerprint = admin
        .get("/policy/draft")
        .await
        .attribute("input[name=fingerprint]", "value")
        .expect("the approval form");
    let approved = admin
        .submit(
            "/policy/draft",
            "/policy/approve",
            &[("fingerprint", fingerprint)],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "approve");

    // Warm the PDF engine (fonts, the compiled template) once.
    timed_get(&admin, "/policy/versions/1/policy.pdf").await;
    let mut pdfs = Vec::with_capacity(PDFS);
    for _ in 0..PDFS {
        pdfs.push(timed_get(&admin, "/policy/versions/1/policy.pdf").await);
    }
    let mut drafts = Vec::with_capacity(DRAFTS);
    for _ in 0..DRAFTS {
        drafts.push(timed_get(&admin, "/policy/draft").await);
    }
    let (pdfs, drafts) = (stats(pdfs), stats(drafts));
    println!("| backend | measure | n | p50 | p99 | max | target | p99 / target |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {backend} | policy PDF (第1–16条 + 別紙2, A4) | {PDFS} | {:.1} ms | {:.1} ms | {:.1} ms | < 500 ms | {:.2} |",
        pdfs.p50,
        pdfs.p99,
        pdfs.max,
        pdfs.p99 / 500.0
    );
    // No target in the issue: shown for scale.
    println!(
        "| {backend} | policy draft page, composed from live data | {DRAFTS} | {:.1} ms | {:.1} ms | {:.1} ms | — | — |",
        drafts.p50, drafts.p99, drafts.max
    );
    let _ = stop.send(());
    task.await.expect("server task").expect("server");
}
