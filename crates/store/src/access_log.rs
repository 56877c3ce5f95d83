//! Access logs (issue #14): the registered sources, the searchable index of
//! the events, and the files imported. The events themselves are kept in the
//! data folder as a tamper-evident tiled log (`crates/tiles`, written by the
//! app); `seq` here is an event's position in that log, so the index can be
//! checked against and rebuilt from it. Every change is written with its
//! audit event.

use jiff::Timestamp;
use mamori_domain::access_log::Outcome;
use mamori_domain::access_log::ehr_csv::RowError;
use mamori_domain::access_log::review::{
    Facts, FailedSignIn, LeaverUse, ManyPatients, Month, NewVpnAddress, RawRules, Rules,
    SendingSource, SignIn, UnknownAccount, Verification,
};
use mamori_domain::access_log::source::FileRefused;
use mamori_domain::access_log::source::{LogSourceId, LogSourceKind, NewLogSource};
use mamori_domain::incident::report::IncidentId;
use mamori_domain::institution::permissions::{self, ReadsAccessLogs};
use mamori_domain::institution::{Grant, InstitutionId};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, Actor, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A registered source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLogSource {
    pub id: LogSourceId,
    pub name: String,
    pub kind: LogSourceKind,
    pub time_zone: String,
    pub retention_years: i64,
    /// An EHR CSV source's column mapping (`domain::access_log::source::parse_mapping`).
    pub mapping: String,
    /// Hours it may send nothing (`None`: the institution's rule).
    pub silent_hours: Option<i64>,
}

/// The searchable fields of one event, at its position in the tiled log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    pub seq: u64,
    pub occurred_at: Timestamp,
    pub host: Option<String>,
    pub user: Option<String>,
    pub source_address: Option<String>,
    /// `domain::access_log::ehr_csv::action_code` of the action.
    pub action: String,
    /// `Outcome::code`.
    pub outcome: &'static str,
    pub patient_id: Option<String>,
    /// The source's own identifier of the event (`LogEvent::record_key`);
    /// written, not read back by the searches.
    pub record_key: Option<String>,
}

/// A file already imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImport {
    pub source: String,
    pub file_name: String,
    pub first_seq: u64,
    pub events: u64,
    /// Lines or rows no parser understood (kept raw).
    pub unrecognised: u64,
    /// Events the source already had (an overlapping export): not added.
    pub already_kept: u64,
    pub imported_at: Timestamp,
}

/// Who registers a source or imports a file, for which institution: the
/// operator on the command line, or a signed-in 企画管理者 / 安全管理責任者
/// (who may review the logs, and so manage their collection).
#[derive(Debug, Clone)]
pub struct Acting {
    institution_id: InstitutionId,
    actor: Actor,
}

impl Acting {
    /// The operator, for `institution_id`.
    pub fn operator(institution_id: InstitutionId) -> Self {
        Self {
            institution_id,
            actor: Actor::Operator,
        }
    }

    /// The signed-in person holding `grant`, for their institution.
    pub fn user(grant: &Grant<permissions::ReviewAccessLogs>) -> Self {
        Self {
            institution_id: grant.institution_id(),
            actor: Actor::User(grant.principal().user_id()),
        }
    }

    /// The institution acted for.
    pub fn institution_id(&self) -> InstitutionId {
        self.institution_id
    }
}

/// Registers a source; [`Error::Conflict`] (`name`) when the institution
/// already has one of that name, [`Error::Unknown`] (`device`) when the
/// device ledger has no such 管理番号.
pub async fn add_source(
    store: &Store,
    acting: &Acting,
    source: &NewLogSource,
    now: Timestamp,
) -> Result<LogSourceId, Error> {
    let institution_id = acting.institution_id;
    let mut transaction = store.begin().await?;
    let known: Option<i64> = sqlx::query_scalar("SELECT id FROM institutions WHERE id = $1")
        .bind(institution_id.get())
        .fetch_optional(&mut *transaction)
        .await?;
    known.ok_or(Error::NotFound)?;
    let device_id: Option<i64> = match &source.device {
        None => None,
        Some(asset_number) => Some(
            sqlx::query_scalar(
                "SELECT id FROM devices WHERE institution_id = $1 AND asset_number = $2",
            )
            .bind(institution_id.get())
            .bind(asset_number.as_str())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(Error::Unknown("device"))?,
        ),
    };
    let senders = source
        .senders
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO log_sources (institution_id, name, kind, device_id, senders, mapping,
            time_zone, retention_years, silent_hours, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(institution_id.get())
    .bind(source.name.as_str())
    .bind(source.kind.code())
    .bind(device_id)
    .bind(senders.as_str())
    .bind(source.mapping.as_str())
    .bind(source.time_zone.as_str())
    .bind(source.retention_years)
    .bind(source.silent_hours)
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("name"))?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent {
            institution_id: Some(institution_id),
            actor: acting.actor.clone(),
            action: "log_source.add",
            target: format!("log_source:{id}"),
            detail: json!({
                "name": source.name,
                "kind": source.kind.code(),
                "device": source.device,
                "senders": senders,
                "mapping": source.mapping,
                "time_zone": source.time_zone,
                "retention_years": source.retention_years,
                "silent_hours": source.silent_hours,
            }),
        },
        now,
    )
    .await?;
    Ok(LogSourceId::from_db(id))
}

/// The columns [`stored_source`] reads.
const SOURCES: &str =
    "SELECT id, name, kind, time_zone, retention_years, mapping, silent_hours FROM log_sources";

