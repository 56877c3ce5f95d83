//! The monthly review of the access logs (第10条(4): reviewed regularly; 参考2
//! #7: failed-sign-in bursts checked): the month reviewed, the bursts of
//! failed sign-ins found in it, and whether a review is overdue.

use jiff::civil::{Date, Time};
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

    /// `2026年12月（令和8年12月）`: 西暦 with the 和暦 of its first day.
    pub fn label_ja(self) -> String {
        match crate::calendar::era_year_of(self.first_day()) {
            Some(era_year) => format!(
                "{}年{}月（{}{}月）",
                self.year,
                self.month,
                era_year.to_ja(),
                self.month
            ),
            None => format!("{}年{}月", self.year, self.month),
        }
    }

    /// `2026-12 (Reiwa 8)`: the English form.
    pub fn label_en(self) -> String {
        match crate::calendar::era_year_of(self.first_day()) {
            Some(era_year) => format!("{self} ({})", era_year.to_en()),
            None => self.to_string(),
        }
    }

    /// The `count` months up to and including this one, latest first (a
    /// month chooser that does not depend on the browser's language).
    pub fn latest(self, count: usize) -> Vec<Month> {
        std::iter::successors(Some(self), |month| Some(month.previous()))
            .take(count)
            .collect()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What checking an institution's tamper-evident log found (第10条(4):
/// logs protected from deletion and alteration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every entry, tile and the signed checkpoint matched.
    Intact {
        /// The entries the signed checkpoint covers.
        size: u64,
        /// The entries whose bytes were read and hashed.
        checked: u64,
        /// The entries whose bundles were moved to an archive folder: their
        /// hashes matched, their content was not read.
        archived: u64,
    },
    /// Something does not match what was signed: what, as the check said.
    Broken {
        /// The first mismatch found.
        finding: String,
    },
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

/// The hours the institution is open (診療時間), for the rule on sign-ins
/// outside them: from `opens` to `closes` (past midnight when `closes` is
/// not after `opens`), and closed all day on Sundays and national holidays
/// when `closed_sundays_holidays`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpeningHours {
    pub opens: Time,
    pub closes: Time,
    pub closed_sundays_holidays: bool,
}

impl OpeningHours {
    /// The opening and closing times as `HH:MM`, as typed and stored.
    pub fn as_text(&self) -> (String, String) {
        let hhmm = |time: Time| time.strftime("%H:%M").to_string();
        (hhmm(self.opens), hhmm(self.closes))
    }

    /// Whether `at` falls within the hours, in `zone`.
    pub fn is_open(&self, at: Timestamp, zone: &TimeZone) -> bool {
        let local = at.to_zoned_datetime(zone.clone());
        if self.closed_sundays_holidays
            && (local.weekday() == jiff::civil::Weekday::Sunday
                || crate::holiday::is_national_holiday(local.date()))
        {
            return false;
        }
        let time = local.time();
        if self.opens < self.closes {
            self.opens <= time && time < self.closes
        } else {
            time >= self.opens || time < self.closes
        }
    }
}

/// The review's rules as the institution set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub burst: BurstRule,
    /// No hours: the institution is open around the clock (a hospital), and
    /// sign-ins are never out of hours.
    pub hours: Option<OpeningHours>,
    /// More distinct patients than this read by one account in one day is a finding.
    pub many_patients: i64,
    /// A source silent for longer than this is a finding.
    pub silent_after: SignedDuration,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            burst: BurstRule::default(),
            hours: None,
            many_patients: MANY_PATIENTS,
            silent_after: SignedDuration::from_hours(24),
        }
    }
}

/// The rules as typed in the form.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRules<'a> {
    pub burst_threshold: &'a str,
    pub burst_window_minutes: &'a str,
    /// `HH:MM`, both empty for no hours.
    pub opens_at: &'a str,
    pub closes_at: &'a str,
    /// A checkbox: `on`/`true`/`1` or empty.
    pub closed_sundays_holidays: &'a str,
    pub many_patients: &'a str,
    pub silent_hours: &'a str,
}

