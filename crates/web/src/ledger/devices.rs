//! The device ledger's pages: the searchable list, a device with its history,
//! the add and edit forms, disposal, and the exports.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::calendar::parse_date_ja;
use mamori_domain::checklist::accept_upload;
use mamori_domain::institution::{Grant, Permission, permissions};
use mamori_domain::ledger::{
    Antivirus, DEVICE_COLUMNS, DeviceKind, DeviceStatus, NewDevice, RawDevice, STALE_UPDATE_DAYS,
    device_headers, device_row, parse_device,
};
use mamori_domain::{ParseError, ParseErrorKind};
use mamori_store::device::{Device, DeviceQuery, NewDisposal};
use sha2::{Digest, Sha256};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;

use super::{device_label, device_value, name_in};
use crate::{AppError, AppState};

/// Devices per page of the list.
pub(super) const PAGE_SIZE: i64 = 50;

/// The device form, every field as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct DeviceForm {
    kind: String,
    asset_number: String,
    maker_model: String,
    location: String,
    manager: String,
    remarks: String,
    os_version: String,
    last_security_update: String,
    antivirus: String,
    remote_used: String,
    remote_vendor: String,
    remote_method: String,
    mds_sds_received: String,
    internet_connected: String,
    segment: String,
    ip_addresses: String,
    mac_addresses: String,
    initial_password_changed: String,
    external_media_restricted: String,
    external_media_how: String,
    status: String,
}

impl DeviceForm {
    fn raw(&self) -> RawDevice<'_> {
        RawDevice {
            kind: &self.kind,
            asset_number: &self.asset_number,
            maker_model: &self.maker_model,
            location: &self.location,
            manager: &self.manager,
            remarks: &self.remarks,
            os_version: &self.os_version,
            last_security_update: &self.last_security_update,
            antivirus: &self.antivirus,
            remote_used: &self.remote_used,
            remote_vendor: &self.remote_vendor,
            remote_method: &self.remote_method,
            mds_sds_received: &self.mds_sds_received,
            internet_connected: &self.internet_connected,
            segment: &self.segment,
            ip_addresses: &self.ip_addresses,
            mac_addresses: &self.mac_addresses,
            initial_password_changed: &self.initial_password_changed,
            external_media_restricted: &self.external_media_restricted,
            external_media_how: &self.external_media_how,
            status: &self.status,
        }
    }

    fn from_device(device: &NewDevice) -> Self {
        let yes_no = |value: Option<bool>| match value {
            Some(true) => "yes".to_owned(),
            Some(false) => "no".to_owned(),
            None => String::new(),
        };
        Self {
            kind: device.kind.code().to_owned(),
            asset_number: device.asset_number.clone(),
            maker_model: device.maker_model.clone(),
            location: device.location.clone(),
            manager: device.manager.clone(),
            remarks: device.remarks.clone(),
            os_version: device.os_version.clone(),
            last_security_update: device
                .last_security_update
                .map(|date| date.to_string())
                .unwrap_or_default(),
            antivirus: device.antivirus.code().to_owned(),
            remote_used: yes_no(device.remote.used),
            remote_vendor: device.remote.vendor.clone(),
            remote_method: device.remote.method.clone(),
            mds_sds_received: yes_no(device.mds_sds_received),
            internet_connected: yes_no(device.internet_connected),
            segment: device.segment.clone(),
            ip_addresses: device.ip_text(),
            mac_addresses: device.mac_text(),
            initial_password_changed: yes_no(device.initial_password_changed),
            external_media_restricted: yes_no(device.external_media.restricted),
            external_media_how: device.external_media.how.clone(),
            status: device.status.code().to_owned(),
        }
    }
}

/// A choice in a `<select>`: value, label, selected.
pub(super) type Choice = (&'static str, &'static str, bool);

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    name: fn(T) -> &'static str,
    current: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|value| (code(*value), name(*value), code(*value) == current))
        .collect()
}

