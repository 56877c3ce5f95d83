//! The poster link (issue #12, item 2): staff without an account report from
//! a QR code on a poster. `/report/{token}` opens the report form and nothing
//! else; each report through it is rate-limited per link and recorded in the
//! audit trail as sent without an account. The 企画管理者 issues, rotates and
//! revokes the link on `/incidents/poster` and prints the A4 poster.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::permissions;
use mamori_store::incident::Reporter;

use super::{
    FormFor, ReportForm, ReportedPage, ReportedQuery, receive, report_page, what_to_do_now,
};
use crate::auth::{Authorized, CsrfForm, PeerAddress, random_token, token_hash};
use crate::i18n::Locale;
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// A token longer than this is not one mamori issued (43 characters).
const MAX_TOKEN: usize = 100;

/// `https://host/report/{token}` as staff's phones reach it.
fn link_of(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    crate::page::public_address(
        state.config.public_url.as_deref(),
        headers,
        state.config.secure_cookies,
        &format!("/report/{token}"),
    )
}

fn qr_svg(text: &str, size: u32) -> Result<String, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|error| AppError::Unexpected(error.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(size, size)
        .quiet_zone(true)
        .build())
}

#[derive(Template)]
#[template(path = "incident/poster.html")]
struct PosterPage {
    chrome: Chrome,
    /// The live link, its QR code (data URI) and who issued it when.
    link: Option<(String, String, String)>,
    /// The link names this machine only: no phone can open it.
    loopback_link: bool,
    done: Option<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct DoneQuery {
    /// `issued` or `revoked`: named apart from `done`, whose `issued` the
    /// page chrome announces as a vendor link.
    link: Option<String>,
}

/// `GET /incidents/poster`: the live link, its QR code, and the buttons.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    authorized: Authorized<permissions::HandleIncidents>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let done = query
        .link
        .filter(|d| ["issued", "revoked"].contains(&d.as_str()));
    page(&state, &chrome, &headers, &authorized, done).await
}

async fn page(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
    authorized: &Authorized<permissions::HandleIncidents>,
    done: Option<String>,
) -> Result<Response, AppError> {
    let current = mamori_store::incident_link::current(&state.store, &authorized.grant).await?;
    let link = match current {
        Some(current) => {
            let url = link_of(state, headers, &current.token);
            let svg = qr_svg(&url, 200)?;
            let uri = format!(
                "data:image/svg+xml;base64,{}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, svg)
            );
            let issued = format!(
                "{}（{}）",
                super::when(chrome, current.issued_at),
                current.issued_by.unwrap_or_default()
            );
            Some((url, uri, issued))
        }
        None => None,
    };
    let loopback_link = link
        .as_ref()
        .is_some_and(|(url, _, _)| crate::checklist::vendors::is_loopback_link(url));
    chrome.render(&PosterPage {
        chrome: chrome.clone(),
        loopback_link,
        link,
        done,
    })
}

#[derive(serde::Deserialize)]
pub(super) struct PosterAction {
    action: String,
}

/// `POST /incidents/poster`: `issue` (a new link; the old one stops working)
/// or `revoke`.
pub(super) async fn change(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::HandleIncidents>,
    CsrfForm(form): CsrfForm<PosterAction>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let (token, done) = match form.action.as_str() {
        "issue" => (Some(random_token()), "issued"),
        "revoke" => (None, "revoked"),
        _ => {
            return Err(AppError::User {
                status: StatusCode::BAD_REQUEST,
                locale: chrome.locale,
                message: chrome.i.error_unknown_action.into(),
            });
        }
    };
    let hash = token.as_deref().map(token_hash).unwrap_or_default();
    match mamori_store::incident_link::rotate(
        &state.store,
        &authorized.grant,
        token.as_deref(),
        &hash,
        now,
    )
    .await
    {
        // Revoking when nothing is live changes nothing.
        Ok(()) | Err(mamori_store::Error::NotFound) => {
            Ok(Redirect::to(&format!("/incidents/poster?link={done}")).into_response())
        }
        Err(error) => Err(AppError::from_store(chrome.locale, error)),
    }
}