impl Rules {
    /// Checks the rules, every problem named by its field.
    pub fn parse(raw: RawRules<'_>) -> Result<Self, Vec<ParseError>> {
        let mut errors = Vec::new();
        let mut number = |field: &'static str, text: &str, min: i64, max: i64| -> i64 {
            match text.trim().parse::<i64>() {
                Ok(value) if (min..=max).contains(&value) => value,
                _ => {
                    errors.push(ParseError::new(
                        field,
                        ParseErrorKind::OutOfRange { min, max },
                    ));
                    min
                }
            }
        };
        let threshold = number("burst_threshold", raw.burst_threshold, 2, 1000);
        let window = number("burst_window_minutes", raw.burst_window_minutes, 1, 1440);
        let many_patients = number("many_patients", raw.many_patients, 1, 100_000);
        let silent_hours = number(
            "silent_hours",
            raw.silent_hours,
            1,
            super::source::MAX_SILENT_HOURS,
        );
        let time = |field: &'static str, text: &str, errors: &mut Vec<ParseError>| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match Time::strptime("%H:%M", text) {
                Ok(time) => Some(time),
                Err(_) => {
                    errors.push(ParseError::new(
                        field,
                        ParseErrorKind::BadFormat("a time such as 08:30"),
                    ));
                    None
                }
            }
        };
        let opens = time("opens_at", raw.opens_at, &mut errors);
        let closes = time("closes_at", raw.closes_at, &mut errors);
        let hours = match (opens, closes) {
            (Some(opens), Some(closes)) if opens == closes => {
                errors.push(ParseError::new(
                    "closes_at",
                    ParseErrorKind::Inconsistent("a closing time other than the opening time"),
                ));
                None
            }
            (Some(opens), Some(closes)) => Some(OpeningHours {
                opens,
                closes,
                closed_sundays_holidays: matches!(
                    raw.closed_sundays_holidays.trim(),
                    "on" | "true" | "1"
                ),
            }),
            (None, None) => None,
            (None, Some(_)) if raw.opens_at.trim().is_empty() => {
                errors.push(ParseError::new("opens_at", ParseErrorKind::Empty));
                None
            }
            (Some(_), None) if raw.closes_at.trim().is_empty() => {
                errors.push(ParseError::new("closes_at", ParseErrorKind::Empty));
                None
            }
            _ => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            burst: BurstRule {
                threshold: threshold as usize,
                window: SignedDuration::from_mins(window),
            },
            hours,
            many_patients,
            silent_after: SignedDuration::from_hours(silent_hours),
        })
    }
}

/// Failures from one key (an address or an account) that reached the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    pub key: String,
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: usize,
    /// For a burst from an address: the one account all its failures were
    /// against, when the same failures made that account's burst too — one
    /// finding then stands for both.
    pub account: Option<String>,
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
            account: None,
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

/// By default, an account reading more patients' records than this in one
/// day is a finding.
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

/// How many distinct patients' records an account read in one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManyPatients {
    pub account: String,
    pub day: Date,
    pub patients: i64,
}

/// A successful sign-in (sign-in, session or VPN connection) of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    pub account: String,
    pub at: Timestamp,
}

/// An account's sign-ins outside the opening hours on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffHours {
    pub account: String,
    pub day: Date,
    pub first: Timestamp,
    pub count: usize,
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
    /// Distinct patients per account and day (only the rule's excess is a finding).
    pub patients_per_day: Vec<ManyPatients>,
    pub unknown_accounts: Vec<UnknownAccount>,
    pub sign_ins: Vec<SignIn>,
    /// The sources that send by themselves, with their latest event, and
    /// when that was checked: their silence is a finding of the current
    /// month only (`None` for a past month).
    pub sending_sources: Option<(Timestamp, Vec<SendingSource>)>,
}

/// A source that sends by itself (sender addresses or an HTTPS token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingSource {
    pub name: String,
    /// Its latest event of all time.
    pub last: Option<Timestamp>,
    /// When it was registered: a source that never sent is silent only once
    /// its allowed silence has passed since then.
    pub registered_at: Timestamp,
    /// How long it may be silent, when the source says (else the rules).
    pub silent_hours: Option<i64>,
}

/// A source that sent nothing for longer than it may be silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilentSource {
    pub name: String,
    /// Its latest event (`None`: never one).
    pub last: Option<Timestamp>,
    /// The silence allowed it, in hours.
    pub hours: i64,
}

