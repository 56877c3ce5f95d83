//! Carry-out requests (持ち出し, 第13条(1)): each step of 申請 → 承認/却下 →
//! 持ち出し中 → 返却 is checked by the domain's `next_status` inside the
//! transaction that records it, with its audit event.
//!
//! Who sees what: the holder of `ViewLedger` (managers, operators, the
//! inspector) sees every request of the institution; anyone else only their own.

use jiff::civil;
use mamori_domain::institution::{Grant, Permission, Role, UserId, permissions};
use mamori_domain::ledger::{
    Actor, CarryOutAction, CarryOutRefusal, CarryOutStatus, NewCarryOut, next_status,
};
use serde_json::json;
use sqlx::Row;

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, from_micros, to_micros};

/// A stored request.
#[derive(Debug, Clone)]
pub struct CarryOut {
    /// Its id.
    pub id: i64,
    /// What goes out.
    pub what: String,
    /// The ledger device, as (id, 管理番号), if one goes.
    pub device: Option<(i64, String)>,
    /// Why.
    pub purpose: String,
    /// Where to.
    pub destination: String,
    /// The day out.
    pub out_on: civil::Date,
    /// The expected return.
    pub return_by: civil::Date,
    /// Whether the requester said it is encrypted.
    pub encrypted: bool,
    /// Where it stands.
    pub status: CarryOutStatus,
    /// Who asked (user id and name).
    pub requested_by: (UserId, String),
    /// When.
    pub requested_at: jiff::Timestamp,
    /// Who approved or rejected, and when.
    pub decided: Option<(String, jiff::Timestamp)>,
    /// The decision's note.
    pub decision_note: String,
    /// When it went out.
    pub taken_at: Option<jiff::Timestamp>,
    /// When it came back.
    pub returned_at: Option<jiff::Timestamp>,
}

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The workflow does not allow it.
    #[error("{0}")]
    Refused(CarryOutRefusal),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] Error),
}

/// Whether the grant's holder sees every request (`ViewLedger`) or only their own.
fn sees_all<P>(grant: &Grant<P>) -> bool {
    grant.principal().role().has(Permission::ViewLedger)
}

const SELECT: &str = "SELECT c.id, c.what, c.device_id, d.asset_number, c.purpose, c.destination, c.out_on,
        c.return_by, c.encrypted, c.status, c.requested_by, r.display_name AS requester, c.requested_at,
        a.display_name AS decider, c.decided_at, c.decision_note, c.taken_at, c.returned_at
    FROM carry_outs c
    JOIN users r ON r.id = c.requested_by
    LEFT JOIN users a ON a.id = c.decided_by
    LEFT JOIN devices d ON d.id = c.device_id";

fn from_row(row: &sqlx::any::AnyRow) -> Result<CarryOut, Error> {
    let date = |name: &str| -> Result<civil::Date, Error> {
        row.try_get::<String, _>(name)?
            .parse()
            .map_err(|_| Error::Corrupt("carry-out date"))
    };
    let device = match (
        row.try_get::<Option<i64>, _>("device_id")?,
        row.try_get::<Option<String>, _>("asset_number")?,
    ) {
        (Some(id), Some(asset)) => Some((id, asset)),
        _ => None,
    };
    let decided = match (
        row.try_get::<Option<String>, _>("decider")?,
        row.try_get::<Option<i64>, _>("decided_at")?,
    ) {
        (Some(name), Some(at)) => Some((name, from_micros(at))),
        _ => None,
    };
    Ok(CarryOut {
        id: row.try_get("id")?,
        what: row.try_get("what")?,
        device,
        purpose: row.try_get("purpose")?,
        destination: row.try_get("destination")?,
        out_on: date("out_on")?,
        return_by: date("return_by")?,
        encrypted: row.try_get::<i64, _>("encrypted")? != 0,
        status: CarryOutStatus::from_code(&row.try_get::<String, _>("status")?)
            .ok_or(Error::Corrupt("carry-out status"))?,
        requested_by: (
            UserId::from_db(row.try_get("requested_by")?),
            row.try_get("requester")?,
        ),
        requested_at: from_micros(row.try_get("requested_at")?),
        decided,
        decision_note: row.try_get("decision_note")?,
        taken_at: row.try_get::<Option<i64>, _>("taken_at")?.map(from_micros),
        returned_at: row
            .try_get::<Option<i64>, _>("returned_at")?
            .map(from_micros),
    })
}

