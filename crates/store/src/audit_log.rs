//! Audit events (監査証跡): who did what, when, with values before and after.
//!
//! Events are only ever inserted, inside the transaction of the change they
//! describe, so a committed change always has its event. The tamper-evident
//! Merkle tree over these rows is built by the audit-trail issue on this table.

use mamori_domain::institution::{Grant, InstitutionId, UserId, permissions};
use sqlx::{AnyConnection, Row};

use crate::{Error, Store, from_micros, to_micros};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(UserId),
    /// Someone not signed in, e.g. a failed sign-in, described by a label.
    Anonymous(String),
    /// The operator, through the command line.
    Operator,
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// The institution the event belongs to, if any.
    pub institution_id: Option<InstitutionId>,
    /// Who acted.
    pub actor: Actor,
    /// What happened, a stable dotted code such as `user.create`.
    pub action: &'static str,
    /// The record acted on, such as `user:12`.
    pub target: String,
    /// Details: values before and after, the source address, and so on.
    pub detail: serde_json::Value,
}

/// A stored event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Position in the trail.
    pub id: i64,
    /// When it happened.
    pub occurred_at: jiff::Timestamp,
    /// Who acted: the user id, if a user did.
    pub actor_user_id: Option<UserId>,
    /// Who acted, as a label (login ID, `operator`, or a source address).
    pub actor_label: String,
    /// What happened.
    pub action: String,
    /// The record acted on.
    pub target: String,
    /// Details as JSON text.
    pub detail: String,
}

/// Appends `event` on `connection`, which should be the change's own transaction.
pub async fn append(
    connection: &mut AnyConnection,
    event: &NewAuditEvent,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let (actor_user_id, actor_label) = match &event.actor {
        Actor::User(user_id) => {
            let label: Option<String> =
                sqlx::query_scalar("SELECT login_id FROM users WHERE id = $1")
                    .bind(user_id.get())
                    .fetch_optional(&mut *connection)
                    .await?;
            (Some(user_id.get()), label.unwrap_or_default())
        }
        Actor::Anonymous(label) => (None, label.clone()),
        Actor::Operator => (None, "operator".to_owned()),
    };
    sqlx::query(
        "INSERT INTO audit_events (institution_id, occurred_at, actor_user_id, actor_label, action, target, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(event.institution_id.map(|id| id.get()))
    .bind(to_micros(now))
    .bind(actor_user_id)
    .bind(actor_label)
    .bind(event.action)
    .bind(&event.target)
    .bind(event.detail.to_string())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Appends one event in its own transaction (for events with no change, like a sign-in).
pub async fn append_alone(
    store: &Store,
    event: &NewAuditEvent,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.pool().begin().await?;
    append(&mut transaction, event, now).await?;
    transaction.commit().await?;
    Ok(())
}

/// The institution's most recent events, newest first.
pub async fn list_recent(
    store: &Store,
    grant: &Grant<permissions::ViewAuditTrail>,
    limit: i64,
) -> Result<Vec<AuditEvent>, Error> {
    let rows = sqlx::query(
        "SELECT id, occurred_at, actor_user_id, actor_label, action, target, detail
         FROM audit_events WHERE institution_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(grant.institution_id().get())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEvent {
                id: row.try_get("id")?,
                occurred_at: from_micros(row.try_get("occurred_at")?),
                actor_user_id: row
                    .try_get::<Option<i64>, _>("actor_user_id")?
                    .map(UserId::from_db),
                actor_label: row.try_get("actor_label")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
