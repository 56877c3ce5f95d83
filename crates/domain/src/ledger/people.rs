//! Staff, their accounts on each system, and access rights (checklist items
//! 2(4) アクセス権限 and 2(5) 不要なアカウントの削除; 別紙2 1.). A 退職日 opens a
//! task to delete each of the person's active accounts; an account is flagged
//! when its owner has left, when it has not been used for a long time, when it
//! is shared, and when nobody owns it.

use jiff::civil;

use super::device::Errors;
use crate::calendar::parse_date_ja;
use crate::error::{optional_text, required_text};
use crate::{ParseError, ParseErrorKind};

choice! {
    /// 職種.
    pub enum Job {
        /// 医師.
        Doctor = ("doctor", "医師") => "Doctor",
        /// 歯科医師.
        Dentist = ("dentist", "歯科医師") => "Dentist",
        /// 薬剤師.
        Pharmacist = ("pharmacist", "薬剤師") => "Pharmacist",
        /// 看護師・准看護師.
        Nurse = ("nurse", "看護師", "准看護師", "看護職") => "Nurse",
        /// 医療技術職 (診療放射線技師, 臨床検査技師, リハビリ …).
        Technologist = ("technologist", "医療技術職", "技師") => "Medical technologist",
        /// 医療事務 (受付・会計).
        MedicalClerk = ("medical-clerk", "医療事務", "受付") => "Medical clerk",
        /// 事務 (総務・経理).
        Clerk = ("clerk", "事務", "事務職") => "Office clerk",
        /// システム担当.
        It = ("it", "システム担当", "情報システム") => "IT staff",
        /// その他.
        Other = ("other", "その他") => "Other",
    }
}

choice! {
    /// 情報区分: the kinds of information access rights are set for.
    pub enum InfoCategory {
        /// 診療録 (電子カルテ).
        MedicalRecord = ("medical-record", "診療録") => "Medical records",
        /// 検査結果・画像.
        Results = ("results", "検査結果・画像") => "Test results and images",
        /// 処方・調剤.
        Prescription = ("prescription", "処方・調剤") => "Prescriptions and dispensing",
        /// 会計・レセプト.
        Billing = ("billing", "会計・レセプト") => "Billing and claims",
        /// 患者基本情報 (氏名・住所・保険).
        PatientBasic = ("patient-basic", "患者基本情報") => "Basic patient data",
        /// システム設定・利用者管理.
        SystemAdmin = ("system-admin", "システム設定・利用者管理") => "System settings and users",
    }
}

choice! {
    /// What a 職種 may do with an 情報区分.
    pub enum AccessLevel {
        /// なし.
        None = ("none", "なし", "") => "None",
        /// 参照.
        Read = ("read", "参照") => "Read",
        /// 更新 (参照を含む).
        Update = ("update", "更新") => "Update",
        /// 管理 (権限の付与を含む).
        Admin = ("admin", "管理") => "Administer",
    }
}

/// A member of staff (職員).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStaff {
    /// 氏名.
    pub name: String,
    /// 職種.
    pub job: Job,
    /// 部署.
    pub department: String,
    /// 入職日.
    pub joined_on: Option<civil::Date>,
    /// 退職日.
    pub left_on: Option<civil::Date>,
}

/// Parses the staff form; every wrong field is reported.
pub fn parse_staff(
    name: &str,
    job: &str,
    department: &str,
    joined_on: &str,
    left_on: &str,
) -> Result<NewStaff, Vec<ParseError>> {
    let mut errors = Errors::default();
    let name = errors.take(required_text("display_name", name, 100));
    let job = errors.take(Job::parse("job", job));
    let department = errors.take(optional_text("department", department, 100));
    let joined_on = errors.take(parse_date_ja("joined_on", joined_on));
    let left_on = errors.take(parse_date_ja("left_on", left_on));
    if let (Some(Some(joined)), Some(Some(left))) = (joined_on, left_on)
        && left < joined
    {
        errors.take(Err::<(), _>(ParseError::new(
            "left_on",
            ParseErrorKind::Inconsistent("the leaving day cannot be before the joining day"),
        )));
    }
    match (name, job, department, joined_on, left_on) {
        (Some(name), Some(job), Some(department), Some(joined_on), Some(left_on))
            if errors.0.is_empty() =>
        {
            Ok(NewStaff {
                name,
                job,
                department,
                joined_on,
                left_on,
            })
        }
        _ => Err(errors.0),
    }
}

