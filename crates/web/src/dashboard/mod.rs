//! The dashboard: today in 西暦 and 和暦, the fiscal year, and 次にやること.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{item_state, open_items};
use mamori_domain::dashboard::{
    ChecklistFacts, DashboardFacts, NextStep, PolicyFacts, TimeSync, next_steps,
};
use mamori_domain::institution::permissions;

use crate::auth::Authorized;
use crate::i18n::counted;
use crate::page::Chrome;
use crate::{AppError, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(show))
}

#[derive(Template)]
#[template(path = "dashboard/show.html")]
struct DashboardPage {
    chrome: Chrome,
    institution_name: String,
    today: jiff::civil::Date,
    fiscal_year_label: String,
    fiscal_year_end: jiff::civil::Date,
    /// Each step with the page where it is done.
    /// The schedule's next two weeks (and what is overdue).
    soon: Vec<crate::calendar::DueRow>,
    /// Reminder e-mails whose last try failed: (to, day, error, tries).
    mail_failures: Vec<(String, String, String, i64)>,
    steps: Vec<(String, String)>,
    checklist: Option<ChecklistSummary>,
    time_sync_ok: bool,
    time_sync_text: String,
    break_glass_uses: Vec<BreakGlassRow>,
    /// The PPC deadlines of open incidents (not drills).
    ppc_deadlines: Vec<crate::incident::DeadlineRow>,
    /// 再発防止策 not yet done.
    tasks: Vec<crate::incident::TaskView>,
}

