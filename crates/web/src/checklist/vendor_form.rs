//! `/v/{token}`: the 事業者確認用 form as a vendor opens it from its link, with
//! no account. The token opens this one request and nothing else; an expired,
//! revoked or unknown token is a plain 404.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::checklist::{
    Catalog, DatedAnswer, accept_upload, parse_officer, parse_vendor_answer,
};
use mamori_domain::{ParseError, ParseErrorKind};
use mamori_store::vendor::{NewDocument, OpenRequest};
use sha2::{Digest, Sha256};

use super::assessment::hex;
use crate::auth::token_hash;
use crate::i18n::{Locale, describe};
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

struct VendorItem {
    key: String,
    label: String,
    text: String,
    heading: Option<&'static str>,
    unverified: bool,
    guidance: String,
    answer: String,
    date: String,
    remarks: String,
}

#[derive(Template)]
#[template(path = "checklist/vendor_form.html")]
struct VendorFormPage {
    chrome: Chrome,
    institution_name: String,
    vendor_name: String,
    title: String,
    year_label: String,
    /// The earlier year whose form this is, while the year's own is not in mamori.
    earlier_form: Option<String>,
    expires: String,
    answered: Option<String>,
    officer_name: String,
    items: Vec<VendorItem>,
    errors: Vec<String>,
    /// Files kept from an earlier, refused try (sent with the form unless
    /// others are attached).
    staged_files: Vec<String>,
}

fn invalid_link(locale: Locale) -> AppError {
    AppError::User {
        status: StatusCode::NOT_FOUND,
        locale,
        message: locale.checklist().invalid_link.into(),
    }
}

async fn open(
    state: &AppState,
    token: &str,
    locale: Locale,
) -> Result<(OpenRequest, Catalog), AppError> {
    if token.len() > 100 {
        return Err(invalid_link(locale));
    }
    let request =
        match mamori_store::vendor::open(&state.store, &token_hash(token), state.clock.now()).await
        {
            Ok(request) => request,
            Err(mamori_store::Error::NotFound) => return Err(invalid_link(locale)),
            Err(error) => return Err(AppError::from_store(locale, error)),
        };
    let versions =
        mamori_store::checklist_version::in_force_for_link(&state.store, &request).await?;
    let catalog = super::with_versions(state, &versions)
        .by_id(&format!("{}-vendor", request.request.catalog_version))
        .cloned()
        .ok_or_else(|| {
            AppError::Unexpected(format!(
                "vendor catalog {} is gone",
                request.request.catalog_version
            ))
        })?;
    Ok((request, catalog))
}

fn page(
    chrome: &Chrome,
    request: &OpenRequest,
    catalog: &Catalog,
    form: Option<&CsrfMultipart>,
    errors: Vec<String>,
    staged_files: Vec<String>,
) -> VendorFormPage {
    let field = |name: String| form.map(|f| f.field(&name).to_owned()).unwrap_or_default();
    let mut previous_heading = None;
    let items = catalog
        .items
        .iter()
        .map(|item| {
            let heading = item.target.map(|t| t.heading_ja());
            let show_heading = if heading != previous_heading {
                heading
            } else {
                None
            };
            previous_heading = heading;
            VendorItem {
                label: super::item_label(chrome.locale, catalog, item),
                text: item.text.clone(),
                heading: show_heading,
                unverified: catalog.needs_wording_check(item),
                // Written to the 事業者, never the institution's text.
                guidance: item
                    .guidance
                    .for_vendor
                    .clone()
                    .unwrap_or_else(|| item.guidance.meaning.clone()),
                answer: field(format!("answer-{}", item.key)),
                date: field(format!("date-{}", item.key)),
                remarks: field(format!("remarks-{}", item.key)),
                key: item.key.clone(),
            }
        })
        .collect();
    let date = |t: jiff::Timestamp| chrome.date(&t.to_zoned_datetime(crate::tokyo()).date());
    let year = i16::try_from(request.request.fiscal_year)
        .ok()
        .and_then(|year| mamori_domain::calendar::FiscalYear::new(year).ok());
    VendorFormPage {
        institution_name: request.institution_name.clone(),
        vendor_name: request.vendor_name.clone(),
        title: catalog.title.clone(),
        year_label: year.map(|y| chrome.fiscal_year(&y)).unwrap_or_default(),
        earlier_form: year.and_then(|year| chrome.earlier_form(catalog, year)),
        expires: date(request.request.expires_at),
        answered: request.request.answered_at.map(date),
        officer_name: form
            .map(|f| f.field("officer_name").to_owned())
            .unwrap_or_default(),
        items,
        errors,
        staged_files,
        chrome: chrome.clone(),
    }
}

