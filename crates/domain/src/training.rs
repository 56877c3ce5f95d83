//! Training and drills (issue #15; 第3条(2)②: on hiring and about yearly;
//! 参考2 #17 標的型メール訓練; the manuals' drills): a session with its day,
//! kind, content and materials, the members of staff who attended, and for a
//! drill its scenario and what was learned. Per person: the last session and
//! whether they are overdue.

use jiff::civil::Date;

use crate::calendar::parse_date_ja;
use crate::error::{multiline_text, required_text};
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

typed_id!(
    /// A training session or drill.
    TrainingId
);

choice! {
    /// What kind of session.
    pub enum TrainingKind {
        /// 新規採用時の研修 (第3条(2)②b).
        Hiring = ("hiring", "新規採用時研修") => "Training on hiring",
        /// 年1回程度の研修 (医療安全管理のための職員研修 と操作・インシデント対策の学習).
        Yearly = ("yearly", "定期研修") => "Yearly training",
        /// 標的型メール訓練 (参考2 #17).
        Phishing = ("phishing", "標的型メール訓練") => "Phishing drill",
        /// マニュアルに基づくインシデント対応訓練.
        IncidentDrill = ("incident_drill", "インシデント対応訓練") => "Incident response drill",
        /// その他.
        Other = ("other", "その他") => "Other",
    }
}

impl TrainingKind {
    /// A drill records its scenario and what was learned.
    pub fn is_drill(self) -> bool {
        matches!(self, Self::Phishing | Self::IncidentDrill)
    }
}

/// The longest title.
pub const MAX_TITLE: usize = 200;
/// The longest content, materials, scenario or lessons.
pub const MAX_TEXT: usize = 4000;
/// The most attendees one session records.
pub const MAX_ATTENDEES: usize = 2000;
/// A member of staff is overdue this many days after their last session (about yearly).
pub const YEARLY_DAYS: i64 = 365;
/// A new hire is overdue this many days after their 入職日 without a session.
pub const HIRING_GRACE_DAYS: i64 = 30;

/// A session, checked; the attendees are checked against the institution's
/// staff ledger by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTraining {
    pub held_on: Date,
    pub kind: TrainingKind,
    pub title: String,
    pub content: String,
    pub materials: String,
    /// A drill's scenario (empty for other sessions).
    pub scenario: String,
    /// What was learned (a drill's 振り返り).
    pub lessons: String,
    /// Staff ledger ids, each once.
    pub attendees: Vec<i64>,
}

/// The form as posted.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawTraining<'a> {
    pub held_on: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub content: &'a str,
    pub materials: &'a str,
    pub scenario: &'a str,
    pub lessons: &'a str,
}

/// Checks a session: the day (required, not after `today`), the kind, a
/// title, at least one attendee, and for a drill its scenario. Every wrong
/// field is reported.
pub fn parse_training(
    raw: RawTraining<'_>,
    attendees: &[&str],
    today: Date,
) -> Result<NewTraining, Vec<ParseError>> {
    let mut errors = Errors::default();
    let held_on = match parse_date_ja("held_on", raw.held_on) {
        Ok(Some(day)) if day > today => {
            errors.0.push(ParseError::new(
                "held_on",
                ParseErrorKind::Inconsistent("a day in the future"),
            ));
            None
        }
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            errors
                .0
                .push(ParseError::new("held_on", ParseErrorKind::Empty));
            None
        }
        Err(error) => errors.take(Err(error)),
    };
    let kind = errors.take(TrainingKind::parse("kind", raw.kind));
    let title = errors.take(required_text("topic", raw.title, MAX_TITLE));
    let content = errors.take(multiline_text("content", raw.content, MAX_TEXT));
    let materials = errors.take(multiline_text("materials", raw.materials, MAX_TEXT));
    let scenario = errors.take(multiline_text("scenario", raw.scenario, MAX_TEXT));
    let lessons = errors.take(multiline_text("lessons", raw.lessons, MAX_TEXT));
    if kind.is_some_and(TrainingKind::is_drill) && scenario.as_deref().is_some_and(str::is_empty) {
        errors
            .0
            .push(ParseError::new("scenario", ParseErrorKind::Empty));
    }
    let mut ids: Vec<i64> = Vec::new();
    for raw in attendees {
        match raw.trim().parse::<i64>() {
            Ok(id) if id > 0 => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            _ => {
                errors
                    .0
                    .push(ParseError::new("attendees", ParseErrorKind::UnknownChoice));
                break;
            }
        }
    }
    if ids.is_empty() && errors.0.iter().all(|e| e.field() != "attendees") {
        errors
            .0
            .push(ParseError::new("attendees", ParseErrorKind::Empty));
    }
    if ids.len() > MAX_ATTENDEES {
        errors.0.push(ParseError::new(
            "attendees",
            ParseErrorKind::TooLong { max: MAX_ATTENDEES },
        ));
    }
    match (held_on, kind, title, content, materials, scenario, lessons) {
        (
            Some(held_on),
            Some(kind),
            Some(title),
            Some(content),
            Some(materials),
            Some(scenario),
            Some(lessons),
        ) if errors.0.is_empty() => Ok(NewTraining {
            held_on,
            kind,
            title,
            content,
            materials,
            scenario,
            lessons,
            attendees: ids,
        }),
        _ => Err(errors.0),
    }
}

