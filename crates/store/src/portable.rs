//! The portable form of a whole database (issue #13): every table's rows as
//! JSON lines, the same text whichever backend wrote it. `mamori backup`
//! takes it of a PostgreSQL database (a logical backup through the store) and
//! `mamori restore` reads it into either backend, so an institution can move
//! from SQLite to PostgreSQL and back.
//!
//! The text, one JSON value a line:
//! - a header `{"mamori_portable":1,"schema":N}` (N: the last migration);
//! - per table, in [`TABLES`] order, `{"table":T,"columns":[..],"kinds":[..]}`
//!   then one array a row, in primary-key order; columns by name, sorted;
//!   `kinds` are `int`, `text` or `bytes` (bytes as lowercase hex);
//! - a trailer `{"end":true,"rows":R}`, so a cut-short file is refused.
//!
//! Import goes into a freshly migrated, empty database in one transaction: a
//! bad line names its line number, table and column and leaves nothing.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use futures_util::TryStreamExt;
use serde_json::{Value, json};
// Dynamic SQL here names only tables and columns read from the schema or
// `TABLES`, always through `quoted`; every value is bound.
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use crate::{Backend, Error, Store};

/// The portable form's version.
const FORMAT: i64 = 1;

/// Every table, in an order in which each references only earlier ones (the
/// order the migrations create them). A test checks it against the schema.
pub const TABLES: &[&str] = &[
    "setup_marker",
    "institutions",
    "users",
    "sessions",
    "audit_events",
    "audit_log_head",
    "audit_checkpoints",
    "recovery_codes",
    "break_glass_uses",
    "checklist_assessments",
    "checklist_answers",
    "checklist_evidence",
    "vendors",
    "vendor_requests",
    "vendor_answers",
    "vendor_documents",
    "tokushima_levels",
    "devices",
    "device_disposals",
    "device_imports",
    "carry_outs",
    "ledger_reviews",
    "staff",
    "system_accounts",
    "account_tasks",
    "access_rules",
    "device_uses",
    "private_devices",
    "network_segments",
    "network_links",
    "vendor_staged_documents",
    "vendor_contracts",
    "vendor_certificates",
    "checklist_versions",
    "backup_plans",
    "restore_tests",
    "backup_runs",
    "bcp_answers",
    "bcp_versions",
    "bcp_acknowledgements",
    "incidents",
    "incident_reports",
    "incident_files",
    "incident_entries",
    "incident_report_links",
    "contact_entries",
    "incident_tasks",
    "incident_vendors",
    "policy_answers",
    "document_versions",
    "policy_acknowledgements",
    "training_sessions",
    "training_attendees",
    "remote_sessions",
    "reminder_mails",
    "calendar_feeds",
    "log_sources",
    "log_events",
    "log_imports",
    "log_reviews",
    "log_rules",
    "log_finding_notes",
    "log_verifications",
];

/// Tables a migration fills with a first row; an import replaces it.
const SEEDED: &[&str] = &["audit_log_head"];

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Int,
    Text,
    Bytes,
}

impl Kind {
    fn of_declared(declared: &str) -> Option<Self> {
        let declared = declared.to_ascii_lowercase();
        if declared.contains("int") || declared == "bigserial" {
            Some(Self::Int)
        } else if declared.contains("text") || declared.contains("char") {
            Some(Self::Text)
        } else if declared.contains("blob") || declared.contains("bytea") {
            Some(Self::Bytes)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Text => "text",
            Self::Bytes => "bytes",
        }
    }
}

/// A table's columns (sorted by name) and primary key, read from the schema.
struct Shape {
    columns: Vec<(String, Kind)>,
    key: Vec<String>,
}

