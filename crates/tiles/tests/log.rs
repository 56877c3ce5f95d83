//! The tiled log through its public surface: files in a folder, appended,
//! reopened, tampered with, and verified.

use std::fs;
use std::path::Path;

use ed25519_dalek::SigningKey;
use mamori_tiles::{Error, TILE_WIDTH, TileLog, VerifyError, bundle_path, tile_path, verify};
use mamori_tlog::{leaf_hash, root};

const ORIGIN: &str = "mamori.test/access-log/1";
const KEY: &str = "mamori.test";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn entry(i: u64) -> Vec<u8> {
    format!(
        "{{\"n\":{i},\"raw\":\"<38>sshd[1]: Failed password for root from 192.0.2.{}\"}}",
        i % 250
    )
    .into_bytes()
}

fn open(dir: &Path) -> TileLog {
    TileLog::open(dir, ORIGIN, KEY, key()).expect("the log opens")
}

fn check(dir: &Path) -> Result<mamori_tiles::Verified, VerifyError> {
    verify(dir, ORIGIN, KEY, &key().verifying_key(), None)
}

/// A log of `n` entries appended in uneven batches (those of 5,000, a run
/// of whole bundles, written on more than one thread).
fn filled(dir: &Path, n: u64) -> TileLog {
    let mut log = open(dir);
    let mut next = 0;
    for batch in [1u64, 254, 3, 300, 1000, 5000].iter().cycle() {
        if next >= n {
            break;
        }
        let end = (next + batch).min(n);
        let entries: Vec<Vec<u8>> = (next..end).map(entry).collect();
        assert_eq!(log.append(&entries).expect("append"), next);
        next = end;
    }
    log
}

fn all_bundle_files(dir: &Path, n: u64) -> Vec<std::path::PathBuf> {
    (0..n.div_ceil(TILE_WIDTH))
        .map(|i| dir.join(bundle_path(i, (n - i * TILE_WIDTH).min(TILE_WIDTH))))
        .collect()
}

#[test]
fn appends_reopen_and_verify_to_the_tree_head_of_every_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = 66_000; // past one full level-1 tile (65,536 entries)
    let log = filled(dir.path(), n);
    let leaves: Vec<_> = (0..n).map(|i| leaf_hash(&entry(i))).collect();
    assert_eq!(log.size(), n);
    assert_eq!(log.root(), root(&leaves));
    drop(log);

    // Reopened, it goes on from the signed size.
    let mut log = open(dir.path());
    assert_eq!(log.size(), n);
    assert_eq!(log.append(&[entry(n)]).expect("append"), n);
    let verified = check(dir.path()).expect("verifies");
    assert_eq!(verified.size, n + 1);
    assert_eq!(verified.checked, n + 1);
    assert!(verified.archived.is_empty());
    let mut leaves = leaves;
    leaves.push(leaf_hash(&entry(n)));
    assert_eq!(verified.root, root(&leaves));

    // The folder is laid out as C2SP tlog-tiles, superseded partials pruned.
    assert!(dir.path().join("tile/entries/000").is_file());
    assert!(dir.path().join("tile/1/000").is_file());
    assert!(dir.path().join(bundle_path(257, 209)).is_file());
    assert!(!dir.path().join(bundle_path(257, 208)).exists());
    assert!(dir.path().join(tile_path(1, 1, 1)).is_file());
    let text = fs::read_to_string(dir.path().join("checkpoint")).expect("checkpoint");
    assert!(text.starts_with(&format!("{ORIGIN}\n66001\n")), "{text}");
}

