//! Two-factor authentication: enrolment with TOTP and recovery codes, the second
//! sign-in step, single-use codes, the institution's rule and an admin's reset.

use mamori_domain::institution::TotpSecret;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, spawn_app};

fn now_seconds() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_second()).expect("after 1970")
}

/// Enrols the browser's user and returns the secret and the recovery codes.
/// Also returns the second at which the enrolment code was made, so later codes are
/// derived from it and never depend on where a 30-second boundary falls.
async fn enrol(browser: &Browser) -> (TotpSecret, Vec<String>, u64) {
    let page = browser.get("/account/two-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.attribute("#totp-qr", "src")
            .is_some_and(|src| src.starts_with("data:image/svg+xml;base64,"))
    );
    let secret = TotpSecret::from_stored(page.text("#totp-secret"));
    let wrong = browser
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[("code", "000000".into())],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let enrolled_at = now_seconds();
    let code = secret.code_at(enrolled_at).expect("code");
    let done = browser
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[("code", code)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.errors());
    let recovery_codes = done.texts("#recovery-codes code");
    assert_eq!(recovery_codes.len(), 10);
    (secret, recovery_codes, enrolled_at)
}

async fn password_step(app: &TestApp, login_id: &str) -> Browser {
    let browser = app.browser();
    let page = browser.sign_in(login_id, PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/login/two-factor"));
    browser
}

#[tokio::test]
async fn totp_sign_in_takes_a_fresh_code_and_recovery_codes_work_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (secret, recovery_codes, enrolled_at) = enrol(&admin).await;
    assert!(
        admin
            .get("/account/two-factor")
            .await
            .text("#two-factor-status")
            .contains("有効")
    );

    let browser = password_step(&app, "admin").await;
    assert_eq!(
        browser.get("/dashboard").await.location.as_deref(),
        Some("/login/two-factor"),
        "half signed in is not signed in"
    );
    let enrolment_code = secret.code_at(enrolled_at).expect("code");
    let replay = browser
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", enrolment_code)],
        )
        .await;
    assert_eq!(
        replay.status,
        StatusCode::UNAUTHORIZED,
        "the code used at enrolment cannot be used again"
    );
    let next_code = secret.code_at(enrolled_at + 30).expect("code");
    let page = browser
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", next_code.clone())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.headers.get("set-cookie").is_some(),
        "a new session token after the second factor"
    );
    assert_eq!(browser.get("/dashboard").await.status, StatusCode::OK);

    let other = password_step(&app, "admin").await;
    let page = other
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", next_code)],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "a code is accepted once"
    );
    let recovery = recovery_codes[0].to_lowercase().replace('-', " ");
    let page = other
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", recovery.clone())],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "a recovery code, typed loosely, works"
    );
    let third = password_step(&app, "admin").await;
    let page = third
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", recovery)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED, "but only once");
}

