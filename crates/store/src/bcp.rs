//! The BCP (別紙3, issue #13): the institution's answers, its approved
//! versions (the whole document's text, never changed once approved) and who
//! has read the current one. Every change is written with its audit event.

use mamori_domain::continuity::bcp::BcpAnswers;
use mamori_domain::institution::{Grant, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// An approved version.
#[derive(Debug, Clone)]
pub struct BcpVersion {
    /// 第N版.
    pub number: i64,
    /// The document's text (`mamori_domain::document::Document::to_text`).
    pub text: String,
    /// Who approved it (氏名).
    pub approved_by: String,
    /// When.
    pub approved_at: jiff::Timestamp,
}

/// A member of staff with an account, and whether they have read the current version.
#[derive(Debug, Clone)]
pub struct Reader {
    /// 氏名.
    pub display_name: String,
    /// ログインID.
    pub login_id: String,
    /// When they acknowledged the current version, if they did.
    pub acknowledged_at: Option<jiff::Timestamp>,
}

const ANSWER_COLUMNS: &str = "meeting_members, police_desk, paper_records, insurance_check, reception_billing, announcements, restore_priority, disaster";

fn answers_detail(answers: &BcpAnswers) -> serde_json::Value {
    json!({
        "対策会議の構成員": answers.meeting_members,
        "警察の窓口": answers.police_desk,
        "紙カルテ": answers.paper_records,
        "資格確認": answers.insurance_check,
        "受付・会計": answers.reception_billing,
        "周知・広報": answers.announcements,
        "復旧の優先順位": answers.restore_priority,
        "災害": answers.disaster,
    })
}

async fn read_answers(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
) -> Result<BcpAnswers, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ANSWER_COLUMNS} FROM bcp_answers WHERE institution_id = $1"
    )))
    .bind(institution_id)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else {
        return Ok(BcpAnswers::default());
    };
    Ok(BcpAnswers {
        meeting_members: row.try_get("meeting_members")?,
        police_desk: row.try_get("police_desk")?,
        paper_records: row.try_get("paper_records")?,
        insurance_check: row.try_get("insurance_check")?,
        reception_billing: row.try_get("reception_billing")?,
        announcements: row.try_get("announcements")?,
        restore_priority: row.try_get("restore_priority")?,
        disaster: row.try_get("disaster")?,
    })
}

/// The institution's answers (empty until first saved).
pub async fn answers<P: permissions::ReadsBcp>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<BcpAnswers, Error> {
    let mut connection = store.pool().acquire().await?;
    read_answers(&mut connection, grant.institution_id().get()).await
}

