//! The usage log (使用管理簿, 第6条) and private devices allowed for work
//! (私物の機器, 第7条), each line audited.

use jiff::civil;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{NewPrivateDevice, NewUse};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A line of the usage log.
#[derive(Debug, Clone)]
pub struct Use {
    /// The device's 管理番号.
    pub asset_number: String,
    /// The day, and start and end as `HH:MM`.
    pub used_on: civil::Date,
    pub start: String,
    pub end: String,
    /// Who used it.
    pub user_name: String,
    /// Whether the virus check was done.
    pub virus_checked: bool,
}

/// Adds a line; the 管理番号 must be a device of the ledger, not disposed.
pub async fn add_use(
    store: &Store,
    grant: &Grant<permissions::RecordUse>,
    line: &NewUse,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let device_id: i64 = sqlx::query_scalar(
        "SELECT id FROM devices WHERE institution_id = $1 AND asset_number = $2 AND status <> 'disposed'",
    )
    .bind(institution_id)
    .bind(line.asset_number.as_str())
    .fetch_optional(&mut *transaction)
    .await?
    .ok_or(Error::NotFound)?;
    let start = line.start.strftime("%H:%M").to_string();
    let end = line.end.strftime("%H:%M").to_string();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO device_uses (institution_id, device_id, used_on, start_time, end_time, user_name,
            virus_checked, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(institution_id)
    .bind(device_id)
    .bind(line.used_on.to_string())
    .bind(start.as_str())
    .bind(end.as_str())
    .bind(line.user_name.as_str())
    .bind(i64::from(line.virus_checked))
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "device.use",
        format!("device:{device_id}"),
        json!({ "after": {
            "使用年月日": line.used_on.to_string(), "開始": start, "終了": end,
            "使用者": line.user_name, "ウイルスチェック": line.virus_checked, "記録": id,
        } }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// The latest 500 lines, newest first.
pub async fn list_uses<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<Use>, Error> {
    let rows = sqlx::query(
        "SELECT d.asset_number, u.used_on, u.start_time, u.end_time, u.user_name, u.virus_checked
         FROM device_uses u JOIN devices d ON d.id = u.device_id
         WHERE u.institution_id = $1 ORDER BY u.used_on DESC, u.start_time DESC, u.id DESC LIMIT 500",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Use {
                asset_number: row.try_get(0)?,
                used_on: row
                    .try_get::<String, _>(1)?
                    .parse()
                    .map_err(|_| Error::Corrupt("use date"))?,
                start: row.try_get(2)?,
                end: row.try_get(3)?,
                user_name: row.try_get(4)?,
                virus_checked: row.try_get::<i64, _>(5)? != 0,
            })
        })
        .collect()
}

/// A private device's permission, and the deletion of its data after use.
#[derive(Debug, Clone)]
pub struct PrivateDevice {
    /// Its id.
    pub id: i64,
    /// The permission.
    pub permission: NewPrivateDevice,
    /// When the data was deleted, once it was.
    pub data_deleted_on: Option<civil::Date>,
}

/// Records the 所属長's permission (the virus check was done).
pub async fn add_private_device(
    store: &Store,
    grant: &Grant<permissions::RecordUse>,
    permission: &NewPrivateDevice,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO private_devices (institution_id, owner_name, device, purpose, permitted_by, permitted_on,
            virus_checked, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) RETURNING id",
    )
    .bind(grant.institution_id().get())
    .bind(permission.owner_name.as_str())
    .bind(permission.device.as_str())
    .bind(permission.purpose.as_str())
    .bind(permission.permitted_by.as_str())
    .bind(permission.permitted_on.to_string())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "private_device.permit",
        format!("private_device:{id}"),
        json!({ "after": {
            "所有者": permission.owner_name, "機器": permission.device, "目的": permission.purpose,
            "許可した所属長": permission.permitted_by, "許可日": permission.permitted_on.to_string(),
            "ウイルスチェック": true,
        } }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Every permission, those whose data is not yet deleted first.
pub async fn list_private_devices<P: permissions::Marker>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<PrivateDevice>, Error> {
    let rows = sqlx::query(
        "SELECT id, owner_name, device, purpose, permitted_by, permitted_on, data_deleted_on
         FROM private_devices WHERE institution_id = $1
         ORDER BY CASE WHEN data_deleted_on IS NULL THEN 0 ELSE 1 END, permitted_on DESC, id DESC LIMIT 500",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let date = |raw: String| {
                raw.parse::<civil::Date>()
                    .map_err(|_| Error::Corrupt("private device date"))
            };
            Ok(PrivateDevice {
                id: row.try_get(0)?,
                permission: NewPrivateDevice {
                    owner_name: row.try_get(1)?,
                    device: row.try_get(2)?,
                    purpose: row.try_get(3)?,
                    permitted_by: row.try_get(4)?,
                    permitted_on: date(row.try_get(5)?)?,
                },
                data_deleted_on: row.try_get::<Option<String>, _>(6)?.map(date).transpose()?,
            })
        })
        .collect()
}

/// Records that the data on a private device was deleted after use; once.
pub async fn record_data_deleted(
    store: &Store,
    grant: &Grant<permissions::RecordUse>,
    id: i64,
    day: civil::Date,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE private_devices SET data_deleted_on = $3
         WHERE id = $1 AND institution_id = $2 AND data_deleted_on IS NULL",
    )
    .bind(id)
    .bind(grant.institution_id().get())
    .bind(day.to_string())
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    let event = NewAuditEvent::by(
        grant,
        "private_device.data_deleted",
        format!("private_device:{id}"),
        json!({ "after": { "データ削除日": day.to_string() } }),
    );
    audit_log::commit_with(transaction, &event, now).await
}
