//! Sessions, sign-in state, permissions and CSRF, as axum extractors.
//!
//! The session cookie holds a random 256-bit token; the database holds only its
//! SHA-256. Every state-changing form carries a CSRF token: the session's own
//! once signed in, otherwise the one in the pre-session `mamori_csrf` cookie
//! (double submit). A request whose `Origin` names another site is refused as well.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use mamori_domain::institution::{Grant, Principal, permissions};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::i18n::Locale;
use crate::{AppError, AppState};

/// Where a session that passed the password goes for its second factor.
pub const SECOND_FACTOR_PATH: &str = "/login/two-factor";
/// Where a break-glass account states why it is used.
pub const BREAK_GLASS_PATH: &str = "/break-glass";
/// Where two-factor authentication is set up.
pub const ENROL_PATH: &str = "/account/two-factor";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mamori_session";
/// The pre-session CSRF cookie's name.
pub const CSRF_COOKIE: &str = "mamori_csrf";

/// The session of this request, if one is signed in (loaded once by [`load_session`]).
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<SignedIn>);

/// A signed-in person and what their session knows.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who.
    pub principal: Principal,
    /// Login ID.
    pub login_id: String,
    /// Name.
    pub display_name: String,
    /// The token this session's forms must carry.
    pub csrf_token: String,
    /// The SHA-256 of the session token, to end or keep this session.
    pub token_hash: String,
    /// The password was right; the TOTP or recovery code is still to come.
    pub second_factor_pending: bool,
    /// The institution requires two-factor authentication and this person has not enrolled.
    pub must_enrol_two_factor: bool,
    /// A break-glass account that has not stated why it is being used.
    pub break_glass_reason_pending: bool,
}

/// A random URL-safe token of 256 bits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a token, in hex, as stored.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value with the attributes every mamori cookie has.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: Option<i64>, secure: bool) -> String {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(max_age) = max_age_seconds {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Middleware: loads the session named by the cookie into the request's extensions.
pub async fn load_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let mut signed_in = None;
    if let Some(token) = cookie(&parts, SESSION_COOKIE) {
        let hash = token_hash(token);
        match mamori_store::session::load(
            &state.store,
            &hash,
            state.clock.now(),
            state.config.idle_timeout,
        )
        .await
        {
            Ok(Some(session)) => {
                signed_in = Some(SignedIn {
                    principal: session.principal,
                    login_id: session.login_id,
                    display_name: session.display_name,
                    csrf_token: session.csrf_token,
                    token_hash: hash,
                    second_factor_pending: session.second_factor_pending,
                    must_enrol_two_factor: session.must_enrol_two_factor,
                    break_glass_reason_pending: session.break_glass_reason_pending,
                });
            }
            Ok(None) => {}
            Err(error) => {
                return AppError::Unexpected(format!("session lookup: {error}")).into_response();
            }
        }
    }
    parts.extensions.insert(MaybeSession(signed_in));
    request = Request::from_parts(parts, body);
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<MaybeSession>()
            .cloned()
            .unwrap_or(MaybeSession(None)))
    }
}

/// The address the request came from, when the server was started with it.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddress(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0);
        Ok(Self(address))
    }
}

/// A signed-in person; anyone else is sent to the sign-in page.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SignedIn);

/// The rejection when nobody is signed in, or the role lacks a permission.
#[derive(Debug)]
pub enum AuthRejection {
    /// Not signed in: redirect to the sign-in page, coming back afterwards.
    SignIn(String),
    /// Signed in without the permission.
    Forbidden(Locale),
    /// Signed in but with a step left: the second factor, or enrolling in it.
    Redirect(&'static str),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn(next) => {
                Redirect::to(&format!("/login?next={}", percent_encode_path(&next))).into_response()
            }
            Self::Forbidden(locale) => AppError::forbidden(locale).into_response(),
            Self::Redirect(path) => Redirect::to(path).into_response(),
        }
    }
}

