//! Spreadsheet files as tables of text: CSV in UTF-8 (with or without BOM),
//! Shift_JIS/CP932 (what Japanese Excel writes) or UTF-16 (Excel's "Unicode
//! text"), and .xlsx workbooks (first sheet). Reading is pure: bytes in, rows
//! out; nothing here touches a file.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use jiff::civil;

/// The largest file an import accepts.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// The most data rows an import accepts.
pub const MAX_IMPORT_ROWS: usize = 50_000;
/// The most columns a sheet may use (the ledgers have at most 21).
pub const MAX_IMPORT_COLUMNS: usize = 64;
/// The most characters one cell may hold (Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// The most cells a sheet may hold, empty ones included: every row and
/// column the import accepts, once.
pub const MAX_SHEET_CELLS: usize = (MAX_IMPORT_ROWS + 1) * MAX_IMPORT_COLUMNS;
/// The most bytes a worksheet or the shared strings may take once inflated.
/// A 50,000-row ledger written by Excel takes about 40 MB.
pub const MAX_XLSX_LARGE_PART: u64 = 64 * 1024 * 1024;
/// The most bytes any other part of a workbook (styles, relationships, the
/// sheet list) may take once inflated; real ones take kilobytes.
pub const MAX_XLSX_SMALL_PART: u64 = 4 * 1024 * 1024;
/// The most bytes all parts of a workbook may take together once inflated.
pub const MAX_XLSX_INFLATED: u64 = 160 * 1024 * 1024;
/// The most parts (files inside the ZIP) a workbook may have.
pub const MAX_XLSX_PARTS: usize = 1_000;

/// Why a file could not be read as a table at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The file holds no header row.
    #[error("the file is empty")]
    Empty,
    /// Larger than [`MAX_IMPORT_BYTES`].
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: usize },
    /// More data rows than [`MAX_IMPORT_ROWS`].
    #[error("the file has more than {max} rows")]
    TooManyRows { max: usize },
    /// A cell beyond column [`MAX_IMPORT_COLUMNS`].
    #[error("the sheet uses more than {max} columns")]
    TooWide { max: usize },
    /// Neither UTF-8 nor Shift_JIS/CP932 nor UTF-16.
    #[error("row {row}: the text is neither UTF-8 nor Shift_JIS (CP932)")]
    Encoding { row: usize },
    /// The CSV structure is broken (e.g. an unclosed quote).
    #[error("row {row}: {reason}")]
    Csv { row: usize, reason: String },
    /// The workbook could not be opened.
    #[error("the workbook cannot be read: {0}")]
    Workbook(String),
    /// A part of the workbook inflates beyond its bound (a "ZIP bomb", or a
    /// workbook that is not a ledger).
    #[error("the workbook's part {part} is larger than {max} bytes once unpacked")]
    WorkbookTooLarge { part: String, max: u64 },
    /// More cells, empty ones included, than [`MAX_SHEET_CELLS`].
    #[error("the sheet holds more than {max} cells")]
    TooManyCells { max: usize },
    /// A cell holds more than [`MAX_CELL_CHARS`] characters.
    #[error("row {row}, column {column}: the cell holds more than {max} characters")]
    CellTooLong {
        row: usize,
        column: usize,
        max: usize,
    },
    /// A cell holds a spreadsheet error such as #REF!.
    #[error("row {row}, column {column}: the cell holds the error {error}")]
    CellError {
        row: usize,
        column: usize,
        error: String,
    },
}

/// Which text encoding a CSV file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (a BOM is allowed).
    Utf8,
    /// Shift_JIS / Windows-31J (CP932).
    ShiftJis,
    /// UTF-16 little-endian with BOM.
    Utf16,
}

/// A file as rows of text. `rows[i]` is file row `row_numbers[i]` (1-based, the
/// header is usually row 1), so errors can name the row a person sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header row's cells, trimmed.
    pub header: Vec<String>,
    /// Data rows, each padded or cut to the header's width by the caller's mapping.
    pub rows: Vec<Vec<String>>,
    /// The file row of each data row.
    pub row_numbers: Vec<usize>,
    /// What the file was: `None` for a workbook.
    pub encoding: Option<TextEncoding>,
    /// The delimiter the text was read with ([`Delimiter::Comma`] or
    /// [`Delimiter::Tab`], never `Auto`): `None` for a workbook.
    pub delimiter: Option<Delimiter>,
}

