//! The monthly review of the access logs (第10条(4): reviewed regularly; 参考2
//! #7: failed-sign-in bursts checked): the month reviewed, the bursts of
//! failed sign-ins found in it, and whether a review is overdue.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::{ParseError, ParseErrorKind};

/// A calendar month (in Japan time), the unit of the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i16,
    month: i8,
}

impl Month {
    /// The month a day falls in.
    pub fn of(day: Date) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    /// Reads `YYYY-MM`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new(field, ParseErrorKind::BadFormat("a month such as 2026-12"));
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        let year: i16 = year.parse().map_err(|_| bad())?;
        let month: i8 = month.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    /// The first day.
    pub fn first_day(self) -> Date {
        Date::new(self.year, self.month, 1).unwrap_or_default()
    }

    /// The month before.
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month's instants in Japan time: from its first midnight to the next month's.
    pub fn range(self, zone: &TimeZone) -> (Timestamp, Timestamp) {
        let at = |month: Month| {
            zone.to_timestamp(month.first_day().to_datetime(jiff::civil::Time::midnight()))
                .unwrap_or_default()
        };
        (at(self), at(self.next()))
    }

    /// The year.
    pub fn year(self) -> i16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> i8 {
        self.month
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A review is due when none was signed off for the last three months
/// before `today`'s month (the checklist's warning).
pub fn review_overdue(last_signed: Option<Month>, today: Date) -> bool {
    let oldest_accepted = Month::of(today).previous().previous().previous();
    last_signed.is_none_or(|month| month < oldest_accepted)
}

/// When a burst counts: `threshold` failures within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstRule {
    pub threshold: usize,
    pub window: SignedDuration,
}

impl Default for BurstRule {
    /// Five failures within ten minutes (the sign-in lockout's count).
    fn default() -> Self {
        Self {
            threshold: 5,
            window: SignedDuration::from_mins(10),
        }
    }
}

/// Failures from one key (an address or an account) that reached the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub key: String,
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: usize,
}

/// The bursts among `failures` (time, key), per key: every run of
/// `threshold` consecutive failures within the window marks its failures,
/// and overlapping runs are one burst, reported with its first and last
/// time and how many failures it holds.
pub fn bursts(failures: &[(Timestamp, String)], rule: BurstRule) -> Vec<Burst> {
    let threshold = rule.threshold.max(1);
    let mut by_key: std::collections::BTreeMap<&str, Vec<Timestamp>> = Default::default();
    for (time, key) in failures {
        by_key.entry(key.as_str()).or_default().push(*time);
    }
    let mut found = Vec::new();
    for (key, mut times) in by_key {
        times.sort();
        // Index ranges [start, end] of qualifying runs, merged as they overlap.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for end in threshold - 1..times.len() {
            let start = end + 1 - threshold;
            if times[end].duration_since(times[start]) > rule.window {
                continue;
            }
            match runs.last_mut() {
                Some(run) if start <= run.1 => run.1 = end,
                _ => runs.push((start, end)),
            }
        }
        found.extend(runs.into_iter().map(|(start, end)| Burst {
            key: key.to_owned(),
            first: times[start],
            last: times[end],
            count: end - start + 1,
        }));
    }
    found.sort_by(|a, b| (a.first, &a.key).cmp(&(b.first, &b.key)));
    found
}

/// Whether a use at `at` comes after its owner's 退職日 (`left_on`, the last
/// day of employment): any day after it, in `zone`.
pub fn used_after_leaving(left_on: Date, at: Timestamp, zone: &TimeZone) -> bool {
    at.to_zoned_datetime(zone.clone()).date() > left_on
}

/// An account reading more patients' records than this in one day is a
/// finding (the store's query writes the same number).
pub const MANY_PATIENTS: i64 = 100;

/// A failed sign-in (sign-in or VPN), with whatever the line named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedSignIn {
    pub at: Timestamp,
    pub account: Option<String>,
    pub address: Option<String>,
}

/// A successful use of an account whose owner, in the staff ledger, has a 退職日.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaverUse {
    pub account: String,
    pub owner: String,
    pub left_on: Date,
    pub at: Timestamp,
}

/// A successful VPN connection from an address that never connected before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVpnAddress {
    pub address: String,
    pub account: Option<String>,
    pub at: Timestamp,
}

/// An account that read more than [`MANY_PATIENTS`] patients' records in one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManyPatients {
    pub account: String,
    pub day: Date,
    pub patients: i64,
}

/// An account that signed in successfully but is in no system of the account ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAccount {
    pub account: String,
    pub uses: i64,
}

/// What the index and the ledgers say about a month, for [`findings`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub failures: Vec<FailedSignIn>,
    pub leaver_uses: Vec<LeaverUse>,
    pub new_vpn_addresses: Vec<NewVpnAddress>,
    pub many_patients: Vec<ManyPatients>,
    pub unknown_accounts: Vec<UnknownAccount>,
}

/// Something in a month's logs that someone should look into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Failed sign-ins bunched from one address.
    BurstFromAddress(Burst),
    /// Failed sign-ins bunched on one account.
    BurstOnAccount(Burst),
    /// An account used after its owner's last day.
    LeaverAccountUsed(LeaverUse),
    NewVpnAddress(NewVpnAddress),
    ManyPatients(ManyPatients),
    UnknownAccount(UnknownAccount),
}

