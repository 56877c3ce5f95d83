//! `mamori backup` and `mamori restore` (issue #13): everything mamori holds
//! in one encrypted file that tools outside mamori can open.
//!
//! A backup is a tar archive encrypted with age (a passphrase through scrypt,
//! or X25519 recipients): `age -d FILE | tar x` gives a folder
//! `mamori-backup/` holding the database (SQLite: `mamori.db` and its log
//! `mamori.db-wal`, read under one snapshot while the server keeps writing —
//! SQLite opens the pair as one consistent database, and `restore` folds the
//! log in; PostgreSQL: the store's
//! portable export from one repeatable-read snapshot, `mamori-data.jsonl`,
//! which restores into either backend), the secrets and audit signing keys,
//! the latest audit checkpoint with its frontier, the catalogs added to the
//! data folder, `BACKUP-INFO.txt`, and `MANIFEST.sha256`, which
//! `sha256sum -c` checks. The checkpoint is read before the database is
//! copied, so the copy's trail always extends it.
//!
//! Backups rotate in the target folder (by default 7 daily, 4 weekly and 12
//! monthly generations). A file is written under a temporary name, synced and
//! then renamed, so an interrupted backup never looks like a finished one.
//! `restore` refuses a folder that holds anything (and a PostgreSQL database
//! that holds mamori data), checks every sum before it puts the folder in
//! place, and then verifies the audit trail.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use age::secrecy::SecretString;
use anyhow::{Context, bail};
use mamori_domain::continuity::{Retention, keep};
use mamori_store::Store;
use sha2::{Digest, Sha256};

/// The folder every file of a backup sits in.
const ROOT: &str = "mamori-backup";
/// The sums, in `sha256sum` format; written last.
const MANIFEST: &str = "MANIFEST.sha256";
/// What the backup is: mamori's version, when, which database, the trail's size.
const INFO: &str = "BACKUP-INFO.txt";
/// The database file in the data folder and in the backup.
const DATABASE: &str = "mamori.db";
/// The database's write-ahead log, read after the database file under the
/// same snapshot; folded into the database on restore.
const DATABASE_LOG: &str = "mamori.db-wal";
/// A PostgreSQL database in the backup: the store's portable export (JSON
/// lines, see `mamori_store::portable`), which restores into either backend.
const PORTABLE: &str = "mamori-data.jsonl";
/// Files of the data folder a backup carries besides the database.
const KEY_FILES: [&str; 5] = [
    "secrets.key",
    "audit-signing.key",
    "audit-checkpoint.txt",
    "audit-frontier.txt",
    "access-log-signing.key",
];
/// A backup's file name: `mamori-backup-20261203T180512Z.tar.age`.
const PREFIX: &str = "mamori-backup-";
const SUFFIX: &str = ".tar.age";
/// The scrypt work factor (log2 N) of a passphrase backup.
const SCRYPT_LOG_N: u8 = 18;
/// Shortest passphrase accepted for a new backup.
const MIN_PASSPHRASE: usize = 12;

/// How a backup is locked or opened.
pub enum Key {
    /// A passphrase (scrypt): for people.
    Passphrase(SecretString),
    /// X25519 recipients (`age1…`) to encrypt to.
    Recipients(Vec<age::x25519::Recipient>),
    /// X25519 identities (`AGE-SECRET-KEY-1…`) to decrypt with.
    Identities(Vec<age::x25519::Identity>),
}

impl Key {
    /// A passphrase, checked for a new backup.
    pub fn new_passphrase(passphrase: String) -> anyhow::Result<Self> {
        let passphrase = passphrase.trim_end_matches(['\r', '\n']).to_owned();
        if passphrase.chars().count() < MIN_PASSPHRASE {
            bail!("the backup passphrase needs at least {MIN_PASSPHRASE} characters");
        }
        Ok(Self::Passphrase(SecretString::from(passphrase)))
    }

    /// A passphrase to open an existing backup.
    pub fn passphrase(passphrase: String) -> Self {
        Self::Passphrase(SecretString::from(
            passphrase.trim_end_matches(['\r', '\n']).to_owned(),
        ))
    }

