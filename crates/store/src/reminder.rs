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

/// What the schedule needs of the institution's documents and reviews, in
/// one query (the reminder job computes a schedule per person): the policy
/// (approved at all, and its answers), the BCP's last approval, the last
/// network and account reviews, and the contact chart's oldest confirmation
/// (`None` while a stored line was never confirmed).
#[derive(Debug, Clone, Default)]
pub struct ScheduleBasics {
    pub policy_approved: bool,
    pub policy_answers: Option<mamori_domain::policy::PolicyAnswers>,
    pub bcp_approved_at: Option<jiff::Timestamp>,
    pub network_reviewed: Option<Date>,
    pub accounts_reviewed: Option<Date>,
    pub chart_confirmed: Option<Date>,
    /// The institution's kind (which checklist form it answers).
    pub kind: Option<mamori_domain::institution::InstitutionKind>,
}

/// The institution's [`ScheduleBasics`]; the caller decides, by the person's
/// permissions, which of them concern that person.
pub async fn schedule_basics<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<ScheduleBasics, Error> {
    let row = sqlx::query(
        "SELECT
            (SELECT COUNT(*) FROM document_versions
              WHERE institution_id = $1 AND kind = 'policy') AS policy_versions,
            (SELECT answers FROM policy_answers WHERE institution_id = $1) AS policy_answers,
            (SELECT MAX(approved_at) FROM bcp_versions WHERE institution_id = $1) AS bcp_approved,
            (SELECT MAX(reviewed_on) FROM ledger_reviews
              WHERE institution_id = $1 AND ledger = 'network') AS network_reviewed,
            (SELECT MAX(reviewed_on) FROM ledger_reviews
              WHERE institution_id = $1 AND ledger = 'accounts') AS accounts_reviewed,
            (SELECT CASE WHEN COUNT(*) > 0 AND COUNT(*) = COUNT(confirmed_on)
                         THEN MIN(confirmed_on) END
               FROM contact_entries WHERE institution_id = $1) AS chart_confirmed,
            (SELECT kind FROM institutions WHERE id = $1) AS kind",
    )
    .bind(grant.institution_id().get())
    .fetch_one(store.pool())
    .await?;
    let day = |column: &'static str| -> Result<Option<Date>, Error> {
        row.try_get::<Option<String>, _>(column)?
            .map(|text| text.parse().map_err(|_| Error::Corrupt(column)))
            .transpose()
    };
    let answers: Option<String> = row.try_get("policy_answers")?;
    let versions: i64 = row.try_get("policy_versions")?;
    let bcp: Option<i64> = row.try_get("bcp_approved")?;
    Ok(ScheduleBasics {
        policy_approved: versions > 0,
        policy_answers: answers
            .map(|text| {
                mamori_domain::policy::answers_from_text(&text)
                    .ok_or(Error::Corrupt("policy_answers.answers"))
            })
            .transpose()?,
        bcp_approved_at: bcp.map(crate::from_micros),
        network_reviewed: day("network_reviewed")?,
        accounts_reviewed: day("accounts_reviewed")?,
        chart_confirmed: day("chart_confirmed")?,
        kind: row
            .try_get::<Option<String>, _>("kind")?
            .map(|code| {
                mamori_domain::institution::InstitutionKind::from_code(&code)
                    .map_err(|_| Error::Corrupt("institutions.kind"))
            })
            .transpose()?,
    })
}

/// A vendor's certificate or contract with an expiry, for the schedule.
#[derive(Debug, Clone)]
pub struct VendorExpiry {
    pub expires_on: Date,
    /// A certificate (its kind's code) or a contract (its title).
    pub what: VendorPaper,
    pub vendor: String,
}

/// What expires.
#[derive(Debug, Clone)]
pub enum VendorPaper {
    Certificate(mamori_domain::contract::CertificateKind),
    Contract(String),
}

/// Every certificate and every contract with an expiry day, with its
/// vendor's name, in one query.
pub async fn vendor_expiries(
    store: &Store,
    grant: &Grant<permissions::ManageVendors>,
) -> Result<Vec<VendorExpiry>, Error> {
    let rows = sqlx::query(
        "SELECT c.expires_on, 'certificate' AS paper, c.kind AS what, v.name
         FROM vendor_certificates c JOIN vendors v ON v.id = c.vendor_id
         WHERE c.institution_id = $1
         UNION ALL
         SELECT k.expires_on, 'contract' AS paper, k.title AS what, v.name
         FROM vendor_contracts k JOIN vendors v ON v.id = k.vendor_id
         WHERE k.institution_id = $1 AND k.expires_on IS NOT NULL",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let day: String = row.try_get("expires_on")?;
            let paper: String = row.try_get("paper")?;
            let what: String = row.try_get("what")?;
            Ok(VendorExpiry {
                expires_on: day
                    .parse()
                    .map_err(|_| Error::Corrupt("vendor papers.expires_on"))?,
                what: if paper == "certificate" {
                    VendorPaper::Certificate(
                        mamori_domain::contract::CertificateKind::from_code(&what)
                            .map_err(|_| Error::Corrupt("vendor_certificates.kind"))?,
                    )
                } else {
                    VendorPaper::Contract(what)
                },
                vendor: row.try_get("name")?,
            })
        })
        .collect()
}
