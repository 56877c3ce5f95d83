//! File import for sources that cannot send: CSV/TSV audit exports of
//! electronic medical records (電子カルテ) and レセコン, in UTF-8, Shift_JIS
//! (CP932) or UTF-16. A [`ColumnMapping`], saved per source, names which
//! column holds what; [`preview`] shows the first rows before anything is
//! stored and [`read_all`] turns every row into a [`LogEvent`] or a
//! [`RowError`] that keeps the raw row — never dropped, always counted.
//!
//! The text is read by the ledger's table reader ([`read_delimited`]), with
//! its encodings and bounds; header cells are compared as the ledger import
//! compares them.

use std::collections::HashMap;
use std::net::IpAddr;

use jiff::{Timestamp, civil, tz::TimeZone};

use super::event::{Action, LogEvent, Outcome};
use crate::calendar::parse_date_ja;
use crate::ledger::device::Errors;
use crate::ledger::import::{MAX_TITLE_ROWS, normalise_header};
use crate::ledger::table::{Delimiter, Table, TableError, TextEncoding, read_delimited};
use crate::{ParseError, ParseErrorKind};

/// The most characters a header name in a mapping may have.
pub const MAX_HEADER_CHARS: usize = 100;
/// The most action rules a mapping may have.
pub const MAX_ACTION_RULES: usize = 200;
/// The most characters a user, patient id, terminal or action value may have.
pub const MAX_VALUE_CHARS: usize = 200;
/// The most characters a time cell may have.
const MAX_TIME_CHARS: usize = 64;

/// A way a source writes its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// ISO 8601 / RFC 3339 with an offset: `2026-04-01T09:30:00+09:00`, `…Z`.
    Iso8601,
    /// A Gregorian date and a time in the source's time zone:
    /// `2026-04-01 09:30:00`, `2026/04/01 9:30:00`, `2026/4/1 9:30`,
    /// `2026年4月1日 9:30`, `2026-04-01T09:30:00` (no offset).
    YearMonthDay,
    /// A 和暦 date and a time in the source's time zone:
    /// `令和8年4月1日 9:30`, `R8.4.1 9:30:00`.
    Wareki,
}

impl TimeFormat {
    /// Every format, the default of a mapping.
    pub const ALL: [TimeFormat; 3] = [Self::Iso8601, Self::YearMonthDay, Self::Wareki];

    /// The code a saved mapping uses.
    pub fn code(self) -> &'static str {
        match self {
            Self::Iso8601 => "iso8601",
            Self::YearMonthDay => "ymd",
            Self::Wareki => "wareki",
        }
    }

    /// The format of a code written by [`TimeFormat::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.code() == code)
    }
}

/// One action rule: a value as the file writes it (after trimming) and the
/// action it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRule {
    /// The value in the file, e.g. `ログイン`.
    pub value: String,
    /// What it means.
    pub action: Action,
}

/// The built-in rules, used after a mapping's own: ログイン/ログオン are
/// sign-ins, ログアウト/ログオフ sign-outs, パスワード変更 a password change.
pub fn default_action_rules() -> Vec<ActionRule> {
    [
        ("ログイン", Action::SignIn),
        ("ログオン", Action::SignIn),
        ("login", Action::SignIn),
        ("ログアウト", Action::SignOut),
        ("ログオフ", Action::SignOut),
        ("logout", Action::SignOut),
        ("パスワード変更", Action::PasswordChanged),
    ]
    .into_iter()
    .map(|(value, action)| ActionRule {
        value: value.to_owned(),
        action,
    })
    .collect()
}

/// The code of an action in a saved rule (`sign_in`, …, or `other:LABEL`).
pub fn action_code(action: &Action) -> std::borrow::Cow<'static, str> {
    match action {
        Action::Other(label) => format!("other:{label}").into(),
        known => ACTION_CODES
            .iter()
            .find(|(_, action)| action == known)
            .map_or("", |(code, _)| code)
            .into(),
    }
}

const ACTION_CODES: [(&str, Action); 13] = [
    ("sign_in", Action::SignIn),
    ("sign_out", Action::SignOut),
    ("session_opened", Action::SessionOpened),
    ("session_closed", Action::SessionClosed),
    ("account_created", Action::AccountCreated),
    ("account_enabled", Action::AccountEnabled),
    ("account_disabled", Action::AccountDisabled),
    ("account_deleted", Action::AccountDeleted),
    ("account_locked", Action::AccountLocked),
    ("account_unlocked", Action::AccountUnlocked),
    ("password_changed", Action::PasswordChanged),
    ("vpn_connect", Action::VpnConnect),
    ("vpn_disconnect", Action::VpnDisconnect),
];

