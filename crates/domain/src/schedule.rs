//! One schedule of everything that comes due (issue #15, item 6): the monthly
//! check day, the yearly reviews (policy, contact chart, network diagram,
//! account inventory, BCP), checklist 目標日, certificate and contract expiry,
//! carry-outs out past their return, restore tests, acknowledgements and
//! training. The facts come from the records; this module only turns them
//! into dated lines, the overdue first-class (kept however old).

use jiff::ToSpan;
use jiff::civil::Date;

choice! {
    /// What comes due.
    pub enum DueKind {
        /// 毎月のサイバーセキュリティチェック (第4条(1)②).
        MonthlyCheck = ("monthly_check", "毎月のサイバーセキュリティチェック") => "Monthly security check",
        /// 安全管理方針の年1回の見直し (第16条).
        PolicyReview = ("policy_review", "安全管理方針の見直し") => "Security policy review",
        /// 連絡体制図の年1回の確認.
        ContactChart = ("contact_chart", "連絡体制図の確認") => "Contact chart check",
        /// ネットワーク構成図の見直し (第4条(1)①).
        NetworkDiagram = ("network_diagram", "ネットワーク構成図の見直し") => "Network diagram review",
        /// アカウントの棚卸.
        AccountInventory = ("account_inventory", "アカウントの棚卸") => "Account inventory",
        /// BCPの見直し.
        BcpReview = ("bcp_review", "BCPの見直し") => "BCP review",
        /// チェックリストの期限・目標日.
        Checklist = ("checklist", "チェックリストの期限・目標日") => "Checklist date",
        /// 事業者の認証の有効期限.
        Certificate = ("certificate", "事業者の認証の有効期限") => "Vendor certificate expiry",
        /// 委託契約の期限.
        Contract = ("contract", "委託契約の期限") => "Contract expiry",
        /// 持ち出しの返却予定日.
        CarryOut = ("carry_out", "持ち出しの返却予定日") => "Carry-out return",
        /// 復旧テスト.
        RestoreTest = ("restore_test", "復旧テスト") => "Restore test",
        /// 職員の確認（別紙2）.
        Acknowledgement = ("acknowledgement", "安全管理方針の確認（職員）") => "Staff acknowledgement",
        /// 研修.
        Training = ("training", "研修") => "Training",
    }
}

/// One line of the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The day it comes due.
    pub on: Date,
    pub kind: DueKind,
    /// What or whom it is about (a system, a vendor, a person); may be empty.
    pub subject: String,
    /// The page where it is done.
    pub href: String,
    /// The day has passed.
    pub overdue: bool,
}

/// A yearly review: when it was last done (never: due now), and its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yearly {
    pub kind: DueKind,
    pub last: Option<Date>,
    pub href: String,
}

/// What the records say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduleFacts {
    /// The monthly check day (1–28), when the policy names one.
    pub check_day: Option<u8>,
    /// The month of the policy's yearly review (1–12), when named.
    pub review_month: Option<u8>,
    /// The yearly reviews, each a year after the last.
    pub yearly: Vec<Yearly>,
    /// Lines with their own day (checklist dates, expiries, returns, tests,
    /// acknowledgements, training): (day, kind, subject, page).
    pub dated: Vec<(Date, DueKind, String, String)>,
}

