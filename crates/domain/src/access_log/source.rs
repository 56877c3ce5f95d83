//! A registered log source (ログの収集元) and reading a file it exported into
//! events: every line becomes an event, understood or not, never dropped.

use std::borrow::Cow;
use std::net::IpAddr;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::access_log::ehr_csv::{
    self, ColumnMapping, EhrImportError, MissingColumn, RawColumnMapping, RowError,
    parse_column_mapping,
};
use crate::access_log::{LogEvent, evtx, products, syslog, windows};
use crate::{ParseError, ParseErrorKind};

typed_id!(
    /// A registered log source.
    LogSourceId
);

choice! {
    /// What a source sends or exports, which decides how its lines are read.
    pub enum LogSourceKind {
        /// Syslog lines (RFC 5424, RFC 3164 and their variants): routers
        /// (YAMAHA RTX), firewalls (FortiGate), Linux servers (sshd/PAM).
        Syslog = ("syslog", "syslog") => "Syslog",
        /// Windows Security events as JSON lines, forwarded by Winlogbeat or NXLog.
        WindowsJson = ("windows_json", "Windowsイベント(JSON・.evtx)") => "Windows events (JSON lines or .evtx)",
        /// CSV/TSV audit exports of an EHR or レセコン product, read with
        /// the source's column mapping.
        EhrCsv = ("ehr_csv", "電子カルテ等のCSV") => "EHR or receipt-computer CSV",
    }
}

/// The longest source name.
pub const MAX_NAME: usize = 100;
/// How long events are kept by default, in years (the seed's 5 years).
pub const DEFAULT_RETENTION_YEARS: i64 = 5;

/// The most sender addresses one source lists.
pub const MAX_SENDERS: usize = 32;

/// A source to register, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLogSource {
    pub name: String,
    pub kind: LogSourceKind,
    /// The device's 管理番号 in the device ledger, if the source is one;
    /// the store checks it exists.
    pub device: Option<String>,
    /// The addresses it may send from (receivers keep other senders apart).
    pub senders: Vec<IpAddr>,
    /// An EHR CSV source's column mapping, as [`parse_mapping`] reads it
    /// (one `key=value` a line); empty for the other kinds.
    pub mapping: String,
    /// The zone of the source's clock (IANA name), for times without an offset.
    pub time_zone: String,
    pub retention_years: i64,
    /// How many hours it may send nothing before that is a finding (a
    /// router that stopped sending); `None`: the institution's rule.
    pub silent_hours: Option<i64>,
}

/// The longest silence a source may be given: 90 days, in hours.
pub const MAX_SILENT_HOURS: i64 = 24 * 90;

