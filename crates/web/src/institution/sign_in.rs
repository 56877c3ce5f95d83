//! Sign-in and sign-out: Argon2id verification, a fresh session token at every
//! sign-in, and an audit event for every attempt.

use std::sync::OnceLock;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{
    AuthStep, InstitutionCode, LoginId, PasswordHash, PlainPassword, SignInVerdict, hash_password,
    verify_password,
};
use mamori_store::audit_log::{self, Actor, NewAuditEvent};
use serde_json::json;

use crate::auth::{
    CsrfForm, MaybeSession, PeerAddress, SESSION_COOKIE, random_token, set_cookie, token_hash,
};
use crate::page::Chrome;
use crate::security::safe_next;
use crate::{AppError, AppState};

/// The sign-in form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SignInForm {
    /// The institution code (施設コード); asked only on a shared server.
    institution: String,
    login_id: String,
    password: String,
    next: String,
}

#[derive(Template)]
#[template(path = "institution/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    /// Whether the server holds several institutions, so the form asks which.
    needs_code: bool,
    institution: String,
    login_id: String,
    next: String,
    failed: bool,
    /// Failures in a row that lock an account, and for how many minutes: said
    /// after any failure, so a locked person knows to wait or whom to ask
    /// without the page telling an attacker whether this account is locked.
    lockout_threshold: u32,
    lockout_minutes: i64,
}

#[derive(serde::Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
    /// An institution code to fill in, for a sign-in link an operator hands out.
    institution: Option<String>,
}

pub(super) async fn new_get(
    State(state): State<AppState>,
    chrome: Chrome,
    MaybeSession(session): MaybeSession,
    axum::extract::Query(query): axum::extract::Query<NextQuery>,
) -> Result<Response, AppError> {
    if session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    if !mamori_store::institution::is_set_up(&state.store).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let next = safe_next(query.next.as_deref());
    let institution = query
        .institution
        .as_deref()
        .and_then(|code| InstitutionCode::parse(code).ok())
        .map(|code| code.as_str().to_owned())
        .unwrap_or_default();
    chrome.render(&SignInPage {
        chrome: chrome.clone(),
        needs_code: mamori_store::institution::sign_in_needs_code(&state.store).await?,
        institution,
        login_id: String::new(),
        next,
        failed: false,
        lockout_threshold: state.config.lockout.threshold(),
        lockout_minutes: state.config.lockout.duration().as_mins(),
    })
}

