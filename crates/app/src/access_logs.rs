//! Access logs kept tamper-evident (issue #14): one tiled log per institution
//! in the data folder (`access-logs/<institution id>/`, C2SP tlog-tiles,
//! written by `mamori-tiles`), signed with the key `access-log-signing.key`;
//! the database holds the sources, the imported files and the searchable index.
//!
//! An import appends every line of the file — understood or kept raw — to the
//! log first, then records the index rows, the file's SHA-256 and the audit
//! event in one transaction. Each entry is one JSON object: how it arrived
//! (`via`, `source`, `file`, `sha256`, `line`, `received`) and the `raw` line.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use mamori_domain::access_log::ehr_csv::{self, action_code};
use mamori_domain::access_log::review::Verification;
use mamori_domain::access_log::source::{PreviewRead, SourceReader, read_line};
use mamori_domain::access_log::syslog;
use mamori_domain::access_log::{LogEvent, map_parallel};
use mamori_domain::institution::InstitutionId;
use mamori_store::Store;
pub use mamori_store::access_log::ImportReport;
use mamori_store::access_log::{self, Acting, IndexRow, NewImport, StoredLogSource};
use mamori_tiles::{MAX_ENTRY_LEN, TileLog, Verified};
use sha2::{Digest, Sha256};

/// The signer's name in the access logs' checkpoints.
pub const KEY_NAME: &str = "mamori-access-log";
const KEY_FILE: &str = "access-log-signing.key";
const FOLDER: &str = "access-logs";
/// The folder (below `access-logs/`) and origin of the lines no source claims.
const UNASSIGNED: &str = "unassigned";
const UNASSIGNED_ORIGIN: &str = "mamori/access-log/unassigned";
/// The longest parsed field an entry records (the raw line keeps all of it).
const MAX_FIELD: usize = 256;
/// The largest file an import reads.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// The log's origin line: which institution's access log a checkpoint is of.
pub fn origin(institution: InstitutionId) -> String {
    format!("mamori/access-log/{institution}")
}

/// The institution's log folder.
pub fn log_dir(data_dir: &Path, institution: InstitutionId) -> PathBuf {
    data_dir.join(FOLDER).join(institution.to_string())
}

/// The verifier key (C2SP signed-note format) of the access logs' checkpoints.
pub fn public_key(data_dir: &Path) -> anyhow::Result<String> {
    let key = crate::audit::load_key(data_dir, KEY_FILE, "access-log")?;
    Ok(mamori_tlog::verifier_key_string(
        KEY_NAME,
        &key.verifying_key(),
    ))
}

/// How a line arrived: the first fields of its entry, in this order
/// (`None` fields left out, but `source`, which is `null` in the unassigned
/// log: no registered source claims the sender). Written by
/// [`Provenance::write_open`]; the `Serialize` derive is the reference the
/// tests hold those bytes to.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Provenance<'a> {
    /// The entry format's version.
    pub v: u8,
    /// When mamori received the line or read the file (RFC 3339).
    pub received: &'a str,
    /// `file`, `syslog-udp`, `syslog-tcp`, `https`, …
    pub via: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<IpAddr>,
    pub source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<&'a str>,
    /// The line (or row) of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<Cut>,
}

impl<'a> Provenance<'a> {
    /// Writes the fields as a JSON object without its closing brace (the
    /// entry goes on with what the parser read); the bytes serde_json
    /// writes for the struct, but for that brace.
    fn write_open(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"v\":");
        json::number(out, u64::from(self.v));
        out.extend_from_slice(b",\"received\":");
        json::str(out, self.received);
        out.extend_from_slice(b",\"via\":");
        json::str(out, self.via);
        if let Some(peer) = self.peer {
            out.extend_from_slice(b",\"peer\":");
            json::address(out, peer);
        }
        out.extend_from_slice(b",\"source\":");
        json::optional_str(out, self.source);
        for (name, value) in [
            (&b",\"file\":"[..], self.file),
            (b",\"sha256\":", self.sha256),
        ] {
            if let Some(value) = value {
                out.extend_from_slice(name);
                json::str(out, value);
            }
        }
        if let Some(line) = self.line {
            out.extend_from_slice(b",\"line\":");
            json::number(out, line);
        }
        if let Some(cut) = self.cut {
            out.extend_from_slice(b",\"cut\":{\"kept_bytes\":");
            json::number(out, cut.kept_bytes as u64);
            out.extend_from_slice(b",\"frame_bytes\":");
            match cut.frame_bytes {
                Some(bytes) => json::number(out, bytes as u64),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
    }

    /// A line received from `peer` as `via` at `received`.
    pub fn received(received: &'a str, via: &'a str, peer: Option<IpAddr>) -> Self {
        Self {
            v: 1,
            received,
            via,
            peer,
            source: None,
            file: None,
            sha256: None,
            line: None,
            cut: None,
        }
    }
}

/// At most the first [`MAX_FIELD`] characters of `text`.
fn capped(text: &str) -> &str {
    match text.char_indices().nth(MAX_FIELD) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// A log entry: one JSON object of how the line arrived (`provenance`),
/// what the parser read (`parsed`: so the index can be rebuilt from the
/// entry alone — a CSV row means nothing without its file's header) and
/// the raw line (`raw`), cut (its full length noted as `raw_bytes`) where
/// the entry would not fit a bundle. Each parsed field is capped, so that
/// however a hostile line is shaped, cutting its raw text always makes the
/// entry fit. Written by hand ([`json`]): every received line goes through
/// here, and the bytes are those serde_json would write (a test holds them
/// to it).
pub(crate) fn entry(provenance: &Provenance<'_>, event: &LogEvent) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(320 + event.raw.len() + event.raw.len() / 8);
    provenance.write_open(&mut bytes);
    entry_after(bytes, event)
}

/// The first fields that every entry of one imported file shares (how it
/// arrived, up to the file's SHA-256), written once for the whole file:
/// [`file_entry`] adds each line's number and event.
pub(crate) fn file_head(provenance: &Provenance<'_>) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    Provenance {
        line: None,
        cut: None,
        ..*provenance
    }
    .write_open(&mut head);
    head
}

/// The entry of line `line` of a file whose shared fields are `head`
/// ([`file_head`]): the same bytes as [`entry`] with the whole provenance.
pub(crate) fn file_entry(head: &[u8], line: u64, event: &LogEvent) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(head.len() + 128 + event.raw.len() + event.raw.len() / 8);
    bytes.extend_from_slice(head);
    bytes.extend_from_slice(b",\"line\":");
    json::number(&mut bytes, line);
    entry_after(bytes, event)
}

/// Completes an entry whose provenance is written (without its closing
/// brace) in `bytes`: what the parser read, then the raw line.
fn entry_after(mut bytes: Vec<u8>, event: &LogEvent) -> Vec<u8> {
    let raw = event.raw.as_str();
    let action = action_code(&event.action);
    let field = |bytes: &mut Vec<u8>, name: &[u8], value: Option<&str>| {
        bytes.extend_from_slice(name);
        json::optional_str(bytes, value.map(capped));
    };
    bytes.extend_from_slice(b",\"parsed\":{\"time\":");
    json::display(&mut bytes, &event.time);
    field(&mut bytes, b",\"host\":", event.host.as_deref());
    field(&mut bytes, b",\"user\":", event.user.as_deref());
    bytes.extend_from_slice(b",\"source_address\":");
    match event.source_address {
        Some(address) => json::address(&mut bytes, address),
        None => bytes.extend_from_slice(b"null"),
    }
    field(&mut bytes, b",\"action\":", Some(&action));
    field(&mut bytes, b",\"outcome\":", Some(event.outcome.code()));
    field(&mut bytes, b",\"patient_id\":", event.patient_id.as_deref());
    if let Some(key) = event.record_key.as_deref() {
        field(&mut bytes, b",\"record_key\":", Some(key));
    }
    // The head is written once; only a line too long for a bundle is
    // written again, shorter.
    bytes.extend_from_slice(b"},\"raw\":");
    let head = bytes.len();
    let mut keep = raw.len();
    loop {
        let mut cut = keep.min(raw.len());
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        bytes.truncate(head);
        json::str(&mut bytes, &raw[..cut]);
        if cut < raw.len() {
            bytes.extend_from_slice(b",\"raw_bytes\":");
            json::number(&mut bytes, raw.len() as u64);
        }
        bytes.push(b'}');
        if bytes.len() <= MAX_ENTRY_LEN || cut == 0 {
            return bytes;
        }
        // JSON escapes can make a line up to six times longer: shrink until it fits.
        keep = cut / 2;
    }
}

