//! Manual IV from the vendor's side (issue #12): a vendor's account called
//! into an incident by those who handle it sees that incident's reports and
//! the steps of the vendors' manual (IV), and records against each what it
//! found or did. It reads nothing else of the institution's incidents.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::incident::playbook::{Audience, Phase, Step};
use mamori_domain::incident::status::parse_note;
use mamori_domain::institution::permissions;
use mamori_store::incident::OwnStep;

use super::{IncidentPath, ReportView, playbooks, report_view, when};
use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// One step of manual IV as the vendor sees it on one incident.
struct VendorStep {
    id: String,
    text: String,
    /// A heading (a step with sub-steps) rather than something to answer.
    heading: bool,
    /// When it was last recorded, and what was written; empty when never.
    recorded: String,
}

/// One incident the vendor was called into.
struct CalledInView {
    number: String,
    title: String,
    status: &'static str,
    lead: String,
    reports: Vec<ReportView>,
    /// (section heading, steps).
    sections: Vec<(String, Vec<VendorStep>)>,
}

#[derive(Template)]
#[template(path = "incident/vendor.html")]
struct VendorPage {
    chrome: Chrome,
    incidents: Vec<CalledInView>,
}

fn steps_of(steps: &[Step], done: &[OwnStep], chrome: &Chrome, out: &mut Vec<VendorStep>) {
    for step in steps {
        let recorded = done
            .iter()
            .rev()
            .find(|own| own.step == step.id)
            .map(|own| {
                let at = when(chrome, own.at);
                if own.remark.is_empty() {
                    at
                } else {
                    format!("{at} — {}", own.remark)
                }
            })
            .unwrap_or_default();
        out.push(VendorStep {
            id: step.id.clone(),
            text: step.text.clone(),
            heading: !step.steps.is_empty(),
            recorded,
        });
        steps_of(&step.steps, done, chrome, out);
    }
}

/// `GET /incidents/vendor`: the open incidents this vendor's account was
/// called into, each with its reports and manual IV to answer.
pub(super) async fn page(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::AnswerVendorManual>,
) -> Result<Response, AppError> {
    let manual = playbooks()?.manual(Audience::Vendor);
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let incidents = mamori_store::incident::called_in(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|called| CalledInView {
            number: called.summary.id.to_string(),
            title: called.summary.title.clone(),
            status: pick(
                called.summary.status.name_ja(),
                called.summary.status.name_en(),
            ),
            lead: called.summary.lead.clone().unwrap_or_default(),
            reports: called
                .reports
                .iter()
                .enumerate()
                .map(|(index, report)| report_view(&chrome, index, report))
                .collect(),
            sections: manual
                .sections
                .iter()
                .filter(|section| section.phase != Phase::Prepare)
                .map(|section| {
                    let mut steps = Vec::new();
                    steps_of(&section.steps, &called.steps, &chrome, &mut steps);
                    (format!("{}. {}", section.number, section.title), steps)
                })
                .collect(),
        })
        .collect();
    chrome.render(&VendorPage {
        chrome: chrome.clone(),
        incidents,
    })
}

#[derive(serde::Deserialize)]
pub(super) struct VendorStepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    text: String,
}

/// `POST /incidents/{id}/vendor-steps`: the vendor records a step of manual IV
/// with what it found or did.
pub(super) async fn step(
    State(state): State<AppState>,
    chrome: Chrome,
    IncidentPath(id): IncidentPath,
    authorized: Authorized<permissions::AnswerVendorManual>,
    CsrfForm(form): CsrfForm<VendorStepForm>,
) -> Result<Response, AppError> {
    // An incident it was not called into (or another institution's) is not
    // found before any problem of the form.
    let called = mamori_store::incident::called_in(&state.store, &authorized.grant).await?;
    if !called.iter().any(|c| c.summary.id == id) {
        return Err(AppError::from_store(
            chrome.locale,
            mamori_store::Error::NotFound,
        ));
    }
    let unprocessable = |message: String| AppError::User {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        locale: chrome.locale,
        message,
    };
    let step = form.step.trim();
    if playbooks()?.vendor_step(step).is_none() {
        return Err(unprocessable(chrome.i.error_step.to_owned()));
    }
    let remark = parse_note("note", &form.text, false)
        .map_err(|error| unprocessable(describe(&error, chrome.locale)))?;
    mamori_store::incident::vendor_step_done(
        &state.store,
        &authorized.grant,
        id,
        step,
        &remark,
        state.clock.now(),
    )
    .await
    .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to(&format!("/incidents/vendor#incident-{id}")).into_response())
}
