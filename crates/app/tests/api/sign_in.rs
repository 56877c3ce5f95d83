//! Sign-in and sign-out with Argon2id passwords and server-side sessions.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::helpers::{PASSWORD, spawn_app};

fn session_cookie(page: &crate::helpers::Page) -> String {
    page.headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("mamori_session="))
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = app.browser();
    let wrong_password = browser.sign_in("admin", "not the password at all").await;
    let unknown_user = browser.sign_in("nobody", PASSWORD).await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.text(".errors"), unknown_user.text(".errors"));
    assert!(
        wrong_password
            .text(".errors")
            .starts_with("ログインIDまたはパスワードが正しくありません。"),
        "{}",
        wrong_password.text(".errors")
    );
    assert_eq!(
        browser.get("/dashboard").await.location.as_deref(),
        Some("/login?next=/dashboard")
    );
}

#[tokio::test]
async fn the_session_cookie_is_new_at_every_sign_in_and_http_only() {
    let app = spawn_app().await;
    app.set_up().await;
    let first = app.browser().sign_in("admin", PASSWORD).await;
    let second = app.browser().sign_in("admin", PASSWORD).await;
    assert_ne!(session_cookie(&first), session_cookie(&second));
    let header = first
        .headers
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        header.contains("HttpOnly") && header.contains("SameSite=Lax"),
        "{header}"
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = app.browser();
    let signed_in = browser.sign_in("admin", PASSWORD).await;
    let cookie = session_cookie(&signed_in);
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);
    let out = browser.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/login?done=signed_out"));
    // Replaying the old cookie from elsewhere does not bring the session back.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/dashboard", app.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = app.browser();
    assert_eq!(
        browser.get("/users").await.location.as_deref(),
        Some("/login?next=/users")
    );
    let fields = [
        ("login_id", "admin".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("next", "/users".to_owned()),
    ];
    let page = browser.submit("/login", "/login", &fields).await;
    assert_eq!(page.location.as_deref(), Some("/users"));
    let evil = app.browser();
    let fields = [
        ("login_id", "admin".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("next", "//evil.example/".to_owned()),
    ];
    assert_eq!(
        evil.submit("/login", "/login", &fields)
            .await
            .location
            .as_deref(),
        Some("/")
    );
}

#[tokio::test]
async fn sign_in_attempts_are_in_the_audit_trail() {
    let app = spawn_app().await;
    app.set_up().await;
    app.browser()
        .sign_in("admin", "wrong wrong wrong wrong")
        .await;
    app.browser().sign_in("admin", PASSWORD).await;
    let n_failures: i64 = count_events(&app, "sign_in.failure").await;
    let n_successes: i64 = count_events(&app, "sign_in.success").await;
    assert_eq!((n_failures, n_successes), (1, 1));
}

async fn count_events(app: &crate::helpers::TestApp, action: &str) -> i64 {
    app.audit_events()
        .await
        .iter()
        .filter(|event| event.action == action)
        .count() as i64
}
