//! Benchmark (not a test): the device ledger with 10,000 devices.
//!
//! Imports a 10,000-row CSV through the real upload, preview and apply (and
//! times each), adds 500 staff and 2,000 accounts through their forms, then
//! measures pages: the device list's first page, a late page, a search and a
//! filter, one device, the account ledger (all 2,000 with their flags) and the
//! access matrix, sequentially (p50/p99 over 200 requests each).
//!
//! `cargo bench -p mamori --bench ledger` (SQLite), and with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432` on PostgreSQL.
//! The limit compared against is the ledger issue's 50 ms per page.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::time::Instant;

use reqwest::StatusCode;

const DEVICES: usize = 10_000;
const STAFF: usize = 500;
const ACCOUNTS: usize = 2_000;
const SAMPLES: usize = 200;
const LIMIT_MS: f64 = 50.0;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run());
}

fn csv() -> Vec<u8> {
    let kinds = [
        "パソコン",
        "サーバ",
        "ネットワーク機器",
        "記録媒体",
        "タブレット",
    ];
    let mut text = String::from(
        "種別,管理番号,メーカー・型番,管理場所,管理責任者,状態,OS・ファームウェア,最終セキュリティ更新日,ウイルス対策,リモート保守,リモート保守事業者,IPアドレス,MACアドレス,初期パスワード変更,外部記録媒体の制限,備考\r\n",
    );
    for n in 0..DEVICES {
        let remote = n % 7 == 0;
        text.push_str(&format!(
            "{},D-{n:05},〇〇 Model {},{}階 {}号室,{}課長,稼働,Windows 11 23H2,令和7年{}月{}日,導入済み,{},{},10.{}.{}.{},00:1A:2B:{:02X}:{:02X}:{:02X},はい,{},備考 {n}\r\n",
            kinds[n % kinds.len()],
            n % 40,
            n % 9 + 1,
            n % 30,
            ["医事", "看護", "薬剤", "放射線"][n % 4],
            n % 12 + 1,
            n % 28 + 1,
            if remote { "はい" } else { "いいえ" },
            if remote { "〇〇メディカル" } else { "" },
            n / 65536 % 256,
            n / 256 % 256,
            n % 256,
            n / 65536 % 256,
            n / 256 % 256,
            n % 256,
            if n % 3 == 0 { "いいえ" } else { "はい" },
        ));
    }
    text.into_bytes()
}

struct Latency {
    p50: f64,
    p99: f64,
}

async fn measure(browser: &helpers::Browser, path: &str) -> Latency {
    for _ in 0..20 {
        assert_eq!(browser.get(path).await.status, StatusCode::OK, "{path}");
    }
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
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
    }
}

async fn run() {
    let app = helpers::spawn_app().await;
    let admin = app.admin().await;
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let bytes = csv();
    let size = bytes.len();

    let started = Instant::now();
    let preview = admin
        .upload(
            "/ledger/devices/import",
            "/ledger/devices/import",
            &[],
            &[("file", "devices.csv", bytes)],
        )
        .await;
    let check_seconds = started.elapsed().as_secs_f64();
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.errors());
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    let started = Instant::now();
    let result = admin.submit("/ledger/devices", &action, &[]).await;
    let apply_seconds = started.elapsed().as_secs_f64();
    assert!(
        result
            .text("#import-result")
            .contains(&format!("追加 {DEVICES} 台")),
        "{}",
        result.body
    );

    println!(
        "{backend}: import of {DEVICES} rows ({:.1} MB CSV): upload and check {:.2} s, apply (re-check, {DEVICES} rows and audit events in one transaction) {:.2} s",
        size as f64 / 1_048_576.0,
        check_seconds,
        apply_seconds
    );
    // 500 staff, four accounts each on four systems; one in ten has left.
    let started = Instant::now();
    let csrf = admin
        .get("/ledger/staff")
        .await
        .attribute("input[name=csrf]", "value")
        .expect("a CSRF token");
    for n in 0..STAFF {
        let left = if n % 10 == 0 { "2026-04-30" } else { "" };
        let page = admin
            .post_raw(
                "/ledger/staff",
                &[
                    ("csrf", csrf.clone()),
                    ("name", format!("職員 {n:04}")),
                    (
                        "job",
                        ["doctor", "nurse", "medical-clerk", "technologist"][n % 4].to_owned(),
                    ),
                    ("joined_on", "2020-04-01".to_owned()),
                    ("left_on", left.to_owned()),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
    }
    for n in 0..ACCOUNTS {
        let page = admin
            .post_raw(
                "/ledger/accounts",
                &[
                    ("csrf", csrf.clone()),
                    (
                        "system",
                        ["電子カルテ", "レセコン", "Windows", "VPN"][n % 4].to_owned(),
                    ),
                    ("login", format!("user{:04}", n / 4)),
                    ("staff_id", (n / 4 + 1).to_string()),
                    ("admin", if n % 97 == 0 { "yes" } else { "" }.to_owned()),
                    (
                        "last_used_on",
                        if n % 13 == 0 {
                            "2025-01-01"
                        } else {
                            "2026-11-01"
                        }
                        .to_owned(),
                    ),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
    }
    println!(
        "{backend}: {STAFF} staff and {ACCOUNTS} accounts added through the forms in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    println!("| backend | page | p50 | p99 | p99 vs {LIMIT_MS} ms |");
    println!("|---|---|---|---|---|");
    for (label, path) in [
        ("first page", "/ledger/devices"),
        ("page 150 of 200", "/ledger/devices?page=150"),
        ("search 10.0.7 (IP, 256 hits)", "/ledger/devices?q=10.0.7."),
        (
            "search 号室 (every device)",
            "/ledger/devices?q=%E5%8F%B7%E5%AE%A4",
        ),
        ("filter サーバ", "/ledger/devices?kind=server"),
        ("one device with its history", "/ledger/devices/5000"),
        ("account ledger (2,000 with flags)", "/ledger/accounts"),
        ("staff ledger (500)", "/ledger/staff"),
        ("access matrix", "/ledger/access"),
    ] {
        let latency = measure(&admin, path).await;
        println!(
            "| {backend} | {label} | {:.2} ms | {:.2} ms | {:.2} |",
            latency.p50,
            latency.p99,
            latency.p99 / LIMIT_MS
        );
    }
    // Printing: a ledger this long is printed in parts of 1,000 rows; each part
    // is timed, and the process's peak resident memory read before and after,
    // so the growth a print costs shows (memory must stay flat, not grow with
    // the ledger).
    let peak_before = peak_resident_mb();
    let mut seconds = Vec::new();
    for part in [1, 5, 10, 1, 5] {
        let started = Instant::now();
        let (status, _, pdf) = admin
            .get_bytes(&format!("/ledger/devices/print.pdf?part={part}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(pdf.starts_with(b"%PDF"));
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    println!(
        "{backend}: print of one part (1,000 of {DEVICES} devices, A4 landscape): median {:.2} s, slowest {:.2} s; peak resident memory {:.0} MB before the prints, {:.0} MB after",
        seconds[seconds.len() / 2],
        seconds[seconds.len() - 1],
        peak_before,
        peak_resident_mb()
    );
}

/// The process's peak resident set (VmHWM) in MB; 0 where /proc is absent.
fn peak_resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
