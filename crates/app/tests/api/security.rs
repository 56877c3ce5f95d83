//! Cross-cutting protections: CSRF on every form, strict headers, the language
//! switch and its redirect target, and clear pages for unknown routes.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let fields = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("login_id", "forged".to_owned()),
            ("display_name", "偽造".to_owned()),
            ("role", "staff".to_owned()),
            ("password", PASSWORD.to_owned()),
        ]
    };
    for csrf in ["", "guess", "QbJYk9NtDUGxFBKtL74-TFtNsiCQ9HsXTzYYWd3t0Ss"] {
        let page = admin.post_raw("/users/new", &fields(csrf)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "token {csrf:?}");
        assert!(page.text(".error-message").contains("再読み込み"));
    }
    // A cross-site form post carries the right cookie but a foreign Origin.
    let token = admin
        .get("/users/new")
        .await
        .attribute("input[name=csrf]", "value")
        .expect("token");
    let response = admin
        .client
        .post(format!("{}/users/new", app.base))
        .header("Origin", "https://evil.example")
        .form(&fields(&token))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Sign-in, before any session, is protected by the pre-session cookie.
    let stranger = app.browser();
    let page = stranger
        .post_raw(
            "/login",
            &[("login_id", "admin".into()), ("password", PASSWORD.into())],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        !admin
            .get("/users")
            .await
            .texts(".login-id")
            .contains(&"forged".to_owned())
    );
}

#[tokio::test]
async fn every_response_carries_strict_headers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for path in [
        "/login",
        "/dashboard",
        "/users",
        "/no-such-page",
        "/static/mamori.css",
    ] {
        let page = admin.get(path).await;
        let header = |name: &str| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = header("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
    }
    assert_eq!(
        admin
            .get("/dashboard")
            .await
            .headers
            .get("cache-control")
            .map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
}

#[tokio::test]
async fn unknown_pages_get_a_japanese_404() {
    let app = spawn_app().await;
    let page = app.browser().get("/wp-admin").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(page.text("h1"), "ページが見つかりません");
}

#[tokio::test]
async fn the_language_switch_goes_english_and_back_but_only_to_local_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let switch = admin.get("/lang/en?next=/dashboard").await;
    assert_eq!(switch.location.as_deref(), Some("/dashboard"));
    let dashboard = admin.get("/dashboard").await;
    assert_eq!(dashboard.attribute("html", "lang").as_deref(), Some("en"));
    assert_eq!(dashboard.text(".next-steps h2"), "What to do next");
    assert!(dashboard.text("#fiscal-year").starts_with("FY"));
    assert_eq!(
        admin
            .get("/lang/ja?next=https://evil.example")
            .await
            .location
            .as_deref(),
        Some("/")
    );
    let dashboard = admin.get("/dashboard").await;
    assert_eq!(dashboard.attribute("html", "lang").as_deref(), Some("ja"));
    assert!(
        dashboard.text("#fiscal-year").contains("年度（令和"),
        "{}",
        dashboard.text("#fiscal-year")
    );
    assert!(dashboard.text("#today").contains("（令和"));
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_cleanly() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let page = admin
        .post_raw(
            "/users/new",
            &[("csrf", "x".into()), ("display_name", huge)],
        )
        .await;
    assert!(
        page.status == StatusCode::PAYLOAD_TOO_LARGE || page.status == StatusCode::BAD_REQUEST,
        "{}",
        page.status
    );
    let response = admin
        .client
        .post(format!("{}/users/new", app.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x00, b'%', b'Z'])
        .send()
        .await
        .expect("POST");
    assert!(response.status().is_client_error(), "{}", response.status());
}

#[tokio::test]
async fn the_dashboard_warns_when_the_clock_is_not_synchronised() {
    use mamori_domain::dashboard::TimeSync;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let dashboard = admin.get("/dashboard").await;
    assert!(
        dashboard
            .text("#time-sync")
            .contains("確認できませんでした"),
        "unknown until checked"
    );
    assert_eq!(
        dashboard.attribute("#time-sync", "class").as_deref(),
        Some("time-sync warning errors")
    );
    *app.time_sync.write().expect("lock") = TimeSync::NotSynchronised("timedatectl".into());
    assert!(
        admin
            .get("/dashboard")
            .await
            .text("#time-sync")
            .contains("同期されていません")
    );
    *app.time_sync.write().expect("lock") = TimeSync::Synchronised("timedatectl".into());
    let dashboard = admin.get("/dashboard").await;
    assert!(
        dashboard
            .text("#time-sync")
            .contains("NTP で同期されています (timedatectl)")
    );
    assert_eq!(
        dashboard.attribute("#time-sync", "class").as_deref(),
        Some("time-sync ok notice")
    );
}

#[tokio::test]
async fn control_and_bidirectional_characters_are_refused_the_same_on_both_databases() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = mamori_domain::calendar::FiscalYear::containing(
        jiff::Timestamp::now()
            .to_zoned_datetime(mamori_web::tokyo())
            .date(),
    );
    let base = format!("/checklist/medical/{year}");
    let started = admin.submit(&base, &format!("{base}/start"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let item = format!("{base}/items/ledger");
    let events_before = app.audit_events().await.len();
    // A NUL byte in 備考 (PostgreSQL cannot store it in text) and a right-to-left
    // override are refused by the domain, with the field named.
    for remarks in ["台帳\0を作成中", "台帳\u{202E}を作成中", "\u{7}"] {
        let refused = admin
            .submit(
                &item,
                &item,
                &[
                    ("first_answer", "no".into()),
                    ("first_date", year.first_day().to_string()),
                    ("target_date", year.last_day().to_string()),
                    ("remarks", remarks.into()),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{remarks:?}"
        );
        assert!(
            refused
                .errors()
                .iter()
                .any(|e| e.contains("備考") && e.contains("制御文字")),
            "{:?}",
            refused.errors()
        );
    }
    // New lines stay allowed in a multi-line field.
    let saved = admin
        .submit(
            &item,
            &item,
            &[
                ("first_answer", "no".into()),
                ("first_date", year.first_day().to_string()),
                ("target_date", year.last_day().to_string()),
                ("remarks", "1行目\r\n2行目\tタブ".into()),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    assert_eq!(app.audit_events().await.len(), events_before + 1);
    // Names refuse the override that makes text read backwards.
    let refused = admin.add_user("mallory", "看護\u{202E}子花", "staff").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.errors().iter().any(|e| e.contains("氏名")),
        "{:?}",
        refused.errors()
    );
}
