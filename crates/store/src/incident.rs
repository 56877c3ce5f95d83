//! Incidents (issue #12): reports (不具合発生報告書) that open or join an
//! incident, and the incident's append-only timeline. A report, its photos,
//! the incident it opens and the first timeline entry are written in one
//! transaction with their audit event; so is every later step.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime, Time};
use mamori_domain::incident::deadline::Assessment;
use mamori_domain::incident::meeting::NewMeeting;
use mamori_domain::incident::notice::NewNotice;
use mamori_domain::incident::report::{IncidentFileId, IncidentId, Measure, NewReport, ReportId};
use mamori_domain::incident::status::{EntryKind, Severity, Status};
use mamori_domain::incident::task::{NewTask, TaskId};
use mamori_domain::institution::{Grant, InstitutionId, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::backup_register::UploadedFile;
use crate::{Error, Store, from_micros, to_micros};

/// One line of the incident list.
#[derive(Debug, Clone)]
pub struct IncidentSummary {
    /// Its id.
    pub id: IncidentId,
    /// A short title (from the first report).
    pub title: String,
    /// Its stage.
    pub status: Status,
    /// How grave.
    pub severity: Severity,
    /// A drill (訓練), kept apart in counts and exports.
    pub drill: bool,
    /// The day the institution knew (the PPC clock starts here).
    pub known_on: Date,
    /// When the first report came in.
    pub opened_at: jiff::Timestamp,
    /// Who is in charge (display name), when someone is.
    pub lead: Option<String>,
    /// How many reports it holds.
    pub reports: i64,
    /// Its latest personal-data assessment, when there is one.
    pub assessment: Option<Assessment>,
    /// The days of the first PPC 速報 and 確報 made, when made.
    pub ppc_reported: [Option<Date>; 2],
}

/// A stored report.
#[derive(Debug, Clone)]
pub struct StoredReport {
    /// Its id.
    pub id: ReportId,
    /// What it says (the device by 管理番号 when it was picked from the ledger).
    pub report: NewReport,
    /// Sent through the poster's link, without signing in.
    pub anonymous: bool,
    /// When it was sent.
    pub submitted_at: jiff::Timestamp,
}

/// One entry of the timeline.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// When.
    pub at: jiff::Timestamp,
    /// Who (display name); `None` for a report sent without an account.
    pub who: Option<String>,
    /// What kind of entry.
    pub kind: EntryKind,
    /// The playbook step, for step entries.
    pub step: Option<String>,
    /// The new value (a status or severity code), for changes.
    pub value: String,
    /// The words.
    pub body: String,
    /// The file, for file entries.
    pub file: Option<IncidentFileId>,
    /// The 対策会議's record, for meeting entries.
    pub meeting: Option<NewMeeting>,
}

/// A file of an incident, without its bytes.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Its id.
    pub id: IncidentFileId,
    /// Its name.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: i64,
    /// When it was added.
    pub added_at: jiff::Timestamp,
}

/// An incident with everything it holds, in order.
#[derive(Debug, Clone)]
pub struct Incident {
    /// The list line.
    pub summary: IncidentSummary,
    /// Its reports, oldest first.
    pub reports: Vec<StoredReport>,
    /// Its timeline, oldest first.
    pub entries: Vec<StoredEntry>,
    /// Its files, oldest first.
    pub files: Vec<StoredFile>,
    /// Its 再発防止策, oldest first.
    pub tasks: Vec<StoredTask>,
}

/// A 再発防止策 task.
#[derive(Debug, Clone)]
pub struct StoredTask {
    pub id: TaskId,
    pub incident_id: IncidentId,
    /// The incident's title, for the dashboard.
    pub incident_title: String,
    pub title: String,
    pub owner: String,
    pub due_on: Date,
    /// When it was done and by whom, with the remark.
    pub done: Option<(jiff::Timestamp, String, String)>,
}

/// Every column of a task line, for the one SELECT below.
macro_rules! select_tasks {
    ($condition:literal) => {
        concat!(
            "SELECT t.id, t.incident_id, i.title AS incident_title, t.title, o.display_name AS owner,
                t.due_on, t.done_at, d.display_name AS done_by, t.done_note
             FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id
                JOIN users o ON o.id = t.owner_user_id LEFT JOIN users d ON d.id = t.done_by
             WHERE t.institution_id = $1 ",
            $condition
        )
    };
}

fn task_from_row(row: &sqlx::any::AnyRow) -> Result<StoredTask, Error> {
    let due_on: String = row.try_get("due_on")?;
    let done_at: Option<i64> = row.try_get("done_at")?;
    Ok(StoredTask {
        id: TaskId::from_db(row.try_get("id")?),
        incident_id: IncidentId::from_db(row.try_get("incident_id")?),
        incident_title: row.try_get("incident_title")?,
        title: row.try_get("title")?,
        owner: row.try_get("owner")?,
        due_on: due_on
            .parse()
            .map_err(|_| Error::Corrupt("incident_tasks.due_on"))?,
        done: match done_at {
            Some(at) => Some((
                from_micros(at),
                row.try_get::<Option<String>, _>("done_by")?
                    .unwrap_or_default(),
                row.try_get("done_note")?,
            )),
            None => None,
        },
    })
}

