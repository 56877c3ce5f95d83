//! The device ledger through HTTP: adding, changing and disposing of devices
//! with their history; search and paging; import from CSV (UTF-8 and
//! Shift_JIS) and .xlsx (one written by LibreOffice) with a preview and
//! all-or-nothing; exports that import back unchanged; who may do what.

use reqwest::StatusCode;

use crate::helpers::{Browser, pdf_text, poppler, spawn_app};

fn detail(event: &mamori_store::audit_log::AuditEvent) -> serde_json::Value {
    serde_json::from_str(&event.detail).expect("details are JSON")
}

fn device_fields(asset_number: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "pc".into()),
        ("asset_number", asset_number.into()),
        ("maker_model", "〇〇 ProBook 450".into()),
        ("location", "医事課".into()),
        ("manager", "医事課長".into()),
        ("os_version", "Windows 11 23H2".into()),
        ("last_security_update", "2025-04-01".into()),
        ("antivirus", "installed".into()),
        ("initial_password_changed", "yes".into()),
        ("external_media_restricted", "yes".into()),
        ("external_media_how", "グループポリシー".into()),
        ("ip_addresses", "192.168.10.21".into()),
        ("mac_addresses", "00-1a-2b-3c-4d-5e".into()),
        ("segment", "電子カルテLAN".into()),
    ]
}

/// The number the list shows ("12 台").
async fn count(browser: &Browser, query: &str) -> usize {
    let page = browser.get(&format!("/ledger/devices{query}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text("#device-count");
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in {text:?}"))
}

async fn upload(browser: &Browser, name: &str, bytes: Vec<u8>) -> crate::helpers::Page {
    browser
        .upload(
            "/ledger/devices/import",
            "/ledger/devices/import",
            &[],
            &[("file", name, bytes)],
        )
        .await
}

/// Uploads, checks the preview, applies; returns the result page.
async fn import(browser: &Browser, name: &str, bytes: Vec<u8>) -> crate::helpers::Page {
    let preview = upload(browser, name, bytes).await;
    assert_eq!(
        preview.status,
        StatusCode::OK,
        "{:?}",
        preview.texts("#import-errors li")
    );
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    browser.submit("/ledger/devices", &action, &[]).await
}

fn shift_jis(text: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!had_errors);
    bytes.into_owned()
}

#[tokio::test]
async fn devices_are_added_changed_and_disposed_with_their_history() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert_eq!(count(&admin, "").await, 0);

    // Every wrong field is named at once, and nothing is stored.
    let bad: Vec<(&str, String)> = device_fields("PC-001")
        .into_iter()
        .map(|(name, value)| match name {
            "kind" => (name, "冷蔵庫".to_owned()),
            "last_security_update" => (name, "令和7年13月1日".to_owned()),
            "ip_addresses" => (name, "192.168.10.300".to_owned()),
            _ => (name, value),
        })
        .collect();
    let refused = admin
        .submit("/ledger/devices/new", "/ledger/devices/new", &bad)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.errors().join("\n");
    for field in ["種別", "最終セキュリティ更新日", "IPアドレス"] {
        assert!(errors.contains(field), "{field} in {errors}");
    }
    assert_eq!(count(&admin, "").await, 0);

    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-001"),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        created.errors()
    );
    let device = created.location_path().expect("the device's page");
    let page = admin.get(&device).await;
    let fields = page.texts("#device-fields dd").join("|");
    assert!(
        fields.contains("PC-001") && fields.contains("00:1A:2B:3C:4D:5E"),
        "{fields}"
    );

    let duplicate = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-001"),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.errors().iter().any(|e| e.contains("管理番号")));

    // A change is in the history with the value before and after, and audited.
    let mut moved = device_fields("PC-001");
    moved[3].1 = "2階 診察室".into();
    let edit = format!("{device}/edit");
    let saved = admin.submit(&edit, &edit, &moved).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let history = admin
        .get(&device)
        .await
        .texts("#history tr.history-entry")
        .join("\n");
    assert!(history.contains("登録"), "{history}");
    assert!(
        history.contains("管理場所: 医事課 → 2階 診察室"),
        "{history}"
    );
    let events = app.audit_events().await;
    let update = events
        .iter()
        .find(|e| e.action == "device.update")
        .expect("an update event");
    assert_eq!(detail(update)["before"]["管理場所"], "医事課");
    assert_eq!(detail(update)["after"]["管理場所"], "2階 診察室");
    assert!(
        detail(update)["after"].get("種別").is_none(),
        "only what changed"
    );

    // Disposal: a date in the future and a wrong file are refused, nothing changes.
    let dispose = format!("{device}/dispose");
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let refused = admin
        .upload(
            &device,
            &dispose,
            &[
                ("disposed_on", "2999-01-01".into()),
                ("contractor", "株式会社〇〇リサイクル".into()),
                ("method", "データ消去後に物理破砕".into()),
            ],
            &[("certificate", "証明書.pdf", b"MZ not a pdf".to_vec())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.errors().iter().any(|e| e.contains("廃棄日")),
        "{:?}",
        refused.errors()
    );
    assert!(
        refused.errors().iter().any(|e| e.contains("ファイル")),
        "{:?}",
        refused.errors()
    );
    assert_eq!(count(&admin, "").await, 1);
    let disposed = admin
        .upload(
            &device,
            &dispose,
            &[
                ("disposed_on", "令和8年11月1日".into()),
                ("contractor", "株式会社〇〇リサイクル".into()),
                ("method", "データ消去後に物理破砕".into()),
            ],
            &[("certificate", "消去証明書.pdf", pdf.clone())],
        )
        .await;
    assert_eq!(
        disposed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        disposed.errors()
    );
    assert_eq!(
        count(&admin, "").await,
        0,
        "a disposed device leaves the active ledger"
    );
    assert_eq!(
        count(&admin, "?status=disposed").await,
        1,
        "and stays in history"
    );
    let page = admin.get(&device).await;
    assert!(page.text("#disposal").contains("株式会社〇〇リサイクル"));
    assert!(page.texts("#history .what").contains(&"廃棄".to_owned()));
    let (status, content_type, bytes) = admin.get_bytes(&format!("{device}/certificate")).await;
    assert_eq!(
        (status, content_type.as_str(), bytes),
        (StatusCode::OK, "application/pdf", pdf)
    );
    assert_eq!(admin.get(&edit).await.status, StatusCode::NOT_FOUND);
    let again = admin
        .upload(
            &device,
            &dispose,
            &[
                ("disposed_on", "2026-11-01".into()),
                ("contractor", "x".into()),
                ("method", "x".into()),
            ],
            &[],
        )
        .await;
    assert_ne!(again.status, StatusCode::SEE_OTHER);
    // The 管理番号 of a disposed device is not free again.
    let reuse = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-001"),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn ledger_csv(rows: std::ops::Range<usize>) -> String {
    let mut csv = String::from(
        "種別,管理番号,メーカー,管理場所,管理責任者,IPアドレス,最終セキュリティ更新日,備考\r\n",
    );
    for n in rows {
        let kind = if n % 10 == 0 {
            "サーバ"
        } else {
            "パソコン"
        };
        csv.push_str(&format!(
            "{kind},PC-{n:04},〇〇,\"医事課, 受付\",医事課長,192.168.1.{},令和7年4月{}日,\r\n",
            n % 250 + 1,
            n % 28 + 1
        ));
    }
    csv
}

