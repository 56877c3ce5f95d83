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

pub mod auth;
mod dashboard;
mod error;
pub mod i18n;
mod institution;
mod page;
mod security;

use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use mamori_domain::institution::PasswordPolicy;
use mamori_store::Store;
use tokio::sync::Mutex;

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
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            listens_on_loopback: true,
            idle_timeout: jiff::SignedDuration::from_mins(30),
            absolute_timeout: jiff::SignedDuration::from_hours(12),
            password_policy: PasswordPolicy::DEFAULT,
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
}

/// The whole web application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(|| async { "ok" }))
        .merge(security::router())
        .merge(institution::router())
        .merge(dashboard::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::load_session))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn root(session: auth::MaybeSession) -> Response {
    match session.0 {
        Some(_) => Redirect::to("/dashboard").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

async fn not_found(locale: i18n::Locale) -> AppError {
    AppError::not_found(locale)
}
