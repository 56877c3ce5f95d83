//! Incidents in the store (issue #12), on SQLite and, with
//! `TEST_DATABASE_URL`, on PostgreSQL: a report opens an incident with its
//! photo and first timeline entry in one audited transaction, a second report
//! joins it, handlers add to an append-only timeline, and another
//! institution can neither read, change nor join it.

use jiff::Timestamp;
use jiff::civil::date;
use mamori_domain::incident::report::{IncidentId, Measure, RawReport, parse_report};
use mamori_domain::incident::status::{EntryKind, Severity, Status};
use mamori_domain::institution::{
    NewInstitution, NewUser, PasswordHash, Principal, RawInstitution, RawUser, Role, permissions,
};
use mamori_store::audit_log::AuditFilter;
use mamori_store::backup_register::UploadedFile;
use mamori_store::incident::{self, Change, Reporter};
use mamori_store::testing::TestDatabase;
use mamori_store::{Error, Store};

fn institution(name: &str) -> NewInstitution {
    NewInstitution::parse(RawInstitution {
        name,
        kind: "clinic_without_beds",
        bed_count: "",
        prefecture: "徳島県",
        address: "徳島市1-1",
        phone: "088-000-0000",
    })
    .expect("valid institution")
}

fn user(login_id: &str) -> NewUser {
    NewUser::parse(RawUser {
        login_id,
        display_name: "事務長 花子",
        role: Role::SecurityManager.code(),
    })
    .expect("valid user")
}

fn hash() -> PasswordHash {
    PasswordHash::from_stored(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
    )
}

async fn two_institutions(store: &Store, now: Timestamp) -> (Principal, Principal) {
    let (a, a_admin) = mamori_store::institution::set_up_first(
        store,
        &institution("甲クリニック"),
        None,
        &user("a-admin"),
        &hash(),
        now,
    )
    .await
    .expect("setup");
    let (b, b_admin) = mamori_store::institution::create_by_operator(
        store,
        &institution("乙クリニック"),
        None,
        &user("b-admin"),
        &hash(),
        now,
    )
    .await
    .expect("second institution");
    (
        Principal::new(a_admin, a, Role::SecurityManager),
        Principal::new(b_admin, b, Role::SecurityManager),
    )
}

fn photo() -> UploadedFile {
    let content = b"\xFF\xD8\xFF\xE0 not really a whole jpeg".to_vec();
    UploadedFile {
        name: "screen.jpg".to_owned(),
        content_type: "image/jpeg".to_owned(),
        sha256: "00".repeat(32),
        content,
    }
}

