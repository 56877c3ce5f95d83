//! The log sources page (`/logs/sources`): what sends or exports logs to
//! mamori, registered in the browser by the 企画管理者 (name, kind, the
//! device of the ledger it is, the addresses it may send from, its clock's
//! time zone, how long its events are kept, an EHR export's column mapping),
//! and exported files uploaded, previewed on their first lines before
//! anything is stored, then imported into the tamper-evident log.

use std::future::Future;
use std::pin::Pin;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mamori_domain::access_log::ehr_csv::{EhrImportError, RowError, action_code};
use mamori_domain::access_log::evtx::EvtxError;
use mamori_domain::access_log::review::Verification;
use mamori_domain::access_log::source::{
    FilePreview, FileRefused, LogSourceId, LogSourceKind, NewLogSource, PreviewRead, RawLogSource,
    SourceReader,
};
use mamori_domain::institution::{Grant, InstitutionId, Permission, Principal, permissions};
use mamori_store::access_log::{Acting, ImportReport, StoredLogSource};

use super::held::Holder;
use super::when;
use crate::auth::{Authorized, CsrfForm};
use crate::heavy::Kind;
use crate::i18n::{describe_all, fill};
use crate::multipart::{CsrfMultipart, UploadedFile};
use crate::page::Chrome;
use crate::{AppError, AppState};

/// The largest file uploaded in the browser; larger ones go through
/// `mamori logs import` on the server.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;
/// The latest imports the page lists.
const IMPORTS_SHOWN: i64 = 20;
/// The lines a preview shows.
const PREVIEW_LINES: usize = 10;

/// What became of the lines a forwarder sent: every one is in the log,
/// `added` now and `already_kept` before (an event with the same record
/// key, sent again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forwarded {
    pub added: u64,
    pub already_kept: u64,
}