#[test]
fn an_edited_removed_or_reordered_entry_and_a_cut_bundle_are_each_caught() {
    let n = 600;
    let fresh = || {
        let dir = tempfile::tempdir().expect("temp dir");
        filled(dir.path(), n);
        check(dir.path()).expect("verifies before tampering");
        dir
    };
    let second_bundle = |dir: &Path| dir.join(bundle_path(1, TILE_WIDTH));

    // Edited: one byte of entry 300 (bundle 1, entry 44).
    let dir = fresh();
    let path = second_bundle(dir.path());
    let mut bytes = fs::read(&path).expect("bundle");
    let text = String::from_utf8(bytes.clone()).expect("ascii");
    let at = text.find("\"n\":300").expect("entry 300") + 5;
    bytes[at] = b'9';
    fs::write(&path, &bytes).expect("edit");
    assert_eq!(
        check(dir.path()),
        Err(VerifyError::EntryMismatch { index: 300 })
    );

    // Reordered: entries 256 and 257 swapped.
    let dir = fresh();
    let path = second_bundle(dir.path());
    let bytes = fs::read(&path).expect("bundle");
    let (a, b) = (entry(256), entry(257));
    let mut swapped = Vec::new();
    for e in [&b, &a] {
        swapped.extend_from_slice(&(e.len() as u16).to_be_bytes());
        swapped.extend_from_slice(e);
    }
    let cut = 4 + a.len() + b.len();
    swapped.extend_from_slice(&bytes[cut..]);
    assert_eq!(swapped.len(), bytes.len());
    fs::write(&path, &swapped).expect("reorder");
    assert_eq!(
        check(dir.path()),
        Err(VerifyError::EntryMismatch { index: 256 })
    );

    // Removed: entry 256 dropped from its bundle.
    let dir = fresh();
    let path = second_bundle(dir.path());
    let bytes = fs::read(&path).expect("bundle");
    fs::write(&path, &bytes[2 + entry(256).len()..]).expect("remove");
    assert!(
        matches!(check(dir.path()), Err(VerifyError::BadBundle { reason, .. }) if reason.contains("255 entries"))
    );

    // Cut short: the last bundle loses its last byte.
    let dir = fresh();
    let path = all_bundle_files(dir.path(), n).pop().expect("a bundle");
    let bytes = fs::read(&path).expect("bundle");
    fs::write(&path, &bytes[..bytes.len() - 1]).expect("truncate");
    assert!(matches!(
        check(dir.path()),
        Err(VerifyError::BadBundle { .. })
    ));

    // An entry edited together with its level-0 tile: the tile above gives it away.
    let dir = fresh();
    let path = second_bundle(dir.path());
    let mut bytes = fs::read(&path).expect("bundle");
    bytes[2] ^= 1; // first byte of entry 256
    let entries = mamori_tiles::parse_bundle(&bytes).expect("still well formed");
    let mut tile = Vec::new();
    for e in entries {
        tile.extend_from_slice(leaf_hash(e).as_bytes());
    }
    fs::write(&path, &bytes).expect("edit");
    fs::write(dir.path().join(tile_path(0, 1, TILE_WIDTH)), tile).expect("edit tile");
    assert_eq!(
        check(dir.path()),
        Err(VerifyError::TileMismatch {
            path: "tile/1/000.p/2".to_owned()
        })
    );

    // A checkpoint signed by another key, and none at all.
    let dir = fresh();
    let other = SigningKey::from_bytes(&[8; 32]);
    let forged = mamori_tlog::Checkpoint {
        origin: ORIGIN.to_owned(),
        size: 10,
        root: leaf_hash(b"x"),
    }
    .sign(KEY, &other)
    .expect("sign");
    fs::write(dir.path().join("checkpoint"), forged).expect("forge");
    assert!(matches!(check(dir.path()), Err(VerifyError::Checkpoint(_))));
    assert!(matches!(
        TileLog::open(dir.path(), ORIGIN, KEY, key()),
        Err(Error::Damaged { .. })
    ));
    fs::remove_file(dir.path().join("checkpoint")).expect("remove");
    assert!(matches!(check(dir.path()), Err(VerifyError::Checkpoint(_))));
    // Without its checkpoint the writer refuses to start over the entries.
    assert!(matches!(
        TileLog::open(dir.path(), ORIGIN, KEY, key()),
        Err(Error::Damaged { .. })
    ));
}

