//! Versions of the checklist forms made in mamori (issue #16): the list of
//! every version the institution sees, a new 年度's version made from an
//! earlier one, its header and items edited, published, and downloaded as a
//! catalog file to ship in the next release.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::checklist::{
    AnswerColumn, Catalog, CatalogItem, FormKind, NewVersion, RawHeaderEdit, RawItemEdit, Target,
    VersionId, apply_header_edit, parse_item_edit, parse_new_version,
};
use mamori_domain::institution::{Grant, Permission, permissions};
use mamori_domain::{ParseError, ParseErrorKind};
use mamori_store::checklist_version::{NewDraft, StoredVersion, VersionStatus};
use serde_json::json;

use super::ItemKey;
use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// `{id}` of a version route (which may also carry an item `{key}`); anything
/// but a positive number is no page.
pub(super) struct VersionPath(VersionId);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for VersionPath {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let locale = crate::i18n::Locale::from_parts(parts);
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::not_found(locale))?;
        params
            .iter()
            .find(|(name, _)| name == "id")
            .and_then(|(_, raw)| raw.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .map(|id| Self(VersionId::from_db(id)))
            .ok_or(AppError::not_found(locale))
    }
}

/// One version as the list shows it.
struct VersionRow {
    id: String,
    form_name: String,
    year: String,
    origin: String,
    status: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "checklist/versions.html")]
struct VersionsPage {
    chrome: Chrome,
    rows: Vec<VersionRow>,
    can_edit: bool,
    /// (catalog id, label) of every version a new one can start from.
    bases: Vec<(String, String)>,
    form: NewVersionForm,
    errors: Vec<String>,
}

/// The "new version" form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct NewVersionForm {
    base: String,
    fiscal_year: String,
    combined: String,
}

fn origin_label(chrome: &Chrome, shared: bool) -> String {
    if shared {
        chrome.c.version_origin_server.to_owned()
    } else {
        chrome.c.version_origin_own.to_owned()
    }
}

fn status_label(chrome: &Chrome, status: VersionStatus) -> String {
    match status {
        VersionStatus::Draft => chrome.c.version_draft.to_owned(),
        VersionStatus::Published => chrome.c.version_published.to_owned(),
    }
}

fn form_name(chrome: &Chrome, catalog: &Catalog) -> String {
    chrome
        .locale
        .pick(&catalog.form_name_ja(), &catalog.form_name_en())
        .to_owned()
}

