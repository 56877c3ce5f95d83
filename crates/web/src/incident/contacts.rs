//! The contact chart (連絡体制図, issue #12 item 5) on `/contacts`: built
//! from mamori's data — the people holding the chain's roles with the numbers
//! they enter themselves, the vendors, and the outside bodies prefilled from
//! the seed and the police catalog — with tap-to-call links, each line's
//! last-confirmed day, the yearly check, and an A4 print to hang by the phone.
//! The same lines are shown inside every incident and as live evidence on the
//! checklist's 連絡体制図 item.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::incident::contact::{
    Authority, ChartLine, ContactDetails, ContactKey, Gap, PoliceDesks, RawContact, gaps, is_due,
    parse_contact,
};
use mamori_domain::institution::{Grant, Role, permissions};
use mamori_store::contact::{StoredContact, Write};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{IncidentText, describe_all, fill};
use crate::page::Chrome;
use crate::{AppError, AppState};

/// The roles a chart cannot do without (別紙3 §3(1)).
const REQUIRED_ROLES: [Role; 2] = [Role::SecurityManager, Role::PlanningManager];

fn police_desks() -> Result<&'static PoliceDesks, AppError> {
    static DESKS: std::sync::OnceLock<Result<PoliceDesks, String>> = std::sync::OnceLock::new();
    DESKS
        .get_or_init(|| PoliceDesks::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|error| AppError::Unexpected(error.clone()))
}

/// One line of the chart, as shown and printed.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) key: String,
    /// The role, what a vendor maintains, or the body's desk.
    pub(crate) who: String,
    pub(crate) name: String,
    pub(crate) phone: String,
    /// `tel:` target (digits only), empty without a number.
    pub(crate) tel: String,
    pub(crate) email: String,
    pub(crate) hours: String,
    pub(crate) page: String,
    pub(crate) note: String,
    /// The day last confirmed, or that it never was.
    pub(crate) confirmed: String,
    /// Whether the line needs its (yearly) check.
    pub(crate) due: bool,
    /// The stored values, for the edit form.
    pub(crate) stored: ContactDetails,
}

/// The whole chart.
pub(crate) struct Chart {
    pub(crate) internal: Vec<Line>,
    pub(crate) vendors: Vec<Line>,
    pub(crate) authorities: Vec<Line>,
    /// What is missing, in words.
    pub(crate) gaps: Vec<String>,
    pub(crate) own: ContactDetails,
    pub(crate) institution_name: String,
}

impl Chart {
    /// (table id, heading, lines) of each section, in the chart's order.
    pub(crate) fn sections(&self, i: &IncidentText) -> [(&'static str, &'static str, &[Line]); 3] {
        [
            ("contacts-internal", i.chart_internal, &self.internal),
            ("contacts-vendors", i.chart_vendors, &self.vendors),
            (
                "contacts-authorities",
                i.chart_authorities,
                &self.authorities,
            ),
        ]
    }
}

fn tel_of(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    // A short number such as #9110 keeps its `#`, escaped in the URI.
    if phone.trim_start().starts_with('#') && !digits.is_empty() {
        format!("%23{digits}")
    } else {
        digits
    }
}

fn gap_text(i: &IncidentText, chrome: &Chrome, gap: &Gap) -> String {
    match gap {
        Gap::NoHolder(role) => fill(i.gap_no_holder, &[role]),
        Gap::NoPhone(name) => fill(i.gap_no_phone, &[name]),
        Gap::NeverConfirmed(name) => fill(i.gap_never_confirmed, &[name]),
        Gap::CheckDue(name, day) => fill(i.gap_check_due, &[name, &chrome.date(day)]),
        Gap::NoVendor => i.gap_no_vendor.to_owned(),
    }
}

