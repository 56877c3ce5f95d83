//! Sign-in sessions: stored by the SHA-256 of their token, so a copy of the
//! database does not hand out live sessions.

use mamori_domain::institution::{InstitutionId, Principal, Role, UserId};
use sqlx::Row;

use crate::{Error, Store, to_micros};

/// A live session with the person it belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is signed in.
    pub principal: Principal,
    /// Their login ID.
    pub login_id: String,
    /// Their name.
    pub display_name: String,
    /// The token forms must echo (CSRF).
    pub csrf_token: String,
}

/// Stores a new session.
pub async fn create(
    store: &Store,
    user_id: UserId,
    token_hash: &str,
    csrf_token: &str,
    now: jiff::Timestamp,
    expires_at: jiff::Timestamp,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id.get())
    .bind(csrf_token)
    .bind(to_micros(now))
    .bind(to_micros(expires_at))
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The live session for `token_hash`: not past its absolute expiry, used within
/// `idle_timeout`, and of an active user. Refreshes the last-seen time at most
/// once a minute, so reading pages does not turn every request into a write.
pub async fn load(
    store: &Store,
    token_hash: &str,
    now: jiff::Timestamp,
    idle_timeout: jiff::SignedDuration,
) -> Result<Option<Session>, Error> {
    let now_micros = to_micros(now);
    let idle_micros = i64::try_from(idle_timeout.as_micros()).unwrap_or(i64::MAX);
    let row = sqlx::query(
        "SELECT s.csrf_token, s.last_seen_at, u.id, u.institution_id, u.role, u.login_id, u.display_name
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(token_hash)
    .bind(now_micros)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let last_seen_at: i64 = row.try_get("last_seen_at")?;
    if now_micros.saturating_sub(last_seen_at) > idle_micros {
        delete(store, token_hash).await?;
        return Ok(None);
    }
    if now_micros.saturating_sub(last_seen_at) > 60_000_000 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now_micros)
            .bind(token_hash)
            .execute(store.pool())
            .await?;
    }
    let role: String = row.try_get("role")?;
    Ok(Some(Session {
        principal: Principal::new(
            UserId::from_db(row.try_get("id")?),
            InstitutionId::from_db(row.try_get("institution_id")?),
            Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?,
        ),
        login_id: row.try_get("login_id")?,
        display_name: row.try_get("display_name")?,
        csrf_token: row.try_get("csrf_token")?,
    }))
}

/// Ends a session (sign-out).
pub async fn delete(store: &Store, token_hash: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Removes sessions past their absolute expiry; run now and then.
pub async fn delete_expired(store: &Store, now: jiff::Timestamp) -> Result<u64, Error> {
    let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(to_micros(now))
        .execute(store.pool())
        .await?;
    Ok(result.rows_affected())
}