/// A `log_sources` row (id, name, kind, time_zone, retention_years, mapping,
/// silent_hours).
fn stored_source(row: &sqlx::any::AnyRow) -> Result<StoredLogSource, Error> {
    let kind: String = row.try_get("kind")?;
    Ok(StoredLogSource {
        id: LogSourceId::from_db(row.try_get("id")?),
        name: row.try_get("name")?,
        kind: LogSourceKind::parse("kind", &kind)
            .map_err(|_| Error::Corrupt("log_sources.kind"))?,
        time_zone: row.try_get("time_zone")?,
        retention_years: row.try_get("retention_years")?,
        mapping: row.try_get("mapping")?,
        silent_hours: row.try_get("silent_hours")?,
    })
}

/// The institution's source of that name.
pub async fn source_by_name(
    store: &Store,
    institution_id: InstitutionId,
    name: &str,
) -> Result<Option<StoredLogSource>, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SOURCES} WHERE institution_id = $1 AND name = $2"
    )))
    .bind(institution_id.get())
    .bind(name)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(stored_source).transpose()
}

/// How long each of the institution's sources keeps its events, in years, by name.
pub async fn retention_by_source(
    store: &Store,
    institution_id: InstitutionId,
) -> Result<std::collections::HashMap<String, i64>, Error> {
    let rows =
        sqlx::query("SELECT name, retention_years FROM log_sources WHERE institution_id = $1")
            .bind(institution_id.get())
            .fetch_all(store.pool())
            .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("retention_years")?)))
        .collect()
}

/// Drops from the search the events at `ranges` of the log (moved out of it
/// past their retention to `folder`), with the operator's audit event when
/// any was indexed; returns how many were.
pub async fn forget_archived(
    store: &Store,
    institution_id: InstitutionId,
    ranges: &[std::ops::Range<u64>],
    folder: &str,
    now: Timestamp,
) -> Result<u64, Error> {
    let mut transaction = store.begin().await?;
    let mut forgotten = 0;
    for range in ranges {
        forgotten += sqlx::query(
            "DELETE FROM log_events WHERE institution_id = $1 AND seq >= $2 AND seq < $3",
        )
        .bind(institution_id.get())
        .bind(range.start as i64)
        .bind(range.end as i64)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    }
    if forgotten == 0 {
        transaction.commit().await?;
        return Ok(0);
    }
    audit_log::commit_with(
        transaction,
        &NewAuditEvent {
            institution_id: Some(institution_id),
            actor: Actor::Operator,
            action: "access_log.archive",
            target: "access_log".to_owned(),
            detail: json!({
                "ranges": ranges.iter().map(|r| format!("{}..{}", r.start, r.end)).collect::<Vec<_>>(),
                "events": forgotten,
                "folder": folder,
            }),
        },
        now,
    )
    .await?;
    Ok(forgotten)
}

/// The import of a file with this SHA-256 (lowercase hex), if there was one.
pub async fn import_of(
    store: &Store,
    institution_id: InstitutionId,
    sha256: &str,
) -> Result<Option<StoredImport>, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{IMPORTS} WHERE i.institution_id = $1 AND i.sha256 = $2"
    )))
    .bind(institution_id.get())
    .bind(sha256)
    .fetch_optional(store.pool())
    .await?;
    row.as_ref().map(stored_import).transpose()
}

/// The imports' columns, for [`stored_import`].
const IMPORTS: &str = "SELECT s.name, i.file_name, i.first_seq, i.events, i.unrecognised,
        i.already_kept, i.imported_at
    FROM log_imports i JOIN log_sources s ON s.id = i.source_id";

fn stored_import(row: &sqlx::any::AnyRow) -> Result<StoredImport, Error> {
    Ok(StoredImport {
        source: row.try_get("name")?,
        file_name: row.try_get("file_name")?,
        first_seq: row.try_get::<i64, _>("first_seq")? as u64,
        events: row.try_get::<i64, _>("events")? as u64,
        unrecognised: row.try_get::<i64, _>("unrecognised")? as u64,
        already_kept: row.try_get::<i64, _>("already_kept")? as u64,
        imported_at: from_micros(row.try_get("imported_at")?),
    })
}

/// The institution's latest imports, newest first, at most `limit`.
pub async fn imports<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    limit: i64,
) -> Result<Vec<StoredImport>, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{IMPORTS} WHERE i.institution_id = $1 ORDER BY i.imported_at DESC, i.id DESC LIMIT $2"
    )))
    .bind(grant.institution_id().get())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(stored_import).collect()
}

/// A registered source as the sources page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSource {
    pub source: StoredLogSource,
    /// The device's 管理番号, when the source is a device of the ledger.
    pub device: Option<String>,
    /// The sender addresses, comma-separated.
    pub senders: String,
    /// Whether it has a token to send over HTTPS.
    pub has_token: bool,
}

/// The institution's sources, by name.
pub async fn sources<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<ListedSource>, Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.kind, s.time_zone, s.retention_years, s.mapping, s.silent_hours,
                s.senders, d.asset_number,
                CASE WHEN s.ingest_token_sha256 IS NULL THEN 0 ELSE 1 END AS has_token
         FROM log_sources s LEFT JOIN devices d ON d.id = s.device_id
         WHERE s.institution_id = $1 ORDER BY s.name",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ListedSource {
                source: stored_source(row)?,
                device: row.try_get("asset_number")?,
                senders: row.try_get("senders")?,
                has_token: row.try_get::<i64, _>("has_token")? == 1,
            })
        })
        .collect()
}

