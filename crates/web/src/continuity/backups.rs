//! The backup register (`/ledger/backups`): one line per system with its
//! flags and next restore test, a line's page with its restore tests (and,
//! for mamori's own line, the runs of the scheduled backup), and the register's
//! box beside the checklist's backup item.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::checklist::accept_upload;
use mamori_domain::institution::{Grant, Permission, permissions};
use mamori_domain::ledger::{
    BACKUP_ITEM_KEYS, BackupContradiction, BackupFacts, BackupFlag, BackupFrequency, BackupMethod,
    BackupPlanId, DeviceStatus, NewBackupPlan, RawBackupPlan, RawRestoreTest, RestoreDue,
    RestoreOutcome, RestoreTestId, backup_contradictions, backup_flags, parse_backup_plan,
    parse_restore_test, restore_due,
};
use mamori_store::backup_register::{StoredPlan, UploadedFile};
use sha2::Digest;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{ContinuityText, describe, fill};
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// A register line's id from the path (`{id}`).
pub(super) struct PlanPath(BackupPlanId);

impl<S: Send + Sync> FromRequestParts<S> for PlanPath {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(BackupPlanId::from_db(
            crate::page::path_id(parts, "id").await?,
        )))
    }
}

/// A restore test's id from the path (`{test}`).
pub(super) struct TestPath(RestoreTestId);

impl<S: Send + Sync> FromRequestParts<S> for TestPath {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(RestoreTestId::from_db(
            crate::page::path_id(parts, "test").await?,
        )))
    }
}

/// The register form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct PlanForm {
    system: String,
    asset_number: String,
    data: String,
    method: String,
    frequency: String,
    generations: String,
    offline_copy: String,
    location: String,
    responsible: String,
    last_success: String,
    note: String,
}

impl PlanForm {
    fn raw(&self) -> RawBackupPlan<'_> {
        RawBackupPlan {
            system: &self.system,
            asset_number: &self.asset_number,
            data: &self.data,
            method: &self.method,
            frequency: &self.frequency,
            generations: &self.generations,
            offline_copy: &self.offline_copy,
            location: &self.location,
            responsible: &self.responsible,
            last_success: &self.last_success,
            note: &self.note,
        }
    }

    fn of(plan: &NewBackupPlan) -> Self {
        Self {
            system: plan.system.clone(),
            asset_number: plan.asset_number.clone().unwrap_or_default(),
            data: plan.data.clone(),
            method: plan.method.code().to_owned(),
            frequency: plan.frequency.code().to_owned(),
            generations: plan.generations.to_string(),
            offline_copy: match plan.offline_copy {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            }
            .to_owned(),
            location: plan.location.clone(),
            responsible: plan.responsible.clone(),
            last_success: plan
                .last_success
                .map(|day| day.to_string())
                .unwrap_or_default(),
            note: plan.note.clone(),
        }
    }
}

/// What the form's selects offer: (value, label, selected).
struct PlanChoices {
    devices: Vec<(String, String, bool)>,
    methods: Vec<(&'static str, &'static str, bool)>,
    frequencies: Vec<(&'static str, &'static str, bool)>,
    offline: Vec<(&'static str, &'static str, bool)>,
}

async fn plan_choices(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    form: &PlanForm,
) -> Result<PlanChoices, AppError> {
    let k = chrome.k;
    let mut devices = vec![(
        String::new(),
        k.device_none.to_owned(),
        form.asset_number.is_empty(),
    )];
    for device in mamori_store::device::all(&state.store, grant).await? {
        let device = device.device;
        if device.status == DeviceStatus::Disposed {
            continue;
        }
        let kind = chrome
            .locale
            .pick(device.kind.name_ja(), device.kind.name_en());
        let label = if device.maker_model.is_empty() {
            format!("{} ({kind})", device.asset_number)
        } else {
            format!("{} ({kind}, {})", device.asset_number, device.maker_model)
        };
        let selected = device.asset_number == form.asset_number;
        devices.push((device.asset_number, label, selected));
    }
    let pick = |ja, en| chrome.locale.pick(ja, en);
    Ok(PlanChoices {
        devices,
        methods: BackupMethod::ALL
            .iter()
            .map(|m| {
                (
                    m.code(),
                    pick(m.name_ja(), m.name_en()),
                    m.code() == form.method,
                )
            })
            .collect(),
        frequencies: BackupFrequency::ALL
            .iter()
            .map(|f| {
                (
                    f.code(),
                    pick(f.name_ja(), f.name_en()),
                    f.code() == form.frequency,
                )
            })
            .collect(),
        offline: [("", k.unknown), ("yes", k.yes), ("no", k.no)]
            .into_iter()
            .map(|(value, label)| (value, label, value == form.offline_copy))
            .collect(),
    })
}

