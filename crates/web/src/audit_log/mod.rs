//! The audit trail page (監査証跡): who did what and when, filtered by person,
//! record and date, for the 安全管理責任者, 企画管理者 and inspectors.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use mamori_domain::institution::permissions;
use mamori_store::audit_log::{AuditEvent, AuditFilter};

use crate::auth::Authorized;
use crate::i18n::Locale;
use crate::page::Chrome;
use crate::{AppError, AppState};

const PAGE_SIZE: i64 = 100;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

/// The filter form as sent (GET).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct FilterForm {
    actor: String,
    target: String,
    from: String,
    to: String,
    page: String,
}

/// One row as shown.
struct EventRow {
    when: String,
    actor: String,
    action: &'static str,
    action_code: String,
    target: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit_log/list.html")]
struct AuditPage {
    chrome: Chrome,
    form: FilterForm,
    events: Vec<EventRow>,
    errors: Vec<String>,
    has_next: bool,
    next_query: String,
}

async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewAuditTrail>,
    Query(form): Query<FilterForm>,
) -> Result<Response, AppError> {
    let mut errors = Vec::new();
    let (filter, page) = parse_filter(&form, chrome.locale, &mut errors);
    let mut events = mamori_store::audit_log::search(
        &state.store,
        &authorized.grant,
        &filter,
        PAGE_SIZE + 1,
        page * PAGE_SIZE,
    )
    .await?;
    let has_next = events.len() as i64 > PAGE_SIZE;
    events.truncate(usize::try_from(PAGE_SIZE).unwrap_or(100));
    let rows = events
        .into_iter()
        .map(|event| row(event, chrome.locale))
        .collect();
    let next_query = format!(
        "actor={}&target={}&from={}&to={}&page={}",
        encode(&form.actor),
        encode(&form.target),
        encode(&form.from),
        encode(&form.to),
        page + 1
    );
    chrome.render(&AuditPage {
        chrome: chrome.clone(),
        form,
        events: rows,
        errors,
        has_next,
        next_query,
    })
}

/// Empty fields mean "any"; a date that does not parse is reported and ignored.
fn parse_filter(form: &FilterForm, locale: Locale, errors: &mut Vec<String>) -> (AuditFilter, i64) {
    let t = locale.messages();
    let mut date = |raw: &str, label: &str| -> Option<jiff::civil::Date> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<jiff::civil::Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(format!("{label}: {}", t.audit_bad_date));
                None
            }
        }
    };
    let from = date(&form.from, t.audit_from);
    let to = date(&form.to, t.audit_to);
    let start_of = |date: jiff::civil::Date| {
        date.to_zoned_datetime(crate::tokyo())
            .ok()
            .map(|zoned| zoned.timestamp())
    };
    let filter = AuditFilter {
        actor: Some(form.actor.trim().to_owned()).filter(|actor| !actor.is_empty()),
        target: Some(form.target.trim().to_owned()).filter(|target| !target.is_empty()),
        from: from.and_then(start_of),
        until: to.and_then(|date| date.tomorrow().ok()).and_then(start_of),
    };
    let page = form
        .page
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|page| (0..100_000).contains(page))
        .unwrap_or(0);
    (filter, page)
}

fn row(event: AuditEvent, locale: Locale) -> EventRow {
    let zoned = event.occurred_at.to_zoned_datetime(crate::tokyo());
    let when = format!(
        "{} {}",
        match locale {
            Locale::Ja => mamori_domain::calendar::format_date_ja(zoned.date()),
            Locale::En => mamori_domain::calendar::format_date_en(zoned.date()),
        },
        zoned.strftime("%H:%M:%S")
    );
    EventRow {
        when,
        actor: event.actor_label,
        action: action_label(&event.action, locale),
        action_code: event.action,
        target: event.target,
        detail: event.detail,
    }
}

/// The action codes the store writes, in words.
fn action_label(action: &str, locale: Locale) -> &'static str {
    let (ja, en) = match action {
        "sign_in.success" => ("ログイン成功", "Signed in"),
        "sign_in.failure" => ("ログイン失敗", "Failed sign-in"),
        "sign_out" => ("ログアウト", "Signed out"),
        "user.create" => ("利用者の追加", "User added"),
        "user.update" => ("利用者の変更", "User changed"),
        "user.locked" => ("アカウントのロック", "Account locked"),
        "user.unlock" => ("ロックの解除", "Account unlocked"),
        "user.password_change" => ("パスワード変更", "Password changed"),
        "institution.create" => ("医療機関の登録", "Institution registered"),
        "institution.update" => ("医療機関情報の変更", "Institution changed"),
        _ => ("その他", "Other"),
    };
    if locale == Locale::Ja { ja } else { en }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
