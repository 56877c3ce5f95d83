//! Durable file writes: a temporary name, sync, rename, sync of the folder.

use std::fs::{self, File};
use std::path::Path;

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

/// Writes `bytes` to `path`, creating its folders, without syncing: for
/// files that no checkpoint refers to yet, synced by [`sync_filesystem`]
/// before the checkpoint that will.
pub(crate) fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    fs::write(path, bytes).map_err(io(path))
}

/// Syncs everything written to the filesystem that holds `dir` (one
/// `syncfs`: one journal commit for all the files of an append, where a
/// sync per file would cost one each).
pub(crate) fn sync_filesystem(dir: &Path) -> Result<(), Error> {
    let folder = File::open(dir).map_err(io(dir))?;
    rustix::fs::syncfs(&folder).map_err(|err| Error::Io {
        path: dir.to_path_buf(),
        source: err.into(),
    })
}

/// Renames `from` to `to` and syncs the folder, so the rename survives a crash.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> Result<(), Error> {
    fs::rename(from, to).map_err(io(to))?;
    sync_dir(to.parent().unwrap_or(Path::new(".")))
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
