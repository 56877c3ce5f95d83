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
    /// strings), as serde_json writes it: no spaces, so anyone can rebuild it
    /// (docs/audit-trail.md).
    fn canonical_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(256);
        self.write_canonical(&mut bytes);
        bytes
    }

    /// Writes [`Self::canonical_bytes`] into `bytes`, replacing what it held.
    fn write_canonical(&self, bytes: &mut Vec<u8>) {
        bytes.clear();
        let array = (
            self.position,
            self.institution_id,
            self.occurred_at,
            self.actor_user_id,
            self.actor_label,
            self.action,
            self.target,
            self.detail,
        );
        // serde_json fails only on I/O errors and non-string map keys; writing
        // integers, null and strings into a Vec has neither.
        let _ = serde_json::to_writer(&mut *bytes, &array);
    }
}

struct Head {
    frontier: mamori_tlog::Frontier,
    /// The root the head row records beside the frontier.
    recorded_root: mamori_tlog::Hash,
}

async fn lock_head(connection: &mut AnyConnection) -> Result<Head, Error> {
    // A write first: PostgreSQL locks the row, SQLite takes the write lock, so two
    // appends never read the same head.
    sqlx::query("UPDATE audit_log_head SET size = size WHERE id = 1")
        .execute(&mut *connection)
        .await?;
    read_head(connection).await
}