/// The pieces of JSON text an entry is written with, each the bytes
/// serde_json writes for the same value.
mod json {
    use std::io::Write as _;

    /// A string: copied in one piece when nothing in it needs escaping
    /// (the usual log line), through serde_json's escaper otherwise.
    pub(super) fn str(out: &mut Vec<u8>, text: &str) {
        // No early exit: the loop runs over whole vectors of bytes.
        let plain = !text.bytes().fold(false, |escape, b| {
            escape | (b < 0x20) | (b == b'"') | (b == b'\\')
        });
        if plain {
            out.reserve(text.len() + 2);
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        } else {
            // Writing a `str` to a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *out, text);
        }
    }

    /// A string, or `null`.
    pub(super) fn optional_str(out: &mut Vec<u8>, text: Option<&str>) {
        match text {
            Some(text) => str(out, text),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// A value as the string its `Display` writes: only for values whose
    /// text never needs escaping (timestamps, IP addresses).
    pub(super) fn display(out: &mut Vec<u8>, value: &impl std::fmt::Display) {
        out.push(b'"');
        let _ = write!(out, "{value}");
        out.push(b'"');
    }

    /// An IP address as the string its `Display` writes; an IPv4 address
    /// (almost every sender) written without the formatting machinery.
    pub(super) fn address(out: &mut Vec<u8>, address: std::net::IpAddr) {
        let std::net::IpAddr::V4(v4) = address else {
            return display(out, &address);
        };
        out.push(b'"');
        for (n, octet) in v4.octets().into_iter().enumerate() {
            if n > 0 {
                out.push(b'.');
            }
            if octet >= 100 {
                out.push(b'0' + octet / 100);
            }
            if octet >= 10 {
                out.push(b'0' + octet / 10 % 10);
            }
            out.push(b'0' + octet % 10);
        }
        out.push(b'"');
    }

    /// An unsigned number.
    pub(super) fn number(out: &mut Vec<u8>, value: u64) {
        let _ = write!(out, "{value}");
    }
}

/// The index rows of `events`, numbered from `first_seq`.
pub(crate) fn index_rows<'a>(
    events: impl Iterator<Item = &'a LogEvent>,
    first_seq: u64,
) -> Vec<IndexRow> {
    events
        .zip(first_seq..)
        .map(|(event, seq)| IndexRow {
            seq,
            occurred_at: event.time,
            host: event.host.clone(),
            user: event.user.clone(),
            source_address: event.source_address.map(|address| address.to_string()),
            action: action_code(&event.action).into_owned(),
            outcome: event.outcome.code(),
            patient_id: event.patient_id.clone(),
            record_key: event.record_key.clone(),
        })
        .collect()
}

/// Opens a log for appending, waiting up to half a minute while another
/// writer (an import, the receivers, a backup) holds it.
pub(crate) fn open_waiting(dir: &Path, origin: &str, key: SigningKey) -> anyhow::Result<TileLog> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match TileLog::open(dir, origin, KEY_NAME, key.clone()) {
            Err(mamori_tiles::Error::Busy { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return Ok(other?),
        }
    }
}

/// The file in a log's folder that whoever indexes the log's entries locks,
/// so that two indexers never index the same entries.
const INDEX_LOCK: &str = "index.lock";
/// Entries indexed per transaction when the index catches up.
const INDEX_CHUNK: u64 = 10_000;

/// The lock on a log's index (see [`INDEX_LOCK`]), held until dropped.
pub(crate) struct IndexLock(#[allow(dead_code)] std::fs::File);

/// Waits for the lock on the index of the log in `dir`.
async fn lock_index(dir: &Path) -> anyhow::Result<IndexLock> {
    let path = dir.join(INDEX_LOCK);
    tokio::task::spawn_blocking(move || -> anyhow::Result<IndexLock> {
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
            .with_context(|| format!("cannot create the folder of {}", path.display()))?;
        Ok(IndexLock(lock_file(&path)?))
    })
    .await?
}

/// Opens (creating it) and locks the lock file `path`, waiting while
/// another holder has it; unlocked when the file is dropped.
fn lock_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

/// A log open for appending with its index caught up: both locks held
/// until dropped, so that the index stays exactly what the log holds.
pub(crate) struct CaughtUp {
    pub log: TileLog,
    _index: IndexLock,
}

/// Opens the institution's log for appending (locked until dropped), first
/// indexing what the log holds beyond the index (entries appended and
/// acknowledged before their index rows were written, or an interrupted
/// append's), so that the database indexes exactly what the log holds.
/// The index is locked first and the bulk indexed before the log is locked,
/// so the receivers' writes wait only for what they appended meanwhile.
pub(crate) async fn open_caught_up(
    store: &Store,
    data_dir: &Path,
    institution: InstitutionId,
) -> anyhow::Result<CaughtUp> {
    let key = crate::audit::load_or_create_key(data_dir, KEY_FILE, "access-log")?;
    let dir = log_dir(data_dir, institution);
    let index = lock_index(&dir).await?;
    index_locked(store, data_dir, institution).await?;
    let log = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || open_waiting(&dir, &origin(institution), key)).await??
    };
    index_locked(store, data_dir, institution).await?;
    Ok(CaughtUp { log, _index: index })
}

/// Runs `step` (an append, a write ahead, a commit: each blocks on the
/// disk) on an open log on the blocking pool; returns the log and what
/// the step returned.
async fn on_log<R: Send + 'static>(
    mut log: TileLog,
    step: impl FnOnce(&mut TileLog) -> Result<R, mamori_tiles::Error> + Send + 'static,
) -> anyhow::Result<(TileLog, R)> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<(TileLog, R)> {
        let done = step(&mut log)?;
        Ok((log, done))
    })
    .await?
}

/// How many entries the institution's log holds (its signed checkpoint's
/// size; 0 before the first, and where no access log has been kept yet:
/// reading it creates nothing).
pub fn log_size(data_dir: &Path, institution: InstitutionId) -> anyhow::Result<u64> {
    Ok(read_log(data_dir, institution, 0..0)?.0)
}

/// The size the institution's log commits and its entries in `range`
/// (clipped to that size), as the bundle files hold them; read without
/// the writer's lock. Nothing before the first entry.
pub fn read_log(
    data_dir: &Path,
    institution: InstitutionId,
    range: std::ops::Range<u64>,
) -> anyhow::Result<(u64, Vec<Vec<u8>>)> {
    if !data_dir.join(KEY_FILE).exists() {
        return Ok((0, Vec::new()));
    }
    let key = crate::audit::load_key(data_dir, KEY_FILE, "access-log")?.verifying_key();
    Ok(mamori_tiles::read_committed(
        &log_dir(data_dir, institution),
        &origin(institution),
        KEY_NAME,
        &key,
        range,
    )?)
}

