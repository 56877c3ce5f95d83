//! Remote maintenance sessions (リモートメンテナンス, 第4条 and 【別紙1】,
//! issue #15): for a device the ledger marks as remotely maintained, a vendor's
//! session is requested, approved (or rejected) by the 企画管理者 beforehand,
//! carried out (when, by whom), and closed with the vendor's work report
//! (作業報告) and, when there is one, its log file. A session carried out but
//! without its report is flagged until the report is in.

use jiff::civil::{Date, DateTime, Time};

use crate::calendar::parse_date_ja;
use crate::error::{multiline_text, optional_text, required_text};
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

typed_id!(
    /// A remote maintenance session.
    MaintenanceId
);

choice! {
    /// Where a session stands.
    pub enum MaintenanceStatus {
        /// 申請中: waiting for the 企画管理者.
        Requested = ("requested", "申請中") => "Requested",
        /// 承認済み: may be carried out.
        Approved = ("approved", "承認済み") => "Approved",
        /// 却下.
        Rejected = ("rejected", "却下") => "Rejected",
        /// 実施済み・報告待ち.
        Done = ("done", "実施済み（報告待ち）") => "Done, report awaited",
        /// 報告受領: closed.
        Reported = ("reported", "報告受領") => "Report received",
    }
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceStep {
    Approve,
    Reject,
    /// Carried out.
    Done,
    /// The report is in.
    Report,
}

impl MaintenanceStep {
    /// The step a form's button names.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            "done" => Some(Self::Done),
            "report" => Some(Self::Report),
            _ => None,
        }
    }

    /// Its code (audit details, forms).
    pub fn code(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Done => "done",
            Self::Report => "report",
        }
    }

    /// Whether the 企画管理者 takes it (approval); the others are recorded by
    /// those who keep the ledger.
    pub fn is_decision(self) -> bool {
        matches!(self, Self::Approve | Self::Reject)
    }

    /// The status the step needs and the one it leads to.
    pub fn transition(self) -> (MaintenanceStatus, MaintenanceStatus) {
        use MaintenanceStatus as S;
        match self {
            Self::Approve => (S::Requested, S::Approved),
            Self::Reject => (S::Requested, S::Rejected),
            Self::Done => (S::Approved, S::Done),
            Self::Report => (S::Done, S::Reported),
        }
    }
}

/// The longest purpose, note or report.
pub const MAX_TEXT: usize = 4000;

/// A request, checked; the device is found by 管理番号 by the store, which
/// also checks that the ledger marks it as remotely maintained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMaintenance {
    pub asset_number: String,
    /// The vendor (empty: the one the ledger names for the device).
    pub vendor: String,
    pub planned_on: Date,
    pub purpose: String,
}

/// Checks a request: the device, the day (required; a past day is allowed,
/// for a session recorded afterwards) and the purpose.
pub fn parse_request(
    asset_number: &str,
    vendor: &str,
    planned_on: &str,
    purpose: &str,
) -> Result<NewMaintenance, Vec<ParseError>> {
    let mut errors = Errors::default();
    let asset_number = errors.take(required_text("asset_number", asset_number, 50));
    let vendor = errors.take(optional_text("remote_vendor", vendor, 100));
    let planned_on = match parse_date_ja("planned_on", planned_on) {
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            errors
                .0
                .push(ParseError::new("planned_on", ParseErrorKind::Empty));
            None
        }
        Err(error) => errors.take(Err(error)),
    };
    let purpose = match multiline_text("purpose", purpose, MAX_TEXT) {
        Ok(text) if text.is_empty() => {
            errors
                .0
                .push(ParseError::new("purpose", ParseErrorKind::Empty));
            None
        }
        other => errors.take(other),
    };
    match (asset_number, vendor, planned_on, purpose) {
        (Some(asset_number), Some(vendor), Some(planned_on), Some(purpose))
            if errors.0.is_empty() =>
        {
            Ok(NewMaintenance {
                asset_number,
                vendor,
                planned_on,
                purpose,
            })
        }
        _ => Err(errors.0),
    }
}

/// When a session was carried out and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub started: DateTime,
    pub ended: DateTime,
    /// The vendor's engineer.
    pub operator: String,
}

