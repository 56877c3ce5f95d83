//! The Tokushima Lv1–3 self-assessment of the 企画管理者 (参考2): one level
//! per item per 年度, with history across the years.

use mamori_domain::calendar::FiscalYear;
use mamori_domain::institution::{Grant, permissions};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// One recorded level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// The 年度.
    pub fiscal_year: i64,
    /// The item (1–20).
    pub item: i64,
    /// 1, 2 or 3.
    pub level: i64,
    /// 対策メモ.
    pub note: String,
}

/// Every level recorded by the institution, by year then item.
pub async fn levels<P: permissions::ReadsChecklist>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<Level>, Error> {
    let rows = sqlx::query(
        "SELECT fiscal_year, item_number, level, note FROM tokushima_levels WHERE institution_id = $1
         ORDER BY fiscal_year, item_number",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Level {
                fiscal_year: row.try_get(0)?,
                item: row.try_get(1)?,
                level: row.try_get(2)?,
                note: row.try_get(3)?,
            })
        })
        .collect()
}

/// Replaces the levels of `year` with `entries` ((item, level or none, note)),
/// in one transaction with the values before and after in the audit trail.
pub async fn save(
    store: &Store,
    grant: &Grant<permissions::EditChecklist>,
    year: FiscalYear,
    entries: &[(u8, Option<u8>, String)],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let fiscal_year = i64::from(year.start_year());
    let mut transaction = store.begin().await?;
    let before = sqlx::query(
        "SELECT item_number, level, note FROM tokushima_levels WHERE institution_id = $1 AND fiscal_year = $2 ORDER BY item_number",
    )
    .bind(institution_id)
    .bind(fiscal_year)
    .fetch_all(&mut *transaction)
    .await?
    .iter()
    .map(|row| Ok::<_, sqlx::Error>(json!({ "item": row.try_get::<i64, _>(0)?, "level": row.try_get::<i64, _>(1)?, "note": row.try_get::<String, _>(2)? })))
    .collect::<Result<Vec<_>, _>>()?;
    sqlx::query("DELETE FROM tokushima_levels WHERE institution_id = $1 AND fiscal_year = $2")
        .bind(institution_id)
        .bind(fiscal_year)
        .execute(&mut *transaction)
        .await?;
    let mut after = Vec::new();
    for (item, level, note) in entries {
        let Some(level) = level else { continue };
        sqlx::query(
            "INSERT INTO tokushima_levels (institution_id, fiscal_year, item_number, level, note, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(institution_id)
        .bind(fiscal_year)
        .bind(i64::from(*item))
        .bind(i64::from(*level))
        .bind(note.as_str())
        .bind(grant.principal().user_id().get())
        .bind(to_micros(now))
        .execute(&mut *transaction)
        .await?;
        after.push(json!({ "item": item, "level": level, "note": note }));
    }
    let event = NewAuditEvent::by(
        grant,
        "tokushima.save",
        format!("tokushima:{fiscal_year}"),
        json!({ "before": before, "after": after }),
    );
    audit_log::commit_with(transaction, &event, now).await
}
