//! The backup register (バックアップ台帳, issue #13): for each system that
//! holds medical information, what is backed up, how, how often, how many
//! generations, whether one copy is offline or immutable (out of ransomware's
//! reach: R7 3-②), where the copies are and who is responsible; and the
//! restore tests that prove the copies can be brought back (第15条(3), manual
//! II-1(3): at least three generations, checked regularly).

use jiff::ToSpan;
use jiff::civil::Date;

use super::device::{Errors, YesNo, parse_yes_no};
use crate::calendar::parse_date_ja;
use crate::error::{multiline_text, optional_text, required_text, whole_number};
use crate::{ParseError, ParseErrorKind};

/// Fewer generations than this are flagged (manual II-1(3): 3世代以上).
pub const MIN_GENERATIONS: u16 = 3;
/// A restore test older than this many months no longer counts (第15条(3)
/// asks that restore procedures be confirmed; the register asks yearly).
pub const RESTORE_TEST_MONTHS: i8 = 12;
/// The dashboard reminds this many days before a restore test falls due.
pub const RESTORE_REMINDER_DAYS: i32 = 30;
/// The most generations the form accepts.
pub const MAX_GENERATIONS: u16 = 9999;
/// The longest restore the form accepts, in minutes (30 days).
pub const MAX_RESTORE_MINUTES: u32 = 43_200;

typed_id!(
    /// The id of a stored backup plan (one line of the register).
    BackupPlanId
);
typed_id!(
    /// The id of a stored restore test.
    RestoreTestId
);

choice! {
    /// How the copies are made (取得方法).
    pub enum BackupMethod {
        /// The vendor's backup service (保守契約に含まれるバックアップ).
        Vendor = ("vendor", "ベンダのサービス", "保守サービス", "ベンダ") => "Vendor's service",
        /// A NAS on the network.
        Nas = ("nas", "NAS") => "NAS",
        /// An external disk connected for the copy (外付けディスク).
        ExternalDisk = ("external-disk", "外付けディスク", "外付けHDD", "外付けSSD") => "External disk",
        /// Tape or optical media.
        Tape = ("tape", "テープ・光ディスク", "テープ", "LTO") => "Tape or optical media",
        /// A cloud service.
        Cloud = ("cloud", "クラウド") => "Cloud",
        /// Anything else (the note says what).
        Other = ("other", "その他") => "Other",
    }
}

choice! {
    /// How often a copy is taken (取得頻度).
    pub enum BackupFrequency {
        /// Several times a day or continuously.
        Continuous = ("continuous", "随時・1日複数回", "随時") => "Continuously or several times a day",
        /// 毎日.
        Daily = ("daily", "毎日") => "Daily",
        /// 毎週.
        Weekly = ("weekly", "毎週") => "Weekly",
        /// 毎月.
        Monthly = ("monthly", "毎月") => "Monthly",
        /// Irregular or other (the note says when).
        Other = ("other", "その他", "不定期") => "Other",
    }
}

choice! {
    /// The outcome of a restore test (結果).
    pub enum RestoreOutcome {
        /// Everything came back and worked.
        Success = ("success", "成功") => "Succeeded",
        /// Part came back (the note says what did not).
        Partial = ("partial", "一部成功") => "Partly succeeded",
        /// Nothing usable came back.
        Failed = ("failed", "失敗") => "Failed",
    }
}

/// One line of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBackupPlan {
    /// 対象システム (電子カルテ, レセコン, PACS…).
    pub system: String,
    /// The 管理番号 of the system's device in the device ledger, if registered.
    pub asset_number: Option<String>,
    /// 対象データ: what is backed up.
    pub data: String,
    /// 取得方法.
    pub method: BackupMethod,
    /// 取得頻度.
    pub frequency: BackupFrequency,
    /// 保存世代数.
    pub generations: u16,
    /// Whether one copy is offline or immutable (ネットワークから切り離した複製).
    pub offline_copy: YesNo,
    /// 保管場所: where the copies are.
    pub location: String,
    /// 担当者: who is responsible (a person or the vendor).
    pub responsible: String,
    /// 最終成功日: the last successful backup as reported.
    pub last_success: Option<Date>,
    /// 備考.
    pub note: String,
}

