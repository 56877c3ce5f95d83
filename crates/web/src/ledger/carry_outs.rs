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
    format!(
        "{} 〜 {}",
        chrome.date(&carry_out.out_on),
        chrome.date(&carry_out.return_by)
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
            status: carry_out.status.name_ja(),
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
        Err(mamori_store::Error::NotFound) => refuse(
            form,
            vec!["管理番号: 使用機器一覧表にない（または廃棄済みの）管理番号です。空欄でも申請できます。".to_owned()],
        ),
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

fn refusal_message(refusal: CarryOutRefusal) -> &'static str {
    match refusal {
        CarryOutRefusal::WrongStatus => {
            "この申請の現在の状態では、その操作はできません（画面を再読み込みしてください）。"
        }
        CarryOutRefusal::NotApprover => {
            "承認・却下は企画管理者（または安全管理責任者）が行います。"
        }
        CarryOutRefusal::OwnRequest => {
            "自分の申請は承認できません。別の企画管理者に依頼してください。"
        }
        CarryOutRefusal::NotInvolved => "持ち出し・返却の記録は、申請者か企画管理者が行います。",
        CarryOutRefusal::EncryptionNotConfirmed => {
            "承認する前に、持ち出す情報・機器が暗号化されていることを確認し、「暗号化を確認した」にチェックしてください。"
        }
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
        (CarryOutAction::Approve, "承認する"),
        (CarryOutAction::Reject, "却下する"),
        (CarryOutAction::Take, "持ち出した"),
        (CarryOutAction::Return, "返却した"),
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
        ("持ち出す情報・機器", carry_out.what.clone()),
        (
            "管理番号",
            carry_out
                .device
                .as_ref()
                .map(|(_, asset)| asset.clone())
                .unwrap_or_else(|| "—".to_owned()),
        ),
        ("目的", carry_out.purpose.clone()),
        ("持ち出し先", carry_out.destination.clone()),
        ("期間", dates(chrome, &carry_out)),
        (
            "暗号化（申請者の申告）",
            if carry_out.encrypted {
                "あり"
            } else {
                "なし・不明"
            }
            .to_owned(),
        ),
        (
            "申請",
            format!(
                "{}（{}）",
                carry_out.requested_by.1,
                timestamp(carry_out.requested_at)
            ),
        ),
    ];
    if let Some((name, at)) = &carry_out.decided {
        fields.push(("承認・却下", format!("{name}（{}）", timestamp(*at))));
        if !carry_out.decision_note.is_empty() {
            fields.push(("メモ", carry_out.decision_note.clone()));
        }
    }
    if let Some(at) = carry_out.taken_at {
        fields.push(("持ち出し", timestamp(at)));
    }
    if let Some(at) = carry_out.returned_at {
        fields.push(("返却", timestamp(at)));
    }
    let advice = match carry_out.status {
        CarryOutStatus::Requested => "企画管理者の承認があるまで持ち出さないでください。",
        CarryOutStatus::Approved => {
            "持ち出すときに「持ち出した」を押してください。公衆無線LANは使わないでください（第13条(1)④）。"
        }
        CarryOutStatus::Taken => {
            "紛失・盗難に気づいたら、すぐに企画管理者に連絡してください。戻ったら「返却した」を押してください。"
        }
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
        status: carry_out.status.name_ja(),
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
        return Err(AppError::bad_request(chrome.locale, "不明な操作です。"));
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
                vec![refusal_message(refusal).to_owned()],
                form.note,
                status,
            )
            .await
        }
        Err(StepError::Store(error)) => Err(error.into()),
    }
}
