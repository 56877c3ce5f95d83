//! Lockout: consecutive failures lock an account; locked, unknown and wrong get the
//! same answer; administrators see the lock and lift it.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn five_failures_lock_the_account_and_an_admin_unlocks_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    let attacker = app.browser();
    for attempt in 1..=5 {
        let page = attacker
            .sign_in("nurse", &format!("guess number {attempt} is wrong"))
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let locked = app.browser().sign_in("nurse", PASSWORD).await;
    let unknown = app.browser().sign_in("nobody-here", PASSWORD).await;
    let wrong = app
        .browser()
        .sign_in("admin", "not the admin password")
        .await;
    assert_eq!(
        locked.status,
        StatusCode::UNAUTHORIZED,
        "the right password is refused while locked"
    );
    assert_eq!(
        locked.text(".errors"),
        unknown.text(".errors"),
        "locked and unknown look the same"
    );
    assert_eq!(
        locked.text(".errors"),
        wrong.text(".errors"),
        "locked and wrong look the same"
    );

    let list = admin.get("/users").await;
    assert!(
        list.texts("tr .locked").contains(&"ロック中".to_owned()),
        "admins see the lock"
    );
    let nurse_id = admin.user_id_of("nurse").await;
    let edit = admin.get(&format!("/users/{nurse_id}/edit")).await;
    assert!(edit.text(".locked-notice").contains("ロックされています"));
    let unlocked = admin
        .submit(
            &format!("/users/{nurse_id}/edit"),
            &format!("/users/{nurse_id}/unlock"),
            &[],
        )
        .await;
    assert_eq!(
        unlocked.location.as_deref(),
        Some("/users?done=user_unlocked")
    );
    assert_eq!(
        app.browser().sign_in("nurse", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn failures_are_counted_only_consecutively_and_recorded_with_their_source() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("clerk", "事務 一郎", "staff").await;
    let browser = app.browser();
    for _ in 0..4 {
        browser.sign_in("clerk", "wrong password, again").await;
    }
    assert_eq!(
        browser.sign_in("clerk", PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "four failures do not lock"
    );
    for _ in 0..4 {
        app.browser()
            .sign_in("clerk", "wrong password, again")
            .await;
    }
    assert_eq!(
        app.browser().sign_in("clerk", PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "the success reset the count"
    );

    let events = app.audit_events().await;
    let failures: Vec<_> = events
        .iter()
        .filter(|event| event.action == "sign_in.failure")
        .collect();
    assert_eq!(failures.len(), 8);
    assert!(
        failures.iter().all(
            |event| event.actor_label == "127.0.0.1" && event.detail.contains("wrong_password")
        )
    );
    assert!(!events.iter().any(|event| event.action == "user.locked"));
}

#[tokio::test]
async fn only_user_managers_may_unlock() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin
        .add_user("operator", "運用 担当", "system_operator")
        .await;
    let admin_id = admin.user_id_of("admin").await;
    let operator = app.signed_in("operator").await;
    let page = operator
        .submit("/dashboard", &format!("/users/{admin_id}/unlock"), &[])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = admin
        .submit("/dashboard", "/users/999999/unlock", &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_address() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = app.browser();
    // 30 a minute per address: spread over unknown IDs so no account locks first.
    for attempt in 0..30 {
        let page = browser
            .sign_in(&format!("guess-{attempt}"), "whatever it is")
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let page = browser.sign_in("admin", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text(".error-message").contains("1分ほど待って"));
}

#[tokio::test]
async fn guessing_the_current_password_on_the_password_page_locks_the_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("clerk", "事務 花子", "staff").await;
    // A failed sign-in says how the lock works and whom to ask, whatever the cause.
    let failed = app.browser().sign_in("clerk", "not the password").await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    let help = failed.text("#lockout-help");
    for expected in ["5回", "15分間", "安全管理責任者"] {
        assert!(help.contains(expected), "{expected} in {help}");
    }
    let clerk = app.signed_in("clerk").await;
    let mut signed_out = false;
    for attempt in 1..=5 {
        let page = clerk
            .submit(
                "/account/password",
                "/account/password",
                &[
                    ("current_password", format!("guess number {attempt}")),
                    ("password", "a brand new passphrase 2026".into()),
                    ("password_confirm", "a brand new passphrase 2026".into()),
                ],
            )
            .await;
        if page.location.as_deref() == Some("/login") {
            signed_out = true;
            break;
        }
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
    }
    assert!(
        signed_out,
        "the fifth wrong guess locks and ends the session"
    );
    assert_eq!(
        clerk.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "the session is gone"
    );
    assert_eq!(
        app.browser().sign_in("clerk", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "locked, so even the right password is refused"
    );
    let events = app.audit_events().await;
    assert_eq!(
        events
            .iter()
            .filter(|event| event.action == "reauth.failure")
            .count(),
        5
    );
}
