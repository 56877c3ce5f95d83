//! Tenant isolation: a user of institution A cannot read, list, change or delete
//! anything of institution B, on any route, by guessing ids or otherwise.

use mamori_web::ROUTES;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};

const B_NAME: &str = "別院総合病院";

#[tokio::test]
async fn no_route_shows_or_changes_another_institutions_records() {
    let app = spawn_app().await;
    let a_admin = app.admin().await;
    a_admin.add_user("a-staff", "甲 職員", "staff").await;
    let b_code = app.create_institution(B_NAME, "b-admin").await;
    let b_admin = app.signed_in_at(&b_code, "b-admin").await;
    b_admin.add_user("b-staff", "乙 職員", "staff").await;
    let b_ids = [
        b_admin.user_id_of("b-admin").await,
        b_admin.user_id_of("b-staff").await,
    ];
    let b_device = b_admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &[
                ("kind", "server".to_owned()),
                ("asset_number", "B-SECRET-SV".to_owned()),
                ("location", "別院サーバ室".to_owned()),
            ],
        )
        .await;
    assert_eq!(
        b_device.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        b_device.errors()
    );
    let b_device_id: i64 = b_device
        .location_path()
        .as_deref()
        .and_then(|path| path.rsplit('/').next())
        .and_then(|id| id.parse().ok())
        .expect("the device's id");
    let b_secrets = [
        B_NAME,
        "b-admin",
        "b-staff",
        "乙 職員",
        "別院 管理者",
        "B-SECRET-SV",
        "別院サーバ室",
    ];

    // B's device, by its own id, on every ledger route that takes one.
    for route in ROUTES
        .iter()
        .filter(|route| route.path.starts_with("/ledger/") && route.path.contains("{id}"))
    {
        let path = route
            .path
            .replace("{id}", &b_device_id.to_string())
            .replace("{test}", &b_device_id.to_string());
        let page = match route.method {
            "GET" => a_admin.get(&path).await,
            // Disposal and restore tests are file uploads (multipart), as the browser sends them.
            _ if path.ends_with("/dispose")
                || path.ends_with("/tests")
                || (path.starts_with("/ledger/remote/") && path.ends_with("/step")) =>
            {
                let fields = [
                    ("disposed_on", "2026-01-01".to_owned()),
                    ("contractor", "x".to_owned()),
                    ("method", "x".to_owned()),
                    ("tested_on", "2026-01-01".to_owned()),
                    ("restored", "x".to_owned()),
                    ("minutes", "10".to_owned()),
                    ("outcome", "success".to_owned()),
                    ("performed_by", "x".to_owned()),
                ];
                a_admin.upload("/dashboard", &path, &fields, &[]).await
            }
            _ => {
                let fields = [
                    ("kind", "pc".to_owned()),
                    ("asset_number", "A-TAKEOVER".to_owned()),
                    ("disposed_on", "2026-01-01".to_owned()),
                    ("contractor", "x".to_owned()),
                    ("method", "x".to_owned()),
                ];
                a_admin.submit("/dashboard", &path, &fields).await
            }
        };
        assert_eq!(
            page.status,
            StatusCode::NOT_FOUND,
            "{} {path}",
            route.method
        );
        for secret in b_secrets {
            assert!(
                !page.body.contains(secret),
                "{} {path} shows B's {secret}",
                route.method
            );
        }
    }

    for b_id in b_ids {
        // Signing out or in again would only change who A's browser is.
        let routes = ROUTES.iter().filter(|route| {
            route.path != "/logout" && !(route.method == "POST" && route.path == "/login")
        });
        for route in routes {
            let path = route
                .path
                .replace("{id}", &b_id.to_string())
                .replace("{test}", &b_id.to_string())
                .replace("{code}", "ja");
            let page = match route.method {
                "GET" => a_admin.get(&path).await,
                _ if path.ends_with("/dispose")
                    || path.ends_with("/tests")
                    || (path.starts_with("/ledger/remote/") && path.ends_with("/step")) =>
                {
                    a_admin.upload("/dashboard", &path, &[], &[]).await
                }
                _ => {
                    let fields = [
                        ("display_name", "乗っ取り".to_owned()),
                        ("role", "viewer".to_owned()),
                        ("name", "乗っ取り".to_owned()),
                        ("kind", "pharmacy".to_owned()),
                        ("bed_count", "0".to_owned()),
                        ("prefecture", "東京都".to_owned()),
                        ("address", "x".to_owned()),
                        ("phone", "03-1234-5678".to_owned()),
                        ("login_id", "a-new-user".to_owned()),
                        ("password", PASSWORD.to_owned()),
                        ("current_password", "wrong".to_owned()),
                        ("password_confirm", "x".to_owned()),
                    ];
                    a_admin.submit("/dashboard", &path, &fields).await
                }
            };
            for secret in b_secrets {
                assert!(
                    !page.body.contains(secret),
                    "{} {path} shows B's {secret}",
                    route.method
                );
            }
            if route.path.contains("{id}") {
                // A route A's admin may not use at all (a vendor's own) is
                // refused before any id is looked at, the same for every id.
                let allowed = route
                    .permission
                    .is_none_or(|p| mamori_domain::institution::Role::SecurityManager.has(p));
                let expect = if allowed {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(page.status, expect, "{} {path}", route.method);
            }
        }
    }
    // B is untouched: its admin still signs in, its staff keeps name, role and access.
    let b_list = app
        .signed_in_at(&b_code, "b-admin")
        .await
        .get("/users")
        .await;
    assert!(b_list.texts(".login-id").contains(&"b-staff".to_owned()));
    assert!(
        b_list
            .texts("tr.active td")
            .iter()
            .any(|cell| cell == "乙 職員")
    );
    assert!(!b_list.body.contains("乗っ取り"));
    assert_eq!(
        app.signed_in_at(&b_code, "b-admin")
            .await
            .get("/institution")
            .await
            .text("dd.name"),
        B_NAME
    );
    let b_device_page = b_admin.get(&format!("/ledger/devices/{b_device_id}")).await;
    assert!(b_device_page.body.contains("別院サーバ室"));
    assert!(!b_device_page.body.contains("A-TAKEOVER"));
    assert!(
        b_device_page.attribute("#disposal", "id").is_none(),
        "not disposed by A"
    );
    // A's institution edit changed A only (the form posted a valid pharmacy).
    assert_eq!(
        a_admin.get("/institution").await.text("dd.name"),
        "乗っ取り"
    );
}

