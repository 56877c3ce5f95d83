//! The network diagram's segments and links, and its yearly review. Devices
//! are placed by their own ネットワークセグメント field (see `device`).

use jiff::civil;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{NewLink, NewSegment, SegmentKind};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store};

/// Every segment with its id, by name.
pub async fn segments<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<(i64, NewSegment)>, Error> {
    let rows = sqlx::query(
        "SELECT id, name, kind, note FROM network_segments WHERE institution_id = $1 ORDER BY name",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                NewSegment {
                    name: row.try_get(1)?,
                    kind: SegmentKind::parse("kind", &row.try_get::<String, _>(2)?)
                        .map_err(|_| Error::Corrupt("segment kind"))?,
                    note: row.try_get(3)?,
                },
            ))
        })
        .collect()
}

/// Adds a segment; its name must be new (`Conflict("segment_name")`).
pub async fn add_segment(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    segment: &NewSegment,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO network_segments (institution_id, name, kind, note) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(segment.name.as_str())
    .bind(segment.kind.code())
    .bind(segment.note.as_str())
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("segment_name"))?;
    let event = NewAuditEvent::by(
        grant,
        "network.segment",
        format!("network_segment:{id}"),
        json!({ "after": { "名称": segment.name, "種類": segment.kind.name_ja(), "備考": segment.note } }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Every link.
pub async fn links<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<(i64, NewLink)>, Error> {
    let rows = sqlx::query(
        "SELECT id, from_segment, to_segment, via FROM network_links WHERE institution_id = $1 ORDER BY id",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                NewLink {
                    from: row.try_get(1)?,
                    to: row.try_get(2)?,
                    via: row.try_get(3)?,
                },
            ))
        })
        .collect()
}

/// Adds a link between two segments of this institution (`NotFound` if either
/// is not, `Conflict("to")` if they are the same).
pub async fn add_link(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    link: &NewLink,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    if link.from == link.to {
        return Err(Error::Conflict("to"));
    }
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM network_segments WHERE institution_id = $1 AND id IN ($2, $3)",
    )
    .bind(institution_id)
    .bind(link.from)
    .bind(link.to)
    .fetch_one(&mut *transaction)
    .await?;
    if found != 2 {
        return Err(Error::NotFound);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO network_links (institution_id, from_segment, to_segment, via) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(institution_id)
    .bind(link.from)
    .bind(link.to)
    .bind(link.via.as_deref())
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "network.link",
        format!("network_link:{id}"),
        json!({ "after": { "from": link.from, "to": link.to, "経由": link.via } }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Records the diagram's review (見直し) on `reviewed_on`.
pub async fn record_review(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    reviewed_on: civil::Date,
    note: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    crate::review::record(
        store,
        grant,
        "network",
        "network.review",
        reviewed_on,
        note,
        json!({}),
        now,
    )
    .await
}

/// The latest review of the diagram: day and who.
pub async fn last_review<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<(civil::Date, String)>, Error> {
    Ok(crate::review::last(store, grant, "network")
        .await?
        .map(|review| (review.reviewed_on, review.reviewed_by)))
}

/// Removes a segment and the links that touch it (devices keep their
/// ネットワークセグメント text and fall into the diagram's 未設定 lane).
pub async fn remove_segment(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let name: String = sqlx::query_scalar(
        "SELECT name FROM network_segments WHERE id = $1 AND institution_id = $2",
    )
    .bind(id)
    .bind(institution_id)
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    let links = sqlx::query(
        "DELETE FROM network_links WHERE institution_id = $1 AND (from_segment = $2 OR to_segment = $2)",
    )
    .bind(institution_id)
    .bind(id)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    let result = sqlx::query("DELETE FROM network_segments WHERE id = $1 AND institution_id = $2")
        .bind(id)
        .bind(institution_id)
        .execute(&mut *transaction)
        .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "network.segment_remove",
        format!("network_segment:{id}"),
        json!({ "before": { "名称": name }, "links_removed": links }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Removes a link.
pub async fn remove_link(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let result = sqlx::query("DELETE FROM network_links WHERE id = $1 AND institution_id = $2")
        .bind(id)
        .bind(grant.institution_id().get())
        .execute(&mut *transaction)
        .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "network.link_remove",
        format!("network_link:{id}"),
        json!({}),
    );
    audit_log::commit_with(transaction, &event, now).await
}
