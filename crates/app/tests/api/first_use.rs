//! What a 事務長 trying mamori for the first time ran into (issue #11's walk):
//! each bug they found, held by a test through the pages.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
}

#[tokio::test]
async fn a_new_device_starts_with_antivirus_unknown_until_chosen() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let form = admin.get("/ledger/devices/new").await;
    assert_eq!(
        form.attribute("select[name=antivirus] option[selected]", "value")
            .as_deref(),
        Some("unknown"),
        "{}",
        form.body
    );
}

#[tokio::test]
async fn the_saved_gate_answer_is_checked_and_a_clinic_cannot_start_the_pharmacy_form() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = mamori_domain::calendar::FiscalYear::containing(today());
    let base = format!("/checklist/medical/{year}");
    assert_eq!(
        admin
            .submit(&base, &format!("{base}/start"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let saved = admin
        .submit(
            &base,
            &format!("{base}/gate"),
            &[("in_use", "no".into()), ("checked_on", today().to_string())],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = admin.get(&base).await;
    assert_eq!(
        page.attribute("#gate input[name=in_use][checked]", "value")
            .as_deref(),
        Some("no")
    );
    // The setup form registers a clinic: the 薬局確認用 is not its form.
    let pharmacy = format!("/checklist/pharmacy/{year}");
    let refused = admin.submit(&base, &format!("{pharmacy}/start"), &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("医療機関確認用"), "{}", refused.body);
    assert!(
        app.audit_events()
            .await
            .iter()
            .all(|event| !event.target.contains("pharmacy") && !event.detail.contains("pharmacy")),
        "nothing was started"
    );
}

#[tokio::test]
async fn a_refused_approval_keeps_its_note_and_a_lone_approver_is_told() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let fields = vec![
        ("what", "USBメモリ（PC-001のデータ）".to_owned()),
        ("purpose", "学会発表".into()),
        ("destination", "学会会場".into()),
        ("out_on", today().to_string()),
        ("return_by", today().to_string()),
        ("encrypted", "yes".into()),
    ];
    // The only administrator asks: nobody can approve, and the page says so.
    let created = admin
        .submit("/carry-outs/new", "/carry-outs/new", &fields)
        .await;
    let own = created.location_path().expect("the request's page");
    let page = admin.get(&own).await;
    assert!(
        page.text("#no-other-approver")
            .contains("承認できる人がいません"),
        "{}",
        page.body
    );
    // A second manager can approve it; the notice goes.
    admin
        .add_user("planner", "企画 次郎", "planning_manager")
        .await;
    let planner = app.signed_in("planner").await;
    assert!(admin.get(&own).await.text("#no-other-approver").is_empty());
    // Approving without the encryption check is refused, and the メモ stays.
    let refused = planner
        .submit(
            &own,
            &format!("{own}/step"),
            &[
                ("action", "approve".into()),
                ("note", "暗号化USBを使用".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.attribute("#note", "value").as_deref(),
        Some("暗号化USBを使用")
    );
}

#[tokio::test]
async fn a_devices_changes_are_listed_in_the_ledgers_column_order() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let mut fields = vec![
        ("kind", "pc".to_owned()),
        ("asset_number", "PC-001".into()),
        ("location", "受付".into()),
        ("manager", "事務長".into()),
        ("antivirus", "unknown".into()),
    ];
    let created = admin
        .submit("/ledger/devices/new", "/ledger/devices/new", &fields)
        .await;
    let device = created.location_path().expect("the device's page");
    // Every change says it was saved on the page it leads to.
    let shown = admin
        .get(created.location.as_deref().expect("a redirect"))
        .await;
    assert_eq!(shown.text(".notice[role=status]"), "保存しました。");
    for (name, value) in fields.iter_mut() {
        match *name {
            "location" => *value = "医事課".into(),
            "manager" => *value = "医事課長".into(),
            "antivirus" => *value = "installed".into(),
            _ => {}
        }
    }
    fields.push(("os_version", "Windows 11".into()));
    let changed = admin
        .submit(
            &format!("{device}/edit"),
            &format!("{device}/edit"),
            &fields,
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        changed.errors()
    );
    let page = admin.get(&device).await;
    let changes = page.texts("#history tr.history-entry:last-child .changes li");
    let position = |header: &str| {
        changes
            .iter()
            .position(|change| change.starts_with(&format!("{header}:")))
            .unwrap_or_else(|| panic!("{header} in {changes:?}"))
    };
    // 使用機器一覧表's order: 管理場所, 管理責任者, OS, ウイルス対策.
    let order = [
        position("管理場所"),
        position("管理責任者"),
        position("OS・ファームウェア"),
        position("ウイルス対策"),
    ];
    assert!(
        order.windows(2).all(|pair| pair[0] < pair[1]),
        "{changes:?}"
    );
}

#[tokio::test]
async fn a_shift_jis_export_that_cannot_hold_a_character_says_which_and_where() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let created = admin
        .submit(
            "/ledger/devices/new",
            "/ledger/devices/new",
            &[
                ("kind", "pc".to_owned()),
                ("asset_number", "PC-001".into()),
                ("remarks", "受付用 😀".into()),
            ],
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        created.errors()
    );
    let refused = admin.get("/ledger/devices/export.csv?encoding=sjis").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let message = refused.text(".error-message");
    for expected in ["2行目", "備考", "😀", "Shift_JIS", "UTF-8"] {
        assert!(message.contains(expected), "{expected} in {message}");
    }
    // UTF-8 holds it.
    let (status, _, bytes) = admin.get_bytes("/ledger/devices/export.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&bytes).contains("😀"));
}

#[tokio::test]
async fn an_empty_vendor_list_says_so_and_what_to_add() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let empty = admin.get("/vendors").await;
    assert!(
        empty.text("#no-vendors").contains("まだ登録されていません"),
        "{}",
        empty.text("#vendors")
    );
    let added = admin
        .submit(
            "/vendors",
            "/vendors",
            &[("name", "株式会社カルテ保守".into())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let listed = admin.get("/vendors").await;
    assert!(listed.texts("#no-vendors").is_empty());
    assert_eq!(listed.texts("#vendors tr.vendor").len(), 1);
}