pub(super) async fn new_post(
    State(state): State<AppState>,
    chrome: Chrome,
    PeerAddress(peer): PeerAddress,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Result<Response, AppError> {
    let source = peer
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    // Both counted before either is checked, so a refused attempt still counts.
    let now_instant = std::time::Instant::now();
    // Login IDs are unique per institution: on a shared server the form names
    // the institution, and both are part of what is counted and recorded.
    let needs_code = mamori_store::institution::sign_in_needs_code(&state.store).await?;
    let typed_code = if needs_code {
        form.institution
            .trim()
            .to_ascii_lowercase()
            .chars()
            .take(32)
            .collect::<String>()
    } else {
        String::new()
    };
    let typed_login = form
        .login_id
        .trim()
        .to_ascii_lowercase()
        .chars()
        .take(64)
        .collect::<String>();
    let login_key = format!("id:{typed_code}/{typed_login}");
    let address_allowed = state
        .rate_limiter
        .allow(&format!("ip:{source}"), now_instant);
    let login_allowed = state.rate_limiter.allow(&login_key, now_instant);
    if !(address_allowed && login_allowed) {
        return Err(AppError::too_many_attempts(chrome.locale));
    }
    // Parsed from what was typed, not from the shortened key above.
    let code = needs_code
        .then(|| InstitutionCode::parse(&form.institution).ok())
        .flatten();
    let credentials = match LoginId::parse(&form.login_id) {
        Ok(login_id) if !needs_code || code.is_some() => {
            mamori_store::people::find_credentials(&state.store, code.as_ref(), &login_id).await?
        }
        _ => None,
    };
    let password = PlainPassword::for_sign_in(&form.password);
    // An unknown login ID is checked against a dummy hash, so that it takes as
    // long as a wrong password and the answer does not reveal which IDs exist.
    let stored_hash = credentials
        .as_ref()
        .map_or_else(|| dummy_hash().clone(), |c| c.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || {
        password.is_some_and(|p| verify_password(&p, &stored_hash))
    })
    .await
    .map_err(|error| AppError::Unexpected(error.to_string()))?;
    let now = state.clock.now();
    // With TOTP on, the password only opens the door to the second step, and
    // a right password does not clear the failures the codes ran up.
    let second_factor_pending = match &credentials {
        Some(credentials) => {
            mamori_store::two_factor::secret_of(&state.store, credentials.principal.user_id())
                .await?
                .is_some()
        }
        None => false,
    };
    let verdict = match &credentials {
        Some(credentials) => {
            let policy = state.config.lockout;
            mamori_store::people::record_sign_in(
                &state.store,
                &credentials.principal,
                AuthStep::Password {
                    second_factor_follows: second_factor_pending,
                },
                matches,
                policy,
                &source,
                now,
            )
            .await?
        }
        None => {
            // An unknown login ID belongs to no institution; it is still recorded.
            let target = if needs_code {
                format!("login_id:{typed_code}/{typed_login}")
            } else {
                format!("login_id:{typed_login}")
            };
            let event = NewAuditEvent {
                institution_id: None,
                actor: Actor::Anonymous(source.clone()),
                action: "sign_in.failure",
                target,
                detail: json!({ "source": source, "reason": "unknown_login_id" }),
            };
            audit_log::append_alone(&state.store, &event, now).await?;
            SignInVerdict::WrongPassword { now_locked: false }
        }
    };
    // Locked, deactivated, unknown and wrong all get the same answer.
    let (SignInVerdict::Success, Some(credentials)) = (verdict, credentials) else {
        let page = SignInPage {
            chrome: chrome.clone(),
            needs_code,
            institution: typed_code,
            login_id: form.login_id,
            next: safe_next(Some(&form.next)),
            failed: true,
            lockout_threshold: state.config.lockout.threshold(),
            lockout_minutes: state.config.lockout.duration().as_mins(),
        };
        return chrome.render_with_status(StatusCode::UNAUTHORIZED, &page);
    };
    let token = random_token();
    let expires_at = now
        .checked_add(state.config.absolute_timeout)
        .map_err(|e| AppError::Unexpected(e.to_string()))?;
    let user_id = credentials.principal.user_id();
    mamori_store::session::create(
        &state.store,
        user_id,
        &token_hash(&token),
        &random_token(),
        second_factor_pending,
        now,
        expires_at,
    )
    .await?;
    let max_age = state.config.absolute_timeout.as_secs();
    let cookie = set_cookie(
        SESSION_COOKIE,
        &token,
        Some(max_age),
        state.config.secure_cookies,
    );
    let next = if second_factor_pending {
        crate::auth::SECOND_FACTOR_PATH.to_owned()
    } else {
        safe_next(Some(&form.next))
    };
    Ok(([(SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
}

/// Sign-out: ends the session on the server and clears the cookie.
pub(super) async fn delete_post(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    if let Some(signed_in) = session {
        mamori_store::session::delete(&state.store, &signed_in.token_hash).await?;
        audit_log::append_alone(
            &state.store,
            &NewAuditEvent {
                institution_id: Some(signed_in.principal.institution_id()),
                actor: Actor::User(signed_in.principal.user_id()),
                action: "sign_out",
                target: format!("user:{}", signed_in.principal.user_id()),
                detail: json!({}),
            },
            state.clock.now(),
        )
        .await?;
    }
    let cookie = set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies);
    Ok((
        [(SET_COOKIE, cookie)],
        Redirect::to("/login?done=signed_out"),
    )
        .into_response())
}

/// A hash of a random password, made once; checked when the login ID is unknown.
fn dummy_hash() -> &'static PasswordHash {
    static DUMMY: OnceLock<PasswordHash> = OnceLock::new();
    DUMMY.get_or_init(|| {
        PlainPassword::for_sign_in(&random_token())
            .and_then(|password| hash_password(&password).ok())
            .unwrap_or_else(|| PasswordHash::from_stored(String::new()))
    })
}
