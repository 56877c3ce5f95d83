//! One 年度's assessment: the overview with progress and 次にやること, each
//! item with its guidance, answer form and evidence, and the printouts.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{
    AnswerColumn, Catalog, CatalogItem, GroupProgress, ItemRecord, ItemState, RawItemRecord,
    accept_upload, group_progress, item_state, open_items, parse_evidence_link, parse_gate,
    parse_item_record,
};
use mamori_domain::institution::{Grant, Permission, permissions};
use mamori_domain::{ParseError, ParseErrorKind};
use mamori_store::checklist::{Assessment, Evidence, NewEvidence};
use sha2::{Digest, Sha256};

use super::{FormYear, ItemKey, catalog_for, institution_form, item_label};
use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{Locale, describe};
use crate::institution::IdPath;
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// `/checklist`: this 年度's checklist of the institution's form.
pub(super) async fn current(
    State(state): State<AppState>,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let institution = mamori_store::institution::get(&state.store, &authorized.grant).await?;
    let form = institution_form(institution.details.kind());
    let year = FiscalYear::containing(state.clock.today());
    Ok(Redirect::to(&format!("/checklist/{}/{}", form.code(), year)).into_response())
}

/// An item as the overview lists it.
pub(super) struct ItemRow {
    pub label: String,
    pub text: String,
    pub href: String,
    pub state_class: &'static str,
    pub state_text: String,
    pub unverified: bool,
}

#[derive(Template)]
#[template(path = "checklist/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    title: String,
    form_name: &'static str,
    year_label: String,
    base: String,
    years: Vec<(String, String, bool)>,
    started: bool,
    can_edit: bool,
    catalog_file: String,
    catalog_verified: bool,
    /// Set when the year's own official form is not in mamori yet: the
    /// earlier year whose form is shown instead.
    earlier_form: Option<String>,
    official_page: &'static str,
    gate_text: Option<String>,
    gate: Option<(bool, String)>,
    gate_date_value: String,
    progress: Vec<GroupProgress>,
    next: Vec<ItemRow>,
    n_open: usize,
    n_overdue: usize,
    rows: Vec<ItemRow>,
    n_recheck: usize,
}

/// How an item's state reads: a CSS class and a sentence.
pub(crate) fn describe_state(chrome: &Chrome, state: ItemState) -> (&'static str, String) {
    match state {
        ItemState::Done => ("done", chrome.c.yes.to_owned()),
        ItemState::NotApplicable => ("done", chrome.c.not_applicable.to_owned()),
        ItemState::Planned { target } => (
            "planned",
            chrome.fill(chrome.c.state_planned, chrome.date(&target), ""),
        ),
        ItemState::Overdue { since } => (
            "overdue",
            chrome.fill(chrome.c.state_overdue, chrome.date(&since), ""),
        ),
        ItemState::NeedsRecheck { due } => (
            "recheck",
            chrome.fill(chrome.c.state_recheck, chrome.date(&due), ""),
        ),
        ItemState::Unanswered { due } => (
            "open",
            chrome.fill(chrome.c.state_unanswered, chrome.date(&due), ""),
        ),
    }
}

fn row(
    chrome: &Chrome,
    base: &str,
    catalog: &Catalog,
    item: &CatalogItem,
    state: ItemState,
) -> ItemRow {
    let (state_class, state_text) = describe_state(chrome, state);
    ItemRow {
        label: item_label(chrome.locale, catalog, item),
        text: item.text.clone(),
        href: format!("{base}/items/{}", item.key),
        state_class,
        state_text,
        unverified: catalog.needs_wording_check(item),
    }
}

fn year_links(
    chrome: &Chrome,
    at: &FormYear,
    today_year: FiscalYear,
    started: &[FiscalYear],
) -> Vec<(String, String, bool)> {
    let mut years: Vec<FiscalYear> = started.to_vec();
    for candidate in [today_year, at.year] {
        if !years.contains(&candidate) {
            years.push(candidate);
        }
    }
    years.sort();
    years.reverse();
    years
        .into_iter()
        .map(|year| {
            (
                format!("/checklist/{}/{}", at.form.code(), year),
                chrome.fiscal_year(&year),
                year == at.year,
            )
        })
        .collect()
}

