//! Remote maintenance sessions (`/ledger/remote`, issue #15, 第4条, 【別紙1】):
//! the sessions with those still awaiting the vendor's report flagged; a
//! request for a device the ledger marks as remotely maintained; the
//! 企画管理者's approval beforehand; the record of the work; the vendor's
//! report with its log file.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::checklist::upload::accept_log;
use mamori_domain::institution::{Grant, Permission, Principal, permissions};
use mamori_domain::maintenance::{
    MaintenanceId, MaintenanceStatus, MaintenanceStep, parse_carried, parse_report, parse_request,
};
use mamori_store::backup_register::UploadedFile;
use mamori_store::maintenance::StepRecord;
use sha2::Digest;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{describe, describe_all};
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// One session as the list shows it.
struct SessionRow {
    href: String,
    planned_on: String,
    device: String,
    vendor: String,
    status: &'static str,
    /// Carried out, the report not yet in.
    awaiting_report: bool,
}

/// The request form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct RequestForm {
    asset_number: String,
    vendor: String,
    planned_on: String,
    purpose: String,
}

#[derive(Template)]
#[template(path = "ledger/remote.html")]
struct ListPage {
    chrome: Chrome,
    sessions: Vec<SessionRow>,
    /// (管理番号, label) of the devices marked as remotely maintained.
    devices: Vec<(String, String)>,
    can_request: bool,
    form: RequestForm,
    errors: Vec<String>,
}

fn status_name(chrome: &Chrome, status: MaintenanceStatus) -> &'static str {
    chrome.locale.pick(status.name_ja(), status.name_en())
}

async fn list_page(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    principal: &Principal,
    posted: Option<(RequestForm, Vec<String>)>,
) -> Result<Response, AppError> {
    let sessions = mamori_store::maintenance::list(&state.store, grant)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            href: format!("/ledger/remote/{}", s.id),
            planned_on: chrome.date(&s.planned_on),
            device: format!("{} {}", s.asset_number, s.device_name)
                .trim()
                .to_owned(),
            vendor: s.vendor,
            status: status_name(chrome, s.status),
            awaiting_report: s.status == MaintenanceStatus::Done,
        })
        .collect();
    let devices = mamori_store::maintenance::devices(&state.store, grant)
        .await?
        .into_iter()
        .map(|(number, name, vendor)| {
            let label = [number.as_str(), name.as_str(), vendor.as_str()]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" / ");
            (number, label)
        })
        .collect();
    let (form, errors) = posted.unwrap_or_else(|| {
        (
            RequestForm {
                planned_on: state.clock.today().to_string(),
                ..RequestForm::default()
            },
            Vec::new(),
        )
    });
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &ListPage {
            chrome: chrome.clone(),
            sessions,
            devices,
            can_request: principal.role().has(Permission::EditLedger),
            form,
            errors,
        },
    )
}

/// `GET /ledger/remote`.
pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &chrome,
        &authorized.grant,
        &authorized.user.principal,
        None,
    )
    .await
}