/// The action of a code written by [`action_code`].
pub fn action_from_code(code: &str) -> Option<Action> {
    if let Some(label) = code.strip_prefix("other:") {
        let label = label.trim();
        return (!label.is_empty()).then(|| Action::Other(label.to_owned()));
    }
    ACTION_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, action)| action.clone())
}

/// Which column holds what, by header name as in the file, and how to read
/// the values. Saved per source.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMapping {
    /// The header of the time (日時) column.
    pub time: String,
    /// The header of the user (利用者ID) column.
    pub user: String,
    /// The header of the action (操作) column.
    pub action: Option<String>,
    /// The header of the patient id (患者ID) column.
    pub patient_id: Option<String>,
    /// The header of the terminal (端末) column, the event's host.
    pub host: Option<String>,
    /// The header of the source address (IPアドレス) column.
    pub source_address: Option<String>,
    /// The header of the outcome (結果) column.
    pub outcome: Option<String>,
    /// The time formats to accept, tried in this order.
    pub time_formats: Vec<TimeFormat>,
    /// The zone of times written without an offset.
    pub time_zone: TimeZone,
    /// The mapping's own action rules, tried before [`default_action_rules`].
    pub action_rules: Vec<ActionRule>,
    /// The delimiter of the file.
    pub delimiter: Delimiter,
}

impl ColumnMapping {
    /// A mapping of the two required columns, with every default.
    pub fn new(time: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            time: time.into(),
            user: user.into(),
            action: None,
            patient_id: None,
            host: None,
            source_address: None,
            outcome: None,
            time_formats: TimeFormat::ALL.to_vec(),
            time_zone: tokyo(),
            action_rules: Vec::new(),
            delimiter: Delimiter::Auto,
        }
    }

    /// Each mapped field with its header: the form field name and the header.
    fn columns(&self) -> Vec<(&'static str, &str)> {
        let mut columns = vec![("time", self.time.as_str()), ("user", self.user.as_str())];
        for (field, header) in [
            ("action", &self.action),
            ("patient_id", &self.patient_id),
            ("host", &self.host),
            ("source_address", &self.source_address),
            ("outcome", &self.outcome),
        ] {
            if let Some(header) = header {
                columns.push((field, header.as_str()));
            }
        }
        columns
    }
}

fn tokyo() -> TimeZone {
    // JST has had no daylight saving since 1951.
    TimeZone::get("Asia/Tokyo").unwrap_or(TimeZone::fixed(jiff::tz::offset(9)))
}

/// A mapping as a form sends it. Empty optional fields mean "not mapped" or
/// "the default".
#[derive(Debug, Clone, Copy, Default)]
pub struct RawColumnMapping<'a> {
    /// The time column's header (required).
    pub time_column: &'a str,
    /// The user column's header (required).
    pub user_column: &'a str,
    /// The action column's header.
    pub action_column: &'a str,
    /// The patient id column's header.
    pub patient_id_column: &'a str,
    /// The terminal column's header.
    pub host_column: &'a str,
    /// The source address column's header.
    pub source_address_column: &'a str,
    /// The outcome column's header.
    pub outcome_column: &'a str,
    /// [`TimeFormat`] codes separated by commas or spaces; empty: all.
    pub time_formats: &'a str,
    /// An IANA time zone name; empty: Asia/Tokyo.
    pub time_zone: &'a str,
    /// One rule a line, `value=code` (`ログイン=sign_in`, `参照=other:参照`).
    pub action_rules: &'a str,
    /// `auto` (or empty), `comma` or `tab`.
    pub delimiter: &'a str,
}

fn header_name(
    field: &'static str,
    raw: &str,
    required: bool,
) -> Result<Option<String>, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return if required {
            Err(ParseError::new(field, ParseErrorKind::Empty))
        } else {
            Ok(None)
        };
    }
    if raw.chars().count() > MAX_HEADER_CHARS {
        return Err(ParseError::new(
            field,
            ParseErrorKind::TooLong {
                max: MAX_HEADER_CHARS,
            },
        ));
    }
    Ok(Some(raw.to_owned()))
}