/// `GET /v/{token}`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let (request, catalog) = open(&state, &token, chrome.locale).await?;
    let staged = staged_names(&state, &token).await?;
    chrome.render(&page(&chrome, &request, &catalog, None, Vec::new(), staged))
}

async fn staged_names(state: &AppState, token: &str) -> Result<Vec<String>, AppError> {
    match mamori_store::vendor::staged_document_names(
        &state.store,
        &token_hash(token),
        state.clock.now(),
    )
    .await
    {
        Ok(names) => Ok(names),
        Err(mamori_store::Error::NotFound) => Ok(Vec::new()),
        Err(error) => Err(error.into()),
    }
}

type Parsed = (String, Vec<(String, DatedAnswer, String)>, Vec<NewDocument>);

/// Reads the whole form, reporting every wrong field at once; the files that
/// were accepted come back with the errors, to be kept for the next try.
fn parse(
    locale: Locale,
    form: &CsrfMultipart,
    catalog: &Catalog,
    today: jiff::civil::Date,
) -> Result<Parsed, (Vec<ParseError>, Vec<NewDocument>)> {
    let mut errors = Vec::new();
    let officer = parse_officer(form.field("officer_name"))
        .map_err(|error| errors.push(error))
        .ok();
    let mut answers = Vec::with_capacity(catalog.items.len());
    for item in &catalog.items {
        match parse_vendor_answer(
            form.field(&format!("answer-{}", item.key)),
            form.field(&format!("date-{}", item.key)),
            form.field(&format!("remarks-{}", item.key)),
            today,
        ) {
            Ok((answer, remarks)) => answers.push((item.key.clone(), answer, remarks)),
            Err(error) => errors.push(error.with_subject(super::item_label(locale, catalog, item))),
        }
    }
    let mut documents = Vec::new();
    for file in form.files.iter().filter(|f| f.field == "documents") {
        if file.name.is_empty() && file.bytes.is_empty() {
            continue;
        }
        match accept_upload("file", &file.name, &file.bytes) {
            Ok(accepted) => documents.push(NewDocument {
                name: accepted.name,
                content_type: accepted.content_type.to_owned(),
                sha256: hex(&Sha256::digest(&file.bytes)),
                content: file.bytes.clone(),
            }),
            Err(error) => {
                errors.push(error.with_subject(file.name.chars().take(100).collect::<String>()))
            }
        }
    }
    if documents.len() > 2 {
        errors.push(ParseError::new(
            "file",
            ParseErrorKind::BadFormat("at most two files (MDS and SDS)"),
        ));
        documents.clear();
    }
    match officer {
        Some(officer) if errors.is_empty() => Ok((officer, answers, documents)),
        _ => Err((errors, documents)),
    }
}

/// `POST /v/{token}`: the vendor's answers, all or nothing.
pub(super) async fn submit(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    let (request, catalog) = open(&state, &token, chrome.locale).await?;
    if request.request.answered_at.is_some() {
        return Ok(Redirect::to(&format!("/v/{token}")).into_response());
    }
    match parse(chrome.locale, &form, &catalog, state.clock.today()) {
        Ok((officer, answers, documents)) => {
            match mamori_store::vendor::submit(
                &state.store,
                &token_hash(&token),
                &officer,
                &answers,
                &documents,
                state.clock.now(),
            )
            .await
            {
                Ok(()) => Ok(Redirect::to(&format!("/v/{token}?done=saved")).into_response()),
                Err(mamori_store::Error::NotFound) => Err(invalid_link(chrome.locale)),
                Err(error) => Err(AppError::from_store(chrome.locale, error)),
            }
        }
        Err((errors, documents)) => {
            // Good files are kept for this link, so the vendor need not find
            // and attach them again after correcting the other fields.
            if !documents.is_empty() {
                mamori_store::vendor::stage_documents(
                    &state.store,
                    &token_hash(&token),
                    &documents,
                    state.clock.now(),
                )
                .await?;
            }
            let staged = staged_names(&state, &token).await?;
            let errors = errors
                .iter()
                .map(|error| describe(error, chrome.locale))
                .collect();
            chrome.render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&chrome, &request, &catalog, Some(&form), errors, staged),
            )
        }
    }
}
