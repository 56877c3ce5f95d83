//! User administration: add, change, deactivate; the rules that protect the
//! security manager role; one's own password.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};

#[tokio::test]
async fn an_admin_adds_a_user_who_can_then_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let page = admin.add_user("Nurse.Sato", "佐藤 看護師", "staff").await;
    assert_eq!(page.location.as_deref(), Some("/users?done=user_created"));
    let list = admin.get("/users?done=user_created").await;
    assert!(list.text(".notice").contains("利用者を追加しました"));
    assert!(
        list.texts(".login-id").contains(&"nurse.sato".to_owned()),
        "login IDs are folded to lower case"
    );
    let nurse = app.signed_in("nurse.sato").await;
    assert!(nurse.get("/dashboard").await.text(".who").contains("職員"));
}

#[tokio::test]
async fn a_login_id_is_unique_in_its_institution_and_reveals_nothing_of_another() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // A clinic's own server: no institution code is asked or shown.
    let sign_in_page = app.browser().get("/login").await;
    assert!(sign_in_page.attribute("#login_id", "name").is_some());
    assert!(sign_in_page.attribute("#institution", "name").is_none());
    assert!(
        admin
            .get("/institution")
            .await
            .texts("#institution-code")
            .is_empty()
    );
    admin.add_user("tanaka", "田中 一郎", "staff").await;
    let again = admin.add_user("TANAKA", "田中 二郎", "staff").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again
            .errors()
            .iter()
            .any(|e| e.contains("すでに使われています"))
    );

    // Hosted mode: another institution may use the same login ID, and nothing
    // it does tells it that the ID exists elsewhere.
    let other_code = app.create_institution("別の病院", "other-admin").await;
    let other = app.signed_in_at(&other_code, "other-admin").await;
    let added = other.add_user("tanaka", "田中 三郎", "staff").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let names = admin.get("/users").await.texts("#users td");
    assert!(names.contains(&"田中 一郎".to_owned()));
    assert!(!names.contains(&"田中 二郎".to_owned()) && !names.contains(&"田中 三郎".to_owned()));

    // Now the server is shared: sign-in names the institution, each page says
    // which code is one's own, and each "tanaka" is the one of their institution.
    let sign_in_page = app.browser().get("/login?institution=M0001").await;
    assert_eq!(
        sign_in_page.attribute("#institution", "value").as_deref(),
        Some("m0001")
    );
    // Switching language keeps the code filled in.
    let switch = sign_in_page
        .attribute("a.lang", "href")
        .expect("the switch");
    assert_eq!(
        app.browser().get(&switch).await.location.as_deref(),
        Some("/login?institution=M0001")
    );
    let institution_page = admin.get("/institution").await;
    let own_code = institution_page.text("#institution-code");
    assert!(own_code.starts_with("m0001"), "{own_code}");
    let link = institution_page.text("#sign-in-link");
    assert_eq!(link, format!("{}/login?institution=m0001", admin.base));
    let first = app.signed_in_at("m0001", "tanaka").await;
    assert_eq!(
        first.get("/dashboard").await.text(".user-name"),
        "田中 一郎"
    );
    let second = app.signed_in_at(&other_code, "tanaka").await;
    assert_eq!(
        second.get("/dashboard").await.text(".user-name"),
        "田中 三郎"
    );
    for (code, login_id) in [
        ("", "tanaka"),
        ("m9999", "tanaka"),
        ("m0001", "other-admin"),
    ] {
        let refused = app.browser().sign_in_at(code, login_id, PASSWORD).await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{code}/{login_id}"
        );
        assert_eq!(
            refused.attribute("#institution", "value").as_deref(),
            Some(code)
        );
    }

    // A code of the longest length, then more: only the code itself opens.
    let longest = "c".repeat(32);
    let other_id = mamori_domain::institution::InstitutionId::from_db(
        other_code.trim_start_matches('m').parse().expect("an id"),
    );
    mamori_store::institution::set_code_by_operator(
        &app.store,
        other_id,
        &mamori_domain::institution::InstitutionCode::parse(&longest).expect("code"),
        jiff::Timestamp::now(),
    )
    .await
    .expect("set code");
    let padded = format!("{longest}zz");
    assert_eq!(
        app.browser()
            .sign_in_at(&padded, "tanaka", PASSWORD)
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "a code that only begins with a real one"
    );
    app.signed_in_at(&longest, "tanaka").await;
}

#[tokio::test]
async fn bad_user_input_is_refused_field_by_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cases = [
        ("a", "名前", "staff", PASSWORD, "ログインID"),
        ("good-id", "", "staff", PASSWORD, "氏名"),
        ("good-id", "名前", "emperor", PASSWORD, "役割"),
        ("good-id", "名前", "staff", "tooshort", "パスワード"),
        (
            "good-id",
            "名前",
            "staff",
            "good-id-and-more-text",
            "パスワード",
        ),
    ];
    for (login_id, display_name, role, password, expect_label) in cases {
        let fields = [
            ("login_id", login_id.to_owned()),
            ("display_name", display_name.to_owned()),
            ("role", role.to_owned()),
            ("password", password.to_owned()),
        ];
        let page = admin.submit("/users/new", "/users/new", &fields).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(
            page.errors().iter().any(|e| e.starts_with(expect_label)),
            "{expect_label}: {:?}",
            page.errors()
        );
    }
    assert_eq!(
        admin.get("/users").await.texts(".login-id"),
        vec!["admin".to_owned()],
        "nothing was stored"
    );
}