async fn render_list(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewChecklist>,
    form: NewVersionForm,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let stored = mamori_store::checklist_version::list(&state.store, grant).await?;
    let catalogs = super::catalogs_for(state, grant.principal()).await?;
    let institution = mamori_store::institution::get(&state.store, grant).await?;
    let own_form = super::institution_form(institution.details.kind());
    let year = mamori_domain::calendar::FiscalYear::containing(state.clock.today());
    // The versions this year's checks use, for the list's state column.
    let in_use: Vec<String> = FormKind::ALL
        .into_iter()
        .filter_map(|form| catalogs.for_year(form, year).map(Catalog::id))
        .collect();
    let status_of = |id: &str, status: VersionStatus| match status {
        VersionStatus::Published if in_use.iter().any(|used| used == id) => {
            chrome.c.version_in_use.to_owned()
        }
        other => status_label(chrome, other),
    };
    let mut rows: Vec<VersionRow> = stored
        .iter()
        .map(|version| {
            let parsed = super::parse_stored(state, version);
            VersionRow {
                id: version.catalog_id.clone(),
                form_name: parsed
                    .as_ref()
                    .map(|catalog| form_name(chrome, catalog))
                    .unwrap_or_default(),
                year: parsed
                    .as_ref()
                    .map(|catalog| chrome.fiscal_year(&catalog.fiscal_year))
                    .unwrap_or_default(),
                origin: origin_label(chrome, version.shared),
                status: status_of(&version.catalog_id, version.status),
                href: Some(format!("/checklist-versions/{}", version.id)),
            }
        })
        .collect();
    rows.extend(state.catalogs.all().iter().rev().map(|catalog| VersionRow {
        id: catalog.id(),
        form_name: form_name(chrome, catalog),
        year: chrome.fiscal_year(&catalog.fiscal_year),
        origin: chrome.c.version_origin_shipped.to_owned(),
        status: chrome.c.version_published.to_owned(),
        href: None,
    }));
    // The institution's own form first, newest first: the usual starting point.
    let mut ordered: Vec<&Catalog> = catalogs.all().iter().rev().collect();
    ordered.sort_by_key(|catalog| !catalog.serves(own_form));
    let bases = ordered
        .into_iter()
        .map(|catalog| {
            (
                catalog.id(),
                format!("{} {}", catalog.id(), form_name(chrome, catalog)),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = VersionsPage {
        chrome: chrome.clone(),
        rows,
        can_edit: grant
            .principal()
            .role()
            .has(Permission::EditChecklistVersions),
        bases,
        form,
        errors,
    };
    chrome.render_with_status(status, &page)
}

/// `GET /checklist-versions`.
pub(super) async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    render_list(
        &state,
        &chrome,
        &authorized.grant,
        NewVersionForm::default(),
        Vec::new(),
    )
    .await
}

/// `POST /checklist-versions`: a draft of a new 年度's version, made from an
/// earlier one, or the list again with the reason.
pub(super) async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(form): CsrfForm<NewVersionForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    let catalogs = super::catalogs_for(&state, grant.principal()).await?;
    let Some(base) = catalogs.by_id(form.base.trim()) else {
        let error = ParseError::new("base", ParseErrorKind::UnknownChoice);
        return refuse_new(&state, &chrome, grant, form, &error).await;
    };
    let new: NewVersion =
        match parse_new_version(&form.fiscal_year, !form.combined.is_empty(), base) {
            Ok(new) => new,
            Err(error) => return refuse_new(&state, &chrome, grant, form, &error).await,
        };
    let next = base.successor(&new);
    let (checked, body) = catalogs
        .check_version(&next)
        .map_err(|error| AppError::Unexpected(format!("a successor did not validate: {error}")))?;
    let draft = NewDraft {
        catalog_id: &checked.id(),
        form: checked.form,
        fiscal_year: checked.fiscal_year.start_year(),
        based_on: &base.id(),
        body: &body,
    };
    match mamori_store::checklist_version::create(&state.store, grant, &draft, state.clock.now())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/checklist-versions/{id}?done=saved")).into_response()),
        Err(mamori_store::Error::Conflict(_)) => {
            let error = ParseError::new(
                "version_year",
                ParseErrorKind::Inconsistent("this version has been made already"),
            );
            refuse_new(&state, &chrome, grant, form, &error).await
        }
        Err(error) => Err(AppError::from_store(chrome.locale, error)),
    }
}

/// The list again with the new-version form and why it was refused.
async fn refuse_new(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::EditChecklistVersions>,
    form: NewVersionForm,
    error: &ParseError,
) -> Result<Response, AppError> {
    let view = grant
        .principal()
        .grant::<permissions::ViewChecklist>()
        .ok_or_else(|| AppError::forbidden(chrome.locale))?;
    render_list(
        state,
        chrome,
        &view,
        form,
        vec![describe(error, chrome.locale)],
    )
    .await
}

/// One item as the version page lists it.
struct ItemRow {
    key: String,
    number: String,
    group: String,
    target: String,
    text: String,
    due: String,
    unchanged: bool,
    verified: bool,
    checked: Option<String>,
}

#[derive(Template)]
#[template(path = "checklist/version.html")]
struct VersionPage {
    chrome: Chrome,
    id: VersionId,
    catalog_id: String,
    title: String,
    form_name: String,
    year: String,
    based_on: String,
    status: String,
    origin: String,
    made: String,
    published: Option<String>,
    editable: bool,
    is_vendor_form: bool,
    header: HeaderForm,
    /// (code, heading, ticked) of every column.
    columns: Vec<(&'static str, &'static str, bool)>,
    items: Vec<ItemRow>,
    form: ItemForm,
    groups: Vec<String>,
    targets: Vec<&'static str>,
    errors: Vec<String>,
    updated_at: String,
}

