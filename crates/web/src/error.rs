//! The one error type of handlers: the user's fault (a message page in the
//! request's language) or ours (a generic 500).

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::i18n::{Locale, Messages};

/// What a handler returns when it cannot render its page.
#[derive(Debug)]
pub enum AppError {
    /// The request cannot be served as asked (400, 403, 404); the message is shown.
    User {
        status: StatusCode,
        locale: Locale,
        message: String,
    },
    /// Something failed on our side; the cause is logged, never shown.
    Unexpected(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'static Messages,
    lang: &'static str,
    title: &'a str,
    message: &'a str,
}

impl AppError {
    /// 404 with the standard message.
    pub fn not_found(locale: Locale) -> Self {
        Self::User {
            status: StatusCode::NOT_FOUND,
            locale,
            message: locale.messages().error_not_found.into(),
        }
    }

    /// 403 with the standard message.
    pub fn forbidden(locale: Locale) -> Self {
        Self::User {
            status: StatusCode::FORBIDDEN,
            locale,
            message: locale.messages().error_forbidden.into(),
        }
    }

    /// 429: too many sign-in attempts from here or on this account.
    pub fn too_many_attempts(locale: Locale) -> Self {
        Self::User {
            status: StatusCode::TOO_MANY_REQUESTS,
            locale,
            message: locale.messages().too_many_attempts.into(),
        }
    }

    /// 503: every slot for heavy work (imports, PDF prints) stayed taken.
    pub fn busy(locale: Locale) -> Self {
        Self::User {
            status: StatusCode::SERVICE_UNAVAILABLE,
            locale,
            message: locale.messages().error_busy.into(),
        }
    }

    /// 400 with `message`.
    pub fn bad_request(locale: Locale, message: impl Into<String>) -> Self {
        Self::User {
            status: StatusCode::BAD_REQUEST,
            locale,
            message: message.into(),
        }
    }

    /// Maps a store error: "not found" is the user's 404, anything else is ours.
    pub fn from_store(locale: Locale, error: mamori_store::Error) -> Self {
        match error {
            mamori_store::Error::NotFound => Self::not_found(locale),
            mamori_store::Error::Rule(_) => Self::forbidden(locale),
            other => Self::Unexpected(other.to_string()),
        }
    }
}

impl From<mamori_store::Error> for AppError {
    fn from(error: mamori_store::Error) -> Self {
        Self::from_store(Locale::Ja, error)
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        Self::Unexpected(format!("template: {error}"))
    }
}

/// Marks an error page that shows a standard message (not found, forbidden,
/// unexpected): made where the request's locale is not at hand (`?` on a store
/// error), it is rendered again in that locale by [`localize_standard_errors`].
#[derive(Debug, Clone, Copy)]
struct StandardError {
    status: StatusCode,
    locale: Locale,
}

/// Renders a standard error page again in the locale the request asks for.
pub async fn localize_standard_errors(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let wanted = Locale::from_parts(&parts);
    let response = next.run(Request::from_parts(parts, body)).await;
    match response.extensions().get::<StandardError>().copied() {
        Some(StandardError { status, locale }) if locale != wanted => {
            let t = wanted.messages();
            let message = match status {
                StatusCode::NOT_FOUND => t.error_not_found,
                StatusCode::FORBIDDEN => t.error_forbidden,
                _ => t.error_unexpected,
            };
            AppError::User {
                status,
                locale: wanted,
                message: message.to_owned(),
            }
            .into_response()
        }
        _ => response,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, locale, message) = match self {
            Self::User {
                status,
                locale,
                message,
            } => (status, locale, message),
            Self::Unexpected(cause) => {
                tracing::error!(%cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Locale::Ja,
                    Locale::Ja.messages().error_unexpected.to_owned(),
                )
            }
        };
        let t = locale.messages();
        let title = match status {
            StatusCode::NOT_FOUND => t.error_title_not_found,
            StatusCode::FORBIDDEN => t.error_title_forbidden,
            StatusCode::INTERNAL_SERVER_ERROR => t.error_title_unexpected,
            _ => t.error_title_bad_request,
        };
        let standard =
            [t.error_not_found, t.error_forbidden, t.error_unexpected].contains(&message.as_str());
        let page = ErrorPage {
            t,
            lang: locale.code(),
            title,
            message: &message,
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        };
        if standard {
            response
                .extensions_mut()
                .insert(StandardError { status, locale });
        }
        response
    }
}