/// Where access-log files are kept: the institution's tamper-evident tiled
/// log in the data folder, which the app owns (`mamori::access_logs`).
pub trait LogArchive: Send + Sync {
    /// Imports the bytes of a file `source` exported, as `acting`; an
    /// unexpected failure (disk, database) is the error.
    fn import(
        &self,
        acting: Acting,
        source: StoredLogSource,
        file_name: String,
        bytes: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = Result<ImportReport, String>> + Send + '_>>;

    /// Appends lines `source` sent (over HTTPS) to its institution's log and
    /// index, but an event the source's log holds already (the same record
    /// key); answers how many once they are durably written (and indexed,
    /// unless the index failed: it then catches up later).
    fn receive(
        &self,
        institution: InstitutionId,
        source: StoredLogSource,
        lines: Vec<String>,
        peer: Option<std::net::IpAddr>,
    ) -> Pin<Box<dyn Future<Output = Result<Forwarded, String>> + Send + '_>>;

    /// Checks the institution's log against its signed checkpoint (every
    /// entry kept in the data folder read and hashed); `None` when no log
    /// was kept yet. The check that could not run is the error.
    fn verify(
        &self,
        institution: InstitutionId,
    ) -> Pin<Box<dyn Future<Output = Result<Option<Verification>, String>> + Send + '_>>;

    /// How many entries the institution's log holds that the index does not
    /// yet (the index follows the log: lines just received, a large import
    /// being indexed); 0 when there is no log or it cannot be read.
    fn backlog(&self, institution: InstitutionId)
    -> Pin<Box<dyn Future<Output = u64> + Send + '_>>;
}

/// The largest body one `POST /logs/ingest` carries.
pub const MAX_INGEST_BYTES: usize = 8 * 1024 * 1024;
/// Requests to `POST /logs/ingest` a minute, per source (a forwarder sends
/// a batch every second or so) and per address without a valid token.
pub const INGEST_REQUESTS_PER_MINUTE: u32 = 600;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/logs/sources", get(list).post(add))
        .route(
            "/logs/import",
            post(import).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/logs/sources/token", post(issue_token))
        .route(
            "/logs/ingest",
            post(ingest).layer(DefaultBodyLimit::max(MAX_INGEST_BYTES)),
        )
}

/// The form registering a source, as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
struct SourceForm {
    name: String,
    kind: String,
    device: String,
    senders: String,
    time_zone: String,
    retention_years: String,
    mapping: String,
    silent_hours: String,
}

struct SourceRow {
    id: String,
    has_token: bool,
    name: String,
    kind: &'static str,
    device: String,
    senders: String,
    time_zone: String,
    retention: String,
    /// How long it may be silent: its own hours, or the institution's rule.
    silence: String,
    mapping: String,
}

struct ImportRow {
    when: String,
    source: String,
    file: String,
    /// Counts with their thousands grouped.
    events: String,
    unrecognised: String,
    already_kept: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct PreviewRow {
    line: u64,
    /// What was read of the line.
    text: String,
    /// The line as the file holds it, cut at [`PREVIEW_RAW_CHARS`].
    raw: String,
    problem: bool,
}

/// How much of a previewed line is shown as the file holds it.
const PREVIEW_RAW_CHARS: usize = 240;

/// The first [`PREVIEW_RAW_CHARS`] characters of `raw`, `…` marking a cut.
fn preview_raw(raw: &str) -> String {
    match raw.char_indices().nth(PREVIEW_RAW_CHARS) {
        Some((end, _)) => format!("{}…", &raw[..end]),
        None => raw.to_owned(),
    }
}

/// A file's first lines as its source reads them.
struct PreviewView {
    /// The token that imports the previewed bytes (none: choose the file again).
    held: Option<String>,
    file: String,
    source: String,
    /// The count of lines or records, its thousands grouped.
    total: String,
    header: String,
    missing: Vec<String>,
    rows: Vec<PreviewRow>,
}

/// A token just issued, shown once.
struct IssuedToken {
    intro: String,
    token: String,
    address: String,
    /// The address names this machine only (the page was opened on the
    /// server itself, and no `--public-url` is set): a PC elsewhere on
    /// the LAN must use the server's LAN address instead.
    address_is_loopback: bool,
    /// The server listens on a loopback address only: nothing elsewhere
    /// on the LAN can send to it until it listens there too.
    server_local_only: bool,
    /// Where the address names this machine only but the server listens
    /// on the LAN: the same address with this machine's LAN address in
    /// its place, when the machine has one.
    lan_address: Option<String>,
}

/// The address this machine sends from towards the rest of the network
/// (its LAN address on a clinic's server), or `None` without one: a UDP
/// socket "connected" to a documentation address (RFC 5737) takes the
/// route's source address; nothing is sent.
fn this_machines_lan_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// `address` (`scheme://host[:port]/path`) with its host replaced by `ip`.
fn with_host(address: &str, ip: std::net::IpAddr) -> Option<String> {
    let (scheme, rest) = address.split_once("://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    // What follows the host: `:port`, or nothing.
    let port = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split_once(']').map_or("", |(_, after)| after),
        None => authority
            .get(crate::page::host_name(authority).len()..)
            .unwrap_or_default(),
    };
    let host = match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    Some(format!("{scheme}://{host}{port}{path}"))
}

/// Whether the host of `address` (`scheme://host[:port]/path`) is this
/// machine only.
fn names_loopback(address: &str) -> bool {
    let after_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
    let host = after_scheme.split('/').next().unwrap_or_default();
    crate::page::is_loopback_host(crate::page::host_name(host))
}

/// A syslog receiver as the page shows it: where a device is to send.
struct ListenerRow {
    transport: &'static str,
    address: String,
    port: u16,
}

/// Where a device or PC elsewhere on the LAN reaches this server, as far as
/// the page can tell.
enum ReachedAt {
    /// The host this page was opened at (not the server itself).
    Browser(String),
    /// The page was opened on the server itself: this machine's LAN
    /// address ([`this_machines_lan_address`]).
    Route(std::net::IpAddr),
}

impl ReachedAt {
    fn of(headers: &axum::http::HeaderMap) -> Option<Self> {
        browser_host(headers)
            .map(Self::Browser)
            .or_else(|| this_machines_lan_address().map(Self::Route))
    }
}

/// The receivers the server runs, for the page: a wildcard bind (0.0.0.0,
/// ::) is any of this server's addresses, which the device is to be given —
/// such as the one this page was opened at, or, opened on the server
/// itself, this machine's LAN address.
fn listener_rows(
    chrome: &Chrome,
    listeners: &[crate::SyslogListener],
    reached_at: Option<&ReachedAt>,
) -> Vec<ListenerRow> {
    listeners
        .iter()
        .map(|listener| ListenerRow {
            transport: listener.transport,
            address: match (listener.address.ip().is_unspecified(), reached_at) {
                (true, Some(ReachedAt::Browser(host))) => {
                    fill(chrome.k.logs_receiver_any_such_as, &[&host])
                }
                (true, Some(ReachedAt::Route(ip))) => fill(chrome.k.logs_receiver_any_lan, &[&ip]),
                (true, None) => chrome.k.logs_receiver_any.to_owned(),
                (false, _) => listener.address.ip().to_string(),
            },
            port: listener.address.port(),
        })
        .collect()
}

/// The host (name or IP address, without the port) the browser reached this
/// server at, unless that is the server itself (localhost, a loopback
/// address) or does not look like a host.
fn browser_host(headers: &axum::http::HeaderMap) -> Option<String> {
    let name = crate::page::host_name(crate::page::request_host(headers)?);
    (!name.is_empty() && !crate::page::is_loopback_host(name)).then(|| name.to_owned())
}

#[derive(Template)]
#[template(path = "logs/sources.html")]
struct SourcesPage {
    chrome: Chrome,
    listeners: Vec<ListenerRow>,
    sources: Vec<SourceRow>,
    imports: Vec<ImportRow>,
    can_manage: bool,
    kinds: Vec<Choice>,
    devices: Vec<String>,
    form: SourceForm,
    errors: Vec<String>,
    import_sources: Vec<Choice>,
    import_errors: Vec<String>,
    preview: Option<PreviewView>,
    issued: Option<IssuedToken>,
}

/// What the page shows besides the lists: the source form as typed with its
/// problems, and the import form's outcome.
#[derive(Default)]
struct Shown {
    form: SourceForm,
    errors: Vec<String>,
    chosen: Option<LogSourceId>,
    import_errors: Vec<String>,
    preview: Option<PreviewView>,
    issued: Option<IssuedToken>,
    /// Where other machines reach this server ([`ReachedAt`]).
    reached_at: Option<ReachedAt>,
}

async fn page<P: permissions::ReadsAccessLogs>(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<P>,
    principal: &Principal,
    shown: Shown,
) -> Result<Response, AppError> {
    let k = chrome.k;
    let locale = chrome.locale;
    let listed = mamori_store::access_log::sources(&state.store, grant).await?;
    let imports = mamori_store::access_log::imports(&state.store, grant, IMPORTS_SHOWN)
        .await?
        .into_iter()
        .map(|import| ImportRow {
            when: when(chrome, import.imported_at),
            source: import.source,
            file: import.file_name,
            events: super::grouped(import.events),
            unrecognised: super::grouped(import.unrecognised),
            already_kept: super::grouped(import.already_kept),
        })
        .collect();
    let devices = match principal.grant::<permissions::ViewLedger>() {
        Some(ledger) => mamori_store::device::all(&state.store, &ledger)
            .await?
            .into_iter()
            .map(|device| device.device.asset_number)
            .collect(),
        None => Vec::new(),
    };
    let kind_chosen = if shown.form.kind.is_empty() {
        LogSourceKind::Syslog.code()
    } else {
        shown.form.kind.as_str()
    };
    let kinds = LogSourceKind::ALL
        .iter()
        .map(|kind| Choice {
            value: kind.code().to_owned(),
            label: locale.pick(kind.name_ja(), kind.name_en()).to_owned(),
            selected: kind.code() == kind_chosen,
        })
        .collect();
    let import_sources = listed
        .iter()
        .map(|listed| Choice {
            value: listed.source.id.to_string(),
            label: listed.source.name.clone(),
            selected: shown.chosen == Some(listed.source.id),
        })
        .collect();
    let sources = listed
        .into_iter()
        .map(|listed| SourceRow {
            id: listed.source.id.to_string(),
            has_token: listed.has_token,
            kind: locale.pick(listed.source.kind.name_ja(), listed.source.kind.name_en()),
            retention: fill(k.logs_years, &[&listed.source.retention_years]),
            silence: listed.source.silent_hours.map_or_else(
                || k.logs_silence_rule.to_owned(),
                |hours| fill(k.logs_hours, &[&hours]),
            ),
            name: listed.source.name,
            device: listed.device.unwrap_or_default(),
            senders: listed.senders.replace(',', ", "),
            time_zone: listed.source.time_zone,
            mapping: listed.source.mapping.replace('\n', ", "),
        })
        .collect();
    let errors = shown
        .errors
        .iter()
        .chain(&shown.import_errors)
        .cloned()
        .collect::<Vec<_>>();
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &SourcesPage {
            chrome: chrome.clone(),
            listeners: listener_rows(
                chrome,
                &state.config.syslog_listeners,
                shown.reached_at.as_ref(),
            ),
            sources,
            imports,
            can_manage: principal.role().has(Permission::ReviewAccessLogs),
            kinds,
            devices,
            form: shown.form,
            errors: shown.errors,
            import_sources,
            import_errors: shown.import_errors,
            preview: shown.preview,
            issued: shown.issued,
        },
    )
}

/// The key a just-issued token waits under for the page the redirect opens.
fn issued_key(session_hash: &str) -> String {
    format!("log-token:{session_hash}")
}

/// `GET /logs/sources` (a token this session just issued is shown once).
async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewAccessLogs>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let issued = state
        .issued_links
        .lock()
        .ok()
        .and_then(|mut links| links.remove(&issued_key(&authorized.user.token_hash)))
        .and_then(|text| {
            let mut parts = text.splitn(3, '\n');
            let intro = fill(chrome.k.logs_token_issued, &[&parts.next()?]);
            let token = parts.next()?.to_owned();
            let address = parts.next()?.to_owned();
            let address_is_loopback = names_loopback(&address);
            let server_local_only = state.config.listens_on_loopback;
            let lan_address = (address_is_loopback && !server_local_only)
                .then(this_machines_lan_address)
                .flatten()
                .and_then(|ip| with_host(&address, ip));
            Some(IssuedToken {
                intro,
                token,
                address_is_loopback,
                server_local_only,
                lan_address,
                address,
            })
        });
    page(
        &state,
        &chrome,
        &authorized.grant,
        &authorized.user.principal,
        Shown {
            issued,
            reached_at: ReachedAt::of(&headers),
            ..Shown::default()
        },
    )
    .await
}

