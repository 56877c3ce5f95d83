//! Incidents (issue #12) over HTTP: anyone reports from the form with a
//! photo and is told what to do now; those who handle incidents see a red
//! banner until someone takes it; the response is recorded on an append-only
//! timeline; bad input is refused by field with nothing stored.

use reqwest::StatusCode;
use sha2::Digest;

use crate::helpers::{Browser, spawn_app};

fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(b"JFIF a photo of a ransom note");
    bytes
}

async fn report(
    browser: &Browser,
    fields: &[(&str, String)],
    files: &[(&str, &str, Vec<u8>)],
) -> crate::helpers::Page {
    browser
        .upload("/incidents/report", "/incidents/report", fields, files)
        .await
}

#[tokio::test]
async fn a_staff_report_with_a_photo_raises_the_banner_until_someone_takes_charge() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    admin.add_user("inspector", "保健所 太郎", "viewer").await;
    let nurse = app.signed_in("nurse").await;

    // The form is one tap away from every page and knows the reporter.
    let form = nurse.get("/incidents/report").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.attribute("#reporter", "value").as_deref(),
        Some("看護 花子")
    );
    assert_eq!(
        form.attribute("#photos", "capture").as_deref(),
        Some("environment")
    );
    assert!(
        form.text("#do-not-switch-off")
            .contains("電源は切らないでください")
    );
    assert!(
        admin
            .get("/dashboard")
            .await
            .attribute("#incident-alert", "id")
            .is_none()
    );

    let sent = report(
        &nurse,
        &[
            // What the form holds already (the helper posts only what it is given).
            ("reporter", "看護 花子".into()),
            ("place", "受付".into()),
            ("device_name", "受付PC".into()),
            ("pattern_1", "1".into()),
            ("pattern_2", "1".into()),
            ("details", "画面に英語の脅迫文".into()),
            ("cut_network", "1".into()),
            ("called_planner", "1".into()),
            ("called_planner_at", "00:00".into()),
        ],
        &[("photos", "screen.jpg", jpeg())],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.errors());
    let next = sent.location.clone().unwrap_or_default();
    assert!(next.starts_with("/incidents/reported?n="), "{next}");
    let number = next.rsplit('=').next().unwrap_or_default().to_owned();

    // The reporter is told what to do now (manual III).
    let told = nurse.get(&next).await;
    assert_eq!(told.status, StatusCode::OK);
    assert_eq!(told.text("#report-number"), format!("#{number}"));
    let steps = told.texts("#what-to-do li");
    assert!(
        steps.iter().any(|s| s.contains("電源は停止しない")),
        "{steps:?}"
    );
    assert!(steps.iter().any(|s| s.contains("企画管理者")), "{steps:?}");
    // Staff may report but not read the incidents.
    assert_eq!(nurse.get("/incidents").await.status, StatusCode::FORBIDDEN);
    assert!(
        nurse
            .get("/dashboard")
            .await
            .attribute("#incident-alert", "id")
            .is_none()
    );

    // The security manager sees the red banner on every page.
    for page in ["/dashboard", "/ledger/devices", "/incidents"] {
        let shown = admin.get(page).await;
        assert!(
            shown.text("#incident-alert").contains("1 件"),
            "{page}: {}",
            shown.text("#incident-alert")
        );
    }
    let incident = format!("/incidents/{number}");
    let page = admin.get(&incident).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#incident-status"), "報告");
    assert!(page.body.contains("脅迫文が表示された。"));
    assert!(page.body.contains("受付PC"));
    let file = page.attributes("#files a", "href");
    assert_eq!(file.len(), 1, "the photo is kept");
    let (status, _, bytes) = admin.get_bytes(&file[0]).await;
    assert_eq!((status, bytes), (StatusCode::OK, jpeg()));
    let sum = mamori_store::hex(&sha2::Sha256::digest(jpeg()));
    assert!(
        page.text("#files").contains(&sum),
        "the photo's SHA-256 is shown"
    );

    // The inspector reads it, without the forms, and cannot change it.
    let inspector = app.signed_in("inspector").await;
    let read = inspector.get(&incident).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.attribute("#take-charge", "id").is_none());
    let refused = inspector
        .submit(&incident, &incident, &[("action", "take_charge".into())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Taking charge clears the banner; each step is on the timeline.
    for fields in [
        vec![("action", "take_charge".to_owned())],
        vec![
            ("action", "status".to_owned()),
            ("value", "investigating".to_owned()),
        ],
        vec![
            ("action", "severity".to_owned()),
            ("value", "critical".to_owned()),
        ],
        vec![
            ("action", "step_na".to_owned()),
            ("step", "II-4-1".to_owned()),
            ("text", "メール由来ではない".to_owned()),
        ],
        vec![
            ("action", "note".to_owned()),
            ("text", "ベンダへ電話した".to_owned()),
        ],
    ] {
        let done = admin.submit(&incident, &incident, &fields).await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "{fields:?}: {:?}",
            done.errors()
        );
    }
    assert!(
        admin
            .get("/dashboard")
            .await
            .attribute("#incident-alert", "id")
            .is_none()
    );
    // The 対策会議 is recorded with its decisions; one without attendees is refused.
    let refused = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "meeting".to_owned()),
                ("care", "継続".to_owned()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.errors().join(" ").contains("出席者"));
    let met = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "meeting".to_owned()),
                ("convened_time", "00:00".to_owned()),
                ("attendees", "院長、事務長、ベンダ".to_owned()),
                ("care", "紙カルテで外来を継続。新患は受けない".to_owned()),
                ("recovery", "前日のバックアップから復旧可能".to_owned()),
                ("leak", "調査中".to_owned()),
                ("containment", "全端末のLANを切断".to_owned()),
                ("told_staff", "朝礼で周知".to_owned()),
                ("told_patients", "受付に掲示".to_owned()),
            ],
        )
        .await;
    assert_eq!(met.status, StatusCode::SEE_OTHER, "{:?}", met.errors());
    let page = admin.get(&incident).await;
    let meeting = page.text(".meeting");
    assert!(
        meeting.contains("紙カルテで外来を継続") && meeting.contains("受付に掲示"),
        "{meeting}"
    );
    assert_eq!(page.text("#incident-status"), "調査中");
    assert_eq!(page.text("#incident-severity"), "緊急");
    assert_eq!(page.text("#incident-lead"), "守 太郎");
    let timeline = page.texts("#timeline .what");
    assert_eq!(timeline.len(), 8, "{timeline:?}");
    assert!(page.text("#step-II-4-1 .step-state").contains("該当なし"));

    // Bad handling is refused with nothing added: an unknown step, an empty note.
    for fields in [
        vec![
            ("action", "step_done".to_owned()),
            ("step", "II-99-9".to_owned()),
        ],
        vec![("action", "note".to_owned()), ("text", "  ".to_owned())],
        vec![
            ("action", "status".to_owned()),
            ("value", "gone".to_owned()),
        ],
    ] {
        let refused = admin.submit(&incident, &incident, &fields).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        assert!(!refused.errors().is_empty());
    }
    assert_eq!(admin.get(&incident).await.texts("#timeline .what").len(), 8);
    assert_eq!(
        admin.get("/incidents/999999").await.status,
        StatusCode::NOT_FOUND
    );
}

