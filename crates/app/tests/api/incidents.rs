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
    // The reporter ticks the staff manual's steps as they are done; another
    // member of staff cannot, nor can a step of another manual be ticked.
    let my_steps = format!("/incidents/{number}/my-steps");
    let ticked = nurse
        .submit(&next, &my_steps, &[("step", "III-2-2-a".into())])
        .await;
    assert_eq!(ticked.status, StatusCode::SEE_OTHER);
    let told = nurse.get(&next).await;
    assert!(
        told.text("#my-step-III-2-2-a .step-state").contains("実施"),
        "{}",
        told.text("#my-steps")
    );
    assert!(
        told.attribute("#my-step-III-2-1-a form", "action")
            .is_some()
    );
    let wrong = nurse
        .submit(&next, &my_steps, &[("step", "II-4-3-a".into())])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    admin.add_user("clerk", "受付 次郎", "staff").await;
    let clerk = app.signed_in("clerk").await;
    let refused = clerk
        .submit(
            "/incidents/report",
            &my_steps,
            &[("step", "III-2-3-a".into())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "only the reporter");
    assert!(
        clerk
            .get(&next)
            .await
            .attribute("#my-steps", "id")
            .is_none()
    );
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

    // Taking charge clears the banner and starts the investigation (調査中,
    // asserted below without any status posted); each step is on the timeline.
    for fields in [
        vec![("action", "take_charge".to_owned())],
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
    assert_eq!(timeline.len(), 9, "{timeline:?}");
    assert!(page.text("#step-II-4-1 .step-state").contains("該当なし"));
    // The four manuals are there, the reader's own first and open: the
    // 安全管理責任者 reads manual I (経営層); 体制整備 is not a step of one incident.
    assert_eq!(
        page.attributes("section.manual", "id"),
        vec!["manual-I", "manual-II", "manual-III", "manual-IV"]
    );
    assert_eq!(
        page.attribute("section.manual.mine", "id").as_deref(),
        Some("manual-I")
    );
    assert!(page.attribute("#step-I-1-1", "id").is_none());
    assert!(page.attribute("#step-III-2-2", "id").is_some());
    assert!(
        page.text("#step-III-2-2-a .step-state")
            .contains("看護 花子"),
        "the nurse's own tick shows on the incident: {}",
        page.text("#step-III-2-2-a")
    );

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
    assert_eq!(admin.get(&incident).await.texts("#timeline .what").len(), 9);

    // 再発防止策: a task with an owner and a due day stays on the dashboard until done.
    let owner = page
        .html()
        .select(&scraper::Selector::parse("#owner option").expect("selector"))
        .find(|o| o.text().collect::<String>() == "守 太郎")
        .and_then(|o| o.value().attr("value").map(str::to_owned))
        .expect("the admin can own a task");
    let yesterday = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
        .yesterday()
        .expect("a date");
    let refused = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "task".to_owned()),
                ("task", "VPN機器の更新".to_owned()),
                ("owner", owner.clone()),
                ("due_on", yesterday.to_string()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.errors().join(" ").contains("期限"),
        "{:?}",
        refused.errors()
    );
    let stranger_owner = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "task".to_owned()),
                ("task", "VPN機器の更新".to_owned()),
                ("owner", "999999".to_owned()),
                ("due_on", "2099-01-01".to_owned()),
            ],
        )
        .await;
    assert_eq!(stranger_owner.status, StatusCode::UNPROCESSABLE_ENTITY);
    let added = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "task".to_owned()),
                ("task", "VPN機器のファームウェアを更新する".to_owned()),
                ("owner", owner),
                ("due_on", "2099-01-01".to_owned()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let dashboard = admin.get("/dashboard").await;
    assert!(
        dashboard
            .text("#dashboard-task-list")
            .contains("VPN機器のファームウェアを更新する")
    );
    let page = admin.get(&incident).await;
    let task_id = page
        .attribute("#tasks tr.task", "id")
        .and_then(|id| id.strip_prefix("task-").map(str::to_owned))
        .expect("the task");
    let done = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "task_done".to_owned()),
                ("task_id", task_id.clone()),
                ("text", "v10.01.99 に更新".to_owned()),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let again = admin
        .submit(
            &incident,
            &incident,
            &[("action", "task_done".to_owned()), ("task_id", task_id)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "done once only");
    assert!(
        admin
            .get("/dashboard")
            .await
            .attribute("#dashboard-tasks", "id")
            .is_none()
    );
    let page = admin.get(&incident).await;
    assert!(page.text("#tasks .state").contains("v10.01.99 に更新"));
    assert_eq!(
        page.texts("#timeline .what").len(),
        11,
        "set and done on the timeline"
    );

    // The whole record prints: the seed's form first, then the response,
    // the evidence with its SHA-256; and exports as a workbook. Both audited.
    let (status, content_type, pdf) = admin.get_bytes(&format!("{incident}/report.pdf")).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    let info = crate::helpers::poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("595.276 x 841.89"), "A4: {info}");
    let first_page = crate::helpers::poppler("pdftotext", &["-l", "1"], &pdf)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>();
    assert!(first_page.contains("不具合発生報告書"), "{first_page}");
    assert!(first_page.contains("画面に英語の脅迫文"), "{first_page}");
    assert!(
        !first_page.contains("再発防止策"),
        "the form is alone on page one"
    );
    let text = crate::helpers::pdf_text(&pdf);
    for words in [
        "経過",
        "対策会議",
        "紙カルテで外来を継続",
        "VPN機器のファームウェアを更新する",
        sum.as_str(),
    ] {
        assert!(text.contains(words), "{words} in the PDF");
    }
    let (status, _, workbook) = admin.get_bytes(&format!("{incident}/export.xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(workbook)).expect("a workbook");
    use calamine::Reader;
    let names = book.sheet_names();
    assert!(
        names.contains(&"経過".to_owned()) && names.contains(&"再発防止策".to_owned()),
        "{names:?}"
    );
    let evidence = book
        .worksheet_range("証拠（ファイル）")
        .expect("the evidence sheet");
    assert!(
        evidence
            .rows()
            .any(|row| row.iter().any(|cell| cell.to_string() == sum)),
        "the photo's SHA-256 in the workbook"
    );
    let exports = app
        .audit_events()
        .await
        .iter()
        .filter(|e| e.action == "incident.export")
        .count();
    assert_eq!(exports, 2);

    // Through every stage to 終了; a closed incident takes no new report.
    for stage in ["meeting", "recovering", "aftercare", "closed"] {
        let moved = admin
            .submit(
                &incident,
                &incident,
                &[("action", "status".to_owned()), ("value", stage.to_owned())],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{stage}");
    }
    let closed = admin.get(&incident).await;
    assert_eq!(closed.text("#incident-status"), "終了");
    assert!(
        closed.attribute("#incident-contacts[open]", "id").is_none(),
        "the chart is folded once closed"
    );
    let late = report(
        &nurse,
        &[
            ("reporter", "看護 花子".into()),
            ("pattern_1", "1".into()),
            ("join", number.clone()),
        ],
        &[],
    )
    .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.errors().join(" ").contains("終了"),
        "{:?}",
        late.errors()
    );
    let list = admin.get("/incidents").await;
    assert_eq!(list.texts("#incidents tr.incident.open").len(), 0);
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

    // The notices owed once a report is due, and the text to paste.
    let owed = page.attributes("#notices tr.owed", "id");
    assert_eq!(
        owed,
        vec![
            "notice-ppc_preliminary",
            "notice-ppc_final",
            "notice-patients"
        ],
        "the two reports and the notice to the people concerned"
    );
    let text = page.texts("#ppc-text textarea");
    assert_eq!(text.len(), 9, "the nine items of 施行規則第8条");
    assert!(text[2].starts_with("12人"), "{text:?}");
    assert!(text[3].contains("不正の目的"), "{text:?}");
    // The 速報, made 2 days after the day known: on time; the dashboard stops
    // counting it down. A notice dated in the future is refused.
    let early = known
        .checked_add(jiff::Span::new().days(2))
        .expect("a date");
    for (fields, status) in [
        (
            vec![
                ("action", "notice".to_owned()),
                ("recipient", "ppc_preliminary".to_owned()),
                ("notified_on", today.tomorrow().expect("a date").to_string()),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![
                ("action", "notice".to_owned()),
                ("recipient", "ppc_preliminary".to_owned()),
                ("notified_on", early.to_string()),
                ("text", "受付番号 A-123".to_owned()),
            ],
            StatusCode::SEE_OTHER,
        ),
        (
            vec![
                ("action", "notice".to_owned()),
                ("recipient", "police".to_owned()),
                ("text", "県警サイバー犯罪相談窓口に電話".to_owned()),
            ],
            StatusCode::SEE_OTHER,
        ),
    ] {
        let done = admin.submit(&incident, &incident, &fields).await;
        assert_eq!(done.status, status, "{fields:?}: {:?}", done.errors());
    }
    let page = admin.get(&incident).await;
    let rows = page.texts("#ppc-deadlines tr");
    assert!(rows[0].contains("提出（期限内）"), "{rows:?}");
    assert!(
        page.text("#notice-police")
            .contains("県警サイバー犯罪相談窓口に電話")
    );
    assert!(
        page.text("#notice-ppc_preliminary")
            .contains("受付番号 A-123")
    );
    let dashboard = admin.get("/dashboard").await;
    let rows = dashboard.texts("#dashboard-ppc-deadlines tr");
    assert_eq!(
        rows.len(),
        1,
        "only the 確報 is still counted down: {rows:?}"
    );

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

/// The QR code in the first page of `pdf`, read back by zbarimg from the page
/// rendered at 150 dpi by pdftoppm.
fn qr_of(pdf: &[u8]) -> String {
    let folder = tempfile::tempdir().expect("temp dir");
    let path = folder.path().join("poster.pdf");
    std::fs::write(&path, pdf).expect("write");
    let prefix = folder.path().join("page");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) must be installed: .ci/run installs it");
    assert!(rendered.success());
    let output = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(prefix.with_extension("png"))
        .output()
        .expect("zbarimg (zbar-tools) must be installed: .ci/run installs it");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn the_poster_link_opens_only_the_form_is_limited_rotates_and_is_marked_in_the_audit_trail() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    let nurse = app.signed_in("nurse").await;
    // Only those who handle incidents manage the link.
    assert_eq!(
        nurse.get("/incidents/poster").await.status,
        StatusCode::FORBIDDEN
    );
    let none = admin.get("/incidents/poster").await;
    assert!(none.attribute("#poster-none", "id").is_some());
    let issued = admin
        .submit(
            "/incidents/poster",
            "/incidents/poster",
            &[("action", "issue".into())],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER);
    let page = admin.get("/incidents/poster").await;
    assert!(
        !page.body.contains("依頼リンク"),
        "no vendor-link notice on the poster page"
    );
    assert!(
        page.text("#loopback-link").contains("--public-url"),
        "a link to this machine only cannot reach a phone: said so"
    );
    let url = page.text("#poster-url");
    let path = url
        .split_once("/report/")
        .map(|(_, token)| format!("/report/{token}"))
        .expect("a /report/ link");
    assert!(path.len() > "/report/".len() + 40, "a long token: {path}");

    // The poster is one A4 page with the link as text and as a QR code.
    let (status, content_type, pdf) = admin.get_bytes("/incidents/poster.pdf").await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    // To look at it: MAMORI_SAMPLE_DIR=/tmp cargo test -p mamori --test api poster
    if let Ok(dir) = std::env::var("MAMORI_SAMPLE_DIR") {
        std::fs::write(std::path::Path::new(&dir).join("incident-poster.pdf"), &pdf)
            .expect("write");
    }
    let info = crate::helpers::poppler("pdfinfo", &[], &pdf);
    assert_eq!(pages(&info), 1, "{info}");
    assert!(info.contains("595.276 x 841.89"), "A4: {info}");
    let text = crate::helpers::pdf_text(&pdf);
    for words in [
        "サイバー攻撃かな？と思ったら",
        "電源は切らない",
        "まもり内科クリニック",
    ] {
        assert!(text.contains(words), "{words} in {text}");
    }
    assert!(text.contains(&path), "the link is printed: {text}");
    assert_eq!(qr_of(&pdf), url, "the QR code holds the link");

    // Anyone opens the form through it, without signing in; nothing else opens.
    let stranger = app.browser();
    let form = stranger.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.text("#poster-institution"), "まもり内科クリニック");
    assert!(form.attribute("#asset_number", "id").is_none(), "no ledger");
    assert!(form.attribute("#join", "id").is_none(), "no incidents");
    for other in ["/incidents", "/dashboard", "/ledger/devices"] {
        let refused = stranger.get(other).await;
        assert_eq!(refused.status, StatusCode::SEE_OTHER, "{other}");
    }
    assert_eq!(
        stranger.get(&format!("{path}x")).await.status,
        StatusCode::NOT_FOUND
    );
    let empty = stranger
        .upload(&path, &path, &[("reporter", "清掃 一郎".into())], &[])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.errors().join(" ").contains("詳しい状況"));

    let fields = [
        ("reporter", "清掃 一郎".to_owned()),
        ("place", "2階 医局".to_owned()),
        ("pattern_1", "1".to_owned()),
        ("details", "画面に英語の脅迫文".to_owned()),
        // Not offered through the poster, and dropped when posted anyway: the
        // answer tells a stranger nothing about the ledger or the incidents.
        ("asset_number", "PC-NONE".to_owned()),
        ("join", "1".to_owned()),
    ];
    let sent = stranger
        .upload(&path, &path, &fields, &[("photos", "screen.jpg", jpeg())])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.errors());
    let next = sent.location.clone().unwrap_or_default();
    assert!(next.starts_with(&format!("{path}/sent?n=")), "{next}");
    let told = stranger.get(&next).await;
    assert!(
        told.texts("#what-to-do li")
            .iter()
            .any(|s| s.contains("電源は停止しない"))
    );
    // The banner rises; the report is marked as sent without an account.
    assert!(
        admin
            .get("/dashboard")
            .await
            .text("#incident-alert")
            .contains("1 件")
    );
    let events = app.audit_events().await;
    let event = events
        .iter()
        .find(|e| e.action == "incident.report.poster")
        .expect("the report's event");
    assert_eq!(event.actor_user_id, None);
    assert!(
        event.actor_label.starts_with("poster link"),
        "{}",
        event.actor_label
    );
    assert!(
        event.detail.contains(r#""アカウントなしの報告":true"#),
        "{}",
        event.detail
    );

    // The link's hourly limit (3 posts in tests, the refused one counted)
    // refuses the next reports, storing nothing.
    let more = stranger.upload(&path, &path, &fields, &[]).await;
    assert_eq!(more.status, StatusCode::SEE_OTHER);
    let limited = stranger.upload(&path, &path, &fields, &[]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("電話"), "told to telephone instead");
    let reports = admin.get("/incidents").await.texts("#incidents tbody tr");
    assert_eq!(reports.len(), 2, "{reports:?}");

    // Rotation: the old link stops working, the new one works; revoking ends both.
    let rotated = admin
        .submit(
            "/incidents/poster",
            "/incidents/poster",
            &[("action", "issue".into())],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::SEE_OTHER);
    let new_url = admin.get("/incidents/poster").await.text("#poster-url");
    assert_ne!(new_url, url);
    assert_eq!(stranger.get(&path).await.status, StatusCode::NOT_FOUND);
    let new_path = format!(
        "/report/{}",
        new_url
            .split_once("/report/")
            .map(|(_, t)| t)
            .unwrap_or_default()
    );
    assert_eq!(stranger.get(&new_path).await.status, StatusCode::OK);
    let revoked = admin
        .submit(
            "/incidents/poster",
            "/incidents/poster",
            &[("action", "revoke".into())],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(stranger.get(&new_path).await.status, StatusCode::NOT_FOUND);
    let events = app.audit_events().await;
    let actions: Vec<&str> = events_actions(&events);
    assert!(
        actions.contains(&"incident.link.issue") && actions.contains(&"incident.link.revoke"),
        "{actions:?}"
    );
}

/// Manual IV from the vendor's side: a vendor's account called into an
/// incident reads that incident alone and records its findings step by step;
/// nothing else, and nothing once the incident is closed.
#[tokio::test]
async fn a_vendor_called_into_an_incident_answers_manual_iv_and_sees_nothing_else() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    admin
        .add_user("vendor-a", "電カル保守 山田", "vendor")
        .await;
    admin
        .add_user("vendor-b", "複合機業者 佐藤", "vendor")
        .await;
    let nurse = app.signed_in("nurse").await;
    let vendor_a = app.signed_in("vendor-a").await;
    let vendor_b = app.signed_in("vendor-b").await;
    let sent = report(
        &nurse,
        &[
            ("reporter", "看護 花子".into()),
            ("place", "受付".into()),
            ("pattern_5", "1".into()),
            ("details", "電子カルテが開かない".into()),
        ],
        &[],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.errors());
    let number = sent
        .location
        .clone()
        .unwrap_or_default()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_owned();
    let incident = format!("/incidents/{number}");
    let steps = format!("/incidents/{number}/vendor-steps");

    // A vendor's home is this page; before being called in, it shows no incident.
    assert_eq!(
        vendor_a.get("/").await.location.as_deref(),
        Some("/incidents/vendor")
    );
    assert_eq!(vendor_a.get(&incident).await.status, StatusCode::FORBIDDEN);
    let none = vendor_a.get("/incidents/vendor").await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.attribute("#vendor-none", "id").is_some());
    let early = vendor_a
        .submit("/incidents/vendor", &steps, &[("step", "IV-2-1-a".into())])
        .await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);

    // The handler picks from the vendors' accounts only; a staff account or a
    // second call of the same vendor is refused, with nothing stored.
    let page = admin.get(&incident).await;
    let mut offered = page.texts("#call-vendor-select option");
    offered.sort();
    assert_eq!(offered, vec!["複合機業者 佐藤", "電カル保守 山田"]);
    let nurse_id = admin.user_id_of("nurse").await;
    let vendor_a_id = admin.user_id_of("vendor-a").await;
    let entries_before = page.texts("#timeline .what").len();
    let wrong = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "call_vendor".into()),
                ("vendor", nurse_id.to_string()),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .errors()
            .join(" ")
            .contains("外部事業者のアカウントが見つかりません")
    );
    let called = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "call_vendor".into()),
                ("vendor", vendor_a_id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        called.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        called.errors()
    );
    let again = admin
        .submit(
            &incident,
            &incident,
            &[
                ("action", "call_vendor".into()),
                ("vendor", vendor_a_id.to_string()),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.errors().join(" ").contains("すでに依頼"));
    let page = admin.get(&incident).await;
    let timeline = page.texts("#timeline tr.entry");
    assert_eq!(timeline.len(), entries_before + 1, "{timeline:?}");
    assert!(
        timeline
            .iter()
            .any(|e| e.contains("ベンダへ依頼") && e.contains("電カル保守 山田")),
        "{timeline:?}"
    );

    // The called vendor reads the report and manual IV's steps for one
    // incident (体制整備 is not one of them) and still not the incident page.
    let mine = vendor_a.get("/incidents/vendor").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(
        mine.attributes("section.called-in", "id"),
        vec![format!("incident-{number}")]
    );
    assert!(mine.text(".report").contains("電子カルテが開かない"));
    assert!(
        mine.attribute(&format!("#vendor-step-{number}-IV-2-1-a"), "id")
            .is_some()
    );
    assert!(
        mine.attribute(&format!("#vendor-step-{number}-IV-1-1-a"), "id")
            .is_none()
    );
    assert_eq!(vendor_a.get(&incident).await.status, StatusCode::FORBIDDEN);
    // It records what it found; a step of another manual, or of 体制整備, is refused.
    let recorded = vendor_a
        .submit(
            "/incidents/vendor",
            &steps,
            &[
                ("step", "IV-2-1-a".into()),
                (
                    "text",
                    "サーバのディスク障害。影響は電子カルテ全端末".into(),
                ),
            ],
        )
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        recorded.errors()
    );
    for wrong_step in ["IV-1-1-a", "II-4-1", "III-2-2-a", "nope"] {
        let refused = vendor_a
            .submit(
                "/incidents/vendor",
                &steps,
                &[("step", wrong_step.into()), ("text", "x".into())],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{wrong_step}"
        );
    }
    let bidi = vendor_a
        .submit(
            "/incidents/vendor",
            &steps,
            &[("step", "IV-2-2-a".into()), ("text", "a\u{202E}b".into())],
        )
        .await;
    assert_eq!(bidi.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mine = vendor_a.get("/incidents/vendor").await;
    assert!(
        mine.text(&format!("#vendor-step-{number}-IV-2-1-a .step-state"))
            .contains("サーバのディスク障害")
    );
    assert!(
        mine.attribute(&format!("#vendor-step-{number}-IV-2-2-a.done"), "id")
            .is_none(),
        "the refused answer stored nothing"
    );
    // The handlers see it on the incident, with who and when.
    let page = admin.get(&incident).await;
    assert!(
        page.text("#step-IV-2-1-a .step-state")
            .contains("電カル保守 山田")
    );
    assert!(
        page.texts("#timeline .text")
            .iter()
            .any(|t| t.contains("サーバのディスク障害")),
    );
    let event = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "incident.change" && e.detail.contains("\"by\":\"vendor\""))
        .expect("the vendor's step in the audit trail");
    assert_eq!(event.target, format!("incident:{number}"));

    // Another vendor was not called in: nothing to see, nothing to record.
    assert!(
        vendor_b
            .get("/incidents/vendor")
            .await
            .attribute("#vendor-none", "id")
            .is_some()
    );
    let other = vendor_b
        .submit("/incidents/vendor", &steps, &[("step", "IV-2-1-a".into())])
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // Closed, the incident leaves the vendor's page and takes no more answers.
    let closed = admin
        .submit(
            &incident,
            &incident,
            &[("action", "status".into()), ("value", "closed".into())],
        )
        .await;
    assert_eq!(
        closed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        closed.errors()
    );
    assert!(
        vendor_a
            .get("/incidents/vendor")
            .await
            .attribute("#vendor-none", "id")
            .is_some()
    );
    let late = vendor_a
        .submit("/incidents/vendor", &steps, &[("step", "IV-3-1-a".into())])
        .await;
    assert_eq!(late.status, StatusCode::NOT_FOUND);
}