    /// Recipients given as `age1…` public keys.
    pub fn recipients(keys: &[String]) -> anyhow::Result<Self> {
        let recipients = keys
            .iter()
            .map(|key| {
                age::x25519::Recipient::from_str(key.trim()).map_err(|_| {
                    anyhow::anyhow!("--recipient {key:?} is not an age public key (age1…)")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self::Recipients(recipients))
    }

    /// The identities in an age identity file (one `AGE-SECRET-KEY-1…` a
    /// line; `#` comments and blank lines skipped).
    pub fn identity_file(path: &Path) -> anyhow::Result<Self> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the identity file {}", path.display()))?;
        let identities = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| {
                age::x25519::Identity::from_str(line).map_err(|_| {
                    anyhow::anyhow!(
                        "the identity file {} holds a line that is not an age secret key",
                        path.display()
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if identities.is_empty() {
            bail!("the identity file {} holds no key", path.display());
        }
        Ok(Self::Identities(identities))
    }

    fn encryptor(&self) -> anyhow::Result<age::Encryptor> {
        match self {
            Self::Passphrase(passphrase) => {
                let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
                // 2^18: the work factor of age's reference implementation
                // (Go `age -p`; the age crate's own "roughly 1 second on a
                // modern machine"). Left to itself the crate calibrates to a
                // second of this machine, which on a fast one means 2^19 and
                // a second more of every backup's fixed cost.
                recipient.set_work_factor(SCRYPT_LOG_N);
                age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                    .map_err(|error| anyhow::anyhow!("cannot encrypt with the passphrase: {error}"))
            }
            Self::Recipients(recipients) => {
                age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|error| anyhow::anyhow!("cannot encrypt to these recipients: {error}"))
            }
            Self::Identities(_) => {
                bail!("a backup is written to a passphrase or recipients, not with an identity")
            }
        }
    }

    fn open<R: io::BufRead>(&self, input: R) -> anyhow::Result<age::stream::StreamReader<R>> {
        let decryptor = age::Decryptor::new_buffered(input).map_err(describe_decrypt_error)?;
        let result = match self {
            Self::Passphrase(passphrase) => {
                let identity = age::scrypt::Identity::new(passphrase.clone());
                decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity))
            }
            Self::Identities(identities) => {
                decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity))
            }
            Self::Recipients(_) => bail!(
                "a backup is opened with a passphrase or an identity file, not with recipients"
            ),
        };
        result.map_err(describe_decrypt_error)
    }
}

fn describe_decrypt_error(error: age::DecryptError) -> anyhow::Error {
    use age::DecryptError as E;
    match error {
        E::NoMatchingKeys | E::KeyDecryptionFailed | E::DecryptionFailed => anyhow::anyhow!(
            "the backup does not open with this passphrase or key (wrong passphrase, or another key)"
        ),
        E::InvalidHeader | E::UnknownFormat => {
            anyhow::anyhow!(
                "not a mamori backup: the file is not an age-encrypted file (or its start is damaged)"
            )
        }
        E::InvalidMac => {
            anyhow::anyhow!("the backup's header is damaged (its check does not match)")
        }
        E::ExcessiveWork { required, target } => anyhow::anyhow!(
            "the backup's passphrase needs more work to open (2^{required}) than this machine allows (2^{target})"
        ),
        E::Io(error) => anyhow::anyhow!("cannot read the backup: {error}"),
        other => anyhow::anyhow!("cannot open the backup: {other}"),
    }
}

/// What `backup` is asked to do.
pub struct BackupPlan<'a> {
    /// The data folder.
    pub data_dir: &'a Path,
    /// The database URL (SQLite only for now).
    pub database_url: &'a str,
    /// The folder the backups go to.
    pub target: &'a Path,
    /// How many generations to keep.
    pub retention: Retention,
    /// Passphrase or recipients.
    pub key: &'a Key,
    /// When, for the file name and the rotation.
    pub now: jiff::Timestamp,
}

/// What a finished backup holds.
#[derive(Debug)]
pub struct BackupReport {
    /// The file written.
    pub file: PathBuf,
    /// The files in it (besides the manifest).
    pub files: usize,
    /// Its size in bytes.
    pub bytes: u64,
    /// The audit trail's size in the copy.
    pub audit_size: i64,
    /// Older backups removed by the rotation.
    pub removed: Vec<PathBuf>,
}