fn yes_no_choices(chrome: &Chrome, current: &str) -> Vec<Choice> {
    [
        ("", chrome.l.unknown),
        ("yes", chrome.l.yes),
        ("no", chrome.l.no),
    ]
    .into_iter()
    .map(|(value, label)| (value, label, value == current))
    .collect()
}

#[derive(Template)]
#[template(path = "ledger/device_form.html")]
struct DeviceFormPage {
    chrome: Chrome,
    title: &'static str,
    action: String,
    form: DeviceForm,
    errors: Vec<String>,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    antivirus: Vec<Choice>,
    remote_used: Vec<Choice>,
    mds_sds_received: Vec<Choice>,
    internet_connected: Vec<Choice>,
    initial_password_changed: Vec<Choice>,
    external_media_restricted: Vec<Choice>,
}

fn form_page(
    chrome: &Chrome,
    title: &'static str,
    action: String,
    form: DeviceForm,
    errors: Vec<String>,
) -> DeviceFormPage {
    let statuses = DeviceStatus::ALL
        .iter()
        .copied()
        .filter(|status| *status != DeviceStatus::Disposed)
        .map(|status| {
            (
                status.code(),
                name_in(chrome.locale, DeviceStatus::name_ja, DeviceStatus::name_en)(status),
                status.code() == form.status
                    || (form.status.is_empty() && status == DeviceStatus::Active),
            )
        })
        .collect();
    DeviceFormPage {
        chrome: chrome.clone(),
        title,
        action,
        kinds: choices(
            DeviceKind::ALL,
            DeviceKind::code,
            name_in(chrome.locale, DeviceKind::name_ja, DeviceKind::name_en),
            &form.kind,
        ),
        statuses,
        // Nothing chosen yet is 不明, never the first choice (導入済み).
        antivirus: choices(
            Antivirus::ALL,
            Antivirus::code,
            name_in(chrome.locale, Antivirus::name_ja, Antivirus::name_en),
            if form.antivirus.is_empty() {
                Antivirus::Unknown.code()
            } else {
                &form.antivirus
            },
        ),
        remote_used: yes_no_choices(chrome, &form.remote_used),
        mds_sds_received: yes_no_choices(chrome, &form.mds_sds_received),
        internet_connected: yes_no_choices(chrome, &form.internet_connected),
        initial_password_changed: yes_no_choices(chrome, &form.initial_password_changed),
        external_media_restricted: yes_no_choices(chrome, &form.external_media_restricted),
        form,
        errors,
    }
}

fn messages(chrome: &Chrome, errors: &[ParseError]) -> Vec<String> {
    errors
        .iter()
        .map(|error| describe(error, chrome.locale))
        .collect()
}

fn conflict_message(chrome: &Chrome) -> String {
    chrome.l.asset_number_taken.to_owned()
}

/// `GET /ledger/devices/new`.
pub(super) async fn new_form(
    chrome: Chrome,
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    chrome.render(&form_page(
        &chrome,
        chrome.l.add_device,
        "/ledger/devices/new".into(),
        DeviceForm::default(),
        Vec::new(),
    ))
}

/// `POST /ledger/devices/new`.
pub(super) async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<DeviceForm>,
) -> Result<Response, AppError> {
    let refuse = |form: DeviceForm, errors: Vec<String>| {
        chrome.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &chrome,
                chrome.l.add_device,
                "/ledger/devices/new".into(),
                form,
                errors,
            ),
        )
    };
    let device = match parse_device(&form.raw(), state.clock.today()) {
        Ok(device) => device,
        Err(errors) => return refuse(form.clone(), messages(&chrome, &errors)),
    };
    match mamori_store::device::add(&state.store, &authorized.grant, &device, state.clock.now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/ledger/devices/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Conflict(_)) => refuse(form, vec![conflict_message(&chrome)]),
        Err(error) => Err(error.into()),
    }
}

