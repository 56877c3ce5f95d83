//! Audit events (監査証跡): who did what, when, with values before and after.
//!
//! Events are only ever inserted, inside the transaction of the change they
//! describe, so a committed change always has its event. The tamper-evident
//! Merkle tree over these rows is built by the audit-trail issue on this table.

use mamori_domain::institution::{Grant, InstitutionId, UserId, permissions};
use sqlx::{AnyConnection, Row};

use crate::{Error, Store, from_micros, to_micros};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(UserId),
    /// Someone not signed in, e.g. a failed sign-in, described by a label.
    Anonymous(String),
    /// The operator, through the command line.
    Operator,
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// The institution the event belongs to, if any.
    pub institution_id: Option<InstitutionId>,
    /// Who acted.
    pub actor: Actor,
    /// What happened, a stable dotted code such as `user.create`.
    pub action: &'static str,
    /// The record acted on, such as `user:12`.
    pub target: String,
    /// Details: values before and after, the source address, and so on.
    pub detail: serde_json::Value,
}

impl NewAuditEvent {
    /// An event caused by the holder of `grant`, in the grant's institution: the
    /// usual case for a change made through the web.
    pub fn by<P>(
        grant: &Grant<P>,
        action: &'static str,
        target: String,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            institution_id: Some(grant.institution_id()),
            actor: Actor::User(grant.principal().user_id()),
            action,
            target,
            detail,
        }
    }
}

/// A stored event.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Position in the trail.
    pub id: i64,
    /// When it happened.
    pub occurred_at: jiff::Timestamp,
    /// Who acted: the user id, if a user did.
    pub actor_user_id: Option<UserId>,
    /// Who acted, as a label (login ID, `operator`, or a source address).
    pub actor_label: String,
    /// What happened.
    pub action: String,
    /// The record acted on.
    pub target: String,
    /// Details as JSON text.
    pub detail: String,
}

/// Appends `event` on `connection`, which should be the change's own transaction.
pub async fn append(
    connection: &mut AnyConnection,
    event: &NewAuditEvent,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    append_many(connection, std::slice::from_ref(event), now).await
}

/// Appends `event` and commits `transaction`: how a change and its audit
/// event end up in the database together, or not at all.
pub async fn commit_with(
    mut transaction: sqlx::Transaction<'_, sqlx::Any>,
    event: &NewAuditEvent,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    append(&mut transaction, event, now).await?;
    transaction.commit().await?;
    Ok(())
}

/// Appends `events`, in order, on `connection` (a transaction).
///
/// Each event becomes the next leaf of the Merkle tree: the head row is locked by
/// a write first (serialising appends on both databases), leaf hashes and roots
/// are computed from the stored frontier, and the rows and the head are written in
/// the caller's transaction. Batches (a log import) pay for the head only once.
pub async fn append_many(
    connection: &mut AnyConnection,
    events: &[NewAuditEvent],
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut login_ids: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    let mut head = lock_head(connection).await?;
    for event in events {
        let (actor_user_id, actor_label) = match &event.actor {
            Actor::User(user_id) => {
                let label = match login_ids.get(&user_id.get()) {
                    Some(label) => label.clone(),
                    None => {
                        let label: Option<String> =
                            sqlx::query_scalar("SELECT login_id FROM users WHERE id = $1")
                                .bind(user_id.get())
                                .fetch_optional(&mut *connection)
                                .await?;
                        let label = label.unwrap_or_default();
                        login_ids.insert(user_id.get(), label.clone());
                        label
                    }
                };
                (Some(user_id.get()), label)
            }
            Actor::Anonymous(label) => (None, label.clone()),
            Actor::Operator => (None, "operator".to_owned()),
        };
        let detail = event.detail.to_string();
        let leaf = LeafFields {
            position: i64::try_from(head.frontier.size())
                .map_err(|_| Error::Corrupt("audit_log_head.size"))?,
            institution_id: event.institution_id.map(|id| id.get()),
            occurred_at: to_micros(now),
            actor_user_id,
            actor_label: &actor_label,
            action: event.action,
            target: &event.target,
            detail: &detail,
        };
        let leaf_hash = mamori_tlog::leaf_hash(&leaf.canonical_bytes());
        head.frontier.push(leaf_hash);
        let root_after = head.frontier.root();
        sqlx::query(
            "INSERT INTO audit_events (institution_id, occurred_at, actor_user_id, actor_label, action, target,
                                       detail, position, leaf_hash, root_after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(leaf.institution_id)
        .bind(leaf.occurred_at)
        .bind(leaf.actor_user_id)
        .bind(leaf.actor_label)
        .bind(leaf.action)
        .bind(leaf.target)
        .bind(leaf.detail)
        .bind(leaf.position)
        .bind(leaf_hash.to_string())
        .bind(root_after.to_string())
        .execute(&mut *connection)
        .await?;
    }
    store_head(connection, &head.frontier).await
}

/// The fields of an event that its leaf hash covers, in a fixed order.
struct LeafFields<'a> {
    position: i64,
    institution_id: Option<i64>,
    occurred_at: i64,
    actor_user_id: Option<i64>,
    actor_label: &'a str,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
}

