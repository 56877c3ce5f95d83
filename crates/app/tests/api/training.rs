//! Training and drills (issue #15) over HTTP: sessions with attendees from
//! the staff ledger, each person's last session and whether they are due,
//! drills with their scenario; bad input refused by field, nothing stored.

use reqwest::StatusCode;

use crate::helpers::{Browser, spawn_app};

async fn add_staff(admin: &Browser, name: &str, joined_on: &str) {
    let added = admin
        .submit(
            "/ledger/staff",
            "/ledger/staff",
            &[
                ("name", name.into()),
                ("job", "nurse".into()),
                ("joined_on", joined_on.into()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
}

fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
        .to_string()
}

#[tokio::test]
async fn sessions_record_who_attended_and_clear_who_was_due() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("inspector", "保健所 太郎", "viewer").await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    add_staff(&admin, "看護 花子", "2020-04-01").await;
    add_staff(&admin, "受付 一郎", "2021-04-01").await;
    add_staff(&admin, "新人 三郎", "2099-04-01").await;

    // Everyone who joined and was never trained is due; the future hire is not.
    let page = admin.get("/training").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attribute("#training-none", "id").is_some());
    assert_eq!(
        page.attributes("#training-people tr.overdue", "id").len(),
        2
    );
    let steps = admin.get("/dashboard").await.texts("#next-steps li");
    assert!(
        steps
            .iter()
            .any(|s| s.contains("研修を受けていない職員が 2 人")),
        "{steps:?}"
    );
    assert_eq!(
        page.attributes("#training-attendees input", "value").len(),
        3
    );
    let id_of = |name: &str| {
        page.attributes("#training-people tr.person", "id")
            .into_iter()
            .find(|id| page.text(&format!("#{id}")).contains(name))
            .and_then(|id| id.strip_prefix("person-").map(str::to_owned))
            .expect("a row for the name")
    };
    let (hanako, ichiro) = (id_of("看護 花子"), id_of("受付 一郎"));

    // Bad input: named by field, nothing stored.
    let refused = admin
        .submit(
            "/training",
            "/training",
            &[
                ("held_on", "2099-01-01".into()),
                ("kind", "phishing".into()),
                ("topic", "標的型メール訓練".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.errors().join(" ");
    for field in ["実施日", "訓練のシナリオ", "出席者"] {
        assert!(errors.contains(field), "{field} in {errors}");
    }
    assert_eq!(
        refused.attribute("#topic", "value").as_deref(),
        Some("標的型メール訓練"),
        "the form keeps what was typed"
    );
    let unknown = admin
        .submit(
            "/training",
            "/training",
            &[
                ("held_on", today()),
                ("kind", "yearly".into()),
                ("topic", "情報セキュリティ研修".into()),
                ("attendees", "99999".into()),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown
            .errors()
            .join(" ")
            .contains("職員台帳に見つかりません")
    );
    assert!(
        admin
            .get("/training")
            .await
            .attribute("#training-none", "id")
            .is_some()
    );

    // A yearly session for two, and a drill with its scenario.
    let held = admin
        .submit(
            "/training",
            "/training",
            &[
                ("held_on", today()),
                ("kind", "yearly".into()),
                ("topic", "情報セキュリティ研修".into()),
                ("content", "パスワード、USBメモリ、不審メール".into()),
                ("attendees", hanako.clone()),
                ("attendees", ichiro.clone()),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{:?}", held.errors());
    let drill = admin
        .submit(
            "/training",
            "/training",
            &[
                ("held_on", today()),
                ("kind", "phishing".into()),
                ("topic", "標的型メール訓練".into()),
                ("scenario", "請求書を装ったメールの添付ファイル".into()),
                ("lessons", "2人が開封。報告の手順を再周知".into()),
                ("attendees", hanako.clone()),
            ],
        )
        .await;
    assert_eq!(drill.status, StatusCode::SEE_OTHER);
    let shown = admin
        .get(drill.location.as_deref().unwrap_or_default())
        .await;
    assert!(shown.text("#training-scenario").contains("請求書を装った"));
    assert!(shown.text("#training-lessons").contains("報告の手順"));
    assert_eq!(shown.texts("#training-attendee-list li").len(), 1);
    let page = admin.get("/training").await;
    assert!(
        page.attributes("#training-people tr.overdue", "id")
            .is_empty()
    );
    assert_eq!(page.texts("#training-sessions tbody tr").len(), 2);
    assert_eq!(
        page.attributes("#training-sessions tr.drill", "class")
            .len(),
        1
    );
    let steps = admin.get("/dashboard").await.texts("#next-steps li");
    assert!(
        !steps.iter().any(|s| s.contains("研修を受けていない")),
        "{steps:?}"
    );
    // The Tokushima list's items on drills and education show the records.
    let tokushima = admin.get("/tokushima").await;
    let drill_item = tokushima.text("tr.tokushima-item[data-item='17'] .training-evidence");
    assert!(
        drill_item.contains("最後の標的型メール訓練"),
        "{drill_item}"
    );
    let education = tokushima.text("tr.tokushima-item[data-item='20'] .training-evidence");
    assert!(education.contains("最後の研修"), "{education}");

    // The inspector reads; staff do not; neither records.
    let inspector = app.signed_in("inspector").await;
    assert_eq!(inspector.get("/training").await.status, StatusCode::OK);
    assert!(
        inspector
            .get("/training")
            .await
            .attribute("#training-form", "id")
            .is_none()
    );
    let refused = inspector
        .submit("/training", "/training", &[("topic", "x".into())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let nurse = app.signed_in("nurse").await;
    assert_eq!(nurse.get("/training").await.status, StatusCode::FORBIDDEN);
    let added: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a == "training.add")
        .collect();
    assert_eq!(added.len(), 2);
}
