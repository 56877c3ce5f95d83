//! `/calendar` (issue #15, item 6): one schedule of everything that comes due
//! for the institution, of what the signed-in person is responsible for (the
//! permission that does the work decides: the 企画管理者 sees the reviews,
//! a member of staff the return of their own carry-out) — the
//! monthly check day, the yearly reviews, checklist dates, certificate and
//! contract expiry, carry-out returns, restore tests, acknowledgements and
//! training — overdue first-class, then the next 12 months by day. The
//! dashboard shows the next weeks of it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::open_items;
use mamori_domain::institution::{Permission, Principal, permissions};
use mamori_domain::ledger::{CarryOutStatus, RestoreDue, restore_due};
use mamori_domain::schedule::{Due, DueKind, ScheduleFacts, Yearly, schedule, to_ics};
use mamori_domain::training::{HIRING_GRACE_DAYS, Standing, standing};

use crate::auth::{Authorized, CsrfForm, random_token, token_hash};
use crate::page::Chrome;
use crate::{AppError, AppState};
use mamori_store::reminder::VendorPaper;

/// What the records say of what `principal` is responsible for.
async fn facts(state: &AppState, principal: &Principal) -> Result<ScheduleFacts, AppError> {
    let store = &state.store;
    let today = state.clock.today();
    let mut facts = ScheduleFacts::default();
    let role = principal.role();
    // The documents' and reviews' days in one query, then kept as far as
    // this person is responsible for them.
    let basics = match principal.grant::<permissions::ViewDashboard>() {
        Some(grant) => mamori_store::reminder::schedule_basics(store, &grant).await?,
        None => mamori_store::reminder::ScheduleBasics::default(),
    };
    {
        if role.has(Permission::EditPolicy)
            && (basics.policy_approved || basics.policy_answers.is_some())
        {
            let answers = basics.policy_answers.clone().unwrap_or_default();
            facts.check_day = Some(answers.check_day);
            facts.review_month = Some(answers.review_month);
        }
        // Those who handle incidents keep the chart (each person their own number).
        if role.has(Permission::HandleIncidents) {
            facts.yearly.push(Yearly {
                kind: DueKind::ContactChart,
                last: basics.chart_confirmed,
                href: "/contacts".to_owned(),
            });
        }
        if role.has(Permission::EditBcp) {
            facts.yearly.push(Yearly {
                kind: DueKind::BcpReview,
                last: basics
                    .bcp_approved_at
                    .map(|at| at.to_zoned_datetime(crate::tokyo()).date()),
                href: "/bcp".to_owned(),
            });
        }
        if role.has(Permission::EditLedger) {
            facts.yearly.push(Yearly {
                kind: DueKind::NetworkDiagram,
                last: basics.network_reviewed,
                href: "/ledger/network".to_owned(),
            });
            facts.yearly.push(Yearly {
                kind: DueKind::AccountInventory,
                last: basics.accounts_reviewed,
                href: "/ledger/accounts".to_owned(),
            });
        }
    }
    if let Some(grant) = principal.grant::<permissions::EditLedger>() {
        for line in mamori_store::backup_register::list(store, &grant).await? {
            let on = match restore_due(line.last_test.map(|(day, _)| day), today) {
                RestoreDue::NeverTested => today,
                RestoreDue::Overdue(day) | RestoreDue::Soon(day) | RestoreDue::Later(day) => day,
            };
            facts.dated.push((
                on,
                DueKind::RestoreTest,
                line.plan.system.clone(),
                format!("/ledger/backups/{}", line.id),
            ));
        }
    }
    if let Some(grant) = principal.grant::<permissions::RecordTraining>() {
        for person in mamori_store::training::staff(store, &grant, today).await? {
            let due = match standing(person.joined_on, person.last, today) {
                Standing::Current => person
                    .last
                    .and_then(|last| last.checked_add(1.year()).ok())
                    .or_else(|| {
                        person
                            .joined_on
                            .and_then(|d| d.checked_add(HIRING_GRACE_DAYS.days()).ok())
                    }),
                Standing::NoHiringTraining | Standing::YearlyOverdue => Some(today),
            };
            if let Some(on) = due {
                facts
                    .dated
                    .push((on, DueKind::Training, person.name, "/training".to_owned()));
            }
        }
    }
    if let Some(grant) = principal.grant::<permissions::EditPolicy>() {
        for row in mamori_store::policy::acknowledgements(store, &grant, today).await? {
            if crate::policy::is_due(&row, today) {
                facts.dated.push((
                    row.joined_on.unwrap_or(today).max(today),
                    DueKind::Acknowledgement,
                    row.name,
                    "/policy/acknowledgements".to_owned(),
                ));
            }
        }
    }
    if let Some(grant) = principal.grant::<permissions::ViewCarryOuts>() {
        for carry_out in mamori_store::carry_out::list(store, &grant).await? {
            if matches!(
                carry_out.status,
                CarryOutStatus::Approved | CarryOutStatus::Taken
            ) {
                facts.dated.push((
                    carry_out.return_by,
                    DueKind::CarryOut,
                    carry_out.what,
                    format!("/carry-outs/{}", carry_out.id),
                ));
            }
        }
    }
    if let Some(grant) = principal.grant::<permissions::ManageVendors>() {
        for paper in mamori_store::reminder::vendor_expiries(store, &grant).await? {
            let (kind, what) = match paper.what {
                VendorPaper::Certificate(kind) => (DueKind::Certificate, kind.name_ja().to_owned()),
                VendorPaper::Contract(title) => (DueKind::Contract, title),
            };
            facts.dated.push((
                paper.expires_on,
                kind,
                format!("{} {what}", paper.vendor),
                "/vendors".to_owned(),
            ));
        }
    }
    if let (Some(grant), Some(kind)) =
        (principal.grant::<permissions::EditChecklist>(), basics.kind)
    {
        let form = crate::checklist::institution_form(kind);
        let year = FiscalYear::containing(today);
        // Only a started assessment has dates; the catalogs are read after.
        if let Some(assessment) =
            mamori_store::checklist::assessment(store, &grant, form, year).await?
        {
            let catalogs = crate::checklist::catalogs_for(state, principal).await?;
            if let Some(catalog) = catalogs.for_year(form, year) {
                let href = format!("/checklist/{}/{}", form.code(), year);
                let record = |key: &str| assessment.answers.get(key).map(|answer| &answer.record);
                for (item, item_state) in open_items(catalog, record, year, today) {
                    if let Some(on) = item_state.deadline() {
                        facts.dated.push((
                            on,
                            DueKind::Checklist,
                            crate::checklist::item_label(crate::i18n::Locale::Ja, catalog, item),
                            format!("{href}/items/{}", item.key),
                        ));
                    }
                }
            }
        }
    }
    Ok(facts)
}

