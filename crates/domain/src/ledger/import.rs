//! The device ledger as a spreadsheet: its columns, the export rows, and the
//! all-or-nothing import — every row is checked, every problem is reported
//! with its row and column, and only a file without problems is applied.

use std::collections::HashMap;

use jiff::civil;

use super::device::{NewDevice, RawDevice, parse_device, yes_no_ja};
use super::table::Table;
use crate::ParseError;

/// One column of the device ledger's spreadsheet form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The form field the column fills (also the key of its label).
    pub field: &'static str,
    /// The header as exported.
    pub header: &'static str,
    /// Other headers people write for it (the seed's sheet says メーカー).
    pub aliases: &'static [&'static str],
    /// Whether a file must have it.
    pub required: bool,
}

pub(crate) const fn column(field: &'static str, header: &'static str) -> Column {
    Column {
        field,
        header,
        aliases: &[],
        required: false,
    }
}

/// The columns, in export order. 種別 and 管理番号 are required; any other
/// column may be left out, and is then left as it is on existing devices.
pub const DEVICE_COLUMNS: [Column; 21] = [
    Column {
        required: true,
        ..column("kind", "種別")
    },
    Column {
        required: true,
        ..column("asset_number", "管理番号")
    },
    Column {
        aliases: &["メーカー", "機種", "型番"],
        ..column("maker_model", "メーカー・型番")
    },
    column("location", "管理場所"),
    column("manager", "管理責任者"),
    column("status", "状態"),
    column("os_version", "OS・ファームウェア"),
    column("last_security_update", "最終セキュリティ更新日"),
    column("antivirus", "ウイルス対策"),
    column("remote_used", "リモート保守"),
    column("remote_vendor", "リモート保守事業者"),
    column("remote_method", "リモート保守の方法"),
    column("mds_sds_received", "MDS/SDS受領"),
    column("internet_connected", "インターネット接続"),
    column("segment", "ネットワークセグメント"),
    column("ip_addresses", "IPアドレス"),
    column("mac_addresses", "MACアドレス"),
    column("initial_password_changed", "初期パスワード変更"),
    column("external_media_restricted", "外部記録媒体の制限"),
    column("external_media_how", "外部記録媒体の制限方法"),
    column("remarks", "備考"),
];

/// The headers in export order.
pub fn device_headers() -> Vec<&'static str> {
    DEVICE_COLUMNS.iter().map(|column| column.header).collect()
}

/// A device as one export row, in [`DEVICE_COLUMNS`] order; importing it gives
/// the same device back.
pub fn device_row(device: &NewDevice) -> Vec<String> {
    DEVICE_COLUMNS
        .iter()
        .map(|column| match column.field {
            "kind" => device.kind.name_ja().to_owned(),
            "asset_number" => device.asset_number.clone(),
            "maker_model" => device.maker_model.clone(),
            "location" => device.location.clone(),
            "manager" => device.manager.clone(),
            "status" => device.status.name_ja().to_owned(),
            "os_version" => device.os_version.clone(),
            "last_security_update" => device
                .last_security_update
                .map(|date| date.to_string())
                .unwrap_or_default(),
            "antivirus" => device.antivirus.name_ja().to_owned(),
            "remote_used" => yes_no_ja(device.remote.used).to_owned(),
            "remote_vendor" => device.remote.vendor.clone(),
            "remote_method" => device.remote.method.clone(),
            "mds_sds_received" => yes_no_ja(device.mds_sds_received).to_owned(),
            "internet_connected" => yes_no_ja(device.internet_connected).to_owned(),
            "segment" => device.segment.clone(),
            "ip_addresses" => device.ip_text(),
            "mac_addresses" => device.mac_text(),
            "initial_password_changed" => yes_no_ja(device.initial_password_changed).to_owned(),
            "external_media_restricted" => yes_no_ja(device.external_media.restricted).to_owned(),
            "external_media_how" => device.external_media.how.clone(),
            _ => device.remarks.clone(),
        })
        .collect()
}

