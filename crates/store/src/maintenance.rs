//! Remote maintenance sessions (issue #15, 第4条, 【別紙1】): requests for a
//! device the ledger marks as remotely maintained, the 企画管理者's decision,
//! the record of the work and the vendor's report with its log file. Each step
//! is applied only from the status it expects, with its audit event.

use jiff::civil::{Date, DateTime};
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::maintenance::{
    Carried, MaintenanceId, MaintenanceStatus, MaintenanceStep, NewMaintenance,
};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::backup_register::UploadedFile;
use crate::{Error, Store, from_micros, to_micros};

/// A stored session.
#[derive(Debug, Clone)]
pub struct StoredMaintenance {
    pub id: MaintenanceId,
    pub asset_number: String,
    pub device_name: String,
    pub vendor: String,
    pub planned_on: Date,
    pub purpose: String,
    pub status: MaintenanceStatus,
    /// The person who asked; `None` when the vendor asked through its link.
    pub requested_by: Option<String>,
    pub decided: Option<(String, jiff::Timestamp, String)>,
    pub carried: Option<Carried>,
    pub report: String,
    /// The log file's name and SHA-256.
    pub file: Option<(String, String)>,
    pub reported: Option<(String, jiff::Timestamp)>,
}

/// A device the ledger marks as remotely maintained: (管理番号, name, vendor).
pub type RemoteDevice = (String, String, String);

/// The devices the ledger marks as remotely maintained and not disposed.
pub async fn devices<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<RemoteDevice>, Error> {
    let rows = sqlx::query(
        "SELECT asset_number, maker_model, remote_vendor FROM devices
         WHERE institution_id = $1 AND remote_used = 1 AND status <> 'disposed'
         ORDER BY asset_number",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("asset_number")?,
                row.try_get("maker_model")?,
                row.try_get("remote_vendor")?,
            ))
        })
        .collect()
}

/// Records a request; [`Error::Unknown`] (`asset_number`) when the device is
/// not in the ledger as remotely maintained.
pub async fn request(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    new: &NewMaintenance,
    now: jiff::Timestamp,
) -> Result<MaintenanceId, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let device: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, remote_vendor FROM devices
         WHERE institution_id = $1 AND asset_number = $2 AND remote_used = 1
           AND status <> 'disposed'",
    )
    .bind(institution_id)
    .bind(new.asset_number.as_str())
    .fetch_optional(&mut *transaction)
    .await?;
    let (device_id, ledger_vendor) = device.ok_or(Error::Unknown("asset_number"))?;
    let vendor = if new.vendor.is_empty() {
        ledger_vendor
    } else {
        new.vendor.clone()
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO remote_sessions (institution_id, device_id, vendor, planned_on, purpose,
            status, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(institution_id)
    .bind(device_id)
    .bind(vendor.as_str())
    .bind(new.planned_on.to_string())
    .bind(new.purpose.as_str())
    .bind(MaintenanceStatus::Requested.code())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "maintenance.request",
        format!("maintenance:{id}"),
        json!({ "管理番号": new.asset_number, "事業者": vendor, "予定日": new.planned_on.to_string(), "目的": new.purpose }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(MaintenanceId::from_db(id))
}

/// The devices a vendor's link may ask remote maintenance for: those the
/// ledger marks as remotely maintained by that vendor (its name as the
/// ledger writes it), not disposed. [`Error::NotFound`] for a dead link.
pub async fn link_devices(
    store: &Store,
    token_hash: &str,
    now: jiff::Timestamp,
) -> Result<Vec<RemoteDevice>, Error> {
    let rows = sqlx::query(
        "SELECT d.asset_number, d.maker_model, d.remote_vendor
         FROM vendor_requests q
            JOIN vendors v ON v.id = q.vendor_id
            JOIN devices d ON d.institution_id = q.institution_id
         WHERE q.token_hash = $1 AND q.revoked_at IS NULL AND q.expires_at > $2
           AND d.remote_used = 1 AND d.status <> 'disposed' AND d.remote_vendor = v.name
         ORDER BY d.asset_number",
    )
    .bind(token_hash)
    .bind(to_micros(now))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("asset_number")?,
                row.try_get("maker_model")?,
                row.try_get("remote_vendor")?,
            ))
        })
        .collect()
}

