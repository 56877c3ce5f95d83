//! Carry-out requests (持ち出し): any member of staff asks from a phone, the
//! 企画管理者 approves or rejects after confirming encryption, and the
//! requester records taking out and return. Overdue requests are flagged.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{Permission, permissions};
use mamori_domain::ledger::{
    Actor, CarryOutAction, CarryOutRefusal, CarryOutStatus, RawCarryOut, is_overdue, next_status,
    parse_carry_out,
};
use mamori_store::carry_out::{CarryOut, StepError};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::page::Chrome;

use super::name_in;
use crate::{AppError, AppState};

/// A request as the list shows it.
struct Row {
    id: i64,
    what: String,
    requester: String,
    dates: String,
    status: &'static str,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "ledger/carry_outs.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    can_request: bool,
    sees_all: bool,
}

fn dates(chrome: &Chrome, carry_out: &CarryOut) -> String {
    chrome.fill(
        chrome.l.from_to,
        chrome.date(&carry_out.out_on),
        chrome.date(&carry_out.return_by),
    )
}

/// `GET /carry-outs`.
pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewCarryOuts>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let rows = mamori_store::carry_out::list(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|carry_out| Row {
            id: carry_out.id,
            dates: dates(&chrome, &carry_out),
            overdue: is_overdue(carry_out.status, carry_out.return_by, today),
            status: name_in(
                chrome.locale,
                CarryOutStatus::name_ja,
                CarryOutStatus::name_en,
            )(carry_out.status),
            requester: carry_out.requested_by.1,
            what: carry_out.what,
        })
        .collect();
    let role = authorized.user.principal.role();
    chrome.render(&ListPage {
        chrome: chrome.clone(),
        rows,
        can_request: role.has(Permission::RequestCarryOut),
        sees_all: role.has(Permission::ViewLedger),
    })
}

/// The request form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct RequestForm {
    what: String,
    asset_number: String,
    purpose: String,
    destination: String,
    out_on: String,
    return_by: String,
    encrypted: String,
}

#[derive(Template)]
#[template(path = "ledger/carry_out_form.html")]
struct FormPage {
    chrome: Chrome,
    form: RequestForm,
    errors: Vec<String>,
}

/// `GET /carry-outs/new`.
pub(super) async fn new_form(
    State(state): State<AppState>,
    chrome: Chrome,
    _authorized: Authorized<permissions::RequestCarryOut>,
) -> Result<Response, AppError> {
    let today = state.clock.today().to_string();
    let form = RequestForm {
        out_on: today.clone(),
        return_by: today,
        ..RequestForm::default()
    };
    chrome.render(&FormPage {
        chrome: chrome.clone(),
        form,
        errors: Vec::new(),
    })
}

/// `POST /carry-outs/new`.
pub(super) async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::RequestCarryOut>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<Response, AppError> {
    let refuse = |form: RequestForm, errors: Vec<String>| {
        chrome.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                chrome: chrome.clone(),
                form,
                errors,
            },
        )
    };
    let raw = RawCarryOut {
        what: &form.what,
        asset_number: &form.asset_number,
        purpose: &form.purpose,
        destination: &form.destination,
        out_on: &form.out_on,
        return_by: &form.return_by,
        encrypted: !form.encrypted.is_empty(),
    };
    let carry_out = match parse_carry_out(&raw, state.clock.today()) {
        Ok(carry_out) => carry_out,
        Err(errors) => {
            let messages = errors
                .iter()
                .map(|error| describe(error, chrome.locale))
                .collect();
            return refuse(form.clone(), messages);
        }
    };
    match mamori_store::carry_out::request(
        &state.store,
        &authorized.grant,
        &carry_out,
        state.clock.now(),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/carry-outs/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::NotFound) => {
            refuse(form, vec![chrome.l.error_unknown_asset_optional.to_owned()])
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "ledger/carry_out.html")]
struct ShowPage {
    chrome: Chrome,
    id: i64,
    fields: Vec<(&'static str, String)>,
    status: &'static str,
    overdue: bool,
    /// (action code, button label) the person may take now.
    actions: Vec<(&'static str, &'static str)>,
    needs_decision: bool,
    errors: Vec<String>,
    advice: &'static str,
    /// The メモ as typed, kept when the step was refused.
    note: String,
    /// Nobody but the requester could approve this request.
    no_other_approver: bool,
}

fn refusal_message(chrome: &Chrome, refusal: CarryOutRefusal) -> &'static str {
    match refusal {
        CarryOutRefusal::WrongStatus => chrome.l.refusal_wrong_status,
        CarryOutRefusal::NotApprover => chrome.l.refusal_not_approver,
        CarryOutRefusal::OwnRequest => chrome.l.refusal_own_request,
        CarryOutRefusal::NotInvolved => chrome.l.refusal_not_involved,
        CarryOutRefusal::EncryptionNotConfirmed => chrome.l.refusal_encryption,
    }
}

