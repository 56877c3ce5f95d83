//! Append and verify against the raw rate of the same disk, in one run.
//!
//! `cargo bench -p mamori-tiles --bench tiles` (release). Environment:
//! `BENCH_ENTRIES` (default 1,000,000), `BENCH_BATCH` entries per append
//! (default 1,000), `BENCH_DIR` the folder to write in (default a temporary
//! folder under the system's). Entries are syslog-like lines of about 200 bytes.
//!
//! - append: `TileLog::append` of every batch (bundles, tiles, signed
//!   checkpoint, each synced) against writing the same length-prefixed bytes
//!   to one file with one `fsync` per batch;
//! - verify: `verify` of the whole folder against reading the same bundle
//!   files and SHA-256 over their bytes.

use std::fs::OpenOptions;
use std::io::Write;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use mamori_tiles::{TILE_WIDTH, TileLog, bundle_path, encode_entry, verify};
use sha2::{Digest, Sha256};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn entry(i: u64) -> Vec<u8> {
    format!(
        "{{\"received\":\"2026-12-06T02:{:02}:{:02}Z\",\"via\":\"syslog-tcp 192.0.2.1\",\"raw\":\"<38>Dec  6 11:{:02}:{:02} rtx1210 [IKE] IKE SA established, ID {i}, peer 198.51.100.{}\"}}",
        (i / 60) % 60,
        i % 60,
        (i / 60) % 60,
        i % 60,
        i % 250
    )
    .into_bytes()
}

fn mib_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / time.as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = env_number("BENCH_ENTRIES", 1_000_000);
    let batch = env_number("BENCH_BATCH", 1000).max(1) as usize;
    let base = match std::env::var_os("BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir)?,
        None => tempfile::tempdir()?,
    };
    let entries: Vec<Vec<u8>> = (0..n).map(entry).collect();
    let payload: u64 = entries.iter().map(|e| e.len() as u64 + 2).sum();
    println!(
        "{n} entries, {:.1} MiB with length prefixes, {batch} per append, in {}",
        payload as f64 / 1048576.0,
        base.path().display()
    );

    // Raw append: the same bytes, one file, one fsync per batch.
    let mut raw = OpenOptions::new()
        .create(true)
        .append(true)
        .open(base.path().join("raw.bin"))?;
    let started = Instant::now();
    for chunk in entries.chunks(batch) {
        let mut bytes = Vec::new();
        for e in chunk {
            encode_entry(&mut bytes, e)?;
        }
        raw.write_all(&bytes)?;
        raw.sync_data()?;
    }
    let raw_append = started.elapsed();
    drop(raw);

    // The tiled log, the same batches.
    let dir = base.path().join("log");
    let key = SigningKey::from_bytes(&[42; 32]);
    let mut log = TileLog::open(&dir, "bench/access-log", "bench", key.clone())?;
    let started = Instant::now();
    for chunk in entries.chunks(batch) {
        log.append(chunk)?;
    }
    let tiled_append = started.elapsed();
    drop(entries);

    // Raw SHA-256 over the bundle files, then verify; each twice, alternating,
    // the better of two kept (both read from the page cache after the first).
    let bundles: Vec<_> = (0..n.div_ceil(TILE_WIDTH))
        .map(|i| dir.join(bundle_path(i, (n - i * TILE_WIDTH).min(TILE_WIDTH))))
        .collect();
    let mut raw_hash = Duration::MAX;
    let mut tiled_verify = Duration::MAX;
    for _ in 0..2 {
        let started = Instant::now();
        let mut hashed = 0u64;
        for path in &bundles {
            let bytes = std::fs::read(path)?;
            hashed += bytes.len() as u64;
            std::hint::black_box(Sha256::digest(&bytes));
        }
        raw_hash = raw_hash.min(started.elapsed());
        assert_eq!(hashed, payload);

        let started = Instant::now();
        let verified = verify(
            &dir,
            "bench/access-log",
            "bench",
            &key.verifying_key(),
            None,
        )?;
        tiled_verify = tiled_verify.min(started.elapsed());
        assert_eq!((verified.size, verified.checked), (n, n));
    }

    println!("| measure | mamori-tiles | raw, same disk | ratio (target) |");
    println!("|---|---|---|---|");
    println!(
        "| append, {batch} per batch | {:.0} entries/s ({:.1} MiB/s) | {:.0} entries/s ({:.1} MiB/s) | {:.2} (≥ 0.5) |",
        n as f64 / tiled_append.as_secs_f64(),
        mib_per_s(payload, tiled_append),
        n as f64 / raw_append.as_secs_f64(),
        mib_per_s(payload, raw_append),
        raw_append.as_secs_f64() / tiled_append.as_secs_f64()
    );
    println!(
        "| verify | {:.1} MiB/s ({:.2} s) | SHA-256 {:.1} MiB/s ({:.2} s) | {:.2} (≥ 0.7) |",
        mib_per_s(payload, tiled_verify),
        tiled_verify.as_secs_f64(),
        mib_per_s(payload, raw_hash),
        raw_hash.as_secs_f64(),
        raw_hash.as_secs_f64() / tiled_verify.as_secs_f64()
    );
    Ok(())
}