async fn read_head(connection: &mut AnyConnection) -> Result<Head, Error> {
    let row = sqlx::query("SELECT size, root, frontier FROM audit_log_head WHERE id = 1")
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
    let root: String = row.try_get("root")?;
    let recorded_root =
        mamori_tlog::Hash::from_hex(&root).map_err(|_| Error::Corrupt("audit_log_head.root"))?;
    Ok(Head {
        frontier,
        recorded_root,
    })
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
/// it, in id order. Runs when the store opens, and only while no event has a
/// place yet: once the tree exists, a row without a position was written
/// around the trail (by hand, into the database) and must stay visible to
/// `mamori audit verify` as such, not be sealed as if it belonged.
pub async fn seal_unsealed(store: &Store) -> Result<u64, Error> {
    let mut transaction = store.begin().await?;
    let placed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE position IS NOT NULL")
            .fetch_one(&mut *transaction)
            .await?;
    if placed > 0 {
        transaction.commit().await?;
        return Ok(0);
    }
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

/// The tree's current right edge, as the head row records it; its root must be
/// the root the head records.
pub async fn head_frontier(store: &Store) -> Result<mamori_tlog::Frontier, Error> {
    let mut connection = store.pool().acquire().await?;
    let head = read_head(&mut connection).await?;
    if head.frontier.root() != head.recorded_root {
        return Err(Error::Corrupt("audit_log_head.frontier"));
    }
    Ok(head.frontier)
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

/// The leaf hashes recorded for positions `from..to`, in order, as they were
/// stored when each entry was appended (not recomputed: that is
/// [`walk_chain`]'s work). Fails when a position in the range has no entry.
pub async fn recorded_leaf_hashes(
    store: &Store,
    from: u64,
    to: u64,
) -> Result<Vec<mamori_tlog::Hash>, Error> {
    let bound = |n: u64| i64::try_from(n).map_err(|_| Error::Corrupt("audit_events.position"));
    let rows = sqlx::query(
        "SELECT position, leaf_hash FROM audit_events
         WHERE position >= $1 AND position < $2 ORDER BY position",
    )
    .bind(bound(from)?)
    .bind(bound(to)?)
    .fetch_all(store.pool())
    .await?;
    let mut hashes = Vec::with_capacity(rows.len());
    for (expected, row) in (from..to).zip(rows.iter()) {
        let position: Option<i64> = row.try_get("position")?;
        if position.and_then(|p| u64::try_from(p).ok()) != Some(expected) {
            return Err(Error::Corrupt("audit_events.position"));
        }
        let leaf: Option<String> = row.try_get("leaf_hash")?;
        hashes.push(
            leaf.as_deref()
                .and_then(|hex| mamori_tlog::Hash::from_hex(hex).ok())
                .ok_or(Error::Corrupt("audit_events.leaf_hash"))?,
        );
    }
    if hashes.len() as u64 != to.saturating_sub(from) {
        return Err(Error::Corrupt("audit_events.position"));
    }
    Ok(hashes)
}

/// What a walk over the stored trail found.
#[derive(Debug, Clone)]
pub struct ChainReport {
    /// Leaf hashes recomputed from the rows' contents, in position order.
    pub leaf_hashes: Vec<mamori_tlog::Hash>,
    /// The root of the tree over every leaf walked.
    pub root: mamori_tlog::Hash,
    /// The root when the tree had each size asked for, smallest first; sizes
    /// beyond the trail are left out.
    pub roots_at: Vec<(u64, mamori_tlog::Hash)>,
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

/// One stored row as read for verification, owned so it can cross to the hashing thread.
struct StoredEntry {
    id: i64,
    position: Option<i64>,
    institution_id: Option<i64>,
    occurred_at: i64,
    actor_user_id: Option<i64>,
    actor_label: String,
    action: String,
    target: String,
    detail: String,
    leaf_hash: Option<String>,
}

/// Rows handed from the reading task to the hashing thread at a time.
const WALK_BATCH: usize = 1024;

/// Recomputes every leaf hash from the stored rows and compares it with what was
/// recorded when it was appended, and computes the tree's root at each size in
/// `root_sizes` (the signed checkpoints) and at the end. An attacker who also
/// rewrote the recorded hashes is caught by comparing those roots with the
/// signed checkpoints.
///
/// Reading and hashing overlap: this task decodes rows (streamed, so a trail of
/// millions is never held in memory) while a blocking thread hashes the previous
/// batch, with at most four batches in flight.
pub async fn walk_chain(store: &Store, root_sizes: &[u64]) -> Result<ChainReport, Error> {
    let mut root_sizes = root_sizes.to_vec();
    root_sizes.sort_unstable();
    root_sizes.dedup();
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<StoredEntry>>(4);
    let hasher = tokio::task::spawn_blocking(move || {
        let mut walk = ChainWalk::new(root_sizes);
        while let Some(batch) = receiver.blocking_recv() {
            for entry in batch {
                walk.check(entry);
            }
        }
        walk.finish()
    });
    let read = read_entries(store, &sender).await;
    drop(sender);
    let report = hasher
        .await
        .map_err(|error| Error::Unavailable(format!("the audit trail check stopped: {error}")))?;
    read?;
    Ok(report)
}

async fn read_entries(
    store: &Store,
    sender: &tokio::sync::mpsc::Sender<Vec<StoredEntry>>,
) -> Result<(), Error> {
    let mut rows = sqlx::query(
        "SELECT id, institution_id, occurred_at, actor_user_id, actor_label, action, target, detail,
                position, leaf_hash
         FROM audit_events ORDER BY position",
    )
    .fetch(store.pool());
    let mut batch = Vec::with_capacity(WALK_BATCH);
    while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
        batch.push(StoredEntry {
            id: row.try_get("id")?,
            position: row.try_get("position")?,
            institution_id: row.try_get("institution_id")?,
            occurred_at: row.try_get("occurred_at")?,
            actor_user_id: row.try_get("actor_user_id")?,
            actor_label: row.try_get("actor_label")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            detail: row.try_get("detail")?,
            leaf_hash: row.try_get("leaf_hash")?,
        });
        if batch.len() == WALK_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(WALK_BATCH));
            if sender.send(full).await.is_err() {
                // The hashing thread is gone; its join reports why.
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = sender.send(batch).await;
    }
    Ok(())
}

/// The hashing half of [`walk_chain`]: pure computation over entries in order.
struct ChainWalk {
    frontier: mamori_tlog::Frontier,
    leaf_hashes: Vec<mamori_tlog::Hash>,
    root_sizes: std::iter::Peekable<std::vec::IntoIter<u64>>,
    roots_at: Vec<(u64, mamori_tlog::Hash)>,
    first_problem: Option<ChainProblem>,
    bytes: Vec<u8>,
}

impl ChainWalk {
    fn new(root_sizes: Vec<u64>) -> Self {
        let mut walk = Self {
            frontier: mamori_tlog::Frontier::new(),
            leaf_hashes: Vec::new(),
            root_sizes: root_sizes.into_iter().peekable(),
            roots_at: Vec::new(),
            first_problem: None,
            bytes: Vec::with_capacity(512),
        };
        walk.record_roots();
        walk
    }

    fn check(&mut self, entry: StoredEntry) {
        let Some(position) = entry.position else {
            self.first_problem
                .get_or_insert(ChainProblem::Unsealed { id: entry.id });
            return;
        };
        let expected_position = self.frontier.size();
        if u64::try_from(position).ok() != Some(expected_position) {
            self.first_problem.get_or_insert(ChainProblem::Missing {
                position: expected_position,
            });
        }
        let leaf = LeafFields {
            position,
            institution_id: entry.institution_id,
            occurred_at: entry.occurred_at,
            actor_user_id: entry.actor_user_id,
            actor_label: &entry.actor_label,
            action: &entry.action,
            target: &entry.target,
            detail: &entry.detail,
        };
        leaf.write_canonical(&mut self.bytes);
        let leaf_hash = mamori_tlog::leaf_hash(&self.bytes);
        // Each entry is compared by its leaf hash only; roots are compared at the
        // signed checkpoints and the head, which costs one root per checkpoint
        // instead of one per entry.
        let recorded_leaf = entry
            .leaf_hash
            .as_deref()
            .and_then(|hex| mamori_tlog::Hash::from_hex(hex).ok());
        if recorded_leaf != Some(leaf_hash) {
            self.first_problem.get_or_insert(ChainProblem::Changed {
                position: expected_position,
                id: entry.id,
            });
        }
        self.frontier.push(leaf_hash);
        self.leaf_hashes.push(leaf_hash);
        self.record_roots();
    }

    /// Records the root for every asked size the tree has now reached.
    fn record_roots(&mut self) {
        while let Some(&size) = self.root_sizes.peek() {
            if size != self.frontier.size() {
                break;
            }
            self.roots_at.push((size, self.frontier.root()));
            self.root_sizes.next();
        }
    }

    fn finish(self) -> ChainReport {
        ChainReport {
            root: self.frontier.root(),
            leaf_hashes: self.leaf_hashes,
            roots_at: self.roots_at,
            first_problem: self.first_problem,
        }
    }
}

/// A signed checkpoint as stored.
#[derive(Debug, Clone)]
pub struct StoredCheckpoint {
    /// Tree size it covers.
    pub size: u64,
    /// The signed note (C2SP tlog-checkpoint).
    pub note: String,
}

/// The largest checkpoint in the database, if any: one row, however many
/// checkpoints are stored.
pub async fn latest_checkpoint(store: &Store) -> Result<Option<StoredCheckpoint>, Error> {
    sqlx::query("SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(store.pool())
        .await?
        .as_ref()
        .map(checkpoint_from_row)
        .transpose()
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
    rows.iter().map(checkpoint_from_row).collect()
}

fn checkpoint_from_row(row: &sqlx::any::AnyRow) -> Result<StoredCheckpoint, Error> {
    let size: i64 = row.try_get("size")?;
    Ok(StoredCheckpoint {
        size: u64::try_from(size).map_err(|_| Error::Corrupt("audit_checkpoints.size"))?,
        note: row.try_get("note")?,
    })
}

/// Appends one event in its own transaction (for events with no change, like a sign-in).
pub async fn append_alone(
    store: &Store,
    event: &NewAuditEvent,
    now: jiff::Timestamp,
) -> Result<(), Error> {
    let mut transaction = store.begin().await?;
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
    /// What was done, such as `user.create`, exactly.
    pub action: Option<String>,
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
           AND ($6 IS NULL OR action = $6)
         ORDER BY id DESC LIMIT $7 OFFSET $8",
    )
    .bind(grant.institution_id().get())
    .bind(filter.actor.as_deref())
    .bind(filter.target.as_deref())
    .bind(filter.from.map(to_micros))
    .bind(filter.until.map(to_micros))
    .bind(filter.action.as_deref())
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
         FROM audit_events WHERE institution_id = $1 AND target = $2 ORDER BY position, id",
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

#[cfg(test)]
mod tests {
    use super::{ChainProblem, ChainWalk, LeafFields, StoredEntry};

    fn stored(position: i64, recorded: bool) -> StoredEntry {
        let detail = format!("{{\"n\":{position}}}");
        let leaf = LeafFields {
            position,
            institution_id: Some(1),
            occurred_at: 1_000 + position,
            actor_user_id: None,
            actor_label: "operator",
            action: "test.event",
            target: "test:1",
            detail: &detail,
        };
        let leaf_hash = mamori_tlog::leaf_hash(&leaf.canonical_bytes());
        StoredEntry {
            id: position + 100,
            position: Some(position),
            institution_id: Some(1),
            occurred_at: 1_000 + position,
            actor_user_id: None,
            actor_label: "operator".to_owned(),
            action: "test.event".to_owned(),
            target: "test:1".to_owned(),
            detail,
            leaf_hash: recorded.then(|| leaf_hash.to_string()),
        }
    }

    #[test]
    fn the_walk_gives_the_root_at_each_size_asked_and_at_the_end() {
        let mut walk = ChainWalk::new(vec![0, 3, 5, 99]);
        for position in 0..5 {
            walk.check(stored(position, true));
        }
        let report = walk.finish();
        assert_eq!(report.first_problem, None);
        let leaves = &report.leaf_hashes;
        assert_eq!(leaves.len(), 5);
        assert_eq!(
            report.roots_at,
            vec![
                (0, mamori_tlog::root(&[])),
                (3, mamori_tlog::root(&leaves[..3])),
                (5, mamori_tlog::root(leaves)),
            ],
            "sizes beyond the trail are left out"
        );
        assert_eq!(report.root, mamori_tlog::root(leaves));
    }

    #[test]
    fn the_walk_names_the_first_gap_and_the_first_changed_entry() {
        let mut walk = ChainWalk::new(Vec::new());
        walk.check(stored(0, true));
        walk.check(stored(2, true));
        walk.check(stored(3, true));
        assert_eq!(
            walk.finish().first_problem,
            Some(ChainProblem::Missing { position: 1 })
        );

        let mut walk = ChainWalk::new(Vec::new());
        walk.check(stored(0, true));
        let mut changed = stored(1, true);
        changed.target = "test:2".to_owned();
        walk.check(changed);
        walk.check(stored(2, false));
        assert_eq!(
            walk.finish().first_problem,
            Some(ChainProblem::Changed {
                position: 1,
                id: 101
            })
        );
    }

    #[test]
    fn leaf_bytes_are_the_documented_json_array_without_spaces() {
        let leaf = LeafFields {
            position: 7,
            institution_id: Some(1),
            occurred_at: 1_764_000_000_000_000,
            actor_user_id: None,
            actor_label: "192.0.2.1",
            action: "user.sign_in_failed",
            target: "user:\"x\"",
            detail: "{\"reason\":\"改行\\n\"}",
        };
        assert_eq!(
            String::from_utf8(leaf.canonical_bytes()).expect("UTF-8"),
            r#"[7,1,1764000000000000,null,"192.0.2.1","user.sign_in_failed","user:\"x\"","{\"reason\":\"改行\\n\"}"]"#
        );
        // The same bytes as the general JSON writer gives for the array.
        let value = serde_json::json!([
            7,
            1,
            1_764_000_000_000_000_i64,
            null,
            leaf.actor_label,
            leaf.action,
            leaf.target,
            leaf.detail
        ]);
        assert_eq!(leaf.canonical_bytes(), value.to_string().into_bytes());
    }
}
