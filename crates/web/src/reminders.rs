//! Reminders by e-mail (issue #15): `/account/email`, where each person
//! gives the address their daily digest goes to (or none), and the failed
//! sends those who manage users see on the dashboard. The digests themselves
//! are sent by the server's reminder job (`mamori::reminders`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use mamori_domain::incident::contact::parse_email;
use mamori_domain::institution::permissions;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/account/email", get(show).post(save))
}

#[derive(Template)]
#[template(path = "institution/email.html")]
struct EmailPage {
    chrome: Chrome,
    email: String,
    errors: Vec<String>,
    /// The server has no SMTP server configured: nothing will be sent yet.
    no_mail: bool,
}

/// `GET /account/email`.
async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ChangeOwnPassword>,
) -> Result<Response, AppError> {
    let email = mamori_store::reminder::own_email(&state.store, &authorized.grant).await?;
    chrome.render(&EmailPage {
        chrome: chrome.clone(),
        email,
        errors: Vec::new(),
        no_mail: !state.config.sends_mail,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct EmailForm {
    email: String,
}

/// `POST /account/email`: the address, or empty for no reminders.
async fn save(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ChangeOwnPassword>,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, AppError> {
    match parse_email(&form.email) {
        Ok(email) => {
            mamori_store::reminder::set_own_email(
                &state.store,
                &authorized.grant,
                &email,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/account/email?done=saved").into_response())
        }
        Err(error) => chrome.render_with_status(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &EmailPage {
                email: form.email.clone(),
                errors: vec![describe(&error, chrome.locale)],
                no_mail: !state.config.sends_mail,
                chrome: chrome.clone(),
            },
        ),
    }
}