#[tokio::test]
async fn the_institution_can_require_two_factor_and_an_admin_can_reset_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    let nurse_id = admin.user_id_of("nurse").await;
    let page = admin
        .submit(
            "/institution",
            "/institution/two-factor",
            &[("two_factor_policy", "everyone".into())],
        )
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/institution?done=two_factor_policy")
    );
    // The rule applies to the admin who set it, too.
    assert_eq!(
        admin.get("/users").await.location.as_deref(),
        Some("/account/two-factor")
    );
    enrol(&admin).await;

    let nurse = app.signed_in("nurse").await;
    assert_eq!(
        nurse.get("/dashboard").await.location.as_deref(),
        Some("/account/two-factor")
    );
    let enrol_page = nurse.get("/account/two-factor").await;
    assert!(enrol_page.text(".errors").contains("必須"));
    enrol(&nurse).await;
    assert_eq!(nurse.get("/dashboard").await.status, StatusCode::OK);

    // The nurse lost her phone: the admin resets, and she signs in with the password alone
    // (and is asked to enrol again, because the rule still applies).
    let path = format!("/users/{nurse_id}/edit");
    let reset = admin
        .submit(&path, &format!("/users/{nurse_id}/two-factor/reset"), &[])
        .await;
    assert_eq!(
        reset.location.as_deref(),
        Some("/users?done=two_factor_reset")
    );
    let again = app.browser();
    assert_eq!(
        again.sign_in("nurse", PASSWORD).await.location.as_deref(),
        Some("/")
    );
    assert_eq!(
        again.get("/dashboard").await.location.as_deref(),
        Some("/account/two-factor")
    );
    assert_eq!(
        admin
            .submit(
                "/institution",
                "/institution/two-factor",
                &[("two_factor_policy", "sometimes".into())]
            )
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    enrol(&admin).await;
    let browser = password_step(&app, "admin").await;
    for attempt in 1..=4 {
        let page = browser
            .submit(
                "/login/two-factor",
                "/login/two-factor",
                &[("code", "123456".into())],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let fifth = browser
        .submit(
            "/login/two-factor",
            "/login/two-factor",
            &[("code", "123456".into())],
        )
        .await;
    assert_eq!(
        fifth.location.as_deref(),
        Some("/login"),
        "the lock ends the half-open session"
    );
    assert_eq!(
        app.browser().sign_in("admin", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "locked"
    );
}

#[tokio::test]
async fn a_right_password_between_wrong_codes_does_not_reset_the_count() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    enrol(&admin).await;
    // Right password, four wrong codes, again: the count goes on from four.
    let mut locked_out = false;
    'rounds: for round in 1..=3 {
        let browser = app.browser();
        let page = browser.sign_in("admin", PASSWORD).await;
        if page.location.as_deref() != Some("/login/two-factor") {
            assert_eq!(page.status, StatusCode::UNAUTHORIZED, "round {round}");
            locked_out = true;
            break;
        }
        for attempt in 1..=4 {
            let page = browser
                .submit(
                    "/login/two-factor",
                    "/login/two-factor",
                    &[("code", "123456".into())],
                )
                .await;
            if page.location.as_deref() == Some("/login") {
                locked_out = true;
                break 'rounds;
            }
            assert_eq!(
                page.status,
                StatusCode::UNAUTHORIZED,
                "round {round}, attempt {attempt}"
            );
        }
    }
    assert!(
        locked_out,
        "wrong codes after a right password never locked"
    );
    assert_eq!(
        app.browser().sign_in("admin", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "locked"
    );
    let failures: Vec<_> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|event| event.action == "sign_in.failure")
        .collect();
    assert!(
        failures
            .iter()
            .any(|event| event.detail.contains("wrong_second_factor")),
        "{failures:?}"
    );
}

#[tokio::test]
async fn totp_secrets_are_sealed_in_the_database() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (secret, _, _) = enrol(&admin).await;
    let stored = crate::helpers::raw_text_column(
        &app,
        "SELECT totp_secret FROM users WHERE login_id = 'admin'",
    )
    .await;
    assert!(stored.starts_with("sealed1:"), "{stored}");
    assert!(!stored.contains(secret.as_base32()), "{stored}");
    // And the sealed secret still signs in.
    let browser = password_step(&app, "admin").await;
    let code = secret.code_at(now_seconds() + 30).expect("code");
    let page = browser
        .submit("/login/two-factor", "/login/two-factor", &[("code", code)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn turning_two_factor_off_with_wrong_passwords_counts_towards_the_lockout() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    enrol(&admin).await;
    let mut signed_out = false;
    for attempt in 1..=5 {
        let page = admin
            .submit(
                "/account/two-factor",
                "/account/two-factor/disable",
                &[("current_password", format!("wrong guess {attempt}"))],
            )
            .await;
        if page.location.as_deref() == Some("/login") {
            signed_out = true;
            break;
        }
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "attempt {attempt}");
    }
    assert!(signed_out, "the fifth wrong password locks and signs out");
    assert_eq!(
        app.browser().sign_in("admin", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "locked"
    );
    let events = app.audit_events().await;
    let guesses = events
        .iter()
        .filter(|event| event.action == "reauth.failure")
        .count();
    assert_eq!(guesses, 5, "every wrong guess is audited");
    assert!(events.iter().any(|event| event.action == "user.locked"));
}
