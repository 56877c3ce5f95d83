//! The syslog receivers `mamori serve` starts when configured (issue #14):
//! UDP (`--syslog-udp`), TCP (`--syslog-tcp`) with RFC 6587 framing
//! (octet counting or newline, decided per frame), and TLS (`--syslog-tls`,
//! RFC 5425, the same framing inside TLS 1.2/1.3 with the certificate and
//! key given), and RELP (`--syslog-relp`, rsyslog's `omrelp`), which answers
//! each message only once it is written: a RELP sender keeps and resends
//! whatever a killed server had not answered, so nothing it was told is
//! kept is ever lost.
//!
//! Every line is matched to the registered source whose sender addresses
//! hold the peer's address, parsed as that source's kind, and appended in
//! batches (every 200 ms, or 10,000 lines: a backlog goes in large batches)
//! to its institution's tiled log; that write is what RELP answers. The
//! index for search follows the log in its own task, in chunks of up to
//! 10,000 entries, so a burst is kept at the speed of the log while the
//! database catches up (and the receivers, told to stop, end only once
//! everything written is indexed). Lines from a sender no source lists — or
//! that two sources list — go to the separate `unassigned` log and are
//! counted, never mixed in.
//!
//! Back-pressure: TCP connections wait while the queue is full; UDP
//! datagrams that find it full are dropped and counted (a syslog sender
//! over UDP cannot be slowed down).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use jiff::Timestamp;
use mamori_domain::access_log::framing::{FrameDecoder, FrameError};
use mamori_domain::institution::InstitutionId;
use mamori_store::Store;
use mamori_store::access_log::{self, SenderSource};
use mamori_tiles::TileLog;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_rustls::TlsAcceptor;

use crate::access_logs::{Cut, Provenance, Received, entry, open_received, received_entries};

/// Lines waiting to be written, at most.
const QUEUE: usize = 50_000;
/// A batch is written after this long, or when it holds [`BATCH`] lines.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// The most lines a batch holds (the benchmark compares with a raw append
/// of the same batch size).
pub const BATCH: usize = 10_000;
/// While the writer is saturated (each batch fills before
/// [`FLUSH_EVERY`]), the indexer waits, so that the cores go to putting
/// lines durably in the log: at most this long at a time, then it indexes a
/// pass regardless. Past a burst it catches up; the search says meanwhile
/// how many kept lines it does not cover yet.
const INDEX_YIELDS_AT_MOST: Duration = Duration::from_secs(5);
/// How often the indexer looks again whether the writer is still saturated.
const INDEX_YIELD_STEP: Duration = Duration::from_millis(20);
/// How often the counters go to the server's log, when they changed.
const REPORT_EVERY: Duration = Duration::from_secs(60);
/// How often the sources' sender addresses are read again.
const RELOAD_EVERY: Duration = Duration::from_secs(10);
/// The longest TCP frame (RFC 6587) or UDP datagram kept whole.
const MAX_FRAME: usize = 64 * 1024;

/// Where the receivers listen (`None`: not started).
#[derive(Debug, Clone, Default)]
pub struct ReceiverConfig {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<TlsReceiver>,
    pub relp: Option<SocketAddr>,
}

/// The TLS receiver: where, and its certificate chain and key (PEM files).
#[derive(Debug, Clone)]
pub struct TlsReceiver {
    pub address: SocketAddr,
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Counters of what the receivers did, for the log and tests.
#[derive(Debug, Default)]
pub struct Counters {
    pub received: AtomicU64,
    pub written: AtomicU64,
    pub unassigned: AtomicU64,
    pub dropped_udp: AtomicU64,
    pub oversized: AtomicU64,
    pub failed_batches: AtomicU64,
    /// Lines indexed for search after they were written (the index follows
    /// the log: see [`crate::access_logs::index_pending`]).
    pub indexed: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> [u64; 7] {
        [
            &self.received,
            &self.written,
            &self.unassigned,
            &self.dropped_udp,
            &self.oversized,
            &self.failed_batches,
            &self.indexed,
        ]
        .map(|counter| counter.load(Ordering::Relaxed))
    }

    /// Writes the counters to the server's log if they changed since `last`
    /// (a warning when lines were dropped or could not be written).
    fn report(&self, last: &mut [u64; 7]) {
        let now = self.snapshot();
        if now == *last {
            return;
        }
        let [
            received,
            written,
            unassigned,
            dropped_udp,
            oversized,
            failed_batches,
            indexed,
        ] = now;
        // The same fields at either level.
        macro_rules! counters {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    received,
                    written,
                    unassigned,
                    dropped_udp,
                    oversized,
                    failed_batches,
                    indexed,
                    $message
                )
            };
        }
        if dropped_udp > last[3] || failed_batches > last[5] {
            counters!(
                warn,
                "syslog receivers since start: lines were dropped (UDP, queue full) or could not be written"
            );
        } else {
            counters!(info, "syslog receivers since start");
        }
        *last = now;
    }
}

