//! The page frame every template shares: locale, the signed-in person's menu,
//! the CSRF token for forms, and date formatting.

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use mamori_domain::calendar;
use mamori_domain::institution::{Permission, Role, permissions};

use crate::auth::{CSRF_COOKIE, MaybeSession, expected_csrf, set_cookie};
use crate::i18n::{ChecklistText, ContinuityText, IncidentText, LedgerText, Locale, Messages};
use crate::{AppError, AppState};

/// The frame of a page: what `base.html` needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Strings in the request's locale.
    pub t: &'static Messages,
    /// Ledger and carry-out strings in the request's locale.
    pub l: &'static LedgerText,
    /// Checklist, vendor and Tokushima list strings in the request's locale.
    pub c: &'static ChecklistText,
    /// Continuity strings (backup register, restore tests) in the request's locale.
    pub k: &'static ContinuityText,
    /// Incident strings in the request's locale.
    pub i: &'static IncidentText,
    /// For those who handle incidents: how many reports nobody has taken yet
    /// (the red banner on every page).
    pub incident_alert: usize,
    /// The locale.
    pub locale: Locale,
    /// The signed-in person, if any.
    pub user: Option<ChromeUser>,
    /// The token every form on the page carries.
    pub csrf: String,
    /// Set when `csrf` is a fresh pre-session token that the response must store.
    csrf_is_new: bool,
    /// Whether cookies get the `Secure` flag.
    secure_cookies: bool,
    /// The request path and query, for the language switch to come back to.
    pub path: String,
    /// A one-line notice shown at the top (after a redirect).
    pub notice: Option<&'static str>,
}

/// The signed-in person as the menu shows them.
#[derive(Debug, Clone)]
pub struct ChromeUser {
    /// Name.
    pub display_name: String,
    /// Role, in the request's locale.
    pub role_name: &'static str,
    role: Role,
}

impl ChromeUser {
    /// Whether the menu shows the user administration.
    pub fn can_view_users(&self) -> bool {
        self.role.has(Permission::ViewUsers)
    }

    /// Whether the menu shows the access logs.
    pub fn can_view_access_logs(&self) -> bool {
        self.role.has(Permission::ViewAccessLogs)
    }

    /// Whether the menu shows the audit trail.
    pub fn can_view_audit_trail(&self) -> bool {
        self.role.has(Permission::ViewAuditTrail)
    }

    /// Whether the menu shows the checklists.
    pub fn can_view_checklist(&self) -> bool {
        self.role.has(Permission::ViewChecklist)
    }

    /// Whether the menu shows the BCP.
    pub fn can_view_bcp(&self) -> bool {
        self.role.has(Permission::ViewBcp)
    }

    /// Whether the menu shows the ledgers.
    pub fn can_view_ledger(&self) -> bool {
        self.role.has(Permission::ViewLedger)
    }

    /// Whether the menu shows carry-out requests.
    pub fn can_view_carry_outs(&self) -> bool {
        self.role.has(Permission::ViewCarryOuts)
    }

    /// Whether the menu shows the vendors.
    pub fn can_manage_vendors(&self) -> bool {
        self.role.has(Permission::ManageVendors)
    }

    /// Whether the menu shows the incident list.
    pub fn can_view_incidents(&self) -> bool {
        self.role.has(Permission::ViewIncidents)
    }

    /// Whether the menu offers the incident report.
    pub fn can_report_incident(&self) -> bool {
        self.role.has(Permission::ReportIncident)
    }

    /// Whether the menu shows the contact chart.
    pub fn can_view_contacts(&self) -> bool {
        self.role.has(Permission::ViewContacts)
    }

    /// Whether the menu shows the dashboard's schedule.
    pub fn can_view_dashboard(&self) -> bool {
        self.role.has(Permission::ViewDashboard)
    }

    /// Whether the menu shows the security policy.
    pub fn can_view_policy(&self) -> bool {
        self.role.has(Permission::ViewPolicy)
    }

    /// Whether the menu shows the incidents a vendor's account was called into.
    pub fn can_answer_vendor_manual(&self) -> bool {
        self.role.has(Permission::AnswerVendorManual)
    }

