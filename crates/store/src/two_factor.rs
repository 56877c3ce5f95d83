//! Two-factor authentication records: TOTP enrolment, single-use time steps and
//! recovery codes, and the institution's two-factor rule.

use mamori_domain::institution::{
    Grant, Principal, TotpSecret, TwoFactorPolicy, UserId, permissions,
};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A person's two-factor state.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    /// Whether TOTP is on.
    pub enabled: bool,
    /// A secret shown for enrolment but not yet confirmed with a code.
    pub pending: Option<TotpSecret>,
    /// Recovery codes not yet used.
    pub n_recovery_codes_left: i64,
}

/// The associated data a user's sealed TOTP secret is bound to.
fn seal_context(user_id: i64) -> String {
    format!("totp:user:{user_id}")
}

fn open_secret(store: &Store, user_id: i64, stored: &str) -> Result<TotpSecret, Error> {
    store
        .secret_key()?
        .open(stored, &seal_context(user_id))
        .map(TotpSecret::from_stored)
}

/// Seals the TOTP secrets stored in plain text before sealing existed, and
/// checks that every sealed one opens with this store's key, so that a wrong
/// or lost key stops the server at start rather than at someone's sign-in.
/// Returns how many were sealed now.
pub async fn seal_plain_secrets(store: &Store) -> Result<u64, Error> {
    let key = store.secret_key()?;
    let mut transaction = store.begin().await?;
    let rows = sqlx::query(
        "SELECT id, totp_secret, totp_pending_secret FROM users
         WHERE totp_secret IS NOT NULL OR totp_pending_secret IS NOT NULL",
    )
    .fetch_all(&mut *transaction)
    .await?;
    let mut n_sealed = 0u64;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let context = seal_context(id);
        for column in ["totp_secret", "totp_pending_secret"] {
            let Some(value) = row.try_get::<Option<String>, _>(column)? else {
                continue;
            };
            if value.starts_with(crate::sealed::PREFIX) {
                key.open(&value, &context)?;
                continue;
            }
            let sql = match column {
                "totp_secret" => "UPDATE users SET totp_secret = $1 WHERE id = $2",
                _ => "UPDATE users SET totp_pending_secret = $1 WHERE id = $2",
            };
            sqlx::query(sql)
                .bind(key.seal(&value, &context)?)
                .bind(id)
                .execute(&mut *transaction)
                .await?;
            n_sealed += 1;
        }
    }
    transaction.commit().await?;
    Ok(n_sealed)
}

/// The signed-in person's two-factor state.
pub async fn status(store: &Store, principal: &Principal) -> Result<TwoFactorStatus, Error> {
    let row = sqlx::query(
        "SELECT totp_secret, totp_pending_secret,
                (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS n_left
         FROM users u WHERE u.id = $1 AND u.institution_id = $2",
    )
    .bind(principal.user_id().get())
    .bind(principal.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok(TwoFactorStatus {
        enabled: row.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        pending: row
            .try_get::<Option<String>, _>("totp_pending_secret")?
            .map(|stored| open_secret(store, principal.user_id().get(), &stored))
            .transpose()?,
        n_recovery_codes_left: row.try_get("n_left")?,
    })
}

/// Keeps `secret` as the pending one until the person confirms it with a code.
pub async fn begin_enrolment(
    store: &Store,
    grant: &Grant<permissions::ChangeOwnPassword>,
    secret: &TotpSecret,
) -> Result<(), Error> {
    let user_id = grant.principal().user_id().get();
    let sealed = store
        .secret_key()?
        .seal(secret.as_base32(), &seal_context(user_id))?;
    sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2 AND institution_id = $3")
        .bind(sealed)
        .bind(user_id)
        .bind(grant.institution_id().get())
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Turns TOTP on with the pending secret, whose code for `step` the caller checked,
/// and replaces the recovery codes with `recovery_code_hashes`.
pub async fn confirm_enrolment(
    store: &Store,
    grant: &Grant<permissions::ChangeOwnPassword>,
    step: u64,
    recovery_code_hashes: &[String],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let user_id = grant.principal().user_id();
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $1
         WHERE id = $2 AND institution_id = $3 AND totp_pending_secret IS NOT NULL",
    )
    .bind(i64::try_from(step).map_err(|_| Error::Corrupt("totp step"))?)
    .bind(user_id.get())
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id.get())
        .execute(&mut *transaction)
        .await?;
    for code_hash in recovery_code_hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id.get())
            .bind(code_hash)
            .execute(&mut *transaction)
            .await?;
    }
    let event = NewAuditEvent {
        institution_id: Some(grant.institution_id()),
        actor: Actor::User(user_id),
        action: "user.two_factor_enabled",
        target: format!("user:{user_id}"),
        detail: json!({ "recovery_codes": recovery_code_hashes.len() }),
    };
    audit_log::commit_with(transaction, &event, now).await
}

