//! Training and drills (issue #15): sessions with who attended, from the
//! staff ledger, and each member of staff's last session. A session is
//! written with its audit event and never deleted.

use jiff::civil::Date;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::training::{NewTraining, TrainingId, TrainingKind};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A stored session.
#[derive(Debug, Clone)]
pub struct StoredTraining {
    pub id: TrainingId,
    pub held_on: Date,
    pub kind: TrainingKind,
    pub title: String,
    pub content: String,
    pub materials: String,
    pub scenario: String,
    pub lessons: String,
    /// The attendees' names, by name.
    pub attendees: Vec<String>,
}

/// A member of staff still employed, with their last session.
#[derive(Debug, Clone)]
pub struct StaffTraining {
    pub staff_id: i64,
    pub name: String,
    pub joined_on: Option<Date>,
    pub last: Option<Date>,
}

fn day(text: &str, column: &'static str) -> Result<Date, Error> {
    text.parse().map_err(|_| Error::Corrupt(column))
}

/// Records a session; [`Error::Unknown`] (`attendees`) when an attendee is
/// not on the institution's staff ledger.
pub async fn add(
    store: &Store,
    grant: &Grant<permissions::RecordTraining>,
    training: &NewTraining,
    now: jiff::Timestamp,
) -> Result<TrainingId, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let mut names = Vec::new();
    for staff_id in &training.attendees {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM staff WHERE id = $1 AND institution_id = $2")
                .bind(*staff_id)
                .bind(institution_id)
                .fetch_optional(&mut *transaction)
                .await?;
        names.push(name.ok_or(Error::Unknown("attendees"))?);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (institution_id, held_on, kind, title, content, materials,
            scenario, lessons, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(institution_id)
    .bind(training.held_on.to_string())
    .bind(training.kind.code())
    .bind(training.title.as_str())
    .bind(training.content.as_str())
    .bind(training.materials.as_str())
    .bind(training.scenario.as_str())
    .bind(training.lessons.as_str())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    for staff_id in &training.attendees {
        sqlx::query("INSERT INTO training_attendees (session_id, staff_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*staff_id)
            .execute(&mut *transaction)
            .await?;
    }
    let event = NewAuditEvent::by(
        grant,
        "training.add",
        format!("training:{id}"),
        json!({
            "日": training.held_on.to_string(),
            "種類": training.kind.name_ja(),
            "題目": training.title,
            "参加者": names,
        }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(TrainingId::from_db(id))
}

fn training_from_row(
    row: &sqlx::any::AnyRow,
    attendees: Vec<String>,
) -> Result<StoredTraining, Error> {
    let held_on: String = row.try_get("held_on")?;
    let kind: String = row.try_get("kind")?;
    Ok(StoredTraining {
        id: TrainingId::from_db(row.try_get("id")?),
        held_on: day(&held_on, "training_sessions.held_on")?,
        kind: TrainingKind::parse("kind", &kind)
            .map_err(|_| Error::Corrupt("training_sessions.kind"))?,
        title: row.try_get("title")?,
        content: row.try_get("content")?,
        materials: row.try_get("materials")?,
        scenario: row.try_get("scenario")?,
        lessons: row.try_get("lessons")?,
        attendees,
    })
}

const SELECT_SESSIONS: &str = "SELECT id, held_on, kind, title, content, materials, scenario,
    lessons FROM training_sessions WHERE institution_id = $1";

async fn attendees_of(connection: &mut sqlx::AnyConnection, id: i64) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT s.name FROM training_attendees a JOIN staff s ON s.id = a.staff_id
         WHERE a.session_id = $1 ORDER BY s.name, s.id",
    )
    .bind(id)
    .fetch_all(&mut *connection)
    .await?)
}

/// Every session, newest first.
pub async fn list<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<StoredTraining>, Error> {
    let mut connection = store.pool().acquire().await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_SESSIONS} ORDER BY held_on DESC, id DESC"
    )))
    .bind(grant.institution_id().get())
    .fetch_all(&mut *connection)
    .await?;
    let mut sessions = Vec::with_capacity(rows.len());
    for row in &rows {
        let attendees = attendees_of(&mut connection, row.try_get("id")?).await?;
        sessions.push(training_from_row(row, attendees)?);
    }
    Ok(sessions)
}

/// One session ([`Error::NotFound`] for another institution's).
pub async fn get<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: TrainingId,
) -> Result<StoredTraining, Error> {
    let mut connection = store.pool().acquire().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_SESSIONS} AND id = $2"
    )))
    .bind(grant.institution_id().get())
    .bind(id.get())
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)?;
    let attendees = attendees_of(&mut connection, id.get()).await?;
    training_from_row(&row, attendees)
}

/// Every member of staff employed on `today` with their last session, by name.
pub async fn staff<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    today: Date,
) -> Result<Vec<StaffTraining>, Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.joined_on,
            (SELECT MAX(t.held_on) FROM training_attendees a
               JOIN training_sessions t ON t.id = a.session_id
             WHERE a.staff_id = s.id) AS last
         FROM staff s
         WHERE s.institution_id = $1 AND (s.left_on IS NULL OR s.left_on > $2)
         ORDER BY s.name, s.id",
    )
    .bind(grant.institution_id().get())
    .bind(today.to_string())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let joined: Option<String> = row.try_get("joined_on")?;
            let last: Option<String> = row.try_get("last")?;
            Ok(StaffTraining {
                staff_id: row.try_get("id")?,
                name: row.try_get("name")?,
                joined_on: joined.map(|d| day(&d, "staff.joined_on")).transpose()?,
                last: last
                    .map(|d| day(&d, "training_sessions.held_on"))
                    .transpose()?,
            })
        })
        .collect()
}