fn percent_encode_path(path: &str) -> String {
    path.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, state)
            .await
            .unwrap_or(MaybeSession(None));
        match session {
            Some(signed_in) if signed_in.second_factor_pending => {
                Err(AuthRejection::Redirect(SECOND_FACTOR_PATH))
            }
            // A break-glass account states its reason before anything else.
            Some(signed_in)
                if signed_in.break_glass_reason_pending && parts.uri.path() != BREAK_GLASS_PATH =>
            {
                Err(AuthRejection::Redirect(BREAK_GLASS_PATH))
            }
            // Until enrolled, a person the institution requires to use two-factor
            // authentication can reach only the enrolment page.
            Some(signed_in)
                if signed_in.must_enrol_two_factor && parts.uri.path() != ENROL_PATH =>
            {
                Err(AuthRejection::Redirect(ENROL_PATH))
            }
            Some(signed_in) => Ok(Self(signed_in)),
            None => Err(AuthRejection::SignIn(parts.uri.path().to_owned())),
        }
    }
}

/// A signed-in person who holds permission `P`, with the grant to prove it.
#[derive(Debug, Clone)]
pub struct Authorized<P> {
    /// The proof, limited to the person's institution.
    pub grant: Grant<P>,
    /// The session.
    pub user: SignedIn,
}

impl<S: Send + Sync, P: permissions::Marker> FromRequestParts<S> for Authorized<P> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        let locale = Locale::from_parts(parts);
        match user.principal.grant::<P>() {
            Some(grant) => Ok(Self { grant, user }),
            None => Err(AuthRejection::Forbidden(locale)),
        }
    }
}

/// The CSRF token a form on this request must carry, and whether a new
/// pre-session cookie must be set to make it valid.
pub fn expected_csrf(parts: &Parts) -> (String, bool) {
    if let Some(MaybeSession(Some(signed_in))) = parts.extensions.get::<MaybeSession>() {
        return (signed_in.csrf_token.clone(), false);
    }
    match cookie(parts, CSRF_COOKIE) {
        Some(token) if token.len() >= 32 => (token.to_owned(), false),
        _ => (random_token(), true),
    }
}

/// A url-encoded form that passed the CSRF check. `T` is the flat form struct.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let locale = Locale::from_parts(&parts);
        let t = locale.messages();
        if !origin_matches_host(&parts) {
            return Err(AppError::User {
                status: axum::http::StatusCode::FORBIDDEN,
                locale,
                message: t.error_csrf.into(),
            });
        }
        let (expected, _) = expected_csrf(&parts);
        let bytes = axum::body::Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| AppError::bad_request(locale, t.error_form_unreadable))?;
        let CsrfField { csrf } = serde_html_form::from_bytes(&bytes)
            .map_err(|_| AppError::bad_request(locale, t.error_form_unreadable))?;
        if csrf.is_empty() || !bool::from(csrf.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(AppError::User {
                status: axum::http::StatusCode::FORBIDDEN,
                locale,
                message: t.error_csrf.into(),
            });
        }
        serde_html_form::from_bytes(&bytes)
            .map(CsrfForm)
            .map_err(|error| {
                AppError::bad_request(locale, format!("{}: {error}", t.error_form_unreadable))
            })
    }
}

/// A request from a browser names its page's origin; it must be this server.
/// Requests without `Origin` (old browsers, command-line clients) pass on the token alone.
pub(crate) fn origin_matches_host(parts: &Parts) -> bool {
    let Some(origin) = parts
        .headers
        .get(ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return true;
    };
    let Some(host) = parts
        .headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    origin_host == host
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_are_hex_sha256() {
        let first = random_token();
        assert_eq!(first.len(), 43);
        assert_ne!(first, random_token());
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn next_paths_are_encoded() {
        assert_eq!(percent_encode_path("/users/3/edit"), "/users/3/edit");
        assert_eq!(percent_encode_path("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
