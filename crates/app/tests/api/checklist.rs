//! The checklists through HTTP: answering with the form's rules, evidence
//! uploads, carry-over to a new 年度, the PDF and .xlsx, vendor links and the
//! Tokushima list.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use jiff::civil::Date;
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{CatalogSet, FormKind};
use reqwest::StatusCode;

use crate::helpers::{Browser, pdf_text, poppler, spawn_app, spawn_app_at};

fn detail(event: &mamori_store::audit_log::AuditEvent) -> serde_json::Value {
    serde_json::from_str(&event.detail).expect("details are JSON")
}

fn today() -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
}

fn this_year() -> FiscalYear {
    FiscalYear::containing(today())
}

fn base(year: FiscalYear) -> String {
    format!("/checklist/medical/{year}")
}

async fn start(browser: &Browser, year: FiscalYear) {
    let page = browser
        .submit(&base(year), &format!("{}/start", base(year)), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

async fn answer(
    browser: &Browser,
    year: FiscalYear,
    key: &str,
    fields: &[(&str, String)],
) -> crate::helpers::Page {
    let item = format!("{}/items/{key}", base(year));
    browser.submit(&item, &item, fields).await
}

fn yes(date: Date) -> Vec<(&'static str, String)> {
    vec![
        ("first_answer", "yes".into()),
        ("first_date", date.to_string()),
    ]
}

#[tokio::test]
async fn answers_follow_the_forms_rules_are_audited_and_show_in_the_progress() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = this_year();
    let first = admin.get("/checklist").await;
    assert_eq!(first.location.as_deref(), Some(base(year).as_str()));
    assert!(
        admin
            .get(&base(year))
            .await
            .body
            .contains("この年度のチェックを始める")
    );
    start(&admin, year).await;

    // いいえ needs a 目標日 inside the 年度: refused with the field named, nothing stored.
    let outside = year.last_day().tomorrow().expect("a date");
    let refused = answer(
        &admin,
        year,
        "ledger",
        &[
            ("first_answer", "no".into()),
            ("first_date", year.first_day().to_string()),
            ("target_date", outside.to_string()),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .errors()
            .iter()
            .any(|e| e.contains("目標日") && e.contains("年度内")),
        "{:?}",
        refused.errors()
    );
    let missing = answer(
        &admin,
        year,
        "ledger",
        &[
            ("first_answer", "no".into()),
            ("first_date", year.first_day().to_string()),
        ],
    )
    .await;
    assert!(
        missing.errors().iter().any(|e| e.contains("目標日")),
        "{:?}",
        missing.errors()
    );
    let future = answer(
        &admin,
        year,
        "ledger",
        &yes(today().tomorrow().expect("a date")),
    )
    .await;
    assert!(
        future.errors().iter().any(|e| e.contains("未来")),
        "{:?}",
        future.errors()
    );
    assert!(
        app.audit_events()
            .await
            .iter()
            .all(|e| e.action != "checklist.answer")
    );
    // 台帳 fell due in an earlier 年度 in R7: unanswered, it is overdue.
    let state = admin
        .get(&format!("{}/items/ledger", base(year)))
        .await
        .text("#item-state");
    assert!(
        state.contains("期限超過") || state.contains("未回答"),
        "{state}"
    );

    // A valid いいえ with its target, then はい at the 2回目.
    let planned = answer(
        &admin,
        year,
        "ledger",
        &[
            ("first_answer", "no".into()),
            ("first_date", year.first_day().to_string()),
            ("target_date", year.last_day().to_string()),
            ("remarks", "台帳を作成中".into()),
        ],
    )
    .await;
    assert_eq!(
        planned.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        planned.errors()
    );
    let overview = admin.get(&base(year)).await;
    let rows = overview.texts("#items tr.item");
    assert!(
        rows.iter()
            .any(|row| row.contains("台帳") && row.contains("いいえ・目標日")),
        "{rows:?}"
    );
    let done = answer(
        &admin,
        year,
        "ledger",
        &[
            ("first_answer", "no".into()),
            ("first_date", year.first_day().to_string()),
            ("target_date", year.last_day().to_string()),
            ("second_answer", "yes".into()),
            ("second_date", today().to_string()),
        ],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{:?}", done.errors());
    let item = admin.get(&format!("{}/items/ledger", base(year))).await;
    assert_eq!(item.text("#item-state"), "はい");
    assert!(!item.text("#guidance .evidence").is_empty());

    // Every change is in the audit trail with the values before and after.
    let events: Vec<_> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.action == "checklist.answer")
        .collect();
    assert_eq!(events.len(), 2);
    assert!(
        events
            .iter()
            .map(detail)
            .any(|d| d["before"]["first"]["answer"] == "no"
                && d["before"]["second"].is_null()
                && d["after"]["second"]["answer"] == "yes"),
        "the change from いいえ to はい at the 2回目 is recorded with both values"
    );

    // Progress: group 2 counts the one complete item.
    let progress = admin
        .get(&base(year))
        .await
        .texts("#progress tr.group-progress");
    assert!(
        progress
            .iter()
            .any(|row| row.contains("医療情報システムの管理・運用") && row.contains("1 /")),
        "{progress:?}"
    );

    // 対象外 only where the form allows it (2(2), 2(3)), with a reason.
    let na = [
        ("not_applicable", "on".to_owned()),
        ("not_applicable_reason", "保守契約なし".to_owned()),
    ];
    let refused = answer(&admin, year, "ledger", &na).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = answer(&admin, year, "remote-maintenance", &na).await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        accepted.errors()
    );
}

#[tokio::test]
async fn the_dashboard_shows_this_years_checklist_and_its_most_urgent_items() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = this_year();
    let before = admin.get("/dashboard").await;
    assert_eq!(
        before.attribute("#checklist-start-link", "href").as_deref(),
        Some(base(year).as_str())
    );
    assert!(
        before
            .texts("#next-steps li")
            .iter()
            .any(|step| step.contains("チェックリスト") && step.contains("始め")),
        "{:?}",
        before.texts("#next-steps li")
    );

    start(&admin, year).await;
    let catalogs = CatalogSet::builtin().expect("catalogs");
    let catalog = catalogs
        .for_year(FormKind::Medical, year)
        .expect("a catalog for this year");
    let expected = mamori_domain::checklist::open_items(catalog, |_| None, year, today());
    let overdue = expected
        .iter()
        .filter(|(_, state)| matches!(state, mamori_domain::checklist::ItemState::Overdue { .. }))
        .count();
    let started = admin.get("/dashboard").await;
    assert_eq!(
        started.text("#checklist-complete"),
        format!("0 / {}", catalog.items.len())
    );
    let listed = started.texts("#checklist-first-open li a");
    assert_eq!(listed.len(), 3.min(expected.len()), "{listed:?}");
    assert!(listed[0].contains(&expected[0].0.text), "{listed:?}");
    let step = started.texts("#next-steps li").join("\n");
    if overdue > 0 {
        assert!(
            step.contains(&format!("期限を過ぎた項目が {overdue} 件")),
            "{step}"
        );
    } else {
        assert!(step.contains(&format!("{} 件", expected.len())), "{step}");
    }

    // Answering the most urgent item moves it off the dashboard's list.
    let first_key = expected[0].0.key.clone();
    let saved = answer(&admin, year, &first_key, &yes(today())).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let after = admin.get("/dashboard").await;
    assert_eq!(
        after.text("#checklist-complete"),
        format!("1 / {}", catalog.items.len())
    );
    assert!(
        !after
            .texts("#checklist-first-open li a")
            .iter()
            .any(|text| text.contains(&expected[0].0.text)),
        "{:?}",
        after.texts("#checklist-first-open li a")
    );
    assert!(after.attribute("#checklist-start-link", "href").is_none());
}

