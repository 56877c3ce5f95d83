//! The 対策会議 (別紙3 §3): when it met, who attended, its four decisions —
//! whether care continues and on what terms (paper records…), whether the
//! data can be recovered, whether information may have leaked, how the damage
//! is kept from spreading — and what staff and patients were told (§3(4)).

use jiff::civil::{Date, DateTime};

use crate::calendar::parse_date_ja;
use crate::error::{multiline_text, required_text};
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

/// The longest answer the form takes.
pub const MAX_DECISION: usize = 1000;

/// One meeting, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    /// When it met.
    pub convened_at: DateTime,
    /// Who attended.
    pub attendees: String,
    /// 診療継続の可否 and its conditions (紙カルテ, 目視での保険証確認…).
    pub care: String,
    /// データ復旧の可否.
    pub recovery: String,
    /// 情報漏洩の可能性.
    pub leak: String,
    /// 被害拡大防止策.
    pub containment: String,
    /// What staff were told.
    pub told_staff: String,
    /// What patients were told.
    pub told_patients: String,
}

/// The meeting form as posted.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawMeeting<'a> {
    pub convened_on: &'a str,
    pub convened_time: &'a str,
    pub attendees: &'a str,
    pub care: &'a str,
    pub recovery: &'a str,
    pub leak: &'a str,
    pub containment: &'a str,
    pub told_staff: &'a str,
    pub told_patients: &'a str,
}

/// Checks a meeting record, naming every wrong field: a day and time not in
/// the future, who attended, and the decision on care (the first thing the
/// meeting decides); the other answers may follow as they are known.
pub fn parse_meeting(raw: RawMeeting<'_>, now: DateTime) -> Result<NewMeeting, Vec<ParseError>> {
    let mut errors = Errors::default();
    let day: Option<Date> = match parse_date_ja("convened_on", raw.convened_on) {
        Ok(Some(day)) => Some(day),
        Ok(None) => Some(now.date()),
        Err(error) => errors.take(Err(error)),
    };
    let time = match raw.convened_time.trim() {
        "" => Some(now.time()),
        text => errors
            .take(super::report::time_of_day("convened_time", text))
            .flatten(),
    };
    let convened_at = match (day, time) {
        (Some(day), Some(time)) if day.to_datetime(time) > now => {
            errors.take(Err(ParseError::new(
                "convened_on",
                ParseErrorKind::Inconsistent("the date cannot be in the future"),
            )))
        }
        (Some(day), Some(time)) => Some(day.to_datetime(time)),
        _ => None,
    };
    let attendees = errors.take(required_text("attendees", raw.attendees, 500));
    let care = match multiline_text("care", raw.care, MAX_DECISION) {
        Ok(text) if text.is_empty() => {
            errors.take(Err(ParseError::new("care", ParseErrorKind::Empty)))
        }
        other => errors.take(other),
    };
    let mut answer = |field, raw| errors.take(multiline_text(field, raw, MAX_DECISION));
    let recovery = answer("recovery", raw.recovery);
    let leak = answer("leak", raw.leak);
    let containment = answer("containment", raw.containment);
    let told_staff = answer("told_staff", raw.told_staff);
    let told_patients = answer("told_patients", raw.told_patients);
    match (
        convened_at,
        attendees,
        care,
        recovery,
        leak,
        containment,
        told_staff,
        told_patients,
    ) {
        (
            Some(convened_at),
            Some(attendees),
            Some(care),
            Some(recovery),
            Some(leak),
            Some(containment),
            Some(told_staff),
            Some(told_patients),
        ) if errors.0.is_empty() => Ok(NewMeeting {
            convened_at,
            attendees,
            care,
            recovery,
            leak,
            containment,
            told_staff,
            told_patients,
        }),
        _ => Err(errors.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn now() -> DateTime {
        date(2026, 12, 7).at(10, 0, 0, 0)
    }

    #[test]
    fn a_meeting_needs_who_attended_and_the_decision_on_care() {
        let meeting = parse_meeting(
            RawMeeting {
                convened_time: "09:30",
                attendees: "院長、事務長、ベンダ",
                care: "紙カルテで外来継続。新患は受けない",
                ..RawMeeting::default()
            },
            now(),
        )
        .expect("valid");
        assert_eq!(meeting.convened_at, date(2026, 12, 7).at(9, 30, 0, 0));
        assert!(meeting.recovery.is_empty(), "later answers may follow");
        let errors = parse_meeting(RawMeeting::default(), now()).expect_err("empty");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, ["attendees", "care"]);
        let future = parse_meeting(
            RawMeeting {
                convened_time: "11:00",
                attendees: "院長",
                care: "継続",
                ..RawMeeting::default()
            },
            now(),
        )
        .expect_err("not yet");
        assert_eq!(future[0].field(), "convened_on");
    }
}