/// The register form as posted: every field as text.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawBackupPlan<'a> {
    pub system: &'a str,
    pub asset_number: &'a str,
    pub data: &'a str,
    pub method: &'a str,
    pub frequency: &'a str,
    pub generations: &'a str,
    pub offline_copy: &'a str,
    pub location: &'a str,
    pub responsible: &'a str,
    pub last_success: &'a str,
    pub note: &'a str,
}

/// A day that is not after `today`, or none.
fn optional_past_day(
    field: &'static str,
    raw: &str,
    today: Date,
) -> Result<Option<Date>, ParseError> {
    match parse_date_ja(field, raw)? {
        Some(day) if day > today => Err(ParseError::new(
            field,
            ParseErrorKind::Inconsistent("the date cannot be in the future"),
        )),
        day => Ok(day),
    }
}

/// Checks a register line, reporting every wrong field at once.
pub fn parse_backup_plan(
    raw: RawBackupPlan<'_>,
    today: Date,
) -> Result<NewBackupPlan, Vec<ParseError>> {
    let mut errors = Errors::default();
    let system = errors.take(required_text("backup_system", raw.system, 100));
    let asset_number = errors.take(optional_text("asset_number", raw.asset_number, 32));
    let data = errors.take(required_text("backup_data", raw.data, 200));
    let method = errors.take(BackupMethod::parse("backup_method", raw.method));
    let frequency = errors.take(BackupFrequency::parse("backup_frequency", raw.frequency));
    let generations = errors.take(
        whole_number("generations", raw.generations, u32::from(MAX_GENERATIONS))
            .map(|n| u16::try_from(n).unwrap_or(MAX_GENERATIONS)),
    );
    let offline_copy = errors.take(parse_yes_no("offline_copy", raw.offline_copy));
    let location = errors.take(required_text("backup_location", raw.location, 200));
    let responsible = errors.take(required_text("responsible", raw.responsible, 100));
    let last_success = errors.take(optional_past_day("last_success", raw.last_success, today));
    let note = errors.take(multiline_text("note", raw.note, 1000));
    match (
        system,
        asset_number,
        data,
        method,
        frequency,
        generations,
        offline_copy,
        location,
        responsible,
        last_success,
        note,
    ) {
        (
            Some(system),
            Some(asset_number),
            Some(data),
            Some(method),
            Some(frequency),
            Some(generations),
            Some(offline_copy),
            Some(location),
            Some(responsible),
            Some(last_success),
            Some(note),
        ) if errors.0.is_empty() => Ok(NewBackupPlan {
            system,
            asset_number: (!asset_number.is_empty()).then_some(asset_number),
            data,
            method,
            frequency,
            generations,
            offline_copy,
            location,
            responsible,
            last_success,
            note,
        }),
        _ => Err(errors.0),
    }
}

/// One restore test (リストアテスト / 復旧手順の確認).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRestoreTest {
    /// 実施日.
    pub tested_on: Date,
    /// 復元した内容: what was restored (e.g. 前日分のカルテDBを検証用PCへ).
    pub restored: String,
    /// 所要時間, in minutes.
    pub minutes: u32,
    /// 結果.
    pub outcome: RestoreOutcome,
    /// 実施者.
    pub performed_by: String,
    /// 備考 (what did not come back, what was learned).
    pub note: String,
}

/// The restore-test form as posted.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawRestoreTest<'a> {
    pub tested_on: &'a str,
    pub restored: &'a str,
    pub minutes: &'a str,
    pub outcome: &'a str,
    pub performed_by: &'a str,
    pub note: &'a str,
}