/// Records that the incident was downloaded as `format` (pdf, xlsx): every
/// export is in the audit trail.
pub async fn record_export<P: permissions::ReadsIncidents>(
    store: &Store,
    grant: &Grant<P>,
    id: IncidentId,
    format: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let transaction = store.begin().await?;
    let event = NewAuditEvent::by(
        grant,
        "incident.export",
        format!("incident:{id}"),
        json!({ "format": format }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The institution's active people (not break-glass accounts, not vendors'
/// accounts), by name: whom a task can be given to.
pub async fn people(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
) -> Result<Vec<(i64, String)>, Error> {
    active_accounts(store, grant, false).await
}

/// The institution's active vendors' accounts (外部事業者), by name: whom an
/// incident can call in to answer manual IV.
pub async fn vendor_accounts(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
) -> Result<Vec<(i64, String)>, Error> {
    active_accounts(store, grant, true).await
}

async fn active_accounts(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
    vendors: bool,
) -> Result<Vec<(i64, String)>, Error> {
    let rows = sqlx::query(
        "SELECT id, display_name FROM users
         WHERE institution_id = $1 AND active = 1 AND break_glass = 0
           AND (role = 'vendor') = ($2 = 1)
         ORDER BY display_name, id",
    )
    .bind(grant.institution_id().get())
    .bind(i64::from(vendors))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("display_name")?)))
        .collect()
}

/// The 再発防止策 not yet done, of incidents that are not drills, by due
/// day: the dashboard's list.
pub async fn open_tasks<P: permissions::ReadsIncidents>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<StoredTask>, Error> {
    let rows = sqlx::query(select_tasks!(
        "AND t.done_at IS NULL AND i.drill = 0 ORDER BY t.due_on, t.id"
    ))
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(task_from_row).collect()
}

/// Who sends a report.
pub enum Reporter<'a> {
    /// A signed-in user.
    User(&'a Grant<permissions::ReportIncident>),
    /// Someone without an account, through the institution's poster link:
    /// the SHA-256 of the link's token, and the address the report came from.
    /// Such a report always opens a new incident.
    Poster {
        token_hash: &'a str,
        source: &'a str,
    },
}

/// Every column of an incident's list line, for the one SELECT below; the
/// condition follows the institution's.
macro_rules! select_incidents {
    ($condition:literal) => {
        concat!(
            "SELECT i.id, i.title, i.status, i.severity, i.drill, i.known_on, i.opened_at,
                u.display_name AS lead,
                (SELECT COUNT(*) FROM incident_reports r WHERE r.incident_id = i.id) AS reports,
                (SELECT e.value FROM incident_entries e
                    WHERE e.incident_id = i.id AND e.kind = 'assessment'
                    ORDER BY e.id DESC LIMIT 1) AS assessment,
                (SELECT MIN(e.value) FROM incident_entries e
                    WHERE e.incident_id = i.id AND e.kind = 'notice'
                      AND e.value LIKE 'ppc_preliminary@%') AS ppc_preliminary,
                (SELECT MIN(e.value) FROM incident_entries e
                    WHERE e.incident_id = i.id AND e.kind = 'notice'
                      AND e.value LIKE 'ppc_final@%') AS ppc_final
             FROM incidents i LEFT JOIN users u ON u.id = i.lead_user_id
             WHERE i.institution_id = $1 ",
            $condition
        )
    };
}

/// The list lines `sql` (from [`select_incidents!`]) selects, binding
/// `more` after the institution.
async fn summaries(
    store: &Store,
    institution_id: i64,
    sql: &'static str,
    more: Option<i64>,
) -> Result<Vec<IncidentSummary>, Error> {
    let mut query = sqlx::query(sql).bind(institution_id);
    if let Some(value) = more {
        query = query.bind(value);
    }
    let rows = query.fetch_all(store.pool()).await?;
    rows.iter().map(summary_from_row).collect()
}

fn corrupt(column: &'static str) -> impl Fn(mamori_domain::ParseError) -> Error {
    move |_| Error::Corrupt(column)
}

fn summary_from_row(row: &sqlx::any::AnyRow) -> Result<IncidentSummary, Error> {
    let status: String = row.try_get("status")?;
    let severity: String = row.try_get("severity")?;
    let known_on: String = row.try_get("known_on")?;
    let drill: i64 = row.try_get("drill")?;
    Ok(IncidentSummary {
        id: IncidentId::from_db(row.try_get("id")?),
        title: row.try_get("title")?,
        status: Status::parse("status", &status).map_err(corrupt("incidents.status"))?,
        severity: Severity::parse("severity", &severity).map_err(corrupt("incidents.severity"))?,
        drill: drill != 0,
        known_on: known_on
            .parse()
            .map_err(|_| Error::Corrupt("incidents.known_on"))?,
        opened_at: from_micros(row.try_get("opened_at")?),
        lead: row.try_get("lead")?,
        reports: row.try_get("reports")?,
        assessment: row
            .try_get::<Option<String>, _>("assessment")?
            .map(|code| {
                Assessment::from_code(&code).ok_or(Error::Corrupt("incident_entries.value"))
            })
            .transpose()?,
        ppc_reported: [
            notice_day(row.try_get("ppc_preliminary")?)?,
            notice_day(row.try_get("ppc_final")?)?,
        ],
    })
}

fn notice_day(code: Option<String>) -> Result<Option<Date>, Error> {
    code.map(|code| {
        NewNotice::from_code(&code)
            .map(|(_, day)| day)
            .ok_or(Error::Corrupt("incident_entries.value"))
    })
    .transpose()
}

