//! Access logs (`/logs`, issue #14): the monthly review — events per source,
//! bursts of failed sign-ins, accounts used after their owner's 退職日 and
//! accounts the ledger does not know, the 企画管理者's sign-off — and the search by
//! user, address, patient, device and time, with an audited CSV export.
//! The sources and file imports are in [`sources`].

pub mod held;
mod sources;

pub use sources::{Forwarded, INGEST_REQUESTS_PER_MINUTE, LogArchive, MAX_UPLOAD_BYTES};

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use jiff::civil::Date;
use mamori_domain::access_log::review::{
    Finding, Month, RawRules, Rules, SendingSource, Verification, findings, review_overdue,
    silent_sources,
};
use mamori_domain::institution::{Grant, Permission, Principal, permissions};
use mamori_domain::ledger::{TextEncoding, write_csv};
use mamori_store::access_log::{FoundEvent, Search};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::Locale;
use crate::incident::when;
use crate::page::Chrome;
use crate::{AppError, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/logs", get(review))
        .route("/logs/review", post(sign_off))
        .route("/logs/rules", post(set_rules))
        .route("/logs/findings", post(note_finding))
        .route("/logs/verify", post(verify_log))
        .route("/logs/search", get(search))
        .route("/logs/search.csv", get(export))
        .merge(sources::router())
}

/// The rows the search page shows at most.
const SHOWN: i64 = 500;
/// The rows one CSV export holds at most.
const EXPORTED: i64 = 100_000;
/// The longest sign-off note.
const MAX_NOTE: usize = 2000;

/// `?month=YYYY-MM`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct MonthQuery {
    month: String,
}

/// The sign-off form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SignOffForm {
    month: String,
    note: String,
}

struct SourceRow {
    name: String,
    /// The month's count, its thousands grouped.
    events: String,
    last: String,
    /// For a source that sends by itself and sent nothing for longer than
    /// it may (its own hours, else the rule's): how long. A router that
    /// stopped sending is itself a finding.
    silent: Option<String>,
    /// A source that sends by itself, has never sent, and is not yet
    /// silent for longer than it may: waiting for its first line.
    waiting: bool,
}

/// The rules form, as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
struct RulesForm {
    month: String,
    burst_threshold: String,
    burst_window_minutes: String,
    opens_at: String,
    closes_at: String,
    closed_sundays_holidays: String,
    many_patients: String,
    silent_hours: String,
}

impl RulesForm {
    fn of(rules: &Rules) -> Self {
        Self {
            month: String::new(),
            burst_threshold: rules.burst.threshold.to_string(),
            burst_window_minutes: rules.burst.window.as_mins().to_string(),
            opens_at: rules.hours.map(|h| h.as_text().0).unwrap_or_default(),
            closes_at: rules.hours.map(|h| h.as_text().1).unwrap_or_default(),
            closed_sundays_holidays: if rules.hours.is_some_and(|h| h.closed_sundays_holidays) {
                "on".to_owned()
            } else {
                String::new()
            },
            many_patients: rules.many_patients.to_string(),
            silent_hours: rules.silent_after.as_hours().to_string(),
        }
    }

    fn raw(&self) -> RawRules<'_> {
        RawRules {
            burst_threshold: &self.burst_threshold,
            burst_window_minutes: &self.burst_window_minutes,
            opens_at: &self.opens_at,
            closes_at: &self.closes_at,
            closed_sundays_holidays: &self.closed_sundays_holidays,
            many_patients: &self.many_patients,
            silent_hours: &self.silent_hours,
        }
    }
}

struct FindingRow {
    text: String,
    when: String,
    /// The finding's key, for the note form.
    key: String,
    /// The note left on it: who, when and what.
    noted: Option<String>,
    /// The incident it is handled in: its address and label.
    incident: Option<(String, String)>,
}

/// An incident a finding can be noted as handled in.
struct IncidentChoice {
    id: String,
    label: String,
}

/// The note on a finding, as typed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct FindingForm {
    month: String,
    key: String,
    note: String,
    incident: String,
}

struct ReviewRow {
    month: String,
    signed: String,
    note: String,
}