/// The schedule from `today` until `until` (inclusive), overdue lines
/// included however old, in day order.
pub fn schedule(facts: &ScheduleFacts, today: Date, until: Date) -> Vec<Due> {
    let mut lines: Vec<Due> = Vec::new();
    let mut push = |on: Date, kind: DueKind, subject: String, href: String| {
        if on <= until {
            lines.push(Due {
                on,
                kind,
                subject,
                href,
                overdue: on < today,
            });
        }
    };
    if let Some(day) = facts.check_day.filter(|d| (1..=28).contains(d)) {
        let mut month = today.first_of_month();
        while month <= until {
            if let Ok(on) = Date::new(month.year(), month.month(), day as i8)
                && on >= today
            {
                push(
                    on,
                    DueKind::MonthlyCheck,
                    String::new(),
                    "/checklist".to_owned(),
                );
            }
            match month.checked_add(1.month()) {
                Ok(next) => month = next,
                Err(_) => break,
            }
        }
    }
    if let Some(month) = facts.review_month.filter(|m| (1..=12).contains(m)) {
        let this_year = Date::new(today.year(), month as i8, 1).ok();
        let next = match this_year {
            Some(on) if on >= today.first_of_month() => Some(on),
            _ => Date::new(today.year() + 1, month as i8, 1).ok(),
        };
        if let Some(on) = next {
            push(
                on,
                DueKind::PolicyReview,
                String::new(),
                "/policy/draft".to_owned(),
            );
        }
    }
    for yearly in &facts.yearly {
        // Adding a year to 2/29 clamps to 2/28, as a civil date does.
        let on = match yearly.last {
            Some(last) => last.checked_add(1.year()).unwrap_or(Date::MAX),
            None => today,
        };
        push(on, yearly.kind, String::new(), yearly.href.clone());
    }
    for (on, kind, subject, href) in &facts.dated {
        push(*on, *kind, subject.clone(), href.clone());
    }
    lines.sort_by_key(|line| (line.on, line.kind));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_monthly_check_falls_each_month_from_today() {
        let facts = ScheduleFacts {
            check_day: Some(15),
            ..ScheduleFacts::default()
        };
        let days: Vec<Date> = schedule(&facts, date(2026, 12, 16), date(2027, 3, 31))
            .iter()
            .map(|d| d.on)
            .collect();
        assert_eq!(
            days,
            [date(2027, 1, 15), date(2027, 2, 15), date(2027, 3, 15)],
            "December's has passed; the year turns"
        );
    }

    #[test]
    fn yearly_reviews_come_a_year_after_the_last_and_never_done_is_due_now() {
        let today = date(2026, 12, 3);
        let facts = ScheduleFacts {
            yearly: vec![
                Yearly {
                    kind: DueKind::NetworkDiagram,
                    last: Some(date(2024, 2, 29)),
                    href: "/ledger/network".into(),
                },
                Yearly {
                    kind: DueKind::BcpReview,
                    last: None,
                    href: "/bcp/draft".into(),
                },
                Yearly {
                    kind: DueKind::ContactChart,
                    last: Some(date(2026, 6, 1)),
                    href: "/contacts".into(),
                },
            ],
            review_month: Some(4),
            ..ScheduleFacts::default()
        };
        let lines = schedule(&facts, today, date(2027, 12, 31));
        let got: Vec<(Date, DueKind, bool)> =
            lines.iter().map(|d| (d.on, d.kind, d.overdue)).collect();
        assert_eq!(
            got,
            [
                (date(2025, 2, 28), DueKind::NetworkDiagram, true),
                (date(2026, 12, 3), DueKind::BcpReview, false),
                (date(2027, 4, 1), DueKind::PolicyReview, false),
                (date(2027, 6, 1), DueKind::ContactChart, false),
            ]
        );
        // Beyond the horizon is left out; overdue is kept however old.
        let short = schedule(&facts, today, date(2027, 1, 31));
        assert_eq!(short.len(), 2);
    }

    #[test]
    fn dated_lines_keep_their_day_subject_and_page() {
        let facts = ScheduleFacts {
            dated: vec![
                (
                    date(2027, 1, 31),
                    DueKind::Certificate,
                    "阿波メディカル ISMS".into(),
                    "/vendors/3".into(),
                ),
                (
                    date(2026, 11, 30),
                    DueKind::CarryOut,
                    "PC-07".into(),
                    "/carry-outs/9".into(),
                ),
            ],
            check_day: Some(31),
            ..ScheduleFacts::default()
        };
        let lines = schedule(&facts, date(2026, 12, 3), date(2027, 3, 31));
        assert_eq!(lines.len(), 2, "a check day above 28 is not a day");
        assert_eq!(lines[0].kind, DueKind::CarryOut);
        assert!(lines[0].overdue);
        assert_eq!(lines[1].subject, "阿波メディカル ISMS");
        assert!(!lines[1].overdue);
    }
}