/// The token form: which source.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct TokenForm {
    source: String,
}

/// `POST /logs/sources/token`: gives a source a new token for sending its
/// lines over HTTPS (the one before stops working); shown once.
async fn issue_token(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: axum::http::HeaderMap,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, AppError> {
    let id = form
        .source
        .trim()
        .parse::<i64>()
        .map(LogSourceId::from_db)
        .map_err(|_| AppError::bad_request(chrome.locale, chrome.k.logs_choose_source))?;
    let source = match mamori_store::access_log::source(&state.store, &authorized.grant, id).await {
        Ok(source) => source,
        Err(mamori_store::Error::NotFound) => {
            return Err(AppError::bad_request(
                chrome.locale,
                chrome.k.logs_choose_source,
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let token = crate::auth::random_token();
    mamori_store::access_log::set_ingest_token(
        &state.store,
        &authorized.grant,
        id,
        &sha256_hex(token.as_bytes()),
        state.clock.now(),
    )
    .await?;
    let address = crate::page::public_address(
        state.config.public_url.as_deref(),
        &headers,
        state.config.secure_cookies,
        "/logs/ingest",
    );
    if let Ok(mut links) = state.issued_links.lock() {
        links.insert(
            issued_key(&authorized.user.token_hash),
            format!("{}\n{token}\n{address}", source.name),
        );
    }
    Ok(Redirect::to("/logs/sources?done=saved").into_response())
}

/// A token's SHA-256, as the store keeps it.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    mamori_store::hex(&sha2::Sha256::digest(bytes))
}

/// A JSON answer of the ingest endpoint.
fn ingest_answer(status: axum::http::StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `POST /logs/ingest` (no session; `Authorization: Bearer <token>` of one
/// source): the body's lines — JSON objects as Winlogbeat or NXLog send
/// them, or syslog lines, one a line — appended to the source's log. The
/// answer `200 {"accepted": n, "added": a, "already_kept": k}` comes only
/// once they are durably written, so a sender that gets it may forget them
/// (`k` of them were kept before: the same event, by its record key, sent
/// again); any other answer means nothing was kept and the sender should
/// send again.
async fn ingest(
    State(state): State<AppState>,
    crate::auth::PeerAddress(peer): crate::auth::PeerAddress,
    request: axum::extract::Request,
) -> Result<Response, AppError> {
    use axum::http::StatusCode;
    let too_many = || {
        let mut answer = ingest_answer(
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({ "error": "too many requests; send again in a minute" }),
        );
        answer.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("60"),
        );
        answer
    };
    let now = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    let token = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty() && token.len() <= 200);
    let found = match token {
        Some(token) => {
            mamori_store::access_log::source_by_ingest_token(
                &state.store,
                &sha256_hex(token.as_bytes()),
            )
            .await?
        }
        None => None,
    };
    // The body is read only for a valid token: a stranger cannot make the
    // server hold 8 MB a request.
    let Some((institution, source)) = found else {
        let address = peer.map_or_else(String::new, |peer| peer.ip().to_string());
        if !state.ingest_limiter.allow(&format!("peer:{address}"), now) {
            return Ok(too_many());
        }
        return Ok(ingest_answer(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({ "error": "a valid source token is required (Authorization: Bearer …)" }),
        ));
    };
    if !state
        .ingest_limiter
        .allow(&format!("source:{}", source.id), now)
    {
        return Ok(too_many());
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_INGEST_BYTES).await else {
        return Ok(ingest_answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            serde_json::json!({ "error": format!("at most {MAX_INGEST_BYTES} bytes a request; send smaller batches") }),
        ));
    };
    let lines: Vec<String> = mamori_domain::access_log::source::text_lines(&body)
        .map(|(_, text)| text.into_owned())
        .collect();
    if lines.is_empty() {
        return Ok(ingest_answer(
            StatusCode::OK,
            serde_json::json!({ "accepted": 0 }),
        ));
    }
    match state
        .access_logs
        .receive(institution, source, lines, peer.map(|peer| peer.ip()))
        .await
    {
        Ok(Forwarded {
            added,
            already_kept,
        }) => Ok(ingest_answer(
            StatusCode::OK,
            serde_json::json!({
                "accepted": added + already_kept,
                "added": added,
                "already_kept": already_kept,
            }),
        )),
        Err(error) => {
            tracing::error!(%error, "lines sent over HTTPS could not be written");
            Ok(ingest_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "not written; send again" }),
            ))
        }
    }
}

