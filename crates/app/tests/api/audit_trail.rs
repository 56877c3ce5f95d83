//! The audit trail page: every sign-in and change, filtered by person, record and date.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn admins_see_failed_sign_ins_with_time_and_source_and_can_filter() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("clerk", "事務 一郎", "staff").await;
    app.browser()
        .sign_in("clerk", "a wrong password indeed")
        .await;

    let page = admin.get("/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    let failure_rows = page.texts("#audit-events tr[data-action='sign_in.failure'] td.actor");
    assert_eq!(
        failure_rows,
        vec!["127.0.0.1".to_owned()],
        "the source address is shown"
    );
    let when = page.text("#audit-events tr[data-action='sign_in.failure'] td.when");
    assert!(
        when.contains("（令和") && when.contains(':'),
        "time in 西暦, 和暦 and clock time: {when}"
    );
    assert!(
        page.texts("#audit-events td.action")
            .contains(&"利用者の追加".to_owned())
    );

    let by_admin = admin.get("/audit?actor=admin").await;
    let actors = by_admin.texts("#audit-events td.actor");
    assert!(
        !actors.is_empty() && actors.iter().all(|actor| actor == "admin"),
        "{actors:?}"
    );
    let clerk_id = admin.user_id_of("clerk").await;
    let by_record = admin.get(&format!("/audit?target=user:{clerk_id}")).await;
    let actions = by_record.texts("#audit-events tr");
    assert!(!actions.is_empty());
    assert!(
        by_record
            .texts("#audit-events td.target")
            .iter()
            .all(|target| *target == format!("利用者 {clerk_id}"))
    );
    assert_eq!(
        by_record.attribute("#audit-events td.target a", "href"),
        Some(format!("/users/{clerk_id}/edit")),
        "a readable target links to its record"
    );
    let all = admin.get("/audit").await;
    let labels = all.texts("#audit-events td.action");
    assert!(
        labels
            .iter()
            .all(|label| !label.contains("不明") && !label.contains("その他")),
        "{labels:?}"
    );

    // By what was done: only that action, the choice kept in the form.
    let failures = admin.get("/audit?action=sign_in.failure").await;
    let codes = failures.attributes("#audit-events tbody tr", "data-action");
    assert!(
        !codes.is_empty() && codes.iter().all(|code| code == "sign_in.failure"),
        "{codes:?}"
    );
    assert_eq!(
        failures
            .attribute("#action option[selected]", "value")
            .as_deref(),
        Some("sign_in.failure")
    );
    let unknown = admin.get("/audit?action=no.such.action").await;
    assert_eq!(
        unknown.texts("#audit-events tbody tr").len(),
        all.texts("#audit-events tbody tr").len(),
        "an unknown action filters nothing"
    );

    let future = admin.get("/audit?from=2099-01-01").await;
    assert!(
        future.texts("#audit-events tbody tr").is_empty(),
        "nothing happened in 2099"
    );
    let bad = admin.get("/audit?from=令和7年13月1日").await;
    assert!(
        bad.errors().iter().any(|error| error.starts_with("開始日")),
        "{:?}",
        bad.errors()
    );
}