/// An account on one system (電子カルテ, レセコン, Windows, VPN, メール …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The system.
    pub system: String,
    /// The account's name on it (ログインID).
    pub login: String,
    /// The member of staff who uses it (their id in the staff ledger).
    pub staff_id: Option<i64>,
    /// Used by several people (共用): flagged, since 別紙2 1. forbids it.
    pub shared: bool,
    /// Holds 管理者権限 on the system.
    pub admin: bool,
    /// The day it was last used, as the system reports it.
    pub last_used_on: Option<civil::Date>,
    /// 備考.
    pub note: String,
}

/// The account form as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawAccount<'a> {
    pub system: &'a str,
    pub login: &'a str,
    pub staff_id: &'a str,
    pub shared: bool,
    pub admin: bool,
    pub last_used_on: &'a str,
    pub note: &'a str,
}

/// Parses the account form; every wrong field is reported. The owner is an id
/// from the staff list (checked by the store), or empty.
pub fn parse_account(
    raw: &RawAccount<'_>,
    today: civil::Date,
) -> Result<NewAccount, Vec<ParseError>> {
    let mut errors = Errors::default();
    let system = errors.take(required_text("system", raw.system, 50));
    let login = errors.take(required_text("login", raw.login, 100));
    let staff_id = errors.take(match raw.staff_id.trim() {
        "" => Ok(None),
        digits => digits
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or(ParseError::new("staff_id", ParseErrorKind::UnknownChoice)),
    });
    let last_used_on = errors.take(parse_date_ja("last_used_on", raw.last_used_on).and_then(
        |date| match date {
            Some(day) if day > today => Err(ParseError::new(
                "last_used_on",
                ParseErrorKind::Inconsistent("the date cannot be in the future"),
            )),
            other => Ok(other),
        },
    ));
    let note = errors.take(optional_text("note", raw.note, 200));
    match (system, login, staff_id, last_used_on, note) {
        (Some(system), Some(login), Some(staff_id), Some(last_used_on), Some(note))
            if errors.0.is_empty() =>
        {
            Ok(NewAccount {
                system,
                login,
                staff_id,
                shared: raw.shared,
                admin: raw.admin,
                last_used_on,
                note,
            })
        }
        _ => Err(errors.0),
    }
}

/// Days without use after which an account is flagged, unless the accounts
/// page is asked for another number ([`parse_unused_days`]).
pub const UNUSED_DAYS: i32 = 90;

/// The "unused for N days" threshold as typed: 30–730, [`UNUSED_DAYS`] when empty.
pub fn parse_unused_days(raw: &str) -> Result<i32, ParseError> {
    match raw.trim() {
        "" => Ok(UNUSED_DAYS),
        digits => digits
            .parse::<i32>()
            .ok()
            .filter(|days| (30..=730).contains(days))
            .ok_or(ParseError::new(
                "unused_days",
                ParseErrorKind::OutOfRange { min: 30, max: 730 },
            )),
    }
}

/// Why an account needs looking at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFlag {
    /// Its owner has left (退職日 passed) and it is still active.
    OwnerLeft,
    /// Not used for more than the threshold (by default [`UNUSED_DAYS`]).
    Unused,
    /// Used by several people.
    Shared,
    /// Nobody owns it.
    NoOwner,
}

impl AccountFlag {
    /// The short Japanese label.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::OwnerLeft => "退職者のアカウント",
            Self::Unused => "長期間未使用",
            Self::Shared => "共用アカウント",
            Self::NoOwner => "利用者不明",
        }
    }

    /// The short English label.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::OwnerLeft => "Owner has left",
            Self::Unused => "Unused for a long time",
            Self::Shared => "Shared account",
            Self::NoOwner => "No known user",
        }
    }
}