/// `/checklist/{form}/{year}`.
pub(super) async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let catalog = catalog_for(&state, authorized.grant.principal(), &at, chrome.locale).await?;
    let catalog = &catalog;
    let assessment =
        mamori_store::checklist::assessment(&state.store, &authorized.grant, at.form, at.year)
            .await?;
    let started_years =
        mamori_store::checklist::years(&state.store, &authorized.grant, at.form).await?;
    let today = state.clock.today();
    let base = format!("/checklist/{}/{}", at.form.code(), at.year);
    let records = |key: &str| {
        assessment
            .as_ref()
            .and_then(|a| a.answers.get(key))
            .map(|a| &a.record)
    };
    let system_not_used = assessment
        .as_ref()
        .and_then(|a| a.system_in_use)
        .is_some_and(|(in_use, _)| !in_use);
    let rows = catalog
        .items
        .iter()
        .map(|item| {
            row(
                &chrome,
                &base,
                catalog,
                item,
                item_state(item, records(&item.key), at.year, today),
            )
        })
        .collect();
    let open = if system_not_used {
        Vec::new()
    } else {
        open_items(catalog, records, at.year, today)
    };
    let n_open = open.len();
    let n_overdue = open
        .iter()
        .filter(|(_, item_state)| matches!(item_state, ItemState::Overdue { .. }))
        .count();
    let next = open
        .into_iter()
        .take(5)
        .map(|(item, item_state)| row(&chrome, &base, catalog, item, item_state))
        .collect();
    let n_recheck = assessment
        .as_ref()
        .map(|a| {
            a.answers
                .values()
                .filter(|answer| answer.record.needs_recheck)
                .count()
        })
        .unwrap_or(0);
    let page = OverviewPage {
        title: catalog.title.clone(),
        form_name: chrome.locale.pick(at.form.name_ja(), at.form.name_en()),
        year_label: chrome.fiscal_year(&at.year),
        years: year_links(&chrome, &at, FiscalYear::containing(today), &started_years),
        started: assessment.is_some(),
        can_edit: authorized
            .user
            .principal
            .grant::<permissions::EditChecklist>()
            .is_some(),
        catalog_file: chrome.fill(chrome.c.version_file, &catalog.version, &catalog.file),
        catalog_verified: catalog.wording_verified,
        earlier_form: chrome.earlier_form(catalog, at.year),
        official_page: mamori_domain::checklist::OFFICIAL_FORMS_PAGE,
        gate_text: catalog.gate.clone(),
        gate: assessment
            .as_ref()
            .and_then(|a| a.system_in_use)
            .map(|(in_use, date)| (in_use, chrome.date(&date))),
        gate_date_value: today.to_string(),
        progress: group_progress(catalog, records, at.year, today),
        next,
        n_open,
        n_overdue,
        rows,
        n_recheck,
        base,
        chrome: chrome.clone(),
    };
    chrome.render(&page)
}