/// Indexes what every institution's log holds beyond its index (at the
/// server's start: what a killed server, a restore or an import from the
/// command line left unindexed). A failure is logged per institution.
pub async fn index_all(store: &Store, data_dir: &Path) {
    let root = data_dir.join(FOLDER);
    let Ok(listing) = std::fs::read_dir(&root) else {
        return;
    };
    let mut institutions: Vec<InstitutionId> = listing
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i64>().ok())
        .map(InstitutionId::from_db)
        .collect();
    institutions.sort();
    for institution in institutions {
        match index_pending(store, data_dir, institution).await {
            Ok(0) => {}
            Ok(indexed) => {
                tracing::info!(%institution, indexed, "indexed access-log entries left unindexed");
            }
            Err(error) => {
                tracing::error!(%error, %institution, "cannot index the access log");
            }
        }
    }
}

/// Indexes the entries the institution's log holds beyond its index, from
/// the entries themselves (each names its source, a file's entries its
/// SHA-256 and name, and each carries its parsed fields); returns how many.
/// The log is the record and is written first; the index follows it, so
/// receiving and importing run at the speed of the log, and whatever
/// appended entries without indexing them (a receiver, a kill, an import)
/// is caught up by the next call. Waits while another indexer runs.
pub async fn index_pending(
    store: &Store,
    data_dir: &Path,
    institution: InstitutionId,
) -> anyhow::Result<u64> {
    let dir = log_dir(data_dir, institution);
    if !dir.join(mamori_tiles::CHECKPOINT_FILE).exists() {
        return Ok(0);
    }
    let _index = lock_index(&dir).await?;
    index_locked(store, data_dir, institution).await
}

/// [`index_pending`] with the index lock held.
async fn index_locked(
    store: &Store,
    data_dir: &Path,
    institution: InstitutionId,
) -> anyhow::Result<u64> {
    let key = crate::audit::load_or_create_key(data_dir, KEY_FILE, "access-log")?.verifying_key();
    let dir = log_dir(data_dir, institution);
    let mut sources: std::collections::HashMap<String, StoredLogSource> = Default::default();
    let mut total = 0;
    // Up to the size the first read finds: not chasing a log that keeps
    // growing, so whoever waits for this lock waits for a bounded pass.
    let mut target: Option<u64> = None;
    loop {
        let indexed = access_log::indexed_size(store, institution).await?;
        if target.is_some_and(|target| indexed >= target) {
            return Ok(total);
        }
        // Bundles archived since their rows were indexed (and dropped from
        // the index with them) are stepped over: what follows them is next.
        let read = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || {
                let origin = origin(institution);
                let (size, _) = mamori_tiles::read_committed(&dir, &origin, KEY_NAME, &key, 0..0)?;
                let start = mamori_tiles::first_kept(&dir, size, indexed);
                mamori_tiles::read_committed(
                    &dir,
                    &origin,
                    KEY_NAME,
                    &key,
                    start..start + INDEX_CHUNK,
                )
                .map(|(size, entries)| (size, start, entries))
            })
            .await??
        };
        let (size, start, entries) = read;
        if size < indexed {
            anyhow::bail!(
                "the database indexes {indexed} access-log entries of institution {institution} but the log holds only {size}: the log folder was replaced or lost; nothing was added (restore the data folder and the database from the same backup)"
            );
        }
        if entries.is_empty() {
            return Ok(total);
        }
        target.get_or_insert(size);
        total += entries.len() as u64;
        index_entries(store, institution, &entries, start, &mut sources).await?;
    }
}

/// Indexes `entries`, the log's entries from `first`: consecutive entries
/// of one source and one file (or none) are one group, each written in one
/// transaction; a file whose import was not recorded (an import interrupted
/// after its append) is recorded as imported.
async fn index_entries(
    store: &Store,
    institution: InstitutionId,
    entries: &[Vec<u8>],
    first: u64,
    sources: &mut std::collections::HashMap<String, StoredLogSource>,
) -> anyhow::Result<()> {
    // (source name, (file SHA-256, file name), events).
    type Group = (String, Option<(String, String)>, Vec<LogEvent>);
    let mut groups: Vec<Group> = Vec::new();
    for (bytes, seq) in entries.iter().zip(first..) {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .with_context(|| format!("access-log entry {seq} is not JSON"))?;
        let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let name =
            text("source").with_context(|| format!("access-log entry {seq} names no source"))?;
        let file = text("sha256").map(|sha| (sha, text("file").unwrap_or_default()));
        let received: Timestamp = text("received")
            .and_then(|time| time.parse().ok())
            .with_context(|| format!("access-log entry {seq} has no receipt time"))?;
        let raw = text("raw").unwrap_or_default();
        let event = match value.get("parsed") {
            Some(parsed) => parsed_event(parsed, raw, received),
            None => {
                let source = source_cached(store, institution, sources, &name, seq).await?;
                let zone = TimeZone::get(&source.time_zone).unwrap_or(TimeZone::UTC);
                let context =
                    mamori_domain::access_log::syslog::Source::new(received).with_time_zone(zone);
                read_line(&raw, source.kind, &context).0
            }
        };
        match groups.last_mut() {
            Some((last, last_file, events)) if *last == name && *last_file == file => {
                events.push(event);
            }
            _ => groups.push((name, file, vec![event])),
        }
    }
    let mut seq = first;
    for (name, file, events) in groups {
        let source = source_cached(store, institution, sources, &name, seq)
            .await?
            .clone();
        let rows = index_rows(events.iter(), seq);
        if let Some((sha256, file_name)) = &file
            && access_log::import_of(store, institution, sha256)
                .await?
                .is_none()
        {
            access_log::record_import(
                store,
                &Acting::operator(institution),
                &NewImport {
                    source: &source,
                    sha256,
                    file_name,
                    first_seq: seq,
                    events: rows.len() as u64,
                    // Neither is recorded in the entries; the events are.
                    unrecognised: 0,
                    already_kept: 0,
                },
                Timestamp::now(),
            )
            .await?;
        }
        seq += rows.len() as u64;
        access_log::record_received(store, institution, source.id, &rows).await?;
    }
    Ok(())
}

/// The institution's source named in entry `seq`, read once per indexing.
async fn source_cached<'a>(
    store: &Store,
    institution: InstitutionId,
    sources: &'a mut std::collections::HashMap<String, StoredLogSource>,
    name: &str,
    seq: u64,
) -> anyhow::Result<&'a StoredLogSource> {
    if !sources.contains_key(name) {
        let source = access_log::source_by_name(store, institution, name)
            .await?
            .with_context(|| format!("access-log entry {seq} names an unknown source {name:?}"))?;
        sources.insert(name.to_owned(), source);
    }
    sources
        .get(name)
        .with_context(|| format!("the source {name:?} is gone"))
}

/// The event an entry's `parsed` object records.
fn parsed_event(parsed: &serde_json::Value, raw: String, received: Timestamp) -> LogEvent {
    let text = |key: &str| parsed.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let mut event = LogEvent::unrecognised(
        text("time")
            .and_then(|time| time.parse().ok())
            .unwrap_or(received),
        raw,
    );
    event.host = text("host");
    event.user = text("user");
    event.source_address = text("source_address").and_then(|a| a.parse().ok());
    event.patient_id = text("patient_id");
    event.record_key = text("record_key");
    if let Some(action) = text("action").and_then(|code| ehr_csv::action_from_code(&code)) {
        event.action = action;
    }
    event.outcome =
        mamori_domain::access_log::Outcome::from_code(text("outcome").as_deref().unwrap_or(""));
    event
}

/// A line or row (of a file, or that a source sent) as its log entry.
struct KeyedEntry {
    entry: Vec<u8>,
    /// The event's record key, where it has one ([`LogEvent::record_key`]).
    record_key: Option<String>,
    /// Whether a parser understood it.
    recognised: bool,
}

impl AsRef<[u8]> for KeyedEntry {
    fn as_ref(&self) -> &[u8] {
        &self.entry
    }
}

