//! The data folder: private to the account that runs mamori (the folder 0700,
//! the database and key files 0600, whatever the umask), and the key that seals
//! secrets at rest.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use mamori_store::SecretKey;

/// The file that holds the key sealing TOTP secrets in the database.
const SECRETS_KEY_FILE: &str = "secrets.key";

/// Creates the data folder (or tightens an existing one) so that only its owner
/// can read it, and does the same for an SQLite database inside or named by
/// `database_url`: a new database file is created empty with 0600 before
/// SQLite opens it, so it is never readable by others, and SQLite gives its
/// journal files the database file's mode.
pub fn prepare(data_dir: &Path, database_url: &str) -> anyhow::Result<()> {
    if data_dir.exists() && !data_dir.is_dir() {
        anyhow::bail!("the data folder {} is not a folder", data_dir.display());
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;
    restrict(data_dir, 0o700)?;
    if let Some(database) = sqlite_path(database_url) {
        if !database.exists() {
            create_private(&database)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", database.display()));
            if path.exists() {
                restrict(&path, 0o600)?;
            }
        }
    }
    Ok(())
}

/// The file of an `sqlite://` URL, without its query.
fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn create_private(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => {
            Err(error).with_context(|| format!("cannot create the database {}", path.display()))
        }
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if current & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

/// The key that seals secrets in the database, created (0600) the first time.
pub fn secrets_key(data_dir: &Path) -> anyhow::Result<SecretKey> {
    let path = data_dir.join(SECRETS_KEY_FILE);
    if !path.exists() {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        let encoded = base64::engine::general_purpose::STANDARD.encode(seed);
        crate::audit::write_private(&path, &format!("{encoded}\n"))
            .with_context(|| format!("cannot create the secrets key {}", path.display()))?;
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the secrets key {}", path.display()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .with_context(|| format!("the secrets key {} is malformed", path.display()))?;
    Ok(SecretKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///srv/mamori/mamori.db?mode=rwc"),
            Some(PathBuf::from("/srv/mamori/mamori.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
