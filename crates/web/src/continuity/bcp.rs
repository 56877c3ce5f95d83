//! The BCP (`/bcp`, 別紙3): the approved version for every member of staff to
//! read and acknowledge; the draft written from the institution's data with
//! the answers it writes itself, what changed since the approved version, and
//! approval; every version with its changes, as PDF and .docx.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::continuity::bcp::{
    ANSWER_FIELDS, BackupLine, BcpAnswers, BcpFacts, SystemLine, VendorLine, compose,
    parse_bcp_answers,
};
use mamori_domain::institution::{Permission, Principal, Role, permissions};
use mamori_domain::ledger::{DeviceKind, DeviceStatus, backup_flags};

use crate::auth::{Authorized, CsrfForm};
use crate::document::{
    Format, ShownLine, approved_label, fingerprint, parse_stored, shown, shown_changes,
};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// Gathers what mamori knows for the BCP, as far as `principal` may read it.
async fn facts(state: &AppState, principal: &Principal) -> Result<BcpFacts, AppError> {
    let store = &state.store;
    let mut facts = BcpFacts::default();
    if let Some(grant) = principal.grant::<permissions::ViewBcp>() {
        let institution = mamori_store::institution::get(store, &grant).await?;
        let details = &institution.details;
        facts.institution_name = details.name().to_owned();
        facts.institution_kind = details.kind().name_ja().to_owned();
        facts.prefecture = details.prefecture().name().to_owned();
        facts.address = details.address().to_owned();
        facts.phone = details.phone().as_str().to_owned();
    }
    if let Some(grant) = principal.grant::<permissions::ViewUsers>() {
        let users = mamori_store::people::list(store, &grant).await?;
        for role in [
            Role::SecurityManager,
            Role::PlanningManager,
            Role::SystemOperator,
        ] {
            let holders: Vec<String> = users
                .iter()
                .filter(|user| user.active && !user.break_glass && user.role == role)
                .map(|user| user.display_name.as_str().to_owned())
                .collect();
            facts
                .roles
                .push((role.name_ja().to_owned(), holders.join("、")));
        }
    }
    if let Some(grant) = principal.grant::<permissions::ViewLedger>() {
        for device in mamori_store::device::all(store, &grant).await? {
            let device = device.device;
            let holds_data = matches!(device.kind, DeviceKind::Server | DeviceKind::Medical);
            if device.status == DeviceStatus::Disposed || !holds_data {
                continue;
            }
            facts.systems.push(SystemLine {
                asset_number: device.asset_number,
                kind: device.kind.name_ja().to_owned(),
                maker_model: device.maker_model,
                location: device.location,
                remote_vendor: device.remote.vendor,
            });
        }
        facts.segments = mamori_store::network::segments(store, &grant)
            .await?
            .into_iter()
            .map(|(_, segment)| segment.name)
            .collect();
        facts.diagram_reviewed = mamori_store::network::last_review(store, &grant)
            .await?
            .map(|(day, _)| day);
        let today = state.clock.today();
        for stored in mamori_store::backup_register::list(store, &grant).await? {
            let plan = &stored.plan;
            let flags = backup_flags(plan, stored.last_test, today);
            facts.backups.push(BackupLine {
                system: plan.system.clone(),
                how: format!("{}・{}", plan.method.name_ja(), plan.frequency.name_ja()),
                generations: plan.generations,
                offline: match plan.offline_copy {
                    Some(true) => "あり",
                    Some(false) => "なし",
                    None => "不明",
                }
                .to_owned(),
                location: plan.location.clone(),
                last_test: match stored.last_test {
                    Some((day, outcome)) => format!(
                        "{} {}{}",
                        day,
                        outcome.name_ja(),
                        if flags.is_empty() {
                            ""
                        } else {
                            "（要対応）"
                        }
                    ),
                    None => "未実施".to_owned(),
                },
            });
        }
    }
    if let Some(grant) = principal.grant::<permissions::ManageVendors>() {
        facts.vendors = mamori_store::vendor::list(store, &grant)
            .await?
            .into_iter()
            .map(|vendor| VendorLine {
                name: vendor.name,
                systems: vendor.systems,
                contact: vendor.contact,
            })
            .collect();
    }
    Ok(facts)
}

struct VersionRow {
    number: i64,
    approved: String,
}

#[derive(Template)]
#[template(path = "continuity/bcp.html")]
struct BcpPage {
    chrome: Chrome,
    current: Option<(i64, String, Vec<ShownLine>)>,
    /// `Some(read)` when a version is approved.
    has_read: Option<bool>,
    versions: Vec<VersionRow>,
    can_edit: bool,
}

