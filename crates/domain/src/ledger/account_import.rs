//! The account ledger as a spreadsheet: export rows, and the all-or-nothing
//! import keyed by システム + アカウント, with the owner named by 氏名 as in
//! the staff ledger.

use std::collections::HashMap;

use jiff::civil;

use super::device::yes_no_ja;
use super::import::{
    Column, ImportProblems, RowChange, RowError, RowProblem, column, header_for, locate_header,
    place_cells,
};
use super::people::{NewAccount, RawAccount, parse_account};
use super::table::Table;
use crate::{ParseError, ParseErrorKind};

/// The columns, in export order. システム and アカウント are required.
pub const ACCOUNT_COLUMNS: [Column; 7] = [
    Column {
        required: true,
        ..column("system", "システム")
    },
    Column {
        required: true,
        aliases: &["ログインID", "ユーザーID"],
        ..column("login", "アカウント")
    },
    Column {
        aliases: &["氏名", "職員"],
        ..column("staff_id", "利用者")
    },
    column("shared", "共用"),
    column("admin", "管理者権限"),
    column("last_used_on", "最終利用日"),
    column("note", "備考"),
];

/// The headers in export order.
pub fn account_headers() -> Vec<&'static str> {
    ACCOUNT_COLUMNS.iter().map(|column| column.header).collect()
}

/// An account as one export row; `owner` is the owner's 氏名.
pub fn account_row(account: &NewAccount, owner: Option<&str>) -> Vec<String> {
    vec![
        account.system.clone(),
        account.login.clone(),
        owner.unwrap_or_default().to_owned(),
        yes_no_ja(Some(account.shared)).to_owned(),
        yes_no_ja(Some(account.admin)).to_owned(),
        account
            .last_used_on
            .map(|date| date.to_string())
            .unwrap_or_default(),
        account.note.clone(),
    ]
}

/// A valid account row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountImportRow {
    /// The file row.
    pub row: usize,
    /// The account as it will be.
    pub account: NewAccount,
    /// What applying it changes.
    pub change: RowChange,
}

