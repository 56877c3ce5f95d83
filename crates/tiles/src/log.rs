//! The writer: appends entries, writes bundles and tiles, signs the checkpoint.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use mamori_tlog::{Checkpoint, Hash, leaf_hash, root};

use crate::bundle::{MAX_ENTRY_LEN, encode_entry, parse_bundle};
use crate::files::{
    prune_partials, read_if_present, rename_durably, sync_filesystem, write_unsynced,
};
use crate::tiling::{FullTile, Tiling, tile_bytes, tile_hashes};
use crate::{CHECKPOINT_FILE, Error, TILE_WIDTH, bundle_path, tile_path};

/// The file `open` locks so that one writer at a time appends (whoever must
/// hold writers off — a backup, a check — locks it too).
pub const LOCK_FILE: &str = "lock";

/// A log open for appending. One writer per folder: `open` takes an exclusive
/// lock on the folder's `lock` file, held until the `TileLog` is dropped.
pub struct TileLog {
    _lock: std::fs::File,
    dir: PathBuf,
    origin: String,
    key_name: String,
    key: SigningKey,
    /// The committed tree's right edge.
    committed: Edge,
    /// The append whose commit runs in the background, if any.
    in_flight: Option<InFlight>,
    /// The right edge after the entries written ahead and not yet begun
    /// to commit ([`TileLog::write_ahead`]), if any.
    ahead: Option<Edge>,
    /// A sync started in the background while entries are written ahead:
    /// the disk writes them while the caller makes the next part.
    syncing: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for TileLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileLog")
            .field("dir", &self.dir)
            .field("origin", &self.origin)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl TileLog {
    /// Opens the log in `dir` (creating the folder and its lock file),
    /// checking that its checkpoint is signed by `key` for `origin` and that
    /// the tiles on its right edge give the signed tree head.
    pub fn open(dir: &Path, origin: &str, key_name: &str, key: SigningKey) -> Result<Self, Error> {
        let damaged = |reason: String| Error::Damaged {
            dir: dir.to_path_buf(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| Error::Io {
                path: lock_path.clone(),
                source,
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Busy {
                    dir: dir.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(Error::Io {
                    path: lock_path,
                    source,
                });
            }
        }
        let mut log = Self {
            _lock: lock,
            dir: dir.to_path_buf(),
            origin: origin.to_owned(),
            key_name: key_name.to_owned(),
            key,
            committed: Edge::default(),
            in_flight: None,
            ahead: None,
            syncing: None,
        };
        let Some(note) = read_if_present(&dir.join(CHECKPOINT_FILE))? else {
            if dir.join("tile").exists() {
                // Starting afresh would overwrite the entries that are there.
                return Err(damaged(
                    "there are tiles but no checkpoint; restore the checkpoint file".to_owned(),
                ));
            }
            return Ok(log);
        };
        let note = String::from_utf8(note)
            .map_err(|_| damaged("the checkpoint is not UTF-8".to_owned()))?;
        let checkpoint = Checkpoint::verify(&note, key_name, &log.key.verifying_key())
            .map_err(|err| damaged(format!("the checkpoint does not verify: {err}")))?;
        if checkpoint.origin != origin {
            return Err(damaged(format!(
                "the checkpoint is for the log {:?}",
                checkpoint.origin
            )));
        }
        log.committed.tiling = log
            .load_right_edge(checkpoint.size)
            .map_err(|err| match err {
                Error::Damaged { reason, .. } => damaged(reason),
                other => other,
            })?;
        if log.committed.tiling.root() != checkpoint.root {
            return Err(damaged(
                "the tiles do not give the tree head the checkpoint signed".to_owned(),
            ));
        }
        let width = checkpoint.size % TILE_WIDTH;
        if width > 0 {
            let path = bundle_path(checkpoint.size / TILE_WIDTH, width);
            let bytes = read_if_present(&dir.join(&path))?
                .ok_or_else(|| damaged(format!("{} is missing", path.display())))?;
            let entries = parse_bundle(&bytes)
                .ok_or_else(|| damaged(format!("{} is malformed", path.display())))?;
            let hashes: Vec<Hash> = entries.iter().map(|entry| leaf_hash(entry)).collect();
            if log.committed.tiling.open.first() != Some(&hashes) {
                return Err(damaged(format!(
                    "{} does not match its tile",
                    path.display()
                )));
            }
            log.committed.open_bundle = bytes;
        }
        Ok(log)
    }

    /// Reads the partial tile of every level of a log of `size` entries.
    fn load_right_edge(&self, size: u64) -> Result<Tiling, Error> {
        let damaged = |reason: String| Error::Damaged {
            dir: self.dir.clone(),
            reason,
        };
        let mut open = Vec::new();
        let mut level = 0u8;
        while level < 8 && size >> (8 * u32::from(level)) > 0 {
            let count = size >> (8 * u32::from(level));
            let width = count % TILE_WIDTH;
            let mut hashes = Vec::new();
            if width > 0 {
                let path = tile_path(level, count / TILE_WIDTH, width);
                let bytes = read_if_present(&self.dir.join(&path))?
                    .ok_or_else(|| damaged(format!("{} is missing", path.display())))?;
                hashes = tile_hashes(&bytes, width)
                    .ok_or_else(|| damaged(format!("{} has the wrong length", path.display())))?;
            }
            open.push(hashes);
            level += 1;
        }
        Tiling::from_open_tiles(size, open)
            .ok_or_else(|| damaged("the partial tiles do not fit the size".to_owned()))
    }

    /// The number of entries committed.
    pub fn size(&self) -> u64 {
        self.committed.tiling.size()
    }

    /// The tree head of the committed entries.
    pub fn root(&self) -> Hash {
        self.committed.tiling.root()
    }

    /// The log's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The committed entries in `range` (clipped to the log's size), read
    /// from their bundles.
    pub fn read(&self, range: std::ops::Range<u64>) -> Result<Vec<Vec<u8>>, Error> {
        read_bundles(
            &self.dir,
            self.size(),
            range,
            Some(&self.committed.open_bundle),
        )
        .map(|read| read.unwrap_or_default())
    }

    /// The current signed checkpoint (what `checkpoint` holds).
    pub fn checkpoint(&self) -> Result<String, Error> {
        self.note(&self.committed.tiling)
    }

    /// Appends `entries` in order and commits them with a new signed
    /// checkpoint; returns the index of the first. All or nothing: an entry
    /// over [`MAX_ENTRY_LEN`] or a failed write leaves the log as it was.
    /// The full bundles of a large append are encoded, hashed and written
    /// on every core.
    pub fn append<E: AsRef<[u8]> + Sync>(&mut self, entries: &[E]) -> Result<u64, Error> {
        let first = self.begin_append(entries)?;
        self.finish()?;
        Ok(first)
    }

    /// Appends `entries` as [`TileLog::append`] does, but returns once
    /// their files are written: their commit (the sync, then the signed
    /// checkpoint) goes on in the background. They are committed once the
    /// next `begin_append` or [`TileLog::finish`] returns `Ok` (or, when
    /// the log is dropped, once the drop returns). A writer that appends
    /// batch after batch so writes each batch's bundles and tiles while the
    /// batch before it is synced. Returns the index of the first entry.
    /// Entries written ahead ([`TileLog::write_ahead`]) are committed with
    /// them, before them.
    ///
    /// On `Err` nothing of `entries` (nor of what was written ahead) is
    /// appended, and the commit in flight before the call may have failed:
    /// [`TileLog::size`] tells what is committed.
    pub fn begin_append<E: AsRef<[u8]> + Sync>(&mut self, entries: &[E]) -> Result<u64, Error> {
        let first = self.write_files(entries)?;
        self.begin_commit()?;
        Ok(first)
    }

    /// Appends `entries` as [`TileLog::begin_append`] does, but without
    /// waiting for the commit in flight: while it runs, the entries are
    /// only written ahead, and a later call that finds it done commits
    /// them together with everything written ahead since (a group commit),
    /// as [`TileLog::commit`] does. A writer of batch after batch so never
    /// waits for the disk while it has batches to write: its batches are
    /// committed back to back, each commit taking what came meanwhile.
    /// They are committed once [`TileLog::size`] covers them; the writer
    /// calls [`TileLog::commit`] when no batch waits. Returns the index of
    /// the first entry.
    ///
    /// On `Err` nothing of `entries` nor of what was written ahead is
    /// appended, and the commit in flight may have failed:
    /// [`TileLog::size`] tells what is committed.
    pub fn append_grouped<E: AsRef<[u8]> + Sync>(&mut self, entries: &[E]) -> Result<u64, Error> {
        let first = self.write_files(entries)?;
        if self
            .in_flight
            .as_ref()
            .is_none_or(|flight| flight.thread.is_finished())
        {
            self.begin_commit()?;
        }
        Ok(first)
    }

    /// Writes the bundles and tiles that `entries` complete, after what
    /// was appended or written ahead before, and commits nothing: a caller
    /// that makes a long append part by part (an import reading a large
    /// file) writes each part while it makes the next, and commits them
    /// all at once with [`TileLog::commit`] (or the next `begin_append`).
    /// The disk is set to write them back in the background meanwhile.
    /// Returns the index the first entry will have.
    ///
    /// Written-ahead entries that are not committed are not appended: a
    /// drop, or an `Err` from this or the commit, discards every entry
    /// written ahead since the last commit began, and the log goes on from
    /// what is committed (as after a crash, their files lie beyond the
    /// checkpoint and are written over by the next append).
    pub fn write_ahead<E: AsRef<[u8]> + Sync>(&mut self, entries: &[E]) -> Result<u64, Error> {
        let first = self.write_files(entries)?;
        if !entries.is_empty() {
            sync_in_background(&self.dir, &mut self.syncing);
        }
        Ok(first)
    }

    /// Commits what was written ahead ([`TileLog::write_ahead`]) and
    /// waits until it is: returns the size committed. On `Err` nothing
    /// written ahead is appended.
    pub fn commit(&mut self) -> Result<u64, Error> {
        self.begin_commit()?;
        self.finish()
    }

    /// Writes the full bundles and tiles of `entries` after the latest
    /// edge, which becomes the edge written ahead; returns the index of
    /// the first. On `Err` what was written ahead is discarded.
    fn write_files<E: AsRef<[u8]> + Sync>(&mut self, entries: &[E]) -> Result<u64, Error> {
        if let Some(long) = entries
            .iter()
            .find(|entry| entry.as_ref().len() > MAX_ENTRY_LEN)
        {
            self.ahead = None;
            return Err(Error::EntryTooLong {
                len: long.as_ref().len(),
            });
        }
        let base = self.latest().clone();
        let first = base.tiling.size();
        if entries.is_empty() {
            return Ok(first);
        }
        // The full bundles and tiles, while the commit before runs: their
        // names are new, and nothing the commit in flight prunes.
        match write_full_files(&self.dir, base, entries, &mut self.syncing) {
            Ok(edge) => {
                self.ahead = Some(edge);
                Ok(first)
            }
            Err(err) => {
                self.ahead = None;
                // The commit in flight is still awaited: what it committed
                // is then what `size` says.
                let _ = self.finish();
                Err(err)
            }
        }
    }

    /// Begins the commit of what was written ahead, if anything: once the
    /// commit in flight is done, writes the partial files and the signed
    /// checkpoint under a temporary name, and commits them on a thread of
    /// their own. On `Err` what was written ahead is discarded.
    fn begin_commit(&mut self) -> Result<(), Error> {
        let Some(edge) = self.ahead.take() else {
            return Ok(());
        };
        // The partial files and the checkpoint only once the commit before
        // is done: its pruning removes the partial files it supersedes, and
        // the next checkpoint is written under the name it renames.
        self.finish()?;
        let commit = stage_commit(&self.dir, &edge, &self.committed, self.note(&edge.tiling)?)?;
        let prune = (self.size(), edge.tiling.size());
        let dir = self.dir.clone();
        let thread = std::thread::Builder::new()
            .name("tile-log-commit".to_owned())
            .spawn(move || {
                commit.run(&dir)?;
                prune_superseded(&dir, prune.0, prune.1);
                Ok(())
            })
            .map_err(|source| Error::Io {
                path: self.dir.clone(),
                source,
            })?;
        self.in_flight = Some(InFlight { edge, thread });
        Ok(())
    }

    /// Waits for the commit of the last [`TileLog::begin_append`], if one
    /// is in flight; returns the size committed. On `Err` that append's
    /// entries are not committed and the log goes on from the checkpoint
    /// before it.
    pub fn finish(&mut self) -> Result<u64, Error> {
        if let Some(InFlight { edge, thread }) = self.in_flight.take() {
            let done = thread.join().unwrap_or_else(|_| {
                Err(Error::Io {
                    path: self.dir.clone(),
                    source: std::io::Error::other("the commit stopped before it ended"),
                })
            });
            done?;
            self.committed = edge;
        }
        Ok(self.size())
    }

    /// The right edge the next append builds on: what was written ahead,
    /// else the append in flight's, else the committed one.
    fn latest(&self) -> &Edge {
        self.ahead.as_ref().unwrap_or_else(|| {
            self.in_flight
                .as_ref()
                .map_or(&self.committed, |flight| &flight.edge)
        })
    }

    /// The signed checkpoint of a tree.
    fn note(&self, tiling: &Tiling) -> Result<String, Error> {
        Ok(Checkpoint {
            origin: self.origin.clone(),
            size: tiling.size(),
            root: tiling.root(),
        }
        .sign(&self.key_name, &self.key)?)
    }
}

impl Drop for TileLog {
    /// An append in flight is committed before the lock is released
    /// (entries only written ahead are not).
    fn drop(&mut self) {
        let _ = self.finish();
        if let Some(sync) = self.syncing.take() {
            let _ = sync.join();
        }
    }
}

/// The right edge of the tree and the encoded entries of its bundle that is
/// not full yet: what an append builds on.
#[derive(Debug, Clone, Default)]
struct Edge {
    tiling: Tiling,
    open_bundle: Vec<u8>,
}

/// An append whose files are written and whose commit runs on `thread`.
struct InFlight {
    edge: Edge,
    thread: std::thread::JoinHandle<Result<(), Error>>,
}

/// Writes (unsynced) the full bundles and hash tiles that appending
/// `entries` to `base` completes; returns the edge after them.
fn write_full_files<E: AsRef<[u8]> + Sync>(
    dir: &Path,
    base: Edge,
    entries: &[E],
    syncing: &mut Option<std::thread::JoinHandle<()>>,
) -> Result<Edge, Error> {
    let Edge {
        mut tiling,
        open_bundle: mut bundle,
    } = base;
    let first = tiling.size();
    let mut full: Vec<FullTile> = Vec::new();
    // The entries that complete the open bundle, then whole bundles,
    // then the start of the next one.
    let width = (first % TILE_WIDTH) as usize;
    let head = ((TILE_WIDTH as usize - width) % TILE_WIDTH as usize).min(entries.len());
    let whole = (entries.len() - head) / TILE_WIDTH as usize * TILE_WIDTH as usize;
    let (head, rest) = entries.split_at(head);
    let (whole, tail) = rest.split_at(whole);
    let write_full = |full: &mut Vec<FullTile>| -> Result<(), Error> {
        for tile in full.drain(..) {
            let path = tile_path(tile.level, tile.index, TILE_WIDTH);
            write_unsynced(&dir.join(path), &tile_bytes(&tile.hashes))?;
        }
        Ok(())
    };
    for entry in head {
        encode_entry(&mut bundle, entry.as_ref())?;
        tiling.push(leaf_hash(entry.as_ref()), &mut full);
        write_full(&mut full)?;
    }
    if !head.is_empty() && (first + head.len() as u64).is_multiple_of(TILE_WIDTH) {
        let path = bundle_path(first / TILE_WIDTH, TILE_WIDTH);
        write_unsynced(&dir.join(path), &bundle)?;
        bundle.clear();
    }
    // Each whole bundle comes with its level-0 tile, written beside it;
    // the tree above takes the tile's head. A long run is written in
    // segments, a sync started in the background after each (one at a
    // time): the disk writes what is written while the rest is encoded.
    let mut index = (first + head.len() as u64) / TILE_WIDTH;
    for run in whole.chunks(SYNC_AHEAD_BUNDLES * TILE_WIDTH as usize) {
        for head in write_whole_bundles(dir, index, run)? {
            tiling.push_at(1, head, &mut full);
            write_full(&mut full)?;
        }
        index += (run.len() / TILE_WIDTH as usize) as u64;
        if run.len() < whole.len() {
            sync_in_background(dir, syncing);
        }
    }
    for entry in tail {
        encode_entry(&mut bundle, entry.as_ref())?;
        tiling.push(leaf_hash(entry.as_ref()), &mut full);
        write_full(&mut full)?;
    }
    Ok(Edge {
        tiling,
        open_bundle: bundle,
    })
}

/// Starts a sync of the filesystem on a thread of its own, unless the one
/// started before (`syncing`) still runs: the disk writes what was written
/// while the writer goes on. Only ahead of the commit's own sync, so a
/// failure here is that sync's to report.
fn sync_in_background(dir: &Path, syncing: &mut Option<std::thread::JoinHandle<()>>) {
    if syncing.as_ref().is_some_and(|sync| !sync.is_finished()) {
        return;
    }
    let dir = dir.to_path_buf();
    *syncing = Some(std::thread::spawn(move || {
        let _ = sync_filesystem(&dir);
    }));
}

/// The commit of an append whose files are all written: the sync, then
/// the checkpoint put in place.
struct Commit {
    next: PathBuf,
}

/// Writes (unsynced) the partial bundle and tiles of `edge` and its signed
/// checkpoint `note` under a temporary name; [`Commit::run`] commits it.
/// A partial tile that the `committed` edge has already, of the same
/// width, is not written again: its file holds these very hashes (a tile's
/// first hashes never change), and writing it over would only free its
/// blocks and take new ones.
fn stage_commit(dir: &Path, edge: &Edge, committed: &Edge, note: String) -> Result<Commit, Error> {
    let size = edge.tiling.size();
    let width = size % TILE_WIDTH;
    if width > 0 {
        let path = bundle_path(size / TILE_WIDTH, width);
        write_unsynced(&dir.join(path), &edge.open_bundle)?;
    }
    let on_disk: Vec<(u8, u64, usize)> = committed
        .tiling
        .partial_tiles()
        .map(|(level, index, hashes)| (level, index, hashes.len()))
        .collect();
    for (level, index, hashes) in edge.tiling.partial_tiles() {
        if on_disk.contains(&(level, index, hashes.len())) {
            continue;
        }
        let path = tile_path(level, index, hashes.len() as u64);
        write_unsynced(&dir.join(path), &tile_bytes(hashes))?;
    }
    let next = dir.join(format!(".{CHECKPOINT_FILE}.next"));
    write_unsynced(&next, note.as_bytes())?;
    Ok(Commit { next })
}

impl Commit {
    /// The checkpoint goes in place only once everything it signs is on
    /// disk: the commit point of the append.
    fn run(self, dir: &Path) -> Result<(), Error> {
        sync_filesystem(dir)?;
        rename_durably(&self.next, &dir.join(CHECKPOINT_FILE))
    }
}

/// Removes the partial bundles and tiles that the append from `old` to
/// `new` entries superseded.
fn prune_superseded(dir: &Path, old: u64, new: u64) {
    let keep = |path: PathBuf, width: u64| (width > 0).then(|| dir.join(path));
    for index in old / TILE_WIDTH..=new / TILE_WIDTH {
        let current = (index == new / TILE_WIDTH)
            .then(|| keep(bundle_path(index, new % TILE_WIDTH), new % TILE_WIDTH))
            .flatten();
        prune_partials(
            &dir.join(bundle_path(index, TILE_WIDTH)),
            current.as_deref(),
        );
    }
    let mut level = 0u32;
    while level < 8 && new >> (8 * level) > 0 {
        let (old_count, new_count) = (old >> (8 * level), new >> (8 * level));
        for index in old_count / TILE_WIDTH..=new_count / TILE_WIDTH {
            let current = (index == new_count / TILE_WIDTH)
                .then(|| {
                    keep(
                        tile_path(level as u8, index, new_count % TILE_WIDTH),
                        new_count % TILE_WIDTH,
                    )
                })
                .flatten();
            prune_partials(
                &dir.join(tile_path(level as u8, index, TILE_WIDTH)),
                current.as_deref(),
            );
        }
        level += 1;
    }
}

/// The whole bundles of a long append are written this many at a time,
/// a background sync started after each (about 16,000 entries).
const SYNC_AHEAD_BUNDLES: usize = 64;

/// Below this many whole bundles one thread writes them all.
const PARALLEL_BUNDLES: usize = 8;

/// Encodes and writes (unsynced) the bundles of `entries`, a whole number
/// of bundles, the first at bundle `index`, each with its level-0 tile
/// (the same index: its entries' leaf hashes); returns the tiles' heads
/// (the hash of each bundle's subtree) in order. A long run is cut into
/// one run of bundles per core.
fn write_whole_bundles<E: AsRef<[u8]> + Sync>(
    dir: &Path,
    index: u64,
    entries: &[E],
) -> Result<Vec<Hash>, Error> {
    let width = TILE_WIDTH as usize;
    let write_run = |first: u64, run: &[E]| -> Result<Vec<Hash>, Error> {
        let mut heads = Vec::with_capacity(run.len() / width);
        let mut bundle = Vec::new();
        let mut leaves = Vec::with_capacity(width);
        for (at, entries) in run.chunks(width).enumerate() {
            bundle.clear();
            leaves.clear();
            for entry in entries {
                encode_entry(&mut bundle, entry.as_ref())?;
                leaves.push(leaf_hash(entry.as_ref()));
            }
            let n = first + at as u64;
            write_unsynced(&dir.join(bundle_path(n, TILE_WIDTH)), &bundle)?;
            write_unsynced(&dir.join(tile_path(0, n, TILE_WIDTH)), &tile_bytes(&leaves))?;
            heads.push(root(&leaves));
        }
        Ok(heads)
    };
    let bundles = entries.len() / width;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let per_worker = bundles.div_ceil(workers).max(PARALLEL_BUNDLES);
    if bundles <= per_worker {
        return write_run(index, entries);
    }
    std::thread::scope(|scope| {
        let runs: Vec<_> = entries
            .chunks(per_worker * width)
            .enumerate()
            .map(|(at, run)| {
                let first = index + (at * per_worker) as u64;
                scope.spawn(move || write_run(first, run))
            })
            .collect();
        let mut heads = Vec::with_capacity(entries.len() / width);
        for run in runs {
            match run.join() {
                Ok(done) => heads.extend(done?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(heads)
    })
}

/// The size a log's signed checkpoint commits and its entries in `range`
/// (clipped to that size), read without the writer's lock: for a reader
/// that follows the log while it grows (the index of the access logs).
/// A log without a checkpoint is empty. Full bundles never change; a
/// partial bundle that a concurrent append replaced is read again from the
/// newer checkpoint.
pub fn read_committed(
    dir: &Path,
    origin: &str,
    key_name: &str,
    key: &ed25519_dalek::VerifyingKey,
    range: std::ops::Range<u64>,
) -> Result<(u64, Vec<Vec<u8>>), Error> {
    let damaged = |reason: String| Error::Damaged {
        dir: dir.to_path_buf(),
        reason,
    };
    // Each try follows a newer checkpoint: only a writer that keeps
    // appending between the two reads makes a try fail.
    for _ in 0..100 {
        let Some(note) = read_if_present(&dir.join(CHECKPOINT_FILE))? else {
            return Ok((0, Vec::new()));
        };
        let note = String::from_utf8(note)
            .map_err(|_| damaged("the checkpoint is not UTF-8".to_owned()))?;
        let checkpoint = Checkpoint::verify(&note, key_name, key)
            .map_err(|err| damaged(format!("the checkpoint does not verify: {err}")))?;
        if checkpoint.origin != origin {
            return Err(damaged(format!(
                "the checkpoint is for the log {:?}",
                checkpoint.origin
            )));
        }
        if let Some(entries) = read_bundles(dir, checkpoint.size, range.clone(), None)? {
            return Ok((checkpoint.size, entries));
        }
    }
    Err(Error::Busy {
        dir: dir.to_path_buf(),
    })
}

/// The first position at or after `from` whose bundle is in `dir`, in a
/// log of `size` entries: full bundles that are not there (moved to an
/// archive, retention) are stepped over; `size` when none is left. A reader
/// that follows the log from where it stopped goes on from here when what
/// it stopped at was archived.
pub fn first_kept(dir: &Path, size: u64, from: u64) -> u64 {
    let mut index = from / TILE_WIDTH;
    while (index + 1) * TILE_WIDTH <= size && !dir.join(bundle_path(index, TILE_WIDTH)).exists() {
        index += 1;
    }
    if index == from / TILE_WIDTH {
        from.min(size)
    } else {
        (index * TILE_WIDTH).min(size)
    }
}

/// The entries in `range` (clipped to `size`) of a log of `size` entries,
/// from its bundles (the partial one from `open_bundle` when given);
/// `None` when the partial bundle is not there (replaced by a later append).
fn read_bundles(
    dir: &Path,
    size: u64,
    range: std::ops::Range<u64>,
    open_bundle: Option<&[u8]>,
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    let (start, end) = (range.start.min(size), range.end.min(size));
    let mut entries = Vec::new();
    if start >= end {
        return Ok(Some(entries));
    }
    for index in start / TILE_WIDTH..=(end - 1) / TILE_WIDTH {
        let width = (size - index * TILE_WIDTH).min(TILE_WIDTH);
        let path = bundle_path(index, width);
        let bytes = match (width < TILE_WIDTH, open_bundle) {
            (true, Some(open)) => open.to_vec(),
            (true, None) => match read_if_present(&dir.join(&path))? {
                Some(bytes) => bytes,
                None => return Ok(None),
            },
            (false, _) => read_if_present(&dir.join(&path))?.ok_or_else(|| Error::Damaged {
                dir: dir.to_path_buf(),
                reason: format!("{} is missing", path.display()),
            })?,
        };
        let bundle = parse_bundle(&bytes).ok_or_else(|| Error::Damaged {
            dir: dir.to_path_buf(),
            reason: format!("{} is malformed", path.display()),
        })?;
        let first = index * TILE_WIDTH;
        entries.extend(
            bundle
                .iter()
                .enumerate()
                .filter(|(at, _)| (start..end).contains(&(first + *at as u64)))
                .map(|(_, entry)| entry.to_vec()),
        );
    }
    Ok(Some(entries))
}