fn parse_time_formats(raw: &str) -> Result<Vec<TimeFormat>, ParseError> {
    let mut formats = Vec::new();
    for code in raw.split([',', ' ', '\n', '\r']).filter(|c| !c.is_empty()) {
        let format = TimeFormat::from_code(code.trim()).ok_or_else(|| {
            ParseError::new("time_formats", ParseErrorKind::UnknownChoice).with_subject(code)
        })?;
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    Ok(if formats.is_empty() {
        TimeFormat::ALL.to_vec()
    } else {
        formats
    })
}

fn parse_action_rules(raw: &str) -> Vec<Result<ActionRule, ParseError>> {
    let lines: Vec<(usize, &str)> = raw
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    if lines.len() > MAX_ACTION_RULES {
        return vec![Err(ParseError::new(
            "action_rules",
            ParseErrorKind::OutOfRange {
                min: 0,
                max: MAX_ACTION_RULES as i64,
            },
        ))];
    }
    let mut seen: Vec<String> = Vec::new();
    lines
        .into_iter()
        .map(|(line_number, line)| {
            let subject = format!("{line_number}");
            let bad = |reason| {
                ParseError::new("action_rules", ParseErrorKind::BadFormat(reason))
                    .with_subject(subject.clone())
            };
            let (value, code) = line
                .rsplit_once('=')
                .ok_or_else(|| bad("one rule a line, like ログイン=sign_in"))?;
            let value = value.trim();
            if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
                return Err(bad("a value as the file writes it, before ="));
            }
            let action = action_from_code(code.trim())
                .ok_or_else(|| bad("an action such as sign_in, sign_out or other:参照"))?;
            if seen.iter().any(|known| known == value) {
                return Err(ParseError::new(
                    "action_rules",
                    ParseErrorKind::Inconsistent("a value has two rules"),
                )
                .with_subject(subject));
            }
            seen.push(value.to_owned());
            Ok(ActionRule {
                value: value.to_owned(),
                action,
            })
        })
        .collect()
}

/// Checks a mapping as a form sent it, reporting every wrong field at once.
pub fn parse_column_mapping(raw: &RawColumnMapping<'_>) -> Result<ColumnMapping, Vec<ParseError>> {
    let mut errors = Errors::default();
    let time = errors.take(header_name("time_column", raw.time_column, true));
    let user = errors.take(header_name("user_column", raw.user_column, true));
    let action = errors.take(header_name("action_column", raw.action_column, false));
    let patient_id = errors.take(header_name(
        "patient_id_column",
        raw.patient_id_column,
        false,
    ));
    let host = errors.take(header_name("host_column", raw.host_column, false));
    let source_address = errors.take(header_name(
        "source_address_column",
        raw.source_address_column,
        false,
    ));
    let outcome = errors.take(header_name("outcome_column", raw.outcome_column, false));
    let time_formats = errors.take(parse_time_formats(raw.time_formats));
    let time_zone = errors.take(match raw.time_zone.trim() {
        "" => Ok(tokyo()),
        name => TimeZone::get(name)
            .map_err(|_| ParseError::new("time_zone", ParseErrorKind::UnknownChoice)),
    });
    let action_rules: Vec<ActionRule> = parse_action_rules(raw.action_rules)
        .into_iter()
        .filter_map(|rule| errors.take(rule))
        .collect();
    let delimiter = errors.take(match raw.delimiter.trim() {
        "" | "auto" => Ok(Delimiter::Auto),
        "comma" => Ok(Delimiter::Comma),
        "tab" => Ok(Delimiter::Tab),
        _ => Err(ParseError::new("delimiter", ParseErrorKind::UnknownChoice)),
    });
    match (
        time,
        user,
        action,
        patient_id,
        host,
        source_address,
        outcome,
        time_formats,
        time_zone,
        delimiter,
    ) {
        (
            Some(Some(time)),
            Some(Some(user)),
            Some(action),
            Some(patient_id),
            Some(host),
            Some(source_address),
            Some(outcome),
            Some(time_formats),
            Some(time_zone),
            Some(delimiter),
        ) if errors.0.is_empty() => Ok(ColumnMapping {
            time,
            user,
            action,
            patient_id,
            host,
            source_address,
            outcome,
            time_formats,
            time_zone,
            action_rules,
            delimiter,
        }),
        _ => Err(errors.0),
    }
}

/// A mapped column the file's header does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn {
    /// The mapping's field (`time`, `user`, `action`, …).
    pub field: &'static str,
    /// The header the mapping names.
    pub header: String,
}

/// Why a file could not be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EhrImportError {
    /// The file could not be read as a table (size, encoding, quotes, bounds).
    #[error(transparent)]
    Table(#[from] TableError),
    /// No row among the first ones holds the time and user columns. `header`
    /// is the row that held most mapped columns, to show the person.
    #[error("the file has no column named {}", .missing.iter().map(|m| m.header.as_str()).collect::<Vec<_>>().join(", "))]
    MissingColumns {
        /// The header row that came closest.
        header: Vec<String>,
        /// The required columns it lacks (and the optional ones, for the form).
        missing: Vec<MissingColumn>,
    },
}

