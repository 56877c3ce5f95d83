//! Access logs (issue #14) over HTTP: the monthly review with its bursts of
//! failed sign-ins and the sign-off, the search and its audited CSV export,
//! the checklist's アクセスログ item, sources registered and exports imported
//! in the browser, and another institution seeing nothing.

use mamori_domain::access_log::source::{NewLogSource, RawLogSource};
use mamori_domain::institution::InstitutionId;
use reqwest::StatusCode;

use crate::helpers::{Browser, Page, TestApp, spawn_app};

/// Registers a syslog source for the first institution and imports `lines`
/// (twelve of them) as an exported file.
async fn import(app: &TestApp, lines: &str) {
    let report = import_syslog(app, "VPNルータ", "", lines).await;
    assert!(
        matches!(
            report,
            mamori::access_logs::ImportReport::Imported { events: 12, .. }
        ),
        "{report:?}"
    );
}

/// Registers the syslog source `name` and imports `lines` into it, as
/// `mamori logs import` does.
async fn import_syslog(
    app: &TestApp,
    name: &str,
    senders: &str,
    lines: &str,
) -> mamori::access_logs::ImportReport {
    add_source(
        app,
        RawLogSource {
            name,
            kind: "syslog",
            senders,
            ..RawLogSource::default()
        },
    )
    .await;
    let file = app.data_dir.join(format!("{name}.log"));
    std::fs::write(&file, lines).expect("write the export");
    let institution = first_institution(app).await;
    let report =
        mamori::access_logs::import_file(&app.store, &app.data_dir, institution, name, &file)
            .await
            .expect("import");
    mamori::access_logs::index_pending(&app.store, &app.data_dir, institution)
        .await
        .expect("index");
    report
}

/// Registers a source for the first institution, as `mamori logs add-source` does.
async fn add_source(app: &TestApp, raw: RawLogSource<'_>) {
    add_source_at(app, raw, jiff::Timestamp::now()).await;
}

/// Registers a source of the first institution as the operator, at `when`.
async fn add_source_at(app: &TestApp, raw: RawLogSource<'_>, when: jiff::Timestamp) {
    let source = NewLogSource::parse(raw).expect("source");
    mamori_store::access_log::add_source(
        &app.store,
        &mamori_store::access_log::Acting::operator(first_institution(app).await),
        &source,
        when,
    )
    .await
    .expect("add the source");
}

/// Submits the source form of `/logs/sources` as `person`.
async fn register_source(person: &Browser, fields: &[(&str, String)]) -> Page {
    person
        .submit("/logs/sources", "/logs/sources", fields)
        .await
}

