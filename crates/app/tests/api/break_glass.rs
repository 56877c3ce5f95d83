//! 非常時用アカウント (break-glass, 第4条⑰): a stated reason before anything else, an
//! alert for the 安全管理責任者, and a spent account until its password is reset.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn a_break_glass_use_needs_a_reason_alerts_and_spends_the_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let fields = [
        ("login_id", "emergency".to_owned()),
        ("display_name", "非常時 用".to_owned()),
        ("role", "system_operator".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("break_glass", "on".to_owned()),
    ];
    assert_eq!(
        admin
            .submit("/users/new", "/users/new", &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin.get("/break-glass").await.location.as_deref(),
        Some("/"),
        "ordinary accounts never see it"
    );

    let emergency = app.signed_in("emergency").await;
    assert_eq!(
        emergency.get("/dashboard").await.location.as_deref(),
        Some("/break-glass")
    );
    assert_eq!(
        emergency.get("/users").await.location.as_deref(),
        Some("/break-glass")
    );
    let empty = emergency
        .submit("/break-glass", "/break-glass", &[("reason", "  ".into())])
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let reason = "ランサムウェア感染で管理者端末が使えないため、電子カルテの停止作業を行う";
    let stated = emergency
        .submit("/break-glass", "/break-glass", &[("reason", reason.into())])
        .await;
    assert_eq!(stated.location.as_deref(), Some("/"));
    assert_eq!(
        emergency.get("/dashboard").await.status,
        StatusCode::OK,
        "the session goes on"
    );

    let dashboard = admin.get("/dashboard").await;
    let alert = dashboard.text("#break-glass-alert");
    assert!(
        alert.contains("emergency") && alert.contains(reason),
        "{alert}"
    );
    let audit = admin.get("/audit").await;
    assert!(
        audit
            .text("#audit-events tr[data-action='break_glass.used'] td.detail")
            .contains(reason)
    );

    emergency.submit("/dashboard", "/logout", &[]).await;
    assert_eq!(
        app.browser().sign_in("emergency", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED,
        "spent"
    );
    assert!(
        admin
            .get("/users")
            .await
            .texts(".spent")
            .iter()
            .any(|text| text.contains("再設定待ち"))
    );

    let form = admin.get("/dashboard").await;
    let action = form
        .attribute("#break-glass-alert form", "action")
        .expect("acknowledge form");
    assert_eq!(
        admin
            .submit("/dashboard", &action, &[])
            .await
            .location
            .as_deref(),
        Some("/dashboard?done=saved")
    );
    assert!(
        admin
            .get("/dashboard")
            .await
            .text("#break-glass-alert")
            .is_empty(),
        "acknowledged"
    );

    let emergency_id = admin.user_id_of("emergency").await;
    let new_password = "a fresh standby passphrase 2026";
    let path = format!("/users/{emergency_id}/edit");
    let reset = admin
        .submit(
            &path,
            &format!("/users/{emergency_id}/password"),
            &[("password", new_password.into())],
        )
        .await;
    assert_eq!(
        reset.location.as_deref(),
        Some("/users?done=password_reset")
    );
    let again = app.browser();
    assert_eq!(
        again.sign_in("emergency", new_password).await.status,
        StatusCode::SEE_OTHER,
        "usable again"
    );
    assert_eq!(
        again.get("/dashboard").await.location.as_deref(),
        Some("/break-glass"),
        "and again asks why"
    );
}
