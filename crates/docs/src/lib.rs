//! Printed documents: the filled checklist as an A4 PDF (typst, with the
//! IPAexGothic font embedded unmodified) and as an .xlsx workbook; a ledger as
//! an A4 landscape table (PDF) and as a workbook.
//!
//! The callers build a [`ChecklistPrint`] — every cell already formatted as
//! the form shows it (dates in 和暦, はい／いいえ) — so this crate knows
//! nothing of the database or the domain rules. typst-as-lib's API is not
//! stable; it is used in [`pdf`] only.

mod docx;
mod pdf;
mod xlsx;

use serde::Serialize;

pub use docx::document_docx;
pub use pdf::{checklist_pdf, document_pdf, poster_pdf, table_pdf};
pub use xlsx::{checklist_xlsx, sheets_xlsx, table_xlsx};

/// IPAexGothic, embedded as distributed (IPA Font License v1.0: it must not
/// be renamed or subset, so it is shipped whole).
pub static JAPANESE_FONT: &[u8] = include_bytes!("../fonts/ipaexg.ttf");

/// The licence under which [`JAPANESE_FONT`] is redistributed.
pub static JAPANESE_FONT_LICENSE: &str =
    include_str!("../fonts/IPA_Font_License_Agreement_v1.0.txt");

/// A document could not be produced. Never caused by the data itself: the
/// template is fixed, so this means a bug, which the caller reports as such.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the PDF template failed: {0}")]
    Template(String),
    #[error("the workbook could not be written: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
    #[error("the document data could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("the .docx could not be written: {0}")]
    Docx(String),
}

/// A document mamori writes from the institution's data (the BCP of 別紙3):
/// a title, the institution and version printed on every page, and blocks.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentPrint {
    pub title: String,
    pub institution_name: String,
    /// e.g. 第2版（2026年12月3日（令和8年12月3日）承認）, or 案（未承認）.
    pub version: String,
    pub blocks: Vec<DocumentBlock>,
}

/// One block of a [`DocumentPrint`].
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocumentBlock {
    Heading {
        text: String,
    },
    Subheading {
        text: String,
    },
    Paragraph {
        text: String,
    },
    Item {
        text: String,
    },
    /// An item that carries its own number (①, ア.), printed indented without a bullet.
    Numbered {
        text: String,
    },
    /// A table: its header and rows, each row as wide as the header.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// What follows starts a new page.
    PageBreak,
}

/// One sheet of a workbook of several (an incident's record): its name, the
/// header in row 1 and the rows.
#[derive(Debug, Clone)]
pub struct SheetPrint {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The incident-report poster: a QR code that opens the report form
/// without an account, and what to do at once (manual III).
#[derive(Debug, Clone, Serialize)]
pub struct PosterPrint {
    /// e.g. サイバー攻撃かな？と思ったら
    pub title: String,
    pub institution_name: String,
    /// What to do at once, each a short imperative.
    pub steps: Vec<String>,
    /// The QR code of [`Self::url`], as SVG.
    pub qr_svg: String,
    /// Under the QR code: e.g. スマートフォンで読み取って報告
    pub scan: String,
    /// Above the printed link.
    pub link_label: String,
    pub url: String,
    /// Lines at the foot of the poster.
    pub notes: Vec<String>,
    /// e.g. 2026年12月6日（令和8年12月6日）発行
    pub issued: String,
}

/// A filled checklist, laid out as the official form: a gate question, then
/// one section per 年度 in which items fall due (○令和5年度中 …), each with
/// groups (1 体制構築 …) whose rows may sit under a target heading
/// (サーバについて、以下を実施している。).
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistPrint {
    pub title: String,
    /// e.g. 医療機関確認用
    pub form_name: String,
    pub institution_name: String,
    /// e.g. 2026年度（令和8年度）
    pub fiscal_year: String,
    /// e.g. 2026年11月25日（令和8年11月25日）
    pub printed_on: String,
    /// The columns the institution fills in, as this version of the form has
    /// them (1回目, 目標日, 2回目, 確認日, 備考 …); every row has a cell for each.
    pub columns: Vec<PrintColumn>,
    pub gate: Option<PrintGate>,
    pub sections: Vec<PrintSection>,
    /// Lines printed under the table (e.g. the 事業者名 of a vendor form).
    pub footer: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintSection {
    /// e.g. ○令和5年度中
    pub heading: String,
    pub notes: Vec<String>,
    pub groups: Vec<PrintGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintGroup {
    /// e.g. 2 医療情報システムの管理・運用
    pub name: String,
    pub blocks: Vec<PrintBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintBlock {
    /// e.g. サーバについて、以下を実施している。
    pub heading: Option<String>,
    pub rows: Vec<PrintRow>,
}

/// One column the institution fills in.
#[derive(Debug, Clone, Serialize)]
pub struct PrintColumn {
    /// e.g. 1回目
    pub heading: String,
    /// Printed under the shared heading 確認結果(日付) (1回目, 目標日, 2回目).
    pub result: bool,
}

/// The 医療情報システムの有無 question.
#[derive(Debug, Clone, Serialize)]
pub struct PrintGate {
    pub text: String,
    /// はい／いいえ and the date, or empty.
    pub answer: String,
    pub remarks: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrintRow {
    /// e.g. (4)
    pub number: String,
    pub text: String,
    /// One cell per [`ChecklistPrint::columns`], already formatted.
    pub cells: Vec<String>,
}

/// A ledger printed as one table on A4 landscape pages, its header repeated on
/// each page: the form an inspector reads (使用機器一覧表 …).
#[derive(Debug, Clone, Serialize)]
pub struct TablePrint {
    /// e.g. 使用機器一覧表
    pub title: String,
    pub institution_name: String,
    /// e.g. 2026年11月25日（令和8年11月25日）
    pub printed_on: String,
    pub headers: Vec<String>,
    /// Relative column widths, one per header (a missing or zero width counts as 1).
    pub widths: Vec<u32>,
    /// The cells, each row as long as `headers`.
    pub rows: Vec<Vec<String>>,
    /// Printed instead of rows when there are none.
    pub empty: String,
    /// Lines printed under the table.
    pub footer: Vec<String>,
}
