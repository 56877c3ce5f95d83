//! Staff (職員), their accounts on each system with flags and deletion tasks,
//! the account inventory (棚卸), and the access-rights matrix.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::calendar::parse_date_ja;
use mamori_domain::institution::{Permission, permissions};
use mamori_domain::ledger::{
    AccessLevel, AccountFlag, InfoCategory, Job, RawAccount, account_flags, parse_account,
    parse_staff,
};
use mamori_domain::{ParseError, ParseErrorKind};
use mamori_store::staff::Account;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::page::Chrome;

use super::name_in;
use crate::{AppError, AppState};

type Choice = (&'static str, &'static str, bool);
/// One cell of the access matrix: its field name and the level choices.
type MatrixCell = (String, Vec<Choice>);

fn job_choices(chrome: &Chrome, current: &str) -> Vec<Choice> {
    let name = name_in(chrome.locale, Job::name_ja, Job::name_en);
    Job::ALL
        .iter()
        .map(|job| (job.code(), name(*job), job.code() == current))
        .collect()
}

fn messages(chrome: &Chrome, errors: &[ParseError]) -> Vec<String> {
    errors
        .iter()
        .map(|error| describe(error, chrome.locale))
        .collect()
}

/// A date typed in a small form (棚卸日, 削除日): required, not in the future.
fn past_date(
    field: &'static str,
    raw: &str,
    today: jiff::civil::Date,
) -> Result<jiff::civil::Date, ParseError> {
    match parse_date_ja(field, raw)? {
        Some(date) if date <= today => Ok(date),
        Some(_) => Err(ParseError::new(
            field,
            ParseErrorKind::Inconsistent("the date cannot be in the future"),
        )),
        None => Err(ParseError::new(field, ParseErrorKind::Empty)),
    }
}

/// The staff form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct StaffForm {
    name: String,
    job: String,
    department: String,
    joined_on: String,
    left_on: String,
}

struct StaffRow {
    id: i64,
    name: String,
    job: &'static str,
    department: String,
    joined_on: String,
    left_on: String,
    left: bool,
}

#[derive(Template)]
#[template(path = "ledger/staff.html")]
struct StaffPage {
    chrome: Chrome,
    rows: Vec<StaffRow>,
    form: StaffForm,
    jobs: Vec<Choice>,
    errors: Vec<String>,
    can_edit: bool,
    action: String,
    editing: bool,
}

