//! Checklist versions made in mamori (issue #16): the text of a catalog file
//! per version, an institution's own or — shared by the server's operator —
//! everyone's. Drafts are edited; published versions are in force and never
//! change. Every change is written with its audit event in one transaction.

use mamori_domain::checklist::{FormKind, VersionId};
use mamori_domain::institution::{Grant, InstitutionId, Principal, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::vendor::OpenRequest;
use crate::{Error, Store, from_micros, to_micros};

/// The one query of stored versions with their authors' names; `$where` adds
/// the condition (and order).
macro_rules! select_versions {
    ($where:literal) => {
        concat!(
            "SELECT v.id, v.institution_id, v.catalog_id, v.form, v.based_on, v.body, v.status,
                c.display_name AS created_by, v.created_at, v.updated_at,
                p.display_name AS published_by, v.published_at
             FROM checklist_versions v
             LEFT JOIN users c ON c.id = v.created_by
             LEFT JOIN users p ON p.id = v.published_by ",
            $where
        )
    };
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStatus {
    /// Being edited; not in force.
    Draft,
    /// In force for whoever sees it; no longer changes.
    Published,
}

impl VersionStatus {
    fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    fn from_code(code: &str) -> Result<Self, Error> {
        match code {
            "draft" => Ok(Self::Draft),
            "published" => Ok(Self::Published),
            _ => Err(Error::Corrupt("checklist_versions.status")),
        }
    }
}

/// A stored version.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    /// Its id.
    pub id: VersionId,
    /// Shared by the operator with every institution (not this institution's own).
    pub shared: bool,
    /// `R8-medical`.
    pub catalog_id: String,
    /// The form.
    pub form: FormKind,
    /// The catalog it was made from (`R7-medical`).
    pub based_on: String,
    /// The catalog file's text.
    pub body: String,
    /// Draft or published.
    pub status: VersionStatus,
    /// Who made it (none for the operator).
    pub created_by: Option<String>,
    /// When.
    pub created_at: jiff::Timestamp,
    /// Last change, used to refuse an edit based on an older text.
    pub updated_at: jiff::Timestamp,
    /// Who published it.
    pub published_by: Option<String>,
    /// When.
    pub published_at: Option<jiff::Timestamp>,
}

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<StoredVersion, Error> {
    let form: String = row.try_get("form")?;
    let status: String = row.try_get("status")?;
    let institution: Option<i64> = row.try_get("institution_id")?;
    Ok(StoredVersion {
        id: VersionId::from_db(row.try_get("id")?),
        shared: institution.is_none(),
        catalog_id: row.try_get("catalog_id")?,
        form: FormKind::from_code(&form).ok_or(Error::Corrupt("checklist_versions.form"))?,
        based_on: row.try_get("based_on")?,
        body: row.try_get("body")?,
        status: VersionStatus::from_code(&status)?,
        created_by: row.try_get("created_by")?,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
        published_by: row.try_get("published_by")?,
        published_at: row
            .try_get::<Option<i64>, _>("published_at")?
            .map(from_micros),
    })
}

async fn published_of(
    store: &Store,
    institution_id: InstitutionId,
) -> Result<Vec<StoredVersion>, Error> {
    let rows = sqlx::query(select_versions!(
        "WHERE v.status = 'published' AND (v.institution_id = $1 OR v.institution_id IS NULL)
         ORDER BY v.id"
    ))
    .bind(institution_id.get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(version_from_row).collect()
}

/// The published versions in force for the principal's institution: its own
/// and those the operator shared with everyone.
pub async fn in_force(store: &Store, principal: &Principal) -> Result<Vec<StoredVersion>, Error> {
    published_of(store, principal.institution_id()).await
}

/// The same for the institution that sent an opened vendor link.
pub async fn in_force_for_link(
    store: &Store,
    request: &OpenRequest,
) -> Result<Vec<StoredVersion>, Error> {
    published_of(store, request.institution_id).await
}

/// Every version the grant's institution sees: its own (drafts too) and the shared ones.
pub async fn list<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<StoredVersion>, Error> {
    let rows = sqlx::query(select_versions!(
        "WHERE v.institution_id = $1 OR (v.institution_id IS NULL AND v.status = 'published')
         ORDER BY v.fiscal_year DESC, v.id DESC"
    ))
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(version_from_row).collect()
}

/// One version the grant's institution sees; another institution's is [`Error::NotFound`].
pub async fn get<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    id: VersionId,
) -> Result<StoredVersion, Error> {
    let row = sqlx::query(
        select_versions!("WHERE v.id = $1 AND (v.institution_id = $2 OR (v.institution_id IS NULL AND v.status = 'published'))"),
    )
    .bind(id.get())
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    version_from_row(&row)
}

/// What a new draft holds: its catalog id, form, 年度, what it was made from and its text.
#[derive(Debug, Clone)]
pub struct NewDraft<'a> {
    /// `R8-medical`.
    pub catalog_id: &'a str,
    /// The form.
    pub form: FormKind,
    /// The first 年度 it applies to.
    pub fiscal_year: i16,
    /// The catalog it was made from.
    pub based_on: &'a str,
    /// The catalog file's text (already validated).
    pub body: &'a str,
}