#[derive(Template)]
#[template(path = "logs/review.html")]
struct ReviewPage {
    chrome: Chrome,
    verification: Option<VerificationView>,
    verify_error: Option<&'static str>,
    quiet: Option<String>,
    month: String,
    month_label: String,
    months: Vec<MonthChoice>,
    previous: String,
    next: String,
    sources: Vec<SourceRow>,
    rule: Vec<String>,
    rules_form: RulesForm,
    rules_errors: Vec<String>,
    findings: Vec<FindingRow>,
    signed: Option<String>,
    can_sign: bool,
    unnoted: Option<String>,
    incidents: Vec<IncidentChoice>,
    overdue: bool,
    reviews: Vec<ReviewRow>,
    errors: Vec<String>,
}

/// From `first` to `last`, the day written once when both fall on it.
fn span(chrome: &Chrome, first: Timestamp, last: Timestamp) -> String {
    let (a, b) = (
        first.to_zoned_datetime(crate::tokyo()),
        last.to_zoned_datetime(crate::tokyo()),
    );
    if a.strftime("%Y-%m-%d %H:%M").to_string() == b.strftime("%Y-%m-%d %H:%M").to_string() {
        when(chrome, first)
    } else if a.date() == b.date() {
        format!("{}–{}", when(chrome, first), b.strftime("%H:%M"))
    } else {
        format!("{} – {}", when(chrome, first), when(chrome, last))
    }
}

/// A finding as the review lists it.
fn finding_row(
    chrome: &Chrome,
    month: Month,
    finding: &Finding,
    notes: &std::collections::HashMap<String, mamori_store::access_log::StoredFindingNote>,
) -> FindingRow {
    let k = chrome.k;
    let key = finding.key(month);
    let note = notes.get(&key);
    let (text, when_text) = match finding {
        Finding::BurstFromAddress(burst) | Finding::BurstOnAccount(burst) => (
            match (&burst.account, finding) {
                (Some(account), _) => crate::i18n::fill(
                    k.logs_burst_address_account,
                    &[&burst.key, account, &burst.count],
                ),
                (None, Finding::BurstFromAddress(_)) => {
                    crate::i18n::fill(k.logs_burst_address, &[&burst.key, &burst.count])
                }
                (None, _) => crate::i18n::fill(k.logs_burst_account, &[&burst.key, &burst.count]),
            },
            span(chrome, burst.first, burst.last),
        ),
        Finding::LeaverAccountUsed(used) => (
            crate::i18n::fill(k.logs_leaver, &[&used.account, &used.owner, &used.left_on]),
            when(chrome, used.at),
        ),
        Finding::NewVpnAddress(new) => (
            match &new.account {
                Some(account) => {
                    crate::i18n::fill(k.logs_new_vpn_address_of, &[&new.address, account])
                }
                None => crate::i18n::fill(k.logs_new_vpn_address, &[&new.address]),
            },
            when(chrome, new.at),
        ),
        Finding::ManyPatients(many) => (
            crate::i18n::fill(k.logs_many_patients, &[&many.account, &many.patients]),
            chrome.date(&many.day),
        ),
        Finding::UnknownAccount(unknown) => (
            crate::i18n::fill(k.logs_unknown_account, &[&unknown.account, &unknown.uses]),
            String::new(),
        ),
        Finding::OffHours(off) => (
            crate::i18n::fill(k.logs_off_hours, &[&off.account, &off.count]),
            when(chrome, off.first),
        ),
        Finding::SourceSilent(silent) => match silent.last {
            Some(last) => (
                crate::i18n::fill(
                    k.logs_silent_finding,
                    &[&silent.name, &silent.hours, &when(chrome, last)],
                ),
                String::new(),
            ),
            None => (
                crate::i18n::fill(k.logs_silent_never, &[&silent.name, &silent.hours]),
                String::new(),
            ),
        },
    };
    FindingRow {
        text,
        when: when_text,
        noted: note.map(|note| {
            crate::i18n::fill(
                k.logs_noted,
                &[&note.noted_by, &when(chrome, note.noted_at), &note.note],
            )
        }),
        incident: note.and_then(|note| note.incident).map(|incident| {
            (
                format!("/incidents/{incident}"),
                crate::i18n::fill(k.logs_noted_incident, &[&incident]),
            )
        }),
        key,
    }
}