/// One line as the register shows it.
struct PlanRow {
    href: String,
    own: bool,
    system: String,
    asset_number: String,
    data: String,
    method: &'static str,
    frequency: &'static str,
    generations: u16,
    offline: &'static str,
    location: String,
    responsible: String,
    last_success: String,
    last_test: String,
    next_test: String,
    /// Whether the next restore test is due now or soon.
    test_due: bool,
    flags: Vec<String>,
    note: String,
}

fn flag_text(k: &ContinuityText, flag: BackupFlag) -> String {
    match flag {
        BackupFlag::LastTestFailed => k.flag_failed.to_owned(),
        BackupFlag::NoOfflineCopy => k.flag_offline.to_owned(),
        BackupFlag::FewGenerations(n) => fill(k.flag_generations, &[&n]),
        BackupFlag::NoRecentRestoreTest => k.flag_no_test.to_owned(),
    }
}

fn plan_row(chrome: &Chrome, stored: &StoredPlan, today: jiff::civil::Date) -> PlanRow {
    let k = chrome.k;
    let plan = &stored.plan;
    let pick = |ja, en| chrome.locale.pick(ja, en);
    let due = restore_due(stored.last_test.map(|(day, _)| day), today);
    let next_test = match due {
        RestoreDue::NeverTested => k.never_tested.to_owned(),
        RestoreDue::Overdue(day) => fill(k.due_now, &[&chrome.date(&day)]),
        RestoreDue::Soon(day) | RestoreDue::Later(day) => fill(k.due_soon, &[&chrome.date(&day)]),
    };
    PlanRow {
        href: format!("/ledger/backups/{}", stored.id),
        own: stored.own,
        system: if stored.own {
            format!("{} ({})", plan.system, k.own_system)
        } else {
            plan.system.clone()
        },
        asset_number: plan.asset_number.clone().unwrap_or_default(),
        data: plan.data.clone(),
        method: pick(plan.method.name_ja(), plan.method.name_en()),
        frequency: pick(plan.frequency.name_ja(), plan.frequency.name_en()),
        generations: plan.generations,
        offline: match plan.offline_copy {
            Some(true) => k.yes,
            Some(false) => k.no,
            None => k.unknown,
        },
        location: plan.location.clone(),
        responsible: plan.responsible.clone(),
        last_success: plan
            .last_success
            .map(|day| chrome.date(&day))
            .unwrap_or_else(|| chrome.l.no_record.to_owned()),
        last_test: match stored.last_test {
            Some((day, outcome)) => format!(
                "{} {}",
                chrome.date(&day),
                pick(outcome.name_ja(), outcome.name_en())
            ),
            None => k.never_tested.to_owned(),
        },
        next_test,
        test_due: due.needs_reminder(),
        flags: backup_flags(plan, stored.last_test, today)
            .into_iter()
            .map(|flag| flag_text(k, flag))
            .collect(),
        note: plan.note.clone(),
    }
}

#[derive(Template)]
#[template(path = "continuity/backups.html")]
struct RegisterPage {
    chrome: Chrome,
    rows: Vec<PlanRow>,
    can_edit: bool,
    form: PlanForm,
    choices: PlanChoices,
    errors: Vec<String>,
}

async fn register_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewLedger>,
    form: PlanForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let rows = mamori_store::backup_register::list(&state.store, &authorized.grant)
        .await?
        .iter()
        .map(|stored| plan_row(chrome, stored, today))
        .collect();
    let choices = plan_choices(state, chrome, &authorized.grant, &form).await?;
    chrome.render_with_status(
        crate::page::form_status(&errors),
        &RegisterPage {
            chrome: chrome.clone(),
            rows,
            can_edit: authorized.user.principal.role().has(Permission::EditLedger),
            form,
            choices,
            errors,
        },
    )
}

