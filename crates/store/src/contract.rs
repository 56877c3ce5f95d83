//! Vendor contracts (委託契約, 第9条): each with its dates and the items of
//! 【別紙1】 it contains, and the vendor's certificates (Pマーク, ISMS…), each
//! recorded with its audit event in one transaction.

use std::collections::BTreeSet;

use mamori_domain::contract::{CertificateKind, ContractId, NewCertificate, NewContract};
use mamori_domain::institution::{Grant, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A stored contract.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Its id.
    pub id: ContractId,
    /// The vendor it is with.
    pub vendor_id: i64,
    /// What it says.
    pub contract: NewContract,
}

/// A stored certificate.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The vendor it belongs to.
    pub vendor_id: i64,
    /// What it says.
    pub certificate: NewCertificate,
}

/// [`Error::NotFound`] unless `vendor_id` is one of the grant's institution's vendors.
async fn check_vendor(
    connection: &mut sqlx::AnyConnection,
    grant: &Grant<permissions::ManageVendors>,
    vendor_id: i64,
) -> Result<(), Error> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT id FROM vendors WHERE id = $1 AND institution_id = $2")
            .bind(vendor_id)
            .bind(grant.institution_id().get())
            .fetch_optional(&mut *connection)
            .await?;
    owner.map(|_| ()).ok_or(Error::NotFound)
}

/// Records a certificate of the grant's institution's vendor `vendor_id`.
pub async fn add_certificate(
    store: &Store,
    grant: &Grant<permissions::ManageVendors>,
    vendor_id: i64,
    certificate: &NewCertificate,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    check_vendor(&mut transaction, grant, vendor_id).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vendor_certificates (institution_id, vendor_id, kind, number, expires_on, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(vendor_id)
    .bind(certificate.kind.code())
    .bind(certificate.number.as_str())
    .bind(certificate.expires_on.to_string())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "vendor.certificate.add",
        format!("vendor:{vendor_id}"),
        json!({
            "certificate": id,
            "after": {
                "kind": certificate.kind.code(),
                "number": certificate.number,
                "expires_on": certificate.expires_on.to_string(),
            }
        }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// The institution's vendor certificates, latest expiry first; with
/// `vendor_id`, that vendor's only.
pub async fn certificates<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    vendor_id: Option<i64>,
) -> Result<Vec<Certificate>, Error> {
    let rows = sqlx::query(
        "SELECT vendor_id, kind, number, expires_on FROM vendor_certificates
         WHERE institution_id = $1 AND ($2 IS NULL OR vendor_id = $2)
         ORDER BY expires_on DESC, id DESC",
    )
    .bind(grant.institution_id().get())
    .bind(vendor_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let expires_on: String = row.try_get("expires_on")?;
            Ok(Certificate {
                vendor_id: row.try_get("vendor_id")?,
                certificate: NewCertificate {
                    kind: CertificateKind::from_code(&kind)
                        .map_err(|_| Error::Corrupt("vendor_certificates.kind"))?,
                    number: row.try_get("number")?,
                    expires_on: expires_on
                        .parse()
                        .map_err(|_| Error::Corrupt("vendor_certificates.expires_on"))?,
                },
            })
        })
        .collect()
}

/// Records a contract with the grant's institution's vendor `vendor_id`;
/// [`Error::NotFound`] when no such vendor is the institution's.
pub async fn add(
    store: &Store,
    grant: &Grant<permissions::ManageVendors>,
    vendor_id: i64,
    contract: &NewContract,
    now: jiff::Timestamp,
) -> Result<ContractId, Error> {
    let mut transaction = store.begin().await?;
    check_vendor(&mut transaction, grant, vendor_id).await?;
    let clauses: Vec<&str> = contract.clauses.iter().map(String::as_str).collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vendor_contracts (institution_id, vendor_id, title, signed_on, expires_on, note, clauses, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(vendor_id)
    .bind(contract.title.as_str())
    .bind(contract.signed_on.to_string())
    .bind(contract.expires_on.map(|date| date.to_string()))
    .bind(contract.note.as_str())
    .bind(clauses.join("\n"))
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "vendor.contract.add",
        format!("vendor:{vendor_id}"),
        json!({
            "contract": id,
            "after": {
                "title": contract.title,
                "signed_on": contract.signed_on.to_string(),
                "expires_on": contract.expires_on.map(|date| date.to_string()),
                "note": contract.note,
                "clauses": clauses,
            }
        }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(ContractId::from_db(id))
}

/// The institution's contracts, newest first; with `vendor_id`, that vendor's only.
pub async fn list<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
    vendor_id: Option<i64>,
) -> Result<Vec<Contract>, Error> {
    let rows = sqlx::query(
        "SELECT id, vendor_id, title, signed_on, expires_on, note, clauses FROM vendor_contracts
         WHERE institution_id = $1 AND ($2 IS NULL OR vendor_id = $2)
         ORDER BY signed_on DESC, id DESC",
    )
    .bind(grant.institution_id().get())
    .bind(vendor_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(contract_from_row).collect()
}

fn contract_from_row(row: &sqlx::any::AnyRow) -> Result<Contract, Error> {
    let date = |column: &'static str, text: &str| {
        text.parse::<jiff::civil::Date>()
            .map_err(|_| Error::Corrupt(column))
    };
    let signed_on: String = row.try_get("signed_on")?;
    let expires_on: Option<String> = row.try_get("expires_on")?;
    let clauses: String = row.try_get("clauses")?;
    Ok(Contract {
        id: ContractId::from_db(row.try_get("id")?),
        vendor_id: row.try_get("vendor_id")?,
        contract: NewContract {
            title: row.try_get("title")?,
            signed_on: date("vendor_contracts.signed_on", &signed_on)?,
            expires_on: expires_on
                .as_deref()
                .map(|text| date("vendor_contracts.expires_on", text))
                .transpose()?,
            note: row.try_get("note")?,
            clauses: clauses
                .lines()
                .filter(|key| !key.is_empty())
                .map(str::to_owned)
                .collect::<BTreeSet<_>>(),
        },
    })
}
