//! A document mamori writes from the institution's data (the BCP, the
//! security policy) as the pages, the PDF and the .docx show it: blocks,
//! shown lines, the changes between two versions, the fingerprint an approval
//! names, and the file download.

use axum::response::Response;
use mamori_domain::document::{ChangeKind, Document, Line, changes, is_numbered};
use sha2::{Digest, Sha256};

use crate::{AppError, AppState};

/// A document's lines gathered into blocks: a table's header with its rows.
pub(crate) fn blocks_of(document: Document) -> Vec<mamori_docs::DocumentBlock> {
    use mamori_docs::DocumentBlock as B;
    let mut blocks: Vec<B> = Vec::new();
    for line in document.lines {
        match line {
            Line::Heading(text) => blocks.push(B::Heading { text }),
            Line::Subheading(text) => blocks.push(B::Subheading { text }),
            Line::Paragraph(text) => blocks.push(B::Paragraph { text }),
            Line::Item(text) if is_numbered(&text) => blocks.push(B::Numbered { text }),
            Line::Item(text) => blocks.push(B::Item { text }),
            Line::TableHead(head) => blocks.push(B::Table {
                head,
                rows: Vec::new(),
            }),
            Line::TableRow(row) => match blocks.last_mut() {
                Some(B::Table { rows, .. }) => rows.push(row),
                _ => blocks.push(B::Paragraph {
                    text: row.join("　"),
                }),
            },
        }
    }
    blocks
}

/// A block as the page shows it.
pub(crate) struct ShownLine {
    pub(crate) class: &'static str,
    pub(crate) text: String,
    pub(crate) head: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

pub(crate) fn shown(document: &Document) -> Vec<ShownLine> {
    use mamori_docs::DocumentBlock as B;
    blocks_of(document.clone())
        .into_iter()
        .map(|block| {
            let (class, text, head, rows) = match block {
                B::Heading { text } => ("heading", text, Vec::new(), Vec::new()),
                B::Subheading { text } => ("subheading", text, Vec::new(), Vec::new()),
                B::Paragraph { text } => ("paragraph", text, Vec::new(), Vec::new()),
                B::Item { text } => ("item", text, Vec::new(), Vec::new()),
                B::Numbered { text } => ("numbered", text, Vec::new(), Vec::new()),
                B::Table { head, rows } => ("table", String::new(), head, rows),
                B::PageBreak => ("page-break", String::new(), Vec::new(), Vec::new()),
            };
            ShownLine {
                class,
                text,
                head,
                rows,
            }
        })
        .collect()
}

/// The changes between two versions as the page shows them: (added, text).
pub(crate) fn shown_changes(old: &Document, new: &Document) -> Vec<(bool, String)> {
    changes(old, new)
        .into_iter()
        .map(|(kind, text)| (kind == ChangeKind::Added, text))
        .collect()
}

pub(crate) fn parse_stored(text: &str) -> Result<Document, AppError> {
    Document::from_text(text)
        .ok_or_else(|| AppError::Unexpected("a stored document version does not read back".into()))
}

/// The SHA-256 of a draft's text: approval names the draft the approver saw.
pub(crate) fn fingerprint(text: &str) -> String {
    mamori_store::hex(&Sha256::digest(text.as_bytes()))
}

/// "approved on … by …" for an approved version (the BCP's, the policy's).
pub(crate) fn approved_label(
    chrome: &crate::page::Chrome,
    version: &mamori_store::bcp::BcpVersion,
) -> String {
    let day = version.approved_at.to_zoned_datetime(crate::tokyo()).date();
    chrome.fill(
        chrome.k.bcp_approved,
        chrome.date(&day),
        &version.approved_by,
    )
}

/// An approved version as printed: its title, the institution and
/// 第N版（approved on, by） on every page, its blocks.
pub(crate) fn print_of(
    version: &mamori_store::bcp::BcpVersion,
    institution_name: &str,
) -> Result<mamori_docs::DocumentPrint, AppError> {
    let document = parse_stored(&version.text)?;
    let day = version.approved_at.to_zoned_datetime(crate::tokyo()).date();
    Ok(mamori_docs::DocumentPrint {
        title: document.title.clone(),
        institution_name: institution_name.to_owned(),
        version: format!(
            "第{}版（{}承認：{}）",
            version.number,
            mamori_domain::calendar::format_date_ja(day),
            version.approved_by
        ),
        blocks: blocks_of(document),
    })
}

/// The two formats a version is printed in.
#[derive(Clone, Copy)]
pub(crate) enum Format {
    Pdf,
    Docx,
}

/// `print` rendered as `format` (in the slot for heavy work) and sent as a
/// download named `stem` (ASCII) and `japanese`.
pub(crate) async fn send(
    state: &AppState,
    print: mamori_docs::DocumentPrint,
    format: Format,
    stem: &str,
    japanese: &str,
) -> Result<Response, AppError> {
    let bytes = state
        .heavy
        .print(crate::i18n::Locale::Ja, move || match format {
            Format::Pdf => mamori_docs::document_pdf(&print),
            Format::Docx => mamori_docs::document_docx(&print),
        })
        .await?;
    let (extension, content_type) = match format {
        Format::Pdf => ("pdf", "application/pdf"),
        Format::Docx => (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    };
    Ok(crate::ledger::export::download(
        stem,
        japanese,
        extension,
        content_type,
        bytes,
    ))
}