/// Where a member of staff stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Trained within the year (or a new hire still inside the grace days).
    Current,
    /// Joined more than [`HIRING_GRACE_DAYS`] ago and never trained since.
    NoHiringTraining,
    /// The last session is more than [`YEARLY_DAYS`] old.
    YearlyOverdue,
}

/// Whether someone who joined on `joined_on` (if known) and last attended on
/// `last` is overdue on `today`.
pub fn standing(joined_on: Option<Date>, last: Option<Date>, today: Date) -> Standing {
    let days = |from: Date| {
        from.until((jiff::Unit::Day, today))
            .map_or(0, |span| i64::from(span.get_days()))
    };
    match (last, joined_on) {
        (Some(last), Some(joined)) if last < joined && days(joined) > HIRING_GRACE_DAYS => {
            Standing::NoHiringTraining
        }
        (Some(last), _) if days(last) > YEARLY_DAYS => Standing::YearlyOverdue,
        (Some(_), _) => Standing::Current,
        (None, Some(joined)) if days(joined) <= HIRING_GRACE_DAYS => Standing::Current,
        (None, _) => Standing::NoHiringTraining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn raw<'a>(kind: &'a str, scenario: &'a str) -> RawTraining<'a> {
        RawTraining {
            held_on: "2026-11-20",
            kind,
            title: "標的型メール訓練（11月）",
            content: "",
            materials: "",
            scenario,
            lessons: "",
        }
    }

    #[test]
    fn a_session_is_checked_field_by_field() {
        let today = date(2026, 12, 3);
        let good = parse_training(
            raw("phishing", "請求書を装うメール"),
            &["3", "4", "3"],
            today,
        )
        .expect("good");
        assert_eq!(good.attendees, vec![3, 4]);
        assert!(good.kind.is_drill());
        let fields = |result: Result<NewTraining, Vec<ParseError>>| {
            result
                .expect_err("bad")
                .iter()
                .map(|e| e.field())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(parse_training(raw("phishing", ""), &["3"], today)),
            ["scenario"],
            "a drill needs its scenario"
        );
        assert_eq!(
            fields(parse_training(raw("yearly", ""), &[], today)),
            ["attendees"]
        );
        assert_eq!(
            fields(parse_training(raw("yearly", ""), &["x"], today)),
            ["attendees"]
        );
        let future = RawTraining {
            held_on: "2027-01-01",
            kind: "nope",
            title: " ",
            ..raw("yearly", "")
        };
        assert_eq!(
            fields(parse_training(future, &["1"], today)),
            ["held_on", "kind", "topic"]
        );
    }

    #[test]
    fn staff_are_overdue_without_training_on_hiring_or_within_the_year() {
        let today = date(2026, 12, 3);
        // A new hire has 30 days.
        assert_eq!(
            standing(Some(date(2026, 11, 20)), None, today),
            Standing::Current
        );
        assert_eq!(
            standing(Some(date(2026, 10, 1)), None, today),
            Standing::NoHiringTraining
        );
        assert_eq!(standing(None, None, today), Standing::NoHiringTraining);
        // Trained before joining (another job) does not count.
        assert_eq!(
            standing(Some(date(2026, 6, 1)), Some(date(2026, 4, 1)), today),
            Standing::NoHiringTraining
        );
        assert_eq!(
            standing(Some(date(2020, 4, 1)), Some(date(2025, 12, 4)), today),
            Standing::Current
        );
        assert_eq!(
            standing(Some(date(2020, 4, 1)), Some(date(2025, 12, 2)), today),
            Standing::YearlyOverdue
        );
        // 2024 is a leap year: 366 days from 2024-02-28 is overdue.
        assert_eq!(
            standing(None, Some(date(2024, 2, 28)), date(2025, 2, 28)),
            Standing::YearlyOverdue
        );
    }
}
