//! mamori's web UI: the only crate that speaks HTTP and HTML.
//!
//! Server-rendered pages (askama) that work without JavaScript, one router per
//! domain area, merged in [`app`]. Every request passes through the security
//! headers layer and the session loader; every state-changing form goes through
//! [`auth::CsrfForm`].
//!
//! Invariant: handlers hold no SQL and no business rule; they parse a form into a
//! domain value, call one store function with a grant, and render a template.
#![forbid(unsafe_code)]

mod access_log;
mod audit_log;
pub mod auth;
pub mod calendar;
mod checklist;
mod continuity;
mod dashboard;
mod document;
mod error;
pub mod heavy;
pub mod i18n;
mod incident;
mod institution;
mod ledger;
mod multipart;
mod page;
mod policy;
pub mod rate_limit;
mod reminders;
mod security;
mod training;

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use mamori_domain::institution::{LockoutPolicy, PasswordPolicy, Permission};
use mamori_store::Store;
use tokio::sync::Mutex;

pub use access_log::{
    Forwarded, INGEST_REQUESTS_PER_MINUTE, LogArchive, MAX_UPLOAD_BYTES as MAX_LOG_UPLOAD_BYTES,
};
pub use audit_log::action_label as audit_action_label;
pub use error::AppError;

/// Settings the web layer needs, taken from the command line.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Whether cookies carry the `Secure` flag (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Whether the server listens only on a loopback address; then setup from
    /// the local machine needs no token.
    pub listens_on_loopback: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: jiff::SignedDuration,
    /// A session ends this long after sign-in, whatever happens.
    pub absolute_timeout: jiff::SignedDuration,
    /// The rules new passwords must meet.
    pub password_policy: PasswordPolicy,
    /// How many failed sign-ins lock an account, and for how long.
    pub lockout: LockoutPolicy,
    /// Sign-in attempts allowed per source address, and per login ID, each minute (0: no limit).
    pub sign_in_attempts_per_minute: u32,
    /// The address others reach this server at (`https://host[:port]`), for
    /// the links sent to vendors; `None`: the address the browser used.
    pub public_url: Option<String>,
    /// Reports accepted through one poster link each hour (0: no limit); more
    /// are refused with a message to telephone instead.
    pub poster_reports_per_hour: u32,
    /// Whether the server sends reminder e-mails (`--smtp-host` given); the
    /// address page says so when it does not.
    pub sends_mail: bool,
    /// The syslog receivers `mamori serve` runs, which the log sources page
    /// shows (where a device is to send); empty when none is configured.
    pub syslog_listeners: Vec<SyslogListener>,
}

/// A syslog receiver the server runs: its transport and bound address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyslogListener {
    /// `UDP`, `TCP`, `TLS` or `RELP`.
    pub transport: &'static str,
    /// The address bound.
    pub address: std::net::SocketAddr,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            listens_on_loopback: true,
            idle_timeout: jiff::SignedDuration::from_mins(30),
            absolute_timeout: jiff::SignedDuration::from_hours(12),
            password_policy: PasswordPolicy::DEFAULT,
            lockout: LockoutPolicy::DEFAULT,
            sign_in_attempts_per_minute: 30,
            public_url: None,
            poster_reports_per_hour: 30,
            sends_mail: false,
            syslog_listeners: Vec::new(),
        }
    }
}

/// Where "now" comes from: the system clock, or a fixed instant in tests.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The system clock.
    System,
    /// A fixed instant.
    Fixed(jiff::Timestamp),
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> jiff::Timestamp {
        match self {
            Self::System => jiff::Timestamp::now(),
            Self::Fixed(timestamp) => *timestamp,
        }
    }

    /// Today's date in Japan (Asia/Tokyo).
    pub fn today(&self) -> jiff::civil::Date {
        self.now().to_zoned_datetime(tokyo()).date()
    }
}