/// `POST /logs/sources`: registers a source, or shows every problem with
/// nothing stored.
async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    CsrfForm(form): CsrfForm<SourceForm>,
) -> Result<Response, AppError> {
    let principal = &authorized.user.principal;
    let parsed = NewLogSource::parse(RawLogSource {
        name: &form.name,
        kind: &form.kind,
        device: &form.device,
        senders: &form.senders,
        time_zone: &form.time_zone,
        retention_years: &form.retention_years,
        mapping: &form.mapping,
        silent_hours: &form.silent_hours,
    });
    let refuse = |form: SourceForm, errors: Vec<String>| Shown {
        form,
        errors,
        ..Shown::default()
    };
    let source = match parsed {
        Ok(source) => source,
        Err(errors) => {
            let errors = describe_all(&errors, chrome.locale);
            let shown = refuse(form, errors);
            return page(&state, &chrome, &authorized.grant, principal, shown).await;
        }
    };
    let added = mamori_store::access_log::add_source(
        &state.store,
        &Acting::user(&authorized.grant),
        &source,
        state.clock.now(),
    )
    .await;
    let problem = match added {
        Ok(_) => return Ok(Redirect::to("/logs/sources?done=saved").into_response()),
        Err(mamori_store::Error::Conflict(_)) => chrome.k.logs_source_taken,
        Err(mamori_store::Error::Unknown(_)) => chrome.k.logs_device_unknown,
        Err(error) => return Err(error.into()),
    };
    let shown = refuse(form, vec![problem.to_owned()]);
    page(&state, &chrome, &authorized.grant, principal, shown).await
}