/// The version's own form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct HeaderForm {
    form_title: String,
    form_source: String,
    published_on: String,
    gate_text: String,
    notes: String,
    groups: String,
    columns: Vec<String>,
    combined: String,
    seen: String,
}

impl HeaderForm {
    fn of(catalog: &Catalog) -> Self {
        Self {
            form_title: catalog.title.clone(),
            form_source: catalog.source.clone(),
            published_on: catalog.published.map(|d| d.to_string()).unwrap_or_default(),
            gate_text: catalog.gate.clone().unwrap_or_default(),
            notes: catalog.notes.join("\n"),
            groups: catalog
                .groups
                .iter()
                .map(|g| format!("{} {}", g.number, g.name))
                .collect::<Vec<_>>()
                .join("\n"),
            columns: catalog
                .columns
                .iter()
                .map(|c| c.code().to_owned())
                .collect(),
            combined: if catalog.also_serves.is_some() {
                "on".into()
            } else {
                String::new()
            },
            seen: String::new(),
        }
    }

    fn raw(&self) -> RawHeaderEdit<'_> {
        RawHeaderEdit {
            title: &self.form_title,
            source: &self.form_source,
            published: &self.published_on,
            gate: &self.gate_text,
            notes: &self.notes,
            groups: &self.groups,
            columns: self.columns.iter().map(String::as_str).collect(),
            combined: !self.combined.is_empty(),
        }
    }
}

/// An item's form (new or edited).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct ItemForm {
    item_key: String,
    item_number: String,
    item_group: String,
    item_target: String,
    item_text: String,
    item_due: String,
    verified: String,
    unchanged: String,
    vendor_contract_only: String,
    item_note: String,
    check_document: String,
    check_url: String,
    check_on: String,
    check_by: String,
    meaning: String,
    evidence_text: String,
    who: String,
    for_vendor: String,
    /// The key of the item a new one goes after (empty: at the end).
    after: String,
    seen: String,
}

fn on(flag: bool) -> String {
    if flag { "on".into() } else { String::new() }
}

impl ItemForm {
    fn of(catalog: &Catalog, item: &CatalogItem) -> Self {
        let check = item.checked.as_ref();
        Self {
            item_key: item.key.clone(),
            item_number: item.number.clone(),
            item_group: catalog
                .groups
                .get(item.group)
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            item_target: item
                .target
                .map(|t| t.name_ja().to_owned())
                .unwrap_or_default(),
            item_text: item.text.clone(),
            item_due: item.due.start_year().to_string(),
            verified: on(item.verified),
            unchanged: on(item.unchanged),
            vendor_contract_only: on(item.vendor_contract_only),
            item_note: item.note.clone().unwrap_or_default(),
            check_document: check.map(|c| c.document.clone()).unwrap_or_default(),
            check_url: check.map(|c| c.url.clone()).unwrap_or_default(),
            check_on: check.map(|c| c.on.to_string()).unwrap_or_default(),
            check_by: check.map(|c| c.by.clone()).unwrap_or_default(),
            meaning: item.guidance.meaning.clone(),
            evidence_text: item.guidance.evidence.clone(),
            who: item.guidance.who.clone(),
            for_vendor: item.guidance.for_vendor.clone().unwrap_or_default(),
            after: String::new(),
            seen: String::new(),
        }
    }

    fn blank(catalog: &Catalog) -> Self {
        Self {
            item_due: catalog.fiscal_year.start_year().to_string(),
            item_group: catalog
                .groups
                .first()
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            after: catalog
                .items
                .last()
                .map(|i| i.key.clone())
                .unwrap_or_default(),
            ..Self::default()
        }
    }