/// Between the names of a list in running text: 「、」 or ", ".
fn locale_list_separator(chrome: &Chrome) -> &'static str {
    match chrome.locale {
        Locale::Ja => "、",
        Locale::En => ", ",
    }
}

fn month_label(chrome: &Chrome, month: Month) -> String {
    match chrome.locale {
        Locale::Ja => month.label_ja(),
        Locale::En => month.label_en(),
    }
}

/// A month in the review's month chooser.
struct MonthChoice {
    value: String,
    label: String,
    selected: bool,
}

/// Months the chooser offers: this month and the three years before it.
const MONTHS_OFFERED: usize = 37;

/// The chooser's months, latest first, with `shown` among them (and chosen)
/// even when it lies outside that range.
fn month_choices(chrome: &Chrome, current: Month, shown: Month) -> Vec<MonthChoice> {
    let mut months = current.latest(MONTHS_OFFERED);
    if !months.contains(&shown) {
        months.push(shown);
        months.sort_by(|a, b| b.cmp(a));
    }
    months
        .into_iter()
        .map(|month| MonthChoice {
            value: month.to_string(),
            label: month_label(chrome, month),
            selected: month == shown,
        })
        .collect()
}

/// The checklist's アクセスログ item: the last sign-off, and a warning when
/// none exists for the last three months.
pub(crate) async fn checklist_box(
    state: &AppState,
    chrome: &Chrome,
    principal: &Principal,
    key: &str,
) -> Result<Option<crate::ledger::LedgerBox>, AppError> {
    if key != "access-log-server" {
        return Ok(None);
    }
    let Some(grant) = principal.grant::<permissions::ViewAccessLogs>() else {
        return Ok(None);
    };
    let reviews = mamori_store::access_log::reviews(&state.store, &grant).await?;
    let k = chrome.k;
    let last = reviews.first();
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    match last {
        Some(review) => lines.push(crate::i18n::fill(
            k.logs_box_last,
            &[
                &month_label(chrome, review.month),
                &when(chrome, review.signed_at),
            ],
        )),
        None => warnings.push(k.logs_box_none.to_owned()),
    }
    if let Some(stored) = mamori_store::access_log::last_verification(&state.store, &grant).await? {
        match stored.verification {
            Verification::Intact { size, .. } => lines.push(crate::i18n::fill(
                k.logs_box_verified,
                &[&when(chrome, stored.verified_at), &grouped(size)],
            )),
            Verification::Broken { .. } => warnings.push(crate::i18n::fill(
                k.logs_box_broken,
                &[&when(chrome, stored.verified_at)],
            )),
        }
    }
    if last.is_some() && review_overdue(last.map(|review| review.month), state.clock.today()) {
        warnings.push(k.logs_overdue.to_owned());
    }
    Ok(Some(crate::ledger::LedgerBox { lines, warnings }))
}

/// What the review page shows besides the month: the problems of the form
/// just sent (the sign-off, the rules as typed, or why the log could not be
/// checked, shown in the check's own section).
#[derive(Default)]
struct Shown {
    errors: Vec<String>,
    rules: Option<(RulesForm, Vec<String>)>,
    verify_error: Option<&'static str>,
}

