//! Training and drills (`/training`, issue #15): the sessions with who
//! attended, each member of staff's last session and whether they are
//! overdue (第3条(2)②: on hiring and about yearly), and the form that
//! records a session or a drill with its scenario and what was learned.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use mamori_domain::institution::{Grant, Permission, Principal, permissions};
use mamori_domain::training::{
    RawTraining, Standing, TrainingId, TrainingKind, parse_training, standing,
};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe_all;
use crate::page::Chrome;
use crate::{AppError, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/training", get(list).post(add))
        .route("/training/{id}", get(show))
}

/// The form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
struct TrainingForm {
    held_on: String,
    kind: String,
    topic: String,
    content: String,
    materials: String,
    scenario: String,
    lessons: String,
    attendees: Vec<String>,
}

/// One member of staff as the page shows them.
struct PersonRow {
    staff_id: i64,
    name: String,
    last: String,
    state: &'static str,
    overdue: bool,
    /// Ticked in the form (a refused form keeps its ticks).
    checked: bool,
}

/// One session as the list shows it.
struct SessionRow {
    href: String,
    held_on: String,
    kind: &'static str,
    drill: bool,
    title: String,
    attendees: usize,
}

#[derive(Template)]
#[template(path = "training/list.html")]
struct ListPage {
    chrome: Chrome,
    sessions: Vec<SessionRow>,
    people: Vec<PersonRow>,
    can_record: bool,
    kinds: Vec<(&'static str, &'static str, bool)>,
    form: TrainingForm,
    errors: Vec<String>,
}

/// What the training records say beside the Tokushima list's items on
/// 標的型メール訓練 (17, 19) and regular education (20), by item number.
pub(crate) async fn tokushima_evidence(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
) -> Result<std::collections::BTreeMap<u8, String>, AppError> {
    let mut evidence = std::collections::BTreeMap::new();
    let Some(grant) = principal.grant::<permissions::ViewLedger>() else {
        return Ok(evidence);
    };
    let sessions = mamori_store::training::list(&state.store, &grant).await?;
    let k = chrome.k;
    let last = |drill: bool| {
        sessions
            .iter()
            .filter(|s| (s.kind == TrainingKind::Phishing) == drill)
            .map(|s| s.held_on)
            .max()
    };
    let drill = match last(true) {
        Some(day) => crate::i18n::fill(k.training_last_drill, &[&chrome.date(&day)]),
        None => k.training_no_drill.to_owned(),
    };
    evidence.insert(17, drill.clone());
    evidence.insert(19, drill);
    evidence.insert(
        20,
        match last(false) {
            Some(day) => crate::i18n::fill(k.training_last_session, &[&chrome.date(&day)]),
            None => k.training_no_session.to_owned(),
        },
    );
    Ok(evidence)
}

/// How many members of staff are overdue for training, for the dashboard.
pub(crate) async fn overdue(state: &AppState, principal: &Principal) -> Result<usize, AppError> {
    let Some(grant) = principal.grant::<permissions::RecordTraining>() else {
        return Ok(0);
    };
    let today = state.clock.today();
    Ok(mamori_store::training::staff(&state.store, &grant, today)
        .await?
        .iter()
        .filter(|p| standing(p.joined_on, p.last, today) != Standing::Current)
        .count())
}

async fn list_page(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    principal: &Principal,
    posted: Option<(TrainingForm, Vec<String>)>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let k = chrome.k;
    let sessions = mamori_store::training::list(&state.store, grant)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            href: format!("/training/{}", s.id),
            held_on: chrome.date(&s.held_on),
            kind: pick(s.kind.name_ja(), s.kind.name_en()),
            drill: s.kind.is_drill(),
            title: s.title,
            attendees: s.attendees.len(),
        })
        .collect();
    let (form, errors) = posted.unwrap_or_else(|| {
        (
            TrainingForm {
                held_on: today.to_string(),
                kind: TrainingKind::Yearly.code().to_owned(),
                ..TrainingForm::default()
            },
            Vec::new(),
        )
    });
    let people = mamori_store::training::staff(&state.store, grant, today)
        .await?
        .into_iter()
        .map(|p| {
            let now = standing(p.joined_on, p.last, today);
            PersonRow {
                staff_id: p.staff_id,
                name: p.name,
                last: p.last.map(|d| chrome.date(&d)).unwrap_or_default(),
                state: match now {
                    Standing::Current => k.training_current,
                    Standing::NoHiringTraining => k.training_no_hiring,
                    Standing::YearlyOverdue => k.training_yearly_overdue,
                },
                overdue: now != Standing::Current,
                checked: form.attendees.contains(&p.staff_id.to_string()),
            }
        })
        .collect();
    let kinds = TrainingKind::ALL
        .iter()
        .map(|kind| {
            (
                kind.code(),
                pick(kind.name_ja(), kind.name_en()),
                kind.code() == form.kind,
            )
        })
        .collect();
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &ListPage {
            chrome: chrome.clone(),
            sessions,
            people,
            can_record: principal.role().has(Permission::RecordTraining),
            kinds,
            form,
            errors,
        },
    )
}

/// `GET /training`.
async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    list_page(
        &state,
        &chrome,
        &authorized.grant,
        &authorized.user.principal,
        None,
    )
    .await
}

/// `POST /training`: records a session, or shows every problem at once with
/// nothing stored.
async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::RecordTraining>,
    CsrfForm(form): CsrfForm<TrainingForm>,
) -> Result<Response, AppError> {
    let principal = &authorized.user.principal;
    let view = principal
        .grant::<permissions::ViewLedger>()
        .ok_or(AppError::forbidden(chrome.locale))?;
    let attendees: Vec<&str> = form.attendees.iter().map(String::as_str).collect();
    let parsed = parse_training(
        RawTraining {
            held_on: &form.held_on,
            kind: &form.kind,
            title: &form.topic,
            content: &form.content,
            materials: &form.materials,
            scenario: &form.scenario,
            lessons: &form.lessons,
        },
        &attendees,
        state.clock.today(),
    );
    let training = match parsed {
        Ok(training) => training,
        Err(errors) => {
            let errors = describe_all(&errors, chrome.locale);
            return list_page(&state, &chrome, &view, principal, Some((form, errors))).await;
        }
    };
    match mamori_store::training::add(
        &state.store,
        &authorized.grant,
        &training,
        state.clock.now(),
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/training/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Unknown(_)) => {
            let errors = vec![chrome.k.training_unknown_attendee.to_owned()];
            list_page(&state, &chrome, &view, principal, Some((form, errors))).await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "training/show.html")]
struct ShowPage {
    chrome: Chrome,
    held_on: String,
    kind: &'static str,
    drill: bool,
    title: String,
    content: String,
    materials: String,
    scenario: String,
    lessons: String,
    attendees: Vec<String>,
}

/// `GET /training/{id}`.
async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    crate::institution::IdPath(id): crate::institution::IdPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let session =
        mamori_store::training::get(&state.store, &authorized.grant, TrainingId::from_db(id))
            .await?;
    chrome.render(&ShowPage {
        held_on: chrome.date(&session.held_on),
        kind: chrome
            .locale
            .pick(session.kind.name_ja(), session.kind.name_en()),
        drill: session.kind.is_drill(),
        title: session.title,
        content: session.content,
        materials: session.materials,
        scenario: session.scenario,
        lessons: session.lessons,
        attendees: session.attendees,
        chrome: chrome.clone(),
    })
}
