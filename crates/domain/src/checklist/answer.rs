//! An institution's answer to one checklist item in one 年度, the rules a
//! submitted answer must follow, and what state the item is in.

use jiff::civil;

use super::catalog::{Catalog, CatalogItem};
use crate::calendar::FiscalYear;
use crate::{ParseError, ParseErrorKind};

/// はい or いいえ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// はい
    Yes,
    /// いいえ
    No,
}

impl Answer {
    /// The code stored and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
        }
    }

    /// Parses [`Answer::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "yes" => Some(Self::Yes),
            "no" => Some(Self::No),
            _ => None,
        }
    }

    /// はい／いいえ
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Yes => "はい",
            Self::No => "いいえ",
        }
    }

    /// Yes／No
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Yes => "Yes",
            Self::No => "No",
        }
    }
}

/// An answer with the date it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatedAnswer {
    /// はい／いいえ.
    pub answer: Answer,
    /// The date of the check.
    pub date: civil::Date,
}

/// What is recorded for one item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemRecord {
    /// 1回目.
    pub first: Option<DatedAnswer>,
    /// 目標日 (required when the 1回目 is いいえ).
    pub target: Option<civil::Date>,
    /// 2回目.
    pub second: Option<DatedAnswer>,
    /// 確認日: the day the answers were last confirmed (on forms with that column).
    pub checked_on: Option<civil::Date>,
    /// 備考.
    pub remarks: String,
    /// 対象外 with its reason (only where the form allows it).
    pub not_applicable: Option<String>,
    /// Carried over from the previous 年度 and not yet looked at again (要再確認).
    pub needs_recheck: bool,
}

impl ItemRecord {
    /// The answer that counts: the 2回目 if there is one, else the 1回目.
    pub fn current(&self) -> Option<DatedAnswer> {
        self.second.or(self.first)
    }

    /// The record a new 年度 starts from: the answer that counted last year
    /// becomes the 1回目, marked 要再確認; targets and 2回目 are cleared.
    pub fn carried_over(&self) -> Self {
        Self {
            first: self.current(),
            target: None,
            second: None,
            checked_on: None,
            remarks: self.remarks.clone(),
            not_applicable: self.not_applicable.clone(),
            needs_recheck: true,
        }
    }
}

/// The raw fields of the answer form.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawItemRecord<'a> {
    /// `yes`, `no` or empty.
    pub first_answer: &'a str,
    /// YYYY-MM-DD.
    pub first_date: &'a str,
    /// YYYY-MM-DD.
    pub target_date: &'a str,
    /// `yes`, `no` or empty.
    pub second_answer: &'a str,
    /// YYYY-MM-DD.
    pub second_date: &'a str,
    /// 確認日, YYYY-MM-DD (empty on forms without that column).
    pub checked_on: &'a str,
    /// 備考.
    pub remarks: &'a str,
    /// The 対象外 box.
    pub not_applicable: bool,
    /// Why it is 対象外.
    pub not_applicable_reason: &'a str,
}

/// Parses a date as `<input type=date>` sends it (YYYY-MM-DD), also accepting
/// the 2026/4/1 style people type. `field` names the form field.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Option<civil::Date>, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = raw.split(['-', '/']).collect();
    let bad = || ParseError::new(field, ParseErrorKind::BadFormat("a date like 2026-04-01"));
    let [year, month, day] = parts.as_slice() else {
        return Err(bad());
    };
    let (Ok(year), Ok(month), Ok(day)) =
        (year.parse::<i16>(), month.parse::<i8>(), day.parse::<i8>())
    else {
        return Err(bad());
    };
    civil::Date::new(year, month, day).map(Some).map_err(|_| {
        ParseError::new(
            field,
            ParseErrorKind::BadFormat("a date that exists, like 2026-04-01"),
        )
    })
}

/// A check date: it cannot lie after `today`.
pub fn not_after(
    field: &'static str,
    date: civil::Date,
    today: civil::Date,
) -> Result<civil::Date, ParseError> {
    if date > today {
        Err(ParseError::new(
            field,
            ParseErrorKind::Inconsistent("the check date cannot be in the future"),
        ))
    } else {
        Ok(date)
    }
}

/// A required, dated answer as two raw fields (the gate question, a vendor's row).
pub fn parse_dated_answer(
    answer_field: &'static str,
    raw_answer: &str,
    date_field: &'static str,
    raw_date: &str,
    today: civil::Date,
) -> Result<DatedAnswer, ParseError> {
    let answer = parse_answer(answer_field, raw_answer)?
        .ok_or(ParseError::new(answer_field, ParseErrorKind::Empty))?;
    let date = parse_date(date_field, raw_date)?
        .ok_or(ParseError::new(date_field, ParseErrorKind::Empty))?;
    Ok(DatedAnswer {
        answer,
        date: not_after(date_field, date, today)?,
    })
}

