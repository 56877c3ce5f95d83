//! A vendor's contracts (委託契約, 第9条): each with its dates and the items of
//! 【別紙1】 it contains, the essential ones it lacks and whether it has ended;
//! and the vendor's certificates (Pマーク, ISMS…) with their expiry.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::contract::{
    CertificateKind, ClauseList, NewContract, RawContract, parse_certificate, parse_contract,
};
use mamori_domain::institution::{Grant, permissions};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// The contract form as posted; `clause` repeats, one per ticked item.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct ContractForm {
    title: String,
    signed_on: String,
    expires_on: String,
    note: String,
    clause: Vec<String>,
}

/// The certificate form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct CertificateForm {
    kind: String,
    number: String,
    expires_on: String,
}

/// One certificate as shown.
struct CertificateRow {
    kind: &'static str,
    number: String,
    expires_on: String,
    expired: bool,
}

/// One stored contract as shown.
struct ContractRow {
    title: String,
    signed_on: String,
    expires_on: String,
    expired: bool,
    n_clauses: usize,
    /// The essential 別紙1 items it lacks (Japanese, as in the handbook).
    missing: Vec<String>,
    note: String,
}

/// One 別紙1 section of the form, with its items: (key, text, essential, ticked).
struct Section {
    name: String,
    clauses: Vec<(String, String, bool, bool)>,
}

#[derive(Template)]
#[template(path = "checklist/contracts.html")]
struct ContractsPage {
    chrome: Chrome,
    vendor_id: i64,
    vendor_name: String,
    contracts: Vec<ContractRow>,
    n_all_clauses: usize,
    sections: Vec<Section>,
    form: ContractForm,
    errors: Vec<String>,
    certificates: Vec<CertificateRow>,
    /// (code, name, selected) of each certificate kind.
    kinds: Vec<(&'static str, &'static str, bool)>,
    certificate_form: CertificateForm,
    certificate_errors: Vec<String>,
}

