//! The device ledger (使用機器一覧表): devices with a unique 管理番号 per
//! institution, their disposal (廃棄), and the all-or-nothing import. Every
//! change is appended to the audit trail in its transaction with the values
//! before and after; a device's history is its audit events (`device:{id}`).

use std::collections::HashMap;

use jiff::civil;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{
    Antivirus, DeviceKind, DeviceStatus, ExternalMedia, ImportRow, MacAddress, NewDevice,
    RemoteMaintenance, RowChange, YesNo, device_headers, device_row,
};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

use crate::audit_log::{self, AuditEvent, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A device as stored.
#[derive(Debug, Clone)]
pub struct Device {
    /// Its id.
    pub id: i64,
    /// Its fields.
    pub device: NewDevice,
    /// Whether it was disposed (廃棄), and how.
    pub disposal: Option<Disposal>,
    /// When it was added.
    pub created_at: jiff::Timestamp,
    /// When it last changed.
    pub updated_at: jiff::Timestamp,
}

/// A disposal (廃棄) record.
#[derive(Debug, Clone)]
pub struct Disposal {
    /// The day it was disposed of.
    pub disposed_on: civil::Date,
    /// The contractor (廃棄業者).
    pub contractor: String,
    /// How (データ消去後に破砕, …).
    pub method: String,
    /// The erasure certificate's file name, type and SHA-256, if one was uploaded.
    pub certificate: Option<(String, String, String)>,
}

/// A disposal to record.
#[derive(Debug, Clone)]
pub struct NewDisposal {
    /// The day.
    pub disposed_on: civil::Date,
    /// The contractor.
    pub contractor: String,
    /// The method.
    pub method: String,
    /// The certificate: name, media type, bytes, SHA-256 (hex).
    pub certificate: Option<(String, String, Vec<u8>, String)>,
}

/// What the device list shows, filtered and paged.
#[derive(Debug, Clone, Default)]
pub struct DeviceQuery {
    /// Words found in 管理番号, メーカー・型番, 管理場所, 管理責任者, 備考, IP or segment.
    pub text: String,
    /// Only this 種別.
    pub kind: Option<DeviceKind>,
    /// Only this 状態; `None` lists every device that is not disposed.
    pub status: Option<DeviceStatus>,
}

const COLUMNS: &str = "id, asset_number, kind, maker_model, location, manager, remarks, os_version, \
    last_security_update, antivirus, remote_used, remote_vendor, remote_method, mds_sds_received, \
    internet_connected, segment, ip_addresses, mac_addresses, initial_password_changed, \
    external_media_restricted, external_media_how, status, created_at, updated_at";

/// What the list's search looks in: 管理番号, メーカー・型番, 管理場所, 管理責任者,
/// 備考, OS, セグメント, IP and MAC addresses, lower-cased, one per line.
fn search_text(device: &NewDevice) -> String {
    [
        device.asset_number.as_str(),
        &device.maker_model,
        &device.location,
        &device.manager,
        &device.remarks,
        &device.os_version,
        &device.segment,
        &device.ip_text(),
        &device.mac_text(),
    ]
    .join("\n")
    .to_lowercase()
}

fn yes_no_to_db(value: YesNo) -> Option<i64> {
    value.map(i64::from)
}

fn yes_no_from_db(value: Option<i64>) -> YesNo {
    value.map(|v| v != 0)
}

fn device_from_row(row: &sqlx::any::AnyRow) -> Result<Device, Error> {
    let corrupt = |_| Error::Corrupt("device");
    let text = |name: &str| -> Result<String, Error> { Ok(row.try_get::<String, _>(name)?) };
    let ip_addresses = text("ip_addresses")?
        .split_whitespace()
        .map(|part| {
            part.parse()
                .map_err(|_| Error::Corrupt("device IP address"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mac_addresses = text("mac_addresses")?
        .split_whitespace()
        .map(|part| MacAddress::parse("mac", part).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    let last_security_update = row
        .try_get::<Option<String>, _>("last_security_update")?
        .map(|date| {
            date.parse::<civil::Date>()
                .map_err(|_| Error::Corrupt("device date"))
        })
        .transpose()?;
    let device = NewDevice {
        kind: DeviceKind::parse("kind", &text("kind")?).map_err(corrupt)?,
        asset_number: text("asset_number")?,
        maker_model: text("maker_model")?,
        location: text("location")?,
        manager: text("manager")?,
        remarks: text("remarks")?,
        os_version: text("os_version")?,
        last_security_update,
        antivirus: Antivirus::parse("antivirus", &text("antivirus")?).map_err(corrupt)?,
        remote: RemoteMaintenance {
            used: yes_no_from_db(row.try_get("remote_used")?),
            vendor: text("remote_vendor")?,
            method: text("remote_method")?,
        },
        mds_sds_received: yes_no_from_db(row.try_get("mds_sds_received")?),
        internet_connected: yes_no_from_db(row.try_get("internet_connected")?),
        segment: text("segment")?,
        ip_addresses,
        mac_addresses,
        initial_password_changed: yes_no_from_db(row.try_get("initial_password_changed")?),
        external_media: ExternalMedia {
            restricted: yes_no_from_db(row.try_get("external_media_restricted")?),
            how: text("external_media_how")?,
        },
        status: DeviceStatus::parse("status", &text("status")?).map_err(corrupt)?,
    };
    Ok(Device {
        id: row.try_get("id")?,
        device,
        disposal: None,
        created_at: from_micros(row.try_get("created_at")?),
        updated_at: from_micros(row.try_get("updated_at")?),
    })
}

/// The device as the audit trail records it: the export's columns by header.
fn device_json(device: &NewDevice) -> Value {
    let map: serde_json::Map<String, Value> = device_headers()
        .into_iter()
        .zip(device_row(device))
        .map(|(header, value)| (header.to_owned(), Value::String(value)))
        .collect();
    Value::Object(map)
}

/// Only the columns that differ, before and after.
fn difference(before: &NewDevice, after: &NewDevice) -> (Value, Value) {
    let mut old = serde_json::Map::new();
    let mut new = serde_json::Map::new();
    for ((header, b), a) in device_headers()
        .into_iter()
        .zip(device_row(before))
        .zip(device_row(after))
    {
        if a != b {
            old.insert(header.to_owned(), Value::String(b));
            new.insert(header.to_owned(), Value::String(a));
        }
    }
    (Value::Object(old), Value::Object(new))
}

async fn insert(
    connection: &mut AnyConnection,
    institution_id: i64,
    device: &NewDevice,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO devices (institution_id, asset_number, kind, maker_model, location, manager, remarks,
            os_version, last_security_update, antivirus, remote_used, remote_vendor, remote_method,
            mds_sds_received, internet_connected, segment, ip_addresses, mac_addresses,
            initial_password_changed, external_media_restricted, external_media_how, status,
            created_at, updated_at, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23, $24)
         RETURNING id",
    )
    .bind(institution_id)
    .bind(device.asset_number.as_str())
    .bind(device.kind.code())
    .bind(device.maker_model.as_str())
    .bind(device.location.as_str())
    .bind(device.manager.as_str())
    .bind(device.remarks.as_str())
    .bind(device.os_version.as_str())
    .bind(device.last_security_update.map(|date| date.to_string()))
    .bind(device.antivirus.code())
    .bind(yes_no_to_db(device.remote.used))
    .bind(device.remote.vendor.as_str())
    .bind(device.remote.method.as_str())
    .bind(yes_no_to_db(device.mds_sds_received))
    .bind(yes_no_to_db(device.internet_connected))
    .bind(device.segment.as_str())
    .bind(device.ip_text())
    .bind(device.mac_text())
    .bind(yes_no_to_db(device.initial_password_changed))
    .bind(yes_no_to_db(device.external_media.restricted))
    .bind(device.external_media.how.as_str())
    .bind(device.status.code())
    .bind(to_micros(now))
    .bind(search_text(device))
    .fetch_one(&mut *connection)
    .await
    .map_err(Error::conflict_on("asset_number"))?;
    Ok(id)
}

async fn update_row(
    connection: &mut AnyConnection,
    institution_id: i64,
    id: i64,
    device: &NewDevice,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let result = sqlx::query(
        "UPDATE devices SET asset_number = $3, kind = $4, maker_model = $5, location = $6, manager = $7,
            remarks = $8, os_version = $9, last_security_update = $10, antivirus = $11, remote_used = $12,
            remote_vendor = $13, remote_method = $14, mds_sds_received = $15, internet_connected = $16,
            segment = $17, ip_addresses = $18, mac_addresses = $19, initial_password_changed = $20,
            external_media_restricted = $21, external_media_how = $22, status = $23, updated_at = $24,
            search_text = $25
         WHERE id = $1 AND institution_id = $2 AND status <> 'disposed'",
    )
    .bind(id)
    .bind(institution_id)
    .bind(device.asset_number.as_str())
    .bind(device.kind.code())
    .bind(device.maker_model.as_str())
    .bind(device.location.as_str())
    .bind(device.manager.as_str())
    .bind(device.remarks.as_str())
    .bind(device.os_version.as_str())
    .bind(device.last_security_update.map(|date| date.to_string()))
    .bind(device.antivirus.code())
    .bind(yes_no_to_db(device.remote.used))
    .bind(device.remote.vendor.as_str())
    .bind(device.remote.method.as_str())
    .bind(yes_no_to_db(device.mds_sds_received))
    .bind(yes_no_to_db(device.internet_connected))
    .bind(device.segment.as_str())
    .bind(device.ip_text())
    .bind(device.mac_text())
    .bind(yes_no_to_db(device.initial_password_changed))
    .bind(yes_no_to_db(device.external_media.restricted))
    .bind(device.external_media.how.as_str())
    .bind(device.status.code())
    .bind(to_micros(now))
    .bind(search_text(device))
    .execute(&mut *connection)
    .await
    .map_err(Error::conflict_on("asset_number"))?;
    Error::unless_one_row(&result)
}

/// Adds a device; its 管理番号 must be new in the institution.
pub async fn add(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    device: &NewDevice,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    let id = insert(&mut transaction, grant.institution_id().get(), device, now).await?;
    let event = NewAuditEvent::by(
        grant,
        "device.create",
        format!("device:{id}"),
        json!({ "after": device_json(device) }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Changes a device that is not disposed; the audit event holds the columns that changed.
pub async fn update(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    device: &NewDevice,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before = fetch(&mut transaction, grant.institution_id().get(), id).await?;
    if before.disposal.is_some() {
        return Err(Error::NotFound);
    }
    if before.device == *device {
        return Ok(());
    }
    update_row(
        &mut transaction,
        grant.institution_id().get(),
        id,
        device,
        now,
    )
    .await?;
    let (old, new) = difference(&before.device, device);
    let event = NewAuditEvent::by(
        grant,
        "device.update",
        format!("device:{id}"),
        json!({ "asset_number": device.asset_number, "before": old, "after": new }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(())
}

async fn fetch(
    connection: &mut AnyConnection,
    institution_id: i64,
    id: i64,
) -> Result<Device, Error> {
    let sql = format!(
        "SELECT {COLUMNS}, p.disposed_on, p.contractor, p.method, p.certificate_name, p.certificate_type,
                p.certificate_sha256
         FROM devices d LEFT JOIN device_disposals p ON p.device_id = d.id
         WHERE d.id = $1 AND d.institution_id = $2"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(institution_id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(Error::NotFound)?;
    let mut device = device_from_row(&row)?;
    device.disposal = match row.try_get::<Option<String>, _>("disposed_on")? {
        None => None,
        Some(date) => Some(Disposal {
            disposed_on: date.parse().map_err(|_| Error::Corrupt("disposal date"))?,
            contractor: row.try_get("contractor")?,
            method: row.try_get("method")?,
            certificate: match (
                row.try_get::<Option<String>, _>("certificate_name")?,
                row.try_get::<Option<String>, _>("certificate_type")?,
                row.try_get::<Option<String>, _>("certificate_sha256")?,
            ) {
                (Some(name), Some(kind), Some(sha)) => Some((name, kind, sha)),
                _ => None,
            },
        }),
    };
    Ok(device)
}

/// One device of the institution, disposed or not.
pub async fn get<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: i64,
) -> Result<Device, Error> {
    let mut connection = store.pool().acquire().await?;
    fetch(&mut connection, grant.institution_id().get(), id).await
}

/// The `LIKE` pattern for `text`, with `%`, `_` and `\` taken literally.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One page of the ledger matching `query`, ordered by 管理番号, and how many
/// devices match in all.
pub async fn list<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    query: &DeviceQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Device>, i64), Error> {
    let text = query.text.trim();
    let pattern = (!text.is_empty()).then(|| like_pattern(&text.to_lowercase()));
    let filter = "institution_id = $1
           AND ($2 IS NULL OR kind = $2)
           AND (($3 IS NULL AND status <> 'disposed') OR status = $3)
           AND ($4 IS NULL OR search_text LIKE $4 ESCAPE '\\')";
    // Two queries, not COUNT(*) OVER (): a window makes both databases read and
    // sort every matching row before the LIMIT (measured: 2 ms → 15 ms on SQLite).
    let count_sql = format!("SELECT COUNT(*) FROM devices WHERE {filter}");
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
        .bind(grant.institution_id().get())
        .bind(query.kind.map(DeviceKind::code))
        .bind(query.status.map(DeviceStatus::code))
        .bind(pattern.as_deref())
        .fetch_one(store.pool())
        .await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM devices WHERE {filter} ORDER BY asset_number LIMIT $5 OFFSET $6"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(grant.institution_id().get())
        .bind(query.kind.map(DeviceKind::code))
        .bind(query.status.map(DeviceStatus::code))
        .bind(pattern.as_deref())
        .bind(limit)
        .bind(offset)
        .fetch_all(store.pool())
        .await?;
    let devices = rows
        .iter()
        .map(device_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((devices, total))
}

/// Every device of the institution by 管理番号 (disposed ones too, marked), for
/// export and for checking an import.
pub async fn all<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<Device>, Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM devices WHERE institution_id = $1 ORDER BY asset_number");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(grant.institution_id().get())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(device_from_row).collect()
}

/// Records the disposal (廃棄) of a device: it leaves the active ledger and
/// stays in history. A device is disposed of once.
pub async fn dispose(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    disposal: &NewDisposal,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let before = fetch(&mut transaction, grant.institution_id().get(), id).await?;
    if before.disposal.is_some() {
        return Err(Error::Conflict("disposed"));
    }
    let result = sqlx::query(
        "UPDATE devices SET status = 'disposed', updated_at = $3 WHERE id = $1 AND institution_id = $2",
    )
    .bind(id)
    .bind(grant.institution_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    let (name, kind, content, sha256) = match &disposal.certificate {
        Some((name, kind, content, sha256)) => (
            Some(name.as_str()),
            Some(kind.as_str()),
            Some(content.clone()),
            Some(sha256.as_str()),
        ),
        None => (None, None, None, None),
    };
    sqlx::query(
        "INSERT INTO device_disposals (device_id, disposed_on, contractor, method, certificate_name,
            certificate_type, certificate_sha256, certificate, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(disposal.disposed_on.to_string())
    .bind(disposal.contractor.as_str())
    .bind(disposal.method.as_str())
    .bind(name)
    .bind(kind)
    .bind(sha256)
    .bind(content)
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "device.dispose",
        format!("device:{id}"),
        json!({
            "asset_number": before.device.asset_number,
            "before": { "状態": before.device.status.name_ja() },
            "after": {
                "状態": DeviceStatus::Disposed.name_ja(),
                "廃棄日": disposal.disposed_on.to_string(),
                "廃棄業者": disposal.contractor,
                "方法": disposal.method,
                "消去証明書": name,
                "消去証明書SHA-256": sha256,
            }
        }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(())
}

/// The erasure certificate of a disposed device: name, media type, bytes.
pub async fn certificate<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: i64,
) -> Result<(String, String, Vec<u8>), Error> {
    let row = sqlx::query(
        "SELECT p.certificate_name, p.certificate_type, p.certificate
         FROM device_disposals p JOIN devices d ON d.id = p.device_id
         WHERE d.id = $1 AND d.institution_id = $2 AND p.certificate IS NOT NULL",
    )
    .bind(id)
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
}

/// A device's history: its audit events, oldest first.
pub async fn history<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: i64,
) -> Result<Vec<AuditEvent>, Error> {
    audit_log::for_target(store, grant.institution_id(), &format!("device:{id}")).await
}

/// An uploaded import file, kept until it is applied.
#[derive(Debug, Clone)]
pub struct PendingImport {
    /// Its id.
    pub id: i64,
    /// The name it was uploaded with.
    pub file_name: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// Keeps an uploaded file of `ledger` (`devices`, `accounts`) that passed the
/// check, for the person who uploaded it to apply after the preview. Their
/// older unapplied files of that ledger are dropped.
pub async fn stage_import(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    ledger: &str,
    file_name: &str,
    content: &[u8],
    sha256: &str,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    sqlx::query(
        "DELETE FROM device_imports WHERE institution_id = $1 AND user_id = $2 AND ledger = $3 AND applied_at IS NULL",
    )
    .bind(grant.institution_id().get())
    .bind(grant.principal().user_id().get())
    .bind(ledger)
    .execute(&mut *transaction)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO device_imports (institution_id, user_id, file_name, sha256, content, created_at, ledger)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(grant.principal().user_id().get())
    .bind(file_name)
    .bind(sha256)
    .bind(content.to_vec())
    .bind(to_micros(now))
    .bind(ledger)
    .fetch_one(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(id)
}

/// The caller's own unapplied import `id` of `ledger` (`devices`, `accounts`).
pub async fn pending_import(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    ledger: &str,
    id: i64,
) -> Result<PendingImport, Error> {
    let row = sqlx::query(
        "SELECT id, file_name, sha256, content FROM device_imports
         WHERE id = $1 AND institution_id = $2 AND user_id = $3 AND applied_at IS NULL AND ledger = $4",
    )
    .bind(id)
    .bind(grant.institution_id().get())
    .bind(grant.principal().user_id().get())
    .bind(ledger)
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    Ok(PendingImport {
        id: row.try_get(0)?,
        file_name: row.try_get(1)?,
        sha256: row.try_get(2)?,
        content: row.try_get(3)?,
    })
}

/// Marks the caller's own unapplied import `id` applied, inside the import's
/// transaction: a second apply of the same preview finds nothing (`NotFound`).
pub(crate) async fn mark_applied(
    connection: &mut AnyConnection,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let marked = sqlx::query(
        "UPDATE device_imports SET applied_at = $4
         WHERE id = $1 AND institution_id = $2 AND user_id = $3 AND applied_at IS NULL",
    )
    .bind(id)
    .bind(grant.institution_id().get())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .execute(&mut *connection)
    .await?;
    Error::unless_one_row(&marked)
}

/// How many devices an applied import added and changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    /// New devices.
    pub added: usize,
    /// Changed devices.
    pub changed: usize,
    /// Rows identical to the ledger.
    pub unchanged: usize,
}

/// Applies checked rows in one transaction: all of them or, on any failure
/// (e.g. someone added the same 管理番号 meanwhile), none. Each new or changed
/// device gets its own audit event, and the import one event with the file's hash.
pub async fn apply_import(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    import: &PendingImport,
    rows: &[ImportRow],
    now: jiff::Timestamp,
) -> Result<ImportCounts, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    mark_applied(&mut transaction, grant, import.id, now).await?;
    let ids: HashMap<String, i64> = sqlx::query(
        "SELECT asset_number, id FROM devices WHERE institution_id = $1 AND status <> 'disposed'",
    )
    .bind(institution_id)
    .fetch_all(&mut *transaction)
    .await?
    .iter()
    .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
    .collect::<Result<_, Error>>()?;
    let mut counts = ImportCounts::default();
    let mut events = Vec::new();
    for row in rows {
        match &row.change {
            RowChange::Unchanged => counts.unchanged += 1,
            RowChange::New => {
                let id = insert(&mut transaction, institution_id, &row.device, now).await?;
                counts.added += 1;
                events.push(NewAuditEvent::by(
                    grant,
                    "device.create",
                    format!("device:{id}"),
                    json!({ "after": device_json(&row.device), "import": import.id }),
                ));
            }
            RowChange::Changed(_) => {
                let id = *ids
                    .get(&row.device.asset_number)
                    .ok_or(Error::Conflict("asset_number"))?;
                let before = fetch(&mut transaction, institution_id, id).await?;
                update_row(&mut transaction, institution_id, id, &row.device, now).await?;
                counts.changed += 1;
                let (old, new) = difference(&before.device, &row.device);
                events.push(NewAuditEvent::by(
                    grant,
                    "device.update",
                    format!("device:{id}"),
                    json!({ "asset_number": row.device.asset_number, "before": old, "after": new, "import": import.id }),
                ));
            }
        }
    }
    events.push(NewAuditEvent::by(
        grant,
        "device.import",
        format!("device_import:{}", import.id),
        json!({
            "file": import.file_name,
            "sha256": import.sha256,
            "added": counts.added,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
        }),
    ));
    audit_log::append_many(&mut transaction, &events, now).await?;
    transaction.commit().await?;
    Ok(counts)
}

/// Records that a ledger (`devices`, `accounts`, `staff`) was exported.
pub async fn record_export<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    ledger: &str,
    format: &str,
    rows: usize,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let transaction = store.begin().await?;
    let event = NewAuditEvent::by(
        grant,
        "ledger.export",
        ledger.to_owned(),
        json!({ "format": format, "rows": rows }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

pub use crate::review::Review;

/// Records that the device ledger was checked against the devices in place
/// (棚卸), with the active devices counted at that moment.
pub async fn record_review(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    reviewed_on: civil::Date,
    note: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM devices WHERE institution_id = $1 AND status <> 'disposed'",
    )
    .bind(grant.institution_id().get())
    .fetch_one(store.pool())
    .await?;
    let counts = json!({ "台数": active });
    crate::review::record(
        store,
        grant,
        "devices",
        "device.review",
        reviewed_on,
        note,
        counts,
        now,
    )
    .await
}

/// The latest review of the device ledger, if any.
pub async fn last_review<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<Review>, Error> {
    crate::review::last(store, grant, "devices").await
}

/// When the device ledger last changed (a device added, changed or disposed).
pub async fn last_change<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<jiff::Timestamp>, Error> {
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(updated_at) FROM devices WHERE institution_id = $1")
            .bind(grant.institution_id().get())
            .fetch_one(store.pool())
            .await?;
    Ok(latest.map(from_micros))
}