fn parse_answer(field: &'static str, raw: &str) -> Result<Option<Answer>, ParseError> {
    match raw.trim() {
        "" => Ok(None),
        code => Answer::from_code(code)
            .map(Some)
            .ok_or(ParseError::new(field, ParseErrorKind::UnknownChoice)),
    }
}

/// Checks a submitted answer against the form's rules for `year`:
/// a dated 1回目; a 目標日 inside the 年度 exactly when the 1回目 is いいえ;
/// a 2回目 only after a 1回目, not dated before it; no date in the future;
/// 対象外 only where the form allows it, with a reason and no answers.
pub fn parse_item_record(
    raw: &RawItemRecord<'_>,
    item: &CatalogItem,
    year: FiscalYear,
    today: civil::Date,
) -> Result<ItemRecord, ParseError> {
    let remarks = crate::error::multiline_text("remarks", raw.remarks, 1000)?;
    let remarks = remarks.as_str();
    let first_answer = parse_answer("first_answer", raw.first_answer)?;
    let first_date = parse_date("first_date", raw.first_date)?;
    let target = parse_date("target_date", raw.target_date)?;
    let second_answer = parse_answer("second_answer", raw.second_answer)?;
    let second_date = parse_date("second_date", raw.second_date)?;
    let checked_on = parse_date("checked_on", raw.checked_on)?
        .map(|date| not_after("checked_on", date, today))
        .transpose()?;
    if raw.not_applicable {
        if !item.vendor_contract_only {
            return Err(ParseError::new(
                "not_applicable",
                ParseErrorKind::Inconsistent("this item cannot be marked not applicable"),
            ));
        }
        let reason =
            crate::error::required_text("not_applicable_reason", raw.not_applicable_reason, 200)?;
        let reason = reason.as_str();
        if first_answer.is_some() || second_answer.is_some() || target.is_some() {
            return Err(ParseError::new(
                "not_applicable",
                ParseErrorKind::Inconsistent("a not-applicable item takes no answers"),
            ));
        }
        return Ok(ItemRecord {
            remarks: remarks.to_owned(),
            checked_on,
            not_applicable: Some(reason.to_owned()),
            ..ItemRecord::default()
        });
    }
    let no_future = |field, date| not_after(field, date, today);
    let first = match (first_answer, first_date) {
        (None, None) => None,
        (None, Some(_)) => return Err(ParseError::new("first_answer", ParseErrorKind::Empty)),
        (Some(_), None) => return Err(ParseError::new("first_date", ParseErrorKind::Empty)),
        (Some(answer), Some(date)) => Some(DatedAnswer {
            answer,
            date: no_future("first_date", date)?,
        }),
    };
    match (first.map(|f| f.answer), target) {
        (Some(Answer::No), None) => {
            return Err(ParseError::new("target_date", ParseErrorKind::Empty));
        }
        (Some(Answer::No), Some(date)) if !year.contains(date) => {
            return Err(ParseError::new(
                "target_date",
                ParseErrorKind::Inconsistent("the target date must lie inside the fiscal year"),
            ));
        }
        (Some(Answer::No), Some(date)) if first.is_some_and(|f| date < f.date) => {
            return Err(ParseError::new(
                "target_date",
                ParseErrorKind::Inconsistent("the target date cannot be before the first check"),
            ));
        }
        (Some(Answer::Yes) | None, Some(_)) => {
            return Err(ParseError::new(
                "target_date",
                ParseErrorKind::Inconsistent(
                    "a target date is set only when the first check is no",
                ),
            ));
        }
        _ => {}
    }
    let second = match (second_answer, second_date) {
        (None, None) => None,
        (None, Some(_)) => return Err(ParseError::new("second_answer", ParseErrorKind::Empty)),
        (Some(_), None) => return Err(ParseError::new("second_date", ParseErrorKind::Empty)),
        (Some(answer), Some(date)) => {
            let Some(first) = first else {
                return Err(ParseError::new(
                    "second_answer",
                    ParseErrorKind::Inconsistent("the second check needs a first check"),
                ));
            };
            if date < first.date {
                return Err(ParseError::new(
                    "second_date",
                    ParseErrorKind::Inconsistent("the second check cannot be before the first"),
                ));
            }
            Some(DatedAnswer {
                answer,
                date: no_future("second_date", date)?,
            })
        }
    };
    Ok(ItemRecord {
        first,
        target,
        second,
        checked_on,
        remarks: remarks.to_owned(),
        not_applicable: None,
        needs_recheck: false,
    })
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Not answered yet; must be by `due`.
    Unanswered { due: civil::Date },
    /// Carried over from last year; look at it again by `due`.
    NeedsRecheck { due: civil::Date },
    /// いいえ with a 目標日 still ahead.
    Planned { target: civil::Date },
    /// いいえ and the 目標日 (or the due date) has passed.
    Overdue { since: civil::Date },
    /// はい.
    Done,
    /// 対象外.
    NotApplicable,
}

