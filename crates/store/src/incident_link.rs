//! The poster link (issue #12): a long random token, printed as a QR code on
//! a poster, that opens only the incident report form for staff without an
//! account. An institution has at most one live link; issuing a new one
//! revokes the old (rotation), and a link can be revoked outright. Links are
//! found by the SHA-256 of their token; the token itself is kept sealed so
//! the poster can be printed again. Nothing is deleted.

use mamori_domain::institution::{Grant, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// The institution's live poster link.
#[derive(Debug, Clone)]
pub struct ReportLink {
    /// The token, opened from its sealed copy.
    pub token: String,
    /// When it was issued.
    pub issued_at: jiff::Timestamp,
    /// Who issued it.
    pub issued_by: Option<String>,
}

/// What a poster link shows before anyone is signed in.
#[derive(Debug, Clone)]
pub struct OpenLink {
    /// The institution's name, for the form's heading.
    pub institution_name: String,
}

fn seal_context(institution_id: i64) -> String {
    format!("incident_report_links.token_sealed:{institution_id}")
}

/// The institution's live link, if it has one.
pub async fn current(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
) -> Result<Option<ReportLink>, Error> {
    let institution_id = grant.institution_id().get();
    let row = sqlx::query(
        "SELECT l.token_sealed, l.issued_at, u.display_name AS issued_by
         FROM incident_report_links l LEFT JOIN users u ON u.id = l.issued_by
         WHERE l.institution_id = $1 AND l.revoked_at IS NULL",
    )
    .bind(institution_id)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sealed: String = row.try_get("token_sealed")?;
    Ok(Some(ReportLink {
        token: store
            .secret_key()?
            .open(&sealed, &seal_context(institution_id))?,
        issued_at: from_micros(row.try_get("issued_at")?),
        issued_by: row.try_get("issued_by")?,
    }))
}

/// Revokes the live link (if any) and, with `token`, issues a new one: the
/// caller draws the token and prints it; only its hash finds it.
pub async fn rotate(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
    token: Option<&str>,
    token_hash: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let revoked = sqlx::query(
        "UPDATE incident_report_links SET revoked_at = $1
         WHERE institution_id = $2 AND revoked_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(institution_id)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    let issued: Option<i64> = match token {
        Some(token) => Some(
            sqlx::query_scalar(
                "INSERT INTO incident_report_links (institution_id, token_hash, token_sealed, issued_by, issued_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(institution_id)
            .bind(token_hash)
            .bind(
                store
                    .secret_key()?
                    .seal(token, &seal_context(institution_id))?,
            )
            .bind(grant.principal().user_id().get())
            .bind(to_micros(now))
            .fetch_one(&mut *transaction)
            .await?,
        ),
        None => None,
    };
    if revoked == 0 && issued.is_none() {
        return Err(Error::NotFound);
    }
    let event = NewAuditEvent::by(
        grant,
        if issued.is_some() {
            "incident.link.issue"
        } else {
            "incident.link.revoke"
        },
        format!("institution:{institution_id}"),
        json!({ "revoked": revoked, "issued": issued }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The institution a live link opens the form for; [`Error::NotFound`] for
/// an unknown or revoked token.
pub async fn open(store: &Store, token_hash: &str) -> Result<OpenLink, Error> {
    let name: Option<String> = sqlx::query_scalar(
        "SELECT i.name FROM incident_report_links l JOIN institutions i ON i.id = l.institution_id
         WHERE l.token_hash = $1 AND l.revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(store.pool())
    .await?;
    name.map(|institution_name| OpenLink { institution_name })
        .ok_or(Error::NotFound)
}

/// The live link's id and institution, inside the report's transaction.
pub(crate) async fn live(
    connection: &mut sqlx::AnyConnection,
    token_hash: &str,
) -> Result<(i64, i64), Error> {
    let row = sqlx::query(
        "SELECT id, institution_id FROM incident_report_links
         WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)?;
    Ok((row.try_get("id")?, row.try_get("institution_id")?))
}