/// A problem with the header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// A required column is missing.
    Missing(&'static str),
    /// A header names no column of the ledger.
    Unknown(String),
    /// Two headers name the same column.
    Duplicate(&'static str),
}

/// What is wrong with one cell or row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The cell's value was refused.
    Field(ParseError),
    /// The 管理番号 appeared on an earlier row of the file.
    DuplicateAssetNumber { first_row: usize },
    /// The 管理番号 belongs to a disposed device, which stays in history only.
    Disposed,
    /// The row has more cells than the header.
    ExtraCells,
}

/// A problem on one row: the file row, the column header, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: usize,
    /// The column's header, where one column is at fault.
    pub column: Option<&'static str>,
    /// What is wrong.
    pub problem: RowProblem,
}

/// Why an import cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProblems {
    /// The header row is wrong: nothing else was checked.
    Header(Vec<HeaderProblem>),
    /// Rows are wrong: every one found is listed.
    Rows(Vec<RowError>),
}

/// A device already in the ledger, as the import sees it.
#[derive(Debug, Clone)]
pub struct Existing {
    /// Its export row (used for columns the file leaves out).
    pub row: Vec<String>,
    /// Whether it was disposed (廃棄).
    pub disposed: bool,
}

/// What a valid row will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowChange {
    /// A device new to the ledger.
    New,
    /// An existing device; the headers of the columns that change.
    Changed(Vec<&'static str>),
    /// An existing device, identical.
    Unchanged,
}

/// One valid row: where it came from, the device, and what it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The file row.
    pub row: usize,
    /// The device as it will be.
    pub device: NewDevice,
    /// What applying it changes.
    pub change: RowChange,
    /// The 種別 as the file wrote it, when that was another word for it (an
    /// alias such as パソコン for 端末PC), so the preview can show both.
    pub kind_as_written: Option<String>,
}

/// A header cell as compared: trimmed, without spaces or the `*`/`※` marks
/// of required columns, with the slash and middle dot in one form.
pub(crate) fn normalise_header(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '※')
        .map(|c| match c {
            '／' => '/',
            '･' | '·' | '・' => '・',
            other => other,
        })
        .collect()
}

/// Maps each header cell to an index of `columns`.
pub(crate) fn map_header(
    header: &[String],
    columns: &[Column],
) -> Result<Vec<Option<usize>>, Vec<HeaderProblem>> {
    let mut problems = Vec::new();
    let mut mapping = Vec::with_capacity(header.len());
    let mut seen = vec![false; columns.len()];
    for cell in header {
        let name = normalise_header(cell);
        if name.is_empty() {
            mapping.push(None);
            continue;
        }
        let found = columns.iter().position(|column| {
            normalise_header(column.header) == name
                || column.aliases.iter().any(|alias| *alias == name)
        });
        match found {
            Some(index) if seen[index] => {
                problems.push(HeaderProblem::Duplicate(columns[index].header))
            }
            Some(index) => seen[index] = true,
            None => problems.push(HeaderProblem::Unknown(cell.trim().to_owned())),
        }
        mapping.push(found);
    }
    for (index, column) in columns.iter().enumerate() {
        if column.required && !seen[index] {
            problems.push(HeaderProblem::Missing(column.header));
        }
    }
    if problems.is_empty() {
        Ok(mapping)
    } else {
        Err(problems)
    }
}

/// How many rows above the header a file may have (a title such as
/// 「使用機器一覧表　令和7年4月1日現在」, the institution's name, a blank).
pub const MAX_TITLE_ROWS: usize = 5;