/// `GET /ledger/backups`.
pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let form = PlanForm {
        generations: "3".to_owned(),
        ..PlanForm::default()
    };
    register_page(&state, &chrome, &authorized, form, Vec::new()).await
}

/// The form's problems in the request's language; an unknown 管理番号 is one of them.
fn plan_errors(
    chrome: &Chrome,
    result: Result<(), mamori_store::Error>,
) -> Result<Vec<String>, AppError> {
    match result {
        Ok(()) => Ok(Vec::new()),
        Err(mamori_store::Error::NotFound) => Ok(vec![chrome.k.error_unknown_device.to_owned()]),
        Err(error) => Err(error.into()),
    }
}

/// `POST /ledger/backups`: adds a line, or shows every problem of the form at once.
pub(super) async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> Result<Response, AppError> {
    let view = crate::ledger::viewing(&authorized)?;
    let plan = match parse_backup_plan(form.raw(), state.clock.today()) {
        Ok(plan) => plan,
        Err(errors) => {
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            return register_page(&state, &chrome, &view, form, errors).await;
        }
    };
    let added = mamori_store::backup_register::add_plan(
        &state.store,
        &authorized.grant,
        &plan,
        state.clock.now(),
    )
    .await;
    match added {
        Ok(id) => Ok(Redirect::to(&format!("/ledger/backups/{id}?done=saved")).into_response()),
        Err(error) => {
            let errors = plan_errors(&chrome, Err(error))?;
            register_page(&state, &chrome, &view, form, errors).await
        }
    }
}

/// One restore test as the line's page shows it.
struct TestRow {
    tested_on: String,
    restored: String,
    minutes: u32,
    outcome: &'static str,
    failed: bool,
    performed_by: String,
    note: String,
    /// (link, name, SHA-256) of its evidence file.
    evidence: Option<(String, String, String)>,
    recorded_by: String,
}

/// One run of mamori's own backup as the line's page shows it.
struct RunRow {
    when: String,
    ok: bool,
    file_name: String,
    bytes: i64,
    message: String,
}

/// The restore-test form as posted (multipart: it may carry a file).
#[derive(Debug, Default, Clone)]
struct TestForm {
    tested_on: String,
    restored: String,
    minutes: String,
    outcome: String,
    performed_by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "continuity/backup.html")]
struct PlanPage {
    chrome: Chrome,
    id: BackupPlanId,
    row: PlanRow,
    tests: Vec<TestRow>,
    runs: Vec<RunRow>,
    can_edit: bool,
    form: PlanForm,
    choices: PlanChoices,
    errors: Vec<String>,
    test_form: TestForm,
    outcomes: Vec<(&'static str, &'static str, bool)>,
    test_errors: Vec<String>,
}

/// How many runs of mamori's own backup the line's page lists.
const RUNS_SHOWN: i64 = 30;

/// What a line's page shows back: nothing posted, or a form refused with its errors.
enum Posted {
    Nothing,
    Plan(PlanForm, Vec<String>),
    Test(TestForm, Vec<String>),
}

