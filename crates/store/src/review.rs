//! Reviews of a ledger (棚卸 of devices and accounts, the yearly review of
//! the network diagram): who checked it against reality, on which day, with
//! what note — one table and one audited write for every ledger.

use jiff::civil;
use mamori_domain::institution::{Grant, permissions};
use serde_json::{Value, json};
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A recorded review.
#[derive(Debug, Clone)]
pub struct Review {
    /// The day it was checked.
    pub reviewed_on: civil::Date,
    /// Who checked.
    pub reviewed_by: String,
    /// What they noted.
    pub note: String,
}

/// Records a review of `ledger` (`devices`, `accounts`, `network`) as audit
/// `action`, with `counts` (what was counted at that moment) in its details.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    ledger: &str,
    action: &'static str,
    reviewed_on: civil::Date,
    note: &str,
    counts: Value,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_reviews (institution_id, ledger, reviewed_on, note, reviewed_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(ledger)
    .bind(reviewed_on.to_string())
    .bind(note)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        action,
        format!("ledger_review:{id}"),
        json!({ "after": { "日付": reviewed_on.to_string(), "メモ": note, "集計": counts } }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The latest review of `ledger`, if any.
pub(crate) async fn last<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    ledger: &str,
) -> Result<Option<Review>, Error> {
    let row = sqlx::query(
        "SELECT r.reviewed_on, u.display_name, r.note FROM ledger_reviews r
         JOIN users u ON u.id = r.reviewed_by
         WHERE r.institution_id = $1 AND r.ledger = $2
         ORDER BY r.reviewed_on DESC, r.id DESC LIMIT 1",
    )
    .bind(grant.institution_id().get())
    .bind(ledger)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| {
        Ok(Review {
            reviewed_on: row
                .try_get::<String, _>(0)?
                .parse()
                .map_err(|_| Error::Corrupt("review date"))?,
            reviewed_by: row.try_get(1)?,
            note: row.try_get(2)?,
        })
    })
    .transpose()
}