async fn staff_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewLedger>,
    form: StaffForm,
    errors: Vec<String>,
    action: String,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let rows = mamori_store::staff::list_staff(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|staff| StaffRow {
            id: staff.id,
            job: name_in(chrome.locale, Job::name_ja, Job::name_en)(staff.staff.job),
            department: staff.staff.department,
            joined_on: staff
                .staff
                .joined_on
                .map(|d| chrome.date(&d))
                .unwrap_or_default(),
            left_on: staff
                .staff
                .left_on
                .map(|d| chrome.date(&d))
                .unwrap_or_default(),
            left: staff.staff.left_on.is_some_and(|d| d <= today),
            name: staff.staff.name,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let editing = action != "/ledger/staff";
    chrome.render_with_status(
        status,
        &StaffPage {
            chrome: chrome.clone(),
            rows,
            jobs: job_choices(chrome, &form.job),
            form,
            errors,
            can_edit: authorized.user.principal.role().has(Permission::EditLedger),
            action,
            editing,
        },
    )
}

/// `GET /ledger/staff`.
pub(super) async fn list_staff(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    staff_page(
        &state,
        &chrome,
        &authorized,
        StaffForm::default(),
        Vec::new(),
        "/ledger/staff".into(),
    )
    .await
}

/// `POST /ledger/staff`.
pub(super) async fn add_staff(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> Result<Response, AppError> {
    match parse_staff(
        &form.name,
        &form.job,
        &form.department,
        &form.joined_on,
        &form.left_on,
    ) {
        Ok(staff) => {
            mamori_store::staff::add_staff(
                &state.store,
                &authorized.grant,
                &staff,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/ledger/staff?done=saved").into_response())
        }
        Err(errors) => {
            let errors = messages(&chrome, &errors);
            staff_page(
                &state,
                &chrome,
                &super::viewing(&authorized)?,
                form,
                errors,
                "/ledger/staff".into(),
            )
            .await
        }
    }
}

/// `GET /ledger/staff/{id}/edit`.
pub(super) async fn edit_staff_form(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    let staff = mamori_store::staff::get_staff(&state.store, &authorized.grant, id)
        .await?
        .staff;
    let form = StaffForm {
        name: staff.name,
        job: staff.job.code().to_owned(),
        department: staff.department,
        joined_on: staff.joined_on.map(|d| d.to_string()).unwrap_or_default(),
        left_on: staff.left_on.map(|d| d.to_string()).unwrap_or_default(),
    };
    staff_page(
        &state,
        &chrome,
        &super::viewing(&authorized)?,
        form,
        Vec::new(),
        format!("/ledger/staff/{id}/edit"),
    )
    .await
}

/// `POST /ledger/staff/{id}/edit`: recording a 退職日 opens the deletion tasks.
pub(super) async fn update_staff(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> Result<Response, AppError> {
    mamori_store::staff::get_staff(&state.store, &authorized.grant, id).await?;
    match parse_staff(
        &form.name,
        &form.job,
        &form.department,
        &form.joined_on,
        &form.left_on,
    ) {
        Ok(staff) => {
            let tasks = mamori_store::staff::update_staff(
                &state.store,
                &authorized.grant,
                id,
                &staff,
                state.clock.now(),
            )
            .await?;
            let next = if tasks > 0 {
                "/ledger/accounts"
            } else {
                "/ledger/staff"
            };
            Ok(Redirect::to(next).into_response())
        }
        Err(errors) => {
            let errors = messages(&chrome, &errors);
            staff_page(
                &state,
                &chrome,
                &super::viewing(&authorized)?,
                form,
                errors,
                format!("/ledger/staff/{id}/edit"),
            )
            .await
        }
    }
}

/// The account form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct AccountForm {
    system: String,
    login: String,
    staff_id: String,
    shared: String,
    admin: String,
    last_used_on: String,
    note: String,
}

struct AccountRow {
    id: i64,
    system: String,
    login: String,
    owner: String,
    admin: bool,
    last_used_on: String,
    deleted_on: String,
    flags: Vec<&'static str>,
    task_due: String,
    task_overdue: bool,
}

#[derive(Template)]
#[template(path = "ledger/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    rows: Vec<AccountRow>,
    staff: Vec<(i64, String, bool)>,
    form: AccountForm,
    errors: Vec<String>,
    can_edit: bool,
    n_flagged: usize,
    n_tasks: usize,
    last_inventory: Option<String>,
    today: String,
    unused_days: i32,
}

fn account_row(
    chrome: &Chrome,
    account: Account,
    today: jiff::civil::Date,
    unused_days: i32,
) -> AccountRow {
    let flags = if account.deleted_on.is_some() {
        Vec::new()
    } else {
        account_flags(
            &account.account,
            account.owner.as_ref().and_then(|(_, left)| *left),
            today,
            unused_days,
        )
        .into_iter()
        .map(name_in(
            chrome.locale,
            AccountFlag::name_ja,
            AccountFlag::name_en,
        ))
        .collect()
    };
    AccountRow {
        id: account.id,
        system: account.account.system,
        login: account.account.login,
        owner: account
            .owner
            .map(|(name, left)| match left {
                Some(left) => chrome.fill(chrome.l.owner_left, name, chrome.date(&left)),
                None => name,
            })
            .unwrap_or_else(|| {
                if account.account.shared {
                    chrome.l.shared.to_owned()
                } else {
                    "—".to_owned()
                }
            }),
        admin: account.account.admin,
        last_used_on: account
            .account
            .last_used_on
            .map(|d| chrome.date(&d))
            .unwrap_or_default(),
        deleted_on: account
            .deleted_on
            .map(|d| chrome.date(&d))
            .unwrap_or_default(),
        flags,
        task_overdue: account.task_due.is_some_and(|due| due < today),
        task_due: account
            .task_due
            .map(|d| chrome.date(&d))
            .unwrap_or_default(),
    }
}

async fn accounts_page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewLedger>,
    form: AccountForm,
    errors: Vec<String>,
    unused_days: i32,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let rows: Vec<AccountRow> = mamori_store::staff::list_accounts(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|account| account_row(chrome, account, today, unused_days))
        .collect();
    let staff = mamori_store::staff::list_staff(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|staff| {
            let selected = form.staff_id == staff.id.to_string();
            (
                staff.id,
                chrome.fill(
                    chrome.l.name_job,
                    staff.staff.name,
                    name_in(chrome.locale, Job::name_ja, Job::name_en)(staff.staff.job),
                ),
                selected,
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    chrome.render_with_status(
        status,
        &AccountsPage {
            chrome: chrome.clone(),
            n_flagged: rows.iter().filter(|row| !row.flags.is_empty()).count(),
            n_tasks: rows.iter().filter(|row| !row.task_due.is_empty()).count(),
            rows,
            staff,
            form,
            errors,
            can_edit: authorized.user.principal.role().has(Permission::EditLedger),
            last_inventory: mamori_store::staff::last_inventory(&state.store, &authorized.grant)
                .await?
                .map(|(day, who)| chrome.fill(chrome.l.date_by, chrome.date(&day), who)),
            today: today.to_string(),
            unused_days,
        },
    )
}

/// `GET /ledger/accounts`.
pub(super) async fn list_accounts(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    axum::extract::Query(query): axum::extract::Query<UnusedQuery>,
) -> Result<Response, AppError> {
    let (unused_days, errors) = match mamori_domain::ledger::parse_unused_days(&query.unused_days) {
        Ok(days) => (days, Vec::new()),
        Err(error) => (
            mamori_domain::ledger::UNUSED_DAYS,
            vec![describe(&error, chrome.locale)],
        ),
    };
    accounts_page(
        &state,
        &chrome,
        &authorized,
        AccountForm::default(),
        errors,
        unused_days,
    )
    .await
}

/// The accounts page's threshold for "unused".
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct UnusedQuery {
    unused_days: String,
}

/// `POST /ledger/accounts`.
pub(super) async fn add_account(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<AccountForm>,
) -> Result<Response, AppError> {
    let raw = RawAccount {
        system: &form.system,
        login: &form.login,
        staff_id: &form.staff_id,
        shared: !form.shared.is_empty(),
        admin: !form.admin.is_empty(),
        last_used_on: &form.last_used_on,
        note: &form.note,
    };
    let view = super::viewing(&authorized)?;
    let account = match parse_account(&raw, state.clock.today()) {
        Ok(account) => account,
        Err(errors) => {
            let errors = messages(&chrome, &errors);
            return accounts_page(
                &state,
                &chrome,
                &view,
                form,
                errors,
                mamori_domain::ledger::UNUSED_DAYS,
            )
            .await;
        }
    };
    match mamori_store::staff::add_account(
        &state.store,
        &authorized.grant,
        &account,
        state.clock.now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/ledger/accounts?done=saved").into_response()),
        Err(mamori_store::Error::Conflict("staff_id")) => {
            let errors = vec![chrome.l.error_unknown_staff.to_owned()];
            accounts_page(
                &state,
                &chrome,
                &view,
                form,
                errors,
                mamori_domain::ledger::UNUSED_DAYS,
            )
            .await
        }
        Err(mamori_store::Error::Conflict(_)) => {
            let errors = vec![chrome.l.error_account_taken.to_owned()];
            accounts_page(
                &state,
                &chrome,
                &view,
                form,
                errors,
                mamori_domain::ledger::UNUSED_DAYS,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

/// A form with one date.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct DateForm {
    date: String,
    note: String,
}

/// `POST /ledger/accounts/{id}/delete`: the account was deleted on its system.
pub(super) async fn delete_account(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<DateForm>,
) -> Result<Response, AppError> {
    let listed = mamori_store::staff::list_accounts(&state.store, &authorized.grant).await?;
    if !listed.iter().any(|account| account.id == id) {
        return Err(AppError::not_found(chrome.locale));
    }
    let deleted_on = past_date("date", &form.date, state.clock.today())
        .map_err(|error| AppError::bad_request(chrome.locale, describe(&error, chrome.locale)))?;
    mamori_store::staff::delete_account(
        &state.store,
        &authorized.grant,
        id,
        deleted_on,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/ledger/accounts?done=saved").into_response())
}

/// `POST /ledger/accounts/inventory`: the account inventory (棚卸) is signed off
/// with the counts of that moment.
pub(super) async fn inventory(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<DateForm>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let reviewed_on = past_date("date", &form.date, today)
        .map_err(|error| AppError::bad_request(chrome.locale, describe(&error, chrome.locale)))?;
    let accounts = mamori_store::staff::list_accounts(&state.store, &authorized.grant).await?;
    let active: Vec<&Account> = accounts.iter().filter(|a| a.deleted_on.is_none()).collect();
    let flagged = active
        .iter()
        .filter(|a| {
            !account_flags(
                &a.account,
                a.owner.as_ref().and_then(|(_, left)| *left),
                today,
                mamori_domain::ledger::UNUSED_DAYS,
            )
            .is_empty()
        })
        .count();
    let counts = serde_json::json!({
        "有効なアカウント": active.len(),
        "要確認": flagged,
        "管理者権限": active.iter().filter(|a| a.account.admin).count(),
    });
    let note = mamori_domain::error::short_note(&form.note, 200);
    mamori_store::staff::record_inventory(
        &state.store,
        &authorized.grant,
        reviewed_on,
        &note,
        counts,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/ledger/accounts?done=saved").into_response())
}

#[derive(Template)]
#[template(path = "ledger/access.html")]
struct AccessPage {
    chrome: Chrome,
    categories: Vec<&'static str>,
    /// Per 職種: name, and per 情報区分 the (field name, choices).
    rows: Vec<(&'static str, Vec<MatrixCell>)>,
    admins: Vec<(String, String, String)>,
    can_edit: bool,
    is_set: bool,
}

/// `GET /ledger/access`: the matrix 職種 × 情報区分, and who holds 管理者権限.
pub(super) async fn access(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let rules = mamori_store::staff::access_rules(&state.store, &authorized.grant).await?;
    let level_of = |job: Job, category: InfoCategory| {
        rules
            .iter()
            .find(|(j, c, _)| *j == job && *c == category)
            .map_or(AccessLevel::None, |(_, _, level)| *level)
    };
    let rows = Job::ALL
        .iter()
        .map(|job| {
            let cells = InfoCategory::ALL
                .iter()
                .map(|category| {
                    let current = level_of(*job, *category);
                    let choices = AccessLevel::ALL
                        .iter()
                        .map(|level| {
                            (
                                level.code(),
                                name_in(chrome.locale, AccessLevel::name_ja, AccessLevel::name_en)(
                                    *level,
                                ),
                                *level == current,
                            )
                        })
                        .collect();
                    (format!("{}.{}", job.code(), category.code()), choices)
                })
                .collect();
            (
                name_in(chrome.locale, Job::name_ja, Job::name_en)(*job),
                cells,
            )
        })
        .collect();
    let admins = mamori_store::staff::list_accounts(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .filter(|account| account.account.admin && account.deleted_on.is_none())
        .map(|account| {
            (
                account.account.system,
                account.account.login,
                account
                    .owner
                    .map(|(name, _)| name)
                    .unwrap_or_else(|| "—".to_owned()),
            )
        })
        .collect();
    chrome.render(&AccessPage {
        chrome: chrome.clone(),
        categories: InfoCategory::ALL
            .iter()
            .map(|c| name_in(chrome.locale, InfoCategory::name_ja, InfoCategory::name_en)(*c))
            .collect(),
        rows,
        admins,
        can_edit: authorized.user.principal.role().has(Permission::EditLedger),
        is_set: !rules.is_empty(),
    })
}

/// `POST /ledger/access`: the whole matrix; a cell named wrongly or with an
/// unknown level refuses the whole form.
pub(super) async fn save_access(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let mut rules = Vec::new();
    for (name, value) in &form {
        if name == "csrf" {
            continue;
        }
        let parsed = name.split_once('.').and_then(|(job, category)| {
            Some((
                Job::parse("job", job).ok()?,
                InfoCategory::parse("category", category).ok()?,
                AccessLevel::parse("level", value).ok()?,
            ))
        });
        match parsed {
            Some((_, _, AccessLevel::None)) => {}
            Some(rule) => rules.push(rule),
            None => {
                return Err(AppError::bad_request(
                    chrome.locale,
                    chrome.fill(chrome.l.error_access_value, name, ""),
                ));
            }
        }
    }
    rules.sort();
    if rules
        .windows(2)
        .any(|pair| pair[0].0 == pair[1].0 && pair[0].1 == pair[1].1)
    {
        return Err(AppError::bad_request(
            chrome.locale,
            chrome.l.error_access_twice,
        ));
    }
    mamori_store::staff::set_access_rules(
        &state.store,
        &authorized.grant,
        &rules,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/ledger/access?done=saved").into_response())
}

/// The active accounts as a sheet, with each owner's name.
async fn account_sheet(
    state: &AppState,
    grant: &mamori_domain::institution::Grant<permissions::ViewLedger>,
) -> Result<super::export::Sheet, AppError> {
    let rows = mamori_store::staff::list_accounts(&state.store, grant)
        .await?
        .iter()
        .filter(|account| account.deleted_on.is_none())
        .map(|account| {
            mamori_domain::ledger::account_row(
                &account.account,
                account.owner.as_ref().map(|(name, _)| name.as_str()),
            )
        })
        .collect();
    Ok(super::export::Sheet {
        ledger: "accounts",
        japanese: "アカウント台帳",
        headers: mamori_domain::ledger::account_headers(),
        rows,
    })
}

/// The staff as a sheet.
async fn staff_sheet(
    state: &AppState,
    grant: &mamori_domain::institution::Grant<permissions::ViewLedger>,
) -> Result<super::export::Sheet, AppError> {
    let rows = mamori_store::staff::list_staff(&state.store, grant)
        .await?
        .iter()
        .map(|staff| mamori_domain::ledger::staff_row(&staff.staff))
        .collect();
    Ok(super::export::Sheet {
        ledger: "staff",
        japanese: "職員台帳",
        headers: mamori_domain::ledger::staff_headers(),
        rows,
    })
}

/// `GET /ledger/accounts/export.csv[?encoding=sjis]`.
pub(super) async fn export_accounts_csv(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    axum::extract::Query(query): axum::extract::Query<super::export::ExportQuery>,
) -> Result<Response, AppError> {
    let sheet = account_sheet(&state, &authorized.grant).await?;
    super::export::send(&state, &chrome, &authorized.grant, sheet, query.csv()).await
}

/// `GET /ledger/accounts/export.xlsx`.
pub(super) async fn export_accounts_xlsx(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let sheet = account_sheet(&state, &authorized.grant).await?;
    super::export::send(
        &state,
        &chrome,
        &authorized.grant,
        sheet,
        super::export::Format::Xlsx,
    )
    .await
}

/// `GET /ledger/accounts/print.pdf`: the active accounts on A4 landscape pages.
pub(super) async fn print_accounts_pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    axum::extract::Query(query): axum::extract::Query<super::export::PrintQuery>,
) -> Result<Response, AppError> {
    let sheet = account_sheet(&state, &authorized.grant).await?;
    let footer = vec!["削除を記録したアカウントは載りません（履歴に残ります）。".to_owned()];
    super::export::send_pdf(
        &state,
        &chrome,
        &authorized.grant,
        sheet,
        &query,
        Vec::new(),
        footer,
    )
    .await
}

/// `GET /ledger/staff/print.pdf`: the staff on A4 landscape pages.
pub(super) async fn print_staff_pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    axum::extract::Query(query): axum::extract::Query<super::export::PrintQuery>,
) -> Result<Response, AppError> {
    let sheet = staff_sheet(&state, &authorized.grant).await?;
    super::export::send_pdf(
        &state,
        &chrome,
        &authorized.grant,
        sheet,
        &query,
        Vec::new(),
        Vec::new(),
    )
    .await
}

/// `GET /ledger/staff/export.csv[?encoding=sjis]`.
pub(super) async fn export_staff_csv(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
    axum::extract::Query(query): axum::extract::Query<super::export::ExportQuery>,
) -> Result<Response, AppError> {
    let sheet = staff_sheet(&state, &authorized.grant).await?;
    super::export::send(&state, &chrome, &authorized.grant, sheet, query.csv()).await
}

/// `GET /ledger/staff/export.xlsx`.
pub(super) async fn export_staff_xlsx(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let sheet = staff_sheet(&state, &authorized.grant).await?;
    super::export::send(
        &state,
        &chrome,
        &authorized.grant,
        sheet,
        super::export::Format::Xlsx,
    )
    .await
}