impl LeafFields<'_> {
    /// The leaf's bytes: the UTF-8 JSON array `[position, institution_id, occurred_at,
    /// actor_user_id, actor_label, action, target, detail]` (numbers or null, then
    /// strings), as serde_json writes it: no spaces, so anyone can rebuild it.
    fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::json!([
            self.position,
            self.institution_id,
            self.occurred_at,
            self.actor_user_id,
            self.actor_label,
            self.action,
            self.target,
            self.detail
        ])
        .to_string()
        .into_bytes()
    }
}

struct Head {
    frontier: mamori_tlog::Frontier,
}

async fn lock_head(connection: &mut AnyConnection) -> Result<Head, Error> {
    // A write first: PostgreSQL locks the row, SQLite takes the write lock, so two
    // appends never read the same head.
    sqlx::query("UPDATE audit_log_head SET size = size WHERE id = 1")
        .execute(&mut *connection)
        .await?;
    let row = sqlx::query("SELECT size, frontier FROM audit_log_head WHERE id = 1")
        .fetch_one(&mut *connection)
        .await?;
    let size: i64 = row.try_get("size")?;
    let frontier_text: String = row.try_get("frontier")?;
    let subtree_roots = frontier_text
        .split(',')
        .filter(|part| !part.is_empty())
        .map(mamori_tlog::Hash::from_hex)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::Corrupt("audit_log_head.frontier"))?;
    let size = u64::try_from(size).map_err(|_| Error::Corrupt("audit_log_head.size"))?;
    let frontier = mamori_tlog::Frontier::from_subtree_roots(size, subtree_roots)
        .map_err(|_| Error::Corrupt("audit_log_head.frontier"))?;
    Ok(Head { frontier })
}

async fn store_head(
    connection: &mut AnyConnection,
    frontier: &mamori_tlog::Frontier,
) -> Result<(), Error> {
    let frontier_text = frontier
        .subtree_roots()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query("UPDATE audit_log_head SET size = $1, root = $2, frontier = $3 WHERE id = 1")
        .bind(i64::try_from(frontier.size()).map_err(|_| Error::Corrupt("audit_log_head.size"))?)
        .bind(frontier.root().to_string())
        .bind(frontier_text)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Gives events written before the tree existed (migration 0003) their place in
/// it, in id order. Runs when the store opens; does nothing once all are sealed.
pub async fn seal_unsealed(store: &Store) -> Result<u64, Error> {
    let mut transaction = store.pool().begin().await?;
    let mut head = lock_head(&mut transaction).await?;
    let rows = sqlx::query(
        "SELECT id, institution_id, occurred_at, actor_user_id, actor_label, action, target, detail
         FROM audit_events WHERE position IS NULL ORDER BY id",
    )
    .fetch_all(&mut *transaction)
    .await?;
    let n_rows = rows.len() as u64;
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let (actor_label, action, target, detail): (String, String, String, String) = (
            row.try_get("actor_label")?,
            row.try_get("action")?,
            row.try_get("target")?,
            row.try_get("detail")?,
        );
        let leaf = LeafFields {
            position: i64::try_from(head.frontier.size())
                .map_err(|_| Error::Corrupt("audit_log_head.size"))?,
            institution_id: row.try_get("institution_id")?,
            occurred_at: row.try_get("occurred_at")?,
            actor_user_id: row.try_get("actor_user_id")?,
            actor_label: &actor_label,
            action: &action,
            target: &target,
            detail: &detail,
        };
        let leaf_hash = mamori_tlog::leaf_hash(&leaf.canonical_bytes());
        head.frontier.push(leaf_hash);
        sqlx::query(
            "UPDATE audit_events SET position = $1, leaf_hash = $2, root_after = $3 WHERE id = $4",
        )
        .bind(leaf.position)
        .bind(leaf_hash.to_string())
        .bind(head.frontier.root().to_string())
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    }
    store_head(&mut transaction, &head.frontier).await?;
    transaction.commit().await?;
    Ok(n_rows)
}

