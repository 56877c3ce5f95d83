//! The MHLW checklists: the assessment of each 年度 with guidance and evidence,
//! its PDF and .xlsx, the vendors and their 事業者確認用 links, and the
//! Tokushima Lv1–3 list.

mod assessment;
mod contracts;
mod print;
mod tokushima;
mod vendor_form;
pub(crate) mod vendors;
mod versions;

pub(crate) use assessment::{Empty, attachment, describe_state};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::routing::{get, post};
use mamori_domain::calendar::FiscalYear;
use std::sync::Arc;

use mamori_domain::checklist::{
    Catalog, CatalogItem, CatalogOrigin, CatalogSet, FormKind, MAX_UPLOAD_BYTES,
};
use mamori_domain::institution::Principal;
use mamori_store::checklist_version::StoredVersion;

use crate::i18n::Locale;
use crate::{AppError, AppState};

/// Room for one maximal file plus the form around it.
const UPLOAD_BODY_LIMIT: usize = MAX_UPLOAD_BYTES + 64 * 1024;
/// Room for a vendor's form with two maximal documents.
const VENDOR_BODY_LIMIT: usize = 2 * MAX_UPLOAD_BYTES + 64 * 1024;
/// The largest body any route accepts; every other form keeps axum's 2 MB default.
pub(crate) const LARGEST_BODY: usize = VENDOR_BODY_LIMIT;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/checklist", get(assessment::current))
        .route("/checklist/{form}/{year}", get(assessment::overview))
        .route("/checklist/{form}/{year}/start", post(assessment::start))
        .route("/checklist/{form}/{year}/gate", post(assessment::save_gate))
        .route(
            "/checklist/{form}/{year}/items/{key}",
            get(assessment::item).post(assessment::save_item),
        )
        .route(
            "/checklist/{form}/{year}/items/{key}/evidence",
            post(assessment::upload_evidence).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route(
            "/checklist/{form}/{year}/items/{key}/links",
            post(assessment::add_link),
        )
        .route("/checklist/{form}/{year}/print.pdf", get(assessment::pdf))
        .route(
            "/checklist/{form}/{year}/export.xlsx",
            get(assessment::xlsx),
        )
        .route(
            "/checklist-versions",
            get(versions::list).post(versions::create),
        )
        .route("/checklist-versions/{id}", get(versions::show))
        .route(
            "/checklist-versions/{id}/header",
            post(versions::save_header),
        )
        .route("/checklist-versions/{id}/items", post(versions::add_item))
        .route(
            "/checklist-versions/{id}/items/{key}",
            get(versions::item).post(versions::save_item),
        )
        .route(
            "/checklist-versions/{id}/items/{key}/remove",
            post(versions::remove_item),
        )
        .route("/checklist-versions/{id}/publish", post(versions::publish))
        .route("/checklist-versions/{id}/discard", post(versions::discard))
        .route(
            "/checklist-versions/{id}/catalog.yaml",
            get(versions::download),
        )
        .route("/evidence/{id}", get(assessment::download_evidence))
        .route("/evidence/{id}/remove", post(assessment::remove_evidence))
        .route("/vendors", get(vendors::list).post(vendors::add))
        .route("/vendors/{id}/requests", post(vendors::issue))
        .route(
            "/vendors/{id}/contracts",
            get(contracts::show).post(contracts::add),
        )
        .route(
            "/vendors/{id}/certificates",
            post(contracts::add_certificate),
        )
        .route("/vendor-requests/{id}/revoke", post(vendors::revoke))
        .route("/vendor-documents/{id}", get(vendors::download))
        .route(
            "/v/{token}",
            get(vendor_form::show)
                .post(vendor_form::submit)
                .layer(DefaultBodyLimit::max(VENDOR_BODY_LIMIT)),
        )
        .route("/tokushima", get(tokushima::show))
        .route("/tokushima/{year}", post(tokushima::save))
}

/// `/checklist/{form}/{year}`: a known institution form and a 年度; anything else is 404.
pub(crate) struct FormYear {
    pub form: FormKind,
    pub year: FiscalYear,
}

fn parse_form_year(form: &str, year: &str) -> Option<FormYear> {
    let form = FormKind::from_code(form).filter(|form| *form != FormKind::Vendor)?;
    Some(FormYear {
        form,
        year: parse_year(year)?,
    })
}

