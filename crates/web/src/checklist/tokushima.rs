//! `/tokushima`: the 企画管理者's Lv1–3 self-assessment of the Tokushima list
//! (seed 参考2), this 年度's levels with the target Lv2, the history per
//! year, and an SVG chart of the current levels.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::parse_note;
use mamori_domain::checklist::tokushima::parse_level;
use mamori_domain::institution::{Grant, Permission, permissions};
use mamori_store::tokushima::Level;

use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::page::Chrome;
use crate::{AppError, AppState};

struct Row {
    number: u8,
    question: String,
    levels: Vec<(u8, String)>,
    chosen: Option<u8>,
    note: String,
    history: Vec<String>,
    /// What mamori's records say (the last drill or training).
    evidence: Option<String>,
}

impl Row {
    fn is_chosen(&self, level: &u8) -> bool {
        self.chosen == Some(*level)
    }
}

/// One bar of the chart, in SVG user units.
struct Bar {
    number: u8,
    y: u32,
    width: u32,
    below_target: bool,
    level: u8,
}

#[derive(Template)]
#[template(path = "checklist/tokushima.html")]
struct TokushimaPage {
    chrome: Chrome,
    title: String,
    source: String,
    target_level: u8,
    year: FiscalYear,
    year_label: String,
    history_years: Vec<i64>,
    rows: Vec<Row>,
    can_edit: bool,
    errors: Vec<String>,
    bars: Vec<Bar>,
    chart_height: u32,
    target_x: u32,
    n_below: usize,
}

impl TokushimaPage {
    fn is_target(&self, level: &u8) -> bool {
        *level == self.target_level
    }
}

/// One item as posted: its number, the level chosen (if any) and the note.
type Entry = (u8, Option<u8>, String);

/// Pixels per level in the chart.
const LEVEL_WIDTH: u32 = 80;
/// Height of one bar row.
const ROW_HEIGHT: u32 = 18;

/// The page; `posted` is a refused form to show again with its errors (422).
async fn render<P: permissions::ReadsChecklist>(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<P>,
    year: FiscalYear,
    posted: Option<(Vec<Entry>, Vec<String>)>,
) -> Result<Response, AppError> {
    let status = if posted.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let list = state.catalogs.tokushima();
    let levels: Vec<Level> = mamori_store::tokushima::levels(&state.store, grant).await?;
    let this_year = i64::from(year.start_year());
    let mut history_years: Vec<i64> = levels
        .iter()
        .map(|l| l.fiscal_year)
        .filter(|y| *y != this_year)
        .collect();
    history_years.sort_unstable();
    history_years.dedup();
    history_years.reverse();
    history_years.truncate(5);
    let find = |fiscal_year: i64, item: u8| {
        levels
            .iter()
            .find(|l| l.fiscal_year == fiscal_year && l.item == i64::from(item))
    };
    let (posted_levels, errors) = posted.unwrap_or_default();
    let evidence = crate::training::tokushima_evidence(state, chrome, grant.principal()).await?;
    let rows: Vec<Row> = list
        .items
        .iter()
        .map(|item| {
            let stored = find(this_year, item.number);
            let (chosen, note) = match posted_levels.iter().find(|(n, _, _)| *n == item.number) {
                Some((_, level, note)) => (*level, note.clone()),
                None => (
                    stored.and_then(|s| u8::try_from(s.level).ok()),
                    stored.map(|s| s.note.clone()).unwrap_or_default(),
                ),
            };
            Row {
                number: item.number,
                question: item.question.clone(),
                levels: item
                    .levels
                    .iter()
                    .enumerate()
                    .map(|(i, text)| (u8::try_from(i + 1).unwrap_or(3), text.clone()))
                    .collect(),
                chosen,
                note,
                evidence: evidence.get(&item.number).cloned(),
                history: history_years
                    .iter()
                    .map(|y| {
                        find(*y, item.number)
                            .map(|l| format!("Lv{}", l.level))
                            .unwrap_or_else(|| "—".into())
                    })
                    .collect(),
            }
        })
        .collect();
    let bars: Vec<Bar> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let level = row.chosen.unwrap_or(0);
            Bar {
                number: row.number,
                y: u32::try_from(index).unwrap_or(0) * ROW_HEIGHT + 4,
                width: u32::from(level) * LEVEL_WIDTH,
                below_target: level < list.target_level,
                level,
            }
        })
        .collect();
    let page = TokushimaPage {
        title: list.title.clone(),
        source: list.source.clone(),
        target_level: list.target_level,
        year_label: chrome.fiscal_year(&year),
        year,
        history_years,
        can_edit: grant.principal().role().has(Permission::EditChecklist),
        errors,
        n_below: bars.iter().filter(|b| b.below_target).count(),
        chart_height: u32::try_from(bars.len()).unwrap_or(20) * ROW_HEIGHT + 24,
        target_x: 40 + u32::from(list.target_level) * LEVEL_WIDTH,
        bars,
        rows,
        chrome: chrome.clone(),
    };
    chrome.render_with_status(status, &page)
}

/// `GET /tokushima`: this 年度.
pub(super) async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::ViewChecklist>,
) -> Result<Response, AppError> {
    let year = FiscalYear::containing(state.clock.today());
    render(&state, &chrome, &authorized.grant, year, None).await
}

/// `POST /tokushima/{year}`: `level-N` and `note-N` for each item; all or nothing.
pub(super) async fn save(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(year): Path<String>,
    authorized: Authorized<permissions::EditChecklist>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let year = super::parse_year(&year).ok_or_else(|| AppError::not_found(chrome.locale))?;
    let list = state.catalogs.tokushima();
    let mut entries = Vec::with_capacity(list.items.len());
    let mut error = None;
    for item in &list.items {
        let raw_level = form
            .get(&format!("level-{}", item.number))
            .map(String::as_str)
            .unwrap_or("");
        let raw_note = form
            .get(&format!("note-{}", item.number))
            .map(String::as_str)
            .unwrap_or("");
        match (parse_level(raw_level), parse_note(raw_note)) {
            (Ok(level), Ok(note)) => entries.push((item.number, level, note)),
            (Err(e), _) | (_, Err(e)) => {
                error.get_or_insert(
                    e.with_subject(crate::i18n::fill(chrome.c.item_n, &[&item.number])),
                );
                // Kept as typed, so the page shows it again.
                let level = raw_level.parse().ok().filter(|l| (1..=3).contains(l));
                entries.push((item.number, level, raw_note.to_owned()));
            }
        }
    }
    if let Some(error) = error {
        let errors = vec![describe(&error, chrome.locale)];
        return render(
            &state,
            &chrome,
            &authorized.grant,
            year,
            Some((entries, errors)),
        )
        .await;
    }
    mamori_store::tokushima::save(
        &state.store,
        &authorized.grant,
        year,
        &entries,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to("/tokushima?done=saved").into_response())
}