/// The bound sockets, before they run.
pub struct Bound {
    udp: Option<UdpSocket>,
    tcp: Option<TcpListener>,
    tls: Option<(TcpListener, TlsAcceptor)>,
    relp: Option<TcpListener>,
    counters: Arc<Counters>,
}

/// The addresses the receivers are bound to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Addresses {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
    pub relp: Option<SocketAddr>,
}

impl Bound {
    /// What the receivers count (shared with the running tasks).
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// The addresses actually bound (useful with port 0).
    pub fn addresses(&self) -> Addresses {
        Addresses {
            udp: self
                .udp
                .as_ref()
                .and_then(|socket| socket.local_addr().ok()),
            tcp: self
                .tcp
                .as_ref()
                .and_then(|socket| socket.local_addr().ok()),
            tls: self
                .tls
                .as_ref()
                .and_then(|(socket, _)| socket.local_addr().ok()),
            relp: self
                .relp
                .as_ref()
                .and_then(|socket| socket.local_addr().ok()),
        }
    }
}

/// The TLS server settings from the certificate chain and key files.
fn tls_acceptor(tls: &TlsReceiver) -> anyhow::Result<TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certificates = CertificateDer::pem_file_iter(&tls.certificate)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|error| {
            anyhow::anyhow!(
                "--syslog-tls-cert {}: not a readable PEM certificate chain ({error})",
                tls.certificate.display()
            )
        })?;
    if certificates.is_empty() {
        anyhow::bail!(
            "--syslog-tls-cert {}: holds no certificate",
            tls.certificate.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|error| {
        anyhow::anyhow!(
            "--syslog-tls-key {}: not a readable PEM private key ({error})",
            tls.key.display()
        )
    })?;
    // ring, as lettre already uses it: aws-lc-rs would bring a C and CMake
    // build, for post-quantum key exchange that syslog senders (rsyslog with
    // GnuTLS, routers) do not offer; rustls marks ring's provider deprecated
    // for that reason only.
    #[allow(deprecated)]
    let provider = tokio_rustls::rustls::crypto::ring::default_provider();
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .context("TLS settings")?
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .context("--syslog-tls-cert and --syslog-tls-key do not belong together")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A TCP listener on `address`, when one is configured.
async fn listen(address: Option<SocketAddr>, what: &str) -> anyhow::Result<Option<TcpListener>> {
    match address {
        Some(address) => {
            Ok(Some(TcpListener::bind(address).await.with_context(
                || format!("cannot listen for {what} on {address}"),
            )?))
        }
        None => Ok(None),
    }
}

/// Binds the configured sockets (so that a port in use fails start-up).
pub async fn bind(config: &ReceiverConfig) -> anyhow::Result<Option<Bound>> {
    if config.udp.is_none() && config.tcp.is_none() && config.tls.is_none() && config.relp.is_none()
    {
        return Ok(None);
    }
    let udp = match config.udp {
        Some(address) => Some(
            UdpSocket::bind(address)
                .await
                .with_context(|| format!("cannot listen for syslog over UDP on {address}"))?,
        ),
        None => None,
    };
    let tcp = listen(config.tcp, "syslog over TCP").await?;
    let tls = match &config.tls {
        Some(tls) => {
            let acceptor = tls_acceptor(tls)?;
            let listener = listen(Some(tls.address), "syslog over TLS").await?;
            listener.map(|listener| (listener, acceptor))
        }
        None => None,
    };
    let relp = listen(config.relp, "RELP").await?;
    Ok(Some(Bound {
        udp,
        tcp,
        tls,
        relp,
        counters: Arc::default(),
    }))
}

/// One received line.
struct Line {
    peer: IpAddr,
    transport: &'static str,
    text: String,
    received: Timestamp,
    /// For a frame over the bound: only its head is `text`.
    cut: Option<Cut>,
    /// Told whether the line was written (RELP answers only then).
    written: Option<oneshot::Sender<bool>>,
}

/// Tasks aborted when dropped: the sockets' loops end with `run`.
struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Runs the receivers until `stop` turns true: then the sockets close, the
/// open connections end (a frame cut off mid-way is not kept), and every
/// line already received is written before this returns.
pub async fn run(bound: Bound, store: Store, data_dir: PathBuf, stop: watch::Receiver<bool>) {
    let (sender, receiver) = mpsc::channel::<Line>(QUEUE);
    let counters = bound.counters.clone();
    // Aborted only if this future is dropped before it ends.
    let mut tasks = AbortOnDrop(Vec::new());
    if let Some(socket) = bound.udp {
        tasks.0.push(tokio::spawn(receive_udp(
            socket,
            sender.clone(),
            counters.clone(),
            stop.clone(),
        )));
    }
    let listeners = [
        bound.tcp.map(|listener| (listener, Protocol::Syslog)),
        bound
            .tls
            .map(|(listener, acceptor)| (listener, Protocol::SyslogTls(acceptor))),
        bound.relp.map(|listener| (listener, Protocol::Relp)),
    ];
    for (listener, protocol) in listeners.into_iter().flatten() {
        tasks.0.push(tokio::spawn(accept(
            listener,
            protocol,
            sender.clone(),
            counters.clone(),
            stop.clone(),
        )));
    }
    drop(sender);
    // The index follows the log: the writer tells the indexer which
    // institutions' logs grew, and ends (dropping its end) once all is written.
    let (written, to_index) = mpsc::unbounded_channel::<InstitutionId>();
    let saturated = Arc::new(AtomicBool::new(false));
    let indexer = tokio::spawn(index_behind(
        to_index,
        store.clone(),
        data_dir.clone(),
        counters.clone(),
        saturated.clone(),
    ));
    write_batches(receiver, store, data_dir, counters, written, saturated).await;
    drop(tasks);
    // Whatever was written is indexed before this returns.
    if let Err(error) = indexer.await {
        tracing::error!(%error, "the access-log indexer stopped");
    }
}

/// Indexes the logs the writer appended to, a pass per wake-up over every
/// institution named since the last (a backlog is indexed in large chunks
/// while the writer goes on); ends when the writer has ended and all it
/// named is indexed. A failure is logged and retried at the next write.
/// While the writer is `saturated`, a pass waits for it (at most
/// [`INDEX_YIELDS_AT_MOST`]).
async fn index_behind(
    mut written: mpsc::UnboundedReceiver<InstitutionId>,
    store: Store,
    data_dir: PathBuf,
    counters: Arc<Counters>,
    saturated: Arc<AtomicBool>,
) {
    while let Some(first) = written.recv().await {
        wait_while_saturated(&saturated, || written.is_closed()).await;
        let mut institutions = std::collections::BTreeSet::from([first]);
        while let Ok(next) = written.try_recv() {
            institutions.insert(next);
        }
        for institution in institutions {
            match crate::access_logs::index_pending(&store, &data_dir, institution).await {
                Ok(indexed) => {
                    counters.indexed.fetch_add(indexed, Ordering::Relaxed);
                }
                Err(error) => {
                    tracing::error!(%error, %institution, "received access-log lines are written but could not be indexed yet");
                }
            }
        }
    }
}

/// Waits while the writer is `saturated`, looking again every
/// [`INDEX_YIELD_STEP`], for at most [`INDEX_YIELDS_AT_MOST`]; at once when
/// it is not, or once the writer has ended (`ended`).
async fn wait_while_saturated(saturated: &AtomicBool, ended: impl Fn() -> bool) {
    let waiting_since = tokio::time::Instant::now();
    while saturated.load(Ordering::Relaxed)
        && waiting_since.elapsed() < INDEX_YIELDS_AT_MOST
        && !ended()
    {
        tokio::time::sleep(INDEX_YIELD_STEP).await;
    }
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn receive_udp(
    socket: UdpSocket,
    queue: mpsc::Sender<Line>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; MAX_FRAME];
    loop {
        let received = tokio::select! {
            received = socket.recv_from(&mut buffer) => received,
            () = stopped(&mut stop) => return,
        };
        let Ok((length, peer)) = received else {
            continue;
        };
        counters.received.fetch_add(1, Ordering::Relaxed);
        let bytes = &buffer[..length];
        let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let line = Line {
            peer: peer.ip().to_canonical(),
            transport: "syslog-udp",
            text: String::from_utf8_lossy(bytes).into_owned(),
            received: Timestamp::now(),
            cut: None,
            written: None,
        };
        if queue.try_send(line).is_err() {
            counters.dropped_udp.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What a stream listener's connections speak.
enum Protocol {
    /// Syslog over TCP (RFC 6587).
    Syslog,
    /// The same inside TLS (RFC 5425).
    SyslogTls(TlsAcceptor),
    /// RELP: each message answered once written.
    Relp,
}

/// Accepts connections, each read by its own task — through TLS first for
/// [`Protocol::SyslogTls`] (a handshake that fails or lingers drops the
/// connection).
async fn accept(
    listener: TcpListener,
    protocol: Protocol,
    queue: mpsc::Sender<Line>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => return,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let peer = peer.ip().to_canonical();
        let (queue, counters, stop) = (queue.clone(), counters.clone(), stop.clone());
        match &protocol {
            Protocol::Relp => {
                tokio::spawn(receive_relp(stream, peer, queue, counters, stop));
            }
            Protocol::Syslog => {
                tokio::spawn(receive_tcp(
                    stream,
                    peer,
                    "syslog-tcp",
                    queue,
                    counters,
                    stop,
                ));
            }
            Protocol::SyslogTls(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            receive_tcp(stream, peer, "syslog-tls", queue, counters, stop).await;
                        }
                        Ok(Err(error)) => {
                            tracing::warn!(%peer, %error, "a syslog TLS handshake failed");
                        }
                        Err(_) => tracing::warn!(%peer, "a syslog TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

async fn receive_tcp<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    peer: IpAddr,
    transport: &'static str,
    queue: mpsc::Sender<Line>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    let mut decoder = FrameDecoder::new(MAX_FRAME);
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read,
            () = stopped(&mut stop) => return,
        };
        let (frames, closed): (Vec<_>, bool) = match read {
            Ok(0) | Err(_) => (decoder.finish().into_iter().collect(), true),
            Ok(length) => (decoder.push(&buffer[..length]), false),
        };
        // The frames of one read arrived together.
        let received = Timestamp::now();
        // Room in the queue for the whole read at once (waiting while it is
        // full: TCP's back-pressure), not line by line.
        let mut permits = match queue.reserve_many(frames.len().min(QUEUE)).await {
            Ok(permits) => permits,
            Err(_) => return,
        };
        for frame in frames {
            counters.received.fetch_add(1, Ordering::Relaxed);
            let (text, cut) = match frame {
                Ok(text) => (text, None),
                // A frame over 64 KiB: counted, and its first 64 KiB kept raw.
                Err(FrameError::TooLarge { max, length, head }) => {
                    counters.oversized.fetch_add(1, Ordering::Relaxed);
                    (
                        head,
                        Some(Cut {
                            kept_bytes: max,
                            frame_bytes: length,
                        }),
                    )
                }
                // The stream ended inside a counted frame: counted, nothing to keep.
                Err(FrameError::Truncated { .. }) => {
                    counters.oversized.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let line = Line {
                peer,
                transport,
                text,
                received,
                cut,
                written: None,
            };
            match permits.next() {
                Some(permit) => permit.send(line),
                // More frames than the queue holds in one read: the rest
                // wait for room.
                None => {
                    if queue.send(line).await.is_err() {
                        return;
                    }
                }
            }
        }
        if closed {
            // Answers a TLS sender's close_notify with ours (a plain TCP
            // stream just closes its side).
            let _ = tokio::io::AsyncWriteExt::shutdown(&mut stream).await;
            return;
        }
    }
}

/// Messages a RELP sender may have outstanding before its connection waits
/// for answers (rsyslog's window is 128).
const RELP_WINDOW: usize = 1_024;

/// What a RELP connection must answer, in the order asked.
enum Answer {
    /// Answered at once (`open`, `close`, an unknown command).
    Now(Vec<u8>),
    /// A message: `200 OK` once written, `500` if it could not be.
    Written(u32, oneshot::Receiver<bool>),
}

/// One RELP connection: frames are read and queued as they come, and a
/// second task answers each message in order once the writer says it is
/// on disk. A protocol error, or `stop`, ends the connection; the sender
/// then sends again what was not answered.
async fn receive_relp(
    stream: tokio::net::TcpStream,
    peer: IpAddr,
    queue: mpsc::Sender<Line>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    use mamori_domain::access_log::relp;
    let (mut reader, mut writer) = stream.into_split();
    let (answers, mut to_answer) = mpsc::channel::<Answer>(RELP_WINDOW);
    let answering = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Some(answer) = to_answer.recv().await {
            let bytes = match answer {
                Answer::Now(bytes) => bytes,
                Answer::Written(txnr, written) => match written.await {
                    Ok(true) => relp::response(txnr, "200 OK"),
                    _ => relp::response(txnr, "500 not written, send again"),
                },
            };
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
        // Every answer is out: tell the sender the server closes.
        let _ = writer.write_all(relp::SERVER_CLOSE).await;
        let _ = writer.shutdown().await;
    });
    let mut decoder = relp::RelpDecoder::new(MAX_FRAME);
    let mut buffer = vec![0u8; 16 * 1024];
    'connection: loop {
        let read = tokio::select! {
            read = reader.read(&mut buffer) => read,
            () = stopped(&mut stop) => break,
        };
        let length = match read {
            Ok(0) | Err(_) => break,
            Ok(length) => length,
        };
        let frames = match decoder.push(&buffer[..length]) {
            Ok(frames) => frames,
            Err(error) => {
                tracing::warn!(%peer, %error, "a RELP connection broke the protocol and was closed");
                break;
            }
        };
        for frame in frames {
            let answer = match frame.command.as_str() {
                "open" => Answer::Now(relp::open_response(frame.txnr, "mamori")),
                "syslog" => {
                    counters.received.fetch_add(1, Ordering::Relaxed);
                    let cut = frame.cut_from.map(|length| {
                        counters.oversized.fetch_add(1, Ordering::Relaxed);
                        Cut {
                            kept_bytes: MAX_FRAME,
                            frame_bytes: Some(length),
                        }
                    });
                    let data = frame.data.strip_suffix(b"\n").unwrap_or(&frame.data);
                    let (written, answer) = oneshot::channel();
                    let line = Line {
                        peer,
                        transport: "syslog-relp",
                        text: String::from_utf8_lossy(data).into_owned(),
                        received: Timestamp::now(),
                        cut,
                        written: Some(written),
                    };
                    // Waits while the queue is full, as TCP does.
                    if queue.send(line).await.is_err() {
                        break 'connection;
                    }
                    Answer::Written(frame.txnr, answer)
                }
                "close" => {
                    let _ = answers
                        .send(Answer::Now(relp::response(frame.txnr, "")))
                        .await;
                    break 'connection;
                }
                _ => Answer::Now(relp::response(frame.txnr, "500 unknown command")),
            };
            // Waits while the window of unanswered messages is full.
            if answers.send(answer).await.is_err() {
                break 'connection;
            }
        }
    }
    drop(answers);
    let _ = answering.await;
}

/// The sources by sender address; an address two sources list claims neither.
fn by_sender(sources: Vec<SenderSource>) -> HashMap<IpAddr, Option<Arc<SenderSource>>> {
    let mut map: HashMap<IpAddr, Option<Arc<SenderSource>>> = HashMap::new();
    for source in sources.into_iter().map(Arc::new) {
        for address in &source.senders {
            map.entry(*address)
                .and_modify(|claimed| *claimed = None)
                .or_insert_with(|| Some(source.clone()));
        }
    }
    map
}

/// Batches made ready (parsed) that may wait for the writer at once: the
/// next batches are parsed while one is written and synced, so neither
/// core waits for the other stage; at most this many batches' entries are
/// held beyond the queue, the batches being parsed ([`PARSED_AT_ONCE`])
/// and the one being written.
const PREPARED_AHEAD: usize = 1;

/// Full batches parsed at once while lines come faster than they are
/// parsed (the one taken last and the one before it).
const PARSED_AT_ONCE: usize = 2;

/// Takes the queued lines in batches and puts them in the logs in two
/// stages: each batch is parsed into its entries (on the blocking pool, on
/// every core) and handed on, while a writer of its own (one blocking
/// thread) appends the batches one after the other in the order taken —
/// so each source's lines stay in order and a sender is answered only once
/// its lines are in the log. Failures are counted and logged per source
/// inside. Ends, once everything taken is written, when the queue closes.
async fn write_batches(
    mut queue: mpsc::Receiver<Line>,
    store: Store,
    data_dir: PathBuf,
    counters: Arc<Counters>,
    to_index: mpsc::UnboundedSender<InstitutionId>,
    saturated: Arc<AtomicBool>,
) {
    let (to_write, mut ready) = mpsc::channel::<Prepared>(PREPARED_AHEAD);
    let writer = {
        let counters = counters.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = Writer {
                data_dir: &data_dir,
                counters: &counters,
                to_index: &to_index,
                held: HashMap::new(),
            };
            loop {
                let prepared = match ready.try_recv() {
                    Ok(prepared) => prepared,
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        // Nothing more waits: what is in flight is
                        // committed and answered now, and the logs let go.
                        writer.finish_all();
                        match ready.blocking_recv() {
                            Some(prepared) => prepared,
                            None => break,
                        }
                    }
                };
                // A panic while writing one batch fails that batch only:
                // its senders (RELP) see their answers dropped, and are
                // told it was not written.
                let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    writer.write(prepared);
                }));
                if written.is_err() {
                    counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                    tracing::error!("writing a batch of received log lines stopped");
                    // The logs it held are let go of: what they committed
                    // is answered as written, what was only written ahead
                    // (not appended) as not.
                    let held: Vec<_> = writer.held.drain().collect();
                    for (log, held) in held {
                        writer.settle(log, held, false);
                    }
                }
            }
            writer.finish_all();
        })
    };
    let mut senders: Arc<HashMap<IpAddr, Option<Arc<SenderSource>>>> = Arc::default();
    let mut loaded_at: Option<std::time::Instant> = None;
    let mut batch: Vec<Line> = Vec::new();
    let mut reported = ([0u64; 7], std::time::Instant::now());
    // Batches being parsed, in the order taken: while lines come faster
    // than one batch is parsed, the next is parsed beside it
    // ([`PARSED_AT_ONCE`]), so a core that finished its share of one batch
    // goes on with the next instead of waiting for the other core.
    let mut parsing: std::collections::VecDeque<tokio::task::JoinHandle<Prepared>> =
        std::collections::VecDeque::new();
    'batches: loop {
        if reported.1.elapsed() >= REPORT_EVERY {
            counters.report(&mut reported.0);
            reported.1 = std::time::Instant::now();
        }
        let deadline = tokio::time::sleep(FLUSH_EVERY);
        tokio::pin!(deadline);
        loop {
            let room = BATCH - batch.len();
            tokio::select! {
                // Whatever waits, up to a whole batch, at once.
                taken = queue.recv_many(&mut batch, room) => {
                    if taken == 0 || batch.len() >= BATCH {
                        break;
                    }
                }
                () = &mut deadline => break,
                // A batch parsed while this one fills goes on to the writer
                // at once (taken out of `parsing` in the branch).
                parsed = async {
                    match parsing.front_mut() {
                        Some(task) => task.await,
                        None => std::future::pending().await,
                    }
                } => {
                    parsing.pop_front();
                    if !hand_on(parsed, &to_write, &counters).await {
                        break 'batches;
                    }
                }
            }
        }
        // A batch that filled before its time is up: lines arrive faster
        // than they are written, and the indexer waits for the writer.
        let full = batch.len() >= BATCH;
        saturated.store(full, Ordering::Relaxed);
        if batch.is_empty() {
            if queue.is_closed() {
                break;
            }
            continue;
        }
        if loaded_at.is_none_or(|at| at.elapsed() >= RELOAD_EVERY) {
            match access_log::sources_with_senders(&store).await {
                Ok(sources) => {
                    senders = Arc::new(by_sender(sources));
                    loaded_at = Some(std::time::Instant::now());
                }
                Err(error) => tracing::warn!(%error, "cannot read the log sources"),
            }
        }
        let lines = std::mem::take(&mut batch);
        let claims = senders.clone();
        parsing.push_back(tokio::task::spawn_blocking(move || prepare(&claims, lines)));
        // Only a full batch leaves one parsing behind it: one that did not
        // fill goes on now, not after the next has waited its time.
        let behind = if full { PARSED_AT_ONCE - 1 } else { 0 };
        while parsing.len() > behind {
            let Some(task) = parsing.pop_front() else {
                break;
            };
            if !hand_on(task.await, &to_write, &counters).await {
                break 'batches;
            }
        }
    }
    // What is still being parsed when the queue closes is written too.
    while let Some(task) = parsing.pop_front() {
        if !hand_on(task.await, &to_write, &counters).await {
            break;
        }
    }
    drop(to_write);
    if let Err(error) = writer.await {
        tracing::error!(%error, "the access-log writer stopped");
    }
    counters.report(&mut reported.0);
}