fn time(field: &'static str, raw: &str) -> Result<Time, ParseError> {
    Time::strptime("%H:%M", raw.trim())
        .map_err(|_| ParseError::new(field, ParseErrorKind::BadFormat("HH:MM")))
}

/// Checks the record of a session carried out on `day` from `start` to `end`
/// (the end not before the start, nothing after `now`).
pub fn parse_carried(
    day: &str,
    start: &str,
    end: &str,
    operator: &str,
    now: DateTime,
) -> Result<Carried, Vec<ParseError>> {
    let mut errors = Errors::default();
    let day = match parse_date_ja("done_on", day) {
        Ok(Some(day)) => Some(day),
        Ok(None) => {
            errors
                .0
                .push(ParseError::new("done_on", ParseErrorKind::Empty));
            None
        }
        Err(error) => errors.take(Err(error)),
    };
    let start = errors.take(time("start_time", start));
    let end = errors.take(time("end_time", end));
    let operator = errors.take(required_text("operator", operator, 100));
    if let (Some(day), Some(start), Some(end)) = (day, start, end) {
        if end < start {
            errors.0.push(ParseError::new(
                "end_time",
                ParseErrorKind::Inconsistent("an end before the start"),
            ));
        }
        if day.to_datetime(end) > now {
            errors.0.push(ParseError::new(
                "done_on",
                ParseErrorKind::Inconsistent("a time in the future"),
            ));
        }
    }
    match (day, start, end, operator) {
        (Some(day), Some(start), Some(end), Some(operator)) if errors.0.is_empty() => Ok(Carried {
            started: day.to_datetime(start),
            ended: day.to_datetime(end),
            operator,
        }),
        _ => Err(errors.0),
    }
}

/// Checks the vendor's work report (required).
pub fn parse_report(raw: &str) -> Result<String, ParseError> {
    let text = multiline_text("report", raw, MAX_TEXT)?;
    if text.is_empty() {
        return Err(ParseError::new("report", ParseErrorKind::Empty));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_workflow_goes_request_approval_work_report() {
        use MaintenanceStatus as S;
        assert_eq!(
            MaintenanceStep::Approve.transition(),
            (S::Requested, S::Approved)
        );
        assert_eq!(
            MaintenanceStep::Reject.transition(),
            (S::Requested, S::Rejected)
        );
        assert_eq!(MaintenanceStep::Done.transition(), (S::Approved, S::Done));
        assert_eq!(MaintenanceStep::Report.transition(), (S::Done, S::Reported));
        assert!(MaintenanceStep::Approve.is_decision());
        assert!(!MaintenanceStep::Report.is_decision());
        assert_eq!(MaintenanceStep::from_code("nope"), None);
    }

    #[test]
    fn requests_and_records_are_checked_field_by_field() {
        let good = parse_request("SV-01", "", "2026-12-10", "OSの更新").expect("good");
        assert_eq!(good.planned_on, date(2026, 12, 10));
        let fields = |errors: Vec<ParseError>| errors.iter().map(|e| e.field()).collect::<Vec<_>>();
        assert_eq!(
            fields(parse_request(" ", "", "x", "  ").expect_err("bad")),
            ["asset_number", "planned_on", "purpose"]
        );
        let now = date(2026, 12, 3).at(12, 0, 0, 0);
        let done = parse_carried("2026-12-03", "09:00", "10:30", "保守 一郎", now).expect("done");
        assert_eq!(done.ended, date(2026, 12, 3).at(10, 30, 0, 0));
        assert_eq!(
            fields(parse_carried("2026-12-03", "10:00", "09:00", "x", now).expect_err("order")),
            ["end_time"]
        );
        assert_eq!(
            fields(parse_carried("2026-12-03", "11:00", "13:00", "x", now).expect_err("future")),
            ["done_on"]
        );
        assert_eq!(
            fields(parse_carried("", "9", "", "", now).expect_err("empty")),
            ["done_on", "start_time", "end_time", "operator"]
        );
        assert!(parse_report("  ").is_err());
        assert_eq!(parse_report(" 更新完了 ").as_deref(), Ok("更新完了"));
    }
}
