//! Incidents (issue #12): the report anyone sends from a phone
//! (不具合発生報告書), what the reporter does next (manual III), the list and
//! the incident's page with its timeline, where the 企画管理者 and the
//! 安全管理責任者 record the response and tick the steps of manual II.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use mamori_domain::incident::deadline::{Assessment, Countdown, Ground, RawAssessment};
use mamori_domain::incident::meeting::{RawMeeting, parse_meeting};
use mamori_domain::incident::notice::{
    Met, NewNotice, PpcFacts, Recipient, met, parse_notice, ppc_text,
};
use mamori_domain::incident::playbook::{Audience, Playbooks, Step};
use mamori_domain::incident::report::{
    IncidentFileId, IncidentId, MAX_PHOTOS, Measure, PATTERNS, RawReport, accept_photo,
    parse_report,
};
use mamori_domain::incident::status::{EntryKind, Severity, Status, parse_note};
use mamori_domain::incident::task::{TaskId, parse_task};
use mamori_domain::institution::{Permission, Principal, permissions};
use mamori_domain::ledger::DeviceStatus;
use mamori_store::backup_register::UploadedFile;
use mamori_store::incident::{Change, Incident, Reporter, StoredEntry, StoredReport};
use sha2::Digest;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{IncidentText, Locale, describe, fill};
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

pub(crate) mod contacts;
mod poster;
mod print;
mod vendor;

/// Photos and the form around them: the largest body any route accepts
/// (two photos of the 10 MB limit; a phone's photos are a few MB each).
const REPORT_BODY_LIMIT: usize = crate::checklist::LARGEST_BODY;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/incidents/report",
            get(report_form)
                .post(send_report)
                .layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
        )
        .route("/incidents/reported", get(reported))
        .route("/contacts", get(contacts::show).post(contacts::change))
        .route("/contacts/print.pdf", get(contacts::pdf))
        .route("/incidents/poster", get(poster::show).post(poster::change))
        .route("/incidents/poster.pdf", get(poster::pdf))
        .route(
            "/report/{token}",
            get(poster::form)
                .post(poster::send)
                .layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
        )
        .route("/report/{token}/sent", get(poster::sent))
        .route("/incidents", get(list))
        .route("/incidents/{id}", get(show).post(change))
        .route("/incidents/{id}/my-steps", axum::routing::post(my_step))
        .route("/incidents/vendor", get(vendor::page))
        .route(
            "/incidents/{id}/vendor-steps",
            axum::routing::post(vendor::step),
        )
        .route("/incidents/{id}/report.pdf", get(print::pdf))
        .route("/incidents/{id}/export.xlsx", get(print::xlsx))
        .route("/incident-files/{id}", get(file))
}

/// A printed file (`job` renders it in a slot for heavy work), sent as a
/// download named `stem` (ASCII) and `japanese`.
async fn send_file(
    state: &AppState,
    locale: Locale,
    (stem, japanese, extension, content_type): (&str, &str, &str, &str),
    job: impl FnOnce() -> Result<Vec<u8>, mamori_docs::DocumentError> + Send + 'static,
) -> Result<Response, AppError> {
    let bytes = state.heavy.print(locale, job).await?;
    Ok(crate::ledger::export::download(
        stem,
        japanese,
        extension,
        content_type,
        bytes,
    ))
}

/// Every problem of a form, in one line.
fn all_described(errors: &[mamori_domain::ParseError], locale: Locale) -> String {
    crate::i18n::describe_all(errors, locale).join(" ")
}

/// The shipped playbooks; a broken catalog is a build error caught by the
/// domain's tests, so a failure here is reported, not a panic.
fn playbooks() -> Result<&'static Playbooks, AppError> {
    static PLAYBOOKS: std::sync::OnceLock<Result<Playbooks, String>> = std::sync::OnceLock::new();
    PLAYBOOKS
        .get_or_init(|| Playbooks::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|error| AppError::Unexpected(error.clone()))
}

/// An extractor of a typed id from the path's `{id}`.
macro_rules! id_path {
    ($(#[$meta:meta])* $name:ident($id:ty)) => {
        $(#[$meta])*
        struct $name($id);

        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                _state: &S,
            ) -> Result<Self, Self::Rejection> {
                Ok(Self(<$id>::from_db(crate::page::path_id(parts, "id").await?)))
            }
        }
    };
}

id_path!(
    /// An incident's id from the path.
    IncidentPath(IncidentId)
);
id_path!(
    /// A file's id from the path.
    FilePath(IncidentFileId)
);

/// The report form as posted (multipart: it carries photos).
#[derive(Debug, Default, Clone)]
struct ReportForm {
    noticed_on: String,
    noticed_at: String,
    place: String,
    asset_number: String,
    device_name: String,
    segment: String,
    department: String,
    reporter: String,
    patterns: Vec<String>,
    other: String,
    details: String,
    /// (code, ticked, time) of each 緊急措置.
    measures: Vec<(String, bool, String)>,
    join: String,
}

impl ReportForm {
    fn from_multipart(multipart: &CsrfMultipart) -> Self {
        let field = |name: &str| multipart.field(name).to_owned();
        Self {
            noticed_on: field("noticed_on"),
            noticed_at: field("noticed_at"),
            place: field("place"),
            asset_number: field("asset_number"),
            device_name: field("device_name"),
            segment: field("segment"),
            department: field("department"),
            reporter: field("reporter"),
            patterns: (1..=PATTERNS.len())
                .filter(|n| !multipart.field(&format!("pattern_{n}")).is_empty())
                .map(|n| n.to_string())
                .collect(),
            other: field("other"),
            details: field("details"),
            measures: Measure::ALL
                .iter()
                .map(|m| {
                    (
                        m.code().to_owned(),
                        !multipart.field(m.code()).is_empty(),
                        multipart.field(&format!("{}_at", m.code())).to_owned(),
                    )
                })
                .collect(),
            join: field("join"),
        }
    }