#[test]
fn bundles_moved_to_an_archive_leave_the_rest_verifiable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = tempfile::tempdir().expect("archive dir");
    let n = 1000;
    filled(dir.path(), n);
    for index in 0..2 {
        let relative = bundle_path(index, TILE_WIDTH);
        let target = archive.path().join(&relative);
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::rename(dir.path().join(&relative), &target).expect("move");
    }
    let verified = check(dir.path()).expect("the rest verifies");
    assert_eq!(verified.archived, vec![0..512]);
    assert_eq!(verified.checked, n - 512);

    let verified = verify(
        dir.path(),
        ORIGIN,
        KEY,
        &key().verifying_key(),
        Some(archive.path()),
    )
    .expect("with the archive, all verifies");
    assert_eq!((verified.checked, verified.archived.len()), (n, 0));

    // An archived bundle that was edited is caught when the archive is given.
    let path = archive.path().join(bundle_path(0, TILE_WIDTH));
    let mut bytes = fs::read(&path).expect("bundle");
    bytes[5] ^= 1;
    fs::write(&path, bytes).expect("edit");
    assert_eq!(
        verify(
            dir.path(),
            ORIGIN,
            KEY,
            &key().verifying_key(),
            Some(archive.path())
        ),
        Err(VerifyError::EntryMismatch { index: 0 })
    );

    // The writer goes on appending after bundles were archived.
    let mut log = open(dir.path());
    log.append(&[entry(n)]).expect("append");
    assert_eq!(check(dir.path()).expect("verifies").size, n + 1);
}

#[test]
fn an_interrupted_append_leaves_the_last_checkpoint_and_a_refused_batch_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = filled(dir.path(), 300);
    let before = log.root();
    // A crash after the bundle and tiles of a next batch were written but
    // before its checkpoint: files beyond the checkpoint, ignored and overwritten.
    let mut junk = Vec::new();
    for i in 300..316 {
        mamori_tiles::encode_entry(&mut junk, &entry(i + 1000)).expect("short");
    }
    let stray = dir.path().join(bundle_path(1, 60));
    fs::write(&stray, &junk).expect("stray partial bundle");
    drop(log);
    let mut log = open(dir.path());
    assert_eq!((log.size(), log.root()), (300, before));

    let too_long = vec![b'a'; mamori_tiles::MAX_ENTRY_LEN + 1];
    assert!(matches!(
        log.append(&[entry(300), too_long]),
        Err(Error::EntryTooLong { len }) if len == mamori_tiles::MAX_ENTRY_LEN + 1
    ));
    assert_eq!(log.size(), 300);

    let entries: Vec<Vec<u8>> = (300..310).map(entry).collect();
    log.append(&entries).expect("append");
    let verified = check(dir.path()).expect("verifies");
    assert_eq!(verified.size, 310);
    assert!(!stray.exists(), "the stray partial was pruned");
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = open(dir.path());
    assert!(matches!(
        TileLog::open(dir.path(), ORIGIN, KEY, key()),
        Err(Error::Busy { .. })
    ));
    drop(first);
    open(dir.path());
}

#[test]
fn committed_entries_read_back_in_order_across_bundles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = filled(dir.path(), 600);
    let read = log.read(250..520).expect("read");
    assert_eq!(read, (250..520).map(entry).collect::<Vec<_>>());
    assert_eq!(log.read(590..700).expect("read").len(), 10);
    assert!(log.read(600..700).expect("read").is_empty());
}

#[test]
fn appends_begun_while_the_one_before_is_synced_commit_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = open(dir.path());
    let mut next = 0;
    for batch in [1u64, 254, 3, 300, 1000, 5000, 256, 7] {
        let entries: Vec<Vec<u8>> = (next..next + batch).map(entry).collect();
        assert_eq!(log.begin_append(&entries).expect("begun"), next);
        // What is committed lags at most the append just begun.
        assert!(log.size() <= next, "{} > {next}", log.size());
        next += batch;
    }
    assert_eq!(log.finish().expect("committed"), next);
    assert_eq!(
        log.read(0..next).expect("read"),
        (0..next).map(entry).collect::<Vec<_>>()
    );
    // One more begun and the log dropped: the drop commits it.
    let last: Vec<Vec<u8>> = (next..next + 10).map(entry).collect();
    log.begin_append(&last).expect("begun");
    drop(log);
    let log = open(dir.path());
    assert_eq!(log.size(), next + 10);
    let leaves: Vec<_> = (0..next + 10).map(|i| leaf_hash(&entry(i))).collect();
    assert_eq!(log.root(), root(&leaves));
    assert_eq!(check(dir.path()).expect("verifies").size, next + 10);
}