async fn review_page<P: permissions::ReadsAccessLogs>(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<P>,
    principal: &Principal,
    month: Month,
    shown: Shown,
) -> Result<Response, AppError> {
    let Shown {
        errors,
        rules: rules_shown,
        verify_error,
    } = shown;
    let k = chrome.k;
    let (from, to) = month.range(&crate::tokyo());
    let rules = mamori_store::access_log::rules(&state.store, grant).await?;
    // Silence is of now: shown on the current month only, as its finding is.
    let current = month == Month::of(state.clock.today());
    let counts = mamori_store::access_log::counts_per_source(&state.store, grant, from, to).await?;
    // Sources that send by themselves, registered before the month ended,
    // with nothing in it: the sign-off should say why.
    let quiet: Vec<&str> = counts
        .iter()
        .filter(|count| count.sends && count.events == 0 && count.registered_at < to)
        .map(|count| count.name.as_str())
        .collect();
    let quiet = (!quiet.is_empty()).then(|| {
        crate::i18n::fill(
            k.logs_quiet_sources,
            &[&quiet.join(locale_list_separator(chrome))],
        )
    });
    let sources = counts
        .into_iter()
        .map(|count| {
            let silent = (current && count.sends)
                .then(|| SendingSource {
                    name: count.name.clone(),
                    last: count.last,
                    registered_at: count.registered_at,
                    silent_hours: count.silent_hours,
                })
                .and_then(|source| silent_sources(state.clock.now(), &[source], &rules).pop())
                .map(|silent| crate::i18n::fill(k.logs_silent, &[&silent.hours]));
            SourceRow {
                waiting: count.sends && count.last.is_none() && silent.is_none(),
                name: count.name,
                events: grouped(u64::try_from(count.events).unwrap_or(0)),
                last: count.last.map(|at| when(chrome, at)).unwrap_or_default(),
                silent,
            }
        })
        .collect();
    let notes = mamori_store::access_log::finding_notes(&state.store, grant, month).await?;
    let findings: Vec<FindingRow> = month_findings(state, grant, month, &rules)
        .await?
        .iter()
        .map(|finding| finding_row(chrome, month, finding, &notes))
        .collect();
    let unnoted = findings.iter().filter(|row| row.noted.is_none()).count();
    let incidents = match principal.grant::<permissions::HandleIncidents>() {
        Some(handles) if unnoted > 0 => mamori_store::incident::list(&state.store, &handles)
            .await?
            .into_iter()
            .map(|incident| IncidentChoice {
                id: incident.id.to_string(),
                label: format!("#{} {}", incident.id, incident.title),
            })
            .collect(),
        _ => Vec::new(),
    };
    let reviews = mamori_store::access_log::reviews(&state.store, grant).await?;
    let signed = reviews
        .iter()
        .find(|review| review.month == month)
        .map(|review| {
            crate::i18n::fill(
                k.logs_signed,
                &[&review.signed_by, &when(chrome, review.signed_at)],
            )
        });
    let today = state.clock.today();
    let overdue = review_overdue(reviews.first().map(|review| review.month), today);
    let reviews = reviews
        .iter()
        .map(|review| ReviewRow {
            month: month_label(chrome, review.month),
            signed: crate::i18n::fill(
                k.logs_signed,
                &[&review.signed_by, &when(chrome, review.signed_at)],
            ),
            note: review.note.clone(),
        })
        .collect();
    let mut rule = vec![
        crate::i18n::fill(
            k.logs_rule,
            &[&rules.burst.window.as_mins(), &rules.burst.threshold],
        ),
        crate::i18n::fill(k.logs_rule_patients, &[&rules.many_patients]),
    ];
    rule.push(match rules.hours {
        Some(hours) => crate::i18n::fill(
            if hours.closed_sundays_holidays {
                k.logs_rule_hours_closed
            } else {
                k.logs_rule_hours
            },
            &[&hours.as_text().0, &hours.as_text().1],
        ),
        None => k.logs_rule_no_hours.to_owned(),
    });
    let (rules_form, rules_errors) =
        rules_shown.unwrap_or_else(|| (RulesForm::of(&rules), Vec::new()));
    let status_errors: Vec<String> = errors
        .iter()
        .chain(&rules_errors)
        .cloned()
        .chain(verify_error.map(str::to_owned))
        .collect();
    chrome.render_with_status(
        crate::page::form_status(&status_errors),
        &ReviewPage {
            chrome: chrome.clone(),
            verify_error,
            quiet,
            verification: mamori_store::access_log::last_verification(&state.store, grant)
                .await?
                .map(|stored| verification_view(chrome, &stored)),
            month: month.to_string(),
            month_label: month_label(chrome, month),
            months: month_choices(chrome, Month::of(today), month),
            previous: month.previous().to_string(),
            next: month.next().to_string(),
            sources,
            rule,
            rules_form,
            rules_errors,
            findings,
            unnoted: (unnoted > 0).then(|| crate::i18n::fill(k.logs_unnoted, &[&unnoted])),
            incidents,
            signed,
            can_sign: principal.role().has(Permission::ReviewAccessLogs),
            overdue,
            reviews,
            errors,
        },
    )
}