/// Gives the institution's source `id` a new token for sending over HTTPS
/// (its SHA-256, lowercase hex), replacing any before; audited without the
/// token. [`Error::NotFound`] for another institution's source.
pub async fn set_ingest_token(
    store: &Store,
    grant: &Grant<permissions::ReviewAccessLogs>,
    id: LogSourceId,
    token_sha256: &str,
    now: Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let changed = sqlx::query(
        "UPDATE log_sources SET ingest_token_sha256 = $1 WHERE institution_id = $2 AND id = $3",
    )
    .bind(token_sha256)
    .bind(grant.institution_id().get())
    .bind(id.get())
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(Error::NotFound);
    }
    audit_log::commit_with(
        transaction,
        &NewAuditEvent::by(
            grant,
            "log_source.token",
            format!("log_source:{id}"),
            json!({}),
        ),
        now,
    )
    .await
}

/// The source a token (by its SHA-256) belongs to, with its institution.
pub async fn source_by_ingest_token(
    store: &Store,
    token_sha256: &str,
) -> Result<Option<(InstitutionId, StoredLogSource)>, Error> {
    let row = sqlx::query(
        "SELECT id, institution_id, name, kind, time_zone, retention_years, mapping, silent_hours
         FROM log_sources WHERE ingest_token_sha256 = $1",
    )
    .bind(token_sha256)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| {
        Ok((
            InstitutionId::from_db(row.try_get("institution_id")?),
            stored_source(&row)?,
        ))
    })
    .transpose()
}

/// The institution's source with that id ([`Error::NotFound`] for another
/// institution's).
pub async fn source<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    id: LogSourceId,
) -> Result<StoredLogSource, Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SOURCES} WHERE institution_id = $1 AND id = $2"
    )))
    .bind(grant.institution_id().get())
    .bind(id.get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    stored_source(&row)
}

/// How many events of the institution are indexed (the next `seq`).
pub async fn indexed_size(store: &Store, institution_id: InstitutionId) -> Result<u64, Error> {
    let max: Option<i64> =
        sqlx::query_scalar("SELECT MAX(seq) FROM log_events WHERE institution_id = $1")
            .bind(institution_id.get())
            .fetch_one(store.pool())
            .await?;
    Ok(max.map_or(0, |max| max as u64 + 1))
}

/// What an import did.
#[derive(Debug)]
pub enum ImportReport {
    /// The file's lines were appended as entries `first_seq..first_seq + events`.
    Imported {
        first_seq: u64,
        events: u64,
        unrecognised: u64,
        /// The first rows that could not be read, by row and column (EHR CSV).
        problems: Vec<RowError>,
        /// Events of the file the source already had (by their record key,
        /// from an earlier, overlapping export): not added again.
        already_kept: u64,
    },
    /// The same file (by SHA-256) was imported before: nothing was added.
    AlreadyImported(StoredImport),
    /// The file is not a table with the source's mapped columns: nothing
    /// was stored.
    Refused(FileRefused),
}

/// What a file import records, all in one transaction with its audit event.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub source: &'a StoredLogSource,
    pub sha256: &'a str,
    pub file_name: &'a str,
    /// The position in the log of the file's first entry, and how many.
    pub first_seq: u64,
    pub events: u64,
    pub unrecognised: u64,
    /// Events of the file the source already had, not added again.
    pub already_kept: u64,
}

/// Records an import whose events are appended to the tiled log: the
/// file's SHA-256 and the audit event (the events are indexed on their own,
/// [`record_received`]).
/// [`Error::Conflict`] (`sha256`) if the file was imported.
pub async fn record_import(
    store: &Store,
    acting: &Acting,
    import: &NewImport<'_>,
    now: Timestamp,
) -> Result<(), Error> {
    let institution_id = acting.institution_id;
    let mut transaction = store.begin().await?;
    sqlx::query(
        "INSERT INTO log_imports (institution_id, source_id, sha256, file_name, first_seq, events,
            unrecognised, already_kept, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(institution_id.get())
    .bind(import.source.id.get())
    .bind(import.sha256)
    .bind(import.file_name)
    .bind(import.first_seq as i64)
    .bind(import.events as i64)
    .bind(import.unrecognised as i64)
    .bind(import.already_kept as i64)
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await
    .map_err(Error::conflict_on("sha256"))?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent {
            institution_id: Some(institution_id),
            actor: acting.actor.clone(),
            action: "access_log.import",
            target: format!("log_source:{}", import.source.id),
            detail: json!({
                "file": import.file_name,
                "sha256": import.sha256,
                "first_seq": import.first_seq,
                "events": import.events,
                "unrecognised": import.unrecognised,
                "already_kept": import.already_kept,
            }),
        },
        now,
    )
    .await
}

/// Index rows written per INSERT statement (11 parameters each). Not more:
/// SQLite finds a numbered parameter's name by walking the statement's list
/// of names, so binding costs grow with the square of the parameters — at
/// 200 rows a statement that walk took 40 % of an import (`perf`).
const ROWS_PER_INSERT: usize = 32;

