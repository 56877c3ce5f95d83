//! Every role against every route: the server allows exactly what the
//! permission table grants, and a refused change changes nothing.

use mamori_domain::institution::Role;
use mamori_web::ROUTES;
use reqwest::StatusCode;

use crate::helpers::{Browser, spawn_app};

/// Adds one user per role (a second security manager included) and returns (role, login ID).
async fn one_user_per_role(admin: &Browser) -> Vec<(Role, String)> {
    let mut users = vec![(Role::SecurityManager, "admin".to_owned())];
    for role in Role::ALL
        .into_iter()
        .filter(|role| *role != Role::SecurityManager)
    {
        let login_id = format!("user-{}", role.code().replace('_', "-"));
        let page = admin
            .add_user(&login_id, &format!("{} さん", role.name_ja()), role.code())
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
        users.push((role, login_id));
    }
    users
}

#[tokio::test]
async fn each_role_reaches_exactly_the_pages_its_permissions_allow() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let users = one_user_per_role(&admin).await;
    let some_user_id = admin.user_id_of("user-staff").await;
    for (role, login_id) in &users {
        let browser = app.signed_in(login_id).await;
        for route in ROUTES.iter().filter(|route| route.method == "GET") {
            let Some(permission) = route.permission else {
                continue;
            };
            let year = mamori_domain::calendar::FiscalYear::containing(
                jiff::Timestamp::now()
                    .to_zoned_datetime(mamori_web::tokyo())
                    .date(),
            );
            let path = route
                .path
                .replace("{id}", &some_user_id.to_string())
                .replace("{test}", &some_user_id.to_string())
                .replace("{form}", "medical")
                .replace("{year}", &year.to_string())
                .replace("{key}", "ledger");
            let page = browser.get(&path).await;
            let expect = if !role.has(permission) {
                StatusCode::FORBIDDEN
            } else if route.path == "/checklist" {
                // This 年度's checklist of the institution's form.
                StatusCode::SEE_OTHER
            } else if route.path.contains("{id}") && !route.path.starts_with("/users/") {
                // A user's id names no evidence or document: allowed, but not found.
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            assert_eq!(page.status, expect, "{role:?} GET {path}");
            if expect == StatusCode::FORBIDDEN {
                assert!(
                    page.text(".error-message").contains("権限がありません"),
                    "{role:?} GET {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn refused_writes_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let users = one_user_per_role(&admin).await;
    let staff_id = admin.user_id_of("user-staff").await;
    let staff_path = format!("/users/{staff_id}/edit");
    for (role, login_id) in users
        .iter()
        .filter(|(role, _)| *role != Role::SecurityManager)
    {
        let browser = app.signed_in(login_id).await;
        let tries: [(&str, Vec<(&str, String)>); 3] = [
            (
                "/institution/edit",
                vec![
                    ("name", "書き換え".into()),
                    ("kind", "hospital".into()),
                    ("bed_count", "50".into()),
                    ("prefecture", "東京都".into()),
                    ("address", "x".into()),
                    ("phone", "03-1234-5678".into()),
                ],
            ),
            (
                "/users/new",
                vec![
                    (
                        "login_id",
                        format!("made-by-{}", role.code().replace('_', "-")),
                    ),
                    ("display_name", "x".into()),
                    ("role", "staff".into()),
                    ("password", crate::helpers::PASSWORD.into()),
                ],
            ),
            (
                staff_path.as_str(),
                vec![
                    ("display_name", "改名".into()),
                    ("role", "viewer".into()),
                    ("active", "on".into()),
                ],
            ),
        ];
        for (path, fields) in tries {
            let route = ROUTES.iter().find(|r| {
                r.method == "POST" && r.path == path.replace(&staff_id.to_string(), "{id}")
            });
            let permission = route.and_then(|r| r.permission).expect("listed route");
            let page = browser.submit("/account/password", path, &fields).await;
            if role.has(permission) {
                assert_eq!(
                    page.status,
                    StatusCode::SEE_OTHER,
                    "{role:?} POST {path}: {:?}",
                    page.errors()
                );
            } else {
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{role:?} POST {path}");
            }
        }
    }
    // Only the planning manager (who may manage users) changed anything.
    let institution = admin.get("/institution").await;
    assert_eq!(institution.text("dd.name"), "まもり内科クリニック");
    let list = admin.get("/users").await;
    let login_ids = list.texts(".login-id");
    assert!(login_ids.contains(&"made-by-planning-manager".to_owned()));
    for role in ["system-operator", "staff", "viewer", "vendor"] {
        assert!(
            !login_ids.contains(&format!("made-by-{role}")),
            "{role} must not add users"
        );
    }
}

#[tokio::test]
async fn a_planning_manager_cannot_make_or_unmake_a_security_manager() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin
        .add_user("planner", "企画 花子", "planning_manager")
        .await;
    let planner = app.signed_in("planner").await;
    let page = planner
        .add_user("sneaky", "昇格 狙い", "security_manager")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.errors()
            .iter()
            .any(|e| e.contains("安全管理責任者だけが")),
        "{:?}",
        page.errors()
    );
    let admin_id = admin.user_id_of("admin").await;
    let fields = [
        ("display_name", "守 太郎".to_owned()),
        ("role", "staff".to_owned()),
        ("active", "on".to_owned()),
    ];
    let page = planner
        .submit(
            &format!("/users/{admin_id}/edit"),
            &format!("/users/{admin_id}/edit"),
            &fields,
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        admin
            .get("/users")
            .await
            .texts(".login-id")
            .iter()
            .all(|id| id != "sneaky")
    );
}

#[tokio::test]
async fn a_planning_manager_cannot_take_over_a_security_managers_credentials() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin
        .add_user("planner", "企画 花子", "planning_manager")
        .await;
    admin.add_user("clerk", "事務 一郎", "staff").await;
    let admin_id = admin.user_id_of("admin").await;
    let clerk_id = admin.user_id_of("clerk").await;
    let planner = app.signed_in("planner").await;
    let new_password = [("password", "planner chosen passphrase 42".to_owned())];
    for action in ["password", "two-factor/reset", "unlock"] {
        let fields: &[(&str, String)] = if action == "password" {
            &new_password
        } else {
            &[]
        };
        let page = planner
            .submit("/dashboard", &format!("/users/{admin_id}/{action}"), fields)
            .await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{action} on the security manager"
        );
    }
    assert_eq!(
        app.browser()
            .sign_in("admin", crate::helpers::PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // The same actions on ordinary staff are the planning manager's job.
    let page = planner
        .submit(
            "/dashboard",
            &format!("/users/{clerk_id}/password"),
            &new_password,
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/users?done=password_reset"));
}
