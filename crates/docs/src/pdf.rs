//! The checklist and ledger PDFs through typst. The data goes in as one JSON string
//! (`sys.inputs.data`), which the template decodes: no typst types leak out.

use std::sync::OnceLock;

use typst::foundations::{Dict, IntoValue, Str};
use typst_as_lib::TypstEngine;

use crate::{
    ChecklistPrint, DocumentBlock, DocumentError, DocumentPrint, JAPANESE_FONT, PosterPrint,
    TablePrint,
};

static CHECKLIST_TEMPLATE: &str = include_str!("../templates/checklist.typ");
static TABLE_TEMPLATE: &str = include_str!("../templates/table.typ");
static DOCUMENT_TEMPLATE: &str = include_str!("../templates/document.typ");
static POSTER_TEMPLATE: &str = include_str!("../templates/poster.typ");

type Engine = TypstEngine<typst_as_lib::TypstTemplateMainFile>;

fn engine(template: &'static str, cell: &'static OnceLock<Engine>) -> &'static Engine {
    cell.get_or_init(|| {
        TypstEngine::builder()
            .main_file(template)
            .fonts([JAPANESE_FONT])
            .build()
    })
}

/// Renders the checklist as an A4 PDF with real, extractable Japanese text.
pub fn checklist_pdf(print: &ChecklistPrint) -> Result<Vec<u8>, DocumentError> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    render(engine(CHECKLIST_TEMPLATE, &ENGINE), print)
}

/// Renders a ledger as an A4 landscape table with real, extractable Japanese text.
pub fn table_pdf(print: &TablePrint) -> Result<Vec<u8>, DocumentError> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let mut print = print.clone();
    // The template lays the cells out by the header's count: one width and one
    // cell per header, or every row after a short one would shift.
    let n_columns = print.headers.len();
    print.widths.resize(n_columns, 1);
    for width in &mut print.widths {
        *width = (*width).max(1);
    }
    for row in &mut print.rows {
        row.resize(n_columns, String::new());
    }
    render(engine(TABLE_TEMPLATE, &ENGINE), &print)
}

/// Renders a document (the BCP) as an A4 PDF with real, extractable Japanese text.
pub fn document_pdf(print: &DocumentPrint) -> Result<Vec<u8>, DocumentError> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let mut print = print.clone();
    // The template lays a table out by its header's count: pad or cut each row.
    for block in &mut print.blocks {
        if let DocumentBlock::Table { head, rows } = block {
            for row in rows.iter_mut() {
                row.resize(head.len(), String::new());
            }
        }
    }
    render(engine(DOCUMENT_TEMPLATE, &ENGINE), &print)
}

/// Renders the incident-report poster as one A4 page.
pub fn poster_pdf(print: &PosterPrint) -> Result<Vec<u8>, DocumentError> {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    render(engine(POSTER_TEMPLATE, &ENGINE), print)
}

fn render(engine: &Engine, print: &impl serde::Serialize) -> Result<Vec<u8>, DocumentError> {
    let json = serde_json::to_string(print)?;
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), Str::from(json).into_value());
    let document = engine
        .compile_with_input(inputs)
        .output
        .map_err(|error| DocumentError::Template(format!("{error:?}")))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| DocumentError::Template(format!("{errors:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_renders_its_blocks_and_pads_short_table_rows() {
        let print = DocumentPrint {
            title: "サイバー攻撃等を想定した事業継続計画（BCP）".into(),
            institution_name: "まもり内科クリニック".into(),
            version: "第1版（2026年12月4日（令和8年12月4日）承認：守 太郎）".into(),
            blocks: vec![
                DocumentBlock::Heading {
                    text: "体制".into(),
                },
                DocumentBlock::Table {
                    head: vec!["役割".into(), "担当者".into()],
                    rows: vec![
                        vec!["企画管理者".into(), "山田 花子".into()],
                        vec!["システム運用担当者".into()],
                    ],
                },
                DocumentBlock::Subheading {
                    text: "(1) 対策会議".into(),
                },
                DocumentBlock::Paragraph {
                    text: "#set page(width: 1pt) *x* $y$ ]".into(),
                },
                DocumentBlock::Item {
                    text: "電源は切らない".into(),
                },
                DocumentBlock::Numbered {
                    text: "① 端末を登録する".into(),
                },
            ],
        };
        let pdf = document_pdf(&print).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        // To look at it: MAMORI_SAMPLE_DIR=/tmp cargo test -p mamori-docs document
        if let Ok(dir) = std::env::var("MAMORI_SAMPLE_DIR") {
            std::fs::write(std::path::Path::new(&dir).join("document.pdf"), &pdf).expect("write");
        }
    }

    #[test]
    fn the_poster_renders_its_qr_code_and_markup_as_text() {
        let print = PosterPrint {
            title: "サイバー攻撃かな？と思ったら".into(),
            institution_name: "まもり内科クリニック".into(),
            steps: vec!["電源は切らない".into(), "#set page(width: 1pt) *x* $y$ ]".into()],
            qr_svg: r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="1" height="1"/></svg>"#.into(),
            scan: "読み取って報告".into(),
            link_label: "リンク".into(),
            url: "https://mamori.example/report/abc".into(),
            notes: vec!["アカウントは不要です。".into()],
            issued: "2026年12月6日（令和8年12月6日）発行".into(),
        };
        let pdf = poster_pdf(&print).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(dir) = std::env::var("MAMORI_SAMPLE_DIR") {
            std::fs::write(std::path::Path::new(&dir).join("poster.pdf"), &pdf).expect("write");
        }
    }

    #[test]
    fn a_ledger_table_renders_whatever_its_cells_hold() {
        let print = TablePrint {
            title: "使用機器一覧表".into(),
            institution_name: "テスト医院".into(),
            printed_on: "2026年11月25日（令和8年11月25日）".into(),
            headers: vec!["種別".into(), "管理番号".into(), "備考".into()],
            widths: vec![2],
            // Markup characters are data, not typst code; a short row is padded.
            rows: vec![
                vec![
                    "パソコン".into(),
                    "PC-001".into(),
                    "#set page(width: 1pt) *x* $y$ ]".into(),
                ],
                vec!["USB".into()],
            ],
            empty: "登録された機器はありません。".into(),
            footer: vec!["出典：テスト".into()],
        };
        let pdf = table_pdf(&print).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        let empty = TablePrint {
            rows: Vec::new(),
            ..print
        };
        assert!(table_pdf(&empty).expect("renders").starts_with(b"%PDF-"));
    }
}