/// Hands a parsed batch on to the writer (waiting while it is behind by
/// [`PREPARED_AHEAD`] batches); a batch whose parsing stopped is counted
/// and logged — its senders (RELP) see their answers dropped and are told
/// the lines were not written. `false` once the writer has stopped.
async fn hand_on(
    parsed: Result<Prepared, tokio::task::JoinError>,
    to_write: &mpsc::Sender<Prepared>,
    counters: &Counters,
) -> bool {
    let prepared = match parsed {
        Ok(prepared) => prepared,
        Err(error) => {
            counters.failed_batches.fetch_add(1, Ordering::Relaxed);
            tracing::error!(%error, "reading a batch of received log lines stopped");
            return true;
        }
    };
    if to_write.send(prepared).await.is_err() {
        tracing::error!("the access-log writer stopped");
        return false;
    }
    true
}

/// A batch made ready to write: each source's entries (parsed) with the
/// senders waiting for them, and the lines of senders no source claims.
struct Prepared {
    claimed: Vec<SourcePart>,
    unassigned: Vec<Vec<u8>>,
    unassigned_waiting: Vec<oneshot::Sender<bool>>,
}

/// One source's part of a batch: its entries and the senders waiting for them.
struct SourcePart(Arc<SenderSource>, Vec<Vec<u8>>, Vec<oneshot::Sender<bool>>);