#[tokio::test]
async fn a_shift_jis_csv_is_previewed_then_imported_and_every_export_imports_back_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let preview = upload(&admin, "台帳.csv", shift_jis(&ledger_csv(0..120))).await;
    assert_eq!(
        preview.status,
        StatusCode::OK,
        "{:?}",
        preview.texts("#import-errors li")
    );
    assert!(
        preview.text("#preview-counts").contains("追加 120 台"),
        "{}",
        preview.text("#preview-counts")
    );
    // The file's own word for a 種別 stays beside the ledger's name for it.
    let kinds = preview.texts("#preview-rows tbody td:nth-child(3)");
    assert_eq!(kinds[0], "サーバ", "the ledger's own word as it was");
    assert_eq!(kinds[1], "端末PC（ファイルでは「パソコン」）");
    assert_eq!(
        count(&admin, "").await,
        0,
        "nothing changes before it is applied"
    );
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    let result = admin.submit("/ledger/devices", &action, &[]).await;
    assert!(
        result.text("#import-result").contains("追加 120 台"),
        "{}",
        result.body
    );
    assert_eq!(count(&admin, "").await, 120);
    // The same preview cannot be applied twice.
    assert_eq!(
        admin.submit("/ledger/devices", &action, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let events = app.audit_events().await;
    let summary = events
        .iter()
        .find(|e| e.action == "device.import")
        .expect("an import event");
    assert_eq!(detail(summary)["added"], 120);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "device.create")
            .count(),
        120
    );

    // Search, filter and pages.
    assert_eq!(
        count(&admin, "?q=192.168.1.7").await,
        11,
        "192.168.1.7, .70–.79"
    );
    assert_eq!(count(&admin, "?kind=server").await, 12);
    assert_eq!(count(&admin, "?q=pc-0119").await, 1, "search ignores case");
    let third = admin.get("/ledger/devices?page=3").await;
    assert_eq!(third.texts("#devices tr.device").len(), 20);
    assert!(third.attribute("#next-page", "href").is_none());
    assert_eq!(
        admin
            .get("/ledger/devices?page=abc&kind=%00&q=%25")
            .await
            .status,
        StatusCode::OK,
        "odd filters are ignored, not errors"
    );

    // Every export imports back with nothing to change.
    for (path, name) in [
        ("/ledger/devices/export.csv", "export.csv"),
        (
            "/ledger/devices/export.csv?encoding=sjis",
            "export-sjis.csv",
        ),
        ("/ledger/devices/export.xlsx", "export.xlsx"),
    ] {
        let (status, _, bytes) = admin.get_bytes(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let preview = upload(&admin, name, bytes).await;
        assert_eq!(
            preview.status,
            StatusCode::OK,
            "{path}: {:?}",
            preview.texts("#import-errors li")
        );
        let counts = preview.text("#preview-counts");
        assert!(
            counts.contains("追加 0 台")
                && counts.contains("変更 0 台")
                && counts.contains("変更なし 120 台"),
            "{path}: {counts}"
        );
    }
    let exports = app
        .audit_events()
        .await
        .iter()
        .filter(|e| e.action == "ledger.export" && e.target == "devices")
        .count();
    assert_eq!(exports, 3, "every export is audited");

    // A file that leaves columns out changes only what it names.
    let partial = "管理番号,種別,管理場所\r\nPC-0001,パソコン,2階\r\n";
    let result = import(&admin, "partial.csv", partial.as_bytes().to_vec()).await;
    assert!(
        result.text("#import-result").contains("変更 1 台"),
        "{}",
        result.body
    );
    let page = admin.get("/ledger/devices?q=PC-0001").await;
    let link = page.attribute("#devices a", "href").expect("a device");
    let fields = admin.get(&link).await.texts("#device-fields dd").join("|");
    assert!(
        fields.contains("2階") && fields.contains("192.168.1.2"),
        "{fields}"
    );
}

/// The inspector reads a 機器台帳 on paper (checklist 2(1)): the active ledger
/// prints as A4 landscape pages, the header on each, every device on them.
#[tokio::test]
async fn the_device_ledger_prints_on_a4_landscape_with_every_active_device() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    import(&admin, "ledger.csv", ledger_csv(0..80).into_bytes()).await;
    let page = admin.get("/ledger/devices").await;
    assert_eq!(
        page.attribute("#print-pdf", "href").as_deref(),
        Some("/ledger/devices/print.pdf")
    );
    let (status, content_type, pdf) = admin.get_bytes("/ledger/devices/print.pdf").await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    if let Ok(keep) = std::env::var("MAMORI_KEEP_PDF") {
        std::fs::write(keep, &pdf).expect("keep");
    }
    let poppler = |tool: &str, args: &[&str]| poppler(tool, args, &pdf);
    let info = poppler("pdfinfo", &[]);
    let pages: usize = info
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count");
    assert!(pages >= 2, "80 devices take more than one page: {info}");
    assert!(
        info.contains("841.89 x 595.276 pts (A4)") || info.contains("841.89 x 595.28 pts (A4)"),
        "A4 landscape: {info}"
    );
    let text = pdf_text(&pdf);
    for n in 0..80 {
        assert!(text.contains(&format!("PC-{n:04}")), "PC-{n:04} is printed");
    }
    let name: String = admin
        .get("/institution")
        .await
        .text("dd.name")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(text.contains("使用機器一覧表") && text.contains(&name));
    assert!(
        text.contains("80件") && text.contains("令和"),
        "count and 和暦 date"
    );
    let second: String = poppler("pdftotext", &["-f", "2", "-l", "2"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        second.contains("管理番号") && second.contains("管理責任者") && second.contains("PC-0079"),
        "the header repeats on the second page above its devices: {second}"
    );
    let event = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "ledger.export" && e.target == "devices")
        .expect("the print is audited");
    assert_eq!(detail(&event)["format"], "pdf");
    assert_eq!(detail(&event)["rows"], 80);
}