/// The schedule from today until `days` ahead, overdue lines first-class.
pub async fn upcoming(
    state: &AppState,
    principal: &Principal,
    days: i64,
) -> Result<Vec<Due>, AppError> {
    let today = state.clock.today();
    let until = today.checked_add(days.days()).unwrap_or(Date::MAX);
    Ok(schedule(&facts(state, principal).await?, today, until))
}

/// One line as the page shows it.
pub(crate) struct DueRow {
    pub(crate) on: String,
    pub(crate) what: &'static str,
    pub(crate) subject: String,
    pub(crate) href: String,
    pub(crate) overdue: bool,
}

pub(crate) fn rows(chrome: &Chrome, lines: &[Due]) -> Vec<DueRow> {
    lines
        .iter()
        .map(|due| DueRow {
            on: chrome.date(&due.on),
            what: chrome.locale.pick(due.kind.name_ja(), due.kind.name_en()),
            subject: due.subject.clone(),
            href: due.href.clone(),
            overdue: due.overdue,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    rows: Vec<DueRow>,
    /// The address a calendar app subscribes to, once issued.
    feed: Option<String>,
}

/// How long a token can be (mamori issues 43 characters).
const MAX_TOKEN: usize = 100;

fn feed_address(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    crate::page::public_address(
        state.config.public_url.as_deref(),
        headers,
        state.config.secure_cookies,
        &format!("/calendar/feed/{token}"),
    )
}

/// `GET /calendar`: the next 12 months, and the person's feed address.
pub(crate) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    authorized: Authorized<permissions::ViewDashboard>,
) -> Result<Response, AppError> {
    let lines = upcoming(&state, &authorized.user.principal, 366).await?;
    let feed = mamori_store::reminder::feed(&state.store, &authorized.grant)
        .await?
        .map(|token| feed_address(&state, &headers, &token));
    chrome.render(&CalendarPage {
        rows: rows(&chrome, &lines),
        feed,
        chrome: chrome.clone(),
    })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct FeedForm {
    action: String,
}

/// `POST /calendar/feed`: issue (or replace) the person's feed address, or revoke it.
pub(crate) async fn set_feed(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewDashboard>,
    CsrfForm(form): CsrfForm<FeedForm>,
) -> Result<Response, AppError> {
    let token = match form.action.as_str() {
        "issue" => Some(random_token()),
        "revoke" => None,
        _ => return Err(AppError::bad_request(chrome.locale, chrome.t.err_choice)),
    };
    let hash = token.as_deref().map(token_hash);
    mamori_store::reminder::set_feed(
        &state.store,
        &authorized.grant,
        token.as_deref().zip(hash.as_deref()),
        state.clock.now(),
    )
    .await
    .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to("/calendar?done=saved").into_response())
}

/// `GET /calendar/feed/{token}`: the person's schedule as iCalendar, for a
/// calendar app's subscription (no session: the token is the key).
pub(crate) async fn feed(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if token.is_empty() || token.len() > MAX_TOKEN {
        return Err(AppError::not_found(chrome.locale));
    }
    let owner = mamori_store::reminder::feed_owner(&state.store, &token_hash(&token))
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    let lines = upcoming(&state, &owner.principal, 366).await?;
    let now = state.clock.now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let body = to_ics(&format!("mamori {}", owner.institution), &lines, &now);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"mamori.ics\"",
            ),
        ],
        body,
    )
        .into_response())
}
