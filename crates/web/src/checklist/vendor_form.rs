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
    expires: String,
    answered: Option<String>,
    officer_name: String,
    items: Vec<VendorItem>,
    errors: Vec<String>,
}

fn invalid_link(locale: Locale) -> AppError {
    AppError::User {
        status: StatusCode::NOT_FOUND,
        locale,
        message: "このリンクは使えません。期限が切れたか、無効にされたか、アドレスが誤っています。送付元の医療機関にお問い合わせください。".into(),
    }
}

async fn open<'a>(
    state: &'a AppState,
    token: &str,
    locale: Locale,
) -> Result<(OpenRequest, &'a Catalog), AppError> {
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
    let catalog = state
        .catalogs
        .by_id(&format!("{}-vendor", request.request.catalog_version))
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
                label: super::item_label(catalog, item),
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
    VendorFormPage {
        institution_name: request.institution_name.clone(),
        vendor_name: request.vendor_name.clone(),
        title: catalog.title.clone(),
        year_label: mamori_domain::calendar::FiscalYear::new(
            i16::try_from(request.request.fiscal_year).unwrap_or(2025),
        )
        .map(|y| y.label_ja())
        .unwrap_or_default(),
        expires: date(request.request.expires_at),
        answered: request.request.answered_at.map(date),
        officer_name: form
            .map(|f| f.field("officer_name").to_owned())
            .unwrap_or_default(),
        items,
        errors,
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
    chrome.render(&page(&chrome, &request, catalog, None, Vec::new()))
}

type Parsed = (String, Vec<(String, DatedAnswer, String)>, Vec<NewDocument>);

fn parse(
    form: &CsrfMultipart,
    catalog: &Catalog,
    today: jiff::civil::Date,
) -> Result<Parsed, ParseError> {
    let officer = parse_officer(form.field("officer_name"))?;
    let mut answers = Vec::with_capacity(catalog.items.len());
    for item in &catalog.items {
        let (answer, remarks) = parse_vendor_answer(
            form.field(&format!("answer-{}", item.key)),
            form.field(&format!("date-{}", item.key)),
            form.field(&format!("remarks-{}", item.key)),
            today,
        )
        .map_err(|e| e.with_subject(super::item_label(catalog, item)))?;
        answers.push((item.key.clone(), answer, remarks));
    }
    let mut documents = Vec::new();
    for file in form.files.iter().filter(|f| f.field == "documents") {
        let accepted = accept_upload("file", &file.name, &file.bytes)?;
        documents.push(NewDocument {
            name: accepted.name,
            content_type: accepted.content_type.to_owned(),
            sha256: hex(&Sha256::digest(&file.bytes)),
            content: file.bytes.clone(),
        });
    }
    if documents.len() > 2 {
        return Err(ParseError::new(
            "file",
            ParseErrorKind::BadFormat("at most two files (MDS and SDS)"),
        ));
    }
    Ok((officer, answers, documents))
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
    match parse(&form, catalog, state.clock.today()) {
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
        Err(error) => {
            let errors = vec![describe(&error, chrome.locale)];
            chrome.render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&chrome, &request, catalog, Some(&form), errors),
            )
        }
    }
}
