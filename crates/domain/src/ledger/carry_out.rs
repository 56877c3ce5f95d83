//! Carry-out (持ち出し, policy 第13条(1)): taking medical information or a
//! device out of the institution is forbidden unless the 企画管理者 allows it
//! beforehand, with the dates out and back. A request goes
//! 申請 → 承認 (or 却下) → 持ち出し中 → 返却, and is 期限超過 while out past its
//! expected return.

use jiff::civil;

use super::device::Errors;
use crate::calendar::parse_date_ja;
use crate::error::{optional_text, required_text};
use crate::{ParseError, ParseErrorKind};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CarryOutStatus {
    /// 申請中: waiting for the 企画管理者.
    Requested,
    /// 承認済み: may be taken out.
    Approved,
    /// 却下.
    Rejected,
    /// 持ち出し中.
    Taken,
    /// 返却済み.
    Returned,
}

impl CarryOutStatus {
    /// Every status, in workflow order.
    pub const ALL: [Self; 5] = [
        Self::Requested,
        Self::Approved,
        Self::Rejected,
        Self::Taken,
        Self::Returned,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Taken => "taken",
            Self::Returned => "returned",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    /// The Japanese name.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Requested => "申請中",
            Self::Approved => "承認済み",
            Self::Rejected => "却下",
            Self::Taken => "持ち出し中",
            Self::Returned => "返却済み",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Taken => "Taken out",
            Self::Returned => "Returned",
        }
    }

    /// Whether the request is finished (nothing more can happen to it).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Rejected | Self::Returned)
    }
}

/// A step in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarryOutAction {
    /// The 企画管理者 allows it, having confirmed the encryption.
    Approve,
    /// The 企画管理者 refuses it.
    Reject,
    /// It leaves the institution.
    Take,
    /// It is back.
    Return,
}

impl CarryOutAction {
    /// Reads the action of a form button.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            "take" => Some(Self::Take),
            "return" => Some(Self::Return),
            _ => None,
        }
    }

    /// The stored (audit) code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Take => "take",
            Self::Return => "return",
        }
    }
}

/// Why a step is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CarryOutRefusal {
    /// The step does not follow from the current status.
    #[error("this step does not follow from the request's status")]
    WrongStatus,
    /// Only the 企画管理者 (or the 安全管理責任者) approves or rejects.
    #[error("only the planning manager may approve or reject")]
    NotApprover,
    /// Nobody approves their own request.
    #[error("nobody may approve their own request")]
    OwnRequest,
    /// Only the requester or an approver records taking out and return.
    #[error("only the requester or an approver records this")]
    NotInvolved,
    /// Approval needs the encryption confirmed.
    #[error("confirm that the data or device is encrypted before approving")]
    EncryptionNotConfirmed,
}

/// Who is acting on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// Whether they may approve (企画管理者, 安全管理責任者).
    pub approver: bool,
    /// Whether they made the request.
    pub requester: bool,
}

/// The status after `action`, or why it is refused.
pub fn next_status(
    status: CarryOutStatus,
    action: CarryOutAction,
    actor: Actor,
    encryption_confirmed: bool,
) -> Result<CarryOutStatus, CarryOutRefusal> {
    use CarryOutAction as A;
    use CarryOutStatus as S;
    match (status, action) {
        (S::Requested, A::Approve | A::Reject) => {
            if !actor.approver {
                Err(CarryOutRefusal::NotApprover)
            } else if actor.requester {
                Err(CarryOutRefusal::OwnRequest)
            } else if action == A::Approve && !encryption_confirmed {
                Err(CarryOutRefusal::EncryptionNotConfirmed)
            } else if action == A::Approve {
                Ok(S::Approved)
            } else {
                Ok(S::Rejected)
            }
        }
        (S::Approved, A::Take) | (S::Taken, A::Return) => {
            if actor.requester || actor.approver {
                Ok(if action == A::Take {
                    S::Taken
                } else {
                    S::Returned
                })
            } else {
                Err(CarryOutRefusal::NotInvolved)
            }
        }
        _ => Err(CarryOutRefusal::WrongStatus),
    }
}