/// Turns TOTP off for `user_id`: by the person, or by a user administrator for
/// someone who lost their phone. Recovery codes go too.
pub async fn disable<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
    user_id: UserId,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let is_self = user_id == grant.principal().user_id();
    if !is_self
        && !grant
            .principal()
            .role()
            .has(mamori_domain::institution::Permission::ManageUsers)
    {
        return Err(Error::NotFound);
    }
    let mut transaction = store.begin().await?;
    crate::people::guard_credentials_of(&mut transaction, grant.principal(), user_id).await?;
    let result = sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL
         WHERE id = $1 AND institution_id = $2",
    )
    .bind(user_id.get())
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id.get())
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "user.two_factor_disabled",
        format!("user:{user_id}"),
        json!({ "by_self": is_self }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The TOTP secret of a user, if enabled (for the second sign-in step).
pub async fn secret_of(store: &Store, user_id: UserId) -> Result<Option<TotpSecret>, Error> {
    let secret: Option<Option<String>> =
        sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user_id.get())
            .fetch_optional(store.pool())
            .await?;
    secret
        .flatten()
        .map(|stored| open_secret(store, user_id.get(), &stored))
        .transpose()
}

/// Accepts time step `step` for `user_id` once: a later use of the same (or an
/// earlier) step is refused, so an overheard code cannot be replayed.
pub async fn accept_step(store: &Store, user_id: UserId, step: u64) -> Result<bool, Error> {
    let step = i64::try_from(step).map_err(|_| Error::Corrupt("totp step"))?;
    let result = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id.get())
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Uses up the recovery code whose SHA-256 is `code_hash`; `false` if there is none left.
pub async fn use_recovery_code(
    store: &Store,
    user_id: UserId,
    code_hash: &str,
    now: jiff::Timestamp,
) -> Result<bool, Error> {
    let result = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(user_id.get())
    .bind(code_hash)
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected() > 0)
}

/// The institution's rule on who must use two-factor authentication.
pub async fn policy<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<TwoFactorPolicy, Error> {
    let code: String =
        sqlx::query_scalar("SELECT two_factor_policy FROM institutions WHERE id = $1")
            .bind(grant.institution_id().get())
            .fetch_one(store.pool())
            .await?;
    TwoFactorPolicy::from_code(&code).map_err(|_| Error::Corrupt("institutions.two_factor_policy"))
}

/// Changes the institution's two-factor rule.
pub async fn set_policy(
    store: &Store,
    grant: &Grant<permissions::EditInstitution>,
    policy: TwoFactorPolicy,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before: String =
        sqlx::query_scalar("SELECT two_factor_policy FROM institutions WHERE id = $1")
            .bind(grant.institution_id().get())
            .fetch_one(&mut *transaction)
            .await?;
    sqlx::query("UPDATE institutions SET two_factor_policy = $1 WHERE id = $2")
        .bind(policy.code())
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "institution.two_factor_policy",
        format!("institution:{}", grant.institution_id()),
        json!({ "before": before, "after": policy.code() }),
    );
    audit_log::commit_with(transaction, &event, now).await
}