#[tokio::test]
async fn a_report_opens_an_incident_that_only_its_institution_sees_and_the_timeline_only_grows() {
    let database = TestDatabase::create().await;
    let store = Store::open(database.url()).await.expect("open");
    let now = Timestamp::now();
    let (a, b) = two_institutions(&store, now).await;
    let noticed = date(2026, 12, 7).at(8, 45, 0, 0);
    let raw = RawReport {
        noticed_on: "2026-12-07",
        noticed_at: "08:40",
        place: "受付",
        device_name: "受付PC",
        reporter: "受付 花子",
        department: "医事課",
        patterns: vec!["1", "2"],
        details: "画面に英語の脅迫文が出ている",
        measures: vec![("cut_network", "08:42")],
        ..RawReport::default()
    };
    let report = parse_report(&raw, noticed).expect("valid report");
    let a_reporter = a
        .grant::<permissions::ReportIncident>()
        .expect("everyone reports");
    let (id, _) = incident::report(
        &store,
        Reporter::User(&a_reporter),
        &report,
        &[photo()],
        None,
        now,
    )
    .await
    .expect("stored");
    let a_handler = a.grant::<permissions::HandleIncidents>().expect("handler");
    let unhandled = incident::unhandled(&store, &a_handler)
        .await
        .expect("banner");
    assert_eq!(unhandled.len(), 1, "the banner shows the new incident");
    assert_eq!(unhandled[0].status, Status::Reported);
    assert_eq!(unhandled[0].title, "脅迫文が表示された");
    assert_eq!(unhandled[0].known_on, date(2026, 12, 7));

    // A second report joins it; one with an unknown 管理番号 is refused, storing nothing.
    let second = parse_report(
        &RawReport {
            reporter: "看護師 一郎",
            patterns: vec!["2"],
            ..RawReport::default()
        },
        noticed,
    )
    .expect("valid");
    incident::report(
        &store,
        Reporter::User(&a_reporter),
        &second,
        &[],
        Some(id),
        now,
    )
    .await
    .expect("joins");
    let unknown_device = parse_report(
        &RawReport {
            reporter: "看護師 一郎",
            asset_number: "PC-999",
            details: "x",
            ..RawReport::default()
        },
        noticed,
    )
    .expect("valid form");
    assert!(matches!(
        incident::report(
            &store,
            Reporter::User(&a_reporter),
            &unknown_device,
            &[],
            None,
            now
        )
        .await,
        Err(Error::Unknown("asset_number"))
    ));

    // The handler takes charge, grades it, ticks steps and writes notes.
    for change in [
        // Taking charge of a reported incident moves it to 調査中 by itself.
        Change::TakeCharge,
        Change::Severity(Severity::Critical),
        Change::StepDone {
            step: "II-2-1".to_owned(),
            remark: "LANケーブルを抜いたことを確認".to_owned(),
        },
        Change::StepNotApplicable {
            step: "II-4-1".to_owned(),
            reason: "メール由来ではない".to_owned(),
        },
        Change::Note("ベンダへ連絡済み".to_owned()),
    ] {
        incident::change(&store, &a_handler, id, &change, now)
            .await
            .expect("change");
    }
    assert!(
        incident::unhandled(&store, &a_handler)
            .await
            .expect("banner")
            .is_empty()
    );
    let a_reader = a.grant::<permissions::ViewIncidents>().expect("reader");
    let held = incident::get(&store, &a_reader, id).await.expect("get");
    assert_eq!(held.reports.len(), 2);
    assert_eq!(held.summary.reports, 2);
    assert_eq!(held.summary.severity, Severity::Critical);
    assert_eq!(held.summary.status, Status::Investigating);
    assert_eq!(held.summary.lead.as_deref(), Some("事務長 花子"));
    let first = &held.reports[0].report;
    assert_eq!(
        first.measures,
        [(Measure::CutNetwork, date(2026, 12, 7).at(8, 42, 0, 0))]
    );
    assert_eq!(first.patterns.iter().copied().collect::<Vec<_>>(), [1, 2]);
    let kinds: Vec<EntryKind> = held.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::Report,
            EntryKind::File,
            EntryKind::Report,
            EntryKind::Lead,
            EntryKind::Status,
            EntryKind::Severity,
            EntryKind::StepDone,
            EntryKind::StepNotApplicable,
            EntryKind::Note,
        ]
    );
    assert_eq!(held.files.len(), 1);
    let (name, kind, bytes) = incident::file(&store, &a_reader, held.files[0].id)
        .await
        .expect("file");
    assert_eq!(
        (name.as_str(), kind.as_str(), bytes),
        ("screen.jpg", "image/jpeg", photo().content)
    );

    // Closing keeps everything; a closed incident cannot be joined.
    incident::change(&store, &a_handler, id, &Change::Status(Status::Closed), now)
        .await
        .expect("close");
    assert!(matches!(
        incident::report(
            &store,
            Reporter::User(&a_reporter),
            &second,
            &[],
            Some(id),
            now
        )
        .await,
        Err(Error::Unknown("incident"))
    ));
    let closed = incident::get(&store, &a_reader, id).await.expect("get");
    assert_eq!(closed.entries.len(), held.entries.len() + 1);

    // Another institution sees, changes and joins nothing of it.
    let b_reader = b.grant::<permissions::ViewIncidents>().expect("reader");
    let b_handler = b.grant::<permissions::HandleIncidents>().expect("handler");
    let b_reporter = b.grant::<permissions::ReportIncident>().expect("reporter");
    assert!(matches!(
        incident::get(&store, &b_reader, id).await,
        Err(Error::NotFound)
    ));
    assert!(
        incident::list(&store, &b_reader)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(matches!(
        incident::change(&store, &b_handler, id, &Change::Note("x".to_owned()), now).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        incident::file(&store, &b_reader, held.files[0].id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        incident::report(
            &store,
            Reporter::User(&b_reporter),
            &second,
            &[],
            Some(id),
            now
        )
        .await,
        Err(Error::Unknown("incident"))
    ));
    assert!(matches!(
        incident::get(&store, &a_reader, IncidentId::from_db(id.get() + 1000)).await,
        Err(Error::NotFound)
    ));

    // Every change is in the audit trail, under the incident.
    let auditor = a.grant::<permissions::ViewAuditTrail>().expect("auditor");
    let events = mamori_store::audit_log::search(
        &store,
        &auditor,
        &AuditFilter {
            target: Some(format!("incident:{id}")),
            ..AuditFilter::default()
        },
        100,
        0,
    )
    .await
    .expect("search");
    let actions: Vec<&str> = events.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "incident.report").count(),
        1
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "incident.report.join")
            .count(),
        1
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "incident.change").count(),
        6
    );
}