/// Whether a request is past its expected return: out (or approved to go) and
/// the date has passed.
pub fn is_overdue(
    status: CarryOutStatus,
    expected_return: civil::Date,
    today: civil::Date,
) -> bool {
    matches!(status, CarryOutStatus::Taken | CarryOutStatus::Approved) && expected_return < today
}

/// A new carry-out request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCarryOut {
    /// 持ち出す情報・機器: what is taken out.
    pub what: String,
    /// The ledger device, if a device goes (its 管理番号).
    pub asset_number: Option<String>,
    /// 目的.
    pub purpose: String,
    /// 持ち出し先.
    pub destination: String,
    /// 持ち出し日.
    pub out_on: civil::Date,
    /// 返却予定日.
    pub return_by: civil::Date,
    /// The requester states the data or device is encrypted (暗号化).
    pub encrypted: bool,
}

/// The request form as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCarryOut<'a> {
    pub what: &'a str,
    pub asset_number: &'a str,
    pub purpose: &'a str,
    pub destination: &'a str,
    pub out_on: &'a str,
    pub return_by: &'a str,
    pub encrypted: bool,
}

/// The longest carry-out one request may cover.
pub const MAX_CARRY_OUT_DAYS: i32 = 90;

/// Parses a request; every wrong field is reported. The day out is today or
/// later, the return on or after it and within [`MAX_CARRY_OUT_DAYS`].
pub fn parse_carry_out(
    raw: &RawCarryOut<'_>,
    today: civil::Date,
) -> Result<NewCarryOut, Vec<ParseError>> {
    let mut errors = Errors::default();
    let what = errors.take(required_text("what", raw.what, 200));
    let asset_number = errors.take(optional_text("asset_number", raw.asset_number, 32));
    let purpose = errors.take(required_text("purpose", raw.purpose, 200));
    let destination = errors.take(optional_text("destination", raw.destination, 200));
    let date = |field: &'static str, raw: &str| match parse_date_ja(field, raw) {
        Ok(Some(date)) => Ok(date),
        Ok(None) => Err(ParseError::new(field, ParseErrorKind::Empty)),
        Err(error) => Err(error),
    };
    let out_on = errors.take(date("out_on", raw.out_on).and_then(|day| {
        if day < today {
            Err(ParseError::new(
                "out_on",
                ParseErrorKind::Inconsistent(
                    "ask before taking out: the day cannot be in the past",
                ),
            ))
        } else {
            Ok(day)
        }
    }));
    let return_by = errors.take(date("return_by", raw.return_by));
    if let (Some(out_on), Some(return_by)) = (out_on, return_by) {
        let too_long = out_on
            .checked_add(jiff::Span::new().days(i64::from(MAX_CARRY_OUT_DAYS)))
            .is_ok_and(|limit| return_by > limit);
        if return_by < out_on {
            errors.take(Err::<(), _>(ParseError::new(
                "return_by",
                ParseErrorKind::Inconsistent("the return cannot be before the day out"),
            )));
        } else if too_long {
            errors.take(Err::<(), _>(ParseError::new(
                "return_by",
                ParseErrorKind::Inconsistent("a carry-out lasts at most 90 days"),
            )));
        }
    }
    match (what, asset_number, purpose, destination, out_on, return_by) {
        (
            Some(what),
            Some(asset_number),
            Some(purpose),
            Some(destination),
            Some(out_on),
            Some(return_by),
        ) if errors.0.is_empty() => Ok(NewCarryOut {
            what,
            asset_number: (!asset_number.is_empty()).then_some(asset_number),
            purpose,
            destination,
            out_on,
            return_by,
            encrypted: raw.encrypted,
        }),
        _ => Err(errors.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUESTER: Actor = Actor {
        approver: false,
        requester: true,
    };
    const PLANNING_MANAGER: Actor = Actor {
        approver: true,
        requester: false,
    };
    const SOMEONE_ELSE: Actor = Actor {
        approver: false,
        requester: false,
    };

    #[test]
    fn the_workflow_goes_request_approve_take_return() {
        use CarryOutAction as A;
        use CarryOutStatus as S;
        let approved = next_status(S::Requested, A::Approve, PLANNING_MANAGER, true);
        assert_eq!(approved, Ok(S::Approved));
        assert_eq!(
            next_status(S::Approved, A::Take, REQUESTER, true),
            Ok(S::Taken)
        );
        assert_eq!(
            next_status(S::Taken, A::Return, REQUESTER, true),
            Ok(S::Returned)
        );
        assert_eq!(
            next_status(S::Requested, A::Reject, PLANNING_MANAGER, false),
            Ok(S::Rejected)
        );
    }

    #[test]
    fn steps_out_of_order_or_by_the_wrong_person_are_refused() {
        use CarryOutAction as A;
        use CarryOutStatus as S;
        assert_eq!(
            next_status(S::Requested, A::Approve, REQUESTER, true),
            Err(CarryOutRefusal::NotApprover)
        );
        let own = Actor {
            approver: true,
            requester: true,
        };
        assert_eq!(
            next_status(S::Requested, A::Approve, own, true),
            Err(CarryOutRefusal::OwnRequest)
        );
        assert_eq!(
            next_status(S::Requested, A::Approve, PLANNING_MANAGER, false),
            Err(CarryOutRefusal::EncryptionNotConfirmed)
        );
        assert_eq!(
            next_status(S::Requested, A::Take, REQUESTER, true),
            Err(CarryOutRefusal::WrongStatus)
        );
        assert_eq!(
            next_status(S::Approved, A::Take, SOMEONE_ELSE, true),
            Err(CarryOutRefusal::NotInvolved)
        );
        for closed in [S::Rejected, S::Returned] {
            for action in [A::Approve, A::Reject, A::Take, A::Return] {
                assert_eq!(
                    next_status(closed, action, PLANNING_MANAGER, true),
                    Err(CarryOutRefusal::WrongStatus)
                );
            }
        }
    }

    #[test]
    fn a_request_is_overdue_only_while_out_past_its_return() {
        let today = civil::date(2026, 11, 25);
        let yesterday = civil::date(2026, 11, 24);
        assert!(is_overdue(CarryOutStatus::Taken, yesterday, today));
        assert!(!is_overdue(CarryOutStatus::Taken, today, today));
        assert!(!is_overdue(CarryOutStatus::Returned, yesterday, today));
        assert!(!is_overdue(CarryOutStatus::Requested, yesterday, today));
    }

    #[test]
    fn a_request_needs_what_why_and_sensible_dates() {
        let today = civil::date(2026, 11, 25);
        let ok = parse_carry_out(
            &RawCarryOut {
                what: "ノートPC（PC-005）と紹介状データ",
                asset_number: "PC-005",
                purpose: "在宅訪問診療",
                out_on: "2026-11-25",
                return_by: "令和8年11月26日",
                encrypted: true,
                ..RawCarryOut::default()
            },
            today,
        )
        .expect("valid");
        assert_eq!(ok.asset_number.as_deref(), Some("PC-005"));
        assert_eq!(ok.return_by, civil::date(2026, 11, 26));
        let errors = parse_carry_out(
            &RawCarryOut {
                out_on: "2026-11-24",
                return_by: "2026-11-20",
                ..RawCarryOut::default()
            },
            today,
        )
        .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["what", "purpose", "out_on"]);
        let long = parse_carry_out(
            &RawCarryOut {
                what: "USBメモリ",
                purpose: "学会",
                out_on: "2026-11-25",
                return_by: "2027-06-01",
                ..RawCarryOut::default()
            },
            today,
        )
        .expect_err("refused");
        assert_eq!(long[0].field(), "return_by");
    }
}