async fn insert_rows(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    institution_id: InstitutionId,
    source_id: LogSourceId,
    rows: &[IndexRow],
) -> Result<(), Error> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        // The statement holds only placeholders: one group of eleven per row.
        let groups: Vec<String> = (0..chunk.len())
            .map(|row| {
                let first = row * 11 + 1;
                let placeholders: Vec<String> =
                    (first..first + 11).map(|n| format!("${n}")).collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO log_events (institution_id, seq, source_id, occurred_at, host, user_name,
                source_address, action, outcome, patient_id, record_key)
             VALUES {}",
            groups.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(institution_id.get())
                .bind(row.seq as i64)
                .bind(source_id.get())
                .bind(to_micros(row.occurred_at))
                .bind(row.host.clone())
                .bind(row.user.clone())
                .bind(row.source_address.clone())
                .bind(row.action.clone())
                .bind(row.outcome)
                .bind(row.patient_id.clone())
                .bind(row.record_key.clone());
        }
        query.execute(&mut **transaction).await?;
    }
    Ok(())
}

/// Which of `keys` (`LogEvent::record_key`) the source's events already
/// have: an export overlapping an earlier one adds only the others.
pub async fn kept_record_keys(
    store: &Store,
    source_id: LogSourceId,
    keys: &[&str],
) -> Result<std::collections::HashSet<String>, Error> {
    let mut kept = std::collections::HashSet::new();
    for chunk in keys.chunks(500) {
        // The statement holds only placeholders: the source, then the keys.
        let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT DISTINCT record_key FROM log_events
             WHERE source_id = $1 AND record_key IN ({})",
            placeholders.join(", ")
        );
        let mut query =
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(source_id.get());
        for key in chunk {
            query = query.bind(*key);
        }
        kept.extend(query.fetch_all(store.pool()).await?);
    }
    Ok(kept)
}

/// Records the index rows of events appended to the tiled log.
/// Not audited: receiving is not a change someone made, and the log itself
/// is tamper-evident.
pub async fn record_received(
    store: &Store,
    institution_id: InstitutionId,
    source_id: LogSourceId,
    rows: &[IndexRow],
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    insert_rows(&mut transaction, institution_id, source_id, rows).await?;
    transaction.commit().await?;
    Ok(())
}

/// A source that receivers accept lines from, with its sender addresses.
#[derive(Debug, Clone)]
pub struct SenderSource {
    pub institution_id: InstitutionId,
    pub source: StoredLogSource,
    pub senders: Vec<std::net::IpAddr>,
}

/// Every institution's sources that list sender addresses (for the
/// receivers, which serve the whole server).
pub async fn sources_with_senders(store: &Store) -> Result<Vec<SenderSource>, Error> {
    let rows = sqlx::query(
        "SELECT id, institution_id, name, kind, time_zone, retention_years, senders, mapping,
                silent_hours
         FROM log_sources WHERE senders <> '' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let senders: String = row.try_get("senders")?;
            Ok(SenderSource {
                institution_id: InstitutionId::from_db(row.try_get("institution_id")?),
                source: stored_source(row)?,
                senders: senders
                    .split(',')
                    .map(|address| {
                        address
                            .parse()
                            .map_err(|_| Error::Corrupt("log_sources.senders"))
                    })
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

/// One user's events in a time range, newest first, at most `limit` (the
/// search by user that the review page will use).
pub async fn events_of_user(
    store: &Store,
    institution_id: InstitutionId,
    user: &str,
    from: Timestamp,
    to: Timestamp,
    limit: i64,
) -> Result<Vec<IndexRow>, Error> {
    let rows = sqlx::query(
        "SELECT seq, occurred_at, host, user_name, source_address, action, outcome, patient_id
         FROM log_events
         WHERE institution_id = $1 AND user_name = $2 AND occurred_at >= $3 AND occurred_at < $4
         ORDER BY occurred_at DESC, seq DESC LIMIT $5",
    )
    .bind(institution_id.get())
    .bind(user)
    .bind(to_micros(from))
    .bind(to_micros(to))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(index_row).collect()
}

/// The index fields of a `log_events` row.
fn index_row(row: &sqlx::any::AnyRow) -> Result<IndexRow, Error> {
    let outcome: String = row.try_get("outcome")?;
    Ok(IndexRow {
        seq: row.try_get::<i64, _>("seq")? as u64,
        occurred_at: from_micros(row.try_get("occurred_at")?),
        host: row.try_get("host")?,
        user: row.try_get("user_name")?,
        source_address: row.try_get("source_address")?,
        action: row.try_get("action")?,
        outcome: Outcome::from_code(&outcome).code(),
        patient_id: row.try_get("patient_id")?,
        record_key: None,
    })
}

/// A found event with its source's name, as the search lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundEvent {
    pub row: IndexRow,
    pub source: Option<String>,
}

/// What the search looks for; empty fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub user: Option<String>,
    pub source_address: Option<String>,
    pub patient_id: Option<String>,
    /// A device's 管理番号: the events of the sources that are that device.
    pub device: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

fn found_event(row: &sqlx::any::AnyRow) -> Result<FoundEvent, Error> {
    Ok(FoundEvent {
        row: index_row(row)?,
        source: row.try_get("source_name")?,
    })
}

/// The institution's events matching `search`, newest first, at most `limit`.
pub async fn search<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    search: &Search,
    limit: i64,
) -> Result<Vec<FoundEvent>, Error> {
    let rows = sqlx::query(
        "SELECT e.seq, e.occurred_at, e.host, e.user_name, e.source_address, e.action, e.outcome,
                e.patient_id, s.name AS source_name
         FROM log_events e
         LEFT JOIN log_sources s ON s.id = e.source_id
         LEFT JOIN devices d ON d.id = s.device_id
         WHERE e.institution_id = $1
           AND ($2 IS NULL OR e.user_name = $2)
           AND ($3 IS NULL OR e.source_address = $3)
           AND ($4 IS NULL OR e.patient_id = $4)
           AND ($5 IS NULL OR d.asset_number = $5)
           AND e.occurred_at >= $6 AND e.occurred_at < $7
         ORDER BY e.occurred_at DESC, e.seq DESC LIMIT $8",
    )
    .bind(grant.institution_id().get())
    .bind(search.user.as_deref())
    .bind(search.source_address.as_deref())
    .bind(search.patient_id.as_deref())
    .bind(search.device.as_deref())
    .bind(search.from.map_or(i64::MIN, to_micros))
    .bind(search.to.map_or(i64::MAX, to_micros))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(found_event).collect()
}

/// One source's events in a time range, and when it last sent anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCount {
    pub name: String,
    pub events: i64,
    pub last: Option<Timestamp>,
    /// Whether it sends by itself (sender addresses or an HTTPS token), so
    /// that its silence means something; a source imported from files
    /// only is expected to be quiet between imports.
    pub sends: bool,
    /// Hours it may send nothing (`None`: the institution's rule).
    pub silent_hours: Option<i64>,
    /// When it was registered.
    pub registered_at: Timestamp,
}

/// Events per source in a time range, sources with none included, by name,
/// with each source's latest event of all time.
pub async fn counts_per_source<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<SourceCount>, Error> {
    let rows = window_rows(
        store,
        grant,
        "SELECT s.name, s.senders, s.ingest_token_sha256, s.silent_hours, s.created_at,
                (SELECT COUNT(*) FROM log_events e
                 WHERE e.institution_id = s.institution_id AND e.source_id = s.id
                   AND e.occurred_at >= $2 AND e.occurred_at < $3) AS events,
                (SELECT MAX(e.occurred_at) FROM log_events e
                 WHERE e.institution_id = s.institution_id AND e.source_id = s.id) AS last
         FROM log_sources s WHERE s.institution_id = $1 ORDER BY s.name",
        (from, to),
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SourceCount {
                name: row.try_get("name")?,
                events: row.try_get("events")?,
                last: row.try_get::<Option<i64>, _>("last")?.map(from_micros),
                sends: !row.try_get::<String, _>("senders")?.is_empty()
                    || row
                        .try_get::<Option<String>, _>("ingest_token_sha256")?
                        .is_some(),
                silent_hours: row.try_get("silent_hours")?,
                registered_at: from_micros(row.try_get("created_at")?),
            })
        })
        .collect()
}

