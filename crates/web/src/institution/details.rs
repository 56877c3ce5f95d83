//! The institution's own details (名称, 種別, 病床数, 都道府県, 住所, 電話).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::institution::{
    InstitutionKind, NewInstitution, PREFECTURES, RawInstitution, permissions,
};
use mamori_store::institution::Institution;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{Locale, describe};
use crate::page::Chrome;
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "institution/details.html")]
struct DetailsPage {
    chrome: Chrome,
    institution: Institution,
    kind_name: &'static str,
    created_on: jiff::civil::Date,
    can_edit: bool,
    policy: &'static str,
    policies: Vec<(&'static str, &'static str)>,
    password_relaxation: Option<String>,
    /// Whether the server holds other institutions too, so staff need the
    /// institution code to sign in.
    shared_server: bool,
    /// The sign-in address with the code filled in, to hand to staff.
    sign_in_link: String,
}

/// The password-rule form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PasswordRuleForm {
    min_length: String,
    reason: String,
}

/// The institution form as posted.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct InstitutionForm {
    name: String,
    kind: String,
    bed_count: String,
    prefecture: String,
    address: String,
    phone: String,
}

#[derive(Template)]
#[template(path = "institution/details_edit.html")]
struct EditPage {
    chrome: Chrome,
    form: InstitutionForm,
    errors: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    prefectures: &'static [&'static str],
}

fn kind_name(locale: Locale, kind: InstitutionKind) -> &'static str {
    if locale == Locale::Ja {
        kind.name_ja()
    } else {
        kind.name_en()
    }
}

fn edit_page(chrome: &Chrome, form: InstitutionForm, errors: Vec<String>) -> EditPage {
    let kinds = InstitutionKind::ALL
        .iter()
        .map(|kind| (kind.code(), kind_name(chrome.locale, *kind)))
        .collect();
    EditPage {
        chrome: chrome.clone(),
        form,
        errors,
        kinds,
        prefectures: &PREFECTURES,
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: axum::http::HeaderMap,
    authorized: Authorized<permissions::ViewInstitution>,
) -> Result<Response, AppError> {
    let institution = mamori_store::institution::get(&state.store, &authorized.grant).await?;
    let can_edit = authorized
        .user
        .principal
        .grant::<permissions::EditInstitution>()
        .is_some();
    let kind_name = kind_name(chrome.locale, institution.details.kind());
    let created_on = institution
        .created_at
        .to_zoned_datetime(crate::tokyo())
        .date();
    let policy = mamori_store::two_factor::policy(&state.store, &authorized.grant)
        .await?
        .code();
    let t = chrome.t;
    let policies = vec![
        ("optional", t.two_factor_policy_optional),
        ("administrators", t.two_factor_policy_administrators),
        ("everyone", t.two_factor_policy_everyone),
    ];
    let password_relaxation =
        mamori_store::institution::password_relaxation(&state.store, &authorized.grant).await?;
    let shared_server = mamori_store::institution::sign_in_needs_code(&state.store).await?;
    let sign_in_link = crate::page::public_address(
        state.config.public_url.as_deref(),
        &headers,
        state.config.secure_cookies,
        &format!("/login?institution={}", institution.code.as_str()),
    );
    chrome.render(&DetailsPage {
        shared_server,
        sign_in_link,
        policy,
        policies,
        password_relaxation,
        chrome: chrome.clone(),
        institution,
        kind_name,
        created_on,
        can_edit,
    })
}

pub(super) async fn edit_get(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditInstitution>,
) -> Result<Response, AppError> {
    let details = mamori_store::institution::get(&state.store, &authorized.grant)
        .await?
        .details;
    let form = InstitutionForm {
        name: details.name().to_owned(),
        kind: details.kind().code().to_owned(),
        bed_count: details.bed_count().to_string(),
        prefecture: details.prefecture().name().to_owned(),
        address: details.address().to_owned(),
        phone: details.phone().as_str().to_owned(),
    };
    chrome.render(&edit_page(&chrome, form, Vec::new()))
}

pub(super) async fn edit_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditInstitution>,
    CsrfForm(form): CsrfForm<InstitutionForm>,
) -> Result<Response, AppError> {
    let raw = RawInstitution {
        name: &form.name,
        kind: &form.kind,
        bed_count: &form.bed_count,
        prefecture: &form.prefecture,
        address: &form.address,
        phone: &form.phone,
    };
    match NewInstitution::parse(raw) {
        Ok(details) => {
            mamori_store::institution::update(
                &state.store,
                &authorized.grant,
                &details,
                state.clock.now(),
            )
            .await?;
            Ok(Redirect::to("/institution?done=institution_updated").into_response())
        }
        Err(parse_errors) => {
            let errors = parse_errors
                .iter()
                .map(|e| describe(e, chrome.locale))
                .collect();
            chrome.render_with_status(StatusCode::BAD_REQUEST, &edit_page(&chrome, form, errors))
        }
    }
}

pub(super) async fn password_rule_post(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditInstitution>,
    CsrfForm(form): CsrfForm<PasswordRuleForm>,
) -> Result<Response, AppError> {
    let relaxation = match form.min_length.trim() {
        "13" => None,
        "10" => Some(
            mamori_domain::institution::PasswordRelaxation::parse(&form.reason).map_err(|_| {
                AppError::bad_request(chrome.locale, chrome.t.password_rule_reason_required)
            })?,
        ),
        _ => return Err(AppError::bad_request(chrome.locale, chrome.t.err_choice)),
    };
    mamori_store::institution::set_password_relaxation(
        &state.store,
        &authorized.grant,
        relaxation.as_ref(),
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/institution?done=password_rule").into_response())
}