/// What separates the cells of a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delimiter {
    /// Tab when the first line that holds a tab or a comma holds tabs and
    /// no comma; comma otherwise.
    #[default]
    Auto,
    /// Comma (CSV).
    Comma,
    /// Tab (TSV, and Excel's "Unicode text").
    Tab,
}

/// Reads `bytes` as an .xlsx workbook (by its ZIP signature) or as CSV.
pub fn read_table(bytes: &[u8]) -> Result<Table, TableError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(TableError::TooLarge {
            max: MAX_IMPORT_BYTES,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes, Delimiter::Auto)
    }
}

/// Reads `bytes` as delimited text only (CSV or TSV), never as a workbook,
/// with the same encodings and bounds as [`read_table`].
pub fn read_delimited(bytes: &[u8], delimiter: Delimiter) -> Result<Table, TableError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(TableError::TooLarge {
            max: MAX_IMPORT_BYTES,
        });
    }
    read_csv(bytes, delimiter)
}

fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), TableError> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let (text, had_errors) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        if had_errors {
            return Err(TableError::Encoding {
                row: first_bad_row(&text),
            });
        }
        return Ok((text.into_owned(), TextEncoding::Utf16));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_owned(), TextEncoding::Utf8)),
        Err(_) => {
            let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
            if had_errors {
                Err(TableError::Encoding {
                    row: first_bad_row(&text),
                })
            } else {
                Ok((text.into_owned(), TextEncoding::ShiftJis))
            }
        }
    }
}

/// The line of the first replacement character, for the error message.
fn first_bad_row(text: &str) -> usize {
    text.lines()
        .position(|line| line.contains('\u{FFFD}'))
        .map_or(1, |index| index + 1)
}

fn read_csv(bytes: &[u8], delimiter: Delimiter) -> Result<Table, TableError> {
    let (text, encoding) = decode(bytes)?;
    let delimiter = match delimiter {
        Delimiter::Comma => b',',
        Delimiter::Tab => b'\t',

        Delimiter::Auto => {
            // A title above the header (「操作ログ 2026年4月」) holds neither.
            let first_line = text
                .lines()
                .find(|line| line.contains(['\t', ',']))
                .unwrap_or_default();
            if first_line.contains('\t') && !first_line.contains(',') {
                b'\t'
            } else {
                b','
            }
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    // The file row of a record: the csv reader reports where it began reading,
    // which may be before the line ends and blank lines it skipped; the row is
    // 1 + the new lines before the record's first character.
    let bytes = text.as_bytes();
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, byte)| **byte == b'\n')
        .map(|(at, _)| at)
        .collect();
    let row_at = |byte: u64| {
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        while at < bytes.len() && matches!(bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        newlines.partition_point(|newline| *newline < at) + 1
    };
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| TableError::Csv {
            row: error.position().map_or(0, |p| row_at(p.byte())),
            reason: match error.kind() {
                csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8".to_owned(),
                _ => "the CSV structure is broken (check the quotes)".to_owned(),
            },
        })?;
        let row = record.position().map_or(0, |p| row_at(p.byte()));
        records.push((
            row,
            record
                .iter()
                .map(|cell| csv_cell_value(cell).to_owned())
                .collect::<Vec<_>>(),
        ));
    }
    let delimiter = if delimiter == b'\t' {
        Delimiter::Tab
    } else {
        Delimiter::Comma
    };
    into_table(records, Some(encoding), Some(delimiter))
}