    fn raw(&self) -> RawReport<'_> {
        RawReport {
            noticed_on: &self.noticed_on,
            noticed_at: &self.noticed_at,
            place: &self.place,
            asset_number: &self.asset_number,
            device_name: &self.device_name,
            segment: &self.segment,
            department: &self.department,
            reporter: &self.reporter,
            patterns: self.patterns.iter().map(String::as_str).collect(),
            other: &self.other,
            details: &self.details,
            measures: self
                .measures
                .iter()
                .filter(|(_, ticked, _)| *ticked)
                .map(|(code, _, at)| (code.as_str(), at.as_str()))
                .collect(),
        }
    }
}

/// A choice of a select: (value, label, selected).
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "incident/report.html")]
struct ReportPage {
    chrome: Chrome,
    form: ReportForm,
    /// (number, label, ticked).
    patterns: Vec<(usize, &'static str, bool)>,
    /// (code, label, ticked, time).
    measures: Vec<(String, &'static str, bool, String)>,
    devices: Vec<Choice>,
    segments: Vec<Choice>,
    open_incidents: Vec<Choice>,
    errors: Vec<String>,
    /// Where the form posts to.
    action: String,
    /// The institution, named on the poster link's form (nobody is signed in).
    institution_name: Option<String>,
}

/// Who fills the report form in.
enum FormFor<'a> {
    /// A signed-in user, offered the ledgers and open incidents they may read.
    User(&'a Principal),
    /// Someone without an account, through the poster link: no ledger, no
    /// incident is shown, only the form.
    Poster {
        token: &'a str,
        institution_name: &'a str,
    },
}

async fn report_page(
    state: &AppState,
    chrome: &Chrome,
    who: FormFor<'_>,
    form: ReportForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let (principal, action, institution_name) = match who {
        FormFor::User(principal) => (Some(principal), "/incidents/report".to_owned(), None),
        FormFor::Poster {
            token,
            institution_name,
        } => (
            None,
            format!("/report/{token}"),
            Some(institution_name.to_owned()),
        ),
    };
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let i = chrome.i;
    let mut devices = vec![(
        String::new(),
        i.device_none.to_owned(),
        form.asset_number.is_empty(),
    )];
    let mut segments = vec![(
        String::new(),
        i.segment_none.to_owned(),
        form.segment.is_empty(),
    )];
    // The ledgers are offered to those who may read them; others type the name.
    if let Some(grant) = principal.and_then(|p| p.grant::<permissions::ViewLedger>()) {
        for device in mamori_store::device::all(&state.store, &grant).await? {
            let device = device.device;
            if device.status == DeviceStatus::Disposed {
                continue;
            }
            let label = format!(
                "{} ({})",
                device.asset_number,
                pick(device.kind.name_ja(), device.kind.name_en())
            );
            let selected = device.asset_number == form.asset_number;
            devices.push((device.asset_number, label, selected));
        }
        for (_, segment) in mamori_store::network::segments(&state.store, &grant).await? {
            let selected = segment.name == form.segment;
            segments.push((segment.name.clone(), segment.name, selected));
        }
    }
    let mut open_incidents = vec![(String::new(), i.join_none.to_owned(), form.join.is_empty())];
    if let Some(grant) = principal.and_then(|p| p.grant::<permissions::ViewIncidents>()) {
        for incident in mamori_store::incident::list(&state.store, &grant).await? {
            if incident.status.is_open() {
                let value = incident.id.to_string();
                let selected = value == form.join;
                open_incidents.push((
                    value,
                    format!("#{} {}", incident.id, incident.title),
                    selected,
                ));
            }
        }
    }
    let patterns = PATTERNS
        .iter()
        .enumerate()
        .map(|(index, (ja, en))| {
            let n = index + 1;
            (n, pick(ja, en), form.patterns.contains(&n.to_string()))
        })
        .collect();
    let measures = Measure::ALL
        .iter()
        .map(|m| {
            let (ticked, at) = form
                .measures
                .iter()
                .find(|(code, _, _)| code == m.code())
                .map(|(_, ticked, at)| (*ticked, at.clone()))
                .unwrap_or_default();
            (
                m.code().to_owned(),
                pick(m.name_ja(), m.name_en()),
                ticked,
                at,
            )
        })
        .collect();
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &ReportPage {
            chrome: chrome.clone(),
            form,
            patterns,
            measures,
            devices,
            segments,
            open_incidents,
            errors,
            action,
            institution_name,
        },
    )
}

/// `GET /incidents/report`: the form, with the reporter's name filled in.
async fn report_form(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReportIncident>,
) -> Result<Response, AppError> {
    let form = ReportForm {
        reporter: authorized.user.display_name.clone(),
        noticed_on: state.clock.today().to_string(),
        ..ReportForm::default()
    };
    report_page(
        &state,
        &chrome,
        FormFor::User(&authorized.user.principal),
        form,
        Vec::new(),
    )
    .await
}

fn photos(
    i: &IncidentText,
    locale: Locale,
    multipart: &CsrfMultipart,
) -> Result<Vec<UploadedFile>, Vec<String>> {
    let files: Vec<_> = multipart
        .files
        .iter()
        .filter(|file| file.field == "photos")
        .collect();
    if files.len() > MAX_PHOTOS {
        return Err(vec![i.error_too_many_photos.to_owned()]);
    }
    let mut errors = Vec::new();
    let mut accepted = Vec::new();
    for file in files {
        match accept_photo("photos", &file.name, &file.bytes) {
            Ok(photo) => accepted.push(UploadedFile {
                name: photo.name,
                content_type: photo.content_type.to_owned(),
                sha256: mamori_store::hex(&sha2::Sha256::digest(&file.bytes)),
                content: file.bytes.clone(),
            }),
            Err(error) => errors.push(describe(&error.with_subject(file.name.clone()), locale)),
        }
    }
    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

/// `POST /incidents/report`: stores the report (and its photos) and shows
/// what to do now; or shows every problem of the form at once, storing nothing.
async fn send_report(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReportIncident>,
    multipart: CsrfMultipart,
) -> Result<Response, AppError> {
    receive(
        &state,
        &chrome,
        FormFor::User(&authorized.user.principal),
        Reporter::User(&authorized.grant),
        &multipart,
    )
    .await
    .map(|stored| match stored {
        Ok(id) => Redirect::to(&format!("/incidents/reported?n={id}")).into_response(),
        Err(page) => page,
    })
}

/// Reads and stores a report from `who`: the new or joined incident, or the
/// form again with every problem named (nothing stored).
async fn receive(
    state: &AppState,
    chrome: &Chrome,
    who: FormFor<'_>,
    reporter: Reporter<'_>,
    multipart: &CsrfMultipart,
) -> Result<Result<IncidentId, Response>, AppError> {
    let mut form = ReportForm::from_multipart(multipart);
    if let FormFor::Poster { .. } = who {
        // Through the poster the ledgers and incidents are not offered: what
        // was posted for them anyway is dropped, so that an answer cannot
        // tell a stranger whether a 管理番号, a segment or an incident exists.
        form.asset_number.clear();
        form.segment.clear();
        form.join.clear();
    }
    let now = state.clock.now();
    let local_now = now.to_zoned_datetime(crate::tokyo()).datetime();
    let parsed = parse_report(&form.raw(), local_now);
    let photos = photos(chrome.i, chrome.locale, multipart);
    let join = match form.join.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(|id| Some(IncidentId::from_db(id)))
            .ok_or_else(|| chrome.i.error_unknown_incident.to_owned()),
    };
    let (report, photos, join) = match (parsed, photos, join) {
        (Ok(report), Ok(photos), Ok(join)) => (report, photos, join),
        (parsed, photos, join) => {
            let mut errors: Vec<String> = parsed
                .err()
                .unwrap_or_default()
                .iter()
                .map(|e| describe(e, chrome.locale))
                .collect();
            errors.extend(photos.err().unwrap_or_default());
            errors.extend(join.err());
            return report_page(state, chrome, who, form, errors).await.map(Err);
        }
    };
    let stored =
        mamori_store::incident::report(&state.store, reporter, &report, &photos, join, now).await;
    match stored {
        Ok((id, _)) => Ok(Ok(id)),
        Err(mamori_store::Error::Unknown(field)) => {
            let i = chrome.i;
            let error = match field {
                "asset_number" => i.error_unknown_device,
                "segment" => i.error_unknown_segment,
                _ => i.error_unknown_incident,
            };
            report_page(state, chrome, who, form, vec![error.to_owned()])
                .await
                .map(Err)
        }
        Err(error) => Err(AppError::from_store(chrome.locale, error)),
    }
}

#[derive(Template)]
#[template(path = "incident/reported.html")]
struct ReportedPage {
    chrome: Chrome,
    number: Option<i64>,
    /// For the signed-in reporter: the staff manual's response steps to tick
    /// (id, text, when done).
    mine: Vec<(String, String, Option<String>)>,
    /// The staff manual's steps for the moment something happened.
    steps: Vec<(String, Vec<String>)>,
}

#[derive(serde::Deserialize)]
struct ReportedQuery {
    n: Option<String>,
}

impl ReportedQuery {
    /// The report's incident number, when it is one.
    fn number(&self) -> Option<i64> {
        self.n
            .as_deref()
            .and_then(|n| n.parse().ok())
            .filter(|n: &i64| *n > 0)
    }
}

/// `GET /incidents/reported?n=ID`: what the reporter does now (manual III),
/// and the same steps to tick as they are done.
async fn reported(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReportIncident>,
    Query(query): Query<ReportedQuery>,
) -> Result<Response, AppError> {
    let number = query.number();
    let mut mine = Vec::new();
    if let Some(n) = number {
        let id = IncidentId::from_db(n);
        // Only the reporter of an open incident ticks its steps; anyone else
        // sees the instructions alone.
        match mamori_store::incident::reporter_steps(&state.store, &authorized.grant, id).await {
            Ok(done) => {
                let manual = playbooks()?.manual(Audience::Staff);
                for section in manual
                    .sections
                    .iter()
                    .filter(|s| s.phase == mamori_domain::incident::playbook::Phase::Respond)
                {
                    for step in &section.steps {
                        for sub in &step.steps {
                            let at = done
                                .iter()
                                .find(|own| own.step == sub.id)
                                .map(|own| when(&chrome, own.at));
                            mine.push((sub.id.clone(), sub.text.clone(), at));
                        }
                    }
                }
            }
            Err(mamori_store::Error::NotFound) => {}
            Err(error) => return Err(error.into()),
        }
    }
    chrome.render(&ReportedPage {
        chrome: chrome.clone(),
        number,
        mine,
        steps: what_to_do_now()?,
    })
}

#[derive(serde::Deserialize)]
struct MyStepForm {
    #[serde(default)]
    step: String,
}

/// `POST /incidents/{id}/my-steps`: the reporter ticks a step of manual III.
async fn my_step(
    State(state): State<AppState>,
    chrome: Chrome,
    IncidentPath(id): IncidentPath,
    authorized: Authorized<permissions::ReportIncident>,
    CsrfForm(form): CsrfForm<MyStepForm>,
) -> Result<Response, AppError> {
    // Someone else's incident, or another institution's, is not found first.
    mamori_store::incident::reporter_steps(&state.store, &authorized.grant, id)
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    let step = form.step.trim();
    if playbooks()?.staff_step(step).is_none() {
        return Err(AppError::User {
            status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            locale: chrome.locale,
            message: chrome.i.error_step.into(),
        });
    }
    mamori_store::incident::reporter_step_done(
        &state.store,
        &authorized.grant,
        id,
        step,
        state.clock.now(),
    )
    .await
    .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to(&format!("/incidents/reported?n={id}")).into_response())
}