/// A row problem in words: the row, the column and why.
fn row_problem(chrome: &Chrome, problem: &RowError) -> String {
    fill(
        chrome.k.logs_row_problem,
        &[
            &problem.row,
            &problem.column,
            &crate::i18n::reason(&problem.error, chrome.locale),
        ],
    )
}

/// Why a whole file was refused.
fn refusal(chrome: &Chrome, error: &FileRefused) -> String {
    match error {
        FileRefused::EventLog(EvtxError::Damaged(reason)) => {
            fill(chrome.k.logs_evtx_damaged, &[reason])
        }
        FileRefused::EventLog(EvtxError::WrongSource) => chrome.k.logs_evtx_wrong_source.to_owned(),
        FileRefused::Table(EhrImportError::Table(table)) => {
            crate::ledger::table_message(chrome.locale, table)
        }
        FileRefused::Table(EhrImportError::MissingColumns { header, missing }) => fill(
            chrome.k.logs_missing_columns,
            &[
                &missing
                    .iter()
                    .map(|missing| missing.header.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                &header.join(" | "),
            ],
        ),
    }
}

fn preview_view(
    chrome: &Chrome,
    source: &StoredLogSource,
    file: &str,
    preview: Result<FilePreview, FileRefused>,
) -> Result<PreviewView, String> {
    let preview = preview.map_err(|error| refusal(chrome, &error))?;
    let k = chrome.k;
    let rows = preview
        .lines
        .iter()
        .map(|line| match &line.read {
            PreviewRead::Event(event) => PreviewRow {
                line: line.line,
                text: [
                    when(chrome, event.time),
                    event.user.clone().unwrap_or_default(),
                    event
                        .source_address
                        .map(|address| address.to_string())
                        .unwrap_or_default(),
                    super::action_label(chrome.locale, &action_code(&event.action)),
                    super::outcome_label(chrome.locale, event.outcome.code()).to_owned(),
                    event
                        .patient_id
                        .as_ref()
                        .map(|patient| format!("{} {patient}", k.logs_patient))
                        .unwrap_or_default(),
                ]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
                raw: preview_raw(&line.raw),
                problem: false,
            },
            PreviewRead::Raw => PreviewRow {
                line: line.line,
                text: k.logs_kept_raw.to_owned(),
                raw: preview_raw(&line.raw),
                problem: true,
            },
            PreviewRead::Problems(problems) => PreviewRow {
                line: line.line,
                text: problems
                    .iter()
                    .map(|problem| row_problem(chrome, problem))
                    .collect::<Vec<_>>()
                    .join(" "),
                raw: preview_raw(&line.raw),
                problem: true,
            },
        })
        .collect();
    Ok(PreviewView {
        held: None,
        file: file.to_owned(),
        source: source.name.clone(),
        total: super::grouped(preview.total as u64),
        header: preview.header.join(" | "),
        missing: preview
            .missing
            .iter()
            .map(|missing| format!("{} ({})", missing.header, missing.field))
            .collect(),
        rows,
    })
}

/// `POST /logs/import` (multipart: `source`, `file`, `step` = `preview` or
/// `import`): shows the file's first lines as the source reads them, or
/// imports it. The same file twice adds nothing; a file the source cannot
/// read is refused with nothing stored.
async fn import(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    mut multipart: CsrfMultipart,
) -> Result<Response, AppError> {
    let principal = &authorized.user.principal;
    let grant = &authorized.grant;
    let k = chrome.k;
    let chosen = multipart
        .field("source")
        .trim()
        .parse::<i64>()
        .ok()
        .map(LogSourceId::from_db);
    let mut shown = Shown {
        chosen,
        ..Shown::default()
    };
    let source = match chosen {
        Some(id) => match mamori_store::access_log::source(&state.store, grant, id).await {
            Ok(source) => Some(source),
            Err(mamori_store::Error::NotFound) => None,
            Err(error) => return Err(error.into()),
        },
        None => None,
    };
    let Some(source) = source else {
        shown.import_errors.push(k.logs_choose_source.to_owned());
        return page(&state, &chrome, grant, principal, shown).await;
    };
    let step_is_import = multipart.field("step") == "import";
    let holder = Holder {
        user: principal.user_id(),
        institution: grant.institution_id(),
        source: source.id,
    };
    let chosen_file = multipart
        .files
        .iter()
        .position(|file| file.field == "file")
        .map(|at| multipart.files.swap_remove(at));
    // No file chosen for the import: the one just previewed, if it is held.
    let held = multipart.field("held").to_owned();
    let file = match chosen_file {
        Some(file) => file,
        None if step_is_import && !held.is_empty() => {
            match state.held_uploads.take(&held, holder) {
                Some((name, bytes)) => UploadedFile {
                    field: "file".to_owned(),
                    name,
                    bytes,
                },
                None => {
                    shown.import_errors.push(k.logs_held_gone.to_owned());
                    return page(&state, &chrome, grant, principal, shown).await;
                }
            }
        }
        None => {
            shown.import_errors.push(k.logs_choose_file.to_owned());
            return page(&state, &chrome, grant, principal, shown).await;
        }
    };
    if file.bytes.len() > MAX_UPLOAD_BYTES {
        shown.import_errors.push(fill(
            k.logs_file_too_large,
            &[&(MAX_UPLOAD_BYTES / (1024 * 1024))],
        ));
        return page(&state, &chrome, grant, principal, shown).await;
    }
    let reader = SourceReader::of(source.kind, &source.time_zone, &source.mapping)
        .map_err(|errors| AppError::Unexpected(format!("log source {}: {errors:?}", source.id)))?;
    let file_name: String = file
        .name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(255)
        .collect();
    if !step_is_import {
        // Reading the whole file (to count its lines) takes a core for a
        // while on a large one: off the async workers, one at a time.
        let now = state.clock.now();
        let bytes = file.bytes;
        let (preview, bytes) = state
            .heavy
            .run(Kind::Import, chrome.locale, move || {
                (reader.preview(&bytes, now, PREVIEW_LINES), bytes)
            })
            .await?;
        match preview_view(&chrome, &source, &file_name, preview) {
            Ok(mut preview) => {
                // Held for the import, so the file need not be chosen again.
                preview.held = state.held_uploads.hold(holder, file_name, bytes);
                shown.preview = Some(preview);
            }
            Err(refused) => shown.import_errors.push(refused),
        }
        return page(&state, &chrome, grant, principal, shown).await;
    }
    let report = state
        .access_logs
        .import(Acting::user(grant), source, file_name.clone(), file.bytes)
        .await
        .map_err(AppError::Unexpected)?;
    match report {
        // The imports list shows what came in and how much was kept raw;
        // the preview showed the rows that cannot be read.
        ImportReport::Imported { .. } => {
            Ok(Redirect::to("/logs/sources?done=imported").into_response())
        }
        ImportReport::AlreadyImported(before) => {
            shown.import_errors.push(fill(
                k.logs_already_imported,
                &[
                    &before.file_name,
                    &before.source,
                    &when(&chrome, before.imported_at),
                ],
            ));
            page(&state, &chrome, grant, principal, shown).await
        }
        ImportReport::Refused(error) => {
            shown.import_errors.push(refusal(&chrome, &error));
            page(&state, &chrome, grant, principal, shown).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{PREVIEW_RAW_CHARS, browser_host, names_loopback, preview_raw, with_host};

    #[test]
    fn a_long_previewed_line_is_cut_on_a_character_and_marked() {
        assert_eq!(preview_raw("短い行"), "短い行");
        let exact = "あ".repeat(PREVIEW_RAW_CHARS);
        assert_eq!(preview_raw(&exact), exact);
        let long = "あ".repeat(PREVIEW_RAW_CHARS + 1);
        assert_eq!(
            preview_raw(&long),
            format!("{}…", "あ".repeat(PREVIEW_RAW_CHARS))
        );
    }

    fn host(value: &str) -> Option<String> {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::HOST,
            value.parse().expect("a header value"),
        );
        browser_host(&headers)
    }

    #[test]
    fn the_browsers_host_is_given_unless_it_is_the_server_itself() {
        assert_eq!(host("192.168.1.10:8080").as_deref(), Some("192.168.1.10"));
        assert_eq!(
            host("mamori.clinic.local").as_deref(),
            Some("mamori.clinic.local")
        );
        assert_eq!(host("[fd00::5]:8080").as_deref(), Some("fd00::5"));
        assert_eq!(host("127.0.0.1:8080"), None);
        assert_eq!(host("localhost:8080"), None);
        assert_eq!(host("[::1]:8080"), None);
        assert_eq!(host("<script>:80"), None);
        assert_eq!(browser_host(&axum::http::HeaderMap::new()), None);
    }

    #[test]
    fn a_send_address_on_the_server_itself_is_told_apart() {
        assert!(names_loopback("http://127.0.0.1:8080/logs/ingest"));
        assert!(names_loopback("http://localhost/logs/ingest"));
        assert!(names_loopback("https://[::1]:8443/logs/ingest"));
        assert!(!names_loopback("http://192.168.1.10:8080/logs/ingest"));
        assert!(!names_loopback("https://mamori.clinic.local/logs/ingest"));
        assert!(!names_loopback("/logs/ingest"));
    }

    #[test]
    fn the_lan_address_takes_the_hosts_place_and_keeps_port_and_path() {
        let lan: std::net::IpAddr = "192.168.1.10".parse().expect("an address");
        assert_eq!(
            with_host("http://127.0.0.1:8080/logs/ingest", lan).as_deref(),
            Some("http://192.168.1.10:8080/logs/ingest")
        );
        assert_eq!(
            with_host("http://localhost/logs/ingest", lan).as_deref(),
            Some("http://192.168.1.10/logs/ingest")
        );
        assert_eq!(
            with_host("https://[::1]:8443/logs/ingest", lan).as_deref(),
            Some("https://192.168.1.10:8443/logs/ingest")
        );
        let v6: std::net::IpAddr = "fd00::10".parse().expect("an address");
        assert_eq!(
            with_host("http://127.0.0.1:8080/logs/ingest", v6).as_deref(),
            Some("http://[fd00::10]:8080/logs/ingest")
        );
        assert_eq!(with_host("/logs/ingest", lan), None);
    }
}
