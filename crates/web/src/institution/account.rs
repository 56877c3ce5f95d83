//! One's own account: changing one's password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{
    LoginId, PlainPassword, hash_password, permissions, verify_password,
};

use crate::auth::{Authorized, CsrfForm};
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

pub(super) async fn password_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ChangeOwnPassword>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let user = &authorized.user;
    let mut errors = Vec::new();
    let login_id =
        LoginId::parse(&user.login_id).map_err(|e| AppError::Unexpected(e.to_string()))?;
    let credentials = mamori_store::people::find_credentials(&state.store, &login_id)
        .await?
        .ok_or_else(|| AppError::not_found(chrome.locale))?;
    let current = PlainPassword::for_sign_in(&form.current_password);
    let stored_hash = credentials.password_hash.clone();
    let current_ok = tokio::task::spawn_blocking(move || {
        current.is_some_and(|p| verify_password(&p, &stored_hash))
    })
    .await
    .map_err(|error| AppError::Unexpected(error.to_string()))?;
    if !current_ok {
        errors.push(chrome.t.password_current_wrong.to_owned());
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