/// The staff manual's (III) steps for the moment something happened.
fn what_to_do_now() -> Result<Vec<(String, Vec<String>)>, AppError> {
    let manual = playbooks()?.manual(Audience::Staff);
    Ok(manual
        .sections
        .iter()
        .filter(|section| section.phase == mamori_domain::incident::playbook::Phase::Respond)
        .flat_map(|section| &section.steps)
        .map(|step| {
            (
                step.text.clone(),
                step.steps.iter().map(|s| s.text.clone()).collect(),
            )
        })
        .collect())
}

/// One incident as the list shows it.
struct Row {
    href: String,
    number: String,
    title: String,
    status: &'static str,
    severity: &'static str,
    drill: bool,
    known_on: String,
    opened_at: String,
    lead: String,
    reports: i64,
    open: bool,
}

/// A moment as the pages show it: the day (西暦 and 和暦 as the locale
/// writes days) and the time in Japan.
pub(crate) fn when(chrome: &Chrome, at: jiff::Timestamp) -> String {
    let zoned = at.to_zoned_datetime(crate::tokyo());
    format!("{} {}", chrome.date(&zoned.date()), zoned.strftime("%H:%M"))
}

fn row(chrome: &Chrome, incident: &mamori_store::incident::IncidentSummary) -> Row {
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    Row {
        href: format!("/incidents/{}", incident.id),
        number: format!("#{}", incident.id),
        title: incident.title.clone(),
        status: pick(incident.status.name_ja(), incident.status.name_en()),
        severity: pick(incident.severity.name_ja(), incident.severity.name_en()),
        drill: incident.drill,
        known_on: chrome.date(&incident.known_on),
        opened_at: when(chrome, incident.opened_at),
        lead: incident
            .lead
            .clone()
            .unwrap_or_else(|| chrome.i.nobody.to_owned()),
        reports: incident.reports,
        open: incident.status.is_open(),
    }
}