#[test]
fn a_commit_that_fails_in_the_background_fails_the_next_append_and_the_log_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = filled(dir.path(), 300);
    let committed = fs::read(dir.path().join("checkpoint")).expect("checkpoint");
    // The checkpoint cannot be put in place: a folder holds its name.
    fs::remove_file(dir.path().join("checkpoint")).expect("remove");
    fs::create_dir(dir.path().join("checkpoint")).expect("folder");
    fs::write(dir.path().join("checkpoint").join("x"), b"x").expect("inside");
    let failing: Vec<Vec<u8>> = (300..310).map(|i| entry(i + 1000)).collect();
    assert_eq!(
        log.begin_append(&failing).expect("its files are written"),
        300
    );
    let after: Vec<Vec<u8>> = (300..320).map(entry).collect();
    assert!(
        log.begin_append(&after).is_err(),
        "the commit before failed, so this append is refused"
    );
    assert_eq!(log.size(), 300, "nothing of either is committed");
    // Once the checkpoint can be written again, the log goes on from 300.
    fs::remove_dir_all(dir.path().join("checkpoint")).expect("remove the folder");
    fs::write(dir.path().join("checkpoint"), committed).expect("restore");
    assert_eq!(log.append(&after).expect("appended"), 300);
    drop(log);
    let log = open(dir.path());
    assert_eq!(
        log.read(290..320).expect("read"),
        (290..320).map(entry).collect::<Vec<_>>()
    );
    assert_eq!(check(dir.path()).expect("verifies").size, 320);
}

#[test]
fn one_long_append_written_in_segments_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = filled(dir.path(), 100);
    // 40,000 entries from 100: the open bundle completed, 155 whole
    // bundles (written 64 at a time, a sync started after each), a tail.
    let entries: Vec<Vec<u8>> = (100..40_100).map(entry).collect();
    assert_eq!(log.append(&entries).expect("appended"), 100);
    drop(log);
    let log = open(dir.path());
    let leaves: Vec<_> = (0..40_100).map(|i| leaf_hash(&entry(i))).collect();
    assert_eq!((log.size(), log.root()), (40_100, root(&leaves)));
    assert_eq!(
        log.read(16_380..16_400).expect("read"),
        (16_380..16_400).map(entry).collect::<Vec<_>>()
    );
    assert_eq!(check(dir.path()).expect("verifies").size, 40_100);
}