/// Registers 「受付PC」, a Windows PC whose forwarder sends JSON lines;
/// returns its id as the token form carries it.
async fn add_forwarding_pc(person: &Browser) -> String {
    let added = register_source(
        person,
        &[("name", "受付PC".into()), ("kind", "windows_json".into())],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    person
        .get("/logs/sources")
        .await
        .attribute("form.token-form input[name=source]", "value")
        .expect("the token form")
}

async fn first_institution(app: &TestApp) -> InstitutionId {
    mamori_store::institution::list_all_for_operator(&app.store)
        .await
        .expect("institutions")[0]
        .id
}

/// An RFC 5424 sshd line at `at`.
fn line(at: jiff::Timestamp, message: &str) -> String {
    let zoned = at.to_zoned_datetime(mamori_web::tokyo());
    format!(
        "<86>1 {} srv1 sshd 811 - - {message}\n",
        zoned.strftime("%Y-%m-%dT%H:%M:%S%:z")
    )
}

#[tokio::test]
async fn the_month_is_reviewed_with_its_bursts_signed_off_once_and_searched() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("inspector", "保健所 太郎", "viewer").await;
    admin.add_user("nurse", "看護 花子", "staff").await;

    // Nothing yet: the checklist's evidence says no review exists.
    let page = admin.get("/logs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attribute("#logs-no-sources", "id").is_some());
    assert!(page.attribute("#logs-overdue", "id").is_some());

    // Six failures from one address within five minutes, one more an hour
    // later, and two sign-ins of hanako.
    let t0 = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2);
    let mut lines = String::new();
    for minute in [0, 1, 1, 2, 3, 4] {
        lines.push_str(&line(
            t0 + jiff::SignedDuration::from_mins(minute),
            "Failed password for invalid user admin from 203.0.113.9 port 51022 ssh2",
        ));
    }
    lines.push_str(&line(
        t0 + jiff::SignedDuration::from_mins(70),
        "Failed password for invalid user admin from 203.0.113.9 port 51022 ssh2",
    ));
    for minute in [10, 80] {
        lines.push_str(&line(
            t0 + jiff::SignedDuration::from_mins(minute),
            "Accepted password for hanako from 192.0.2.10 port 50000 ssh2",
        ));
    }
    lines.push_str(&line(
        t0 + jiff::SignedDuration::from_mins(20),
        "Accepted password for ghost from 192.0.2.77 port 50001 ssh2",
    ));
    // The VPN router: one address connects twice — new only the first time.
    for minute in [30, 90] {
        let zoned =
            (t0 + jiff::SignedDuration::from_mins(minute)).to_zoned_datetime(mamori_web::tokyo());
        lines.push_str(&format!(
            "<190>1 {} rtx1210 - - - - [L2TP] TUNNEL[1] connected from 198.51.100.20\n",
            zoned.strftime("%Y-%m-%dT%H:%M:%S%:z")
        ));
    }
    import(&app, &lines).await;

    // The ledgers: hanako's account belongs to someone whose last day was
    // the day before; "ghost" is in no system of the account ledger.
    let left_on = t0
        .to_zoned_datetime(mamori_web::tokyo())
        .date()
        .yesterday()
        .expect("a day")
        .to_string();
    let added = admin
        .submit(
            "/ledger/staff",
            "/ledger/staff",
            &[
                ("name", "退職 太郎".into()),
                ("job", "nurse".into()),
                ("joined_on", "2020-04-01".into()),
                ("left_on", left_on.clone()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let staff_id: i64 = {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&app.database_url)
            .await
            .expect("connect");
        let id = sqlx::query_scalar("SELECT id FROM staff WHERE name = '退職 太郎'")
            .fetch_one(&pool)
            .await
            .expect("the staff id");
        pool.close().await;
        id
    };
    let added = admin
        .submit(
            "/ledger/accounts",
            "/ledger/accounts",
            &[
                ("system", "サーバ".into()),
                ("login", "hanako".into()),
                ("staff_id", staff_id.to_string()),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let month = t0
        .to_zoned_datetime(mamori_web::tokyo())
        .strftime("%Y-%m")
        .to_string();

    // A second source that should send (it has a sender address) but never
    // did is silent; the router, imported from files only, is not.
    // It was registered two days ago: more than the 24 hours allowed.
    add_source_at(
        &app,
        RawLogSource {
            name: "予備サーバ",
            kind: "syslog",
            senders: "192.0.2.250",
            ..RawLogSource::default()
        },
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48),
    )
    .await;
    // Silence is of now: this month's page (the events' month, unless
    // this runs in the first two hours of a month) shows it.
    let now = admin.get("/logs").await;
    // The source that sent two hours ago is not silent; the other one is,
    // and that is a finding of its own, to be noted like the rest.
    assert_eq!(now.texts("#logs-sources tr.overdue").len(), 1);
    assert_eq!(now.texts("#logs-sources tr.overdue td")[0], "予備サーバ");
    assert!(
        now.texts("#logs-findings li")
            .iter()
            .any(|f| f.contains("予備サーバ") && f.contains("一度も届いていません")),
        "{:?}",
        now.texts("#logs-findings li")
    );
    let page = admin.get(&format!("/logs?month={month}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let cells = page.texts("#logs-sources tr.source td");
    assert_eq!(cells[..2], ["VPNルータ", "12"]);
    let findings: Vec<String> = page
        .texts("#logs-findings li")
        .into_iter()
        .filter(|f| !f.contains("予備サーバ"))
        .collect();
    assert_eq!(findings.len(), 5, "{findings:?}");
    let vpn: Vec<_> = findings
        .iter()
        .filter(|f| f.contains("198.51.100.20"))
        .collect();
    assert_eq!(
        vpn.len(),
        1,
        "only the first connection is new: {findings:?}"
    );
    assert!(
        !vpn[0].contains("アカウント"),
        "no account named, none shown: {vpn:?}"
    );
    // One guesser on one account: one finding naming the address and the
    // account, not one for each.
    assert!(
        findings[0].contains("203.0.113.9")
            && findings[0].contains("admin")
            && findings[0].contains("6回"),
        "{findings:?}"
    );
    // Both of hanako's sign-ins came after 退職 太郎's last day.
    let leaver: Vec<_> = findings
        .iter()
        .filter(|f| f.contains("退職 太郎"))
        .collect();
    assert_eq!(leaver.len(), 2, "{findings:?}");
    assert!(
        leaver[0].contains("hanako") && leaver[0].contains(&left_on),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.contains("ghost") && f.contains("1回")),
        "{findings:?}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.contains("アカウント台帳にない") && f.contains("hanako"))
    );

    // The sign-off needs a note; then it is recorded once, audited.
    let refused = admin
        .submit(
            &format!("/logs?month={month}"),
            "/logs/review",
            &[("month", month.clone()), ("note", "  ".into())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.errors().is_empty());
    let signed = admin
        .submit(
            &format!("/logs?month={month}"),
            "/logs/review",
            &[
                ("month", month.clone()),
                (
                    "note",
                    "203.0.113.9 からの総当たりを確認。VPNで遮断済み。".into(),
                ),
            ],
        )
        .await;
    assert_eq!(
        signed.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        signed.errors()
    );
    let page = admin.get(&format!("/logs?month={month}")).await;
    assert!(
        page.text("#logs-signed").contains("確認"),
        "{}",
        page.text("#logs-signed")
    );
    assert!(
        page.attribute("#logs-review", "id").is_none(),
        "signed months have no form"
    );
    assert!(page.attribute("#logs-overdue", "id").is_none());
    let again = admin
        .post_raw(
            "/logs/review",
            &[("month", month.clone()), ("note", "二度目".into())],
        )
        .await;
    assert_ne!(again.status, StatusCode::SEE_OTHER);
    let reviews = app
        .audit_events()
        .await
        .into_iter()
        .filter(|event| event.action == "access_log.review")
        .count();
    assert_eq!(reviews, 1);

    // The inspector reads and searches but cannot sign; staff see nothing.
    let inspector = app.signed_in("inspector").await;
    let page = inspector.get(&format!("/logs?month={month}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attribute("#logs-review", "id").is_none());
    let nurse = app.signed_in("nurse").await;
    assert_eq!(nurse.get("/logs").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        nurse.get("/logs/search?user=hanako").await.status,
        StatusCode::FORBIDDEN
    );

    // Search by user and by address; a bad address is named, nothing found.
    let found = inspector.get("/logs/search?user=hanako").await;
    let csv = found.attribute("#logs-csv", "href").expect("the CSV link");
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.texts("#logs-events tbody tr").len(), 2);
    let found = inspector.get("/logs/search?address=203.0.113.9").await;
    assert_eq!(found.texts("#logs-events tbody tr").len(), 7);
    let bad = inspector.get("/logs/search?address=999.1.1.1").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.errors().is_empty());

    // The CSV export of a search, through the page's link: a header, one
    // row per event, audited.
    let (status, content_type, bytes) = inspector.get_bytes(&csv).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = String::from_utf8(bytes).expect("utf-8");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("番号,日時,収集元"), "{text}");
    assert!(
        lines[1].contains("hanako") && lines[1].contains("成功"),
        "{text}"
    );
    let exports = app
        .audit_events()
        .await
        .into_iter()
        .filter(|event| event.action == "access_log.export")
        .count();
    assert_eq!(exports, 1);

    // Another institution on the server sees none of it.
    let code = app.create_institution("別の病院", "other-admin").await;
    let other = app.signed_in_at(&code, "other-admin").await;
    let page = other.get(&format!("/logs?month={month}")).await;
    assert!(page.attribute("#logs-no-sources", "id").is_some());
    assert!(page.attribute("#logs-findings", "id").is_none());
    let found = other.get("/logs/search?user=hanako").await;
    assert!(found.attribute("#logs-no-results", "id").is_some());
}

#[tokio::test]
async fn an_ehr_export_is_registered_previewed_and_imported_in_the_browser_and_heavy_readers_found()
{
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("inspector", "保健所 太郎", "viewer").await;
    let page = admin.get("/logs/sources").await;
    assert_eq!(page.status, StatusCode::OK);
    // On the sources page itself, the empty state points to the form below
    // it (the review page sends the reader here).
    assert!(
        page.text("#logs-no-sources")
            .contains("「収集元を登録する」"),
        "{}",
        page.text("#logs-no-sources")
    );
    assert!(
        page.text("label[for=retention_years]").contains("（年）"),
        "the retention field names its unit"
    );

    // A source with every field wrong is refused field by field, nothing stored.
    let refused = register_source(
        &admin,
        &[
            ("name", "".into()),
            ("kind", "ehr_csv".into()),
            ("senders", "192.168.1.300".into()),
            ("time_zone", "Mars/Base".into()),
            ("retention_years", "0".into()),
            ("mapping", "".into()),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.errors();
    for field in [
        "名称",
        "送信元アドレス",
        "タイムゾーン",
        "保存期間",
        "列の対応",
    ] {
        assert!(
            errors.iter().any(|error| error.contains(field)),
            "{field}: {errors:?}"
        );
    }
    // A device the ledger does not have is refused too.
    let refused = register_source(
        &admin,
        &[
            ("name", "ルータ".into()),
            ("kind", "syslog".into()),
            ("device", "NW-999".into()),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.errors()[0].contains("機器台帳"),
        "{:?}",
        refused.errors()
    );
    assert!(
        admin
            .get("/logs/sources")
            .await
            .texts("#log-sources tr.log-source")
            .is_empty()
    );

    let added = register_source(
        &admin,
        &[
            ("name", "電子カルテ".into()),
            ("kind", "ehr_csv".into()),
            (
                "mapping",
                "time=日時\nuser=利用者ID\npatient_id=患者ID\naction=操作\nhost=端末".into(),
            ),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    // The same name twice is refused.
    let again = register_source(
        &admin,
        &[("name", "電子カルテ".into()), ("kind", "syslog".into())],
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = admin.get("/logs/sources").await;
    let cells = page.texts("#log-sources tr.log-source td");
    assert_eq!(cells[..2], ["電子カルテ", "電子カルテ等のCSV"], "{cells:?}");
    assert_eq!(cells[5], "5年");
    let source_id = page
        .attribute("#import-source option", "value")
        .expect("the source to import into");

    // An EHR audit export: dr-sato opens 101 patients' records in one
    // morning, dr-kato five; one row's time cannot be read (kept raw).
    let day = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30))
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    let mut csv = String::from("日時,利用者ID,患者ID,操作,端末\n");
    csv.push_str("きのう,dr-kato,P00009,参照,PC-02\n");
    for n in 0..101 {
        csv.push_str(&format!(
            "{day} 09:{:02}:{:02},dr-sato,P{n:05},参照,PC-01\n",
            n / 60,
            n % 60
        ));
    }
    for n in 0..5 {
        csv.push_str(&format!("{day} 10:00:0{n},dr-kato,P{n:05},参照,PC-02\n"));
    }
    let upload = |step: &'static str, name: &'static str, bytes: Vec<u8>| {
        let admin = &admin;
        let source_id = source_id.clone();
        async move {
            admin
                .upload(
                    "/logs/sources",
                    "/logs/import",
                    &[("source", source_id), ("step", step.into())],
                    &[("file", name, bytes)],
                )
                .await
        }
    };

    // The preview reads the first rows, names the unreadable one by row
    // and column, and stores nothing.
    let preview = upload("preview", "audit.csv", csv.clone().into_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.errors());
    let rows = preview.texts("#log-preview li");
    assert_eq!(rows.len(), 10, "{rows:?}");
    // Named by row and column, with what a readable time looks like.
    assert!(
        rows[0].starts_with("2行目「日時」列: ") && rows[0].contains("令和8年4月1日 9:30"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains("dr-sato") && rows[1].contains("P00000"),
        "{rows:?}"
    );
    assert!(preview.text("#log-preview").contains("107"));
    // Each row is shown as the file holds it, beside what was read of it.
    let raws = preview.texts("#log-preview li code.raw");
    assert_eq!(raws.len(), 10, "{raws:?}");
    assert_eq!(raws[0], "きのう,dr-kato,P00009,参照,PC-02");
    assert!(raws[1].contains(",dr-sato,P00000,参照,PC-01"), "{raws:?}");
    // Left empty, the file input imports the file checked: its label says so.
    let label = preview.text("label[for=import-file]");
    assert!(
        label.contains("選び直さなければ") && label.contains("audit.csv"),
        "{label}"
    );
    // The previewed file is held for the import: no second choice of it.
    let held = preview
        .attribute("#log-import input[name=held]", "value")
        .expect("the previewed file is held");
    let import_held = |token: String| {
        let admin = &admin;
        let source_id = source_id.clone();
        async move {
            admin
                .upload(
                    "/logs/sources",
                    "/logs/import",
                    &[
                        ("source", source_id),
                        ("step", "import".into()),
                        ("held", token),
                    ],
                    &[],
                )
                .await
        }
    };
    let forged = import_held("forged".into()).await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        forged.text("#import-errors").contains("もう一度"),
        "{}",
        forged.text("#import-errors")
    );
    assert!(
        admin
            .get("/logs/sources")
            .await
            .texts("#log-imports tr.log-import")
            .is_empty()
    );
    assert_eq!(
        admin
            .get("/logs/search?patient=P00003")
            .await
            .texts("#logs-events tbody tr")
            .len(),
        0
    );

    // A file without the mapped columns is refused, nothing stored.
    let wrong = upload(
        "import",
        "other.csv",
        "date,who\n2026-01-01,x\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.text("#import-errors").contains("日時"),
        "{}",
        wrong.text("#import-errors")
    );
    assert!(
        admin
            .get("/logs/sources")
            .await
            .texts("#log-imports tr.log-import")
            .is_empty()
    );

    // Imported, from the held file: listed with what could not be read;
    // the token works once; the same file again adds nothing.
    let imported = import_held(held.clone()).await;
    assert_eq!(
        imported.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        imported.errors()
    );
    assert_eq!(
        import_held(held).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let again = upload("import", "audit-copy.csv", csv.into_bytes()).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text("#import-errors").contains("取り込み済み"));
    let page = admin.get("/logs/sources").await;
    let imports = page.texts("#log-imports tr.log-import");
    assert_eq!(imports.len(), 1, "{imports:?}");
    let cells = page.texts("#log-imports tr.log-import td");
    assert_eq!(
        cells[1..],
        ["電子カルテ", "audit.csv", "107", "1", "0"],
        "{cells:?}"
    );

    // Both changes are in the audit trail, by the person who made them.
    let events = app.audit_events().await;
    for action in ["log_source.add", "access_log.import"] {
        let event = events
            .iter()
            .find(|event| event.action == action)
            .unwrap_or_else(|| panic!("{action} audited"));
        assert!(
            event.actor_user_id.is_some(),
            "{action} by a user: {event:?}"
        );
    }

    // The inspector reads the page but can change nothing.
    let inspector = app.signed_in("inspector").await;
    let page = inspector.get("/logs/sources").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attribute("#log-source", "id").is_none());
    assert!(page.attribute("#log-import", "id").is_none());

    // Another institution's admin cannot import into this institution's source.
    let code = app.create_institution("別の病院", "other-admin").await;
    let other = app.signed_in_at(&code, "other-admin").await;
    let stolen = other
        .upload(
            "/logs/sources",
            "/logs/import",
            &[("source", source_id.clone()), ("step", "import".into())],
            &[("file", "x.csv", b"x\n".to_vec())],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stolen.text("#import-errors").contains("収集元"));
    assert!(
        other
            .get("/logs/sources")
            .await
            .texts("#log-imports tr.log-import")
            .is_empty()
    );

    let month = day.strftime("%Y-%m").to_string();
    let page = admin.get(&format!("/logs?month={month}")).await;
    // Its last event is 30 hours old, but a source imported from files
    // only is not expected to send: it is not flagged silent.
    assert_eq!(page.texts("#logs-sources tr.source").len(), 1);
    assert!(page.texts("#logs-sources tr.overdue").is_empty());
    let findings = page.texts("#logs-findings li");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].contains("dr-sato") && findings[0].contains("101人"),
        "{findings:?}"
    );
    // The patient is searchable.
    let found = admin.get("/logs/search?patient=P00003").await;
    assert_eq!(found.texts("#logs-events tbody tr").len(), 2);
}

#[tokio::test]
async fn the_rules_are_the_institutions_own_and_find_sign_ins_out_of_hours() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // November 2026 in Japan time: Thursday the 5th before opening and at
    // noon, Sunday the 8th, and three failures from one address on the 10th.
    let lines = [
        (
            "2026-11-05T07:00:00+09:00",
            "Accepted password for sato from 192.0.2.10 port 50000 ssh2",
        ),
        (
            "2026-11-05T12:00:00+09:00",
            "Accepted password for sato from 192.0.2.10 port 50000 ssh2",
        ),
        (
            "2026-11-08T10:00:00+09:00",
            "Accepted password for sato from 192.0.2.10 port 50000 ssh2",
        ),
        (
            "2026-11-10T12:00:00+09:00",
            "Failed password for root from 203.0.113.5 port 4000 ssh2",
        ),
        (
            "2026-11-10T12:01:00+09:00",
            "Failed password for root from 203.0.113.5 port 4000 ssh2",
        ),
        (
            "2026-11-10T12:02:00+09:00",
            "Failed password for root from 203.0.113.5 port 4000 ssh2",
        ),
    ]
    .iter()
    .map(|(at, message)| format!("<86>1 {at} srv1 sshd 811 - - {message}\n"))
    .collect::<String>();
    let report = import_syslog(&app, "サーバ", "192.0.2.200", &lines).await;
    assert!(
        matches!(
            report,
            mamori::access_logs::ImportReport::Imported {
                events: 6,
                unrecognised: 0,
                ..
            }
        ),
        "{report:?}"
    );

    // The defaults: no hours (open around the clock), five failures a burst.
    let page = admin.get("/logs?month=2026-11").await;
    assert!(
        page.text("#logs-rules").contains("24時間"),
        "{}",
        page.text("#logs-rules")
    );
    assert!(
        page.attribute("#logs-no-findings", "id").is_some(),
        "{:?}",
        page.texts("#logs-findings li")
    );

    // Bad rules are refused field by field and change nothing.
    let refused = admin
        .submit(
            "/logs",
            "/logs/rules",
            &[
                ("month", "2026-11".into()),
                ("burst_threshold", "1".into()),
                ("burst_window_minutes", "10".into()),
                ("opens_at", "25:00".into()),
                ("closes_at", "19:00".into()),
                ("many_patients", "100".into()),
                ("silent_hours", "24".into()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = refused.texts("#rules-errors li");
    assert!(
        errors.iter().any(|e| e.contains("ログイン失敗の回数")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("診療開始")), "{errors:?}");
    assert_eq!(
        admin
            .get("/logs")
            .await
            .attribute("#burst_threshold", "value")
            .as_deref(),
        Some("5")
    );

    let saved = admin
        .submit(
            "/logs",
            "/logs/rules",
            &[
                ("month", "2026-11".into()),
                ("burst_threshold", "3".into()),
                ("burst_window_minutes", "10".into()),
                ("opens_at", "08:30".into()),
                ("closes_at", "19:00".into()),
                ("closed_sundays_holidays", "on".into()),
                ("many_patients", "100".into()),
                ("silent_hours", "48".into()),
            ],
        )
        .await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        saved.texts("#rules-errors li")
    );
    let page = admin.get("/logs?month=2026-11").await;
    let findings = page.texts("#logs-findings li");
    // Three failures are now a burst: from the address, on the account
    // (one finding for the two).
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert!(
        findings[0].contains("203.0.113.5")
            && findings[0].contains("root")
            && findings[0].contains("3回"),
        "{findings:?}"
    );
    let off_hours: Vec<_> = findings.iter().filter(|f| f.contains("時間外")).collect();
    assert_eq!(off_hours.len(), 2, "{findings:?}");
    assert!(
        off_hours[0].contains("sato") && off_hours[0].contains("11月5日"),
        "{findings:?}"
    );
    assert!(off_hours[1].contains("11月8日"), "{findings:?}");
    // The source last sent in November: silent now beyond the 48 hours
    // set, which the current month shows (a past month does not).
    assert!(!page.text("#logs-sources").contains("48時間"));
    let now = admin.get("/logs").await;
    assert!(now.text("#logs-sources").contains("48時間"));
    assert!(
        now.texts("#logs-findings li")
            .iter()
            .any(|f| f.contains("48時間以上ログが届いていません")),
        "{:?}",
        now.texts("#logs-findings li")
    );
    let events = app.audit_events().await;
    assert!(
        events
            .iter()
            .any(|event| event.action == "access_log.rules")
    );
}

#[tokio::test]
async fn a_token_issued_on_the_server_itself_says_to_give_other_pcs_its_lan_address() {
    // A server listening on every address, its page opened on the server
    // itself (127.0.0.1): the address shown names this machine only.
    let app = crate::helpers::spawn_app_listening_on("0.0.0.0:0").await;
    let mut fields = crate::helpers::setup_fields();
    fields.push((
        "setup_token",
        app.setup_token.clone().expect("a setup token"),
    ));
    let set_up = app.browser().submit("/setup", "/setup", &fields).await;
    assert_eq!(
        set_up.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        set_up.errors()
    );
    let admin = app.signed_in("admin").await;
    let source_id = add_forwarding_pc(&admin).await;
    let issued = admin
        .submit(
            "/logs/sources",
            "/logs/sources/token",
            &[("source", source_id)],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER);
    let page = admin.get("/logs/sources").await;
    assert!(page.attribute("#ingest-local-only", "id").is_none());
    // Where this machine has a route out (it has a LAN address), the one
    // address the page gives is the one other PCs send to, and no
    // 127.0.0.1 is shown for someone to copy; a forwarder sending there
    // with the token is answered by this server. Without one, the page
    // shows 127.0.0.1 and asks for the swap by hand.
    let has_lan_address = crate::helpers::this_machines_lan_address().is_some();
    let address = page.text("#ingest-address");
    let lan = page.attribute("#ingest-lan", "id").map(|_| address.clone());
    assert_eq!(lan.is_some(), has_lan_address, "{address}");
    match &lan {
        Some(_) => {
            let issued = page.text("#issued-token");
            assert!(!issued.contains("127.0.0.1"), "{issued}");
            assert!(page.attribute("#ingest-loopback", "id").is_none());
            assert!(page.text("#ingest-lan").contains("ベンダ"));
        }
        None => {
            assert!(address.starts_with("http://127.0.0.1:"), "{address}");
            assert!(page.text("#ingest-loopback").contains("置き換えて"));
        }
    }
    if let Some(lan) = lan {
        assert!(!lan.contains("127.0.0.1"), "{lan}");
        assert!(lan.ends_with("/logs/ingest"), "{lan}");
        let token = page
            .text("#ingest-token")
            .strip_prefix("Authorization: Bearer ")
            .expect("the header to set")
            .to_owned();
        let event = r#"{"@timestamp":"2026-12-07T00:31:00Z","winlog":{"event_id":4625,"computer_name":"UKETSUKE-PC01","channel":"Security","event_data":{"TargetUserName":"suzuki","IpAddress":"192.168.1.24","LogonType":"3"}}}"#;
        let answer = reqwest::Client::new()
            .post(&lan)
            .bearer_auth(token)
            .body(event)
            .send()
            .await
            .expect("the server answers at the address the page names");
        assert_eq!(answer.status(), StatusCode::OK);
        let answer: serde_json::Value =
            serde_json::from_str(&answer.text().await.expect("the answer")).expect("a JSON answer");
        assert_eq!(answer["added"], 1, "{answer}");
    }
}

#[tokio::test]
async fn a_forwarder_sends_json_lines_over_https_with_its_sources_token_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let source_id = add_forwarding_pc(&admin).await;
    let forwarder = reqwest::Client::new();
    let send = |token: Option<String>, body: String| {
        let request = forwarder
            .post(format!("{}/logs/ingest", app.base))
            .body(body);
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move {
            let response = request.send().await.expect("POST");
            let status = response.status();
            let text = response.text().await.expect("the answer");
            let body: serde_json::Value = serde_json::from_str(&text).expect("a JSON answer");
            (status, body)
        }
    };
    let failed = r#"{"@timestamp":"2026-11-20T00:30:05.123Z","winlog":{"event_id":4625,"computer_name":"UKETSUKE-PC01","channel":"Security","event_data":{"TargetUserName":"tanaka","IpAddress":"192.168.1.23","LogonType":"3"}}}"#;
    let body = format!("{failed}\n{failed}\r\n\nnot json at all\n");

    // No token, or a made-up one: refused, nothing kept.
    let (status, answer) = send(None, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let (status, _) = send(Some("made-up".into()), body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin
            .get("/logs/search?user=tanaka")
            .await
            .texts("#logs-events tbody tr")
            .len(),
        0
    );

    // The token is shown once, on the page the issuing redirect opens.
    let issued = admin
        .submit(
            "/logs/sources",
            "/logs/sources/token",
            &[("source", source_id.clone())],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER);
    let page = admin.get("/logs/sources").await;
    let header = page.text("#ingest-token");
    let token = header
        .strip_prefix("Authorization: Bearer ")
        .expect("the header to set")
        .to_owned();
    assert!(page.text("#ingest-address").ends_with("/logs/ingest"));
    // Who does the forwarder's setup is said; and since this server
    // listens on 127.0.0.1 only, that no other PC can send to it yet (not
    // merely that the address names this machine).
    assert!(page.text("#ingest-who").contains("ベンダ"));
    assert!(
        page.text("#ingest-address")
            .starts_with("http://127.0.0.1:")
    );
    assert!(page.text("#ingest-local-only").contains("--listen"));
    assert!(page.attribute("#ingest-loopback", "id").is_none());
    assert!(
        admin
            .get("/logs/sources")
            .await
            .attribute("#ingest-token", "id")
            .is_none()
    );

    // Accepted once written: the two events and the unreadable line kept raw.
    let (status, answer) = send(Some(token.clone()), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 3);
    let found = admin.get("/logs/search?user=tanaka").await;
    assert_eq!(found.texts("#logs-events tbody tr").len(), 2);
    assert!(found.text("#logs-events").contains("受付PC"));
    assert_eq!(
        (answer["added"].clone(), answer["already_kept"].clone()),
        (3.into(), 0.into())
    );

    // An event with its record number twice in a batch, then the batch sent
    // again (as a forwarder does when our answer did not reach it): kept
    // once, and every line still accepted, so the forwarder forgets them.
    let numbered = r#"{"@timestamp":"2026-11-20T00:31:00Z","winlog":{"event_id":4625,"record_id":81234,"computer_name":"UKETSUKE-PC01","channel":"Security","event_data":{"TargetUserName":"suzuki","IpAddress":"192.168.1.24","LogonType":"3"}}}"#;
    let batch = format!("{numbered}\n{numbered}\n");
    for (added, already_kept) in [(1, 1), (0, 2)] {
        let (status, answer) = send(Some(token.clone()), batch.clone()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["accepted"], 2, "{answer}");
        assert_eq!(answer["added"], added, "{answer}");
        assert_eq!(answer["already_kept"], already_kept, "{answer}");
    }
    let suzuki = admin.get("/logs/search?user=suzuki").await;
    assert_eq!(suzuki.texts("#logs-events tbody tr").len(), 1);

    // Another institution cannot give itself this source's token.
    let code = app.create_institution("別の病院", "other-admin").await;
    let other = app.signed_in_at(&code, "other-admin").await;
    let stolen = other
        .submit(
            "/logs/sources",
            "/logs/sources/token",
            &[("source", source_id.clone())],
        )
        .await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);

    // A new token replaces the old one; the audit trail never holds either.
    admin
        .submit(
            "/logs/sources",
            "/logs/sources/token",
            &[("source", source_id)],
        )
        .await;
    let (status, _) = send(Some(token.clone()), body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let events = app.audit_events().await;
    let issued: Vec<_> = events
        .iter()
        .filter(|event| event.action == "log_source.token")
        .collect();
    assert_eq!(issued.len(), 2);
    assert!(events.iter().all(|event| !event.detail.contains(&token)));

    // A body over 8 MB is refused whole, even with the valid token.
    let fresh = admin
        .get("/logs/sources")
        .await
        .text("#ingest-token")
        .strip_prefix("Authorization: Bearer ")
        .expect("the new token")
        .to_owned();
    let huge = format!("{failed}\n").repeat(9 * 1024 * 1024 / failed.len());
    let (status, answer) = send(Some(fresh), huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    // Guessing tokens from one address is slowed down after 600 a minute.
    let mut refused = 0;
    let limited = loop {
        let (status, _) = send(Some("guess".into()), "x\n".into()).await;
        match status {
            StatusCode::UNAUTHORIZED if refused < 700 => refused += 1,
            other => break other,
        }
    };
    assert_eq!(limited, StatusCode::TOO_MANY_REQUESTS, "after {refused}");
    assert!(refused >= 590, "{refused}");
}

/// The syslog receivers over TCP, run in-process for `app`'s first
/// institution with a source sending from 127.0.0.1: where they listen,
/// their counters, how to stop them and their task.
async fn start_receivers(
    app: &TestApp,
) -> (
    mamori::receivers::Addresses,
    std::sync::Arc<mamori::receivers::Counters>,
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    add_source(
        app,
        RawLogSource {
            name: "router",
            kind: "syslog",
            senders: "127.0.0.1",
            ..RawLogSource::default()
        },
    )
    .await;
    let bound = mamori::receivers::bind(&mamori::receivers::ReceiverConfig {
        tcp: Some("127.0.0.1:0".parse().expect("address")),
        udp: Some("127.0.0.1:0".parse().expect("address")),
        ..Default::default()
    })
    .await
    .expect("bind")
    .expect("a receiver");
    let address = bound.addresses();
    let counters = bound.counters();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(mamori::receivers::run(
        bound,
        app.store.clone(),
        app.data_dir.clone(),
        stopping,
    ));
    (address, counters, stop, running)
}

/// Waits (15 s at most) until the receivers have received `n` lines.
async fn received(counters: &mamori::receivers::Counters, n: u64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while counters.received.load(std::sync::atomic::Ordering::Relaxed) < n {
        assert!(std::time::Instant::now() < deadline, "not all received");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// Stops the receivers and waits until they have written what they hold.
async fn stop_receivers(
    stop: tokio::sync::watch::Sender<bool>,
    running: tokio::task::JoinHandle<()>,
) {
    stop.send(true).expect("stop");
    tokio::time::timeout(std::time::Duration::from_secs(30), running)
        .await
        .expect("the receivers end once written")
        .expect("no panic");
}

#[tokio::test]
async fn receivers_told_to_stop_write_every_line_they_received_first() {
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    app.set_up().await;
    let institution = first_institution(&app).await;
    let (addresses, counters, stop, running) = start_receivers(&app).await;
    let address = addresses.tcp.expect("the TCP address");
    const LINES: u64 = 3000;
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let mut bytes = Vec::new();
    for n in 0..LINES {
        let line = format!(
            "<86>1 2026-11-20T09:00:00+09:00 srv1 sshd 1 - - Failed password for user{n} from 192.0.2.1 port 1 ssh2"
        );
        bytes.extend_from_slice(format!("{} {line}", line.len()).as_bytes());
    }
    stream.write_all(&bytes).await.expect("send");
    stream.shutdown().await.expect("close");
    // Every line has reached the receiver; stop it at once, well before its
    // next 200 ms batch would have been due.
    received(&counters, LINES).await;
    stop_receivers(stop, running).await;
    assert_eq!(
        mamori_store::access_log::indexed_size(&app.store, institution)
            .await
            .expect("size"),
        LINES
    );
    assert_eq!(counters.written.load(Ordering::Relaxed), LINES);
}

#[tokio::test]
async fn hostile_frames_are_kept_raw_counted_and_the_connection_goes_on() {
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    app.set_up().await;
    let institution = first_institution(&app).await;
    let (addresses, counters, stop, running) = start_receivers(&app).await;
    let address = addresses.tcp.expect("the TCP address");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let mut bytes = Vec::new();
    // A 1 MB line, a 1 MB counted frame, invalid UTF-8, binary garbage, and
    // then an ordinary line.
    bytes.extend(std::iter::repeat_n(b'L', 1 << 20));
    bytes.push(b'\n');
    bytes.extend_from_slice(format!("{} ", 1 << 20).as_bytes());
    bytes.extend(std::iter::repeat_n(b'C', 1 << 20));
    bytes.extend_from_slice(b"<13>caf\xe9 \xff\xfe not utf-8\n");
    bytes.extend_from_slice(b"\x01\x02\x03garbage\x7f\n");
    bytes.extend_from_slice(
        b"<86>1 2026-11-20T09:00:00+09:00 srv1 sshd 1 - - Failed password for root from 203.0.113.5 port 1 ssh2\n",
    );
    stream.write_all(&bytes).await.expect("send");
    stream.shutdown().await.expect("close");
    received(&counters, 5).await;
    stop_receivers(stop, running).await;
    assert_eq!(counters.oversized.load(Ordering::Relaxed), 2);
    assert_eq!(
        mamori_store::access_log::indexed_size(&app.store, institution)
            .await
            .expect("size"),
        5,
        "every frame is an entry"
    );
    let bundle = std::fs::read(
        app.data_dir
            .join("access-logs")
            .join(institution.to_string())
            .join("tile/entries/000.p/5"),
    )
    .expect("the institution's bundle");
    let bundle = String::from_utf8_lossy(&bundle);
    // The oversized frames: their heads kept, the cut noted with the
    // announced length where there was one.
    assert!(
        bundle.contains("\"frame_bytes\":1048576"),
        "the counted frame's length"
    );
    assert!(
        bundle.contains("\"frame_bytes\":null"),
        "the line's length is unknown"
    );
    assert!(bundle.contains("LLLLLLLL") && bundle.contains("CCCCCCCC"));
    assert!(bundle.contains("caf\\ufffd") || bundle.contains("caf\u{fffd}"));
    assert!(bundle.contains("garbage"));
    let root = mamori_store::access_log::events_of_user(
        &app.store,
        institution,
        "root",
        "2026-11-01T00:00:00Z".parse().expect("time"),
        "2026-12-01T00:00:00Z".parse().expect("time"),
        10,
    )
    .await
    .expect("search");
    assert_eq!(root.len(), 1, "the line after the hostile ones is read");
}

#[tokio::test]
async fn a_flood_from_one_sender_is_counted_line_by_line_and_the_server_keeps_answering() {
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let institution = first_institution(&app).await;
    let (addresses, counters, stop, running) = start_receivers(&app).await;
    let line = |n: usize| {
        format!(
            "<86>1 2026-11-20T09:00:00+09:00 srv1 sshd 1 - - Failed password for flood{n} from 203.0.113.5 port 1 ssh2"
        )
    };
    // UDP as fast as the socket takes it: a datagram the queue has no room
    // for is dropped and counted, never silently lost.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let target = addresses.udp.expect("the UDP address");
    const UDP_LINES: usize = 60_000;
    for n in 0..UDP_LINES {
        udp.send_to(line(n).as_bytes(), target).await.expect("send");
    }
    // TCP from the same sender at the same time: it is slowed down, and
    // every line is kept.
    const TCP_LINES: usize = 30_000;
    let mut stream = tokio::net::TcpStream::connect(addresses.tcp.expect("the TCP address"))
        .await
        .expect("connect");
    let mut bytes = Vec::new();
    for n in UDP_LINES..UDP_LINES + TCP_LINES {
        bytes.extend_from_slice(line(n).as_bytes());
        bytes.push(b'\n');
    }
    stream.write_all(&bytes).await.expect("send");
    stream.shutdown().await.expect("close");
    // The pages still answer during the flood.
    assert!(admin.get("/logs").await.text("h1").contains("アクセスログ"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while counters.written.load(Ordering::Relaxed) + counters.dropped_udp.load(Ordering::Relaxed)
        < counters.received.load(Ordering::Relaxed)
        || counters.written.load(Ordering::Relaxed) < TCP_LINES as u64
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the flood was not written"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop_receivers(stop, running).await;
    let (received, written, dropped) = (
        counters.received.load(Ordering::Relaxed),
        counters.written.load(Ordering::Relaxed),
        counters.dropped_udp.load(Ordering::Relaxed),
    );
    // Every line received is either written or counted as dropped; UDP
    // datagrams the kernel itself dropped never arrived.
    assert_eq!(written + dropped, received, "{counters:?}");
    assert!(received >= TCP_LINES as u64);
    for n in [
        UDP_LINES,
        UDP_LINES + TCP_LINES / 2,
        UDP_LINES + TCP_LINES - 1,
    ] {
        let found = mamori_store::access_log::events_of_user(
            &app.store,
            institution,
            &format!("flood{n}"),
            "2026-11-01T00:00:00Z".parse().expect("time"),
            "2026-12-01T00:00:00Z".parse().expect("time"),
            10,
        )
        .await
        .expect("search");
        assert_eq!(found.len(), 1, "TCP line {n} is kept");
    }
    assert_eq!(counters.failed_batches.load(Ordering::Relaxed), 0);
    assert_eq!(
        mamori_store::access_log::indexed_size(&app.store, institution)
            .await
            .expect("size"),
        written,
        "the index holds what was written"
    );
}

#[tokio::test]
async fn each_source_may_be_silent_for_its_own_hours_before_that_is_a_finding() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // A router that should send every hour, a PC that is off at night
    // (48 hours), and a server on the institution's rule (24 hours).
    let refused = register_source(
        &admin,
        &[
            ("name", "ルータ".into()),
            ("kind", "syslog".into()),
            ("senders", "192.0.2.1".into()),
            ("silent_hours", "0".into()),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .errors()
            .iter()
            .any(|e| e.contains("ログが届かない時間")),
        "{:?}",
        refused.errors()
    );
    for (name, senders, hours) in [
        ("ルータ", "192.0.2.1", "1"),
        ("受付PC", "192.0.2.2", "48"),
        ("サーバ", "192.0.2.3", ""),
    ] {
        let added = register_source(
            &admin,
            &[
                ("name", name.into()),
                ("kind", "syslog".into()),
                ("senders", senders.into()),
                ("silent_hours", hours.into()),
            ],
        )
        .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    }
    let page = admin.get("/logs/sources").await;
    let rows = page.texts("#log-sources tr.log-source");
    assert!(
        rows.iter()
            .any(|row| row.contains("ルータ") && row.contains("1時間")),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|row| row.contains("サーバ") && row.contains("施設の基準")),
        "{rows:?}"
    );

    // Registered just now, none has sent: each waits for its first line.
    let review = admin.get("/logs").await;
    let waiting = review.texts("#logs-sources tr.source .waiting");
    assert_eq!(waiting.len(), 3, "{:?}", review.texts("#logs-sources tr"));
    assert!(waiting[0].contains("送信先"), "{waiting:?}");

    // Each sent last two hours ago (their exports imported here).
    let two_hours_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2);
    let options = page.texts("#import-source option");
    let values: Vec<String> = (0..options.len())
        .map(|n| {
            page.attribute(
                &format!("#import-source option:nth-child({})", n + 1),
                "value",
            )
            .expect("a source")
        })
        .collect();
    for (option, value) in options.iter().zip(&values) {
        let export = line(
            two_hours_ago,
            &format!("Accepted password for staff from 192.0.2.9 port 1 ssh2 ({option})"),
        );
        let imported = admin
            .upload(
                "/logs/sources",
                "/logs/import",
                &[("source", value.clone()), ("step", "import".into())],
                &[("file", "export.log", export.into_bytes())],
            )
            .await;
        assert_eq!(
            imported.status,
            StatusCode::SEE_OTHER,
            "{:?}",
            imported.errors()
        );
    }

    // A switch registered just now and not heard from yet is not silent:
    // its 24 hours run from its registration.
    let added = register_source(
        &admin,
        &[
            ("name", "スイッチ".into()),
            ("kind", "syslog".into()),
            ("senders", "192.0.2.4".into()),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());

    // Only the router, allowed one hour, is silent now: flagged in the
    // table and a finding of this month.
    let page = admin.get("/logs").await;
    let overdue = page.texts("#logs-sources tr.overdue");
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert!(overdue[0].contains("ルータ") && overdue[0].contains("1時間以上"));
    // Only the switch, never heard from, still waits for its first line.
    let waiting = page.texts("#logs-sources tr.source:has(.waiting)");
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(waiting[0].contains("スイッチ"), "{waiting:?}");
    let findings = page.texts("#logs-findings li");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].contains("収集元 ルータ から1時間以上ログが届いていません"),
        "{findings:?}"
    );
    assert!(page.text("#logs-unnoted").contains("1件"));
    // A past month knows nothing of today's silence.
    let previous = admin
        .get(&format!(
            "/logs?month={}",
            mamori_domain::access_log::review::Month::of(
                jiff::Timestamp::now()
                    .to_zoned_datetime(mamori_web::tokyo())
                    .date()
            )
            .previous()
        ))
        .await;
    assert!(previous.texts("#logs-findings li").is_empty());
}

#[tokio::test]
async fn the_search_says_when_lines_just_kept_are_not_yet_indexed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let page = admin.get("/logs/search?user=tanaka").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.attribute("#logs-indexing", "id").is_none(),
        "no log yet, nothing to wait for"
    );

    // Appended to the log, not yet indexed (as the receivers leave a burst
    // for their indexer): the search says so and how many.
    add_source(
        &app,
        RawLogSource {
            name: "サーバ",
            kind: "syslog",
            ..RawLogSource::default()
        },
    )
    .await;
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let lines: String = (0..3)
        .map(|n| {
            line(
                at + jiff::SignedDuration::from_mins(n),
                "Failed password for tanaka from 192.0.2.23 port 50000 ssh2",
            )
        })
        .collect();
    let file = app.data_dir.join("server.log");
    std::fs::write(&file, lines).expect("write the export");
    let institution = first_institution(&app).await;
    mamori::access_logs::import_file(&app.store, &app.data_dir, institution, "サーバ", &file)
        .await
        .expect("import");
    let page = admin.get("/logs/search?user=tanaka").await;
    assert!(
        page.text("#logs-indexing").contains("3件"),
        "{}",
        page.text("#logs-indexing")
    );
    assert!(page.attribute("#logs-events", "id").is_none());

    // Once indexed, the lines are found and the note is gone.
    mamori::access_logs::index_pending(&app.store, &app.data_dir, institution)
        .await
        .expect("index");
    let page = admin.get("/logs/search?user=tanaka").await;
    assert!(page.attribute("#logs-indexing", "id").is_none());
    assert_eq!(page.texts("#logs-events tbody tr").len(), 3);
}

#[tokio::test]
async fn a_log_whose_every_bundle_was_archived_goes_on_being_indexed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // 512 lines of six years ago: two full bundles, both past the five
    // years the source keeps them.
    let old = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 365 * 6);
    let lines: String = (0..512)
        .map(|n| {
            line(
                old + jiff::SignedDuration::from_secs(n),
                "Failed password for suzuki from 192.0.2.23 port 50000 ssh2",
            )
        })
        .collect();
    import_syslog(&app, "サーバ", "", &lines).await;
    let institution = first_institution(&app).await;
    let archive = tempfile::tempdir().expect("archive folder");
    let archived = mamori::access_logs::archive_old(
        &app.store,
        &app.data_dir,
        institution,
        archive.path(),
        jiff::Timestamp::now(),
    )
    .await
    .expect("archive");
    assert_eq!((archived.bundles, archived.unindexed), (2, 512));
    let page = admin.get("/logs/search?user=suzuki").await;
    assert!(
        page.attribute("#logs-indexing", "id").is_none(),
        "archived lines are not waiting to be indexed"
    );
    assert!(page.attribute("#logs-events", "id").is_none());

    // The index is empty now; a new line is still indexed after the
    // archived ones, and found.
    let file = app.data_dir.join("today.log");
    std::fs::write(
        &file,
        line(
            jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1),
            "Failed password for tanaka from 192.0.2.23 port 50000 ssh2",
        ),
    )
    .expect("write the export");
    let report =
        mamori::access_logs::import_file(&app.store, &app.data_dir, institution, "サーバ", &file)
            .await
            .expect("import after the archive");
    assert!(
        matches!(
            report,
            mamori::access_logs::ImportReport::Imported {
                first_seq: 512,
                events: 1,
                ..
            }
        ),
        "{report:?}"
    );
    assert_eq!(
        mamori::access_logs::index_pending(&app.store, &app.data_dir, institution)
            .await
            .expect("index"),
        1
    );
    let page = admin.get("/logs/search?user=tanaka").await;
    assert_eq!(page.texts("#logs-events tbody tr").len(), 1);
    assert!(page.attribute("#logs-indexing", "id").is_none());
    let verified = mamori::access_logs::verify(&app.data_dir, institution, Some(archive.path()))
        .expect("verifies with the archive");
    assert_eq!(verified.size, 513);
}

/// The log sources page says where devices are to send syslog (the
/// receivers this server runs, or that none runs and how to start one); a
/// new source's "nothing received yet" links there; and a line sent to the
/// port the page shows arrives as the registered source's.
#[tokio::test]
async fn the_sources_page_says_where_to_send_syslog_and_a_line_sent_there_arrives() {
    // Started without receivers: the page says so, and how to start them.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let page = admin.get("/logs/sources").await;
    assert!(
        page.text("#syslog-off").contains("--syslog-udp"),
        "{}",
        page.text("#syslog-off")
    );
    assert!(page.texts("#syslog-listeners tr").is_empty());

    let app = crate::helpers::spawn_app_receiving_syslog().await;
    let admin = app.admin().await;
    let added = register_source(
        &admin,
        &[
            ("name", "ルーター".into()),
            ("kind", "syslog".into()),
            ("senders", "127.0.0.1".into()),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{:?}", added.errors());
    let review = admin.get("/logs").await;
    assert_eq!(
        review.attributes("#logs-sources .waiting a", "href"),
        ["/logs/sources#syslog-receivers"]
    );
    // The sign-off asks why a sending source has nothing this month.
    assert!(
        review.text("#logs-quiet").contains("ルーター"),
        "{}",
        review.text("#logs-quiet")
    );
    // The month is shown, and chosen, in 西暦 and 和暦 whatever the
    // browser's language.
    let this_month = mamori_domain::access_log::review::Month::of(
        jiff::Timestamp::now()
            .to_zoned_datetime(mamori_web::tokyo())
            .date(),
    )
    .to_string();
    assert!(
        review.text("#logs-month-shown").contains("令和"),
        "{}",
        review.text("#logs-month-shown")
    );
    assert_eq!(
        review.attribute("#month option[selected]", "value"),
        Some(this_month)
    );

    let page = admin.get("/logs/sources").await;
    assert!(page.texts("#syslog-off").is_empty());
    let rows = page.texts("#syslog-listeners tr.syslog-listener");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0].contains("UDP") && rows[0].contains("このサーバーのIPアドレス"),
        "{rows:?}"
    );
    // Opened on the server itself, the wildcard row names this machine's
    // LAN address as one to enter, where it has one.
    match crate::helpers::this_machines_lan_address() {
        Some(lan) => assert!(
            rows[0].contains(&format!("たとえば {lan}")) && rows[0].contains("ベンダ"),
            "{rows:?}"
        ),
        None => assert!(!rows[0].contains("たとえば"), "{rows:?}"),
    }
    assert!(
        rows[1].contains("TCP") && rows[1].contains("127.0.0.1"),
        "{rows:?}"
    );
    // Opened from another machine at the server's LAN address, the page
    // gives that address as one to enter (a router cannot use "any").
    let from_lan = admin
        .client
        .get(format!("{}/logs/sources", admin.base))
        .header(reqwest::header::HOST, "192.168.1.10:8080")
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("its body");
    let from_lan = scraper::Html::parse_document(&from_lan);
    let udp_row = from_lan
        .select(
            &scraper::Selector::parse("#syslog-listeners tr.syslog-listener").expect("selector"),
        )
        .next()
        .expect("the UDP row")
        .text()
        .collect::<String>();
    assert!(
        udp_row.contains("192.168.1.10") && !udp_row.contains("8080"),
        "{udp_row}"
    );
    let ports = page.texts("#syslog-listeners tr.syslog-listener td:nth-child(3)");
    let udp_port: u16 = ports[0].trim().parse().expect("the UDP port shown");

    // The router sends one line to that port.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let sent = format!(
        "<86>1 {} rtx1200 sshd 811 - - Failed password for user7 from 192.0.2.9 port 2222 ssh2",
        jiff::Timestamp::now()
    );
    socket
        .send_to(sent.as_bytes(), ("127.0.0.1", udp_port))
        .expect("send");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let review = admin.get("/logs").await;
        let counts = review.texts("#logs-sources tr.source td:nth-child(2)");
        if counts == ["1"] {
            assert!(review.texts("#logs-sources .waiting").is_empty());
            assert!(review.attribute("#logs-quiet", "id").is_none());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the line sent to the UDP port shown never arrived: {:?}",
            review.texts("#logs-sources tr")
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The review page checks the log for alteration on request and keeps the
/// result as evidence (audited, shown on the page and on the checklist's
/// アクセスログ item): nothing to check before a log exists, intact after an
/// import, and a mismatch once a kept line is edited on disk.
#[tokio::test]
async fn the_log_is_checked_for_alteration_from_the_review_page_and_the_result_kept() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.add_user("inspector", "保健所 太郎", "viewer").await;
    let review = admin.get("/logs").await;
    assert!(review.attribute("#logs-verify-never", "id").is_some());
    let month = review
        .attribute("#logs-verify input[name=month]", "value")
        .expect("month");
    let nothing = admin
        .submit("/logs", "/logs/verify", &[("month", month.clone())])
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Said in the check's own section, not under the sign-off form.
    assert!(
        nothing
            .text("#verify-errors")
            .contains("検証するものがありません"),
        "{}",
        nothing.body
    );
    assert!(nothing.errors().is_empty(), "{:?}", nothing.errors());

    let now = jiff::Timestamp::now();
    let lines: String = (0..12)
        .map(|n| {
            line(
                now - jiff::SignedDuration::from_mins(60 - n),
                &format!("Accepted password for user{n} from 192.0.2.{n} port 50000 ssh2"),
            )
        })
        .collect();
    import(&app, &lines).await;
    let checked = admin
        .submit("/logs", "/logs/verify", &[("month", month.clone())])
        .await;
    assert_eq!(
        checked.status,
        StatusCode::SEE_OTHER,
        "{:?}",
        checked.errors()
    );
    let review = admin
        .get(&checked.location.clone().expect("redirect"))
        .await;
    let intact = review.text("#logs-verify-intact");
    assert!(
        intact.contains("12件すべて") && intact.contains("守 太郎"),
        "{intact}"
    );
    assert!(review.attribute("#logs-verify-broken", "id").is_none());
    // A viewer sees the result and cannot run the check.
    let inspector = app.signed_in("inspector").await;
    let seen = inspector.get("/logs").await;
    assert!(seen.text("#logs-verify-intact").contains("改ざんなし"));
    assert!(seen.attribute("#verify-log", "id").is_none());
    let refused = inspector
        .submit("/logs", "/logs/verify", &[("month", month.clone())])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // One kept line edited on disk (a name changed, same length).
    let institution = first_institution(&app).await;
    let bundle =
        mamori::access_logs::log_dir(&app.data_dir, institution).join("tile/entries/000.p/12");
    let kept = std::fs::read(&bundle).expect("the bundle");
    let at = kept
        .windows(5)
        .position(|w| w == b"user3")
        .expect("user3's line in the bundle");
    let mut edited = kept.clone();
    edited[at..at + 5].copy_from_slice(b"userX");
    std::fs::write(&bundle, &edited).expect("edit the bundle");
    let checked = admin
        .submit("/logs", "/logs/verify", &[("month", month.clone())])
        .await;
    assert_eq!(checked.status, StatusCode::SEE_OTHER);
    let review = admin.get("/logs").await;
    let broken = review.text("#logs-verify-broken");
    assert!(
        broken.contains("一致しません") && broken.contains("インシデント"),
        "{broken}"
    );
    assert!(
        broken.contains("entry 3"),
        "the mismatch names the entry: {broken}"
    );

    // Both checks are in the audit trail; the checklist item warns.
    let verifications = app
        .audit_events()
        .await
        .into_iter()
        .filter(|event| event.action == "access_log.verify")
        .count();
    assert_eq!(verifications, 2);
    let year = mamori_domain::calendar::FiscalYear::containing(
        jiff::Timestamp::now()
            .to_zoned_datetime(mamori_web::tokyo())
            .date(),
    );
    let base = format!("/checklist/medical/{year}");
    admin.submit(&base, &format!("{base}/start"), &[]).await;
    let item = admin.get(&format!("{base}/items/access-log-server")).await;
    let warnings = item.text("#ledger-warnings");
    assert!(warnings.contains("一致しないログ"), "{warnings}");
}

#[tokio::test]
async fn a_large_json_lines_export_is_imported_part_by_part_once_and_repeats_across_parts_kept_once()
 {
    let app = spawn_app().await;
    // The institution and its first administrator.
    let admin = app.admin().await;
    add_source(
        &app,
        RawLogSource {
            name: "受付PC",
            kind: "windows_json",
            ..RawLogSource::default()
        },
    )
    .await;
    let institution = first_institution(&app).await;
    // About 6 MB: read in three parts or more (2 MiB a part). Record 7
    // comes first, again in the middle and again last: kept once.
    let event = |record: u64| {
        format!(
            r#"{{"@timestamp":"2026-11-20T00:31:00Z","winlog":{{"event_id":4625,"record_id":{record},"computer_name":"UKETSUKE-PC01","channel":"Security","event_data":{{"TargetUserName":"user{}","IpAddress":"192.168.1.24","LogonType":"3","Padding":"{}"}}}}}}"#,
            record % 50,
            "x".repeat(100)
        )
    };
    let records: Vec<u64> = (0..40_000u64)
        .map(|n| match n {
            20_000 | 39_999 => 7,
            n => n,
        })
        .collect();
    let mut file_text: String = records.iter().map(|record| event(*record) + "\n").collect();
    assert!(file_text.len() > 3 * (2 << 20), "{} bytes", file_text.len());
    let file = app.data_dir.join("security.jsonl");
    std::fs::write(&file, &file_text).expect("write the export");
    let import = || async {
        mamori::access_logs::import_file(&app.store, &app.data_dir, institution, "受付PC", &file)
            .await
            .expect("import")
    };
    match import().await {
        mamori::access_logs::ImportReport::Imported {
            first_seq,
            events,
            already_kept,
            unrecognised,
            ..
        } => assert_eq!(
            (first_seq, events, already_kept, unrecognised),
            (0, 39_998, 2, 0)
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        mamori::access_logs::log_size(&app.data_dir, institution).expect("size"),
        39_998
    );
    // The entries are the file's lines in order, each numbered by its line.
    let (_, entries) =
        mamori::access_logs::read_log(&app.data_dir, institution, 19_998..20_001).expect("read");
    let lines: Vec<u64> = entries
        .iter()
        .map(|entry| {
            serde_json::from_slice::<serde_json::Value>(entry).expect("an entry is JSON")["line"]
                .as_u64()
                .expect("its line")
        })
        .collect();
    assert_eq!(
        lines,
        [19_999, 20_000, 20_002],
        "line 20,001 (record 7 again) left out"
    );
    // The sources page counts the import with its thousands grouped.
    let cells = admin
        .get("/logs/sources")
        .await
        .texts("#log-imports tr.log-import td");
    assert_eq!(
        cells[2..],
        ["security.jsonl", "39,998", "0", "2"],
        "{cells:?}"
    );
    // So does the month's review, per source, once the events are indexed.
    mamori::access_logs::index_pending(&app.store, &app.data_dir, institution)
        .await
        .expect("index");
    let review = admin.get("/logs?month=2026-11").await;
    assert_eq!(
        review.texts("#logs-sources tr.source td")[..2],
        ["受付PC", "39,998"]
    );
    // The same file again adds nothing; an overlapping export adds only
    // what is new.
    assert!(matches!(
        import().await,
        mamori::access_logs::ImportReport::AlreadyImported(_)
    ));
    file_text.push_str(&event(40_000));
    file_text.push('\n');
    std::fs::write(&file, &file_text).expect("write the next export");
    mamori::access_logs::index_pending(&app.store, &app.data_dir, institution)
        .await
        .expect("index");
    match import().await {
        mamori::access_logs::ImportReport::Imported {
            first_seq,
            events,
            already_kept,
            ..
        } => assert_eq!((first_seq, events, already_kept), (39_998, 1, 40_000)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        mamori::access_logs::verify(&app.data_dir, institution, None)
            .expect("the log verifies")
            .size,
        39_999
    );
}