/// A row that could not become an event, naming the row, the column and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The file row (1-based, as a spreadsheet numbers it).
    pub row: usize,
    /// The column's header as the file writes it.
    pub column: String,
    /// Why; its field is the mapping's field (`time`, `user`, …).
    pub error: ParseError,
}

/// One data row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The file row (1-based).
    pub row: usize,
    /// The row re-joined with the file's delimiter, quoted where needed.
    pub raw: String,
    /// The row's idempotency key: its trimmed cells joined by U+001F, then
    /// U+001E and how many identical rows came before it in the file (so
    /// two identical rows stay two). The same content gives the same key
    /// whatever the encoding; the store hashes it (SHA-256 is not a
    /// dependency of this crate) and keeps one event per key and source.
    pub key: String,
    /// The event, or every problem of the row (the row is still kept).
    pub parsed: Result<LogEvent, Vec<RowError>>,
}

/// The first rows of a file, read with a mapping, before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The header row found.
    pub header: Vec<String>,
    /// The file's encoding.
    pub encoding: Option<TextEncoding>,
    /// Mapped optional columns the header lacks.
    pub missing: Vec<MissingColumn>,
    /// The first rows.
    pub rows: Vec<ImportRow>,
    /// How many data rows the file has in all.
    pub total_rows: usize,
}

/// Every row of a file, read with a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EhrImport {
    /// The header row found.
    pub header: Vec<String>,
    /// The file's encoding.
    pub encoding: Option<TextEncoding>,
    /// Mapped optional columns the header lacks.
    pub missing: Vec<MissingColumn>,
    /// Every data row, in file order.
    pub rows: Vec<ImportRow>,
}

impl EhrImport {
    /// How many rows became events.
    pub fn n_events(&self) -> usize {
        self.rows.iter().filter(|row| row.parsed.is_ok()).count()
    }

    /// How many rows could not (kept raw, counted).
    pub fn n_errors(&self) -> usize {
        self.rows.len() - self.n_events()
    }
}