    /// Whether the menu shows the institution page.
    pub fn can_view_institution(&self) -> bool {
        self.role.has(Permission::ViewInstitution)
    }
}

/// The positive id in route parameter `name`, or 404.
pub(crate) async fn path_id(
    parts: &mut axum::http::request::Parts,
    name: &str,
) -> Result<i64, AppError> {
    let locale = crate::i18n::Locale::from_parts(parts);
    let axum::extract::Path(params) =
        axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, &())
            .await
            .map_err(|_| AppError::not_found(locale))?;
    params
        .iter()
        .find(|(param, _)| param == name)
        .and_then(|(_, raw)| raw.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or(AppError::not_found(locale))
}

/// 200 for a page, 422 for a form shown again with its problems.
pub(crate) fn form_status(errors: &[String]) -> axum::http::StatusCode {
    if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

impl Chrome {
    /// The same page chrome in Japanese: for what is printed and hung in the
    /// institution whatever the screen's language.
    pub fn in_japanese(&self) -> Self {
        let locale = Locale::Ja;
        Self {
            t: locale.messages(),
            l: locale.ledger(),
            c: locale.checklist(),
            k: locale.continuity(),
            i: locale.incident(),
            locale,
            ..self.clone()
        }
    }

    /// `2025年4月1日（令和7年4月1日）` or `2025-04-01 (Reiwa 7)`.
    pub fn date(&self, date: &jiff::civil::Date) -> String {
        match self.locale {
            Locale::Ja => calendar::format_date_ja(*date),
            Locale::En => calendar::format_date_en(*date),
        }
    }

    /// [`crate::i18n::counted`] for templates: `one` for 1, else `many` with `{n}`.
    pub fn counted(&self, many: &str, one: &str, n: impl std::fmt::Display) -> String {
        crate::i18n::counted(many, one, n)
    }

    /// `text` with `{0}` and `{1}` filled in.
    pub fn fill(&self, text: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        crate::i18n::fill(text, &[&a, &b])
    }

    /// `text` with `{0}`, `{1}` and `{2}` filled in.
    pub fn fill3(
        &self,
        text: &str,
        a: impl std::fmt::Display,
        b: impl std::fmt::Display,
        c: impl std::fmt::Display,
    ) -> String {
        crate::i18n::fill(text, &[&a, &b, &c])
    }

    /// `2025年度（令和7年度）` or `FY2025 (Reiwa 7)`.
    pub fn fiscal_year(&self, year: &calendar::FiscalYear) -> String {
        match self.locale {
            Locale::Ja => year.label_ja(),
            Locale::En => year.label_en(),
        }
    }

    /// The label of the earlier year whose form `catalog` is, when it is not
    /// `year`'s own (that year's official form is not in mamori yet): pages
    /// and prints say so plainly.
    pub fn earlier_form(
        &self,
        catalog: &mamori_domain::checklist::Catalog,
        year: calendar::FiscalYear,
    ) -> Option<String> {
        (!catalog.is_own_form_of(year)).then(|| self.fiscal_year(&catalog.fiscal_year))
    }

    /// A prefecture, stored by its Japanese name, in the request's locale.
    pub fn prefecture<'a>(&self, name: &'a str) -> &'a str {
        match self.locale {
            Locale::Ja => name,
            Locale::En => mamori_domain::institution::prefecture_en(name),
        }
    }

    /// A role's name in the request's locale.
    pub fn role_name(&self, role: &Role) -> &'static str {
        match self.locale {
            Locale::Ja => role.name_ja(),
            Locale::En => role.name_en(),
        }
    }

    /// Renders `page` as the response body, storing a fresh CSRF cookie when needed.
    pub fn render(&self, page: &impl Template) -> Result<Response, AppError> {
        self.render_with_status(axum::http::StatusCode::OK, page)
    }

    /// Like [`Chrome::render`] with another status (400 for a form with errors).
    pub fn render_with_status(
        &self,
        status: axum::http::StatusCode,
        page: &impl Template,
    ) -> Result<Response, AppError> {
        let html = page.render()?;
        let mut response = (status, Html(html)).into_response();
        if self.csrf_is_new {
            let cookie = set_cookie(CSRF_COOKIE, &self.csrf, None, self.secure_cookies);
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(SET_COOKIE, value);
            }
        }
        Ok(response)
    }
}