/// A title for a new incident: the first ticked pattern, else the details' start.
fn title_of(report: &NewReport) -> String {
    use mamori_domain::incident::report::PATTERNS;
    let from_pattern = report
        .patterns
        .iter()
        .next()
        .and_then(|n| PATTERNS.get(usize::from(*n).saturating_sub(1)))
        .map(|(ja, _)| ja.trim_end_matches('。').to_owned());
    let text =
        from_pattern.unwrap_or_else(|| report.details.lines().next().unwrap_or("").to_owned());
    text.chars().take(60).collect()
}

/// The report as the audit trail and the stored columns say it.
fn measures_text(measures: &[(Measure, DateTime)]) -> String {
    measures
        .iter()
        .map(|(measure, at)| format!("{}@{}", measure.code(), at.strftime("%Y-%m-%dT%H:%M")))
        .collect::<Vec<_>>()
        .join(",")
}

fn measures_from(text: &str) -> Result<Vec<(Measure, DateTime)>, Error> {
    let bad = || Error::Corrupt("incident_reports.measures");
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (code, at) = part.split_once('@').ok_or_else(bad)?;
            let measure = Measure::ALL
                .into_iter()
                .find(|m| m.code() == code)
                .ok_or_else(bad)?;
            let at = DateTime::strptime("%Y-%m-%dT%H:%M", at).map_err(|_| bad())?;
            Ok((measure, at))
        })
        .collect()
}

