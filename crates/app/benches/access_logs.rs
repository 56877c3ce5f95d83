//! Benchmark (not a test) of issue #14, item 8, each measured as a ratio in
//! the same run:
//!
//! 1. the raw append rate of the storage: the very entries an import or
//!    the TCP ingest put in the log (read back from its bundles), appended
//!    to one file with one `fdatasync` per batch (one batch for the import,
//!    the receivers' batch for TCP), on the same disk;
//! 2. a file import (`mamori::access_logs::import_file`: parse, append to
//!    the tiled log, record and audit; then the index, timed apart) against
//!    it — target ≥ 0.5;
//! 3. sustained ingest over TCP syslog (a client sending 500,000
//!    octet-counted RFC 5424 lines, framed before the clock starts, to
//!    `serve --syslog-tcp`, until every line is in the log; then how long
//!    until every line is indexed) against it — target ≥ 0.5;
//! 4. memory while a flood of 10× the lines arrives over TCP (back-pressure)
//!    and UDP (counted drops): the process's peak resident memory;
//! 5. search by user and one day over 10 million indexed events, p99 of
//!    200 searches — target < 200 ms.
//!
//! `BENCH_DIR=/work/benchfs cargo bench -p mamori --bench access_logs`
//! (SQLite; `TEST_DATABASE_URL=postgres://…` for PostgreSQL). `EVENTS`
//! sets the 10 million; `INGEST_ONLY=1` stops after 1–3 (for profiling);
//! `ROUNDS` (default 3) repeats 1–3, each round measuring the plain file
//! again right after its import and its TCP ingest, and reports the median.

#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use std::io::Write as _;
use std::time::{Duration, Instant};

use mamori::{Application, Config};
use mamori_domain::access_log::source::{NewLogSource, RawLogSource};
use mamori_domain::institution::{
    PasswordPolicy, PlainPassword, Principal, Role, hash_password, permissions,
};
use mamori_store::access_log::{Acting, Search};
use mamori_store::testing::TestDatabase;
use tokio::io::AsyncWriteExt;

/// Lines per file import.
const LINES: usize = 200_000;
/// Lines sent over TCP per round: sustained ingest, so that the pipeline's
/// start (the first batch filling) and end (the last batch written after
/// the last line came) are a small part of the time.
const TCP_LINES: usize = 500_000;
/// Searches timed over the large index.
const SEARCHES: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// One RFC 5424 sshd line, `n` making it distinct.
fn line(n: usize) -> String {
    format!(
        "<86>1 2026-11-{:02}T{:02}:{:02}:{:02}+09:00 srv1 sshd 811 - - Failed password for user{} from 192.0.2.{} port {} ssh2",
        1 + n % 28,
        n / 3600 % 24,
        n / 60 % 60,
        n % 60,
        n % 1000,
        n % 250,
        1024 + n % 60000
    )
}

/// The peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn folder() -> tempfile::TempDir {
    match std::env::var("BENCH_DIR") {
        Ok(dir) => tempfile::tempdir_in(dir).expect("temp dir in BENCH_DIR"),
        Err(_) => tempfile::tempdir().expect("temp dir"),
    }
}

/// Raw append: the entries' bytes, length-prefixed, to one file, synced per batch.
fn raw_append(entries: &[Vec<u8>], batch: usize) -> f64 {
    let dir = folder();
    let mut file = std::fs::File::create(dir.path().join("raw")).expect("create");
    let started = Instant::now();
    for chunk in entries.chunks(batch) {
        let mut bytes = Vec::new();
        for entry in chunk {
            bytes.extend_from_slice(&(entry.len() as u16).to_be_bytes());
            bytes.extend_from_slice(entry);
        }
        file.write_all(&bytes).expect("write");
        file.sync_data().expect("sync");
    }
    entries.len() as f64 / started.elapsed().as_secs_f64()
}

/// The same entries appended to the storage itself: a fresh tiled log
/// (bundles, tiles, signed checkpoint, synced), `batch` entries an append,
/// each written while the commit before is synced and committed with the
/// others written meanwhile (`TileLog::append_grouped`, as the receivers'
/// writer appends), all committed before the clock stops.
/// The folder is returned, kept until the run ends: on a filesystem
/// without a journal, ext4 scans the inodes freed in the last 30 s on
/// every file it creates, so deleting it would slow what follows.
fn tiled_append(entries: &[Vec<u8>], batch: usize) -> (f64, tempfile::TempDir) {
    let dir = folder();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let mut log = mamori_tiles::TileLog::open(dir.path(), "bench", "bench", key).expect("open");
    let started = Instant::now();
    for chunk in entries.chunks(batch) {
        log.append_grouped(chunk).expect("append");
    }
    log.commit().expect("committed");
    (entries.len() as f64 / started.elapsed().as_secs_f64(), dir)
}

