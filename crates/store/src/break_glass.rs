//! 非常時用アカウント (break-glass, policy 第4条⑰): each use is recorded with its
//! reason, shown to the 安全管理責任者 until acknowledged, and spends the account
//! until an administrator resets its password.

use mamori_domain::institution::{Grant, Principal, UserId, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// One use of a break-glass account.
#[derive(Debug, Clone)]
pub struct BreakGlassUse {
    /// Its id.
    pub id: i64,
    /// The account's login ID.
    pub login_id: String,
    /// Why it was used, as stated at sign-in.
    pub reason: String,
    /// When the reason was stated.
    pub started_at: jiff::Timestamp,
}

/// Records the reason for the session `session_token_hash` of a break-glass account
/// and spends the account. Refused (`NotFound`) for an ordinary account.
pub async fn record_use(
    store: &Store,
    principal: &Principal,
    session_token_hash: &str,
    reason: &str,
    source: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE users SET break_glass_spent = 1 WHERE id = $1 AND institution_id = $2 AND break_glass = 1",
    )
    .bind(principal.user_id().get())
    .bind(principal.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    sqlx::query(
        "INSERT INTO break_glass_uses (institution_id, user_id, session_token_hash, reason, started_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(principal.institution_id().get())
    .bind(principal.user_id().get())
    .bind(session_token_hash)
    .bind(reason)
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let event = NewAuditEvent {
        institution_id: Some(principal.institution_id()),
        actor: Actor::User(principal.user_id()),
        action: "break_glass.used",
        target: format!("user:{}", principal.user_id()),
        detail: json!({ "reason": reason, "source": source }),
    };
    audit_log::commit_with(transaction, &event, now).await
}

/// Uses not yet acknowledged by a 安全管理責任者, newest first.
pub async fn unacknowledged(
    store: &Store,
    grant: &Grant<permissions::EditInstitution>,
) -> Result<Vec<BreakGlassUse>, Error> {
    let rows = sqlx::query(
        "SELECT b.id, u.login_id, b.reason, b.started_at FROM break_glass_uses b JOIN users u ON u.id = b.user_id
         WHERE b.institution_id = $1 AND b.acknowledged_at IS NULL ORDER BY b.id DESC",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(BreakGlassUse {
                id: row.try_get("id")?,
                login_id: row.try_get("login_id")?,
                reason: row.try_get("reason")?,
                started_at: from_micros(row.try_get("started_at")?),
            })
        })
        .collect()
}

/// A 安全管理責任者 confirms having seen a use.
pub async fn acknowledge(
    store: &Store,
    grant: &Grant<permissions::EditInstitution>,
    use_id: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE break_glass_uses SET acknowledged_by = $1, acknowledged_at = $2
         WHERE id = $3 AND institution_id = $4 AND acknowledged_at IS NULL",
    )
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .bind(use_id)
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "break_glass.acknowledged",
        format!("break_glass_use:{use_id}"),
        json!({}),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// An administrator sets a new password for `user_id`: it ends the user's sessions
/// and, for a spent break-glass account, makes it usable again.
pub async fn reset_password(
    store: &Store,
    grant: &Grant<permissions::ManageUsers>,
    user_id: UserId,
    password_hash: &mamori_domain::institution::PasswordHash,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    crate::people::guard_credentials_of(&mut transaction, grant.principal(), user_id).await?;
    let result = sqlx::query(
        "UPDATE users SET password_hash = $1, break_glass_spent = 0, failed_sign_ins = 0, locked_until = NULL,
                          updated_at = $2
         WHERE id = $3 AND institution_id = $4",
    )
    .bind(password_hash.as_str())
    .bind(to_micros(now))
    .bind(user_id.get())
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.get())
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "user.password_reset",
        format!("user:{user_id}"),
        json!({}),
    );
    audit_log::commit_with(transaction, &event, now).await
}
