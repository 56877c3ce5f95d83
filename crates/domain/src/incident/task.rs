//! 再発防止策 (manual II-10, IV-3): what the institution will do so that the
//! incident does not happen again, as tasks with an owner and a due day. A
//! task stays on the dashboard until it is done; done is recorded on the
//! incident's timeline with who and when.

use jiff::civil::Date;

use crate::calendar::parse_date_ja;
use crate::error::required_text;
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

typed_id!(
    /// A 再発防止策 task of an incident.
    TaskId
);

/// The longest task title.
pub const MAX_TASK: usize = 200;

/// A task, checked; the owner is checked against the institution's people by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    /// The person responsible (a user id of the institution).
    pub owner: i64,
    pub due_on: Date,
}

/// Checks a task: what (required), who (a person picked from the list), and
/// by when (required, not before `today`).
pub fn parse_task(
    title: &str,
    owner: &str,
    due_on: &str,
    today: Date,
) -> Result<NewTask, Vec<ParseError>> {
    let mut errors = Errors::default();
    let title = errors.take(required_text("task", title, MAX_TASK));
    let owner = errors.take(
        owner
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(ParseError::new("owner", ParseErrorKind::UnknownChoice)),
    );
    let due_on = match parse_date_ja("due_on", due_on) {
        Ok(Some(day)) if day < today => {
            errors.0.push(ParseError::new(
                "due_on",
                ParseErrorKind::Inconsistent("a day in the past"),
            ));
            None
        }
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            errors
                .0
                .push(ParseError::new("due_on", ParseErrorKind::Empty));
            None
        }
        Err(error) => errors.take(Err(error)),
    };
    match (title, owner, due_on) {
        (Some(title), Some(owner), Some(due_on)) if errors.0.is_empty() => Ok(NewTask {
            title,
            owner,
            due_on,
        }),
        _ => Err(errors.0),
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_task_needs_what_who_and_a_day_not_in_the_past() {
        let today = date(2026, 12, 6);
        let task =
            parse_task("VPN機器のファームウェア更新", "3", "2026-12-20", today).expect("valid");
        assert_eq!(task.owner, 3);
        assert_eq!(task.due_on, date(2026, 12, 20));
        assert!(parse_task("今日中に", "3", "2026-12-06", today).is_ok());
        let errors = parse_task(" ", "x", "2026-12-05", today).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["task", "owner", "due_on"]);
        let errors = parse_task("更新", "3", "", today).expect_err("no day");
        assert_eq!(errors[0].field(), "due_on");
    }
}