impl ItemState {
    /// Whether the item counts as complete.
    pub fn is_complete(self) -> bool {
        matches!(self, Self::Done | Self::NotApplicable)
    }

    /// The date by which something must happen, if any.
    pub fn deadline(self) -> Option<civil::Date> {
        match self {
            Self::Unanswered { due } | Self::NeedsRecheck { due } => Some(due),
            Self::Planned { target } => Some(target),
            Self::Overdue { since } => Some(since),
            Self::Done | Self::NotApplicable => None,
        }
    }
}

/// The state of `item` in the assessment of `year`, given its record.
/// An item falls due at the end of its own 年度, or of the assessed year if that is earlier.
pub fn item_state(
    item: &CatalogItem,
    record: Option<&ItemRecord>,
    year: FiscalYear,
    today: civil::Date,
) -> ItemState {
    let due = item.due_date().min(year.last_day());
    let Some(record) = record else {
        return if due < today {
            ItemState::Overdue { since: due }
        } else {
            ItemState::Unanswered { due }
        };
    };
    if record.not_applicable.is_some() {
        return ItemState::NotApplicable;
    }
    if record.needs_recheck {
        return ItemState::NeedsRecheck {
            due: year.last_day(),
        };
    }
    match record.current().map(|c| c.answer) {
        Some(Answer::Yes) => ItemState::Done,
        Some(Answer::No) => {
            let target = record.target.unwrap_or(due);
            if target < today {
                ItemState::Overdue { since: target }
            } else {
                ItemState::Planned { target }
            }
        }
        None if due < today => ItemState::Overdue { since: due },
        None => ItemState::Unanswered { due },
    }
}

/// Completion of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProgress {
    /// The group's number and name.
    pub group: super::catalog::Group,
    /// Items complete (はい or 対象外).
    pub complete: usize,
    /// Items in the group.
    pub total: usize,
}

impl GroupProgress {
    /// Whole percent complete.
    pub fn percent(&self) -> usize {
        (self.complete * 100).checked_div(self.total).unwrap_or(100)
    }
}

/// Completion per group, in form order.
pub fn group_progress<'a>(
    catalog: &Catalog,
    record_of: impl Fn(&str) -> Option<&'a ItemRecord>,
    year: FiscalYear,
    today: civil::Date,
) -> Vec<GroupProgress> {
    catalog
        .groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let items: Vec<&CatalogItem> = catalog
                .items
                .iter()
                .filter(|item| item.group == index)
                .collect();
            GroupProgress {
                group: group.clone(),
                complete: items
                    .iter()
                    .filter(|item| {
                        item_state(item, record_of(&item.key), year, today).is_complete()
                    })
                    .count(),
                total: items.len(),
            }
        })
        .collect()
}