fn quoted(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

async fn shape(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    table: &str,
) -> Result<Shape, Error> {
    let (columns_sql, key_sql) = match backend {
        Backend::Sqlite => (
            "SELECT name, type FROM pragma_table_info($1)",
            "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
        ),
        Backend::Postgres => (
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
            "SELECT k.column_name::text FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
              AND k.table_name = c.table_name \
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
               AND c.table_name = $1 ORDER BY k.ordinal_position",
        ),
    };
    let rows: Vec<(String, String)> = sqlx::query_as(columns_sql)
        .bind(table)
        .fetch_all(&mut **tx)
        .await?;
    if rows.is_empty() {
        return Err(Error::Portable(format!(
            "the database has no table {table}: it is not a mamori database of this version"
        )));
    }
    let mut columns = rows
        .into_iter()
        .map(|(name, declared)| {
            Kind::of_declared(&declared)
                .map(|kind| (name.clone(), kind))
                .ok_or_else(|| {
                    Error::Portable(format!(
                        "{table}.{name} has the type {declared}, which the portable form does not carry"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    columns.sort();
    let mut key: Vec<String> = sqlx::query_scalar(key_sql)
        .bind(table)
        .fetch_all(&mut **tx)
        .await?;
    if key.is_empty() {
        key = columns.iter().map(|(name, _)| name.clone()).collect();
    }
    Ok(Shape { columns, key })
}

async fn schema_version(tx: &mut Transaction<'_, Any>) -> Result<i64, Error> {
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&mut **tx)
        .await?;
    Ok(version.unwrap_or(0))
}

/// What an export or import moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The schema (last migration) the data belongs to.
    pub schema: i64,
    /// Rows per table, in [`TABLES`] order.
    pub rows: Vec<(&'static str, u64)>,
}

impl Summary {
    /// Every row.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|(_, rows)| rows).sum()
    }
}

fn written(error: std::io::Error) -> Error {
    Error::Unavailable(format!("cannot write the export: {error}"))
}

/// Writes every table of `store` to `out` from one consistent snapshot (a
/// read-only repeatable-read transaction on PostgreSQL, one read transaction
/// on SQLite), while the server may keep writing.
pub async fn export(store: &Store, out: &mut (dyn Write + Send)) -> Result<Summary, Error> {
    let backend = store.backend();
    let mut tx = store.pool().begin().await?;
    if backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let schema = schema_version(&mut tx).await?;
    let line = |out: &mut (dyn Write + Send), value: &Value| -> Result<(), Error> {
        serde_json::to_writer(&mut *out, value)
            .map_err(|error| Error::Unavailable(format!("cannot write the export: {error}")))?;
        out.write_all(b"\n").map_err(written)
    };
    line(out, &json!({ "mamori_portable": FORMAT, "schema": schema }))?;
    let mut counts = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let shape = shape(&mut tx, backend, table).await?;
        line(
            out,
            &json!({
                "table": table,
                "columns": shape.columns.iter().map(|(name, _)| name).collect::<Vec<_>>(),
                "kinds": shape.columns.iter().map(|(_, kind)| kind.name()).collect::<Vec<_>>(),
            }),
        )?;
        let select = format!(
            "SELECT {} FROM {} ORDER BY {}",
            shape
                .columns
                .iter()
                .map(|(name, _)| quoted(name))
                .collect::<Vec<_>>()
                .join(", "),
            quoted(table),
            shape
                .key
                .iter()
                .map(|name| quoted(name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut rows = sqlx::query(AssertSqlSafe(select.as_str())).fetch(&mut *tx);
        let mut count = 0u64;
        while let Some(row) = rows.try_next().await? {
            let mut values = Vec::with_capacity(shape.columns.len());
            for (index, (_, kind)) in shape.columns.iter().enumerate() {
                let value = match kind {
                    Kind::Int => row.try_get::<Option<i64>, _>(index)?.map(Value::from),
                    Kind::Text => row.try_get::<Option<String>, _>(index)?.map(Value::from),
                    Kind::Bytes => row
                        .try_get::<Option<Vec<u8>>, _>(index)?
                        .map(|bytes| Value::from(crate::hex(&bytes))),
                };
                values.push(value.unwrap_or(Value::Null));
            }
            line(out, &Value::Array(values))?;
            count += 1;
        }
        drop(rows);
        counts.push((table, count));
    }
    let total: u64 = counts.iter().map(|(_, rows)| rows).sum();
    line(out, &json!({ "end": true, "rows": total }))?;
    out.flush().map_err(written)?;
    tx.rollback().await?;
    Ok(Summary {
        schema,
        rows: counts,
    })
}

/// A value bound into an INSERT, typed by the target column.
enum Bound {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| {
            text.get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// Reads one line of the export as JSON; `None` at the end of the input.
fn next_value(input: &mut dyn BufRead, number: &mut usize) -> Result<Option<Value>, Error> {
    let mut text = String::new();
    let read = input
        .read_line(&mut text)
        .map_err(|error| Error::Portable(format!("line {}: cannot read: {error}", *number + 1)))?;
    if read == 0 {
        return Ok(None);
    }
    *number += 1;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|error| Error::Portable(format!("line {number}: not JSON: {error}")))
}

/// Reads an export into `store`, which must be freshly migrated to the same
/// schema and hold no data; all of it or nothing is stored.
pub async fn import(store: &Store, input: &mut (dyn BufRead + Send)) -> Result<Summary, Error> {
    let backend = store.backend();
    let mut tx = store.pool().begin().await?;
    let schema = schema_version(&mut tx).await?;
    let mut number = 0usize;
    let cut = |number: usize| {
        Error::Portable(format!(
            "the export ends after line {number}: it is cut short"
        ))
    };
    let header = next_value(input, &mut number)?.ok_or_else(|| cut(number))?;
    if header.get("mamori_portable").and_then(Value::as_i64) != Some(FORMAT) {
        return Err(Error::Portable(
            "line 1: not a mamori portable export (or of another format version)".to_owned(),
        ));
    }
    let theirs = header.get("schema").and_then(Value::as_i64).unwrap_or(-1);
    if theirs != schema {
        return Err(Error::Portable(format!(
            "line 1: the export belongs to schema {theirs}, this database to {schema}: use the mamori version that wrote it"
        )));
    }
    for &table in TABLES {
        if !SEEDED.contains(&table) && filled(&mut tx, table).await? {
            return Err(Error::Portable(format!(
                "the target database already holds data (table {table}): import only into a new, empty database"
            )));
        }
    }
    for &table in SEEDED {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", quoted(table))))
            .execute(&mut *tx)
            .await?;
    }
    let mut counts = Vec::with_capacity(TABLES.len());
    let mut pending = next_value(input, &mut number)?;
    for &table in TABLES {
        let section = pending.take().ok_or_else(|| cut(number))?;
        if section.get("table").and_then(Value::as_str) != Some(table) {
            return Err(Error::Portable(format!(
                "line {number}: expected the table {table} here"
            )));
        }
        let shape = shape(&mut tx, backend, table).await?;
        let names: Vec<&str> = section
            .get("columns")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let kinds: Vec<&str> = section
            .get("kinds")
            .and_then(Value::as_array)
            .map(|kinds| kinds.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let expected_names: Vec<&str> = shape.columns.iter().map(|(n, _)| n.as_str()).collect();
        let expected_kinds: Vec<&str> = shape.columns.iter().map(|(_, k)| k.name()).collect();
        if names != expected_names || kinds != expected_kinds {
            return Err(Error::Portable(format!(
                "line {number}: the columns of {table} do not match this database's"
            )));
        }
        let insert = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quoted(table),
            expected_names
                .iter()
                .map(|name| quoted(name))
                .collect::<Vec<_>>()
                .join(", "),
            (1..=expected_names.len())
                .map(|at| format!("${at}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut count = 0u64;
        loop {
            pending = next_value(input, &mut number)?;
            let Some(Value::Array(values)) = &pending else {
                break;
            };
            if values.len() != shape.columns.len() {
                return Err(Error::Portable(format!(
                    "line {number}: a row of {table} with {} values, not {}",
                    values.len(),
                    shape.columns.len()
                )));
            }
            let mut bound = Vec::with_capacity(values.len());
            for (value, (column, kind)) in values.iter().zip(&shape.columns) {
                let wrong = |what: &str| {
                    Error::Portable(format!("line {number}: {table}.{column} is not {what}"))
                };
                bound.push(match (kind, value) {
                    (Kind::Int, Value::Null) => Bound::Int(None),
                    (Kind::Text, Value::Null) => Bound::Text(None),
                    (Kind::Bytes, Value::Null) => Bound::Bytes(None),
                    (Kind::Int, value) => {
                        Bound::Int(Some(value.as_i64().ok_or_else(|| wrong("an integer"))?))
                    }
                    (Kind::Text, value) => Bound::Text(Some(
                        value.as_str().ok_or_else(|| wrong("text"))?.to_owned(),
                    )),
                    (Kind::Bytes, value) => Bound::Bytes(Some(
                        value
                            .as_str()
                            .and_then(unhex)
                            .ok_or_else(|| wrong("hexadecimal bytes"))?,
                    )),
                });
            }
            let mut query = sqlx::query(AssertSqlSafe(insert.as_str()));
            for value in bound {
                query = match value {
                    Bound::Int(value) => query.bind(value),
                    Bound::Text(value) => query.bind(value),
                    Bound::Bytes(value) => query.bind(value),
                };
            }
            query.execute(&mut *tx).await.map_err(|error| {
                Error::Portable(format!(
                    "line {number}: a row of {table} is refused: {error}"
                ))
            })?;
            count += 1;
        }
        counts.push((table, count));
    }
    let trailer = pending.take().ok_or_else(|| cut(number))?;
    let total: u64 = counts.iter().map(|(_, rows)| rows).sum();
    if trailer.get("end").and_then(Value::as_bool) != Some(true) {
        return Err(Error::Portable(format!(
            "line {number}: expected the end of the export (a table the database does not have?)"
        )));
    }
    if trailer.get("rows").and_then(Value::as_u64) != Some(total) {
        return Err(Error::Portable(format!(
            "line {number}: the export says it holds a different number of rows than it does"
        )));
    }
    if next_value(input, &mut number)?.is_some() {
        return Err(Error::Portable(format!(
            "line {number}: more after the end of the export"
        )));
    }
    if backend == Backend::Postgres {
        reset_sequences(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(Summary {
        schema,
        rows: counts,
    })
}

/// After rows came in with their ids, each PostgreSQL sequence continues
/// after the largest (SQLite's AUTOINCREMENT keeps up by itself).
async fn reset_sequences(tx: &mut Transaction<'_, Any>) -> Result<(), Error> {
    let serials: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut by_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in serials {
        by_table.entry(table).or_default().push(column);
    }
    for (table, columns) in by_table {
        for column in columns {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), MAX({column})) FROM {table} HAVING MAX({column}) IS NOT NULL",
                column = quoted(&column),
                table = quoted(&table),
            );
            sqlx::query(AssertSqlSafe(sql))
                .bind(quoted(&table))
                .bind(column.as_str())
                .fetch_optional(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Every table the schema holds (but the migrations' own), sorted: what
/// [`TABLES`] must list.
pub async fn schema_tables(store: &Store) -> Result<Vec<String>, Error> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations' ORDER BY table_name"
        }
    };
    Ok(sqlx::query_scalar(sql).fetch_all(store.pool()).await?)
}

async fn filled(tx: &mut Transaction<'_, Any>, table: &str) -> Result<bool, Error> {
    let rows: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) AS one",
        quoted(table)
    )))
    .fetch_one(&mut **tx)
    .await?;
    Ok(rows > 0)
}

/// Whether the database holds any mamori data (a row in any table but the
/// ones a migration fills): a restore refuses such a target.
pub async fn holds_data(store: &Store) -> Result<bool, Error> {
    let tables = schema_tables(store).await?;
    let mut tx = store.pool().begin().await?;
    for table in tables {
        if !SEEDED.contains(&table.as_str()) && filled(&mut tx, &table).await? {
            return Ok(true);
        }
    }
    tx.rollback().await?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    async fn migrated() -> (TestDatabase, Store) {
        let database = TestDatabase::create().await;
        let store = Store::open(database.url()).await.expect("open");
        (database, store)
    }

    const NAME: &str = "移行テスト診療所";

    /// An institution with its 安全管理責任者 and the audit events of setup.
    async fn set_up(store: &Store) {
        use mamori_domain::institution::{
            NewInstitution, NewUser, PasswordHash, RawInstitution, RawUser,
        };
        let institution = NewInstitution::parse(RawInstitution {
            name: NAME,
            kind: "clinic_without_beds",
            bed_count: "0",
            prefecture: "東京都",
            address: "千代田区1-1",
            phone: "03-1234-5678",
        })
        .expect("institution");
        let admin = NewUser::parse(RawUser {
            login_id: "admin",
            display_name: "管理 太郎",
            role: "security_manager",
        })
        .expect("user");
        crate::institution::set_up_first(
            store,
            &institution,
            None,
            &admin,
            &PasswordHash::from_stored("$argon2id$stand-in".into()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("set up");
    }

    fn export_text(summary_and_bytes: (Summary, Vec<u8>)) -> String {
        String::from_utf8(summary_and_bytes.1).expect("UTF-8")
    }

    async fn exported(store: &Store) -> (Summary, Vec<u8>) {
        let mut out = Vec::new();
        let summary = export(store, &mut out).await.expect("export");
        (summary, out)
    }

    #[tokio::test]
    async fn the_table_list_names_every_table_of_the_schema_once() {
        let (_database, store) = migrated().await;
        let mut listed: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
        listed.sort();
        let before = listed.len();
        listed.dedup();
        assert_eq!(listed.len(), before, "a table is listed twice");
        assert_eq!(listed, schema_tables(&store).await.expect("tables"));
    }

    #[tokio::test]
    async fn an_export_imports_into_an_empty_database_and_exports_the_same() {
        let (_a, source) = migrated().await;
        set_up(&source).await;
        let first = export_text(exported(&source).await);
        assert!(first.contains("\"table\":\"institutions\""), "{first}");
        assert!(first.contains(NAME), "{first}");
        let (_b, target) = migrated().await;
        assert!(!holds_data(&target).await.expect("empty"));
        let summary = import(&target, &mut first.as_bytes())
            .await
            .expect("import");
        assert!(summary.total() > 0);
        assert!(holds_data(&target).await.expect("filled"));
        assert_eq!(first, export_text(exported(&target).await));
        // A second import is refused: the target holds data now.
        let again = import(&target, &mut first.as_bytes()).await;
        assert!(
            matches!(&again, Err(Error::Portable(m)) if m.contains("already holds data")),
            "{again:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_export_names_its_line_and_stores_nothing() {
        let (_a, source) = migrated().await;
        set_up(&source).await;
        let good = export_text(exported(&source).await);
        let lines: Vec<&str> = good.lines().collect();
        let institutions = lines
            .iter()
            .position(|line| line.contains("\"table\":\"institutions\""))
            .expect("the institutions section");
        // The institution's id given as text.
        let header: Value = serde_json::from_str(lines[institutions]).expect("header");
        let id_at = header["columns"]
            .as_array()
            .and_then(|columns| columns.iter().position(|c| c == "id"))
            .expect("an id column");
        let mut row: Vec<Value> = serde_json::from_str(lines[institutions + 1]).expect("row");
        row[id_at] = Value::from("one");
        let bad_row = serde_json::to_string(&row).expect("JSON");
        let mut wrong_type = lines.clone();
        wrong_type[institutions + 1] = &bad_row;
        let wrong_id = format!(
            "line {}: institutions.id is not an integer",
            institutions + 2
        );
        let cases: Vec<(String, &str)> = vec![
            (lines[..lines.len() - 1].join("\n"), "cut short"),
            (
                lines.join("\n").replace("\"schema\":", "\"schema\":9"),
                "schema",
            ),
            (wrong_type.join("\n"), &wrong_id),
            ("{\"hello\":1}\n".to_owned(), "not a mamori portable export"),
            ("not json\n".to_owned(), "line 1: not JSON"),
        ];
        for (text, expect) in cases {
            let (_b, target) = migrated().await;
            let result = import(&target, &mut text.as_bytes()).await;
            match result {
                Err(Error::Portable(message)) => {
                    assert!(message.contains(expect), "{message} should say {expect}")
                }
                other => panic!("{expect}: {other:?}"),
            }
            assert!(
                !holds_data(&target).await.expect("read"),
                "{expect}: something was stored"
            );
        }
    }
}
