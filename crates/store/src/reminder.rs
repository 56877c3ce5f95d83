//! Reminders by e-mail (issue #15): each person's own address, and the
//! outbox — one digest per person and day, so nothing is sent twice; a failed
//! send is retried up to [`MAX_ATTEMPTS`] times and shown on the dashboard.

use jiff::civil::Date;
use mamori_domain::institution::{Grant, InstitutionId, Principal, Role, UserId, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// How many times a digest is tried before it is left as failed.
pub const MAX_ATTEMPTS: i64 = 5;

/// The signed-in person's own address (empty: none).
pub async fn own_email(
    store: &Store,
    grant: &Grant<permissions::ChangeOwnPassword>,
) -> Result<String, Error> {
    Ok(
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1 AND institution_id = $2")
            .bind(grant.principal().user_id().get())
            .bind(grant.institution_id().get())
            .fetch_optional(store.pool())
            .await?
            .unwrap_or_default(),
    )
}

/// Sets the signed-in person's own address (empty: no reminders), with before
/// and after in the audit trail.
pub async fn set_own_email(
    store: &Store,
    grant: &Grant<permissions::ChangeOwnPassword>,
    email: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let user_id = grant.principal().user_id().get();
    let mut transaction = store.begin().await?;
    let before: String =
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1 AND institution_id = $2")
            .bind(user_id)
            .bind(grant.institution_id().get())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(Error::NotFound)?;
    sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
        .bind(user_id)
        .bind(email)
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "user.email",
        format!("user:{user_id}"),
        json!({ "before": before, "after": email }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// A person who gets reminders: who they are (to compute their schedule as
/// they would see it), their name, address and institution's name.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub principal: Principal,
    pub name: String,
    pub email: String,
    pub institution: String,
}

/// Every active person, on every institution of the server, with an address.
/// Only the server's own reminder job calls this (as the backup job records
/// its runs), never a request.
pub async fn recipients(store: &Store) -> Result<Vec<Recipient>, Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.institution_id, u.role, u.display_name, u.email, i.name
         FROM users u JOIN institutions i ON i.id = u.institution_id
         WHERE u.active = 1 AND u.break_glass = 0 AND u.email <> ''
         ORDER BY u.institution_id, u.id",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(Recipient {
                principal: Principal::new(
                    UserId::from_db(row.try_get("id")?),
                    InstitutionId::from_db(row.try_get("institution_id")?),
                    Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?,
                ),
                name: row.try_get("display_name")?,
                email: row.try_get("email")?,
                institution: row.try_get("name")?,
            })
        })
        .collect()
}

/// The people whose digest for `day` is already in the outbox (queued or sent).
pub async fn queued_on(store: &Store, day: Date) -> Result<std::collections::HashSet<i64>, Error> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM reminder_mails WHERE day = $1")
        .bind(day.to_string())
        .fetch_all(store.pool())
        .await?;
    Ok(ids.into_iter().collect())
}

/// Queues the day's digest for a person; nothing when one is already queued
/// or sent for that day. Whether it was queued now.
pub async fn enqueue(
    store: &Store,
    recipient: &Recipient,
    day: Date,
    (subject, body): (&str, &str),
    now: jiff::Timestamp,
) -> Result<bool, Error> {
    let result = sqlx::query(
        "INSERT INTO reminder_mails (institution_id, user_id, day, recipient, subject, body,
            status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)
         ON CONFLICT (user_id, day) DO NOTHING",
    )
    .bind(recipient.principal.institution_id().get())
    .bind(recipient.principal.user_id().get())
    .bind(day.to_string())
    .bind(recipient.email.as_str())
    .bind(subject)
    .bind(body)
    .bind(to_micros(now))
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A queued digest.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// Digests not yet sent and not given up on, oldest first.
pub async fn outgoing(store: &Store) -> Result<Vec<Outgoing>, Error> {
    let rows = sqlx::query(
        "SELECT id, recipient, subject, body FROM reminder_mails
         WHERE status <> 'sent' AND attempts < $1 ORDER BY id",
    )
    .bind(MAX_ATTEMPTS)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Outgoing {
                id: row.try_get("id")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
            })
        })
        .collect()
}