/// The flags of an active account whose owner left on `owner_left_on` (if
/// the owner has left), as of `today`, counting it unused after `unused_days`.
pub fn account_flags(
    account: &NewAccount,
    owner_left_on: Option<civil::Date>,
    today: civil::Date,
    unused_days: i32,
) -> Vec<AccountFlag> {
    let mut flags = Vec::new();
    if owner_left_on.is_some_and(|left| left <= today) {
        flags.push(AccountFlag::OwnerLeft);
    }
    if account.last_used_on.is_some_and(|used| {
        today
            .since(used)
            .is_ok_and(|span| span.get_days() > unused_days)
    }) {
        flags.push(AccountFlag::Unused);
    }
    if account.shared {
        flags.push(AccountFlag::Shared);
    } else if account.staff_id.is_none() {
        flags.push(AccountFlag::NoOwner);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> NewAccount {
        NewAccount {
            system: "電子カルテ".into(),
            login: "tanaka".into(),
            staff_id: Some(1),
            shared: false,
            admin: false,
            last_used_on: Some(civil::date(2026, 11, 20)),
            note: String::new(),
        }
    }

    #[test]
    fn a_leavers_unused_or_ownerless_account_is_flagged() {
        let today = civil::date(2026, 11, 25);
        assert!(account_flags(&account(), None, today, UNUSED_DAYS).is_empty());
        assert_eq!(
            account_flags(
                &account(),
                Some(civil::date(2026, 10, 31)),
                today,
                UNUSED_DAYS
            ),
            vec![AccountFlag::OwnerLeft]
        );
        assert!(
            account_flags(
                &account(),
                Some(civil::date(2026, 12, 31)),
                today,
                UNUSED_DAYS
            )
            .is_empty(),
            "not before the 退職日"
        );
        let old = NewAccount {
            last_used_on: Some(civil::date(2026, 5, 1)),
            staff_id: None,
            ..account()
        };
        assert_eq!(
            account_flags(&old, None, today, UNUSED_DAYS),
            vec![AccountFlag::Unused, AccountFlag::NoOwner]
        );
        let shared = NewAccount {
            shared: true,
            staff_id: None,
            ..account()
        };
        assert_eq!(
            account_flags(&shared, None, today, UNUSED_DAYS),
            vec![AccountFlag::Shared]
        );
    }

    #[test]
    fn the_unused_threshold_is_chosen_within_bounds() {
        let today = civil::date(2026, 11, 25);
        let old = NewAccount {
            last_used_on: Some(civil::date(2026, 5, 1)),
            ..account()
        };
        assert_eq!(
            account_flags(&old, None, today, UNUSED_DAYS),
            vec![AccountFlag::Unused]
        );
        assert!(
            account_flags(&old, None, today, 365).is_empty(),
            "208 days is not a year"
        );
        assert_eq!(parse_unused_days(""), Ok(UNUSED_DAYS));
        assert_eq!(parse_unused_days("180"), Ok(180));
        assert!(parse_unused_days("7").is_err() && parse_unused_days("x").is_err());
    }

    #[test]
    fn staff_and_account_forms_report_every_wrong_field() {
        let errors = parse_staff("", "魔法使い", "", "令和7年13月1日", "").expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["display_name", "job", "joined_on"]);
        let backwards = parse_staff("田中 花子", "看護師", "外来", "2025-04-01", "2025-03-31")
            .expect_err("refused");
        assert_eq!(backwards[0].field(), "left_on");
        let staff = parse_staff("田中 花子", "准看護師", "外来", "R7.4.1", "").expect("valid");
        assert_eq!(staff.job, Job::Nurse);
        let today = civil::date(2026, 11, 25);
        let errors = parse_account(
            &RawAccount {
                staff_id: "abc",
                last_used_on: "2027-01-01",
                ..RawAccount::default()
            },
            today,
        )
        .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["system", "login", "staff_id", "last_used_on"]);
    }
}
