//! People: users of an institution, their roles, activation and passwords.

use mamori_domain::institution::{
    AuthStep, DisplayName, Grant, InstitutionCode, InstitutionId, LockState, LockoutPolicy,
    LoginId, NewUser, PasswordHash, PeopleRuleViolation, Principal, Role, SignInVerdict, UserId,
    permissions,
};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A stored user, without the password hash.
#[derive(Debug, Clone)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// ログインID
    pub login_id: LoginId,
    /// 氏名
    pub display_name: DisplayName,
    /// 役割
    pub role: Role,
    /// Whether the account may sign in.
    pub active: bool,
    /// Whether this is a 非常時用アカウント.
    pub break_glass: bool,
    /// Whether the break-glass account was used and waits for a password reset.
    pub break_glass_spent: bool,
    /// Until when the account is locked after failed sign-ins, if it is (it may be past).
    pub locked_until: Option<jiff::Timestamp>,
    /// When it was created.
    pub created_at: jiff::Timestamp,
    /// When it was last changed.
    pub updated_at: jiff::Timestamp,
}

/// What sign-in needs to know about a login ID.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Who this would be once signed in.
    pub principal: Principal,
    /// The stored hash.
    pub password_hash: PasswordHash,
    /// Whether the account may sign in.
    pub active: bool,
}

/// A change to a user, as an administrator makes it.
#[derive(Debug, Clone)]
pub struct UserChange {
    /// 氏名
    pub display_name: DisplayName,
    /// 役割
    pub role: Role,
    /// Whether the account may sign in.
    pub active: bool,
}

const USER_COLUMNS: &str = "id, login_id, display_name, role, active, locked_until, created_at, updated_at, break_glass, break_glass_spent";

/// Adds a user to the grant's institution.
pub async fn insert(
    store: &Store,
    grant: &Grant<permissions::ManageUsers>,
    new_user: &NewUser,
    password_hash: &PasswordHash,
    now: jiff::Timestamp,
) -> Result<UserId, Error> {
    grant
        .check_change(UserId::from_db(0), None, new_user.role(), true, 0)
        .map_err(Error::Rule)?;
    let mut transaction = store.begin().await?;
    let user_id = insert_in(
        &mut transaction,
        grant.institution_id(),
        new_user,
        password_hash,
        Actor::User(grant.principal().user_id()),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(user_id)
}

/// Inserts a user on an open transaction; used by setup and by [`insert`].
pub(crate) async fn insert_in(
    connection: &mut AnyConnection,
    institution_id: InstitutionId,
    new_user: &NewUser,
    password_hash: &PasswordHash,
    actor: Actor,
    now: jiff::Timestamp,
) -> Result<UserId, Error> {
    let user_id: i64 = sqlx::query_scalar(
        "INSERT INTO users (institution_id, login_id, display_name, role, password_hash, active, created_at, updated_at,
                            break_glass)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7) RETURNING id",
    )
    .bind(institution_id.get())
    .bind(new_user.login_id().as_str())
    .bind(new_user.display_name().as_str())
    .bind(new_user.role().code())
    .bind(password_hash.as_str())
    .bind(to_micros(now))
    .bind(i64::from(new_user.is_break_glass()))
    .fetch_one(&mut *connection)
    .await
    .map_err(Error::conflict_on("login_id"))?;
    let user_id = UserId::from_db(user_id);
    audit_log::append(
        connection,
        &NewAuditEvent {
            institution_id: Some(institution_id),
            actor,
            action: "user.create",
            target: format!("user:{user_id}"),
            detail: json!({ "after": {
                "login_id": new_user.login_id().as_str(),
                "display_name": new_user.display_name().as_str(),
                "role": new_user.role().code(),
                "active": true,
                "break_glass": new_user.is_break_glass(),
            }}),
        },
        now,
    )
    .await?;
    Ok(user_id)
}