/// Files a request. A 管理番号 must name a device of the ledger that is not
/// disposed (`NotFound` otherwise).
pub async fn request(
    store: &Store,
    grant: &Grant<permissions::RequestCarryOut>,
    carry_out: &NewCarryOut,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let device_id: Option<i64> = match &carry_out.asset_number {
        None => None,
        Some(asset) => Some(
            sqlx::query_scalar(
                "SELECT id FROM devices WHERE institution_id = $1 AND asset_number = $2 AND status <> 'disposed'",
            )
            .bind(institution_id)
            .bind(asset.as_str())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(Error::NotFound)?,
        ),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO carry_outs (institution_id, device_id, what, purpose, destination, out_on, return_by,
            encrypted, status, requested_by, requested_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(institution_id)
    .bind(device_id)
    .bind(carry_out.what.as_str())
    .bind(carry_out.purpose.as_str())
    .bind(carry_out.destination.as_str())
    .bind(carry_out.out_on.to_string())
    .bind(carry_out.return_by.to_string())
    .bind(i64::from(carry_out.encrypted))
    .bind(CarryOutStatus::Requested.code())
    .bind(grant.principal().user_id().get())
    .bind(to_micros(now))
    .fetch_one(&mut *transaction)
    .await?;
    let event = NewAuditEvent::by(
        grant,
        "carry_out.request",
        format!("carry_out:{id}"),
        json!({
            "after": {
                "持ち出す情報・機器": carry_out.what,
                "管理番号": carry_out.asset_number,
                "目的": carry_out.purpose,
                "持ち出し先": carry_out.destination,
                "持ち出し日": carry_out.out_on.to_string(),
                "返却予定日": carry_out.return_by.to_string(),
                "暗号化": carry_out.encrypted,
            }
        }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// The requests the grant's holder may see, open ones first, newest first.
pub async fn list(
    store: &Store,
    grant: &Grant<permissions::ViewCarryOuts>,
) -> Result<Vec<CarryOut>, Error> {
    let sql = format!(
        "{SELECT} WHERE c.institution_id = $1 AND ($2 = 1 OR c.requested_by = $3)
         ORDER BY CASE WHEN c.status IN ('rejected', 'returned') THEN 1 ELSE 0 END, c.id DESC
         LIMIT 500"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(grant.institution_id().get())
        .bind(i64::from(sees_all(grant)))
        .bind(grant.principal().user_id().get())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// One request, if the grant's holder may see it.
pub async fn get(
    store: &Store,
    grant: &Grant<permissions::ViewCarryOuts>,
    id: i64,
) -> Result<CarryOut, Error> {
    let sql = format!(
        "{SELECT} WHERE c.id = $1 AND c.institution_id = $2 AND ($3 = 1 OR c.requested_by = $4)"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(grant.institution_id().get())
        .bind(i64::from(sees_all(grant)))
        .bind(grant.principal().user_id().get())
        .fetch_optional(store.pool())
        .await?
        .ok_or(Error::NotFound)?;
    from_row(&row)
}

/// How many people other than `requester` could approve a request: active,
/// ordinary (not break-glass) accounts whose role approves carry-outs. With
/// none, the request can never be approved in mamori, and the page says so.
pub async fn other_approvers(
    store: &Store,
    grant: &Grant<permissions::ViewCarryOuts>,
    requester: UserId,
) -> Result<i64, Error> {
    let codes: Vec<&str> = Role::ALL
        .iter()
        .filter(|role| role.has(Permission::ApproveCarryOut))
        .map(|role| role.code())
        .collect();
    let mut count = 0;
    for code in codes {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE institution_id = $1 AND id <> $2
             AND active = 1 AND break_glass = 0 AND role = $3",
        )
        .bind(grant.institution_id().get())
        .bind(requester.get())
        .bind(code)
        .fetch_one(store.pool())
        .await?;
        count += n;
    }
    Ok(count)
}

/// Takes one step of the workflow. The status is read and changed in one
/// transaction, and the change only applies if nobody moved it meanwhile.
pub async fn step(
    store: &Store,
    grant: &Grant<permissions::ViewCarryOuts>,
    id: i64,
    action: CarryOutAction,
    encryption_confirmed: bool,
    note: &str,
    now: jiff::Timestamp,
) -> Result<CarryOutStatus, StepError> {
    let current = get(store, grant, id).await?;
    let role = grant.principal().role();
    let actor = Actor {
        approver: role.has(Permission::ApproveCarryOut),
        requester: current.requested_by.0 == grant.principal().user_id(),
    };
    if !role.has(Permission::RequestCarryOut) {
        return Err(StepError::Refused(CarryOutRefusal::NotInvolved));
    }
    let next = next_status(current.status, action, actor, encryption_confirmed)
        .map_err(StepError::Refused)?;
    let micros = to_micros(now);
    let user = grant.principal().user_id().get();
    let mut transaction = store.begin().await.map_err(Error::from)?;
    let query = match action {
        CarryOutAction::Approve | CarryOutAction::Reject => sqlx::query(
            "UPDATE carry_outs SET status = $3, decided_by = $5, decided_at = $6, decision_note = $7
             WHERE id = $1 AND institution_id = $2 AND status = $4",
        ),
        CarryOutAction::Take => sqlx::query(
            "UPDATE carry_outs SET status = $3, taken_at = $5
             WHERE id = $1 AND institution_id = $2 AND status = $4",
        ),
        CarryOutAction::Return => sqlx::query(
            "UPDATE carry_outs SET status = $3, returned_at = $5
             WHERE id = $1 AND institution_id = $2 AND status = $4",
        ),
    }
    .bind(id)
    .bind(grant.institution_id().get())
    .bind(next.code())
    .bind(current.status.code());
    let query = match action {
        CarryOutAction::Approve | CarryOutAction::Reject => {
            query.bind(user).bind(micros).bind(note)
        }
        CarryOutAction::Take | CarryOutAction::Return => query.bind(micros),
    };
    let result = query
        .execute(&mut *transaction)
        .await
        .map_err(Error::from)?;
    if result.rows_affected() != 1 {
        return Err(StepError::Refused(CarryOutRefusal::WrongStatus));
    }
    let event = NewAuditEvent::by(
        grant,
        match action {
            CarryOutAction::Approve => "carry_out.approve",
            CarryOutAction::Reject => "carry_out.reject",
            CarryOutAction::Take => "carry_out.take",
            CarryOutAction::Return => "carry_out.return",
        },
        format!("carry_out:{id}"),
        json!({
            "before": { "状態": current.status.name_ja() },
            "after": { "状態": next.name_ja(), "メモ": note, "暗号化を確認": encryption_confirmed },
        }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(next)
}

/// Counts for the dashboard: requests of others waiting for a decision (nobody
/// approves their own), and requests out past their return date (as of `today`).
pub async fn counts(
    store: &Store,
    grant: &Grant<permissions::ViewCarryOuts>,
    today: civil::Date,
) -> Result<(i64, i64), Error> {
    let row = sqlx::query(
        "SELECT
            COALESCE(SUM(CASE WHEN status = 'requested' AND requested_by <> $3 THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN status IN ('approved', 'taken') AND return_by < $4 THEN 1 ELSE 0 END), 0)
         FROM carry_outs WHERE institution_id = $1 AND ($2 = 1 OR requested_by = $3)",
    )
    .bind(grant.institution_id().get())
    .bind(i64::from(sees_all(grant)))
    .bind(grant.principal().user_id().get())
    .bind(today.to_string())
    .fetch_one(store.pool())
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