/// Takes a backup: a consistent copy of the database while the server runs
/// (SQLite: the file; PostgreSQL: the portable export, a logical backup
/// through the store), the data folder's keys and checkpoint, encrypted; then
/// rotates the folder.
pub async fn backup(plan: &BackupPlan<'_>) -> anyhow::Result<BackupReport> {
    let backend = mamori_store::Backend::from_url(plan.database_url)?;
    if backend == mamori_store::Backend::Sqlite {
        // Opening a missing database would create an empty one and back that up.
        let database = sqlite_path(plan.database_url);
        if !Path::new(database).is_file() {
            bail!(
                "there is no mamori database at {database}: give the data folder the server uses (--data-dir)"
            );
        }
    }
    let encryptor = plan.key.encryptor()?;
    create_private_dir(plan.target)?;
    let stamp = plan.now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let file = plan.target.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    if file.exists() {
        bail!("{} exists already: one backup a second", file.display());
    }
    let partial = plan
        .target
        .join(format!(".{PREFIX}{stamp}{SUFFIX}.partial"));
    // The checkpoint first: the database copied after it can only be longer.
    let keys = read_key_files(plan.data_dir)?;
    // The age header (with a passphrase, scrypt: about a second of one core)
    // is written while the database is copied on the other.
    let header = {
        let partial = partial.clone();
        tokio::task::spawn_blocking(move || begin_archive(&partial, encryptor))
    };
    // The access logs are locked before the database is copied: an import
    // holds its log's lock until its index rows are committed, so the copied
    // logs and the copied index agree.
    let access_logs = {
        let data_dir = plan.data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || crate::access_logs::hold_for_backup(&data_dir))
            .await
            .context("the backup was interrupted")
            .and_then(|held| held)
    };
    let access_logs = match access_logs {
        Ok(held) => held,
        Err(error) => {
            let _ = header.await;
            let _ = fs::remove_file(&partial);
            return Err(error);
        }
    };
    let source = Source::open(plan.data_dir, plan.database_url, backend).await;
    let header = header
        .await
        .context("the backup was interrupted")
        .and_then(|begun| begun);
    // Both are finished before anything is removed, so nothing writes after.
    let (source, encrypted) =
        match source.and_then(|source| header.map(|encrypted| (source, encrypted))) {
            Ok(both) => both,
            Err(error) => {
                let _ = fs::remove_file(&partial);
                return Err(error);
            }
        };
    let audit_size = source.audit_size;
    let info = format!(
        "mamori backup\nmamori version: {}\ntaken at (UTC): {}\ndatabase: {} ({})\naudit trail size (at least): {audit_size}\n",
        env!("CARGO_PKG_VERSION"),
        plan.now,
        backend.name(),
        source.name,
    );
    let written = match catalog_files(plan.data_dir) {
        Ok(mut catalogs) => {
            catalogs.extend(access_logs.files.iter().cloned());
            let partial = partial.clone();
            let files = source.files.clone();
            tokio::task::spawn_blocking(move || {
                write_archive(&partial, encrypted, &info, &files, &keys, &catalogs)
            })
            .await
            .context("the backup was interrupted")
            .and_then(|written| written)
        }
        Err(error) => Err(error),
    };
    // The snapshot is held until every file of the database has been read.
    let ended = source.close().await;
    drop(access_logs);
    let written = written.and_then(|files| ended.map(|()| files));
    let files = match written {
        Ok(files) => files,
        Err(error) => {
            let _ = fs::remove_file(&partial);
            return Err(error);
        }
    };
    fs::rename(&partial, &file)
        .with_context(|| format!("cannot finish the backup file {}", file.display()))?;
    sync_dir(plan.target);
    let bytes = fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let removed = rotate(plan.target, plan.retention)?;
    Ok(BackupReport {
        file,
        files,
        bytes,
        audit_size,
        removed,
    })
}