/// Checks a restore test, reporting every wrong field at once: a day that has
/// happened, what was restored, the minutes it took, the outcome, who did it.
pub fn parse_restore_test(
    raw: RawRestoreTest<'_>,
    today: Date,
) -> Result<NewRestoreTest, Vec<ParseError>> {
    let mut errors = Errors::default();
    let tested_on = match optional_past_day("tested_on", raw.tested_on, today) {
        Ok(Some(day)) => Some(day),
        Ok(None) => errors.take(Err(ParseError::new("tested_on", ParseErrorKind::Empty))),
        Err(error) => errors.take(Err(error)),
    };
    let restored = errors.take(required_text("restored", raw.restored, 200));
    let minutes = errors.take(whole_number("minutes", raw.minutes, MAX_RESTORE_MINUTES));
    let outcome = errors.take(RestoreOutcome::parse("outcome", raw.outcome));
    let performed_by = errors.take(required_text("performed_by", raw.performed_by, 100));
    let note = errors.take(multiline_text("note", raw.note, 1000));
    if outcome.is_some_and(|o| o != RestoreOutcome::Success)
        && note.as_ref().is_some_and(String::is_empty)
    {
        errors.take(Err::<(), _>(ParseError::new(
            "note",
            ParseErrorKind::Inconsistent("say what did not come back"),
        )));
    }
    match (tested_on, restored, minutes, outcome, performed_by, note) {
        (
            Some(tested_on),
            Some(restored),
            Some(minutes),
            Some(outcome),
            Some(performed_by),
            Some(note),
        ) if errors.0.is_empty() => Ok(NewRestoreTest {
            tested_on,
            restored,
            minutes,
            outcome,
            performed_by,
            note,
        }),
        _ => Err(errors.0),
    }
}

/// What the register flags on a line, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFlag {
    /// The last restore test failed (or only partly succeeded).
    LastTestFailed,
    /// No copy is offline or immutable (or nobody knows): ransomware can reach them all.
    NoOfflineCopy,
    /// Fewer than [`MIN_GENERATIONS`] generations are kept.
    FewGenerations(u16),
    /// No restore test in the last [`RESTORE_TEST_MONTHS`] months (or never).
    NoRecentRestoreTest,
}

/// When the next restore test is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreDue {
    /// Never tested: due now.
    NeverTested,
    /// The last test is too old: it was due on this day.
    Overdue(Date),
    /// Due on this day, within [`RESTORE_REMINDER_DAYS`].
    Soon(Date),
    /// Due on this day, later.
    Later(Date),
}

impl RestoreDue {
    /// Whether the dashboard should remind of it.
    pub fn needs_reminder(self) -> bool {
        !matches!(self, Self::Later(_))
    }
}

/// When the next restore test is due, given the last one's day.
pub fn restore_due(last_test: Option<Date>, today: Date) -> RestoreDue {
    let Some(last) = last_test else {
        return RestoreDue::NeverTested;
    };
    // Adding months to a civil date clamps at the month's end (2/29 + 12 months = 2/28).
    let Ok(due) = last.checked_add(RESTORE_TEST_MONTHS.months()) else {
        return RestoreDue::Later(Date::MAX);
    };
    if due <= today {
        RestoreDue::Overdue(due)
    } else if today
        .checked_add(RESTORE_REMINDER_DAYS.days())
        .is_ok_and(|soon| due <= soon)
    {
        RestoreDue::Soon(due)
    } else {
        RestoreDue::Later(due)
    }
}

/// The latest restore test of a line: its day and outcome.
pub type LastTest = (Date, RestoreOutcome);

/// The flags of `plan`, given its latest restore test, on `today`.
pub fn backup_flags(plan: &NewBackupPlan, last: Option<LastTest>, today: Date) -> Vec<BackupFlag> {
    let mut flags = Vec::new();
    if last.is_some_and(|(_, outcome)| outcome != RestoreOutcome::Success) {
        flags.push(BackupFlag::LastTestFailed);
    }
    if plan.offline_copy != Some(true) {
        flags.push(BackupFlag::NoOfflineCopy);
    }
    if plan.generations < MIN_GENERATIONS {
        flags.push(BackupFlag::FewGenerations(plan.generations));
    }
    if matches!(
        restore_due(last.map(|(day, _)| day), today),
        RestoreDue::NeverTested | RestoreDue::Overdue(_)
    ) {
        flags.push(BackupFlag::NoRecentRestoreTest);
    }
    flags
}

/// The register, summed up for the checklist's backup item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupFacts {
    /// Lines in the register.
    pub plans: usize,
    /// Lines without an offline or immutable copy.
    pub no_offline_copy: usize,
    /// Lines with fewer than [`MIN_GENERATIONS`] generations.
    pub few_generations: usize,
    /// Lines without a restore test in the last [`RESTORE_TEST_MONTHS`] months.
    pub no_recent_test: usize,
    /// Lines whose last restore test failed.
    pub last_test_failed: usize,
}

