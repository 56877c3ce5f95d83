//! The security policy (`/policy`, 第1–16条 with 【別紙2】, issue #15): the
//! approved version for every member of staff to read; the draft written from
//! the template (`catalogs/policy.txt`) with the institution's data and its
//! answers to the template's choices, what changed since the approved version,
//! and approval; every version with its changes, as PDF and .docx.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mamori_domain::document::Document;
use mamori_domain::institution::{Grant, Permission, Principal, Role, permissions};
use mamori_domain::ledger::DeviceStatus;
use mamori_domain::policy::{PolicyAnswers, PolicyFacts, PolicyTemplate};

use crate::auth::{Authorized, CsrfForm};
use crate::document::{
    Format, ShownLine, approved_label, fingerprint, parse_stored, shown, shown_changes,
};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/policy", get(show))
        .route("/policy/draft", get(draft))
        .route("/policy/answers", post(save_answers))
        .route("/policy/approve", post(approve))
        .route("/policy/acknowledge", post(acknowledge))
        .route(
            "/policy/acknowledgements",
            get(acknowledgements).post(record_on_paper),
        )
        .route("/policy/versions/{id}", get(version))
        .route("/policy/versions/{id}/policy.pdf", get(pdf))
        .route("/policy/versions/{id}/policy.docx", get(docx))
}

/// The shipped template; a broken one is caught by the domain's tests and by
/// start-up, so a failure here is reported, not a panic.
fn template() -> Result<&'static PolicyTemplate, AppError> {
    static TEMPLATE: std::sync::OnceLock<Result<PolicyTemplate, String>> =
        std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| PolicyTemplate::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|error| AppError::Unexpected(error.clone()))
}

/// Gathers what mamori knows for the policy, as far as `principal` may read it.
async fn facts(state: &AppState, principal: &Principal) -> Result<PolicyFacts, AppError> {
    let store = &state.store;
    let mut facts = PolicyFacts::default();
    if let Some(grant) = principal.grant::<permissions::ViewPolicy>() {
        let institution = mamori_store::institution::get(store, &grant).await?;
        let details = &institution.details;
        facts.institution = details.name().to_owned();
        facts.kind = details.kind().name_ja().to_owned();
        facts.prefecture = details.prefecture().name().to_owned();
    }
    if let Some(grant) = principal.grant::<permissions::ViewContacts>() {
        for person in mamori_store::contact::chain(store, &grant).await? {
            match person.role {
                Role::SecurityManager => facts.security_managers.push(person.name),
                Role::PlanningManager => facts.planning_managers.push(person.name),
                Role::SystemOperator => facts.system_operators.push(person.name),
                _ => {}
            }
        }
        facts.vendors = mamori_store::contact::vendors(store, &grant)
            .await?
            .into_iter()
            .map(|vendor| (vendor.name, vendor.systems))
            .collect();
        facts.contact_chart_checked = mamori_store::contact::all(store, &grant)
            .await?
            .into_iter()
            .filter_map(|line| line.confirmed_on)
            .max();
    }
    let checked = facts
        .contact_chart_checked
        .map_or("未確認".to_owned(), |day| {
            format!("最終確認 {}", mamori_domain::calendar::format_date_ja(day))
        });
    facts.documents.push(("連絡体制図".to_owned(), checked));
    if let Some(grant) = principal.grant::<permissions::ViewLedger>() {
        facts.devices = mamori_store::device::all(store, &grant)
            .await?
            .into_iter()
            .filter(|device| device.device.status != DeviceStatus::Disposed)
            .count();
        facts
            .documents
            .push(("使用機器一覧表".to_owned(), format!("{}台", facts.devices)));
        let diagram = mamori_store::network::last_review(store, &grant)
            .await?
            .map_or("見直しの記録なし".to_owned(), |(day, _)| {
                format!("最終見直し {day}")
            });
        facts
            .documents
            .push(("ネットワーク構成図".to_owned(), diagram));
    }
    if let Some(grant) = principal.grant::<permissions::ViewBcp>() {
        let bcp = mamori_store::bcp::versions(store, &grant)
            .await?
            .first()
            .map_or("未承認".to_owned(), |v| format!("第{}版", v.number));
        facts
            .documents
            .push(("事業継続計画（BCP）".to_owned(), bcp));
    }
    Ok(facts)
}

/// Whether a member of staff should have acknowledged the current version by
/// now: not yet done, and joined (or no 入職日 recorded).
pub(crate) fn is_due(
    row: &mamori_store::policy::StaffAcknowledgement,
    today: jiff::civil::Date,
) -> bool {
    mamori_domain::policy::acknowledgement_due(row.acknowledged.is_some(), row.joined_on, today)
}