async fn render(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewCarryOuts>,
    id: i64,
    errors: Vec<String>,
    note: String,
    status_code: StatusCode,
) -> Result<Response, AppError> {
    let carry_out = mamori_store::carry_out::get(&state.store, &authorized.grant, id).await?;
    let role = authorized.user.principal.role();
    let actor = Actor {
        approver: role.has(Permission::ApproveCarryOut),
        requester: carry_out.requested_by.0 == authorized.user.principal.user_id(),
    };
    let may_act = role.has(Permission::RequestCarryOut);
    let actions = [
        (CarryOutAction::Approve, chrome.l.action_approve),
        (CarryOutAction::Reject, chrome.l.action_reject),
        (CarryOutAction::Take, chrome.l.action_take),
        (CarryOutAction::Return, chrome.l.action_return),
    ]
    .into_iter()
    .filter(|(action, _)| may_act && next_status(carry_out.status, *action, actor, true).is_ok())
    .map(|(action, label)| (action.code(), label))
    .collect::<Vec<_>>();
    let needs_decision = actions.iter().any(|(code, _)| *code == "approve");
    let timestamp = |t: jiff::Timestamp| {
        let zoned = t.to_zoned_datetime(crate::tokyo());
        format!("{} {}", chrome.date(&zoned.date()), zoned.strftime("%H:%M"))
    };
    let mut fields = vec![
        (chrome.l.what_out, carry_out.what.clone()),
        (
            chrome.l.asset_number,
            carry_out
                .device
                .as_ref()
                .map(|(_, asset)| asset.clone())
                .unwrap_or_else(|| "—".to_owned()),
        ),
        (chrome.l.purpose, carry_out.purpose.clone()),
        (chrome.l.destination, carry_out.destination.clone()),
        (chrome.l.period, dates(chrome, &carry_out)),
        (
            chrome.l.encryption_declared,
            if carry_out.encrypted {
                chrome.l.yes_mark
            } else {
                chrome.l.none_or_unknown
            }
            .to_owned(),
        ),
        (
            chrome.l.requested,
            chrome.fill(
                chrome.l.name_job,
                &carry_out.requested_by.1,
                timestamp(carry_out.requested_at),
            ),
        ),
    ];
    if let Some((name, at)) = &carry_out.decided {
        fields.push((
            chrome.l.decision,
            chrome.fill(chrome.l.name_job, name, timestamp(*at)),
        ));
        if !carry_out.decision_note.is_empty() {
            fields.push((chrome.l.note, carry_out.decision_note.clone()));
        }
    }
    if let Some(at) = carry_out.taken_at {
        fields.push((chrome.l.carry_outs_title, timestamp(at)));
    }
    if let Some(at) = carry_out.returned_at {
        fields.push((chrome.l.returned, timestamp(at)));
    }
    let advice = match carry_out.status {
        CarryOutStatus::Requested => chrome.l.advice_requested,
        CarryOutStatus::Approved => chrome.l.advice_approved,
        CarryOutStatus::Taken => chrome.l.advice_taken,
        CarryOutStatus::Rejected | CarryOutStatus::Returned => "",
    };
    let no_other_approver = carry_out.status == CarryOutStatus::Requested
        && mamori_store::carry_out::other_approvers(
            &state.store,
            &authorized.grant,
            carry_out.requested_by.0,
        )
        .await?
            == 0;
    let page = ShowPage {
        chrome: chrome.clone(),
        id,
        status: name_in(
            chrome.locale,
            CarryOutStatus::name_ja,
            CarryOutStatus::name_en,
        )(carry_out.status),
        overdue: is_overdue(carry_out.status, carry_out.return_by, state.clock.today()),
        fields,
        actions,
        needs_decision,
        errors,
        advice,
        note,
        no_other_approver,
    };
    chrome.render_with_status(status_code, &page)
}

/// `GET /carry-outs/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::ViewCarryOuts>,
) -> Result<Response, AppError> {
    render(
        &state,
        &chrome,
        &authorized,
        id,
        Vec::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// The step form: which button, the encryption check and a note.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct StepForm {
    action: String,
    encryption_confirmed: String,
    note: String,
}

/// `POST /carry-outs/{id}/step`.
pub(super) async fn step(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::ViewCarryOuts>,
    CsrfForm(form): CsrfForm<StepForm>,
) -> Result<Response, AppError> {
    // Another institution's or person's request is not found, whatever the form says.
    mamori_store::carry_out::get(&state.store, &authorized.grant, id).await?;
    let Some(action) = CarryOutAction::from_code(&form.action) else {
        return Err(AppError::bad_request(
            chrome.locale,
            chrome.l.unknown_action,
        ));
    };
    let note = mamori_domain::error::short_note(&form.note, 200);
    match mamori_store::carry_out::step(
        &state.store,
        &authorized.grant,
        id,
        action,
        !form.encryption_confirmed.is_empty(),
        &note,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/carry-outs/{id}?done=saved")).into_response()),
        Err(StepError::Refused(refusal)) => {
            let status = match refusal {
                CarryOutRefusal::NotApprover | CarryOutRefusal::NotInvolved => {
                    StatusCode::FORBIDDEN
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            render(
                &state,
                &chrome,
                &authorized,
                id,
                vec![refusal_message(&chrome, refusal).to_owned()],
                form.note,
                status,
            )
            .await
        }
        Err(StepError::Store(error)) => Err(error.into()),
    }
}
