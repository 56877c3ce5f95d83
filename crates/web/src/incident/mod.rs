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
use mamori_domain::incident::playbook::{Audience, Playbooks, Step};
use mamori_domain::incident::report::{
    IncidentFileId, IncidentId, MAX_PHOTOS, Measure, PATTERNS, RawReport, accept_photo,
    parse_report,
};
use mamori_domain::incident::status::{EntryKind, Severity, Status, parse_note};
use mamori_domain::institution::{Permission, permissions};
use mamori_domain::ledger::DeviceStatus;
use mamori_store::backup_register::UploadedFile;
use mamori_store::incident::{Change, Incident, Reporter, StoredEntry};
use sha2::Digest;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{IncidentText, Locale, describe, fill};
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

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
        .route("/incidents", get(list))
        .route("/incidents/{id}", get(show).post(change))
        .route("/incident-files/{id}", get(file))
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
}

async fn report_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ReportIncident>,
    form: ReportForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let principal = &authorized.user.principal;
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
    if let Some(grant) = principal.grant::<permissions::ViewLedger>() {
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
    if let Some(grant) = principal.grant::<permissions::ViewIncidents>() {
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
    report_page(&state, &chrome, &authorized, form, Vec::new()).await
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
    let form = ReportForm::from_multipart(&multipart);
    let now = state.clock.now();
    let local_now = now.to_zoned_datetime(crate::tokyo()).datetime();
    let parsed = parse_report(&form.raw(), local_now);
    let photos = photos(chrome.i, chrome.locale, &multipart);
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
            return report_page(&state, &chrome, &authorized, form, errors).await;
        }
    };
    let stored = mamori_store::incident::report(
        &state.store,
        Reporter::User(&authorized.grant),
        &report,
        &photos,
        join,
        now,
    )
    .await;
    match stored {
        Ok((id, _)) => Ok(Redirect::to(&format!("/incidents/reported?n={id}")).into_response()),
        Err(mamori_store::Error::Unknown(field)) => {
            let i = chrome.i;
            let error = match field {
                "asset_number" => i.error_unknown_device,
                "segment" => i.error_unknown_segment,
                _ => i.error_unknown_incident,
            };
            report_page(&state, &chrome, &authorized, form, vec![error.to_owned()]).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "incident/reported.html")]
struct ReportedPage {
    chrome: Chrome,
    number: Option<i64>,
    /// The staff manual's steps for the moment something happened.
    steps: Vec<(String, Vec<String>)>,
}

#[derive(serde::Deserialize)]
struct ReportedQuery {
    n: Option<String>,
}

/// `GET /incidents/reported?n=ID`: what the reporter does now (manual III).
async fn reported(
    chrome: Chrome,
    _authorized: Authorized<permissions::ReportIncident>,
    Query(query): Query<ReportedQuery>,
) -> Result<Response, AppError> {
    let manual = playbooks()?.manual(Audience::Staff);
    let steps = manual
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
        .collect();
    chrome.render(&ReportedPage {
        chrome: chrome.clone(),
        number: query
            .n
            .and_then(|n| n.parse().ok())
            .filter(|n: &i64| *n > 0),
        steps,
    })
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

fn when(chrome: &Chrome, at: jiff::Timestamp) -> String {
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
    /// (section heading, steps).
    playbook: Vec<(String, Vec<StepView>)>,
    ppc: PpcView,
    /// (when, who recorded, [(question, answer)]) of each 対策会議, oldest first.
    meetings: Vec<(String, String, Answers)>,
    errors: Vec<String>,
}

/// A meeting's (question, answer) lines.
type Answers = Vec<(&'static str, String)>;

/// The personal-data assessment and the PPC deadlines, as shown.
struct PpcView {
    /// The latest assessment, when there is one.
    assessment: Option<Assessment>,
    /// What it means, in words.
    verdict: String,
    /// (label, dates, countdown, overdue) of each deadline.
    deadlines: Vec<(&'static str, String, String, bool)>,
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
        for (label, last) in [
            (chrome.i.ppc_preliminary, deadlines.preliminary_by),
            (chrome.i.ppc_final, deadlines.final_by),
        ] {
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

fn ppc_view(chrome: &Chrome, incident: &Incident, today: jiff::civil::Date) -> PpcView {
    let i = chrome.i;
    let assessment = incident.summary.assessment;
    let Some(assessment) = assessment else {
        return PpcView {
            assessment: None,
            verdict: i.ppc_not_assessed.to_owned(),
            deadlines: Vec::new(),
        };
    };
    let grounds = assessment.grounds();
    let Some(deadlines) = assessment.deadlines(incident.summary.known_on) else {
        return PpcView {
            assessment: Some(assessment),
            verdict: i.ppc_not_due.to_owned(),
            deadlines: Vec::new(),
        };
    };
    let items = grounds_text(chrome, &grounds);
    let (left, late) = countdown(i, today, deadlines.preliminary_by);
    let (final_left, final_late) = countdown(i, today, deadlines.final_by);
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
    let playbooks = playbooks()?;
    let i = chrome.i;
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let reports = incident
        .reports
        .iter()
        .enumerate()
        .map(|(index, stored)| {
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
        })
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
    let manual = playbooks.manual(Audience::Planner);
    let playbook = manual
        .sections
        .iter()
        .map(|section| {
            let mut steps = Vec::new();
            flatten(&section.steps, 0, &step_state, &mut steps);
            (format!("II-{} {}", section.number, section.title), steps)
        })
        .collect();
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
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &ShowPage {
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
            ppc: ppc_view(chrome, &incident, state.clock.today()),
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
        .map_err(|errors| {
            errors
                .iter()
                .map(|e| describe(e, chrome.locale))
                .collect::<Vec<_>>()
                .join(" ")
        }),
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
    mamori_store::incident::change(
        &state.store,
        &authorized.grant,
        id,
        &change,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/incidents/{id}?done=saved")).into_response())
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