/// The checklist's 運用管理規程 item: the approved policy as live evidence,
/// and for those who write it, how many of the staff have acknowledged it.
pub(crate) async fn checklist_box(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
    key: &str,
) -> Result<Option<crate::ledger::LedgerBox>, AppError> {
    let Some(grant) = principal.grant::<permissions::ViewPolicy>() else {
        return Ok(None);
    };
    if key != "operation-rules" {
        return Ok(None);
    }
    let k = chrome.k;
    let versions = mamori_store::policy::versions(&state.store, &grant).await?;
    let Some(current) = versions.first() else {
        return Ok(Some(crate::ledger::LedgerBox {
            lines: Vec::new(),
            warnings: vec![k.policy_box_none.to_owned()],
        }));
    };
    let mut lines = vec![crate::i18n::fill(
        k.policy_box_version,
        &[&current.number, &approved_label(chrome, current)],
    )];
    let mut warnings = Vec::new();
    if let Some(edit) = principal.grant::<permissions::EditPolicy>() {
        let today = state.clock.today();
        let staff = mamori_store::policy::acknowledgements(&state.store, &edit, today).await?;
        let done = staff.iter().filter(|s| s.acknowledged.is_some()).count();
        let due = staff.iter().filter(|s| is_due(s, today)).count();
        lines.push(crate::i18n::fill(
            k.policy_box_acknowledged,
            &[&done, &(done + due)],
        ));
        if due > 0 {
            warnings.push(crate::i18n::fill(k.policy_box_unacknowledged, &[&due]));
        }
    }
    Ok(Some(crate::ledger::LedgerBox { lines, warnings }))
}

struct VersionRow {
    number: i64,
    approved: String,
}

#[derive(Template)]
#[template(path = "policy/show.html")]
struct PolicyPage {
    chrome: Chrome,
    current: Option<(i64, String)>,
    lines: Vec<ShownLine>,
    versions: Vec<VersionRow>,
    can_edit: bool,
    /// `Some(read)` when a version is approved.
    has_read: Option<bool>,
}

/// `GET /policy`: the approved version, to read and print.
async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewPolicy>,
) -> Result<Response, AppError> {
    let versions = mamori_store::policy::versions(&state.store, &authorized.grant).await?;
    let (current, lines) = match versions.first() {
        Some(version) => (
            Some((version.number, approved_label(&chrome, version))),
            shown(&parse_stored(&version.text)?),
        ),
        None => (None, Vec::new()),
    };
    chrome.render(&PolicyPage {
        current,
        lines,
        versions: versions
            .iter()
            .map(|version| VersionRow {
                number: version.number,
                approved: approved_label(&chrome, version),
            })
            .collect(),
        can_edit: authorized.user.principal.role().has(Permission::EditPolicy),
        has_read: mamori_store::policy::has_read_current(&state.store, &authorized.grant).await?,
        chrome: chrome.clone(),
    })
}

/// The acknowledgement form: the version read.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
struct AcknowledgeForm {
    version: String,
}

/// `POST /policy/acknowledge`: the signed-in person has read the current version.
async fn acknowledge(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewPolicy>,
    CsrfForm(form): CsrfForm<AcknowledgeForm>,
) -> Result<Response, AppError> {
    let number: i64 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request(chrome.locale, chrome.k.bcp_superseded))?;
    match mamori_store::policy::acknowledge(
        &state.store,
        &authorized.grant,
        number,
        state.clock.today(),
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/policy?done=saved").into_response()),
        Err(mamori_store::Error::Conflict(_)) => Err(AppError::bad_request(
            chrome.locale,
            chrome.k.bcp_superseded,
        )),
        Err(error) => Err(error.into()),
    }
}

/// One member of staff as the acknowledgement list shows them.
struct AckRow {
    staff_id: i64,
    name: String,
    joined: String,
    /// When and how, once acknowledged.
    acknowledged: Option<String>,
    /// Joined on or before today (or no 入職日) and not yet acknowledged.
    due: bool,
}

#[derive(Template)]
#[template(path = "policy/acknowledgements.html")]
struct AcknowledgementsPage {
    chrome: Chrome,
    current: Option<i64>,
    rows: Vec<AckRow>,
    today: String,
    errors: Vec<String>,
}

async fn acknowledgements_page(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::EditPolicy>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let current = mamori_store::policy::versions(&state.store, grant)
        .await?
        .first()
        .map(|v| v.number);
    let rows = mamori_store::policy::acknowledgements(&state.store, grant, today)
        .await?
        .into_iter()
        .map(|row| AckRow {
            due: is_due(&row, today),
            staff_id: row.staff_id,
            name: row.name,
            joined: row.joined_on.map(|d| chrome.date(&d)).unwrap_or_default(),
            acknowledged: row.acknowledged.map(|(day, on_paper)| {
                format!(
                    "{} {}",
                    chrome.date(&day),
                    if on_paper {
                        chrome.k.policy_on_paper
                    } else {
                        chrome.k.policy_signed_in
                    }
                )
            }),
        })
        .collect();
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &AcknowledgementsPage {
            chrome: chrome.clone(),
            current,
            rows,
            today: today.to_string(),
            errors,
        },
    )
}