/// (what is wrong, fields, files, a word the error names).
type Case = (
    &'static str,
    Vec<(&'static str, String)>,
    Vec<(&'static str, &'static str, Vec<u8>)>,
    &'static str,
);

#[tokio::test]
async fn bad_reports_are_refused_by_field_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let tomorrow = (jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
        .tomorrow()
        .expect("a date"))
    .to_string();
    let name = ("reporter", "守 太郎".to_owned());
    let what = ("pattern_1", "1".to_owned());
    let cases: Vec<Case> = vec![
        ("an empty report", vec![name.clone()], vec![], "詳しい状況"),
        (
            "a future day",
            vec![name.clone(), what.clone(), ("noticed_on", tomorrow)],
            vec![],
            "気づいた日",
        ),
        (
            "a photo that is not an image",
            vec![name.clone(), what.clone()],
            vec![("photos", "photo.jpg", b"%PDF-1.7 not a photo".to_vec())],
            "photo.jpg",
        ),
        (
            "a photo of 10 MB + 1 byte",
            vec![name.clone(), what.clone()],
            vec![("photos", "big.jpg", {
                let mut big = jpeg();
                big.resize(10 * 1024 * 1024 + 1, 0);
                big
            })],
            "big.jpg",
        ),
        (
            "an unknown device",
            vec![
                name.clone(),
                what.clone(),
                ("asset_number", "PC-NONE".to_owned()),
            ],
            vec![],
            "管理番号",
        ),
        ("no name", vec![what.clone()], vec![], "報告者の氏名"),
    ];
    for (case, fields, files, names) in cases {
        let refused = report(&admin, &fields, &files).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        let errors = refused.errors().join(" ");
        assert!(errors.contains(names), "{case}: {errors}");
    }
    let list = admin.get("/incidents").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.attribute("#no-incidents", "id").is_some(),
        "nothing was stored"
    );
    assert!(
        admin
            .get("/dashboard")
            .await
            .attribute("#incident-alert", "id")
            .is_none()
    );
}