    fn raw(&self) -> RawItemEdit<'_> {
        RawItemEdit {
            key: &self.item_key,
            number: &self.item_number,
            group: &self.item_group,
            target: &self.item_target,
            text: &self.item_text,
            due: &self.item_due,
            verified: !self.verified.is_empty(),
            unchanged: !self.unchanged.is_empty(),
            vendor_contract_only: !self.vendor_contract_only.is_empty(),
            note: &self.item_note,
            check_document: &self.check_document,
            check_url: &self.check_url,
            check_on: &self.check_on,
            check_by: &self.check_by,
            meaning: &self.meaning,
            evidence: &self.evidence_text,
            who: &self.who,
            for_vendor: &self.for_vendor,
        }
    }
}

/// A stored version read back as a catalog (it was validated when saved).
fn parsed(state: &AppState, version: &StoredVersion) -> Result<Catalog, AppError> {
    super::parse_stored(state, version)
        .map_err(|error| AppError::Unexpected(format!("stored version {}: {error}", version.id)))
}

fn seen_stamp(version: &StoredVersion) -> String {
    version.updated_at.as_microsecond().to_string()
}

/// What the version page shows besides the version: a refused form and its errors.
#[derive(Default)]
struct Posted {
    header: Option<HeaderForm>,
    item: Option<ItemForm>,
    errors: Vec<String>,
}

async fn render_version<P: permissions::ReadsChecklist>(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<P>,
    id: VersionId,
    posted: Posted,
) -> Result<Response, AppError> {
    let version = mamori_store::checklist_version::get(&state.store, grant, id).await?;
    let catalog = parsed(state, &version)?;
    let editable = version.status == VersionStatus::Draft
        && !version.shared
        && grant
            .principal()
            .role()
            .has(Permission::EditChecklistVersions);
    let status = if posted.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let header = posted.header.unwrap_or_else(|| HeaderForm::of(&catalog));
    let ticked: Vec<&str> = header.columns.iter().map(String::as_str).collect();
    let page = VersionPage {
        id,
        catalog_id: version.catalog_id.clone(),
        title: catalog.title.clone(),
        form_name: form_name(chrome, &catalog),
        year: chrome.fiscal_year(&catalog.fiscal_year),
        based_on: version.based_on.clone(),
        status: status_label(chrome, version.status),
        origin: origin_label(chrome, version.shared),
        made: chrome.fill(
            chrome.c.by_on,
            version
                .created_by
                .as_deref()
                .unwrap_or(chrome.c.version_operator),
            chrome.date(&version.created_at.to_zoned_datetime(crate::tokyo()).date()),
        ),
        published: version.published_at.map(|at| {
            chrome.fill(
                chrome.c.by_on,
                version
                    .published_by
                    .as_deref()
                    .unwrap_or(chrome.c.version_operator),
                chrome.date(&at.to_zoned_datetime(crate::tokyo()).date()),
            )
        }),
        editable,
        is_vendor_form: catalog.form == FormKind::Vendor,
        columns: AnswerColumn::ALL
            .into_iter()
            .map(|column| {
                (
                    column.code(),
                    chrome.locale.pick(column.name_ja(), column.name_en()),
                    ticked.contains(&column.code()),
                )
            })
            .collect(),
        header,
        items: catalog
            .items
            .iter()
            .map(|item| ItemRow {
                key: item.key.clone(),
                number: item.number.clone(),
                group: catalog
                    .groups
                    .get(item.group)
                    .map(|g| format!("{} {}", g.number, g.name))
                    .unwrap_or_default(),
                target: item
                    .target
                    .map(|t| t.name_ja().to_owned())
                    .unwrap_or_default(),
                text: item.text.clone(),
                due: chrome.fiscal_year(&item.due),
                unchanged: item.unchanged,
                verified: !catalog.needs_wording_check(item),
                checked: item.checked.as_ref().map(|check| {
                    format!(
                        "{}（{}、{}）",
                        check.document,
                        chrome.date(&check.on),
                        check.by
                    )
                }),
            })
            .collect(),
        form: posted.item.unwrap_or_else(|| ItemForm::blank(&catalog)),
        groups: catalog.groups.iter().map(|g| g.name.clone()).collect(),
        targets: TARGETS.iter().map(|t| t.name_ja()).collect(),
        errors: posted.errors,
        updated_at: seen_stamp(&version),
        chrome: chrome.clone(),
    };
    chrome.render_with_status(status, &page)
}