/// `GET /bcp`: the approved version, to read and acknowledge.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewBcp>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let versions = mamori_store::bcp::versions(&state.store, grant).await?;
    let current = match versions.first() {
        Some(version) => Some((
            version.number,
            approved_label(&chrome, version),
            shown(&parse_stored(&version.text)?),
        )),
        None => None,
    };
    chrome.render(&BcpPage {
        has_read: mamori_store::bcp::has_read_current(&state.store, grant).await?,
        versions: versions
            .iter()
            .map(|version| VersionRow {
                number: version.number,
                approved: approved_label(&chrome, version),
            })
            .collect(),
        current,
        can_edit: authorized.user.principal.role().has(Permission::EditBcp),
        chrome: chrome.clone(),
    })
}

/// The answers form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct AnswersForm {
    meeting_members: String,
    police_desk: String,
    paper_records: String,
    insurance_check: String,
    reception_billing: String,
    announcements: String,
    restore_priority: String,
    disaster: String,
}

impl AnswersForm {
    fn get(&self, name: &str) -> String {
        match name {
            "meeting_members" => &self.meeting_members,
            "police_desk" => &self.police_desk,
            "paper_records" => &self.paper_records,
            "insurance_check" => &self.insurance_check,
            "reception_billing" => &self.reception_billing,
            "announcements" => &self.announcements,
            "restore_priority" => &self.restore_priority,
            "disaster" => &self.disaster,
            _ => "",
        }
        .to_owned()
    }
}

struct AnswerField {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "continuity/bcp_draft.html")]
struct DraftPage {
    chrome: Chrome,
    lines: Vec<ShownLine>,
    missing: Vec<&'static str>,
    fields: Vec<AnswerField>,
    errors: Vec<String>,
    /// Changes since the approved version: `None` before the first approval.
    changed: Option<Vec<(bool, String)>>,
    fingerprint: String,
    can_approve: bool,
    /// (氏名, ログインID, read on) of each account, unread first.
    readers: Vec<(String, String, Option<String>)>,
    current_number: Option<i64>,
}

fn field_help(chrome: &Chrome, name: &str) -> (&'static str, &'static str) {
    let k = chrome.k;
    match name {
        "meeting_members" => (k.bcp_meeting_members, k.bcp_meeting_members_help),
        "police_desk" => (k.bcp_police_desk, k.bcp_police_desk_help),
        "paper_records" => (k.bcp_paper_records, k.bcp_paper_records_help),
        "insurance_check" => (k.bcp_insurance_check, k.bcp_insurance_check_help),
        "reception_billing" => (k.bcp_reception_billing, k.bcp_reception_billing_help),
        "announcements" => (k.bcp_announcements, k.bcp_announcements_help),
        "restore_priority" => (k.bcp_restore_priority, k.bcp_restore_priority_help),
        _ => (k.bcp_disaster, k.bcp_disaster_help),
    }
}

async fn draft_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::EditBcp>,
    posted: Option<(AnswersForm, Vec<String>)>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let principal = &authorized.user.principal;
    let stored = mamori_store::bcp::answers(&state.store, grant).await?;
    let document = compose(&facts(state, principal).await?, &stored);
    let versions = mamori_store::bcp::versions(&state.store, grant).await?;
    let changed = match versions.first() {
        Some(version) => Some(shown_changes(&parse_stored(&version.text)?, &document)),
        None => None,
    };
    let (values, errors): (Vec<String>, Vec<String>) = match posted {
        Some((form, errors)) => (
            ANSWER_FIELDS
                .iter()
                .map(|(name, _)| form.get(name))
                .collect(),
            errors,
        ),
        None => (
            ANSWER_FIELDS
                .iter()
                .map(|(name, _)| stored.get(name).to_owned())
                .collect(),
            Vec::new(),
        ),
    };
    let fields = ANSWER_FIELDS
        .iter()
        .zip(values)
        .map(|((name, _), value)| {
            let (label, help) = field_help(chrome, name);
            AnswerField {
                name,
                label,
                help,
                value,
            }
        })
        .collect();
    let readers = mamori_store::bcp::readers(&state.store, grant)
        .await?
        .into_iter()
        .map(|reader| {
            let read = reader.acknowledged_at.map(|at| {
                let day = at.to_zoned_datetime(crate::tokyo()).date();
                chrome.date(&day)
            });
            (reader.display_name, reader.login_id, read)
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    chrome.render_with_status(
        status,
        &DraftPage {
            chrome: chrome.clone(),
            lines: shown(&document),
            missing: stored.missing(),
            fields,
            errors,
            changed,
            fingerprint: fingerprint(&document.to_text()),
            can_approve: principal.role().has(Permission::ApproveBcp),
            readers,
            current_number: versions.first().map(|version| version.number),
        },
    )
}

/// `GET /bcp/draft`.
pub(super) async fn draft(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditBcp>,
) -> Result<Response, AppError> {
    draft_page(&state, &chrome, &authorized, None).await
}

/// `POST /bcp/answers`: saves what the institution writes, or shows every
/// problem at once with nothing stored.
pub(super) async fn save_answers(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditBcp>,
    CsrfForm(form): CsrfForm<AnswersForm>,
) -> Result<Response, AppError> {
    let answers: BcpAnswers = match parse_bcp_answers(|name| form.get(name)) {
        Ok(answers) => answers,
        Err(errors) => {
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            return draft_page(&state, &chrome, &authorized, Some((form, errors))).await;
        }
    };
    mamori_store::bcp::save_answers(&state.store, &authorized.grant, &answers, state.clock.now())
        .await?;
    Ok(Redirect::to("/bcp/draft?done=saved").into_response())
}

/// The approval form as posted: the fingerprint of the draft the approver saw.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct ApproveForm {
    fingerprint: String,
}

