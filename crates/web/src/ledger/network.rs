//! The network diagram (全体構成図): segments and links edited here, devices
//! placed by their ネットワークセグメント, drawn as SVG on the page (A4/A3
//! landscape in print) and as a file, with its yearly review.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::calendar::parse_date_ja;
use mamori_domain::institution::{Grant, Permission, permissions};
use mamori_domain::ledger::{DeviceKind, Diagram, NewLink, SegmentKind, lay_out, parse_segment};
use mamori_domain::{ParseError, ParseErrorKind};

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::{LedgerText, Locale, describe};
use crate::page::Chrome;

use super::name_in;
use crate::{AppError, AppState};

/// The drawing alone: the page includes it, and `/ledger/network.svg` sends it.
#[derive(Template)]
#[template(path = "ledger/network_svg.html")]
struct Drawing {
    diagram: Diagram,
    title: String,
    reviewed: String,
    /// "ほか {0} 台": the devices a lane does not draw.
    more_text: &'static str,
}

impl Drawing {
    /// The note of the devices a lane does not draw.
    fn more(&self, n: impl std::fmt::Display) -> String {
        self.more_text.replace("{0}", &n.to_string())
    }
}

/// The diagram's names of kinds in English (the domain lays it out in Japanese).
fn diagram_in_english(mut diagram: Diagram, l: &LedgerText) -> Diagram {
    for lane in &mut diagram.lanes {
        match SegmentKind::parse("segment_kind", lane.kind) {
            Ok(kind) => lane.kind = kind.name_en(),
            Err(_) => {
                lane.kind = l.to_check;
                lane.label = l.no_segment.to_owned();
            }
        }
        for device in &mut lane.devices {
            if let Ok(kind) = DeviceKind::parse("kind", device.kind) {
                device.kind = kind.name_en();
            }
        }
    }
    diagram
}

#[derive(Template)]
#[template(path = "ledger/network.html")]
struct NetworkPage {
    chrome: Chrome,
    drawing: Drawing,
    segments: Vec<(i64, String, &'static str, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    links: Vec<(i64, String, String, String)>,
    can_edit: bool,
    review_due: bool,
    errors: Vec<String>,
    today: String,
}

/// The drawing in `locale` (the file is always Japanese, the page follows the UI).
async fn drawing(
    state: &AppState,
    chrome: &Chrome,
    locale: Locale,
    grant: &Grant<permissions::ViewLedger>,
) -> Result<(Drawing, Option<jiff::civil::Date>), AppError> {
    let segments = mamori_store::network::segments(&state.store, grant).await?;
    let links: Vec<NewLink> = mamori_store::network::links(&state.store, grant)
        .await?
        .into_iter()
        .map(|(_, link)| link)
        .collect();
    let devices: Vec<_> = mamori_store::device::all(&state.store, grant)
        .await?
        .into_iter()
        .map(|device| device.device)
        .collect();
    let institution = mamori_store::institution::get(&state.store, grant)
        .await?
        .details
        .name()
        .to_owned();
    let review = mamori_store::network::last_review(&state.store, grant).await?;
    let l = locale.ledger();
    let reviewed = match &review {
        Some((day, who)) => {
            let day = match locale {
                Locale::Ja => mamori_domain::calendar::format_date_ja(*day),
                Locale::En => mamori_domain::calendar::format_date_en(*day),
            };
            chrome.fill(l.last_network_review, day, who)
        }
        None => l.no_network_review.to_owned(),
    };
    let diagram = lay_out(&segments, &links, &devices);
    Ok((
        Drawing {
            diagram: match locale {
                Locale::Ja => diagram,
                Locale::En => diagram_in_english(diagram, l),
            },
            title: chrome.fill(l.diagram_title, institution, ""),
            reviewed,
            more_text: l.n_more_devices,
        },
        review.map(|(day, _)| day),
    ))
}

async fn page(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::ViewLedger>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let (drawing, reviewed_on) = drawing(state, chrome, chrome.locale, &authorized.grant).await?;
    let segments = mamori_store::network::segments(&state.store, &authorized.grant).await?;
    let name_of = |id: i64| {
        segments
            .iter()
            .find(|(segment_id, _)| *segment_id == id)
            .map(|(_, segment)| segment.name.clone())
            .unwrap_or_default()
    };
    let links = mamori_store::network::links(&state.store, &authorized.grant)
        .await?
        .into_iter()
        .map(|(id, link)| {
            (
                id,
                name_of(link.from),
                name_of(link.to),
                link.via.unwrap_or_default(),
            )
        })
        .collect();
    let today = state.clock.today();
    let review_due =
        reviewed_on.is_none_or(|day| today.since(day).is_ok_and(|span| span.get_days() > 365));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    chrome.render_with_status(
        status,
        &NetworkPage {
            chrome: chrome.clone(),
            drawing,
            segments: segments
                .iter()
                .map(|(id, s)| {
                    (
                        *id,
                        s.name.clone(),
                        name_in(chrome.locale, SegmentKind::name_ja, SegmentKind::name_en)(s.kind),
                        s.note.clone(),
                    )
                })
                .collect(),
            kinds: SegmentKind::ALL
                .iter()
                .map(|k| {
                    (
                        k.code(),
                        name_in(chrome.locale, SegmentKind::name_ja, SegmentKind::name_en)(*k),
                    )
                })
                .collect(),
            links,
            can_edit: authorized.user.principal.role().has(Permission::EditLedger),
            review_due,
            errors,
            today: today.to_string(),
        },
    )
}

/// `GET /ledger/network`.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    page(&state, &chrome, &authorized, Vec::new()).await
}

