//! The legal clock of an incident that touches personal data (個人情報保護法
//! 第26条, 施行規則 第7条・第8条): whether a report to the 個人情報保護委員会
//! (PPC) is due, and by when.
//!
//! - A report is due when a leak, loss or damage (漏えい・滅失・毀損), or its
//!   possibility, involves ① 要配慮個人情報 (medical data always is, so one
//!   patient is enough), ② possible financial damage, ③ a possible 不正の目的
//!   (an attack, ransomware, theft), or ④ more than 1,000 people — unless the
//!   data was protected by strong encryption (高度な暗号化).
//! - 速報: 「速やかに」, which the PPC's guideline puts at about 3–5 days from the
//!   day the institution knew; shown as a window (3日目 to 5日目), not as a legal limit.
//! - 確報: within 30 days of the day the institution knew, 60 days for ③.
//!   Counting: the day the institution knew is day 1 (so the 30th day is
//!   known + 29), weekends and holidays inside the period count, and a last
//!   day that falls on a 行政機関の休日 (Saturday, Sunday, a national holiday,
//!   29 December – 3 January; 行政機関の休日に関する法律 第1条・第2条) moves to
//!   the next day that is not one. Counting the first day errs on the early
//!   side of the two readings of 初日不算入 (民法第140条); see NOTES in the
//!   incident issue for what is not yet verified at the PPC's own text.
//!
//! Everything here is a pure function of dates; the incident page and the
//! dashboard count down from [`Deadlines`].

use jiff::civil::{Date, Weekday};

/// What the institution has established about personal data in an incident
/// (the 個人情報 assessment of manual II-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Assessment {
    /// Personal data was, or may have been, leaked, lost or damaged.
    pub personal_data: bool,
    /// It includes 要配慮個人情報 (病歴, 診療記録…): any patient data does.
    pub sensitive: bool,
    /// It may cause financial damage (e.g. card numbers).
    pub financial_harm: bool,
    /// It may have been caused with 不正の目的 (an attack, ransomware, theft).
    pub wrongful_purpose: bool,
    /// How many people, as far as known.
    pub people: Option<u64>,
    /// The data was protected by strong encryption, so nothing readable left.
    pub strongly_encrypted: bool,
}

/// The assessment as the form posts it: checkboxes ("" when not ticked) and
/// the number of people.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawAssessment<'a> {
    pub personal_data: &'a str,
    pub sensitive: &'a str,
    pub financial_harm: &'a str,
    pub wrongful_purpose: &'a str,
    pub people: &'a str,
    pub strongly_encrypted: &'a str,
}

/// The most people the form takes (the population of Japan, with room).
const MAX_PEOPLE: u32 = 200_000_000;

impl Assessment {
    /// Reads the form: a ticked box is any non-empty value; the number of
    /// people is empty (not known) or a whole number (ASCII or full-width).
    pub fn parse(raw: RawAssessment<'_>) -> Result<Self, crate::ParseError> {
        let ticked = |value: &str| !value.trim().is_empty();
        let people = if raw.people.trim().is_empty() {
            None
        } else {
            Some(u64::from(crate::error::whole_number(
                "people", raw.people, MAX_PEOPLE,
            )?))
        };
        Ok(Self {
            personal_data: ticked(raw.personal_data),
            sensitive: ticked(raw.sensitive),
            financial_harm: ticked(raw.financial_harm),
            wrongful_purpose: ticked(raw.wrongful_purpose),
            people,
            strongly_encrypted: ticked(raw.strongly_encrypted),
        })
    }

    /// The stored form: `pd,sens,fin,wp,enc` as 0/1 then the people (or `-`).
    pub fn code(&self) -> String {
        let bit = |b: bool| if b { '1' } else { '0' };
        format!(
            "{}{}{}{}{}:{}",
            bit(self.personal_data),
            bit(self.sensitive),
            bit(self.financial_harm),
            bit(self.wrongful_purpose),
            bit(self.strongly_encrypted),
            self.people
                .map_or_else(|| "-".to_owned(), |n| n.to_string())
        )
    }

    /// Reads [`Assessment::code`]; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Self> {
        let (bits, people) = code.split_once(':')?;
        let bits: Vec<bool> = bits
            .chars()
            .map(|c| match c {
                '1' => Some(true),
                '0' => Some(false),
                _ => None,
            })
            .collect::<Option<_>>()?;
        let [
            personal_data,
            sensitive,
            financial_harm,
            wrongful_purpose,
            strongly_encrypted,
        ] = bits.as_slice()
        else {
            return None;
        };
        let people = match people {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        Some(Self {
            personal_data: *personal_data,
            sensitive: *sensitive,
            financial_harm: *financial_harm,
            wrongful_purpose: *wrongful_purpose,
            people,
            strongly_encrypted: *strongly_encrypted,
        })
    }
}

/// Why a report to the PPC is due (施行規則 第7条 各号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ground {
    /// 第1号: 要配慮個人情報.
    Sensitive,
    /// 第2号: 財産的被害のおそれ.
    FinancialHarm,
    /// 第3号: 不正の目的によるおそれ.
    WrongfulPurpose,
    /// 第4号: 1,000人を超える.
    OverThousand,
}