#[tokio::test]
async fn a_bad_file_changes_nothing_and_names_the_row_and_column() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    import(&admin, "first.csv", ledger_csv(0..3).into_bytes()).await;
    let before = admin.get_bytes("/ledger/devices/export.csv").await.2;
    let audit_before = app.audit_events().await.len();

    let cases: [(&str, Vec<u8>, &[&str]); 6] = [
        (
            "bad-encoding.csv",
            [shift_jis("種別,管理番号\r\n"), b"PC,\x82\x20\r\n".to_vec()].concat(),
            &["2行目", "文字コード"],
        ),
        (
            "no-asset-number.csv",
            "種別,管理場所\r\nパソコン,医事課\r\n".as_bytes().to_vec(),
            &["1行目", "管理番号"],
        ),
        (
            "duplicate.csv",
            "種別,管理番号\r\nパソコン,PC-9000\r\nパソコン,PC-9000\r\n"
                .as_bytes()
                .to_vec(),
            &["3行目", "管理番号", "2行目と同じ"],
        ),
        (
            "bad-date.csv",
            shift_jis(
                "種別,管理番号,最終セキュリティ更新日\r\nパソコン,PC-9001,令和7年4月1日\r\nパソコン,PC-0001,令和7年13月1日\r\n",
            ),
            &["3行目", "最終セキュリティ更新日"],
        ),
        (
            "unknown-kind.csv",
            "種別,管理番号\r\n冷蔵庫,PC-9002\r\n".as_bytes().to_vec(),
            &["2行目", "種別"],
        ),
        ("broken.xlsx", b"PK\x03\x04 broken".to_vec(), &["Excel"]),
    ];
    for (name, bytes, expected) in cases {
        let page = upload(&admin, name, bytes).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let errors = page.texts("#import-errors li").join("\n");
        for part in expected {
            assert!(errors.contains(part), "{name}: {part} in {errors}");
        }
        assert!(
            page.attribute("#import-preview form", "action").is_none(),
            "{name}"
        );
    }
    assert_eq!(
        admin.get_bytes("/ledger/devices/export.csv").await.2,
        before
    );
    assert_eq!(
        app.audit_events().await.len(),
        audit_before + 1,
        "only the export above was recorded"
    );
}

#[tokio::test]
async fn a_preview_is_checked_again_when_applied() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let preview = upload(
        &admin,
        "new.csv",
        "種別,管理番号\r\nサーバ,PC-0500\r\n".as_bytes().to_vec(),
    )
    .await;
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    // Meanwhile someone adds the same 管理番号 by hand.
    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-0500"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let applied = admin.submit("/ledger/devices", &action, &[]).await;
    assert_eq!(
        applied.status,
        StatusCode::OK,
        "the file now changes PC-0500's 種別"
    );
    assert!(
        applied.text("#import-result").contains("変更 1 台"),
        "{}",
        applied.body
    );
    assert_eq!(count(&admin, "").await, 1);
}