#[test]
fn parts_written_ahead_are_committed_together_or_not_at_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = filled(dir.path(), 100);
    let before = log.root();
    // Parts of uneven length written ahead (one completes the open bundle,
    // one is whole bundles, one ends mid-bundle), then dropped: nothing of
    // them is appended, and the log goes on from 100.
    let mut next = 100;
    for part in [200u64, 1_000, 37] {
        let entries: Vec<Vec<u8>> = (next..next + part).map(|i| entry(i + 9_000)).collect();
        assert_eq!(log.write_ahead(&entries).expect("written"), next);
        assert_eq!(log.size(), 100, "nothing written ahead is committed");
        next += part;
    }
    drop(log);
    let mut log = open(dir.path());
    assert_eq!((log.size(), log.root()), (100, before));
    assert_eq!(check(dir.path()).expect("verifies").size, 100);

    // Written ahead in parts and committed at once: the same log as one append.
    let mut next = 100;
    for part in [156u64, 3, 2_000, 256, 41] {
        let entries: Vec<Vec<u8>> = (next..next + part).map(entry).collect();
        assert_eq!(log.write_ahead(&entries).expect("written"), next);
        next += part;
    }
    assert_eq!(log.size(), 100);
    assert_eq!(log.commit().expect("committed"), next);
    let leaves: Vec<_> = (0..next).map(|i| leaf_hash(&entry(i))).collect();
    assert_eq!(log.root(), root(&leaves));

    // A part refused after one written ahead: neither is appended, and
    // the next append follows what is committed.
    let good: Vec<Vec<u8>> = (next..next + 300).map(|i| entry(i + 9_000)).collect();
    log.write_ahead(&good).expect("written");
    let too_long = vec![b'a'; mamori_tiles::MAX_ENTRY_LEN + 1];
    assert!(matches!(
        log.write_ahead(&[entry(0), too_long]),
        Err(Error::EntryTooLong { .. })
    ));
    assert_eq!(log.commit().expect("nothing to commit"), next);
    let last: Vec<Vec<u8>> = (next..next + 10).map(entry).collect();
    assert_eq!(log.append(&last).expect("appended"), next);
    drop(log);
    let log = open(dir.path());
    assert_eq!(
        log.read(next - 5..next + 10).expect("read"),
        (next - 5..next + 10).map(entry).collect::<Vec<_>>()
    );
    assert_eq!(check(dir.path()).expect("verifies").size, next + 10);
}

#[test]
fn batches_appended_while_a_commit_runs_are_committed_together_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut log = open(dir.path());
    let mut next = 0;
    let mut sizes = Vec::new();
    for batch in [1u64, 254, 3, 300, 1000, 5000, 256, 7, 2_000, 11] {
        let entries: Vec<Vec<u8>> = (next..next + batch).map(entry).collect();
        assert_eq!(log.append_grouped(&entries).expect("appended"), next);
        next += batch;
        // What is committed never runs ahead of what was appended, and
        // only ever grows, at a batch's end.
        let size = log.size();
        assert!(size <= next, "{size} > {next}");
        sizes.push(size);
    }
    assert!(sizes.windows(2).all(|pair| pair[0] <= pair[1]), "{sizes:?}");
    assert_eq!(log.commit().expect("committed"), next);
    assert_eq!(
        log.read(0..next).expect("read"),
        (0..next).map(entry).collect::<Vec<_>>()
    );
    // Two more and the log dropped without a commit: the first is begun
    // at once (nothing was in flight) and the drop commits it; the second
    // is committed only if that commit was done when it came, else it was
    // only written ahead and is not appended. Either way the log opens at
    // a batch's end.
    for batch in [next..next + 10, next + 10..next + 20] {
        let entries: Vec<Vec<u8>> = batch.map(entry).collect();
        log.append_grouped(&entries).expect("appended");
    }
    drop(log);
    let log = open(dir.path());
    let size = log.size();
    assert!([next + 10, next + 20].contains(&size), "{size}");
    let leaves: Vec<_> = (0..size).map(|i| leaf_hash(&entry(i))).collect();
    assert_eq!(log.root(), root(&leaves));
    assert_eq!(check(dir.path()).expect("verifies").size, size);
}

#[test]
fn a_partial_tile_the_checkpoint_has_already_is_not_written_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 66,000 entries: level 2 holds one hash (the first 65,536 entries),
    // and appending a few more does not change it.
    let mut log = filled(dir.path(), 66_000);
    let level_2 = dir.path().join(tile_path(2, 0, 1));
    let written = fs::metadata(&level_2).expect("the level-2 partial tile");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let more: Vec<Vec<u8>> = (66_000..66_010).map(entry).collect();
    log.append(&more).expect("appended");
    let after = fs::metadata(&level_2).expect("still there");
    assert_eq!(
        (written.modified().ok(), written.len()),
        (after.modified().ok(), after.len()),
        "not written again"
    );
    drop(log);
    assert_eq!(check(dir.path()).expect("verifies").size, 66_010);
}
