//! The security policy (第1–16条 with 【別紙2】, issue #15): the institution's
//! answers to the template's choices and the approved versions (the whole
//! document's text, never changed once approved, in `document_versions` under
//! kind `policy`). Every change is written with its audit event.

use mamori_domain::institution::{Grant, permissions};
use mamori_domain::policy::{PolicyAnswers, answers_from_text, answers_to_text};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::bcp::BcpVersion as ApprovedVersion;
use crate::{Error, Store, from_micros, to_micros};

/// The kind under which the policy's versions are kept.
const KIND: &str = "policy";

/// An approved version of the policy (the same shape as the BCP's).
pub type PolicyVersion = ApprovedVersion;

async fn read_answers(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
) -> Result<Option<PolicyAnswers>, Error> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT answers FROM policy_answers WHERE institution_id = $1")
            .bind(institution_id)
            .fetch_optional(&mut *connection)
            .await?;
    text.map(|text| answers_from_text(&text).ok_or(Error::Corrupt("policy_answers.answers")))
        .transpose()
}

/// The institution's answers; `None` until first saved.
pub async fn answers<P: permissions::ReadsPolicy>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<PolicyAnswers>, Error> {
    let mut connection = store.pool().acquire().await?;
    read_answers(&mut connection, grant.institution_id().get()).await
}

