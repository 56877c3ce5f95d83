//! Importing the device ledger from CSV (UTF-8, Shift_JIS/CP932) or .xlsx:
//! upload → every row checked → preview → apply, all or nothing. A file with
//! any problem is not kept and changes nothing; the preview's file is kept
//! until applied and checked again against the ledger as it is then.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{
    DEVICE_COLUMNS, Existing, HeaderProblem, ImportProblems, ImportRow, MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS, RowChange, RowProblem, TableError, check_device_import, device_row,
    read_table,
};
use sha2::{Digest, Sha256};

use super::devices::hex;
use crate::auth::{Authorized, CsrfForm};
use crate::i18n::describe;
use crate::institution::IdPath;
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// How many problems the page lists before summing up the rest.
const SHOWN_PROBLEMS: usize = 200;
/// How many rows the preview lists.
const SHOWN_ROWS: usize = 200;

/// A previewed row.
struct PreviewRow {
    row: usize,
    asset_number: String,
    kind: &'static str,
    change: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "ledger/import.html")]
struct ImportPage {
    chrome: Chrome,
    columns: Vec<(&'static str, bool)>,
    errors: Vec<String>,
    more_errors: usize,
    file_name: String,
    preview: Option<Preview>,
    result: Option<(usize, usize, usize)>,
    max_rows: usize,
    max_megabytes: usize,
}

struct Preview {
    import_id: i64,
    added: usize,
    changed: usize,
    unchanged: usize,
    rows: Vec<PreviewRow>,
    more_rows: usize,
}

impl ImportPage {
    fn new(chrome: &Chrome) -> Self {
        Self {
            chrome: chrome.clone(),
            columns: DEVICE_COLUMNS
                .iter()
                .map(|column| (column.header, column.required))
                .collect(),
            errors: Vec::new(),
            more_errors: 0,
            file_name: String::new(),
            preview: None,
            result: None,
            max_rows: MAX_IMPORT_ROWS,
            max_megabytes: MAX_IMPORT_BYTES / (1024 * 1024),
        }
    }