impl BackupFacts {
    /// Sums up the flags of every line.
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a [BackupFlag]>) -> Self {
        let mut facts = Self::default();
        for flags in lines {
            facts.plans += 1;
            for flag in flags {
                match flag {
                    BackupFlag::LastTestFailed => facts.last_test_failed += 1,
                    BackupFlag::NoOfflineCopy => facts.no_offline_copy += 1,
                    BackupFlag::FewGenerations(_) => facts.few_generations += 1,
                    BackupFlag::NoRecentRestoreTest => facts.no_recent_test += 1,
                }
            }
        }
        facts
    }
}

/// The checklist items the backup register speaks to, by topic key
/// (R5/R6 3(2), R7 3-②: バックアップと復旧手順の確認).
pub const BACKUP_ITEM_KEYS: [&str; 1] = ["backup"];

/// Where the register contradicts an はい to the backup item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupContradiction {
    /// はい, but no system is in the register.
    NoPlans,
    /// はい, but this many systems have no offline or immutable copy.
    NoOfflineCopy(usize),
    /// はい, but this many systems keep fewer than three generations.
    FewGenerations(usize),
    /// はい (復旧手順を確認している), but this many systems have no recent restore test.
    NoRecentTest(usize),
    /// はい, but this many systems' last restore test failed.
    LastTestFailed(usize),
}

