//! One's own account: changing one's password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{
    AuthStep, PlainPassword, SignInVerdict, hash_password, permissions, verify_password,
};

use crate::auth::{Authorized, CsrfForm, PeerAddress, SignedIn};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// The password form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    password: String,
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "institution/password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: Vec<String>,
}

pub(super) async fn password_get(
    chrome: Chrome,
    _authorized: Authorized<permissions::ChangeOwnPassword>,
) -> Result<Response, AppError> {
    chrome.render(&PasswordPage {
        chrome: chrome.clone(),
        errors: Vec::new(),
    })
}

/// What asking a signed-in person for their current password again found.
pub(super) enum Reauthentication {
    /// The right password, and the account is not locked.
    Confirmed,
    /// A wrong password (counted and audited).
    Wrong,
    /// The account is locked now (by this attempt or before): the session has
    /// been ended; answer with this response (back to the sign-in page).
    SignedOut(Response),
}

/// Checks the current password typed again before a sensitive change: rate
/// limited per account, counted towards the lockout and audited like a failed
/// sign-in, so a session left open cannot be used to guess the password.
pub(super) async fn reauthenticate(
    state: &AppState,
    chrome: &Chrome,
    user: &SignedIn,
    peer: PeerAddress,
    typed: &str,
) -> Result<Reauthentication, AppError> {
    let user_id = user.principal.user_id();
    if !state
        .rate_limiter
        .allow(&format!("reauth:{user_id}"), std::time::Instant::now())
    {
        return Err(AppError::too_many_attempts(chrome.locale));
    }
    let credentials = mamori_store::people::credentials_of(&state.store, &user.principal).await?;
    let current = PlainPassword::for_sign_in(typed);
    let stored_hash = credentials.password_hash.clone();
    let matches = tokio::task::spawn_blocking(move || {
        current.is_some_and(|p| verify_password(&p, &stored_hash))
    })
    .await
    .map_err(|error| AppError::Unexpected(error.to_string()))?;
    let source = peer
        .0
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    let verdict = mamori_store::people::record_sign_in(
        &state.store,
        &user.principal,
        AuthStep::CurrentPassword,
        matches,
        state.config.lockout,
        &source,
        state.clock.now(),
    )
    .await?;
    Ok(match verdict {
        SignInVerdict::Success => Reauthentication::Confirmed,
        SignInVerdict::WrongPassword { now_locked: false } => Reauthentication::Wrong,
        _ => {
            mamori_store::session::delete(&state.store, &user.token_hash).await?;
            Reauthentication::SignedOut(Redirect::to("/login").into_response())
        }
    })
}

pub(super) async fn password_post(
    State(state): State<AppState>,
    chrome: Chrome,
    peer: PeerAddress,
    authorized: Authorized<permissions::ChangeOwnPassword>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let user = &authorized.user;
    let mut errors = Vec::new();
    match reauthenticate(&state, &chrome, user, peer, &form.current_password).await? {
        Reauthentication::Confirmed => {}
        Reauthentication::Wrong => errors.push(chrome.t.password_current_wrong.to_owned()),
        Reauthentication::SignedOut(response) => return Ok(response),
    }
    let policy = mamori_store::institution::password_policy(
        &state.store,
        &authorized.grant,
        Some(user.principal.user_id()),
    )
    .await?;
    let new_password =
        PlainPassword::parse_new(&form.password, policy, &user.login_id, &user.display_name)
            .map_err(|e| errors.push(describe(&e, chrome.locale)))
            .ok();
    if form.password != form.password_confirm {
        errors.push(chrome.t.password_mismatch.to_owned());
    }
    let (Some(new_password), true) = (new_password, errors.is_empty()) else {
        return chrome.render_with_status(
            StatusCode::BAD_REQUEST,
            &PasswordPage {
                chrome: chrome.clone(),
                errors,
            },
        );
    };
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&new_password))
        .await
        .map_err(|error| AppError::Unexpected(error.to_string()))?
        .map_err(AppError::Unexpected)?;
    mamori_store::people::change_own_password(
        &state.store,
        &authorized.grant,
        &password_hash,
        &user.token_hash,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/account/password?done=password_changed").into_response())
}
