//! Upgrades of a database that already holds records: a migration that rebuilds
//! a table must keep every row and every row that refers to it.

use sqlx::Row;

use crate::testing::TestDatabase;
use crate::{Backend, POSTGRES_MIGRATOR, SQLITE_MIGRATOR, Store};

/// Runs the migrations up to `version` only, as an older mamori left the database.
async fn migrated_to(store: &Store, version: i64) {
    let migrator = match store.backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    };
    migrator
        .run_to(version, store.pool())
        .await
        .unwrap_or_else(|error| panic!("migrate to {version}: {error}"));
}

async fn execute(store: &Store, sql: &'static str) {
    sqlx::query(sql)
        .execute(store.pool())
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

#[tokio::test]
async fn login_ids_per_institution_keep_users_sessions_and_recovery_codes() {
    let database = TestDatabase::create().await;
    let store = Store::connect(database.url()).await.expect("connect");
    migrated_to(&store, 9).await;
    // Ids come from the database (1 and 2 in a fresh one), so that PostgreSQL's
    // sequences stay in step with the rows.
    execute(
        &store,
        "INSERT INTO institutions (name, kind, bed_count, prefecture, address, phone, created_at, updated_at)
         VALUES ('甲', 'hospital', 10, '徳島県', '徳島市', '088-123-4567', 0, 0),
                ('乙', 'hospital', 10, '徳島県', '徳島市', '088-123-4567', 0, 0)",
    )
    .await;
    execute(
        &store,
        "INSERT INTO users (institution_id, login_id, display_name, role, password_hash, created_at, updated_at,
                            failed_sign_ins, totp_secret, break_glass)
         VALUES (1, 'admin', '管理者', 'security_manager', 'h1', 0, 0, 2, 'sealed-secret', 0),
                (2, 'other', '他院', 'security_manager', 'h2', 0, 0, 0, NULL, 1)",
    )
    .await;
    execute(
        &store,
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ('t1', 1, 'c1', 0, 0, 1)",
    )
    .await;
    execute(
        &store,
        "INSERT INTO recovery_codes (user_id, code_hash) VALUES (1, 'r1'), (1, 'r2')",
    )
    .await;

    store.migrate().await.expect("the upgrade");

    let users = sqlx::query(
        "SELECT u.login_id, u.failed_sign_ins, u.totp_secret, u.break_glass, i.sign_in_code
         FROM users u JOIN institutions i ON i.id = u.institution_id ORDER BY u.id",
    )
    .fetch_all(store.pool())
    .await
    .expect("users");
    let read = |index: usize| {
        let row = &users[index];
        (
            row.try_get::<String, _>("login_id").expect("login_id"),
            row.try_get::<i64, _>("failed_sign_ins").expect("count"),
            row.try_get::<Option<String>, _>("totp_secret")
                .expect("secret"),
            row.try_get::<i64, _>("break_glass").expect("flag"),
            row.try_get::<String, _>("sign_in_code").expect("code"),
        )
    };
    assert_eq!(users.len(), 2);
    assert_eq!(
        read(0),
        (
            "admin".into(),
            2,
            Some("sealed-secret".into()),
            0,
            "m0001".into()
        )
    );
    assert_eq!(read(1), ("other".into(), 0, None, 1, "m0002".into()));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM recovery_codes").await,
        2
    );

    // The same login ID in another institution is now allowed; twice in one is not.
    execute(
        &store,
        "INSERT INTO users (institution_id, login_id, display_name, role, password_hash, created_at, updated_at)
         VALUES (2, 'admin', '乙 管理者', 'security_manager', 'h3', 0, 0)",
    )
    .await;
    let twice = sqlx::query(
        "INSERT INTO users (institution_id, login_id, display_name, role, password_hash, created_at, updated_at)
         VALUES (1, 'admin', '重複', 'staff', 'h4', 0, 0)",
    )
    .execute(store.pool())
    .await;
    assert!(twice.is_err(), "a login ID twice in one institution");
    // References to users still hold: a user with sessions cannot vanish, and
    // the rebuilt table kept its foreign keys (checked on SQLite).
    if store.backend == Backend::Sqlite {
        let broken = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(store.pool())
            .await
            .expect("check");
        assert!(broken.is_empty(), "dangling references after the rebuild");
        let orphan = sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
             VALUES ('t2', 99, 'c2', 0, 0, 1)",
        )
        .execute(store.pool())
        .await;
        assert!(
            orphan.is_err(),
            "foreign keys are on again after the upgrade"
        );
    }
    store.close().await;
}
