//! The institution's vendors (ベンダ): their status for the 事業者確認用 form,
//! issuing and revoking the single-purpose link, and their uploaded MDS/SDS.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{FormKind, parse_link_days, parse_vendor};
use mamori_domain::contract::Standing;
use mamori_domain::institution::permissions;
use mamori_store::vendor::Vendor;

use super::assessment::attachment;
use crate::auth::{Authorized, CsrfForm, random_token, token_hash};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::page::Chrome;
use crate::{AppError, AppState};

struct VendorRow {
    id: i64,
    name: String,
    contact: String,
    systems: String,
    status: &'static str,
    status_class: &'static str,
    detail: String,
    live_request: Option<i64>,
    /// What the vendor's contracts say, in words, and whether it is a warning.
    contract_state: (String, bool),
}

#[derive(Template)]
#[template(path = "checklist/vendors.html")]
struct VendorsPage {
    chrome: Chrome,
    vendors: Vec<VendorRow>,
    form: VendorForm,
    errors: Vec<String>,
    issued_link: Option<String>,
    /// The link points at this machine only: vendors cannot open it.
    loopback_link: bool,
    year_label: String,
    /// The earlier year whose 事業者確認用 form the links use, while this
    /// year's own is not in mamori yet.
    earlier_form: Option<String>,
}

/// The add-vendor form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct VendorForm {
    name: String,
    contact: String,
    systems: String,
}

fn rows(
    chrome: &Chrome,
    vendors: Vec<Vendor>,
    contracts: &std::collections::HashMap<i64, Standing>,
    now: jiff::Timestamp,
) -> Vec<VendorRow> {
    vendors
        .into_iter()
        .map(|vendor| {
            let status = vendor.status(now);
            let date =
                |t: jiff::Timestamp| chrome.date(&t.to_zoned_datetime(crate::tokyo()).date());
            let detail = match &vendor.latest {
                None => String::new(),
                Some(r) => match (r.answered_at, r.revoked_at) {
                    (Some(answered), _) => chrome.fill3(
                        chrome.c.vendor_answered,
                        r.fiscal_year,
                        date(answered),
                        r.officer_name.clone().unwrap_or_default(),
                    ),
                    (None, Some(revoked)) => {
                        chrome.fill(chrome.c.vendor_revoked, r.fiscal_year, date(revoked))
                    }
                    (None, None) => chrome.fill3(
                        chrome.c.vendor_sent,
                        r.fiscal_year,
                        date(r.issued_at),
                        date(r.expires_at),
                    ),
                },
            };
            let live_request = vendor
                .latest
                .as_ref()
                .filter(|_| status == mamori_store::vendor::VendorStatus::Waiting)
                .map(|r| r.id);
            let contract_state = match contracts
                .get(&vendor.id)
                .copied()
                .unwrap_or(Standing::NoContract)
            {
                Standing::CertificateExpired => {
                    (chrome.c.vendor_certificate_expired.to_owned(), true)
                }
                Standing::NoContract => (chrome.c.vendor_contracts_none.to_owned(), true),
                Standing::ContractExpired => (chrome.c.vendor_contract_expired.to_owned(), true),
                Standing::MissingEssentials => (chrome.c.vendor_contract_missing.to_owned(), true),
                Standing::InOrder { contracts } => (
                    chrome.counted(chrome.c.n_contracts, chrome.c.n_contracts_one, contracts),
                    false,
                ),
            };
            VendorRow {
                contract_state,
                id: vendor.id,
                name: vendor.name,
                contact: vendor.contact,
                systems: vendor.systems,
                status: chrome.locale.pick(status.name_ja(), status.name_en()),
                status_class: match status {
                    mamori_store::vendor::VendorStatus::Answered => "done",
                    mamori_store::vendor::VendorStatus::Waiting => "planned",
                    mamori_store::vendor::VendorStatus::Expired => "overdue",
                    mamori_store::vendor::VendorStatus::NotSent => "open",
                },
                detail,
                live_request,
            }
        })
        .collect()
}

async fn render(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ManageVendors>,
    form: VendorForm,
    errors: Vec<String>,
    issued_link: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let vendors = mamori_store::vendor::list(&state.store, &authorized.grant).await?;
    let loopback_link = issued_link.as_deref().is_some_and(is_loopback_link);
    let year = FiscalYear::containing(state.clock.today());
    let catalogs = super::catalogs_for(state, authorized.grant.principal()).await?;
    let earlier_form = catalogs
        .for_year(FormKind::Vendor, year)
        .and_then(|catalog| chrome.earlier_form(catalog, year));
    let page = VendorsPage {
        earlier_form,
        vendors: rows(
            chrome,
            vendors,
            &super::contracts::standings(state, &authorized.grant).await?,
            state.clock.now(),
        ),
        form,
        errors,
        issued_link,
        loopback_link,
        year_label: chrome.fiscal_year(&year),
        chrome: chrome.clone(),
    };
    chrome.render_with_status(status, &page)
}