#[tokio::test]
async fn guessing_ids_finds_only_ones_own_users() {
    let app = spawn_app().await;
    let a_admin = app.admin().await;
    app.create_institution(B_NAME, "b-admin").await;
    let own_id = a_admin.user_id_of("admin").await;
    for guess in 1..=12 {
        let page = a_admin.get(&format!("/users/{guess}/edit")).await;
        let expect = if guess == own_id {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(page.status, expect, "/users/{guess}/edit");
    }
    for junk in [
        "0",
        "-1",
        "abc",
        "1;DROP TABLE users",
        "99999999999999999999",
    ] {
        assert_eq!(
            a_admin.get(&format!("/users/{junk}/edit")).await.status,
            StatusCode::NOT_FOUND,
            "{junk}"
        );
    }
}

/// Every record kind a GET route opens by its id — users, devices (and a
/// disposed one's certificate), staff, carry-outs, evidence, vendor documents —
/// filled in institution A as a clinic would, then asked for by B's admin on
/// a shared server: each answers 404 and shows nothing of A.
#[tokio::test]
async fn no_get_route_opens_another_institutions_record_by_its_id() {
    let app = spawn_app().await;
    let a_admin = crate::english::set_up(&app).await;
    let mut ids = crate::english::fill(&app, &a_admin).await;
    crate::english::vendor_answers(&app, &a_admin, &mut ids).await;
    let b_code = app.create_institution(B_NAME, "b-admin").await;
    let b_admin = app.signed_in_at(&b_code, "b-admin").await;
    let mut probed = 0;
    for route in ROUTES
        .iter()
        .filter(|route| route.method == "GET" && route.path.contains("{id}"))
    {
        for path in crate::english::paths(route.path, &ids) {
            let page = b_admin.get(&path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "B opened A's {path}");
            assert!(!page.body.contains("Mamori Clinic"), "{path} names A");
            probed += 1;
        }
    }
    // Users, devices (two pages and the certificate), staff, carry-outs,
    // evidence and vendor documents: nothing was skipped for want of an id.
    assert!(probed >= 8, "{probed} routes probed");

    // Nor can B act on them: approve A's waiting carry-out, remove A's evidence.
    let carry_out = format!("/carry-outs/{}", ids.carry_out);
    let status_before = a_admin.get(&carry_out).await.text("#carry-out-status");
    assert!(!status_before.is_empty(), "A sees its request's status");
    for action in ["approve", "reject", "take", "return"] {
        let stepped = b_admin
            .submit(
                "/dashboard",
                &format!("{carry_out}/step"),
                &[
                    ("action", action.to_owned()),
                    ("encryption_confirmed", "yes".to_owned()),
                ],
            )
            .await;
        assert_eq!(stepped.status, StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(
        a_admin.get(&carry_out).await.text("#carry-out-status"),
        status_before
    );
    let evidence = format!("/evidence/{}", ids.evidence);
    let removed = b_admin
        .submit("/dashboard", &format!("{evidence}/remove"), &[])
        .await;
    assert_eq!(removed.status, StatusCode::NOT_FOUND);
    let (status, _, bytes) = a_admin.get_bytes(&evidence).await;
    assert_eq!(status, StatusCode::OK, "A's evidence is still there");
    assert!(!bytes.is_empty());

    // Nor change A's backup register line or add a restore test to it.
    let line = format!("/ledger/backups/{}", ids.backup);
    let before = a_admin.get(&line).await.text("#plan");
    let changed = b_admin
        .submit(
            "/ledger/backups",
            &line,
            &[
                ("system", "B's".to_owned()),
                ("data", "x".to_owned()),
                ("method", "nas".to_owned()),
                ("frequency", "daily".to_owned()),
                ("generations", "9".to_owned()),
                ("location", "x".to_owned()),
                ("responsible", "x".to_owned()),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::NOT_FOUND);
    let tested = b_admin
        .upload(
            "/ledger/backups",
            &format!("{line}/tests"),
            &[
                ("tested_on", "2026-01-05".to_owned()),
                ("restored", "x".to_owned()),
                ("minutes", "1".to_owned()),
                ("outcome", "success".to_owned()),
                ("performed_by", "x".to_owned()),
            ],
            &[],
        )
        .await;
    assert_eq!(tested.status, StatusCode::NOT_FOUND);
    assert_eq!(a_admin.get(&line).await.text("#plan"), before);
}