const TARGETS: [Target; 4] = [Target::General, Target::Server, Target::Pc, Target::Network];

/// `GET /checklist-versions/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    render_version(&state, &chrome, &authorized.grant, id, Posted::default()).await
}

/// A draft open for editing: the stored version and its catalog.
struct Draft {
    version: StoredVersion,
    catalog: Catalog,
}

impl Draft {
    async fn load(
        state: &AppState,
        grant: &Grant<permissions::EditChecklistVersions>,
        id: VersionId,
        chrome: &Chrome,
    ) -> Result<Self, AppError> {
        let version = mamori_store::checklist_version::get(&state.store, grant, id).await?;
        if version.shared || version.status != VersionStatus::Draft {
            return Err(AppError::bad_request(
                chrome.locale,
                chrome.c.version_not_draft,
            ));
        }
        let catalog = parsed(state, &version)?;
        Ok(Self { version, catalog })
    }

    /// Validates `edited` as a catalog file and stores it, with `change` in
    /// the audit trail; a draft saved by someone else meanwhile is refused.
    async fn save(
        &self,
        state: &AppState,
        grant: &Grant<permissions::EditChecklistVersions>,
        seen: &str,
        edited: &Catalog,
        change: serde_json::Value,
        chrome: &Chrome,
    ) -> Result<Option<String>, AppError> {
        let body = match state.catalogs.check_version(edited) {
            Ok((_, body)) => body,
            // The forms check everything a file checks; anything left is named as the file names it.
            Err(error) => return Ok(Some(error.to_string())),
        };
        let seen = seen
            .parse::<i64>()
            .ok()
            .and_then(|micros| jiff::Timestamp::from_microsecond(micros).ok())
            .unwrap_or(self.version.updated_at);
        match mamori_store::checklist_version::save_draft(
            &state.store,
            grant,
            self.version.id,
            seen,
            &body,
            change,
            state.clock.now(),
        )
        .await
        {
            Ok(()) => Ok(None),
            Err(mamori_store::Error::Conflict("updated_at")) => {
                Ok(Some(chrome.c.version_changed_meanwhile.to_owned()))
            }
            Err(error) => Err(AppError::from_store(chrome.locale, error)),
        }
    }
}

fn saved(id: VersionId) -> Response {
    Redirect::to(&format!("/checklist-versions/{id}?done=saved")).into_response()
}

/// Why an edit was not made.
enum Refused {
    /// The form broke a rule: shown again with the reason.
    Rule(ParseError),
    /// The item edited is not in the version.
    NotFound,
}

impl From<ParseError> for Refused {
    fn from(error: ParseError) -> Self {
        Self::Rule(error)
    }
}

/// Where a refused form goes back to, with what was typed.
enum Back {
    /// The version page (header, new item or remove).
    Version(Box<Posted>),
    /// An item's page.
    Item(String, Box<ItemForm>),
}

/// Every change to a draft: load it, let `edit` make the edited catalog and
/// the audit trail's account of the change, validate and save both — or show
/// the form again with the reason, having stored nothing.
async fn edit_draft(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::EditChecklistVersions>,
    id: VersionId,
    seen: &str,
    back: Back,
    edit: impl FnOnce(&Catalog) -> Result<(Catalog, serde_json::Value), Refused>,
) -> Result<Response, AppError> {
    let draft = Draft::load(state, grant, id, chrome).await?;
    let error = match edit(&draft.catalog) {
        Ok((edited, change)) => match draft
            .save(state, grant, seen, &edited, change, chrome)
            .await?
        {
            None => return Ok(saved(id)),
            Some(error) => error,
        },
        Err(Refused::Rule(error)) => describe(&error, chrome.locale),
        Err(Refused::NotFound) => return Err(AppError::not_found(chrome.locale)),
    };
    match back {
        Back::Version(posted) => {
            let posted = Posted {
                errors: vec![error],
                ..*posted
            };
            render_version(state, chrome, grant, id, posted).await
        }
        Back::Item(key, form) => {
            let form = *form;
            render_item(state, chrome, grant, id, &key, Some((form, vec![error]))).await
        }
    }
}

