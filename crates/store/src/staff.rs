//! The staff ledger (職員), accounts on each system, the deletion tasks a
//! 退職日 opens, and the access rights per 職種 × 情報区分. Every change is
//! audited in its transaction.

use jiff::civil;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{AccessLevel, InfoCategory, Job, NewAccount, NewStaff};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::audit_log::{self, NewAuditEvent};
use crate::{Error, Store, to_micros};

/// A member of staff as stored.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Its id.
    pub id: i64,
    /// Its fields.
    pub staff: NewStaff,
}

/// An account as stored.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its id.
    pub id: i64,
    /// Its fields.
    pub account: NewAccount,
    /// The owner's name and 退職日, when it has an owner.
    pub owner: Option<(String, Option<civil::Date>)>,
    /// The day it was deleted (無効化) on the system, if it was.
    pub deleted_on: Option<civil::Date>,
    /// An open deletion task's due date (from the owner's 退職日).
    pub task_due: Option<civil::Date>,
}

fn date(raw: Option<String>, what: &'static str) -> Result<Option<civil::Date>, Error> {
    raw.map(|text| text.parse().map_err(|_| Error::Corrupt(what)))
        .transpose()
}

fn staff_from_row(row: &sqlx::any::AnyRow) -> Result<Staff, Error> {
    Ok(Staff {
        id: row.try_get("id")?,
        staff: NewStaff {
            name: row.try_get("name")?,
            job: Job::parse("job", &row.try_get::<String, _>("job")?)
                .map_err(|_| Error::Corrupt("staff job"))?,
            department: row.try_get("department")?,
            joined_on: date(row.try_get("joined_on")?, "staff date")?,
            left_on: date(row.try_get("left_on")?, "staff date")?,
        },
    })
}

fn staff_json(staff: &NewStaff) -> serde_json::Value {
    json!({
        "氏名": staff.name,
        "職種": staff.job.name_ja(),
        "部署": staff.department,
        "入職日": staff.joined_on.map(|d| d.to_string()),
        "退職日": staff.left_on.map(|d| d.to_string()),
    })
}

/// Opens a deletion task, due on the 退職日, for each active account of
/// `staff_id` that has none.
async fn open_tasks(
    connection: &mut AnyConnection,
    institution_id: i64,
    staff_id: i64,
    left_on: civil::Date,
    now: jiff::Timestamp,
) -> Result<u64, Error> {
    let result = sqlx::query(
        "INSERT INTO account_tasks (institution_id, account_id, due_on, created_at)
         SELECT $1, a.id, $3, $4 FROM system_accounts a
         WHERE a.institution_id = $1 AND a.staff_id = $2 AND a.deleted_on IS NULL
           AND NOT EXISTS (SELECT 1 FROM account_tasks t WHERE t.account_id = a.id)",
    )
    .bind(institution_id)
    .bind(staff_id)
    .bind(left_on.to_string())
    .bind(to_micros(now))
    .execute(&mut *connection)
    .await?;
    Ok(result.rows_affected())
}

async fn insert_staff(
    connection: &mut AnyConnection,
    institution_id: i64,
    staff: &NewStaff,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "INSERT INTO staff (institution_id, name, job, department, joined_on, left_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(institution_id)
    .bind(staff.name.as_str())
    .bind(staff.job.code())
    .bind(staff.department.as_str())
    .bind(staff.joined_on.map(|d| d.to_string()))
    .bind(staff.left_on.map(|d| d.to_string()))
    .bind(to_micros(now))
    .fetch_one(&mut *connection)
    .await?)
}