/// A signed-off monthly review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReview {
    pub month: Month,
    pub note: String,
    pub signed_by: String,
    pub signed_at: Timestamp,
}

/// The institution's signed-off reviews, the latest month first.
pub async fn reviews<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<StoredReview>, Error> {
    let rows = sqlx::query(
        "SELECT r.month, r.note, u.display_name, r.signed_at FROM log_reviews r
         JOIN users u ON u.id = r.signed_by
         WHERE r.institution_id = $1 ORDER BY r.month DESC",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let month: String = row.try_get("month")?;
            Ok(StoredReview {
                month: Month::parse("month", &month)
                    .map_err(|_| Error::Corrupt("log_reviews.month"))?,
                note: row.try_get("note")?,
                signed_by: row.try_get("display_name")?,
                signed_at: from_micros(row.try_get("signed_at")?),
            })
        })
        .collect()
}

/// Signs off a month's review with a note; [`Error::Conflict`] (`month`)
/// when that month was signed off already.
pub async fn sign_off(
    store: &Store,
    grant: &Grant<permissions::ReviewAccessLogs>,
    month: Month,
    note: &str,
    now: Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO log_reviews (institution_id, month, note, signed_by, signed_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(month.to_string())
    .bind(note)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("month"))?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent::by(
            grant,
            "access_log.review",
            format!("log_review:{id}"),
            json!({ "month": month.to_string(), "note": note }),
        ),
        now,
    )
    .await
}

/// A check of the institution's log, as kept.
#[derive(Debug, Clone)]
pub struct StoredVerification {
    pub verified_at: Timestamp,
    pub verified_by: String,
    pub verification: Verification,
}

/// Keeps what a check of the institution's log found, by the person who
/// ran it (audited with it).
pub async fn record_verification(
    store: &Store,
    grant: &Grant<permissions::ReviewAccessLogs>,
    verification: &Verification,
    now: Timestamp,
) -> Result<(), Error> {
    let count = |n: u64| i64::try_from(n).map_err(|_| Error::Corrupt("log_verifications.size"));
    let (size, checked, archived, problem) = match verification {
        Verification::Intact {
            size,
            checked,
            archived,
        } => (
            Some(count(*size)?),
            Some(count(*checked)?),
            Some(count(*archived)?),
            None,
        ),
        Verification::Broken { finding } => (None, None, None, Some(finding.as_str())),
    };
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO log_verifications
             (institution_id, verified_by, verified_at, size, checked, archived, problem)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .bind(size)
    .bind(checked)
    .bind(archived)
    .bind(problem)
    .fetch_one(&mut *transaction)
    .await?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent::by(
            grant,
            "access_log.verify",
            format!("log_verification:{id}"),
            json!({ "size": size, "checked": checked, "archived": archived, "problem": problem }),
        ),
        now,
    )
    .await
}