/// `POST /checklist-versions/{id}/header`.
pub(super) async fn save_header(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(form): CsrfForm<HeaderForm>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let back = Back::Version(Box::new(Posted {
        header: Some(form.clone()),
        ..Posted::default()
    }));
    edit_draft(&state, &chrome, &authorized.grant, id, &form.seen, back, |catalog| {
        let mut edited = catalog.clone();
        apply_header_edit(&mut edited, &form.raw(), today)?;
        let change = json!({ "part": "header", "before": header_json(catalog), "after": header_json(&edited) });
        Ok((edited, change))
    })
    .await
}

fn header_json(catalog: &Catalog) -> serde_json::Value {
    json!({
        "title": catalog.title,
        "source": catalog.source,
        "published": catalog.published.map(|d| d.to_string()),
        "gate": catalog.gate,
        "notes": catalog.notes,
        "groups": catalog.groups.iter().map(|g| format!("{} {}", g.number, g.name)).collect::<Vec<_>>(),
        "columns": catalog.columns.iter().map(|c| c.code()).collect::<Vec<_>>(),
        "also_serves": catalog.also_serves.map(FormKind::code),
    })
}

fn item_json(catalog: &Catalog, item: &CatalogItem) -> serde_json::Value {
    json!({
        "key": item.key,
        "number": item.number,
        "group": catalog.groups.get(item.group).map(|g| g.name.clone()),
        "target": item.target.map(Target::name_ja),
        "text": item.text,
        "due": item.due.start_year(),
        "verified": item.verified,
        "unchanged": item.unchanged,
        "checked": item.checked.as_ref().map(|c| json!({ "document": c.document, "url": c.url, "on": c.on.to_string(), "by": c.by })),
    })
}

/// `POST /checklist-versions/{id}/items`: adds an item.
pub(super) async fn add_item(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let back = Back::Version(Box::new(Posted {
        item: Some(form.clone()),
        ..Posted::default()
    }));
    edit_draft(&state, &chrome, &authorized.grant, id, &form.seen, back, |catalog| {
        let item = parse_item_edit(&form.raw(), catalog, state.catalogs.guidance(), None, today)?;
        let mut edited = catalog.clone();
        let after = Some(form.after.trim()).filter(|key| !key.is_empty());
        edited.insert_item(after, item.clone());
        let change = json!({ "part": "item", "key": item.key, "before": null, "after": item_json(&edited, &item) });
        Ok((edited, change))
    })
    .await
}

#[derive(Template)]
#[template(path = "checklist/version_item.html")]
struct VersionItemPage {
    chrome: Chrome,
    id: VersionId,
    catalog_id: String,
    key: String,
    /// `① 医療情報システム安全管理責任者を設置している。`: how the heading names the item.
    heading: String,
    editable: bool,
    is_vendor_form: bool,
    form: ItemForm,
    groups: Vec<String>,
    targets: Vec<&'static str>,
    errors: Vec<String>,
    updated_at: String,
}

async fn render_item<P: permissions::ReadsChecklist>(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<P>,
    id: VersionId,
    key: &str,
    posted: Option<(ItemForm, Vec<String>)>,
) -> Result<Response, AppError> {
    let version = mamori_store::checklist_version::get(&state.store, grant, id).await?;
    let catalog = parsed(state, &version)?;
    let item = catalog
        .item(key)
        .ok_or_else(|| AppError::not_found(chrome.locale))?;
    let status = if posted.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (form, errors) = posted.unwrap_or_else(|| (ItemForm::of(&catalog, item), Vec::new()));
    let page = VersionItemPage {
        id,
        catalog_id: version.catalog_id.clone(),
        key: item.key.clone(),
        heading: format!("{} {}", item.number, item.text),
        editable: version.status == VersionStatus::Draft
            && !version.shared
            && grant
                .principal()
                .role()
                .has(Permission::EditChecklistVersions),
        is_vendor_form: catalog.form == FormKind::Vendor,
        form,
        groups: catalog.groups.iter().map(|g| g.name.clone()).collect(),
        targets: TARGETS.iter().map(|t| t.name_ja()).collect(),
        errors,
        updated_at: seen_stamp(&version),
        chrome: chrome.clone(),
    };
    chrome.render_with_status(status, &page)
}

