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

/// Text for an iCalendar value: backslash, semicolon, comma and new lines escaped.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line folded at 75 octets (RFC 5545 §3.1), never inside a
/// character, each piece ended by CRLF.
fn ics_line(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// The schedule as an iCalendar feed (RFC 5545): one all-day event per line,
/// named `name`, stamped `now` (UTC, `YYYYMMDDTHHMMSSZ`), each with a stable
/// UID so a calendar updates rather than duplicates it.
pub fn to_ics(name: &str, lines: &[Due], now: &str) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//mamori//schedule//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ics_line(&mut out, line);
    }
    ics_line(&mut out, &format!("X-WR-CALNAME:{}", ics_text(name)));
    for due in lines {
        let day = due.on.strftime("%Y%m%d").to_string();
        let next = due
            .on
            .checked_add(1.day())
            .map(|d| d.strftime("%Y%m%d").to_string())
            .unwrap_or_else(|_| day.clone());
        let uid: String = format!("{}-{}", due.kind.code(), due.href)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let summary = if due.subject.is_empty() {
            due.kind.name_ja().to_owned()
        } else {
            format!("{}（{}）", due.kind.name_ja(), due.subject)
        };
        ics_line(&mut out, "BEGIN:VEVENT");
        ics_line(&mut out, &format!("UID:{uid}-{day}@mamori"));
        ics_line(&mut out, &format!("DTSTAMP:{now}"));
        ics_line(&mut out, &format!("DTSTART;VALUE=DATE:{day}"));
        ics_line(&mut out, &format!("DTEND;VALUE=DATE:{next}"));
        ics_line(&mut out, &format!("SUMMARY:{}", ics_text(&summary)));
        ics_line(&mut out, "END:VEVENT");
    }
    ics_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_feed_is_icalendar_with_escaped_folded_lines() {
        let lines = [Due {
            on: date(2026, 12, 31),
            kind: DueKind::Certificate,
            subject: "阿波メディカル, ISMS; 本社\\支社の認証とその他の長い説明をここに書いておく"
                .into(),
            href: "/vendors".into(),
            overdue: false,
        }];
        let ics = to_ics("mamori 予定", &lines, "20261203T000000Z");
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20261231\r\n"));
        assert!(
            ics.contains("DTEND;VALUE=DATE:20270101\r\n"),
            "the year turns"
        );
        assert!(ics.contains("UID:certificate--vendors-20261231@mamori"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded
                .contains("SUMMARY:事業者の認証の有効期限（阿波メディカル\\, ISMS\\; 本社\\\\支社"),
            "{unfolded}"
        );
    }

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