/// A line a source sent, as it arrived.
pub(crate) struct Received<'a> {
    pub text: &'a str,
    pub at: Timestamp,
    /// `udp`, `tcp` or `https`.
    pub via: &'static str,
    pub peer: Option<IpAddr>,
    /// For a frame over the receivers' bound: what of it `text` holds.
    pub cut: Option<Cut>,
}

/// A frame kept only in part: its first `kept_bytes`, of `frame_bytes`
/// (announced by an octet count; unknown for a line).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Cut {
    pub kept_bytes: usize,
    pub frame_bytes: Option<usize>,
}

/// The log entries of lines `source` sent, built on every core.
pub(crate) fn received_entries(source: &StoredLogSource, lines: &[Received<'_>]) -> Vec<Vec<u8>> {
    keyed_entries(source, lines)
        .into_iter()
        .map(|keyed| keyed.entry)
        .collect()
}

/// The log entries of lines `source` sent, built on every core, each with
/// its event's record key (a Windows event's `COMPUTER/Channel/
/// EventRecordID`) where the line has one.
fn keyed_entries(source: &StoredLogSource, lines: &[Received<'_>]) -> Vec<KeyedEntry> {
    let zone = TimeZone::get(&source.time_zone).unwrap_or(TimeZone::UTC);
    map_parallel(lines.iter().collect(), |line: &Received<'_>| {
        let context = syslog::Source {
            received_at: line.at,
            time_zone: zone.clone(),
        };
        let (event, recognised) = read_line(line.text, source.kind, &context);
        let entry = with_time_text(line.at, |received| {
            let provenance = Provenance {
                source: Some(&source.name),
                cut: line.cut,
                ..Provenance::received(received, line.via, line.peer)
            };
            entry(&provenance, &event)
        });
        KeyedEntry {
            entry,
            record_key: event.record_key,
            recognised,
        }
    })
}

/// `f` of `at` as RFC 3339 text. The lines of one read share their
/// receipt time, and a thread makes their entries one after the other:
/// the text made last on this thread is made again only for a new time.
fn with_time_text<R>(at: Timestamp, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write as _;
    thread_local! {
        static LAST: std::cell::RefCell<(Timestamp, String)> =
            const { std::cell::RefCell::new((Timestamp::UNIX_EPOCH, String::new())) };
    }
    LAST.with_borrow_mut(|(time, text)| {
        if *time != at || text.is_empty() {
            text.clear();
            let _ = write!(text, "{at}");
            *time = at;
        }
        f(text)
    })
}

/// Appends lines a forwarder sent over HTTPS to the institution's log: an
/// event the source's log holds already (the same record key: a forwarder
/// that sends a batch again because our answer did not reach it), or that
/// came twice in the batch, is not added again. Returns how many were
/// added and how many were kept already, once they are durably written.
/// The caller has them indexed ([`index_pending`]). Not audited: receiving
/// is not a person's change.
pub(crate) async fn append_forwarded(
    store: &Store,
    data_dir: &Path,
    institution: InstitutionId,
    source: &StoredLogSource,
    lines: &[Received<'_>],
) -> anyhow::Result<(u64, u64)> {
    let keyed = keyed_entries(source, lines);
    if keyed.iter().all(|keyed| keyed.record_key.is_none()) {
        let entries: Vec<Vec<u8>> = keyed.into_iter().map(|keyed| keyed.entry).collect();
        let data_dir = data_dir.to_path_buf();
        let added =
            tokio::task::spawn_blocking(move || append_entries(&data_dir, institution, &entries))
                .await??;
        return Ok((added, 0));
    }
    // The index holds every key the log does while both locks are held.
    let CaughtUp { log, _index } = open_caught_up(store, data_dir, institution).await?;
    let (entries, already_kept) =
        only_new(store, source, keyed, &mut std::collections::HashSet::new()).await?;
    let added = entries.len() as u64;
    let (log, _) = on_log(log, move |log| log.append(&entries)).await?;
    drop((log, _index));
    Ok((added, already_kept))
}

/// The entries the source's log does not hold yet, in order, and how many
/// it held already: an entry whose record key the index already has for
/// the source, or that is in `seen` (the keys of what came earlier in the
/// same batch or file; each new key is added to it), is left out; one
/// without a key is always new. The caller holds the log's and the index's
/// locks ([`open_caught_up`]), so the index holds every key the log does.
async fn only_new(
    store: &Store,
    source: &StoredLogSource,
    mut entries: Vec<KeyedEntry>,
    seen: &mut std::collections::HashSet<String>,
) -> anyhow::Result<(Vec<KeyedEntry>, u64)> {
    let present: Vec<&str> = entries
        .iter()
        .filter_map(|keyed| keyed.record_key.as_deref())
        .filter(|key| !seen.contains(*key))
        .collect();
    let in_log = access_log::kept_record_keys(store, source.id, &present).await?;
    let before = entries.len();
    entries.retain(|keyed| {
        keyed
            .record_key
            .as_deref()
            .is_none_or(|key| !in_log.contains(key) && seen.insert(key.to_owned()))
    });
    let already_kept = (before - entries.len()) as u64;
    Ok((entries, already_kept))
}

/// Appends `entries` to the institution's log (synced before this
/// returns); returns how many. Blocks: call it where blocking is allowed
/// (the HTTPS endpoint runs it on the blocking pool).
pub(crate) fn append_entries(
    data_dir: &Path,
    institution: InstitutionId,
    entries: &[Vec<u8>],
) -> anyhow::Result<u64> {
    open_received(data_dir, Some(institution))?.append(entries)?;
    Ok(entries.len() as u64)
}

/// Appends lines that no registered source claims (an unknown sender) to
/// the separate log `access-logs/unassigned/`: kept, never mixed in.
/// Blocks, as [`append_entries`].
#[cfg(test)]
pub(crate) fn append_unassigned(data_dir: &Path, entries: &[Vec<u8>]) -> anyhow::Result<u64> {
    open_received(data_dir, None)?.append(entries)?;
    Ok(entries.len() as u64)
}

/// Opens for appending, waiting for its lock, the log that received lines
/// go to: the institution's, or for `None` the unassigned log
/// (`access-logs/unassigned/`, lines no registered source claims: kept,
/// never mixed in). Blocks.
pub(crate) fn open_received(
    data_dir: &Path,
    institution: Option<InstitutionId>,
) -> anyhow::Result<TileLog> {
    let key = crate::audit::load_or_create_key(data_dir, KEY_FILE, "access-log")?;
    match institution {
        Some(institution) => {
            open_waiting(&log_dir(data_dir, institution), &origin(institution), key)
        }
        None => open_waiting(
            &data_dir.join(FOLDER).join(UNASSIGNED),
            UNASSIGNED_ORIGIN,
            key,
        ),
    }
}

/// A sender no registered source claims, as the unassigned log holds its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSender {
    pub peer: String,
    pub lines: u64,
    /// When its first and last kept lines were received (RFC 3339).
    pub first: String,
    pub last: String,
    /// How they came (`syslog-udp`, `syslog-tcp`, …).
    pub via: std::collections::BTreeSet<String>,
}

/// The senders of the unassigned log, most lines first (empty when the
/// receivers never kept a line from an unknown sender). Read as its signed
/// checkpoint stood when the listing began, without the writer's lock: the
/// receivers go on writing meanwhile.
pub fn unassigned_senders(data_dir: &Path) -> anyhow::Result<Vec<UnknownSender>> {
    let dir = data_dir.join(FOLDER).join(UNASSIGNED);
    if !dir.join(mamori_tiles::CHECKPOINT_FILE).exists() {
        return Ok(Vec::new());
    }
    let key = crate::audit::load_key(data_dir, KEY_FILE, "access-log")?.verifying_key();
    let read = |range: std::ops::Range<u64>| {
        mamori_tiles::read_committed(&dir, UNASSIGNED_ORIGIN, KEY_NAME, &key, range)
    };
    let (size, _) = read(0..0)?;
    let mut senders: std::collections::BTreeMap<String, UnknownSender> = Default::default();
    let text = |entry: &serde_json::Value, key: &str| {
        entry
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    // A bundle at a time: the log may hold a flood.
    for start in (0..size).step_by(mamori_tiles::TILE_WIDTH as usize) {
        let (_, entries) = read(start..(start + mamori_tiles::TILE_WIDTH).min(size))?;
        for bytes in entries {
            let entry: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let (peer, received) = (text(&entry, "peer"), text(&entry, "received"));
            let sender = senders
                .entry(peer.clone())
                .or_insert_with(|| UnknownSender {
                    peer,
                    lines: 0,
                    first: received.clone(),
                    last: received.clone(),
                    via: Default::default(),
                });
            sender.lines += 1;
            sender.last = received;
            sender.via.insert(text(&entry, "via"));
        }
    }
    let mut senders: Vec<UnknownSender> = senders.into_values().collect();
    senders.sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.peer.cmp(&b.peer)));
    Ok(senders)
}

