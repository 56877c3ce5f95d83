//! The staff ledger as a spreadsheet: export rows and the all-or-nothing
//! import keyed by 氏名 (a name the ledger holds twice cannot be imported
//! onto, and a file may name a person once).

use std::collections::HashMap;

use super::import::{
    Column, ImportProblems, RowChange, RowError, RowProblem, column, header_for, locate_header,
    place_cells,
};
use super::people::{NewStaff, parse_staff};
use super::table::Table;
use crate::{ParseError, ParseErrorKind};

/// The columns, in export order. Only 氏名 is required: a list of leavers
/// (氏名, 退職日) updates the people it names; a new person needs a 職種.
pub const STAFF_COLUMNS: [Column; 5] = [
    Column {
        required: true,
        aliases: &["名前", "職員名"],
        ..column("display_name", "氏名")
    },
    column("job", "職種"),
    Column {
        aliases: &["所属"],
        ..column("department", "部署")
    },
    column("joined_on", "入職日"),
    column("left_on", "退職日"),
];

/// The headers in export order.
pub fn staff_headers() -> Vec<&'static str> {
    STAFF_COLUMNS.iter().map(|column| column.header).collect()
}

/// A member of staff as one export row.
pub fn staff_row(staff: &NewStaff) -> Vec<String> {
    vec![
        staff.name.clone(),
        staff.job.name_ja().to_owned(),
        staff.department.clone(),
        staff.joined_on.map(|d| d.to_string()).unwrap_or_default(),
        staff.left_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// A valid staff row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffImportRow {
    /// The file row.
    pub row: usize,
    /// The person as they will be.
    pub staff: NewStaff,
    /// The id of the person it changes, if it changes one.
    pub id: Option<i64>,
    /// What applying it changes.
    pub change: RowChange,
}

/// Checks every row. `existing` gives, for a name, the (id, export row) of
/// each person of the ledger with that name.
pub fn check_staff_import(
    table: &Table,
    existing: impl Fn(&str) -> Vec<(i64, Vec<String>)>,
) -> Result<Vec<StaffImportRow>, ImportProblems> {
    let (mapping, skip) = locate_header(table, &STAFF_COLUMNS).map_err(ImportProblems::Header)?;
    let header_of = |field: &str| header_for(&STAFF_COLUMNS, field);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (cells, &row) in table.rows.iter().zip(&table.row_numbers).skip(skip) {
        let values = match place_cells(cells, &mapping, STAFF_COLUMNS.len()) {
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
        let name = values[0].unwrap_or_default().trim().to_owned();
        if !name.is_empty() {
            if let Some(first_row) = first_row_of.get(&name) {
                errors.push(RowError {
                    row,
                    column: header_of("display_name"),
                    problem: RowProblem::DuplicateAssetNumber {
                        first_row: *first_row,
                    },
                });
                continue;
            }
            first_row_of.insert(name.clone(), row);
        }
        let matches = if name.is_empty() {
            Vec::new()
        } else {
            existing(&name)
        };
        if matches.len() > 1 {
            errors.push(RowError {
                row,
                column: header_of("display_name"),
                problem: RowProblem::Field(ParseError::new(
                    "display_name",
                    ParseErrorKind::Inconsistent("several staff have that name"),
                )),
            });
            continue;
        }
        let current = matches.into_iter().next();
        let text = |index: usize| -> &str {
            match (values[index], &current) {
                (Some(value), _) => value,
                (None, Some((_, row))) => row.get(index).map_or("", String::as_str),
                (None, None) => "",
            }
        };
        match parse_staff(text(0), text(1), text(2), text(3), text(4)) {
            Ok(staff) => {
                let after = staff_row(&staff);
                let change = match &current {
                    None => RowChange::New,
                    Some((_, before)) => {
                        let changed: Vec<&'static str> = STAFF_COLUMNS
                            .iter()
                            .zip(after.iter().zip(before))
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
                rows.push(StaffImportRow {
                    row,
                    staff,
                    id: current.map(|(id, _)| id),
                    change,
                });
            }
            Err(field_errors) => errors.extend(field_errors.into_iter().map(|error| RowError {
                row,
                column: header_of(error.field()),
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

    #[test]
    fn staff_import_by_name_with_a_leaving_day_and_refusals_named() {
        let table = read_table(
            "氏名,職種,部署,入職日,退職日\n田中 花子,看護師,外来,令和5年4月1日,\n鈴木 一郎,事務,,2024-04-01,2026-10-31\n"
                .as_bytes(),
        )
        .expect("a table");
        let existing_tanaka =
            staff_row(&parse_staff("田中 花子", "nurse", "外来", "2023-04-01", "").expect("valid"));
        let rows = check_staff_import(&table, |name| {
            if name == "田中 花子" {
                vec![(7, existing_tanaka.clone())]
            } else {
                Vec::new()
            }
        })
        .expect("valid");
        assert_eq!(
            (rows[0].id, &rows[0].change),
            (Some(7), &RowChange::Unchanged)
        );
        assert_eq!(rows[1].change, RowChange::New);
        assert!(rows[1].staff.left_on.is_some());

        let bad = read_table(
            "氏名,職種\n佐藤 一郎,医師\n佐藤 一郎,医師\n,医師\n山田,魔法使い\n".as_bytes(),
        )
        .expect("a table");
        let ImportProblems::Rows(errors) =
            check_staff_import(&bad, |_| Vec::new()).expect_err("refused")
        else {
            panic!("row problems expected");
        };
        let found: Vec<(usize, Option<&str>)> = errors.iter().map(|e| (e.row, e.column)).collect();
        assert_eq!(
            found,
            vec![(3, Some("氏名")), (4, Some("氏名")), (5, Some("職種"))]
        );
        let twice = check_staff_import(
            &read_table("氏名,職種\n佐藤 一郎,医師\n".as_bytes()).expect("a table"),
            |_| vec![(1, Vec::new()), (2, Vec::new())],
        )
        .expect_err("ambiguous");
        assert!(matches!(twice, ImportProblems::Rows(ref e) if e[0].row == 2));
    }
}