/// Finds the header: the file's first row, or — when that is a title above
/// the table, as Japanese Excel ledgers often have — the first of the next
/// [`MAX_TITLE_ROWS`] rows that names the ledger's columns. Returns the
/// mapping and how many of the table's data rows it skipped. When no row
/// fits, the problems of the row that named most columns are returned.
pub(crate) fn locate_header(
    table: &Table,
    columns: &[Column],
) -> Result<(Vec<Option<usize>>, usize), Vec<HeaderProblem>> {
    let first = match map_header(&table.header, columns) {
        Ok(mapping) => return Ok((mapping, 0)),
        Err(problems) => problems,
    };
    let known = |cells: &[String]| {
        cells
            .iter()
            .filter(|cell| {
                let name = normalise_header(cell);
                !name.is_empty()
                    && columns.iter().any(|column| {
                        normalise_header(column.header) == name
                            || column.aliases.iter().any(|alias| *alias == name)
                    })
            })
            .count()
    };
    let mut best = (known(&table.header), first);
    for (index, row) in table.rows.iter().take(MAX_TITLE_ROWS).enumerate() {
        match map_header(row, columns) {
            Ok(mapping) => return Ok((mapping, index + 1)),
            Err(problems) => {
                let n_known = known(row);
                if n_known > best.0 {
                    best = (n_known, problems);
                }
            }
        }
    }
    Err(best.1)
}

/// The header of the column that fills `field`, to name it in an error.
pub(crate) fn header_for(columns: &[Column], field: &str) -> Option<&'static str> {
    columns
        .iter()
        .find(|column| column.field == field)
        .map(|column| column.header)
}

/// One row's cells placed by column (`None` where the file has no such
/// column), after [`map_header`] gave `mapping`; a row with anything written
/// beyond the header is refused.
pub(crate) fn place_cells<'a>(
    cells: &'a [String],
    mapping: &[Option<usize>],
    n_columns: usize,
) -> Result<Vec<Option<&'a str>>, RowProblem> {
    if cells.len() > mapping.len() && cells[mapping.len()..].iter().any(|c| !c.trim().is_empty()) {
        return Err(RowProblem::ExtraCells);
    }
    let mut values = vec![None; n_columns];
    for (cell, column) in cells.iter().zip(mapping) {
        if let Some(slot) = column.and_then(|column| values.get_mut(column)) {
            *slot = Some(cell.as_str());
        }
    }
    Ok(values)
}

