//! Lays an assessment out as the official form for mamori-docs: sections by
//! the 年度 items fall due (○令和5年度中 …), groups, target headings, and each
//! cell as the form prints it (はい／いいえ with the date in 和暦).

use jiff::civil;
use mamori_docs::{
    ChecklistPrint, PrintBlock, PrintColumn, PrintGate, PrintGroup, PrintRow, PrintSection,
};
use mamori_domain::calendar::{FiscalYear, format_date_ja, format_wareki};
use mamori_domain::checklist::{AnswerColumn, Catalog, CatalogItem, DatedAnswer, ItemRecord};
use mamori_store::checklist::Assessment;

fn dated(answer: Option<DatedAnswer>) -> String {
    answer
        .map(|a| format!("{}（{}）", a.answer.name_ja(), format_wareki(a.date)))
        .unwrap_or_default()
}

fn print_row(catalog: &Catalog, item: &CatalogItem, record: Option<&ItemRecord>) -> PrintRow {
    let mut remarks = Vec::new();
    if let Some(record) = record {
        if let Some(reason) = &record.not_applicable {
            remarks.push(format!("対象外：{reason}"));
        }
        if record.needs_recheck {
            remarks.push("前年度の回答（要再確認）".to_owned());
        }
        if !record.remarks.is_empty() {
            remarks.push(record.remarks.clone());
        }
    }
    // Whether mamori's wording was checked against the official PDF is shown
    // on screen; the printed cells hold only what the institution wrote.
    let cells = catalog
        .columns
        .iter()
        .map(|column| match column {
            AnswerColumn::First => dated(record.and_then(|r| r.first)),
            AnswerColumn::Target => record
                .and_then(|r| r.target)
                .map(format_wareki)
                .unwrap_or_default(),
            AnswerColumn::Second => dated(record.and_then(|r| r.second)),
            AnswerColumn::CheckedOn => record
                .and_then(|r| r.checked_on)
                .map(format_wareki)
                .unwrap_or_default(),
            AnswerColumn::Remarks => remarks.join(" / "),
        })
        .collect();
    PrintRow {
        number: item.number.clone(),
        text: item.text.clone(),
        cells,
    }
}

fn era_heading(year: FiscalYear) -> String {
    match year.era_year() {
        Some(era) => format!("○{}度中", era.to_ja()),
        None => format!("○{}年度中", year.start_year()),
    }
}

/// The print of `assessment` (or a blank form when there is none yet).
pub(super) fn checklist_print(
    catalog: &Catalog,
    assessment: Option<&Assessment>,
    institution_name: &str,
    year: FiscalYear,
    today: civil::Date,
) -> ChecklistPrint {
    let record = |key: &str| {
        assessment
            .and_then(|a| a.answers.get(key))
            .map(|a| &a.record)
    };
    let sections = catalog
        .due_years()
        .into_iter()
        .enumerate()
        .map(|(index, due)| {
            let mut notes = if index == 0 { catalog.notes.clone() } else { Vec::new() };
            if let Some(era) = due.era_year() {
                notes.insert(0, format!("※以下項目は{}度中にすべての項目で「はい」にマルが付くよう取り組んでください。", era.to_ja()));
            }
            let groups = catalog
                .groups
                .iter()
                .enumerate()
                .filter_map(|(group_index, group)| {
                    let items: Vec<&CatalogItem> =
                        catalog.items.iter().filter(|item| item.group == group_index && item.due == due).collect();
                    if items.is_empty() {
                        return None;
                    }
                    let mut blocks: Vec<PrintBlock> = Vec::new();
                    for item in items {
                        let heading = item.target.map(|target| target.heading_ja().to_owned());
                        let row = print_row(catalog, item, record(&item.key));
                        match blocks.last_mut() {
                            Some(block) if block.heading == heading => block.rows.push(row),
                            _ => blocks.push(PrintBlock { heading, rows: vec![row] }),
                        }
                    }
                    Some(PrintGroup { name: format!("{} {}", group.number, group.name), blocks })
                })
                .collect();
            PrintSection { heading: era_heading(due), notes, groups }
        })
        .collect();
    let gate = catalog.gate.as_ref().map(|text| PrintGate {
        text: text.clone(),
        answer: assessment
            .and_then(|a| a.system_in_use)
            .map(|(in_use, date)| {
                format!(
                    "{}（{}）",
                    if in_use { "はい" } else { "いいえ" },
                    format_wareki(date)
                )
            })
            .unwrap_or_default(),
        remarks: String::new(),
    });
    let columns = catalog
        .columns
        .iter()
        .map(|column| PrintColumn {
            heading: column.name_ja().to_owned(),
            result: matches!(
                column,
                AnswerColumn::First | AnswerColumn::Target | AnswerColumn::Second
            ),
        })
        .collect();
    ChecklistPrint {
        title: catalog.title.clone(),
        form_name: catalog.form_name_ja(),
        institution_name: institution_name.to_owned(),
        fiscal_year: year.label_ja(),
        printed_on: format_date_ja(today),
        columns,
        gate,
        sections,
        footer: version_lines(catalog, year),
    }
}

/// Which official version the print follows, and — when the 年度 printed has
/// no form of its own in mamori yet — that it is printed on an earlier one.
fn version_lines(catalog: &Catalog, year: FiscalYear) -> Vec<String> {
    let published = catalog
        .published
        .map(|date| format!("（{}公表）", format_date_ja(date)))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "様式：厚生労働省「{}」{}版{}　出典：{}",
        catalog.title,
        catalog.fiscal_year.label_ja(),
        published,
        catalog.source
    )];
    if !catalog.is_own_form_of(year) {
        lines.push(format!(
            "{}の公式様式はまだ mamori に登録されていないため、{}版の様式で出力しています。",
            year.label_ja(),
            catalog.fiscal_year.label_ja()
        ));
    }
    lines
}