/// The month's findings under the institution's rules.
async fn month_findings<P: permissions::ReadsAccessLogs>(
    state: &AppState,
    grant: &Grant<P>,
    month: Month,
    rules: &Rules,
) -> Result<Vec<Finding>, AppError> {
    let (from, to) = month.range(&crate::tokyo());
    let mut facts = mamori_store::access_log::review_facts(&state.store, grant, from, to).await?;
    // A source's silence is of now: a finding of the current month.
    if month == Month::of(state.clock.today()) {
        facts.sending_sources = Some((
            state.clock.now(),
            mamori_store::access_log::sending_sources(&state.store, grant).await?,
        ));
    }
    Ok(findings(facts, rules, &crate::tokyo()))
}

/// `GET /logs?month=YYYY-MM` (this month by default).
async fn review(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewAccessLogs>,
    Query(query): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let month = match query.month.trim() {
        "" => Month::of(state.clock.today()),
        text => Month::parse("month", text).map_err(|error| {
            AppError::bad_request(chrome.locale, crate::i18n::describe(&error, chrome.locale))
        })?,
    };
    review_page(
        &state,
        &chrome,
        &authorized.grant,
        &authorized.user.principal,
        month,
        Shown::default(),
    )
    .await
}

/// `POST /logs/verify`: checks the institution's log for alteration now
/// and keeps what the check found (audited), shown on the review page.
async fn verify_log(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    CsrfForm(form): CsrfForm<MonthQuery>,
) -> Result<Response, AppError> {
    let month = Month::parse("month", &form.month).map_err(|error| {
        AppError::bad_request(chrome.locale, crate::i18n::describe(&error, chrome.locale))
    })?;
    let checked = state
        .access_logs
        .verify(authorized.grant.institution_id())
        .await
        .map_err(AppError::Unexpected)?;
    let Some(verification) = checked else {
        return review_page(
            &state,
            &chrome,
            &authorized.grant,
            &authorized.user.principal,
            month,
            Shown {
                verify_error: Some(chrome.k.logs_nothing_to_verify),
                ..Shown::default()
            },
        )
        .await;
    };
    mamori_store::access_log::record_verification(
        &state.store,
        &authorized.grant,
        &verification,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/logs?month={month}&done=verified#logs-verification"
    ))
    .into_response())
}

/// The last check of the log for alteration, as the review page shows it.
struct VerificationView {
    text: String,
    archived: Option<String>,
    finding: Option<String>,
}

fn verification_view(
    chrome: &Chrome,
    stored: &mamori_store::access_log::StoredVerification,
) -> VerificationView {
    let k = chrome.k;
    let at = when(chrome, stored.verified_at);
    match &stored.verification {
        Verification::Intact { size, archived, .. } => VerificationView {
            text: crate::i18n::fill(
                k.logs_verify_intact,
                &[&at, &stored.verified_by, &grouped(*size)],
            ),
            archived: (*archived > 0)
                .then(|| crate::i18n::fill(k.logs_verify_archived, &[&grouped(*archived)])),
            finding: None,
        },
        Verification::Broken { finding } => VerificationView {
            text: crate::i18n::fill(k.logs_verify_broken, &[&at, &stored.verified_by]),
            archived: None,
            finding: Some(finding.clone()),
        },
    }
}