fn events_actions(events: &[mamori_store::audit_log::AuditEvent]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

#[tokio::test]
async fn the_contact_chart_is_built_from_the_people_vendors_and_police_catalog_and_asks_for_checks()
{
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin
        .add_user("planner", "企画 次郎", "planning_manager")
        .await;
    admin.add_user("nurse", "看護 花子", "staff").await;
    let planner = app.signed_in("planner").await;
    let nurse = app.signed_in("nurse").await;

    // Every role reads it; the gaps are named (no vendor, numbers missing).
    let chart = nurse.get("/contacts").await;
    assert_eq!(chart.status, StatusCode::OK);
    let names = chart.texts("#contacts-internal .name");
    assert_eq!(
        names,
        vec!["守 太郎", "企画 次郎"],
        "the chain's roles, no staff"
    );
    let gaps = chart.text("#chart-gaps");
    assert!(gaps.contains("ベンダが登録されていません"), "{gaps}");
    assert!(gaps.contains("企画 次郎：電話番号がありません"), "{gaps}");
    // The outside bodies come prefilled: MHLW from the seed, the police of
    // the institution's prefecture (徳島県) from the catalog.
    let authorities = chart.text("#contacts-authorities");
    assert!(authorities.contains("03-6812-7837"), "{authorities}");
    assert!(authorities.contains("igishitsu@mhlw.go.jp"));
    assert!(authorities.contains("個人情報保護法第26条"));
    assert!(authorities.contains("徳島県警察"), "{authorities}");
    assert!(
        chart
            .attributes("#contacts-authorities a", "href")
            .contains(&"tel:0368127837".to_owned()),
        "tap to call"
    );
    // The catalog has no desk number for 徳島県: the line offers #9110 (警察相談
    // 専用電話, nationwide) with its '#' kept in the link, and asks for the desk's own.
    assert!(authorities.contains("#9110"), "{authorities}");
    assert!(
        chart
            .attributes("#contacts-authorities a", "href")
            .contains(&"tel:%239110".to_owned()),
        "#9110 tap to call"
    );
    // Staff cannot edit others' lines, but enter their own number.
    assert!(chart.attribute(".contact-edit", "id").is_none());
    let refused = nurse
        .submit(
            "/contacts",
            "/contacts",
            &[
                ("action", "save".into()),
                ("key", "authority:police".into()),
                ("phone", "088-622-3101".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A wrong number is refused by field, nothing stored.
    let bad = planner
        .submit(
            "/contacts",
            "/contacts",
            &[
                ("action", "own".into()),
                ("phone", "110番".into()),
                ("email", "not-an-address".into()),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = bad.errors().join(" ");
    assert!(
        errors.contains("電話") && errors.contains("メール"),
        "{errors}"
    );
    let own = planner
        .submit(
            "/contacts",
            "/contacts",
            &[("action", "own".into()), ("phone", "090-1234-5678".into())],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{:?}", own.errors());

    // The manager completes the police desk and confirms the lines.
    let police = admin
        .submit(
            "/contacts",
            "/contacts",
            &[
                ("action", "save".into()),
                ("key", "authority:police".into()),
                ("phone", "088-622-3101".into()),
                ("page", "https://www.police.pref.tokushima.jp/".into()),
                ("confirmed", "1".into()),
            ],
        )
        .await;
    assert_eq!(
        police.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        police.errors()
    );
    for key in ["authority:mhlw", "authority:ppc", "authority:ipa"] {
        let confirmed = admin
            .submit(
                "/contacts",
                "/contacts",
                &[("action", "confirm".into()), ("key", key.into())],
            )
            .await;
        assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{key}");
    }
    // Another institution's vendor or a made-up key is not a line here.
    for key in ["vendor:999999", "user:999999", "authority:fbi"] {
        let refused = admin
            .submit(
                "/contacts",
                "/contacts",
                &[("action", "confirm".into()), ("key", key.into())],
            )
            .await;
        assert!(
            [StatusCode::NOT_FOUND, StatusCode::UNPROCESSABLE_ENTITY].contains(&refused.status),
            "{key}: {}",
            refused.status
        );
    }
    let chart = admin.get("/contacts").await;
    let authorities = chart.text("#contacts-authorities");
    assert!(authorities.contains("088-622-3101"), "{authorities}");
    let gaps = chart.text("#chart-gaps");
    assert!(
        !gaps.contains("警察"),
        "the police line is complete: {gaps}"
    );
    assert!(!gaps.contains("企画 次郎"), "{gaps}");
    assert!(
        gaps.contains("守 太郎"),
        "the admin has no number yet: {gaps}"
    );
    let events = app.audit_events().await;
    assert!(events.iter().any(|e| e.action == "contact.save_own"));
    let saved = events
        .iter()
        .find(|e| e.action == "contact.save" && e.target == "contact:authority:police")
        .expect("the police line's event");
    assert!(saved.detail.contains("088-622-3101"), "{}", saved.detail);

    // One A4 page to hang by the phone, in Japanese.
    let (status, _, pdf) = nurse.get_bytes("/contacts/print.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let info = crate::helpers::poppler("pdfinfo", &[], &pdf);
    assert_eq!(pages(&info), 1, "{info}");
    assert!(info.contains("595.276 x 841.89"), "A4: {info}");
    let text = crate::helpers::pdf_text(&pdf);
    for words in [
        "連絡体制図",
        "企画次郎",
        "090-1234-5678",
        "088-622-3101",
        "03-6812-7837",
    ] {
        assert!(text.contains(words), "{words} in {text}");
    }

    // Inside an open incident, the same lines with tap-to-call links.
    let sent = report(
        &admin,
        &[("reporter", "守 太郎".into()), ("pattern_1", "1".into())],
        &[],
    )
    .await;
    let number = sent
        .location
        .unwrap_or_default()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .to_owned();
    let incident = admin.get(&format!("/incidents/{number}")).await;
    assert!(
        incident
            .attributes("#incident-contacts a", "href")
            .contains(&"tel:09012345678".to_owned())
    );

    // The checklist's 連絡体制図 item shows the chart and warns of its gaps.
    let year = mamori_domain::calendar::FiscalYear::containing(
        jiff::Timestamp::now()
            .to_zoned_datetime(mamori_web::tokyo())
            .date(),
    );
    let base = format!("/checklist/medical/{year}");
    admin.submit(&base, &format!("{base}/start"), &[]).await;
    let item = admin.get(&format!("{base}/items/contact-chart")).await;
    let facts = item.text("#ledger-facts");
    assert!(facts.contains("院内 2 人、ベンダ 0 社"), "{facts}");
    assert!(facts.contains("ベンダが登録されていません"), "{facts}");
    // The BCP item shows the drills and incidents recorded.
    let bcp = admin
        .get(&format!("{base}/items/bcp"))
        .await
        .text("#ledger-facts");
    assert!(
        bcp.contains("実際のインシデント：1 件（対応中 1 件）"),
        "{bcp}"
    );
    assert!(bcp.contains("訓練は、まだ記録がありません"), "{bcp}");
    // Those who handle incidents are told on the home page what the chart lacks.
    assert!(
        admin
            .get("/dashboard")
            .await
            .text("#next-steps")
            .contains("連絡体制図に足りないところ")
    );

    // Another institution's vendor is not a line of this chart, nor is its chart this one's.
    let code = app.create_institution("別院", "admin2").await;
    let other = app.signed_in_at(&code, "admin2").await;
    let added = other
        .submit(
            "/vendors",
            "/vendors",
            &[
                ("name", "他院の業者".into()),
                ("systems", "電子カルテ".into()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let vendor = other
        .get("/vendors")
        .await
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("a vendor id");
    let crossed = admin
        .submit(
            "/contacts",
            "/contacts",
            &[
                ("action", "save".into()),
                ("key", format!("vendor:{vendor}")),
                ("phone", "03-0000-0000".into()),
            ],
        )
        .await;
    assert_eq!(crossed.status, StatusCode::NOT_FOUND);
    let theirs = other.get("/contacts").await;
    assert!(
        !theirs.body.contains("088-622-3101"),
        "this institution's police line"
    );
    assert!(theirs.text("#contacts-authorities").contains("大阪府警察"));
    assert!(!admin.get("/contacts").await.body.contains("他院の業者"));
}

/// The page count pdfinfo reports.
fn pages(info: &str) -> u32 {
    info.lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}
