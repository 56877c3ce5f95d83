//! The backup register (issue #13): lines per system with their flags,
//! restore tests with evidence, the checklist's backup item and the dashboard,
//! bad input refused with nothing stored, and who may do what.

use reqwest::StatusCode;

use crate::helpers::{Browser, spawn_app};

fn plan_fields(
    asset_number: &str,
    generations: &str,
    offline: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("system", "電子カルテ".into()),
        ("asset_number", asset_number.into()),
        ("data", "カルテDB・画像".into()),
        ("method", "nas".into()),
        ("frequency", "daily".into()),
        ("generations", generations.into()),
        ("offline_copy", offline.into()),
        ("location", "NAS（院内LAN）".into()),
        ("responsible", "〇〇メディカル".into()),
        ("last_success", "2026-12-01".into()),
        ("note", String::new()),
    ]
}

fn test_fields(tested_on: &str, outcome: &str, note: &str) -> Vec<(&'static str, String)> {
    vec![
        ("tested_on", tested_on.into()),
        ("restored", "前日分のカルテDBを検証用PCへ".into()),
        ("minutes", "95".into()),
        ("outcome", outcome.into()),
        ("performed_by", "山田 一郎".into()),
        ("note", note.into()),
    ]
}

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
}

async fn plans(browser: &Browser) -> Vec<String> {
    browser
        .get("/ledger/backups")
        .await
        .texts("#plans li.plan .system")
}

async fn add_server(admin: &Browser) {
    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &[
                ("kind", "server".into()),
                ("asset_number", "SV-001".into()),
                ("status", "active".into()),
                ("antivirus", "installed".into()),
            ],
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        created.errors()
    );
}

