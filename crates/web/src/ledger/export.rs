//! Every ledger's export, one way: CSV (UTF-8 with BOM, or Shift_JIS) or
//! .xlsx, recorded in the audit trail, sent as a download.

use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use mamori_domain::calendar::format_date_ja;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{TextEncoding, write_csv};

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
            let bytes = write_csv(&sheet.headers, &sheet.rows, encoding).map_err(|reason| {
                AppError::bad_request(
                    chrome.locale,
                    format!("Shift_JIS で書き出せない文字があります（{reason}）。UTF-8 の CSV か Excel 形式で出力してください。"),
                )
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

/// Prints `sheet` as an A4 landscape PDF (the columns it holds, each with its
/// share of the width), records the print, and sends the file.
pub(super) async fn send_pdf(
    state: &AppState,
    grant: &Grant<permissions::ViewLedger>,
    sheet: Sheet,
    widths: Vec<u32>,
    footer: Vec<String>,
) -> Result<Response, AppError> {
    let institution = mamori_store::institution::get(&state.store, grant).await?;
    let (ledger, japanese) = (sheet.ledger, sheet.japanese);
    let n_rows = sheet.rows.len();
    let print = mamori_docs::TablePrint {
        title: japanese.to_owned(),
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
    // typst takes milliseconds per page: off the async workers.
    let bytes = tokio::task::spawn_blocking(move || mamori_docs::table_pdf(&print))
        .await
        .map_err(|error| AppError::Unexpected(error.to_string()))?
        .map_err(|error| AppError::Unexpected(error.to_string()))?;
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

/// A file to save: an ASCII name (`devices.csv`) and the Japanese one
/// (`使用機器一覧表.csv`) for browsers that read RFC 5987.
fn download(
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