/// `GET /incidents/poster.pdf`: the A4 poster with the live link's QR code.
pub(super) async fn pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    authorized: Authorized<permissions::HandleIncidents>,
) -> Result<Response, AppError> {
    let Some(current) =
        mamori_store::incident_link::current(&state.store, &authorized.grant).await?
    else {
        // No link to print yet: the page where one is issued.
        return page(&state, &chrome, &headers, &authorized, None).await;
    };
    let institution = mamori_store::institution::get(&state.store, &authorized.grant)
        .await?
        .details
        .name()
        .to_owned();
    let url = link_of(&state, &headers, &current.token);
    let today = state.clock.today();
    // The poster hangs in the institution: Japanese whatever the screen's language.
    let ja = crate::i18n::Locale::Ja.incident();
    let print = mamori_docs::PosterPrint {
        title: ja.poster_title.to_owned(),
        institution_name: institution,
        steps: vec![
            ja.poster_step_1.to_owned(),
            ja.poster_step_2.to_owned(),
            ja.poster_step_3.to_owned(),
            ja.poster_step_4.to_owned(),
        ],
        qr_svg: qr_svg(&url, 600)?,
        scan: ja.poster_scan.to_owned(),
        link_label: ja.poster_link_label.to_owned(),
        url,
        notes: vec![ja.poster_note_1.to_owned(), ja.poster_note_2.to_owned()],
        issued: crate::i18n::fill(
            ja.poster_issued,
            &[&mamori_domain::calendar::format_date_ja(today)],
        ),
    };
    super::send_file(
        &state,
        chrome.locale,
        (
            "incident-poster",
            "インシデント報告ポスター",
            "pdf",
            "application/pdf",
        ),
        move || mamori_docs::poster_pdf(&print),
    )
    .await
}

fn invalid_link(locale: Locale) -> AppError {
    AppError::User {
        status: StatusCode::NOT_FOUND,
        locale,
        message: locale.incident().poster_invalid_link.into(),
    }
}

async fn open(state: &AppState, token: &str, locale: Locale) -> Result<String, AppError> {
    if token.len() > MAX_TOKEN {
        return Err(invalid_link(locale));
    }
    match mamori_store::incident_link::open(&state.store, &token_hash(token)).await {
        Ok(link) => Ok(link.institution_name),
        Err(mamori_store::Error::NotFound) => Err(invalid_link(locale)),
        Err(error) => Err(AppError::from_store(locale, error)),
    }
}

/// `GET /report/{token}`: the report form, for someone without an account.
pub(super) async fn form(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let institution_name = open(&state, &token, chrome.locale).await?;
    let form = ReportForm {
        noticed_on: state.clock.today().to_string(),
        ..ReportForm::default()
    };
    report_page(
        &state,
        &chrome,
        FormFor::Poster {
            token: &token,
            institution_name: &institution_name,
        },
        form,
        Vec::new(),
    )
    .await
}

/// `POST /report/{token}`: stores the report as sent without an account, or
/// shows the form's problems; refused beyond the link's hourly limit.
pub(super) async fn send(
    State(state): State<AppState>,
    chrome: Chrome,
    PeerAddress(peer): PeerAddress,
    Path(token): Path<String>,
    multipart: CsrfMultipart,
) -> Result<Response, AppError> {
    let institution_name = open(&state, &token, chrome.locale).await?;
    let hash = token_hash(&token);
    if !state
        .report_link_limiter
        .allow(&format!("poster:{hash}"), std::time::Instant::now())
    {
        return Err(AppError::User {
            status: StatusCode::TOO_MANY_REQUESTS,
            locale: chrome.locale,
            message: chrome.i.poster_too_many.into(),
        });
    }
    let source = peer
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    let stored = receive(
        &state,
        &chrome,
        FormFor::Poster {
            token: &token,
            institution_name: &institution_name,
        },
        Reporter::Poster {
            token_hash: &hash,
            source: &source,
        },
        &multipart,
    )
    .await?;
    Ok(match stored {
        Ok(id) => Redirect::to(&format!("/report/{token}/sent?n={id}")).into_response(),
        Err(page) => page,
    })
}

/// `GET /report/{token}/sent?n=ID`: what the reporter does now (manual III).
pub(super) async fn sent(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
    Query(query): Query<ReportedQuery>,
) -> Result<Response, AppError> {
    open(&state, &token, chrome.locale).await?;
    chrome.render(&ReportedPage {
        chrome: chrome.clone(),
        number: query.number(),
        mine: Vec::new(),
        steps: what_to_do_now()?,
    })
}
