//! The backup register (バックアップ台帳, issue #13): one line per system
//! holding medical information, linked to its device in the ledger by 管理番号;
//! the restore tests that prove each line, with an optional evidence file kept
//! with its SHA-256; and the runs of mamori's own scheduled backup, kept on the
//! line marked `own`. Every change is written with its audit event.

use mamori_domain::institution::{Grant, InstitutionId, permissions};
use mamori_domain::ledger::{
    BackupFrequency, BackupMethod, BackupPlanId, NewBackupPlan, NewRestoreTest, RestoreOutcome,
    RestoreTestId,
};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A stored line of the register.
#[derive(Debug, Clone)]
pub struct StoredPlan {
    /// Its id.
    pub id: BackupPlanId,
    /// Whether it is mamori's own backup (kept by `mamori serve --backup-dir`).
    pub own: bool,
    /// What it says.
    pub plan: NewBackupPlan,
    /// Its latest restore test: day and outcome.
    pub last_test: Option<(jiff::civil::Date, RestoreOutcome)>,
}

/// A stored restore test.
#[derive(Debug, Clone)]
pub struct StoredTest {
    /// Its id.
    pub id: RestoreTestId,
    /// What it says.
    pub test: NewRestoreTest,
    /// Its evidence file: name and SHA-256 (hex).
    pub evidence: Option<(String, String)>,
    /// Who recorded it (login ID).
    pub recorded_by: String,
}

/// A run of mamori's own scheduled backup.
#[derive(Debug, Clone)]
pub struct StoredRun {
    /// When it finished.
    pub finished_at: jiff::Timestamp,
    /// Whether it succeeded.
    pub ok: bool,
    /// The backup file's name, when it succeeded.
    pub file_name: String,
    /// Its size.
    pub bytes: i64,
    /// What went wrong, when it failed.
    pub message: String,
}

/// A file uploaded as evidence of a restore test, already checked for type and size.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// Its name.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its bytes.
    pub content: Vec<u8>,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// Every column of a plan, for the one SELECT below.
macro_rules! select_plans {
    ($condition:literal) => {
        concat!(
            "SELECT p.id, p.own, p.system, d.asset_number, p.data, p.method, p.frequency, p.generations,
                p.offline_copy, p.location, p.responsible, p.last_success, p.note,
                (SELECT t.tested_on FROM restore_tests t WHERE t.plan_id = p.id
                    ORDER BY t.tested_on DESC, t.id DESC LIMIT 1) AS last_tested_on,
                (SELECT t.outcome FROM restore_tests t WHERE t.plan_id = p.id
                    ORDER BY t.tested_on DESC, t.id DESC LIMIT 1) AS last_outcome
             FROM backup_plans p LEFT JOIN devices d ON d.id = p.device_id
             WHERE p.institution_id = $1 ",
            $condition,
            " ORDER BY p.own DESC, p.system, p.id"
        )
    };
}

fn date(column: &'static str, text: &str) -> Result<jiff::civil::Date, Error> {
    text.parse().map_err(|_| Error::Corrupt(column))
}

fn yes_no(value: Option<i64>) -> Option<bool> {
    value.map(|v| v != 0)
}

fn plan_from_row(row: &sqlx::any::AnyRow) -> Result<StoredPlan, Error> {
    let method: String = row.try_get("method")?;
    let frequency: String = row.try_get("frequency")?;
    let generations: i64 = row.try_get("generations")?;
    let last_success: Option<String> = row.try_get("last_success")?;
    let last_tested_on: Option<String> = row.try_get("last_tested_on")?;
    let last_outcome: Option<String> = row.try_get("last_outcome")?;
    let last_test = match (last_tested_on, last_outcome) {
        (Some(day), Some(outcome)) => Some((
            date("restore_tests.tested_on", &day)?,
            RestoreOutcome::parse("outcome", &outcome)
                .map_err(|_| Error::Corrupt("restore_tests.outcome"))?,
        )),
        _ => None,
    };
    let own: i64 = row.try_get("own")?;
    Ok(StoredPlan {
        id: BackupPlanId::from_db(row.try_get("id")?),
        own: own != 0,
        plan: NewBackupPlan {
            system: row.try_get("system")?,
            asset_number: row.try_get("asset_number")?,
            data: row.try_get("data")?,
            method: BackupMethod::parse("method", &method)
                .map_err(|_| Error::Corrupt("backup_plans.method"))?,
            frequency: BackupFrequency::parse("frequency", &frequency)
                .map_err(|_| Error::Corrupt("backup_plans.frequency"))?,
            generations: u16::try_from(generations)
                .map_err(|_| Error::Corrupt("backup_plans.generations"))?,
            offline_copy: yes_no(row.try_get("offline_copy")?),
            location: row.try_get("location")?,
            responsible: row.try_get("responsible")?,
            last_success: last_success
                .as_deref()
                .map(|day| date("backup_plans.last_success", day))
                .transpose()?,
            note: row.try_get("note")?,
        },
        last_test,
    })
}