/// The month's findings, in a fixed order: bursts per address, per account,
/// uses after leaving, new VPN addresses, many patients, unknown accounts.
pub fn findings(facts: Facts, rule: BurstRule, zone: &TimeZone) -> Vec<Finding> {
    let keyed = |key: fn(&FailedSignIn) -> Option<&String>| -> Vec<(Timestamp, String)> {
        facts
            .failures
            .iter()
            .filter_map(|failure| key(failure).map(|k| (failure.at, k.clone())))
            .collect()
    };
    let mut found: Vec<Finding> = bursts(&keyed(|f| f.address.as_ref()), rule)
        .into_iter()
        .map(Finding::BurstFromAddress)
        .collect();
    found.extend(
        bursts(&keyed(|f| f.account.as_ref()), rule)
            .into_iter()
            .map(Finding::BurstOnAccount),
    );
    found.extend(
        facts
            .leaver_uses
            .into_iter()
            .filter(|used| used_after_leaving(used.left_on, used.at, zone))
            .map(Finding::LeaverAccountUsed),
    );
    found.extend(
        facts
            .new_vpn_addresses
            .into_iter()
            .map(Finding::NewVpnAddress),
    );
    found.extend(facts.many_patients.into_iter().map(Finding::ManyPatients));
    found.extend(
        facts
            .unknown_accounts
            .into_iter()
            .map(Finding::UnknownAccount),
    );
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn months_parse_step_and_cover_japan_time() {
        let december = Month::parse("month", "2026-12").expect("month");
        assert_eq!(december.to_string(), "2026-12");
        assert_eq!(december.next().to_string(), "2027-01");
        assert_eq!(
            Month::parse("month", "2027-01").expect("month").previous(),
            december
        );
        for bad in ["2026-13", "2026", "26-1x", "1999-12"] {
            assert!(Month::parse("month", bad).is_err(), "{bad}");
        }
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let (from, to) = december.range(&zone);
        assert_eq!(from, at("2026-11-30T15:00:00Z"));
        assert_eq!(to, at("2026-12-31T15:00:00Z"));
    }

    #[test]
    fn a_leavers_account_used_the_day_after_the_last_day_is_a_finding() {
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let left_on = Date::new(2026, 11, 30).expect("day");
        // 23:59 JST on the last day is still employment; 00:00 JST the next day is not.
        assert!(!used_after_leaving(
            left_on,
            at("2026-11-30T14:59:00Z"),
            &zone
        ));
        assert!(used_after_leaving(
            left_on,
            at("2026-11-30T15:00:00Z"),
            &zone
        ));
    }

    #[test]
    fn findings_come_from_every_rule_and_a_use_before_leaving_is_none() {
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let left_on = Date::new(2026, 11, 30).expect("day");
        let mut facts = Facts::default();
        for minute in 0..5 {
            facts.failures.push(FailedSignIn {
                at: at(&format!("2026-12-06T00:0{minute}:00Z")),
                account: Some("admin".to_owned()),
                address: None,
            });
        }
        for time in ["2026-11-30T10:00:00Z", "2026-12-01T00:00:00Z"] {
            facts.leaver_uses.push(LeaverUse {
                account: "tanaka".to_owned(),
                owner: "田中".to_owned(),
                left_on,
                at: at(time),
            });
        }
        facts.unknown_accounts.push(UnknownAccount {
            account: "ghost".to_owned(),
            uses: 2,
        });
        let found = findings(facts, BurstRule::default(), &zone);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(matches!(&found[0], Finding::BurstOnAccount(burst) if burst.count == 5));
        assert!(
            matches!(&found[1], Finding::LeaverAccountUsed(used) if used.at == at("2026-12-01T00:00:00Z"))
        );
        assert!(matches!(&found[2], Finding::UnknownAccount(_)));
    }

    #[test]
    fn a_review_is_overdue_when_none_in_the_last_three_months() {
        let today = Date::new(2026, 12, 6).expect("day");
        assert!(review_overdue(None, today));
        assert!(!review_overdue(Month::parse("m", "2026-09").ok(), today));
        assert!(review_overdue(Month::parse("m", "2026-08").ok(), today));
    }

    #[test]
    fn bursts_are_found_per_key_within_the_window_and_reported_once() {
        let rule = BurstRule::default();
        let mut failures = Vec::new();
        // 203.0.113.9: six failures in four minutes, then one an hour later.
        for minute in [0, 1, 1, 2, 3, 4] {
            failures.push((
                at(&format!("2026-12-06T00:{minute:02}:00Z")),
                "203.0.113.9".to_owned(),
            ));
        }
        failures.push((at("2026-12-06T01:30:00Z"), "203.0.113.9".to_owned()));
        // 192.0.2.1: five failures spread over an hour: no burst.
        for minute in [0, 15, 30, 45, 59] {
            failures.push((
                at(&format!("2026-12-06T00:{minute:02}:00Z")),
                "192.0.2.1".to_owned(),
            ));
        }
        let found = bursts(&failures, rule);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, "203.0.113.9");
        assert_eq!(found[0].count, 6);
        assert_eq!(found[0].first, at("2026-12-06T00:00:00Z"));
        assert_eq!(found[0].last, at("2026-12-06T00:04:00Z"));
        // Exactly at the threshold counts; a stricter rule finds nothing.
        let strict = BurstRule {
            threshold: 7,
            window: SignedDuration::from_mins(10),
        };
        assert!(bursts(&failures, strict).is_empty());
    }
}