impl NewLogSource {
    /// Checks a source: a name of one line, a known kind, a 管理番号 (or
    /// empty), sender addresses separated by commas or spaces, an IANA time
    /// zone (empty for Asia/Tokyo) and a retention of 1–100 years (empty for 5).
    pub fn parse(raw: RawLogSource<'_>) -> Result<Self, Vec<ParseError>> {
        let RawLogSource {
            name,
            kind,
            device,
            senders,
            time_zone,
            retention_years,
            mapping,
            silent_hours,
        } = raw;
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() {
            errors.push(ParseError::new("name", ParseErrorKind::Empty));
        } else if name.chars().count() > MAX_NAME {
            errors.push(ParseError::new(
                "name",
                ParseErrorKind::TooLong { max: MAX_NAME },
            ));
        } else if name.chars().any(char::is_control) {
            errors.push(ParseError::new(
                "name",
                ParseErrorKind::BadFormat("one line without control characters"),
            ));
        }
        let kind = LogSourceKind::parse("kind", kind).map_err(|err| errors.push(err));
        let device = device.trim();
        if device.chars().count() > 50 || device.chars().any(char::is_control) {
            errors.push(ParseError::new(
                "device",
                ParseErrorKind::BadFormat("a 管理番号 from the device ledger"),
            ));
        }
        let mut addresses: Vec<IpAddr> = Vec::new();
        for part in senders
            .split(|c: char| c == ',' || c == '、' || c.is_whitespace())
            .filter(|part| !part.is_empty())
        {
            match part.parse::<IpAddr>() {
                Ok(address) if !addresses.contains(&address) => addresses.push(address),
                Ok(_) => {}
                Err(_) => {
                    errors.push(
                        ParseError::new(
                            "senders",
                            ParseErrorKind::BadFormat("IP addresses such as 192.168.1.1"),
                        )
                        .with_subject(part.chars().take(60).collect::<String>()),
                    );
                    break;
                }
            }
        }
        if addresses.len() > MAX_SENDERS {
            errors.push(ParseError::new(
                "senders",
                ParseErrorKind::OutOfRange {
                    min: 0,
                    max: MAX_SENDERS as i64,
                },
            ));
        }
        let time_zone = match time_zone.trim() {
            "" => "Asia/Tokyo".to_owned(),
            zone if TimeZone::get(zone).is_ok() => zone.to_owned(),
            _ => {
                errors.push(ParseError::new(
                    "time_zone",
                    ParseErrorKind::BadFormat("an IANA time zone such as Asia/Tokyo"),
                ));
                String::new()
            }
        };
        let retention_years = match retention_years.trim() {
            "" => DEFAULT_RETENTION_YEARS,
            text => match text.parse::<i64>() {
                Ok(years @ 1..=100) => years,
                _ => {
                    errors.push(ParseError::new(
                        "retention_years",
                        ParseErrorKind::OutOfRange { min: 1, max: 100 },
                    ));
                    0
                }
            },
        };
        let silent_hours = match silent_hours.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(hours @ 1..=MAX_SILENT_HOURS) => Some(hours),
                _ => {
                    errors.push(ParseError::new(
                        "silent_hours",
                        ParseErrorKind::OutOfRange {
                            min: 1,
                            max: MAX_SILENT_HOURS,
                        },
                    ));
                    None
                }
            },
        };
        let mapping = normalise_mapping(mapping);
        match (&kind, mapping.is_empty()) {
            (Ok(LogSourceKind::EhrCsv), true) => errors.push(ParseError::new(
                "mapping",
                ParseErrorKind::BadFormat(
                    "the columns, e.g. time=日時,user=利用者ID,patient_id=患者ID",
                ),
            )),
            (Ok(LogSourceKind::EhrCsv), false) => {
                if let Err(mapping_errors) = parse_mapping(&mapping) {
                    errors.extend(mapping_errors);
                }
            }
            (Ok(_), false) => errors.push(ParseError::new(
                "mapping",
                ParseErrorKind::Inconsistent("a column mapping is for ehr_csv sources only"),
            )),
            _ => {}
        }
        match kind {
            Ok(kind) if errors.is_empty() => Ok(Self {
                mapping,
                name: name.to_owned(),
                kind,
                device: (!device.is_empty()).then(|| device.to_owned()),
                senders: addresses,
                time_zone,
                retention_years,
                silent_hours,
            }),
            _ => Err(errors),
        }
    }
}

/// A source as typed in a form or on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawLogSource<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub device: &'a str,
    pub senders: &'a str,
    pub time_zone: &'a str,
    pub retention_years: &'a str,
    /// `key=value` pairs separated by commas or new lines (see [`parse_mapping`]).
    pub mapping: &'a str,
    /// Hours it may send nothing (1–2160); empty for the institution's rule.
    pub silent_hours: &'a str,
}

