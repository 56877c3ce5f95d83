//! Two-factor authentication pages: the second sign-in step, enrolment with a QR
//! code and recovery codes, turning it off, an administrator's reset, and the
//! institution's rule.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use mamori_domain::institution::{
    AuthStep, SignInVerdict, TotpSecret, TwoFactorPolicy, UserId, format_recovery_code,
    normalize_recovery_code, permissions,
};

use super::IdPath;
use super::account::Reauthentication;
use crate::auth::{
    Authorized, CsrfForm, MaybeSession, PeerAddress, SESSION_COOKIE, random_token, set_cookie,
    token_hash,
};
use crate::page::Chrome;
use crate::security::safe_next;
use crate::{AppError, AppState};

/// How many recovery codes an enrolment hands out.
const N_RECOVERY_CODES: usize = 10;

#[derive(Template)]
#[template(path = "institution/second_factor.html")]
struct SecondFactorPage {
    chrome: Chrome,
    failed: bool,
}

/// The code form (TOTP or recovery code).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    current_password: String,
    two_factor_policy: String,
}

pub(super) async fn second_factor_get(
    chrome: Chrome,
    MaybeSession(session): MaybeSession,
) -> Result<Response, AppError> {
    match session {
        Some(signed_in) if signed_in.second_factor_pending => chrome.render(&SecondFactorPage {
            chrome: chrome.clone(),
            failed: false,
        }),
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

pub(super) async fn second_factor_post(
    State(state): State<AppState>,
    chrome: Chrome,
    MaybeSession(session): MaybeSession,
    PeerAddress(peer): PeerAddress,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let Some(signed_in) = session.filter(|signed_in| signed_in.second_factor_pending) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let user_id = signed_in.principal.user_id();
    if !state.rate_limiter.allow(
        &format!("second-factor:{user_id}"),
        std::time::Instant::now(),
    ) {
        return Err(AppError::too_many_attempts(chrome.locale));
    }
    let now = state.clock.now();
    let accepted = match mamori_store::two_factor::secret_of(&state.store, user_id).await? {
        Some(secret) => {
            let unix_seconds = u64::try_from(now.as_second()).unwrap_or(0);
            match secret.check(&form.code, unix_seconds) {
                Some(step) => {
                    mamori_store::two_factor::accept_step(&state.store, user_id, step).await?
                }
                None => {
                    let code_hash = token_hash(&normalize_recovery_code(&form.code));
                    mamori_store::two_factor::use_recovery_code(
                        &state.store,
                        user_id,
                        &code_hash,
                        now,
                    )
                    .await?
                }
            }
        }
        None => false,
    };
    let source = peer
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    // A wrong code counts towards the lockout like a wrong password; a right one
    // completes the sign-in (and is refused if the account was locked meanwhile).
    let verdict = mamori_store::people::record_sign_in(
        &state.store,
        &signed_in.principal,
        AuthStep::SecondFactor,
        accepted,
        state.config.lockout,
        &source,
        now,
    )
    .await?;
    if verdict != SignInVerdict::Success {
        if verdict != (SignInVerdict::WrongPassword { now_locked: false }) {
            mamori_store::session::delete(&state.store, &signed_in.token_hash).await?;
            return Ok(Redirect::to("/login").into_response());
        }
        return chrome.render_with_status(
            StatusCode::UNAUTHORIZED,
            &SecondFactorPage {
                chrome: chrome.clone(),
                failed: true,
            },
        );
    }
    let token = random_token();
    if !mamori_store::session::promote(&state.store, &signed_in.token_hash, &token_hash(&token))
        .await?
    {
        return Ok(Redirect::to("/login").into_response());
    }
    let cookie = set_cookie(
        SESSION_COOKIE,
        &token,
        Some(state.config.absolute_timeout.as_secs()),
        state.config.secure_cookies,
    );
    Ok(([(SET_COOKIE, cookie)], Redirect::to(&safe_next(Some("/")))).into_response())
}

#[derive(Template)]
#[template(path = "institution/two_factor.html")]
struct EnrolPage {
    chrome: Chrome,
    enabled: bool,
    required: bool,
    n_recovery_codes_left: i64,
    secret: String,
    qr_data_uri: String,
    recovery_codes: Vec<String>,
    errors: Vec<String>,
}

async fn enrol_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ChangeOwnPassword>,
    errors: Vec<String>,
) -> Result<EnrolPage, AppError> {
    let status = mamori_store::two_factor::status(&state.store, &authorized.user.principal).await?;
    let required = authorized.user.must_enrol_two_factor;
    let (secret, qr_data_uri) = if status.enabled {
        (String::new(), String::new())
    } else {
        let secret = match status.pending {
            Some(secret) => secret,
            None => {
                let mut bytes = [0u8; 20];
                rand::fill(&mut bytes);
                let secret = TotpSecret::from_random_bytes(bytes);
                mamori_store::two_factor::begin_enrolment(&state.store, &authorized.grant, &secret)
                    .await?;
                secret
            }
        };
        let url = secret
            .provisioning_url(&authorized.user.login_id)
            .unwrap_or_default();
        (secret.as_base32().to_owned(), qr_svg_data_uri(&url))
    };
    Ok(EnrolPage {
        chrome: chrome.clone(),
        enabled: status.enabled,
        required,
        n_recovery_codes_left: status.n_recovery_codes_left,
        secret,
        qr_data_uri,
        recovery_codes: Vec::new(),
        errors,
    })
}

fn qr_svg_data_uri(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(220, 220)
                .build();
            format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(svg)
            )
        }
        Err(_) => String::new(),
    }
}