/// The tree's current size and root, as the head row records them.
pub async fn head(store: &Store) -> Result<(u64, mamori_tlog::Hash), Error> {
    let row = sqlx::query("SELECT size, root FROM audit_log_head WHERE id = 1")
        .fetch_one(store.pool())
        .await?;
    let size: i64 = row.try_get("size")?;
    let root: String = row.try_get("root")?;
    Ok((
        u64::try_from(size).map_err(|_| Error::Corrupt("audit_log_head.size"))?,
        mamori_tlog::Hash::from_hex(&root).map_err(|_| Error::Corrupt("audit_log_head.root"))?,
    ))
}

/// What a walk over the stored trail found.
#[derive(Debug, Clone)]
pub struct ChainReport {
    /// Leaf hashes recomputed from the rows' contents, in position order.
    pub leaf_hashes: Vec<mamori_tlog::Hash>,
    /// The first problem, if any.
    pub first_problem: Option<ChainProblem>,
}

/// The first inconsistency found in the stored trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// No entry at this position although later ones exist (deleted).
    Missing { position: u64 },
    /// The entry at this position does not match its recorded hash (changed or moved).
    Changed { position: u64, id: i64 },
    /// An entry has no position (written around the tree).
    Unsealed { id: i64 },
}

/// Recomputes every leaf hash from the stored rows and compares it with what was
/// recorded when it was appended. An attacker who
/// also rewrote the recorded hashes is caught by the signed checkpoints instead.
pub async fn walk_chain(store: &Store) -> Result<ChainReport, Error> {
    let mut rows = sqlx::query(
        "SELECT id, institution_id, occurred_at, actor_user_id, actor_label, action, target, detail,
                position, leaf_hash
         FROM audit_events ORDER BY position",
    )
    // Streamed: a trail of millions of entries is never held in memory at once.
    .fetch(store.pool());
    let mut frontier = mamori_tlog::Frontier::new();
    let mut leaf_hashes = Vec::new();
    let mut first_problem = None;
    while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
        let row = &row;
        let id: i64 = row.try_get("id")?;
        let Some(position) = row.try_get::<Option<i64>, _>("position")? else {
            first_problem.get_or_insert(ChainProblem::Unsealed { id });
            continue;
        };
        let expected_position = frontier.size();
        if u64::try_from(position).ok() != Some(expected_position) {
            first_problem.get_or_insert(ChainProblem::Missing {
                position: expected_position,
            });
        }
        let (actor_label, action, target, detail): (String, String, String, String) = (
            row.try_get("actor_label")?,
            row.try_get("action")?,
            row.try_get("target")?,
            row.try_get("detail")?,
        );
        let leaf = LeafFields {
            position,
            institution_id: row.try_get("institution_id")?,
            occurred_at: row.try_get("occurred_at")?,
            actor_user_id: row.try_get("actor_user_id")?,
            actor_label: &actor_label,
            action: &action,
            target: &target,
            detail: &detail,
        };
        let leaf_hash = mamori_tlog::leaf_hash(&leaf.canonical_bytes());
        frontier.push(leaf_hash);
        // Each entry is compared by its leaf hash only; roots are compared at the
        // signed checkpoints and the head, which costs one root per checkpoint
        // instead of one per entry.
        let recorded_leaf: Option<String> = row.try_get("leaf_hash")?;
        let recorded_leaf = recorded_leaf
            .as_deref()
            .and_then(|hex| mamori_tlog::Hash::from_hex(hex).ok());
        if recorded_leaf != Some(leaf_hash) {
            first_problem.get_or_insert(ChainProblem::Changed {
                position: expected_position,
                id,
            });
        }
        leaf_hashes.push(leaf_hash);
    }
    Ok(ChainReport {
        leaf_hashes,
        first_problem,
    })
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone)]
pub struct StoredCheckpoint {
    /// Tree size it covers.
    pub size: u64,
    /// The signed note (C2SP tlog-checkpoint).
    pub note: String,
}