/// `GET /ledger/devices/{id}/edit`.
pub(super) async fn edit_form(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    let device = mamori_store::device::get(&state.store, &authorized.grant, id).await?;
    if device.disposal.is_some() {
        return Err(AppError::not_found(chrome.locale));
    }
    chrome.render(&form_page(
        &chrome,
        chrome.l.edit_device,
        format!("/ledger/devices/{id}/edit"),
        DeviceForm::from_device(&device.device),
        Vec::new(),
    ))
}

/// `POST /ledger/devices/{id}/edit`.
pub(super) async fn update(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<DeviceForm>,
) -> Result<Response, AppError> {
    // The device must be this institution's before anything is said about the form.
    mamori_store::device::get(&state.store, &authorized.grant, id).await?;
    let action = format!("/ledger/devices/{id}/edit");
    let refuse = |form: DeviceForm, errors: Vec<String>| {
        chrome.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&chrome, chrome.l.edit_device, action.clone(), form, errors),
        )
    };
    let device = match parse_device(&form.raw(), state.clock.today()) {
        Ok(device) => device,
        Err(errors) => return refuse(form.clone(), messages(&chrome, &errors)),
    };
    match mamori_store::device::update(
        &state.store,
        &authorized.grant,
        id,
        &device,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/ledger/devices/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Conflict(_)) => refuse(form, vec![conflict_message(&chrome)]),
        Err(error) => Err(error.into()),
    }
}

/// The list's filters as typed in the address; anything unknown is ignored.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    q: String,
    kind: String,
    status: String,
    page: String,
}

/// A device as the list shows it.
struct DeviceRow {
    id: i64,
    asset_number: String,
    kind: &'static str,
    maker_model: String,
    location: String,
    manager: String,
    status: &'static str,
    /// Short warnings: what the checklist would count against it.
    warnings: Vec<&'static str>,
}

/// What the checklist would count against a device.
pub(super) fn warnings(
    chrome: &Chrome,
    device: &NewDevice,
    today: jiff::civil::Date,
) -> Vec<&'static str> {
    let mut warnings = Vec::new();
    if device.initial_password_changed == Some(false) {
        warnings.push(chrome.l.warn_initial_password);
    }
    if device.antivirus == Antivirus::Missing {
        warnings.push(chrome.l.warn_no_antivirus);
    }
    if device.external_media.restricted == Some(false)
        && matches!(device.kind, DeviceKind::Server | DeviceKind::Pc)
    {
        warnings.push(chrome.l.warn_external_media);
    }
    let stale = |date: jiff::civil::Date| {
        today
            .since(date)
            .is_ok_and(|span| span.get_days() > STALE_UPDATE_DAYS)
    };
    if device.last_security_update.is_some_and(stale) {
        warnings.push(chrome.l.warn_stale_update);
    }
    if device.remote.used == Some(true) && device.mds_sds_received != Some(true) {
        warnings.push(chrome.l.warn_no_mds_sds);
    }
    warnings
}

#[derive(Template)]
#[template(path = "ledger/devices.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<DeviceRow>,
    total: i64,
    query_text: String,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    page: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    can_edit: bool,
    last_review: Option<String>,
    today: String,
}

fn page_link(query: &DeviceQuery, status_code: &str, page: i64) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    format!(
        "/ledger/devices?q={}&kind={}&status={}&page={page}",
        encode(&query.text),
        query.kind.map(DeviceKind::code).unwrap_or_default(),
        encode(status_code),
    )
}

