//! Every ledger's export, one way: CSV (UTF-8 with BOM, or Shift_JIS) or
//! .xlsx, recorded in the audit trail, sent as a download.

use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use mamori_domain::calendar::format_date_ja;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{CsvWriteError, TextEncoding, write_csv};

use crate::i18n::Locale;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// A ledger laid out for export.
pub(super) struct Sheet {
    /// The audit target and the file's ASCII name (`devices`).
    pub ledger: &'static str,
    /// The file's and the sheet's Japanese name (`使用機器一覧表`).
    pub japanese: &'static str,
    /// The columns.
    pub headers: Vec<&'static str>,
    /// The rows, in the headers' order.
    pub rows: Vec<Vec<String>>,
}

/// Which file.
#[derive(Debug, Clone, Copy)]
pub(super) enum Format {
    Csv(TextEncoding),
    Xlsx,
}

/// `?encoding=sjis` asks for Shift_JIS (CP932); anything else is UTF-8.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct ExportQuery {
    encoding: String,
}

impl ExportQuery {
    /// The CSV format asked for.
    pub(super) fn csv(&self) -> Format {
        match self.encoding.as_str() {
            "sjis" | "shift_jis" | "cp932" => Format::Csv(TextEncoding::ShiftJis),
            _ => Format::Csv(TextEncoding::Utf8),
        }
    }
}

/// Writes `sheet` as `format`, records the export, and sends the file.
pub(super) async fn send(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    sheet: Sheet,
    format: Format,
) -> Result<Response, AppError> {
    let (bytes, label, extension, content_type) = match format {
        Format::Csv(encoding) => {
            let bytes =
                write_csv(&sheet.headers, &sheet.rows, encoding).map_err(|error| match error {
                    CsvWriteError::NotInShiftJis {
                        row,
                        column,
                        character,
                    } => {
                        let header = sheet.headers.get(column - 1).copied().unwrap_or_default();
                        AppError::bad_request(
                            chrome.locale,
                            match chrome.locale {
                                Locale::Ja => format!(
                                    "{row}行目「{header}」の文字「{character}」（U+{:04X}）は Shift_JIS で書き出せません。UTF-8 の CSV か Excel 形式で出力するか、その文字を直してください。",
                                    u32::from(character)
                                ),
                                Locale::En => format!(
                                    "Row {row}, column {header}: the character {character} (U+{:04X}) cannot be written in Shift_JIS. Export a UTF-8 CSV or an Excel file, or correct the character.",
                                    u32::from(character)
                                ),
                            },
                        )
                    }
                    CsvWriteError::Writer(reason) => AppError::Unexpected(reason),
                })?;
            match encoding {
                TextEncoding::ShiftJis => {
                    (bytes, "csv-shift_jis", "csv", "text/csv; charset=Shift_JIS")
                }
                _ => (bytes, "csv-utf8", "csv", "text/csv; charset=UTF-8"),
            }
        }
        Format::Xlsx => {
            let bytes = mamori_docs::table_xlsx(sheet.japanese, &sheet.headers, &sheet.rows)
                .map_err(|error| AppError::Unexpected(error.to_string()))?;
            (
                bytes,
                "xlsx",
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        }
    };
    mamori_store::device::record_export(
        &state.store,
        grant,
        sheet.ledger,
        label,
        sheet.rows.len(),
        state.clock.now(),
    )
    .await?;
    Ok(download(
        sheet.ledger,
        sheet.japanese,
        extension,
        content_type,
        bytes,
    ))
}

/// The most rows one printed PDF holds (about 40 pages): typst lays a whole
/// document out in memory, so a hospital's ledger of tens of thousands of
/// rows is printed in parts of this size, each one bounded in time and memory.
pub(super) const PRINT_ROWS: usize = 1_000;

/// `?part=N` (1-based) picks one part of a ledger printed in parts.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(super) struct PrintQuery {
    part: String,
}

/// The page that lists the parts of a ledger too long for one PDF.
#[derive(Template)]
#[template(path = "ledger/print_parts.html")]
struct PartsPage {
    chrome: Chrome,
    name: &'static str,
    n_rows: usize,
    per_part: usize,
    /// (href, first row, last row) of each part.
    parts: Vec<(String, usize, usize)>,
}