/// Where each mapped field is in the chosen header row.
struct Located {
    /// Index into the candidate rows (0: the table's header).
    header_index: usize,
    header: Vec<String>,
    /// (field, header as in the mapping, column index).
    columns: Vec<(&'static str, usize)>,
    missing: Vec<MissingColumn>,
}

fn locate(table: &Table, mapping: &ColumnMapping) -> Result<Located, EhrImportError> {
    let candidates = std::iter::once(&table.header).chain(table.rows.iter().take(MAX_TITLE_ROWS));
    let mut best: Option<Located> = None;
    for (header_index, row) in candidates.enumerate() {
        let names: Vec<String> = row.iter().map(|cell| normalise_header(cell)).collect();
        let mut columns = Vec::new();
        let mut missing = Vec::new();
        for (field, header) in mapping.columns() {
            let wanted = normalise_header(header);
            match names
                .iter()
                .position(|name| !name.is_empty() && *name == wanted)
            {
                Some(index) => columns.push((field, index)),
                None => missing.push(MissingColumn {
                    field,
                    header: header.to_owned(),
                }),
            }
        }
        let located = Located {
            header_index,
            header: row.iter().map(|cell| cell.trim().to_owned()).collect(),
            columns,
            missing,
        };
        let required_found = !located
            .missing
            .iter()
            .any(|m| matches!(m.field, "time" | "user"));
        if required_found {
            return Ok(located);
        }
        if best
            .as_ref()
            .is_none_or(|best| located.columns.len() > best.columns.len())
        {
            best = Some(located);
        }
    }
    let best = best.ok_or(TableError::Empty)?;
    Err(EhrImportError::MissingColumns {
        header: best.header,
        missing: best.missing,
    })
}

/// Reads the header and the first `n` rows with `mapping`.
pub fn preview(bytes: &[u8], mapping: &ColumnMapping, n: usize) -> Result<Preview, EhrImportError> {
    let table = read_delimited(bytes, mapping.delimiter)?;
    let located = locate(&table, mapping)?;
    let data = data_rows(&table, located.header_index);
    let total_rows = data.len();
    let rows = rows_of(&table, &located, mapping, data.into_iter().take(n));
    Ok(Preview {
        header: located.header,
        encoding: table.encoding,
        missing: located.missing,
        rows,
        total_rows,
    })
}

/// Reads every row with `mapping`: each becomes an event or a row error
/// that keeps the raw row. The file's bounds are the ledger table reader's
/// ([`crate::ledger::table::MAX_IMPORT_BYTES`], rows, cell length).
pub fn read_all(bytes: &[u8], mapping: &ColumnMapping) -> Result<EhrImport, EhrImportError> {
    let table = read_delimited(bytes, mapping.delimiter)?;
    let located = locate(&table, mapping)?;
    let data = data_rows(&table, located.header_index);
    let rows = rows_of(&table, &located, mapping, data.into_iter());
    Ok(EhrImport {
        header: located.header,
        encoding: table.encoding,
        missing: located.missing,
        rows,
    })
}

/// The data rows after the header: (file row, cells).
fn data_rows(table: &Table, header_index: usize) -> Vec<(usize, &[String])> {
    table
        .row_numbers
        .iter()
        .zip(&table.rows)
        .skip(header_index)
        .map(|(row, cells)| (*row, cells.as_slice()))
        .collect()
}

fn rows_of<'a>(
    table: &Table,
    located: &Located,
    mapping: &ColumnMapping,
    data: impl Iterator<Item = (usize, &'a [String])>,
) -> Vec<ImportRow> {
    let delimiter = if table.delimiter == Some(Delimiter::Tab) {
        '\t'
    } else {
        ','
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    data.map(|(row, cells)| {
        let raw = rejoin(cells, delimiter);
        let content = cells
            .iter()
            .map(|cell| cell.trim())
            .collect::<Vec<_>>()
            .join("\u{1F}");
        let occurrence = seen.entry(content.clone()).or_insert(0);
        let key = format!("{content}\u{1E}{occurrence}");
        *occurrence += 1;
        let parsed = to_event(row, cells, &raw, located, mapping);
        ImportRow {
            row,
            raw,
            key,
            parsed,
        }
    })
    .collect()
}

/// Cells joined as CSV/TSV writes them: quoted when they hold the
/// delimiter, a quote or a line break.
fn rejoin(cells: &[String], delimiter: char) -> String {
    cells
        .iter()
        .map(|cell| {
            if cell.contains([delimiter, '"', '\r', '\n']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(&delimiter.to_string())
}

fn to_event(
    row: usize,
    cells: &[String],
    raw: &str,
    located: &Located,
    mapping: &ColumnMapping,
) -> Result<LogEvent, Vec<RowError>> {
    let mut errors = Vec::new();
    let cell = |field: &str| -> Option<(&str, String)> {
        located
            .columns
            .iter()
            .find(|(known, _)| *known == field)
            .map(|(_, index)| {
                let header = located.header.get(*index).cloned().unwrap_or_default();
                (cells.get(*index).map_or("", |cell| cell.trim()), header)
            })
    };
    let mut fail = |header: String, error: ParseError| {
        errors.push(RowError {
            row,
            column: header,
            error,
        })
    };
    let time = match cell("time") {
        Some((value, header)) => match parse_time(value, mapping) {
            Ok(time) => Some(time),
            Err(error) => {
                fail(header, error);
                None
            }
        },
        None => None,
    };
    let mut text = |field: &'static str, required: bool| -> Option<String> {
        let (value, header) = cell(field)?;
        if value.is_empty() {
            if required {
                fail(header, ParseError::new(field, ParseErrorKind::Empty));
            }
            return None;
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            fail(
                header,
                ParseError::new(
                    field,
                    ParseErrorKind::TooLong {
                        max: MAX_VALUE_CHARS,
                    },
                ),
            );
            return None;
        }
        Some(value.to_owned())
    };
    let user = text("user", true);
    let patient_id = text("patient_id", false);
    let host = text("host", false);
    let action_value = text("action", false);
    let source_address = match cell("source_address") {
        Some(("", _)) => None,
        Some((value, header)) => match value.parse::<IpAddr>() {
            Ok(address) => Some(address),
            Err(_) => {
                fail(
                    header,
                    ParseError::new(
                        "source_address",
                        ParseErrorKind::BadFormat("an IP address like 192.168.1.10"),
                    ),
                );
                None
            }
        },
        None => None,
    };
    let outcome = cell("outcome").map_or(Outcome::Unknown, |(value, _)| outcome_of(value));
    match (time, user) {
        (Some(time), Some(user)) if errors.is_empty() => Ok(LogEvent {
            time,
            host,
            app: None,
            user: Some(user),
            source_address,
            action: action_value.map_or_else(
                || Action::Other("unspecified".to_owned()),
                |value| action_of(&value, mapping),
            ),
            outcome,
            patient_id,
            record_key: None,
            raw: raw.to_owned(),
        }),
        _ => Err(errors),
    }
}

/// The action a value means: the mapping's rules, then the built-in ones,
/// otherwise `Action::Other(value)`.
fn action_of(value: &str, mapping: &ColumnMapping) -> Action {
    mapping
        .action_rules
        .iter()
        .chain(default_action_rules().iter())
        .find(|rule| rule.value == value)
        .map_or_else(
            || Action::Other(value.to_owned()),
            |rule| rule.action.clone(),
        )
}

/// What an outcome cell says: 成功/OK/正常… succeed, 失敗/NG/エラー/拒否… fail.
fn outcome_of(value: &str) -> Outcome {
    let lower = value.trim().to_lowercase();
    match lower.as_str() {
        "成功" | "正常" | "ok" | "success" | "succeeded" | "許可" | "○" | "true" | "1" => {
            Outcome::Success
        }
        "失敗" | "異常" | "ng" | "failure" | "failed" | "error" | "エラー" | "拒否" | "×"
        | "false" | "0" => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// A time cell as an instant, trying the mapping's formats in order.
fn parse_time(raw: &str, mapping: &ColumnMapping) -> Result<Timestamp, ParseError> {
    let bad = || {
        ParseError::new(
            "time",
            ParseErrorKind::BadFormat("a time like 2026-04-01 09:30:00 or 令和8年4月1日 9:30"),
        )
    };
    if raw.is_empty() {
        return Err(ParseError::new("time", ParseErrorKind::Empty));
    }
    if raw.chars().count() > MAX_TIME_CHARS {
        return Err(bad());
    }
    let gregorian = raw.starts_with(|c: char| c.is_ascii_digit());
    for format in &mapping.time_formats {
        let found = match format {
            TimeFormat::Iso8601 => raw.parse::<Timestamp>().ok(),
            TimeFormat::YearMonthDay if gregorian => local_time(raw, &mapping.time_zone),
            TimeFormat::Wareki if !gregorian => local_time(raw, &mapping.time_zone),
            _ => None,
        };
        if let Some(time) = found {
            return Ok(time);
        }
    }
    Err(bad())
}

/// `DATE TIME` (or `DATE` `T` `TIME`) in `zone`: the date as
/// [`parse_date_ja`] reads it, the time as `H:MM`, `H:MM:SS` or `H:MM:SS.fff`.
fn local_time(raw: &str, zone: &TimeZone) -> Option<Timestamp> {
    let (date, time) = raw
        .split_once([' ', '\u{3000}', 'T'])
        .map(|(date, time)| (date, time.trim()))?;
    let date = parse_date_ja("time", date).ok().flatten()?;
    let time = clock(time)?;
    date.to_datetime(time)
        .to_zoned_datetime(zone.clone())
        .ok()
        .map(|z| z.timestamp())
}

fn clock(raw: &str) -> Option<civil::Time> {
    let number = |part: &str, max_len: usize| -> Option<i64> {
        if part.is_empty() || part.len() > max_len || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let mut parts = raw.split(':');
    let hour = number(parts.next()?, 2)?;
    let minute = number(parts.next()?, 2)?;
    let (second, nanos) = match parts.next() {
        None => (0, 0),
        Some(seconds) => {
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            let nanos = if fraction.is_empty() {
                0
            } else {
                let digits = number(fraction, 9)?;
                digits * 10_i64.pow(9 - u32::try_from(fraction.len()).ok()?)
            };
            (number(whole, 2)?, nanos)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    civil::Time::new(
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::table::{MAX_CELL_CHARS, TableError};

    fn mapping() -> ColumnMapping {
        parse_column_mapping(&RawColumnMapping {
            time_column: "日時",
            user_column: "利用者ID",
            action_column: "操作",
            patient_id_column: "患者ID",
            host_column: "端末",
            source_address_column: "IPアドレス",
            outcome_column: "結果",
            action_rules: "参照=other:参照\n更新=other:更新",
            ..Default::default()
        })
        .expect("a mapping")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    const CSV: &str = "日時,利用者ID,操作,患者ID,端末,IPアドレス,結果\r\n\
        2026-04-01 09:30:00,dr.sato,ログイン,,PC-01,192.168.1.10,成功\r\n\
        2026/04/01 9:31:00,dr.sato,参照,000123,PC-01,192.168.1.10,OK\r\n";

    #[test]
    fn a_utf8_csv_with_bom_becomes_events() {
        let import = read_all(format!("\u{FEFF}{CSV}").as_bytes(), &mapping()).expect("import");
        assert_eq!(import.encoding, Some(TextEncoding::Utf8));
        assert_eq!(import.n_events(), 2);
        let first = import.rows[0].parsed.as_ref().expect("an event");
        assert_eq!(first.time, at("2026-04-01T00:30:00Z"));
        assert_eq!(first.user.as_deref(), Some("dr.sato"));
        assert_eq!(first.action, Action::SignIn);
        assert_eq!(first.outcome, Outcome::Success);
        assert_eq!(first.host.as_deref(), Some("PC-01"));
        assert_eq!(
            first.source_address,
            Some("192.168.1.10".parse().expect("ip"))
        );
        assert_eq!(first.patient_id, None);
        assert_eq!(
            first.raw,
            "2026-04-01 09:30:00,dr.sato,ログイン,,PC-01,192.168.1.10,成功"
        );
        let second = import.rows[1].parsed.as_ref().expect("an event");
        assert_eq!(second.action, Action::Other("参照".to_owned()));
        assert_eq!(second.patient_id.as_deref(), Some("000123"));
        assert_eq!(import.rows[1].row, 3);
    }

    #[test]
    fn cp932_and_tsv_read_the_same_events() {
        let utf8 = read_all(CSV.as_bytes(), &mapping()).expect("utf-8");
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(CSV);
        let cp932 = read_all(&sjis, &mapping()).expect("cp932");
        assert_eq!(cp932.encoding, Some(TextEncoding::ShiftJis));
        let tsv = read_all(CSV.replace(',', "\t").as_bytes(), &mapping()).expect("tsv");
        for import in [&cp932, &tsv] {
            assert_eq!(import.n_events(), 2);
            for (a, b) in utf8.rows.iter().zip(&import.rows) {
                let (a, b) = (a.parsed.as_ref().expect("a"), b.parsed.as_ref().expect("b"));
                assert_eq!((a.time, &a.user, &a.action), (b.time, &b.user, &b.action));
            }
        }
        assert_eq!(
            utf8.rows[0].key, cp932.rows[0].key,
            "keys ignore the encoding"
        );
        assert!(tsv.rows[0].raw.contains('\t'), "{}", tsv.rows[0].raw);
    }

    #[test]
    fn a_title_row_above_the_header_and_quoted_cells_are_read() {
        let text = "電子カルテ操作ログ 2026年4月\r\n\r\n利用者ID,日時,操作,備考\r\n\
            \"sato, taro\",2026-04-01 09:30:00,\"参照\n(再表示)\",\"a \"\"b\"\"\"\r\n";
        let mapping = ColumnMapping::new("日時", "利用者ID");
        let import = read_all(text.as_bytes(), &mapping).expect("import");
        assert_eq!(import.header, vec!["利用者ID", "日時", "操作", "備考"]);
        let row = &import.rows[0];
        assert_eq!(row.row, 4);
        let event = row.parsed.as_ref().expect("an event");
        assert_eq!(event.user.as_deref(), Some("sato, taro"));
        assert_eq!(event.action, Action::Other("unspecified".to_owned()));
        assert_eq!(
            row.raw,
            "\"sato, taro\",2026-04-01 09:30:00,\"参照\n(再表示)\",\"a \"\"b\"\"\""
        );
        let preview = preview(text.as_bytes(), &self::mapping(), 5);
        assert!(matches!(preview, Ok(p) if p.missing.len() == 4 && p.total_rows == 1));
    }

    #[test]
    fn every_time_format_is_read_in_the_source_zone() {
        let nine_thirty = at("2026-04-01T00:30:00Z");
        for (text, expected) in [
            ("2026-04-01 09:30:00", nine_thirty),
            ("2026/04/01 9:30:00", nine_thirty),
            ("2026/4/1 9:30", nine_thirty),
            ("2026-04-01T09:30:00", nine_thirty),
            ("2026-04-01T09:30:00+09:00", nine_thirty),
            ("2026-04-01T00:30:00Z", nine_thirty),
            ("令和8年4月1日 9:30", nine_thirty),
            ("R8.4.1 9:30:00", nine_thirty),
            ("2026年4月1日 9:30", nine_thirty),
            ("2026-04-01 09:30:00.250", at("2026-04-01T00:30:00.25Z")),
        ] {
            assert_eq!(parse_time(text, &mapping()), Ok(expected), "{text}");
        }
        let mut utc = mapping();
        utc.time_zone = TimeZone::UTC;
        assert_eq!(
            parse_time("2026-04-01 09:30:00", &utc),
            Ok(at("2026-04-01T09:30:00Z"))
        );
        let mut iso_only = mapping();
        iso_only.time_formats = vec![TimeFormat::Iso8601];
        assert!(parse_time("令和8年4月1日 9:30", &iso_only).is_err());
        for bad in [
            "2026-04-01",
            "2026-02-30 09:00",
            "25:00 2026-04-01",
            "令和1年4月1日 9:00",
        ] {
            assert!(parse_time(bad, &mapping()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let error = read_all(
            "日時,操作\r\n2026-04-01 09:30,参照\r\n".as_bytes(),
            &mapping(),
        );
        let Err(EhrImportError::MissingColumns { header, missing }) = error else {
            panic!("{error:?}");
        };
        assert_eq!(header, vec!["日時", "操作"]);
        assert!(missing.contains(&MissingColumn {
            field: "user",
            header: "利用者ID".to_owned()
        }));
        assert!(!missing.iter().any(|m| m.field == "time"));
    }

    #[test]
    fn a_bad_time_in_row_7_is_named_with_its_column_and_kept() {
        let mut text = String::from("日時,利用者ID,操作\r\n");
        for minute in 0..5 {
            text.push_str(&format!("2026-04-01 09:0{minute},dr.sato,参照\r\n"));
        }
        text.push_str("昨日の朝,dr.sato,参照\r\n2026-04-01 10:00,dr.sato,印刷\r\n");
        let import = read_all(text.as_bytes(), &mapping()).expect("import");
        assert_eq!((import.n_events(), import.n_errors()), (6, 1));
        let row = &import.rows[5];
        assert_eq!(row.row, 7);
        assert_eq!(row.raw, "昨日の朝,dr.sato,参照");
        let errors = row.parsed.as_ref().expect_err("a bad time");
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].row, errors[0].column.as_str()), (7, "日時"));
        assert_eq!(errors[0].error.field(), "time");
        assert_eq!(
            import.rows[6].parsed.as_ref().expect("an event").action,
            Action::Other("印刷".to_owned()),
            "an unknown action value is kept as it is written"
        );
    }

    #[test]
    fn empty_and_oversized_files_are_refused_with_bounds() {
        assert_eq!(
            read_all(b"", &mapping()),
            Err(EhrImportError::Table(TableError::Empty))
        );
        let huge = format!(
            "日時,利用者ID\r\n2026-04-01 09:30,{}\r\n",
            "a".repeat(MAX_CELL_CHARS + 1)
        );
        assert_eq!(
            read_all(huge.as_bytes(), &mapping()),
            Err(EhrImportError::Table(TableError::CellTooLong {
                row: 2,
                column: 2,
                max: MAX_CELL_CHARS
            }))
        );
        let long_user = format!("日時,利用者ID\r\n2026-04-01 09:30,{}\r\n", "a".repeat(300));
        let import = read_all(long_user.as_bytes(), &mapping()).expect("import");
        assert_eq!(import.n_errors(), 1);
    }

    #[test]
    fn keys_are_deterministic_and_change_with_a_cell() {
        let text = format!("{CSV}2026/04/01 9:31:00,dr.sato,参照,000123,PC-01,192.168.1.10,OK\r\n");
        let once = read_all(text.as_bytes(), &mapping()).expect("import");
        let twice = read_all(text.as_bytes(), &mapping()).expect("import");
        let keys = |import: &EhrImport| {
            import
                .rows
                .iter()
                .map(|r| r.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&once), keys(&twice));
        assert_ne!(
            once.rows[1].key, once.rows[2].key,
            "identical rows stay two"
        );
        let changed =
            read_all(text.replace("000123", "000124").as_bytes(), &mapping()).expect("import");
        assert_eq!(once.rows[0].key, changed.rows[0].key);
        assert_ne!(once.rows[1].key, changed.rows[1].key);
    }

    #[test]
    fn a_wrong_mapping_reports_every_field_at_once() {
        let errors = parse_column_mapping(&RawColumnMapping {
            time_column: " ",
            user_column: "",
            time_formats: "iso8601 unix",
            time_zone: "Asia/Nowhere",
            action_rules: "ログイン=sign_in\nログイン=sign_out\n参照\n閲覧=look",
            delimiter: "semicolon",
            ..Default::default()
        })
        .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(
            fields,
            vec![
                "time_column",
                "user_column",
                "time_formats",
                "time_zone",
                "action_rules",
                "action_rules",
                "action_rules",
                "delimiter"
            ]
        );
        assert_eq!(errors[4].subject(), Some("2"));
        let rule = parse_column_mapping(&RawColumnMapping {
            time_column: "日時",
            user_column: "利用者",
            action_rules: "閲覧=other:参照\nサインイン=sign_in",
            ..Default::default()
        })
        .expect("a mapping");
        assert_eq!(action_of("閲覧", &rule), Action::Other("参照".to_owned()));
        assert_eq!(action_of("サインイン", &rule), Action::SignIn);
        assert_eq!(action_of("ログアウト", &rule), Action::SignOut);
        assert_eq!(action_code(&Action::SignIn), "sign_in");
        assert_eq!(action_code(&Action::Other("参照".into())), "other:参照");
    }
}