/// `GET /ledger/devices`: the active ledger, searchable and paged.
pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    Query(params): Query<ListQuery>,
) -> Result<Response, AppError> {
    let text: String = params.q.chars().take(100).collect();
    let status_code = params.status.trim();
    let query = DeviceQuery {
        text,
        kind: DeviceKind::parse("kind", &params.kind).ok(),
        status: DeviceStatus::parse("status", status_code).ok(),
    };
    let page = params
        .page
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|page| (1..=100_000).contains(page))
        .unwrap_or(1);
    let (devices, total) = mamori_store::device::list(
        &state.store,
        &authorized.grant,
        &query,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let today = state.clock.today();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let status_code = query.status.map(DeviceStatus::code).unwrap_or_default();
    let rows = devices
        .into_iter()
        .map(|device| DeviceRow {
            id: device.id,
            warnings: warnings(&chrome, &device.device, today),
            asset_number: device.device.asset_number,
            kind: name_in(chrome.locale, DeviceKind::name_ja, DeviceKind::name_en)(
                device.device.kind,
            ),
            maker_model: device.device.maker_model,
            location: device.device.location,
            manager: device.device.manager,
            status: name_in(chrome.locale, DeviceStatus::name_ja, DeviceStatus::name_en)(
                device.device.status,
            ),
        })
        .collect();
    let mut statuses = vec![("", chrome.l.all_but_disposed, query.status.is_none())];
    statuses.extend(choices(
        DeviceStatus::ALL,
        DeviceStatus::code,
        name_in(chrome.locale, DeviceStatus::name_ja, DeviceStatus::name_en),
        status_code,
    ));
    let mut kinds = vec![("", chrome.l.all, query.kind.is_none())];
    kinds.extend(choices(
        DeviceKind::ALL,
        DeviceKind::code,
        name_in(chrome.locale, DeviceKind::name_ja, DeviceKind::name_en),
        query.kind.map(DeviceKind::code).unwrap_or_default(),
    ));
    chrome.render(&ListPage {
        chrome: chrome.clone(),
        rows,
        total,
        kinds,
        statuses,
        page,
        pages,
        previous: (page > 1).then(|| page_link(&query, status_code, page - 1)),
        next: (page < pages).then(|| page_link(&query, status_code, page + 1)),
        query_text: query.text,
        can_edit: authorized.user.principal.role().has(Permission::EditLedger),
        last_review: mamori_store::device::last_review(&state.store, &authorized.grant)
            .await?
            .map(|review| {
                chrome.fill(
                    chrome.l.date_by,
                    chrome.date(&review.reviewed_on),
                    review.reviewed_by,
                )
            }),
        today: today.to_string(),
    })
}

/// The review (棚卸) form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct ReviewForm {
    reviewed_on: String,
    note: String,
}

