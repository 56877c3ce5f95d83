//! Importing a ledger (the device ledger or the account ledger) from CSV
//! (UTF-8, Shift_JIS/CP932, UTF-16) or .xlsx: upload → every row checked →
//! preview → apply, all or nothing. A file with any problem is not kept and
//! changes nothing; the preview's file is kept until applied and checked again
//! against the ledger as it is then.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_domain::institution::{Grant, permissions};
use mamori_domain::ledger::{
    ACCOUNT_COLUMNS, AccountImportRow, Column, DEVICE_COLUMNS, DeviceKind, Existing,
    ExistingAccount, HeaderProblem, ImportProblems, ImportRow, Job, MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS, RowChange, RowProblem, STAFF_COLUMNS, StaffImportRow, TableError, account_row,
    check_account_import, check_device_import, check_staff_import, device_row, read_table,
    staff_row,
};
use mamori_store::device::{ImportCounts, PendingImport};
use sha2::{Digest, Sha256};

use super::devices::hex;
use super::name_in;
use crate::auth::{Authorized, CsrfForm};
use crate::heavy::Kind;
use crate::i18n::{LedgerText, Locale, describe, fill};
use crate::institution::IdPath;
use crate::multipart::CsrfMultipart;
use crate::page::Chrome;
use crate::{AppError, AppState};

/// How many problems the page lists before summing up the rest.
const SHOWN_PROBLEMS: usize = 200;
/// How many rows the preview lists.
const SHOWN_ROWS: usize = 200;

/// Which ledger a file is imported into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ledger {
    /// 使用機器一覧表.
    Devices,
    /// アカウント台帳.
    Accounts,
    /// 職員台帳.
    Staff,
}

impl Ledger {
    /// The stored name of staged files.
    fn code(self) -> &'static str {
        match self {
            Self::Devices => "devices",
            Self::Accounts => "accounts",
            Self::Staff => "staff",
        }
    }

    fn base(self) -> &'static str {
        match self {
            Self::Devices => "/ledger/devices",
            Self::Accounts => "/ledger/accounts",
            Self::Staff => "/ledger/staff",
        }
    }

    fn name(self, l: &LedgerText) -> &'static str {
        match self {
            Self::Devices => l.devices_title,
            Self::Accounts => l.accounts_title,
            Self::Staff => l.staff_title,
        }
    }

    /// The counter after a number, with its space (none in English).
    fn unit(self, l: &LedgerText) -> &'static str {
        match self {
            Self::Devices => l.unit_devices,
            Self::Accounts | Self::Staff => l.unit_items,
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Self::Devices => &DEVICE_COLUMNS,
            Self::Accounts => &ACCOUNT_COLUMNS,
            Self::Staff => &STAFF_COLUMNS,
        }
    }

    fn key_name(self, l: &LedgerText) -> &'static str {
        match self {
            Self::Devices => l.asset_number,
            Self::Accounts => l.system_and_account,
            Self::Staff => l.name,
        }
    }

    /// The preview's two columns: the record's key and a detail.
    fn preview_headers(self, l: &LedgerText) -> (&'static str, &'static str) {
        match self {
            Self::Devices => (l.asset_number, l.kind),
            Self::Accounts => (l.system_account, l.rights),
            Self::Staff => (l.name, l.job),
        }
    }

    fn gone(self, l: &LedgerText) -> &'static str {
        match self {
            Self::Devices => l.gone_device,
            Self::Accounts => l.gone_account,
            Self::Staff => l.gone_staff,
        }
    }

    /// The values the choice columns accept, by their Japanese names (codes
    /// and the usual spellings are read too).
    fn choices(self) -> Vec<(&'static str, Vec<&'static str>)> {
        use mamori_domain::ledger::{Antivirus, DeviceKind, DeviceStatus, Job};
        match self {
            Self::Devices => vec![
                (
                    "種別",
                    DeviceKind::ALL.iter().map(|kind| kind.name_ja()).collect(),
                ),
                (
                    "状態",
                    DeviceStatus::ALL
                        .iter()
                        .filter(|status| **status != DeviceStatus::Disposed)
                        .map(|status| status.name_ja())
                        .collect(),
                ),
                (
                    "ウイルス対策",
                    Antivirus::ALL.iter().map(|value| value.name_ja()).collect(),
                ),
            ],
            Self::Staff => vec![("職種", Job::ALL.iter().map(|job| job.name_ja()).collect())],
            Self::Accounts => Vec::new(),
        }
    }

    fn help(self, l: &LedgerText) -> &'static str {
        match self {
            Self::Devices => l.import_help_devices,
            Self::Accounts => l.import_help_accounts,
            Self::Staff => l.import_help_staff,
        }
    }
}