fn patterns_text(patterns: &BTreeSet<u8>) -> String {
    patterns
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn report_detail(report: &NewReport, anonymous: bool, files: &[UploadedFile]) -> serde_json::Value {
    json!({
        "事象発生確認日": report.noticed_on.to_string(),
        "確認時刻": report.noticed_at.map(|t| t.strftime("%H:%M").to_string()),
        "場所": report.place,
        "機器管理番号": report.asset_number,
        "機器名称": report.device_name,
        "発生ネットワーク": report.segment,
        "報告者": report.reporter,
        "課": report.department,
        "発生事例パターン": report.patterns.iter().collect::<Vec<_>>(),
        "その他": report.other,
        "詳細": report.details,
        "緊急措置": measures_text(&report.measures),
        "アカウントなしの報告": anonymous,
        "写真": files.iter().map(|f| json!({ "name": f.name, "sha256": f.sha256 })).collect::<Vec<_>>(),
    })
}

/// Stores a report: it opens a new incident, or joins `join` when that is an
/// open incident of the institution. The device is looked up by 管理番号
/// and the segment by name in the ledgers ([`Error::Unknown`] names the field
/// that matches nothing). Returns the incident and the report.
pub async fn report(
    store: &Store,
    reporter: Reporter<'_>,
    report: &NewReport,
    photos: &[UploadedFile],
    join: Option<IncidentId>,
    now: jiff::Timestamp,
) -> Result<(IncidentId, ReportId), Error> {
    let mut transaction = store.begin().await?;
    let (institution_id, user_id, actor, link) = match reporter {
        Reporter::User(grant) => (
            grant.institution_id().get(),
            Some(grant.principal().user_id().get()),
            Actor::User(grant.principal().user_id()),
            None,
        ),
        Reporter::Poster { token_hash, source } => {
            if join.is_some() {
                return Err(Error::Unknown("incident"));
            }
            let (link_id, institution_id) =
                crate::incident_link::live(&mut transaction, token_hash).await?;
            (
                institution_id,
                None,
                Actor::Anonymous(format!("poster link {link_id} ({source})")),
                Some(link_id),
            )
        }
    };
    let device = id_of(
        &mut transaction,
        "SELECT id FROM devices WHERE institution_id = $1 AND asset_number = $2 AND status <> 'disposed'",
        institution_id,
        report.asset_number.as_deref(),
        "asset_number",
    )
    .await?;
    let segment = id_of(
        &mut transaction,
        "SELECT id FROM network_segments WHERE institution_id = $1 AND name = $2",
        institution_id,
        report.segment.as_deref(),
        "segment",
    )
    .await?;
    let incident_id: i64 = match join {
        Some(id) => sqlx::query_scalar(
            "SELECT id FROM incidents WHERE id = $1 AND institution_id = $2 AND status <> 'closed'",
        )
        .bind(id.get())
        .bind(institution_id)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(Error::Unknown("incident"))?,
        None => {
            sqlx::query_scalar(
                "INSERT INTO incidents (institution_id, title, status, severity, drill, known_on, opened_at)
                 VALUES ($1, $2, $3, $4, 0, $5, $6) RETURNING id",
            )
            .bind(institution_id)
            .bind(title_of(report))
            .bind(Status::Reported.code())
            .bind(Severity::Unassessed.code())
            .bind(report.noticed_on.to_string())
            .bind(to_micros(now))
            .fetch_one(&mut *transaction)
            .await?
        }
    };
    let report_id: i64 = sqlx::query_scalar(
        "INSERT INTO incident_reports (institution_id, incident_id, noticed_on, noticed_at, place,
            device_id, device_name, segment_id, department, reporter, reporter_user_id, patterns,
            other, details, measures, anonymous, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         RETURNING id",
    )
    .bind(institution_id)
    .bind(incident_id)
    .bind(report.noticed_on.to_string())
    .bind(report.noticed_at.map(|t| t.strftime("%H:%M").to_string()))
    .bind(report.place.as_str())
    .bind(device)
    .bind(report.device_name.as_str())
    .bind(segment)
    .bind(report.department.as_str())
    .bind(report.reporter.as_str())
    .bind(user_id)
    .bind(patterns_text(&report.patterns))
    .bind(report.other.as_str())
    .bind(report.details.as_str())
    .bind(measures_text(&report.measures))
    .bind(i64::from(link.is_some()))
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    append_entry(
        &mut transaction,
        institution_id,
        incident_id,
        user_id,
        now,
        EntryKind::Report,
        None,
        "",
        "",
        (Some(report_id), None),
    )
    .await?;
    for photo in photos {
        let file_id: i64 = sqlx::query_scalar(
            "INSERT INTO incident_files (institution_id, incident_id, report_id, name, content_type,
                sha256, size, content, added_by, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(institution_id)
        .bind(incident_id)
        .bind(report_id)
        .bind(photo.name.as_str())
        .bind(photo.content_type.as_str())
        .bind(photo.sha256.as_str())
        .bind(i64::try_from(photo.content.len()).unwrap_or(i64::MAX))
        .bind(photo.content.as_slice())
        .bind(user_id)
        .bind(to_micros(now))
        .fetch_one(&mut *transaction)
        .await?;
        append_entry(
            &mut transaction,
            institution_id,
            incident_id,
            user_id,
            now,
            EntryKind::File,
            None,
            "",
            &photo.name,
            (Some(report_id), Some(file_id)),
        )
        .await?;
    }
    let event = NewAuditEvent {
        institution_id: Some(InstitutionId::from_db(institution_id)),
        actor,
        action: match (link, join) {
            (Some(_), _) => "incident.report.poster",
            (None, Some(_)) => "incident.report.join",
            (None, None) => "incident.report",
        },
        target: format!("incident:{incident_id}"),
        detail: json!({
            "report": report_id,
            "poster_link": link,
            "after": report_detail(report, link.is_some(), photos),
        }),
    };
    audit_log::commit_with(transaction, &event, now).await?;
    Ok((
        IncidentId::from_db(incident_id),
        ReportId::from_db(report_id),
    ))
}

/// The id `sql` finds for `value` in the institution (`None` for no value);
/// [`Error::Unknown`] naming `field` when nothing matches.
async fn id_of(
    connection: &mut sqlx::AnyConnection,
    sql: &'static str,
    institution_id: i64,
    value: Option<&str>,
    field: &'static str,
) -> Result<Option<i64>, Error> {
    let Some(value) = value else {
        return Ok(None);
    };
    let id: Option<i64> = sqlx::query_scalar(sql)
        .bind(institution_id)
        .bind(value)
        .fetch_optional(&mut *connection)
        .await?;
    id.map(Some).ok_or(Error::Unknown(field))
}

#[allow(clippy::too_many_arguments)]
async fn append_entry(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    incident_id: i64,
    user_id: Option<i64>,
    now: jiff::Timestamp,
    kind: EntryKind,
    step: Option<&str>,
    value: &str,
    body: &str,
    (report_id, file_id): (Option<i64>, Option<i64>),
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO incident_entries (institution_id, incident_id, at, user_id, kind, step, value,
            body, report_id, file_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(institution_id)
    .bind(incident_id)
    .bind(to_micros(now))
    .bind(user_id)
    .bind(kind.code())
    .bind(step)
    .bind(value)
    .bind(body)
    .bind(report_id)
    .bind(file_id)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// What a handler adds to an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new stage (closing sets `closed_at`).
    Status(Status),
    /// A new severity.
    Severity(Severity),
    /// The handler takes charge.
    TakeCharge,
    /// A vendor's account is called in to answer manual IV
    /// ([`Error::Unknown`] `vendor` when it is not an active vendor's account
    /// of the institution, [`Error::Conflict`] when already called in).
    CallVendor(i64),
    /// Marks or unmarks the incident as a drill (訓練).
    Drill(bool),
    /// A note, decision or correction.
    Note(String),
    /// A playbook step done, with an optional remark.
    StepDone { step: String, remark: String },
    /// A playbook step that does not apply, with the reason.
    StepNotApplicable { step: String, reason: String },
    /// The personal-data assessment (個人情報保護法): whether and by when the
    /// PPC must be told.
    Assessment(Assessment),
    /// A 対策会議 and its decisions.
    Meeting(NewMeeting),
    /// A notice outside: the PPC, MHLW, the police, IPA, the people concerned.
    Notice(NewNotice),
    /// A 再発防止策 task ([`Error::Unknown`] `owner` when the owner is not an
    /// active person of the institution).
    Task(NewTask),
    /// A task done, with a remark ([`Error::NotFound`] when it is not an
    /// open task of this incident).
    TaskDone { task: TaskId, remark: String },
}

/// A meeting as its timeline entry keeps it: the time in `value`, the record
/// as a JSON object in `body`.
fn meeting_body(meeting: &NewMeeting) -> String {
    json!({
        "attendees": meeting.attendees,
        "care": meeting.care,
        "recovery": meeting.recovery,
        "leak": meeting.leak,
        "containment": meeting.containment,
        "told_staff": meeting.told_staff,
        "told_patients": meeting.told_patients,
    })
    .to_string()
}

fn meeting_from(value: &str, body: &str) -> Result<NewMeeting, Error> {
    let bad = || Error::Corrupt("incident_entries.body");
    let record: serde_json::Value = serde_json::from_str(body).map_err(|_| bad())?;
    let text = |key: &str| -> Result<String, Error> {
        record
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(bad)
    };
    Ok(NewMeeting {
        convened_at: DateTime::strptime("%Y-%m-%dT%H:%M", value).map_err(|_| bad())?,
        attendees: text("attendees")?,
        care: text("care")?,
        recovery: text("recovery")?,
        leak: text("leak")?,
        containment: text("containment")?,
        told_staff: text("told_staff")?,
        told_patients: text("told_patients")?,
    })
}

/// Adds `change` to the incident's timeline (and to the incident's current
/// state for status, severity, lead and drill), with its audit event.
pub async fn change(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
    id: IncidentId,
    change: &Change,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let mut transaction = store.begin().await?;
    let status: String =
        sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1 AND institution_id = $2")
            .bind(id.get())
            .bind(institution_id)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(Error::NotFound)?;
    let (kind, step, value, body) = match change {
        Change::Status(new) => (EntryKind::Status, None, new.code().to_owned(), ""),
        Change::Severity(new) => (EntryKind::Severity, None, new.code().to_owned(), ""),
        Change::TakeCharge => (EntryKind::Lead, None, String::new(), ""),
        Change::CallVendor(_) => (EntryKind::VendorCalled, None, String::new(), ""),
        Change::Drill(true) => (EntryKind::Note, None, "drill".to_owned(), "訓練として記録"),
        Change::Drill(false) => (
            EntryKind::Note,
            None,
            "real".to_owned(),
            "訓練ではない（実際の事象）として記録",
        ),
        Change::Note(text) => (EntryKind::Note, None, String::new(), text.as_str()),
        Change::StepDone { step, remark } => (
            EntryKind::StepDone,
            Some(step.as_str()),
            String::new(),
            remark.as_str(),
        ),
        Change::StepNotApplicable { step, reason } => (
            EntryKind::StepNotApplicable,
            Some(step.as_str()),
            String::new(),
            reason.as_str(),
        ),
        Change::Assessment(assessment) => (EntryKind::Assessment, None, assessment.code(), ""),
        Change::Meeting(meeting) => (
            EntryKind::Meeting,
            None,
            meeting.convened_at.strftime("%Y-%m-%dT%H:%M").to_string(),
            "",
        ),
        // Filled below, from the notice.
        Change::Notice(_) => (EntryKind::Notice, None, String::new(), ""),
        Change::Task(task) => (EntryKind::Task, None, String::new(), task.title.as_str()),
        Change::TaskDone { task, remark } => (
            EntryKind::TaskDone,
            None,
            task.get().to_string(),
            remark.as_str(),
        ),
    };
    let notice_code = match change {
        Change::Notice(notice) => notice.code(),
        _ => String::new(),
    };
    let (kind, value, body) = match change {
        Change::Notice(notice) => (EntryKind::Notice, notice_code, notice.note.as_str()),
        _ => (kind, value, body),
    };
    // A meeting's record is kept whole in the entry's body.
    let meeting_text = match change {
        Change::Meeting(meeting) => Some(meeting_body(meeting)),
        _ => None,
    };
    let body = meeting_text.as_deref().unwrap_or(body);
    let update = match change {
        Change::Status(new) => Some(
            sqlx::query(
                "UPDATE incidents SET status = $3, closed_at = $4 WHERE id = $1 AND institution_id = $2",
            )
            .bind(id.get())
            .bind(institution_id)
            .bind(new.code())
            .bind((*new == Status::Closed).then(|| to_micros(now))),
        ),
        Change::Severity(new) => Some(
            sqlx::query("UPDATE incidents SET severity = $3 WHERE id = $1 AND institution_id = $2")
                .bind(id.get())
                .bind(institution_id)
                .bind(new.code()),
        ),
        Change::TakeCharge => Some(
            sqlx::query("UPDATE incidents SET lead_user_id = $3 WHERE id = $1 AND institution_id = $2")
                .bind(id.get())
                .bind(institution_id)
                .bind(user_id),
        ),
        Change::Drill(drill) => Some(
            sqlx::query("UPDATE incidents SET drill = $3 WHERE id = $1 AND institution_id = $2")
                .bind(id.get())
                .bind(institution_id)
                .bind(i64::from(*drill)),
        ),
        Change::Note(_)
        | Change::CallVendor(_)
        | Change::StepDone { .. }
        | Change::StepNotApplicable { .. }
        | Change::Assessment(_)
        | Change::Meeting(_)
        | Change::Notice(_)
        | Change::Task(_) => None,
        Change::TaskDone { task, .. } => Some(
            sqlx::query(
                "UPDATE incident_tasks SET done_at = $4, done_by = $5, done_note = $6
                 WHERE incident_id = $1 AND institution_id = $2 AND id = $3 AND done_at IS NULL",
            )
            .bind(id.get())
            .bind(institution_id)
            .bind(task.get())
            .bind(to_micros(now))
            .bind(user_id)
            .bind(match change {
                Change::TaskDone { remark, .. } => remark.as_str(),
                _ => "",
            }),
        ),
    };
    if let Some(update) = update {
        let result = update.execute(&mut *transaction).await?;
        Error::unless_one_row(&result)?;
    }
    let value = match change {
        Change::Task(task) => {
            let owner: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM users WHERE id = $1 AND institution_id = $2 AND active = 1",
            )
            .bind(task.owner)
            .bind(institution_id)
            .fetch_optional(&mut *transaction)
            .await?;
            let owner = owner.ok_or(Error::Unknown("owner"))?;
            let task_id: i64 = sqlx::query_scalar(
                "INSERT INTO incident_tasks (institution_id, incident_id, title, owner_user_id,
                    due_on, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(institution_id)
            .bind(id.get())
            .bind(task.title.as_str())
            .bind(owner)
            .bind(task.due_on.to_string())
            .bind(user_id)
            .bind(to_micros(now))
            .fetch_one(&mut *transaction)
            .await?;
            task_id.to_string()
        }
        Change::CallVendor(vendor) => {
            let name: Option<String> = sqlx::query_scalar(
                "SELECT display_name FROM users
                 WHERE id = $1 AND institution_id = $2 AND active = 1 AND role = 'vendor'",
            )
            .bind(*vendor)
            .bind(institution_id)
            .fetch_optional(&mut *transaction)
            .await?;
            let name = name.ok_or(Error::Unknown("vendor"))?;
            sqlx::query(
                "INSERT INTO incident_vendors (institution_id, incident_id, user_id, called_by,
                    called_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(institution_id)
            .bind(id.get())
            .bind(*vendor)
            .bind(user_id)
            .bind(to_micros(now))
            .execute(&mut *transaction)
            .await
            .map_err(Error::conflict_on("vendor"))?;
            name
        }
        _ => value,
    };
    append_entry(
        &mut transaction,
        institution_id,
        id.get(),
        Some(user_id),
        now,
        kind,
        step,
        &value,
        body,
        (None, None),
    )
    .await?;
    // Taking charge of a reported incident starts its investigation (調査中),
    // recorded as its own status entry in the same transaction.
    let moved = match change {
        Change::TakeCharge => Status::parse("status", &status)
            .map_err(corrupt("incidents.status"))?
            .on_taking_charge(),
        _ => None,
    };
    if let Some(next) = moved {
        sqlx::query("UPDATE incidents SET status = $3 WHERE id = $1 AND institution_id = $2")
            .bind(id.get())
            .bind(institution_id)
            .bind(next.code())
            .execute(&mut *transaction)
            .await?;
        append_entry(
            &mut transaction,
            institution_id,
            id.get(),
            Some(user_id),
            now,
            EntryKind::Status,
            None,
            next.code(),
            "",
            (None, None),
        )
        .await?;
    }
    let event = NewAuditEvent::by(
        grant,
        "incident.change",
        format!("incident:{id}"),
        json!({ "before": { "status": status }, "kind": kind.code(), "step": step, "value": value, "body": body, "status": moved.map(Status::code) }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The institution's incidents, newest first.
pub async fn list<P: permissions::ReadsIncidents>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<IncidentSummary>, Error> {
    let sql = select_incidents!("ORDER BY i.id DESC");
    summaries(store, grant.institution_id().get(), sql, None).await
}

/// The open incidents that are not drills, for the dashboard's PPC
/// deadlines; oldest first.
pub async fn open_real<P: permissions::ReadsIncidents>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<IncidentSummary>, Error> {
    let sql = select_incidents!("AND i.status <> 'closed' AND i.drill = 0 ORDER BY i.id");
    summaries(store, grant.institution_id().get(), sql, None).await
}

/// The incidents nobody has taken yet (status 報告 and nobody in charge);
/// oldest first.
pub async fn unhandled(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
) -> Result<Vec<IncidentSummary>, Error> {
    let sql =
        select_incidents!("AND i.status = 'reported' AND i.lead_user_id IS NULL ORDER BY i.id");
    summaries(store, grant.institution_id().get(), sql, None).await
}

/// How many incidents nobody has taken yet, as [`unhandled`] lists them: the
/// red banner on every page of those who handle incidents, so one indexed count.
pub async fn count_unhandled(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
) -> Result<usize, Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM incidents
         WHERE institution_id = $1 AND status = 'reported' AND lead_user_id IS NULL",
    )
    .bind(grant.institution_id().get())
    .fetch_one(store.pool())
    .await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// A manual step someone ticked for themselves on an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnStep {
    /// The step's id (e.g. `III-2-2-a`, `IV-2-1-a`).
    pub step: String,
    /// When.
    pub at: jiff::Timestamp,
    /// What they wrote with it (a vendor's findings), or empty.
    pub remark: String,
}

/// Who ticks steps of an open incident for themselves: the member of staff
/// who reported it (manual III) or a vendor's account called into it (IV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Reporter,
    Vendor,
}

impl Part {
    fn code(self) -> &'static str {
        match self {
            Self::Reporter => "reporter",
            Self::Vendor => "vendor",
        }
    }
}

/// Fails with [`Error::NotFound`] unless `user_id` takes `part` in the open
/// incident `id`.
async fn taking_part(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    id: IncidentId,
    user_id: i64,
    part: Part,
) -> Result<(), Error> {
    let sql = match part {
        Part::Reporter => {
            "SELECT r.id FROM incident_reports r JOIN incidents i ON i.id = r.incident_id
             WHERE r.institution_id = $1 AND r.incident_id = $2 AND r.reporter_user_id = $3
               AND i.status <> 'closed'
             LIMIT 1"
        }
        Part::Vendor => {
            "SELECT v.id FROM incident_vendors v JOIN incidents i ON i.id = v.incident_id
             WHERE v.institution_id = $1 AND v.incident_id = $2 AND v.user_id = $3
               AND i.status <> 'closed'
             LIMIT 1"
        }
    };
    let found: Option<i64> = sqlx::query_scalar(sql)
        .bind(institution_id)
        .bind(id.get())
        .bind(user_id)
        .fetch_optional(&mut *connection)
        .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

/// The steps `user_id` ticked on `id`, in order.
async fn own_steps(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    id: IncidentId,
    user_id: i64,
) -> Result<Vec<OwnStep>, Error> {
    let rows = sqlx::query(
        "SELECT step, at, body FROM incident_entries
         WHERE institution_id = $1 AND incident_id = $2 AND user_id = $3 AND kind = 'step_done'
         ORDER BY id",
    )
    .bind(institution_id)
    .bind(id.get())
    .bind(user_id)
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OwnStep {
                step: row
                    .try_get::<Option<String>, _>("step")?
                    .unwrap_or_default(),
                at: from_micros(row.try_get("at")?),
                remark: row.try_get("body")?,
            })
        })
        .collect()
}

/// A step ticked by someone taking `part` in the open incident `id`, on its
/// timeline with its audit event; the caller checks that `step` belongs to
/// their manual.
async fn own_step_done<P>(
    store: &Store,
    grant: &Grant<P>,
    part: Part,
    id: IncidentId,
    (step, remark): (&str, &str),
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let mut transaction = store.begin().await?;
    taking_part(&mut transaction, institution_id, id, user_id, part).await?;
    append_entry(
        &mut transaction,
        institution_id,
        id.get(),
        Some(user_id),
        now,
        EntryKind::StepDone,
        Some(step),
        "",
        remark,
        (None, None),
    )
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "incident.change",
        format!("incident:{id}"),
        json!({ "kind": EntryKind::StepDone.code(), "step": step, "body": remark, "by": part.code() }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The manual steps recorded on `id` by the signed-in person, who must have
/// reported it and the incident be open ([`Error::NotFound`] otherwise): what
/// the reporter sees of their own steps (staff cannot read incidents).
pub async fn reporter_steps(
    store: &Store,
    grant: &Grant<permissions::ReportIncident>,
    id: IncidentId,
) -> Result<Vec<OwnStep>, Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let mut connection = store.pool().acquire().await?;
    taking_part(&mut connection, institution_id, id, user_id, Part::Reporter).await?;
    own_steps(&mut connection, institution_id, id, user_id).await
}

/// A step of the staff manual (III) done by the member of staff who reported
/// the incident, recorded on its timeline with its audit event; the caller
/// checks that `step` is one (`Playbooks::staff_step`).
pub async fn reporter_step_done(
    store: &Store,
    grant: &Grant<permissions::ReportIncident>,
    id: IncidentId,
    step: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    own_step_done(store, grant, Part::Reporter, id, (step, ""), now).await
}

/// An open incident a vendor's account was called into, as that vendor sees
/// it: its line, its reports and the steps of manual IV it answered.
#[derive(Debug, Clone)]
pub struct CalledIn {
    /// The incident's line.
    pub summary: IncidentSummary,
    /// What was reported.
    pub reports: Vec<StoredReport>,
    /// The steps this vendor answered.
    pub steps: Vec<OwnStep>,
}

/// The open incidents the signed-in vendor's account was called into, newest
/// first: all a vendor reads of the institution's incidents.
pub async fn called_in(
    store: &Store,
    grant: &Grant<permissions::AnswerVendorManual>,
) -> Result<Vec<CalledIn>, Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let sql = select_incidents!(
        "AND i.status <> 'closed'
           AND EXISTS (SELECT 1 FROM incident_vendors v
                       WHERE v.incident_id = i.id AND v.user_id = $2)
         ORDER BY i.id DESC"
    );
    let mut called = Vec::new();
    let mut connection = store.pool().acquire().await?;
    for summary in summaries(store, institution_id, sql, Some(user_id)).await? {
        let id = summary.id;
        called.push(CalledIn {
            summary,
            reports: reports_of(&mut connection, institution_id, id).await?,
            steps: own_steps(&mut connection, institution_id, id, user_id).await?,
        });
    }
    Ok(called)
}

/// A step of the vendors' manual (IV) answered by a vendor's account called
/// into the open incident `id` ([`Error::NotFound`] otherwise), with what it
/// found or did; the caller checks that `step` is one (`Playbooks::vendor_step`).
pub async fn vendor_step_done(
    store: &Store,
    grant: &Grant<permissions::AnswerVendorManual>,
    id: IncidentId,
    step: &str,
    remark: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    own_step_done(store, grant, Part::Vendor, id, (step, remark), now).await
}

/// The reports of `id`, in order.
async fn reports_of(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    id: IncidentId,
) -> Result<Vec<StoredReport>, Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.noticed_on, r.noticed_at, r.place, d.asset_number, r.device_name,
            s.name AS segment, r.department, r.reporter, r.patterns, r.other, r.details, r.measures,
            r.anonymous, r.submitted_at
         FROM incident_reports r
            LEFT JOIN devices d ON d.id = r.device_id
            LEFT JOIN network_segments s ON s.id = r.segment_id
         WHERE r.institution_id = $1 AND r.incident_id = $2 ORDER BY r.id",
    )
    .bind(institution_id)
    .bind(id.get())
    .fetch_all(&mut *connection)
    .await?;
    rows.iter().map(report_from_row).collect()
}