#[tokio::test]
async fn the_register_flags_what_ransomware_would_reach_until_a_restore_test_proves_the_copies() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    add_server(&admin).await;

    // Bad input: every wrong field is named, and nothing is stored.
    let mut bad = plan_fields("SV-001", "-1", "");
    bad[0].1 = String::new();
    bad[3].1 = "floppy".into();
    bad[9].1 = "2999-01-01".into();
    let refused = admin
        .submit("/ledger/backups", "/ledger/backups", &bad)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.errors().join("\n");
    for field in ["対象システム", "取得方法", "保存世代数", "最終成功日"] {
        assert!(errors.contains(field), "{field} in {errors}");
    }
    let unknown = admin
        .submit(
            "/ledger/backups",
            "/ledger/backups",
            &plan_fields("SV-999", "7", "yes"),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.errors().iter().any(|e| e.contains("管理番号")),
        "{:?}",
        unknown.errors()
    );
    assert!(plans(&admin).await.is_empty());
    assert!(
        !app.audit_events()
            .await
            .iter()
            .any(|e| e.action.starts_with("backup.")),
        "a refused form writes no audit event"
    );

    // A line with two generations and no offline copy is flagged three ways.
    let added = admin
        .submit(
            "/ledger/backups",
            "/ledger/backups",
            &plan_fields("SV-001", "2", "no"),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let line = added.location_path().expect("the line's page");
    let list = admin.get("/ledger/backups").await;
    assert_eq!(list.texts("#plans li.plan .system"), vec!["電子カルテ"]);
    let flags = list.text("#plans li.plan .flags");
    assert!(
        flags.contains("ネットワークから切り離した複製がありません"),
        "{flags}"
    );
    assert!(flags.contains("保存世代数が 2 です"), "{flags}");
    assert!(
        flags.contains("12か月に復旧テストの記録がありません"),
        "{flags}"
    );
    let dashboard = admin
        .get("/dashboard")
        .await
        .texts("#next-steps li")
        .join("\n");
    assert!(
        dashboard.contains("バックアップに問題のあるシステムが 1 件"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("復旧テストの時期が来ているシステムが 1 件"),
        "{dashboard}"
    );

    // The checklist's backup item shows the register and warns against a はい.
    let year = mamori_domain::calendar::FiscalYear::containing(today());
    let base = format!("/checklist/medical/{year}");
    admin.submit(&base, &format!("{base}/start"), &[]).await;
    let item = format!("{base}/items/backup");
    let yes = [
        ("first_answer", "yes".to_owned()),
        ("first_date", today().to_string()),
    ];
    let saved = admin.submit(&item, &item, &yes).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let page = admin.get(&item).await;
    let facts = page.text("#ledger-facts");
    assert!(facts.contains("1 システム登録"), "{facts}");
    let warnings = page.text("#ledger-warnings");
    assert!(
        warnings.contains("「はい」と回答されていますが"),
        "{warnings}"
    );
    assert!(
        warnings.contains("1 システムにこの12か月の復旧テストがありません"),
        "{warnings}"
    );

    // A restore test: a future day and a file that is not what it claims are refused, nothing stored.
    let tests = format!("{line}/tests");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let refused = admin
        .upload(
            &line,
            &tests,
            &test_fields("2999-01-01", "success", ""),
            &[("evidence", "screen.png", b"MZ\x90\0 not an image".to_vec())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.texts("#test-errors li").join("\n");
    assert!(errors.contains("実施日"), "{errors}");
    assert!(errors.contains("ファイル"), "{errors}");
    let silent = admin
        .upload(
            &line,
            &tests,
            &test_fields(&today().to_string(), "failed", ""),
            &[],
        )
        .await;
    assert_eq!(silent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(silent.texts("#test-errors li").join("").contains("備考"));
    assert!(
        admin
            .get(&line)
            .await
            .attribute("#no-tests", "id")
            .is_some()
    );

    let recorded = admin
        .upload(
            &line,
            &tests,
            &test_fields(&today().to_string(), "success", ""),
            &[("evidence", "復旧画面.png", png.clone())],
        )
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        recorded.texts("#test-errors li")
    );
    let page = admin.get(&line).await;
    assert_eq!(page.texts("#restore-tests li").len(), 1);
    let sha256 = page.text("#restore-tests .sha256");
    assert!(
        sha256.contains("SHA-256 ") && sha256.len() == "SHA-256 ".len() + 64,
        "{sha256}"
    );
    let href = page
        .attribute("#restore-tests a.evidence", "href")
        .expect("evidence link");
    let (status, content_type, bytes) = admin.get_bytes(&href).await;
    assert_eq!(
        (status, content_type.as_str(), bytes),
        (StatusCode::OK, "image/png", png)
    );
    let flags = page.text("#plan .flags");
    assert!(!flags.contains("復旧テストの記録がありません"), "{flags}");
    let dashboard = admin
        .get("/dashboard")
        .await
        .texts("#next-steps li")
        .join("\n");
    assert!(!dashboard.contains("復旧テストの時期"), "{dashboard}");

    // Fixing the line clears the flags and the checklist's warnings; the change is audited.
    let mut fixed = plan_fields("SV-001", "7", "yes");
    fixed[7].1 = "院長室の金庫（外付けHDD、週1回交換）".into();
    let saved = admin.submit(&line, &line, &fixed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let page = admin.get(&line).await;
    assert!(
        page.attribute("#plan .flags", "class").is_none(),
        "{}",
        page.text("#plan")
    );
    assert!(
        admin
            .get(&item)
            .await
            .attribute("#ledger-warnings", "id")
            .is_none()
    );
    let events = app.audit_events().await;
    let update = events
        .iter()
        .find(|e| e.action == "backup.plan.update")
        .expect("an update event");
    let detail: serde_json::Value = serde_json::from_str(&update.detail).expect("json");
    assert_eq!(detail["before"]["保存世代数"], 2);
    assert_eq!(detail["after"]["保存世代数"], 7);
    assert_eq!(detail["after"]["オフライン複製"], true);
    let test_event = events
        .iter()
        .find(|e| e.action == "backup.restore_test.add")
        .expect("a restore test event");
    assert!(
        test_event.detail.contains(&sha256["SHA-256 ".len()..]),
        "{}",
        test_event.detail
    );

    // A failed test flags the line again, and says so on the dashboard.
    let failed = admin
        .upload(
            &line,
            &tests,
            &test_fields(
                &today().to_string(),
                "failed",
                "画像サーバのデータが戻らなかった",
            ),
            &[],
        )
        .await;
    assert_eq!(failed.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get(&line)
            .await
            .text("#plan .flags")
            .contains("成功していません")
    );
    let dashboard = admin
        .get("/dashboard")
        .await
        .texts("#next-steps li")
        .join("\n");
    assert!(
        dashboard.contains("バックアップに問題のあるシステムが 1 件"),
        "{dashboard}"
    );
}

#[tokio::test]
async fn the_inspector_reads_the_register_staff_do_not_and_the_system_operator_keeps_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (login_id, role) in [
        ("inspector", "viewer"),
        ("nurse", "staff"),
        ("operator", "system_operator"),
    ] {
        let page = admin
            .add_user(login_id, &format!("{role} さん"), role)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
    }
    let added = admin
        .submit(
            "/ledger/backups",
            "/ledger/backups",
            &plan_fields("", "3", "yes"),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let line = added.location_path().expect("line");

    let inspector = app.signed_in("inspector").await;
    assert_eq!(plans(&inspector).await, vec!["電子カルテ"]);
    let page = inspector.get(&line).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.attribute("#test-form", "id").is_none(),
        "no form for a reader"
    );
    let refused = inspector
        .submit(
            "/ledger/backups",
            "/ledger/backups",
            &plan_fields("", "3", "yes"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = inspector
        .upload(
            &line,
            &format!("{line}/tests"),
            &test_fields("2026-01-05", "success", ""),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let nurse = app.signed_in("nurse").await;
    assert_eq!(
        nurse.get("/ledger/backups").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(nurse.get(&line).await.status, StatusCode::FORBIDDEN);

    let operator = app.signed_in("operator").await;
    let recorded = operator
        .upload(
            &line,
            &format!("{line}/tests"),
            &test_fields(&today().to_string(), "success", ""),
            &[],
        )
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        recorded.texts("#test-errors li")
    );
    let tests = admin.get(&line).await.texts("#restore-tests li");
    assert_eq!(tests.len(), 1);
    assert!(
        tests[0].contains("operator"),
        "who recorded it: {}",
        tests[0]
    );
    assert_eq!(
        admin
            .get(&format!("{line}/tests/999999/evidence"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/ledger/backups/0").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/ledger/backups/abc").await.status,
        StatusCode::NOT_FOUND
    );
}

fn answers(police: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "meeting_members",
            "院長、事務長（企画管理者）、看護師長".into(),
        ),
        ("police_desk", police.into()),
        (
            "paper_records",
            "紙カルテの様式は受付の棚。\n復旧後に電子カルテへ入力する。".into(),
        ),
        (
            "insurance_check",
            "資格情報のお知らせを目視で確認し、受付票に記録する。".into(),
        ),
        (
            "reception_billing",
            "手書きの領収書で預り金として受け取る。".into(),
        ),
        (
            "announcements",
            "受付とホームページに掲示する（事務長）。".into(),
        ),
        ("restore_priority", "1. 電子カルテ 2. レセコン".into()),
        (
            "disaster",
            "サーバは2階に置き、無停電電源装置につなぐ。".into(),
        ),
    ]
}

async fn approve(browser: &Browser) -> crate::helpers::Page {
    let fingerprint = browser
        .get("/bcp/draft")
        .await
        .attribute("input[name=fingerprint]", "value")
        .expect("the approval form");
    browser
        .submit(
            "/bcp/draft",
            "/bcp/approve",
            &[("fingerprint", fingerprint)],
        )
        .await
}

/// The text LibreOffice reads from a .docx (Writer converts it to plain text).
pub(crate) fn docx_text(docx: &[u8]) -> Option<String> {
    let soffice = ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())?;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bcp.docx");
    std::fs::write(&file, docx).expect("write");
    let output = std::process::Command::new(soffice)
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&file)
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice runs");
    Some(
        std::fs::read_to_string(dir.path().join("bcp.txt")).unwrap_or_else(|_| {
            panic!(
                "LibreOffice could not open the .docx: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        }),
    )
}

#[tokio::test]
async fn the_bcp_is_written_from_the_data_approved_in_versions_printed_and_read_by_staff() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    add_server(&admin).await;
    let vendor = admin
        .submit(
            "/vendors",
            "/vendors",
            &[
                ("name", "〇〇メディカル株式会社".into()),
                ("contact", "088-000-1111 support@example.jp".into()),
                ("systems", "電子カルテ".into()),
            ],
        )
        .await;
    assert_eq!(
        vendor.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        vendor.errors()
    );
    let added = admin
        .submit(
            "/ledger/backups",
            "/ledger/backups",
            &plan_fields("SV-001", "7", "yes"),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    for (login_id, role) in [("nurse", "staff"), ("planner", "planning_manager")] {
        let page = admin
            .add_user(login_id, &format!("{role} さん"), role)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
    }

    // Before any approval: no version, and the draft is written from the data.
    assert!(
        admin
            .get("/bcp")
            .await
            .attribute("#no-version", "id")
            .is_some()
    );
    let draft = admin.get("/bcp/draft").await;
    let preview = draft.text("#bcp-document");
    for expected in [
        "SV-001",
        "〇〇メディカル株式会社",
        "088-000-1111",
        "電子カルテ",
        "03-6812-7837",
        "徳島県警察のサイバー犯罪相談窓口",
        "電源は切らない",
    ] {
        assert!(preview.contains(expected), "{expected} in {preview}");
    }
    assert_eq!(
        draft.texts("#bcp-missing li").len(),
        8,
        "every answer is still to write"
    );

    // Bad answers are refused naming the field, and nothing is stored.
    let mut bad = answers("088-622-3101");
    bad[1].1 = "088\u{202E}-622".into();
    let refused = admin.submit("/bcp/draft", "/bcp/answers", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .errors()
            .iter()
            .any(|e| e.contains("警察の相談窓口")),
        "{:?}",
        refused.errors()
    );
    assert_eq!(
        admin.get("/bcp/draft").await.texts("#bcp-missing li").len(),
        8
    );

    let saved = admin
        .submit("/bcp/draft", "/bcp/answers", &answers("088-622-3101"))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let draft = admin.get("/bcp/draft").await;
    assert!(draft.attribute("#bcp-missing", "id").is_none());
    assert!(
        draft
            .text("#bcp-document")
            .contains("復旧後に電子カルテへ入力する。")
    );

    // A planning manager writes but cannot approve; a stale draft is not approved.
    let planner = app.signed_in("planner").await;
    assert_eq!(planner.get("/bcp/draft").await.status, StatusCode::OK);
    assert!(
        planner
            .get("/bcp/draft")
            .await
            .attribute("#approve-form", "id")
            .is_none()
    );
    let refused = planner
        .submit("/bcp/draft", "/bcp/approve", &[("fingerprint", "x".into())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stale = admin
        .submit(
            "/bcp/draft",
            "/bcp/approve",
            &[("fingerprint", "0".repeat(64))],
        )
        .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    assert!(
        admin
            .get("/bcp")
            .await
            .attribute("#no-version", "id")
            .is_some()
    );

    let approved = approve(&admin).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    let page = admin.get("/bcp").await;
    assert!(page.text("#current-version").contains("第1版"));
    let again = approve(&admin).await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "nothing changed since version 1"
    );

    // The PDF is an A4 Japanese document with every section and no placeholder left.
    let (status, content_type, pdf) = admin.get_bytes("/bcp/versions/1/bcp.pdf").await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    let info = crate::helpers::poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("595.") && info.contains("841."), "A4: {info}");
    let text = crate::helpers::pdf_text(&pdf);
    for expected in [
        "サイバー攻撃等を想定した事業継続計画（BCP）",
        "第1版",
        // pdftotext's words are joined without spaces here.
        "1.サイバー攻撃に対する予防の徹底",
        "2.サイバー攻撃の疑いを把握した場合",
        "3.サイバー攻撃があった場合",
        "4.サイバー攻撃からの復旧",
        "088-622-3101",
        "SV-001",
    ] {
        assert!(text.contains(expected), "{expected} in the PDF:\n{text}");
    }
    for placeholder in ["○○", "未記入"] {
        assert!(!text.contains(placeholder), "{placeholder} left in the PDF");
    }
    let (status, _, docx) = admin.get_bytes("/bcp/versions/1/bcp.docx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(docx.starts_with(b"PK"));
    match docx_text(&docx) {
        Some(text) => {
            for expected in [
                "サイバー攻撃等を想定した事業継続計画（BCP）",
                "088-622-3101",
                "SV-001",
                "〇〇メディカル株式会社",
            ] {
                assert!(
                    text.contains(expected),
                    "{expected} in the .docx as LibreOffice reads it:\n{text}"
                );
            }
        }
        None => {
            let required =
                std::env::var("MAMORI_OFFICE_TESTS").is_ok_and(|value| value == "required");
            assert!(
                !required,
                "MAMORI_OFFICE_TESTS=required but LibreOffice is missing"
            );
            eprintln!("SKIPPED the .docx check: needs LibreOffice Writer");
        }
    }

    // Staff read the approved version and say so; the list shows who has not.
    let nurse = app.signed_in("nurse").await;
    assert_eq!(nurse.get("/bcp/draft").await.status, StatusCode::FORBIDDEN);
    let refused = nurse.submit("/bcp", "/bcp/answers", &answers("x")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let page = nurse.get("/bcp").await;
    assert!(page.text("#bcp-document").contains("SV-001"));
    assert!(page.attribute("#acknowledge-form", "id").is_some());
    let read = nurse
        .submit("/bcp", "/bcp/acknowledge", &[("version", "1".into())])
        .await;
    assert_eq!(read.status, StatusCode::SEE_OTHER);
    assert!(
        nurse
            .get("/bcp")
            .await
            .attribute("#acknowledged", "id")
            .is_some()
    );
    let readers = admin.get("/bcp/draft").await;
    let read_rows = readers.texts("#bcp-readers tr.read").join("\n");
    let unread_rows = readers.texts("#bcp-readers tr.unread").join("\n");
    assert!(read_rows.contains("nurse"), "{read_rows}");
    assert!(
        unread_rows.contains("planner") && unread_rows.contains("admin"),
        "{unread_rows}"
    );

    // A change to the data or the answers is a new version that shows what changed, and asks again.
    let saved = admin
        .submit("/bcp/draft", "/bcp/answers", &answers("088-622-9999"))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let changes = admin.get("/bcp/draft").await;
    assert!(
        changes
            .text("#bcp-changes li.removed")
            .contains("088-622-3101"),
        "{}",
        changes.text("#bcp-changes")
    );
    assert!(
        changes
            .text("#bcp-changes li.added")
            .contains("088-622-9999")
    );
    assert_eq!(approve(&admin).await.status, StatusCode::SEE_OTHER);
    let v2 = admin.get("/bcp/versions/2").await;
    assert_eq!(v2.status, StatusCode::OK);
    assert!(v2.text("#bcp-changes").contains("088-622-9999"));
    assert!(
        v2.text("#version-approved").contains("守 太郎"),
        "who approved: {}",
        v2.text("#version-approved")
    );
    assert!(
        nurse
            .get("/bcp")
            .await
            .attribute("#acknowledge-form", "id")
            .is_some(),
        "asked again"
    );
    let stale = nurse
        .submit("/bcp", "/bcp/acknowledge", &[("version", "1".into())])
        .await;
    assert_eq!(
        stale.status,
        StatusCode::BAD_REQUEST,
        "version 1 was replaced"
    );
    assert_eq!(
        admin.get("/bcp/versions/3").await.status,
        StatusCode::NOT_FOUND
    );
    let events = app.audit_events().await;
    for action in ["bcp.answers", "bcp.approve", "bcp.acknowledge"] {
        assert!(
            events.iter().any(|e| e.action == action),
            "{action} audited"
        );
    }
}