/// `POST /bcp/approve`: approves the draft as the next version, if it is still
/// the draft the approver saw.
pub(super) async fn approve(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ApproveBcp>,
    CsrfForm(form): CsrfForm<ApproveForm>,
) -> Result<Response, AppError> {
    let principal = &authorized.user.principal;
    let answers = mamori_store::bcp::answers(&state.store, &authorized.grant).await?;
    let text = compose(&facts(&state, principal).await?, &answers).to_text();
    if fingerprint(&text) != form.fingerprint.trim() {
        return Err(AppError::bad_request(
            chrome.locale,
            chrome.k.bcp_draft_moved,
        ));
    }
    match mamori_store::bcp::approve(&state.store, &authorized.grant, &text, state.clock.now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/bcp?done=saved").into_response()),
        Err(mamori_store::Error::Conflict(_)) => {
            Err(AppError::bad_request(chrome.locale, chrome.k.bcp_unchanged))
        }
        Err(error) => Err(error.into()),
    }
}

/// The acknowledgement form: the version read.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct AcknowledgeForm {
    version: String,
}

/// `POST /bcp/acknowledge`: the signed-in person has read the current version.
pub(super) async fn acknowledge(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewBcp>,
    CsrfForm(form): CsrfForm<AcknowledgeForm>,
) -> Result<Response, AppError> {
    let number: i64 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request(chrome.locale, chrome.k.bcp_superseded))?;
    match mamori_store::bcp::acknowledge(&state.store, &authorized.grant, number, state.clock.now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/bcp?done=saved").into_response()),
        Err(mamori_store::Error::Conflict(_)) => Err(AppError::bad_request(
            chrome.locale,
            chrome.k.bcp_superseded,
        )),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "continuity/bcp_version.html")]
struct VersionPage {
    chrome: Chrome,
    number: i64,
    approved: String,
    lines: Vec<ShownLine>,
    /// Changes from the version before, if there is one.
    changed: Option<(i64, Vec<(bool, String)>)>,
}

/// `GET /bcp/versions/{id}`: a version with what changed since the one before.
pub(super) async fn version(
    State(state): State<AppState>,
    chrome: Chrome,
    crate::institution::IdPath(number): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewBcp>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let version = mamori_store::bcp::version(&state.store, grant, number).await?;
    let document = parse_stored(&version.text)?;
    let changed = if number > 1 {
        let before = mamori_store::bcp::version(&state.store, grant, number - 1).await?;
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

/// The print of version `number`: blocks with tables gathered.
async fn print_of(
    state: &AppState,
    grant: &mamori_domain::institution::Grant<permissions::ViewBcp>,
    number: i64,
) -> Result<mamori_docs::DocumentPrint, AppError> {
    let version = mamori_store::bcp::version(&state.store, grant, number).await?;
    let institution = mamori_store::institution::get(&state.store, grant).await?;
    crate::document::print_of(&version, institution.details.name())
}

/// The version's file in `format`.
async fn version_file(
    state: &AppState,
    grant: &mamori_domain::institution::Grant<permissions::ViewBcp>,
    number: i64,
    format: Format,
) -> Result<Response, AppError> {
    let print = print_of(state, grant, number).await?;
    crate::document::send(
        state,
        print,
        format,
        &format!("bcp-v{number}"),
        &format!("事業継続計画_第{number}版"),
    )
    .await
}

/// `GET /bcp/versions/{id}/bcp.pdf`.
pub(super) async fn pdf(
    State(state): State<AppState>,
    crate::institution::IdPath(number): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewBcp>,
) -> Result<Response, AppError> {
    version_file(&state, &authorized.grant, number, Format::Pdf).await
}

/// `GET /bcp/versions/{id}/bcp.docx`.
pub(super) async fn docx(
    State(state): State<AppState>,
    crate::institution::IdPath(number): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewBcp>,
) -> Result<Response, AppError> {
    version_file(&state, &authorized.grant, number, Format::Docx).await
}