/// The latest check of the institution's log, if any was run.
pub async fn last_verification<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<StoredVerification>, Error> {
    let row = sqlx::query(
        "SELECT v.verified_at, u.display_name, v.size, v.checked, v.archived, v.problem
         FROM log_verifications v JOIN users u ON u.id = v.verified_by
         WHERE v.institution_id = $1 ORDER BY v.verified_at DESC, v.id DESC LIMIT 1",
    )
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let count = |column: &str| -> Result<u64, Error> {
        let value: Option<i64> = row.try_get(column)?;
        value
            .and_then(|n| u64::try_from(n).ok())
            .ok_or(Error::Corrupt("log_verifications.size"))
    };
    let problem: Option<String> = row.try_get("problem")?;
    let verification = match problem {
        Some(finding) => Verification::Broken { finding },
        None => Verification::Intact {
            size: count("size")?,
            checked: count("checked")?,
            archived: count("archived")?,
        },
    };
    Ok(Some(StoredVerification {
        verified_at: from_micros(row.try_get("verified_at")?),
        verified_by: row.try_get("display_name")?,
        verification,
    }))
}

/// The institution's review rules (the defaults until someone sets them).
pub async fn rules<P: ReadsAccessLogs>(store: &Store, grant: &Grant<P>) -> Result<Rules, Error> {
    let row = sqlx::query(
        "SELECT burst_threshold, burst_window_minutes, opens_at, closes_at,
                closed_sundays_holidays, many_patients, silent_hours
         FROM log_rules WHERE institution_id = $1",
    )
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else {
        return Ok(Rules::default());
    };
    let number =
        |column: &str| -> Result<String, Error> { Ok(row.try_get::<i64, _>(column)?.to_string()) };
    let (threshold, window, many, silent) = (
        number("burst_threshold")?,
        number("burst_window_minutes")?,
        number("many_patients")?,
        number("silent_hours")?,
    );
    let (opens, closes): (String, String) = (row.try_get("opens_at")?, row.try_get("closes_at")?);
    let closed: i64 = row.try_get("closed_sundays_holidays")?;
    Rules::parse(RawRules {
        burst_threshold: &threshold,
        burst_window_minutes: &window,
        opens_at: &opens,
        closes_at: &closes,
        closed_sundays_holidays: if closed == 1 { "on" } else { "" },
        many_patients: &many,
        silent_hours: &silent,
    })
    .map_err(|_| Error::Corrupt("log_rules"))
}

/// Sets the institution's review rules, with the audit event.
pub async fn set_rules(
    store: &Store,
    grant: &Grant<permissions::ReviewAccessLogs>,
    rules: &Rules,
    now: Timestamp,
) -> Result<(), Error> {
    let ((opens, closes), closed) = match rules.hours {
        Some(hours) => (hours.as_text(), i64::from(hours.closed_sundays_holidays)),
        None => ((String::new(), String::new()), 0),
    };
    let mut transaction = store.begin().await?;
    sqlx::query(
        "INSERT INTO log_rules (institution_id, burst_threshold, burst_window_minutes, opens_at,
            closes_at, closed_sundays_holidays, many_patients, silent_hours, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (institution_id) DO UPDATE SET
            burst_threshold = excluded.burst_threshold,
            burst_window_minutes = excluded.burst_window_minutes,
            opens_at = excluded.opens_at, closes_at = excluded.closes_at,
            closed_sundays_holidays = excluded.closed_sundays_holidays,
            many_patients = excluded.many_patients, silent_hours = excluded.silent_hours,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(grant.institution_id().get())
    .bind(rules.burst.threshold as i64)
    .bind(rules.burst.window.as_mins())
    .bind(opens.as_str())
    .bind(closes.as_str())
    .bind(closed)
    .bind(rules.many_patients)
    .bind(rules.silent_after.as_hours())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent::by(
            grant,
            "access_log.rules",
            "log_rules".to_owned(),
            json!({
                "burst_threshold": rules.burst.threshold,
                "burst_window_minutes": rules.burst.window.as_mins(),
                "opens_at": opens,
                "closes_at": closes,
                "closed_sundays_holidays": closed == 1,
                "many_patients": rules.many_patients,
                "silent_hours": rules.silent_after.as_hours(),
            }),
        ),
        now,
    )
    .await
}

/// A reviewer's note on a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFindingNote {
    pub note: String,
    pub incident: Option<IncidentId>,
    pub noted_by: String,
    pub noted_at: Timestamp,
}

/// The notes left on the findings of `month`, by finding key.
pub async fn finding_notes<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    month: Month,
) -> Result<std::collections::HashMap<String, StoredFindingNote>, Error> {
    let rows = sqlx::query(
        "SELECT n.finding_key, n.note, n.incident_id, u.display_name, n.noted_at
         FROM log_finding_notes n JOIN users u ON u.id = n.noted_by
         WHERE n.institution_id = $1 AND n.month = $2",
    )
    .bind(grant.institution_id().get())
    .bind(month.to_string())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("finding_key")?,
                StoredFindingNote {
                    note: row.try_get("note")?,
                    incident: row
                        .try_get::<Option<i64>, _>("incident_id")?
                        .map(IncidentId::from_db),
                    noted_by: row.try_get("display_name")?,
                    noted_at: from_micros(row.try_get("noted_at")?),
                },
            ))
        })
        .collect()
}