/// `GET /checklist-versions/{id}/items/{key}`.
pub(super) async fn item(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    render_item(&state, &chrome, &authorized.grant, id, &key, None).await
}

/// `POST /checklist-versions/{id}/items/{key}`: saves an item (its key may change).
pub(super) async fn save_item(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(form): CsrfForm<ItemForm>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let back = Back::Item(key.clone(), Box::new(form.clone()));
    edit_draft(
        &state,
        &chrome,
        &authorized.grant,
        id,
        &form.seen,
        back,
        |catalog| {
            let before = catalog.item(&key).ok_or(Refused::NotFound)?;
            let item = parse_item_edit(
                &form.raw(),
                catalog,
                state.catalogs.guidance(),
                Some(&key),
                today,
            )?;
            let mut edited = catalog.clone();
            edited.replace_item(&key, item.clone())?;
            let change = json!({
                "part": "item",
                "key": key,
                "before": item_json(catalog, before),
                "after": item_json(&edited, &item),
            });
            Ok((edited, change))
        },
    )
    .await
}

/// The remove and publish forms carry only the stamp of the text they saw.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub(super) struct SeenForm {
    seen: String,
}

/// `POST /checklist-versions/{id}/items/{key}/remove`.
pub(super) async fn remove_item(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    ItemKey(key): ItemKey,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(form): CsrfForm<SeenForm>,
) -> Result<Response, AppError> {
    let back = Back::Version(Box::default());
    edit_draft(&state, &chrome, &authorized.grant, id, &form.seen, back, |catalog| {
        let mut edited = catalog.clone();
        let removed = match edited.remove_item(&key) {
            Ok(removed) => removed,
            Err(error) if *error.kind() == ParseErrorKind::UnknownChoice => {
                return Err(Refused::NotFound);
            }
            Err(error) => return Err(error.into()),
        };
        let change = json!({ "part": "item", "key": key, "before": item_json(catalog, &removed), "after": null });
        Ok((edited, change))
    })
    .await
}

/// `POST /checklist-versions/{id}/publish`: the draft is in force from now on.
pub(super) async fn publish(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(_): CsrfForm<SeenForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    Draft::load(&state, grant, id, &chrome).await?;
    mamori_store::checklist_version::publish(&state.store, grant, id, state.clock.now())
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(saved(id))
}

/// `POST /checklist-versions/{id}/discard`: a draft no longer wanted is
/// removed (its text is kept in the audit trail).
pub(super) async fn discard(
    State(state): State<AppState>,
    chrome: Chrome,
    VersionPath(id): VersionPath,
    authorized: Authorized<permissions::EditChecklistVersions>,
    CsrfForm(_): CsrfForm<SeenForm>,
) -> Result<Response, AppError> {
    let grant = &authorized.grant;
    Draft::load(&state, grant, id, &chrome).await?;
    mamori_store::checklist_version::discard_draft(&state.store, grant, id, state.clock.now())
        .await
        .map_err(|error| AppError::from_store(chrome.locale, error))?;
    Ok(Redirect::to("/checklist-versions?done=saved").into_response())
}

/// `GET /checklist-versions/{id}/catalog.yaml`: the version as a catalog file,
/// to put under `catalogs/checklists/` (or the data folder's `catalogs/`).
pub(super) async fn download(
    State(state): State<AppState>,
    VersionPath(id): VersionPath,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let version = mamori_store::checklist_version::get(&state.store, &authorized.grant, id).await?;
    let name = format!("{}.yaml", version.catalog_id.to_lowercase());
    Ok(super::attachment(
        &name,
        "application/yaml; charset=utf-8",
        version.body.into_bytes(),
    ))
}
