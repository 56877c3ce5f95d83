//! Vendors (ベンダ) and the 事業者確認用 form sent to each of them as a
//! single-purpose, expiring link. Only the SHA-256 of a link's token is
//! stored; a link opens exactly one request and nothing else.

use jiff::civil;
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{Answer, DatedAnswer, NewVendor};
use mamori_domain::institution::{Grant, InstitutionId, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A vendor with the state of its latest request.
#[derive(Debug, Clone)]
pub struct Vendor {
    /// Its id.
    pub id: i64,
    /// Its name (事業者名).
    pub name: String,
    /// Contact person, phone or e-mail, as the institution noted it.
    pub contact: String,
    /// The systems it supplies or maintains.
    pub systems: String,
    /// Its latest request, if one was issued.
    pub latest: Option<Request>,
}

/// One issued link.
#[derive(Debug, Clone)]
pub struct Request {
    /// Its id.
    pub id: i64,
    /// The 年度 it asks about.
    pub fiscal_year: i64,
    /// The 事業者確認用 version sent.
    pub catalog_version: String,
    /// When it was issued.
    pub issued_at: jiff::Timestamp,
    /// When it stops working.
    pub expires_at: jiff::Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<jiff::Timestamp>,
    /// When the vendor answered, if it did.
    pub answered_at: Option<jiff::Timestamp>,
    /// The vendor's 管理責任者, as the vendor named them.
    pub officer_name: Option<String>,
}

/// Where a vendor stands (未送付 / 回答待ち / 回答済み / 期限切れ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorStatus {
    /// 未送付: no link issued.
    NotSent,
    /// 回答待ち: a live link, not answered yet.
    Waiting,
    /// 回答済み.
    Answered,
    /// 期限切れ: the link expired or was revoked unanswered.
    Expired,
}

impl VendorStatus {
    /// Japanese label.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::NotSent => "未送付",
            Self::Waiting => "回答待ち",
            Self::Answered => "回答済み",
            Self::Expired => "期限切れ",
        }
    }

    /// English label.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::NotSent => "Not sent",
            Self::Waiting => "Waiting for the answer",
            Self::Answered => "Answered",
            Self::Expired => "Expired",
        }
    }
}

impl Vendor {
    /// The vendor's status at `now`.
    pub fn status(&self, now: jiff::Timestamp) -> VendorStatus {
        match &self.latest {
            None => VendorStatus::NotSent,
            Some(request) if request.answered_at.is_some() => VendorStatus::Answered,
            Some(request) if request.revoked_at.is_some() || request.expires_at <= now => {
                VendorStatus::Expired
            }
            Some(_) => VendorStatus::Waiting,
        }
    }
}