/// The Asia/Tokyo time zone, from jiff's bundled database (so it works on Windows too).
pub fn tokyo() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::fixed(jiff::tz::offset(9)))
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Arc<WebConfig>,
    /// The clock.
    pub clock: Clock,
    /// The one-time setup token printed on the console, while setup is open.
    pub setup_token: Arc<Mutex<Option<String>>>,
    /// Sign-in rate limits.
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
    /// Reports through each poster link, per hour ([`WebConfig::poster_reports_per_hour`]).
    pub report_link_limiter: Arc<rate_limit::RateLimiter>,
    /// Whether the system clock is NTP-synchronised, as last checked.
    pub time_sync: Arc<std::sync::RwLock<mamori_domain::dashboard::TimeSync>>,
    /// The checklist catalogs, validated at start-up.
    pub catalogs: Arc<mamori_domain::checklist::CatalogSet>,
    /// The items of 【別紙1】 a vendor contract should contain, validated at start-up.
    pub contract_clauses: Arc<mamori_domain::contract::ClauseList>,
    /// Slots for imports and PDF prints (see [`heavy`]).
    pub heavy: heavy::HeavyWork,
    /// A vendor link just issued, kept for the one page view after the
    /// redirect (by session), so that reloading that page issues nothing.
    pub issued_links: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
    /// Where access-log files are imported to (the app's tiled logs).
    pub access_logs: Arc<dyn LogArchive>,
    /// Requests to `POST /logs/ingest`, per source and per address.
    pub ingest_limiter: Arc<rate_limit::RateLimiter>,
    /// Log files previewed and not imported yet.
    pub held_uploads: Arc<access_log::held::HeldUploads>,
}

/// One route of the application and the permission it requires.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path pattern, with `{id}` for a record id.
    pub path: &'static str,
    /// The permission required; `None` for public routes and for routes that need
    /// only a signed-in person (sign-out).
    pub permission: Option<Permission>,
}

const fn route(
    method: &'static str,
    path: &'static str,
    permission: Option<Permission>,
) -> RouteInfo {
    RouteInfo {
        method,
        path,
        permission,
    }
}