/// What the register contradicts if the backup item is answered はい.
pub fn backup_contradictions(key: &str, facts: &BackupFacts) -> Vec<BackupContradiction> {
    if !BACKUP_ITEM_KEYS.contains(&key) {
        return Vec::new();
    }
    if facts.plans == 0 {
        return vec![BackupContradiction::NoPlans];
    }
    let mut found = Vec::new();
    if facts.last_test_failed > 0 {
        found.push(BackupContradiction::LastTestFailed(facts.last_test_failed));
    }
    if facts.no_recent_test > 0 {
        found.push(BackupContradiction::NoRecentTest(facts.no_recent_test));
    }
    if facts.no_offline_copy > 0 {
        found.push(BackupContradiction::NoOfflineCopy(facts.no_offline_copy));
    }
    if facts.few_generations > 0 {
        found.push(BackupContradiction::FewGenerations(facts.few_generations));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn raw() -> RawBackupPlan<'static> {
        RawBackupPlan {
            system: "電子カルテ",
            asset_number: "SV-001",
            data: "カルテDB・画像",
            method: "NAS",
            frequency: "毎日",
            generations: "７",
            offline_copy: "はい",
            location: "院長室の金庫（外付けHDD）とNAS",
            responsible: "〇〇メディカル",
            last_success: "令和8年12月2日",
            note: "",
        }
    }

    #[test]
    fn a_register_line_reads_japanese_choices_full_width_digits_and_wareki() {
        let plan = parse_backup_plan(raw(), date(2026, 12, 3)).unwrap();
        assert_eq!(plan.method, BackupMethod::Nas);
        assert_eq!(plan.frequency, BackupFrequency::Daily);
        assert_eq!(plan.generations, 7);
        assert_eq!(plan.offline_copy, Some(true));
        assert_eq!(plan.asset_number.as_deref(), Some("SV-001"));
        assert_eq!(plan.last_success, Some(date(2026, 12, 2)));
        let unlinked = parse_backup_plan(
            RawBackupPlan {
                asset_number: " ",
                last_success: "",
                offline_copy: "",
                ..raw()
            },
            date(2026, 12, 3),
        )
        .unwrap();
        assert_eq!(unlinked.asset_number, None);
        assert_eq!(unlinked.last_success, None);
        assert_eq!(unlinked.offline_copy, None, "empty means 不明");
    }

    #[test]
    fn every_wrong_field_of_a_register_line_is_named_at_once() {
        let errors = parse_backup_plan(
            RawBackupPlan {
                system: "",
                method: "floppy",
                generations: "-1",
                last_success: "2026-12-04",
                location: "a\u{202E}b",
                ..raw()
            },
            date(2026, 12, 3),
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(
            fields,
            vec![
                "backup_system",
                "backup_method",
                "generations",
                "backup_location",
                "last_success"
            ]
        );
        let too_many = parse_backup_plan(
            RawBackupPlan {
                generations: "10000",
                ..raw()
            },
            date(2026, 12, 3),
        )
        .unwrap_err();
        assert!(matches!(
            too_many[0].kind(),
            ParseErrorKind::OutOfRange { max: 9999, .. }
        ));
    }

    #[test]
    fn a_restore_test_must_have_happened_and_a_failure_must_say_what_failed() {
        let ok = RawRestoreTest {
            tested_on: "2026-11-30",
            restored: "前日分のカルテDBを検証用PCへ",
            minutes: "95",
            outcome: "成功",
            performed_by: "山田",
            note: "",
        };
        let test = parse_restore_test(ok, date(2026, 12, 3)).unwrap();
        assert_eq!(test.minutes, 95);
        assert_eq!(test.outcome, RestoreOutcome::Success);
        let future = parse_restore_test(
            RawRestoreTest {
                tested_on: "2026-12-04",
                ..ok
            },
            date(2026, 12, 3),
        )
        .unwrap_err();
        assert_eq!(future[0].field(), "tested_on");
        let silent_failure = parse_restore_test(
            RawRestoreTest {
                outcome: "failed",
                ..ok
            },
            date(2026, 12, 3),
        )
        .unwrap_err();
        assert_eq!(silent_failure[0].field(), "note");
        let empty = parse_restore_test(RawRestoreTest::default(), date(2026, 12, 3)).unwrap_err();
        let fields: Vec<&str> = empty.iter().map(ParseError::field).collect();
        assert_eq!(
            fields,
            vec![
                "tested_on",
                "restored",
                "minutes",
                "outcome",
                "performed_by"
            ]
        );
    }

    #[test]
    fn a_restore_test_is_due_twelve_months_later_and_reminded_thirty_days_before() {
        let today = date(2026, 12, 3);
        assert_eq!(restore_due(None, today), RestoreDue::NeverTested);
        assert_eq!(
            restore_due(Some(date(2025, 12, 3)), today),
            RestoreDue::Overdue(date(2026, 12, 3)),
            "due on the anniversary itself"
        );
        assert_eq!(
            restore_due(Some(date(2026, 1, 2)), today),
            RestoreDue::Soon(date(2027, 1, 2))
        );
        assert_eq!(
            restore_due(Some(date(2026, 1, 3)), today),
            RestoreDue::Later(date(2027, 1, 3)),
            "31 days ahead is not yet reminded"
        );
        // 閏年: a test on 2024-02-29 is due on 2025-02-28.
        assert_eq!(
            restore_due(Some(date(2024, 2, 29)), date(2025, 2, 27)),
            RestoreDue::Soon(date(2025, 2, 28))
        );
        assert!(RestoreDue::NeverTested.needs_reminder());
        assert!(!RestoreDue::Later(today).needs_reminder());
    }

    #[test]
    fn flags_name_what_ransomware_would_exploit_and_feed_the_checklist() {
        let today = date(2026, 12, 3);
        let good = parse_backup_plan(raw(), today).unwrap();
        assert!(
            backup_flags(
                &good,
                Some((date(2026, 6, 1), RestoreOutcome::Success)),
                today
            )
            .is_empty()
        );
        let mut weak = good.clone();
        weak.offline_copy = None;
        weak.generations = 2;
        let flags = backup_flags(
            &weak,
            Some((date(2026, 6, 1), RestoreOutcome::Failed)),
            today,
        );
        assert_eq!(
            flags,
            vec![
                BackupFlag::LastTestFailed,
                BackupFlag::NoOfflineCopy,
                BackupFlag::FewGenerations(2)
            ]
        );
        let untested = backup_flags(&good, None, today);
        assert_eq!(untested, vec![BackupFlag::NoRecentRestoreTest]);
        let facts = BackupFacts::of([flags.as_slice(), untested.as_slice()]);
        assert_eq!(facts.plans, 2);
        assert_eq!(
            backup_contradictions("backup", &facts),
            vec![
                BackupContradiction::LastTestFailed(1),
                BackupContradiction::NoRecentTest(1),
                BackupContradiction::NoOfflineCopy(1),
                BackupContradiction::FewGenerations(1),
            ]
        );
        assert_eq!(
            backup_contradictions("backup", &BackupFacts::default()),
            vec![BackupContradiction::NoPlans]
        );
        assert!(backup_contradictions("patch", &BackupFacts::default()).is_empty());
    }
}
