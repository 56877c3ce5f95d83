//! The schedule (issue #15, item 6) over HTTP: one list of what comes due,
//! for the person responsible — the yearly reviews never done are due now,
//! the monthly check follows the policy's day, an expired certificate is
//! overdue — and its next two weeks on the dashboard.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_schedule_gathers_what_comes_due_for_the_person_responsible() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    admin.add_user("vendor", "保守 業者", "vendor").await;

    // Never reviewed: the yearly reviews are due today; no check day without a policy.
    let page = admin.get("/calendar").await;
    assert_eq!(page.status, StatusCode::OK);
    let rows = page.texts("#calendar tbody tr");
    for review in [
        "BCPの見直し",
        "連絡体制図の確認",
        "ネットワーク構成図の見直し",
        "アカウントの棚卸",
    ] {
        assert!(
            rows.iter().any(|r| r.contains(review)),
            "{review} in {rows:?}"
        );
    }
    assert!(
        !rows
            .iter()
            .any(|r| r.contains("毎月のサイバーセキュリティチェック"))
    );

    // The policy's check day gives a line each month.
    let draft = admin.get("/policy/draft").await;
    let mut names = draft.attributes("#policy-answers input[type=radio]", "name");
    names.dedup();
    let mut fields: Vec<(&str, String)> = names
        .iter()
        .map(|name| (name.as_str(), "yes".to_owned()))
        .collect();
    fields.push(("review_month", "4".into()));
    fields.push(("check_day", "1".into()));
    let saved = admin
        .submit("/policy/draft", "/policy/answers", &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let rows = admin.get("/calendar").await.texts("#calendar tbody tr");
    let checks = rows
        .iter()
        .filter(|r| r.contains("毎月のサイバーセキュリティチェック"))
        .count();
    assert!(
        (12..=13).contains(&checks),
        "{checks} monthly checks in {rows:?}"
    );
    assert!(rows.iter().any(|r| r.contains("安全管理方針の見直し")));

    // A vendor's lapsed certificate is overdue, on the calendar and the dashboard.
    let added = admin
        .submit(
            "/vendors",
            "/vendors",
            &[
                ("name", "阿波メディカル株式会社".into()),
                ("systems", "電子カルテ".into()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let vendor_id = admin
        .get("/vendors")
        .await
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("a vendor id");
    let certified = admin
        .submit(
            &format!("/vendors/{vendor_id}/contracts"),
            &format!("/vendors/{vendor_id}/certificates"),
            &[
                ("kind", "isms".into()),
                ("number", "IS-0002".into()),
                ("expires_on", "2025-03-31".into()),
            ],
        )
        .await;
    assert_eq!(
        certified.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        certified.errors()
    );
    let page = admin.get("/calendar").await;
    let overdue = page.texts("#calendar tr.overdue");
    assert!(
        overdue.iter().any(|r| r.contains("阿波メディカル株式会社")),
        "{overdue:?}"
    );
    let soon = admin.get("/dashboard").await.text("#dashboard-schedule");
    assert!(soon.contains("阿波メディカル株式会社"), "{soon}");
    assert!(soon.contains("BCPの見直し"), "{soon}");

    // The same schedule as an iCalendar feed a calendar app subscribes to,
    // without a session; changing the address stops the old one.
    let issued = admin
        .submit("/calendar", "/calendar/feed", &[("action", "issue".into())])
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER);
    let address = admin.get("/calendar").await.text("#feed-address");
    let path = address
        .split_once("/calendar/feed/")
        .map(|(_, token)| format!("/calendar/feed/{token}"))
        .expect("a feed address");
    let anonymous = app.browser();
    let (status, content_type, ics) = anonymous.get_bytes(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    let ics = String::from_utf8(ics).expect("UTF-8").replace("\r\n ", "");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.contains("SUMMARY:BCPの見直し"), "{ics}");
    assert!(ics.contains("阿波メディカル株式会社"), "{ics}");
    let rotated = admin
        .submit("/calendar", "/calendar/feed", &[("action", "issue".into())])
        .await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.get(&path).await.status, StatusCode::NOT_FOUND);
    let revoked = admin
        .submit(
            "/calendar",
            "/calendar/feed",
            &[("action", "revoke".into())],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get("/calendar")
            .await
            .attribute("#feed-address", "id")
            .is_none()
    );
    assert_eq!(
        anonymous.get("/calendar/feed/nonsense").await.status,
        StatusCode::NOT_FOUND
    );

    // Staff see only what is theirs; a vendor's account has no schedule.
    let nurse = app.signed_in("nurse").await;
    let theirs = nurse.get("/calendar").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(
        theirs.attribute("#calendar-none", "id").is_some(),
        "{}",
        theirs.text("main")
    );
    let vendor = app.signed_in("vendor").await;
    assert_eq!(vendor.get("/calendar").await.status, StatusCode::FORBIDDEN);
}