/// Reads one batch: each line matched to the source that claims its
/// sender and parsed into its entry (on every core), the rest kept raw for
/// the unassigned log.
fn prepare(senders: &HashMap<IpAddr, Option<Arc<SenderSource>>>, lines: Vec<Line>) -> Prepared {
    let mut by_source: Vec<(Arc<SenderSource>, Vec<Line>)> = Vec::new();
    let mut prepared = Prepared {
        claimed: Vec::new(),
        unassigned: Vec::new(),
        unassigned_waiting: Vec::new(),
    };
    for mut line in lines {
        match senders.get(&line.peer) {
            Some(Some(source)) => match by_source
                .iter_mut()
                .find(|(known, _)| Arc::ptr_eq(known, source))
            {
                Some((_, lines)) => lines.push(line),
                None => by_source.push((source.clone(), vec![line])),
            },
            _ => {
                let received = line.received.to_string();
                let provenance = Provenance::received(&received, line.transport, Some(line.peer));
                let event = mamori_domain::access_log::LogEvent::unrecognised(
                    line.received,
                    line.text.as_str(),
                );
                prepared.unassigned.push(entry(&provenance, &event));
                prepared.unassigned_waiting.extend(line.written.take());
            }
        }
    }
    for (sender, mut lines) in by_source {
        let received: Vec<Received> = lines
            .iter()
            .map(|line| Received {
                text: &line.text,
                at: line.received,
                via: line.transport,
                peer: Some(line.peer),
                cut: line.cut,
            })
            .collect();
        let entries = received_entries(&sender.source, &received);
        drop(received);
        let waiting = lines
            .iter_mut()
            .filter_map(|line| line.written.take())
            .collect();
        prepared.claimed.push(SourcePart(sender, entries, waiting));
    }
    prepared
}