/// A 年度 in a path: 2020–2100, anything else is no page.
pub(crate) fn parse_year(raw: &str) -> Option<FiscalYear> {
    let year: i16 = raw.parse().ok()?;
    FiscalYear::new(year)
        .ok()
        .filter(|y| (2020..=2100).contains(&y.start_year()))
}

impl<S: Send + Sync> FromRequestParts<S> for FormYear {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let locale = Locale::from_parts(parts);
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found(locale))?;
        let value = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.as_str())
        };
        match (value("form"), value("year")) {
            (Some(form), Some(year)) => {
                parse_form_year(form, year).ok_or_else(|| AppError::not_found(locale))
            }
            _ => Err(AppError::not_found(locale)),
        }
    }
}

/// `…/items/{key}`: the item key from the path.
pub(crate) struct ItemKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ItemKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let locale = Locale::from_parts(parts);
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::not_found(locale))?;
        params
            .into_iter()
            .find(|(name, _)| name == "key")
            .map(|(_, key)| Self(key))
            .ok_or_else(|| AppError::not_found(locale))
    }
}

/// Every catalog the principal's institution sees: the shipped ones with the
/// versions made in mamori that are in force for it (its own and those the
/// operator shared). Without such versions this is the shared set itself.
pub(crate) async fn catalogs_for(
    state: &AppState,
    principal: &Principal,
) -> Result<Arc<CatalogSet>, AppError> {
    let versions = mamori_store::checklist_version::in_force(&state.store, principal).await?;
    Ok(with_versions(state, &versions))
}

/// The shared set with `versions` (published, made in mamori) added. A stored
/// version that this build no longer accepts is left out and logged, so the
/// shipped forms keep working.
pub(crate) fn with_versions(state: &AppState, versions: &[StoredVersion]) -> Arc<CatalogSet> {
    if versions.is_empty() {
        return state.catalogs.clone();
    }
    let parsed = versions
        .iter()
        .filter_map(|version| match parse_stored(state, version) {
            Ok(catalog) => Some(catalog),
            Err(error) => {
                tracing::error!(version = %version.id, %error, "a stored checklist version no longer validates");
                None
            }
        })
        .collect();
    Arc::new(state.catalogs.with_versions(parsed))
}

/// A stored version read as a catalog, through the shipped files' validation.
pub(crate) fn parse_stored(
    state: &AppState,
    version: &StoredVersion,
) -> Result<Catalog, mamori_domain::checklist::CatalogError> {
    let origin = if version.shared {
        CatalogOrigin::Server
    } else {
        CatalogOrigin::Institution
    };
    let file = format!("{}.yaml", version.catalog_id.to_lowercase());
    state.catalogs.parse_version(&file, &version.body, origin)
}

/// The catalog in force for `form` in `year`, or a 404 naming the gap.
pub(crate) async fn catalog_for(
    state: &AppState,
    principal: &Principal,
    at: &FormYear,
    locale: Locale,
) -> Result<Catalog, AppError> {
    catalogs_for(state, principal)
        .await?
        .for_year(at.form, at.year)
        .cloned()
        .ok_or_else(|| AppError::User {
            status: axum::http::StatusCode::NOT_FOUND,
            locale,
            message: match locale {
                Locale::Ja => format!(
                    "{}の{}の様式はまだ登録されていません。",
                    at.year.label_ja(),
                    at.form.name_ja()
                ),
                Locale::En => format!(
                    "The form {} of {} is not registered yet.",
                    at.form.name_en(),
                    at.year.label_en()
                ),
            },
        })
}

/// `2 医療情報システムの管理・運用 (4) サーバ`: how lists name an item.
pub(crate) fn item_label(locale: Locale, catalog: &Catalog, item: &CatalogItem) -> String {
    let group = &catalog.groups[item.group.min(catalog.groups.len().saturating_sub(1))];
    match item.target {
        Some(target) => match locale {
            Locale::Ja => format!("{}{}［{}］", group.number, item.number, target.name_ja()),
            Locale::En => format!("{}{} [{}]", group.number, item.number, target.name_en()),
        },
        None => format!("{}{}", group.number, item.number),
    }
}

/// The form an institution of this kind answers.
pub(crate) fn institution_form(kind: mamori_domain::institution::InstitutionKind) -> FormKind {
    FormKind::answered_by(kind)
}