#[tokio::test]
async fn a_new_year_starts_from_last_years_answers_marked_for_recheck() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = this_year();
    let last_year = FiscalYear::new(year.start_year() - 1).expect("a year");
    start(&admin, last_year).await;
    let saved = answer(
        &admin,
        last_year,
        "security-officer",
        &yes(last_year.first_day()),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    start(&admin, year).await;
    let overview = admin.get(&base(year)).await;
    assert!(
        overview.text("#recheck-count").contains("1 件"),
        "{}",
        overview.text("#recheck-count")
    );
    let item = admin
        .get(&format!("{}/items/security-officer", base(year)))
        .await;
    assert!(item.text("#item-state").contains("要再確認"));
    assert!(item.body.contains("needs-recheck"));
    // Saving it again clears the mark.
    let saved = answer(&admin, year, "security-officer", &yes(today())).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    assert_eq!(
        admin
            .get(&format!("{}/items/security-officer", base(year)))
            .await
            .text("#item-state"),
        "はい"
    );
}

#[tokio::test]
async fn evidence_files_are_checked_stored_with_their_hash_and_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = this_year();
    start(&admin, year).await;
    let item = format!("{}/items/contact-chart", base(year));
    let action = format!("{item}/evidence");

    let disguised = admin
        .upload(
            &item,
            &action,
            &[],
            &[("file", "連絡体制図.pdf", b"MZ\x90\x00 not a pdf".to_vec())],
        )
        .await;
    assert_eq!(disguised.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        disguised
            .errors()
            .iter()
            .any(|e| e.contains("ファイル") && e.contains("PDF")),
        "{:?}",
        disguised.errors()
    );
    let mut huge = b"%PDF-1.7\n".to_vec();
    huge.resize(10 * 1024 * 1024 + 1, b' ');
    let too_big = admin
        .upload(&item, &action, &[], &[("file", "big.pdf", huge)])
        .await;
    assert!(
        matches!(
            too_big.status,
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE
        ),
        "{}",
        too_big.status
    );
    assert!(admin.get(&item).await.texts(".evidence-item").is_empty());

    let pdf = "%PDF-1.4\n% 連絡体制図\n%%EOF\n".as_bytes().to_vec();
    let stored = admin
        .upload(
            &item,
            &action,
            &[],
            &[("file", "連絡体制図.pdf", pdf.clone())],
        )
        .await;
    assert_eq!(
        stored.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        stored.errors()
    );
    let page = admin.get(&item).await;
    let listed = page.texts(".evidence-item");
    assert_eq!(listed.len(), 1);
    let sha256 = {
        use sha2::Digest;
        sha2::Sha256::digest(&pdf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert!(listed[0].contains(&sha256), "{listed:?}");
    let href = page.attribute(".evidence-item a", "href").expect("a link");
    let (status, content_type, body) = admin.get_bytes(&href).await;
    assert_eq!(
        (status, content_type.as_str(), body),
        (StatusCode::OK, "application/pdf", pdf)
    );
    let event = app
        .audit_events()
        .await
        .into_iter()
        .find(|e| e.action == "checklist.evidence.add")
        .expect("audited");
    assert_eq!(detail(&event)["sha256"], sha256);

    let link = admin
        .submit(
            &item,
            &format!("{item}/links"),
            &[
                ("path", "https://evil.example/".into()),
                ("label", "外部".into()),
            ],
        )
        .await;
    assert_eq!(link.status, StatusCode::UNPROCESSABLE_ENTITY);
    let link = admin
        .submit(
            &item,
            &format!("{item}/links"),
            &[("path", "/users".into()), ("label", "利用者一覧".into())],
        )
        .await;
    assert_eq!(link.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get(&item).await.texts(".evidence-item").len(), 2);
}

fn without_space(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test]
async fn the_pdf_and_the_workbook_hold_every_item_the_answers_and_the_name() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = this_year();
    start(&admin, year).await;
    let saved = answer(&admin, year, "security-officer", &yes(year.first_day())).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let catalogs = CatalogSet::builtin().expect("catalogs");
    let catalog = catalogs
        .for_year(FormKind::Medical, year)
        .expect("a catalog");
    let name = admin.get("/institution").await.text("dd.name");

    let (status, content_type, pdf) = admin.get_bytes(&format!("{}/print.pdf", base(year))).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/pdf")
    );
    if let Ok(keep) = std::env::var("MAMORI_KEEP_PDF") {
        std::fs::write(keep, &pdf).expect("keep");
    }
    let text = pdf_text(&pdf);
    for item in &catalog.items {
        assert!(
            text.contains(&without_space(&item.text)),
            "the PDF lacks {}: {}",
            item.key,
            item.text
        );
    }
    assert!(
        text.contains(&without_space(&name)),
        "the PDF lacks the institution name"
    );
    assert!(text.contains("はい（令和"), "the answer with its 和暦 date");
    // What an inspector is handed: no on-screen warnings in the cells, no file
    // names, and the official version it follows (and, when this 年度 has no
    // form of its own yet, that it is printed on an earlier one).
    assert!(!text.contains("公式様式で文言をご確認ください"), "{text}");
    assert!(!text.contains(".yaml"), "{text}");
    assert!(
        text.contains(&without_space(&format!(
            "{}版",
            catalog.fiscal_year.label_ja()
        ))),
        "{text}"
    );
    assert_eq!(
        text.contains("まだmamoriに登録されていないため"),
        catalog.fiscal_year != year,
        "{text}"
    );
    let fonts = poppler("pdffonts", &[], &pdf);
    assert!(
        fonts.contains("IPAexGothic") && fonts.contains("yes"),
        "{fonts}"
    );
    assert!(poppler("pdfinfo", &[], &pdf).contains("(A4)"));

    let (status, _, xlsx) = admin
        .get_bytes(&format!("{}/export.xlsx", base(year)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(xlsx)).expect("a workbook");
    let range = workbook
        .worksheet_range("チェックリスト")
        .expect("the sheet");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(|cell| cell.to_string()).collect())
        .collect();
    for item in &catalog.items {
        assert!(
            rows.iter().any(|row| row.get(2) == Some(&item.text)),
            "the workbook lacks {}",
            item.key
        );
    }
    let officer = rows
        .iter()
        .find(|row| {
            row.get(2)
                .is_some_and(|t| t.contains("安全管理責任者を設置"))
        })
        .expect("row");
    assert!(officer[3].starts_with("はい（令和"), "{officer:?}");
    assert!(
        rows.iter()
            .any(|row| row.iter().any(|cell| cell.contains(&name)))
    );

    let exports: Vec<_> = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e.action == "checklist.export")
        .collect();
    let mut formats: Vec<String> = exports
        .iter()
        .map(|e| detail(e)["format"].as_str().unwrap_or("").to_owned())
        .collect();
    formats.sort();
    assert_eq!(formats, ["pdf", "xlsx"]);
}