#[tokio::test]
async fn the_personal_data_assessment_starts_the_ppc_clock_and_a_missed_deadline_shows_red() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    let known = today
        .checked_sub(jiff::Span::new().days(40))
        .expect("a date");
    let sent = report(
        &admin,
        &[
            ("reporter", "守 太郎".to_owned()),
            ("noticed_on", known.to_string()),
            ("pattern_13", "1".to_owned()),
        ],
        &[],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.errors());
    let number = sent
        .location
        .as_deref()
        .and_then(|l| l.rsplit('=').next())
        .unwrap_or_default()
        .to_owned();
    let incident = format!("/incidents/{number}");
    let page = admin.get(&incident).await;
    assert!(page.text("#ppc-verdict").contains("まだ評価していません"));
    assert!(page.attribute("#ppc-deadlines", "id").is_none());

    // Patient data, no attack: 30 days from the day known, 40 days ago: overdue.
    let assessed = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "assessment".to_owned()),
                ("personal_data", "1".to_owned()),
                ("sensitive", "1".to_owned()),
                ("people", "12".to_owned()),
            ],
        )
        .await;
    assert_eq!(
        assessed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        assessed.errors()
    );
    let page = admin.get(&incident).await;
    assert!(
        page.text("#ppc-verdict").contains("第1号"),
        "{}",
        page.text("#ppc-verdict")
    );
    let rows = page.texts("#ppc-deadlines tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[1].contains("超過"), "{rows:?}");
    assert_eq!(
        page.attributes("#ppc-deadlines tr.overdue", "class").len(),
        2
    );
    let expected = mamori_domain::incident::deadline::Deadlines::counted_from(known, 30).final_by;
    assert!(
        rows[1].contains(&mamori_domain::calendar::format_date_ja(expected)),
        "{rows:?}"
    );

    // The dashboard counts the same deadlines down, missed ones in red.
    let dashboard = admin.get("/dashboard").await;
    let rows = dashboard.texts("#dashboard-ppc-deadlines tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        dashboard
            .attributes("#dashboard-ppc-deadlines tr.overdue", "class")
            .len(),
        2
    );
    assert!(rows[1].contains(&format!("#{number}")), "{rows:?}");

    // A correction, as a new entry: an attack may be the cause, so 60 days.
    let corrected = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "assessment".to_owned()),
                ("personal_data", "1".to_owned()),
                ("sensitive", "1".to_owned()),
                ("wrongful_purpose", "1".to_owned()),
                ("people", "12".to_owned()),
            ],
        )
        .await;
    assert_eq!(corrected.status, StatusCode::SEE_OTHER);
    let page = admin.get(&incident).await;
    let rows = page.texts("#ppc-deadlines tr");
    assert!(rows[1].contains("あと"), "{rows:?}");
    assert!(page.text("#ppc-verdict").contains("第3号"));
    let assessments = page
        .texts("#timeline .what")
        .iter()
        .filter(|what| what.contains("個人情報の評価"))
        .count();
    assert_eq!(assessments, 2, "both assessments stay on the timeline");

    // A drill is kept apart: marked as one, it leaves the dashboard's deadlines.
    let marked = admin
        .submit(&incident, &incident, &[("action", "drill".to_owned())])
        .await;
    assert_eq!(marked.status, StatusCode::SEE_OTHER);
    let dashboard = admin.get("/dashboard").await;
    assert!(dashboard.attribute("#dashboard-ppc", "id").is_none());

    // A number of people that is not a number is refused, nothing added.
    let refused = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "assessment".to_owned()),
                ("personal_data", "1".to_owned()),
                ("people", "たくさん".to_owned()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.errors().join(" ").contains("対象の人数"));
}