/// The device id of 管理番号 `asset_number` in the institution (not disposed);
/// [`Error::NotFound`] when there is none.
async fn device_id(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    asset_number: Option<&str>,
) -> Result<Option<i64>, Error> {
    let Some(asset_number) = asset_number else {
        return Ok(None);
    };
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM devices WHERE institution_id = $1 AND asset_number = $2 AND status <> 'disposed'",
    )
    .bind(institution_id)
    .bind(asset_number)
    .fetch_optional(&mut *connection)
    .await?;
    id.map(Some).ok_or(Error::NotFound)
}

/// The line as the audit trail records it, in the ledger's Japanese words.
fn plan_detail(plan: &NewBackupPlan) -> serde_json::Value {
    json!({
        "対象システム": plan.system,
        "管理番号": plan.asset_number,
        "対象データ": plan.data,
        "取得方法": plan.method.name_ja(),
        "取得頻度": plan.frequency.name_ja(),
        "保存世代数": plan.generations,
        "オフライン複製": plan.offline_copy,
        "保管場所": plan.location,
        "担当者": plan.responsible,
        "最終成功日": plan.last_success.map(|day| day.to_string()),
        "備考": plan.note,
    })
}

/// Adds a line; [`Error::NotFound`] when its 管理番号 is not an active device of
/// the institution.
pub async fn add_plan(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    plan: &NewBackupPlan,
    now: jiff::Timestamp,
) -> Result<BackupPlanId, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let device = device_id(
        &mut transaction,
        institution_id,
        plan.asset_number.as_deref(),
    )
    .await?;
    let id = insert_plan(&mut transaction, institution_id, device, false, plan, now).await?;
    let event = NewAuditEvent::by(
        grant,
        "backup.plan.add",
        format!("backup:{id}"),
        json!({ "after": plan_detail(plan) }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(BackupPlanId::from_db(id))
}

async fn insert_plan(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    device: Option<i64>,
    own: bool,
    plan: &NewBackupPlan,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "INSERT INTO backup_plans (institution_id, device_id, own, system, data, method, frequency,
            generations, offline_copy, location, responsible, last_success, note, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id",
    )
    .bind(institution_id)
    .bind(device)
    .bind(i64::from(own))
    .bind(plan.system.as_str())
    .bind(plan.data.as_str())
    .bind(plan.method.code())
    .bind(plan.frequency.code())
    .bind(i64::from(plan.generations))
    .bind(plan.offline_copy.map(i64::from))
    .bind(plan.location.as_str())
    .bind(plan.responsible.as_str())
    .bind(plan.last_success.map(|day| day.to_string()))
    .bind(plan.note.as_str())
    .bind(to_micros(now))
    .fetch_one(&mut *connection)
    .await?)
}

