//! The audit trail's keys, signed checkpoints, verification and exported proofs.
//!
//! The Ed25519 signing key lives in the data folder (`audit-signing.key`), outside
//! the database, so a copy or an edit of the database alone cannot forge a
//! checkpoint. The latest checkpoint is also kept beside it (`audit-checkpoint.txt`),
//! so deleting checkpoints from the database does not hide a truncated trail.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use ed25519_dalek::{SigningKey, VerifyingKey};
use mamori_store::Store;
use mamori_store::audit_log::{self, ChainProblem};
use mamori_tlog::{Checkpoint, Hash};

/// The signer's name in checkpoint notes.
pub const KEY_NAME: &str = "mamori-audit";
/// The log's origin line in checkpoints.
pub const ORIGIN: &str = "mamori/audit-trail";
const KEY_FILE: &str = "audit-signing.key";
const CHECKPOINT_FILE: &str = "audit-checkpoint.txt";
/// The tree's right edge at the size of `audit-checkpoint.txt`: its size on
/// the first line, then the subtree roots, comma-separated. With it, proving
/// that the trail extends the last checkpoint reads only the entries since.
const FRONTIER_FILE: &str = "audit-frontier.txt";

/// The signing key and where checkpoints are kept.
#[derive(Clone)]
pub struct Auditor {
    key: SigningKey,
    data_dir: PathBuf,
}

impl Auditor {
    /// Loads the key from the data folder, creating it (readable by the owner only)
    /// the first time.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            key: load_or_create_key(data_dir, KEY_FILE, "audit")?,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// Loads the key; fails if there is none.
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            key: load_key(data_dir, KEY_FILE, "audit")?,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// The public key, for verifiers.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs a checkpoint of the current tree if it grew since the last one, stores it
    /// in the database and the data folder, and returns the latest note.
    ///
    /// Refuses to sign a tree that does not extend the last signed checkpoint
    /// (the one in the data folder, or the database's if larger): a shortened
    /// or rewritten trail must never be covered by a fresh signature.
    pub async fn checkpoint(&self, store: &Store) -> anyhow::Result<String> {
        let (size, root) = audit_log::head(store).await?;
        self.check_extends_last(store, size, root).await?;
        let frontier = audit_log::head_frontier(store).await?;
        let (size, root) = (frontier.size(), frontier.root());
        // Entries appended since the check above are checked too.
        self.check_extends_last(store, size, root).await?;
        if let Some(latest) = audit_log::latest_checkpoint(store)
            .await?
            .filter(|latest| latest.size == size)
        {
            return Ok(latest.note);
        }
        let note = Checkpoint {
            origin: ORIGIN.to_owned(),
            size,
            root,
        }
        .sign(KEY_NAME, &self.key)
        .context("cannot sign the checkpoint")?;
        audit_log::insert_checkpoint(store, size, &root, &note, jiff::Timestamp::now()).await?;
        // The frontier first: a crash between the two leaves a frontier that
        // does not match the note, which is then simply not used.
        let roots: Vec<String> = frontier
            .subtree_roots()
            .iter()
            .map(ToString::to_string)
            .collect();
        let path = self.data_dir.join(FRONTIER_FILE);
        write_private(&path, &format!("{size}\n{}\n", roots.join(",")))
            .with_context(|| format!("cannot write {}", path.display()))?;
        let path = self.data_dir.join(CHECKPOINT_FILE);
        write_private(&path, &note).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(note)
    }

    /// The latest signed checkpoint, from the data folder and the database,
    /// whichever covers more; `None` before the first. Only those two notes
    /// are read and verified, so this stays cheap however many checkpoints
    /// the database holds (one a minute of activity).
    async fn last_signed(&self, store: &Store) -> anyhow::Result<Option<Checkpoint>> {
        let mut notes: Vec<String> = audit_log::latest_checkpoint(store)
            .await?
            .map(|latest| latest.note)
            .into_iter()
            .collect();
        if let Ok(note) = std::fs::read_to_string(self.data_dir.join(CHECKPOINT_FILE)) {
            notes.push(note);
        }
        let mut latest: Option<Checkpoint> = None;
        for note in &notes {
            let checkpoint = Checkpoint::verify(note, KEY_NAME, &self.verifying_key())
                .map_err(|error| anyhow::anyhow!("a stored checkpoint does not verify: {error}"))?;
            if checkpoint.origin != ORIGIN {
                anyhow::bail!(
                    "a stored checkpoint belongs to another log ({})",
                    checkpoint.origin
                );
            }
            if latest
                .as_ref()
                .is_none_or(|kept| checkpoint.size > kept.size)
            {
                latest = Some(checkpoint);
            }
        }
        Ok(latest)
    }