async fn plan_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewLedger>,
    id: BackupPlanId,
    posted: Posted,
) -> Result<Response, AppError> {
    let (form, errors, test_form, test_errors) = match posted {
        Posted::Nothing => (None, Vec::new(), blank_test_form(state), Vec::new()),
        Posted::Plan(form, errors) => (Some(form), errors, blank_test_form(state), Vec::new()),
        Posted::Test(form, errors) => (None, Vec::new(), form, errors),
    };
    let grant = &authorized.grant;
    let stored = mamori_store::backup_register::get(&state.store, grant, id).await?;
    let pick = |ja, en| chrome.locale.pick(ja, en);
    let tests = mamori_store::backup_register::tests(&state.store, grant, id)
        .await?
        .into_iter()
        .map(|stored_test| {
            let test = stored_test.test;
            TestRow {
                tested_on: chrome.date(&test.tested_on),
                restored: test.restored,
                minutes: test.minutes,
                outcome: pick(test.outcome.name_ja(), test.outcome.name_en()),
                failed: test.outcome != RestoreOutcome::Success,
                performed_by: test.performed_by,
                note: test.note,
                evidence: stored_test.evidence.map(|(name, sha256)| {
                    (
                        format!("/ledger/backups/{id}/tests/{}/evidence", stored_test.id),
                        name,
                        sha256,
                    )
                }),
                recorded_by: stored_test.recorded_by,
            }
        })
        .collect();
    let runs = if stored.own {
        mamori_store::backup_register::runs(&state.store, grant, id, RUNS_SHOWN)
            .await?
            .into_iter()
            .map(|run| {
                let zoned = run.finished_at.to_zoned_datetime(crate::tokyo());
                RunRow {
                    when: format!("{} {}", chrome.date(&zoned.date()), zoned.strftime("%H:%M")),
                    ok: run.ok,
                    file_name: run.file_name,
                    bytes: run.bytes,
                    message: run.message,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let form = form.unwrap_or_else(|| PlanForm::of(&stored.plan));
    let choices = plan_choices(state, chrome, grant, &form).await?;
    let outcomes = RestoreOutcome::ALL
        .iter()
        .map(|o| {
            (
                o.code(),
                pick(o.name_ja(), o.name_en()),
                o.code() == test_form.outcome,
            )
        })
        .collect();
    let status = if errors.is_empty() && test_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    chrome.render_with_status(
        status,
        &PlanPage {
            chrome: chrome.clone(),
            id,
            row: plan_row(chrome, &stored, state.clock.today()),
            tests,
            runs,
            can_edit: authorized.user.principal.role().has(Permission::EditLedger),
            form,
            choices,
            errors,
            test_form,
            outcomes,
            test_errors,
        },
    )
}

fn blank_test_form(state: &AppState) -> TestForm {
    TestForm {
        tested_on: state.clock.today().to_string(),
        ..TestForm::default()
    }
}

/// `GET /ledger/backups/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    PlanPath(id): PlanPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    plan_page(&state, &chrome, &authorized, id, Posted::Nothing).await
}

/// `POST /ledger/backups/{id}`: changes the line, recording before and after.
pub(super) async fn update(
    State(state): State<AppState>,
    chrome: Chrome,
    PlanPath(id): PlanPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> Result<Response, AppError> {
    let view = crate::ledger::viewing(&authorized)?;
    let plan = match parse_backup_plan(form.raw(), state.clock.today()) {
        Ok(plan) => plan,
        Err(errors) => {
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            return plan_page(&state, &chrome, &view, id, Posted::Plan(form, errors)).await;
        }
    };
    let updated = mamori_store::backup_register::update_plan(
        &state.store,
        &authorized.grant,
        id,
        &plan,
        state.clock.now(),
    )
    .await;
    // An unknown line is a 404; an unknown 管理番号 is a problem of the form.
    if let Err(mamori_store::Error::NotFound) = updated {
        mamori_store::backup_register::get(&state.store, &view.grant, id).await?;
    }
    let errors = plan_errors(&chrome, updated)?;
    if errors.is_empty() {
        Ok(Redirect::to(&format!("/ledger/backups/{id}?done=saved")).into_response())
    } else {
        plan_page(&state, &chrome, &view, id, Posted::Plan(form, errors)).await
    }
}

/// `POST /ledger/backups/{id}/tests`: records a restore test with its
/// evidence file, or shows every problem at once with nothing stored.
pub(super) async fn add_test(
    State(state): State<AppState>,
    chrome: Chrome,
    PlanPath(id): PlanPath,
    authorized: Authorized<permissions::EditLedger>,
    multipart: CsrfMultipart,
) -> Result<Response, AppError> {
    let view = crate::ledger::viewing(&authorized)?;
    let form = TestForm {
        tested_on: multipart.field("tested_on").to_owned(),
        restored: multipart.field("restored").to_owned(),
        minutes: multipart.field("minutes").to_owned(),
        outcome: multipart.field("outcome").to_owned(),
        performed_by: multipart.field("performed_by").to_owned(),
        note: multipart.field("note").to_owned(),
    };
    let parsed = parse_restore_test(
        RawRestoreTest {
            tested_on: &form.tested_on,
            restored: &form.restored,
            minutes: &form.minutes,
            outcome: &form.outcome,
            performed_by: &form.performed_by,
            note: &form.note,
        },
        state.clock.today(),
    );
    let evidence = multipart
        .files
        .iter()
        .find(|file| file.field == "evidence")
        .map(|file| {
            accept_upload("file", &file.name, &file.bytes).map(|accepted| UploadedFile {
                name: accepted.name,
                content_type: accepted.content_type.to_owned(),
                content: file.bytes.clone(),
                sha256: mamori_store::hex(&sha2::Sha256::digest(&file.bytes)),
            })
        })
        .transpose();
    let (test, evidence) = match (parsed, evidence) {
        (Ok(test), Ok(evidence)) => (test, evidence),
        (parsed, evidence) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.extend(evidence.err());
            let errors = errors.iter().map(|e| describe(e, chrome.locale)).collect();
            return plan_page(&state, &chrome, &view, id, Posted::Test(form, errors)).await;
        }
    };
    mamori_store::backup_register::add_test(
        &state.store,
        &authorized.grant,
        id,
        &test,
        evidence.as_ref(),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/ledger/backups/{id}?done=saved#tests")).into_response())
}

/// `GET /ledger/backups/{id}/tests/{test}/evidence`.
pub(super) async fn evidence(
    State(state): State<AppState>,
    PlanPath(id): PlanPath,
    TestPath(test): TestPath,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let (name, content_type, content) =
        mamori_store::backup_register::test_evidence(&state.store, &authorized.grant, id, test)
            .await?;
    Ok(crate::checklist::attachment(&name, &content_type, content))
}

/// What the register says for the dashboard: lines whose restore test is due
/// (or was never done), lines at risk, and whether mamori's own last run failed.
pub(crate) async fn dashboard_facts(
    state: &AppState,
    grant: &Grant<permissions::ViewLedger>,
) -> Result<(usize, usize, bool), AppError> {
    let today = state.clock.today();
    let plans = mamori_store::backup_register::list(&state.store, grant).await?;
    let mut due = 0;
    let mut at_risk = 0;
    let mut own_failed = false;
    for stored in &plans {
        if restore_due(stored.last_test.map(|(day, _)| day), today).needs_reminder() {
            due += 1;
        }
        if backup_flags(&stored.plan, stored.last_test, today)
            .iter()
            .any(|flag| !matches!(flag, BackupFlag::NoRecentRestoreTest))
        {
            at_risk += 1;
        }
        if stored.own {
            own_failed = mamori_store::backup_register::runs(&state.store, grant, stored.id, 1)
                .await?
                .first()
                .is_some_and(|run| !run.ok);
        }
    }
    Ok((due, at_risk, own_failed))
}

/// The register beside the checklist's backup item: what it holds, and where
/// it contradicts an はい. `None` for the other items.
pub(crate) async fn backup_box(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    key: &str,
    answered_yes: bool,
) -> Result<Option<crate::ledger::LedgerBox>, AppError> {
    if !BACKUP_ITEM_KEYS.contains(&key) {
        return Ok(None);
    }
    let today = state.clock.today();
    let plans = mamori_store::backup_register::list(&state.store, grant).await?;
    let flags: Vec<Vec<BackupFlag>> = plans
        .iter()
        .map(|stored| backup_flags(&stored.plan, stored.last_test, today))
        .collect();
    let facts = BackupFacts::of(flags.iter().map(Vec::as_slice));
    let k = chrome.k;
    let lines = vec![
        fill(
            k.box_plans,
            &[&facts.plans, &facts.no_offline_copy, &facts.few_generations],
        ),
        fill(
            k.box_tests,
            &[&facts.no_recent_test, &facts.last_test_failed],
        ),
    ];
    let warnings = if answered_yes {
        backup_contradictions(key, &facts)
            .into_iter()
            .map(|contradiction| {
                let text = match contradiction {
                    BackupContradiction::NoPlans => k.contra_no_plans.to_owned(),
                    BackupContradiction::NoOfflineCopy(n) => fill(k.contra_offline, &[&n]),
                    BackupContradiction::FewGenerations(n) => fill(k.contra_generations, &[&n]),
                    BackupContradiction::NoRecentTest(n) => fill(k.contra_no_test, &[&n]),
                    BackupContradiction::LastTestFailed(n) => fill(k.contra_failed, &[&n]),
                };
                format!("{}{text}", chrome.l.contra_yes)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some(crate::ledger::LedgerBox { lines, warnings }))
}