/// Issues a link to `vendor_id` and opens the page the redirect leads to,
/// where the link is shown once.
async fn issue(
    browser: &Browser,
    vendor_id: &str,
    fields: &[(&str, String)],
) -> crate::helpers::Page {
    let posted = browser
        .submit(
            "/vendors",
            &format!("/vendors/{vendor_id}/requests"),
            fields,
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let location = posted.location.expect("a redirect");
    assert_eq!(location, "/vendors?done=issued");
    browser.get(&location).await
}

/// The path of the link a vendor page just issued (shown as a whole address).
fn issued_link(page: &crate::helpers::Page) -> String {
    let link = page.text("#issued-link code.link");
    link.split_once("127.0.0.1:")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| format!("/{path}"))
        .unwrap_or(link)
}

#[tokio::test]
async fn a_vendor_link_opens_one_form_only_until_it_expires_or_is_revoked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let year = this_year();
    let added = admin
        .submit(
            "/vendors",
            "/vendors",
            &[
                ("name", "株式会社カルテ保守".into()),
                ("systems", "電子カルテ".into()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let list = admin.get("/vendors").await;
    assert!(list.text("#vendors .status").contains("未送付"));
    let vendor_id = list
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("an id");
    let issued = issue(&admin, &vendor_id, &[("days", "14".into())]).await;
    let link = issued_link(&issued);
    // Served from this machine only, the link cannot reach a vendor: said so.
    assert!(issued.text("#loopback-link").contains("--public-url"));
    // Reloading the page shows no link again and issues none.
    let issues = |events: Vec<mamori_store::audit_log::AuditEvent>| {
        events
            .iter()
            .filter(|event| event.action == "vendor.request.issue")
            .count()
    };
    let issued_before = issues(app.audit_events().await);
    let reloaded = admin.get("/vendors?done=issued").await;
    assert!(reloaded.text("#issued-link").is_empty());
    assert_eq!(issues(app.audit_events().await), issued_before);
    // Shown as the whole address, ready to paste into an e-mail.
    assert!(
        issued
            .text("#issued-link code.link")
            .starts_with(&format!("{}/v/", admin.base)),
        "{}",
        issued.body
    );
    assert!(link.starts_with("/v/"));
    assert!(
        admin
            .get("/vendors")
            .await
            .text("#vendors .status")
            .contains("回答待ち")
    );

    // The vendor has no account: the link opens its form and nothing else.
    let vendor = app.browser();
    let form = vendor.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.text(".institution")
            .contains(&admin.get("/institution").await.text("dd.name"))
    );
    for path in ["/dashboard", &base(year), "/vendors", "/users", "/audit"] {
        let page = vendor.get(path).await;
        assert_ne!(page.status, StatusCode::OK, "{path}");
    }
    assert_eq!(
        vendor.get("/v/not-a-token").await.status,
        StatusCode::NOT_FOUND
    );

    // A missing answer is refused with the item named; nothing is stored.
    let catalogs = CatalogSet::builtin().expect("catalogs");
    let catalog = catalogs
        .for_year(FormKind::Vendor, year)
        .expect("a vendor form");
    let mut fields: Vec<(String, String)> = vec![("officer_name".into(), "保守 太郎".into())];
    for item in &catalog.items {
        fields.push((format!("answer-{}", item.key), "yes".into()));
        fields.push((format!("date-{}", item.key), today().to_string()));
    }
    // Two items unanswered and no 管理責任者: every problem at once, and the
    // attached MDS is kept so it need not be attached again.
    let incomplete: Vec<(&str, String)> = fields
        .iter()
        .skip(5)
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain([("officer_name", String::new())])
        .collect();
    let mds = b"%PDF-1.4\n% MDS\n%%EOF\n".to_vec();
    let refused = vendor
        .upload(
            &link,
            &link,
            &incomplete,
            &[("documents", "MDS.pdf", mds.clone())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.errors().len() >= 3, "{:?}", refused.errors());
    assert!(refused.text("#staged-files").contains("MDS.pdf"));
    assert!(
        admin
            .get("/vendors")
            .await
            .text("#vendors .status")
            .contains("回答待ち")
    );

    let complete: Vec<(&str, String)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let sent = vendor.upload(&link, &link, &complete, &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.errors());
    assert!(vendor.get(&link).await.body.contains("id=\"answered\""));
    assert!(
        admin
            .get("/vendors")
            .await
            .text("#vendors .status")
            .contains("回答済み")
    );

    // The answers feed 2(2) and 2(3) of the institution's own checklist.
    start(&admin, year).await;
    let remote = admin
        .get(&format!("{}/items/remote-maintenance", base(year)))
        .await;
    assert!(remote.text("#vendor-facts").contains("株式会社カルテ保守"));
    let mds_page = admin.get(&format!("{}/items/mds-sds", base(year))).await;
    let href = mds_page
        .attribute("#vendor-facts a", "href")
        .expect("the MDS link");
    assert_eq!(admin.get_bytes(&href).await.2, mds);

    // A revoked link stops at once; an expired one too.
    let second = issued_link(&issue(&admin, &vendor_id, &[]).await);
    let list = admin.get("/vendors").await;
    let revoke = list
        .attribute("#vendors form[action$='/revoke']", "action")
        .expect("a revoke form");
    assert_eq!(
        admin.submit("/vendors", &revoke, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(vendor.get(&second).await.status, StatusCode::NOT_FOUND);
    assert!(
        admin
            .get("/vendors")
            .await
            .text("#vendors .status")
            .contains("期限切れ")
    );
    let third = issued_link(&issue(&admin, &vendor_id, &[("days", "1".into())]).await);
    assert_eq!(vendor.get(&third).await.status, StatusCode::OK);
    sqlx::query("UPDATE vendor_requests SET expires_at = 0")
        .execute(app.store.pool_for_benchmarks())
        .await
        .expect("expire the links");
    assert_eq!(vendor.get(&third).await.status, StatusCode::NOT_FOUND);
    // Even with a valid form token (the pre-session one), an expired link takes nothing.
    let late = vendor.upload("/login", &third, &complete, &[]).await;
    assert_eq!(late.status, StatusCode::NOT_FOUND);
    let answered: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM vendor_requests WHERE answered_at IS NOT NULL")
            .fetch_one(app.store.pool_for_benchmarks())
            .await
            .expect("count");
    assert_eq!(answered, 1);
}

#[tokio::test]
async fn tokushima_levels_are_saved_per_year_and_charted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let page = admin.get("/tokushima").await;
    assert_eq!(page.texts("tr.tokushima-item").len(), 20);
    assert_eq!(page.text("#below-target"), "20");
    let year = this_year();
    let action = format!("/tokushima/{year}");
    let refused = admin
        .submit("/tokushima", &action, &[("level-3", "4".into())])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.errors().iter().any(|e| e.contains("項目3")),
        "{:?}",
        refused.errors()
    );
    let mut fields: Vec<(&str, String)> = Vec::new();
    let names: Vec<String> = (1..=20).map(|n| format!("level-{n}")).collect();
    for name in &names {
        fields.push((name.as_str(), "2".into()));
    }
    fields[3].1 = "1".into();
    let saved = admin.submit("/tokushima", &action, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let page = admin.get("/tokushima").await;
    assert_eq!(page.text("#below-target"), "1");
    assert_eq!(page.texts("svg rect.bar-below").len(), 1);
    assert!(
        app.audit_events()
            .await
            .iter()
            .any(|e| e.action == "tokushima.save")
    );
}

#[tokio::test]
async fn a_configured_public_address_is_used_for_vendor_links() {
    let app = crate::helpers::spawn_app_with_public_url("https://mamori.example.jp/").await;
    let admin = app.admin().await;
    admin
        .submit(
            "/vendors",
            "/vendors",
            &[("name", "株式会社レセコン".into())],
        )
        .await;
    let vendor_id = admin
        .get("/vendors")
        .await
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("an id");
    let page = issue(&admin, &vendor_id, &[]).await;
    let link = page.text("#issued-link code.link");
    assert!(link.starts_with("https://mamori.example.jp/v/"), "{link}");
    assert!(page.text("#loopback-link").is_empty(), "no warning");
}

/// A 年度 whose own official form is not in mamori (issue #16 item 1) says so
/// on the checklist, on the dashboard and on the printout, with the ministry's
/// page; a year that has its own form does not.
#[tokio::test]
async fn a_year_without_its_own_form_says_which_form_is_used_instead() {
    // 2031-06-01 lies in 令和13年度, far past every form mamori ships.
    let app = spawn_app_at("2031-06-01T01:00:00Z".parse().expect("instant")).await;
    let admin = app.admin().await;
    let overview = admin.get("/checklist/medical/2031").await;
    let banner = overview.text("#earlier-form");
    assert!(
        banner.contains("令和13年度")
            && banner.contains("令和7年度")
            && banner.contains("まだ mamori に登録されていません"),
        "{banner}"
    );
    assert_eq!(
        overview.attribute("#earlier-form a", "href").as_deref(),
        Some(mamori_domain::checklist::OFFICIAL_FORMS_PAGE)
    );
    let dashboard = admin
        .get("/dashboard")
        .await
        .text("#dashboard-earlier-form");
    assert!(
        dashboard.contains("令和13年度") && dashboard.contains("令和7年度"),
        "{dashboard}"
    );

    let started = admin
        .submit(
            "/checklist/medical/2031",
            "/checklist/medical/2031/start",
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let (status, _, pdf) = admin.get_bytes("/checklist/medical/2031/print.pdf").await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(
        text.contains("（令和13年度）の公式様式はまだmamoriに登録されていないため、2025年度（令和7年度）版の様式で出力しています"),
        "{text}"
    );

    // The 事業者確認用 form too: on the vendors page and on the vendor's link.
    let added = admin
        .submit(
            "/vendors",
            "/vendors",
            &[("name", "株式会社カルテ保守".into())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let vendors = admin.get("/vendors").await;
    assert!(
        vendors.text("#earlier-form").contains("令和7年度"),
        "{}",
        vendors.body
    );
    let vendor_id = vendors
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("an id");
    let issued = issue(&admin, &vendor_id, &[("days", "14".into())]).await;
    let vendor_form = app.browser().get(&issued_link(&issued)).await;
    let banner = vendor_form.text("#earlier-form");
    assert!(
        banner.contains("令和13年度") && banner.contains("令和7年度"),
        "{banner}"
    );

    // 令和7年度 has its own form: no banner.
    let own = admin.get("/checklist/medical/2025").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.texts("#earlier-form").is_empty());
}

/// 第9条 and 【別紙1】: a vendor's contracts, which items each contains, the
/// essential ones it lacks and its end; bad input is refused whole.
#[tokio::test]
async fn a_vendors_contracts_show_the_annex_items_they_lack_and_their_end() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let added = admin
        .submit(
            "/vendors",
            "/vendors",
            &[("name", "株式会社カルテ保守".into())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let vendor_id = admin
        .get("/vendors")
        .await
        .attribute("#vendors tr.vendor", "data-vendor-id")
        .expect("an id");
    let page = format!("/vendors/{vendor_id}/contracts");
    async fn state(browser: &Browser) -> String {
        browser.get("/vendors").await.text(".contract-state")
    }
    assert_eq!(state(&admin).await, "契約未記録");
    assert!(!admin.get(&page).await.texts("#no-contracts").is_empty());

    // Everything wrong at once: nothing is stored, what was ticked stays ticked.
    let refused = admin
        .submit(
            &page,
            &page,
            &[
                ("title", " ".into()),
                ("signed_on", "2026-02-30".into()),
                ("clause", "mds-sds".into()),
                ("clause", "no-such-item".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let errors = refused.errors().join("\n");
    for field in ["契約の名称", "締結日", "別紙1の項目"] {
        assert!(errors.contains(field), "{field} in {errors}");
    }
    assert_eq!(
        refused.attributes("input[name=clause][checked]", "value"),
        vec!["mds-sds".to_owned()]
    );
    let backwards = admin
        .submit(
            &page,
            &page,
            &[
                ("title", "保守契約".into()),
                ("signed_on", "2026-04-01".into()),
                ("expires_on", "2026-03-31".into()),
            ],
        )
        .await;
    assert!(
        backwards
            .errors()
            .iter()
            .any(|e| e.contains("契約期限は締結日以降")),
        "{:?}",
        backwards.errors()
    );
    assert!(!admin.get(&page).await.texts("#no-contracts").is_empty());

    // A contract without the disposal clause: named as missing.
    let essentials = [
        "network-patches",
        "incident-responsibility",
        "remote-maintenance-method",
        "mds-sds",
        "remote-maintenance-log",
        "incident-reporting",
        "cost-sharing",
    ];
    let mut fields = vec![
        ("title", "電子カルテ保守契約".to_owned()),
        ("signed_on", "令和6年4月1日".to_owned()),
        ("expires_on", "2099-03-31".to_owned()),
    ];
    fields.extend(essentials.iter().map(|key| ("clause", (*key).to_owned())));
    let saved = admin.submit(&page, &page, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    let listed = admin.get(&page).await;
    assert!(listed.text("#contracts .count").starts_with("7 / "));
    let missing = listed.texts("#contracts .missing li");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("HDD/SSD"), "{missing:?}");
    assert_eq!(state(&admin).await, "別紙1の重要項目が不足");
    assert!(
        app.audit_events()
            .await
            .iter()
            .any(|event| event.action == "vendor.contract.add"
                && event.target == format!("vendor:{vendor_id}"))
    );

    // A newer contract with every essential item and no end: no warning.
    fields.push(("clause", "disposal-erasure".to_owned()));
    fields[1].1 = "2026-04-01".to_owned();
    fields[2].1 = String::new();
    assert_eq!(
        admin.submit(&page, &page, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(state(&admin).await, "2件");
    // The newest having ended is a warning again.
    let ended = [
        ("title", "短期契約".to_owned()),
        ("signed_on", "2026-05-01".to_owned()),
        ("expires_on", "2026-05-31".to_owned()),
    ];
    assert_eq!(
        admin.submit(&page, &page, &ended).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(state(&admin).await, "契約期限切れ");
    assert_eq!(admin.get(&page).await.texts("#contracts .expired").len(), 1);

    // Certificates: refused whole when wrong, a lapsed one flagged on the list.
    let certificates = format!("/vendors/{vendor_id}/certificates");
    let refused = admin
        .submit(
            &page,
            &certificates,
            &[
                ("kind", "gold-star".into()),
                ("number", "".into()),
                ("expires_on", "2027-02-30".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let errors = refused.texts("#certificate-errors li").join("\n");
    for field in ["認証の種類", "登録番号", "有効期限"] {
        assert!(errors.contains(field), "{field} in {errors}");
    }
    assert!(
        !refused.texts("#no-certificates").is_empty(),
        "nothing stored"
    );
    for (number, expires_on) in [("P-0001", "2099-12-31"), ("IS-0002", "2025-03-31")] {
        let saved = admin
            .submit(
                &page,
                &certificates,
                &[
                    ("kind", "isms".into()),
                    ("number", number.into()),
                    ("expires_on", expires_on.into()),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{:?}", saved.errors());
    }
    let listed = admin.get(&page).await;
    assert_eq!(listed.texts("#certificates tr.certificate").len(), 2);
    assert_eq!(listed.texts("#certificates .expired").len(), 1);
    assert_eq!(state(&admin).await, "認証の期限切れ");
    assert!(
        app.audit_events()
            .await
            .iter()
            .any(|event| event.action == "vendor.certificate.add")
    );
}