/// Assembles the chart for the reader's institution.
pub(crate) async fn chart(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewContacts>,
) -> Result<Chart, AppError> {
    let store = &state.store;
    let today = state.clock.today();
    let i = chrome.i;
    let pick = |ja: &'static str, en: &'static str| chrome.locale.pick(ja, en);
    let stored: BTreeMap<ContactKey, StoredContact> = mamori_store::contact::all(store, grant)
        .await?
        .into_iter()
        .map(|line| (line.key, line))
        .collect();
    let institution = mamori_store::institution::get(store, grant).await?;
    let mut lines_for_gaps = Vec::new();
    let mut line = |key: ContactKey,
                    who: String,
                    name: String,
                    fallback: ContactDetails,
                    needs_phone: bool| {
        let record = stored.get(&key);
        let details = record.map(|r| r.details.clone()).unwrap_or_default();
        let shown = details.over(&fallback);
        let phone = shown.phone.clone();
        let confirmed_on = record.and_then(|r| r.confirmed_on);
        lines_for_gaps.push(ChartLine {
            key,
            name: name.clone(),
            phone: phone.clone(),
            needs_phone,
            confirmed_on,
        });
        Line {
            key: key.code(),
            who,
            name,
            tel: tel_of(&phone),
            phone,
            email: shown.email,
            hours: shown.hours,
            page: shown.page,
            note: shown.note,
            confirmed: match (confirmed_on, record.and_then(|r| r.confirmed_by.clone())) {
                (Some(day), Some(by)) => format!("{}（{by}）", chrome.date(&day)),
                (Some(day), None) => chrome.date(&day),
                (None, _) => i.never_confirmed.to_owned(),
            },
            due: confirmed_on.is_none_or(|day| is_due(day, today)),
            stored: details,
        }
    };
    let people = mamori_store::contact::chain(store, grant).await?;
    let internal: Vec<Line> = people
        .iter()
        .map(|person| {
            line(
                ContactKey::User(person.user_id),
                pick(person.role.name_ja(), person.role.name_en()).to_owned(),
                person.name.clone(),
                ContactDetails::default(),
                true,
            )
        })
        .collect();
    let vendors: Vec<Line> = mamori_store::contact::vendors(store, grant)
        .await?
        .into_iter()
        .map(|vendor| {
            line(
                ContactKey::Vendor(vendor.id),
                vendor.systems,
                vendor.name,
                ContactDetails {
                    note: vendor.contact,
                    ..ContactDetails::default()
                },
                true,
            )
        })
        .collect();
    let prefecture = institution.details.prefecture().name().to_owned();
    let desks = police_desks()?;
    let authorities: Vec<Line> = Authority::ALL
        .into_iter()
        .map(|authority| {
            let seed = authority.prefilled();
            let (name, desk, fallback) = if authority == Authority::Police {
                let found = desks.for_prefecture(&prefecture);
                let police = match chrome.locale {
                    crate::i18n::Locale::Ja => {
                        found.map_or_else(|| format!("{prefecture}警察"), |d| d.police.clone())
                    }
                    crate::i18n::Locale::En if prefecture == "東京都" => {
                        "Tokyo Metropolitan Police Department".to_owned()
                    }
                    crate::i18n::Locale::En => format!(
                        "{} Prefectural Police",
                        mamori_domain::institution::prefecture_en(&prefecture)
                    ),
                };
                (
                    police,
                    found.map_or(seed.desk.to_owned(), |d| d.desk.clone()),
                    ContactDetails {
                        phone: found
                            .map(|d| d.phone.clone())
                            .filter(|p| !p.is_empty())
                            .unwrap_or_else(|| seed.phone.to_owned()),
                        note: if found.is_some_and(|d| !d.phone.is_empty()) {
                            String::new()
                        } else {
                            seed.note.to_owned()
                        },
                        page: found
                            .map(|d| d.page.clone())
                            .filter(|p| !p.is_empty())
                            .unwrap_or_else(|| desks.national_list.clone()),
                        ..ContactDetails::default()
                    },
                )
            } else {
                (
                    pick(seed.name, seed.name_en).to_owned(),
                    seed.desk.to_owned(),
                    ContactDetails {
                        phone: seed.phone.to_owned(),
                        email: seed.email.to_owned(),
                        page: seed.page.to_owned(),
                        note: seed.note.to_owned(),
                        ..ContactDetails::default()
                    },
                )
            };
            line(
                ContactKey::Authority(authority),
                desk,
                name,
                fallback,
                authority.needs_phone(),
            )
        })
        .collect();
    let unheld: Vec<&'static str> = REQUIRED_ROLES
        .into_iter()
        .filter(|role| !people.iter().any(|p| p.role == *role))
        .map(|role| role.name_ja())
        .collect();
    let own_id = grant.principal().user_id().get();
    let own_key = ContactKey::User(own_id);
    Ok(Chart {
        internal,
        vendors,
        authorities,
        gaps: gaps(&lines_for_gaps, &unheld, today)
            .iter()
            .map(|gap| gap_text(i, chrome, gap))
            .collect(),
        own: stored
            .get(&own_key)
            .map(|r| r.details.clone())
            .unwrap_or_default(),
        institution_name: institution.details.name().to_owned(),
    })
}

#[derive(Template)]
#[template(path = "incident/contacts.html")]
struct ContactsPage {
    chrome: Chrome,
    chart: Chart,
    can_edit: bool,
    done: bool,
    errors: Vec<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewContacts>,
    done: bool,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let chart = chart(state, chrome, &authorized.grant).await?;
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &ContactsPage {
            chrome: chrome.clone(),
            chart,
            can_edit: authorized
                .user
                .principal
                .grant::<permissions::HandleIncidents>()
                .is_some(),
            done,
            errors,
        },
    )
}

/// `GET /contacts`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewContacts>,
    Query(query): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let done = query.done.as_deref() == Some("saved");
    page(&state, &chrome, &authorized, done, Vec::new()).await
}

#[derive(serde::Deserialize, Default)]
pub(super) struct ContactForm {
    action: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirmed: String,
}