/// `GET /vendors/{id}/contracts`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(vendor_id): IdPath,
    authorized: Authorized<permissions::ManageVendors>,
) -> Result<Response, AppError> {
    render(
        &state,
        &chrome,
        &authorized.grant,
        vendor_id,
        Forms::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /vendors/{id}/contracts`: records a contract, or shows every problem
/// of the form at once with what was typed and ticked kept.
pub(super) async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(vendor_id): IdPath,
    authorized: Authorized<permissions::ManageVendors>,
    CsrfForm(form): CsrfForm<ContractForm>,
) -> Result<Response, AppError> {
    let parsed = parse_contract(
        RawContract {
            title: &form.title,
            signed_on: &form.signed_on,
            expires_on: &form.expires_on,
            note: &form.note,
            clauses: &form.clause,
        },
        &state.contract_clauses,
    );
    match parsed {
        Ok(contract) => {
            mamori_store::contract::add(
                &state.store,
                &authorized.grant,
                vendor_id,
                &contract,
                state.clock.now(),
            )
            .await
            .map_err(|error| AppError::from_store(chrome.locale, error))?;
            Ok(Redirect::to(&format!("/vendors/{vendor_id}/contracts?done=saved")).into_response())
        }
        Err(errors) => {
            let errors = errors
                .iter()
                .map(|error| describe(error, chrome.locale))
                .collect();
            let forms = Forms {
                contract: form,
                contract_errors: errors,
                ..Forms::default()
            };
            render(
                &state,
                &chrome,
                &authorized.grant,
                vendor_id,
                forms,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// `POST /vendors/{id}/certificates`: records a certificate, or shows every
/// problem of the form at once with what was typed kept.
pub(super) async fn add_certificate(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(vendor_id): IdPath,
    authorized: Authorized<permissions::ManageVendors>,
    CsrfForm(form): CsrfForm<CertificateForm>,
) -> Result<Response, AppError> {
    match parse_certificate(&form.kind, &form.number, &form.expires_on) {
        Ok(certificate) => {
            mamori_store::contract::add_certificate(
                &state.store,
                &authorized.grant,
                vendor_id,
                &certificate,
                state.clock.now(),
            )
            .await
            .map_err(|error| AppError::from_store(chrome.locale, error))?;
            Ok(Redirect::to(&format!("/vendors/{vendor_id}/contracts?done=saved")).into_response())
        }
        Err(errors) => {
            let forms = Forms {
                certificate_errors: errors
                    .iter()
                    .map(|error| describe(error, chrome.locale))
                    .collect(),
                certificate: form,
                ..Forms::default()
            };
            render(
                &state,
                &chrome,
                &authorized.grant,
                vendor_id,
                forms,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// What the page shows besides the stored records: the two forms as typed and
/// their problems.
#[derive(Default)]
struct Forms {
    contract: ContractForm,
    contract_errors: Vec<String>,
    certificate: CertificateForm,
    certificate_errors: Vec<String>,
}

async fn render(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ManageVendors>,
    vendor_id: i64,
    forms: Forms,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Forms {
        contract: form,
        contract_errors: errors,
        certificate: certificate_form,
        certificate_errors,
    } = forms;
    let vendor = mamori_store::vendor::list(&state.store, grant)
        .await?
        .into_iter()
        .find(|vendor| vendor.id == vendor_id)
        .ok_or_else(|| AppError::not_found(chrome.locale))?;
    let list: &ClauseList = &state.contract_clauses;
    let today = state.clock.today();
    let contracts = mamori_store::contract::list(&state.store, grant, Some(vendor_id))
        .await?
        .into_iter()
        .map(|stored| row(chrome, list, &stored.contract, today))
        .collect();
    let certificates = mamori_store::contract::certificates(&state.store, grant, Some(vendor_id))
        .await?
        .into_iter()
        .map(|stored| CertificateRow {
            kind: chrome.locale.pick(
                stored.certificate.kind.name_ja(),
                stored.certificate.kind.name_en(),
            ),
            number: stored.certificate.number.clone(),
            expires_on: chrome.date(&stored.certificate.expires_on),
            expired: stored.certificate.is_expired(today),
        })
        .collect();
    let kinds = CertificateKind::ALL
        .iter()
        .map(|kind| {
            (
                kind.code(),
                chrome.locale.pick(kind.name_ja(), kind.name_en()),
                kind.code() == certificate_form.kind,
            )
        })
        .collect();
    chrome.render_with_status(
        status,
        &ContractsPage {
            certificates,
            kinds,
            certificate_form,
            certificate_errors,
            chrome: chrome.clone(),
            vendor_id,
            vendor_name: vendor.name,
            contracts,
            n_all_clauses: list.all().len(),
            sections: sections(list, &form.clause),
            form,
            errors,
        },
    )
}

fn row(
    chrome: &Chrome,
    list: &ClauseList,
    contract: &NewContract,
    today: jiff::civil::Date,
) -> ContractRow {
    ContractRow {
        title: contract.title.clone(),
        signed_on: chrome.date(&contract.signed_on),
        expires_on: contract.expires_on.map_or_else(
            || chrome.c.contract_no_end.to_owned(),
            |end| chrome.date(&end),
        ),
        expired: contract.is_expired(today),
        n_clauses: contract.clauses.len(),
        missing: list
            .missing_essentials(&contract.clauses)
            .into_iter()
            .map(|clause| clause.text.clone())
            .collect(),
        note: contract.note.clone(),
    }
}

/// The form's items by 別紙1 section, in the handbook's order.
fn sections(list: &ClauseList, ticked: &[String]) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for clause in list.all() {
        let item = (
            clause.key.clone(),
            clause.text.clone(),
            clause.essential,
            ticked.contains(&clause.key),
        );
        match sections.last_mut() {
            Some(section) if section.name == clause.section => section.clauses.push(item),
            _ => sections.push(Section {
                name: clause.section.clone(),
                clauses: vec![item],
            }),
        }
    }
    sections
}

/// For the vendors list: per vendor, how many contracts, and whether the
/// latest one (by signing date) has ended or lacks an essential 別紙1 item.
pub(super) struct ContractSummary {
    pub(super) count: usize,
    pub(super) expired: bool,
    pub(super) missing_essentials: bool,
    /// Whether one of the vendor's certificates has lapsed.
    pub(super) certificate_expired: bool,
}

/// Every vendor's [`ContractSummary`], by vendor id.
pub(super) async fn summaries(
    state: &AppState,
    grant: &Grant<permissions::ManageVendors>,
) -> Result<std::collections::HashMap<i64, ContractSummary>, AppError> {
    let today = state.clock.today();
    let mut by_vendor = std::collections::HashMap::new();
    // Newest first, so the first contract seen of a vendor is its latest.
    for stored in mamori_store::contract::list(&state.store, grant, None).await? {
        by_vendor
            .entry(stored.vendor_id)
            .and_modify(|summary: &mut ContractSummary| summary.count += 1)
            .or_insert_with(|| ContractSummary {
                certificate_expired: false,
                count: 1,
                expired: stored.contract.is_expired(today),
                missing_essentials: !state
                    .contract_clauses
                    .missing_essentials(&stored.contract.clauses)
                    .is_empty(),
            });
    }
    for stored in mamori_store::contract::certificates(&state.store, grant, None).await? {
        if stored.certificate.is_expired(today) {
            by_vendor
                .entry(stored.vendor_id)
                .or_insert(ContractSummary {
                    count: 0,
                    expired: false,
                    missing_essentials: false,
                    certificate_expired: false,
                })
                .certificate_expired = true;
        }
    }
    Ok(by_vendor)
}