/// Records the outcome of one try: sent, or failed with the error.
pub async fn record_attempt(
    store: &Store,
    id: i64,
    outcome: Result<(), &str>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let query = match outcome {
        Ok(()) => sqlx::query(
            "UPDATE reminder_mails SET status = 'sent', attempts = attempts + 1, sent_at = $2,
                last_error = '' WHERE id = $1 AND status <> 'sent'",
        )
        .bind(id)
        .bind(to_micros(now)),
        Err(error) => sqlx::query(
            "UPDATE reminder_mails SET status = 'failed', attempts = attempts + 1,
                last_error = $2 WHERE id = $1 AND status <> 'sent'",
        )
        .bind(id)
        .bind(error.chars().take(500).collect::<String>()),
    };
    query.execute(store.pool()).await?;
    Ok(())
}

/// The institution's digests whose last try failed (for the dashboard of
/// those who manage users): (recipient, day, error, attempts).
pub async fn failures(
    store: &Store,
    grant: &Grant<permissions::ManageUsers>,
) -> Result<Vec<(String, String, String, i64)>, Error> {
    let rows = sqlx::query(
        "SELECT recipient, day, last_error, attempts FROM reminder_mails
         WHERE institution_id = $1 AND status = 'failed' ORDER BY id DESC LIMIT 20",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("recipient")?,
                row.try_get("day")?,
                row.try_get("last_error")?,
                row.try_get("attempts")?,
            ))
        })
        .collect()
}

fn feed_context(user_id: i64) -> String {
    format!("calendar_feeds.token_sealed:{user_id}")
}

/// The signed-in person's calendar feed token, if they have one.
pub async fn feed(
    store: &Store,
    grant: &Grant<permissions::ViewDashboard>,
) -> Result<Option<String>, Error> {
    let user_id = grant.principal().user_id().get();
    let sealed: Option<String> = sqlx::query_scalar(
        "SELECT token_sealed FROM calendar_feeds WHERE user_id = $1 AND institution_id = $2",
    )
    .bind(user_id)
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?;
    sealed
        .map(|sealed| store.secret_key()?.open(&sealed, &feed_context(user_id)))
        .transpose()
}

/// Issues the signed-in person's feed `token` (replacing any earlier one),
/// or with `None` revokes it; [`Error::NotFound`] when there was none to revoke.
pub async fn set_feed(
    store: &Store,
    grant: &Grant<permissions::ViewDashboard>,
    token: Option<(&str, &str)>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let user_id = grant.principal().user_id().get();
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let removed = sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    if let Some((token, token_hash)) = token {
        sqlx::query(
            "INSERT INTO calendar_feeds (user_id, institution_id, token_hash, token_sealed,
                issued_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(institution_id)
        .bind(token_hash)
        .bind(store.secret_key()?.seal(token, &feed_context(user_id))?)
        .bind(to_micros(now))
        .execute(&mut *transaction)
        .await?;
    } else if removed == 0 {
        return Err(Error::NotFound);
    }
    let event = NewAuditEvent::by(
        grant,
        if token.is_some() {
            "calendar.feed.issue"
        } else {
            "calendar.feed.revoke"
        },
        format!("user:{user_id}"),
        json!({ "replaced": removed }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The person a feed token belongs to (active, not a break-glass account),
/// to compute their schedule; [`Error::NotFound`] for an unknown or revoked token.
pub async fn feed_owner(store: &Store, token_hash: &str) -> Result<Recipient, Error> {
    let row = sqlx::query(
        "SELECT u.id, u.institution_id, u.role, u.display_name, u.email, i.name
         FROM calendar_feeds f
            JOIN users u ON u.id = f.user_id
            JOIN institutions i ON i.id = u.institution_id
         WHERE f.token_hash = $1 AND u.active = 1 AND u.break_glass = 0",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    let role: String = row.try_get("role")?;
    Ok(Recipient {
        principal: Principal::new(
            UserId::from_db(row.try_get("id")?),
            InstitutionId::from_db(row.try_get("institution_id")?),
            Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?,
        ),
        name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        institution: row.try_get("name")?,
    })
}