/// The institution's source of that name, or an error saying how to register one.
async fn source_named(
    store: &Store,
    institution: InstitutionId,
    name: &str,
) -> anyhow::Result<StoredLogSource> {
    access_log::source_by_name(store, institution, name)
        .await?
        .with_context(|| {
            format!(
                "institution {institution} has no log source named {name:?}: register it on the page アクセスログ → 収集元 or with `mamori logs add-source`"
            )
        })
}

/// How `source`'s files are read.
fn reader_of(source: &StoredLogSource) -> anyhow::Result<SourceReader> {
    SourceReader::of(source.kind, &source.time_zone, &source.mapping).map_err(|errors| {
        anyhow::anyhow!(
            "the source's settings are invalid: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

/// The first rows of `file` as the source `source_name` would read them,
/// as text for the terminal; nothing is stored.
pub async fn preview_file(
    store: &Store,
    institution: InstitutionId,
    source_name: &str,
    file: &Path,
) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let source = source_named(store, institution, source_name).await?;
    let bytes = read_limited(file)?;
    let preview = reader_of(&source)?
        .preview(&bytes, Timestamp::now(), 5)
        .map_err(|error| anyhow::anyhow!("the file cannot be read: {error}"))?;
    let mut out = String::new();
    if !preview.header.is_empty() {
        let _ = writeln!(out, "header: {}", preview.header.join(" | "));
    }
    for missing in &preview.missing {
        let _ = writeln!(
            out,
            "not in the file: {} ({})",
            missing.header, missing.field
        );
    }
    let _ = writeln!(out, "rows: {}", preview.total);
    for line in &preview.lines {
        match &line.read {
            PreviewRead::Event(event) => {
                let _ = writeln!(
                    out,
                    "{}: {} user={} address={} action={} outcome={} patient={} host={}",
                    line.line,
                    event.time,
                    event.user.as_deref().unwrap_or("-"),
                    event
                        .source_address
                        .map_or_else(|| "-".to_owned(), |a| a.to_string()),
                    action_code(&event.action),
                    event.outcome.code(),
                    event.patient_id.as_deref().unwrap_or("-"),
                    event.host.as_deref().unwrap_or("-"),
                );
            }
            PreviewRead::Raw => {
                let _ = writeln!(out, "{}: kept raw (not understood)", line.line);
            }
            PreviewRead::Problems(problems) => {
                for problem in problems {
                    let _ = writeln!(
                        out,
                        "{}: column {}: {}",
                        problem.row, problem.column, problem.error
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Reads a file of at most [`MAX_FILE_BYTES`].
fn read_limited(file: &Path) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        anyhow::bail!(
            "{} is {size} bytes; an import reads at most {MAX_FILE_BYTES} (split the file)",
            file.display()
        );
    }
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Imports an exported log file of the institution's source `source_name`
/// from the command line.
pub async fn import_file(
    store: &Store,
    data_dir: &Path,
    institution: InstitutionId,
    source_name: &str,
    file: &Path,
) -> anyhow::Result<ImportReport> {
    let source = source_named(store, institution, source_name).await?;
    let bytes = read_limited(file)?;
    let file_name = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    import_bytes(
        store,
        data_dir,
        &Acting::operator(institution),
        &source,
        &file_name,
        bytes,
    )
    .await
}

/// Imports the bytes of an exported log file of `source`: every line or row
/// appended to the institution's tiled log, then the file recorded by its
/// SHA-256 and audited in one transaction. The same file twice adds
/// nothing; a table without the mapped columns is refused with nothing
/// stored. The events are searchable once indexed: the caller has them
/// indexed ([`index_pending`]), or the next import or the server does.
pub async fn import_bytes(
    store: &Store,
    data_dir: &Path,
    acting: &Acting,
    source: &StoredLogSource,
    file_name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<ImportReport> {
    let institution = acting.institution_id();
    let reader = reader_of(source)?;
    let now = Timestamp::now();
    let file_name: String = file_name.chars().take(255).collect();
    let bytes = std::sync::Arc::new(bytes);
    let sha256 = {
        let bytes = bytes.clone();
        tokio::task::spawn_blocking(move || mamori_store::hex(&Sha256::digest(&bytes[..]))).await?
    };
    if let Some(before) = access_log::import_of(store, institution, &sha256).await? {
        return Ok(ImportReport::AlreadyImported(before));
    }
    // Parsing and building the entries take a while on a large file: the
    // file is read part by part on the blocking pool (each part on every
    // core, each line's entry made by the core that read it), and each
    // part is written to the log while the next is read. At most
    // PARTS_AHEAD parts wait to be written: the events are never all held.
    const PARTS_AHEAD: usize = 2;
    let (parts, mut read_parts) = tokio::sync::mpsc::channel::<Vec<KeyedEntry>>(PARTS_AHEAD);
    let reading = {
        let head = file_head(&Provenance {
            source: Some(&source.name),
            file: Some(&file_name),
            sha256: Some(&sha256),
            ..Provenance::received(&now.to_string(), "file", None)
        });
        tokio::task::spawn_blocking(move || {
            reader.read_in_parts(
                &bytes,
                now,
                |read| KeyedEntry {
                    entry: file_entry(&head, read.line, &read.event),
                    record_key: read.event.record_key,
                    recognised: read.recognised,
                },
                // The import ended early (a failure): reading stops.
                |part| match parts.blocking_send(part) {
                    Ok(()) => std::ops::ControlFlow::Continue(()),
                    Err(_) => std::ops::ControlFlow::Break(()),
                },
            )
        })
    };
    // A refused file (a table without the mapped columns) is refused
    // before any part: told so before the log is opened.
    let Some(first_part) = read_parts.recv().await else {
        return match reading.await? {
            Err(refused) => Ok(ImportReport::Refused(refused)),
            Ok(_) => Err(anyhow::anyhow!("the file was read without a part")),
        };
    };
    // The log stays open (locked) until the import is recorded, so a
    // backup, which takes the lock first, sees both or neither; the index
    // is locked too, so an indexer does not record the file meanwhile.
    let CaughtUp { mut log, _index } = open_caught_up(store, data_dir, institution).await?;
    // Catching up may have found this very file in the log, from an import
    // interrupted before it was indexed.
    if let Some(before) = access_log::import_of(store, institution, &sha256).await? {
        return Ok(ImportReport::AlreadyImported(before));
    }
    // Events an earlier, overlapping export brought already (the same
    // record key), and repeats within the file, are not added again.
    let mut seen = std::collections::HashSet::new();
    let (mut events, mut unrecognised, mut already_kept) = (0u64, 0u64, 0u64);
    let mut part = Some(first_part);
    while let Some(read) = part {
        let (entries, kept) = only_new(store, source, read, &mut seen).await?;
        already_kept += kept;
        unrecognised += entries.iter().filter(|read| !read.recognised).count() as u64;
        events += entries.len() as u64;
        // Written, not committed: the import stays all or nothing.
        (log, _) = on_log(log, move |log| log.write_ahead(&entries)).await?;
        part = read_parts.recv().await;
    }
    let problems = match reading.await? {
        Ok(problems) => problems,
        // Nothing written ahead is committed: the log is as it was.
        Err(refused) => return Ok(ImportReport::Refused(refused)),
    };
    let (log, size) = on_log(log, TileLog::commit).await?;
    let first_seq = size - events;
    access_log::record_import(
        store,
        acting,
        &NewImport {
            source,
            sha256: &sha256,
            file_name: &file_name,
            first_seq,
            events,
            unrecognised,
            already_kept,
        },
        now,
    )
    .await?;
    drop((log, _index));
    Ok(ImportReport::Imported {
        first_seq,
        events,
        unrecognised,
        problems,
        already_kept,
    })
}

/// The tiled logs in a data folder, as the web UI imports into them.
pub struct DataDirArchive {
    store: Store,
    data_dir: PathBuf,
    /// One check of a log at a time on this server: each reads a whole log,
    /// so a second request (a double click) waits for the first.
    verifying: tokio::sync::Mutex<()>,
}

impl DataDirArchive {
    pub fn new(store: Store, data_dir: PathBuf) -> Self {
        Self {
            store,
            data_dir,
            verifying: tokio::sync::Mutex::new(()),
        }
    }
}

impl mamori_web::LogArchive for DataDirArchive {
    fn import(
        &self,
        acting: Acting,
        source: StoredLogSource,
        file_name: String,
        bytes: Vec<u8>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<ImportReport, String>> + Send + '_>> {
        Box::pin(async move {
            let report = import_bytes(
                &self.store,
                &self.data_dir,
                &acting,
                &source,
                &file_name,
                bytes,
            )
            .await
            .map_err(|error| format!("{error:#}"))?;
            self.index(acting.institution_id()).await;
            Ok(report)
        })
    }

    fn receive(
        &self,
        institution: InstitutionId,
        source: StoredLogSource,
        lines: Vec<String>,
        peer: Option<IpAddr>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<mamori_web::Forwarded, String>> + Send + '_>>
    {
        Box::pin(async move {
            let at = Timestamp::now();
            let received: Vec<Received> = lines
                .iter()
                .map(|text| Received {
                    text,
                    at,
                    via: "https",
                    peer,
                    cut: None,
                })
                .collect();
            let (added, already_kept) =
                append_forwarded(&self.store, &self.data_dir, institution, &source, &received)
                    .await
                    .map_err(|error| format!("{error:#}"))?;
            self.index(institution).await;
            Ok(mamori_web::Forwarded {
                added,
                already_kept,
            })
        })
    }

    fn verify(
        &self,
        institution: InstitutionId,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<Option<Verification>, String>> + Send + '_>>
    {
        Box::pin(async move {
            let _one_at_a_time = self.verifying.lock().await;
            let data_dir = self.data_dir.clone();
            tokio::task::spawn_blocking(move || check(&data_dir, institution))
                .await
                .map_err(|error| error.to_string())?
                .map_err(|error| format!("{error:#}"))
        })
    }

    fn backlog(
        &self,
        institution: InstitutionId,
    ) -> std::pin::Pin<Box<dyn Future<Output = u64> + Send + '_>> {
        Box::pin(async move {
            let logged = match log_size(&self.data_dir, institution) {
                Ok(size) => size,
                Err(error) => {
                    tracing::warn!(%error, %institution, "cannot read the access log's size");
                    return 0;
                }
            };
            match access_log::indexed_size(&self.store, institution).await {
                // Archived bundles, gone from the index too, are not waiting.
                Ok(indexed) => logged.saturating_sub(mamori_tiles::first_kept(
                    &log_dir(&self.data_dir, institution),
                    logged,
                    indexed,
                )),
                Err(error) => {
                    tracing::warn!(%error, %institution, "cannot read the access-log index's size");
                    0
                }
            }
        })
    }
}

impl DataDirArchive {
    /// Indexes what was just written, before the page or the forwarder is
    /// answered; a failure is logged, not answered: the entries are in the
    /// log, and the next indexing catches them up.
    async fn index(&self, institution: InstitutionId) {
        if let Err(error) = index_pending(&self.store, &self.data_dir, institution).await {
            tracing::error!(%error, %institution, "access-log entries written but not yet indexed");
        }
    }
}

/// What [`archive_old`] did.
#[derive(Debug, Default)]
pub struct Archived {
    /// Bundles moved now.
    pub bundles: u64,
    /// Their entries.
    pub entries: u64,
    /// Events dropped from the search (those moved now, and any left
    /// indexed by an earlier run that was interrupted).
    pub unindexed: u64,
}

/// Moves the institution's full bundles whose every entry is past its
/// source's retention at `now` (the entry's event time, or its receipt time
/// when the time was not understood; 5 years for a source no longer
/// registered) to `to`, laid out as the log is, each copied and synced
/// before it is removed; then drops their events from the search, audited.
/// The log stays locked meanwhile. What remains still verifies; `verify`
/// with `to` as the archive checks the moved bundles too.
pub async fn archive_old(
    store: &Store,
    data_dir: &Path,
    institution: InstitutionId,
    to: &Path,
    now: Timestamp,
) -> anyhow::Result<Archived> {
    let retention = access_log::retention_by_source(store, institution).await?;
    let CaughtUp { log, _index } = open_caught_up(store, data_dir, institution).await?;
    let to_owned = to.to_path_buf();
    let today = now.to_zoned_datetime(mamori_web::tokyo()).date();
    let (log, moved) = tokio::task::spawn_blocking(move || {
        let moved = move_old_bundles(&log, &to_owned, &retention, today);
        (log, moved)
    })
    .await?;
    let (archived, ranges) = moved?;
    let unindexed =
        access_log::forget_archived(store, institution, &ranges, &to.display().to_string(), now)
            .await?;
    drop((log, _index));
    Ok(Archived {
        unindexed,
        ..archived
    })
}

/// Moves the full bundles past retention; returns what moved and the entry
/// ranges of every full bundle no longer in the log (moved now or before).
fn move_old_bundles(
    log: &TileLog,
    to: &Path,
    retention: &std::collections::HashMap<String, i64>,
    today: jiff::civil::Date,
) -> anyhow::Result<(Archived, Vec<std::ops::Range<u64>>)> {
    use mamori_tiles::{TILE_WIDTH, bundle_path};
    let mut archived = Archived::default();
    let mut ranges = Vec::new();
    for index in 0..log.size() / TILE_WIDTH {
        let range = index * TILE_WIDTH..(index + 1) * TILE_WIDTH;
        let path = bundle_path(index, TILE_WIDTH);
        let here = log.dir().join(&path);
        if !here.exists() {
            ranges.push(range);
            continue;
        }
        let entries = log.read(range.clone())?;
        let past = entries.iter().all(|entry| {
            let Ok(entry) = serde_json::from_slice::<serde_json::Value>(entry) else {
                return false;
            };
            let years = entry["source"]
                .as_str()
                .and_then(|name| retention.get(name))
                .copied()
                .unwrap_or(mamori_domain::access_log::source::DEFAULT_RETENTION_YEARS);
            let time = entry["parsed"]["time"]
                .as_str()
                .or_else(|| entry["received"].as_str())
                .and_then(|text| text.parse::<Timestamp>().ok());
            let kept_until = time.and_then(|time| {
                time.to_zoned_datetime(mamori_web::tokyo())
                    .date()
                    .checked_add(jiff::Span::new().years(years))
                    .ok()
            });
            kept_until.is_some_and(|until| until < today)
        });
        if !past {
            continue;
        }
        let there = to.join(&path);
        if let Some(parent) = there.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(&here, &there)
            .with_context(|| format!("cannot copy {} to {}", here.display(), there.display()))?;
        std::fs::File::open(&there)
            .and_then(|file| file.sync_all())
            .with_context(|| format!("cannot sync {}", there.display()))?;
        if std::fs::read(&there)? != std::fs::read(&here)? {
            anyhow::bail!("{} was not copied whole; nothing removed", there.display());
        }
        std::fs::remove_file(&here).with_context(|| format!("cannot remove {}", here.display()))?;
        archived.bundles += 1;
        archived.entries += TILE_WIDTH;
        ranges.push(range);
    }
    Ok((archived, ranges))
}

/// Verifies the institution's log: every entry, every tile, the signed
/// checkpoint; bundles moved to `archive` are checked there.
pub fn verify(
    data_dir: &Path,
    institution: InstitutionId,
    archive: Option<&Path>,
) -> anyhow::Result<Verified> {
    let key = crate::audit::load_key(data_dir, KEY_FILE, "access-log")
        .context("no access log has been kept here yet")?;
    let dir = log_dir(data_dir, institution);
    mamori_tiles::verify(
        &dir,
        &origin(institution),
        KEY_NAME,
        &key.verifying_key(),
        archive,
    )
    .map_err(|finding| {
        anyhow::anyhow!("the access log of institution {institution} does not verify: {finding}")
    })
}

/// Checks the institution's log as the review page asks: every entry kept
/// in the data folder read and hashed, against the signed checkpoint
/// (bundles moved to an archive have their hashes checked only). `None`
/// when no log was kept yet; a mismatch is [`Verification::Broken`].
pub fn check(data_dir: &Path, institution: InstitutionId) -> anyhow::Result<Option<Verification>> {
    let dir = log_dir(data_dir, institution);
    if !dir.join(mamori_tiles::CHECKPOINT_FILE).exists() {
        return Ok(None);
    }
    let intact = |verified: mamori_tiles::Verified| Verification::Intact {
        size: verified.size,
        checked: verified.checked,
        archived: verified
            .archived
            .iter()
            .map(|range| range.end - range.start)
            .sum(),
    };
    if let Ok(verified) = verify(data_dir, institution, None) {
        return Ok(Some(intact(verified)));
    }
    // An append that filled a bundle removes the partial one the check may
    // have been about to read: a mismatch is checked again with writers
    // held off, and only what that finds is reported.
    let _writers = lock_file(&dir.join(mamori_tiles::LOCK_FILE))?;
    Ok(Some(match verify(data_dir, institution, None) {
        Ok(verified) => intact(verified),
        Err(error) => Verification::Broken {
            finding: format!("{error:#}"),
        },
    }))
}

/// The access logs' files held for a backup: every institution's log
/// locked (waiting for an import to finish) until this is dropped.
#[derive(Debug, Default)]
pub struct HeldForBackup {
    _locks: Vec<std::fs::File>,
    /// (name in the backup, file): `access-logs/<id>/checkpoint`, `…/tile/…`.
    pub files: Vec<(String, PathBuf)>,
}

/// Locks every institution's access log and lists its files (the lock files
/// and temporary files left out).
pub fn hold_for_backup(data_dir: &Path) -> anyhow::Result<HeldForBackup> {
    let root = data_dir.join(FOLDER);
    let mut held = HeldForBackup::default();
    let institutions = match std::fs::read_dir(&root) {
        Ok(listing) => listing,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(held),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", root.display())),
    };
    let mut folders: Vec<PathBuf> = institutions
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        held._locks
            .push(lock_file(&folder.join(mamori_tiles::LOCK_FILE))?);
        collect_files(data_dir, &folder, &mut held.files)?;
    }
    held.files.sort();
    Ok(held)
}

fn collect_files(
    data_dir: &Path,
    folder: &Path,
    files: &mut Vec<(String, PathBuf)>,
) -> anyhow::Result<()> {
    let listing =
        std::fs::read_dir(folder).with_context(|| format!("cannot read {}", folder.display()))?;
    for entry in listing {
        let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if kind.is_dir() {
            collect_files(data_dir, &path, files)?;
        } else if kind.is_file() {
            let Ok(relative) = path.strip_prefix(data_dir) else {
                continue;
            };
            let name = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if let Some(rest) = name.strip_prefix("access-logs/")
                && is_backup_name(rest)
            {
                files.push((name, path));
            }
        }
    }
    Ok(())
}

/// Whether `name` (below `access-logs/`) is a file a backup holds and a
/// restore writes: `<institution id>/checkpoint` or `<id>/tile/…` (and the
/// same under `unassigned/`), each
/// part letters, digits, `.`, `_` or `-`, not starting with `.`.
pub fn is_backup_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    let safe = |part: &&str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part.len() <= 100
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    parts.len() >= 2
        && parts.len() <= 12
        && (parts[0].bytes().all(|b| b.is_ascii_digit()) || parts[0] == UNASSIGNED)
        && parts.iter().all(safe)
        && (parts[1..] == ["checkpoint"] || parts[1] == "tile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_entries_written_from_their_shared_head_are_the_entries_in_full() {
        let provenance = Provenance {
            source: Some("電子カルテ \"本院\""),
            file: Some("export.log"),
            sha256: Some("ab12"),
            ..Provenance::received("2026-12-07T00:00:00Z", "file", None)
        };
        let head = file_head(&provenance);
        let mut event = LogEvent::unrecognised(Timestamp::UNIX_EPOCH, "line \u{1} \"raw\"");
        event.user = Some("suzuki".to_owned());
        for line in [1, 42, u64::MAX] {
            let full = entry(
                &Provenance {
                    line: Some(line),
                    ..provenance
                },
                &event,
            );
            assert_eq!(file_entry(&head, line, &event), full);
            let parsed: serde_json::Value = serde_json::from_slice(&full).expect("JSON");
            assert_eq!(parsed["line"], line);
            assert_eq!(parsed["source"], "電子カルテ \"本院\"");
        }
    }

    /// What the parser read, as serde would write it: the reference the
    /// hand-written entries are held to.
    #[derive(serde::Serialize)]
    struct Parsed<'a> {
        time: String,
        host: Option<&'a str>,
        user: Option<&'a str>,
        source_address: Option<IpAddr>,
        action: &'a str,
        outcome: &'a str,
        patient_id: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        record_key: Option<&'a str>,
    }

    /// The entry serde_json writes for the same provenance and event.
    fn by_serde(provenance: &Provenance<'_>, event: &LogEvent) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(provenance).expect("JSON");
        bytes.pop();
        bytes.extend_from_slice(b",\"parsed\":");
        let action = action_code(&event.action);
        serde_json::to_writer(
            &mut bytes,
            &Parsed {
                time: event.time.to_string(),
                host: event.host.as_deref(),
                user: event.user.as_deref(),
                source_address: event.source_address,
                action: &action,
                outcome: event.outcome.code(),
                patient_id: event.patient_id.as_deref(),
                record_key: event.record_key.as_deref(),
            },
        )
        .expect("JSON");
        bytes.extend_from_slice(b",\"raw\":");
        serde_json::to_writer(&mut bytes, &event.raw).expect("JSON");
        bytes.push(b'}');
        bytes
    }

    #[test]
    fn an_entry_written_by_hand_is_the_json_serde_writes() {
        let received = "2026-12-07T01:02:03.456789Z";
        let provenances = [
            Provenance::received(
                received,
                "syslog-tcp",
                Some("192.0.2.7".parse().expect("IP")),
            ),
            Provenance {
                source: Some("ルータ \"本院\"\\\u{7f}"),
                cut: Some(Cut {
                    kept_bytes: 65_536,
                    frame_bytes: Some(1_000_000),
                }),
                ..Provenance::received(
                    received,
                    "syslog-udp",
                    Some("2001:db8::1".parse().expect("IP")),
                )
            },
            Provenance {
                source: Some("NXLog"),
                cut: Some(Cut {
                    kept_bytes: 65_536,
                    frame_bytes: None,
                }),
                ..Provenance::received(received, "https", None)
            },
            Provenance {
                source: Some("電子カルテ"),
                file: Some("監査ログ\t2026.csv"),
                sha256: Some("ab12"),
                line: Some(u64::MAX),
                ..Provenance::received(received, "file", None)
            },
        ];
        // Each character at an edge of what must be escaped, alone in its
        // line, and all of them in one.
        let mut events: Vec<LogEvent> = [
            "\"", "\\", "\u{0}", "\u{1f}", " ", "\t", "\n", "\u{7f}", "é", "漢字",
        ]
        .iter()
        .map(|c| LogEvent::unrecognised(Timestamp::UNIX_EPOCH, format!("line {c} here")))
        .collect();
        events.push(LogEvent::unrecognised(
            Timestamp::UNIX_EPOCH,
            "tab\there \"quoted\" back\\slash \u{0} \u{1f} é 漢字 \u{7f}",
        ));
        let mut full = LogEvent::unrecognised(
            "2026-11-30T23:59:59.999Z".parse().expect("time"),
            "<86>1 2026-11-30T23:59:59Z srv1 sshd 811 - - Failed password for suzuki",
        );
        full.host = Some("srv1\n".to_owned());
        full.user = Some("鈴木 \"suzuki\"".to_owned());
        full.source_address = Some("203.0.113.9".parse().expect("IP"));
        full.action = mamori_domain::access_log::Action::SignIn;
        full.outcome = mamori_domain::access_log::Outcome::Failure;
        full.patient_id = Some("P-0001".to_owned());
        full.record_key = Some("PC01/Security/42".to_owned());
        events.push(full);
        for provenance in &provenances {
            for event in &events {
                let hand = entry(provenance, event);
                assert_eq!(
                    String::from_utf8_lossy(&hand),
                    String::from_utf8_lossy(&by_serde(provenance, event))
                );
            }
        }
    }

    #[test]
    fn a_time_text_made_again_only_for_a_new_time_is_always_that_times_text() {
        let t1: Timestamp = "2026-12-07T13:00:00.123456789Z".parse().expect("time");
        let t2 = t1 + jiff::SignedDuration::from_nanos(1);
        for at in [t1, t1, t2, t1, Timestamp::UNIX_EPOCH, t2, t2] {
            assert_eq!(with_time_text(at, str::to_owned), at.to_string());
        }
    }

    #[test]
    fn an_address_written_by_hand_is_its_display() {
        let mut addresses: Vec<IpAddr> = (0..=255u8)
            .map(|octet| IpAddr::from([octet, 255 - octet, octet / 10, 0]))
            .collect();
        addresses.extend(
            ["2001:db8::1", "::ffff:192.0.2.1", "::"]
                .map(|text| text.parse::<IpAddr>().expect("IP")),
        );
        for address in addresses {
            let mut hand = Vec::new();
            json::address(&mut hand, address);
            assert_eq!(String::from_utf8_lossy(&hand), format!("\"{address}\""));
        }
    }

    #[test]
    fn unknown_senders_are_listed_while_the_writer_holds_the_log() {
        let data_dir = tempfile::tempdir().expect("a data folder");
        let received = "2026-12-07T01:02:03Z";
        let line = |peer: &str| {
            entry(
                &Provenance::received(received, "syslog-udp", Some(peer.parse().expect("IP"))),
                &LogEvent::unrecognised(Timestamp::UNIX_EPOCH, "not yours"),
            )
        };
        let mut entries: Vec<Vec<u8>> = (0..300).map(|_| line("192.0.2.7")).collect();
        entries.push(line("192.0.2.8"));
        append_unassigned(data_dir.path(), &entries).expect("appended");
        // The receivers' writer holds the log (its lock) the whole time.
        let key = crate::audit::load_key(data_dir.path(), KEY_FILE, "access-log").expect("key");
        let dir = data_dir.path().join(FOLDER).join(UNASSIGNED);
        let _writer = TileLog::open(&dir, UNASSIGNED_ORIGIN, KEY_NAME, key).expect("held");
        let started = std::time::Instant::now();
        let senders = unassigned_senders(data_dir.path()).expect("listed");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let counts: Vec<(&str, u64)> = senders
            .iter()
            .map(|sender| (sender.peer.as_str(), sender.lines))
            .collect();
        assert_eq!(counts, [("192.0.2.7", 300), ("192.0.2.8", 1)]);
        assert_eq!(senders[0].first, received);
    }

    #[test]
    fn a_check_beside_a_writer_finds_the_log_intact_every_time() {
        // Appends of a few entries each, so that each replaces the partial
        // bundle a check may be about to read; the check must still never
        // report what was only a write in progress.
        let data_dir = tempfile::tempdir().expect("a data folder");
        let institution = InstitutionId::from_db(1);
        let line = |n: usize| {
            entry(
                &Provenance::received("2026-12-07T01:02:03Z", "syslog-tcp", None),
                &LogEvent::unrecognised(Timestamp::UNIX_EPOCH, format!("line {n}")),
            )
        };
        let first: Vec<Vec<u8>> = (0..1_000).map(line).collect();
        append_entries(data_dir.path(), institution, &first).expect("appended");
        let stop = std::sync::atomic::AtomicBool::new(false);
        let checks = std::thread::scope(|scope| {
            let writer = scope.spawn(|| {
                let (mut n, mut appends) = (first.len(), 0);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let batch: Vec<Vec<u8>> = (n..n + 1 + n % 7).map(line).collect();
                    n += batch.len();
                    append_entries(data_dir.path(), institution, &batch).expect("appended");
                    appends += 1;
                }
                appends
            });
            let mut checks = Vec::new();
            for _ in 0..200 {
                checks.push(check(data_dir.path(), institution).expect("checked"));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            // The checks ran beside the appends, not before or after them.
            let appends = writer.join().expect("the writer");
            assert!(appends >= 10, "{appends}");
            checks
        });
        for found in checks {
            assert!(
                matches!(found, Some(Verification::Intact { .. })),
                "{found:?}"
            );
        }
    }

    #[test]
    fn a_hostile_line_always_fits_one_entry_with_its_length_noted() {
        let huge_user = "\u{1}".repeat(60_000);
        let raw = format!("sshd: Failed password for {huge_user} from 203.0.113.9");
        let mut event = LogEvent::unrecognised(Timestamp::UNIX_EPOCH, raw.clone());
        event.user = Some(huge_user);
        event.patient_id = Some("\"".repeat(70_000));
        let provenance = Provenance::received("1970-01-01T00:00:00Z", "syslog-tcp", None);
        let bytes = entry(&provenance, &event);
        assert!(bytes.len() <= MAX_ENTRY_LEN, "{}", bytes.len());
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(value["raw_bytes"], serde_json::json!(raw.len()));
        assert_eq!(
            value["parsed"]["user"].as_str().map(|u| u.chars().count()),
            Some(MAX_FIELD)
        );
        // An ordinary line is kept whole, without a length note.
        let plain = LogEvent::unrecognised(Timestamp::UNIX_EPOCH, "hello");
        let value: serde_json::Value =
            serde_json::from_slice(&entry(&provenance, &plain)).expect("JSON");
        assert_eq!(value["raw"], "hello");
        assert!(value.get("raw_bytes").is_none());
    }
}