/// `POST /checklist/{form}/{year}/start`: begins the year, carrying last year's answers over.
pub(super) async fn start(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    authorized: Authorized<permissions::EditChecklist>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, AppError> {
    let catalog = catalog_for(&state, authorized.grant.principal(), &at, chrome.locale).await?;
    let institution = mamori_store::institution::get(&state.store, &authorized.grant).await?;
    let own = institution_form(institution.details.kind());
    if at.form != own {
        return Err(AppError::bad_request(
            chrome.locale,
            match chrome.locale {
                Locale::Ja => format!(
                    "この医療機関（{}）が回答するのは「{}」です。「{}」は始められません。",
                    institution.details.kind().name_ja(),
                    own.name_ja(),
                    at.form.name_ja()
                ),
                Locale::En => format!(
                    "This institution ({}) answers the form {}; the form {} cannot be started.",
                    institution.details.kind().name_en(),
                    own.name_en(),
                    at.form.name_en()
                ),
            },
        ));
    }
    let keys: Vec<&str> = catalog.items.iter().map(|item| item.key.as_str()).collect();
    let base = format!("/checklist/{}/{}", at.form.code(), at.year);
    match mamori_store::checklist::start(
        &state.store,
        &authorized.grant,
        at.form,
        at.year,
        &catalog.version,
        &keys,
        state.clock.now(),
    )
    .await
    {
        // Started twice (two tabs): the year is open either way.
        Ok(_) | Err(mamori_store::Error::Conflict(_)) => {
            Ok(Redirect::to(&format!("{base}?done=saved")).into_response())
        }
        Err(error) => Err(AppError::from_store(chrome.locale, error)),
    }
}

/// A form with only the CSRF field.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Empty {}

/// The 医療情報システムの有無 form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct GateForm {
    in_use: String,
    checked_on: String,
}

async fn assessment_or_404(
    state: &AppState,
    grant: &mamori_domain::institution::Grant<impl permissions::ReadsChecklist>,
    at: &FormYear,
    locale: Locale,
) -> Result<Assessment, AppError> {
    mamori_store::checklist::assessment(&state.store, grant, at.form, at.year)
        .await?
        .ok_or_else(|| AppError::bad_request(locale, locale.checklist().not_started_error))
}

/// `POST /checklist/{form}/{year}/gate`.
pub(super) async fn save_gate(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    authorized: Authorized<permissions::EditChecklist>,
    CsrfForm(form): CsrfForm<GateForm>,
) -> Result<Response, AppError> {
    let assessment = assessment_or_404(&state, &authorized.grant, &at, chrome.locale).await?;
    let answer = parse_gate(&form.in_use, &form.checked_on, state.clock.today())
        .map_err(|error| AppError::bad_request(chrome.locale, describe(&error, chrome.locale)))?;
    mamori_store::checklist::save_gate(
        &state.store,
        &authorized.grant,
        assessment.id,
        answer,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/checklist/{}/{}?done=saved",
        at.form.code(),
        at.year
    ))
    .into_response())
}

/// The answer form as posted (and as shown again after an error).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct ItemForm {
    first_answer: String,
    first_date: String,
    target_date: String,
    second_answer: String,
    second_date: String,
    checked_on: String,
    remarks: String,
    not_applicable: String,
    not_applicable_reason: String,
}

impl ItemForm {
    fn from_record(record: &ItemRecord) -> Self {
        Self {
            first_answer: record
                .first
                .map(|f| f.answer.code().to_owned())
                .unwrap_or_default(),
            first_date: record.first.map(|f| f.date.to_string()).unwrap_or_default(),
            target_date: record.target.map(|d| d.to_string()).unwrap_or_default(),
            second_answer: record
                .second
                .map(|s| s.answer.code().to_owned())
                .unwrap_or_default(),
            second_date: record
                .second
                .map(|s| s.date.to_string())
                .unwrap_or_default(),
            checked_on: record.checked_on.map(|d| d.to_string()).unwrap_or_default(),
            remarks: record.remarks.clone(),
            not_applicable: if record.not_applicable.is_some() {
                "on".into()
            } else {
                String::new()
            },
            not_applicable_reason: record.not_applicable.clone().unwrap_or_default(),
        }
    }

    /// The raw answer; the 確認日 counts only on a form that has that column.
    fn raw(&self, catalog: &Catalog) -> RawItemRecord<'_> {
        RawItemRecord {
            first_answer: &self.first_answer,
            first_date: &self.first_date,
            target_date: &self.target_date,
            second_answer: &self.second_answer,
            second_date: &self.second_date,
            checked_on: if catalog.has_column(AnswerColumn::CheckedOn) {
                &self.checked_on
            } else {
                ""
            },
            remarks: &self.remarks,
            not_applicable: !self.not_applicable.is_empty(),
            not_applicable_reason: &self.not_applicable_reason,
        }
    }
}