pub(super) async fn enrol_get(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ChangeOwnPassword>,
) -> Result<Response, AppError> {
    let page = enrol_page(&state, &chrome, &authorized, Vec::new()).await?;
    chrome.render(&page)
}

pub(super) async fn enrol_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ChangeOwnPassword>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let status = mamori_store::two_factor::status(&state.store, &authorized.user.principal).await?;
    let now = state.clock.now();
    let step = status
        .pending
        .as_ref()
        .and_then(|secret| secret.check(&form.code, u64::try_from(now.as_second()).unwrap_or(0)));
    let Some(step) = step else {
        let page = enrol_page(
            &state,
            &chrome,
            &authorized,
            vec![chrome.t.two_factor_wrong_code.to_owned()],
        )
        .await?;
        return chrome.render_with_status(StatusCode::BAD_REQUEST, &page);
    };
    let recovery_codes: Vec<String> = (0..N_RECOVERY_CODES)
        .map(|_| {
            let mut random = [0u8; 12];
            rand::fill(&mut random);
            format_recovery_code(random)
        })
        .collect();
    let hashes: Vec<String> = recovery_codes
        .iter()
        .map(|code| token_hash(&normalize_recovery_code(code)))
        .collect();
    mamori_store::two_factor::confirm_enrolment(
        &state.store,
        &authorized.grant,
        step,
        &hashes,
        now,
    )
    .await?;
    // The codes are shown this once; only their hashes are stored.
    let page = EnrolPage {
        chrome: chrome.clone(),
        enabled: true,
        required: false,
        n_recovery_codes_left: i64::try_from(N_RECOVERY_CODES).unwrap_or(10),
        secret: String::new(),
        qr_data_uri: String::new(),
        recovery_codes,
        errors: Vec::new(),
    };
    chrome.render(&page)
}

pub(super) async fn disable_post(
    State(state): State<AppState>,
    chrome: Chrome,
    peer: PeerAddress,
    authorized: Authorized<permissions::ChangeOwnPassword>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let outcome = super::account::reauthenticate(
        &state,
        &chrome,
        &authorized.user,
        peer,
        &form.current_password,
    )
    .await?;
    if let Reauthentication::SignedOut(response) = outcome {
        return Ok(response);
    }
    if matches!(outcome, Reauthentication::Wrong) {
        let page = enrol_page(
            &state,
            &chrome,
            &authorized,
            vec![chrome.t.password_current_wrong.to_owned()],
        )
        .await?;
        return chrome.render_with_status(StatusCode::BAD_REQUEST, &page);
    }
    let user_id = authorized.user.principal.user_id();
    mamori_store::two_factor::disable(&state.store, &authorized.grant, user_id, state.clock.now())
        .await?;
    Ok(Redirect::to("/account/two-factor?done=two_factor_disabled").into_response())
}

pub(super) async fn reset_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageUsers>,
    IdPath(id): IdPath,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let user_id = UserId::from_db(id);
    mamori_store::two_factor::disable(&state.store, &authorized.grant, user_id, state.clock.now())
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to("/users?done=two_factor_reset").into_response())
}

pub(super) async fn policy_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditInstitution>,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<Response, AppError> {
    let policy = TwoFactorPolicy::from_code(&form.two_factor_policy).map_err(|error| {
        AppError::bad_request(chrome.locale, crate::i18n::describe(&error, chrome.locale))
    })?;
    mamori_store::two_factor::set_policy(
        &state.store,
        &authorized.grant,
        policy,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/institution?done=two_factor_policy").into_response())
}