/// `GET /policy/acknowledgements`: who on the staff ledger has acknowledged
/// the current version (and 【別紙2】), who has not.
async fn acknowledgements(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditPolicy>,
) -> Result<Response, AppError> {
    acknowledgements_page(&state, &chrome, &authorized.grant, Vec::new()).await
}

/// A printed sheet as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
struct PaperForm {
    version: String,
    staff: String,
    day: String,
}

/// `POST /policy/acknowledgements`: the 企画管理者 records a signed sheet.
async fn record_on_paper(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditPolicy>,
    CsrfForm(form): CsrfForm<PaperForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    // Someone not on this institution's staff ledger is not found first.
    let staff_id: i64 = form
        .staff
        .trim()
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::from_store(chrome.locale, mamori_store::Error::NotFound))?;
    let today = state.clock.today();
    let listed = mamori_store::policy::acknowledgements(&state.store, grant, today).await?;
    if !listed.iter().any(|row| row.staff_id == staff_id) {
        return Err(AppError::from_store(
            chrome.locale,
            mamori_store::Error::NotFound,
        ));
    }
    let day = match mamori_domain::calendar::parse_date_ja("day", &form.day) {
        Ok(Some(day)) if day <= today => day,
        Ok(Some(_)) => {
            return acknowledgements_page(
                &state,
                &chrome,
                grant,
                vec![chrome.k.policy_day_future.to_owned()],
            )
            .await;
        }
        _ => {
            return acknowledgements_page(
                &state,
                &chrome,
                grant,
                vec![chrome.k.policy_day_bad.to_owned()],
            )
            .await;
        }
    };
    let number: i64 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request(chrome.locale, chrome.k.bcp_superseded))?;
    match mamori_store::policy::record_on_paper(
        &state.store,
        grant,
        number,
        staff_id,
        day,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/policy/acknowledgements?done=saved").into_response()),
        Err(mamori_store::Error::Conflict("acknowledged")) => {
            acknowledgements_page(
                &state,
                &chrome,
                grant,
                vec![chrome.k.policy_already.to_owned()],
            )
            .await
        }
        Err(mamori_store::Error::Conflict(_)) => Err(AppError::bad_request(
            chrome.locale,
            chrome.k.bcp_superseded,
        )),
        Err(error) => Err(error.into()),
    }
}

/// One choice as the form shows it.
struct ChoiceField {
    key: String,
    question: String,
    yes: bool,
}

#[derive(Template)]
#[template(path = "policy/draft.html")]
struct DraftPage {
    chrome: Chrome,
    choices: Vec<ChoiceField>,
    review_month: u8,
    check_day: u8,
    /// Whether the institution has answered the choices yet.
    answered: bool,
    errors: Vec<String>,
    lines: Vec<ShownLine>,
    /// Changes since the approved version: `None` before the first approval.
    changed: Option<Vec<(bool, String)>>,
    fingerprint: String,
    can_approve: bool,
}

/// The draft for the institution's data and `answers`.
async fn compose(
    state: &AppState,
    principal: &Principal,
    answers: &PolicyAnswers,
) -> Result<Document, AppError> {
    Ok(template()?.compose(&facts(state, principal).await?, answers))
}

async fn draft_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::EditPolicy>,
    posted: Option<(PolicyAnswers, Vec<String>)>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let principal = &authorized.user.principal;
    let stored = mamori_store::policy::answers(&state.store, grant).await?;
    let answered = stored.is_some();
    let stored = stored.unwrap_or_default();
    let document = compose(state, principal, &stored).await?;
    let versions = mamori_store::policy::versions(&state.store, grant).await?;
    let changed = match versions.first() {
        Some(version) => Some(shown_changes(&parse_stored(&version.text)?, &document)),
        None => None,
    };
    let (shown_answers, errors) = posted.unwrap_or((stored, Vec::new()));
    let choices = template()?
        .choices
        .iter()
        .map(|choice| ChoiceField {
            key: choice.key.clone(),
            question: chrome
                .locale
                .pick(&choice.question_ja, &choice.question_en)
                .to_owned(),
            yes: shown_answers.choice(choice),
        })
        .collect();
    chrome.render_with_status(
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &DraftPage {
            chrome: chrome.clone(),
            choices,
            review_month: shown_answers.review_month,
            check_day: shown_answers.check_day,
            answered,
            errors,
            lines: shown(&document),
            changed,
            fingerprint: fingerprint(&document.to_text()),
            can_approve: principal.role().has(Permission::ApprovePolicy),
        },
    )
}