/// Inflates every part of the workbook once, through a bound, before calamine
/// sees it: calamine reads the shared strings and styles whole when it opens a
/// workbook, so a few megabytes that inflate to gigabytes (a "ZIP bomb") would
/// otherwise take all memory. Counts the shared strings on the way, since a
/// short `<si/>` costs calamine a whole `String`.
fn check_workbook_parts(bytes: &[u8]) -> Result<(), TableError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| TableError::Workbook(error.to_string()))?;
    if archive.len() > MAX_XLSX_PARTS {
        return Err(TableError::Workbook(format!(
            "more than {MAX_XLSX_PARTS} parts"
        )));
    }
    let mut inflated = 0u64;
    for index in 0..archive.len() {
        let mut part = archive
            .by_index(index)
            .map_err(|error| TableError::Workbook(error.to_string()))?;
        let name = part.name().to_owned();
        let lower = name.to_ascii_lowercase();
        let shared_strings = lower.contains("sharedstrings");
        let max = if shared_strings || lower.contains("worksheets/") {
            MAX_XLSX_LARGE_PART
        } else {
            MAX_XLSX_SMALL_PART
        };
        let too_large = || TableError::WorkbookTooLarge {
            part: name.chars().take(100).collect(),
            max,
        };
        let mut counter = PartCounter::default();
        let read = std::io::copy(&mut std::io::Read::take(&mut part, max + 1), &mut counter)
            .map_err(|error| TableError::Workbook(error.to_string()))?;
        if read > max {
            return Err(too_large());
        }
        inflated += read;
        if inflated > MAX_XLSX_INFLATED {
            return Err(TableError::WorkbookTooLarge {
                part: "(all parts)".to_owned(),
                max: MAX_XLSX_INFLATED,
            });
        }
        if shared_strings && counter.strings > MAX_SHEET_CELLS {
            return Err(TableError::TooManyCells {
                max: MAX_SHEET_CELLS,
            });
        }
    }
    Ok(())
}

/// Counts `<si` elements (shared strings, with or without a namespace prefix)
/// in a stream, across chunk boundaries.
#[derive(Default)]
struct PartCounter {
    strings: usize,
    /// The last bytes of the previous chunk.
    tail: [u8; 3],
}

impl std::io::Write for PartCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut window = self.tail.to_vec();
        window.extend_from_slice(buf);
        self.strings += window
            .windows(4)
            .filter(|w| {
                matches!(w[0], b'<' | b':')
                    && &w[1..3] == b"si"
                    && matches!(w[3], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
            })
            .count();
        let keep = window.len().saturating_sub(3);
        self.tail.copy_from_slice(&window[keep..]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, TableError> {
    check_workbook_parts(bytes)?;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|error: calamine::XlsxError| TableError::Workbook(error.to_string()))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(TableError::Empty)?;
    // Cell by cell, never as one dense grid: a sheet that names a far cell
    // (XFD1048576) would otherwise ask for billions of cells at once.
    let mut reader = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|error| TableError::Workbook(error.to_string()))?;
    let mut by_row: std::collections::BTreeMap<u32, Vec<(u32, Data)>> = Default::default();
    let mut n_cells = 0usize;
    let mut visited = 0usize;
    while let Some(cell) = reader
        .next_cell()
        .map_err(|error| TableError::Workbook(error.to_string()))?
    {
        // Empty cells count too: a sheet of millions of `<c/>` is work.
        visited += 1;
        if visited > MAX_SHEET_CELLS {
            return Err(TableError::TooManyCells {
                max: MAX_SHEET_CELLS,
            });
        }
        let (row, column) = cell.get_position();
        let data: Data = cell.get_value().clone().into();
        if data == Data::Empty {
            continue;
        }
        if column as usize >= MAX_IMPORT_COLUMNS {
            return Err(TableError::TooWide {
                max: MAX_IMPORT_COLUMNS,
            });
        }
        if let Data::String(text) = &data
            && text.len() > MAX_CELL_CHARS
            && text.chars().count() > MAX_CELL_CHARS
        {
            return Err(TableError::CellTooLong {
                row: row as usize + 1,
                column: column as usize + 1,
                max: MAX_CELL_CHARS,
            });
        }
        n_cells += 1;
        if row as usize > MAX_IMPORT_ROWS + 1
            || n_cells > (MAX_IMPORT_ROWS + 1) * MAX_IMPORT_COLUMNS
        {
            return Err(TableError::TooManyRows {
                max: MAX_IMPORT_ROWS,
            });
        }
        by_row.entry(row).or_default().push((column, data));
    }
    let mut records = Vec::with_capacity(by_row.len());
    for (row, cells) in by_row {
        let width = cells
            .iter()
            .map(|(column, _)| *column as usize + 1)
            .max()
            .unwrap_or(0);
        let mut texts = vec![String::new(); width];
        for (column, data) in cells {
            texts[column as usize] = cell_text(&data).map_err(|error| TableError::CellError {
                row: row as usize + 1,
                column: column as usize + 1,
                error,
            })?;
        }
        records.push((row as usize + 1, texts));
    }
    into_table(records, None, None)
}