/// How long the writer keeps a log open while batch after batch arrives,
/// at most: then it lets go once, so that a file import or a backup
/// waiting for the log's lock gets it.
const HOLD_AT_MOST: Duration = Duration::from_secs(1);

/// The receivers' writer: appends each prepared batch's parts to their
/// logs. A log is held open while batches keep coming, and each batch is
/// appended without waiting for the disk ([`TileLog::append_grouped`]):
/// while one commit is synced, the batches after it are written, and the
/// next commit takes them all. A batch's senders are answered, and the
/// indexer told, once it is committed.
struct Writer<'a> {
    data_dir: &'a Path,
    counters: &'a Counters,
    to_index: &'a mpsc::UnboundedSender<InstitutionId>,
    /// The open logs, by institution (`None`: the unassigned log).
    held: HashMap<Option<InstitutionId>, Held>,
}

/// A log the writer holds open, and the parts appended to it that are not
/// yet known to be committed, in order.
struct Held {
    log: TileLog,
    opened: std::time::Instant,
    waiting: std::collections::VecDeque<Part>,
}

/// Lines appended to one log and not yet known to be committed.
struct Part {
    /// The log's size once they are committed.
    end: u64,
    count: u64,
    waiting: Vec<oneshot::Sender<bool>>,
}

impl Writer<'_> {
    /// Writes one prepared batch: each source's entries to its
    /// institution's log, the rest to the unassigned log; a part that
    /// cannot be written is counted in `failed_batches` and logged, the
    /// others still written. Then lets go of the logs this batch did not
    /// write to and of those held for [`HOLD_AT_MOST`].
    fn write(&mut self, prepared: Prepared) {
        let Prepared {
            claimed,
            unassigned,
            unassigned_waiting,
        } = prepared;
        let mut written = Vec::new();
        if !unassigned.is_empty() {
            self.begin(None, &unassigned, unassigned_waiting);
            written.push(None);
        }
        for SourcePart(sender, entries, waiting) in claimed {
            let institution = Some(sender.institution_id);
            self.begin(institution, &entries, waiting);
            written.push(institution);
        }
        let idle: Vec<_> = self
            .held
            .iter()
            .filter(|(log, held)| !written.contains(log) || held.opened.elapsed() >= HOLD_AT_MOST)
            .map(|(log, _)| *log)
            .collect();
        for log in idle {
            self.finish(log);
        }
    }

    /// Appends one part to its log (opened if it is not held), and answers
    /// the parts before it that are committed by then.
    fn begin(
        &mut self,
        log: Option<InstitutionId>,
        entries: &[Vec<u8>],
        waiting: Vec<oneshot::Sender<bool>>,
    ) {
        let count = entries.len() as u64;
        let held = match self.held.entry(log) {
            std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
            std::collections::hash_map::Entry::Vacant(vacant) => {
                match open_received(self.data_dir, log) {
                    Ok(opened) => vacant.insert(Held {
                        log: opened,
                        opened: std::time::Instant::now(),
                        waiting: std::collections::VecDeque::new(),
                    }),
                    Err(error) => {
                        self.failed(log, &error);
                        tell(waiting, false);
                        return;
                    }
                }
            }
        };
        match held.log.append_grouped(entries) {
            Ok(first) => {
                held.waiting.push_back(Part {
                    end: first + count,
                    count,
                    waiting,
                });
                let committed = held.log.size();
                let mut done = Vec::new();
                while held
                    .waiting
                    .front()
                    .is_some_and(|part| part.end <= committed)
                {
                    done.extend(held.waiting.pop_front());
                }
                for part in done {
                    self.done(log, part, true);
                }
            }
            Err(error) => {
                // Dropped, and opened again from the disk at the next batch.
                let Some(held) = self.held.remove(&log) else {
                    return;
                };
                self.settle(log, held, false);
                self.failed(log, &error.into());
                tell(waiting, false);
            }
        }
    }

    /// Commits what was appended to `log` and lets go of the log.
    fn finish(&mut self, log: Option<InstitutionId>) {
        let Some(mut held) = self.held.remove(&log) else {
            return;
        };
        let committed = match held.log.commit() {
            Ok(_) => true,
            Err(error) => {
                report(log, &error.into());
                false
            }
        };
        self.settle(log, held, committed);
    }

    /// Answers every part waiting on a log let go of: committed where its
    /// size covers it (all of them after a commit that returned `Ok`).
    fn settle(&self, log: Option<InstitutionId>, held: Held, committed: bool) {
        let size = held.log.size();
        drop(held.log);
        for part in held.waiting {
            let kept = committed || part.end <= size;
            self.done(log, part, kept);
        }
    }

    /// Commits and lets go of every log held.
    fn finish_all(&mut self) {
        let logs: Vec<_> = self.held.keys().copied().collect();
        for log in logs {
            self.finish(log);
        }
    }

    /// A part's commit is known: counted (in `failed_batches` when it
    /// failed), the indexer told, the senders answered.
    fn done(&self, log: Option<InstitutionId>, part: Part, committed: bool) {
        if !committed {
            self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
        } else {
            match log {
                Some(institution) => {
                    self.counters
                        .written
                        .fetch_add(part.count, Ordering::Relaxed);
                    // The indexer ends only after the writer: it is there.
                    let _ = self.to_index.send(institution);
                }
                None => {
                    self.counters
                        .unassigned
                        .fetch_add(part.count, Ordering::Relaxed);
                }
            }
        }
        tell(part.waiting, committed);
    }

    /// Counts and logs a part that could not be written.
    fn failed(&self, log: Option<InstitutionId>, error: &anyhow::Error) {
        self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
        report(log, error);
    }
}