/// Every route, with its permission. Tests walk this table to prove role checks and
/// tenant isolation on each route; a unit test fails if a route is added to a
/// router without being listed here.
pub const ROUTES: &[RouteInfo] = &[
    route("GET", "/", None),
    route("GET", "/healthz", None),
    route("GET", "/static/mamori.css", None),
    route("GET", "/lang/{code}", None),
    route("GET", "/setup", None),
    route("POST", "/setup", None),
    route("GET", "/login", None),
    route("POST", "/login", None),
    route("POST", "/logout", None),
    route("GET", "/dashboard", Some(Permission::ViewDashboard)),
    route("GET", "/institution", Some(Permission::ViewInstitution)),
    route(
        "GET",
        "/institution/edit",
        Some(Permission::EditInstitution),
    ),
    route(
        "POST",
        "/institution/edit",
        Some(Permission::EditInstitution),
    ),
    route("GET", "/users", Some(Permission::ViewUsers)),
    route("GET", "/users/new", Some(Permission::ManageUsers)),
    route("POST", "/users/new", Some(Permission::ManageUsers)),
    route("GET", "/users/{id}/edit", Some(Permission::ManageUsers)),
    route("POST", "/users/{id}/edit", Some(Permission::ManageUsers)),
    route("POST", "/users/{id}/unlock", Some(Permission::ManageUsers)),
    route(
        "POST",
        "/users/{id}/two-factor/reset",
        Some(Permission::ManageUsers),
    ),
    route("GET", "/login/two-factor", None),
    route("POST", "/login/two-factor", None),
    route(
        "GET",
        "/account/two-factor",
        Some(Permission::ChangeOwnPassword),
    ),
    route(
        "POST",
        "/account/two-factor",
        Some(Permission::ChangeOwnPassword),
    ),
    route(
        "POST",
        "/account/two-factor/disable",
        Some(Permission::ChangeOwnPassword),
    ),
    route(
        "POST",
        "/institution/two-factor",
        Some(Permission::EditInstitution),
    ),
    route(
        "POST",
        "/institution/password-rule",
        Some(Permission::EditInstitution),
    ),
    route("GET", "/break-glass", None),
    route("POST", "/break-glass", None),
    route(
        "POST",
        "/break-glass/{id}/acknowledge",
        Some(Permission::EditInstitution),
    ),
    route(
        "POST",
        "/users/{id}/password",
        Some(Permission::ManageUsers),
    ),
    route("GET", "/audit", Some(Permission::ViewAuditTrail)),
    route(
        "GET",
        "/account/password",
        Some(Permission::ChangeOwnPassword),
    ),
    route(
        "POST",
        "/account/password",
        Some(Permission::ChangeOwnPassword),
    ),
    route("GET", "/checklist", Some(Permission::ViewChecklist)),
    route(
        "GET",
        "/checklist/{form}/{year}",
        Some(Permission::ViewChecklist),
    ),
    route(
        "POST",
        "/checklist/{form}/{year}/start",
        Some(Permission::EditChecklist),
    ),
    route(
        "POST",
        "/checklist/{form}/{year}/gate",
        Some(Permission::EditChecklist),
    ),
    route(
        "GET",
        "/checklist/{form}/{year}/items/{key}",
        Some(Permission::ViewChecklist),
    ),
    route(
        "POST",
        "/checklist/{form}/{year}/items/{key}",
        Some(Permission::EditChecklist),
    ),
    route(
        "POST",
        "/checklist/{form}/{year}/items/{key}/evidence",
        Some(Permission::EditChecklist),
    ),
    route(
        "POST",
        "/checklist/{form}/{year}/items/{key}/links",
        Some(Permission::EditChecklist),
    ),
    route(
        "GET",
        "/checklist/{form}/{year}/print.pdf",
        Some(Permission::ViewChecklist),
    ),
    route(
        "GET",
        "/checklist/{form}/{year}/export.xlsx",
        Some(Permission::ViewChecklist),
    ),
    route(
        "GET",
        "/checklist-versions",
        Some(Permission::ViewChecklist),
    ),
    route(
        "POST",
        "/checklist-versions",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "GET",
        "/checklist-versions/{id}",
        Some(Permission::ViewChecklist),
    ),
    route(
        "POST",
        "/checklist-versions/{id}/header",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "POST",
        "/checklist-versions/{id}/items",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "GET",
        "/checklist-versions/{id}/items/{key}",
        Some(Permission::ViewChecklist),
    ),
    route(
        "POST",
        "/checklist-versions/{id}/items/{key}",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "POST",
        "/checklist-versions/{id}/items/{key}/remove",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "POST",
        "/checklist-versions/{id}/publish",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "POST",
        "/checklist-versions/{id}/discard",
        Some(Permission::EditChecklistVersions),
    ),
    route(
        "GET",
        "/checklist-versions/{id}/catalog.yaml",
        Some(Permission::ViewChecklist),
    ),
    route("GET", "/evidence/{id}", Some(Permission::ViewChecklist)),
    route(
        "POST",
        "/evidence/{id}/remove",
        Some(Permission::EditChecklist),
    ),
    route("GET", "/vendors", Some(Permission::ManageVendors)),
    route("POST", "/vendors", Some(Permission::ManageVendors)),
    route(
        "GET",
        "/vendors/{id}/contracts",
        Some(Permission::ManageVendors),
    ),
    route(
        "POST",
        "/vendors/{id}/contracts",
        Some(Permission::ManageVendors),
    ),
    route(
        "POST",
        "/vendors/{id}/certificates",
        Some(Permission::ManageVendors),
    ),
    route(
        "POST",
        "/vendors/{id}/requests",
        Some(Permission::ManageVendors),
    ),
    route(
        "POST",
        "/vendor-requests/{id}/revoke",
        Some(Permission::ManageVendors),
    ),
    route(
        "GET",
        "/vendor-documents/{id}",
        Some(Permission::ViewChecklist),
    ),
    route("GET", "/v/{token}", None),
    route("GET", "/v/{token}/remote", None),
    route("POST", "/v/{token}/remote", None),
    route("POST", "/v/{token}", None),
    route("GET", "/tokushima", Some(Permission::ViewChecklist)),
    route("POST", "/tokushima/{year}", Some(Permission::EditChecklist)),
    route("GET", "/ledger/devices", Some(Permission::ViewLedger)),
    route("GET", "/ledger/devices/new", Some(Permission::EditLedger)),
    route("POST", "/ledger/devices/new", Some(Permission::EditLedger)),
    route(
        "GET",
        "/ledger/devices/export.csv",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/devices/export.xlsx",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/devices/print.pdf",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/devices/import",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/devices/import",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/devices/import/{id}/apply",
        Some(Permission::EditLedger),
    ),
    route(
        "GET",
        "/ledger/devices/import/template.xlsx",
        Some(Permission::EditLedger),
    ),
    route("GET", "/ledger/devices/{id}", Some(Permission::ViewLedger)),
    route(
        "GET",
        "/ledger/devices/{id}/edit",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/devices/{id}/edit",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/devices/{id}/dispose",
        Some(Permission::EditLedger),
    ),
    route(
        "GET",
        "/ledger/devices/{id}/certificate",
        Some(Permission::ViewLedger),
    ),
    route(
        "POST",
        "/ledger/devices/review",
        Some(Permission::EditLedger),
    ),
    route("GET", "/ledger/staff", Some(Permission::ViewLedger)),
    route("POST", "/ledger/staff", Some(Permission::EditLedger)),
    route(
        "GET",
        "/ledger/staff/export.csv",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/staff/export.xlsx",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/staff/print.pdf",
        Some(Permission::ViewLedger),
    ),
    route("GET", "/ledger/staff/import", Some(Permission::EditLedger)),
    route("POST", "/ledger/staff/import", Some(Permission::EditLedger)),
    route(
        "GET",
        "/ledger/staff/import/template.xlsx",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/staff/import/{id}/apply",
        Some(Permission::EditLedger),
    ),
    route(
        "GET",
        "/ledger/staff/{id}/edit",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/staff/{id}/edit",
        Some(Permission::EditLedger),
    ),
    route("GET", "/ledger/accounts", Some(Permission::ViewLedger)),
    route("POST", "/ledger/accounts", Some(Permission::EditLedger)),
    route(
        "GET",
        "/ledger/accounts/export.csv",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/accounts/export.xlsx",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/accounts/print.pdf",
        Some(Permission::ViewLedger),
    ),
    route(
        "GET",
        "/ledger/accounts/import",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/accounts/import",
        Some(Permission::EditLedger),
    ),
    route(
        "GET",
        "/ledger/accounts/import/template.xlsx",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/accounts/import/{id}/apply",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/accounts/inventory",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/accounts/{id}/delete",
        Some(Permission::EditLedger),
    ),
    route("GET", "/ledger/access", Some(Permission::ViewLedger)),
    route("POST", "/ledger/access", Some(Permission::EditLedger)),
    route("GET", "/ledger/backups", Some(Permission::ViewLedger)),
    route("POST", "/ledger/backups", Some(Permission::EditLedger)),
    route("GET", "/ledger/backups/{id}", Some(Permission::ViewLedger)),
    route("POST", "/ledger/backups/{id}", Some(Permission::EditLedger)),
    route(
        "POST",
        "/ledger/backups/{id}/tests",
        Some(Permission::EditLedger),
    ),
    route(
        "GET",
        "/ledger/backups/{id}/tests/{test}/evidence",
        Some(Permission::ViewLedger),
    ),
    route("GET", "/policy", Some(Permission::ViewPolicy)),
    route("GET", "/policy/draft", Some(Permission::EditPolicy)),
    route("POST", "/policy/answers", Some(Permission::EditPolicy)),
    route("POST", "/policy/approve", Some(Permission::ApprovePolicy)),
    route("POST", "/policy/acknowledge", Some(Permission::ViewPolicy)),
    route(
        "GET",
        "/policy/acknowledgements",
        Some(Permission::EditPolicy),
    ),
    route(
        "POST",
        "/policy/acknowledgements",
        Some(Permission::EditPolicy),
    ),
    route("GET", "/policy/versions/{id}", Some(Permission::ViewPolicy)),
    route(
        "GET",
        "/policy/versions/{id}/policy.pdf",
        Some(Permission::ViewPolicy),
    ),
    route(
        "GET",
        "/policy/versions/{id}/policy.docx",
        Some(Permission::ViewPolicy),
    ),
    route("GET", "/ledger/remote", Some(Permission::ViewLedger)),
    route("POST", "/ledger/remote", Some(Permission::EditLedger)),
    route("GET", "/ledger/remote/{id}", Some(Permission::ViewLedger)),
    route(
        "POST",
        "/ledger/remote/{id}/step",
        Some(Permission::EditLedger),
    ),
    route(
        "GET",
        "/ledger/remote/{id}/file",
        Some(Permission::ViewLedger),
    ),
    route("GET", "/calendar", Some(Permission::ViewDashboard)),
    route("POST", "/calendar/feed", Some(Permission::ViewDashboard)),
    route("GET", "/calendar/feed/{token}", None),
    route("GET", "/account/email", Some(Permission::ChangeOwnPassword)),
    route(
        "POST",
        "/account/email",
        Some(Permission::ChangeOwnPassword),
    ),
    route("GET", "/logs", Some(Permission::ViewAccessLogs)),
    route("POST", "/logs/review", Some(Permission::ReviewAccessLogs)),
    route("POST", "/logs/rules", Some(Permission::ReviewAccessLogs)),
    route("POST", "/logs/findings", Some(Permission::ReviewAccessLogs)),
    route("POST", "/logs/verify", Some(Permission::ReviewAccessLogs)),
    route("GET", "/logs/search", Some(Permission::ViewAccessLogs)),
    route("GET", "/logs/search.csv", Some(Permission::ViewAccessLogs)),
    route("GET", "/logs/sources", Some(Permission::ViewAccessLogs)),
    route("POST", "/logs/sources", Some(Permission::ReviewAccessLogs)),
    route("POST", "/logs/import", Some(Permission::ReviewAccessLogs)),
    route(
        "POST",
        "/logs/sources/token",
        Some(Permission::ReviewAccessLogs),
    ),
    // A source's own token, not a session (see `access_log::sources::ingest`).
    route("POST", "/logs/ingest", None),
    route("GET", "/training", Some(Permission::ViewLedger)),
    route("POST", "/training", Some(Permission::RecordTraining)),
    route("GET", "/training/{id}", Some(Permission::ViewLedger)),
    route("GET", "/bcp", Some(Permission::ViewBcp)),
    route("GET", "/bcp/draft", Some(Permission::EditBcp)),
    route("POST", "/bcp/answers", Some(Permission::EditBcp)),
    route("POST", "/bcp/approve", Some(Permission::ApproveBcp)),
    route("POST", "/bcp/acknowledge", Some(Permission::ViewBcp)),
    route("GET", "/bcp/versions/{id}", Some(Permission::ViewBcp)),
    route(
        "GET",
        "/bcp/versions/{id}/bcp.pdf",
        Some(Permission::ViewBcp),
    ),
    route(
        "GET",
        "/bcp/versions/{id}/bcp.docx",
        Some(Permission::ViewBcp),
    ),
    route("GET", "/ledger/usage", Some(Permission::ViewCarryOuts)),
    route("POST", "/ledger/usage", Some(Permission::RecordUse)),
    route(
        "GET",
        "/ledger/private-devices",
        Some(Permission::ViewCarryOuts),
    ),
    route(
        "POST",
        "/ledger/private-devices",
        Some(Permission::RecordUse),
    ),
    route(
        "POST",
        "/ledger/private-devices/{id}/deleted",
        Some(Permission::RecordUse),
    ),
    route("GET", "/ledger/network", Some(Permission::ViewLedger)),
    route("GET", "/ledger/network.svg", Some(Permission::ViewLedger)),
    route(
        "POST",
        "/ledger/network/segments",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/network/links",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/network/review",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/network/segments/{id}/remove",
        Some(Permission::EditLedger),
    ),
    route(
        "POST",
        "/ledger/network/links/{id}/remove",
        Some(Permission::EditLedger),
    ),
    route("GET", "/incidents/report", Some(Permission::ReportIncident)),
    route(
        "POST",
        "/incidents/report",
        Some(Permission::ReportIncident),
    ),
    route(
        "GET",
        "/incidents/reported",
        Some(Permission::ReportIncident),
    ),
    route("GET", "/contacts", Some(Permission::ViewContacts)),
    route("POST", "/contacts", Some(Permission::ViewContacts)),
    route("GET", "/contacts/print.pdf", Some(Permission::ViewContacts)),
    route(
        "GET",
        "/incidents/poster",
        Some(Permission::HandleIncidents),
    ),
    route(
        "POST",
        "/incidents/poster",
        Some(Permission::HandleIncidents),
    ),
    route(
        "GET",
        "/incidents/poster.pdf",
        Some(Permission::HandleIncidents),
    ),
    route("GET", "/report/{token}", None),
    route("POST", "/report/{token}", None),
    route("GET", "/report/{token}/sent", None),
    route("GET", "/incidents", Some(Permission::ViewIncidents)),
    route("GET", "/incidents/{id}", Some(Permission::ViewIncidents)),
    route("POST", "/incidents/{id}", Some(Permission::HandleIncidents)),
    route(
        "POST",
        "/incidents/{id}/my-steps",
        Some(Permission::ReportIncident),
    ),
    route(
        "GET",
        "/incidents/vendor",
        Some(Permission::AnswerVendorManual),
    ),
    route(
        "POST",
        "/incidents/{id}/vendor-steps",
        Some(Permission::AnswerVendorManual),
    ),
    route(
        "GET",
        "/incidents/{id}/report.pdf",
        Some(Permission::ViewIncidents),
    ),
    route(
        "GET",
        "/incidents/{id}/export.xlsx",
        Some(Permission::ViewIncidents),
    ),
    route(
        "GET",
        "/incident-files/{id}",
        Some(Permission::ViewIncidents),
    ),
    route("GET", "/carry-outs", Some(Permission::ViewCarryOuts)),
    route("GET", "/carry-outs/new", Some(Permission::RequestCarryOut)),
    route("POST", "/carry-outs/new", Some(Permission::RequestCarryOut)),
    route("GET", "/carry-outs/{id}", Some(Permission::ViewCarryOuts)),
    route(
        "POST",
        "/carry-outs/{id}/step",
        Some(Permission::ViewCarryOuts),
    ),
];

