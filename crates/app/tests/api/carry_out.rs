//! Carry-out requests (持ち出し) through HTTP: a member of staff asks, the
//! 企画管理者 approves after confirming encryption, the requester records
//! taking out and return; staff see only their own; overdue is flagged.

use mamori_domain::institution::{LoginId, permissions};
use mamori_domain::ledger::NewCarryOut;
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, spawn_app};

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
}

fn request_fields(what: &str) -> Vec<(&'static str, String)> {
    vec![
        ("what", what.to_owned()),
        ("purpose", "訪問診療".into()),
        ("destination", "患者宅".into()),
        ("out_on", today().to_string()),
        ("return_by", today().to_string()),
        ("encrypted", "yes".into()),
    ]
}

async fn people(app: &TestApp) -> (Browser, Browser, Browser) {
    let admin = app.admin().await;
    for (login_id, role) in [
        ("nurse", "staff"),
        ("clerk", "staff"),
        ("planner", "planning_manager"),
    ] {
        let page = admin
            .add_user(login_id, &format!("{login_id} さん"), role)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
    }
    (
        app.signed_in("nurse").await,
        app.signed_in("clerk").await,
        app.signed_in("planner").await,
    )
}

async fn step(
    browser: &Browser,
    request: &str,
    action: &str,
    confirmed: bool,
) -> crate::helpers::Page {
    let mut fields = vec![("action", action.to_owned())];
    if confirmed {
        fields.push(("encryption_confirmed", "yes".to_owned()));
    }
    // The CSRF token from a page everyone may open: the request's own may be 404.
    browser
        .submit("/dashboard", &format!("{request}/step"), &fields)
        .await
}

#[tokio::test]
async fn a_request_is_approved_taken_and_returned_by_the_right_people() {
    let app = spawn_app().await;
    let (nurse, clerk, planner) = people(&app).await;

    // Bad requests name every field and store nothing.
    let refused = nurse
        .submit(
            "/carry-outs/new",
            "/carry-outs/new",
            &[
                ("what", "".into()),
                ("purpose", "".into()),
                ("out_on", "2020-01-01".into()),
                ("return_by", "令和7年13月1日".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.errors().join("\n");
    for field in ["持ち出す情報・機器", "目的", "持ち出し日", "返却予定日"] {
        assert!(errors.contains(field), "{field} in {errors}");
    }
    let mut unknown_device = request_fields("ノートPC");
    unknown_device.push(("asset_number", "PC-404".into()));
    let refused = nurse
        .submit("/carry-outs/new", "/carry-outs/new", &unknown_device)
        .await;
    assert!(
        refused.errors().iter().any(|e| e.contains("管理番号")),
        "{:?}",
        refused.errors()
    );
    assert!(
        nurse
            .get("/carry-outs")
            .await
            .texts("#carry-outs li")
            .is_empty()
    );

    let created = nurse
        .submit(
            "/carry-outs/new",
            "/carry-outs/new",
            &request_fields("紹介状データ（USBメモリ）"),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        created.errors()
    );
    let request = created.location_path().expect("the request's page");
    assert_eq!(
        nurse.get(&request).await.text("#carry-out-status"),
        "申請中"
    );

    // Another member of staff neither sees nor moves it; the nurse cannot approve it.
    assert_eq!(clerk.get(&request).await.status, StatusCode::NOT_FOUND);
    assert!(
        clerk
            .get("/carry-outs")
            .await
            .texts("#carry-outs li")
            .is_empty()
    );
    assert_eq!(
        step(&clerk, &request, "take", false).await.status,
        StatusCode::NOT_FOUND
    );
    let own = step(&nurse, &request, "approve", true).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(own.errors().iter().any(|e| e.contains("企画管理者")));
    assert_eq!(
        step(&nurse, &request, "take", false).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not before approval"
    );

    // The 企画管理者's dashboard asks for a decision; the nurse's does not.
    assert!(
        planner
            .get("/dashboard")
            .await
            .texts("#next-steps li")
            .iter()
            .any(|s| s.contains("承認を待っている持ち出し申請が 1 件")),
        "{:?}",
        planner.get("/dashboard").await.texts("#next-steps li")
    );
    assert!(
        !nurse
            .get("/dashboard")
            .await
            .body
            .contains("承認を待っている")
    );

    // Approval needs the encryption confirmed.
    assert!(
        planner
            .get("/carry-outs")
            .await
            .texts("#carry-outs li")
            .iter()
            .any(|t| t.contains("紹介状データ"))
    );
    let unconfirmed = step(&planner, &request, "approve", false).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.errors().iter().any(|e| e.contains("暗号化")));
    assert_eq!(
        step(&planner, &request, "approve", true).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&planner, &request, "approve", true).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "once"
    );
    assert_eq!(
        step(&nurse, &request, "take", false).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&nurse, &request, "return", false).await.status,
        StatusCode::SEE_OTHER
    );
    let done = nurse.get(&request).await;
    assert_eq!(done.text("#carry-out-status"), "返却済み");
    assert!(
        done.attribute("#carry-out-step", "action").is_none(),
        "nothing left to do"
    );

    let actions: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|event| event.action.starts_with("carry_out."))
        .map(|event| event.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            "carry_out.return",
            "carry_out.take",
            "carry_out.approve",
            "carry_out.request"
        ]
    );
}

