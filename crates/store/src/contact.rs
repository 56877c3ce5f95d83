//! The contact chart's lines (連絡体制図, issue #12): what the institution
//! writes on each — a person's own number, a vendor's phone and hours, an
//! outside body's desk — and when it was last confirmed. The chart itself is
//! assembled by the caller from the people, the vendors and these lines.

use jiff::civil::Date;
use mamori_domain::incident::contact::{ContactDetails, ContactKey};
use mamori_domain::institution::{Grant, Role, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContact {
    pub key: ContactKey,
    pub details: ContactDetails,
    pub confirmed_on: Option<Date>,
    /// Who confirmed it last.
    pub confirmed_by: Option<String>,
}

/// Every line the institution has written. Every member of the institution
/// reads the chart (it hangs by the phone); a vendor's account does not.
pub async fn all(
    store: &Store,
    grant: &Grant<permissions::ViewContacts>,
) -> Result<Vec<StoredContact>, Error> {
    let rows = sqlx::query(
        "SELECT c.entry_key, c.phone, c.email, c.hours, c.page, c.note, c.confirmed_on,
            u.display_name AS confirmed_by
         FROM contact_entries c LEFT JOIN users u ON u.id = c.confirmed_by
         WHERE c.institution_id = $1 ORDER BY c.id",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let key: String = row.try_get("entry_key")?;
            let confirmed_on: Option<String> = row.try_get("confirmed_on")?;
            Ok(StoredContact {
                key: ContactKey::parse(&key)
                    .map_err(|_| Error::Corrupt("contact_entries.entry_key"))?,
                details: ContactDetails {
                    phone: row.try_get("phone")?,
                    email: row.try_get("email")?,
                    hours: row.try_get("hours")?,
                    page: row.try_get("page")?,
                    note: row.try_get("note")?,
                },
                confirmed_on: confirmed_on
                    .map(|day| day.parse())
                    .transpose()
                    .map_err(|_| Error::Corrupt("contact_entries.confirmed_on"))?,
                confirmed_by: row.try_get("confirmed_by")?,
            })
        })
        .collect()
}

/// How a line is written.
#[derive(Debug, Clone)]
pub enum Write<'a> {
    /// New details; `confirmed` also marks the line confirmed on that day.
    Details {
        details: &'a ContactDetails,
        confirmed: Option<Date>,
    },
    /// Only confirmed as it stands, on that day.
    Confirm(Date),
}