/// The sources silent at `now` for longer than each may be: its own
/// interval, else the rules'.
pub fn silent_sources(
    now: Timestamp,
    sources: &[SendingSource],
    rules: &Rules,
) -> Vec<SilentSource> {
    sources
        .iter()
        .filter_map(|source| {
            let hours = source
                .silent_hours
                .unwrap_or_else(|| rules.silent_after.as_hours());
            let since = source.last.unwrap_or(source.registered_at);
            let silent = now.duration_since(since) > SignedDuration::from_hours(hours);
            silent.then(|| SilentSource {
                name: source.name.clone(),
                last: source.last,
                hours,
            })
        })
        .collect()
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
    /// Sign-ins outside the opening hours.
    OffHours(OffHours),
    /// A source that stopped sending (a router that fell silent).
    SourceSilent(SilentSource),
}

impl Finding {
    /// The finding's identity within the institution, for the note a
    /// reviewer leaves on it: the rule, what it is about and when.
    pub fn key(&self, month: Month) -> String {
        match self {
            Self::BurstFromAddress(burst) => format!("burst_address|{}|{}", burst.key, burst.first),
            Self::BurstOnAccount(burst) => format!("burst_account|{}|{}", burst.key, burst.first),
            Self::LeaverAccountUsed(used) => format!("leaver|{}|{}", used.account, used.at),
            Self::NewVpnAddress(new) => format!("new_vpn|{}|{}", new.address, new.at),
            Self::ManyPatients(many) => format!("many_patients|{}|{}", many.account, many.day),
            Self::UnknownAccount(unknown) => format!("unknown_account|{}|{month}", unknown.account),
            Self::OffHours(off) => format!("off_hours|{}|{}", off.account, off.day),
            // One silence: the source and the event it went quiet after.
            Self::SourceSilent(silent) => format!(
                "silent|{}|{}",
                silent.name,
                silent
                    .last
                    .map_or_else(|| "never".to_owned(), |last| last.to_string())
            ),
        }
    }
}