/// Evidence as the item page lists it.
struct EvidenceRow {
    id: i64,
    label: String,
    href: String,
    detail: String,
}

/// A vendor's answer shown beside 2(2) and 2(3).
struct VendorFact {
    vendor: String,
    answer: &'static str,
    date: String,
    remarks: String,
}

#[derive(Template)]
#[template(path = "checklist/item.html")]
struct ItemPage {
    chrome: Chrome,
    base: String,
    year_label: String,
    label: String,
    item: CatalogItem,
    unverified: bool,
    catalog_source: String,
    state_class: &'static str,
    state_text: String,
    started: bool,
    can_edit: bool,
    needs_recheck: bool,
    answered_by: Option<String>,
    form: ItemForm,
    has_checked_on: bool,
    errors: Vec<String>,
    year_first: String,
    year_last: String,
    evidence: Vec<EvidenceRow>,
    vendor_facts: Vec<VendorFact>,
    vendor_documents: Vec<(i64, String, String)>,
    ledger: Option<crate::ledger::LedgerBox>,
}

/// The item page: `posted` is a refused form to show again with its errors (422).
#[allow(clippy::too_many_arguments)]
async fn render_item<P: permissions::ReadsChecklist>(
    state: &AppState,
    chrome: &Chrome,
    at: &FormYear,
    grant: &Grant<P>,
    catalog: &Catalog,
    item: &CatalogItem,
    posted: Option<(ItemForm, Vec<String>)>,
) -> Result<Response, AppError> {
    let status = if posted.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let assessment =
        mamori_store::checklist::assessment(&state.store, grant, at.form, at.year).await?;
    let stored = assessment.as_ref().and_then(|a| a.answers.get(&item.key));
    let today = state.clock.today();
    let (state_class, state_text) = describe_state(
        chrome,
        item_state(item, stored.map(|s| &s.record), at.year, today),
    );
    let evidence = match &assessment {
        Some(assessment) => {
            mamori_store::checklist::evidence(&state.store, grant, assessment.id).await?
        }
        None => Vec::new(),
    };
    let evidence = evidence
        .into_iter()
        .filter(|e| e.item_key == item.key)
        .map(|e: Evidence| {
            let when = e.added_at.to_zoned_datetime(crate::tokyo()).date();
            match (&e.file, &e.link_path) {
                (Some(file), _) => EvidenceRow {
                    id: e.id,
                    label: e.label.clone(),
                    href: format!("/evidence/{}", e.id),
                    detail: format!(
                        "{}{sep}{} KB{sep}SHA-256 {}{sep}{}",
                        file.content_type,
                        (file.size_bytes + 1023) / 1024,
                        file.sha256,
                        chrome.fill(chrome.c.by_on, &e.added_by, chrome.date(&when)),
                        sep = chrome.c.dot,
                    ),
                },
                (None, link) => EvidenceRow {
                    id: e.id,
                    label: e.label.clone(),
                    href: link.clone().unwrap_or_default(),
                    detail: format!(
                        "{}{}{}",
                        chrome.c.record_in_mamori,
                        chrome.c.dot,
                        chrome.fill(chrome.c.by_on, &e.added_by, chrome.date(&when))
                    ),
                },
            }
        })
        .collect();
    // The vendors' answers feed 2(2) リモートメンテナンス and 2(3) MDS/SDS.
    let (vendor_facts, vendor_documents) = if item.vendor_contract_only {
        let (answers, documents) =
            mamori_store::vendor::answers_for_year(&state.store, grant, at.year).await?;
        (
            answers
                .into_iter()
                .filter(|a| a.item_key == item.key)
                .map(|a| VendorFact {
                    vendor: a.vendor_name,
                    answer: chrome.locale.pick(a.answer.name_ja(), a.answer.name_en()),
                    date: chrome.date(&a.answered_on),
                    remarks: a.remarks,
                })
                .collect(),
            if item.key == "mds-sds" {
                documents
                    .into_iter()
                    .map(|d| (d.id, d.vendor_name, d.name))
                    .collect()
            } else {
                Vec::new()
            },
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // The device ledger's live state beside 台帳管理, remote maintenance, patches …
    let answered_yes = stored
        .and_then(|s| s.record.current())
        .is_some_and(|current| current.answer == mamori_domain::checklist::Answer::Yes);
    let ledger = match grant.principal().grant::<permissions::ViewLedger>() {
        Some(ledger_grant) => {
            crate::ledger::checklist_box(state, chrome, &ledger_grant, &item.key, answered_yes)
                .await?
        }
        None => None,
    };
    // The contact chart beside 連絡体制図.
    let ledger = match (
        ledger,
        grant.principal().grant::<permissions::ViewContacts>(),
    ) {
        (None, Some(chart_grant)) => {
            crate::incident::contacts::checklist_box(
                state,
                chrome,
                &chart_grant,
                &item.key,
                answered_yes,
            )
            .await?
        }
        (ledger, _) => ledger,
    };
    // The drills and incidents beside the BCP item.
    let ledger = match ledger {
        None => crate::incident::checklist_box(state, chrome, grant.principal(), &item.key).await?,
        ledger => ledger,
    };
    // The approved security policy beside 運用管理規程.
    let ledger = match ledger {
        None => crate::policy::checklist_box(state, chrome, grant.principal(), &item.key).await?,
        ledger => ledger,
    };
    // The access logs' monthly review beside アクセスログの管理.
    let ledger = match ledger {
        None => {
            crate::access_log::checklist_box(state, chrome, grant.principal(), &item.key).await?
        }
        ledger => ledger,
    };
    let (form, errors) = posted.unwrap_or_else(|| {
        // A first answer is usually checked today: start the date there.
        let form = stored
            .map(|s| ItemForm::from_record(&s.record))
            .unwrap_or_else(|| ItemForm {
                first_date: today.to_string(),
                ..ItemForm::default()
            });
        (form, Vec::new())
    });
    let page = ItemPage {
        base: format!("/checklist/{}/{}", at.form.code(), at.year),
        year_label: chrome.fiscal_year(&at.year),
        label: item_label(chrome.locale, catalog, item),
        item: item.clone(),
        unverified: catalog.needs_wording_check(item),
        catalog_source: item
            .source
            .clone()
            .unwrap_or_else(|| catalog.source.clone()),
        state_class,
        state_text,
        started: assessment.is_some(),
        can_edit: grant.principal().role().has(Permission::EditChecklist),
        needs_recheck: stored.is_some_and(|s| s.record.needs_recheck),
        answered_by: stored.and_then(|s| {
            s.answered_by.as_ref().map(|who| {
                let when = s.updated_at.to_zoned_datetime(crate::tokyo()).date();
                chrome.fill(chrome.c.by_on, who, chrome.date(&when))
            })
        }),
        form,
        has_checked_on: catalog.has_column(AnswerColumn::CheckedOn),
        errors,
        year_first: at.year.first_day().to_string(),
        year_last: at.year.last_day().to_string(),
        evidence,
        vendor_facts,
        vendor_documents,
        ledger,
        chrome: chrome.clone(),
    };
    chrome.render_with_status(status, &page)
}

/// `GET /checklist/{form}/{year}/items/{key}`.
pub(super) async fn item(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let catalog = catalog_for(&state, authorized.grant.principal(), &at, chrome.locale).await?;
    let item = catalog
        .item(&key)
        .ok_or_else(|| AppError::not_found(chrome.locale))?;
    render_item(
        &state,
        &chrome,
        &at,
        &authorized.grant,
        &catalog,
        item,
        None,
    )
    .await
}

/// What every change to an item works on: the catalog in force, the item and
/// the started assessment (404 for an unknown item, 400 before the year is started).
struct OpenItem {
    catalog: Catalog,
    item: CatalogItem,
    assessment_id: i64,
}

impl OpenItem {
    async fn load(
        state: &AppState,
        at: &FormYear,
        key: &str,
        grant: &Grant<permissions::EditChecklist>,
        locale: Locale,
    ) -> Result<Self, AppError> {
        let catalog = catalog_for(state, grant.principal(), at, locale).await?;
        let item = catalog
            .item(key)
            .cloned()
            .ok_or_else(|| AppError::not_found(locale))?;
        let assessment = assessment_or_404(state, grant, at, locale).await?;
        Ok(Self {
            catalog,
            item,
            assessment_id: assessment.id,
        })
    }

    /// Back to the item page, saying it was saved.
    fn saved(&self, at: &FormYear) -> Response {
        Redirect::to(&format!(
            "/checklist/{}/{}/items/{}?done=saved",
            at.form.code(),
            at.year,
            self.item.key
        ))
        .into_response()
    }

    /// The item page again with `form` and the reason it was refused; nothing was stored.
    async fn refuse(
        &self,
        state: &AppState,
        chrome: &Chrome,
        at: &FormYear,
        grant: &Grant<permissions::EditChecklist>,
        form: ItemForm,
        error: &ParseError,
    ) -> Result<Response, AppError> {
        let posted = Some((form, vec![describe(error, chrome.locale)]));
        render_item(state, chrome, at, grant, &self.catalog, &self.item, posted).await
    }

    async fn add_evidence(
        &self,
        state: &AppState,
        at: &FormYear,
        grant: &Grant<permissions::EditChecklist>,
        evidence: &NewEvidence,
    ) -> Result<Response, AppError> {
        mamori_store::checklist::add_evidence(
            &state.store,
            grant,
            self.assessment_id,
            &self.item.key,
            evidence,
            state.clock.now(),
        )
        .await?;
        Ok(self.saved(at))
    }
}

/// `POST /checklist/{form}/{year}/items/{key}`: saves the answer, or shows the
/// form again with the reason; nothing is stored then.
pub(super) async fn save_item(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::EditChecklist>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let open = OpenItem::load(&state, &at, &key, grant, chrome.locale).await?;
    match parse_item_record(
        &form.raw(&open.catalog),
        &open.item,
        at.year,
        state.clock.today(),
    ) {
        Ok(record) => {
            mamori_store::checklist::save_answer(
                &state.store,
                grant,
                open.assessment_id,
                &open.item.key,
                &record,
                state.clock.now(),
            )
            .await?;
            Ok(open.saved(&at))
        }
        Err(error) => open.refuse(&state, &chrome, &at, grant, form, &error).await,
    }
}

/// `POST …/items/{key}/evidence`: one uploaded file (multipart), checked for
/// type and size and stored with its SHA-256.
pub(super) async fn upload_evidence(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::EditChecklist>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let open = OpenItem::load(&state, &at, &key, grant, chrome.locale).await?;
    let accepted = form
        .files
        .iter()
        .find(|file| file.field == "file")
        .ok_or(ParseError::new("file", ParseErrorKind::Empty))
        .and_then(|file| Ok((accept_upload("file", &file.name, &file.bytes)?, file)));
    match accepted {
        Ok((accepted, file)) => {
            let evidence = NewEvidence::File {
                name: accepted.name,
                content_type: accepted.content_type.to_owned(),
                sha256: hex(&Sha256::digest(&file.bytes)),
                content: file.bytes.clone(),
            };
            open.add_evidence(&state, &at, grant, &evidence).await
        }
        Err(error) => {
            open.refuse(&state, &chrome, &at, grant, ItemForm::default(), &error)
                .await
        }
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The link-evidence form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct LinkForm {
    path: String,
    label: String,
}

/// `POST …/items/{key}/links`: evidence that is a page of mamori (a user list, the audit trail …).
pub(super) async fn add_link(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::EditChecklist>,
    CsrfForm(form): CsrfForm<LinkForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let open = OpenItem::load(&state, &at, &key, grant, chrome.locale).await?;
    match parse_evidence_link(&form.path, &form.label) {
        Ok((path, label)) => {
            open.add_evidence(&state, &at, grant, &NewEvidence::Link { path, label })
                .await
        }
        Err(error) => {
            open.refuse(&state, &chrome, &at, grant, ItemForm::default(), &error)
                .await
        }
    }
}

/// A stored file, sent as an attachment that the browser must not sniff or run.
pub(crate) fn attachment(name: &str, content_type: &str, content: Vec<u8>) -> Response {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        content,
    )
        .into_response()
}

/// `GET /evidence/{id}`.
pub(super) async fn download_evidence(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let (name, content_type, content) =
        mamori_store::checklist::evidence_file(&state.store, &authorized.grant, id).await?;
    Ok(attachment(&name, &content_type, content))
}

/// The remove form: which page to come back to.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct RemoveForm {
    back: String,
}

/// `POST /evidence/{id}/remove`.
pub(super) async fn remove_evidence(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditChecklist>,
    CsrfForm(form): CsrfForm<RemoveForm>,
) -> Result<Response, AppError> {
    mamori_store::checklist::remove_evidence(
        &state.store,
        &authorized.grant,
        id,
        state.clock.now(),
    )
    .await?;
    // Only a path of our own checklist pages, never an outside address.
    let back = if form.back.starts_with("/checklist/") && !form.back.contains("//") {
        form.back
    } else {
        "/checklist".into()
    };
    Ok(Redirect::to(&format!("{back}?done=saved")).into_response())
}

async fn print_data(
    state: &AppState,
    chrome: &Chrome,
    at: &FormYear,
    authorized: &Authorized<permissions::ViewChecklist>,
) -> Result<(mamori_docs::ChecklistPrint, Option<i64>), AppError> {
    let catalog = catalog_for(state, authorized.grant.principal(), at, chrome.locale).await?;
    let institution = mamori_store::institution::get(&state.store, &authorized.grant).await?;
    let assessment =
        mamori_store::checklist::assessment(&state.store, &authorized.grant, at.form, at.year)
            .await?;
    let print = super::print::checklist_print(
        &catalog,
        assessment.as_ref(),
        institution.details.name(),
        at.year,
        state.clock.today(),
    );
    Ok((print, assessment.map(|a| a.id)))
}

/// `GET /checklist/{form}/{year}/print.pdf`: the filled form (a blank one before the year is started).
pub(super) async fn pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let (print, assessment_id) = print_data(&state, &chrome, &at, &authorized).await?;
    let bytes = state
        .heavy
        .print(chrome.locale, move || mamori_docs::checklist_pdf(&print))
        .await?;
    if let Some(id) = assessment_id {
        mamori_store::checklist::record_export(
            &state.store,
            &authorized.grant,
            id,
            "pdf",
            state.clock.now(),
        )
        .await?;
    }
    let name = format!("checklist-{}-{}.pdf", at.form.code(), at.year);
    Ok(attachment(&name, "application/pdf", bytes))
}

/// `GET /checklist/{form}/{year}/export.xlsx`.
pub(super) async fn xlsx(
    State(state): State<AppState>,
    chrome: Chrome,
    at: FormYear,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let (print, assessment_id) = print_data(&state, &chrome, &at, &authorized).await?;
    let bytes = mamori_docs::checklist_xlsx(&print)
        .map_err(|error| AppError::Unexpected(error.to_string()))?;
    if let Some(id) = assessment_id {
        mamori_store::checklist::record_export(
            &state.store,
            &authorized.grant,
            id,
            "xlsx",
            state.clock.now(),
        )
        .await?;
    }
    let name = format!("checklist-{}-{}.xlsx", at.form.code(), at.year);
    Ok(attachment(
        &name,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}