/// An account already in the ledger, as the import sees it.
#[derive(Debug, Clone)]
pub struct ExistingAccount {
    /// Its export row.
    pub row: Vec<String>,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// Checks every row. `staff_by_name` gives the ids of the staff with a name
/// (an owner must name exactly one); `existing` finds an account by system and
/// login.
pub fn check_account_import(
    table: &Table,
    staff_by_name: &HashMap<String, Vec<i64>>,
    existing: impl Fn(&str, &str) -> Option<ExistingAccount>,
    today: civil::Date,
) -> Result<Vec<AccountImportRow>, ImportProblems> {
    let (mapping, skip) = locate_header(table, &ACCOUNT_COLUMNS).map_err(ImportProblems::Header)?;
    let header_of = |field: &str| header_for(&ACCOUNT_COLUMNS, field);
    let mut errors: Vec<RowError> = Vec::new();
    let mut rows = Vec::new();
    let mut first_row_of: HashMap<(String, String), usize> = HashMap::new();
    for (cells, &row) in table.rows.iter().zip(&table.row_numbers).skip(skip) {
        let values = match place_cells(cells, &mapping, ACCOUNT_COLUMNS.len()) {
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
        let system = values[0].unwrap_or_default().trim().to_owned();
        let login = values[1].unwrap_or_default().trim().to_owned();
        let current = existing(&system, &login);
        if current.as_ref().is_some_and(|current| current.deleted) {
            errors.push(RowError {
                row,
                column: header_of("login"),
                problem: RowProblem::Disposed,
            });
            continue;
        }
        if !system.is_empty() && !login.is_empty() {
            let key = (system.clone(), login.clone());
            if let Some(first_row) = first_row_of.get(&key) {
                errors.push(RowError {
                    row,
                    column: header_of("login"),
                    problem: RowProblem::DuplicateAssetNumber {
                        first_row: *first_row,
                    },
                });
                continue;
            }
            first_row_of.insert(key, row);
        }
        let text = |index: usize| -> &str {
            match (values[index], &current) {
                (Some(value), _) => value,
                (None, Some(current)) => current.row.get(index).map_or("", String::as_str),
                (None, None) => "",
            }
        };
        let mut field_errors = Vec::new();
        let owner_name = text(2).trim();
        let staff_id = if owner_name.is_empty() {
            String::new()
        } else {
            match staff_by_name.get(owner_name).map(Vec::as_slice) {
                Some([id]) => id.to_string(),
                Some([]) | None => {
                    field_errors.push(ParseError::new(
                        "staff_id",
                        ParseErrorKind::Inconsistent("no one of that name is on the staff list"),
                    ));
                    String::new()
                }
                Some(_) => {
                    field_errors.push(ParseError::new(
                        "staff_id",
                        ParseErrorKind::Inconsistent("several staff have that name"),
                    ));
                    String::new()
                }
            }
        };
        let flag = |field: &'static str, raw: &str, errors: &mut Vec<ParseError>| -> bool {
            match super::device::parse_yes_no(field, raw) {
                Ok(value) => value.unwrap_or(false),
                Err(error) => {
                    errors.push(error);
                    false
                }
            }
        };
        let shared = flag("shared", text(3), &mut field_errors);
        let admin = flag("admin", text(4), &mut field_errors);
        let parsed = parse_account(
            &RawAccount {
                system: text(0),
                login: text(1),
                staff_id: &staff_id,
                shared,
                admin,
                last_used_on: text(5),
                note: text(6),
            },
            today,
        );
        match parsed {
            Ok(account) if field_errors.is_empty() => {
                let after = account_row(&account, (!owner_name.is_empty()).then_some(owner_name));
                let change = match &current {
                    None => RowChange::New,
                    Some(current) => {
                        let changed: Vec<&'static str> = ACCOUNT_COLUMNS
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
                rows.push(AccountImportRow {
                    row,
                    account,
                    change,
                });
            }
            other => {
                field_errors.extend(other.err().unwrap_or_default());
                errors.extend(field_errors.into_iter().map(|error| RowError {
                    row,
                    column: header_of(error.field()),
                    problem: RowProblem::Field(error),
                }));
            }
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

    fn staff() -> HashMap<String, Vec<i64>> {
        HashMap::from([
            ("田中 花子".to_owned(), vec![1]),
            ("佐藤 一郎".to_owned(), vec![2, 3]),
        ])
    }

    #[test]
    fn accounts_import_with_owners_by_name_and_export_rows_come_back_unchanged() {
        let today = civil::date(2026, 11, 25);
        let table = read_table(
            "システム,アカウント,利用者,共用,管理者権限,最終利用日\n電子カルテ,tanaka,田中 花子,いいえ,はい,2026-11-20\nレセコン,uketsuke,,はい,,\n"
                .as_bytes(),
        )
        .expect("a table");
        let rows = check_account_import(&table, &staff(), |_, _| None, today).expect("valid");
        assert_eq!(rows[0].account.staff_id, Some(1));
        assert!(rows[0].account.admin && rows[1].account.shared);
        let exported = account_row(&rows[0].account, Some("田中 花子"));
        let again = check_account_import(
            &table,
            &staff(),
            |system, login| {
                (system == "電子カルテ" && login == "tanaka").then(|| ExistingAccount {
                    row: exported.clone(),
                    deleted: false,
                })
            },
            today,
        )
        .expect("valid");
        assert_eq!(again[0].change, RowChange::Unchanged);
        assert_eq!(again[1].change, RowChange::New);
    }

    #[test]
    fn unknown_or_ambiguous_owners_bad_flags_and_doubled_accounts_are_named() {
        let today = civil::date(2026, 11, 25);
        let table = read_table(
            "システム,アカウント,利用者,共用\n電子カルテ,a,山田 太郎,\n電子カルテ,b,佐藤 一郎,\n電子カルテ,c,,たぶん\n電子カルテ,c,,\n"
                .as_bytes(),
        )
        .expect("a table");
        let ImportProblems::Rows(errors) =
            check_account_import(&table, &staff(), |_, _| None, today).expect_err("refused")
        else {
            panic!("row problems expected");
        };
        let found: Vec<(usize, Option<&str>)> = errors.iter().map(|e| (e.row, e.column)).collect();
        assert_eq!(
            found,
            vec![
                (2, Some("利用者")),
                (3, Some("利用者")),
                (4, Some("共用")),
                (5, Some("アカウント"))
            ]
        );
    }
}