/// `POST /ledger/devices/review`: records that the ledger was checked against
/// the devices in place (棚卸).
pub(super) async fn review(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let refuse =
        |error: ParseError| AppError::bad_request(chrome.locale, describe(&error, chrome.locale));
    let reviewed_on = match parse_date_ja("reviewed_on", &form.reviewed_on) {
        Ok(Some(date)) if date <= today => date,
        Ok(Some(_)) => {
            return Err(refuse(ParseError::new(
                "reviewed_on",
                ParseErrorKind::Inconsistent("the date cannot be in the future"),
            )));
        }
        Ok(None) => {
            return Err(refuse(ParseError::new(
                "reviewed_on",
                ParseErrorKind::Empty,
            )));
        }
        Err(error) => return Err(refuse(error)),
    };
    let note = mamori_domain::error::short_note(&form.note, 200);
    mamori_store::device::record_review(
        &state.store,
        &authorized.grant,
        reviewed_on,
        &note,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/ledger/devices?done=saved").into_response())
}

/// A recorded use's or disposal's detail key in the request's locale (stored in Japanese).
fn history_key(chrome: &Chrome, key: String) -> String {
    let ja = crate::i18n::Locale::Ja.ledger();
    let l = chrome.l;
    [
        (ja.used_on, l.used_on),
        (ja.user_name, l.user_name),
        (ja.history_start, l.history_start),
        (ja.history_end, l.history_end),
        (ja.disposed_on, l.disposed_on),
        (ja.contractor, l.contractor),
        (ja.history_method, l.history_method),
        (ja.certificate, l.certificate),
        (ja.certificate_sha_key, l.certificate_sha_key),
    ]
    .into_iter()
    .find(|(stored, _)| *stored == key)
    .map_or(key, |(_, shown)| shown.to_owned())
}

/// One line of a device's history.
struct HistoryRow {
    when: String,
    who: String,
    what: &'static str,
    changes: Vec<(String, String, String)>,
}

fn history_rows(
    chrome: &Chrome,
    events: Vec<mamori_store::audit_log::AuditEvent>,
) -> Vec<HistoryRow> {
    events
        .into_iter()
        .map(|event| {
            let zoned = event.occurred_at.to_zoned_datetime(crate::tokyo());
            let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap_or_default();
            let field = |side: &str, key: &str| {
                detail
                    .get(side)
                    .and_then(|values| values.get(key))
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            // The stored detail is a JSON object, whose keys come back sorted
            // by code point: list the changes in the ledger's column order.
            let headers = mamori_domain::ledger::device_headers();
            let mut keys: Vec<String> = detail
                .get("after")
                .and_then(serde_json::Value::as_object)
                .map(|after| after.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort_by_key(|key| {
                headers
                    .iter()
                    .position(|header| header == key)
                    .unwrap_or(usize::MAX)
            });
            let changes = keys
                .into_iter()
                .map(|key| (field("before", &key), field("after", &key), key))
                .filter(|(before, after, _)| before != after)
                .map(|(before, after, key)| {
                    match DEVICE_COLUMNS.iter().find(|column| column.header == key) {
                        Some(column) => (
                            device_label(chrome.locale, column).to_owned(),
                            device_value(chrome.locale, column.field, &before),
                            device_value(chrome.locale, column.field, &after),
                        ),
                        None => (history_key(chrome, key), before, after),
                    }
                })
                .collect();
            HistoryRow {
                when: format!("{} {}", zoned.date(), zoned.strftime("%H:%M")),
                who: event.actor_label,
                what: match event.action.as_str() {
                    "device.create" if detail.get("import").is_some() => chrome.l.history_imported,
                    "device.create" => chrome.l.history_created,
                    "device.update" if detail.get("import").is_some() => {
                        chrome.l.history_import_changed
                    }
                    "device.update" => chrome.l.history_changed,
                    "device.dispose" => chrome.l.history_disposed,
                    "device.use" => chrome.l.history_used,
                    _ => chrome.l.history_other,
                },
                changes,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "ledger/device.html")]
struct DevicePage {
    chrome: Chrome,
    id: i64,
    fields: Vec<(&'static str, String)>,
    warnings: Vec<&'static str>,
    disposal: Option<Vec<(&'static str, String)>>,
    has_certificate: bool,
    history: Vec<HistoryRow>,
    can_edit: bool,
    errors: Vec<String>,
    dispose_form: DisposeForm,
}

/// Every field of a device, labelled as the export's columns.
fn labelled_fields(chrome: &Chrome, device: &NewDevice) -> Vec<(&'static str, String)> {
    DEVICE_COLUMNS
        .iter()
        .zip(device_row(device))
        .map(|(column, value)| {
            (
                device_label(chrome.locale, column),
                device_value(chrome.locale, column.field, &value),
            )
        })
        .collect()
}

async fn render_device(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<impl permissions::ReadsLedger>,
    can_edit: bool,
    device: Device,
    refused_disposal: Option<(Vec<String>, DisposeForm)>,
) -> Result<Response, AppError> {
    let status = match refused_disposal {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let (errors, dispose_form) = refused_disposal.unwrap_or_default();
    let history = mamori_store::device::history(&state.store, grant, device.id).await?;
    let disposal = device.disposal.as_ref().map(|disposal| {
        vec![
            (chrome.l.disposed_on, chrome.date(&disposal.disposed_on)),
            (chrome.l.contractor, disposal.contractor.clone()),
            (chrome.l.method, disposal.method.clone()),
            (
                chrome.l.certificate,
                disposal
                    .certificate
                    .as_ref()
                    .map(|(name, _, sha)| chrome.fill(chrome.l.certificate_sha, name, sha))
                    .unwrap_or_else(|| chrome.l.none.to_owned()),
            ),
        ]
    });
    let page = DevicePage {
        chrome: chrome.clone(),
        id: device.id,
        warnings: if device.disposal.is_some() {
            Vec::new()
        } else {
            warnings(chrome, &device.device, state.clock.today())
        },
        fields: labelled_fields(chrome, &device.device),
        has_certificate: device
            .disposal
            .as_ref()
            .is_some_and(|d| d.certificate.is_some()),
        disposal,
        history: history_rows(chrome, history),
        can_edit: can_edit && device.disposal.is_none(),
        errors,
        dispose_form,
    };
    chrome.render_with_status(status, &page)
}

/// `GET /ledger/devices/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let device = mamori_store::device::get(&state.store, &authorized.grant, id).await?;
    let can_edit = authorized.user.principal.role().has(Permission::EditLedger);
    render_device(&state, &chrome, &authorized.grant, can_edit, device, None).await
}

/// The disposal form's text fields.
#[derive(Debug, Default, Clone)]
pub(super) struct DisposeForm {
    disposed_on: String,
    contractor: String,
    method: String,
}

/// `POST /ledger/devices/{id}/dispose`: 廃棄 with contractor, date, method and
/// the erasure certificate (optional file).
pub(super) async fn dispose(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    let device = mamori_store::device::get(&state.store, &authorized.grant, id).await?;
    if device.disposal.is_some() {
        return Err(AppError::bad_request(
            chrome.locale,
            chrome.l.already_disposed,
        ));
    }
    let fields = DisposeForm {
        disposed_on: form.field("disposed_on").to_owned(),
        contractor: form.field("contractor").to_owned(),
        method: form.field("method").to_owned(),
    };
    let today = state.clock.today();
    let mut errors: Vec<ParseError> = Vec::new();
    let disposed_on = match parse_date_ja("disposed_on", &fields.disposed_on) {
        Ok(Some(date)) if date <= today => Some(date),
        Ok(Some(_)) => {
            errors.push(ParseError::new(
                "disposed_on",
                ParseErrorKind::Inconsistent("the date cannot be in the future"),
            ));
            None
        }
        Ok(None) => {
            errors.push(ParseError::new("disposed_on", ParseErrorKind::Empty));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let text = |field: &'static str, raw: &str, errors: &mut Vec<ParseError>| -> Option<String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            errors.push(ParseError::new(field, ParseErrorKind::Empty));
            None
        } else if trimmed.chars().count() > 200 {
            errors.push(ParseError::new(field, ParseErrorKind::TooLong { max: 200 }));
            None
        } else if trimmed.chars().any(char::is_control) {
            errors.push(ParseError::new(
                field,
                ParseErrorKind::BadFormat("control characters are not allowed"),
            ));
            None
        } else {
            Some(trimmed.to_owned())
        }
    };
    let contractor = text("contractor", &fields.contractor, &mut errors);
    let method = text("method", &fields.method, &mut errors);
    let certificate = match form.files.iter().find(|file| file.field == "certificate") {
        None => None,
        Some(file) => match accept_upload("file", &file.name, &file.bytes) {
            Ok(accepted) => Some((
                accepted.name,
                accepted.content_type.to_owned(),
                file.bytes.clone(),
                hex(&Sha256::digest(&file.bytes)),
            )),
            Err(error) => {
                errors.push(error);
                None
            }
        },
    };
    match (disposed_on, contractor, method) {
        (Some(disposed_on), Some(contractor), Some(method)) if errors.is_empty() => {
            let disposal = NewDisposal {
                disposed_on,
                contractor,
                method,
                certificate,
            };
            mamori_store::device::dispose(
                &state.store,
                &authorized.grant,
                id,
                &disposal,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to(&format!("/ledger/devices/{id}?done=saved")).into_response())
        }
        _ => {
            let messages = messages(&chrome, &errors);
            render_device(
                &state,
                &chrome,
                &authorized.grant,
                true,
                device,
                Some((messages, fields)),
            )
            .await
        }
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /ledger/devices/{id}/certificate`: the erasure certificate.
pub(super) async fn certificate(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let (name, content_type, content) =
        mamori_store::device::certificate(&state.store, &authorized.grant, id).await?;
    Ok(crate::checklist::attachment(&name, &content_type, content))
}

async fn export_rows(
    state: &AppState,
    grant: &Grant<permissions::ViewLedger>,
) -> Result<Vec<Vec<String>>, AppError> {
    let devices = mamori_store::device::all(&state.store, grant).await?;
    Ok(devices
        .iter()
        .filter(|device| device.device.status != DeviceStatus::Disposed)
        .map(|device| device_row(&device.device))
        .collect())
}

/// The active ledger as a sheet.
async fn sheet(
    state: &AppState,
    grant: &Grant<permissions::ViewLedger>,
) -> Result<super::export::Sheet, AppError> {
    Ok(super::export::Sheet {
        ledger: "devices",
        japanese: "使用機器一覧表",
        headers: device_headers(),
        rows: export_rows(state, grant).await?,
    })
}

/// The columns of the printed ledger, with their shares of the page's width: the
/// policy's form (種別, 管理番号, メーカー, 管理場所, 管理責任者, 備考) and the
/// security facts an inspector asks about; every column is in the exports.
const PRINT_COLUMNS: [(&str, u32); 11] = [
    ("kind", 3),
    ("asset_number", 3),
    ("maker_model", 5),
    ("location", 4),
    ("manager", 4),
    ("status", 2),
    ("os_version", 4),
    ("last_security_update", 4),
    ("remote_used", 2),
    ("internet_connected", 2),
    ("remarks", 6),
];

/// `GET /ledger/devices/print.pdf`: the active ledger as an A4 landscape PDF to
/// print and keep (2(1): the inspector reads a 機器台帳 on paper).
pub(super) async fn print_pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    Query(query): Query<super::export::PrintQuery>,
) -> Result<Response, AppError> {
    let full = sheet(&state, &authorized.grant).await?;
    let indices: Vec<usize> = PRINT_COLUMNS
        .iter()
        .filter_map(|(field, _)| {
            DEVICE_COLUMNS
                .iter()
                .position(|column| column.field == *field)
        })
        .collect();
    let pick = |cells: &[String]| -> Vec<String> {
        indices
            .iter()
            .map(|&index| cells.get(index).cloned().unwrap_or_default())
            .collect()
    };
    let printed = super::export::Sheet {
        headers: indices
            .iter()
            .filter_map(|&index| DEVICE_COLUMNS.get(index).map(|column| column.header))
            .collect(),
        rows: full.rows.iter().map(|row| pick(row)).collect(),
        ..full
    };
    super::export::send_pdf(
        &state,
        &chrome,
        &authorized.grant,
        printed,
        &query,
        PRINT_COLUMNS.iter().map(|(_, width)| *width).collect(),
        vec![
            "廃棄した機器は載りません（機器ごとの履歴に残ります）。IPアドレス・MACアドレス・リモート保守事業者などを含む全項目は Excel・CSV 出力にあります。".to_owned(),
        ],
    )
    .await
}

/// `GET /ledger/devices/export.csv[?encoding=sjis]`: the active ledger as CSV.
pub(super) async fn export_csv(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    Query(query): Query<super::export::ExportQuery>,
) -> Result<Response, AppError> {
    let sheet = sheet(&state, &authorized.grant).await?;
    super::export::send(&state, &chrome, &authorized.grant, sheet, query.csv()).await
}

/// `GET /ledger/devices/export.xlsx`: the active ledger as a workbook.
pub(super) async fn export_xlsx(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let sheet = sheet(&state, &authorized.grant).await?;
    super::export::send(
        &state,
        &chrome,
        &authorized.grant,
        sheet,
        super::export::Format::Xlsx,
    )
    .await
}