/// `GET /ledger/network.svg`: the drawing as a file.
pub(super) async fn svg(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewLedger>,
) -> Result<Response, AppError> {
    let (drawing, _) = drawing(&state, &chrome, Locale::Ja, &authorized.grant).await?;
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        drawing.render()?
    );
    Ok((
        [
            (CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"network.svg\""),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// The segment form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct SegmentForm {
    segment_name: String,
    segment_kind: String,
    note: String,
}

/// `POST /ledger/network/segments`.
pub(super) async fn add_segment(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<SegmentForm>,
) -> Result<Response, AppError> {
    let errors = match parse_segment(&form.segment_name, &form.segment_kind, &form.note) {
        Ok(segment) => {
            match mamori_store::network::add_segment(
                &state.store,
                &authorized.grant,
                &segment,
                state.clock.now(),
            )
            .await
            {
                Ok(_) => return Ok(Redirect::to("/ledger/network?done=saved").into_response()),
                Err(mamori_store::Error::Conflict(_)) => {
                    vec![chrome.l.error_segment_taken.to_owned()]
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(errors) => errors.iter().map(|e| describe(e, chrome.locale)).collect(),
    };
    page(&state, &chrome, &super::viewing(&authorized)?, errors).await
}

/// The link form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct LinkForm {
    from: String,
    to: String,
    via: String,
}

/// `POST /ledger/network/links`.
pub(super) async fn add_link(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<LinkForm>,
) -> Result<Response, AppError> {
    let id = |raw: &str| raw.trim().parse::<i64>().ok().filter(|id| *id > 0);
    let via: String = form
        .via
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(32)
        .collect();
    let errors = match (id(&form.from), id(&form.to)) {
        (Some(from), Some(to)) => {
            let link = NewLink {
                from,
                to,
                via: (!via.is_empty()).then_some(via),
            };
            match mamori_store::network::add_link(
                &state.store,
                &authorized.grant,
                &link,
                state.clock.now(),
            )
            .await
            {
                Ok(_) => return Ok(Redirect::to("/ledger/network?done=saved").into_response()),
                Err(mamori_store::Error::Conflict(_)) => {
                    vec![chrome.l.error_link_same.to_owned()]
                }
                Err(mamori_store::Error::NotFound) => {
                    vec![chrome.l.error_link_choose_again.to_owned()]
                }
                Err(error) => return Err(error.into()),
            }
        }
        _ => vec![chrome.l.error_link_choose.to_owned()],
    };
    page(&state, &chrome, &super::viewing(&authorized)?, errors).await
}

/// The review form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct ReviewForm {
    date: String,
    note: String,
}

/// `POST /ledger/network/review`: the yearly review of the diagram.
pub(super) async fn review(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> Result<Response, AppError> {
    let today = state.clock.today();
    let day = match parse_date_ja("date", &form.date) {
        Ok(Some(day)) if day <= today => day,
        Ok(Some(_)) => {
            let error = ParseError::new(
                "date",
                ParseErrorKind::Inconsistent("the date cannot be in the future"),
            );
            return page(
                &state,
                &chrome,
                &super::viewing(&authorized)?,
                vec![describe(&error, chrome.locale)],
            )
            .await;
        }
        Ok(None) => {
            let error = ParseError::new("date", ParseErrorKind::Empty);
            return page(
                &state,
                &chrome,
                &super::viewing(&authorized)?,
                vec![describe(&error, chrome.locale)],
            )
            .await;
        }
        Err(error) => {
            return page(
                &state,
                &chrome,
                &super::viewing(&authorized)?,
                vec![describe(&error, chrome.locale)],
            )
            .await;
        }
    };
    let note = mamori_domain::error::short_note(&form.note, 200);
    mamori_store::network::record_review(
        &state.store,
        &authorized.grant,
        day,
        &note,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/ledger/network?done=saved").into_response())
}

/// `POST /ledger/network/segments/{id}/remove`.
pub(super) async fn remove_segment(
    State(state): State<AppState>,
    crate::institution::IdPath(id): crate::institution::IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(_): CsrfForm<crate::checklist::Empty>,
) -> Result<Response, AppError> {
    mamori_store::network::remove_segment(&state.store, &authorized.grant, id, state.clock.now())
        .await?;
    Ok(Redirect::to("/ledger/network?done=saved").into_response())
}

/// `POST /ledger/network/links/{id}/remove`.
pub(super) async fn remove_link(
    State(state): State<AppState>,
    crate::institution::IdPath(id): crate::institution::IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(_): CsrfForm<crate::checklist::Empty>,
) -> Result<Response, AppError> {
    mamori_store::network::remove_link(&state.store, &authorized.grant, id, state.clock.now())
        .await?;
    Ok(Redirect::to("/ledger/network?done=saved").into_response())
}