#[tokio::test]
async fn an_xlsx_written_by_libreoffice_imports() {
    let Some(soffice) = ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
    else {
        let required = std::env::var("MAMORI_OFFICE_TESTS").is_ok_and(|value| value == "required");
        assert!(
            !required,
            "MAMORI_OFFICE_TESTS=required but LibreOffice is missing"
        );
        eprintln!("SKIPPED: needs LibreOffice (apt-get install libreoffice-calc-nogui)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("ledger.csv");
    std::fs::write(
        &csv,
        "種別,管理番号,メーカー・型番,管理場所,最終セキュリティ更新日,IPアドレス,初期パスワード変更\n\
         サーバ,SV-01,〇〇 PowerEdge,サーバ室,2025-04-01,192.168.1.2,はい\n\
         ネットワーク機器,NW-01,〇〇 ルータ,サーバ室,,192.168.1.1,いいえ\n",
    )
    .expect("csv");
    let output = std::process::Command::new(soffice)
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--infilter=CSV:44,34,76,1",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&csv)
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice runs");
    let xlsx = std::fs::read(dir.path().join("ledger.xlsx")).unwrap_or_else(|_| {
        panic!(
            "LibreOffice wrote no workbook: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(xlsx.starts_with(b"PK"));
    let app = spawn_app().await;
    let admin = app.admin().await;
    let result = import(&admin, "ledger.xlsx", xlsx).await;
    assert!(
        result.text("#import-result").contains("追加 2 台"),
        "{}",
        result.body
    );
    let page = admin.get("/ledger/devices?q=SV-01").await;
    let link = page.attribute("#devices a", "href").expect("the server");
    let fields = admin.get(&link).await.texts("#device-fields dd").join("|");
    assert!(
        fields.contains("2025-04-01"),
        "the date cell is read as a date: {fields}"
    );
    assert!(
        fields.contains("〇〇 PowerEdge") && fields.contains("192.168.1.2"),
        "{fields}"
    );
    let router = admin.get("/ledger/devices?q=NW-01").await;
    assert!(
        router
            .text("#devices .warnings")
            .contains("初期パスワード未変更")
    );
}

#[tokio::test]
async fn only_ledger_roles_change_the_ledger() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (login_id, role) in [
        ("viewer", "viewer"),
        ("staff", "staff"),
        ("operator", "system_operator"),
    ] {
        let page = admin
            .add_user(login_id, &format!("{role} さん"), role)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
    }
    let viewer = app.signed_in("viewer").await;
    let refused = viewer
        .submit(
            "/ledger/devices",
            "/ledger/devices/new",
            &device_fields("PC-1"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = upload(&viewer, "x.csv", ledger_csv(0..2).into_bytes()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        count(&viewer, "").await,
        0,
        "the inspector reads the ledger"
    );
    let staff = app.signed_in("staff").await;
    assert_eq!(
        staff.get("/ledger/devices").await.status,
        StatusCode::FORBIDDEN
    );
    let operator = app.signed_in("operator").await;
    let created = operator
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-1"),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "the システム運用担当者 keeps the ledger"
    );
    assert_eq!(count(&viewer, "").await, 1);
}

#[tokio::test]
async fn the_checklist_shows_the_ledger_and_warns_where_it_contradicts_a_yes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    let year = mamori_domain::calendar::FiscalYear::containing(today);
    let base = format!("/checklist/medical/{year}");
    let started = admin.submit(&base, &format!("{base}/start"), &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let yes = [
        ("first_answer", "yes".to_owned()),
        ("first_date", today.to_string()),
    ];
    for key in ["ledger", "patch"] {
        let item = format!("{base}/items/{key}");
        let saved = admin.submit(&item, &item, &yes).await;
        assert_eq!(
            saved.status,
            StatusCode::SEE_OTHER,
            "{key}: {:?}",
            saved.errors()
        );
    }
    let ledger_item = format!("{base}/items/ledger");
    let page = admin.get(&ledger_item).await;
    assert!(
        page.text("#ledger-warnings").contains("登録されていません"),
        "はい with an empty ledger: {}",
        page.text("#ledger-facts")
    );
    assert!(
        page.text("#ledger-facts").contains("記録がありません"),
        "no review yet"
    );

    // A PC whose last security update is older than half a year.
    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-001"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let reviewed = admin
        .submit(
            "/ledger/devices",
            "/ledger/devices/review",
            &[
                ("reviewed_on", today.to_string()),
                ("note", "全台を現物確認".into()),
            ],
        )
        .await;
    assert_eq!(reviewed.status, StatusCode::SEE_OTHER);
    assert!(
        app.audit_events()
            .await
            .iter()
            .any(|e| e.action == "device.review")
    );
    let page = admin.get(&ledger_item).await;
    assert!(
        page.attribute("#ledger-warnings", "class").is_none(),
        "{}",
        page.text("#ledger-facts")
    );
    let facts = page.text("#ledger-facts");
    assert!(facts.contains("端末PC 1"), "{facts}");
    assert!(
        facts.contains("最終棚卸") && !facts.contains("記録がありません"),
        "{facts}"
    );
    let patch = admin.get(&format!("{base}/items/patch")).await;
    assert!(
        patch
            .text("#ledger-warnings")
            .contains("最終セキュリティ更新"),
        "{}",
        patch.text("#ledger-facts")
    );
    // An item the ledger does not speak to shows no box; nor does an unanswered one warn.
    assert!(
        admin
            .get(&format!("{base}/items/security-officer"))
            .await
            .attribute("#ledger-facts", "id")
            .is_none()
    );
    let media = admin.get(&format!("{base}/items/external-media")).await;
    assert!(media.attribute("#ledger-facts", "id").is_some());
    assert!(media.attribute("#ledger-warnings", "id").is_none());
}

#[tokio::test]
async fn a_leaver_opens_deletion_tasks_flags_their_accounts_and_the_checklist_warns() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date();

    let refused = admin
        .submit(
            "/ledger/staff",
            "/ledger/staff",
            &[
                ("name", "".into()),
                ("job", "nurse".into()),
                ("joined_on", "2025-04-01".into()),
                ("left_on", "2025-03-31".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.errors().join("\n");
    assert!(
        errors.contains("退職日") && errors.contains("氏名"),
        "{errors}"
    );
    for (name, job) in [("田中 花子", "nurse"), ("鈴木 一郎", "clerk")] {
        let added = admin
            .submit(
                "/ledger/staff",
                "/ledger/staff",
                &[
                    ("name", name.into()),
                    ("job", job.into()),
                    ("joined_on", "令和5年4月1日".into()),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    }
    let staff_page = admin.get("/ledger/staff").await;
    let tanaka_edit = staff_page
        .html()
        .select(&scraper::Selector::parse("#staff tr.staff").expect("selector"))
        .find(|row| row.text().collect::<String>().contains("田中 花子"))
        .and_then(|row| {
            row.select(&scraper::Selector::parse("a").expect("selector"))
                .next()
                .and_then(|a| a.value().attr("href").map(str::to_owned))
        })
        .expect("田中's edit link");
    let tanaka_id = tanaka_edit
        .trim_start_matches("/ledger/staff/")
        .trim_end_matches("/edit")
        .to_owned();

    for (system, login, owner, shared, admin_right, used) in [
        (
            "電子カルテ",
            "tanaka",
            tanaka_id.as_str(),
            "",
            "",
            today.to_string(),
        ),
        (
            "Windows",
            "tanaka",
            tanaka_id.as_str(),
            "",
            "yes",
            today.to_string(),
        ),
        ("レセコン", "uketsuke", "", "yes", "", today.to_string()),
        ("VPN", "old-vendor", "", "", "", "2025-01-01".to_owned()),
    ] {
        let added = admin
            .submit(
                "/ledger/accounts",
                "/ledger/accounts",
                &[
                    ("system", system.into()),
                    ("login", login.into()),
                    ("staff_id", owner.into()),
                    ("shared", shared.into()),
                    ("admin", admin_right.into()),
                    ("last_used_on", used),
                ],
            )
            .await;
        assert_eq!(
            added.status,
            StatusCode::SEE_OTHER,
            "{login}: {:?}",
            added.errors()
        );
    }
    let duplicate = admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts",
            &[("system", "電子カルテ".into()), ("login", "tanaka".into())],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        duplicate
            .errors()
            .iter()
            .any(|e| e.contains("同じアカウント"))
    );
    let unknown_owner = admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts",
            &[
                ("system", "メール".into()),
                ("login", "x".into()),
                ("staff_id", "999999".into()),
            ],
        )
        .await;
    assert!(
        unknown_owner
            .errors()
            .iter()
            .any(|e| e.contains("職員台帳にない"))
    );
    let accounts = admin.get("/ledger/accounts").await;
    let flags = accounts.texts("#accounts tr.account").join("\n");
    assert!(
        flags.contains("共用アカウント")
            && flags.contains("利用者不明")
            && flags.contains("長期間未使用"),
        "{flags}"
    );
    let long = admin.get("/ledger/accounts?unused_days=730").await;
    assert!(
        !long
            .texts("#accounts tr.account")
            .join("\n")
            .contains("長期間未使用"),
        "with a two-year threshold nothing counts as unused"
    );
    let odd = admin.get("/ledger/accounts?unused_days=3").await;
    assert!(
        odd.errors()
            .iter()
            .any(|e| e.contains("未使用とみなす日数")),
        "{:?}",
        odd.errors()
    );
    assert_eq!(accounts.text("#task-count"), "0");

    // 退職: each active account of the leaver gets a deletion task due on the 退職日.
    let left = admin
        .submit(
            &tanaka_edit,
            &tanaka_edit,
            &[
                ("name", "田中 花子".into()),
                ("job", "nurse".into()),
                ("joined_on", "2023-04-01".into()),
                ("left_on", today.to_string()),
            ],
        )
        .await;
    assert_eq!(
        left.location.as_deref(),
        Some("/ledger/accounts"),
        "{:?}",
        left.errors()
    );
    let accounts = admin.get("/ledger/accounts").await;
    assert_eq!(accounts.text("#task-count"), "2");
    assert_eq!(
        accounts
            .texts("#accounts tr.account")
            .iter()
            .filter(|row| row.contains("退職者のアカウント") && row.contains("削除期限"))
            .count(),
        2
    );
    let update = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "staff.update")
        .expect("the staff change is audited");
    assert_eq!(detail(&update)["deletion_tasks_opened"], 2);
    assert!(
        admin
            .get("/dashboard")
            .await
            .texts("#next-steps li")
            .iter()
            .any(|s| s.contains("アカウントが 2 件")),
        "the dashboard asks for the deletion"
    );

    // The checklist's はい to 不要なアカウントを削除 is contradicted while they remain.
    let year = mamori_domain::calendar::FiscalYear::containing(today);
    let base = format!("/checklist/medical/{year}");
    admin.submit(&base, &format!("{base}/start"), &[]).await;
    let item = format!("{base}/items/unneeded-accounts");
    let yes = [
        ("first_answer", "yes".to_owned()),
        ("first_date", today.to_string()),
    ];
    assert_eq!(
        admin.submit(&item, &item, &yes).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        admin
            .get(&item)
            .await
            .text("#ledger-warnings")
            .contains("退職者のアカウントが 2 件")
    );

    // Deleting them closes the tasks and the warning.
    for row in admin
        .get("/ledger/accounts")
        .await
        .html()
        .select(&scraper::Selector::parse("#accounts tr.account").expect("selector"))
        .filter(|row| {
            row.text()
                .collect::<String>()
                .contains("退職者のアカウント")
        })
        .filter_map(|row| row.value().attr("data-account-id").map(str::to_owned))
        .collect::<Vec<_>>()
    {
        let deleted = admin
            .submit(
                "/ledger/accounts",
                &format!("/ledger/accounts/{row}/delete"),
                &[("date", today.to_string())],
            )
            .await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(admin.get("/ledger/accounts").await.text("#task-count"), "0");
    assert!(
        admin
            .get(&item)
            .await
            .attribute("#ledger-warnings", "id")
            .is_none()
    );

    // The inventory is signed off with the counts of the moment.
    let signed = admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts/inventory",
            &[("date", today.to_string()), ("note", "全件照合".into())],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert!(
        !admin
            .get("/ledger/accounts")
            .await
            .text("#last-inventory")
            .contains("記録がありません")
    );
    let inventory = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "account.inventory")
        .expect("audited");
    assert_eq!(detail(&inventory)["after"]["集計"]["有効なアカウント"], 2);
}

#[tokio::test]
async fn the_access_matrix_is_saved_whole_and_lists_the_administrators() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    assert!(
        admin
            .get("/ledger/access")
            .await
            .attribute("#access-unset", "id")
            .is_some()
    );
    let saved = admin
        .submit(
            "/ledger/access",
            "/ledger/access",
            &[
                ("doctor.medical-record", "update".into()),
                ("medical-clerk.billing", "update".into()),
                ("it.system-admin", "admin".into()),
                ("nurse.medical-record", "read".into()),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = admin.get("/ledger/access").await;
    assert!(page.attribute("#access-unset", "id").is_none());
    assert_eq!(
        page.attribute(
            "select[name='doctor.medical-record'] option[selected]",
            "value"
        )
        .as_deref(),
        Some("update")
    );
    let refused = admin
        .submit(
            "/ledger/access",
            "/ledger/access",
            &[
                ("doctor.medical-record", "admin".into()),
                ("janitor.keys", "admin".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let page = admin.get("/ledger/access").await;
    assert_eq!(
        page.attribute(
            "select[name='doctor.medical-record'] option[selected]",
            "value"
        )
        .as_deref(),
        Some("update"),
        "a refused form changes nothing"
    );
    let added = admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts",
            &[
                ("system", "電子カルテ".into()),
                ("login", "emr-admin".into()),
                ("admin", "yes".into()),
                ("shared", "yes".into()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get("/ledger/access")
            .await
            .text("#admin-accounts")
            .contains("emr-admin")
    );
    let event = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "access_rules.update")
        .expect("audited");
    assert_eq!(detail(&event)["after"]["医師・診療録"], "更新");
}

#[tokio::test]
async fn the_usage_log_and_private_devices_are_recorded_by_staff_and_read_by_the_inspector() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    for (login_id, role) in [("nurse", "staff"), ("inspector", "viewer")] {
        let page = admin
            .add_user(login_id, &format!("{login_id} さん"), role)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{:?}", page.errors());
    }
    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-001"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let nurse = app.signed_in("nurse").await;

    let refused = nurse
        .submit(
            "/ledger/usage",
            "/ledger/usage",
            &[
                ("asset_number", "PC-404".into()),
                ("used_on", today.to_string()),
                ("start_time", "09:00".into()),
                ("end_time", "10:00".into()),
                ("user_name", "看護 花子".into()),
            ],
        )
        .await;
    assert!(
        refused.errors().iter().any(|e| e.contains("管理番号")),
        "{:?}",
        refused.errors()
    );
    let backwards = nurse
        .submit(
            "/ledger/usage",
            "/ledger/usage",
            &[
                ("asset_number", "PC-001".into()),
                ("used_on", today.to_string()),
                ("start_time", "12:00".into()),
                ("end_time", "11:00".into()),
                ("user_name", "看護 花子".into()),
            ],
        )
        .await;
    assert!(
        backwards.errors().iter().any(|e| e.contains("終了時間")),
        "{:?}",
        backwards.errors()
    );
    let recorded = nurse
        .submit(
            "/ledger/usage",
            "/ledger/usage",
            &[
                ("asset_number", "PC-001".into()),
                ("used_on", today.to_string()),
                ("start_time", "09:00".into()),
                ("end_time", "10:30".into()),
                ("user_name", "看護 花子".into()),
                ("virus_checked", "yes".into()),
            ],
        )
        .await;
    assert_eq!(
        recorded.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        recorded.errors()
    );
    let inspector = app.signed_in("inspector").await;
    let log = inspector.get("/ledger/usage").await;
    assert!(log.text("#uses").contains("09:00〜10:30") && log.text("#uses").contains("実施"));
    assert!(
        log.attribute("#use-form", "id").is_none(),
        "the inspector only reads"
    );
    assert_eq!(
        inspector
            .submit(
                "/ledger/usage",
                "/ledger/usage",
                &[("asset_number", "PC-001".into())]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // A private USB stick: only after the virus check; data deleted after use.
    let unchecked = [
        ("owner_name", "看護 花子".to_owned()),
        ("device", "私物USBメモリ".to_owned()),
        ("purpose", "院内研修の資料".to_owned()),
        ("permitted_by", "看護部長".to_owned()),
        ("permitted_on", today.to_string()),
    ];
    let refused = nurse
        .submit(
            "/ledger/private-devices",
            "/ledger/private-devices",
            &unchecked,
        )
        .await;
    assert!(
        refused
            .errors()
            .iter()
            .any(|e| e.contains("ウイルスチェック")),
        "{:?}",
        refused.errors()
    );
    let mut checked = unchecked.to_vec();
    checked.push(("virus_checked", "yes".to_owned()));
    let permitted = nurse
        .submit(
            "/ledger/private-devices",
            "/ledger/private-devices",
            &checked,
        )
        .await;
    assert_eq!(
        permitted.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        permitted.errors()
    );
    let page = nurse.get("/ledger/private-devices").await;
    assert!(page.text("#private-devices").contains("未削除"));
    let action = page
        .attribute("#private-devices form", "action")
        .expect("a deletion form");
    let deleted = nurse
        .submit(
            "/ledger/private-devices",
            &action,
            &[("data_deleted_on", today.to_string())],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        nurse
            .submit(
                "/ledger/private-devices",
                &action,
                &[("data_deleted_on", today.to_string())]
            )
            .await
            .status,
        StatusCode::NOT_FOUND,
        "once"
    );
    assert!(
        inspector
            .get("/ledger/private-devices")
            .await
            .text("#private-devices")
            .contains("削除済み")
    );
    let device = admin.get("/ledger/devices?q=PC-001").await;
    let link = device.attribute("#devices a", "href").expect("the device");
    assert!(
        admin
            .get(&link)
            .await
            .texts("#history .what")
            .contains(&"使用記録".to_owned()),
        "the use is in the device's history"
    );
    let actions: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("device.use") || a.starts_with("private_device."))
        .collect();
    assert_eq!(
        actions,
        vec![
            "private_device.data_deleted",
            "private_device.permit",
            "device.use"
        ]
    );
}

#[tokio::test]
async fn the_network_diagram_draws_segments_devices_and_links_and_records_its_review() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    let empty = admin.get("/ledger/network").await;
    assert!(
        empty.attribute("#review-due", "id").is_some(),
        "never reviewed"
    );
    for (name, kind) in [
        ("インターネット", "internet"),
        ("電子カルテLAN", "lan"),
        ("<script>x</script>", "other"),
    ] {
        let added = admin
            .submit(
                "/ledger/network",
                "/ledger/network/segments",
                &[("segment_name", name.into()), ("segment_kind", kind.into())],
            )
            .await;
        assert_eq!(
            added.status,
            StatusCode::SEE_OTHER,
            "{name}: {:?}",
            added.errors()
        );
    }
    for (name, kind, reason) in [
        ("電子カルテLAN", "lan", "同じ名前"),
        ("", "lan", "セグメント名"),
        ("VPN", "satellite", "セグメントの種類"),
    ] {
        let refused = admin
            .submit(
                "/ledger/network",
                "/ledger/network/segments",
                &[("segment_name", name.into()), ("segment_kind", kind.into())],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.errors().iter().any(|e| e.contains(reason)),
            "{reason}: {:?}",
            refused.errors()
        );
    }
    admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-001"),
        )
        .await;
    let page = admin.get("/ledger/network").await;
    let ids: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("#link-form select[name=from] option").expect("selector"))
        .filter_map(|option| option.value().attr("value").map(str::to_owned))
        .collect();
    let names = page.texts("#link-form select[name=from] option");
    let id_of = |name: &str| ids[names.iter().position(|n| n == name).expect(name)].clone();
    let same = admin
        .submit(
            "/ledger/network",
            "/ledger/network/links",
            &[
                ("from", id_of("インターネット")),
                ("to", id_of("インターネット")),
            ],
        )
        .await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    let linked = admin
        .submit(
            "/ledger/network",
            "/ledger/network/links",
            &[
                ("from", id_of("電子カルテLAN")),
                ("to", id_of("インターネット")),
                ("via", "FW-01".into()),
            ],
        )
        .await;
    assert_eq!(
        linked.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        linked.errors()
    );
    let reviewed = admin
        .submit(
            "/ledger/network",
            "/ledger/network/review",
            &[
                ("date", today.to_string()),
                ("note", "ベンダと現地確認".into()),
            ],
        )
        .await;
    assert_eq!(reviewed.status, StatusCode::SEE_OTHER);

    let (status, content_type, bytes) = admin.get_bytes("/ledger/network.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("image/svg+xml"), "{content_type}");
    let svg = String::from_utf8(bytes).expect("UTF-8");
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    let drawing = scraper::Html::parse_fragment(&svg);
    let texts: Vec<String> = drawing
        .select(&scraper::Selector::parse("text").expect("selector"))
        .map(|text| text.text().collect())
        .collect();
    for expected in [
        "インターネット",
        "電子カルテLAN",
        "PC-001",
        "FW-01",
        "まもり内科クリニック 全体構成図",
    ] {
        assert!(
            texts.iter().any(|t| t.contains(expected)),
            "{expected} in {texts:?}"
        );
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains("最終見直し") && t.contains(&today.year().to_string()))
    );
    assert!(!svg.contains("<script>"), "names are escaped");
    let internet = texts
        .iter()
        .position(|t| t == "インターネット")
        .expect("internet lane");
    let lan = texts
        .iter()
        .position(|t| t == "電子カルテLAN")
        .expect("LAN lane");
    assert!(internet < lan, "the internet is drawn on top");
    let page = admin.get("/ledger/network").await;
    assert!(page.attribute("#review-due", "id").is_none());
    assert!(
        page.body.contains("id=\"network-diagram\""),
        "the page shows the drawing inline"
    );
    assert!(
        app.audit_events()
            .await
            .iter()
            .any(|e| e.action == "network.review")
    );

    // Removing a segment removes its links; its devices fall into 未設定.
    let remove = page
        .html()
        .select(&scraper::Selector::parse("#segments tr.segment").expect("selector"))
        .find(|row| row.text().collect::<String>().contains("電子カルテLAN"))
        .and_then(|row| {
            row.select(&scraper::Selector::parse("form").expect("selector"))
                .next()
                .and_then(|form| form.value().attr("action").map(str::to_owned))
        })
        .expect("a remove form");
    let removed = admin.submit("/ledger/network", &remove, &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let after = admin.get("/ledger/network").await;
    assert!(
        after.texts("#links tr.link-row").is_empty(),
        "its link went with it"
    );
    let svg = String::from_utf8(admin.get_bytes("/ledger/network.svg").await.2).expect("UTF-8");
    assert!(svg.contains("セグメント未設定") && svg.contains("PC-001"));
}

#[tokio::test]
async fn accounts_import_from_shift_jis_with_owners_by_name_and_exports_import_back_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (name, left) in [("田中 花子", ""), ("退職 太郎", "2026-04-30")] {
        let added = admin
            .submit(
                "/ledger/staff",
                "/ledger/staff",
                &[
                    ("name", name.into()),
                    ("job", "nurse".into()),
                    ("left_on", left.into()),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    }
    let upload_accounts = |name: &'static str, bytes: Vec<u8>| {
        let admin = &admin;
        async move {
            admin
                .upload(
                    "/ledger/accounts/import",
                    "/ledger/accounts/import",
                    &[],
                    &[("file", name, bytes)],
                )
                .await
        }
    };
    let bad = shift_jis(
        "システム,アカウント,利用者,管理者権限\r\n電子カルテ,tanaka,田中 花子,はい\r\nVPN,ghost,幽霊 一郎,\r\n",
    );
    let refused = upload_accounts("bad.csv", bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.texts("#import-errors li").join("\n");
    assert!(
        errors.contains("3行目") && errors.contains("利用者") && errors.contains("職員台帳"),
        "{errors}"
    );
    assert!(
        admin
            .get("/ledger/accounts")
            .await
            .texts("#accounts tr.account")
            .is_empty()
    );

    let good = shift_jis(
        "システム,アカウント,利用者,共用,管理者権限,最終利用日\r\n電子カルテ,tanaka,田中 花子,,はい,令和8年11月1日\r\nレセコン,uketsuke,,はい,,\r\n電子カルテ,taishoku,退職 太郎,,,\r\n",
    );
    let preview = upload_accounts("accounts.csv", good).await;
    assert_eq!(
        preview.status,
        StatusCode::OK,
        "{:?}",
        preview.texts("#import-errors li")
    );
    assert!(preview.text("#preview-counts").contains("追加 3 件"));
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    let result = admin.submit("/ledger/accounts", &action, &[]).await;
    assert!(
        result.text("#import-result").contains("追加 3 件"),
        "{}",
        result.body
    );
    let accounts = admin.get("/ledger/accounts").await;
    assert_eq!(accounts.texts("#accounts tr.account").len(), 3);
    assert_eq!(
        accounts.text("#task-count"),
        "1",
        "the leaver's account gets its deletion task"
    );
    assert!(
        app.audit_events()
            .await
            .iter()
            .any(|e| e.action == "account.import")
    );

    for (path, name) in [
        ("/ledger/accounts/export.csv", "a.csv"),
        ("/ledger/accounts/export.csv?encoding=sjis", "b.csv"),
        ("/ledger/accounts/export.xlsx", "c.xlsx"),
    ] {
        let (status, _, bytes) = admin.get_bytes(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let preview = upload_accounts(name, bytes).await;
        assert_eq!(
            preview.status,
            StatusCode::OK,
            "{path}: {:?}",
            preview.texts("#import-errors li")
        );
        assert!(
            preview.text("#preview-counts").contains("変更なし 3 件"),
            "{path}: {}",
            preview.text("#preview-counts")
        );
    }
}

#[tokio::test]
async fn staff_import_by_name_records_leavers_and_exports_import_back_unchanged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let upload_staff = |name: &'static str, bytes: Vec<u8>| {
        let admin = &admin;
        async move {
            admin
                .upload(
                    "/ledger/staff/import",
                    "/ledger/staff/import",
                    &[],
                    &[("file", name, bytes)],
                )
                .await
        }
    };
    let first = shift_jis(
        "氏名,職種,部署,入職日\r\n田中 花子,看護師,外来,令和5年4月1日\r\n鈴木 一郎,医療事務,受付,2024-04-01\r\n",
    );
    let preview = upload_staff("staff.csv", first).await;
    assert_eq!(
        preview.status,
        StatusCode::OK,
        "{:?}",
        preview.texts("#import-errors li")
    );
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    let result = admin.submit("/ledger/staff", &action, &[]).await;
    assert!(
        result.text("#import-result").contains("追加 2 件"),
        "{}",
        result.body
    );

    // 鈴木 has an account; a file that records his 退職日 opens its deletion task.
    let page = admin.get("/ledger/accounts").await;
    let suzuki = page
        .html()
        .select(&scraper::Selector::parse("#staff_id option").expect("selector"))
        .find(|option| option.text().collect::<String>().contains("鈴木"))
        .and_then(|option| option.value().attr("value").map(str::to_owned))
        .expect("鈴木 in the owner list");
    let added = admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts",
            &[
                ("system", "レセコン".into()),
                ("login", "suzuki".into()),
                ("staff_id", suzuki),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let leaving = "氏名,退職日\r\n鈴木 一郎,2026-10-31\r\n"
        .as_bytes()
        .to_vec();
    let preview = upload_staff("leaving.csv", leaving).await;
    assert!(
        preview.text("#preview-rows").contains("変更（退職日）"),
        "{}",
        preview.text("#preview-rows")
    );
    let action = preview
        .attribute("#import-preview form", "action")
        .expect("an apply form");
    admin.submit("/ledger/staff", &action, &[]).await;
    assert_eq!(admin.get("/ledger/accounts").await.text("#task-count"), "1");

    let bad = upload_staff(
        "bad.csv",
        "氏名,職種\r\n山田 太郎,魔法使い\r\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.texts("#import-errors li")
            .join("")
            .contains("2行目 職種"),
        "{:?}",
        bad.texts("#import-errors li")
    );

    for (path, name) in [
        ("/ledger/staff/export.csv", "a.csv"),
        ("/ledger/staff/export.csv?encoding=sjis", "b.csv"),
        ("/ledger/staff/export.xlsx", "c.xlsx"),
    ] {
        let (status, _, bytes) = admin.get_bytes(path).await;
        assert_eq!(status, StatusCode::OK);
        let preview = upload_staff(name, bytes).await;
        assert!(
            preview.text("#preview-counts").contains("変更なし 2 件"),
            "{path}: {} {:?}",
            preview.text("#preview-counts"),
            preview.texts("#import-errors li")
        );
    }

    // Both ledgers print for the inspector, each print audited.
    for (page, link, expect) in [
        (
            "/ledger/staff",
            "#print-staff-pdf",
            &["職員台帳", "田中花子", "看護師", "鈴木一郎", "2026-10-31"][..],
        ),
        (
            "/ledger/accounts",
            "#print-accounts-pdf",
            &["アカウント台帳", "レセコン", "suzuki", "鈴木一郎"][..],
        ),
    ] {
        let href = admin
            .get(page)
            .await
            .attribute(link, "href")
            .expect("a print link");
        let (status, content_type, pdf) = admin.get_bytes(&href).await;
        assert_eq!(
            (status, content_type.as_str()),
            (StatusCode::OK, "application/pdf"),
            "{href}"
        );
        let text = pdf_text(&pdf);
        for word in expect {
            assert!(text.contains(word), "{href} lacks {word}: {text}");
        }
        assert!(
            poppler("pdfinfo", &[], &pdf).contains("841.89 x 595.2"),
            "{href}: A4 landscape"
        );
    }
    let prints: Vec<String> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.action == "ledger.export" && detail(e)["format"] == "pdf")
        .map(|e| e.target)
        .collect();
    assert_eq!(prints, ["accounts", "staff"], "newest first");
}

#[tokio::test]
async fn a_deletion_task_follows_the_leaving_day_and_goes_when_it_is_cleared() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    let in_a_month = today
        .checked_add(jiff::Span::new().days(30))
        .expect("a date");
    let added = admin
        .submit(
            "/ledger/staff",
            "/ledger/staff",
            &[("name", "山本 次郎".into()), ("job", "doctor".into())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let edit = admin
        .get("/ledger/staff")
        .await
        .attribute("#staff a", "href")
        .expect("an edit link");
    let id = edit
        .trim_start_matches("/ledger/staff/")
        .trim_end_matches("/edit")
        .to_owned();
    admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts",
            &[
                ("system", "電子カルテ".into()),
                ("login", "yamamoto".into()),
                ("staff_id", id),
            ],
        )
        .await;
    let leave_on = |day: String| {
        let admin = &admin;
        let edit = edit.clone();
        async move {
            admin
                .submit(
                    &edit,
                    &edit,
                    &[
                        ("name", "山本 次郎".into()),
                        ("job", "doctor".into()),
                        ("left_on", day),
                    ],
                )
                .await
        }
    };
    leave_on(today.to_string()).await;
    assert!(
        admin
            .get("/ledger/accounts")
            .await
            .text("#accounts")
            .contains(&today.year().to_string())
    );
    // Moved a month on: the task follows, and is not yet due on the dashboard.
    leave_on(in_a_month.to_string()).await;
    let accounts = admin.get("/ledger/accounts").await;
    assert_eq!(accounts.text("#task-count"), "1");
    assert!(
        accounts
            .text("#accounts .task")
            .contains(&in_a_month.day().to_string()),
        "{}",
        accounts.text("#accounts .task")
    );
    assert!(
        !admin
            .get("/dashboard")
            .await
            .body
            .contains("削除を待っています")
    );
    // Cleared: the person stays, and so does the account, with no task.
    leave_on(String::new()).await;
    assert_eq!(admin.get("/ledger/accounts").await.text("#task-count"), "0");

    let doubled = admin
        .submit(
            "/ledger/access",
            "/ledger/access",
            &[
                ("nurse.results", "read".into()),
                ("看護師.results", "admin".into()),
            ],
        )
        .await;
    assert_eq!(doubled.status, StatusCode::BAD_REQUEST);
}

/// A write that arrives while another holds SQLite's write lock for longer
/// than the old 5-second busy timeout (a 50,000-row import did for 14 s)
/// waits its turn instead of failing with a 500 "database is locked".
#[tokio::test]
async fn a_write_waits_for_a_long_transaction_instead_of_failing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    if !app.database_url.starts_with("sqlite") {
        // PostgreSQL locks rows, not the database: nothing to wait for here.
        return;
    }
    sqlx::any::install_default_drivers();
    let mut holder = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .expect("connect");
    sqlx::Executor::execute(&mut holder, "BEGIN IMMEDIATE")
        .await
        .expect("take the write lock");
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(7)).await;
        sqlx::Executor::execute(&mut holder, "COMMIT")
            .await
            .expect("release");
    });
    let started = std::time::Instant::now();
    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &device_fields("PC-LOCK"),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(6),
        "it waited"
    );
    release.await.expect("released");
    assert_eq!(count(&admin, "").await, 1);
}
