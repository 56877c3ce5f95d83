//! The usage log (使用管理簿) and private-device permissions (私物の機器).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{Permission, permissions};
use mamori_domain::ledger::{parse_deletion_day, parse_private_device, parse_use};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// The usage-log form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct UseForm {
    asset_number: String,
    used_on: String,
    start_time: String,
    end_time: String,
    user_name: String,
    virus_checked: String,
}

#[derive(Template)]
#[template(path = "ledger/usage.html")]
struct UsagePage {
    chrome: Chrome,
    rows: Vec<(String, String, String, String, bool)>,
    form: UseForm,
    errors: Vec<String>,
    can_record: bool,
}

async fn usage_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewCarryOuts>,
    form: UseForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let rows = mamori_store::usage::list_uses(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|line| {
            (
                chrome.date(&line.used_on),
                line.asset_number,
                chrome.fill(chrome.l.time_range, line.start, line.end),
                line.user_name,
                line.virus_checked,
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    chrome.render_with_status(
        status,
        &UsagePage {
            chrome: chrome.clone(),
            rows,
            form,
            errors,
            can_record: authorized.user.principal.role().has(Permission::RecordUse),
        },
    )
}

/// `GET /ledger/usage`.
pub(super) async fn usage(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewCarryOuts>,
) -> Result<Response, AppError> {
    let form = UseForm {
        used_on: state.clock.today().to_string(),
        ..UseForm::default()
    };
    usage_page(&state, &chrome, &authorized, form, Vec::new()).await
}

/// `POST /ledger/usage`.
pub(super) async fn add_use(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::RecordUse>,
    CsrfForm(form): CsrfForm<UseForm>,
) -> Result<Response, AppError> {
    let parsed = parse_use(
        &form.asset_number,
        &form.used_on,
        &form.start_time,
        &form.end_time,
        &form.user_name,
        !form.virus_checked.is_empty(),
        state.clock.today(),
    );
    let view = super::viewing(&authorized)?;
    let line = match parsed {
        Ok(line) => line,
        Err(errors) => {
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            return usage_page(&state, &chrome, &view, form, errors).await;
        }
    };
    match mamori_store::usage::add_use(&state.store, &authorized.grant, &line, state.clock.now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/ledger/usage?done=saved").into_response()),
        Err(mamori_store::Error::NotFound) => {
            let errors = vec![chrome.l.error_unknown_asset.to_owned()];
            usage_page(&state, &chrome, &view, form, errors).await
        }
        Err(error) => Err(error.into()),
    }
}

/// The private-device form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct PrivateForm {
    owner_name: String,
    device: String,
    purpose: String,
    permitted_by: String,
    permitted_on: String,
    virus_checked: String,
}

struct PrivateRow {
    id: i64,
    owner_name: String,
    device: String,
    purpose: String,
    permitted: String,
    deleted: Option<String>,
}

#[derive(Template)]
#[template(path = "ledger/private_devices.html")]
struct PrivatePage {
    chrome: Chrome,
    rows: Vec<PrivateRow>,
    form: PrivateForm,
    errors: Vec<String>,
    can_record: bool,
    today: String,
}

async fn private_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewCarryOuts>,
    form: PrivateForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let rows = mamori_store::usage::list_private_devices(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|entry| PrivateRow {
            id: entry.id,
            permitted: chrome.fill(
                chrome.l.date_by,
                chrome.date(&entry.permission.permitted_on),
                &entry.permission.permitted_by,
            ),
            deleted: entry.data_deleted_on.map(|day| chrome.date(&day)),
            owner_name: entry.permission.owner_name,
            device: entry.permission.device,
            purpose: entry.permission.purpose,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    chrome.render_with_status(
        status,
        &PrivatePage {
            chrome: chrome.clone(),
            rows,
            form,
            errors,
            can_record: authorized.user.principal.role().has(Permission::RecordUse),
            today: state.clock.today().to_string(),
        },
    )
}

/// `GET /ledger/private-devices`.
pub(super) async fn private_devices(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewCarryOuts>,
) -> Result<Response, AppError> {
    let form = PrivateForm {
        permitted_on: state.clock.today().to_string(),
        ..PrivateForm::default()
    };
    private_page(&state, &chrome, &authorized, form, Vec::new()).await
}

/// `POST /ledger/private-devices`.
pub(super) async fn permit(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::RecordUse>,
    CsrfForm(form): CsrfForm<PrivateForm>,
) -> Result<Response, AppError> {
    let parsed = parse_private_device(
        &form.owner_name,
        &form.device,
        &form.purpose,
        &form.permitted_by,
        &form.permitted_on,
        !form.virus_checked.is_empty(),
        state.clock.today(),
    );
    match parsed {
        Ok(permission) => {
            mamori_store::usage::add_private_device(
                &state.store,
                &authorized.grant,
                &permission,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/ledger/private-devices?done=saved").into_response())
        }
        Err(errors) => {
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            private_page(&state, &chrome, &super::viewing(&authorized)?, form, errors).await
        }
    }
}

/// The data-deletion form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct DeletionForm {
    data_deleted_on: String,
}

/// `POST /ledger/private-devices/{id}/deleted`: the data was deleted after use.
pub(super) async fn data_deleted(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::RecordUse>,
    CsrfForm(form): CsrfForm<DeletionForm>,
) -> Result<Response, AppError> {
    let entry = mamori_store::usage::list_private_devices(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .find(|entry| entry.id == id && entry.data_deleted_on.is_none())
        .ok_or_else(|| AppError::not_found(chrome.locale))?;
    let day = parse_deletion_day(
        &form.data_deleted_on,
        entry.permission.permitted_on,
        state.clock.today(),
    )
    .map_err(|error| AppError::bad_request(chrome.locale, describe(&error, chrome.locale)))?;
    mamori_store::usage::record_data_deleted(
        &state.store,
        &authorized.grant,
        id,
        day,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/ledger/private-devices?done=saved").into_response())
}