/// Leaves a note on a finding of `month` (its [`Finding::key`]), with the
/// incident it is handled in, if any — checked to be the institution's
/// ([`Error::Unknown`] `incident`). Once per finding ([`Error::Conflict`]).
///
/// [`Finding::key`]: mamori_domain::access_log::review::Finding::key
pub async fn note_finding(
    store: &Store,
    grant: &Grant<permissions::ReviewAccessLogs>,
    month: Month,
    finding_key: &str,
    note: &str,
    incident: Option<IncidentId>,
    now: Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    if let Some(incident) = incident {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1 AND institution_id = $2")
                .bind(incident.get())
                .bind(grant.institution_id().get())
                .fetch_optional(&mut *transaction)
                .await?;
        known.ok_or(Error::Unknown("incident"))?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO log_finding_notes (institution_id, month, finding_key, note, incident_id,
            noted_by, noted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(month.to_string())
    .bind(finding_key)
    .bind(note)
    .bind(incident.map(|incident| incident.get()))
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await
    .map_err(Error::conflict_on("finding_key"))?;
    audit_log::commit_with(
        transaction,
        &NewAuditEvent::by(
            grant,
            "access_log.finding",
            format!("log_finding_note:{id}"),
            json!({
                "month": month.to_string(),
                "finding": finding_key,
                "note": note,
                "incident": incident.map(|incident| incident.get()),
            }),
        ),
        now,
    )
    .await
}

/// Fills the index with `n` synthetic events from `first_seq` for the
/// benchmark of the search (`benches/access_logs.rs`): 1,000 users, one
/// event every `step_micros` from `start_micros`, in the institution's
/// first source. One SQL text for both databases (a recursive CTE).
#[doc(hidden)]
pub async fn fill_for_benchmark(
    store: &Store,
    institution_id: InstitutionId,
    first_seq: u64,
    n: u64,
    start_micros: i64,
    step_micros: i64,
) -> Result<u64, Error> {
    let filled = sqlx::query(
        "WITH RECURSIVE g(i) AS (
             SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM g WHERE i < CAST($3 AS BIGINT) - 1
         )
         INSERT INTO log_events (institution_id, seq, source_id, occurred_at, host, user_name,
            source_address, action, outcome, patient_id)
         SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT) + i,
                (SELECT MIN(id) FROM log_sources WHERE institution_id = CAST($1 AS BIGINT)),
                CAST($4 AS BIGINT) + i * CAST($5 AS BIGINT), 'srv1',
                'staff' || CAST(i % 1000 AS TEXT), '192.0.2.' || CAST(i % 250 AS TEXT),
                'sign_in', 'success', NULL
         FROM g",
    )
    .bind(institution_id.get())
    .bind(first_seq as i64)
    .bind(n as i64)
    .bind(start_micros)
    .bind(step_micros)
    .execute(store.pool())
    .await?
    .rows_affected();
    Ok(filled)
}

/// Records an export of found events in the audit trail.
pub async fn record_export<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    search: &Search,
    rows: usize,
    now: Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    audit_log::append(
        &mut transaction,
        &NewAuditEvent::by(
            grant,
            "access_log.export",
            "access_log".to_owned(),
            json!({
                "user": search.user,
                "source_address": search.source_address,
                "patient_id": search.patient_id,
                "device": search.device,
                "from": search.from.map(|t| t.to_string()),
                "to": search.to.map(|t| t.to_string()),
                "rows": rows,
            }),
        ),
        now,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Runs a query over one institution's time range: `$1` the institution,
/// `$2`..`$3` the range (micro-seconds, end excluded).
async fn window_rows<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    sql: &'static str,
    (from, to): (Timestamp, Timestamp),
) -> Result<Vec<sqlx::any::AnyRow>, Error> {
    Ok(sqlx::query(sql)
        .bind(grant.institution_id().get())
        .bind(to_micros(from))
        .bind(to_micros(to))
        .fetch_all(store.pool())
        .await?)
}

