//! A document (the BCP) as a Word file (.docx) the institution edits further:
//! A4, a Japanese font for East Asian text, the institution and version in
//! the page header, headings in bold, tables with a shaded header row.

use docx_rs::{
    BreakType, Docx, Header, Paragraph, Run, RunFonts, Shading, Table, TableCell, TableRow,
};

use crate::{DocumentBlock, DocumentError, DocumentPrint};

/// A4 in twentieths of a point.
const A4_WIDTH: u32 = 11_906;
const A4_HEIGHT: u32 = 16_838;

fn run(text: &str) -> Run {
    Run::new().add_text(text)
}

fn cell(text: &str, header: bool) -> TableCell {
    let text_run = if header { run(text).bold() } else { run(text) };
    let cell = TableCell::new().add_paragraph(Paragraph::new().add_run(text_run.size(18)));
    if header {
        cell.shading(Shading::new().fill("E1E1E1"))
    } else {
        cell
    }
}

/// Writes `print` as a .docx.
pub fn document_docx(print: &DocumentPrint) -> Result<Vec<u8>, DocumentError> {
    let header = Header::new().add_paragraph(
        Paragraph::new().add_run(
            run(&format!(
                "{}　{}　{}",
                print.institution_name, print.title, print.version
            ))
            .size(16),
        ),
    );
    let mut docx = Docx::new()
        .page_size(A4_WIDTH, A4_HEIGHT)
        .default_fonts(
            RunFonts::new()
                .east_asia("游明朝")
                .ascii("Century")
                .hi_ansi("Century"),
        )
        .header(header)
        .add_paragraph(
            Paragraph::new()
                .align(docx_rs::AlignmentType::Center)
                .add_run(run(&print.title).bold().size(30)),
        )
        .add_paragraph(
            Paragraph::new()
                .align(docx_rs::AlignmentType::Center)
                .add_run(run(&format!(
                    "{}　{}",
                    print.institution_name, print.version
                ))),
        );
    for block in &print.blocks {
        docx = match block {
            DocumentBlock::Heading { text } => {
                docx.add_paragraph(Paragraph::new().add_run(run(text).bold().size(24)))
            }
            DocumentBlock::Subheading { text } => {
                docx.add_paragraph(Paragraph::new().add_run(run(text).bold().size(21)))
            }
            DocumentBlock::Paragraph { text } => {
                docx.add_paragraph(Paragraph::new().add_run(run(text)))
            }
            DocumentBlock::Item { text } => {
                docx.add_paragraph(Paragraph::new().add_run(run(&format!("・{text}"))))
            }
            DocumentBlock::Numbered { text } => docx.add_paragraph(
                Paragraph::new()
                    .indent(
                        Some(400),
                        Some(docx_rs::SpecialIndentType::Hanging(400)),
                        None,
                        None,
                    )
                    .add_run(run(text)),
            ),
            DocumentBlock::PageBreak => {
                docx.add_paragraph(Paragraph::new().add_run(Run::new().add_break(BreakType::Page)))
            }
            DocumentBlock::Table { head, rows } => {
                let mut table_rows = vec![TableRow::new(
                    head.iter().map(|text| cell(text, true)).collect(),
                )];
                for row in rows {
                    let mut cells: Vec<TableCell> = row
                        .iter()
                        .take(head.len())
                        .map(|text| cell(text, false))
                        .collect();
                    cells.resize_with(head.len(), || cell("", false));
                    table_rows.push(TableRow::new(cells));
                }
                docx.add_table(Table::new(table_rows))
                    .add_paragraph(Paragraph::new())
            }
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    docx.build()
        .pack(&mut out)
        .map_err(|error| DocumentError::Docx(error.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_docx_is_a_zip_whose_body_holds_every_block_escaped() {
        let print = DocumentPrint {
            title: "事業継続計画（BCP）".into(),
            institution_name: "守クリニック".into(),
            version: "第1版".into(),
            blocks: vec![
                DocumentBlock::Heading {
                    text: "1. 予防".into(),
                },
                DocumentBlock::Paragraph {
                    text: "<script>&".into(),
                },
                DocumentBlock::Table {
                    head: vec!["システム".into(), "世代".into()],
                    rows: vec![vec!["電子カルテ".into()]],
                },
            ],
        };
        let bytes = document_docx(&print).expect("writes");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
        let mut body = String::new();
        archive
            .by_name("word/document.xml")
            .expect("the body")
            .read_to_string(&mut body)
            .expect("text");
        for expected in [
            "事業継続計画（BCP）",
            "1. 予防",
            "&lt;script&gt;&amp;",
            "電子カルテ",
        ] {
            assert!(body.contains(expected), "{expected}");
        }
    }
}