/// Saves the answers, recording before and after.
pub async fn save_answers(
    store: &Store,
    grant: &Grant<permissions::EditBcp>,
    answers: &BcpAnswers,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let before = read_answers(&mut transaction, institution_id).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO bcp_answers (institution_id, {ANSWER_COLUMNS}, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (institution_id) DO UPDATE SET meeting_members = $2, police_desk = $3,
            paper_records = $4, insurance_check = $5, reception_billing = $6, announcements = $7,
            restore_priority = $8, disaster = $9, updated_at = $10"
    )))
    .bind(institution_id)
    .bind(answers.meeting_members.as_str())
    .bind(answers.police_desk.as_str())
    .bind(answers.paper_records.as_str())
    .bind(answers.insurance_check.as_str())
    .bind(answers.reception_billing.as_str())
    .bind(answers.announcements.as_str())
    .bind(answers.restore_priority.as_str())
    .bind(answers.disaster.as_str())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "bcp.answers",
        "bcp".to_owned(),
        json!({ "before": answers_detail(&before), "after": answers_detail(answers) }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

macro_rules! select_versions {
    ($condition:literal) => {
        concat!(
            "SELECT v.number, v.text, u.display_name, v.approved_at
             FROM bcp_versions v JOIN users u ON u.id = v.approved_by
             WHERE v.institution_id = $1 ",
            $condition
        )
    };
}

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<BcpVersion, Error> {
    Ok(BcpVersion {
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
    grant: &Grant<permissions::ApproveBcp>,
    text: &str,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let latest = sqlx::query(select_versions!("ORDER BY v.number DESC LIMIT 1"))
        .bind(institution_id)
        .fetch_optional(&mut *transaction)
        .await?
        .map(|row| version_from_row(&row))
        .transpose()?;
    if latest.as_ref().is_some_and(|version| version.text == text) {
        return Err(Error::Conflict("unchanged"));
    }
    let number = latest.map_or(1, |version| version.number + 1);
    sqlx::query(
        "INSERT INTO bcp_versions (institution_id, number, text, approved_by, approved_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(institution_id)
    .bind(number)
    .bind(text)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "bcp.approve",
        format!("bcp:{number}"),
        json!({ "版": number, "文字数": text.chars().count() }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(number)
}

/// Every approved version, newest first.
pub async fn versions<P: permissions::ReadsBcp>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<BcpVersion>, Error> {
    let rows = sqlx::query(select_versions!("ORDER BY v.number DESC"))
        .bind(grant.institution_id().get())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(version_from_row).collect()
}

/// Version `number`.
pub async fn version<P: permissions::ReadsBcp>(
    store: &Store,
    grant: &Grant<P>,
    number: i64,
) -> Result<BcpVersion, Error> {
    let row = sqlx::query(select_versions!("AND v.number = $2"))
        .bind(grant.institution_id().get())
        .bind(number)
        .fetch_optional(store.pool())
        .await?
        .ok_or(Error::NotFound)?;
    version_from_row(&row)
}

/// Records that the signed-in person has read version `number` (once; a
/// second acknowledgement changes nothing). Only the current version can be
/// acknowledged: [`Error::Conflict`] (`"superseded"`) otherwise.
pub async fn acknowledge<P: permissions::ReadsBcp>(
    store: &Store,
    grant: &Grant<P>,
    number: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let current: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, number FROM bcp_versions WHERE institution_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(institution_id)
    .fetch_optional(&mut *transaction)
    .await?;
    let Some((version_id, current_number)) = current else {
        return Err(Error::NotFound);
    };
    if current_number != number {
        return Err(Error::Conflict("superseded"));
    }
    let inserted = sqlx::query(
        "INSERT INTO bcp_acknowledgements (version_id, user_id, acknowledged_at) VALUES ($1, $2, $3)
         ON CONFLICT (version_id, user_id) DO NOTHING",
    )
    .bind(version_id)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(());
    }
    let event = NewAuditEvent::by(
        grant,
        "bcp.acknowledge",
        format!("bcp:{number}"),
        json!({ "版": number }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Every active account of the institution (vendors' excepted) and whether
/// it has read the current version; those who have not come first.
pub async fn readers(
    store: &Store,
    grant: &Grant<permissions::EditBcp>,
) -> Result<Vec<Reader>, Error> {
    let rows = sqlx::query(
        "SELECT u.display_name, u.login_id, a.acknowledged_at
         FROM users u
         LEFT JOIN bcp_acknowledgements a ON a.user_id = u.id AND a.version_id = (
             SELECT id FROM bcp_versions WHERE institution_id = $1 ORDER BY number DESC LIMIT 1)
         WHERE u.institution_id = $1 AND u.active = 1 AND u.break_glass = 0 AND u.role <> 'vendor'
         ORDER BY CASE WHEN a.acknowledged_at IS NULL THEN 0 ELSE 1 END, u.login_id",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let at: Option<i64> = row.try_get("acknowledged_at")?;
            Ok(Reader {
                display_name: row.try_get("display_name")?,
                login_id: row.try_get("login_id")?,
                acknowledged_at: at.map(from_micros),
            })
        })
        .collect()
}

/// Whether the signed-in person has read the current version (`None` when none is approved).
pub async fn has_read_current<P: permissions::ReadsBcp>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<bool>, Error> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT v.number, (SELECT COUNT(*) FROM bcp_acknowledgements a
                            WHERE a.version_id = v.id AND a.user_id = $2)
         FROM bcp_versions v WHERE v.institution_id = $1 ORDER BY v.number DESC LIMIT 1",
    )
    .bind(grant.institution_id().get())
    .bind(grant.principal().user_id().get())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(_, count)| count > 0))
}