    /// Proves that the tree of `size` entries with `root` extends the last
    /// signed checkpoint: the same root at the same size, or the checkpoint's
    /// tree with the entries since appended.
    async fn check_extends_last(&self, store: &Store, size: u64, root: Hash) -> anyhow::Result<()> {
        let Some(last) = self.last_signed(store).await? else {
            return Ok(());
        };
        let refuse = |what: String| {
            anyhow::anyhow!(
                "the audit trail no longer extends its last signed checkpoint ({what}); \
                 mamori will not sign it. Run `mamori audit verify` and restore the database from a backup"
            )
        };
        if size < last.size {
            return Err(refuse(format!(
                "the checkpoint covers {} entries, the trail now holds {size}: entries were removed",
                last.size
            )));
        }
        if size == last.size {
            return if root == last.root {
                Ok(())
            } else {
                Err(refuse(format!("the {size} entries it covers were changed")))
            };
        }
        let mut frontier = match self.saved_frontier(&last) {
            Some(frontier) => frontier,
            None => {
                let mut frontier = mamori_tlog::Frontier::new();
                for leaf in audit_log::recorded_leaf_hashes(store, 0, last.size).await? {
                    frontier.push(leaf);
                }
                frontier
            }
        };
        if frontier.root() != last.root {
            return Err(refuse(format!(
                "the first {} entries were changed",
                last.size
            )));
        }
        let since = audit_log::recorded_leaf_hashes(store, last.size, size)
            .await
            .map_err(|error| refuse(format!("entries after {} are missing: {error}", last.size)))?;
        for leaf in since {
            frontier.push(leaf);
        }
        if frontier.root() == root {
            Ok(())
        } else {
            Err(refuse(format!(
                "the trail's head does not follow from its entries after {}",
                last.size
            )))
        }
    }

    /// The frontier saved beside the checkpoint, if it is for `checkpoint` and
    /// gives its root.
    fn saved_frontier(&self, checkpoint: &Checkpoint) -> Option<mamori_tlog::Frontier> {
        let text = std::fs::read_to_string(self.data_dir.join(FRONTIER_FILE)).ok()?;
        let (size, roots) = text.trim().split_once('\n').unwrap_or((text.trim(), ""));
        let size: u64 = size.trim().parse().ok()?;
        let roots = roots
            .split(',')
            .filter(|part| !part.trim().is_empty())
            .map(|part| Hash::from_hex(part.trim()))
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        let frontier = mamori_tlog::Frontier::from_subtree_roots(size, roots).ok()?;
        (size == checkpoint.size && frontier.root() == checkpoint.root).then_some(frontier)
    }
}

/// Writes `text` to `path` atomically, readable by the owner only.
/// Loads the Ed25519 signing key in `file` of the data folder, creating it
/// (readable by the owner only) the first time. `what` names it in errors.
pub(crate) fn load_or_create_key(
    data_dir: &Path,
    file: &str,
    what: &str,
) -> anyhow::Result<SigningKey> {
    let path = data_dir.join(file);
    if !path.exists() {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        let encoded = base64::engine::general_purpose::STANDARD.encode(seed);
        write_private(&path, &format!("{encoded}\n"))
            .with_context(|| format!("cannot create the {what} signing key {}", path.display()))?;
    }
    load_key(data_dir, file, what)
}

/// Loads the Ed25519 signing key in `file` of the data folder; fails if there is none.
pub(crate) fn load_key(data_dir: &Path, file: &str, what: &str) -> anyhow::Result<SigningKey> {
    let path = data_dir.join(file);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the {what} signing key {}", path.display()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .with_context(|| format!("the {what} signing key {} is malformed", path.display()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&temporary, path)
}

/// The verdict of `mamori audit verify`.
#[derive(Debug)]
pub enum Verdict {
    /// Everything matches; the text summarises what was checked.
    Intact(String),
    /// Something was changed, removed or reordered; the text names the first place.
    Tampered(String),
}

/// Checks the whole trail: every entry against its recorded hashes, and every
/// signed checkpoint (database and data folder) against the recomputed tree.
pub async fn verify(
    store: &Store,
    verifying_key: &VerifyingKey,
    data_dir: &Path,
) -> anyhow::Result<Verdict> {
    // Checkpoints are read first so that one pass over the trail computes the
    // root at each of their sizes; a checkpoint that does not verify is reported
    // after the entries, which name a changed one more precisely.
    let checkpoints = signed_checkpoints(store, verifying_key, data_dir).await;
    let sizes: Vec<u64> = match &checkpoints {
        Ok(checkpoints) => checkpoints
            .iter()
            .map(|checkpoint| checkpoint.size)
            .collect(),
        Err(_) => Vec::new(),
    };
    let report = audit_log::walk_chain(store, &sizes).await?;
    if let Some(problem) = report.first_problem {
        return Ok(Verdict::Tampered(match problem {
            ChainProblem::Missing { position } => {
                format!("entry {position} is missing (deleted or moved)")
            }
            ChainProblem::Changed { position, id } => {
                format!("entry {position} (row id {id}) was changed, moved or reordered")
            }
            ChainProblem::Unsealed { id } => {
                format!("row id {id} was inserted outside the audit trail")
            }
        }));
    }
    let checkpoints = checkpoints?;
    let n_entries = report.leaf_hashes.len() as u64;
    let mut previous_size = 0;
    for checkpoint in &checkpoints {
        if checkpoint.size > n_entries {
            return Ok(Verdict::Tampered(format!(
                "entries {n_entries} to {} were removed: a signed checkpoint covers {} entries, the trail has {n_entries}",
                checkpoint.size - 1,
                checkpoint.size
            )));
        }
        // The walk recorded the root at every size within the trail, sorted.
        let root = report
            .roots_at
            .binary_search_by_key(&checkpoint.size, |(size, _)| *size)
            .ok()
            .and_then(|index| report.roots_at.get(index))
            .map(|(_, root)| *root);
        if root != Some(checkpoint.root) {
            return Ok(Verdict::Tampered(format!(
                "an entry between {previous_size} and {} was changed and its recorded hashes rewritten: \
                 the signed checkpoint of {} entries does not match",
                checkpoint.size.saturating_sub(1),
                checkpoint.size
            )));
        }
        previous_size = checkpoint.size;
    }
    let (head_size, head_root) = audit_log::head(store).await?;
    let root = report.root;
    if head_size != n_entries || head_root != root {
        return Ok(Verdict::Tampered(format!(
            "the trail's head records {head_size} entries and root {head_root}, the entries give {n_entries} and {root}"
        )));
    }
    let covered = checkpoints.last().map_or(0, |checkpoint| checkpoint.size);
    Ok(Verdict::Intact(format!(
        "{n_entries} entries verified, root {root}; the latest signed checkpoint covers {covered} entries"
    )))
}