/// Checks every row of `table` as devices. `existing` finds a device already
/// in the ledger by 管理番号. Either every row is valid and the result says what
/// each will change, or every problem found is returned.
pub fn check_device_import(
    table: &Table,
    existing: impl Fn(&str) -> Option<Existing>,
    today: civil::Date,
) -> Result<Vec<ImportRow>, ImportProblems> {
    let (mapping, skip) = locate_header(table, &DEVICE_COLUMNS).map_err(ImportProblems::Header)?;
    let asset_index = DEVICE_COLUMNS
        .iter()
        .position(|column| column.field == "asset_number")
        .unwrap_or(1);
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (cells, &row) in table.rows.iter().zip(&table.row_numbers).skip(skip) {
        let values = match place_cells(cells, &mapping, DEVICE_COLUMNS.len()) {
            Ok(values) => values,
            Err(problem) => {
                errors.push(RowError {
                    row,
                    column: None,
                    problem,
                });
                continue;
            }
        };
        let asset_number = values[asset_index].unwrap_or_default().trim().to_owned();
        let current = if asset_number.is_empty() {
            None
        } else {
            existing(&asset_number)
        };
        if current.as_ref().is_some_and(|current| current.disposed) {
            errors.push(RowError {
                row,
                column: Some(DEVICE_COLUMNS[asset_index].header),
                problem: RowProblem::Disposed,
            });
            continue;
        }
        if !asset_number.is_empty() {
            if let Some(first_row) = first_row_of.get(&asset_number) {
                errors.push(RowError {
                    row,
                    column: Some(DEVICE_COLUMNS[asset_index].header),
                    problem: RowProblem::DuplicateAssetNumber {
                        first_row: *first_row,
                    },
                });
                continue;
            }
            first_row_of.insert(asset_number.clone(), row);
        }
        // A column the file leaves out keeps the device's current value.
        let text = |index: usize| -> &str {
            match (values[index], &current) {
                (Some(value), _) => value,
                (None, Some(current)) => current.row.get(index).map_or("", String::as_str),
                (None, None) => "",
            }
        };
        let field = |name: &str| {
            DEVICE_COLUMNS
                .iter()
                .position(|column| column.field == name)
                .map_or("", text)
        };
        let raw = RawDevice {
            kind: field("kind"),
            asset_number: field("asset_number"),
            maker_model: field("maker_model"),
            location: field("location"),
            manager: field("manager"),
            remarks: field("remarks"),
            os_version: field("os_version"),
            last_security_update: field("last_security_update"),
            antivirus: field("antivirus"),
            remote_used: field("remote_used"),
            remote_vendor: field("remote_vendor"),
            remote_method: field("remote_method"),
            mds_sds_received: field("mds_sds_received"),
            internet_connected: field("internet_connected"),
            segment: field("segment"),
            ip_addresses: field("ip_addresses"),
            mac_addresses: field("mac_addresses"),
            initial_password_changed: field("initial_password_changed"),
            external_media_restricted: field("external_media_restricted"),
            external_media_how: field("external_media_how"),
            status: field("status"),
        };
        match parse_device(&raw, today) {
            Ok(device) => {
                let change = match &current {
                    None => RowChange::New,
                    Some(current) => {
                        let after = device_row(&device);
                        let changed: Vec<&'static str> = DEVICE_COLUMNS
                            .iter()
                            .zip(after.iter().zip(&current.row))
                            .filter(|(_, (after, before))| after != before)
                            .map(|(column, _)| column.header)
                            .collect();
                        if changed.is_empty() {
                            RowChange::Unchanged
                        } else {
                            RowChange::Changed(changed)
                        }
                    }
                };
                let written = raw.kind.trim();
                let kind_as_written = (!written.is_empty()
                    && written != device.kind.name_ja()
                    && written != device.kind.code())
                .then(|| written.to_owned());
                rows.push(ImportRow {
                    row,
                    device,
                    change,
                    kind_as_written,
                });
            }
            Err(field_errors) => errors.extend(field_errors.into_iter().map(|error| RowError {
                row,
                column: header_for(&DEVICE_COLUMNS, error.field()),
                problem: RowProblem::Field(error),
            })),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportProblems::Rows(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::table::read_table;

    fn today() -> civil::Date {
        civil::date(2026, 11, 25)
    }

    #[test]
    fn a_title_above_the_header_is_skipped_and_rows_keep_their_numbers() {
        let csv = "使用機器一覧表（令和7年4月1日現在）\r\nまもり内科クリニック\r\n\r\n種別,管理番号,管理場所\r\nパソコン,PC-001,受付\r\n";
        let table = read_table(csv.as_bytes()).expect("a table");
        let rows = check_device_import(&table, |_| None, today()).expect("imports");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 5, "the row a person sees in the file");
        assert_eq!(rows[0].device.asset_number, "PC-001");
        // Without a header anywhere near the top, the row naming most columns
        // is the one whose problems are reported.
        let csv = "使用機器一覧表\r\n種別,管理番号だ,場所\r\nパソコン,PC-001,受付\r\n";
        let table = read_table(csv.as_bytes()).expect("a table");
        match check_device_import(&table, |_| None, today()) {
            Err(ImportProblems::Header(problems)) => {
                assert!(
                    problems.contains(&HeaderProblem::Unknown("管理番号だ".to_owned())),
                    "{problems:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cells_go_to_their_columns_and_writing_beyond_the_header_is_refused() {
        let cells = |row: &[&str]| row.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        // The file's second column is the ledger's first; its first is unknown to it.
        let mapping = [None, Some(0), Some(2)];
        assert_eq!(
            place_cells(&cells(&["x", "a", "c"]), &mapping, 3),
            Ok(vec![Some("a"), None, Some("c")])
        );
        assert_eq!(
            place_cells(&cells(&["x", "a", "c", " ", ""]), &mapping, 3),
            Ok(vec![Some("a"), None, Some("c")]),
            "blank cells beyond the header are what spreadsheets write"
        );
        assert_eq!(
            place_cells(&cells(&["x", "a", "c", "", "extra"]), &mapping, 3),
            Err(RowProblem::ExtraCells)
        );
        assert_eq!(
            place_cells(&cells(&["x"]), &mapping, 3),
            Ok(vec![None, None, None]),
            "a short row leaves the rest empty"
        );
    }

    fn table(csv: &str) -> Table {
        read_table(csv.as_bytes()).expect("a table")
    }

    #[test]
    fn the_seeds_six_columns_import_as_new_devices() {
        let rows = check_device_import(
            &table("種別,管理番号,メーカー,管理場所,管理責任者,備考\nパソコン,PC-001,〇〇,医事課,医事課長,\nUSB,U-001,〇〇,医局,医局長,\n"),
            |_| None,
            today(),
        )
        .expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[1].device.location, "医局");
        assert!(rows.iter().all(|row| row.change == RowChange::New));
    }

    #[test]
    fn every_bad_row_is_named_with_its_column_and_nothing_passes() {
        let problems = check_device_import(
            &table("種別,管理番号,最終セキュリティ更新日\nパソコン,PC-001,令和7年13月1日\nパソコン,PC-002,\nパソコン,PC-002,\n冷蔵庫,PC-003,\n"),
            |_| None,
            today(),
        )
        .expect_err("refused");
        let ImportProblems::Rows(errors) = problems else {
            panic!("row problems expected, got {problems:?}");
        };
        let found: Vec<(usize, Option<&str>)> = errors.iter().map(|e| (e.row, e.column)).collect();
        assert_eq!(
            found,
            vec![
                (2, Some("最終セキュリティ更新日")),
                (4, Some("管理番号")),
                (5, Some("種別"))
            ]
        );
        assert_eq!(
            errors[1].problem,
            RowProblem::DuplicateAssetNumber { first_row: 3 }
        );
    }

    #[test]
    fn a_missing_unknown_or_doubled_column_is_a_header_problem() {
        let problems = check_device_import(
            &table("種別,メーカー,色,メーカー・型番\nパソコン,a,b,c\n"),
            |_| None,
            today(),
        )
        .expect_err("refused");
        assert_eq!(
            problems,
            ImportProblems::Header(vec![
                HeaderProblem::Unknown("色".into()),
                HeaderProblem::Duplicate("メーカー・型番"),
                HeaderProblem::Missing("管理番号"),
            ])
        );
    }

    #[test]
    fn an_exported_row_imports_unchanged_and_left_out_columns_keep_their_values() {
        let first = check_device_import(
            &table("種別,管理番号,管理場所,IPアドレス,リモート保守,リモート保守事業者\nサーバ,SV-01,サーバ室,192.168.1.2,はい,〇〇メディカル\n"),
            |_| None,
            today(),
        )
        .expect("valid")
        .remove(0)
        .device;
        let exported = device_row(&first);
        let mut csv = device_headers().join(",");
        csv.push('\n');
        csv.push_str(&exported.join(","));
        let existing = |asset: &str| {
            (asset == "SV-01").then(|| Existing {
                row: exported.clone(),
                disposed: false,
            })
        };
        let again = check_device_import(&table(&csv), existing, today()).expect("valid");
        assert_eq!(again[0].change, RowChange::Unchanged);
        assert_eq!(again[0].device, first);

        let partial = check_device_import(
            &table("管理番号,種別,管理場所\nSV-01,サーバ,2階\n"),
            existing,
            today(),
        )
        .expect("valid");
        assert_eq!(partial[0].change, RowChange::Changed(vec!["管理場所"]));
        assert_eq!(partial[0].device.ip_text(), "192.168.1.2");

        let disposed = check_device_import(
            &table("種別,管理番号\nサーバ,SV-01\n"),
            |_| {
                Some(Existing {
                    row: exported.clone(),
                    disposed: true,
                })
            },
            today(),
        )
        .expect_err("refused");
        assert!(
            matches!(disposed, ImportProblems::Rows(ref rows) if rows[0].problem == RowProblem::Disposed)
        );
    }
}
