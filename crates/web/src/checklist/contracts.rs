//! A vendor's contracts (委託契約, 第9条): each with its dates and the items of
//! 【別紙1】 it contains, the essential ones it lacks and whether it has ended;
//! and the vendor's certificates (Pマーク, ISMS…) with their expiry.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

use mamori_domain::contract::{
    CertificateKind, ClauseList, NewCertificate, NewContract, RawContract, Standing,
    parse_certificate, parse_contract,
};
use mamori_domain::institution::{Grant, permissions};

use crate::auth::{Authorized, CsrfForm};
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
    let refused = match parsed {
        Ok(contract) => {
            let now = state.clock.now();
            mamori_store::contract::add(&state.store, &authorized.grant, vendor_id, &contract, now)
                .await
                .map_err(|error| AppError::from_store(chrome.locale, error))?;
            None
        }
        Err(errors) => Some(Forms {
            contract_errors: crate::i18n::describe_all(&errors, chrome.locale),
            contract: form,
            ..Forms::default()
        }),
    };
    saved_or_refused(&state, &chrome, &authorized.grant, vendor_id, refused).await
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
    let refused = match parse_certificate(&form.kind, &form.number, &form.expires_on) {
        Ok(certificate) => {
            let now = state.clock.now();
            let grant = &authorized.grant;
            mamori_store::contract::add_certificate(
                &state.store,
                grant,
                vendor_id,
                &certificate,
                now,
            )
            .await
            .map_err(|error| AppError::from_store(chrome.locale, error))?;
            None
        }
        Err(errors) => Some(Forms {
            certificate_errors: crate::i18n::describe_all(&errors, chrome.locale),
            certificate: form,
            ..Forms::default()
        }),
    };
    saved_or_refused(&state, &chrome, &authorized.grant, vendor_id, refused).await
}

/// After either form: back to the page with the saved notice, or the page
/// again (400) with the refused form's problems and what was typed.
async fn saved_or_refused(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ManageVendors>,
    vendor_id: i64,
    refused: Option<Forms>,
) -> Result<Response, AppError> {
    match refused {
        None => {
            Ok(Redirect::to(&format!("/vendors/{vendor_id}/contracts?done=saved")).into_response())
        }
        Some(forms) => {
            render(
                state,
                chrome,
                grant,
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

/// Every vendor's [`Standing`] (the one warning the vendors list shows), by
/// vendor id; a vendor without contracts or certificates is not in the map
/// (its standing is [`Standing::NoContract`]).
pub(super) async fn standings(
    state: &AppState,
    grant: &Grant<permissions::ManageVendors>,
) -> Result<HashMap<i64, Standing>, AppError> {
    let contracts = mamori_store::contract::list(&state.store, grant, None).await?;
    let certificates = mamori_store::contract::certificates(&state.store, grant, None).await?;
    let mut by_vendor: HashMap<i64, (Vec<&NewContract>, Vec<&NewCertificate>)> = HashMap::new();
    for stored in &contracts {
        by_vendor
            .entry(stored.vendor_id)
            .or_default()
            .0
            .push(&stored.contract);
    }
    for stored in &certificates {
        by_vendor
            .entry(stored.vendor_id)
            .or_default()
            .1
            .push(&stored.certificate);
    }
    let today = state.clock.today();
    Ok(by_vendor
        .into_iter()
        .map(|(vendor_id, (contracts, certificates))| {
            let standing = state
                .contract_clauses
                .standing(&contracts, &certificates, today);
            (vendor_id, standing)
        })
        .collect())
}