impl Ground {
    /// The rule's item number.
    pub fn item(self) -> u8 {
        match self {
            Self::Sensitive => 1,
            Self::FinancialHarm => 2,
            Self::WrongfulPurpose => 3,
            Self::OverThousand => 4,
        }
    }
}

impl Assessment {
    /// The grounds on which a PPC report (and notice to the people
    /// concerned) is due; empty when none is.
    pub fn grounds(&self) -> Vec<Ground> {
        if !self.personal_data || self.strongly_encrypted {
            return Vec::new();
        }
        let mut grounds = Vec::new();
        if self.sensitive {
            grounds.push(Ground::Sensitive);
        }
        if self.financial_harm {
            grounds.push(Ground::FinancialHarm);
        }
        if self.wrongful_purpose {
            grounds.push(Ground::WrongfulPurpose);
        }
        if self.people.is_some_and(|n| n > 1000) {
            grounds.push(Ground::OverThousand);
        }
        grounds
    }

    /// The deadlines, when a report is due.
    pub fn deadlines(&self, known_on: Date) -> Option<Deadlines> {
        let grounds = self.grounds();
        if grounds.is_empty() {
            return None;
        }
        let days = if grounds.contains(&Ground::WrongfulPurpose) {
            60
        } else {
            30
        };
        Some(Deadlines::counted_from(known_on, days))
    }
}

/// The PPC deadlines of one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// The day the institution knew (day 1).
    pub known_on: Date,
    /// 速報: the window's start (3日目).
    pub preliminary_from: Date,
    /// 速報: the window's end (5日目); a target, not a legal limit.
    pub preliminary_by: Date,
    /// 確報: 30 or 60.
    pub final_days: i16,
    /// 確報: the last day, moved past a 行政機関の休日.
    pub final_by: Date,
}

impl Deadlines {
    /// The deadlines for a 確報 of `days` days, counted from `known_on`.
    pub fn counted_from(known_on: Date, days: i16) -> Self {
        let day = |n: i16| known_on.saturating_add(jiff::Span::new().days(i64::from(n) - 1));
        Self {
            known_on,
            preliminary_from: day(3),
            preliminary_by: day(5),
            final_days: days,
            final_by: next_open_day(day(days)),
        }
    }
}

/// A day the national administration is closed (行政機関の休日): Saturday,
/// Sunday, a national holiday (国民の祝日・振替休日・国民の休日), or 29
/// December to 3 January.
pub fn administration_closed(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        || (date.month() == 12 && date.day() >= 29)
        || (date.month() == 1 && date.day() <= 3)
        || national_holiday(date)
}

/// A national holiday of Japan (国民の祝日・振替休日・国民の休日).
pub fn national_holiday(date: Date) -> bool {
    crate::holiday::is_national_holiday(date)
}

/// `date`, or the first day after it on which the administration is open.
pub fn next_open_day(date: Date) -> Date {
    let mut day = date;
    // At most 9 closed days in a row (年末年始 with a weekend); 30 is ample.
    for _ in 0..30 {
        if !administration_closed(day) {
            return day;
        }
        day = day.tomorrow().unwrap_or(day);
    }
    day
}

/// Where a deadline stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Countdown {
    /// Days left after today (1 = tomorrow is the last day).
    DaysLeft(i32),
    /// Today is the last day.
    Today,
    /// Missed by this many days.
    Overdue(i32),
}