#[derive(Template)]
#[template(path = "incident/list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    /// Whether the reader handles incidents (and so manages the poster link).
    can_handle: bool,
}

/// `GET /incidents`.
async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewIncidents>,
) -> Result<Response, AppError> {
    let rows = mamori_store::incident::list(&state.store, &authorized.grant)
        .await?
        .iter()
        .map(|incident| row(&chrome, incident))
        .collect();
    chrome.render(&ListPage {
        chrome: chrome.clone(),
        rows,
        can_handle: authorized
            .user
            .principal
            .grant::<permissions::HandleIncidents>()
            .is_some(),
    })
}

/// One report as the incident's page shows it.
struct ReportView {
    heading: String,
    anonymous: bool,
    /// (label, value) lines.
    facts: Vec<(&'static str, String)>,
    patterns: Vec<String>,
    measures: Vec<String>,
}

/// One timeline entry as shown.
struct EntryView {
    at: String,
    who: String,
    what: String,
    text: String,
}

/// A manual as the incident page shows it.
struct ManualView {
    numeral: String,
    title: String,
    /// For whom, in words.
    role: &'static str,
    /// Whether it is written for the reader's role (shown open, first).
    mine: bool,
    /// (section heading, steps) of the sections for one incident.
    sections: Vec<(String, Vec<StepView>)>,
}

/// A playbook step with where it stands.
struct StepView {
    id: String,
    text: String,
    depth: usize,
    state: String,
    done: bool,
}

#[derive(Template)]
#[template(path = "incident/show.html")]
struct ShowPage {
    chrome: Chrome,
    id: IncidentId,
    row: Row,
    reports: Vec<ReportView>,
    entries: Vec<EntryView>,
    /// (link, name, SHA-256, size).
    files: Vec<(String, String, String, i64)>,
    can_handle: bool,
    statuses: Vec<Choice>,
    severities: Vec<Choice>,
    /// The four manuals, the reader's own first.
    playbook: Vec<ManualView>,
    ppc: PpcView,
    /// (when, who recorded, [(question, answer)]) of each 対策会議, oldest first.
    meetings: Vec<(String, String, Answers)>,
    /// The contact chart, with tap-to-call numbers.
    chart: Option<contacts::Chart>,
    /// (id, what, owner, due, done: when, who and the remark; overdue) of each 再発防止策.
    tasks: Vec<TaskView>,
    /// (user id, name) of the people a task can be given to.
    owners: Vec<(i64, String)>,
    /// The vendors' accounts an incident can call in (manual IV).
    vendor_accounts: Vec<(i64, String)>,
    errors: Vec<String>,
}

/// A 再発防止策 as shown.
pub(crate) struct TaskView {
    pub(crate) id: i64,
    pub(crate) href: String,
    pub(crate) incident: String,
    pub(crate) title: String,
    pub(crate) owner: String,
    pub(crate) due: String,
    pub(crate) done: Option<String>,
    pub(crate) overdue: bool,
}

pub(crate) fn task_view(
    chrome: &Chrome,
    task: &mamori_store::incident::StoredTask,
    today: jiff::civil::Date,
) -> TaskView {
    TaskView {
        id: task.id.get(),
        href: format!("/incidents/{}", task.incident_id),
        incident: format!("#{} {}", task.incident_id, task.incident_title),
        title: task.title.clone(),
        owner: task.owner.clone(),
        due: chrome.date(&task.due_on),
        done: task.done.as_ref().map(|(at, who, remark)| {
            format!("{}（{who}）{remark}", when(chrome, *at))
                .trim_end()
                .to_owned()
        }),
        overdue: task.done.is_none() && task.due_on < today,
    }
}

/// The checklist's BCP item (サイバー攻撃を想定した事業継続計画): the drills
/// recorded as incidents (the seed asks for drills based on the manuals) and
/// the real incidents, as facts beside the answer.
pub(crate) async fn checklist_box(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
    key: &str,
) -> Result<Option<crate::ledger::LedgerBox>, AppError> {
    let Some(grant) = principal.grant::<permissions::ViewIncidents>() else {
        return Ok(None);
    };
    if key != "bcp" {
        return Ok(None);
    }
    let incidents = mamori_store::incident::list(&state.store, &grant).await?;
    let i = chrome.i;
    let last_drill = incidents
        .iter()
        .filter(|x| x.drill)
        .map(|x| x.known_on)
        .max();
    let real = incidents.iter().filter(|x| !x.drill).count();
    let open = incidents
        .iter()
        .filter(|x| !x.drill && x.status.is_open())
        .count();
    Ok(Some(crate::ledger::LedgerBox {
        lines: vec![
            match last_drill {
                Some(day) => fill(i.box_last_drill, &[&chrome.date(&day)]),
                None => i.box_no_drill.to_owned(),
            },
            fill(i.box_incidents, &[&real, &open]),
        ],
        warnings: Vec::new(),
    }))
}

/// The 再発防止策 not yet done, for the dashboard.
pub(crate) async fn dashboard_tasks(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
) -> Result<Vec<TaskView>, AppError> {
    let Some(grant) = principal.grant::<permissions::ViewIncidents>() else {
        return Ok(Vec::new());
    };
    let today = state.clock.today();
    Ok(mamori_store::incident::open_tasks(&state.store, &grant)
        .await?
        .iter()
        .map(|task| task_view(chrome, task, today))
        .collect())
}

/// A meeting's (question, answer) lines.
type Answers = Vec<(&'static str, String)>;

/// The personal-data assessment and the PPC deadlines, as shown.
struct PpcView {
    /// The latest assessment, when there is one.
    assessment: Option<Assessment>,
    /// What it means, in words.
    verdict: String,
    /// (label, dates, countdown or the day it was made, overdue) of each deadline.
    deadlines: Vec<(&'static str, String, String, bool)>,
    /// (recipient code, label, done: the days and notes, owed) of each notice
    /// outside; `owed` when a PPC report is due and this one follows it.
    notices: Vec<(&'static str, &'static str, Vec<String>, bool)>,
    /// The PPC form's nine items, prefilled, when a report is due.
    text: Vec<(&'static str, String)>,
}

/// One PPC deadline of an open incident, as the dashboard shows it.
pub(crate) struct DeadlineRow {
    pub(crate) href: String,
    pub(crate) number: String,
    pub(crate) title: String,
    pub(crate) label: &'static str,
    pub(crate) date: String,
    pub(crate) left: String,
    pub(crate) overdue: bool,
}

/// The PPC deadlines still running or missed for open incidents that are not
/// drills, for the dashboard: the 速報 while its window has not passed by
/// more than the 確報's time, and the 確報.
pub(crate) async fn dashboard_deadlines(
    state: &AppState,
    chrome: &Chrome,
    principal: &mamori_domain::institution::Principal,
) -> Result<Vec<DeadlineRow>, AppError> {
    let Some(grant) = principal.grant::<permissions::ViewIncidents>() else {
        return Ok(Vec::new());
    };
    let today = state.clock.today();
    let mut rows = Vec::new();
    for incident in mamori_store::incident::open_real(&state.store, &grant).await? {
        let Some(deadlines) = incident
            .assessment
            .and_then(|a| a.deadlines(incident.known_on))
        else {
            continue;
        };
        for ((label, last), made) in [
            (chrome.i.ppc_preliminary, deadlines.preliminary_by),
            (chrome.i.ppc_final, deadlines.final_by),
        ]
        .into_iter()
        .zip(incident.ppc_reported)
        {
            // A report made is no longer a deadline to watch.
            if made.is_some() {
                continue;
            }
            let (left, overdue) = countdown(chrome.i, today, last);
            rows.push(DeadlineRow {
                href: format!("/incidents/{}", incident.id),
                number: format!("#{}", incident.id),
                title: incident.title.clone(),
                label,
                date: chrome.date(&last),
                left,
                overdue,
            });
        }
    }
    Ok(rows)
}

/// `第1号・第3号` or `item 1, item 3`.
fn grounds_text(chrome: &Chrome, grounds: &[Ground]) -> String {
    grounds
        .iter()
        .map(|g| fill(chrome.i.ppc_item, &[&g.item()]))
        .collect::<Vec<_>>()
        .join(chrome.locale.pick("・", ", "))
}

fn countdown(
    i: &IncidentText,
    today: jiff::civil::Date,
    last: jiff::civil::Date,
) -> (String, bool) {
    match Countdown::on(today, last) {
        Countdown::DaysLeft(n) => (fill(i.days_left, &[&n]), false),
        Countdown::Today => (i.due_today.to_owned(), false),
        Countdown::Overdue(n) => (fill(i.overdue_by, &[&n]), true),
    }
}

/// Every notice outside the incident records: whom, the day, how; oldest first.
fn notices_made(incident: &Incident) -> Vec<(Recipient, jiff::civil::Date, &str)> {
    incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Notice)
        .filter_map(|e| NewNotice::from_code(&e.value).map(|(to, day)| (to, day, e.body.as_str())))
        .collect()
}

fn ppc_view(
    chrome: &Chrome,
    incident: &Incident,
    institution_name: &str,
    today: jiff::civil::Date,
) -> PpcView {
    let i = chrome.i;
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    // Every notice made, by recipient, oldest first.
    let made = notices_made(incident);
    let assessment = incident.summary.assessment;
    let deadlines = assessment.and_then(|a| a.deadlines(incident.summary.known_on));
    let notices = Recipient::ALL
        .iter()
        .map(|to| {
            let done = made
                .iter()
                .filter(|(r, _, _)| r == to)
                .map(|(_, day, note)| {
                    if note.is_empty() {
                        chrome.date(day)
                    } else {
                        format!("{} {note}", chrome.date(day))
                    }
                })
                .collect();
            (
                to.code(),
                pick(to.name_ja(), to.name_en()),
                done,
                deadlines.is_some() && to.follows_ppc(),
            )
        })
        .collect();
    let Some(assessment) = assessment else {
        return PpcView {
            assessment: None,
            verdict: i.ppc_not_assessed.to_owned(),
            deadlines: Vec::new(),
            notices,
            text: Vec::new(),
        };
    };
    let Some(deadlines) = deadlines else {
        return PpcView {
            assessment: Some(assessment),
            verdict: i.ppc_not_due.to_owned(),
            deadlines: Vec::new(),
            notices,
            text: Vec::new(),
        };
    };
    let items = grounds_text(chrome, &assessment.grounds());
    let first = |to: Recipient| {
        made.iter()
            .filter(|(r, _, _)| *r == to)
            .map(|(_, day, _)| *day)
            .min()
    };
    let [preliminary_met, final_met] = met(
        &deadlines,
        first(Recipient::PpcPreliminary),
        first(Recipient::PpcFinal),
    );
    let state = |made: Option<Met>, last| match made {
        Some(Met::OnTime(day)) => (fill(i.ppc_made_on_time, &[&chrome.date(&day)]), false),
        Some(Met::Late(day)) => (fill(i.ppc_made_late, &[&chrome.date(&day)]), true),
        None => countdown(i, today, last),
    };
    let (left, late) = state(preliminary_met, deadlines.preliminary_by);
    let (final_left, final_late) = state(final_met, deadlines.final_by);
    let latest_meeting = incident
        .entries
        .iter()
        .rev()
        .find_map(|e| e.meeting.as_ref());
    let patients = made
        .iter()
        .find(|(r, _, _)| *r == Recipient::Patients)
        .map(|(_, day, note)| (*day, (*note).to_owned()));
    let facts = PpcFacts {
        institution_name: institution_name.to_owned(),
        title: incident.summary.title.clone(),
        known_on: Some(incident.summary.known_on),
        reported: incident
            .reports
            .iter()
            .map(|r| r.report.details.clone())
            .collect(),
        patterns: {
            let mut seen: Vec<String> = Vec::new();
            for report in &incident.reports {
                for n in &report.report.patterns {
                    let name = PATTERNS
                        .get(usize::from(*n).saturating_sub(1))
                        .map(|(ja, _)| ja.trim_end_matches('。').to_owned())
                        .unwrap_or_default();
                    if !name.is_empty() && !seen.contains(&name) {
                        seen.push(name);
                    }
                }
            }
            seen
        },
        assessment: Some(assessment),
        leak: latest_meeting.map(|m| m.leak.clone()).unwrap_or_default(),
        containment: latest_meeting
            .map(|m| m.containment.clone())
            .unwrap_or_default(),
        told_patients: latest_meeting
            .map(|m| m.told_patients.clone())
            .unwrap_or_default(),
        recurrence: Vec::new(),
        patients_notified: patients,
    };
    PpcView {
        assessment: Some(assessment),
        verdict: fill(i.ppc_due, &[&items]),
        deadlines: vec![
            (
                i.ppc_preliminary,
                fill(
                    i.ppc_window,
                    &[
                        &chrome.date(&deadlines.preliminary_from),
                        &chrome.date(&deadlines.preliminary_by),
                    ],
                ),
                left,
                late,
            ),
            (
                i.ppc_final,
                chrome.date(&deadlines.final_by),
                final_left,
                final_late,
            ),
        ],
        notices,
        text: ppc_text(&facts),
    }
}

/// The `index`th report (from 0) as the incident page and the vendor's page
/// show it.
fn report_view(chrome: &Chrome, index: usize, stored: &StoredReport) -> ReportView {
    let i = chrome.i;
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let report = &stored.report;
    let noticed = match report.noticed_at {
        Some(time) => format!(
            "{} {}",
            chrome.date(&report.noticed_on),
            time.strftime("%H:%M")
        ),
        None => chrome.date(&report.noticed_on),
    };
    let device = match (&report.asset_number, report.device_name.is_empty()) {
        (Some(number), true) => number.clone(),
        (Some(number), false) => format!("{} {number}", report.device_name),
        (None, _) => report.device_name.clone(),
    };
    ReportView {
        heading: fill(
            i.report_heading,
            &[&(index + 1), &when(chrome, stored.submitted_at)],
        ),
        anonymous: stored.anonymous,
        facts: vec![
            (i.noticed_on, noticed),
            (i.place, report.place.clone()),
            (i.device_name, device),
            (i.segment, report.segment.clone().unwrap_or_default()),
            (
                i.reporter,
                if report.department.is_empty() {
                    report.reporter.clone()
                } else {
                    format!(
                        "{}{}{}{}",
                        report.reporter,
                        chrome.t.paren_open,
                        report.department,
                        chrome.t.paren_close
                    )
                },
            ),
            (i.details, report.details.clone()),
        ],
        patterns: report
            .patterns
            .iter()
            .filter_map(|n| PATTERNS.get(usize::from(*n).saturating_sub(1)))
            .map(|(ja, en)| pick(ja, en).to_owned())
            .chain((!report.other.is_empty()).then(|| report.other.clone()))
            .collect(),
        measures: report
            .measures
            .iter()
            .map(|(measure, at)| {
                format!(
                    "{} {}",
                    at.strftime("%H:%M"),
                    pick(measure.name_ja(), measure.name_en())
                )
            })
            .collect(),
    }
}

fn entry_view(chrome: &Chrome, playbooks: &Playbooks, entry: &StoredEntry) -> EntryView {
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let what = pick(entry.kind.name_ja(), entry.kind.name_en()).to_owned();
    let text = match entry.kind {
        EntryKind::Status => Status::parse("status", &entry.value)
            .map(|s| pick(s.name_ja(), s.name_en()).to_owned())
            .unwrap_or_else(|_| entry.value.clone()),
        EntryKind::Severity => Severity::parse("severity", &entry.value)
            .map(|s| pick(s.name_ja(), s.name_en()).to_owned())
            .unwrap_or_else(|_| entry.value.clone()),
        EntryKind::StepDone | EntryKind::StepNotApplicable => {
            let step = entry.step.clone().unwrap_or_default();
            let text = playbooks
                .step(&step)
                .map(|(_, s)| s.text.clone())
                .unwrap_or_default();
            if entry.body.is_empty() {
                format!("{step} {text}")
            } else {
                format!("{step} {text} — {}", entry.body)
            }
        }
        EntryKind::Assessment => Assessment::from_code(&entry.value)
            .map(|a| {
                let due = a.grounds();
                if due.is_empty() {
                    chrome.i.ppc_not_due.to_owned()
                } else {
                    fill(chrome.i.ppc_due, &[&grounds_text(chrome, &due)])
                }
            })
            .unwrap_or_default(),
        EntryKind::Meeting => entry
            .meeting
            .as_ref()
            .map(|m| m.care.clone())
            .unwrap_or_default(),
        EntryKind::Notice => match NewNotice::from_code(&entry.value) {
            Some((to, day)) => format!(
                "{} {} {}",
                pick(to.name_ja(), to.name_en()),
                chrome.date(&day),
                entry.body
            )
            .trim_end()
            .to_owned(),
            None => entry.body.clone(),
        },
        EntryKind::VendorCalled => entry.value.clone(),
        EntryKind::Note if entry.value == "drill" => chrome.i.mark_drill.to_owned(),
        EntryKind::Note if entry.value == "real" => chrome.i.mark_real.to_owned(),
        _ => entry.body.clone(),
    };
    EntryView {
        at: when(chrome, entry.at),
        who: entry
            .who
            .clone()
            .unwrap_or_else(|| chrome.i.anonymous.to_owned()),
        what,
        text,
    }
}

fn flatten(steps: &[Step], depth: usize, state: &BTreeMap<&str, String>, out: &mut Vec<StepView>) {
    for step in steps {
        let (label, done) = state
            .get(step.id.as_str())
            .map_or((String::new(), false), |label| (label.clone(), true));
        out.push(StepView {
            id: step.id.clone(),
            text: step.text.clone(),
            depth,
            state: label,
            done,
        });
        flatten(&step.steps, depth + 1, state, out);
    }
}

async fn show_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewIncidents>,
    id: IncidentId,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let incident: Incident =
        mamori_store::incident::get(&state.store, &authorized.grant, id).await?;
    let institution_name = mamori_store::institution::get(&state.store, &authorized.grant)
        .await?
        .details
        .name()
        .to_owned();
    let playbooks = playbooks()?;
    let i = chrome.i;
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let reports = incident
        .reports
        .iter()
        .enumerate()
        .map(|(index, stored)| report_view(chrome, index, stored))
        .collect();
    // The latest word on each step wins: a correction is a later entry.
    let mut step_state: BTreeMap<&str, String> = BTreeMap::new();
    for entry in &incident.entries {
        if let Some(step) = entry.step.as_deref() {
            let label = match entry.kind {
                EntryKind::StepDone => i.step_done,
                _ => i.step_na,
            };
            let who = entry.who.clone().unwrap_or_default();
            step_state.insert(
                step,
                fill(
                    i.by,
                    &[&label, &format!("{who} {}", when(chrome, entry.at))],
                ),
            );
        }
    }
    // The manual written for the reader's role first (経営層: the 安全管理責任者
    // who runs the institution; 企画管理者; staff), then the others.
    let own = match authorized.user.principal.role() {
        mamori_domain::institution::Role::SecurityManager => Audience::Executive,
        mamori_domain::institution::Role::PlanningManager => Audience::Planner,
        mamori_domain::institution::Role::Vendor => Audience::Vendor,
        _ => Audience::Staff,
    };
    let mut playbook: Vec<ManualView> = playbooks
        .manuals()
        .iter()
        .map(|manual| ManualView {
            numeral: manual.numeral.clone(),
            title: manual.title.clone(),
            role: match manual.audience {
                Audience::Executive => i.manual_for_executive,
                Audience::Planner => i.manual_for_planner,
                Audience::Staff => i.manual_for_staff,
                Audience::Vendor => i.manual_for_vendor,
            },
            mine: manual.audience == own,
            sections: manual
                .sections
                .iter()
                .filter(|section| {
                    section.phase != mamori_domain::incident::playbook::Phase::Prepare
                })
                .map(|section| {
                    let mut steps = Vec::new();
                    flatten(&section.steps, 0, &step_state, &mut steps);
                    (
                        format!("{}-{} {}", manual.numeral, section.number, section.title),
                        steps,
                    )
                })
                .collect(),
        })
        .collect();
    playbook.sort_by_key(|manual| !manual.mine);
    let summary = &incident.summary;
    let statuses = Status::ALL
        .iter()
        .map(|s| {
            (
                s.code().to_owned(),
                pick(s.name_ja(), s.name_en()).to_owned(),
                *s == summary.status,
            )
        })
        .collect();
    let severities = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.code().to_owned(),
                pick(s.name_ja(), s.name_en()).to_owned(),
                *s == summary.severity,
            )
        })
        .collect();
    let chart = match authorized
        .user
        .principal
        .grant::<permissions::ViewContacts>()
    {
        Some(grant) => Some(contacts::chart(state, chrome, &grant).await?),
        None => None,
    };
    let today = state.clock.today();
    let tasks = incident
        .tasks
        .iter()
        .map(|task| task_view(chrome, task, today))
        .collect();
    let (owners, vendor_accounts) = match authorized
        .user
        .principal
        .grant::<permissions::HandleIncidents>()
    {
        Some(grant) => (
            mamori_store::incident::people(&state.store, &grant).await?,
            mamori_store::incident::vendor_accounts(&state.store, &grant).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &ShowPage {
            chart,
            tasks,
            owners,
            vendor_accounts,
            chrome: chrome.clone(),
            id,
            row: row(chrome, summary),
            reports,
            entries: incident
                .entries
                .iter()
                .map(|entry| entry_view(chrome, playbooks, entry))
                .collect(),
            files: incident
                .files
                .iter()
                .map(|f| {
                    (
                        format!("/incident-files/{}", f.id),
                        f.name.clone(),
                        f.sha256.clone(),
                        f.size,
                    )
                })
                .collect(),
            can_handle: authorized
                .user
                .principal
                .role()
                .has(Permission::HandleIncidents),
            statuses,
            severities,
            playbook,
            ppc: ppc_view(chrome, &incident, &institution_name, state.clock.today()),
            meetings: incident
                .entries
                .iter()
                .filter_map(|entry| {
                    let meeting = entry.meeting.as_ref()?;
                    let when = format!(
                        "{} {}",
                        chrome.date(&meeting.convened_at.date()),
                        meeting.convened_at.strftime("%H:%M")
                    );
                    Some((
                        when,
                        entry.who.clone().unwrap_or_default(),
                        vec![
                            (i.attendees, meeting.attendees.clone()),
                            (i.care, meeting.care.clone()),
                            (i.recovery, meeting.recovery.clone()),
                            (i.leak, meeting.leak.clone()),
                            (i.containment, meeting.containment.clone()),
                            (i.told_staff, meeting.told_staff.clone()),
                            (i.told_patients, meeting.told_patients.clone()),
                        ],
                    ))
                })
                .collect(),
            errors,
        },
    )
}