/// The open items ordered by what needs doing first: overdue ones, then by deadline.
pub fn open_items<'c, 'r>(
    catalog: &'c Catalog,
    record_of: impl Fn(&str) -> Option<&'r ItemRecord>,
    year: FiscalYear,
    today: civil::Date,
) -> Vec<(&'c CatalogItem, ItemState)> {
    let mut open: Vec<(&CatalogItem, ItemState)> = catalog
        .items
        .iter()
        .map(|item| (item, item_state(item, record_of(&item.key), year, today)))
        .filter(|(_, state)| !state.is_complete())
        .collect();
    open.sort_by_key(|(_, state)| {
        (
            !matches!(state, ItemState::Overdue { .. }),
            state.deadline(),
        )
    });
    open
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::catalog::{Guidance, Target};

    fn item(vendor_contract_only: bool) -> CatalogItem {
        CatalogItem {
            key: "ledger".into(),
            number: "(1)".into(),
            group: 0,
            target: Some(Target::General),
            text: "台帳".into(),
            due: FiscalYear::new(2026).unwrap(),
            verified: true,
            vendor_contract_only,
            source: None,
            note: None,
            guidance: Guidance {
                meaning: "m".into(),
                for_vendor: None,
                evidence: "e".into(),
                who: "w".into(),
            },
            unchanged: false,
            checked: None,
        }
    }

    fn raw<'a>(first: &'a str, first_date: &'a str, target: &'a str) -> RawItemRecord<'a> {
        RawItemRecord {
            first_answer: first,
            first_date,
            target_date: target,
            ..Default::default()
        }
    }

    const FY: fn() -> FiscalYear = || FiscalYear::new(2026).unwrap();
    const TODAY: civil::Date = civil::date(2026, 11, 25);

    #[test]
    fn no_needs_a_target_inside_the_fiscal_year() {
        let error =
            parse_item_record(&raw("no", "2026-05-01", ""), &item(false), FY(), TODAY).unwrap_err();
        assert_eq!(error.field(), "target_date");
        let error = parse_item_record(
            &raw("no", "2026-05-01", "2027-04-01"),
            &item(false),
            FY(),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(error.field(), "target_date");
        assert!(matches!(error.kind(), ParseErrorKind::Inconsistent(_)));
        let record = parse_item_record(
            &raw("no", "2026-05-01", "2027-03-31"),
            &item(false),
            FY(),
            TODAY,
        )
        .unwrap();
        assert_eq!(record.target, Some(civil::date(2027, 3, 31)));
    }

    #[test]
    fn yes_takes_no_target_and_dates_must_exist_and_not_be_in_the_future() {
        let error = parse_item_record(
            &raw("yes", "2026-05-01", "2026-06-01"),
            &item(false),
            FY(),
            TODAY,
        )
        .unwrap_err();
        assert_eq!(error.field(), "target_date");
        let error = parse_item_record(&raw("yes", "2026-02-30", ""), &item(false), FY(), TODAY)
            .unwrap_err();
        assert_eq!(error.field(), "first_date");
        let error = parse_item_record(&raw("yes", "2026-12-01", ""), &item(false), FY(), TODAY)
            .unwrap_err();
        assert_eq!(error.field(), "first_date");
        let error = parse_item_record(&raw("maybe", "2026-05-01", ""), &item(false), FY(), TODAY)
            .unwrap_err();
        assert_eq!(error.field(), "first_answer");
        assert!(parse_item_record(&raw("yes", "2026/5/1", ""), &item(false), FY(), TODAY).is_ok());
    }

    #[test]
    fn not_applicable_only_where_the_form_allows_it_and_with_a_reason() {
        let na = |reason| RawItemRecord {
            not_applicable: true,
            not_applicable_reason: reason,
            ..Default::default()
        };
        assert_eq!(
            parse_item_record(&na("契約なし"), &item(false), FY(), TODAY)
                .unwrap_err()
                .field(),
            "not_applicable"
        );
        assert_eq!(
            parse_item_record(&na(" "), &item(true), FY(), TODAY)
                .unwrap_err()
                .field(),
            "not_applicable_reason"
        );
        let record =
            parse_item_record(&na("事業者と契約していない"), &item(true), FY(), TODAY).unwrap();
        assert_eq!(
            item_state(&item(true), Some(&record), FY(), TODAY),
            ItemState::NotApplicable
        );
    }

    #[test]
    fn the_second_check_counts_and_overdue_targets_show() {
        let mut record = parse_item_record(
            &raw("no", "2026-05-01", "2026-10-01"),
            &item(false),
            FY(),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            item_state(&item(false), Some(&record), FY(), TODAY),
            ItemState::Overdue {
                since: civil::date(2026, 10, 1)
            }
        );
        record.second = Some(DatedAnswer {
            answer: Answer::Yes,
            date: civil::date(2026, 11, 1),
        });
        assert_eq!(
            item_state(&item(false), Some(&record), FY(), TODAY),
            ItemState::Done
        );
        let carried = record.carried_over();
        assert!(carried.needs_recheck);
        assert_eq!(carried.first.map(|f| f.answer), Some(Answer::Yes));
        assert_eq!(carried.second, None);
        let next = FiscalYear::new(2027).unwrap();
        assert!(matches!(
            item_state(&item(false), Some(&carried), next, TODAY),
            ItemState::NeedsRecheck { .. }
        ));
    }

    #[test]
    fn unanswered_items_fall_due_at_the_end_of_their_year() {
        assert_eq!(
            item_state(&item(false), None, FY(), TODAY),
            ItemState::Unanswered {
                due: civil::date(2027, 3, 31)
            }
        );
        let late = civil::date(2027, 4, 2);
        assert_eq!(
            item_state(&item(false), None, FY(), late),
            ItemState::Overdue {
                since: civil::date(2027, 3, 31)
            }
        );
    }
}
