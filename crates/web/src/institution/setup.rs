//! First-run setup: the first institution and its 安全管理責任者, once, from the
//! local machine or with the one-time token printed on the console.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{
    InstitutionKind, NewInstitution, NewUser, PREFECTURES, PlainPassword, RawInstitution, RawUser,
    Role, hash_password,
};
use subtle::ConstantTimeEq;

use crate::auth::CsrfForm;
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// The setup form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SetupForm {
    name: String,
    kind: String,
    bed_count: String,
    prefecture: String,
    address: String,
    phone: String,
    login_id: String,
    display_name: String,
    password: String,
    password_confirm: String,
    setup_token: String,
}

#[derive(Template)]
#[template(path = "institution/setup.html")]
struct SetupPage {
    chrome: Chrome,
    form: SetupForm,
    errors: Vec<String>,
    needs_token: bool,
    kinds: Vec<(&'static str, &'static str)>,
    prefectures: &'static [&'static str],
}

/// Whether the request comes from this machine to a server that listens only here.
pub struct LocalRequest(bool);

impl FromRequestParts<AppState> for LocalRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer_is_loopback = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|ConnectInfo(address)| address.ip().is_loopback());
        Ok(Self(peer_is_loopback && state.config.listens_on_loopback))
    }
}

fn page(chrome: Chrome, form: SetupForm, errors: Vec<String>, needs_token: bool) -> SetupPage {
    let kinds = InstitutionKind::ALL
        .iter()
        .map(|kind| {
            (
                kind.code(),
                if chrome.locale == crate::i18n::Locale::Ja {
                    kind.name_ja()
                } else {
                    kind.name_en()
                },
            )
        })
        .collect();
    SetupPage {
        chrome,
        form,
        errors,
        needs_token,
        kinds,
        prefectures: &PREFECTURES,
    }
}

pub(super) async fn new_get(
    State(state): State<AppState>,
    chrome: Chrome,
    LocalRequest(local): LocalRequest,
) -> Result<Response, AppError> {
    if mamori_store::institution::is_set_up(&state.store).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    chrome.render(&page(
        chrome.clone(),
        SetupForm::default(),
        Vec::new(),
        !local,
    ))
}

pub(super) async fn new_post(
    State(state): State<AppState>,
    chrome: Chrome,
    LocalRequest(local): LocalRequest,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> Result<Response, AppError> {
    let t = chrome.t;
    if mamori_store::institution::is_set_up(&state.store).await? {
        return Err(AppError::bad_request(chrome.locale, t.setup_closed));
    }
    if !local && !token_matches(&state, &form.setup_token).await {
        let errors = vec![t.setup_token_wrong.to_owned()];
        return chrome.render_with_status(
            StatusCode::FORBIDDEN,
            &page(chrome.clone(), form, errors, true),
        );
    }
    let parsed = parse(&form, &state, &chrome);
    let (institution, admin, password) = match parsed {
        Ok(values) => values,
        Err(errors) => {
            return chrome.render_with_status(
                StatusCode::BAD_REQUEST,
                &page(chrome.clone(), form, errors, !local),
            );
        }
    };
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AppError::Unexpected(error.to_string()))?
        .map_err(AppError::Unexpected)?;
    match mamori_store::institution::set_up_first(
        &state.store,
        &institution,
        None,
        &admin,
        &password_hash,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => {}
        Err(mamori_store::Error::AlreadySetUp) => {
            return Err(AppError::bad_request(chrome.locale, t.setup_closed));
        }
        Err(error) => return Err(AppError::from_store(chrome.locale, error)),
    }
    *state.setup_token.lock().await = None;
    tracing::info!(
        login_id = admin.login_id().as_str(),
        "first-run setup completed"
    );
    Ok(Redirect::to("/login?done=setup").into_response())
}

async fn token_matches(state: &AppState, offered: &str) -> bool {
    match state.setup_token.lock().await.as_deref() {
        Some(expected) => {
            !offered.is_empty() && bool::from(offered.trim().as_bytes().ct_eq(expected.as_bytes()))
        }
        None => false,
    }
}

fn parse(
    form: &SetupForm,
    state: &AppState,
    chrome: &Chrome,
) -> Result<(NewInstitution, NewUser, PlainPassword), Vec<String>> {
    let mut errors = Vec::new();
    let institution = NewInstitution::parse(RawInstitution {
        name: &form.name,
        kind: &form.kind,
        bed_count: &form.bed_count,
        prefecture: &form.prefecture,
        address: &form.address,
        phone: &form.phone,
    })
    .map_err(|parse_errors| errors.extend(parse_errors.iter().map(|e| describe(e, chrome.locale))))
    .ok();
    let admin = NewUser::parse(RawUser {
        login_id: &form.login_id,
        display_name: &form.display_name,
        role: Role::SecurityManager.code(),
    })
    .map_err(|parse_errors| errors.extend(parse_errors.iter().map(|e| describe(e, chrome.locale))))
    .ok();
    let password = PlainPassword::parse_new(
        &form.password,
        state.config.password_policy,
        &form.login_id,
        &form.display_name,
    )
    .map_err(|error| errors.push(describe(&error, chrome.locale)))
    .ok();
    if form.password != form.password_confirm {
        errors.push(chrome.t.password_mismatch.to_owned());
    }
    match (institution, admin, password) {
        (Some(institution), Some(admin), Some(password)) if errors.is_empty() => {
            Ok((institution, admin, password))
        }
        _ => Err(errors),
    }
}