/// Adds a vendor. A name used twice is a [`Error::Conflict`] on `name`.
pub async fn add(
    store: &Store,
    grant: &Grant<permissions::ManageVendors>,
    vendor: &NewVendor,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let NewVendor {
        name,
        contact,
        systems,
    } = vendor;
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vendors (institution_id, name, contact, systems, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(name.as_str())
    .bind(contact.as_str())
    .bind(systems.as_str())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("name"))?;
    let event = NewAuditEvent::by(
        grant,
        "vendor.create",
        format!("vendor:{id}"),
        json!({ "after": { "name": name, "contact": contact, "systems": systems } }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

fn request_from_row(row: &sqlx::any::AnyRow, at: usize) -> Result<Request, Error> {
    Ok(Request {
        id: row.try_get(at)?,
        fiscal_year: row.try_get(at + 1)?,
        catalog_version: row.try_get(at + 2)?,
        issued_at: from_micros(row.try_get(at + 3)?),
        expires_at: from_micros(row.try_get(at + 4)?),
        revoked_at: row.try_get::<Option<i64>, _>(at + 5)?.map(from_micros),
        answered_at: row.try_get::<Option<i64>, _>(at + 6)?.map(from_micros),
        officer_name: row.try_get(at + 7)?,
    })
}

const REQUEST_COLUMNS: &str = "r.id, r.fiscal_year, r.catalog_version, r.issued_at, r.expires_at, r.revoked_at, r.answered_at, r.officer_name";

/// The institution's vendors by name, each with its latest request.
pub async fn list<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<Vendor>, Error> {
    let sql = format!(
        "SELECT v.id, v.name, v.contact, v.systems, {REQUEST_COLUMNS}
         FROM vendors v LEFT JOIN vendor_requests r ON r.id =
             (SELECT MAX(id) FROM vendor_requests WHERE vendor_id = v.id)
         WHERE v.institution_id = $1 ORDER BY v.name"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(grant.institution_id().get())
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let request_id: Option<i64> = row.try_get(4)?;
            Ok(Vendor {
                id: row.try_get(0)?,
                name: row.try_get(1)?,
                contact: row.try_get(2)?,
                systems: row.try_get(3)?,
                latest: request_id.map(|_| request_from_row(row, 4)).transpose()?,
            })
        })
        .collect()
}

/// Issues a new link for `vendor_id` (the caller keeps the token; only its
/// hash is stored). Any earlier live link of the vendor is revoked.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    store: &Store,
    grant: &Grant<permissions::ManageVendors>,
    vendor_id: i64,
    year: FiscalYear,
    catalog_version: &str,
    token_hash: &str,
    expires_at: jiff::Timestamp,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT id FROM vendors WHERE id = $1 AND institution_id = $2")
            .bind(vendor_id)
            .bind(grant.institution_id().get())
            .fetch_optional(&mut *transaction)
            .await?;
    owner.ok_or(Error::NotFound)?;
    sqlx::query(
        "UPDATE vendor_requests SET revoked_at = $1 WHERE vendor_id = $2 AND revoked_at IS NULL AND answered_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(vendor_id)
    .execute(&mut *transaction)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vendor_requests (institution_id, vendor_id, fiscal_year, catalog_version, token_hash, issued_by, issued_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(vendor_id)
    .bind(i64::from(year.start_year()))
    .bind(catalog_version)
    .bind(token_hash)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .bind(to_micros(expires_at))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "vendor.request.issue",
        format!("vendor:{vendor_id}/request:{id}"),
        json!({ "fiscal_year": year.start_year(), "catalog_version": catalog_version, "expires_at": expires_at.to_string() }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Revokes a live link at once.
pub async fn revoke(
    store: &Store,
    grant: &Grant<permissions::ManageVendors>,
    request_id: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE vendor_requests SET revoked_at = $1
         WHERE id = $2 AND institution_id = $3 AND revoked_at IS NULL AND answered_at IS NULL",
    )
    .bind(to_micros(now))
    .bind(request_id)
    .bind(grant.institution_id().get())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "vendor.request.revoke",
        format!("request:{request_id}"),
        json!({}),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// A request as its link opens it.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// The request.
    pub request: Request,
    /// The institution that sent it.
    pub institution_id: InstitutionId,
    /// Its name.
    pub institution_name: String,
    /// The vendor it was sent to.
    pub vendor_name: String,
}

/// The request whose token hashes to `token_hash`, if the link still works:
/// not revoked and not expired. (An answered request still opens, read-only.)
pub async fn open(
    store: &Store,
    token_hash: &str,
    now: jiff::Timestamp,
) -> Result<OpenRequest, Error> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS}, r.institution_id, i.name, v.name
         FROM vendor_requests r JOIN vendors v ON v.id = r.vendor_id JOIN institutions i ON i.id = r.institution_id
         WHERE r.token_hash = $1 AND r.revoked_at IS NULL AND r.expires_at > $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(to_micros(now))
        .fetch_optional(store.pool())
        .await?
        .ok_or(Error::NotFound)?;
    let institution_id: i64 = row.try_get(8)?;
    Ok(OpenRequest {
        request: request_from_row(&row, 0)?,
        institution_id: InstitutionId::from_db(institution_id),
        institution_name: row.try_get(9)?,
        vendor_name: row.try_get(10)?,
    })
}

/// A document (MDS/SDS) a vendor uploads.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// File name.
    pub name: String,
    /// Media type, checked.
    pub content_type: String,
    /// Bytes.
    pub content: Vec<u8>,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The vendor's answers: each item's answer, date and 備考, the 管理責任者 and
/// documents. Refused ([`Error::NotFound`]) unless the link is live and unanswered;
/// all or nothing.
pub async fn submit(
    store: &Store,
    token_hash: &str,
    officer_name: &str,
    answers: &[(String, DatedAnswer, String)],
    documents: &[NewDocument],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let row = sqlx::query(
        "SELECT r.id, r.institution_id, v.name FROM vendor_requests r JOIN vendors v ON v.id = r.vendor_id
         WHERE r.token_hash = $1 AND r.revoked_at IS NULL AND r.answered_at IS NULL AND r.expires_at > $2",
    )
    .bind(token_hash)
    .bind(to_micros(now))
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    let request_id: i64 = row.try_get(0)?;
    let institution_id: i64 = row.try_get(1)?;
    let vendor_name: String = row.try_get(2)?;
    // Files attached to an earlier, refused try count unless new ones came.
    let staged = if documents.is_empty() {
        staged_in(&mut transaction, request_id).await?
    } else {
        Vec::new()
    };
    let documents: Vec<&NewDocument> = documents.iter().chain(staged.iter()).collect();
    sqlx::query("DELETE FROM vendor_staged_documents WHERE request_id = $1")
        .bind(request_id)
        .execute(&mut *transaction)
        .await?;
    sqlx::query("UPDATE vendor_requests SET answered_at = $1, officer_name = $2 WHERE id = $3")
        .bind(to_micros(now))
        .bind(officer_name)
        .bind(request_id)
        .execute(&mut *transaction)
        .await?;
    for (key, answer, remarks) in answers {
        sqlx::query(
            "INSERT INTO vendor_answers (request_id, item_key, answer, answered_on, remarks) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(request_id)
        .bind(key.as_str())
        .bind(answer.answer.code())
        .bind(answer.date.to_string())
        .bind(remarks.as_str())
        .execute(&mut *transaction)
        .await?;
    }
    insert_documents(&mut transaction, Kept::Sent, request_id, &documents, now).await?;
    let event = NewAuditEvent {
        institution_id: Some(InstitutionId::from_db(institution_id)),
        actor: Actor::Anonymous(format!("vendor link {request_id} ({vendor_name})")),
        action: "vendor.request.answer",
        target: format!("request:{request_id}"),
        detail: json!({
            "officer": officer_name,
            "answers": answers.iter().map(|(key, a, remarks)| json!({ "item": key, "answer": a.answer.code(), "date": a.date.to_string(), "remarks": remarks })).collect::<Vec<_>>(),
            "documents": documents.iter().map(|d| json!({ "file": d.name, "sha256": d.sha256, "size": d.content.len() })).collect::<Vec<_>>(),
        }),
    };
    audit_log::commit_with(transaction, &event, now).await
}

/// Where a vendor's file is kept: sent with the answers, or kept from a
/// refused try until the next.
#[derive(Debug, Clone, Copy)]
enum Kept {
    Sent,
    Staged,
}

async fn insert_documents(
    connection: &mut sqlx::AnyConnection,
    kept: Kept,
    request_id: i64,
    documents: &[&NewDocument],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let sql = match kept {
        Kept::Sent => {
            "INSERT INTO vendor_documents (request_id, file_name, content_type, size_bytes, sha256, content, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        }
        Kept::Staged => {
            "INSERT INTO vendor_staged_documents (request_id, file_name, content_type, size_bytes, sha256, content, added_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        }
    };
    for document in documents {
        sqlx::query(sql)
            .bind(request_id)
            .bind(document.name.as_str())
            .bind(document.content_type.as_str())
            .bind(i64::try_from(document.content.len()).unwrap_or(i64::MAX))
            .bind(document.sha256.as_str())
            .bind(document.content.as_slice())
            .bind(to_micros(now))
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// The live, unanswered request a link's token opens.
async fn live_request(
    connection: &mut sqlx::AnyConnection,
    token_hash: &str,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    sqlx::query_scalar(
        "SELECT id FROM vendor_requests
         WHERE token_hash = $1 AND revoked_at IS NULL AND answered_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(to_micros(now))
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)
}

async fn staged_in(
    connection: &mut sqlx::AnyConnection,
    request_id: i64,
) -> Result<Vec<NewDocument>, Error> {
    let rows = sqlx::query(
        "SELECT file_name, content_type, sha256, content FROM vendor_staged_documents
         WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(&mut *connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(NewDocument {
                name: row.try_get("file_name")?,
                content_type: row.try_get("content_type")?,
                sha256: row.try_get("sha256")?,
                content: row.try_get("content")?,
            })
        })
        .collect()
}

/// Keeps the files a vendor attached to a form that was refused for another
/// field, for the same link, replacing any kept before; [`submit`] takes them
/// when the vendor sends the form again without attaching files.
pub async fn stage_documents(
    store: &Store,
    token_hash: &str,
    documents: &[NewDocument],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let request_id = live_request(&mut transaction, token_hash, now).await?;
    sqlx::query("DELETE FROM vendor_staged_documents WHERE request_id = $1")
        .bind(request_id)
        .execute(&mut *transaction)
        .await?;
    let documents: Vec<&NewDocument> = documents.iter().collect();
    insert_documents(&mut transaction, Kept::Staged, request_id, &documents, now).await?;
    transaction.commit().await?;
    Ok(())
}

/// Removes the files kept by [`stage_documents`] for links that can no longer
/// be sent (expired or revoked), so a vendor's refused try does not keep its
/// files in the database for ever; returns how many were removed. Staged files
/// were never part of the institution's records (sending the form makes them
/// `vendor_documents`), so this is housekeeping, like expired sessions.
pub async fn discard_stale_staged(store: &Store, now: jiff::Timestamp) -> Result<u64, Error> {
    let result = sqlx::query(
        "DELETE FROM vendor_staged_documents WHERE request_id IN (
             SELECT id FROM vendor_requests WHERE expires_at <= $1 OR revoked_at IS NOT NULL)",
    )
    .bind(to_micros(now))
    .execute(store.pool())
    .await?;
    Ok(result.rows_affected())
}

/// The names of the files kept for a link by [`stage_documents`].
pub async fn staged_document_names(
    store: &Store,
    token_hash: &str,
    now: jiff::Timestamp,
) -> Result<Vec<String>, Error> {
    let mut connection = store.pool().acquire().await?;
    let request_id = live_request(&mut connection, token_hash, now).await?;
    Ok(sqlx::query_scalar(
        "SELECT file_name FROM vendor_staged_documents WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(&mut *connection)
    .await?)
}

/// A vendor's answer to one item.
#[derive(Debug, Clone)]
pub struct VendorAnswer {
    /// The vendor.
    pub vendor_name: String,
    /// The request.
    pub request_id: i64,
    /// The item's topic key.
    pub item_key: String,
    /// The answer.
    pub answer: Answer,
    /// When the vendor checked.
    pub answered_on: civil::Date,
    /// 備考.
    pub remarks: String,
}

/// A document a vendor uploaded.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its id.
    pub id: i64,
    /// The request.
    pub request_id: i64,
    /// The vendor.
    pub vendor_name: String,
    /// File name.
    pub name: String,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Every answer of the latest answered request of each vendor for `year`.
pub async fn answers_for_year<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    year: FiscalYear,
) -> Result<(Vec<VendorAnswer>, Vec<Document>), Error> {
    let latest = "SELECT MAX(r2.id) FROM vendor_requests r2 WHERE r2.vendor_id = r.vendor_id
                  AND r2.fiscal_year = r.fiscal_year AND r2.answered_at IS NOT NULL";
    let sql = format!(
        "SELECT v.name, r.id, a.item_key, a.answer, a.answered_on, a.remarks
         FROM vendor_answers a JOIN vendor_requests r ON r.id = a.request_id JOIN vendors v ON v.id = r.vendor_id
         WHERE r.institution_id = $1 AND r.fiscal_year = $2 AND r.id = ({latest}) ORDER BY v.name, a.item_key"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(grant.institution_id().get())
        .bind(i64::from(year.start_year()))
        .fetch_all(store.pool())
        .await?;
    let answers = rows
        .iter()
        .map(|row| {
            let code: String = row.try_get(3)?;
            let date: String = row.try_get(4)?;
            Ok(VendorAnswer {
                vendor_name: row.try_get(0)?,
                request_id: row.try_get(1)?,
                item_key: row.try_get(2)?,
                answer: Answer::from_code(&code).ok_or(Error::Corrupt("vendor answer"))?,
                answered_on: date
                    .parse()
                    .map_err(|_| Error::Corrupt("vendor answer date"))?,
                remarks: row.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let sql = format!(
        "SELECT d.id, r.id, v.name, d.file_name, d.size_bytes, d.sha256
         FROM vendor_documents d JOIN vendor_requests r ON r.id = d.request_id JOIN vendors v ON v.id = r.vendor_id
         WHERE r.institution_id = $1 AND r.fiscal_year = $2 AND r.id = ({latest}) ORDER BY v.name, d.id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(grant.institution_id().get())
        .bind(i64::from(year.start_year()))
        .fetch_all(store.pool())
        .await?;
    let documents = rows
        .iter()
        .map(|row| {
            Ok(Document {
                id: row.try_get(0)?,
                request_id: row.try_get(1)?,
                vendor_name: row.try_get(2)?,
                name: row.try_get(3)?,
                size_bytes: row.try_get(4)?,
                sha256: row.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((answers, documents))
}

/// The bytes of a vendor document: (name, media type, content).
pub async fn document<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    document_id: i64,
) -> Result<(String, String, Vec<u8>), Error> {
    let row = sqlx::query(
        "SELECT d.file_name, d.content_type, d.content FROM vendor_documents d
         JOIN vendor_requests r ON r.id = d.request_id WHERE d.id = $1 AND r.institution_id = $2",
    )
    .bind(document_id)
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}