/// Prints `sheet` as an A4 landscape PDF (the columns it holds, each with its
/// share of the width), records the print, and sends the file. A sheet longer
/// than [`PRINT_ROWS`] is printed in parts: without `?part=` the person gets a
/// page that lists them.
pub(super) async fn send_pdf(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::ViewLedger>,
    mut sheet: Sheet,
    query: &PrintQuery,
    widths: Vec<u32>,
    mut footer: Vec<String>,
) -> Result<Response, AppError> {
    let n_all = sheet.rows.len();
    let n_parts = n_all.div_ceil(PRINT_ROWS).max(1);
    let part = match query.part.trim() {
        "" if n_parts > 1 => {
            let parts = (1..=n_parts)
                .map(|part| {
                    (
                        format!("/ledger/{}/print.pdf?part={part}", sheet.ledger),
                        (part - 1) * PRINT_ROWS + 1,
                        (part * PRINT_ROWS).min(n_all),
                    )
                })
                .collect();
            return chrome.render(&PartsPage {
                chrome: chrome.clone(),
                name: match sheet.ledger {
                    "devices" => chrome.l.devices_title,
                    "staff" => chrome.l.staff_title,
                    "accounts" => chrome.l.accounts_title,
                    _ => chrome.l.ledgers,
                },
                n_rows: n_all,
                per_part: PRINT_ROWS,
                parts,
            });
        }
        "" => 1,
        text => text
            .parse::<usize>()
            .ok()
            .filter(|part| (1..=n_parts).contains(part))
            .ok_or_else(|| AppError::not_found(chrome.locale))?,
    };
    let from = (part - 1) * PRINT_ROWS;
    let to = (from + PRINT_ROWS).min(n_all);
    sheet.rows.truncate(to);
    sheet.rows.drain(..from);
    let title = if n_parts > 1 {
        footer.push(format!(
            "全{n_all}件のうち {}〜{to} 件目（{part}／{n_parts}）。ほかの部分は台帳の「印刷用PDF」から出力できます。",
            from + 1
        ));
        format!("{}（{part}／{n_parts}）", sheet.japanese)
    } else {
        sheet.japanese.to_owned()
    };
    let institution = mamori_store::institution::get(&state.store, grant).await?;
    let (ledger, japanese) = (sheet.ledger, sheet.japanese);
    let n_rows = sheet.rows.len();
    let print = mamori_docs::TablePrint {
        title,
        institution_name: institution.details.name().to_owned(),
        printed_on: format_date_ja(state.clock.today()),
        headers: sheet
            .headers
            .iter()
            .map(|header| (*header).to_owned())
            .collect(),
        widths,
        rows: sheet.rows,
        empty: "登録されたものはありません。".to_owned(),
        footer,
    };
    // typst takes milliseconds per page: off the async workers, one at a time.
    let bytes = state
        .heavy
        .print(Locale::Ja, move || mamori_docs::table_pdf(&print))
        .await?;
    mamori_store::device::record_export(
        &state.store,
        grant,
        ledger,
        "pdf",
        n_rows,
        state.clock.now(),
    )
    .await?;
    Ok(download(ledger, japanese, "pdf", "application/pdf", bytes))
}

/// An empty workbook with a ledger's columns, to fill in and import.
pub(super) fn template(stem: &str, japanese: &str, headers: &[&str]) -> Result<Response, AppError> {
    let bytes = mamori_docs::table_xlsx(japanese, headers, &[])
        .map_err(|error| AppError::Unexpected(error.to_string()))?;
    Ok(download(
        &format!("{stem}-template"),
        &format!("{japanese}_取り込み用"),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    ))
}

/// A file to save: an ASCII name (`devices.csv`) and the Japanese one
/// (`使用機器一覧表.csv`) for browsers that read RFC 5987.
pub(crate) fn download(
    stem: &str,
    japanese: &str,
    extension: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Response {
    let encoded: String = japanese
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
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
                format!("attachment; filename=\"{stem}.{extension}\"; filename*=UTF-8''{encoded}.{extension}"),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