/// `GET /policy/draft`.
async fn draft(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditPolicy>,
) -> Result<Response, AppError> {
    draft_page(&state, &chrome, &authorized, None).await
}

/// `POST /policy/answers`: saves the choices, or shows every problem at once
/// with nothing stored.
async fn save_answers(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditPolicy>,
    CsrfForm(form): CsrfForm<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let template = template()?;
    match template.parse_answers(|name| form.get(name).map(String::as_str)) {
        Ok(answers) => {
            mamori_store::policy::save_answers(
                &state.store,
                &authorized.grant,
                &answers,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/policy/draft?done=saved").into_response())
        }
        Err(errors) => {
            // Show what was posted where it reads; the rest as stored.
            let mut shown_answers = mamori_store::policy::answers(&state.store, &authorized.grant)
                .await?
                .unwrap_or_default();
            for choice in &template.choices {
                match form
                    .get(&format!("choice_{}", choice.key))
                    .map(String::as_str)
                {
                    Some("yes") => shown_answers.choices.insert(choice.key.clone(), true),
                    Some("no") => shown_answers.choices.insert(choice.key.clone(), false),
                    _ => None,
                };
            }
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            draft_page(&state, &chrome, &authorized, Some((shown_answers, errors))).await
        }
    }
}

/// The approval form as posted: the fingerprint of the draft the approver saw.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
struct ApproveForm {
    fingerprint: String,
}

/// `POST /policy/approve`: approves the draft as the next version, if it is
/// still the draft the approver saw.
async fn approve(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ApprovePolicy>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> Result<Response, AppError> {
    let answers = mamori_store::policy::answers(&state.store, &authorized.grant)
        .await?
        .unwrap_or_default();
    let text = compose(&state, &authorized.user.principal, &answers)
        .await?
        .to_text();
    if fingerprint(&text) != form.fingerprint.trim() {
        return Err(AppError::bad_request(
            chrome.locale,
            chrome.k.bcp_draft_moved,
        ));
    }
    match mamori_store::policy::approve(&state.store, &authorized.grant, &text, state.clock.now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/policy?done=saved").into_response()),
        Err(mamori_store::Error::Conflict(_)) => {
            Err(AppError::bad_request(chrome.locale, chrome.k.bcp_unchanged))
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "policy/version.html")]
struct VersionPage {
    chrome: Chrome,
    number: i64,
    approved: String,
    lines: Vec<ShownLine>,
    /// Changes from the version before, if there is one.
    changed: Option<(i64, Vec<(bool, String)>)>,
}

/// `GET /policy/versions/{id}`: a version with what changed since the one before.
async fn version(
    State(state): State<AppState>,
    chrome: Chrome,
    crate::institution::IdPath(number): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewPolicy>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let version = mamori_store::policy::version(&state.store, grant, number).await?;
    let document = parse_stored(&version.text)?;
    let changed = if number > 1 {
        let before = mamori_store::policy::version(&state.store, grant, number - 1).await?;
        Some((
            number - 1,
            shown_changes(&parse_stored(&before.text)?, &document),
        ))
    } else {
        None
    };
    chrome.render(&VersionPage {
        number,
        approved: approved_label(&chrome, &version),
        lines: shown(&document),
        changed,
        chrome: chrome.clone(),
    })
}

/// Version `number` as a file: the institution and the version on every page.
async fn version_file(
    state: &AppState,
    grant: &Grant<permissions::ViewPolicy>,
    number: i64,
    format: Format,
) -> Result<Response, AppError> {
    let version = mamori_store::policy::version(&state.store, grant, number).await?;
    let institution = mamori_store::institution::get(&state.store, grant).await?;
    let print = crate::document::print_of(&version, institution.details.name())?;
    crate::document::send(
        state,
        print,
        format,
        &format!("security-policy-v{number}"),
        &format!("医療情報システム安全管理方針_第{number}版"),
    )
    .await
}

/// `GET /policy/versions/{id}/policy.pdf`.
async fn pdf(
    State(state): State<AppState>,
    crate::institution::IdPath(number): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewPolicy>,
) -> Result<Response, AppError> {
    version_file(&state, &authorized.grant, number, Format::Pdf).await
}

/// `GET /policy/versions/{id}/policy.docx`.
async fn docx(
    State(state): State<AppState>,
    crate::institution::IdPath(number): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewPolicy>,
) -> Result<Response, AppError> {
    version_file(&state, &authorized.grant, number, Format::Docx).await
}