/// `POST /logs/review`: signs off a month (once), with a note.
async fn sign_off(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    CsrfForm(form): CsrfForm<SignOffForm>,
) -> Result<Response, AppError> {
    let principal = &authorized.user.principal;
    let month = Month::parse("month", &form.month).map_err(|error| {
        AppError::bad_request(chrome.locale, crate::i18n::describe(&error, chrome.locale))
    })?;
    let note = form.note.trim();
    let mut errors = Vec::new();
    if let Some(problem) = note_problem("note", note) {
        errors.push(crate::i18n::describe(&problem, chrome.locale));
    }
    if Month::of(state.clock.today()) < month {
        errors.push(chrome.k.logs_future.to_owned());
    }
    // A month of nothing collected is not a review: register the sources first.
    if mamori_store::access_log::sources(&state.store, &authorized.grant)
        .await?
        .is_empty()
    {
        errors.push(chrome.k.logs_nothing_to_review.to_owned());
    }
    if !errors.is_empty() {
        return review_page(
            &state,
            &chrome,
            &authorized.grant,
            principal,
            month,
            Shown {
                errors,
                ..Shown::default()
            },
        )
        .await;
    }
    match mamori_store::access_log::sign_off(
        &state.store,
        &authorized.grant,
        month,
        note,
        state.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/logs?month={month}&done=saved")).into_response()),
        Err(mamori_store::Error::Conflict(_)) => {
            review_page(
                &state,
                &chrome,
                &authorized.grant,
                principal,
                month,
                Shown {
                    errors: vec![chrome.k.logs_already.to_owned()],
                    ..Shown::default()
                },
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /logs/findings`: leaves a note on one of the month's findings, with
/// the incident it is handled in if any; once per finding.
async fn note_finding(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    CsrfForm(form): CsrfForm<FindingForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let principal = &authorized.user.principal;
    let month = Month::parse("month", &form.month).map_err(|error| {
        AppError::bad_request(chrome.locale, crate::i18n::describe(&error, chrome.locale))
    })?;
    // Only a finding the month has now can be noted.
    let rules = mamori_store::access_log::rules(&state.store, grant).await?;
    if !month_findings(&state, grant, month, &rules)
        .await?
        .iter()
        .any(|finding| finding.key(month) == form.key)
    {
        return Err(AppError::bad_request(
            chrome.locale,
            chrome.k.logs_no_such_finding,
        ));
    }
    let mut errors = Vec::new();
    let note = form.note.trim();
    if let Some(problem) = note_problem("note", note) {
        errors.push(crate::i18n::describe(&problem, chrome.locale));
    }
    let incident = match form.incident.trim() {
        "" => None,
        id => match id.parse::<i64>() {
            Ok(id) => Some(mamori_domain::incident::report::IncidentId::from_db(id)),
            Err(_) => {
                errors.push(chrome.k.logs_unknown_incident.to_owned());
                None
            }
        },
    };
    if errors.is_empty() {
        match mamori_store::access_log::note_finding(
            &state.store,
            grant,
            month,
            &form.key,
            note,
            incident,
            state.clock.now(),
        )
        .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/logs?month={month}&done=saved")).into_response());
            }
            Err(mamori_store::Error::Unknown(_)) => {
                errors.push(chrome.k.logs_unknown_incident.to_owned());
            }
            Err(mamori_store::Error::Conflict(_)) => {
                errors.push(chrome.k.logs_already_noted.to_owned());
            }
            Err(error) => return Err(error.into()),
        }
    }
    review_page(
        &state,
        &chrome,
        grant,
        principal,
        month,
        Shown {
            errors,
            ..Shown::default()
        },
    )
    .await
}

/// What is wrong with a note (sign-off or finding), if anything: empty,
/// too long, or holding control characters other than line breaks and tabs.
fn note_problem(field: &'static str, note: &str) -> Option<mamori_domain::ParseError> {
    use mamori_domain::{ParseError, ParseErrorKind};
    if note.is_empty() {
        Some(ParseError::new(field, ParseErrorKind::Empty))
    } else if note.chars().count() > MAX_NOTE {
        Some(ParseError::new(
            field,
            ParseErrorKind::TooLong { max: MAX_NOTE },
        ))
    } else if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Some(ParseError::new(
            field,
            ParseErrorKind::BadFormat("one or more lines without control characters"),
        ))
    } else {
        None
    }
}

/// `POST /logs/rules`: sets the review's rules, or shows every problem with
/// nothing changed.
async fn set_rules(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ReviewAccessLogs>,
    CsrfForm(form): CsrfForm<RulesForm>,
) -> Result<Response, AppError> {
    let month = Month::parse("month", &form.month).unwrap_or(Month::of(state.clock.today()));
    match Rules::parse(form.raw()) {
        Ok(rules) => {
            mamori_store::access_log::set_rules(
                &state.store,
                &authorized.grant,
                &rules,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to(&format!("/logs?month={month}&done=saved")).into_response())
        }
        Err(errors) => {
            let errors = crate::i18n::describe_all(&errors, chrome.locale);
            review_page(
                &state,
                &chrome,
                &authorized.grant,
                &authorized.user.principal,
                month,
                Shown {
                    rules: Some((form, errors)),
                    ..Shown::default()
                },
            )
            .await
        }
    }
}

/// The search form as in the address bar.
#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
#[serde(default)]
struct SearchQuery {
    user: String,
    address: String,
    patient: String,
    device: String,
    from: String,
    to: String,
}

impl SearchQuery {
    fn is_empty(&self) -> bool {
        [
            &self.user,
            &self.address,
            &self.patient,
            &self.device,
            &self.from,
            &self.to,
        ]
        .iter()
        .all(|field| field.trim().is_empty())
    }

    /// The search, or the fields that cannot be read.
    fn parse(&self, chrome: &Chrome) -> Result<Search, Vec<String>> {
        let text = |value: &str| {
            let value = value.trim();
            (!value.is_empty()).then(|| value.chars().take(200).collect::<String>())
        };
        let mut errors = Vec::new();
        let mut day = |field: &'static str, value: &str, end: bool| -> Option<Timestamp> {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            match mamori_domain::calendar::parse_date_ja(field, value) {
                Ok(None) => None,
                Ok(Some(date)) => {
                    let date: Date = if end {
                        date.tomorrow().unwrap_or(date)
                    } else {
                        date
                    };
                    crate::tokyo()
                        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                        .ok()
                }
                Err(error) => {
                    errors.push(crate::i18n::describe(&error, chrome.locale));
                    None
                }
            }
        };
        let from = day("from", &self.from, false);
        let to = day("to", &self.to, true);
        let address = text(&self.address);
        if let Some(address) = &address
            && address.parse::<std::net::IpAddr>().is_err()
        {
            errors.push(crate::i18n::describe(
                &mamori_domain::ParseError::new(
                    "source_address",
                    mamori_domain::ParseErrorKind::BadFormat("an IP address such as 192.0.2.1"),
                ),
                chrome.locale,
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Search {
            user: text(&self.user),
            source_address: address,
            patient_id: text(&self.patient),
            device: text(&self.device),
            from,
            to,
        })
    }

    /// The same search as the CSV download's address.
    fn csv_href(&self) -> String {
        let query = serde_html_form::to_string(self).unwrap_or_default();
        format!("/logs/search.csv?{query}")
    }
}

struct EventRow {
    time: String,
    source: String,
    host: String,
    user: String,
    address: String,
    action: String,
    outcome: &'static str,
    failure: bool,
    patient: String,
}

#[derive(Template)]
#[template(path = "logs/search.html")]
struct SearchPage {
    chrome: Chrome,
    query: SearchQuery,
    searched: bool,
    events: Vec<EventRow>,
    /// Entries in the log not yet in the index, said when there are some.
    indexing: Option<String>,
    limited: String,
    csv: String,
    errors: Vec<String>,
}

/// `n` with its thousands separated by commas, as both locales write a count.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn action_label(locale: Locale, code: &str) -> String {
    let (ja, en) = match code {
        "sign_in" => ("ログイン", "Sign-in"),
        "sign_out" => ("ログアウト", "Sign-out"),
        "session_opened" => ("セッション開始", "Session opened"),
        "session_closed" => ("セッション終了", "Session closed"),
        "account_created" => ("アカウント作成", "Account created"),
        "account_enabled" => ("アカウント有効化", "Account enabled"),
        "account_disabled" => ("アカウント無効化", "Account disabled"),
        "account_deleted" => ("アカウント削除", "Account deleted"),
        "account_locked" => ("アカウントロック", "Account locked"),
        "account_unlocked" => ("ロック解除", "Account unlocked"),
        "password_changed" => ("パスワード変更", "Password changed"),
        "vpn_connect" => ("VPN接続", "VPN connect"),
        "vpn_disconnect" => ("VPN切断", "VPN disconnect"),
        other => return other.strip_prefix("other:").unwrap_or(other).to_owned(),
    };
    locale.pick(ja, en).to_owned()
}

fn outcome_label(locale: Locale, code: &str) -> &'static str {
    match code {
        "success" => locale.pick("成功", "Success"),
        "failure" => locale.pick("失敗", "Failure"),
        _ => locale.pick("不明", "Unknown"),
    }
}

fn event_row(chrome: &Chrome, found: &FoundEvent) -> EventRow {
    let row = &found.row;
    EventRow {
        time: when(chrome, row.occurred_at),
        source: found.source.clone().unwrap_or_default(),
        host: row.host.clone().unwrap_or_default(),
        user: row.user.clone().unwrap_or_default(),
        address: row.source_address.clone().unwrap_or_default(),
        action: action_label(chrome.locale, &row.action),
        outcome: outcome_label(chrome.locale, row.outcome),
        failure: row.outcome == "failure",
        patient: row.patient_id.clone().unwrap_or_default(),
    }
}

/// `GET /logs/search?user=…&address=…&patient=…&device=…&from=…&to=…`.
async fn search(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewAccessLogs>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let searched = !query.is_empty();
    let (events, errors) = if searched {
        match query.parse(&chrome) {
            Ok(search) => (
                mamori_store::access_log::search(&state.store, &authorized.grant, &search, SHOWN)
                    .await?
                    .iter()
                    .map(|found| event_row(&chrome, found))
                    .collect(),
                Vec::new(),
            ),
            Err(errors) => (Vec::new(), errors),
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let backlog = state
        .access_logs
        .backlog(authorized.grant.institution_id())
        .await;
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &SearchPage {
            indexing: (backlog > 0)
                .then(|| crate::i18n::fill(chrome.k.logs_indexing, &[&grouped(backlog)])),
            limited: crate::i18n::fill(chrome.k.logs_limited, &[&SHOWN]),
            csv: query.csv_href(),
            chrome: chrome.clone(),
            query,
            searched,
            events,
            errors,
        },
    )
}

/// `GET /logs/search.csv?…`: the same search as a CSV file (UTF-8 with BOM),
/// recorded in the audit trail.
async fn export(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewAccessLogs>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let search = query
        .parse(&chrome)
        .map_err(|errors| AppError::bad_request(chrome.locale, errors.join(" ")))?;
    let found =
        mamori_store::access_log::search(&state.store, &authorized.grant, &search, EXPORTED)
            .await?;
    let ja = chrome.in_japanese();
    let headers = vec![
        "番号",
        "日時",
        "収集元",
        "ホスト",
        "ユーザー",
        "接続元",
        "操作",
        "結果",
        "患者ID",
    ];
    let rows: Vec<Vec<String>> = found
        .iter()
        .map(|found| {
            let row = event_row(&ja, found);
            let exact = found
                .row
                .occurred_at
                .to_zoned_datetime(crate::tokyo())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string();
            vec![
                found.row.seq.to_string(),
                exact,
                row.source,
                row.host,
                row.user,
                row.address,
                row.action,
                row.outcome.to_owned(),
                row.patient,
            ]
        })
        .collect();
    let bytes = write_csv(&headers, &rows, TextEncoding::Utf8)
        .map_err(|error| AppError::Unexpected(format!("{error:?}")))?;
    mamori_store::access_log::record_export(
        &state.store,
        &authorized.grant,
        &search,
        rows.len(),
        state.clock.now(),
    )
    .await?;
    Ok(crate::ledger::export::download(
        "access-log",
        "アクセスログ",
        "csv",
        "text/csv; charset=UTF-8",
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_their_thousands_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(160_000), "160,000");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }
}
