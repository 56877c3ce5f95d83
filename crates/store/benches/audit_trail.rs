//! Audit-trail benchmark: append and full-verify rates, each against its raw limit
//! measured in the same run (raw batched inserts of the same rows; raw SHA-256 of the
//! same leaf bytes). Run: `cargo bench -p mamori-store --bench audit_trail`
//! (PostgreSQL too with `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432`).

use std::time::Instant;

use futures_util::TryStreamExt;
use mamori_domain::institution::InstitutionId;
use mamori_store::Store;
use mamori_store::audit_log::{self, Actor, NewAuditEvent};
use mamori_store::testing::TestDatabase;
use sha2::{Digest, Sha256};
use sqlx::Row;

const N_EVENTS: usize = 100_000;
const BATCH: usize = 1_000;

fn event(index: usize) -> NewAuditEvent {
    NewAuditEvent {
        institution_id: Some(InstitutionId::from_db(1)),
        actor: Actor::Anonymous("192.0.2.10".to_owned()),
        action: "access_log.line",
        target: format!("device:{}", index % 50),
        detail: serde_json::json!({ "line": format!("<134>1 2026-11-25T08:00:00+09:00 ehr-server app - - user {index} opened record") }),
    }
}

/// The leaf bytes the trail hashes, built the same way (a JSON array).
fn leaf_bytes(index: usize) -> Vec<u8> {
    let event = event(index);
    serde_json::json!([
        index,
        1,
        1_764_000_000_000_000_i64,
        null,
        "192.0.2.10",
        event.action,
        event.target,
        event.detail.to_string()
    ])
    .to_string()
    .into_bytes()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let database = TestDatabase::create().await;
    let store = Store::open(database.url()).await.expect("open");
    let backend = store.backend().name();
    let leaves: Vec<Vec<u8>> = (0..N_EVENTS).map(leaf_bytes).collect();
    let mean_leaf = leaves.iter().map(Vec::len).sum::<usize>() / N_EVENTS;

    // 1. Raw SHA-256 of the same leaf bytes, one hash per entry (with the 0x00 prefix).
    let start = Instant::now();
    let mut sink = 0u8;
    for leaf in &leaves {
        let mut hasher = Sha256::new();
        hasher.update([0u8]);
        hasher.update(leaf);
        sink ^= hasher.finalize()[0];
    }
    let sha_per_second = N_EVENTS as f64 / start.elapsed().as_secs_f64();
    std::hint::black_box(sink);

    // 2. Raw batched inserts of rows of the same shape, 1,000 per transaction.
    let pool = store.pool_for_benchmarks();
    sqlx::query(
        "CREATE TABLE bench_raw (id BIGINT PRIMARY KEY, institution_id BIGINT, occurred_at BIGINT, actor_label TEXT,
                                 action TEXT, target TEXT, detail TEXT)",
    )
    .execute(pool)
    .await
    .expect("create");
    let start = Instant::now();
    for batch in 0..N_EVENTS / BATCH {
        let mut transaction = pool.begin().await.expect("begin");
        for index in batch * BATCH..(batch + 1) * BATCH {
            let event = event(index);
            sqlx::query(
                "INSERT INTO bench_raw (id, institution_id, occurred_at, actor_label, action, target, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(index as i64)
            .bind(1_i64)
            .bind(1_764_000_000_000_000_i64)
            .bind("192.0.2.10")
            .bind(event.action)
            .bind(&event.target)
            .bind(event.detail.to_string())
            .execute(&mut *transaction)
            .await
            .expect("insert");
        }
        transaction.commit().await.expect("commit");
    }
    let raw_inserts_per_second = N_EVENTS as f64 / start.elapsed().as_secs_f64();

    // 3. The audit trail: the same events appended as Merkle leaves, 1,000 per transaction.
    sqlx::query("INSERT INTO institutions (id, name, kind, bed_count, prefecture, address, phone, created_at, updated_at)
                 VALUES (1, 'bench', 'hospital', 100, '東京都', 'x', '03-0000-0000', 0, 0)")
        .execute(pool)
        .await
        .expect("institution");
    let start = Instant::now();
    for batch in 0..N_EVENTS / BATCH {
        let events: Vec<NewAuditEvent> = (batch * BATCH..(batch + 1) * BATCH).map(event).collect();
        let mut transaction = pool.begin().await.expect("begin");
        audit_log::append_many(&mut transaction, &events, jiff::Timestamp::now())
            .await
            .expect("append");
        transaction.commit().await.expect("commit");
    }
    let appends_per_second = N_EVENTS as f64 / start.elapsed().as_secs_f64();

    // 4. Full verification (read every entry, recompute leaf hashes and the roots,
    // compare), and its practical ceiling: streaming the same rows through the same
    // pool, every column decoded, nothing hashed. Three runs each, interleaved; the
    // median is reported.
    let mut verify_rates = Vec::new();
    let mut read_rates = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut rows = sqlx::query(
            "SELECT id, institution_id, occurred_at, actor_user_id, actor_label, action, target, detail,
                    position, leaf_hash
             FROM audit_events ORDER BY position",
        )
        .fetch(pool);
        let mut n_rows = 0usize;
        let mut n_bytes = 0usize;
        while let Some(row) = rows.try_next().await.expect("row") {
            let id: i64 = row.try_get("id").expect("id");
            let position: Option<i64> = row.try_get("position").expect("position");
            let institution: Option<i64> = row.try_get("institution_id").expect("institution");
            let occurred_at: i64 = row.try_get("occurred_at").expect("occurred_at");
            let actor: Option<i64> = row.try_get("actor_user_id").expect("actor");
            for column in ["actor_label", "action", "target", "detail"] {
                let text: String = row.try_get(column).expect("text");
                n_bytes += text.len();
            }
            let leaf: Option<String> = row.try_get("leaf_hash").expect("leaf");
            std::hint::black_box((id, position, institution, occurred_at, actor, leaf));
            n_rows += 1;
        }
        assert_eq!(n_rows, N_EVENTS);
        std::hint::black_box(n_bytes);
        read_rates.push(N_EVENTS as f64 / start.elapsed().as_secs_f64());

        let start = Instant::now();
        let report = audit_log::walk_chain(&store, &[N_EVENTS as u64 / 2])
            .await
            .expect("walk");
        let verify_seconds = start.elapsed().as_secs_f64();
        assert!(
            report.first_problem.is_none(),
            "the benchmark trail verifies"
        );
        let (size, head_root) = audit_log::head(&store).await.expect("head");
        assert_eq!((size, head_root), (N_EVENTS as u64, report.root));
        assert_eq!(report.root, mamori_tlog::root(&report.leaf_hashes));
        verify_rates.push(N_EVENTS as f64 / verify_seconds);
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let verifies_per_second = median(&mut verify_rates);
    let reads_per_second = median(&mut read_rates);

    // 4b. The hashing part of verification alone, from leaves already in memory:
    // every leaf hash, the tree's interior nodes, one root.
    let start = Instant::now();
    let mut frontier = mamori_tlog::Frontier::new();
    for leaf in &leaves {
        frontier.push(mamori_tlog::leaf_hash(leaf));
    }
    std::hint::black_box(frontier.root());
    let tree_per_second = N_EVENTS as f64 / start.elapsed().as_secs_f64();

    println!(
        "audit trail on {backend}: {N_EVENTS} events, mean leaf {mean_leaf} bytes, batches of {BATCH}"
    );
    println!("| measure | per second | ratio to its limit | target |");
    println!("|---|---|---|---|");
    println!("| raw SHA-256 of the leaves (limit for verify) | {sha_per_second:.0} | 1 | |");
    println!(
        "| raw batched INSERTs of the same rows (limit for append) | {raw_inserts_per_second:.0} | 1 | |"
    );
    println!(
        "| audit append (leaf hash, root, row, head) | {appends_per_second:.0} | {:.2} | ≥ 0.50 |",
        appends_per_second / raw_inserts_per_second
    );
    println!(
        "| full verify (read, rehash, compare every entry) | {verifies_per_second:.0} | {:.2} | ≥ 0.70 |",
        verifies_per_second / sha_per_second
    );
    println!(
        "| raw streamed read of the same rows, no hashing (verify's ceiling) | {reads_per_second:.0} | {:.2} | |",
        reads_per_second / sha_per_second
    );
    println!(
        "| full verify against the raw read of its rows | | {:.2} | |",
        verifies_per_second / reads_per_second
    );
    println!(
        "| verify's hashing alone (leaf hashes + interior nodes + one root) | {tree_per_second:.0} | {:.2} | |",
        tree_per_second / sha_per_second
    );
    store.close().await;
}
