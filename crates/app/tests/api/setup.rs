//! First-run setup: once, from this machine or with the console token, with every bad field named.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, setup_fields, spawn_app, spawn_app_listening_on};

#[tokio::test]
async fn setup_creates_the_institution_and_its_security_manager() {
    let app = spawn_app().await;
    let browser = app.browser();
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/login"));
    assert_eq!(
        browser.get("/login").await.location.as_deref(),
        Some("/setup")
    );
    let page = browser.submit("/setup", "/setup", &setup_fields()).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?done=setup"));
    let login_page = browser.get("/login?done=setup").await;
    assert!(
        login_page
            .text(".notice")
            .contains("初期設定が完了しました")
    );

    let admin = app.signed_in("admin").await;
    let dashboard = admin.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert_eq!(
        dashboard.text("h1.institution-name"),
        "まもり内科クリニック"
    );
    assert!(
        dashboard
            .text(".who")
            .contains("医療情報システム安全管理責任者")
    );
    let institution = admin.get("/institution").await;
    assert_eq!(institution.text("dd.kind"), "無床診療所");
    assert_eq!(institution.text("dd.prefecture"), "徳島県");
}

#[tokio::test]
async fn setup_closes_after_the_first_run() {
    let app = spawn_app().await;
    app.set_up().await;
    let browser = app.browser();
    assert_eq!(
        browser.get("/setup").await.location.as_deref(),
        Some("/login")
    );
    let mut second = setup_fields();
    second[0].1 = "乗っ取り病院".into();
    second[7].1 = "intruder".into();
    let page = browser.submit("/login", "/setup", &second).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.text(".error-message")
            .contains("初期設定はすでに完了しています")
    );
    let institutions = mamori_store::institution::list_all_for_operator(&app.store)
        .await
        .expect("list");
    assert_eq!(institutions.len(), 1);
    assert_eq!(
        browser.sign_in("intruder", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn setup_from_another_machine_needs_the_console_token() {
    let app = spawn_app_listening_on("0.0.0.0:0").await;
    let token = app
        .setup_token
        .clone()
        .expect("a token while setup is open");
    let browser = app.browser();
    let form = browser.get("/setup").await;
    assert!(
        form.attribute("input[name=setup_token]", "name").is_some(),
        "the token field is shown"
    );

    let without = browser.submit("/setup", "/setup", &setup_fields()).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert!(
        without
            .errors()
            .iter()
            .any(|e| e.contains("初期設定トークン"))
    );
    let mut wrong = setup_fields();
    wrong.push(("setup_token", "not-the-token".into()));
    assert_eq!(
        browser.submit("/setup", "/setup", &wrong).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !mamori_store::institution::is_set_up(&app.store)
            .await
            .expect("query")
    );

    let mut right = setup_fields();
    right.push(("setup_token", token));
    assert_eq!(
        browser.submit("/setup", "/setup", &right).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn bad_setup_input_names_each_field_and_stores_nothing() {
    let app = spawn_app().await;
    let browser = app.browser();
    let cases: [(&str, &str, &str); 8] = [
        ("name", "", "名称"),
        ("kind", "castle", "種別"),
        ("bed_count", "5", "病床数"),
        ("prefecture", "江戸", "都道府県"),
        ("phone", "12-34", "電話番号"),
        ("login_id", "管理者", "ログインID"),
        ("password", "short", "パスワード"),
        ("password", "admin-password-long", "パスワード"),
    ];
    for (field, value, expect_label) in cases {
        let mut fields = setup_fields();
        for entry in &mut fields {
            if entry.0 == field {
                entry.1 = value.to_owned();
            }
        }
        if field == "password" {
            fields.retain(|entry| entry.0 != "password_confirm");
            fields.push(("password_confirm", value.to_owned()));
        }
        let page = browser.submit("/setup", "/setup", &fields).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{field}={value}");
        assert!(
            page.errors()
                .iter()
                .any(|error| error.starts_with(expect_label)),
            "{field}={value}: {:?}",
            page.errors()
        );
        // What the person typed is kept, except passwords.
        if field == "name" {
            assert_eq!(
                page.attribute("input[name=address]", "value").as_deref(),
                Some("徳島市幸町1-1")
            );
        }
    }
    let mut mismatch = setup_fields();
    mismatch.retain(|entry| entry.0 != "password_confirm");
    mismatch.push(("password_confirm", "something else entirely".into()));
    let page = browser.submit("/setup", "/setup", &mismatch).await;
    assert!(page.errors().iter().any(|e| e.contains("一致しません")));
    assert!(
        !mamori_store::institution::is_set_up(&app.store)
            .await
            .expect("query"),
        "nothing was stored"
    );
}