/// `POST /ledger/remote`: a request, or every problem at once with nothing stored.
pub(super) async fn request(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<Response, AppError> {
    let view = super::viewing::<_, permissions::ViewLedger>(&authorized)?;
    let principal = &authorized.user.principal;
    let new = match parse_request(
        &form.asset_number,
        &form.vendor,
        &form.planned_on,
        &form.purpose,
    ) {
        Ok(new) => new,
        Err(errors) => {
            let errors = describe_all(&errors, chrome.locale);
            return list_page(
                &state,
                &chrome,
                &view.grant,
                principal,
                Some((form, errors)),
            )
            .await;
        }
    };
    match mamori_store::maintenance::request(
        &state.store,
        &authorized.grant,
        &new,
        state.clock.now(),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/ledger/remote/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Unknown(_)) => {
            let errors = vec![chrome.l.remote_not_remote.to_owned()];
            list_page(
                &state,
                &chrome,
                &view.grant,
                principal,
                Some((form, errors)),
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "ledger/remote_session.html")]
struct SessionPage {
    chrome: Chrome,
    id: MaintenanceId,
    device: String,
    vendor: String,
    planned_on: String,
    purpose: String,
    status: &'static str,
    requested_by: String,
    /// (who, when, note).
    decided: Option<(String, String, String)>,
    /// (from, to, operator).
    carried: Option<(String, String, String)>,
    report: String,
    /// (name, SHA-256).
    file: Option<(String, String)>,
    reported: Option<(String, String)>,
    /// The step the page offers: decide, done or report.
    next: Option<&'static str>,
    today: String,
    errors: Vec<String>,
}

fn when(chrome: &Chrome, at: jiff::Timestamp) -> String {
    let zoned = at.to_zoned_datetime(crate::tokyo());
    format!("{} {}", chrome.date(&zoned.date()), zoned.strftime("%H:%M"))
}

async fn session_page(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
    grant: &Grant<permissions::ViewLedger>,
    id: MaintenanceId,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let s = mamori_store::maintenance::get(&state.store, grant, id).await?;
    let role = principal.role();
    let next = match s.status {
        MaintenanceStatus::Requested if role.has(Permission::ApproveMaintenance) => Some("decide"),
        MaintenanceStatus::Approved if role.has(Permission::EditLedger) => Some("done"),
        MaintenanceStatus::Done if role.has(Permission::EditLedger) => Some("report"),
        _ => None,
    };
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &SessionPage {
            chrome: chrome.clone(),
            id,
            device: format!("{} {}", s.asset_number, s.device_name)
                .trim()
                .to_owned(),
            vendor: s.vendor,
            planned_on: chrome.date(&s.planned_on),
            purpose: s.purpose,
            status: status_name(chrome, s.status),
            requested_by: s
                .requested_by
                .unwrap_or_else(|| chrome.l.remote_by_link.to_owned()),
            decided: s
                .decided
                .map(|(who, at, note)| (who, when(chrome, at), note)),
            carried: s.carried.map(|c| {
                (
                    format!(
                        "{} {}",
                        chrome.date(&c.started.date()),
                        c.started.strftime("%H:%M")
                    ),
                    c.ended.strftime("%H:%M").to_string(),
                    c.operator,
                )
            }),
            report: s.report,
            file: s.file,
            reported: s.reported.map(|(who, at)| (who, when(chrome, at))),
            next,
            today: state.clock.today().to_string(),
            errors,
        },
    )
}

/// A session's id from the path (`{id}`).
pub(super) struct SessionPath(MaintenanceId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SessionPath {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(MaintenanceId::from_db(
            crate::page::path_id(parts, "id").await?,
        )))
    }
}

/// `GET /ledger/remote/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    SessionPath(id): SessionPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    session_page(
        &state,
        &chrome,
        &authorized.user.principal,
        &authorized.grant,
        id,
        Vec::new(),
    )
    .await
}