/// `GET /vendors`.
pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageVendors>,
) -> Result<Response, AppError> {
    // A link issued by this session just now is shown once, then forgotten.
    let issued = state
        .issued_links
        .lock()
        .ok()
        .and_then(|mut links| links.remove(&authorized.user.token_hash));
    render(
        &state,
        &chrome,
        &authorized,
        VendorForm::default(),
        Vec::new(),
        issued,
        StatusCode::OK,
    )
    .await
}

/// `POST /vendors`: adds a vendor.
pub(super) async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ManageVendors>,
    CsrfForm(form): CsrfForm<VendorForm>,
) -> Result<Response, AppError> {
    let parsed = parse_vendor(&form.name, &form.contact, &form.systems);
    let error = match parsed {
        Ok(vendor) => {
            match mamori_store::vendor::add(
                &state.store,
                &authorized.grant,
                &vendor,
                state.clock.now(),
            )
            .await
            {
                Ok(_) => return Ok(Redirect::to("/vendors?done=saved").into_response()),
                Err(mamori_store::Error::Conflict(_)) => chrome.c.vendor_taken.to_owned(),
                Err(error) => return Err(AppError::from_store(chrome.locale, error)),
            }
        }
        Err(error) => describe(&error, chrome.locale),
    };
    render(
        &state,
        &chrome,
        &authorized,
        form,
        vec![error],
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// The issue form: how many days the link works.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct IssueForm {
    days: String,
}

/// `POST /vendors/{id}/requests`: issues a link to the 事業者確認用 form of this
/// 年度 and shows it once (only its hash is kept).
pub(super) async fn issue(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(vendor_id): IdPath,
    authorized: Authorized<permissions::ManageVendors>,
    headers: axum::http::HeaderMap,
    CsrfForm(form): CsrfForm<IssueForm>,
) -> Result<Response, AppError> {
    let days = parse_link_days(&form.days)
        .map_err(|error| AppError::bad_request(chrome.locale, describe(&error, chrome.locale)))?;
    let year = FiscalYear::containing(state.clock.today());
    let catalogs = super::catalogs_for(&state, authorized.grant.principal()).await?;
    let catalog = catalogs
        .for_year(FormKind::Vendor, year)
        .ok_or_else(|| AppError::bad_request(chrome.locale, chrome.c.no_vendor_form))?;
    let token = random_token();
    let now = state.clock.now();
    let expires_at = now
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .map_err(|error| AppError::Unexpected(error.to_string()))?;
    mamori_store::vendor::issue(
        &state.store,
        &authorized.grant,
        vendor_id,
        year,
        &catalog.version,
        &token_hash(&token),
        expires_at,
        now,
    )
    .await?;
    // Post/redirect/get: the link is shown once on the page the redirect
    // opens, so reloading that page shows the list, not a new link.
    let link = crate::page::public_address(
        state.config.public_url.as_deref(),
        &headers,
        state.config.secure_cookies,
        &format!("/v/{token}"),
    );
    if let Ok(mut links) = state.issued_links.lock() {
        links.insert(authorized.user.token_hash.clone(), link);
    }
    Ok(Redirect::to("/vendors?done=issued").into_response())
}

/// Whether a link points at this machine only (127.0.0.1, localhost, ::1):
/// a vendor, or a phone, elsewhere cannot open it.
pub(crate) fn is_loopback_link(link: &str) -> bool {
    let host = link
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    crate::page::is_loopback_host(crate::page::host_name(host))
}

/// `POST /vendor-requests/{id}/revoke`.
pub(super) async fn revoke(
    State(state): State<AppState>,
    IdPath(request_id): IdPath,
    authorized: Authorized<permissions::ManageVendors>,
    CsrfForm(_): CsrfForm<super::assessment::Empty>,
) -> Result<Response, AppError> {
    mamori_store::vendor::revoke(
        &state.store,
        &authorized.grant,
        request_id,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/vendors?done=saved").into_response())
}

/// `GET /vendor-documents/{id}`: an MDS/SDS a vendor uploaded.
pub(super) async fn download(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let (name, content_type, content) =
        mamori_store::vendor::document(&state.store, &authorized.grant, id).await?;
    Ok(attachment(&name, &content_type, content))
}