/// Saves the answers, recording before and after.
pub async fn save_answers(
    store: &Store,
    grant: &Grant<permissions::EditPolicy>,
    answers: &PolicyAnswers,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let before = read_answers(&mut transaction, institution_id).await?;
    let text = answers_to_text(answers);
    sqlx::query(
        "INSERT INTO policy_answers (institution_id, answers, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (institution_id) DO UPDATE SET answers = $2, updated_at = $3",
    )
    .bind(institution_id)
    .bind(text.as_str())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "policy.answers",
        "policy".to_owned(),
        json!({ "before": before.as_ref().map(answers_to_text), "after": text }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

macro_rules! select_versions {
    ($condition:literal) => {
        concat!(
            "SELECT v.number, v.text, u.display_name, v.approved_at
             FROM document_versions v JOIN users u ON u.id = v.approved_by
             WHERE v.institution_id = $1 AND v.kind = $2 ",
            $condition
        )
    };
}

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<PolicyVersion, Error> {
    Ok(PolicyVersion {
        number: row.try_get("number")?,
        text: row.try_get("text")?,
        approved_by: row.try_get("display_name")?,
        approved_at: from_micros(row.try_get("approved_at")?),
    })
}

/// Approves `text` as the next version; [`Error::Conflict`] (`"unchanged"`)
/// when it is the same as the current version.
pub async fn approve(
    store: &Store,
    grant: &Grant<permissions::ApprovePolicy>,
    text: &str,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let latest = sqlx::query(select_versions!("ORDER BY v.number DESC LIMIT 1"))
        .bind(institution_id)
        .bind(KIND)
        .fetch_optional(&mut *transaction)
        .await?
        .map(|row| version_from_row(&row))
        .transpose()?;
    if latest.as_ref().is_some_and(|version| version.text == text) {
        return Err(Error::Conflict("unchanged"));
    }
    let number = latest.map_or(1, |version| version.number + 1);
    sqlx::query(
        "INSERT INTO document_versions (institution_id, kind, number, text, approved_by,
            approved_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(institution_id)
    .bind(KIND)
    .bind(number)
    .bind(text)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(Error::conflict_on("unchanged"))?;
    let event = NewAuditEvent::by(
        grant,
        "policy.approve",
        format!("policy:{number}"),
        json!({ "版": number, "文字数": text.chars().count() }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(number)
}

/// Every approved version, newest first.
pub async fn versions<P: permissions::ReadsPolicy>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<PolicyVersion>, Error> {
    let rows = sqlx::query(select_versions!("ORDER BY v.number DESC"))
        .bind(grant.institution_id().get())
        .bind(KIND)
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// Version `number` ([`Error::NotFound`] when the institution has none such).
pub async fn version<P: permissions::ReadsPolicy>(
    store: &Store,
    grant: &Grant<P>,
    number: i64,
) -> Result<PolicyVersion, Error> {
    let row = sqlx::query(select_versions!("AND v.number = $3"))
        .bind(grant.institution_id().get())
        .bind(KIND)
        .bind(number)
        .fetch_optional(store.pool())
        .await?
        .ok_or(Error::NotFound)?;
    version_from_row(&row)
}

/// A member of staff (from the staff ledger) and whether they acknowledged
/// the current version of the policy with its 【別紙2】.
#[derive(Debug, Clone)]
pub struct StaffAcknowledgement {
    /// The staff ledger's id.
    pub staff_id: i64,
    /// 氏名.
    pub name: String,
    /// 入職日, when recorded.
    pub joined_on: Option<jiff::civil::Date>,
    /// The day they acknowledged, and whether on a printed sheet.
    pub acknowledged: Option<(jiff::civil::Date, bool)>,
}

/// The current version's row id and number, or [`Error::NotFound`] when none is approved.
async fn current(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
) -> Result<(i64, i64), Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, number FROM document_versions WHERE institution_id = $1 AND kind = $2
         ORDER BY number DESC LIMIT 1",
    )
    .bind(institution_id)
    .bind(KIND)
    .fetch_optional(&mut *connection)
    .await?;
    row.ok_or(Error::NotFound)
}

/// The current version's id when it is `number`; [`Error::Conflict`]
/// (`"superseded"`) when a later one is approved.
async fn current_is(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    number: i64,
) -> Result<i64, Error> {
    let (id, current) = current(connection, institution_id).await?;
    if current == number {
        Ok(id)
    } else {
        Err(Error::Conflict("superseded"))
    }
}

/// Records that the signed-in person has read version `number`, which must be
/// the current one; the member of staff bearing their name, if exactly one
/// does, is marked too. A second acknowledgement changes nothing.
pub async fn acknowledge<P: permissions::ReadsPolicy>(
    store: &Store,
    grant: &Grant<P>,
    number: i64,
    today: jiff::civil::Date,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let mut transaction = store.begin().await?;
    let version_id = current_is(&mut transaction, institution_id, number).await?;
    let staff: Vec<i64> = sqlx::query_scalar(
        "SELECT s.id FROM staff s JOIN users u ON u.display_name = s.name
         WHERE s.institution_id = $1 AND u.id = $2 AND u.institution_id = $1
           AND (s.left_on IS NULL OR s.left_on > $3)
           AND NOT EXISTS (SELECT 1 FROM policy_acknowledgements a
                           WHERE a.version_id = $4 AND a.staff_id = s.id)",
    )
    .bind(institution_id)
    .bind(user_id)
    .bind(today.to_string())
    .bind(version_id)
    .fetch_all(&mut *transaction)
    .await?;
    let staff_id = match staff.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let inserted = sqlx::query(
        "INSERT INTO policy_acknowledgements (institution_id, version_id, staff_id, user_id,
            on_paper, acknowledged_on, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, 0, $5, $4, $6)
         ON CONFLICT DO NOTHING",
    )
    .bind(institution_id)
    .bind(version_id)
    .bind(staff_id)
    .bind(user_id)
    .bind(today.to_string())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(());
    }
    let event = NewAuditEvent::by(
        grant,
        "policy.acknowledge",
        format!("policy:{number}"),
        json!({ "版": number, "staff": staff_id }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Records a printed sheet: member of staff `staff_id` acknowledged version
/// `number` (the current one) on `day`. [`Error::NotFound`] for someone not
/// on the institution's staff ledger or gone; [`Error::Conflict`]
/// (`"acknowledged"`) when they already acknowledged it.
pub async fn record_on_paper(
    store: &Store,
    grant: &Grant<permissions::EditPolicy>,
    number: i64,
    staff_id: i64,
    day: jiff::civil::Date,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let name: String = sqlx::query_scalar(
        "SELECT name FROM staff WHERE id = $1 AND institution_id = $2
           AND (left_on IS NULL OR left_on > $3)",
    )
    .bind(staff_id)
    .bind(institution_id)
    .bind(day.to_string())
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    let version_id = current_is(&mut transaction, institution_id, number).await?;
    sqlx::query(
        "INSERT INTO policy_acknowledgements (institution_id, version_id, staff_id, user_id,
            on_paper, acknowledged_on, recorded_by, recorded_at)
         VALUES ($1, $2, $3, NULL, 1, $4, $5, $6)",
    )
    .bind(institution_id)
    .bind(version_id)
    .bind(staff_id)
    .bind(day.to_string())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(Error::conflict_on("acknowledged"))?;
    let event = NewAuditEvent::by(
        grant,
        "policy.acknowledge.paper",
        format!("policy:{number}"),
        json!({ "版": number, "staff": staff_id, "氏名": name, "日": day.to_string() }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Every member of staff still employed on `today`, and whether they
/// acknowledged the current version; those who have not come first. Empty
/// when no version is approved.
pub async fn acknowledgements(
    store: &Store,
    grant: &Grant<permissions::EditPolicy>,
    today: jiff::civil::Date,
) -> Result<Vec<StaffAcknowledgement>, Error> {
    let institution_id = grant.institution_id().get();
    let mut connection = store.pool().acquire().await?;
    let version_id = match current(&mut connection, institution_id).await {
        Ok((id, _)) => id,
        Err(Error::NotFound) => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.joined_on, a.acknowledged_on, a.on_paper
         FROM staff s
         LEFT JOIN policy_acknowledgements a ON a.version_id = $2 AND a.staff_id = s.id
         WHERE s.institution_id = $1 AND (s.left_on IS NULL OR s.left_on > $3)
         ORDER BY CASE WHEN a.acknowledged_on IS NULL THEN 0 ELSE 1 END, s.name, s.id",
    )
    .bind(institution_id)
    .bind(version_id)
    .bind(today.to_string())
    .fetch_all(&mut *connection)
    .await?;
    let day = |text: Option<String>, column: &'static str| {
        text.map(|t| t.parse().map_err(|_| Error::Corrupt(column)))
            .transpose()
    };
    rows.iter()
        .map(|row| {
            let on: Option<String> = row.try_get("acknowledged_on")?;
            let on_paper: Option<i64> = row.try_get("on_paper")?;
            Ok(StaffAcknowledgement {
                staff_id: row.try_get("id")?,
                name: row.try_get("name")?,
                joined_on: day(row.try_get("joined_on")?, "staff.joined_on")?,
                acknowledged: day(on, "policy_acknowledgements.acknowledged_on")?
                    .map(|d| (d, on_paper.unwrap_or(0) != 0)),
            })
        })
        .collect()
}

/// Whether the signed-in person acknowledged the current version (`None`
/// when none is approved).
pub async fn has_read_current<P: permissions::ReadsPolicy>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<bool>, Error> {
    let institution_id = grant.institution_id().get();
    let mut connection = store.pool().acquire().await?;
    let version_id = match current(&mut connection, institution_id).await {
        Ok((id, _)) => id,
        Err(Error::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM policy_acknowledgements WHERE version_id = $1 AND user_id = $2",
    )
    .bind(version_id)
    .bind(grant.principal().user_id().get())
    .fetch_one(&mut *connection)
    .await?;
    Ok(Some(count > 0))
}