/// Writes the line `key` (one of the institution's people or vendors, or an
/// outside body; [`Error::NotFound`] otherwise) with its audit event.
pub async fn save(
    store: &Store,
    grant: &Grant<permissions::HandleIncidents>,
    key: ContactKey,
    write: Write<'_>,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let mut transaction = store.begin().await?;
    let belongs: Option<i64> = match key {
        ContactKey::User(id) => {
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND institution_id = $2")
                .bind(id)
                .bind(institution_id)
                .fetch_optional(&mut *transaction)
                .await?
        }
        ContactKey::Vendor(id) => {
            sqlx::query_scalar("SELECT id FROM vendors WHERE id = $1 AND institution_id = $2")
                .bind(id)
                .bind(institution_id)
                .fetch_optional(&mut *transaction)
                .await?
        }
        ContactKey::Authority(_) => Some(0),
    };
    if belongs.is_none() {
        return Err(Error::NotFound);
    }
    let before = line_json(&mut transaction, institution_id, &key.code()).await?;
    match write {
        Write::Details { details, confirmed } => {
            sqlx::query(
                "INSERT INTO contact_entries (institution_id, entry_key, phone, email, hours, page,
                    note, confirmed_on, confirmed_by, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (institution_id, entry_key) DO UPDATE SET phone = $3, email = $4,
                    hours = $5, page = $6, note = $7,
                    confirmed_on = COALESCE($8, contact_entries.confirmed_on),
                    confirmed_by = CASE WHEN $8 IS NULL THEN contact_entries.confirmed_by ELSE $9 END,
                    updated_by = $10, updated_at = $11",
            )
            .bind(institution_id)
            .bind(key.code())
            .bind(details.phone.as_str())
            .bind(details.email.as_str())
            .bind(details.hours.as_str())
            .bind(details.page.as_str())
            .bind(details.note.as_str())
            .bind(confirmed.map(|day| day.to_string()))
            .bind(confirmed.map(|_| user_id))
            .bind(user_id)
            .bind(to_micros(now))
            .execute(&mut *transaction)
            .await?;
        }
        Write::Confirm(day) => {
            sqlx::query(
                "INSERT INTO contact_entries (institution_id, entry_key, confirmed_on, confirmed_by,
                    updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $4, $5)
                 ON CONFLICT (institution_id, entry_key) DO UPDATE SET confirmed_on = $3,
                    confirmed_by = $4, updated_by = $4, updated_at = $5",
            )
            .bind(institution_id)
            .bind(key.code())
            .bind(day.to_string())
            .bind(user_id)
            .bind(to_micros(now))
            .execute(&mut *transaction)
            .await?;
        }
    }
    let after = line_json(&mut transaction, institution_id, &key.code()).await?;
    let event = NewAuditEvent::by(
        grant,
        "contact.save",
        format!("contact:{}", key.code()),
        json!({ "before": before, "after": after }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// A person's own number (and e-mail, hours), written by that person.
pub async fn save_own(
    store: &Store,
    grant: &Grant<permissions::ViewContacts>,
    details: &ContactDetails,
    today: Date,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let user_id = grant.principal().user_id().get();
    let key = ContactKey::User(user_id).code();
    let mut transaction = store.begin().await?;
    let before = line_json(&mut transaction, institution_id, &key).await?;
    // Writing one's own number confirms it.
    sqlx::query(
        "INSERT INTO contact_entries (institution_id, entry_key, phone, email, hours, note,
            confirmed_on, confirmed_by, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
         ON CONFLICT (institution_id, entry_key) DO UPDATE SET phone = $3, email = $4, hours = $5,
            note = $6, confirmed_on = $7, confirmed_by = $8, updated_by = $8, updated_at = $9",
    )
    .bind(institution_id)
    .bind(key.as_str())
    .bind(details.phone.as_str())
    .bind(details.email.as_str())
    .bind(details.hours.as_str())
    .bind(details.note.as_str())
    .bind(today.to_string())
    .bind(user_id)
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let after = line_json(&mut transaction, institution_id, &key).await?;
    let event = NewAuditEvent::by(
        grant,
        "contact.save_own",
        format!("contact:{key}"),
        json!({ "before": before, "after": after }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

async fn line_json(
    connection: &mut sqlx::AnyConnection,
    institution_id: i64,
    key: &str,
) -> Result<serde_json::Value, Error> {
    let row = sqlx::query(
        "SELECT phone, email, hours, page, note, confirmed_on FROM contact_entries
         WHERE institution_id = $1 AND entry_key = $2",
    )
    .bind(institution_id)
    .bind(key)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else {
        return Ok(serde_json::Value::Null);
    };
    Ok(json!({
        "電話": row.try_get::<String, _>("phone")?,
        "メール": row.try_get::<String, _>("email")?,
        "対応時間": row.try_get::<String, _>("hours")?,
        "ページ": row.try_get::<String, _>("page")?,
        "メモ": row.try_get::<String, _>("note")?,
        "確認日": row.try_get::<Option<String>, _>("confirmed_on")?,
    }))
}

/// A person on the chart's own chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPerson {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
}

/// The active people holding the roles of the chain (安全管理責任者,
/// 企画管理者, システム運用担当者), by role then name; break-glass accounts
/// are not people.
pub async fn chain(
    store: &Store,
    grant: &Grant<permissions::ViewContacts>,
) -> Result<Vec<ChainPerson>, Error> {
    let rows = sqlx::query(
        "SELECT id, display_name, role FROM users
         WHERE institution_id = $1 AND active = 1 AND break_glass = 0
           AND role IN ('security_manager', 'planning_manager', 'system_operator')
         ORDER BY id",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    let mut people = rows
        .iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(ChainPerson {
                user_id: row.try_get("id")?,
                name: row.try_get("display_name")?,
                role: Role::from_code(&role).map_err(|_| Error::Corrupt("users.role"))?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    people.sort_by_key(|p| Role::ALL.iter().position(|r| *r == p.role));
    Ok(people)
}

/// A vendor on the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartVendor {
    pub id: i64,
    pub name: String,
    /// What it maintains.
    pub systems: String,
    /// The contact written when the vendor was registered.
    pub contact: String,
}

/// The institution's vendors, by name.
pub async fn vendors(
    store: &Store,
    grant: &Grant<permissions::ViewContacts>,
) -> Result<Vec<ChartVendor>, Error> {
    let rows = sqlx::query(
        "SELECT id, name, systems, contact FROM vendors WHERE institution_id = $1 ORDER BY name, id",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ChartVendor {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                systems: row.try_get("systems")?,
                contact: row.try_get("contact")?,
            })
        })
        .collect()
}