impl Countdown {
    /// The countdown to `deadline` as seen on `today`.
    pub fn on(today: Date, deadline: Date) -> Self {
        let days = (deadline - today).get_days();
        match days {
            0 => Self::Today,
            n if n > 0 => Self::DaysLeft(n),
            n => Self::Overdue(-n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn patient_data() -> Assessment {
        Assessment {
            personal_data: true,
            sensitive: true,
            ..Assessment::default()
        }
    }

    #[test]
    fn one_patient_is_enough_and_an_attack_doubles_the_time() {
        assert_eq!(Assessment::default().grounds(), []);
        assert_eq!(patient_data().grounds(), [Ground::Sensitive]);
        let attack = Assessment {
            wrongful_purpose: true,
            people: Some(1001),
            ..patient_data()
        };
        assert_eq!(
            attack.grounds(),
            [
                Ground::Sensitive,
                Ground::WrongfulPurpose,
                Ground::OverThousand
            ]
        );
        let known = date(2026, 6, 1);
        assert_eq!(
            patient_data().deadlines(known).map(|d| d.final_days),
            Some(30)
        );
        assert_eq!(attack.deadlines(known).map(|d| d.final_days), Some(60));
        let encrypted = Assessment {
            strongly_encrypted: true,
            ..attack
        };
        assert_eq!(
            encrypted.deadlines(known),
            None,
            "strongly encrypted data needs no report"
        );
        let exactly_thousand = Assessment {
            personal_data: true,
            people: Some(1000),
            ..Assessment::default()
        };
        assert_eq!(exactly_thousand.grounds(), [], "more than 1,000, not 1,000");
    }

    #[test]
    fn the_known_day_is_day_one_and_the_preliminary_window_is_days_three_to_five() {
        // Monday 2026-06-01; day 30 is Tuesday 2026-06-30, an open day.
        let d = Deadlines::counted_from(date(2026, 6, 1), 30);
        assert_eq!(d.preliminary_from, date(2026, 6, 3));
        assert_eq!(d.preliminary_by, date(2026, 6, 5));
        assert_eq!(d.final_by, date(2026, 6, 30));
        // Month end: known on 31 January; day 30 is 1 March 2027 (Monday).
        assert_eq!(
            Deadlines::counted_from(date(2027, 1, 31), 30).final_by,
            date(2027, 3, 1)
        );
    }

    #[test]
    fn a_last_day_in_the_year_end_closure_moves_to_the_fourth_of_january() {
        // Known 2026-11-30: day 30 is Tuesday 2026-12-29 (閉庁) → Monday 2027-01-04.
        let d = Deadlines::counted_from(date(2026, 11, 30), 30);
        assert_eq!(d.final_by, date(2027, 1, 4));
        // Known 2026-11-29: day 30 is Monday 2026-12-28, still open.
        assert_eq!(
            Deadlines::counted_from(date(2026, 11, 29), 30).final_by,
            date(2026, 12, 28)
        );
        // 2028-01-04 is a Tuesday; 1–3 January closed, so day 30 on 2028-01-01 → 2028-01-04.
        assert_eq!(
            Deadlines::counted_from(date(2027, 12, 3), 30).final_by,
            date(2028, 1, 4)
        );
        // 60 days across the year end: known 2026-11-01, day 60 is 2026-12-30 → 2027-01-04.
        assert_eq!(
            Deadlines::counted_from(date(2026, 11, 1), 60).final_by,
            date(2027, 1, 4)
        );
    }

    #[test]
    fn leap_years_and_holidays_are_counted() {
        // 2028 is a leap year: known 2028-02-01, day 30 is 2028-03-01 (Wednesday).
        assert_eq!(
            Deadlines::counted_from(date(2028, 2, 1), 30).final_by,
            date(2028, 3, 1)
        );
        // 2027 is not: known 2027-02-01, day 30 is 2027-03-02 (Tuesday).
        assert_eq!(
            Deadlines::counted_from(date(2027, 2, 1), 30).final_by,
            date(2027, 3, 2)
        );
        // Golden Week 2027: day 30 on Monday 2027-05-03 (憲法記念日); 4 and 5 May
        // are holidays too, so the report is due Thursday 6 May.
        assert_eq!(
            Deadlines::counted_from(date(2027, 4, 4), 30).final_by,
            date(2027, 5, 6)
        );
        // A weekend: day 30 on Saturday 2026-08-01 → Monday 2026-08-03.
        assert_eq!(
            Deadlines::counted_from(date(2026, 7, 3), 30).final_by,
            date(2026, 8, 3)
        );
        // 振替休日: 2026-05-06 (Wednesday) is one, as 5/3 fell on a Sunday.
        assert!(national_holiday(date(2026, 5, 6)));
        assert!(!national_holiday(date(2026, 5, 7)));
        // The window itself does not move: 速報 days 3–5 may be a weekend.
        let d = Deadlines::counted_from(date(2026, 12, 31), 30);
        assert_eq!(d.preliminary_by, date(2027, 1, 4));
        assert_eq!(d.final_by, date(2027, 1, 29));
    }

    #[test]
    fn the_form_is_read_and_the_stored_code_round_trips() {
        let assessment = Assessment::parse(RawAssessment {
            personal_data: "1",
            sensitive: "1",
            wrongful_purpose: "on",
            people: "１２００",
            ..RawAssessment::default()
        })
        .expect("valid");
        assert_eq!(assessment.people, Some(1200));
        assert!(assessment.wrongful_purpose && !assessment.financial_harm);
        assert_eq!(assessment.code(), "11010:1200");
        assert_eq!(Assessment::from_code(&assessment.code()), Some(assessment));
        assert_eq!(
            Assessment::from_code(&Assessment::default().code()),
            Some(Assessment::default())
        );
        assert_eq!(Assessment::from_code("1101:5"), None);
        assert_eq!(Assessment::from_code("11012:5"), None);
        let error = Assessment::parse(RawAssessment {
            people: "many",
            ..RawAssessment::default()
        })
        .expect_err("not a number");
        assert_eq!(error.field(), "people");
    }

    #[test]
    fn the_countdown_reads_days_left_today_and_overdue() {
        let last = date(2026, 12, 28);
        assert_eq!(
            Countdown::on(date(2026, 12, 25), last),
            Countdown::DaysLeft(3)
        );
        assert_eq!(Countdown::on(last, last), Countdown::Today);
        assert_eq!(Countdown::on(date(2027, 1, 2), last), Countdown::Overdue(5));
    }
}