/// A cell as the text a person sees: whole numbers without `.0`, dates as
/// YYYY-MM-DD.
fn cell_text(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "はい" } else { "いいえ" }.to_owned(),
        Data::DateTime(value) => excel_date(value.as_f64())
            .map(|date| date.to_string())
            .unwrap_or_else(|| value.as_f64().to_string()),
        Data::DateTimeIso(text) => text.split('T').next().unwrap_or_default().to_owned(),
        Data::DurationIso(text) => text.clone(),
        Data::Error(error) => return Err(error.to_string()),
    })
}

/// An Excel serial date (1900 system) as a date.
fn excel_date(serial: f64) -> Option<civil::Date> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    civil::date(1899, 12, 30)
        .checked_add(jiff::Span::new().days(serial.floor() as i64))
        .ok()
}

/// Drops blank lines, takes the first non-blank row as the header.
fn into_table(
    records: Vec<(usize, Vec<String>)>,
    encoding: Option<TextEncoding>,
    delimiter: Option<Delimiter>,
) -> Result<Table, TableError> {
    let mut records = records
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|cell| !cell.trim().is_empty()));
    let (_, header) = records.next().ok_or(TableError::Empty)?;
    let header = header.iter().map(|cell| cell.trim().to_owned()).collect();
    let mut rows = Vec::new();
    let mut row_numbers = Vec::new();
    for (row, cells) in records {
        if let Some(column) = cells
            .iter()
            .position(|cell| cell.len() > MAX_CELL_CHARS && cell.chars().count() > MAX_CELL_CHARS)
        {
            return Err(TableError::CellTooLong {
                row,
                column: column + 1,
                max: MAX_CELL_CHARS,
            });
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(TableError::TooManyRows {
                max: MAX_IMPORT_ROWS,
            });
        }
        rows.push(cells);
        row_numbers.push(row);
    }
    Ok(Table {
        header,
        rows,
        row_numbers,
        encoding,
        delimiter,
    })
}

/// Why rows could not be written as CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvWriteError {
    /// A character Shift_JIS (CP932) cannot hold, at a 1-based file row
    /// (the header is row 1) and column.
    #[error("row {row}, column {column}: the character {character} cannot be written in Shift_JIS")]
    NotInShiftJis {
        row: usize,
        column: usize,
        character: char,
    },
    /// The CSV writer failed (it writes to memory, so this is not expected).
    #[error("{0}")]
    Writer(String),
}