/// Stores a signed checkpoint (ignored if one of that size exists).
pub async fn insert_checkpoint(
    store: &Store,
    size: u64,
    root: &mamori_tlog::Hash,
    note: &str,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(i64::try_from(size).map_err(|_| Error::Corrupt("audit_checkpoints.size"))?)
    .bind(root.to_string())
    .bind(note)
    .bind(to_micros(now))
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Every stored checkpoint, smallest first.
pub async fn list_checkpoints(store: &Store) -> Result<Vec<StoredCheckpoint>, Error> {
    let rows = sqlx::query("SELECT size, note FROM audit_checkpoints ORDER BY size")
        .fetch_all(store.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let size: i64 = row.try_get("size")?;
            Ok(StoredCheckpoint {
                size: u64::try_from(size).map_err(|_| Error::Corrupt("audit_checkpoints.size"))?,
                note: row.try_get("note")?,
            })
        })
        .collect()
}

/// Appends one event in its own transaction (for events with no change, like a sign-in).
pub async fn append_alone(
    store: &Store,
    event: &NewAuditEvent,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.pool().begin().await?;
    append(&mut transaction, event, now).await?;
    transaction.commit().await?;
    Ok(())
}

/// The institution's most recent events, newest first.
pub async fn list_recent(
    store: &Store,
    grant: &Grant<permissions::ViewAuditTrail>,
    limit: i64,
) -> Result<Vec<AuditEvent>, Error> {
    let rows = sqlx::query(
        "SELECT id, occurred_at, actor_user_id, actor_label, action, target, detail
         FROM audit_events WHERE institution_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(grant.institution_id().get())
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// What the audit page filters by; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Who acted: a login ID or a source address, exactly.
    pub actor: Option<String>,
    /// The record acted on, such as `user:12`, exactly.
    pub target: Option<String>,
    /// From this instant, inclusive.
    pub from: Option<jiff::Timestamp>,
    /// Before this instant.
    pub until: Option<jiff::Timestamp>,
}

/// The institution's events matching `filter`, newest first, `limit` from `offset`.
pub async fn search(
    store: &Store,
    grant: &Grant<permissions::ViewAuditTrail>,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditEvent>, Error> {
    let rows = sqlx::query(
        "SELECT id, occurred_at, actor_user_id, actor_label, action, target, detail
         FROM audit_events
         WHERE institution_id = $1
           AND ($2 IS NULL OR actor_label = $2)
           AND ($3 IS NULL OR target = $3)
           AND ($4 IS NULL OR occurred_at >= $4)
           AND ($5 IS NULL OR occurred_at < $5)
         ORDER BY id DESC LIMIT $6 OFFSET $7",
    )
    .bind(grant.institution_id().get())
    .bind(filter.actor.as_deref())
    .bind(filter.target.as_deref())
    .bind(filter.from.map(to_micros))
    .bind(filter.until.map(to_micros))
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// The events of one record of an institution, oldest first: a record's
/// history for modules that have already checked the caller's grant.
pub(crate) async fn for_target(
    store: &Store,
    institution_id: InstitutionId,
    target: &str,
) -> Result<Vec<AuditEvent>, Error> {
    let rows = sqlx::query(
        "SELECT id, occurred_at, actor_user_id, actor_label, action, target, detail
         FROM audit_events WHERE institution_id = $1 AND target = $2 ORDER BY id",
    )
    .bind(institution_id.get())
    .bind(target)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(event_from_row).collect()
}

fn event_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEvent, Error> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        occurred_at: from_micros(row.try_get("occurred_at")?),
        actor_user_id: row
            .try_get::<Option<i64>, _>("actor_user_id")?
            .map(UserId::from_db),
        actor_label: row.try_get("actor_label")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        detail: row.try_get("detail")?,
    })
}