/// The file of an `sqlite://` URL.
fn sqlite_path(database_url: &str) -> &str {
    database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap_or_default()
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(path)
        .with_context(|| format!("cannot create the backup folder {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    Ok(())
}

fn sync_dir(path: &Path) {
    // Best effort: makes the rename durable where the platform allows it.
    if let Ok(dir) = File::open(path) {
        let _ = dir.sync_all();
    }
}

/// (name in the backup, contents) of the small files of the data folder.
fn read_key_files(data_dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    // The checkpoint and its frontier are written by the server one after the
    // other; read until both are seen unchanged, so they belong together.
    for _ in 0..20 {
        let first = read_optional(&data_dir.join("audit-checkpoint.txt"))?;
        let mut files = Vec::new();
        for name in KEY_FILES {
            if let Some(bytes) = read_optional(&data_dir.join(name))? {
                files.push((name.to_owned(), bytes));
            }
        }
        let again = read_optional(&data_dir.join("audit-checkpoint.txt"))?;
        if first == again {
            return Ok(files);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    bail!("the audit checkpoint kept changing while it was read; try again")
}

fn read_optional(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn catalog_files(data_dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let folder = data_dir.join("catalogs");
    let entries = match fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", folder.display()));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().map(|t| t.is_file()).unwrap_or(false) && safe_name(&name) {
            files.push((format!("catalogs/{name}"), entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// A name made of letters, digits, `.`, `_` and `-`, not starting with `.`.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// What a backup reads the database from. SQLite: the live database file
/// and its write-ahead log, read under a held snapshot (see
/// [`mamori_store::backup::SqliteSnapshot`]); PostgreSQL: the store's
/// portable export, written first to a private file in the data folder.
struct Source {
    /// (name in the backup, file) of each database file, in order.
    files: Vec<(&'static str, PathBuf)>,
    /// Its name in BACKUP-INFO: [`DATABASE`] or [`PORTABLE`].
    name: &'static str,
    /// The audit trail's size in the snapshot.
    audit_size: i64,
    /// SQLite: the snapshot held while the files are read.
    snapshot: Option<(Store, mamori_store::backup::SqliteSnapshot)>,
    /// PostgreSQL: the export file, removed when the backup is done.
    export: Option<PathBuf>,
}

/// Creates `path` empty and private (0600), failing if it exists.
fn create_private_file(path: &Path) -> anyhow::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

impl Source {
    async fn open(
        data_dir: &Path,
        database_url: &str,
        backend: mamori_store::Backend,
    ) -> anyhow::Result<Self> {
        let store = Store::connect(database_url)
            .await
            .context("cannot open the database")?;
        match backend {
            mamori_store::Backend::Sqlite => {
                let snapshot = match mamori_store::backup::SqliteSnapshot::begin(&store).await {
                    Ok(snapshot) => snapshot,
                    Err(error) => {
                        store.close().await;
                        return Err(error).context("cannot read the database");
                    }
                };
                let database = PathBuf::from(sqlite_path(database_url));
                let log = mamori_store::backup::log_of(&database);
                Ok(Self {
                    files: vec![(DATABASE, database), (DATABASE_LOG, log)],
                    name: DATABASE,
                    audit_size: snapshot.audit_size(),
                    snapshot: Some((store, snapshot)),
                    export: None,
                })
            }
            mamori_store::Backend::Postgres => {
                let path = data_dir.join(format!(".backup-{}-{PORTABLE}", std::process::id()));
                let _ = fs::remove_file(&path);
                // Created empty and private before anything writes into it.
                let file = create_private_file(&path)?;
                let mut source = Self {
                    files: vec![(PORTABLE, path.clone())],
                    name: PORTABLE,
                    audit_size: 0,
                    snapshot: None,
                    export: Some(path),
                };
                let mut out = BufWriter::new(file);
                let exported = mamori_store::portable::export(&store, &mut out).await;
                store.close().await;
                let summary = exported.context("cannot export the database")?;
                let file = out
                    .into_inner()
                    .map_err(|error| error.into_error())
                    .context("cannot write the database export")?;
                file.sync_all()
                    .context("cannot write the database export")?;
                source.audit_size = summary
                    .rows
                    .iter()
                    .find(|(table, _)| *table == "audit_events")
                    .map_or(0, |(_, rows)| i64::try_from(*rows).unwrap_or(i64::MAX));
                Ok(source)
            }
        }
    }

    /// Ends the snapshot (SQLite) and removes the export (PostgreSQL).
    async fn close(mut self) -> anyhow::Result<()> {
        if let Some((store, snapshot)) = self.snapshot.take() {
            let ended = snapshot.end().await;
            store.close().await;
            ended.context("cannot end the database snapshot")?;
        }
        Ok(())
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if let Some(export) = &self.export {
            let _ = fs::remove_file(export);
        }
    }
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A reader that keeps the first error it met, so that a failure to read the
/// backup is told apart from a failure to write what was read.
struct Watched<'a, R> {
    inner: R,
    error: &'a Cell<Option<io::Error>>,
}

impl<R: Read> Read for Watched<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|error| {
            self.error
                .set(Some(io::Error::new(error.kind(), error.to_string())));
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn header_for(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_entry_type(tar::EntryType::Regular);
    header
}

/// Appends one file to the archive, recording its SHA-256.
fn append<W: Write>(
    archive: &mut tar::Builder<W>,
    sums: &mut Vec<(String, String)>,
    name: &str,
    size: u64,
    reader: &mut dyn Read,
) -> io::Result<()> {
    let mut hashing = Hashing {
        inner: reader,
        hasher: Sha256::new(),
    };
    archive.append_data(
        &mut header_for(size),
        format!("{ROOT}/{name}"),
        &mut hashing,
    )?;
    sums.push((name.to_owned(), hex(&hashing.hasher.finalize())));
    Ok(())
}

/// The archive's file, created private, with the age header written (for a
/// passphrase this runs scrypt, the slow part).
type Sealed = age::stream::StreamWriter<File>;

fn begin_archive(partial: &Path, encryptor: age::Encryptor) -> anyhow::Result<Sealed> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    encryptor
        // age writes whole 64 KiB chunks: no buffer of our own (one copy fewer).
        .wrap_output(file)
        .with_context(|| format!("cannot write the backup {}", partial.display()))
}

/// Buffer size for the large files of a backup.
const CHUNK: usize = 1 << 20;

/// A reader that also sends what it reads to a hashing thread, and counts it.
struct Tee<R> {
    inner: R,
    sender: std::sync::mpsc::SyncSender<Vec<u8>>,
    count: u64,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.sender
                .send(buf[..n].to_vec())
                .map_err(|_| io::Error::other("the file's check stopped"))?;
            self.count += n as u64;
        }
        Ok(n)
    }
}

/// Appends a file that may be larger than memory and that a server may be
/// writing to: exactly the size it has when it is opened, hashed on a second
/// thread from the very bytes archived on this one. A missing file is
/// skipped (`Ok(false)`).
fn append_streamed<W: Write>(
    archive: &mut tar::Builder<W>,
    sums: &mut Vec<(String, String)>,
    name: &str,
    path: &Path,
    partial: &Path,
) -> anyhow::Result<bool> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound && name == DATABASE_LOG => {
            return Ok(false);
        }
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let size = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
    let (archived, count, sum) = std::thread::scope(|scope| {
        let hashing = scope.spawn(move || {
            let mut hasher = Sha256::new();
            for chunk in receiver {
                hasher.update(&chunk);
            }
            hex(&hasher.finalize())
        });
        let mut reader = BufReader::with_capacity(
            CHUNK,
            Tee {
                inner: file.take(size),
                sender,
                count: 0,
            },
        );
        let archived =
            archive.append_data(&mut header_for(size), format!("{ROOT}/{name}"), &mut reader);
        let count = reader.get_ref().count;
        // Closing the channel lets the hashing thread finish.
        drop(reader);
        (archived, count, hashing.join())
    });
    archived.with_context(|| format!("cannot write the backup {} ({name})", partial.display()))?;
    if count != size {
        bail!("{name} got shorter while it was read ({count} of {size} bytes); try again");
    }
    let sum = sum.map_err(|_| anyhow::anyhow!("the check of {name} stopped"))?;
    sums.push((name.to_owned(), sum));
    Ok(true)
}

fn write_archive(
    partial: &Path,
    encrypted: Sealed,
    info: &str,
    database: &[(&'static str, PathBuf)],
    keys: &[(String, Vec<u8>)],
    catalogs: &[(String, PathBuf)],
) -> anyhow::Result<usize> {
    let writing = || format!("cannot write the backup {}", partial.display());
    let mut archive = tar::Builder::new(encrypted);
    let mut sums: Vec<(String, String)> = Vec::new();
    append(
        &mut archive,
        &mut sums,
        INFO,
        info.len() as u64,
        &mut info.as_bytes(),
    )
    .with_context(writing)?;
    // The database file, then its log (the order the snapshot needs).
    for (name, path) in database {
        append_streamed(&mut archive, &mut sums, name, path, partial)?;
    }
    for (name, bytes) in keys {
        append(
            &mut archive,
            &mut sums,
            name,
            bytes.len() as u64,
            &mut bytes.as_slice(),
        )
        .with_context(writing)?;
    }
    for (name, path) in catalogs {
        let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let size = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        append(
            &mut archive,
            &mut sums,
            name,
            size,
            &mut BufReader::new(file),
        )
        .with_context(writing)?;
    }
    let manifest: String = sums
        .iter()
        .map(|(name, sum)| format!("{sum}  {name}\n"))
        .collect();
    archive
        .append_data(
            &mut header_for(manifest.len() as u64),
            format!("{ROOT}/{MANIFEST}"),
            manifest.as_bytes(),
        )
        .with_context(writing)?;
    let encrypted = archive.into_inner().with_context(writing)?;
    let file = encrypted.finish().with_context(writing)?;
    file.sync_all().with_context(writing)?;
    Ok(sums.len())
}

/// Removes the backups in `folder` that `retention` no longer keeps; returns them.
fn rotate(folder: &Path, retention: Retention) -> anyhow::Result<Vec<PathBuf>> {
    let mut backups: Vec<(PathBuf, jiff::civil::DateTime)> = Vec::new();
    for entry in
        fs::read_dir(folder).with_context(|| format!("cannot read {}", folder.display()))?
    {
        let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stamp) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_suffix(SUFFIX))
        else {
            continue;
        };
        let Some(taken) = stamp
            .strip_suffix('Z')
            .and_then(|utc| jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", utc).ok())
            .and_then(|utc| utc.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
        else {
            continue;
        };
        let local = taken
            .timestamp()
            .to_zoned_datetime(mamori_web::tokyo())
            .datetime();
        backups.push((entry.path(), local));
    }
    let times: Vec<jiff::civil::DateTime> = backups.iter().map(|(_, at)| *at).collect();
    let mut removed = Vec::new();
    for ((path, _), kept) in backups.into_iter().zip(keep(&times, retention)) {
        if !kept {
            fs::remove_file(&path)
                .with_context(|| format!("cannot remove the old backup {}", path.display()))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

/// A name inside the backup that may be written: the files a backup holds,
/// nothing else (no absolute paths, no `..`, no links).
fn allowed(name: &str) -> bool {
    name == INFO
        || name == MANIFEST
        || name == DATABASE
        || name == DATABASE_LOG
        || name == PORTABLE
        || KEY_FILES.contains(&name)
        || name.strip_prefix("catalogs/").is_some_and(safe_name)
        || name
            .strip_prefix("access-logs/")
            .is_some_and(crate::access_logs::is_backup_name)
}

/// Reads a backup: every entry's name checked and its sum computed; `sink`
/// receives each allowed file (to write it, or not). Then the manifest is
/// compared with the sums. Returns the number of files.
fn read_archive(
    file: &Path,
    key: &Key,
    mut sink: impl FnMut(&str, &mut dyn Read) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let opened = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let decrypted = key.open(BufReader::new(opened))?;
    let mut archive = tar::Archive::new(decrypted);
    let damaged = |error: io::Error| {
        anyhow::anyhow!(
            "the backup {} is damaged or cut short (its integrity check fails: {error})",
            file.display()
        )
    };
    let mut sums: BTreeMap<String, String> = BTreeMap::new();
    let mut manifest: Option<String> = None;
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let path = entry.path().map_err(damaged)?.into_owned();
        let name = inner_name(&path)
            .filter(|name| allowed(name))
            .ok_or_else(|| {
                anyhow::anyhow!("the backup holds an unexpected entry {}", path.display())
            })?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            bail!("the backup holds {name} as something other than a file");
        }
        if sums.contains_key(&name) || manifest.is_some() {
            bail!("the backup holds {name} twice, or after its manifest");
        }
        if name == MANIFEST {
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(damaged)?;
            manifest = Some(text);
            continue;
        }
        let read_error: Cell<Option<io::Error>> = Cell::new(None);
        let mut hashing = Hashing {
            inner: Watched {
                inner: &mut entry,
                error: &read_error,
            },
            hasher: Sha256::new(),
        };
        let sunk = sink(&name, &mut hashing);
        // A failure to read the backup is the backup's, whatever the sink made of it.
        if let Some(error) = read_error.take() {
            return Err(damaged(error));
        }
        sunk?;
        // Whatever the sink left unread still counts.
        io::copy(&mut hashing, &mut io::sink()).map_err(damaged)?;
        sums.insert(name, hex(&hashing.hasher.finalize()));
    }
    let manifest = manifest.ok_or_else(|| {
        anyhow::anyhow!(
            "the backup {} has no manifest: it is cut short",
            file.display()
        )
    })?;
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    for line in manifest.lines().filter(|line| !line.is_empty()) {
        let (sum, name) = line.split_once("  ").ok_or_else(|| {
            anyhow::anyhow!("the backup's manifest has a line that is not \"SUM  NAME\"")
        })?;
        listed.insert(name.to_owned(), sum.to_owned());
    }
    if listed != sums {
        let wrong = listed
            .iter()
            .find(|(name, sum)| sums.get(*name) != Some(*sum))
            .map(|(name, _)| name.clone())
            .or_else(|| {
                sums.keys()
                    .find(|name| !listed.contains_key(*name))
                    .cloned()
            })
            .unwrap_or_default();
        bail!("the backup's file {wrong} does not match its manifest");
    }
    if sums.contains_key(DATABASE) == sums.contains_key(PORTABLE) {
        bail!("the backup holds no database, or two");
    }
    if sums.contains_key(DATABASE_LOG) && !sums.contains_key(DATABASE) {
        bail!("the backup holds a database log without its database");
    }
    Ok(sums.len())
}

fn inner_name(path: &Path) -> Option<String> {
    let mut components = path.components();
    if components.next() != Some(Component::Normal(ROOT.as_ref())) {
        return None;
    }
    let rest: Vec<&str> = components
        .map(|component| match component {
            Component::Normal(part) => part.to_str(),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    (!rest.is_empty()).then(|| rest.join("/"))
}

/// `mamori backup --verify FILE`: reads the whole backup and checks every sum.
pub fn verify(file: &Path, key: &Key) -> anyhow::Result<usize> {
    read_archive(file, key, |_, _| Ok(()))
}

/// What `restore` did.
#[derive(Debug)]
pub struct RestoreReport {
    /// Files restored.
    pub files: usize,
}

/// Restores `file` into `data_dir`, which must be missing or empty, and its
/// database into `database_url`: the data folder's own SQLite file, or a
/// PostgreSQL database that holds no mamori data. A backup of either backend
/// restores into either (through the portable export). The files go to a
/// private folder beside `data_dir` first and take its place only once every
/// sum matched and the database is in; on any failure nothing is left behind.
pub async fn restore(
    file: &Path,
    key: Key,
    data_dir: &Path,
    database_url: &str,
) -> anyhow::Result<RestoreReport> {
    let backend = mamori_store::Backend::from_url(database_url)?;
    if let Ok(mut entries) = fs::read_dir(data_dir) {
        if entries.next().is_some() {
            bail!(
                "{} is not empty: restore only into a new or empty folder (nothing was changed)",
                data_dir.display()
            );
        }
    } else if data_dir.exists() {
        bail!("{} is not a folder", data_dir.display());
    }
    if backend == mamori_store::Backend::Postgres {
        let target = Store::connect(database_url)
            .await
            .context("cannot open the target database")?;
        let holds = mamori_store::portable::holds_data(&target).await;
        target.close().await;
        if holds.context("cannot read the target database")? {
            bail!(
                "the target database already holds mamori data: restore only into a new, empty database (nothing was changed)"
            );
        }
    }
    let parent = match data_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".to_owned());
    let staging = parent.join(format!(".{name}.restoring-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    create_private_dir(&staging)?;
    let result = async {
        let files = {
            let (file, staging) = (file.to_path_buf(), staging.clone());
            tokio::task::spawn_blocking(move || read_into(&file, &key, &staging))
                .await
                .context("the restore was interrupted")??
        };
        // The backup's info file describes the backup, not the data folder.
        let _ = fs::remove_file(staging.join(INFO));
        let _ = fs::remove_file(staging.join(MANIFEST));
        // A log read with the database under its snapshot is folded into it.
        if staging.join(DATABASE_LOG).exists() {
            mamori_store::backup::fold_log(&staging.join(DATABASE))
                .await
                .context("cannot rebuild the database from the backup")?;
        }
        place_database(&staging, backend, database_url).await?;
        if data_dir.exists() {
            fs::remove_dir(data_dir).with_context(|| {
                format!("cannot replace the empty folder {}", data_dir.display())
            })?;
        }
        fs::rename(&staging, data_dir)
            .with_context(|| format!("cannot move the restored files to {}", data_dir.display()))?;
        sync_dir(&parent);
        anyhow::Ok(files)
    }
    .await;
    match result {
        Ok(files) => Ok(RestoreReport { files }),
        Err(error) => {
            let _ = fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

/// Writes every file of the backup into `staging`, checking every sum.
fn read_into(file: &Path, key: &Key, staging: &Path) -> anyhow::Result<usize> {
    read_archive(file, key, |name, reader| {
        let target = staging.join(name);
        if let Some(folder) = target.parent() {
            create_private_dir(folder)?;
        }
        let writing = || format!("cannot write {}", target.display());
        let mut out = BufWriter::new(create_private_file(&target)?);
        io::copy(reader, &mut out).with_context(writing)?;
        let out = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(writing)?;
        out.sync_all().with_context(writing)?;
        Ok(())
    })
}

/// Puts the restored database where it belongs: the SQLite file stays in the
/// staged folder; a portable export becomes one (SQLite) or goes into the
/// PostgreSQL database; an SQLite file goes into PostgreSQL through its export.
async fn place_database(
    staging: &Path,
    backend: mamori_store::Backend,
    database_url: &str,
) -> anyhow::Result<()> {
    use mamori_store::{Backend, portable};
    let sqlite = staging.join(DATABASE);
    let export = staging.join(PORTABLE);
    let target_url = match backend {
        Backend::Sqlite if sqlite.exists() => return Ok(()),
        Backend::Sqlite => format!("{}?mode=rwc", sqlite_url(&sqlite)),
        Backend::Postgres => database_url.to_owned(),
    };
    if sqlite.exists() {
        // SQLite into PostgreSQL: through the portable export.
        let source = Store::connect_read_only(&sqlite_url(&sqlite))
            .await
            .context("cannot open the restored database")?;
        let mut out = BufWriter::new(create_private_file(&export)?);
        let exported = portable::export(&source, &mut out).await;
        source.close().await;
        exported.context("cannot read the restored database")?;
        out.into_inner()
            .map_err(|error| error.into_error())
            .context("cannot write the database export")?;
        fs::remove_file(&sqlite).context("cannot remove the restored database copy")?;
    }
    let target = Store::open(&target_url)
        .await
        .context("cannot open the target database")?;
    let opened = File::open(&export).context("cannot read the database export")?;
    let imported = portable::import(&target, &mut BufReader::new(opened)).await;
    target.close().await;
    imported.context("the backup's data cannot be stored")?;
    fs::remove_file(&export).context("cannot remove the database export")?;
    Ok(())
}

/// Reads the passphrase from `MAMORI_BACKUP_PASSPHRASE` or the first line of
/// `file`; never from the command line, where other users could see it.
pub fn passphrase_from(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(file) = file {
        let text = fs::read_to_string(file)
            .with_context(|| format!("cannot read the passphrase file {}", file.display()))?;
        return Ok(Some(text.lines().next().unwrap_or_default().to_owned()));
    }
    Ok(std::env::var("MAMORI_BACKUP_PASSPHRASE").ok())
}

/// The database URL after a restore (for `audit verify`): the data folder's
/// SQLite file, or the PostgreSQL database restored into.
pub fn restored_database_url(data_dir: &Path, database_url: &str) -> String {
    match mamori_store::Backend::from_url(database_url) {
        Ok(mamori_store::Backend::Postgres) => database_url.to_owned(),
        _ => format!("sqlite://{}?mode=ro", data_dir.join(DATABASE).display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_files_a_backup_holds_may_be_restored() {
        for name in [
            "mamori.db",
            "secrets.key",
            "audit-checkpoint.txt",
            "catalogs/r8-medical.yaml",
            "MANIFEST.sha256",
            "access-log-signing.key",
            "access-logs/1/checkpoint",
            "access-logs/12/tile/entries/x001/000.p/5",
            "access-logs/3/tile/0/000",
            "access-logs/unassigned/checkpoint",
        ] {
            assert!(allowed(name), "{name}");
        }
        for name in [
            "../etc/passwd",
            "catalogs/../x",
            "catalogs/.hidden",
            "other.db",
            "catalogs/a/b",
            "access-logs/1/lock",
            "access-logs/1/.checkpoint.next",
            "access-logs/x/checkpoint",
            "access-logs/1/tile/../../../x",
            "access-logs/1",
        ] {
            assert!(!allowed(name), "{name}");
        }
        assert_eq!(
            inner_name(Path::new("mamori-backup/mamori.db")).as_deref(),
            Some("mamori.db")
        );
        assert_eq!(inner_name(Path::new("/mamori-backup/mamori.db")), None);
        assert_eq!(inner_name(Path::new("mamori-backup/../x")), None);
        assert_eq!(inner_name(Path::new("elsewhere/mamori.db")), None);
    }

    #[test]
    fn a_short_passphrase_is_refused_for_a_new_backup() {
        assert!(Key::new_passphrase("short".into()).is_err());
        assert!(Key::new_passphrase("a long enough passphrase".into()).is_ok());
    }
}

/// mamori's own backup taken by `mamori serve` on a schedule (`--backup-dir`,
/// `--backup-every`): each run is recorded in every institution's backup
/// register on mamori's own line, so it shows on the dashboard like any other.
#[derive(Clone)]
pub struct Schedule {
    /// The folder the backups go to.
    pub dir: PathBuf,
    /// How often.
    pub every: std::time::Duration,
    /// How many generations to keep.
    pub retention: Retention,
    /// Passphrase or recipients.
    pub key: std::sync::Arc<Key>,
}

/// The first scheduled backup runs this long after the server starts (so a
/// restart never skips one for a whole period); the next ones every period.
const FIRST_RUN_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs `schedule` until the task is aborted: a backup, then its record.
pub async fn keep_backing_up(
    store: Store,
    schedule: Schedule,
    data_dir: PathBuf,
    database_url: String,
) {
    tokio::time::sleep(FIRST_RUN_AFTER).await;
    loop {
        let started_at = jiff::Timestamp::now();
        let outcome = backup(&BackupPlan {
            data_dir: &data_dir,
            database_url: &database_url,
            target: &schedule.dir,
            retention: schedule.retention,
            key: &schedule.key,
            now: started_at,
        })
        .await;
        let finished_at = jiff::Timestamp::now();
        let (name, message);
        let result = match &outcome {
            Ok(report) => {
                name = report
                    .file
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                tracing::info!(file = %report.file.display(), bytes = report.bytes, "scheduled backup taken");
                Ok((name.as_str(), report.bytes))
            }
            Err(error) => {
                message = format!("{error:#}");
                tracing::error!(error = %message, "the scheduled backup failed");
                Err(message.as_str())
            }
        };
        let line = mamori_domain::continuity::own_backup_line(
            schedule.every,
            schedule.retention,
            &schedule.dir.display().to_string(),
        );
        let day = finished_at.to_zoned_datetime(mamori_web::tokyo()).date();
        let run = mamori_store::backup_register::OwnRun {
            started_at,
            finished_at,
            day,
            result,
            line: &line,
        };
        if let Err(error) = mamori_store::backup_register::record_own_run(&store, &run).await {
            tracing::error!(%error, "could not record the scheduled backup in the register");
        }
        tokio::time::sleep(schedule.every).await;
    }
}