/// One incident with its reports, timeline and files.
pub async fn get<P: permissions::ReadsIncidents>(
    store: &Store,
    grant: &Grant<P>,
    id: IncidentId,
) -> Result<Incident, Error> {
    let institution_id = grant.institution_id().get();
    let mut connection = store.pool().acquire().await?;
    let summary = summaries(
        store,
        institution_id,
        select_incidents!("AND i.id = $2"),
        Some(id.get()),
    )
    .await?
    .pop()
    .ok_or(Error::NotFound)?;
    let reports = reports_of(&mut connection, institution_id, id).await?;
    let rows = sqlx::query(
        "SELECT e.at, u.display_name, e.kind, e.step, e.value, e.body, e.file_id
         FROM incident_entries e LEFT JOIN users u ON u.id = e.user_id
         WHERE e.institution_id = $1 AND e.incident_id = $2 ORDER BY e.id",
    )
    .bind(institution_id)
    .bind(id.get())
    .fetch_all(&mut *connection)
    .await?;
    let entries = rows
        .iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let kind = EntryKind::parse("kind", &kind).map_err(corrupt("incident_entries.kind"))?;
            let file: Option<i64> = row.try_get("file_id")?;
            let value: String = row.try_get("value")?;
            let body: String = row.try_get("body")?;
            let meeting = match kind {
                EntryKind::Meeting => Some(meeting_from(&value, &body)?),
                _ => None,
            };
            Ok(StoredEntry {
                at: from_micros(row.try_get("at")?),
                who: row.try_get("display_name")?,
                kind,
                step: row.try_get("step")?,
                value,
                body,
                file: file.map(IncidentFileId::from_db),
                meeting,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let rows = sqlx::query(select_tasks!("AND t.incident_id = $2 ORDER BY t.id"))
        .bind(institution_id)
        .bind(id.get())
        .fetch_all(&mut *connection)
        .await?;
    let tasks = rows
        .iter()
        .map(task_from_row)
        .collect::<Result<Vec<_>, Error>>()?;
    let rows = sqlx::query(
        "SELECT id, name, content_type, sha256, size, added_at FROM incident_files
         WHERE institution_id = $1 AND incident_id = $2 ORDER BY id",
    )
    .bind(institution_id)
    .bind(id.get())
    .fetch_all(&mut *connection)
    .await?;
    let files = rows
        .iter()
        .map(|row| {
            Ok(StoredFile {
                id: IncidentFileId::from_db(row.try_get("id")?),
                name: row.try_get("name")?,
                content_type: row.try_get("content_type")?,
                sha256: row.try_get("sha256")?,
                size: row.try_get("size")?,
                added_at: from_micros(row.try_get("added_at")?),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Incident {
        summary,
        reports,
        entries,
        files,
        tasks,
    })
}

fn report_from_row(row: &sqlx::any::AnyRow) -> Result<StoredReport, Error> {
    let noticed_on: String = row.try_get("noticed_on")?;
    let noticed_at: Option<String> = row.try_get("noticed_at")?;
    let patterns: String = row.try_get("patterns")?;
    let measures: String = row.try_get("measures")?;
    let segment: Option<String> = row.try_get("segment")?;
    let anonymous: i64 = row.try_get("anonymous")?;
    let patterns = patterns
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<u8>()
                .map_err(|_| Error::Corrupt("incident_reports.patterns"))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(StoredReport {
        id: ReportId::from_db(row.try_get("id")?),
        report: NewReport {
            noticed_on: noticed_on
                .parse()
                .map_err(|_| Error::Corrupt("incident_reports.noticed_on"))?,
            noticed_at: noticed_at
                .map(|t| {
                    Time::strptime("%H:%M", &t)
                        .map_err(|_| Error::Corrupt("incident_reports.noticed_at"))
                })
                .transpose()?,
            place: row.try_get("place")?,
            asset_number: row.try_get("asset_number")?,
            device_name: row.try_get("device_name")?,
            segment,
            department: row.try_get("department")?,
            reporter: row.try_get("reporter")?,
            patterns,
            other: row.try_get("other")?,
            details: row.try_get("details")?,
            measures: measures_from(&measures)?,
        },
        anonymous: anonymous != 0,
        submitted_at: from_micros(row.try_get("submitted_at")?),
    })
}

/// A file of one of the institution's incidents, by the file's id alone:
/// (name, media type, bytes).
pub async fn file<P: permissions::ReadsIncidents>(
    store: &Store,
    grant: &Grant<P>,
    file: IncidentFileId,
) -> Result<(String, String, Vec<u8>), Error> {
    let row = sqlx::query(
        "SELECT name, content_type, content FROM incident_files WHERE id = $1 AND institution_id = $2",
    )
    .bind(file.get())
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok((
        row.try_get("name")?,
        row.try_get("content_type")?,
        row.try_get("content")?,
    ))
}