#[tokio::test]
async fn a_request_out_past_its_return_is_flagged_and_the_viewer_only_reads() {
    let app = spawn_app().await;
    let (nurse, _, planner) = people(&app).await;
    // A request made last week (written through the store: the form refuses past days).
    let nurse_principal = mamori_store::people::find_credentials(
        &app.store,
        None,
        &LoginId::parse("nurse").expect("login id"),
    )
    .await
    .expect("query")
    .expect("nurse")
    .principal;
    let grant = nurse_principal
        .grant::<permissions::RequestCarryOut>()
        .expect("staff may ask");
    let week_ago = today()
        .checked_sub(jiff::Span::new().days(7))
        .expect("a date");
    let id = mamori_store::carry_out::request(
        &app.store,
        &grant,
        &NewCarryOut {
            what: "ノートPC".into(),
            asset_number: None,
            purpose: "学会発表".into(),
            destination: "学会会場".into(),
            out_on: week_ago,
            return_by: today().yesterday().expect("a date"),
            encrypted: true,
        },
        jiff::Timestamp::now(),
    )
    .await
    .expect("stored");
    let request = format!("/carry-outs/{id}");
    // The 企画管理者's own request is not counted as waiting for their decision.
    let own = planner
        .submit(
            "/carry-outs/new",
            "/carry-outs/new",
            &request_fields("自分のノートPC"),
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    assert_eq!(
        step(&planner, &request, "approve", true).await.status,
        StatusCode::SEE_OTHER
    );
    // Only the planner's own request is left: nothing waits for their decision.
    assert!(
        !planner
            .get("/dashboard")
            .await
            .body
            .contains("承認を待っている")
    );
    assert_eq!(
        step(&nurse, &request, "take", false).await.status,
        StatusCode::SEE_OTHER
    );
    let page = nurse.get(&request).await;
    assert!(page.text("#overdue").contains("返却予定日を過ぎています"));
    assert!(
        planner
            .get("/carry-outs")
            .await
            .text("#carry-outs li.overdue")
            .contains("返却期限超過")
    );
    for browser in [&nurse, &planner] {
        assert!(
            browser
                .get("/dashboard")
                .await
                .texts("#next-steps li")
                .iter()
                .any(|s| s.contains("返却予定日を過ぎた持ち出しが 1 件")),
            "the dashboard flags the overdue carry-out"
        );
    }

    let admin = app.signed_in("admin").await;
    admin.add_user("inspector", "検査 官", "viewer").await;
    let viewer = app.signed_in("inspector").await;
    assert!(
        viewer
            .get("/carry-outs")
            .await
            .text("#carry-outs")
            .contains("ノートPC")
    );
    assert_eq!(
        viewer.get("/carry-outs/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        step(&viewer, &request, "return", false).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        nurse.get(&request).await.text("#carry-out-status"),
        "持ち出し中"
    );
}