/// `POST /contacts`: `own` (one's own number, by anyone), `save` (a line's
/// details) or `confirm` (a line checked as it stands), the last two by
/// those who handle incidents.
pub(super) async fn change(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewContacts>,
    CsrfForm(form): CsrfForm<ContactForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let today = state.clock.today();
    let raw = RawContact {
        phone: &form.phone,
        email: &form.email,
        hours: &form.hours,
        page: &form.page,
        note: &form.note,
    };
    let refused = |errors: Vec<mamori_domain::ParseError>| describe_all(&errors, chrome.locale);
    let result = if form.action == "own" {
        match parse_contact(raw) {
            Ok(details) => {
                mamori_store::contact::save_own(
                    &state.store,
                    &authorized.grant,
                    &details,
                    today,
                    now,
                )
                .await
            }
            Err(errors) => return page(&state, &chrome, &authorized, false, refused(errors)).await,
        }
    } else {
        let Some(grant) = authorized
            .user
            .principal
            .grant::<permissions::HandleIncidents>()
        else {
            return Err(AppError::forbidden(chrome.locale));
        };
        let key = match ContactKey::parse(&form.key) {
            Ok(key) => key,
            Err(error) => {
                return page(&state, &chrome, &authorized, false, refused(vec![error])).await;
            }
        };
        match form.action.as_str() {
            "confirm" => {
                mamori_store::contact::save(&state.store, &grant, key, Write::Confirm(today), now)
                    .await
            }
            "save" => match parse_contact(raw) {
                Ok(details) => {
                    let confirmed = (!form.confirmed.is_empty()).then_some(today);
                    mamori_store::contact::save(
                        &state.store,
                        &grant,
                        key,
                        Write::Details {
                            details: &details,
                            confirmed,
                        },
                        now,
                    )
                    .await
                }
                Err(errors) => {
                    return page(&state, &chrome, &authorized, false, refused(errors)).await;
                }
            },
            _ => {
                return Err(AppError::User {
                    status: StatusCode::BAD_REQUEST,
                    locale: chrome.locale,
                    message: chrome.i.error_unknown_action.into(),
                });
            }
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to("/contacts?done=saved").into_response()),
        Err(error) => Err(AppError::from_store(chrome.locale, error)),
    }
}

/// `GET /contacts/print.pdf`: the chart on A4, to hang by the phone.
pub(super) async fn pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewContacts>,
) -> Result<Response, AppError> {
    // Printed in Japanese whatever the screen's language: it hangs in the institution.
    let chrome = chrome.in_japanese();
    let chart = chart(&state, &chrome, &authorized.grant).await?;
    let i = chrome.i;
    let head: Vec<String> = [
        i.chart_who,
        i.chart_name,
        i.chart_phone,
        i.chart_other,
        i.chart_confirmed,
    ]
    .iter()
    .map(|h| (*h).to_owned())
    .collect();
    let rows = |lines: &[Line]| -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| {
                let other: Vec<&str> = [
                    l.email.as_str(),
                    l.hours.as_str(),
                    l.page.as_str(),
                    l.note.as_str(),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
                vec![
                    l.who.clone(),
                    l.name.clone(),
                    l.phone.clone(),
                    other.join("　"),
                    l.confirmed.clone(),
                ]
            })
            .collect()
    };
    let mut blocks = vec![mamori_docs::DocumentBlock::Paragraph {
        text: i.chart_print_lead.to_owned(),
    }];
    for (title, lines) in [
        (i.chart_internal, &chart.internal),
        (i.chart_vendors, &chart.vendors),
        (i.chart_authorities, &chart.authorities),
    ] {
        blocks.push(mamori_docs::DocumentBlock::Subheading {
            text: title.to_owned(),
        });
        blocks.push(mamori_docs::DocumentBlock::Table {
            head: head.clone(),
            rows: rows(lines),
        });
    }
    if !chart.gaps.is_empty() {
        blocks.push(mamori_docs::DocumentBlock::Subheading {
            text: i.chart_gaps.to_owned(),
        });
        blocks.extend(
            chart
                .gaps
                .iter()
                .map(|gap| mamori_docs::DocumentBlock::Item { text: gap.clone() }),
        );
    }
    let print = mamori_docs::DocumentPrint {
        title: i.chart_title.to_owned(),
        institution_name: chart.institution_name.clone(),
        version: fill(i.chart_printed_on, &[&chrome.date(&state.clock.today())]),
        blocks,
    };
    super::send_file(
        &state,
        chrome.locale,
        ("contact-chart", "連絡体制図", "pdf", "application/pdf"),
        move || mamori_docs::document_pdf(&print),
    )
    .await
}

/// The checklist's 連絡体制図 item: the chart's size and what it lacks.
pub(crate) async fn checklist_box(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewContacts>,
    key: &str,
    answered_yes: bool,
) -> Result<Option<crate::ledger::LedgerBox>, AppError> {
    if key != mamori_domain::incident::contact::CONTACT_CHART_ITEM {
        return Ok(None);
    }
    let chart = chart(state, chrome, grant).await?;
    let i = chrome.i;
    let lines = vec![
        fill(
            i.chart_box,
            &[
                &chart.internal.len(),
                &chart.vendors.len(),
                &chart.authorities.len(),
            ],
        ),
        i.chart_box_link.to_owned(),
    ];
    let warnings = if answered_yes {
        chart
            .gaps
            .iter()
            .map(|gap| format!("{}{gap}", chrome.l.contra_yes))
            .collect()
    } else {
        chart.gaps
    };
    Ok(Some(crate::ledger::LedgerBox { lines, warnings }))
}