/// Every checkpoint in the database and the data folder, each checked against
/// `verifying_key` and this log's origin, smallest first.
async fn signed_checkpoints(
    store: &Store,
    verifying_key: &VerifyingKey,
    data_dir: &Path,
) -> anyhow::Result<Vec<Checkpoint>> {
    let mut notes: Vec<String> = audit_log::list_checkpoints(store)
        .await?
        .into_iter()
        .map(|c| c.note)
        .collect();
    if let Ok(note) = std::fs::read_to_string(data_dir.join(CHECKPOINT_FILE)) {
        notes.push(note);
    }
    let mut checkpoints = Vec::with_capacity(notes.len());
    for note in &notes {
        let checkpoint = Checkpoint::verify(note, KEY_NAME, verifying_key)
            .map_err(|error| anyhow::anyhow!("a stored checkpoint does not verify: {error}"))?;
        if checkpoint.origin != ORIGIN {
            anyhow::bail!(
                "a stored checkpoint belongs to another log ({})",
                checkpoint.origin
            );
        }
        checkpoints.push(checkpoint);
    }
    checkpoints.sort_by_key(|checkpoint| checkpoint.size);
    Ok(checkpoints)
}

/// The latest checkpoint (signed now if the trail grew), checked with our key, and
/// the leaf hashes it covers.
async fn checkpointed_leaves(
    store: &Store,
    auditor: &Auditor,
) -> anyhow::Result<(String, Checkpoint, Vec<Hash>)> {
    let note = auditor.checkpoint(store).await?;
    let checkpoint = Checkpoint::verify(&note, KEY_NAME, &auditor.verifying_key())?;
    let mut leaves = audit_log::walk_chain(store, &[]).await?.leaf_hashes;
    let size = usize::try_from(checkpoint.size)?;
    if leaves.len() < size {
        anyhow::bail!("the trail is shorter than its checkpoint: run `mamori audit verify`");
    }
    leaves.truncate(size);
    Ok((note, checkpoint, leaves))
}

/// An inclusion proof in the JSON form `mamori audit proof` prints (see docs/audit-trail.md).
pub async fn inclusion_proof_json(
    store: &Store,
    auditor: &Auditor,
    index: u64,
) -> anyhow::Result<String> {
    let (note, checkpoint, leaves) = checkpointed_leaves(store, auditor).await?;
    let proof = mamori_tlog::inclusion_proof(&leaves, index)
        .map_err(|error| anyhow::anyhow!("no inclusion proof for entry {index}: {error}"))?;
    let leaf = leaves
        .get(usize::try_from(index)?)
        .copied()
        .unwrap_or(Hash([0; 32]));
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "tree_size": checkpoint.size,
        "leaf_index": index,
        "leaf_hash": leaf.to_string(),
        "inclusion_proof": proof.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "checkpoint": note,
    }))?)
}

/// A consistency proof from `old_size` to the latest checkpoint, as JSON.
pub async fn consistency_proof_json(
    store: &Store,
    auditor: &Auditor,
    old_size: u64,
) -> anyhow::Result<String> {
    let (note, checkpoint, leaves) = checkpointed_leaves(store, auditor).await?;
    let proof = mamori_tlog::consistency_proof(&leaves, old_size)
        .map_err(|error| anyhow::anyhow!("no consistency proof from {old_size}: {error}"))?;
    let old_root = mamori_tlog::root(leaves.get(..usize::try_from(old_size)?).unwrap_or_default());
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "old_size": old_size,
        "old_root": old_root.to_string(),
        "new_size": checkpoint.size,
        "new_root": checkpoint.root.to_string(),
        "consistency_proof": proof.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "checkpoint": note,
    }))?)
}