    fn with_errors(mut self, mut errors: Vec<String>) -> Self {
        if errors.len() > SHOWN_PROBLEMS {
            self.more_errors = errors.len() - SHOWN_PROBLEMS;
            errors.truncate(SHOWN_PROBLEMS);
        }
        self.errors = errors;
        self
    }
}

fn table_message(error: &TableError) -> String {
    match error {
        TableError::Empty => {
            "ファイルが空です。1行目に列名（種別、管理番号 …）が必要です。".to_owned()
        }
        TableError::TooLarge { max } => {
            format!("ファイルが大きすぎます（{}MBまで）。", max / (1024 * 1024))
        }
        TableError::TooManyRows { max } => {
            format!("行が多すぎます（{max}行まで）。ファイルを分けて取り込んでください。")
        }
        TableError::Encoding { row } => format!(
            "{row}行目: 文字コードを読み取れません。UTF-8 か Shift_JIS（Excelの「CSV（コンマ区切り）」）で保存し直してください。"
        ),
        TableError::Csv { row, .. } => {
            format!("{row}行目: CSVの形式が正しくありません（引用符 \" の閉じ忘れなど）。")
        }
        TableError::Workbook(detail) => {
            format!("Excelファイルを読み取れません。.xlsx 形式で保存し直してください（{detail}）。")
        }
        TableError::CellError { row, column, error } => {
            format!("{row}行目 {column}列目: セルがエラー値（{error}）です。")
        }
    }
}

fn problem_messages(chrome: &Chrome, problems: &ImportProblems) -> Vec<String> {
    match problems {
        ImportProblems::Header(problems) => problems
            .iter()
            .map(|problem| match problem {
                HeaderProblem::Missing(header) => {
                    format!("1行目（列名）: 必須の列「{header}」がありません。")
                }
                HeaderProblem::Unknown(text) => format!(
                    "1行目（列名）: 「{text}」は使用機器一覧表の列ではありません（使える列名は下の表のとおりです）。"
                ),
                HeaderProblem::Duplicate(header) => {
                    format!("1行目（列名）: 列「{header}」が2回あります。")
                }
            })
            .collect(),
        ImportProblems::Rows(errors) => errors
            .iter()
            .map(|error| {
                let column = error.column.unwrap_or_default();
                match &error.problem {
                    RowProblem::Field(parse) => describe(
                        &parse.clone().with_subject(format!("{}行目", error.row)),
                        chrome.locale,
                    ),
                    RowProblem::DuplicateAssetNumber { first_row } => format!(
                        "{}行目 {column}: {first_row}行目と同じ管理番号です。",
                        error.row
                    ),
                    RowProblem::Disposed => format!(
                        "{}行目 {column}: 廃棄済みの機器の管理番号です（廃棄した機器は取り込みで変更できません）。",
                        error.row
                    ),
                    RowProblem::ExtraCells => {
                        format!("{}行目: 列名のない列に値があります。", error.row)
                    }
                }
            })
            .collect(),
    }
}

/// The ledger as the import compares against it, by 管理番号.
async fn existing(
    state: &AppState,
    grant: &Grant<permissions::EditLedger>,
) -> Result<HashMap<String, Existing>, AppError> {
    Ok(mamori_store::device::all(&state.store, grant)
        .await?
        .into_iter()
        .map(|device| {
            let disposed = device.device.status == mamori_domain::ledger::DeviceStatus::Disposed;
            (
                device.device.asset_number.clone(),
                Existing {
                    row: device_row(&device.device),
                    disposed,
                },
            )
        })
        .collect())
}

/// Reads and checks `bytes` against the ledger as it is now.
async fn check(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::EditLedger>,
    bytes: &[u8],
) -> Result<Result<Vec<ImportRow>, Vec<String>>, AppError> {
    let table = match read_table(bytes) {
        Ok(table) => table,
        Err(error) => return Ok(Err(vec![table_message(&error)])),
    };
    let existing = existing(state, grant).await?;
    Ok(check_device_import(
        &table,
        |asset| existing.get(asset).cloned(),
        state.clock.today(),
    )
    .map_err(|problems| problem_messages(chrome, &problems)))
}

/// `GET /ledger/devices/import`.
pub(super) async fn form(
    chrome: Chrome,
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    chrome.render(&ImportPage::new(&chrome))
}

/// `POST /ledger/devices/import`: checks the file and shows the preview.
pub(super) async fn upload(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    let Some(file) = form.files.iter().find(|file| file.field == "file") else {
        let page = ImportPage::new(&chrome).with_errors(vec![
            "ファイル: 取り込むファイル（CSV または .xlsx）を選んでください。".to_owned(),
        ]);
        return chrome.render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let file_name: String = file.name.chars().take(200).collect();
    let rows = match check(&state, &chrome, &authorized.grant, &file.bytes).await? {
        Ok(rows) => rows,
        Err(errors) => {
            let mut page = ImportPage::new(&chrome).with_errors(errors);
            page.file_name = file_name;
            return chrome.render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let sha256 = hex(&Sha256::digest(&file.bytes));
    let import_id = mamori_store::device::stage_import(
        &state.store,
        &authorized.grant,
        &file_name,
        &file.bytes,
        &sha256,
        state.clock.now(),
    )
    .await?;
    let count =
        |wanted: fn(&RowChange) -> bool| rows.iter().filter(|row| wanted(&row.change)).count();
    let preview = Preview {
        import_id,
        added: count(|change| matches!(change, RowChange::New)),
        changed: count(|change| matches!(change, RowChange::Changed(_))),
        unchanged: count(|change| matches!(change, RowChange::Unchanged)),
        more_rows: rows.len().saturating_sub(SHOWN_ROWS),
        rows: rows
            .iter()
            .take(SHOWN_ROWS)
            .map(|row| {
                let (change, class) = match &row.change {
                    RowChange::New => ("追加".to_owned(), "new"),
                    RowChange::Changed(columns) => {
                        (format!("変更（{}）", columns.join("、")), "changed")
                    }
                    RowChange::Unchanged => ("変更なし".to_owned(), "unchanged"),
                };
                PreviewRow {
                    row: row.row,
                    asset_number: row.device.asset_number.clone(),
                    kind: row.device.kind.name_ja(),
                    change,
                    class,
                }
            })
            .collect(),
    };
    let mut page = ImportPage::new(&chrome);
    page.file_name = file_name;
    page.preview = Some(preview);
    chrome.render(&page)
}

/// `POST /ledger/devices/import/{id}/apply`: applies the previewed file, after
/// checking it again against the ledger as it is now.
pub(super) async fn apply(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(_): CsrfForm<crate::checklist::Empty>,
) -> Result<Response, AppError> {
    let pending = mamori_store::device::pending_import(&state.store, &authorized.grant, id).await?;
    let rows = match check(&state, &chrome, &authorized.grant, &pending.content).await? {
        Ok(rows) => rows,
        Err(mut errors) => {
            errors.insert(
                0,
                "プレビューの後に台帳が変わったため、取り込めなくなりました。何も変更していません。".to_owned(),
            );
            let mut page = ImportPage::new(&chrome).with_errors(errors);
            page.file_name = pending.file_name;
            return chrome.render_with_status(StatusCode::CONFLICT, &page);
        }
    };
    match mamori_store::device::apply_import(
        &state.store,
        &authorized.grant,
        &pending,
        &rows,
        state.clock.now(),
    )
    .await
    {
        Ok(counts) => {
            let mut page = ImportPage::new(&chrome);
            page.file_name = pending.file_name;
            page.result = Some((counts.added, counts.changed, counts.unchanged));
            chrome.render(&page)
        }
        Err(mamori_store::Error::Conflict(_)) => {
            let mut page = ImportPage::new(&chrome).with_errors(vec![
                "取り込み中に同じ管理番号の機器が登録されたため、取り込みを取り消しました。何も変更していません。もう一度ファイルを選んでください。".to_owned(),
            ]);
            page.file_name = pending.file_name;
            chrome.render_with_status(StatusCode::CONFLICT, &page)
        }
        Err(error) => Err(error.into()),
    }
}