/// `POST /ledger/remote/{id}/step` (multipart: the report may carry its log):
/// approve or reject (the 企画管理者), record the work, or the report.
pub(super) async fn step(
    State(state): State<AppState>,
    chrome: Chrome,
    SessionPath(id): SessionPath,
    authorized: Authorized<permissions::EditLedger>,
    multipart: CsrfMultipart,
) -> Result<Response, AppError> {
    let view = super::viewing::<_, permissions::ViewLedger>(&authorized)?;
    let principal = &authorized.user.principal;
    // Another institution's session is not found before anything else.
    mamori_store::maintenance::get(&state.store, &view.grant, id).await?;
    let step = MaintenanceStep::from_code(multipart.field("step"))
        .ok_or_else(|| AppError::bad_request(chrome.locale, chrome.t.err_choice))?;
    if step.is_decision() && !principal.role().has(Permission::ApproveMaintenance) {
        return Err(AppError::forbidden(chrome.locale));
    }
    let refused =
        |errors: Vec<String>| session_page(&state, &chrome, principal, &view.grant, id, errors);
    let now = state.clock.now();
    let note;
    let carried;
    let report;
    let file;
    let record = match step {
        MaintenanceStep::Approve | MaintenanceStep::Reject => {
            note = match mamori_domain::incident::status::parse_note(
                "note",
                multipart.field("note"),
                step == MaintenanceStep::Reject,
            ) {
                Ok(note) => note,
                Err(error) => return refused(vec![describe(&error, chrome.locale)]).await,
            };
            StepRecord::Decision(&note)
        }
        MaintenanceStep::Done => {
            carried = match parse_carried(
                multipart.field("done_on"),
                multipart.field("start_time"),
                multipart.field("end_time"),
                multipart.field("operator"),
                now.to_zoned_datetime(crate::tokyo()).datetime(),
            ) {
                Ok(carried) => carried,
                Err(errors) => return refused(describe_all(&errors, chrome.locale)).await,
            };
            StepRecord::Carried(&carried)
        }
        MaintenanceStep::Report => {
            let text = parse_report(multipart.field("report"));
            let upload = multipart
                .files
                .iter()
                .find(|f| f.field == "log" && !f.name.is_empty())
                .map(|f| {
                    accept_log("log", &f.name, &f.bytes).map(|accepted| UploadedFile {
                        name: accepted.name,
                        content_type: accepted.content_type.to_owned(),
                        content: f.bytes.clone(),
                        sha256: mamori_store::hex(&sha2::Sha256::digest(&f.bytes)),
                    })
                })
                .transpose();
            (report, file) = match (text, upload) {
                (Ok(text), Ok(upload)) => (text, upload),
                (text, upload) => {
                    let errors: Vec<_> = text.err().into_iter().chain(upload.err()).collect();
                    return refused(describe_all(&errors, chrome.locale)).await;
                }
            };
            StepRecord::Report(&report, file.as_ref())
        }
    };
    match mamori_store::maintenance::step(&state.store, &authorized.grant, id, step, &record, now)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/ledger/remote/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Conflict(_)) => {
            refused(vec![chrome.l.remote_moved.to_owned()]).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `GET /ledger/remote/{id}/file`: the report's log file, as an attachment.
pub(super) async fn file(
    State(state): State<AppState>,
    SessionPath(id): SessionPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let (name, content_type, bytes) =
        mamori_store::maintenance::file(&state.store, &authorized.grant, id).await?;
    Ok(crate::checklist::attachment(&name, &content_type, bytes))
}

/// Sessions carried out whose report is not in, for the dashboard.
pub(crate) async fn awaiting_reports(
    state: &AppState,
    grant: &Grant<permissions::ViewLedger>,
) -> Result<usize, AppError> {
    Ok(mamori_store::maintenance::list(&state.store, grant)
        .await?
        .iter()
        .filter(|s| s.status == MaintenanceStatus::Done)
        .count())
}

#[derive(Template)]
#[template(path = "ledger/remote_link.html")]
struct LinkPage {
    chrome: Chrome,
    token: String,
    /// (管理番号, label) of this vendor's remotely maintained devices.
    devices: Vec<(String, String)>,
    form: RequestForm,
    errors: Vec<String>,
    sent: bool,
}

/// A vendor link's token longer than this is not one mamori issued.
const MAX_TOKEN: usize = 100;

async fn link_page(
    state: &AppState,
    chrome: &Chrome,
    token: &str,
    posted: Option<(RequestForm, Vec<String>)>,
    sent: bool,
) -> Result<Response, AppError> {
    if token.len() > MAX_TOKEN {
        return Err(AppError::not_found(chrome.locale));
    }
    let devices = mamori_store::maintenance::link_devices(
        &state.store,
        &crate::auth::token_hash(token),
        state.clock.now(),
    )
    .await?;
    // A dead link and a live one for a vendor without devices both answer
    // 404 only when the link itself is dead: the store finds no link rows.
    if devices.is_empty()
        && mamori_store::vendor::open(
            &state.store,
            &crate::auth::token_hash(token),
            state.clock.now(),
        )
        .await
        .is_err()
    {
        return Err(AppError::not_found(chrome.locale));
    }
    let (form, errors) = posted.unwrap_or_else(|| {
        (
            RequestForm {
                planned_on: state.clock.today().to_string(),
                ..RequestForm::default()
            },
            Vec::new(),
        )
    });
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &LinkPage {
            chrome: chrome.clone(),
            token: token.to_owned(),
            devices: devices
                .into_iter()
                .map(|(number, name, _)| {
                    let label = if name.is_empty() {
                        number.clone()
                    } else {
                        format!("{number} / {name}")
                    };
                    (number, label)
                })
                .collect(),
            form,
            errors,
            sent,
        },
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct SentQuery {
    done: String,
}

/// `GET /v/{token}/remote`: the vendor asks, through its link, to maintain one
/// of the devices the ledger says it maintains remotely.
pub(super) async fn link_form(
    State(state): State<AppState>,
    chrome: Chrome,
    axum::extract::Path(token): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<SentQuery>,
) -> Result<Response, AppError> {
    link_page(&state, &chrome, &token, None, query.done == "sent").await
}

/// `POST /v/{token}/remote`: the vendor's request, or every problem at once
/// with nothing stored.
pub(super) async fn link_request(
    State(state): State<AppState>,
    chrome: Chrome,
    axum::extract::Path(token): axum::extract::Path<String>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<Response, AppError> {
    if token.len() > MAX_TOKEN {
        return Err(AppError::not_found(chrome.locale));
    }
    let new = match parse_request(&form.asset_number, "", &form.planned_on, &form.purpose) {
        Ok(new) => new,
        Err(errors) => {
            let errors = describe_all(&errors, chrome.locale);
            return link_page(&state, &chrome, &token, Some((form, errors)), false).await;
        }
    };
    match mamori_store::maintenance::request_by_link(
        &state.store,
        &crate::auth::token_hash(&token),
        &new,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/v/{token}/remote?done=sent")).into_response()),
        Err(mamori_store::Error::Unknown(_)) => {
            let errors = vec![chrome.l.remote_not_remote.to_owned()];
            link_page(&state, &chrome, &token, Some((form, errors)), false).await
        }
        Err(mamori_store::Error::NotFound) => Err(AppError::not_found(chrome.locale)),
        Err(error) => Err(error.into()),
    }
}