/// Makes a draft version for the grant's institution. The same catalog id
/// twice is [`Error::Conflict`] on `fiscal_year`.
pub async fn create(
    store: &Store,
    grant: &Grant<permissions::EditChecklistVersions>,
    draft: &NewDraft<'_>,
    now: jiff::Timestamp,
) -> Result<VersionId, Error> {
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO checklist_versions (institution_id, catalog_id, form, fiscal_year, based_on, body, status,
             created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $8) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(draft.catalog_id)
    .bind(draft.form.code())
    .bind(i64::from(draft.fiscal_year))
    .bind(draft.based_on)
    .bind(draft.body)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("fiscal_year"))?;
    let event = NewAuditEvent::by(
        grant,
        "checklist_version.create",
        format!("checklist_version:{id}"),
        json!({ "catalog": draft.catalog_id, "based_on": draft.based_on }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(VersionId::from_db(id))
}

async fn own_draft(
    connection: &mut sqlx::AnyConnection,
    grant: &Grant<permissions::EditChecklistVersions>,
    id: VersionId,
) -> Result<(String, i64), Error> {
    let row = sqlx::query(
        "SELECT status, updated_at FROM checklist_versions WHERE id = $1 AND institution_id = $2",
    )
    .bind(id.get())
    .bind(grant.institution_id().get())
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)?;
    let status: String = row.try_get("status")?;
    if VersionStatus::from_code(&status)? != VersionStatus::Draft {
        return Err(Error::Conflict("status"));
    }
    Ok((status, row.try_get("updated_at")?))
}

/// Replaces a draft's text with `body` (already validated), recording `change`
/// (what was edited, before and after) in the audit trail. A published
/// version is [`Error::Conflict`] on `status`; a draft changed by someone else
/// since `seen` is [`Error::Conflict`] on `updated_at`.
pub async fn save_draft(
    store: &Store,
    grant: &Grant<permissions::EditChecklistVersions>,
    id: VersionId,
    seen: jiff::Timestamp,
    body: &str,
    change: serde_json::Value,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let (_, updated_at) = own_draft(&mut transaction, grant, id).await?;
    if updated_at != to_micros(seen) {
        return Err(Error::Conflict("updated_at"));
    }
    // Two saves in the same microsecond would not be told apart: step on.
    let stamp = to_micros(now).max(updated_at + 1);
    sqlx::query("UPDATE checklist_versions SET body = $1, updated_at = $2 WHERE id = $3 AND institution_id = $4")
        .bind(body)
        .bind(stamp)
        .bind(id.get())
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "checklist_version.edit",
        format!("checklist_version:{id}"),
        change,
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Publishes a draft: from now on it is in force for the institution and no
/// longer changes.
pub async fn publish(
    store: &Store,
    grant: &Grant<permissions::EditChecklistVersions>,
    id: VersionId,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    own_draft(&mut transaction, grant, id).await?;
    let catalog_id: String = sqlx::query_scalar(
        "UPDATE checklist_versions SET status = 'published', published_by = $1, published_at = $2, updated_at = $2
         WHERE id = $3 AND institution_id = $4 RETURNING catalog_id",
    )
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .bind(id.get())
    .bind(grant.institution_id().get())
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "checklist_version.publish",
        format!("checklist_version:{id}"),
        json!({ "catalog": catalog_id, "status": { "before": VersionStatus::Draft.code(), "after": VersionStatus::Published.code() } }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Discards a draft the institution no longer wants. Its text goes into the
/// audit trail with the event, so nothing typed is lost.
pub async fn discard_draft(
    store: &Store,
    grant: &Grant<permissions::EditChecklistVersions>,
    id: VersionId,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    own_draft(&mut transaction, grant, id).await?;
    let row = sqlx::query(
        "DELETE FROM checklist_versions WHERE id = $1 AND institution_id = $2 AND status = 'draft'
         RETURNING catalog_id, body",
    )
    .bind(id.get())
    .bind(grant.institution_id().get())
    .fetch_one(&mut *transaction)
    .await?;
    let catalog_id: String = row.try_get("catalog_id")?;
    let body: String = row.try_get("body")?;
    let event = NewAuditEvent::by(
        grant,
        "checklist_version.discard",
        format!("checklist_version:{id}"),
        json!({ "catalog": catalog_id, "before": body, "after": null }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Hosted mode, the operator's command line: shares the version `catalog_id`
/// that `institution_id` published with every institution on the server.
/// [`Error::NotFound`] when the institution has no such published version,
/// [`Error::Conflict`] on `catalog_id` when one is shared already.
pub async fn share_by_operator(
    store: &Store,
    institution_id: InstitutionId,
    catalog_id: &str,
    now: jiff::Timestamp,
) -> Result<VersionId, Error> {
    let mut transaction = store.begin().await?;
    let row = sqlx::query(
        "SELECT form, fiscal_year, based_on, body FROM checklist_versions
         WHERE institution_id = $1 AND catalog_id = $2 AND status = 'published'",
    )
    .bind(institution_id.get())
    .bind(catalog_id)
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    let form: String = row.try_get("form")?;
    let fiscal_year: i64 = row.try_get("fiscal_year")?;
    let based_on: String = row.try_get("based_on")?;
    let body: String = row.try_get("body")?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO checklist_versions (institution_id, catalog_id, form, fiscal_year, based_on, body, status,
             created_by, created_at, updated_at, published_at)
         VALUES (NULL, $1, $2, $3, $4, $5, 'published', NULL, $6, $6, $6) RETURNING id",
    )
    .bind(catalog_id)
    .bind(form.as_str())
    .bind(fiscal_year)
    .bind(based_on.as_str())
    .bind(body.as_str())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("catalog_id"))?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent {
            institution_id: None,
            actor: Actor::Operator,
            action: "checklist_version.share",
            target: format!("checklist_version:{id}"),
            detail: json!({ "catalog": catalog_id, "from_institution": institution_id.get() }),
        },
        now,
    )
    .await?;
    Ok(VersionId::from_db(id))
}
