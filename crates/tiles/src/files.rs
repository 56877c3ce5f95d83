//! Durable file writes: a temporary name, sync, rename, sync of the folder.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Syncs a folder, so that a rename or a new file in it survives a crash.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|file| file.sync_all())
        .map_err(io(dir))
}

/// Writes `bytes` to `path` so that after a crash the file holds either its
/// old content or all of `bytes`, never part of them.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io(dir))?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
    }
    let mut temp = PathBuf::from(path);
    let name = path
        .file_name()
        .map(|name| format!(".{}.tmp", name.to_string_lossy()))
        .unwrap_or_else(|| ".tmp".to_owned());
    temp.set_file_name(name);
    let mut file = File::create(&temp).map_err(io(&temp))?;
    file.write_all(bytes).map_err(io(&temp))?;
    file.sync_all().map_err(io(&temp))?;
    drop(file);
    fs::rename(&temp, path).map_err(io(path))?;
    sync_dir(dir)
}

/// Reads a file, telling "not there" (`None`) from a failure.
pub(crate) fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Removes the partial versions of a tile or bundle (`<N>.p/*`) other than
/// `keep`, and the `.p` folder when nothing is left in it.
pub(crate) fn prune_partials(full_path: &Path, keep: Option<&Path>) {
    let Some(name) = full_path.file_name() else {
        return;
    };
    let partials = full_path.with_file_name(format!("{}.p", name.to_string_lossy()));
    let Ok(listing) = fs::read_dir(&partials) else {
        return;
    };
    for item in listing.flatten() {
        let path = item.path();
        if Some(path.as_path()) != keep {
            // Best effort: a stale partial file is never read again.
            let _ = fs::remove_file(&path);
        }
    }
    let _ = fs::remove_dir(&partials);
}