/// Changes a member of staff in `connection`'s transaction and opens the
/// deletion tasks a 退職日 calls for; returns the event describing it.
async fn change_staff<P>(
    connection: &mut AnyConnection,
    grant: &Grant<P>,
    id: i64,
    staff: &NewStaff,
    now: jiff::Timestamp,
) -> Result<(NewAuditEvent, u64), Error> {
    let institution_id = grant.institution_id().get();
    let before = sqlx::query(
        "SELECT id, name, job, department, joined_on, left_on FROM staff WHERE id = $1 AND institution_id = $2",
    )
    .bind(id)
    .bind(institution_id)
    .fetch_optional(&mut *connection)
    .await?
    .ok_or(Error::NotFound)
    .and_then(|row| staff_from_row(&row))?;
    let result = sqlx::query(
        "UPDATE staff SET name = $3, job = $4, department = $5, joined_on = $6, left_on = $7, updated_at = $8
         WHERE id = $1 AND institution_id = $2",
    )
    .bind(id)
    .bind(institution_id)
    .bind(staff.name.as_str())
    .bind(staff.job.code())
    .bind(staff.department.as_str())
    .bind(staff.joined_on.map(|d| d.to_string()))
    .bind(staff.left_on.map(|d| d.to_string()))
    .bind(to_micros(now))
    .execute(&mut *connection)
    .await?;
    Error::unless_one_row(&result)?;
    // Open tasks follow the 退職日: moved with it, dropped when it is cleared.
    let open_of_this_person = "account_id IN (SELECT id FROM system_accounts
             WHERE institution_id = $1 AND staff_id = $2) AND institution_id = $1 AND done_at IS NULL";
    let tasks = match staff.left_on {
        Some(left_on) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE account_tasks SET due_on = $3 WHERE {open_of_this_person}"
            )))
            .bind(institution_id)
            .bind(id)
            .bind(left_on.to_string())
            .execute(&mut *connection)
            .await?;
            open_tasks(connection, institution_id, id, left_on, now).await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM account_tasks WHERE {open_of_this_person}"
            )))
            .bind(institution_id)
            .bind(id)
            .execute(&mut *connection)
            .await?;
            0
        }
    };
    let event = NewAuditEvent::by(
        grant,
        "staff.update",
        format!("staff:{id}"),
        json!({ "before": staff_json(&before.staff), "after": staff_json(staff), "deletion_tasks_opened": tasks }),
    );
    Ok((event, tasks))
}