/// The mapping's pairs, trimmed, one a line.
fn normalise_mapping(text: &str) -> String {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads an EHR CSV column mapping written as `key=value` pairs separated by
/// commas or new lines. Keys: `time` and `user` (required), `action`,
/// `patient_id`, `host`, `source_address`, `outcome` (the columns' headers
/// as the file writes them), `time_formats`, `time_zone`, `delimiter`.
pub fn parse_mapping(text: &str) -> Result<ColumnMapping, Vec<ParseError>> {
    let mut raw = RawColumnMapping::default();
    let mut errors = Vec::new();
    for pair in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let Some((key, value)) = pair.split_once('=') else {
            errors.push(
                ParseError::new("mapping", ParseErrorKind::BadFormat("key=value"))
                    .with_subject(pair.chars().take(60).collect::<String>()),
            );
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "time" => raw.time_column = value,
            "user" => raw.user_column = value,
            "action" => raw.action_column = value,
            "patient_id" => raw.patient_id_column = value,
            "host" => raw.host_column = value,
            "source_address" => raw.source_address_column = value,
            "outcome" => raw.outcome_column = value,
            "time_formats" => raw.time_formats = value,
            "time_zone" => raw.time_zone = value,
            "delimiter" => raw.delimiter = value,
            other => errors.push(
                ParseError::new("mapping", ParseErrorKind::UnknownChoice)
                    .with_subject(other.chars().take(60).collect::<String>()),
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    parse_column_mapping(&raw)
}

/// One line of an imported file as an event, with where it was in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEvent {
    /// The line's number in the file, from 1.
    pub line: u64,
    pub event: LogEvent,
    /// Whether a parser understood the line (otherwise it is kept raw).
    pub recognised: bool,
}

/// Reads one line a source of `kind` sent: the event, and whether a parser
/// understood it (otherwise it is kept raw, at the receipt time).
pub fn read_line(text: &str, kind: LogSourceKind, source: &syslog::Source) -> (LogEvent, bool) {
    match kind {
        LogSourceKind::Syslog => match syslog::parse(text, source) {
            Ok(message) => {
                let (event, product) = products::to_event(&message, source);
                (event, product.is_some())
            }
            Err(_) => (LogEvent::unrecognised(source.received_at, text), false),
        },
        LogSourceKind::WindowsJson => match windows::parse_json_line(text, &source.time_zone) {
            Ok(windows_event) => (windows::to_event(&windows_event, text), true),
            Err(_) => (LogEvent::unrecognised(source.received_at, text), false),
        },
        // A CSV row means nothing without its file's header: kept raw.
        LogSourceKind::EhrCsv => (LogEvent::unrecognised(source.received_at, text), false),
    }
}

/// Reads an exported file of `kind` line by line. Invalid UTF-8 is kept
/// lossily; blank lines are skipped; every other line is an event, an
/// unreadable one kept raw with the import time. A large file is read in
/// parts, one per core, each starting at a line: the result is the same as
/// reading it in one go.
pub fn read_file(
    bytes: &[u8],
    kind: LogSourceKind,
    time_zone: &TimeZone,
    imported_at: Timestamp,
) -> Vec<FileEvent> {
    read_file_into(bytes, kind, time_zone, imported_at, |event| event)
}

/// [`read_file`], each event handed to `keep` on the core that read it
/// (so that what the caller makes of it — an importer, its log entry — is
/// made while the line is at hand, and the events are not all held at once).
pub fn read_file_into<R: Send>(
    bytes: &[u8],
    kind: LogSourceKind,
    time_zone: &TimeZone,
    imported_at: Timestamp,
    keep: impl Fn(FileEvent) -> R + Sync,
) -> Vec<R> {
    read_lines_from(1, bytes, kind, time_zone, imported_at, &keep)
}

/// [`read_file_into`] of a part of a file that starts at line `first_line`.
fn read_lines_from<R: Send>(
    first_line: u64,
    bytes: &[u8],
    kind: LogSourceKind,
    time_zone: &TimeZone,
    imported_at: Timestamp,
    keep: &(impl Fn(FileEvent) -> R + Sync),
) -> Vec<R> {
    let source = syslog::Source::new(imported_at).with_time_zone(time_zone.clone());
    let read_part = |(first, part): (u64, &[u8])| -> Vec<R> {
        text_lines(part)
            .map(|(line, text)| {
                let (event, recognised) = read_line(&text, kind, &source);
                keep(FileEvent {
                    line: first_line - 1 + first + line - 1,
                    event,
                    recognised,
                })
            })
            .collect()
    };
    let parts = line_parts(bytes, PARALLEL_PART, super::parallelism());
    if parts.len() < 2 {
        return parts.into_iter().flat_map(read_part).collect();
    }
    super::each_on_a_thread(parts, read_part)
}

/// A text file is read this many bytes at a time by
/// [`SourceReader::read_in_parts`] (each part on every core).
const READ_PART: usize = 2 << 20;

/// Below this many bytes a file is read in one part.
const PARALLEL_PART: usize = 1 << 20;

/// `bytes` cut into at most `parts` pieces of at least `least` bytes, each
/// ending after a line feed (the last at the end), with the number of the
/// line each starts at (from 1).
fn line_parts(bytes: &[u8], least: usize, parts: usize) -> Vec<(u64, &[u8])> {
    let size = (bytes.len() / parts.max(1)).max(least).max(1);
    let mut pieces = Vec::new();
    let (mut rest, mut line) = (bytes, 1u64);
    while !rest.is_empty() {
        let cut = if rest.len() <= size {
            rest.len()
        } else {
            rest[size..]
                .iter()
                .position(|byte| *byte == b'\n')
                .map_or(rest.len(), |at| size + at + 1)
        };
        let (piece, tail) = rest.split_at(cut);
        pieces.push((line, piece));
        line += piece.iter().filter(|byte| **byte == b'\n').count() as u64;
        rest = tail;
    }
    pieces
}

/// The non-blank lines of `bytes` with their numbers (from 1): split at LF,
/// a CR before it dropped, invalid UTF-8 kept lossily (a valid line is
/// borrowed, not copied).
pub fn text_lines(bytes: &[u8]) -> impl Iterator<Item = (u64, Cow<'_, str>)> + '_ {
    bytes
        .split(|byte| *byte == b'\n')
        .enumerate()
        .filter_map(|(index, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8_lossy(line);
            (!text.trim().is_empty()).then_some((index as u64 + 1, text))
        })
}

/// Why a whole file was refused; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefused {
    /// Not a table with the source's mapped columns (EHR CSV).
    #[error(transparent)]
    Table(#[from] EhrImportError),
    /// A Windows event log that cannot be read, or sent to another kind.
    #[error(transparent)]
    EventLog(#[from] evtx::EvtxError),
}

/// Every record of a Windows event log file as an event, one that cannot be
/// decoded kept raw with the reason at `imported_at`.
fn read_event_log(
    bytes: &[u8],
    kind: LogSourceKind,
    imported_at: Timestamp,
) -> Result<Vec<FileEvent>, evtx::EvtxError> {
    if kind != LogSourceKind::WindowsJson {
        return Err(evtx::EvtxError::WrongSource);
    }
    Ok(evtx::read_evtx(bytes)?
        .into_iter()
        .map(|record| match record.read {
            Ok((event, raw)) => FileEvent {
                line: record.number,
                event: windows::to_event(&event, &raw),
                recognised: true,
            },
            Err(reason) => FileEvent {
                line: record.number,
                event: LogEvent::unrecognised(
                    imported_at,
                    format!("evtx record {} could not be read: {reason}", record.number),
                ),
                recognised: false,
            },
        })
        .collect())
}

/// How a source's files are read: line by line (syslog, Windows JSON — or,
/// for a Windows source, record by record from an `.evtx` file), or as a
/// table with the source's column mapping (EHR CSV).
#[derive(Debug, Clone)]
pub enum SourceReader {
    Lines {
        kind: LogSourceKind,
        time_zone: TimeZone,
    },
    Table(Box<ColumnMapping>),
}

/// The first lines of a file as its source would read them; nothing stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePreview {
    /// The table's header row (EHR CSV only).
    pub header: Vec<String>,
    /// Mapped optional columns the header lacks (EHR CSV only).
    pub missing: Vec<MissingColumn>,
    /// How many lines or rows the whole file has.
    pub total: usize,
    /// The first ones.
    pub lines: Vec<PreviewLine>,
}

/// One line or row of a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    /// The line (or spreadsheet row) number, from 1.
    pub line: u64,
    /// The line (or the row, re-joined) as the file holds it: shown beside
    /// what was read, so a line read wrongly or not at all can be seen.
    pub raw: String,
    pub read: PreviewRead,
}

/// What became of a previewed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewRead {
    /// Understood.
    Event(LogEvent),
    /// No parser understood it: it will be kept raw.
    Raw,
    /// A table row with unreadable cells, by column (kept raw too).
    Problems(Vec<RowError>),
}

impl SourceReader {
    /// The reader of a source of `kind` with its time zone and (EHR CSV)
    /// saved column mapping.
    pub fn of(
        kind: LogSourceKind,
        time_zone: &str,
        mapping: &str,
    ) -> Result<Self, Vec<ParseError>> {
        match kind {
            LogSourceKind::EhrCsv => {
                parse_mapping(mapping).map(|mapping| Self::Table(Box::new(mapping)))
            }
            kind => {
                let time_zone = TimeZone::get(time_zone).map_err(|_| {
                    vec![ParseError::new(
                        "time_zone",
                        ParseErrorKind::BadFormat("an IANA time zone such as Asia/Tokyo"),
                    )]
                })?;
                Ok(Self::Lines { kind, time_zone })
            }
        }
    }

    /// The first `n` lines of `bytes` as this source reads them. A table
    /// without the mapped columns, or that is not a table, is an error.
    pub fn preview(
        &self,
        bytes: &[u8],
        now: Timestamp,
        n: usize,
    ) -> Result<FilePreview, FileRefused> {
        match self {
            Self::Lines { kind, time_zone } => {
                let events = if evtx::is_evtx(bytes) {
                    read_event_log(bytes, *kind, now)?
                } else {
                    read_file(bytes, *kind, time_zone, now)
                };
                Ok(FilePreview {
                    header: Vec::new(),
                    missing: Vec::new(),
                    total: events.len(),
                    lines: events
                        .into_iter()
                        .take(n)
                        .map(|event| PreviewLine {
                            line: event.line,
                            raw: event.event.raw.clone(),
                            read: if event.recognised {
                                PreviewRead::Event(event.event)
                            } else {
                                PreviewRead::Raw
                            },
                        })
                        .collect(),
                })
            }
            Self::Table(mapping) => {
                if evtx::is_evtx(bytes) {
                    return Err(evtx::EvtxError::WrongSource.into());
                }
                let preview = ehr_csv::preview(bytes, mapping, n)?;
                Ok(FilePreview {
                    header: preview.header,
                    missing: preview.missing,
                    total: preview.total_rows,
                    lines: preview
                        .rows
                        .into_iter()
                        .map(|row| PreviewLine {
                            line: row.row as u64,
                            raw: row.raw,
                            read: match row.parsed {
                                Ok(event) => PreviewRead::Event(event),
                                Err(problems) => PreviewRead::Problems(problems),
                            },
                        })
                        .collect(),
                })
            }
        }
    }

    /// Every line of `bytes` as an event (an unreadable one kept raw at
    /// `now`), with the first 20 row problems of a table. A table without
    /// the mapped columns, or that is not a table, is refused.
    pub fn read_all(
        &self,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(Vec<FileEvent>, Vec<RowError>), FileRefused> {
        self.read_all_into(bytes, now, |event| event)
    }

    /// [`SourceReader::read_all_into`] part by part: a text file's lines
    /// in parts of about [`READ_PART`] bytes, each part's events (in order)
    /// handed to `part` as soon as it is read, so that the caller writes
    /// one part while the next is read; an event log or a table in one
    /// part (an empty file: one empty part). Reading stops early when
    /// `part` says so. Returns the first 20 row problems of a table. A
    /// refused file is refused before any part.
    pub fn read_in_parts<R: Send>(
        &self,
        bytes: &[u8],
        now: Timestamp,
        keep: impl Fn(FileEvent) -> R + Sync,
        mut part: impl FnMut(Vec<R>) -> std::ops::ControlFlow<()>,
    ) -> Result<Vec<RowError>, FileRefused> {
        match self {
            Self::Lines { kind, time_zone } if !evtx::is_evtx(bytes) => {
                let pieces = line_parts(bytes, READ_PART, usize::MAX);
                if pieces.is_empty() {
                    // An empty file is one empty part.
                    let _ = part(Vec::new());
                }
                for (first_line, piece) in pieces {
                    let events = read_lines_from(first_line, piece, *kind, time_zone, now, &keep);
                    if part(events).is_break() {
                        break;
                    }
                }
                Ok(Vec::new())
            }
            _ => {
                let (events, problems) = self.read_all_into(bytes, now, keep)?;
                let _ = part(events);
                Ok(problems)
            }
        }
    }

    /// [`SourceReader::read_all`], each event handed to `keep` on one of
    /// the cores (the lines of a text file on the core that read them).
    pub fn read_all_into<R: Send>(
        &self,
        bytes: &[u8],
        now: Timestamp,
        keep: impl Fn(FileEvent) -> R + Sync,
    ) -> Result<(Vec<R>, Vec<RowError>), FileRefused> {
        match self {
            Self::Lines { kind, time_zone } => {
                if evtx::is_evtx(bytes) {
                    let events = read_event_log(bytes, *kind, now)?;
                    return Ok((super::map_parallel(events, keep), Vec::new()));
                }
                Ok((
                    read_file_into(bytes, *kind, time_zone, now, keep),
                    Vec::new(),
                ))
            }
            Self::Table(mapping) => {
                if evtx::is_evtx(bytes) {
                    return Err(evtx::EvtxError::WrongSource.into());
                }
                let read = ehr_csv::read_all(bytes, mapping)?;
                let mut problems = Vec::new();
                let events: Vec<FileEvent> = read
                    .rows
                    .into_iter()
                    .map(|row| match row.parsed {
                        Ok(event) => FileEvent {
                            line: row.row as u64,
                            event,
                            recognised: true,
                        },
                        Err(errors) => {
                            let room = 20usize.saturating_sub(problems.len());
                            problems.extend(errors.into_iter().take(room));
                            FileEvent {
                                line: row.row as u64,
                                event: LogEvent::unrecognised(now, row.raw),
                                recognised: false,
                            }
                        }
                    })
                    .collect();
                Ok((super::map_parallel(events, keep), problems))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_log::{Action, Outcome};

    #[test]
    fn a_source_is_checked_field_by_field() {
        let source = NewLogSource::parse(RawLogSource {
            name: " RTX1210 本院 ",
            kind: "syslog",
            senders: "192.168.1.1, 192.168.1.1 2001:db8::1",
            ..RawLogSource::default()
        })
        .expect("valid");
        assert_eq!(source.name, "RTX1210 本院");
        assert_eq!(source.time_zone, "Asia/Tokyo");
        assert_eq!(source.retention_years, 5);
        assert_eq!(source.device, None);
        assert_eq!(source.senders.len(), 2);
        let errors = NewLogSource::parse(RawLogSource {
            name: "",
            kind: "netflow",
            device: "PC\u{7}",
            senders: "192.168.1.300",
            time_zone: "Mars/Base",
            retention_years: "0",
            mapping: "",
            silent_hours: "2161",
        })
        .expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|err| err.field()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "kind",
                "device",
                "senders",
                "time_zone",
                "retention_years",
                "silent_hours"
            ]
        );
        assert_eq!(errors[3].subject(), Some("192.168.1.300"));
        let ehr = NewLogSource::parse(RawLogSource {
            name: "電子カルテ",
            kind: "ehr_csv",
            mapping: " time=日時 , user=利用者ID,patient_id=患者ID ",
            ..RawLogSource::default()
        })
        .expect("valid");
        assert_eq!(ehr.mapping, "time=日時\nuser=利用者ID\npatient_id=患者ID");
        let errors = NewLogSource::parse(RawLogSource {
            name: "電子カルテ",
            kind: "ehr_csv",
            mapping: "time=日時,colour=red,oops",
            ..RawLogSource::default()
        })
        .expect_err("invalid");
        let subjects: Vec<_> = errors.iter().map(|e| e.subject()).collect();
        assert_eq!(subjects, [Some("colour"), Some("oops")]);
        assert!(
            NewLogSource::parse(RawLogSource {
                name: "x",
                kind: "ehr_csv",
                ..RawLogSource::default()
            })
            .is_err(),
            "an EHR source needs its mapping"
        );
    }

    #[test]
    fn a_large_file_read_in_parts_is_read_as_in_one_go() {
        let mut file = Vec::new();
        for n in 0..40_000u32 {
            match n % 7 {
                0 => file.extend_from_slice(b"\r\n"),
                1 => file.extend_from_slice(b"\xff\xfe not utf-8 \x00\n"),
                _ => file.extend_from_slice(
                    format!(
                        "<86>Dec  6 08:41:{:02} srv1 sshd[811]: Failed password for user{n} from 203.0.113.9 port 51022 ssh2\r\n",
                        n % 60
                    )
                    .as_bytes(),
                ),
            }
        }
        assert!(file.len() > 2 * PARALLEL_PART, "large enough to be cut");
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let now: Timestamp = "2026-12-06T00:00:00Z".parse().expect("time");
        let source = syslog::Source::new(now).with_time_zone(zone.clone());
        let in_one_go: Vec<FileEvent> = text_lines(&file)
            .map(|(line, text)| {
                let (event, recognised) = read_line(&text, LogSourceKind::Syslog, &source);
                FileEvent {
                    line,
                    event,
                    recognised,
                }
            })
            .collect();
        assert_eq!(in_one_go.len(), 40_000 - 40_000 / 7 - 1);
        assert_eq!(
            read_file(&file, LogSourceKind::Syslog, &zone, now),
            in_one_go
        );
        let parts = line_parts(&file, 1000, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts.iter().map(|(_, part)| part.len()).sum::<usize>(),
            file.len()
        );
        let mut at = 0;
        for (line, part) in &parts {
            let lines_before = file[..at].iter().filter(|byte| **byte == b'\n').count();
            assert_eq!(*line, lines_before as u64 + 1, "numbered from its place");
            assert!(part.len() >= 1000 && part.ends_with(b"\n"));
            at += part.len();
        }
        assert_eq!(at, file.len(), "the parts cover the file");
        // Read part by part, the events are those read in one go, in order.
        let reader = SourceReader::of(LogSourceKind::Syslog, "Asia/Tokyo", "").expect("reader");
        let mut parts_read = Vec::new();
        let problems = reader
            .read_in_parts(
                &file,
                now,
                |event| event,
                |part| {
                    parts_read.push(part);
                    std::ops::ControlFlow::Continue(())
                },
            )
            .expect("read");
        assert!(problems.is_empty());
        assert!(parts_read.len() >= 2, "{} parts", parts_read.len());
        assert_eq!(parts_read.concat(), in_one_go);
        assert_eq!(line_parts(b"", 1000, 3), Vec::<(u64, &[u8])>::new());
        assert_eq!(
            line_parts(b"one\ntwo", 1, 8),
            vec![(1, &b"one\n"[..]), (2, &b"two"[..])]
        );
    }

    #[test]
    fn every_line_of_a_file_is_an_event_understood_or_kept_raw() {
        let file = b"<38>Dec  6 08:40:01 rtx1210 [IKE] IKE SA established, peer 198.51.100.7\r\n\
\n\
<86>Dec  6 08:41:02 srv1 sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 51022 ssh2\n\
\xff\xfe binary \x00 garbage\n\
<13>1 2026-12-06T08:42:03+09:00 srv1 app - - - hello";
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let now: Timestamp = "2026-12-06T00:00:00Z".parse().expect("time");
        let events = read_file(file, LogSourceKind::Syslog, &zone, now);
        assert_eq!(
            events.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 3, 4, 5]
        );
        let failed = &events[1].event;
        assert_eq!(failed.user.as_deref(), Some("admin"));
        assert_eq!(failed.action, Action::SignIn);
        assert_eq!(failed.outcome, Outcome::Failure);
        assert_eq!(
            failed.time,
            "2026-12-05T23:41:02Z".parse::<Timestamp>().expect("time")
        );
        assert!(events[1].recognised);
        assert!(!events[2].recognised);
        assert!(events[2].event.raw.contains("binary"));
        assert!(!events[3].recognised, "a line no product parser knows");
        assert_eq!(
            events[3].event.raw,
            "<13>1 2026-12-06T08:42:03+09:00 srv1 app - - - hello"
        );
    }
}
