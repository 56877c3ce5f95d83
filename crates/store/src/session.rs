//! Sign-in sessions: stored by the SHA-256 of their token, so a copy of the
//! database does not hand out live sessions.

use mamori_domain::institution::{InstitutionId, Principal, Role, TwoFactorPolicy, UserId};
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
    /// The password was right but the second factor is still to come.
    pub second_factor_pending: bool,
    /// The institution requires two-factor authentication of this person and they
    /// have not enrolled yet.
    pub must_enrol_two_factor: bool,
    /// A break-glass account whose session has not stated its reason yet.
    pub break_glass_reason_pending: bool,
}

/// Stores a new session; `second_factor_pending` for one that still needs its TOTP code.
pub async fn create(
    store: &Store,
    user_id: UserId,
    token_hash: &str,
    csrf_token: &str,
    second_factor_pending: bool,
    now: jiff::Timestamp,
    expires_at: jiff::Timestamp,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, second_factor_pending)
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id.get())
    .bind(csrf_token)
    .bind(to_micros(now))
    .bind(to_micros(expires_at))
    .bind(i64::from(second_factor_pending))
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
        "SELECT s.csrf_token, s.last_seen_at, s.second_factor_pending, u.id, u.institution_id, u.role, u.login_id,
                u.display_name, u.totp_secret IS NOT NULL AS enrolled, i.two_factor_policy, u.break_glass,
                (SELECT COUNT(*) FROM break_glass_uses b WHERE b.session_token_hash = s.token_hash) AS n_reasons
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN institutions i ON i.id = u.institution_id
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
    let role = Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?;
    let policy: String = row.try_get("two_factor_policy")?;
    let policy = TwoFactorPolicy::from_code(&policy)
        .map_err(|_| Error::Corrupt("institutions.two_factor_policy"))?;
    // SQLite answers a comparison with an integer, PostgreSQL with a boolean.
    let enrolled = match row.try_get::<bool, _>("enrolled") {
        Ok(enrolled) => enrolled,
        Err(_) => row.try_get::<i64, _>("enrolled")? == 1,
    };
    let break_glass = row.try_get::<i64, _>("break_glass")? == 1;
    let n_reasons: i64 = row.try_get("n_reasons")?;
    Ok(Some(Session {
        break_glass_reason_pending: break_glass && n_reasons == 0,
        second_factor_pending: row.try_get::<i64, _>("second_factor_pending")? == 1,
        must_enrol_two_factor: policy.requires(role) && !enrolled,
        principal: Principal::new(
            UserId::from_db(row.try_get("id")?),
            InstitutionId::from_db(row.try_get("institution_id")?),
            role,
        ),
        login_id: row.try_get("login_id")?,
        display_name: row.try_get("display_name")?,
        csrf_token: row.try_get("csrf_token")?,
    }))
}

/// Completes a session's second factor: it gets a new token (the one seen before
/// the second factor is worthless afterwards) and full rights.
pub async fn promote(
    store: &Store,
    old_token_hash: &str,
    new_token_hash: &str,
) -> Result<bool, Error> {
    let result = sqlx::query(
        "UPDATE sessions SET token_hash = $1, second_factor_pending = 0
         WHERE token_hash = $2 AND second_factor_pending = 1",
    )
    .bind(new_token_hash)
    .bind(old_token_hash)
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected() == 1)
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