/// Adds a member of staff.
pub async fn add_staff(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    staff: &NewStaff,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let mut transaction = store.begin().await?;
    let id = insert_staff(&mut transaction, grant.institution_id().get(), staff, now).await?;
    let event = NewAuditEvent::by(
        grant,
        "staff.create",
        format!("staff:{id}"),
        json!({ "after": staff_json(staff) }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Changes a member of staff. Recording a 退職日 opens a deletion task for
/// each of their active accounts; the event says how many.
pub async fn update_staff(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    staff: &NewStaff,
    now: jiff::Timestamp,
) -> Result<u64, Error> {
    let mut transaction = store.begin().await?;
    let (event, tasks) = change_staff(&mut transaction, grant, id, staff, now).await?;
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(tasks)
}

/// Applies checked staff rows in one transaction: all or none.
pub async fn apply_staff_import(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    import: &crate::device::PendingImport,
    rows: &[mamori_domain::ledger::StaffImportRow],
    now: jiff::Timestamp,
) -> Result<crate::device::ImportCounts, Error> {
    use mamori_domain::ledger::RowChange;
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    crate::device::mark_applied(&mut transaction, grant, import.id, now).await?;
    let mut counts = crate::device::ImportCounts::default();
    let mut events = Vec::new();
    for row in rows {
        match (&row.change, row.id) {
            (RowChange::Unchanged, _) => counts.unchanged += 1,
            (RowChange::Changed(_), Some(id)) => {
                counts.changed += 1;
                events.push(
                    change_staff(&mut transaction, grant, id, &row.staff, now)
                        .await?
                        .0,
                );
            }
            _ => {
                counts.added += 1;
                let id = insert_staff(&mut transaction, institution_id, &row.staff, now).await?;
                events.push(NewAuditEvent::by(
                    grant,
                    "staff.create",
                    format!("staff:{id}"),
                    json!({ "after": staff_json(&row.staff), "import": import.id }),
                ));
            }
        }
    }
    events.push(NewAuditEvent::by(
        grant,
        "staff.import",
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

/// The institution's staff by name.
pub async fn list_staff<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<Staff>, Error> {
    let rows = sqlx::query(
        "SELECT id, name, job, department, joined_on, left_on FROM staff WHERE institution_id = $1
         ORDER BY CASE WHEN left_on IS NULL THEN 0 ELSE 1 END, name, id",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(staff_from_row).collect()
}

/// One member of staff.
pub async fn get_staff<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    id: i64,
) -> Result<Staff, Error> {
    let row = sqlx::query(
        "SELECT id, name, job, department, joined_on, left_on FROM staff WHERE id = $1 AND institution_id = $2",
    )
    .bind(id)
    .bind(grant.institution_id().get())
    .fetch_optional(store.pool())
    .await?
    .ok_or(Error::NotFound)?;
    staff_from_row(&row)
}

fn account_json(account: &NewAccount) -> serde_json::Value {
    json!({
        "システム": account.system,
        "アカウント": account.login,
        "職員": account.staff_id,
        "共用": account.shared,
        "管理者権限": account.admin,
        "最終利用日": account.last_used_on.map(|d| d.to_string()),
        "備考": account.note,
    })
}

/// Checks that `staff_id` is a member of this institution's staff.
async fn check_owner(
    connection: &mut AnyConnection,
    institution_id: i64,
    staff_id: Option<i64>,
) -> Result<Option<Option<civil::Date>>, Error> {
    let Some(staff_id) = staff_id else {
        return Ok(None);
    };
    let left_on: Option<String> =
        sqlx::query_scalar("SELECT left_on FROM staff WHERE id = $1 AND institution_id = $2")
            .bind(staff_id)
            .bind(institution_id)
            .fetch_optional(&mut *connection)
            .await?
            .ok_or(Error::Conflict("staff_id"))?;
    Ok(Some(date(left_on, "staff date")?))
}

/// Inserts an account (`Conflict("login")` when the system already has it).
async fn insert_account(
    connection: &mut AnyConnection,
    institution_id: i64,
    account: &NewAccount,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    sqlx::query_scalar(
        "INSERT INTO system_accounts (institution_id, system, login, staff_id, shared, admin, last_used_on, note,
            created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(institution_id)
    .bind(account.system.as_str())
    .bind(account.login.as_str())
    .bind(account.staff_id)
    .bind(i64::from(account.shared))
    .bind(i64::from(account.admin))
    .bind(account.last_used_on.map(|d| d.to_string()))
    .bind(account.note.as_str())
    .bind(to_micros(now))
    .fetch_one(&mut *connection)
    .await
    .map_err(Error::conflict_on("login"))
}

/// Adds an account; its owner must be on the staff list (`Conflict("staff_id")`
/// otherwise) and the system + login pair new (`Conflict("login")`). An
/// account of someone who has already left gets its deletion task at once.
pub async fn add_account(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    account: &NewAccount,
    now: jiff::Timestamp,
) -> Result<i64, Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let owner = check_owner(&mut transaction, institution_id, account.staff_id).await?;
    let id = insert_account(&mut transaction, institution_id, account, now).await?;
    if let (Some(staff_id), Some(Some(left_on))) = (account.staff_id, owner) {
        open_tasks(&mut transaction, institution_id, staff_id, left_on, now).await?;
    }
    let event = NewAuditEvent::by(
        grant,
        "account.create",
        format!("account:{id}"),
        json!({ "after": account_json(account) }),
    );
    audit_log::commit_with(transaction, &event, now).await?;
    Ok(id)
}

/// Records that an account was deleted (無効化) on its system on `deleted_on`;
/// its deletion task, if any, is done.
pub async fn delete_account(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    id: i64,
    deleted_on: civil::Date,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let result = sqlx::query(
        "UPDATE system_accounts SET deleted_on = $3, updated_at = $4
         WHERE id = $1 AND institution_id = $2 AND deleted_on IS NULL",
    )
    .bind(id)
    .bind(institution_id)
    .bind(deleted_on.to_string())
    .bind(to_micros(now))
    .execute(&mut *transaction)
    .await?;
    Error::unless_one_row(&result)?;
    sqlx::query("UPDATE account_tasks SET done_at = $3 WHERE account_id = $1 AND institution_id = $2 AND done_at IS NULL")
        .bind(id)
        .bind(institution_id)
        .bind(to_micros(now))
        .execute(&mut *transaction)
        .await?;
    let event = NewAuditEvent::by(
        grant,
        "account.delete",
        format!("account:{id}"),
        json!({ "after": { "削除日": deleted_on.to_string() } }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Every account of the institution (deleted ones last), with owner and task.
pub async fn list_accounts<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<Account>, Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.system, a.login, a.staff_id, a.shared, a.admin, a.last_used_on, a.note, a.deleted_on,
                s.name AS owner_name, s.left_on AS owner_left_on, t.due_on AS task_due
         FROM system_accounts a
         LEFT JOIN staff s ON s.id = a.staff_id
         LEFT JOIN account_tasks t ON t.account_id = a.id AND t.done_at IS NULL
         WHERE a.institution_id = $1
         ORDER BY CASE WHEN a.deleted_on IS NULL THEN 0 ELSE 1 END, a.system, a.login",
    )
    .bind(grant.institution_id().get())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let owner = match row.try_get::<Option<String>, _>("owner_name")? {
                Some(name) => Some((name, date(row.try_get("owner_left_on")?, "staff date")?)),
                None => None,
            };
            Ok(Account {
                id: row.try_get("id")?,
                account: NewAccount {
                    system: row.try_get("system")?,
                    login: row.try_get("login")?,
                    staff_id: row.try_get("staff_id")?,
                    shared: row.try_get::<i64, _>("shared")? != 0,
                    admin: row.try_get::<i64, _>("admin")? != 0,
                    last_used_on: date(row.try_get("last_used_on")?, "account date")?,
                    note: row.try_get("note")?,
                },
                owner,
                deleted_on: date(row.try_get("deleted_on")?, "account date")?,
                task_due: date(row.try_get("task_due")?, "task date")?,
            })
        })
        .collect()
}

/// The access rights: the level of each 職種 for each 情報区分 that was set.
pub async fn access_rules<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Vec<(Job, InfoCategory, AccessLevel)>, Error> {
    let mut connection = store.pool().acquire().await?;
    rules_in(&mut connection, grant.institution_id().get()).await
}

async fn rules_in(
    connection: &mut AnyConnection,
    institution_id: i64,
) -> Result<Vec<(Job, InfoCategory, AccessLevel)>, Error> {
    let rows =
        sqlx::query("SELECT job, category, level FROM access_rules WHERE institution_id = $1")
            .bind(institution_id)
            .fetch_all(&mut *connection)
            .await?;
    rows.iter()
        .map(|row| {
            let corrupt = |_| Error::Corrupt("access rule");
            Ok((
                Job::parse("job", &row.try_get::<String, _>(0)?).map_err(corrupt)?,
                InfoCategory::parse("category", &row.try_get::<String, _>(1)?).map_err(corrupt)?,
                AccessLevel::parse("level", &row.try_get::<String, _>(2)?).map_err(corrupt)?,
            ))
        })
        .collect()
}

/// Replaces the whole access-rights matrix, audited with before and after.
pub async fn set_access_rules(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    rules: &[(Job, InfoCategory, AccessLevel)],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    let before = rules_in(&mut transaction, institution_id).await?;
    sqlx::query("DELETE FROM access_rules WHERE institution_id = $1")
        .bind(institution_id)
        .execute(&mut *transaction)
        .await?;
    for (job, category, level) in rules {
        sqlx::query("INSERT INTO access_rules (institution_id, job, category, level) VALUES ($1, $2, $3, $4)")
            .bind(institution_id)
            .bind(job.code())
            .bind(category.code())
            .bind(level.code())
            .execute(&mut *transaction)
            .await?;
    }
    let describe = |rules: &[(Job, InfoCategory, AccessLevel)]| -> serde_json::Value {
        rules
            .iter()
            .map(|(job, category, level)| {
                (
                    format!("{}・{}", job.name_ja(), category.name_ja()),
                    serde_json::Value::String(level.name_ja().to_owned()),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let event = NewAuditEvent::by(
        grant,
        "access_rules.update",
        "access_rules".to_owned(),
        json!({ "before": describe(&before), "after": describe(rules) }),
    );
    audit_log::commit_with(transaction, &event, now).await
}

/// Records an account inventory (棚卸) with sign-off: who checked every
/// account against the staff list, on which day, and what was counted.
pub async fn record_inventory(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    reviewed_on: civil::Date,
    note: &str,
    counts: serde_json::Value,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    crate::review::record(
        store,
        grant,
        "accounts",
        "account.inventory",
        reviewed_on,
        note,
        counts,
        now,
    )
    .await
}

/// The latest account inventory: day and who signed it off.
pub async fn last_inventory<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
) -> Result<Option<(civil::Date, String)>, Error> {
    Ok(crate::review::last(store, grant, "accounts")
        .await?
        .map(|review| (review.reviewed_on, review.reviewed_by)))
}

/// Open deletion tasks, and how many of them are due (the owner has left) as of `today`.
pub async fn open_task_counts<P: permissions::ReadsLedger>(
    store: &Store,
    grant: &Grant<P>,
    today: civil::Date,
) -> Result<(i64, i64), Error> {
    let row = sqlx::query(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_on <= $2 THEN 1 ELSE 0 END), 0)
         FROM account_tasks WHERE institution_id = $1 AND done_at IS NULL",
    )
    .bind(grant.institution_id().get())
    .bind(today.to_string())
    .fetch_one(store.pool())
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// Applies checked account rows in one transaction: all or none. New accounts
/// are added (with a deletion task if their owner has left), changed ones
/// updated; each gets its audit event, and the import one with the file's hash.
pub async fn apply_account_import(
    store: &Store,
    grant: &Grant<permissions::EditLedger>,
    import: &crate::device::PendingImport,
    rows: &[mamori_domain::ledger::AccountImportRow],
    now: jiff::Timestamp,
) -> Result<crate::device::ImportCounts, Error> {
    use mamori_domain::ledger::RowChange;
    let institution_id = grant.institution_id().get();
    let mut transaction = store.begin().await?;
    crate::device::mark_applied(&mut transaction, grant, import.id, now).await?;
    let mut counts = crate::device::ImportCounts::default();
    let mut events = Vec::new();
    for row in rows {
        let account = &row.account;
        let owner = check_owner(&mut transaction, institution_id, account.staff_id).await?;
        match &row.change {
            RowChange::Unchanged => {
                counts.unchanged += 1;
                continue;
            }
            RowChange::New => {
                counts.added += 1;
                let id = insert_account(&mut transaction, institution_id, account, now).await?;
                events.push(NewAuditEvent::by(
                    grant,
                    "account.create",
                    format!("account:{id}"),
                    json!({ "after": account_json(account), "import": import.id }),
                ));
            }
            RowChange::Changed(columns) => {
                counts.changed += 1;
                let id: i64 = sqlx::query_scalar(
                    "UPDATE system_accounts SET staff_id = $4, shared = $5, admin = $6, last_used_on = $7,
                        note = $8, updated_at = $9
                     WHERE institution_id = $1 AND system = $2 AND login = $3 AND deleted_on IS NULL
                     RETURNING id",
                )
                .bind(institution_id)
                .bind(account.system.as_str())
                .bind(account.login.as_str())
                .bind(account.staff_id)
                .bind(i64::from(account.shared))
                .bind(i64::from(account.admin))
                .bind(account.last_used_on.map(|d| d.to_string()))
                .bind(account.note.as_str())
                .bind(to_micros(now))
                .fetch_optional(&mut *transaction)
                .await?
                .ok_or(Error::Conflict("login"))?;
                // A task belongs to the old owner's leaving; the new owner's opens below.
                sqlx::query(
                    "DELETE FROM account_tasks WHERE account_id = $1 AND institution_id = $2 AND done_at IS NULL",
                )
                .bind(id)
                .bind(institution_id)
                .execute(&mut *transaction)
                .await?;
                events.push(NewAuditEvent::by(
                    grant,
                    "account.update",
                    format!("account:{id}"),
                    json!({ "changed": columns, "after": account_json(account), "import": import.id }),
                ));
            }
        }
        if let (Some(staff_id), Some(Some(left_on))) = (account.staff_id, owner) {
            open_tasks(&mut transaction, institution_id, staff_id, left_on, now).await?;
        }
    }
    events.push(NewAuditEvent::by(
        grant,
        "account.import",
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
