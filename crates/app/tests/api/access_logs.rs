//! Access logs (issue #14) over HTTP: the monthly review with its bursts of
//! failed sign-ins and the sign-off, the search and its audited CSV export,
//! the checklist's アクセスログ item, and another institution seeing nothing.

use mamori_domain::access_log::source::{NewLogSource, RawLogSource};
use mamori_domain::institution::InstitutionId;
use reqwest::StatusCode;

use crate::helpers::{TestApp, spawn_app};

/// Registers a syslog source for the first institution and imports `lines`
/// (twelve of them) as an exported file.
async fn import(app: &TestApp, lines: &str) {
    let institution = first_institution(app).await;
    add_source(
        app,
        RawLogSource {
            name: "VPNルータ",
            kind: "syslog",
            ..RawLogSource::default()
        },
    )
    .await;
    let file = app.data_dir.join("export.log");
    std::fs::write(&file, lines).expect("write the export");
    let report = mamori::access_logs::import_file(
        &app.store,
        &app.data_dir,
        institution,
        "VPNルータ",
        &file,
    )
    .await
    .expect("import");
    assert!(
        matches!(
            report,
            mamori::access_logs::ImportReport::Imported { events: 12, .. }
        ),
        "{report:?}"
    );
}

/// Registers a source for the first institution, as `mamori logs add-source` does.
async fn add_source(app: &TestApp, raw: RawLogSource<'_>) {
    let source = NewLogSource::parse(raw).expect("source");
    mamori_store::access_log::add_source_by_operator(
        &app.store,
        first_institution(app).await,
        &source,
        jiff::Timestamp::now(),
    )
    .await
    .expect("add the source");
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

    // A second source that never sent anything is silent.
    add_source(
        &app,
        RawLogSource {
            name: "予備サーバ",
            kind: "syslog",
            ..RawLogSource::default()
        },
    )
    .await;
    let page = admin.get(&format!("/logs?month={month}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // The source that sent two hours ago is not silent; the other one is.
    assert_eq!(page.texts("#logs-sources tr.overdue").len(), 1);
    assert_eq!(page.texts("#logs-sources tr.overdue td")[0], "予備サーバ");
    let cells = page.texts("#logs-sources tr:not(.overdue) td");
    assert_eq!(cells[..2], ["VPNルータ", "12"]);
    let findings = page.texts("#logs-findings li");
    assert_eq!(findings.len(), 6, "{findings:?}");
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
    assert!(
        findings[0].contains("203.0.113.9") && findings[0].contains("6回"),
        "{findings:?}"
    );
    assert!(
        findings[1].contains("admin") && findings[1].contains("6回"),
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
async fn an_account_reading_many_patients_records_in_a_day_is_a_finding() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let institution = first_institution(&app).await;
    add_source(
        &app,
        RawLogSource {
            name: "電子カルテ",
            kind: "ehr_csv",
            mapping: "time=日時,user=利用者ID,patient_id=患者ID,action=操作,host=端末",
            ..RawLogSource::default()
        },
    )
    .await;
    // An EHR audit export: dr-sato opens 101 patients' records in one
    // morning, dr-kato five; one row's time cannot be read (kept raw).
    let day = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30))
        .to_zoned_datetime(mamori_web::tokyo())
        .date();
    let mut csv = String::from("日時,利用者ID,患者ID,操作,端末\n");
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
    csv.push_str("きのう,dr-kato,P00009,参照,PC-02\n");
    let file = app.data_dir.join("ehr.csv");
    std::fs::write(&file, csv).expect("write the export");
    let report = mamori::access_logs::import_file(
        &app.store,
        &app.data_dir,
        institution,
        "電子カルテ",
        &file,
    )
    .await
    .expect("import");
    match report {
        mamori::access_logs::ImportReport::Imported {
            events,
            unrecognised,
            problems,
            ..
        } => {
            assert_eq!((events, unrecognised), (107, 1));
            assert!(
                problems
                    .iter()
                    .any(|p| p.contains("row 108") && p.contains("日時")),
                "{problems:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let month = day.strftime("%Y-%m").to_string();
    let page = admin.get(&format!("/logs?month={month}")).await;
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