/// `GET /incidents/{id}`.
async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    IncidentPath(id): IncidentPath,
    authorized: Authorized<permissions::ViewIncidents>,
) -> Result<Response, AppError> {
    show_page(&state, &chrome, &authorized, id, Vec::new()).await
}

/// What a handler posts: one of `take_charge`, `status`, `severity`,
/// `drill`, `real`, `note`, `step_done`, `step_na`, `assessment`, `meeting`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ChangeForm {
    action: String,
    value: String,
    text: String,
    step: String,
    personal_data: String,
    sensitive: String,
    financial_harm: String,
    wrongful_purpose: String,
    people: String,
    strongly_encrypted: String,
    convened_on: String,
    convened_time: String,
    attendees: String,
    care: String,
    recovery: String,
    leak: String,
    containment: String,
    told_staff: String,
    told_patients: String,
    recipient: String,
    notified_on: String,
    task: String,
    owner: String,
    due_on: String,
    task_id: String,
    vendor: String,
}

/// `POST /incidents/{id}`: adds one entry to the timeline.
async fn change(
    State(state): State<AppState>,
    chrome: Chrome,
    IncidentPath(id): IncidentPath,
    authorized: Authorized<permissions::HandleIncidents>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> Result<Response, AppError> {
    let view = Authorized {
        grant: authorized
            .user
            .principal
            .grant::<permissions::ViewIncidents>()
            .ok_or(AppError::forbidden(chrome.locale))?,
        user: authorized.user.clone(),
    };
    let i = chrome.i;
    let step = form.step.trim();
    let known_step = playbooks()?.handler_step(step).is_some();
    let note = |required| {
        parse_note("note", &form.text, required).map_err(|e| describe(&e, chrome.locale))
    };
    let parsed: Result<Change, String> = match form.action.as_str() {
        "take_charge" => Ok(Change::TakeCharge),
        "call_vendor" => match form.vendor.trim().parse::<i64>() {
            Ok(vendor) if vendor > 0 => Ok(Change::CallVendor(vendor)),
            _ => Err(i.error_unknown_vendor.to_owned()),
        },
        "drill" => Ok(Change::Drill(true)),
        "real" => Ok(Change::Drill(false)),
        "status" => Status::parse("status", &form.value)
            .map(Change::Status)
            .map_err(|e| describe(&e, chrome.locale)),
        "severity" => Severity::parse("severity", &form.value)
            .map(Change::Severity)
            .map_err(|e| describe(&e, chrome.locale)),
        "note" => note(true).map(Change::Note),
        "step_done" | "step_na" if !known_step => Err(i.error_step.to_owned()),
        "step_done" => note(false).map(|remark| Change::StepDone {
            step: step.to_owned(),
            remark,
        }),
        "step_na" => note(true).map(|reason| Change::StepNotApplicable {
            step: step.to_owned(),
            reason,
        }),
        "meeting" => parse_meeting(
            RawMeeting {
                convened_on: &form.convened_on,
                convened_time: &form.convened_time,
                attendees: &form.attendees,
                care: &form.care,
                recovery: &form.recovery,
                leak: &form.leak,
                containment: &form.containment,
                told_staff: &form.told_staff,
                told_patients: &form.told_patients,
            },
            state
                .clock
                .now()
                .to_zoned_datetime(crate::tokyo())
                .datetime(),
        )
        .map(Change::Meeting)
        .map_err(|errors| all_described(&errors, chrome.locale)),
        "assessment" => Assessment::parse(RawAssessment {
            personal_data: &form.personal_data,
            sensitive: &form.sensitive,
            financial_harm: &form.financial_harm,
            wrongful_purpose: &form.wrongful_purpose,
            people: &form.people,
            strongly_encrypted: &form.strongly_encrypted,
        })
        .map(Change::Assessment)
        .map_err(|e| describe(&e, chrome.locale)),
        "task" => parse_task(&form.task, &form.owner, &form.due_on, state.clock.today())
            .map(Change::Task)
            .map_err(|errors| all_described(&errors, chrome.locale)),
        "task_done" => match form.task_id.trim().parse::<i64>() {
            Ok(task) if task > 0 => note(false).map(|remark| Change::TaskDone {
                task: TaskId::from_db(task),
                remark,
            }),
            _ => Err(chrome.t.err_choice.to_owned()),
        },
        "notice" => parse_notice(
            &form.recipient,
            &form.notified_on,
            &form.text,
            state.clock.today(),
        )
        .map(Change::Notice)
        .map_err(|errors| all_described(&errors, chrome.locale)),
        _ => Err(chrome.t.err_choice.to_owned()),
    };
    let change = match parsed {
        Ok(change) => change,
        Err(error) => {
            // An unknown incident is a 404 before any problem of the form.
            mamori_store::incident::get(&state.store, &view.grant, id).await?;
            return show_page(&state, &chrome, &view, id, vec![error]).await;
        }
    };
    match mamori_store::incident::change(
        &state.store,
        &authorized.grant,
        id,
        &change,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Unknown(field)) => {
            let message = if field == "vendor" {
                i.error_unknown_vendor
            } else {
                i.error_unknown_owner
            };
            show_page(&state, &chrome, &view, id, vec![message.to_owned()]).await
        }
        Err(mamori_store::Error::Conflict("vendor")) => {
            show_page(
                &state,
                &chrome,
                &view,
                id,
                vec![i.error_vendor_called.to_owned()],
            )
            .await
        }
        Err(error) => Err(AppError::from_store(chrome.locale, error)),
    }
}

/// `GET /incident-files/{id}`: a photo or file, as an attachment.
async fn file(
    State(state): State<AppState>,
    FilePath(id): FilePath,
    authorized: Authorized<permissions::ViewIncidents>,
) -> Result<Response, AppError> {
    let (name, content_type, bytes) =
        mamori_store::incident::file(&state.store, &authorized.grant, id).await?;
    Ok(crate::checklist::attachment(&name, &content_type, bytes))
}