/// A file column's name in the UI's language (files always name them in Japanese).
fn column_label<'a>(chrome: &Chrome, ledger: Ledger, header: &'a str) -> &'a str {
    match chrome.locale {
        Locale::Ja => header,
        Locale::En => ledger
            .columns()
            .iter()
            .find(|column| column.header == header)
            .map_or(header, |column| {
                crate::i18n::field_label(column.field, chrome.t)
            }),
    }
}

/// A previewed row.
struct PreviewRow {
    row: usize,
    key: String,
    detail: String,
    change: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "ledger/import.html")]
struct ImportPage {
    chrome: Chrome,
    base: &'static str,
    ledger_name: &'static str,
    key_header: &'static str,
    detail_header: &'static str,
    unit: &'static str,
    help: &'static str,
    /// (header in the file, its meaning in the UI's language, required).
    columns: Vec<(&'static str, &'static str, bool)>,
    choices: Vec<(&'static str, Vec<&'static str>)>,
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
    fn new(chrome: &Chrome, ledger: Ledger) -> Self {
        Self {
            chrome: chrome.clone(),
            base: ledger.base(),
            ledger_name: ledger.name(chrome.l),
            key_header: ledger.preview_headers(chrome.l).0,
            detail_header: ledger.preview_headers(chrome.l).1,
            unit: ledger.unit(chrome.l),
            help: ledger.help(chrome.l),
            columns: ledger
                .columns()
                .iter()
                .map(|column| {
                    (
                        column.header,
                        crate::i18n::field_label(column.field, chrome.t),
                        column.required,
                    )
                })
                .collect(),
            choices: ledger.choices(),
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

pub(crate) fn table_message(locale: Locale, error: &TableError) -> String {
    match locale {
        Locale::Ja => table_message_ja(error),
        Locale::En => table_message_en(error),
    }
}

fn table_message_en(error: &TableError) -> String {
    match error {
        TableError::Empty => "The file is empty. The first row must hold the column names.".to_owned(),
        TableError::TooLarge { max } => {
            format!("The file is too large (at most {} MB).", max / (1024 * 1024))
        }
        TableError::TooWide { max } => {
            format!("Too many columns (at most {max}). Keep only the ledger's columns in the sheet.")
        }
        TableError::TooManyRows { max } => {
            format!("Too many rows (at most {max}). Split the file and import the parts.")
        }
        TableError::Encoding { row } => format!(
            "Row {row}: the character encoding cannot be read. Save the file again as UTF-8 or Shift_JIS (Excel's \"CSV (comma delimited)\")."
        ),
        TableError::Csv { row, .. } => {
            format!("Row {row}: the CSV is malformed (a quote \" left open?).")
        }
        TableError::Workbook(detail) => {
            format!("The Excel file cannot be read. Save it again as .xlsx ({detail}).")
        }
        TableError::WorkbookTooLarge { .. } => {
            "The Excel file's content is too large (keep only the ledger's rows and columns in the sheet).".to_owned()
        }
        TableError::TooManyCells { max } => format!(
            "Too many cells (at most {max}, empty ones included). Keep only the ledger's rows and columns in the sheet."
        ),
        TableError::CellTooLong { row, column, max } => {
            format!("Row {row}, column {column}: the cell is too long (at most {max} characters).")
        }
        TableError::CellError { row, column, error } => {
            format!("Row {row}, column {column}: the cell holds an error value ({error}).")
        }
    }
}

fn table_message_ja(error: &TableError) -> String {
    match error {
        TableError::Empty => "ファイルが空です。1行目に列名が必要です。".to_owned(),
        TableError::TooLarge { max } => {
            format!("ファイルが大きすぎます（{}MBまで）。", max / (1024 * 1024))
        }
        TableError::TooWide { max } => {
            format!("列が多すぎます（{max}列まで）。台帳の列だけのシートにしてください。")
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
        TableError::WorkbookTooLarge { .. } => {
            "Excelファイルの中身が大きすぎます（台帳の行と列だけのシートにしてください）。"
                .to_owned()
        }
        TableError::TooManyCells { max } => format!(
            "セルが多すぎます（空のセルも含めて{max}個まで）。台帳の行と列だけのシートにしてください。"
        ),
        TableError::CellTooLong { row, column, max } => {
            format!("{row}行目 {column}列目: セルの文字が多すぎます（{max}文字まで）。")
        }
        TableError::CellError { row, column, error } => {
            format!("{row}行目 {column}列目: セルがエラー値（{error}）です。")
        }
    }
}

fn problem_messages(chrome: &Chrome, ledger: Ledger, problems: &ImportProblems) -> Vec<String> {
    match problems {
        ImportProblems::Header(problems) => problems
            .iter()
            .map(|problem| match problem {
                HeaderProblem::Missing(header) => fill(
                    chrome.l.header_missing,
                    &[&column_label(chrome, ledger, header)],
                ),
                HeaderProblem::Unknown(text) => {
                    fill(chrome.l.header_unknown, &[text, &ledger.name(chrome.l)])
                }
                HeaderProblem::Duplicate(header) => fill(
                    chrome.l.header_duplicate,
                    &[&column_label(chrome, ledger, header)],
                ),
            })
            .collect(),
        ImportProblems::Rows(errors) => errors
            .iter()
            .map(|error| {
                let column = column_label(chrome, ledger, error.column.unwrap_or_default());
                match &error.problem {
                    RowProblem::Field(parse) => describe(
                        &parse
                            .clone()
                            .with_subject(fill(chrome.l.row_n, &[&error.row])),
                        chrome.locale,
                    ),
                    RowProblem::DuplicateAssetNumber { first_row } => fill(
                        chrome.l.row_duplicate,
                        &[&error.row, &column, first_row, &ledger.key_name(chrome.l)],
                    ),
                    RowProblem::Disposed => format!(
                        "{} {column}: {}",
                        fill(chrome.l.row_n, &[&error.row]),
                        ledger.gone(chrome.l)
                    ),
                    RowProblem::ExtraCells => fill(chrome.l.row_extra_cells, &[&error.row]),
                }
            })
            .collect(),
    }
}

/// A checked file of either ledger.
enum Checked {
    Devices(Vec<ImportRow>),
    Accounts(Vec<AccountImportRow>),
    Staff(Vec<StaffImportRow>),
}

impl Checked {
    fn preview_rows(&self, chrome: &Chrome) -> Vec<(usize, String, String, &RowChange)> {
        match self {
            Self::Devices(rows) => rows
                .iter()
                .map(|row| {
                    (
                        row.row,
                        row.device.asset_number.clone(),
                        {
                            let name =
                                name_in(chrome.locale, DeviceKind::name_ja, DeviceKind::name_en)(
                                    row.device.kind,
                                );
                            match &row.kind_as_written {
                                Some(written) => chrome.fill(chrome.l.as_written, name, written),
                                None => name.to_owned(),
                            }
                        },
                        &row.change,
                    )
                })
                .collect(),
            Self::Accounts(rows) => rows
                .iter()
                .map(|row| {
                    (
                        row.row,
                        format!("{} / {}", row.account.system, row.account.login),
                        if row.account.admin {
                            chrome.l.admin_label.to_owned()
                        } else {
                            String::new()
                        },
                        &row.change,
                    )
                })
                .collect(),
            Self::Staff(rows) => rows
                .iter()
                .map(|row| {
                    (
                        row.row,
                        row.staff.name.clone(),
                        name_in(chrome.locale, Job::name_ja, Job::name_en)(row.staff.job)
                            .to_owned(),
                        &row.change,
                    )
                })
                .collect(),
        }
    }
}

/// Reads and checks `bytes` as `ledger` against the ledger as it is now.
async fn check(
    state: &AppState,
    chrome: &Chrome,
    grant: &Grant<permissions::EditLedger>,
    ledger: Ledger,
    bytes: &[u8],
) -> Result<Result<Checked, Vec<String>>, AppError> {
    // A workbook is inflated and walked cell by cell: bounded, but seconds of
    // a core for the largest, so off the async workers and one at a time.
    let owned = bytes.to_vec();
    let table = match state
        .heavy
        .run(Kind::Import, chrome.locale, move || read_table(&owned))
        .await?
    {
        Ok(table) => table,
        Err(error) => return Ok(Err(vec![table_message(chrome.locale, &error)])),
    };
    let today = state.clock.today();
    let checked = match ledger {
        Ledger::Devices => {
            let existing: HashMap<String, Existing> =
                mamori_store::device::all(&state.store, grant)
                    .await?
                    .into_iter()
                    .map(|device| {
                        let disposed =
                            device.device.status == mamori_domain::ledger::DeviceStatus::Disposed;
                        (
                            device.device.asset_number.clone(),
                            Existing {
                                row: device_row(&device.device),
                                disposed,
                            },
                        )
                    })
                    .collect();
            check_device_import(&table, |asset| existing.get(asset).cloned(), today)
                .map(Checked::Devices)
        }
        Ledger::Accounts => {
            let mut staff_by_name: HashMap<String, Vec<i64>> = HashMap::new();
            for staff in mamori_store::staff::list_staff(&state.store, grant).await? {
                staff_by_name
                    .entry(staff.staff.name)
                    .or_default()
                    .push(staff.id);
            }
            let existing: HashMap<(String, String), ExistingAccount> =
                mamori_store::staff::list_accounts(&state.store, grant)
                    .await?
                    .into_iter()
                    .map(|account| {
                        let row = account_row(
                            &account.account,
                            account.owner.as_ref().map(|(name, _)| name.as_str()),
                        );
                        (
                            (
                                account.account.system.clone(),
                                account.account.login.clone(),
                            ),
                            ExistingAccount {
                                row,
                                deleted: account.deleted_on.is_some(),
                            },
                        )
                    })
                    .collect();
            check_account_import(
                &table,
                &staff_by_name,
                |system, login| {
                    existing
                        .get(&(system.to_owned(), login.to_owned()))
                        .cloned()
                },
                today,
            )
            .map(Checked::Accounts)
        }
        Ledger::Staff => {
            let mut by_name: HashMap<String, Vec<(i64, Vec<String>)>> = HashMap::new();
            for staff in mamori_store::staff::list_staff(&state.store, grant).await? {
                by_name
                    .entry(staff.staff.name.clone())
                    .or_default()
                    .push((staff.id, staff_row(&staff.staff)));
            }
            check_staff_import(&table, |name| {
                by_name.get(name).cloned().unwrap_or_default()
            })
            .map(Checked::Staff)
        }
    };
    Ok(checked.map_err(|problems| problem_messages(chrome, ledger, &problems)))
}

async fn show_form(chrome: &Chrome, ledger: Ledger) -> Result<Response, AppError> {
    chrome.render(&ImportPage::new(chrome, ledger))
}

/// `GET /ledger/devices/import`.
pub(super) async fn form(
    chrome: Chrome,
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    show_form(&chrome, Ledger::Devices).await
}

/// `GET /ledger/accounts/import`.
pub(super) async fn account_form(
    chrome: Chrome,
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    show_form(&chrome, Ledger::Accounts).await
}

async fn receive(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::EditLedger>,
    ledger: Ledger,
    form: &CsrfMultipart,
) -> Result<Response, AppError> {
    let Some(file) = form.files.iter().find(|file| file.field == "file") else {
        let page =
            ImportPage::new(chrome, ledger).with_errors(vec![chrome.l.import_no_file.to_owned()]);
        return chrome.render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let file_name: String = file.name.chars().take(200).collect();
    let checked = match check(state, chrome, &authorized.grant, ledger, &file.bytes).await? {
        Ok(checked) => checked,
        Err(errors) => {
            let mut page = ImportPage::new(chrome, ledger).with_errors(errors);
            page.file_name = file_name;
            return chrome.render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let sha256 = hex(&Sha256::digest(&file.bytes));
    let import_id = mamori_store::device::stage_import(
        &state.store,
        &authorized.grant,
        ledger.code(),
        &file_name,
        &file.bytes,
        &sha256,
        state.clock.now(),
    )
    .await?;
    let rows = checked.preview_rows(chrome);
    let count = |wanted: fn(&RowChange) -> bool| rows.iter().filter(|row| wanted(row.3)).count();
    let preview = Preview {
        import_id,
        added: count(|change| matches!(change, RowChange::New)),
        changed: count(|change| matches!(change, RowChange::Changed(_))),
        unchanged: count(|change| matches!(change, RowChange::Unchanged)),
        more_rows: rows.len().saturating_sub(SHOWN_ROWS),
        rows: rows
            .iter()
            .take(SHOWN_ROWS)
            .map(|(row, key, detail, change)| {
                let (change, class) = match change {
                    RowChange::New => (chrome.l.change_new.to_owned(), "new"),
                    RowChange::Changed(columns) => {
                        let names: Vec<&str> = columns
                            .iter()
                            .map(|header| column_label(chrome, ledger, header))
                            .collect();
                        (
                            fill(chrome.l.change_columns, &[&names.join(chrome.l.list_sep)]),
                            "changed",
                        )
                    }
                    RowChange::Unchanged => (chrome.l.change_none.to_owned(), "unchanged"),
                };
                PreviewRow {
                    row: *row,
                    key: key.clone(),
                    detail: detail.clone(),
                    change,
                    class,
                }
            })
            .collect(),
    };
    let mut page = ImportPage::new(chrome, ledger);
    page.file_name = file_name;
    page.preview = Some(preview);
    chrome.render(&page)
}

/// `POST /ledger/devices/import`: checks the file and shows the preview.
pub(super) async fn upload(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    receive(&state, &chrome, &authorized, Ledger::Devices, &form).await
}

/// `POST /ledger/accounts/import`.
pub(super) async fn account_upload(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    receive(&state, &chrome, &authorized, Ledger::Accounts, &form).await
}

async fn write(
    state: &AppState,
    grant: &Grant<permissions::EditLedger>,
    pending: &PendingImport,
    checked: &Checked,
) -> Result<ImportCounts, mamori_store::Error> {
    let now = state.clock.now();
    match checked {
        Checked::Devices(rows) => {
            mamori_store::device::apply_import(&state.store, grant, pending, rows, now).await
        }
        Checked::Accounts(rows) => {
            mamori_store::staff::apply_account_import(&state.store, grant, pending, rows, now).await
        }
        Checked::Staff(rows) => {
            mamori_store::staff::apply_staff_import(&state.store, grant, pending, rows, now).await
        }
    }
}

async fn apply_file(
    state: &AppState,
    chrome: &Chrome,
    authorized: &Authorized<permissions::EditLedger>,
    ledger: Ledger,
    id: i64,
) -> Result<Response, AppError> {
    let pending =
        mamori_store::device::pending_import(&state.store, &authorized.grant, ledger.code(), id)
            .await?;
    let checked = match check(state, chrome, &authorized.grant, ledger, &pending.content).await? {
        Ok(checked) => checked,
        Err(mut errors) => {
            errors.insert(0, chrome.l.import_changed_since_preview.to_owned());
            let mut page = ImportPage::new(chrome, ledger).with_errors(errors);
            page.file_name = pending.file_name;
            return chrome.render_with_status(StatusCode::CONFLICT, &page);
        }
    };
    match write(state, &authorized.grant, &pending, &checked).await {
        Ok(counts) => {
            let mut page = ImportPage::new(chrome, ledger);
            page.file_name = pending.file_name;
            page.result = Some((counts.added, counts.changed, counts.unchanged));
            chrome.render(&page)
        }
        Err(mamori_store::Error::Conflict(_)) => {
            let mut page = ImportPage::new(chrome, ledger)
                .with_errors(vec![chrome.l.import_changed_while_writing.to_owned()]);
            page.file_name = pending.file_name;
            chrome.render_with_status(StatusCode::CONFLICT, &page)
        }
        Err(error) => Err(error.into()),
    }
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
    apply_file(&state, &chrome, &authorized, Ledger::Devices, id).await
}

/// `POST /ledger/accounts/import/{id}/apply`.
pub(super) async fn account_apply(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(_): CsrfForm<crate::checklist::Empty>,
) -> Result<Response, AppError> {
    apply_file(&state, &chrome, &authorized, Ledger::Accounts, id).await
}

/// `GET /ledger/staff/import`.
pub(super) async fn staff_form(
    chrome: Chrome,
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    show_form(&chrome, Ledger::Staff).await
}

/// `POST /ledger/staff/import`.
pub(super) async fn staff_upload(
    State(state): State<AppState>,
    chrome: Chrome,
    authorized: Authorized<permissions::EditLedger>,
    form: CsrfMultipart,
) -> Result<Response, AppError> {
    receive(&state, &chrome, &authorized, Ledger::Staff, &form).await
}

/// `POST /ledger/staff/import/{id}/apply`.
pub(super) async fn staff_apply(
    State(state): State<AppState>,
    chrome: Chrome,
    IdPath(id): IdPath,
    authorized: Authorized<permissions::EditLedger>,
    CsrfForm(_): CsrfForm<crate::checklist::Empty>,
) -> Result<Response, AppError> {
    apply_file(&state, &chrome, &authorized, Ledger::Staff, id).await
}

fn send_template(ledger: Ledger) -> Result<Response, AppError> {
    let headers: Vec<&'static str> = ledger
        .columns()
        .iter()
        .map(|column| column.header)
        .collect();
    super::export::template(ledger.code(), ledger.name(Locale::Ja.ledger()), &headers)
}

/// `GET /ledger/devices/import/template.xlsx`: an empty workbook with the columns.
pub(super) async fn template(
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    send_template(Ledger::Devices)
}

/// `GET /ledger/accounts/import/template.xlsx`.
pub(super) async fn account_template(
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    send_template(Ledger::Accounts)
}

/// `GET /ledger/staff/import/template.xlsx`.
pub(super) async fn staff_template(
    _authorized: Authorized<permissions::EditLedger>,
) -> Result<Response, AppError> {
    send_template(Ledger::Staff)
}
