//! 非常時用アカウント (break-glass): the reason page every use must pass, the
//! 安全管理責任者's acknowledgement, and an administrator's password reset.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{PlainPassword, UserId, hash_password, permissions};

use super::IdPath;
use crate::auth::{Authorized, CsrfForm, CurrentUser, PeerAddress};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "institution/break_glass.html")]
struct ReasonPage {
    chrome: Chrome,
    errors: Vec<String>,
}

/// The reason form, and the password-reset form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct BreakGlassForm {
    reason: String,
    password: String,
}

pub(super) async fn reason_get(
    chrome: Chrome,
    CurrentUser(user): CurrentUser,
) -> Result<Response, AppError> {
    if !user.break_glass_reason_pending {
        return Ok(Redirect::to("/").into_response());
    }
    chrome.render(&ReasonPage {
        chrome: chrome.clone(),
        errors: Vec::new(),
    })
}

pub(super) async fn reason_post(
    State(state): State<AppState>,
    chrome: Chrome,
    CurrentUser(user): CurrentUser,
    PeerAddress(peer): PeerAddress,
    CsrfForm(form): CsrfForm<BreakGlassForm>,
) -> Result<Response, AppError> {
    if !user.break_glass_reason_pending {
        return Ok(Redirect::to("/").into_response());
    }
    let reason = form.reason.trim();
    if reason.chars().count() < 5
        || reason.chars().count() > 500
        || reason
            .chars()
            .any(|c| mamori_domain::error::is_forbidden(c, true))
    {
        let errors = vec![chrome.t.break_glass_reason_required.to_owned()];
        return chrome.render_with_status(
            StatusCode::BAD_REQUEST,
            &ReasonPage {
                chrome: chrome.clone(),
                errors,
            },
        );
    }
    let source = peer
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    mamori_store::break_glass::record_use(
        &state.store,
        &user.principal,
        &user.token_hash,
        reason,
        &source,
        state.clock.now(),
    )
    .await?;
    tracing::warn!(login_id = %user.login_id, "break-glass account in use");
    Ok(Redirect::to("/").into_response())
}

pub(super) async fn acknowledge_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditInstitution>,
    IdPath(id): IdPath,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let use_id = id;
    mamori_store::break_glass::acknowledge(
        &state.store,
        &authorized.grant,
        use_id,
        state.clock.now(),
    )
    .await
    .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to("/dashboard?done=saved").into_response())
}

pub(super) async fn reset_password_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageUsers>,
    IdPath(id): IdPath,
    CsrfForm(form): CsrfForm<BreakGlassForm>,
) -> Result<Response, AppError> {
    let user_id = UserId::from_db(id);
    let user = mamori_store::people::get(&state.store, &authorized.grant, user_id)
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    let policy =
        mamori_store::institution::password_policy(&state.store, &authorized.grant, Some(user_id))
            .await?;
    let password = PlainPassword::parse_new(
        &form.password,
        policy,
        user.login_id.as_str(),
        user.display_name.as_str(),
    )
    .map_err(|error| AppError::bad_request(chrome.locale, describe(&error, chrome.locale)))?;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AppError::Unexpected(error.to_string()))?
        .map_err(AppError::Unexpected)?;
    mamori_store::break_glass::reset_password(
        &state.store,
        &authorized.grant,
        user_id,
        &password_hash,
        state.clock.now(),
    )
    .await
    .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to("/users?done=password_reset").into_response())
}