async fn run() {
    let database = TestDatabase::create().await;
    let data_dir = folder();
    let backend = common::backend(&database);
    let config = Config {
        receivers: mamori::receivers::ReceiverConfig {
            udp: Some("127.0.0.1:0".parse().expect("udp")),
            tcp: Some("127.0.0.1:0".parse().expect("tcp")),
            tls: None,
            relp: None,
        },
        ..common::config(&database, data_dir.path())
    };
    let application = Application::build(config).await.expect("application");
    let store = application.store().clone();
    let receivers = application.receiver_addresses();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until(async move {
        let _ = stopped.await;
    }));

    // One institution, a security manager, and two sources: a file source
    // and the router that sends from 127.0.0.1.
    let password = PlainPassword::parse_new(
        "correct horse battery staple 7",
        PasswordPolicy::DEFAULT,
        "",
        "",
    )
    .expect("password");
    let hash = hash_password(&password).expect("hash");
    let (institution_id, user_id) =
        common::clinic_with_manager(&store, "ベンチ医院", "admin", &hash).await;
    for (name, senders) in [("file", ""), ("router", "127.0.0.1")] {
        let source = NewLogSource::parse(RawLogSource {
            name,
            kind: "syslog",
            senders,
            ..RawLogSource::default()
        })
        .expect("source");
        mamori_store::access_log::add_source(
            &store,
            &Acting::operator(institution_id),
            &source,
            jiff::Timestamp::now(),
        )
        .await
        .expect("source");
    }
    // 1–3 in rounds (`ROUNDS`, default 3): each round measures the plain
    // file and the tiled log's own append again right after its import and
    // its TCP ingest, so each ratio compares runs seconds apart on this
    // disk, whose rate moves by half between runs. The median round is the
    // result; every round is printed.
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3);
    let tcp = receivers.tcp.expect("the TCP receiver");
    println!(
        "access logs ({backend}), {LINES} lines a file import, {TCP_LINES} over TCP, {rounds} rounds"
    );
    let mut results = Vec::with_capacity(rounds);
    // The tiled logs' folders are kept until the run ends (see `tiled_append`).
    let mut kept = Vec::new();
    for round in 0..rounds {
        // Distinct lines (and so a distinct file) each round: the same file
        // twice would be refused as imported already.
        let lines: Vec<String> = (0..LINES).map(|n| line(n + round * LINES)).collect();
        let tcp_lines: Vec<String> = (0..TCP_LINES)
            .map(|n| line(n + round * TCP_LINES))
            .collect();
        let (result, folders) = ingest_round(
            &store,
            data_dir.path(),
            institution_id,
            tcp,
            [&lines, &tcp_lines],
            round,
        )
        .await;
        kept.extend(folders);
        result.print(round);
        results.push(result);
    }
    let median = |ratio: fn(&Round) -> f64| {
        let mut ratios: Vec<f64> = results.iter().map(ratio).collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    println!(
        "median of {rounds} rounds: file import {:.3} of the plain file ({:.3} of the tiled log's own append); TCP syslog {:.3} of the plain file ({:.3} of the tiled log's own append)",
        median(|r| r.import / r.raw_whole),
        median(|r| r.import / r.tiled_whole),
        median(|r| r.tcp / r.raw_batched),
        median(|r| r.tcp / r.tiled_batched),
    );
    // `logs verify` of everything written so far, against raw SHA-256 over
    // the same bundle files; each twice, alternating, the better kept.
    let (verify_time, raw_hash_time, verified_bytes) =
        verify_against_raw(data_dir.path(), institution_id);
    println!(
        "logs verify: {:.0} MiB/s; raw SHA-256 over the same {:.0} MiB: {:.0} MiB/s; ratio {:.2}",
        verified_bytes as f64 / verify_time.as_secs_f64() / 1048576.0,
        verified_bytes as f64 / 1048576.0,
        verified_bytes as f64 / raw_hash_time.as_secs_f64() / 1048576.0,
        raw_hash_time.as_secs_f64() / verify_time.as_secs_f64()
    );
    if std::env::var_os("INGEST_ONLY").is_some() {
        let _ = stop.send(());
        let _ = server.await;
        return;
    }

    // 4. A flood of 10× the lines over TCP (back-pressure) and UDP (drops),
    // made as they are sent so that the client holds next to nothing.
    let rss_before = peak_rss_mib();
    let flood = LINES * 10;
    let before = mamori_store::access_log::indexed_size(&store, institution_id)
        .await
        .expect("size");
    let started = Instant::now();
    let udp = receivers.udp.expect("the UDP receiver");
    let udp_flood = tokio::task::spawn_blocking(move || {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        for n in 0..flood {
            let _ = socket.send_to(line(n).as_bytes(), udp);
        }
        flood
    });
    send_tcp(tcp, (0..flood).map(line)).await;
    let udp_sent = udp_flood.await.expect("udp flood");
    wait_indexed(&store, institution_id, before + flood as u64).await;
    // The UDP lines kept are written by then; wait until they are indexed
    // too, so the index holds exactly what the log does before it is filled.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let logged = mamori::access_logs::log_size(data_dir.path(), institution_id).expect("size");
    wait_indexed(&store, institution_id, logged).await;
    let after = mamori_store::access_log::indexed_size(&store, institution_id)
        .await
        .expect("size");
    let flood_secs = started.elapsed().as_secs_f64();
    let udp_kept = after - before - flood as u64;
    let rss_peak = peak_rss_mib();

    // 5. 10 million indexed events (1,000 users over a year), searched by
    // user and one day.
    let n_events: u64 = std::env::var("EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000_000);
    let started = Instant::now();
    let first_seq = mamori_store::access_log::indexed_size(&store, institution_id)
        .await
        .expect("size");
    fill_index(&store, institution_id, first_seq, n_events).await;
    let fill_secs = started.elapsed().as_secs_f64();
    let grant = Principal::new(user_id, institution_id, Role::SecurityManager)
        .grant::<permissions::ViewAccessLogs>()
        .expect("a security manager reads the logs");
    let year_start: jiff::Timestamp = "2025-01-01T00:00:00+09:00".parse().expect("time");
    let mut times = Vec::with_capacity(SEARCHES);
    let mut found = 0;
    for n in 0..SEARCHES {
        let day = (n * 37) % 365;
        let from = year_start + jiff::SignedDuration::from_hours(24 * day as i64);
        let search = Search {
            user: Some(format!("staff{}", (n * 7919) % 1000)),
            source_address: None,
            patient_id: None,
            device: None,
            from: Some(from),
            to: Some(from + jiff::SignedDuration::from_hours(24)),
        };
        let started = Instant::now();
        found += mamori_store::access_log::search(&store, &grant, &search, 500)
            .await
            .expect("search")
            .len();
        times.push(started.elapsed());
    }
    times.sort();
    let p50 = times[SEARCHES / 2];
    let p99 = times[SEARCHES * 99 / 100];

    let _ = stop.send(());
    let _ = server.await;
    println!(
        "flood: {flood} lines over TCP and {udp_sent} over UDP at once, in {flood_secs:.1} s; TCP all kept, UDP kept {udp_kept} (dropped {}); peak RSS {rss_before:.0} MiB before the flood (the run so far), {rss_peak:.0} MiB after",
        udp_sent as u64 - udp_kept
    );
    println!(
        "search by user and day over {n_events} events (filled in {fill_secs:.0} s): p50 {:.1} ms, p99 {:.1} ms ({found} events found in {SEARCHES} searches)",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0
    );
}

/// One round of 1–3: rates in entries (events) a second.
struct Round {
    raw_batched: f64,
    raw_whole: f64,
    tiled_batched: f64,
    tiled_whole: f64,
    import: f64,
    import_index: f64,
    tcp: f64,
    tcp_index_lag: Duration,
}

impl Round {
    fn print(&self, round: usize) {
        let batch = mamori::receivers::BATCH;
        println!(
            "round {}: plain file {batch} a batch {:.0} entries/s, one batch {:.0}; tiled log's own append {batch} a batch {:.0}, one batch {:.0}",
            round + 1,
            self.raw_batched,
            self.raw_whole,
            self.tiled_batched,
            self.tiled_whole
        );
        println!(
            "  file import: {:.0} events/s = {:.3} of the plain file (one batch), {:.3} of the tiled log's own append; then indexed at {:.0} events/s",
            self.import,
            self.import / self.raw_whole,
            self.import / self.tiled_whole,
            self.import_index
        );
        println!(
            "  TCP syslog: {:.0} events/s = {:.3} of the plain file ({batch} a batch), {:.3} of the tiled log's own append; all indexed {:.1} s after the last was written",
            self.tcp,
            self.tcp / self.raw_batched,
            self.tcp / self.tiled_batched,
            self.tcp_index_lag.as_secs_f64()
        );
    }
}

/// The entries the institution's log holds at `range`, as its bundle
/// files hold them: the bytes the plain file and the tiled log's own
/// append are given, so that both sides write the same.
fn logged_entries(
    data_dir: &std::path::Path,
    institution_id: mamori_domain::institution::InstitutionId,
    range: std::ops::Range<u64>,
) -> Vec<Vec<u8>> {
    let (_, entries) =
        mamori::access_logs::read_log(data_dir, institution_id, range.clone()).expect("read");
    assert_eq!(entries.len() as u64, range.end - range.start);
    entries
}

/// Syncs the bench's filesystem, so that what the step before wrote is
/// not written back during the next measure.
fn settle(data_dir: &std::path::Path) {
    let folder = std::fs::File::open(data_dir).expect("folder");
    rustix::fs::syncfs(&folder).expect("syncfs");
}

/// One round: a file import of `lines` (one append, then the index); the
/// `tcp_lines` over TCP until every one is in the log (durable: what RELP
/// would acknowledge), then until every one is indexed. After each, the
/// plain file and the tiled log's own append of the very entries it put
/// in the log (read back from its bundles): for the import in one batch,
/// for TCP in the receivers' batches. The tiled logs' folders are returned.
async fn ingest_round(
    store: &mamori_store::Store,
    data_dir: &std::path::Path,
    institution_id: mamori_domain::institution::InstitutionId,
    tcp: std::net::SocketAddr,
    [lines, tcp_lines]: [&[String]; 2],
    round: usize,
) -> (Round, [tempfile::TempDir; 2]) {
    let file = data_dir.join(format!("export-{round}.log"));
    std::fs::write(&file, lines.join("\n")).expect("write the export");
    settle(data_dir);
    let before = mamori::access_logs::log_size(data_dir, institution_id).expect("size");
    let started = Instant::now();
    let report = mamori::access_logs::import_file(store, data_dir, institution_id, "file", &file)
        .await
        .expect("import");
    let import = lines.len() as f64 / started.elapsed().as_secs_f64();
    assert!(
        matches!(report, mamori::access_logs::ImportReport::Imported { events, .. } if events == lines.len() as u64),
        "{report:?}"
    );
    // The index follows the log (`mamori logs import` waits for it).
    let started = Instant::now();
    let indexed = mamori::access_logs::index_pending(store, data_dir, institution_id)
        .await
        .expect("index");
    let import_index = indexed as f64 / started.elapsed().as_secs_f64();
    assert_eq!(indexed, lines.len() as u64);
    let entries = logged_entries(data_dir, institution_id, before..before + indexed);
    settle(data_dir);
    let raw_whole = raw_append(&entries, entries.len());
    let (tiled_whole, whole_dir) = tiled_append(&entries, entries.len());
    drop(entries);

    let before = mamori::access_logs::log_size(data_dir, institution_id).expect("size");
    // The client's frames are made before the clock starts, as the file
    // import's file is written before its clock starts.
    let frames = octet_counted(tcp_lines.iter());
    settle(data_dir);
    let started = Instant::now();
    send_tcp_bytes(tcp, &frames).await;
    wait_logged(data_dir, institution_id, before + tcp_lines.len() as u64).await;
    let tcp_time = started.elapsed();
    let tcp = tcp_lines.len() as f64 / tcp_time.as_secs_f64();
    drop(frames);
    wait_indexed(store, institution_id, before + tcp_lines.len() as u64).await;
    let tcp_index_lag = started.elapsed() - tcp_time;
    let entries = logged_entries(
        data_dir,
        institution_id,
        before..before + tcp_lines.len() as u64,
    );
    settle(data_dir);
    let raw_batched = raw_append(&entries, mamori::receivers::BATCH);
    let (tiled_batched, batched_dir) = tiled_append(&entries, mamori::receivers::BATCH);
    let round = Round {
        raw_batched,
        raw_whole,
        tiled_batched,
        tiled_whole,
        import,
        import_index,
        tcp,
        tcp_index_lag,
    };
    (round, [batched_dir, whole_dir])
}

/// Times `logs verify` of the institution's log and raw SHA-256 over its
/// bundle files (read each time, from the page cache after the first),
/// the better of two runs each.
fn verify_against_raw(
    data_dir: &std::path::Path,
    institution: mamori_domain::institution::InstitutionId,
) -> (Duration, Duration, u64) {
    use sha2::Digest;
    let dir = mamori::access_logs::log_dir(data_dir, institution);
    let (mut verify_time, mut raw_time, mut bytes) = (Duration::MAX, Duration::MAX, 0);
    for _ in 0..2 {
        let started = Instant::now();
        let verified =
            mamori::access_logs::verify(data_dir, institution, None).expect("the log verifies");
        verify_time = verify_time.min(started.elapsed());
        let size = verified.size;
        let started = Instant::now();
        let mut hashed = 0u64;
        for index in 0..size.div_ceil(mamori_tiles::TILE_WIDTH) {
            let width = (size - index * mamori_tiles::TILE_WIDTH).min(mamori_tiles::TILE_WIDTH);
            let content =
                std::fs::read(dir.join(mamori_tiles::bundle_path(index, width))).expect("bundle");
            hashed += content.len() as u64;
            std::hint::black_box(sha2::Sha256::digest(&content));
        }
        raw_time = raw_time.min(started.elapsed());
        assert_eq!(hashed, verified.bytes);
        bytes = hashed;
    }
    (verify_time, raw_time, bytes)
}

/// `lines` framed by octet counting (RFC 6587), as a syslog client sends them.
fn octet_counted<'a>(lines: impl Iterator<Item = &'a String>) -> Vec<u8> {
    let mut frames = Vec::new();
    for line in lines {
        frames.extend_from_slice(format!("{} {line}", line.len()).as_bytes());
    }
    frames
}