/// Logs why lines received for `log` could not be written.
fn report(log: Option<InstitutionId>, error: &anyhow::Error) {
    match log {
        Some(institution) => {
            tracing::error!(%error, %institution, "received log lines could not be written");
        }
        None => tracing::error!(%error, "lines from unknown senders could not be written"),
    }
}

/// Tells the senders waiting for these lines (RELP) whether they were written.
fn tell(waiting: impl IntoIterator<Item = oneshot::Sender<bool>>, written: bool) {
    for sender in waiting {
        // A connection that has gone no longer waits.
        let _ = sender.send(written);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn the_indexer_waits_for_a_saturated_writer_at_most_its_limit() {
        // Not saturated: no wait.
        let saturated = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        wait_while_saturated(&saturated, || false).await;
        assert_eq!(started.elapsed(), Duration::ZERO);
        // Saturated throughout: the indexer goes on after its limit.
        saturated.store(true, Ordering::Relaxed);
        let started = Instant::now();
        wait_while_saturated(&saturated, || false).await;
        let waited = started.elapsed();
        assert!(
            waited >= INDEX_YIELDS_AT_MOST && waited < INDEX_YIELDS_AT_MOST + INDEX_YIELD_STEP,
            "{waited:?}"
        );
        // Saturated until the burst ends 300 ms later: it goes on then.
        let burst = saturated.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            burst.store(false, Ordering::Relaxed);
        });
        let started = Instant::now();
        wait_while_saturated(&saturated, || false).await;
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300)
                && waited <= Duration::from_millis(300) + INDEX_YIELD_STEP,
            "{waited:?}"
        );
        // A writer that has ended is not waited for, saturated or not.
        saturated.store(true, Ordering::Relaxed);
        let started = Instant::now();
        wait_while_saturated(&saturated, || true).await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }
}