/// The month's findings, in a fixed order: bursts per address, per account,
/// uses after leaving, new VPN addresses, many patients, unknown accounts,
/// sign-ins out of hours (per account and day), silent sources.
pub fn findings(facts: Facts, rules: &Rules, zone: &TimeZone) -> Vec<Finding> {
    let rule = rules.burst;
    let keyed = |key: fn(&FailedSignIn) -> Option<&String>| -> Vec<(Timestamp, String)> {
        facts
            .failures
            .iter()
            .filter_map(|failure| key(failure).map(|k| (failure.at, k.clone())))
            .collect()
    };
    let mut from_addresses = bursts(&keyed(|f| f.address.as_ref()), rule);
    let mut on_accounts = bursts(&keyed(|f| f.account.as_ref()), rule);
    // One guesser on one account makes a burst from its address and one on
    // the account out of the same failures: one finding, not two to note.
    for burst in &mut from_addresses {
        let mut accounts = facts
            .failures
            .iter()
            .filter(|f| f.address.as_ref() == Some(&burst.key))
            .filter(|f| (burst.first..=burst.last).contains(&f.at))
            .map(|f| f.account.as_ref());
        let Some(Some(account)) = accounts.next() else {
            continue;
        };
        if !accounts.all(|other| other == Some(account)) {
            continue;
        }
        let same = |on: &Burst| {
            &on.key == account
                && (on.first, on.last, on.count) == (burst.first, burst.last, burst.count)
        };
        if let Some(at) = on_accounts.iter().position(same) {
            on_accounts.remove(at);
            burst.account = Some(account.clone());
        }
    }
    let mut found: Vec<Finding> = from_addresses
        .into_iter()
        .map(Finding::BurstFromAddress)
        .collect();
    found.extend(on_accounts.into_iter().map(Finding::BurstOnAccount));
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
    found.extend(
        facts
            .patients_per_day
            .into_iter()
            .filter(|read| read.patients > rules.many_patients)
            .map(Finding::ManyPatients),
    );
    found.extend(
        facts
            .unknown_accounts
            .into_iter()
            .map(Finding::UnknownAccount),
    );
    if let Some(hours) = rules.hours {
        let mut by_day: std::collections::BTreeMap<(Date, String), OffHours> = Default::default();
        for sign_in in facts.sign_ins {
            if hours.is_open(sign_in.at, zone) {
                continue;
            }
            let day = sign_in.at.to_zoned_datetime(zone.clone()).date();
            let entry = by_day
                .entry((day, sign_in.account.clone()))
                .or_insert(OffHours {
                    account: sign_in.account,
                    day,
                    first: sign_in.at,
                    count: 0,
                });
            entry.count += 1;
            entry.first = entry.first.min(sign_in.at);
        }
        found.extend(by_day.into_values().map(Finding::OffHours));
    }
    if let Some((now, sources)) = &facts.sending_sources {
        found.extend(
            silent_sources(*now, sources, rules)
                .into_iter()
                .map(Finding::SourceSilent),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn months_are_labelled_with_their_era_year() {
        let month = |text| Month::parse("month", text).expect("month");
        assert_eq!(month("2026-12").label_ja(), "2026年12月（令和8年12月）");
        assert_eq!(month("2019-05").label_ja(), "2019年5月（令和元年5月）");
        // April 2019 was still 平成 (令和 began on 1 May 2019).
        assert_eq!(month("2019-04").label_ja(), "2019年4月（平成31年4月）");
        assert_eq!(month("2026-12").label_en(), "2026-12 (Reiwa 8)");
        let latest = month("2027-02").latest(4);
        let texts: Vec<String> = latest.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["2027-02", "2027-01", "2026-12", "2026-11"]);
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
        // dr-a read 101 patients one day and 100 another: only the excess counts.
        for (day, patients) in [(1, 101), (2, 100)] {
            facts.patients_per_day.push(ManyPatients {
                account: "dr-a".to_owned(),
                day: Date::new(2026, 12, day).expect("day"),
                patients,
            });
        }
        let found = findings(facts.clone(), &Rules::default(), &zone);
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(matches!(&found[0], Finding::BurstOnAccount(burst) if burst.count == 5));
        assert!(
            matches!(&found[1], Finding::LeaverAccountUsed(used) if used.at == at("2026-12-01T00:00:00Z"))
        );
        assert!(matches!(&found[2], Finding::ManyPatients(read) if read.patients == 101));
        assert!(matches!(&found[3], Finding::UnknownAccount(_)));
        // A stricter institution: 100 is too many, and three failures a burst.
        let strict = Rules {
            burst: BurstRule {
                threshold: 6,
                window: SignedDuration::from_mins(10),
            },
            many_patients: 99,
            ..Rules::default()
        };
        let found = findings(facts, &strict, &zone);
        assert_eq!(
            found
                .iter()
                .filter(|f| matches!(f, Finding::ManyPatients(_)))
                .count(),
            2
        );
        assert!(
            !found
                .iter()
                .any(|f| matches!(f, Finding::BurstOnAccount(_)))
        );
    }

    #[test]
    fn a_source_is_silent_after_its_own_hours_else_the_rules_and_one_never_heard_from_is_too() {
        let now = at("2026-12-06T12:00:00Z");
        let source = |name: &str, last: Option<&str>, hours: Option<i64>| SendingSource {
            name: name.to_owned(),
            last: last.map(at),
            registered_at: at("2026-10-01T00:00:00Z"),
            silent_hours: hours,
        };
        let sources = [
            source("router", Some("2026-12-06T10:00:00Z"), Some(1)),
            source("pc", Some("2026-12-05T10:00:00Z"), Some(48)),
            source("server", Some("2026-12-05T11:59:00Z"), None),
            source("spare", None, Some(1000)),
            // Registered an hour ago and not heard from yet: not silent yet.
            SendingSource {
                registered_at: at("2026-12-06T11:00:00Z"),
                ..source("new", None, None)
            },
        ];
        let silent = silent_sources(now, &sources, &Rules::default());
        let names: Vec<_> = silent.iter().map(|s| (s.name.as_str(), s.hours)).collect();
        assert_eq!(names, [("router", 1), ("server", 24), ("spare", 1000)]);
        // As findings, each silence is keyed by the event it went quiet after.
        let facts = Facts {
            sending_sources: Some((now, sources.to_vec())),
            ..Facts::default()
        };
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let keys: Vec<String> = findings(facts, &Rules::default(), &zone)
            .iter()
            .map(|finding| finding.key(Month::of(now.to_zoned_datetime(zone.clone()).date())))
            .collect();
        assert_eq!(
            keys,
            [
                "silent|router|2026-12-06T10:00:00Z",
                "silent|server|2026-12-05T11:59:00Z",
                "silent|spare|never"
            ]
        );
    }

    #[test]
    fn one_guesser_on_one_account_is_one_finding_and_spraying_or_many_addresses_stay_apart() {
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let failure = |minute: u32, account: &str, address: &str| FailedSignIn {
            at: at(&format!("2026-12-06T00:{minute:02}:00Z")),
            account: Some(account.to_owned()),
            address: Some(address.to_owned()),
        };
        // Six failures from one address, all on tanaka: one finding naming both.
        let mut facts = Facts::default();
        facts
            .failures
            .extend((0..6).map(|minute| failure(minute, "tanaka", "203.0.113.9")));
        let found = findings(facts, &Rules::default(), &zone);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(&found[0], Finding::BurstFromAddress(burst)
            if burst.key == "203.0.113.9" && burst.account.as_deref() == Some("tanaka") && burst.count == 6));

        // One address trying six accounts (spraying): the address's burst only.
        let mut facts = Facts::default();
        facts
            .failures
            .extend((0..6).map(|minute| failure(minute, &format!("user{minute}"), "203.0.113.9")));
        let found = findings(facts, &Rules::default(), &zone);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(&found[0], Finding::BurstFromAddress(burst) if burst.account.is_none()));

        // One account from six addresses: the account's burst only.
        let mut facts = Facts::default();
        facts.failures.extend(
            (0..6).map(|minute| failure(minute, "tanaka", &format!("198.51.100.{minute}"))),
        );
        let found = findings(facts, &Rules::default(), &zone);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(&found[0], Finding::BurstOnAccount(burst) if burst.key == "tanaka"));

        // The same address on tanaka, then on sato: the address's burst holds
        // both, so tanaka's own burst stays a finding of its own.
        let mut facts = Facts::default();
        facts
            .failures
            .extend((0..5).map(|minute| failure(minute, "tanaka", "203.0.113.9")));
        facts
            .failures
            .extend((5..7).map(|minute| failure(minute, "sato", "203.0.113.9")));
        let found = findings(facts, &Rules::default(), &zone);
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn sign_ins_outside_the_hours_are_found_per_account_and_day() {
        let zone = TimeZone::get("Asia/Tokyo").expect("zone");
        let rules = Rules::parse(RawRules {
            burst_threshold: "5",
            burst_window_minutes: "10",
            opens_at: "08:30",
            closes_at: "19:00",
            closed_sundays_holidays: "on",
            many_patients: "100",
            silent_hours: "24",
        })
        .expect("rules");
        let mut facts = Facts::default();
        // JST: Friday 2026-12-04 07:59 (closed), 08:30 (open), 18:59 (open),
        // 19:00 (closed), 23:00 (closed); Sunday 2026-12-06 12:00 (closed);
        // Thursday 2026-12-03 12:00 (open).
        for time in [
            "2026-12-03T22:59:00Z",
            "2026-12-03T23:30:00Z",
            "2026-12-04T09:59:00Z",
            "2026-12-04T10:00:00Z",
            "2026-12-04T14:00:00Z",
            "2026-12-06T03:00:00Z",
            "2026-12-03T03:00:00Z",
        ] {
            facts.sign_ins.push(SignIn {
                account: "sato".to_owned(),
                at: at(time),
            });
        }
        let found = findings(facts.clone(), &rules, &zone);
        let off: Vec<&OffHours> = found
            .iter()
            .filter_map(|f| match f {
                Finding::OffHours(off) => Some(off),
                _ => None,
            })
            .collect();
        assert_eq!(off.len(), 2, "{found:?}");
        assert_eq!(off[0].day, Date::new(2026, 12, 4).expect("day"));
        assert_eq!(off[0].count, 3);
        assert_eq!(off[0].first, at("2026-12-03T22:59:00Z"));
        assert_eq!(off[1].day, Date::new(2026, 12, 6).expect("day"));
        // No hours set: a hospital open around the clock has no such finding.
        assert!(findings(facts, &Rules::default(), &zone).is_empty());
        // Hours across midnight (a night shift's system), and bad input named by field.
        let night = OpeningHours {
            opens: Time::constant(22, 0, 0, 0),
            closes: Time::constant(6, 0, 0, 0),
            closed_sundays_holidays: false,
        };
        assert!(night.is_open(at("2026-12-03T14:00:00Z"), &zone));
        assert!(!night.is_open(at("2026-12-03T03:00:00Z"), &zone));
        let errors = Rules::parse(RawRules {
            burst_threshold: "1",
            burst_window_minutes: "x",
            opens_at: "25:00",
            closes_at: "",
            closed_sundays_holidays: "",
            many_patients: "0",
            silent_hours: "",
        })
        .expect_err("bad rules");
        let fields: Vec<&str> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(
            fields,
            [
                "burst_threshold",
                "burst_window_minutes",
                "many_patients",
                "silent_hours",
                "opens_at"
            ]
        );
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