/// Sends `frames` over one TCP connection, then closes it.
async fn send_tcp_bytes(address: std::net::SocketAddr, frames: &[u8]) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(frames).await.expect("send");
    stream.shutdown().await.expect("close");
}

/// Sends `lines` framed by octet counting, each made as it is sent (the
/// client holds next to nothing: for the flood).
async fn send_tcp(address: std::net::SocketAddr, lines: impl Iterator<Item = String>) {
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let mut buffer = Vec::with_capacity(1 << 20);
    for line in lines {
        buffer.extend_from_slice(format!("{} {line}", line.len()).as_bytes());
        if buffer.len() > 1 << 20 {
            stream.write_all(&buffer).await.expect("send");
            buffer.clear();
        }
    }
    stream.write_all(&buffer).await.expect("send");
    stream.shutdown().await.expect("close");
}

/// Waits until the institution's log holds `size` entries.
async fn wait_logged(
    data_dir: &std::path::Path,
    institution: mamori_domain::institution::InstitutionId,
    size: u64,
) {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let now = mamori::access_logs::log_size(data_dir, institution).expect("size");
        if now >= size {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {now} of {size} in the log after 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn wait_indexed(
    store: &mamori_store::Store,
    institution: mamori_domain::institution::InstitutionId,
    size: u64,
) {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let now = mamori_store::access_log::indexed_size(store, institution)
            .await
            .expect("size");
        if now >= size {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {now} of {size} indexed after 30 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Inserts `n` index rows from `first_seq`: 1,000 users, spread evenly
/// over 2025 (about 27 a user and day).
async fn fill_index(
    store: &mamori_store::Store,
    institution: mamori_domain::institution::InstitutionId,
    first_seq: u64,
    n: u64,
) {
    let start = 1_735_657_200_000_000_i64; // 2025-01-01T00:00:00+09:00 in µs
    let step = 365 * 86_400_000_000_i64 / n as i64;
    let filled =
        mamori_store::access_log::fill_for_benchmark(store, institution, first_seq, n, start, step)
            .await
            .expect("fill the index");
    assert_eq!(filled, n);
}