/// Changes a line, recording before and after.
pub async fn update_plan(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: BackupPlanId,
    plan: &NewBackupPlan,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let row = sqlx::query(select_plans!("AND p.id = $2"))
        .bind(institution_id)
        .bind(id.get())
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(Error::NotFound)?;
    let before = plan_from_row(&row)?;
    let device = device_id(
        &mut transaction,
        institution_id,
        plan.asset_number.as_deref(),
    )
    .await?;
    let result = sqlx::query(
        "UPDATE backup_plans SET device_id = $3, system = $4, data = $5, method = $6, frequency = $7,
            generations = $8, offline_copy = $9, location = $10, responsible = $11, last_success = $12,
            note = $13, updated_at = $14
         WHERE id = $1 AND institution_id = $2",
    )
    .bind(id.get())
    .bind(institution_id)
    .bind(device)
    .bind(plan.system.as_str())
    .bind(plan.data.as_str())
    .bind(plan.method.code())
    .bind(plan.frequency.code())
    .bind(i64::from(plan.generations))
    .bind(plan.offline_copy.map(i64::from))
    .bind(plan.location.as_str())
    .bind(plan.responsible.as_str())
    .bind(plan.last_success.map(|day| day.to_string()))
    .bind(plan.note.as_str())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "backup.plan.update",
        format!("backup:{id}"),
        json!({ "before": plan_detail(&before.plan), "after": plan_detail(plan) }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The institution's register: mamori's own line first, then by system.
pub async fn list<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<StoredPlan>, Error> {
    let rows = sqlx::query(select_plans!(""))
        .bind(grant.institution_id().get())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(plan_from_row).collect()
}

/// One line of the institution's register.
pub async fn get<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: BackupPlanId,
) -> Result<StoredPlan, Error> {
    let row = sqlx::query(select_plans!("AND p.id = $2"))
        .bind(grant.institution_id().get())
        .bind(id.get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(Error::NotFound)?;
    plan_from_row(&row)
}

/// Records a restore test of line `plan_id`, with its evidence file if any.
pub async fn add_test(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    plan_id: BackupPlanId,
    test: &NewRestoreTest,
    evidence: Option<&UploadedFile>,
    now: jiff::Timestamp,
) -> Result<RestoreTestId, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let system: String =
        sqlx::query_scalar("SELECT system FROM backup_plans WHERE id = $1 AND institution_id = $2")
            .bind(plan_id.get())
            .bind(institution_id)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(Error::NotFound)?;
    let sha256 = evidence.map(|file| file.sha256.clone());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO restore_tests (institution_id, plan_id, tested_on, restored, minutes, outcome,
            performed_by, note, evidence_name, evidence_type, evidence_sha256, evidence, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(institution_id)
    .bind(plan_id.get())
    .bind(test.tested_on.to_string())
    .bind(test.restored.as_str())
    .bind(i64::from(test.minutes))
    .bind(test.outcome.code())
    .bind(test.performed_by.as_str())
    .bind(test.note.as_str())
    .bind(evidence.map(|file| file.name.as_str()))
    .bind(evidence.map(|file| file.content_type.as_str()))
    .bind(sha256.as_deref())
    .bind(evidence.map(|file| file.content.clone()))
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "backup.restore_test.add",
        format!("backup:{plan_id}"),
        json!({
            "restore_test": id,
            "after": {
                "対象システム": system,
                "実施日": test.tested_on.to_string(),
                "復元した内容": test.restored,
                "所要時間（分）": test.minutes,
                "結果": test.outcome.name_ja(),
                "実施者": test.performed_by,
                "備考": test.note,
                "証拠ファイル": evidence.map(|file| file.name.as_str()),
                "証拠ファイルSHA-256": sha256,
            }
        }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(RestoreTestId::from_db(id))
}

/// The restore tests of line `plan_id`, newest first.
pub async fn tests<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    plan_id: BackupPlanId,
) -> Result<Vec<StoredTest>, Error> {
    let rows = sqlx::query(
        "SELECT t.id, t.tested_on, t.restored, t.minutes, t.outcome, t.performed_by, t.note,
            t.evidence_name, t.evidence_sha256, u.login_id
         FROM restore_tests t JOIN users u ON u.id = t.recorded_by
         WHERE t.institution_id = $1 AND t.plan_id = $2
         ORDER BY t.tested_on DESC, t.id DESC",
    )
    .bind(grant.institution_id().get())
    .bind(plan_id.get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let tested_on: String = row.try_get("tested_on")?;
            let outcome: String = row.try_get("outcome")?;
            let minutes: i64 = row.try_get("minutes")?;
            let name: Option<String> = row.try_get("evidence_name")?;
            let sha256: Option<String> = row.try_get("evidence_sha256")?;
            Ok(StoredTest {
                id: RestoreTestId::from_db(row.try_get("id")?),
                test: NewRestoreTest {
                    tested_on: date("restore_tests.tested_on", &tested_on)?,
                    restored: row.try_get("restored")?,
                    minutes: u32::try_from(minutes)
                        .map_err(|_| Error::Corrupt("restore_tests.minutes"))?,
                    outcome: RestoreOutcome::parse("outcome", &outcome)
                        .map_err(|_| Error::Corrupt("restore_tests.outcome"))?,
                    performed_by: row.try_get("performed_by")?,
                    note: row.try_get("note")?,
                },
                evidence: name.zip(sha256),
                recorded_by: row.try_get("login_id")?,
            })
        })
        .collect()
}

/// The evidence file of restore test `test_id` of line `plan_id`: name, media type, bytes.
pub async fn test_evidence<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    plan_id: BackupPlanId,
    test_id: RestoreTestId,
) -> Result<(String, String, Vec<u8>), Error> {
    let row = sqlx::query(
        "SELECT evidence_name, evidence_type, evidence FROM restore_tests
         WHERE id = $1 AND plan_id = $2 AND institution_id = $3 AND evidence IS NOT NULL",
    )
    .bind(test_id.get())
    .bind(plan_id.get())
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok((
        row.try_get("evidence_name")?,
        row.try_get("evidence_type")?,
        row.try_get("evidence")?,
    ))
}