/// Whether a spreadsheet would take a cell starting like this as a formula
/// (OWASP's list: `=`, `+`, `-`, `@`, tab, carriage return).
fn starts_like_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as written to CSV: a value a spreadsheet would run as a formula gets
/// a leading `'` (which Excel shows as "text", not as a character), and so
/// does a value that itself starts with `'`, so that [`csv_cell_value`]
/// reads every value back exactly.
pub fn csv_cell_text(value: &str) -> std::borrow::Cow<'_, str> {
    if starts_like_formula(value) || value.starts_with('\'') {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// A CSV cell as the value it stands for: the inverse of [`csv_cell_text`].
/// A `'` is dropped only where [`csv_cell_text`] would have added it.
pub fn csv_cell_value(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

/// Writes rows as CSV (CRLF, quoted where needed) in UTF-8 with a BOM — so
/// that Excel opens it as UTF-8 — or in Shift_JIS/CP932. Characters CP932
/// cannot hold are refused (naming row and column) rather than silently
/// replaced. Cells that would run as formulas are neutralised
/// ([`csv_cell_text`]).
pub fn write_csv(
    header: &[&str],
    rows: &[Vec<String>],
    encoding: TextEncoding,
) -> Result<Vec<u8>, CsvWriteError> {
    if encoding == TextEncoding::ShiftJis {
        let lines = std::iter::once(header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())
            .chain(rows.iter().cloned());
        for (row, cells) in lines.enumerate() {
            for (column, cell) in cells.iter().enumerate() {
                if let Some(character) = cell.chars().find(|c| {
                    let mut buffer = [0u8; 4];
                    encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buffer)).2
                }) {
                    return Err(CsvWriteError::NotInShiftJis {
                        row: row + 1,
                        column: column + 1,
                        character,
                    });
                }
            }
        }
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let csv_error = |error: csv::Error| CsvWriteError::Writer(error.to_string());
    writer
        .write_record(header.iter().map(|cell| csv_cell_text(cell).into_owned()))
        .map_err(csv_error)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| csv_cell_text(cell).into_owned()))
            .map_err(csv_error)?;
    }
    let text = writer
        .into_inner()
        .map_err(|error| CsvWriteError::Writer(error.to_string()))
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|error| CsvWriteError::Writer(error.to_string()))
        })?;
    match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf16 => {
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            bytes.extend_from_slice(text.as_bytes());
            Ok(bytes)
        }
        TextEncoding::ShiftJis => {
            let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
            Ok(bytes.into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_shift_jis_and_utf16_read_the_same() {
        let text = "種別,管理番号,備考\r\nパソコン,PC-001,\"医事課, 受付\"\r\n\r\nUSB,U-001,\r\n";
        let utf8 = read_table(format!("\u{FEFF}{text}").as_bytes()).expect("utf-8");
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let shift_jis = read_table(&sjis).expect("shift_jis");
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text
            .replace(',', "\t")
            .replace("\"医事課\t 受付\"", "医事課, 受付")
            .encode_utf16()
        {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let utf16 = read_table(&utf16).expect("utf-16");
        assert_eq!(utf8.encoding, Some(TextEncoding::Utf8));
        assert_eq!(shift_jis.encoding, Some(TextEncoding::ShiftJis));
        assert_eq!(utf16.encoding, Some(TextEncoding::Utf16));
        for table in [&utf8, &shift_jis, &utf16] {
            assert_eq!(table.header, vec!["種別", "管理番号", "備考"]);
            assert_eq!(table.rows[0], vec!["パソコン", "PC-001", "医事課, 受付"]);
            assert_eq!(
                table.row_numbers,
                vec![2, 4],
                "the blank line is skipped: {:?}",
                table.encoding
            );
        }
    }

    #[test]
    fn a_title_above_a_tsv_header_does_not_hide_the_tabs() {
        let text = "機器一覧\r\n種別\t備考\r\nパソコン\ta, b\r\n";
        let table = read_table(text.as_bytes()).expect("tsv");
        assert_eq!(table.header, vec!["機器一覧"]);
        assert_eq!(table.rows[1], vec!["パソコン", "a, b"]);
        assert_eq!(table.delimiter, Some(Delimiter::Tab));
        let forced = read_delimited(text.as_bytes(), Delimiter::Comma).expect("csv");
        assert_eq!(forced.rows[1], vec!["パソコン\ta", " b"]);
    }

    #[test]
    fn broken_files_are_refused_with_a_reason() {
        assert_eq!(read_table(b""), Err(TableError::Empty));
        assert_eq!(read_table(b"\r\n , \r\n"), Err(TableError::Empty));
        // 0x82 0x20 is not Shift_JIS and not UTF-8.
        assert!(matches!(
            read_table(b"a,b\r\n\x82\x20,c\r\n"),
            Err(TableError::Encoding { row: 2 })
        ));
        assert!(matches!(
            read_table(b"PK\x03\x04 not a zip"),
            Err(TableError::Workbook(_))
        ));
    }

    #[test]
    fn csv_written_reads_back_in_both_encodings_and_cp932_refuses_what_it_cannot_hold() {
        let rows = vec![vec![
            "パソコン".to_owned(),
            "PC-001".into(),
            "改行\nと\"引用\"".into(),
        ]];
        for encoding in [TextEncoding::Utf8, TextEncoding::ShiftJis] {
            let bytes = write_csv(&["種別", "管理番号", "備考"], &rows, encoding).expect("csv");
            let table = read_table(&bytes).expect("reads back");
            assert_eq!(table.encoding, Some(encoding));
            assert_eq!(table.rows, rows);
        }
        let emoji = vec![vec!["PC-1".to_owned(), "😀".to_owned()]];
        assert_eq!(
            write_csv(&["管理番号", "備考"], &emoji, TextEncoding::ShiftJis),
            Err(CsvWriteError::NotInShiftJis {
                row: 2,
                column: 2,
                character: '😀'
            })
        );
    }

    #[test]
    fn cells_that_would_run_as_formulas_are_neutralised_and_read_back_unchanged() {
        let values = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+81-3-0000-0000",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\r=1",
            "'quoted",
            "'=kept",
            "''",
            "'",
            "plain",
            "a=b",
        ];
        let rows: Vec<Vec<String>> = values.iter().map(|v| vec![(*v).to_owned()]).collect();
        for encoding in [TextEncoding::Utf8, TextEncoding::ShiftJis] {
            let bytes = write_csv(&["備考"], &rows, encoding).expect("csv");
            let text = match encoding {
                TextEncoding::ShiftJis => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
                _ => String::from_utf8(bytes.clone()).expect("utf-8"),
            };
            // No written line (outside quotes) starts with a formula character.
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
            for record in reader.records() {
                let cell = record.expect("a record")[0].to_owned();
                assert!(!starts_like_formula(&cell), "{cell:?} is not neutralised");
            }
            assert_eq!(read_table(&bytes).expect("reads back").rows, rows);
        }
        // A value typed with a leading apostrophe, as Excel users do, means text.
        assert_eq!(csv_cell_value("'=1"), "=1");
        assert_eq!(csv_cell_value("'abc"), "'abc");
    }

    fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (row, column, text) in cells {
            sheet.write_string(*row, *column, *text).expect("a cell");
        }
        workbook.save_to_buffer().expect("a workbook")
    }

    #[test]
    fn a_workbook_naming_a_far_cell_is_refused_without_building_the_grid() {
        let wide = workbook(&[(0, 0, "種別"), (1_048_575, 16_383, "x")]);
        assert_eq!(
            read_table(&wide),
            Err(TableError::TooWide {
                max: MAX_IMPORT_COLUMNS
            })
        );
        let deep = workbook(&[(0, 0, "種別"), (1_000_000, 0, "x")]);
        assert_eq!(
            read_table(&deep),
            Err(TableError::TooManyRows {
                max: MAX_IMPORT_ROWS
            })
        );
        let sparse = workbook(&[(0, 0, "種別"), (0, 1, "管理番号"), (5, 1, "PC-1")]);
        let table = read_table(&sparse).expect("a table");
        assert_eq!(table.rows, vec![vec![String::new(), "PC-1".to_owned()]]);
        assert_eq!(table.row_numbers, vec![6]);
    }

    /// `base` with the part `name` replaced (or added) by `head`, `repeat`
    /// written `times` times, then `tail` — how a bomb is built without
    /// holding it in memory.
    fn with_part(
        base: &[u8],
        name: &str,
        head: &str,
        repeat: &str,
        times: usize,
        tail: &str,
    ) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut archive = zip::ZipArchive::new(Cursor::new(base)).expect("a zip");
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for index in 0..archive.len() {
            let mut part = archive.by_index(index).expect("a part");
            if part.name() == name {
                continue;
            }
            let part_name = part.name().to_owned();
            let mut content = Vec::new();
            part.read_to_end(&mut content).expect("read");
            writer.start_file(part_name, options).expect("start");
            writer.write_all(&content).expect("write");
        }
        writer.start_file(name, options).expect("start");
        writer.write_all(head.as_bytes()).expect("write");
        let chunk = repeat.repeat(4096);
        for _ in 0..times / 4096 {
            writer.write_all(chunk.as_bytes()).expect("write");
        }
        for _ in 0..times % 4096 {
            writer.write_all(repeat.as_bytes()).expect("write");
        }
        writer.write_all(tail.as_bytes()).expect("write");
        writer.finish().expect("finish").into_inner()
    }

    const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>種別</t></is></c></row><row r="2">"#;
    const SHEET_TAIL: &str = "</row></sheetData></worksheet>";

    #[test]
    fn workbook_bombs_are_refused_before_they_are_inflated_whole() {
        let base = workbook(&[(0, 0, "種別")]);
        // Shared strings that cost a String each: more than the sheet may hold.
        let strings = with_part(
            &base,
            "xl/sharedStrings.xml",
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
            "<si><t/></si>",
            MAX_SHEET_CELLS + 1,
            "</sst>",
        );
        assert!(strings.len() < MAX_IMPORT_BYTES, "{}", strings.len());
        assert_eq!(
            read_table(&strings),
            Err(TableError::TooManyCells {
                max: MAX_SHEET_CELLS
            })
        );
        // One inline cell larger than any part may be once inflated.
        let huge_cell = with_part(
            &base,
            "xl/worksheets/sheet1.xml",
            &format!(r#"{SHEET_HEAD}<c r="A2" t="inlineStr"><is><t>"#),
            "AAAAAAAAAAAAAAAA",
            (MAX_XLSX_LARGE_PART as usize) / 16 + 1,
            &format!("</t></is></c>{SHEET_TAIL}"),
        );
        assert!(huge_cell.len() < MAX_IMPORT_BYTES, "{}", huge_cell.len());
        assert!(matches!(
            read_table(&huge_cell),
            Err(TableError::WorkbookTooLarge { part, max: MAX_XLSX_LARGE_PART }) if part == "xl/worksheets/sheet1.xml"
        ));
        // A sheet of empty cells: small once inflated, but too many to visit.
        let empty_cells = with_part(
            &base,
            "xl/worksheets/sheet1.xml",
            SHEET_HEAD,
            "<c/>",
            MAX_SHEET_CELLS + 1,
            SHEET_TAIL,
        );
        assert_eq!(
            read_table(&empty_cells),
            Err(TableError::TooManyCells {
                max: MAX_SHEET_CELLS
            })
        );
        // Styles calamine reads whole when it opens the workbook.
        let styles = with_part(
            &base,
            "xl/styles.xml",
            r#"<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>"#,
            "<xf/>",
            (MAX_XLSX_SMALL_PART as usize) / 5 + 1,
            "</cellXfs></styleSheet>",
        );
        assert!(matches!(
            read_table(&styles),
            Err(TableError::WorkbookTooLarge {
                max: MAX_XLSX_SMALL_PART,
                ..
            })
        ));
    }

    #[test]
    fn a_cell_longer_than_excel_allows_is_refused_naming_it() {
        let long = "あ".repeat(MAX_CELL_CHARS + 1);
        // Excel and rust_xlsxwriter refuse such a cell; a hand-made file need not.
        let book = with_part(
            &workbook(&[(0, 0, "種別")]),
            "xl/worksheets/sheet1.xml",
            &format!(r#"{SHEET_HEAD}</row><row r="3"><c r="B3" t="inlineStr"><is><t>"#),
            "あ",
            MAX_CELL_CHARS + 1,
            &format!("</t></is></c>{SHEET_TAIL}"),
        );
        assert_eq!(
            read_table(&book),
            Err(TableError::CellTooLong {
                row: 3,
                column: 2,
                max: MAX_CELL_CHARS
            })
        );
        let csv = format!("種別,備考\r\nパソコン,{long}\r\n");
        assert_eq!(
            read_table(csv.as_bytes()),
            Err(TableError::CellTooLong {
                row: 2,
                column: 2,
                max: MAX_CELL_CHARS
            })
        );
    }

    #[test]
    fn excel_serial_dates_become_calendar_dates() {
        assert_eq!(excel_date(45748.0), Some(civil::date(2025, 4, 1)));
        assert_eq!(excel_date(-1.0), None);
    }
}