/// A request the vendor sends through its live link, for one of its devices
/// ([`link_devices`]); [`Error::NotFound`] for a dead link,
/// [`Error::Unknown`] (`asset_number`) for another device. Audited as the link.
pub async fn request_by_link(
    store: &Store,
    token_hash: &str,
    new: &NewMaintenance,
    now: jiff::Timestamp,
) -> Result<MaintenanceId, Error> {
    let mut transaction = store.begin().await?;
    let link = sqlx::query(
        "SELECT q.id, q.institution_id, v.name FROM vendor_requests q
            JOIN vendors v ON v.id = q.vendor_id
         WHERE q.token_hash = $1 AND q.revoked_at IS NULL AND q.expires_at > $2",
    )
    .bind(token_hash)
    .bind(to_micros(now))
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    let (link_id, institution_id, vendor): (i64, i64, String) = (
        link.try_get("id")?,
        link.try_get("institution_id")?,
        link.try_get("name")?,
    );
    let device: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM devices
         WHERE institution_id = $1 AND asset_number = $2 AND remote_used = 1
           AND status <> 'disposed' AND remote_vendor = $3",
    )
    .bind(institution_id)
    .bind(new.asset_number.as_str())
    .bind(vendor.as_str())
    .fetch_optional(&mut *transaction)
    .await?;
    let device_id = device.ok_or(Error::Unknown("asset_number"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO remote_sessions (institution_id, device_id, vendor, planned_on, purpose,
            status, requested_via, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(institution_id)
    .bind(device_id)
    .bind(vendor.as_str())
    .bind(new.planned_on.to_string())
    .bind(new.purpose.as_str())
    .bind(MaintenanceStatus::Requested.code())
    .bind(link_id)
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent {
        institution_id: Some(mamori_domain::institution::InstitutionId::from_db(
            institution_id,
        )),
        actor: crate::audit_log::Actor::Anonymous(format!("vendor link {link_id} ({vendor})")),
        action: "maintenance.request",
        target: format!("maintenance:{id}"),
        detail: json!({ "管理番号": new.asset_number, "事業者": vendor, "予定日": new.planned_on.to_string(), "目的": new.purpose, "via": "vendor link" }),
    };
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(MaintenanceId::from_db(id))
}

/// What a step carries.
#[derive(Debug, Clone)]
pub enum StepRecord<'a> {
    /// Approve or reject, with a note.
    Decision(&'a str),
    /// When it was carried out and by whom.
    Carried(&'a Carried),
    /// The vendor's report and its log file.
    Report(&'a str, Option<&'a UploadedFile>),
}

/// Applies `step` to session `id`: [`Error::NotFound`] for another
/// institution's, [`Error::Conflict`] (`status`) when the session is not in
/// the status the step needs. The caller checks who may take a decision.
pub async fn step<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
    id: MaintenanceId,
    step: MaintenanceStep,
    record: &StepRecord<'_>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let (from, to) = step.transition();
    let mut transaction = store.begin().await?;
    let status: String = sqlx::query_scalar(
        "SELECT status FROM remote_sessions WHERE id = $1 AND institution_id = $2",
    )
    .bind(id.get())
    .bind(institution_id)
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    if status != from.code() {
        return Err(Error::Conflict("status"));
    }
    let (query, detail) = match record {
        StepRecord::Decision(note) => (
            sqlx::query(
                "UPDATE remote_sessions SET status = $3, decided_by = $4, decided_at = $5,
                    decision_note = $6
                 WHERE id = $1 AND institution_id = $2 AND status = $7",
            )
            .bind(id.get())
            .bind(institution_id)
            .bind(to.code())
            .bind(user_id)
            .bind(to_micros(now))
            .bind(*note)
            .bind(from.code()),
            json!({ "note": note }),
        ),
        StepRecord::Carried(carried) => (
            sqlx::query(
                "UPDATE remote_sessions SET status = $3, started_at = $4, ended_at = $5,
                    operator = $6
                 WHERE id = $1 AND institution_id = $2 AND status = $7",
            )
            .bind(id.get())
            .bind(institution_id)
            .bind(to.code())
            .bind(carried.started.to_string())
            .bind(carried.ended.to_string())
            .bind(carried.operator.as_str())
            .bind(from.code()),
            json!({ "開始": carried.started.to_string(), "終了": carried.ended.to_string(), "作業者": carried.operator }),
        ),
        StepRecord::Report(report, file) => (
            sqlx::query(
                "UPDATE remote_sessions SET status = $3, report = $4, file_name = $5,
                    file_type = $6, file_sha256 = $7, file_content = $8, reported_by = $9,
                    reported_at = $10
                 WHERE id = $1 AND institution_id = $2 AND status = $11",
            )
            .bind(id.get())
            .bind(institution_id)
            .bind(to.code())
            .bind(*report)
            .bind(file.map(|f| f.name.clone()))
            .bind(file.map(|f| f.content_type.clone()))
            .bind(file.map(|f| f.sha256.clone()))
            .bind(file.map(|f| f.content.clone()))
            .bind(user_id)
            .bind(to_micros(now))
            .bind(from.code()),
            json!({ "報告": report, "file": file.map(|f| json!({ "name": f.name, "sha256": f.sha256, "bytes": f.content.len() })) }),
        ),
    };
    let result = query.execute(&mut *transaction).await?;
    if result.rows_affected() != 1 {
        return Err(Error::Conflict("status"));
    }
    let event = NewAuditEvent::by(
        grant,
        "maintenance.step",
        format!("maintenance:{id}"),
        json!({ "step": step.code(), "before": from.code(), "after": to.code(), "record": detail }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

const SELECT: &str = "SELECT r.id, d.asset_number, d.maker_model, r.vendor, r.planned_on,
        r.purpose, r.status, q.display_name AS requested_by, k.display_name AS decided_by,
        r.decided_at, r.decision_note, r.started_at, r.ended_at, r.operator, r.report,
        r.file_name, r.file_sha256, p.display_name AS reported_by, r.reported_at
    FROM remote_sessions r
        JOIN devices d ON d.id = r.device_id
        LEFT JOIN users q ON q.id = r.requested_by
        LEFT JOIN users k ON k.id = r.decided_by
        LEFT JOIN users p ON p.id = r.reported_by
    WHERE r.institution_id = $1";

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredMaintenance, Error> {
    let corrupt = |column| move |_| Error::Corrupt(column);
    let status: String = row.try_get("status")?;
    let planned: String = row.try_get("planned_on")?;
    let decided_at: Option<i64> = row.try_get("decided_at")?;
    let reported_at: Option<i64> = row.try_get("reported_at")?;
    let started: Option<String> = row.try_get("started_at")?;
    let ended: Option<String> = row.try_get("ended_at")?;
    let carried = match (started, ended) {
        (Some(started), Some(ended)) => Some(Carried {
            started: started
                .parse::<DateTime>()
                .map_err(corrupt("remote_sessions.started_at"))?,
            ended: ended
                .parse::<DateTime>()
                .map_err(corrupt("remote_sessions.ended_at"))?,
            operator: row.try_get("operator")?,
        }),
        _ => None,
    };
    let file_name: Option<String> = row.try_get("file_name")?;
    let file_sha256: Option<String> = row.try_get("file_sha256")?;
    Ok(StoredMaintenance {
        id: MaintenanceId::from_db(row.try_get("id")?),
        asset_number: row.try_get("asset_number")?,
        device_name: row.try_get("maker_model")?,
        vendor: row.try_get("vendor")?,
        planned_on: planned
            .parse()
            .map_err(corrupt("remote_sessions.planned_on"))?,
        purpose: row.try_get("purpose")?,
        status: MaintenanceStatus::parse("status", &status)
            .map_err(|_| Error::Corrupt("remote_sessions.status"))?,
        requested_by: row.try_get("requested_by")?,
        decided: match (row.try_get::<Option<String>, _>("decided_by")?, decided_at) {
            (Some(who), Some(at)) => Some((who, from_micros(at), row.try_get("decision_note")?)),
            _ => None,
        },
        carried,
        report: row.try_get("report")?,
        file: file_name.zip(file_sha256),
        reported: match (
            row.try_get::<Option<String>, _>("reported_by")?,
            reported_at,
        ) {
            (Some(who), Some(at)) => Some((who, from_micros(at))),
            _ => None,
        },
    })
}

/// Every session, newest first.
pub async fn list<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<StoredMaintenance>, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY r.planned_on DESC, r.id DESC"
    )))
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// One session ([`Error::NotFound`] for another institution's).
pub async fn get<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
    id: MaintenanceId,
) -> Result<StoredMaintenance, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} AND r.id = $2")))
        .bind(grant.institution_id().get())
        .bind(id.get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(Error::NotFound)?;
    from_row(&row)
}

/// The report's log file: (name, media type, bytes).
pub async fn file<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: MaintenanceId,
) -> Result<(String, String, Vec<u8>), Error> {
    let row = sqlx::query(
        "SELECT file_name, file_type, file_content FROM remote_sessions
         WHERE id = $1 AND institution_id = $2 AND file_name IS NOT NULL",
    )
    .bind(id.get())
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok((
        row.try_get("file_name")?,
        row.try_get("file_type")?,
        row.try_get("file_content")?,
    ))
}