/// The runs of mamori's own backup recorded on line `plan_id`, newest first (at most `limit`).
pub async fn runs<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    plan_id: BackupPlanId,
    limit: i64,
) -> Result<Vec<StoredRun>, Error> {
    let rows = sqlx::query(
        "SELECT finished_at, ok, file_name, bytes, message FROM backup_runs
         WHERE institution_id = $1 AND plan_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(grant.institution_id().get())
    .bind(plan_id.get())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let ok: i64 = row.try_get("ok")?;
            Ok(StoredRun {
                finished_at: from_micros(row.try_get("finished_at")?),
                ok: ok != 0,
                file_name: row.try_get("file_name")?,
                bytes: row.try_get("bytes")?,
                message: row.try_get("message")?,
            })
        })
        .collect()
}

/// One run of mamori's own backup, as the scheduler reports it.
#[derive(Debug, Clone)]
pub struct OwnRun<'a> {
    /// When it started.
    pub started_at: jiff::Timestamp,
    /// When it finished.
    pub finished_at: jiff::Timestamp,
    /// The day it finished, in the institution's time zone (its 最終成功日).
    pub day: jiff::civil::Date,
    /// The file written, or why it failed.
    pub result: Result<(&'a str, u64), &'a str>,
    /// The line to create if the institution has none for mamori yet.
    pub line: &'a NewBackupPlan,
}

/// Records a run of mamori's own backup in every institution's register (the
/// backup holds them all): on the line marked `own`, made from `run.line` the
/// first time; a success also sets its 最終成功日. Each institution's record
/// and its audit event are one transaction.
pub async fn record_own_run(store: &Store, run: &OwnRun<'_>) -> Result<(), Error> {
    let institutions: Vec<i64> = sqlx::query_scalar("SELECT id FROM institutions ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    for institution_id in institutions {
        let mut transaction = store.begin().await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM backup_plans WHERE institution_id = $1 AND own = 1")
                .bind(institution_id)
                .fetch_optional(&mut *transaction)
                .await?;
        let plan_id = match existing {
            Some(id) => id,
            None => {
                insert_plan(
                    &mut transaction,
                    institution_id,
                    None,
                    true,
                    run.line,
                    run.finished_at,
                )
                .await?
            }
        };
        let (ok, file_name, bytes, message) = match run.result {
            Ok((name, bytes)) => (true, name, i64::try_from(bytes).unwrap_or(i64::MAX), ""),
            Err(why) => (false, "", 0, why),
        };
        sqlx::query(
            "INSERT INTO backup_runs (institution_id, plan_id, started_at, finished_at, ok, file_name, bytes, message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(institution_id)
        .bind(plan_id)
        .bind(to_micros(run.started_at))
        .bind(to_micros(run.finished_at))
        .bind(i64::from(ok))
        .bind(file_name)
        .bind(bytes)
        .bind(message)
        .execute(&mut *transaction)
        .await?;
        if ok {
            sqlx::query("UPDATE backup_plans SET last_success = $2, updated_at = $3 WHERE id = $1")
                .bind(plan_id)
                .bind(run.day.to_string())
                .bind(to_micros(run.finished_at))
                .execute(&mut *transaction)
                .await?;
        }
        let event = NewAuditEvent {
            institution_id: Some(InstitutionId::from_db(institution_id)),
            actor: Actor::Operator,
            action: if ok {
                "backup.run"
            } else {
                "backup.run.failed"
            },
            target: format!("backup:{plan_id}"),
            detail: json!({ "ファイル": file_name, "バイト数": bytes, "エラー": message }),
        };
        audit_log::commit_with(transaction, &event, run.finished_at).await?;
    }
    Ok(())
}