/// What the index and the ledgers say about a time range, for the review's
/// rules (`domain::access_log::review::findings`). A use counts when it
/// succeeded and is a sign-in, a session or a VPN connection.
pub async fn review_facts<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
    from: Timestamp,
    to: Timestamp,
) -> Result<Facts, Error> {
    let window = (from, to);
    let failures = window_rows(
        store,
        grant,
        "SELECT occurred_at, user_name, source_address FROM log_events
         WHERE institution_id = $1 AND outcome = 'failure'
           AND action IN ('sign_in', 'vpn_connect')
           AND occurred_at >= $2 AND occurred_at < $3
         ORDER BY occurred_at",
        window,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(FailedSignIn {
            at: from_micros(row.try_get("occurred_at")?),
            account: row.try_get("user_name")?,
            address: row.try_get("source_address")?,
        })
    })
    .collect::<Result<_, Error>>()?;
    // Uses of ledger accounts whose owner has a 退職日; the rule keeps those after it.
    let leaver_uses = window_rows(
        store,
        grant,
        "SELECT e.user_name, st.name, st.left_on, e.occurred_at
         FROM log_events e
         JOIN system_accounts a ON a.institution_id = e.institution_id AND a.login = e.user_name
         JOIN staff st ON st.id = a.staff_id
         WHERE e.institution_id = $1 AND e.outcome = 'success'
           AND e.action IN ('sign_in', 'session_opened', 'vpn_connect')
           AND st.left_on IS NOT NULL AND st.left_on <> ''
           AND e.occurred_at >= $2 AND e.occurred_at < $3
         ORDER BY e.occurred_at",
        window,
    )
    .await?
    .iter()
    .map(|row| {
        let left_on: String = row.try_get("left_on")?;
        Ok(LeaverUse {
            account: row.try_get("user_name")?,
            owner: row.try_get("name")?,
            left_on: left_on
                .parse()
                .map_err(|_| Error::Corrupt("staff.left_on"))?,
            at: from_micros(row.try_get("occurred_at")?),
        })
    })
    .collect::<Result<_, Error>>()?;
    let new_vpn_addresses = window_rows(
        store,
        grant,
        "SELECT e.source_address, e.occurred_at, e.user_name FROM log_events e
         WHERE e.institution_id = $1 AND e.action = 'vpn_connect' AND e.outcome = 'success'
           AND e.source_address IS NOT NULL
           AND e.occurred_at >= $2 AND e.occurred_at < $3
           AND NOT EXISTS (SELECT 1 FROM log_events p
                           WHERE p.institution_id = $1 AND p.action = 'vpn_connect'
                             AND p.outcome = 'success' AND p.source_address = e.source_address
                             AND (p.occurred_at < e.occurred_at
                                  OR (p.occurred_at = e.occurred_at AND p.seq < e.seq)))
         ORDER BY e.occurred_at",
        window,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(NewVpnAddress {
            address: row.try_get("source_address")?,
            account: row.try_get("user_name")?,
            at: from_micros(row.try_get("occurred_at")?),
        })
    })
    .collect::<Result<_, Error>>()?;
    // Days in Japan time (UTC+9, no DST) by the same integer arithmetic on
    // both databases: micro-seconds since the epoch, shifted, divided. The
    // rule (the institution's threshold) picks the excess.
    let patients_per_day = window_rows(
        store,
        grant,
        "SELECT user_name, (occurred_at + 32400000000) / 86400000000 AS day,
                COUNT(DISTINCT patient_id) AS patients
         FROM log_events
         WHERE institution_id = $1 AND patient_id IS NOT NULL AND user_name IS NOT NULL
           AND occurred_at >= $2 AND occurred_at < $3
         GROUP BY user_name, (occurred_at + 32400000000) / 86400000000
         ORDER BY patients DESC, user_name",
        window,
    )
    .await?
    .iter()
    .map(|row| {
        let day: i64 = row.try_get("day")?;
        Ok(ManyPatients {
            account: row.try_get("user_name")?,
            day: jiff::civil::date(1970, 1, 1)
                .checked_add(jiff::Span::new().days(day))
                .map_err(|_| Error::Corrupt("log_events.occurred_at"))?,
            patients: row.try_get("patients")?,
        })
    })
    .collect::<Result<_, Error>>()?;
    // Compared only when the account ledger holds some account at all.
    let unknown_accounts = window_rows(
        store,
        grant,
        "SELECT e.user_name, COUNT(*) AS uses FROM log_events e
         WHERE e.institution_id = $1 AND e.outcome = 'success'
           AND e.action IN ('sign_in', 'session_opened', 'vpn_connect')
           AND e.user_name IS NOT NULL
           AND e.occurred_at >= $2 AND e.occurred_at < $3
           AND EXISTS (SELECT 1 FROM system_accounts k WHERE k.institution_id = $1)
           AND NOT EXISTS (SELECT 1 FROM system_accounts a
                           WHERE a.institution_id = $1 AND a.login = e.user_name)
         GROUP BY e.user_name ORDER BY e.user_name",
        window,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(UnknownAccount {
            account: row.try_get("user_name")?,
            uses: row.try_get("uses")?,
        })
    })
    .collect::<Result<_, Error>>()?;
    let sign_ins = window_rows(
        store,
        grant,
        "SELECT user_name, occurred_at FROM log_events
         WHERE institution_id = $1 AND outcome = 'success'
           AND action IN ('sign_in', 'session_opened', 'vpn_connect')
           AND user_name IS NOT NULL
           AND occurred_at >= $2 AND occurred_at < $3
         ORDER BY occurred_at",
        window,
    )
    .await?
    .iter()
    .map(|row| {
        Ok(SignIn {
            account: row.try_get("user_name")?,
            at: from_micros(row.try_get("occurred_at")?),
        })
    })
    .collect::<Result<_, Error>>()?;
    Ok(Facts {
        failures,
        leaver_uses,
        new_vpn_addresses,
        patients_per_day,
        unknown_accounts,
        sign_ins,
        // Silence is of now, not of a month: the caller adds it.
        sending_sources: None,
    })
}

/// The institution's sources that send by themselves (sender addresses or
/// an HTTPS token), each with its latest event and its allowed silence.
pub async fn sending_sources<P: ReadsAccessLogs>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<SendingSource>, Error> {
    let rows = sqlx::query(
        "SELECT s.name, s.silent_hours, s.created_at,
                (SELECT MAX(e.occurred_at) FROM log_events e
                 WHERE e.institution_id = s.institution_id AND e.source_id = s.id) AS last
         FROM log_sources s
         WHERE s.institution_id = $1
           AND (s.senders <> '' OR s.ingest_token_sha256 IS NOT NULL)
         ORDER BY s.name",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SendingSource {
                name: row.try_get("name")?,
                last: row.try_get::<Option<i64>, _>("last")?.map(from_micros),
                registered_at: from_micros(row.try_get("created_at")?),
                silent_hours: row.try_get("silent_hours")?,
            })
        })
        .collect()
}