/// The whole web application.
/// The largest request body any route takes (each route sets its own limit
/// below this).
const LARGEST_BODY: usize = {
    let logs = access_log::MAX_UPLOAD_BYTES + 64 * 1024;
    if checklist::LARGEST_BODY > logs {
        checklist::LARGEST_BODY
    } else {
        logs
    }
};

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(|| async { "ok" }))
        .merge(security::router())
        .merge(institution::router())
        .merge(dashboard::router())
        .merge(audit_log::router())
        .merge(checklist::router())
        .merge(ledger::router())
        .merge(continuity::router())
        .merge(incident::router())
        .merge(policy::router())
        .merge(training::router())
        .merge(access_log::router())
        .merge(reminders::router())
        .route("/calendar", axum::routing::get(calendar::show))
        .route("/calendar/feed", axum::routing::post(calendar::set_feed))
        .route("/calendar/feed/{token}", axum::routing::get(calendar::feed))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(error::localize_standard_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::load_session,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(LARGEST_BODY))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn root(session: auth::MaybeSession) -> Response {
    match session.0 {
        Some(signed_in) if signed_in.second_factor_pending => {
            Redirect::to(auth::SECOND_FACTOR_PATH).into_response()
        }
        Some(signed_in) if signed_in.principal.role().has(Permission::ViewDashboard) => {
            Redirect::to("/dashboard").into_response()
        }
        // A vendor's account has no dashboard: its home is the incidents it
        // was called into (manual IV); the checklist answers come by links (/v/…).
        Some(signed_in)
            if signed_in
                .principal
                .role()
                .has(Permission::AnswerVendorManual) =>
        {
            Redirect::to("/incidents/vendor").into_response()
        }
        Some(_) => Redirect::to("/account/password").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

async fn not_found(locale: i18n::Locale) -> AppError {
    AppError::not_found(locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.route(` in the routers must be in [`ROUTES`], with each method.
    #[test]
    fn the_route_table_lists_every_route() {
        let sources = [
            include_str!("lib.rs"),
            include_str!("security.rs"),
            include_str!("institution/mod.rs"),
            include_str!("dashboard/mod.rs"),
            include_str!("audit_log/mod.rs"),
            include_str!("checklist/mod.rs"),
            include_str!("ledger/mod.rs"),
            include_str!("continuity/mod.rs"),
            include_str!("incident/mod.rs"),
            include_str!("policy.rs"),
            include_str!("training.rs"),
            include_str!("access_log/mod.rs"),
            include_str!("access_log/sources.rs"),
            include_str!("reminders.rs"),
        ];
        let mut n_found = 0;
        for source in sources {
            // Only the code, not the tests (this one mentions `.route(` too).
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            // rustfmt may spread one `.route(…)` over several lines, so read each
            // call up to its closing parenthesis rather than line by line.
            for (start, _) in source.match_indices(".route(") {
                let call = &source[start + ".route(".len()..];
                let call = call.trim_start();
                let Some(rest) = call.strip_prefix('"') else {
                    continue;
                };
                let Some((path, _)) = rest.split_once('"') else {
                    continue;
                };
                let mut depth = 1;
                let end = call
                    .char_indices()
                    .find(|(_, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(call.len(), |(index, _)| index);
                let body = &call[..end];
                let methods: Vec<&str> = [("get(", "GET"), ("post(", "POST")]
                    .into_iter()
                    .filter(|(call, _)| body.contains(call))
                    .map(|(_, method)| method)
                    .collect();
                assert!(!methods.is_empty(), "no method found for {path}");
                for method in methods {
                    n_found += 1;
                    assert!(
                        ROUTES
                            .iter()
                            .any(|route| route.path == path && route.method == method),
                        "{method} {path} is routed but missing from ROUTES"
                    );
                }
            }
        }
        assert_eq!(n_found, ROUTES.len(), "ROUTES lists a route no router has");
    }
}