/// The institution's users, active first, then by login ID.
pub async fn list<P: permissions::ReadsUsers>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<User>, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE institution_id = $1 ORDER BY active DESC, login_id"
    )))
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(user_from_row).collect()
}

/// One user of the grant's institution; another institution's user is [`Error::NotFound`].
pub async fn get<P: permissions::ReadsUsers>(
    store: &Store,
    grant: &Grant<P>,
    user_id: UserId,
) -> Result<User, Error> {
    let mut connection = store.pool().acquire().await?;
    get_in(&mut connection, grant.institution_id(), user_id).await
}

/// The signed-in person's own record.
pub async fn get_self(store: &Store, principal: &Principal) -> Result<User, Error> {
    let mut connection = store.pool().acquire().await?;
    get_in(
        &mut connection,
        principal.institution_id(),
        principal.user_id(),
    )
    .await
}

async fn get_in(
    connection: &mut AnyConnection,
    institution_id: InstitutionId,
    user_id: UserId,
) -> Result<User, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE institution_id = $1 AND id = $2"
    )))
    .bind(institution_id.get())
    .bind(user_id.get())
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)?;
    user_from_row(&row)
}

/// Changes a user's name, role or activation, enforcing the people rules; a
/// deactivated user's sessions end at once.
pub async fn update(
    store: &Store,
    grant: &Grant<permissions::ManageUsers>,
    user_id: UserId,
    change: &UserChange,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before = get_in(&mut transaction, grant.institution_id(), user_id).await?;
    let n_active_security_managers: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE institution_id = $1 AND role = $2 AND active = 1",
    )
    .bind(grant.institution_id().get())
    .bind(Role::SecurityManager.code())
    .fetch_one(&mut *transaction)
    .await?;
    // An inactive security manager does not count, so reactivating one is not "removing".
    let old_role = if before.active || before.role != Role::SecurityManager {
        Some(before.role)
    } else {
        None
    };
    grant
        .check_change(
            user_id,
            old_role,
            change.role,
            change.active,
            n_active_security_managers,
        )
        .map_err(Error::Rule)?;
    sqlx::query("UPDATE users SET display_name = $1, role = $2, active = $3, updated_at = $4 WHERE id = $5 AND institution_id = $6")
        .bind(change.display_name.as_str())
        .bind(change.role.code())
        .bind(i64::from(change.active))
        .bind(to_micros(now))
        .bind(user_id.get())
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    if !change.active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id.get())
            .execute(&mut *transaction)
            .await?;
    }
    audit_log::append(
        &mut transaction,
        &NewAuditEvent::by(grant, "user.update", format!("user:{user_id}"), json!({
                "before": { "display_name": before.display_name.as_str(), "role": before.role.code(), "active": before.active },
                "after": { "display_name": change.display_name.as_str(), "role": change.role.code(), "active": change.active },
            })),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Sets a new password hash for the signed-in person and ends their other sessions.
pub async fn change_own_password(
    store: &Store,
    grant: &Grant<permissions::ChangeOwnPassword>,
    password_hash: &PasswordHash,
    keep_session_hash: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let user_id = grant.principal().user_id();
    let mut transaction = store.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND institution_id = $4")
        .bind(password_hash.as_str())
        .bind(to_micros(now))
        .bind(user_id.get())
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id.get())
        .bind(keep_session_hash)
        .execute(&mut *transaction)
        .await?;
    audit_log::append(
        &mut transaction,
        &NewAuditEvent {
            institution_id: Some(grant.institution_id()),
            actor: Actor::User(user_id),
            action: "user.password_change",
            target: format!("user:{user_id}"),
            detail: json!({}),
        },
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// The credentials stored for a login ID, for sign-in; `None` when no such user
/// exists. Login IDs are unique per institution: `institution` names it by its
/// code, and without one the login ID is looked up only while the server holds
/// a single institution (a clinic's own server), so no ID is ever ambiguous.
pub async fn find_credentials(
    store: &Store,
    institution: Option<&InstitutionCode>,
    login_id: &LoginId,
) -> Result<Option<Credentials>, Error> {
    let row = match institution {
        Some(code) => {
            sqlx::query(
                "SELECT u.id, u.institution_id, u.role, u.password_hash, u.active
                 FROM users u JOIN institutions i ON i.id = u.institution_id
                 WHERE i.sign_in_code = $1 AND u.login_id = $2",
            )
            .bind(code.as_str())
            .bind(login_id.as_str())
            .fetch_optional(store.pool())
            .await?
        }
        None => {
            sqlx::query(
                "SELECT id, institution_id, role, password_hash, active FROM users
                 WHERE login_id = $1 AND (SELECT COUNT(*) FROM institutions) = 1",
            )
            .bind(login_id.as_str())
            .fetch_optional(store.pool())
            .await?
        }
    };
    row.as_ref().map(credentials_from_row).transpose()
}

/// The signed-in person's own credentials, to check the current password again
/// before a sensitive change.
pub async fn credentials_of(store: &Store, principal: &Principal) -> Result<Credentials, Error> {
    let row = sqlx::query(
        "SELECT id, institution_id, role, password_hash, active FROM users
         WHERE id = $1 AND institution_id = $2",
    )
    .bind(principal.user_id().get())
    .bind(principal.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    credentials_from_row(&row)
}

fn credentials_from_row(row: &sqlx::any::AnyRow) -> Result<Credentials, Error> {
    let role: String = row.try_get("role")?;
    Ok(Credentials {
        principal: Principal::new(
            UserId::from_db(row.try_get("id")?),
            InstitutionId::from_db(row.try_get("institution_id")?),
            Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?,
        ),
        password_hash: PasswordHash::from_stored(row.try_get("password_hash")?),
        active: row.try_get::<i64, _>("active")? == 1,
    })
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, Error> {
    let login_id: String = row.try_get("login_id")?;
    let display_name: String = row.try_get("display_name")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        id: UserId::from_db(row.try_get("id")?),
        login_id: LoginId::parse(&login_id).map_err(|_| Error::Corrupt("users.login_id"))?,
        display_name: DisplayName::parse(&display_name)
            .map_err(|_| Error::Corrupt("users.display_name"))?,
        role: Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?,
        active: row.try_get::<i64, _>("active")? == 1,
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until")?
            .map(from_micros),
        break_glass: row.try_get::<i64, _>("break_glass")? == 1,
        break_glass_spent: row.try_get::<i64, _>("break_glass_spent")? == 1,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// Records one attempt at `step` on an existing account and returns the verdict:
/// the lockout rules are applied, the count and lock stored, and the attempt (and a
/// new lock) written to the audit trail, all in one transaction. Concurrent attempts
/// on the same account are serialised by the first statement, a write.
/// A successful [`AuthStep::CurrentPassword`] writes no event: the change it
/// allows is audited itself.
pub async fn record_sign_in(
    store: &Store,
    principal: &Principal,
    step: AuthStep,
    matches: bool,
    policy: LockoutPolicy,
    source: &str,
    now: jiff::Timestamp,
) -> Result<SignInVerdict, Error> {
    let user_id = principal.user_id().get();
    let mut transaction = store.begin().await?;
    sqlx::query("UPDATE users SET failed_sign_ins = failed_sign_ins WHERE id = $1")
        .bind(user_id)
        .execute(&mut *transaction)
        .await?;
    let row = sqlx::query(
        "SELECT failed_sign_ins, locked_until, active, break_glass_spent FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *transaction)
    .await?;
    let before = LockState {
        failures: row.try_get("failed_sign_ins")?,
        locked_until: row
            .try_get::<Option<i64>, _>("locked_until")?
            .map(from_micros),
    };
    // A used break-glass account stays shut until its password is reset.
    let spent = row.try_get::<i64, _>("break_glass_spent")? == 1;
    let active = row.try_get::<i64, _>("active")? == 1 && !spent;
    let (verdict, after) = policy.judge(before, step, matches, active, now);
    if after != before {
        sqlx::query("UPDATE users SET failed_sign_ins = $1, locked_until = $2 WHERE id = $3")
            .bind(after.failures)
            .bind(after.locked_until.map(to_micros))
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
    }
    let (action, actor) = match (verdict, step) {
        (SignInVerdict::Success, AuthStep::CurrentPassword) => {
            transaction.commit().await?;
            return Ok(verdict);
        }
        (SignInVerdict::Success, AuthStep::SecondFactor) => {
            ("sign_in.second_factor", Actor::User(principal.user_id()))
        }
        (SignInVerdict::Success, _) => ("sign_in.success", Actor::User(principal.user_id())),
        // A signed-in person who gets their own password wrong is still known.
        (_, AuthStep::CurrentPassword) => ("reauth.failure", Actor::User(principal.user_id())),
        _ => ("sign_in.failure", Actor::Anonymous(source.to_owned())),
    };
    let reason = match verdict {
        SignInVerdict::Success => "ok",
        SignInVerdict::WrongPassword { .. } if step == AuthStep::SecondFactor => {
            "wrong_second_factor"
        }
        SignInVerdict::WrongPassword { .. } => "wrong_password",
        SignInVerdict::Locked => "locked",
        SignInVerdict::Inactive if spent => "break_glass_spent",
        SignInVerdict::Inactive => "inactive",
    };
    let target = format!("user:{}", principal.user_id());
    let event = NewAuditEvent {
        institution_id: Some(principal.institution_id()),
        actor,
        action,
        target: target.clone(),
        detail: json!({ "source": source, "step": step.code(), "reason": reason, "consecutive_failures": after.failures }),
    };
    audit_log::append(&mut transaction, &event, now).await?;
    if verdict == (SignInVerdict::WrongPassword { now_locked: true }) {
        let event = NewAuditEvent {
            institution_id: Some(principal.institution_id()),
            actor: Actor::Anonymous(source.to_owned()),
            action: "user.locked",
            target,
            detail: json!({ "locked_until": after.locked_until.map(|t| t.to_string()), "source": source }),
        };
        audit_log::append(&mut transaction, &event, now).await?;
    }
    transaction.commit().await?;
    Ok(verdict)
}

/// Lifts a lock (an administrator's 解除) and clears the failure count.
pub async fn unlock(
    store: &Store,
    grant: &Grant<permissions::ManageUsers>,
    user_id: UserId,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    guard_credentials_of(&mut transaction, grant.principal(), user_id).await?;
    let before = get_in(&mut transaction, grant.institution_id(), user_id).await?;
    sqlx::query("UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1 AND institution_id = $2")
        .bind(user_id.get())
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "user.unlock",
        format!("user:{user_id}"),
        json!({ "before": { "locked_until": before.locked_until.map(|t| t.to_string()) } }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Re-exported so callers can name the rule errors without importing the domain.
pub type RuleViolation = PeopleRuleViolation;

/// Only a 安全管理責任者 may act on another 安全管理責任者's credentials (reset a
/// password, lift a lock, remove two-factor): otherwise a 企画管理者 could take the
/// higher account over. Also confirms the target is in the principal's institution.
pub(crate) async fn guard_credentials_of(
    connection: &mut AnyConnection,
    principal: &Principal,
    target: UserId,
) -> Result<(), Error> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM users WHERE id = $1 AND institution_id = $2")
            .bind(target.get())
            .bind(principal.institution_id().get())
            .fetch_optional(&mut *connection)
            .await?;
    let role =
        Role::from_code(&role.ok_or(Error::NotFound)?).map_err(|_| Error::Corrupt("users.role"))?;
    let is_self = target == principal.user_id();
    if role == Role::SecurityManager
        && !is_self
        && !principal
            .role()
            .has(mamori_domain::institution::Permission::ManageSecurityManagers)
    {
        return Err(Error::Rule(
            PeopleRuleViolation::SecurityManagerRoleReserved,
        ));
    }
    Ok(())
}
