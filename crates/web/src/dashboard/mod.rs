//! The dashboard: today in 西暦 and 和暦, the fiscal year, and 次にやること.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use mamori_domain::calendar::FiscalYear;
use mamori_domain::dashboard::{DashboardFacts, NextStep, TimeSync, next_steps};
use mamori_domain::institution::permissions;

use crate::auth::Authorized;
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
    steps: Vec<&'static str>,
    time_sync_ok: bool,
    time_sync_text: String,
    break_glass_uses: Vec<BreakGlassRow>,
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
    let facts = DashboardFacts {
        n_active_users,
        days_since_details_changed,
    };
    let t = chrome.t;
    let steps = next_steps(facts)
        .into_iter()
        .map(|step| match step {
            NextStep::AddUsers => t.next_add_users,
            NextStep::CheckInstitutionDetails => t.next_check_institution,
            NextStep::AnswerChecklist => t.next_checklist,
        })
        .collect();
    let fiscal_year = FiscalYear::containing(today);
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
    chrome.render(&DashboardPage {
        break_glass_uses,
        time_sync_ok,
        time_sync_text,
        chrome: chrome.clone(),
        institution_name: institution.details.name().to_owned(),
        today,
        fiscal_year_label,
        fiscal_year_end: fiscal_year.last_day(),
        steps,
    })
}