/// This 年度's checklist as the dashboard shows it: progress and the first open items.
struct ChecklistSummary {
    href: String,
    started: bool,
    complete: usize,
    total: usize,
    /// (link, label, official wording, state class, state text), most urgent first.
    first_open: Vec<(String, String, String, &'static str, String)>,
    /// The earlier year whose form is used, while this year's official form
    /// is not in mamori yet.
    earlier_form: Option<String>,
}

/// How many open items the dashboard lists; the overview has the rest.
const DASHBOARD_OPEN_ITEMS: usize = 3;

/// This 年度's checklist for the dashboard, when the person may read checklists.
async fn checklist_summary(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewDashboard>,
    kind: mamori_domain::institution::InstitutionKind,
    year: FiscalYear,
) -> Result<Option<(ChecklistFacts, ChecklistSummary)>, AppError> {
    let Some(grant) = authorized
        .user
        .principal
        .grant::<permissions::ViewChecklist>()
    else {
        return Ok(None);
    };
    let form = crate::checklist::institution_form(kind);
    let catalogs = crate::checklist::catalogs_for(state, grant.principal()).await?;
    let Some(catalog) = catalogs.for_year(form, year) else {
        return Ok(None);
    };
    let href = format!("/checklist/{}/{}", form.code(), year);
    let earlier_form = chrome.earlier_form(catalog, year);
    let assessment = mamori_store::checklist::assessment(&state.store, &grant, form, year).await?;
    let Some(assessment) = assessment else {
        let summary = ChecklistSummary {
            href,
            started: false,
            complete: 0,
            total: catalog.items.len(),
            first_open: Vec::new(),
            earlier_form,
        };
        return Ok(Some((ChecklistFacts::default(), summary)));
    };
    let today = state.clock.today();
    let record = |key: &str| assessment.answers.get(key).map(|answer| &answer.record);
    let not_in_use = assessment.system_in_use.is_some_and(|(in_use, _)| !in_use);
    let open = if not_in_use {
        Vec::new()
    } else {
        open_items(catalog, record, year, today)
    };
    let overdue = open
        .iter()
        .filter(|(_, item_state)| {
            matches!(
                item_state,
                mamori_domain::checklist::ItemState::Overdue { .. }
            )
        })
        .count();
    let complete = catalog
        .items
        .iter()
        .filter(|item| not_in_use || item_state(item, record(&item.key), year, today).is_complete())
        .count();
    let first_open = open
        .iter()
        .take(DASHBOARD_OPEN_ITEMS)
        .map(|(item, item_state)| {
            let (class, text) = crate::checklist::describe_state(chrome, *item_state);
            (
                format!("{href}/items/{}", item.key),
                crate::checklist::item_label(chrome.locale, catalog, item),
                item.text.clone(),
                class,
                text,
            )
        })
        .collect();
    let facts = ChecklistFacts {
        started: true,
        open: open.len(),
        overdue,
    };
    let summary = ChecklistSummary {
        href,
        started: true,
        complete,
        total: catalog.items.len(),
        first_open,
        earlier_form,
    };
    Ok(Some((facts, summary)))
}

/// A break-glass use as the alert shows it.
struct BreakGlassRow {
    id: i64,
    when: String,
    login_id: String,
    reason: String,
}

async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewDashboard>,
) -> Result<Response, AppError> {
    let institution = mamori_store::institution::get(&state.store, &authorized.grant).await?;
    let n_active_users =
        mamori_store::institution::count_active_users(&state.store, &authorized.grant).await?;
    let today = state.clock.today();
    let days_since_details_changed =
        (state.clock.now().as_second() - institution.updated_at.as_second()) / 86_400;
    let fiscal_year = FiscalYear::containing(today);
    let checklist = checklist_summary(
        &state,
        &chrome,
        &authorized,
        institution.details.kind(),
        fiscal_year,
    )
    .await?;
    let (carry_outs_waiting, carry_outs_overdue) = match authorized
        .user
        .principal
        .grant::<permissions::ViewCarryOuts>()
    {
        Some(grant) => {
            let (waiting, overdue) =
                mamori_store::carry_out::counts(&state.store, &grant, today).await?;
            let approver = authorized
                .user
                .principal
                .role()
                .has(mamori_domain::institution::Permission::ApproveCarryOut);
            (if approver { waiting } else { 0 }, overdue)
        }
        None => (0, 0),
    };
    let (restore_tests_due, backups_at_risk, own_backup_failed) =
        match authorized.user.principal.grant::<permissions::ViewLedger>() {
            Some(grant) => crate::continuity::dashboard_facts(&state, &grant).await?,
            None => (0, 0, false),
        };
    // Those who can fix the contact chart are told what it lacks.
    let contact_chart_gaps = match (
        authorized
            .user
            .principal
            .grant::<permissions::ViewContacts>(),
        authorized
            .user
            .principal
            .role()
            .has(mamori_domain::institution::Permission::HandleIncidents),
    ) {
        (Some(grant), true) => crate::incident::contacts::chart(&state, &chrome, &grant)
            .await?
            .gaps
            .len(),
        _ => 0,
    };
    let policy = match authorized.user.principal.grant::<permissions::EditPolicy>() {
        Some(grant)
            if mamori_store::policy::versions(&state.store, &grant)
                .await?
                .is_empty() =>
        {
            Some(PolicyFacts::NotApproved)
        }
        Some(grant) => Some(PolicyFacts::Unacknowledged(
            mamori_store::policy::acknowledgements(&state.store, &grant, today)
                .await?
                .iter()
                .filter(|row| crate::policy::is_due(row, today))
                .count(),
        )),
        None => None,
    };
    let training_overdue = crate::training::overdue(&state, &authorized.user.principal).await?;
    let maintenance_reports_awaited =
        match authorized.user.principal.grant::<permissions::ViewLedger>() {
            Some(grant) => crate::ledger::remote::awaiting_reports(&state, &grant).await?,
            None => 0,
        };
    let facts = DashboardFacts {
        maintenance_reports_awaited,
        training_overdue,
        policy,
        contact_chart_gaps,
        restore_tests_due,
        backups_at_risk,
        own_backup_failed,
        n_active_users,
        days_since_details_changed,
        checklist: checklist.as_ref().map(|(facts, _)| *facts),
        carry_outs_waiting,
        carry_outs_overdue,
        leavers_accounts: match authorized.user.principal.grant::<permissions::ViewLedger>() {
            Some(grant) => {
                mamori_store::staff::open_task_counts(&state.store, &grant, today)
                    .await?
                    .1
            }
            None => 0,
        },
    };
    let t = chrome.t;
    let soon = crate::calendar::rows(
        &chrome,
        &crate::calendar::upcoming(&state, &authorized.user.principal, 14).await?,
    );
    let checklist_href = checklist
        .as_ref()
        .map_or("/checklist", |(_, summary)| summary.href.as_str());
    let steps = next_steps(facts)
        .into_iter()
        .map(|step| match step {
            NextStep::AddUsers => ("/users/new", t.next_add_users.to_owned()),
            NextStep::CheckInstitutionDetails => {
                ("/institution", t.next_check_institution.to_owned())
            }
            NextStep::StartChecklist => (checklist_href, t.next_start_checklist.to_owned()),
            NextStep::ChecklistOverdue(n) => (
                checklist_href,
                counted(t.next_checklist_overdue, t.next_checklist_overdue_one, n),
            ),
            NextStep::FinishChecklist(n) => (
                checklist_href,
                counted(t.next_checklist_open, t.next_checklist_open_one, n),
            ),
            NextStep::CarryOutsOverdue(n) => (
                "/carry-outs",
                counted(t.next_carry_outs_overdue, t.next_carry_outs_overdue_one, n),
            ),
            NextStep::DecideCarryOuts(n) => (
                "/carry-outs",
                counted(t.next_decide_carry_outs, t.next_decide_carry_outs_one, n),
            ),
            NextStep::OwnBackupFailed => ("/ledger/backups", t.next_own_backup_failed.to_owned()),
            NextStep::SecureBackups(n) => (
                "/ledger/backups",
                counted(t.next_secure_backups, t.next_secure_backups_one, n),
            ),
            NextStep::TestRestores(n) => (
                "/ledger/backups",
                counted(t.next_test_restores, t.next_test_restores_one, n),
            ),
            NextStep::CompleteContactChart(n) => (
                "/contacts",
                counted(
                    t.next_complete_contact_chart,
                    t.next_complete_contact_chart_one,
                    n,
                ),
            ),
            NextStep::CollectMaintenanceReports(n) => (
                "/ledger/remote",
                counted(
                    t.next_maintenance_reports,
                    t.next_maintenance_reports_one,
                    n,
                ),
            ),
            NextStep::TrainStaff(n) => (
                "/training",
                counted(t.next_train_staff, t.next_train_staff_one, n),
            ),
            NextStep::ApprovePolicy => ("/policy/draft", t.next_approve_policy.to_owned()),
            NextStep::AcknowledgePolicy(n) => (
                "/policy/acknowledgements",
                counted(t.next_acknowledge_policy, t.next_acknowledge_policy_one, n),
            ),
            NextStep::DeleteLeaversAccounts(n) => (
                "/ledger/accounts",
                counted(
                    t.next_delete_leavers_accounts,
                    t.next_delete_leavers_accounts_one,
                    n,
                ),
            ),
        })
        .map(|(href, text)| (href.to_owned(), text))
        .collect();
    let fiscal_year_label = match chrome.locale {
        crate::i18n::Locale::Ja => fiscal_year.label_ja(),
        crate::i18n::Locale::En => fiscal_year.label_en(),
    };
    let time_sync = state
        .time_sync
        .read()
        .map(|status| status.clone())
        .unwrap_or_default();
    let (time_sync_ok, time_sync_text) = match time_sync {
        TimeSync::Synchronised(source) => (true, format!("{} ({source})", t.time_sync_ok)),
        TimeSync::NotSynchronised(_) => (false, t.time_sync_not.to_owned()),
        TimeSync::Unknown => (false, t.time_sync_unknown.to_owned()),
    };
    // Only a 安全管理責任者 (who may edit the institution) is alerted to break-glass uses.
    let break_glass_uses = match authorized
        .user
        .principal
        .grant::<permissions::EditInstitution>()
    {
        Some(grant) => mamori_store::break_glass::unacknowledged(&state.store, &grant)
            .await?
            .into_iter()
            .map(|break_glass_use| {
                let zoned = break_glass_use.started_at.to_zoned_datetime(crate::tokyo());
                BreakGlassRow {
                    id: break_glass_use.id,
                    when: format!("{} {}", chrome.date(&zoned.date()), zoned.strftime("%H:%M")),
                    login_id: break_glass_use.login_id,
                    reason: break_glass_use.reason,
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let ppc_deadlines =
        crate::incident::dashboard_deadlines(&state, &chrome, &authorized.user.principal).await?;
    let tasks =
        crate::incident::dashboard_tasks(&state, &chrome, &authorized.user.principal).await?;
    chrome.render(&DashboardPage {
        break_glass_uses,
        ppc_deadlines,
        tasks,
        time_sync_ok,
        time_sync_text,
        chrome: chrome.clone(),
        institution_name: institution.details.name().to_owned(),
        today,
        fiscal_year_label,
        fiscal_year_end: fiscal_year.last_day(),
        steps,
        soon,
        mail_failures: match authorized
            .user
            .principal
            .grant::<permissions::ManageUsers>()
        {
            Some(grant) => mamori_store::reminder::failures(&state.store, &grant).await?,
            None => Vec::new(),
        },
        checklist: checklist.map(|(_, summary)| summary),
    })
}

#[cfg(test)]
mod tests {
    use crate::i18n::Locale;
    use crate::i18n::counted;

    #[test]
    fn one_thing_is_singular_in_english_and_the_same_in_japanese() {
        let en = Locale::En.messages();
        assert_eq!(
            counted(
                en.next_delete_leavers_accounts,
                en.next_delete_leavers_accounts_one,
                1
            ),
            "1 account of a member of staff who left waits to be deleted. Delete it on its system and record it under Accounts."
        );
        assert!(
            counted(
                en.next_delete_leavers_accounts,
                en.next_delete_leavers_accounts_one,
                2
            )
            .starts_with("2 accounts")
        );
        let ja = Locale::Ja.messages();
        assert_eq!(
            counted(ja.next_checklist_open, ja.next_checklist_open_one, 1),
            ja.next_checklist_open.replace("{n}", "1")
        );
    }
}