#[tokio::test]
async fn deactivating_a_user_ends_their_session_and_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("leaver", "退職 予定", "staff").await;
    let leaver = app.signed_in("leaver").await;
    assert_eq!(leaver.get("/dashboard").await.status, StatusCode::OK);
    let leaver_id = admin.user_id_of("leaver").await;
    let path = format!("/users/{leaver_id}/edit");
    let page = admin
        .submit(
            &path,
            &path,
            &[
                ("display_name", "退職 予定".into()),
                ("role", "staff".into()),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/users?done=user_updated"));
    assert_eq!(
        leaver.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "the open session ended"
    );
    assert_eq!(
        app.browser().sign_in("leaver", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let list = admin.get("/users").await;
    assert!(
        list.texts("tr.inactive .login-id")
            .contains(&"leaver".to_owned())
    );
}

#[tokio::test]
async fn the_last_security_manager_and_ones_own_account_are_protected() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let admin_id = admin.user_id_of("admin").await;
    let path = format!("/users/{admin_id}/edit");
    let page = admin
        .submit(
            &path,
            &path,
            &[
                ("display_name", "守 太郎".into()),
                ("role", "security_manager".into()),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.errors().iter().any(|e| e.contains("自分自身")),
        "{:?}",
        page.errors()
    );
    admin
        .add_user("deputy", "副 責任者", "security_manager")
        .await;
    let deputy = app.signed_in("deputy").await;
    let page = deputy
        .submit(
            &path,
            &path,
            &[
                ("display_name", "守 太郎".into()),
                ("role", "staff".into()),
                ("active", "on".into()),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "with two security managers one may step down"
    );
    let deputy_id = deputy.user_id_of("deputy").await;
    let deputy_path = format!("/users/{deputy_id}/edit");
    let deputy_admin = app.signed_in("deputy").await;
    assert_eq!(
        deputy_admin
            .submit(
                &deputy_path,
                &deputy_path,
                &[
                    ("display_name", "副 責任者".into()),
                    ("role", "staff".into()),
                    ("active", "on".into())
                ]
            )
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn changing_ones_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    app.set_up().await;
    let here = app.signed_in("admin").await;
    let elsewhere = app.signed_in("admin").await;
    let new_password = "a much better passphrase 2026";
    let wrong = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", "not it".into()),
                ("password", new_password.into()),
                ("password_confirm", new_password.into()),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(
        wrong
            .errors()
            .iter()
            .any(|e| e.contains("現在のパスワード"))
    );
    let page = here
        .submit(
            "/account/password",
            "/account/password",
            &[
                ("current_password", PASSWORD.into()),
                ("password", new_password.into()),
                ("password_confirm", new_password.into()),
            ],
        )
        .await;
    assert_eq!(
        page.location.as_deref(),
        Some("/account/password?done=password_changed")
    );
    assert_eq!(here.get("/dashboard").await.status, StatusCode::OK);
    assert_eq!(
        elsewhere.get("/dashboard").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.browser().sign_in("admin", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.browser().sign_in("admin", new_password).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn ten_character_passwords_need_a_recorded_reason() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let short_but_strong = "Zq7#mK2$vLp";
    let fields = |login_id: &str| {
        [
            ("login_id", login_id.to_owned()),
            ("display_name", "短縮 花子".to_owned()),
            ("role", "staff".to_owned()),
            ("password", short_but_strong.to_owned()),
        ]
    };
    let refused = admin
        .submit("/users/new", "/users/new", &fields("short-one"))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.errors().iter().any(|e| e.contains("13文字以上")),
        "{:?}",
        refused.errors()
    );

    let no_reason = admin
        .submit(
            "/institution",
            "/institution/password-rule",
            &[("min_length", "10".into()), ("reason", " ".into())],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.text(".error-message").contains("理由"));
    let reason = "院内の電子カルテが12文字までしか受け付けないため（ベンダ回答 令和8年10月）";
    let saved = admin
        .submit(
            "/institution",
            "/institution/password-rule",
            &[("min_length", "10".into()), ("reason", reason.into())],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/institution?done=password_rule")
    );
    assert!(
        admin
            .get("/institution")
            .await
            .text("#password-relaxation")
            .contains(reason)
    );
    let accepted = admin
        .submit("/users/new", "/users/new", &fields("short-two"))
        .await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        accepted.errors()
    );
    let audit = admin.get("/audit").await;
    let detail = audit.text("#audit-events tr[data-action='institution.password_rule'] td.detail");
    assert!(
        detail.contains(reason) && detail.contains("\"min_length\":10"),
        "{detail}"
    );
}
