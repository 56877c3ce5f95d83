//! Institutions (tenants): first-run setup, operator creation, reading and editing.

use mamori_domain::institution::{
    Grant, InstitutionCode, InstitutionId, InstitutionKind, NewInstitution, NewUser, PasswordHash,
    PhoneNumber, Prefecture, UserId, permissions,
};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A stored institution.
#[derive(Debug, Clone)]
pub struct Institution {
    /// Its id.
    pub id: InstitutionId,
    /// Its sign-in code (施設コード), unique on the server.
    pub code: InstitutionCode,
    /// Its details.
    pub details: NewInstitution,
    /// When it was created.
    pub created_at: jiff::Timestamp,
    /// When it was last changed.
    pub updated_at: jiff::Timestamp,
}

/// Whether first-run setup has happened (an institution exists or was set up).
pub async fn is_set_up(store: &Store) -> Result<bool, Error> {
    let n_markers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM setup_marker")
        .fetch_one(store.pool())
        .await?;
    Ok(n_markers > 0)
}

/// First-run setup: creates the first institution and its 安全管理責任者, once.
/// A second call, even a concurrent one, fails with [`Error::AlreadySetUp`].
/// Without a `code` the institution gets [`InstitutionCode::for_id`].
pub async fn set_up_first(
    store: &Store,
    institution: &NewInstitution,
    code: Option<&InstitutionCode>,
    admin: &NewUser,
    password_hash: &PasswordHash,
    now: jiff::Timestamp,
) -> Result<(InstitutionId, UserId), Error> {
    let mut transaction = store.begin().await?;
    sqlx::query("INSERT INTO setup_marker (id, completed_at) VALUES (1, $1)")
        .bind(to_micros(now))
        .execute(&mut *transaction)
        .await
        .map_err(|error| match Error::conflict_on("setup")(error) {
            Error::Conflict(_) => Error::AlreadySetUp,
            other => other,
        })?;
    let ids = insert_with_admin(
        &mut transaction,
        institution,
        code,
        admin,
        password_hash,
        Actor::Anonymous("setup".into()),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(ids)
}

/// Hosted mode: the operator creates another institution with its first
/// 安全管理責任者. This also closes first-run setup. Without a `code` the
/// institution gets [`InstitutionCode::for_id`]; a code already taken is a
/// [`Error::Conflict`] on `institution_code`.
pub async fn create_by_operator(
    store: &Store,
    institution: &NewInstitution,
    code: Option<&InstitutionCode>,
    admin: &NewUser,
    password_hash: &PasswordHash,
    now: jiff::Timestamp,
) -> Result<(InstitutionId, UserId), Error> {
    let mut transaction = store.begin().await?;
    sqlx::query(
        "INSERT INTO setup_marker (id, completed_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let ids = insert_with_admin(
        &mut transaction,
        institution,
        code,
        admin,
        password_hash,
        Actor::Operator,
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(ids)
}

#[allow(clippy::too_many_arguments)]
async fn insert_with_admin(
    connection: &mut AnyConnection,
    institution: &NewInstitution,
    code: Option<&InstitutionCode>,
    admin: &NewUser,
    password_hash: &PasswordHash,
    actor: Actor,
    now: jiff::Timestamp,
) -> Result<(InstitutionId, UserId), Error> {
    // Without a code the row is inserted with an empty one and given its
    // id-derived code before the transaction ends (a concurrent creation waits
    // on the unique index meanwhile).
    let institution_id: i64 = sqlx::query_scalar(
        "INSERT INTO institutions (name, kind, bed_count, prefecture, address, phone, created_at, updated_at, sign_in_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
    )
    .bind(institution.name())
    .bind(institution.kind().code())
    .bind(institution.bed_count())
    .bind(institution.prefecture().name())
    .bind(institution.address())
    .bind(institution.phone().as_str())
    .bind(to_micros(now))
    .bind(code.map_or("", InstitutionCode::as_str))
    .fetch_one(&mut *connection)
    .await
    .map_err(Error::conflict_on("institution_code"))?;
    let institution_id = InstitutionId::from_db(institution_id);
    let code = match code {
        Some(code) => code.clone(),
        None => {
            let code = InstitutionCode::for_id(institution_id);
            sqlx::query("UPDATE institutions SET sign_in_code = $1 WHERE id = $2")
                .bind(code.as_str())
                .bind(institution_id.get())
                .execute(&mut *connection)
                .await
                .map_err(Error::conflict_on("institution_code"))?;
            code
        }
    };
    audit_log::append(
        connection,
        &NewAuditEvent {
            institution_id: Some(institution_id),
            actor: actor.clone(),
            action: "institution.create",
            target: format!("institution:{institution_id}"),
            detail: json!({ "after": institution_json(institution), "code": code.as_str() }),
        },
        now,
    )
    .await?;
    let user_id =
        crate::people::insert_in(connection, institution_id, admin, password_hash, actor, now)
            .await?;
    Ok((institution_id, user_id))
}

/// The signed-in person's institution.
pub async fn get<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Institution, Error> {
    let mut connection = store.pool().acquire().await?;
    get_in(&mut connection, grant.institution_id()).await
}

async fn get_in(
    connection: &mut AnyConnection,
    institution_id: InstitutionId,
) -> Result<Institution, Error> {
    let row = sqlx::query(
        "SELECT id, sign_in_code, name, kind, bed_count, prefecture, address, phone, created_at, updated_at
         FROM institutions WHERE id = $1",
    )
    .bind(institution_id.get())
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)?;
    institution_from_row(&row)
}

/// Changes the institution's details, recording before and after.
pub async fn update(
    store: &Store,
    grant: &Grant<permissions::EditInstitution>,
    details: &NewInstitution,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before = get_in(&mut transaction, grant.institution_id()).await?;
    sqlx::query(
        "UPDATE institutions SET name = $1, kind = $2, bed_count = $3, prefecture = $4, address = $5,
         phone = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(details.name())
    .bind(details.kind().code())
    .bind(details.bed_count())
    .bind(details.prefecture().name())
    .bind(details.address())
    .bind(details.phone().as_str())
    .bind(to_micros(now))
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    audit_log::append(
        &mut transaction,
        &NewAuditEvent::by(grant, "institution.update", format!("institution:{}", grant.institution_id()), json!({ "before": institution_json(&before.details), "after": institution_json(details) })),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Hosted mode: the operator changes an institution's sign-in code, recording
/// before and after. [`Error::NotFound`] for no such institution,
/// [`Error::Conflict`] on `institution_code` when another one has the code.
pub async fn set_code_by_operator(
    store: &Store,
    institution_id: InstitutionId,
    code: &InstitutionCode,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before: String = sqlx::query_scalar("SELECT sign_in_code FROM institutions WHERE id = $1")
        .bind(institution_id.get())
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(Error::NotFound)?;
    sqlx::query("UPDATE institutions SET sign_in_code = $1, updated_at = $2 WHERE id = $3")
        .bind(code.as_str())
        .bind(to_micros(now))
        .bind(institution_id.get())
        .execute(&mut *transaction)
        .await
        .map_err(Error::conflict_on("institution_code"))?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent {
            institution_id: Some(institution_id),
            actor: Actor::Operator,
            action: "institution.code_change",
            target: format!("institution:{institution_id}"),
            detail: json!({ "before": before, "after": code.as_str() }),
        },
        now,
    )
    .await
}

/// Whether the server holds more than one institution, so that sign-in must
/// name the institution by its code (hosted mode).
pub async fn sign_in_needs_code(store: &Store) -> Result<bool, Error> {
    let n_institutions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM institutions")
        .fetch_one(store.pool())
        .await?;
    Ok(n_institutions > 1)
}

/// Every institution on the server, for the operator's command line.
pub async fn list_all_for_operator(store: &Store) -> Result<Vec<Institution>, Error> {
    let rows = sqlx::query(
        "SELECT id, sign_in_code, name, kind, bed_count, prefecture, address, phone, created_at, updated_at
         FROM institutions ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(institution_from_row).collect()
}

fn institution_from_row(row: &sqlx::any::AnyRow) -> Result<Institution, Error> {
    let kind: String = row.try_get("kind")?;
    let prefecture: String = row.try_get("prefecture")?;
    let phone: String = row.try_get("phone")?;
    let code: String = row.try_get("sign_in_code")?;
    let details = NewInstitution::from_stored(
        row.try_get("name")?,
        InstitutionKind::from_code(&kind).map_err(|_| Error::Corrupt("institutions.kind"))?,
        row.try_get("bed_count")?,
        Prefecture::parse(&prefecture).map_err(|_| Error::Corrupt("institutions.prefecture"))?,
        row.try_get("address")?,
        PhoneNumber::parse(&phone).map_err(|_| Error::Corrupt("institutions.phone"))?,
    );
    Ok(Institution {
        id: InstitutionId::from_db(row.try_get("id")?),
        code: InstitutionCode::parse(&code)
            .map_err(|_| Error::Corrupt("institutions.sign_in_code"))?,
        details,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

fn institution_json(details: &NewInstitution) -> serde_json::Value {
    json!({
        "name": details.name(),
        "kind": details.kind().code(),
        "bed_count": details.bed_count(),
        "prefecture": details.prefecture().name(),
        "address": details.address(),
        "phone": details.phone().as_str(),
    })
}

/// How many active users the grant's institution has.
pub async fn count_active_users<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<i64, Error> {
    let n_users: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE institution_id = $1 AND active = 1")
            .bind(grant.institution_id().get())
            .fetch_one(store.pool())
            .await?;
    Ok(n_users)
}

/// The password rule for an account of the grant's institution: `user_id` is the
/// account's owner, or `None` for an account being created (no two-factor yet).
pub async fn password_policy<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
    user_id: Option<UserId>,
) -> Result<mamori_domain::institution::PasswordPolicy, Error> {
    let reason: Option<String> =
        sqlx::query_scalar("SELECT password_relaxation_reason FROM institutions WHERE id = $1")
            .bind(grant.institution_id().get())
            .fetch_one(store.pool())
            .await?;
    let has_two_factor = match user_id {
        Some(user_id) => {
            let secret: Option<Option<String>> = sqlx::query_scalar(
                "SELECT totp_secret FROM users WHERE id = $1 AND institution_id = $2",
            )
            .bind(user_id.get())
            .bind(grant.institution_id().get())
            .fetch_optional(store.pool())
            .await?;
            secret.flatten().is_some()
        }
        None => false,
    };
    Ok(mamori_domain::institution::PasswordPolicy::for_account(
        reason.is_some(),
        has_two_factor,
    ))
}

/// The recorded reason for accepting 10-character passwords, if the rule is relaxed.
pub async fn password_relaxation<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<String>, Error> {
    let reason: Option<String> =
        sqlx::query_scalar("SELECT password_relaxation_reason FROM institutions WHERE id = $1")
            .bind(grant.institution_id().get())
            .fetch_one(store.pool())
            .await?;
    Ok(reason)
}

/// Relaxes the password rule to 10 characters with a reason, or restores 13 (`None`).
pub async fn set_password_relaxation(
    store: &Store,
    grant: &Grant<permissions::EditInstitution>,
    relaxation: Option<&mamori_domain::institution::PasswordRelaxation>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before: Option<String> =
        sqlx::query_scalar("SELECT password_relaxation_reason FROM institutions WHERE id = $1")
            .bind(grant.institution_id().get())
            .fetch_one(&mut *transaction)
            .await?;
    let after = relaxation.map(|relaxation| relaxation.reason().to_owned());
    sqlx::query("UPDATE institutions SET password_relaxation_reason = $1 WHERE id = $2")
        .bind(after.as_deref())
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    audit_log::append(
        &mut transaction,
        &NewAuditEvent::by(grant, "institution.password_rule", format!("institution:{}", grant.institution_id()), json!({
                "before": { "min_length": if before.is_some() { 10 } else { 13 }, "reason": before },
                "after": { "min_length": if after.is_some() { 10 } else { 13 }, "reason": after },
            })),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}
