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