impl FromRequestParts<AppState> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let locale = Locale::from_parts(parts);
        let (csrf, csrf_is_new) = expected_csrf(parts);
        let user = match parts.extensions.get::<MaybeSession>() {
            Some(MaybeSession(Some(signed_in))) if !signed_in.second_factor_pending => {
                Some(ChromeUser {
                    display_name: signed_in.display_name.clone(),
                    role_name: match locale {
                        Locale::Ja => signed_in.principal.role().name_ja(),
                        Locale::En => signed_in.principal.role().name_en(),
                    },
                    role: signed_in.principal.role(),
                })
            }
            _ => None,
        };
        let notice = parts
            .uri
            .query()
            .and_then(|query| notice_from_query(query, locale.messages()));
        let State(state) = State::<AppState>::from_request_parts(parts, state).await?;
        // A new report shows on every page of those who handle incidents; a
        // failure to count leaves the page as it is rather than failing it.
        let incident_alert = match parts.extensions.get::<MaybeSession>() {
            Some(MaybeSession(Some(signed_in))) if !signed_in.second_factor_pending => {
                match signed_in.principal.grant::<permissions::HandleIncidents>() {
                    Some(grant) => mamori_store::incident::count_unhandled(&state.store, &grant)
                        .await
                        .unwrap_or(0),
                    None => 0,
                }
            }
            _ => 0,
        };
        Ok(Self {
            t: locale.messages(),
            l: locale.ledger(),
            c: locale.checklist(),
            k: locale.continuity(),
            i: locale.incident(),
            incident_alert,
            locale,
            user,
            csrf,
            csrf_is_new,
            secure_cookies: state.config.secure_cookies,
            // With the query, so switching language keeps a filled-in
            // institution code, a search or a page of the audit trail.
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
            notice,
        })
    }
}

/// Notices travel as `?done=<code>` after a POST-redirect-GET; only known codes show.
fn notice_from_query(query: &str, t: &'static Messages) -> Option<&'static str> {
    let code = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("done="))?;
    Some(match code {
        "setup" => t.setup_done,
        "signed_out" => t.signed_out,
        "user_created" => t.users_created,
        "user_updated" => t.users_updated,
        "user_unlocked" => t.users_unlocked,
        "two_factor_disabled" => t.two_factor_disabled,
        "two_factor_reset" => t.two_factor_reset_done,
        "two_factor_policy" => t.two_factor_policy_saved,
        "password_rule" => t.password_rule_saved,
        "password_reset" => t.password_reset_done,
        "institution_updated" => t.institution_updated,
        "password_changed" => t.password_changed,
        "saved" => t.saved,
        "imported" => t.imported,
        "verified" => t.log_verified,
        "issued" => t.link_issued,
        _ => return None,
    })
}

/// The `Host` the request was sent to (`name[:port]`), when it looks like a
/// host: letters, digits and `.-:[]` only.
pub(crate) fn request_host(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
}

/// The name or address of `host` (`name[:port]`, `[v6][:port]`), without
/// its port or brackets.
pub(crate) fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    }
}

/// Whether a host name is this machine only (localhost, 127.0.0.1, ::1):
/// nobody elsewhere reaches the server at it.
pub(crate) fn is_loopback_host(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// The whole address of `path` on this server, so that it can be pasted into
/// an e-mail or a notice as it is: the configured public address
/// (`--public-url`), else the address the person asking used to reach this
/// server (the `Host`, when it looks like a host), else the bare path.
pub(crate) fn public_address(
    public_url: Option<&str>,
    headers: &axum::http::HeaderMap,
    https: bool,
    path: &str,
) -> String {
    if let Some(base) = public_url {
        return format!("{base}{path}");
    }
    match request_host(headers) {
        Some(host) => format!("{}://{host}{path}", if https { "https" } else { "http" }),
        None => path.to_owned(),
    }
}
