//! The contact chart (連絡体制図; 参考5, 別紙3 §3(2)(3)): the institution's
//! own chain (the people holding each role, with the numbers they enter
//! themselves), its vendors, and the outside bodies the seed names — 厚生労働省,
//! 個人情報保護委員会, the prefecture police's cyber-crime desk (from
//! `catalogs/police_desks.yaml`, which the institution confirms and
//! completes), and IPA's 届出. Each line carries the day it was last
//! confirmed; the chart asks for a yearly check and names what is missing.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Deserialize;

use crate::error::{multiline_text, optional_text};
use crate::institution::PhoneNumber;
use crate::ledger::device::Errors;
use crate::{ParseError, ParseErrorKind};

/// The checklist item the chart is evidence for (1(3) 連絡体制図).
pub const CONTACT_CHART_ITEM: &str = "contact-chart";

/// A line not confirmed for this many days is due for its yearly check.
pub const CONFIRM_EVERY_DAYS: i32 = 365;

/// The outside bodies of 別紙3 §3(3) and 参考5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Authority {
    /// 厚生労働省 医政局 特定医薬品開発支援・医療情報担当参事官室.
    Mhlw,
    /// 個人情報保護委員会 (a report under 個人情報保護法第26条).
    Ppc,
    /// The prefecture police's cyber-crime desk.
    Police,
    /// IPA's three 届出 schemes (after the fact).
    Ipa,
}

/// What the seed gives for an outside body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefilled {
    pub name: &'static str,
    /// The body's name for the English pages.
    pub name_en: &'static str,
    pub desk: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub page: &'static str,
    /// More the seed gives (IPA's second page).
    pub note: &'static str,
}

impl Authority {
    /// In the chart's order.
    pub const ALL: [Self; 4] = [Self::Mhlw, Self::Ppc, Self::Police, Self::Ipa];

    /// The stable code used in keys.
    pub fn code(self) -> &'static str {
        match self {
            Self::Mhlw => "mhlw",
            Self::Ppc => "ppc",
            Self::Police => "police",
            Self::Ipa => "ipa",
        }
    }

    /// The body by its code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// What the seed (別紙3 §3(3), 参考5) gives; the police desk comes from
    /// [`PoliceDesks`] instead.
    pub fn prefilled(self) -> Prefilled {
        match self {
            Self::Mhlw => Prefilled {
                name: "厚生労働省",
                name_en: "Ministry of Health, Labour and Welfare (MHLW)",
                desk: "医政局 特定医薬品開発支援・医療情報担当参事官室",
                phone: "03-6812-7837",
                email: "igishitsu@mhlw.go.jp",
                page: "",
                note: "",
            },
            Self::Ppc => Prefilled {
                name: "個人情報保護委員会",
                name_en: "Personal Information Protection Commission (PPC)",
                desk: "個人情報保護法第26条に基づく場合（漏えい等報告）",
                phone: "",
                email: "",
                page: "https://www.ppc.go.jp/personalinfo/legal/leakAction/",
                note: "",
            },
            Self::Police => Prefilled {
                name: "警察",
                name_en: "Police",
                desk: "サイバー犯罪相談窓口",
                // 警察相談専用電話: one short number across Japan that reaches
                // the caller's prefecture police; the line until the
                // institution writes in its desk's own number.
                phone: POLICE_CONSULTATION_LINE,
                email: "",
                page: "",
                note: "#9110 は警察相談専用電話（全国共通、かけた地域の都道府県警察の相談窓口につながります）。サイバー犯罪相談窓口の直通番号を確かめて記入してください。",
            },
            Self::Ipa => Prefilled {
                name: "独立行政法人情報処理推進機構（IPA）（事後報告）",
                name_en: "Information-technology Promotion Agency (IPA), after the fact",
                desk: "コンピュータ不正アクセス届出制度・コンピュータウイルス届出制度・ソフトウェア等の脆弱性関連情報に関する届出制度",
                phone: "",
                email: "",
                page: "https://www.ipa.go.jp/security/todokede/crack-virus/about.html",
                note: "脆弱性関連情報の届出：https://www.ipa.go.jp/security/vuln/report/index.html",
            },
        }
    }

    /// Whether a phone number belongs on this body's line (the PPC and IPA
    /// are reached through their pages).
    pub fn needs_phone(self) -> bool {
        matches!(self, Self::Mhlw | Self::Police)
    }
}

/// Which line of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContactKey {
    /// A person with an account (their own number).
    User(i64),
    /// A vendor of the institution.
    Vendor(i64),
    /// An outside body.
    Authority(Authority),
}

impl ContactKey {
    /// `user:12`, `vendor:3`, `authority:police`: how the key is stored.
    pub fn code(self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::Vendor(id) => format!("vendor:{id}"),
            Self::Authority(authority) => format!("authority:{}", authority.code()),
        }
    }

    /// A key from its code.
    pub fn parse(code: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new("key", ParseErrorKind::UnknownChoice);
        let (kind, rest) = code.split_once(':').ok_or_else(bad)?;
        let id = || {
            rest.parse::<i64>()
                .ok()
                .filter(|id| *id > 0 && rest.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(bad)
        };
        match kind {
            "user" => Ok(Self::User(id()?)),
            "vendor" => Ok(Self::Vendor(id()?)),
            "authority" => Authority::from_code(rest)
                .map(Self::Authority)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

/// What the institution writes on a line, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDetails {
    /// A domestic number, or empty.
    pub phone: String,
    pub email: String,
    /// e.g. 平日 9:00–18:00、夜間は携帯.
    pub hours: String,
    /// An http(s) page, or empty.
    pub page: String,
    pub note: String,
}

impl ContactDetails {
    /// What the chart shows: each field the institution wrote, else what the
    /// seed or the police catalog gives (`fallback`).
    pub fn over(&self, fallback: &ContactDetails) -> ContactDetails {
        let pick =
            |mine: &str, theirs: &str| if mine.is_empty() { theirs } else { mine }.to_owned();
        ContactDetails {
            phone: pick(&self.phone, &fallback.phone),
            email: pick(&self.email, &fallback.email),
            hours: pick(&self.hours, &fallback.hours),
            page: pick(&self.page, &fallback.page),
            note: pick(&self.note, &fallback.note),
        }
    }
}

/// The line's form as posted.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawContact<'a> {
    pub phone: &'a str,
    pub email: &'a str,
    pub hours: &'a str,
    pub page: &'a str,
    pub note: &'a str,
}

/// The longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;
/// The longest page address taken.
const MAX_PAGE: usize = 500;

/// An e-mail address, or empty: ASCII, one `@`, a dotted domain, at most 254
/// characters (the contact chart's lines, a person's own address for reminders).
pub fn parse_email(raw: &str) -> Result<String, ParseError> {
    let text = optional_text("email", raw, MAX_EMAIL)?;
    if text.is_empty() {
        return Ok(text);
    }
    let shape = text
        .split_once('@')
        .filter(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        .is_some();
    if !shape || text.chars().any(|c| c.is_whitespace() || !c.is_ascii()) {
        return Err(ParseError::new(
            "email",
            ParseErrorKind::BadFormat("an address such as name@example.jp"),
        ));
    }
    Ok(text)
}

fn page(raw: &str) -> Result<String, ParseError> {
    let text = optional_text("page", raw, MAX_PAGE)?;
    if text.is_empty() {
        return Ok(text);
    }
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && host.contains('.')
    });
    if !host_ok || text.chars().any(|c| c.is_whitespace() || !c.is_ascii()) {
        return Err(ParseError::new(
            "page",
            ParseErrorKind::BadFormat("an address starting with https://"),
        ));
    }
    Ok(text)
}

/// Checks a line, naming every wrong field; every field may be empty.
pub fn parse_contact(raw: RawContact<'_>) -> Result<ContactDetails, Vec<ParseError>> {
    let mut errors = Errors::default();
    let phone = if raw.phone.trim().is_empty() {
        Some(String::new())
    } else {
        errors.take(PhoneNumber::parse(raw.phone).map(|p| p.as_str().to_owned()))
    };
    let email = errors.take(parse_email(raw.email));
    let hours = errors.take(optional_text("hours", raw.hours, 100));
    let page = errors.take(page(raw.page));
    let note = errors.take(multiline_text("note", raw.note, 500));
    match (phone, email, hours, page, note) {
        (Some(phone), Some(email), Some(hours), Some(page), Some(note)) if errors.0.is_empty() => {
            Ok(ContactDetails {
                phone,
                email,
                hours,
                page,
                note,
            })
        }
        _ => Err(errors.0),
    }
}

/// 警察相談専用電話 (#9110): reaches the consultation desk of the caller's
/// prefecture police from anywhere in Japan; the police line's number while
/// the catalog has no desk number for the prefecture.
pub const POLICE_CONSULTATION_LINE: &str = "#9110";

/// One prefecture police's cyber-crime desk as the catalog holds it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PoliceDesk {
    pub prefecture: String,
    pub police: String,
    pub desk: String,
    /// The desk's page; empty when the catalog has none.
    pub page: String,
    /// Its number; empty when the catalog has none.
    pub phone: String,
    /// Where the catalog's facts were found.
    pub source: String,
}

/// Every prefecture's desk (`catalogs/police_desks.yaml`).
#[derive(Debug, Clone, Deserialize)]
pub struct PoliceDesks {
    /// When the catalog was last checked (ISO 8601).
    pub checked_on: String,
    /// The National Police Agency's list of every desk, the fallback page.
    pub national_list: String,
    pub desks: Vec<PoliceDesk>,
}

/// The police catalog is broken (a build error the tests catch).
#[derive(Debug, thiserror::Error)]
#[error("catalogs/police_desks.yaml: {0}")]
pub struct PoliceDesksError(String);

impl PoliceDesks {
    /// The shipped catalog.
    pub fn builtin() -> Result<Self, PoliceDesksError> {
        Self::parse(include_str!("../../../../catalogs/police_desks.yaml"))
    }

    /// Parses and checks a catalog: the 47 prefectures once each, in the
    /// order of [`crate::institution::PREFECTURES`]; every number a domestic
    /// number and every page an http(s) address.
    pub fn parse(yaml: &str) -> Result<Self, PoliceDesksError> {
        let catalog: Self =
            serde_norway::from_str(yaml).map_err(|e| PoliceDesksError(e.to_string()))?;
        if catalog.checked_on.parse::<Date>().is_err() {
            return Err(PoliceDesksError(
                "checked_on: not a day (YYYY-MM-DD)".into(),
            ));
        }
        let names: Vec<&str> = catalog
            .desks
            .iter()
            .map(|d| d.prefecture.as_str())
            .collect();
        if names != crate::institution::PREFECTURES {
            return Err(PoliceDesksError(
                "the desks must be the 47 prefectures in JIS order".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        for desk in &catalog.desks {
            let problem = |what: &str| PoliceDesksError(format!("{}: {what}", desk.prefecture));
            if !seen.insert(desk.prefecture.as_str()) {
                return Err(problem("twice"));
            }
            if !desk.phone.is_empty() && PhoneNumber::parse(&desk.phone).is_err() {
                return Err(problem("a phone number that is not a domestic number"));
            }
            if page(&desk.page).is_err() || page(&catalog.national_list).is_err() {
                return Err(problem("a page that is not an http(s) address"));
            }
            if desk.police.is_empty() || desk.desk.is_empty() {
                return Err(problem("no police or desk name"));
            }
        }
        Ok(catalog)
    }

    /// The desk of the prefecture named `prefecture` (e.g. 徳島県).
    pub fn for_prefecture(&self, prefecture: &str) -> Option<&PoliceDesk> {
        self.desks.iter().find(|d| d.prefecture == prefecture)
    }
}

/// A line of the chart as the caller assembled it, for [`gaps`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLine {
    pub key: ContactKey,
    /// Who or what, as the chart names it.
    pub name: String,
    pub phone: String,
    /// Whether the line is useless without a number.
    pub needs_phone: bool,
    pub confirmed_on: Option<Date>,
}

/// What the chart lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// A role nobody holds (named in Japanese).
    NoHolder(&'static str),
    /// A line without the number it needs.
    NoPhone(String),
    /// A line never confirmed.
    NeverConfirmed(String),
    /// A line last confirmed more than a year ago.
    CheckDue(String, Date),
    /// No vendor is registered.
    NoVendor,
}

/// What is missing from the chart on `today`: roles without a holder (given
/// by the caller), lines without a needed number, lines never confirmed or
/// due for their yearly check, and no vendor at all.
pub fn gaps(lines: &[ChartLine], unheld_roles: &[&'static str], today: Date) -> Vec<Gap> {
    let mut gaps: Vec<Gap> = unheld_roles.iter().map(|r| Gap::NoHolder(r)).collect();
    if !lines.iter().any(|l| matches!(l.key, ContactKey::Vendor(_))) {
        gaps.push(Gap::NoVendor);
    }
    for line in lines {
        if line.needs_phone && line.phone.is_empty() {
            gaps.push(Gap::NoPhone(line.name.clone()));
        }
        match line.confirmed_on {
            None => gaps.push(Gap::NeverConfirmed(line.name.clone())),
            Some(day) if is_due(day, today) => gaps.push(Gap::CheckDue(line.name.clone(), day)),
            Some(_) => {}
        }
    }
    gaps
}

/// Whether a line confirmed on `day` is due for its yearly check on `today`.
pub fn is_due(day: Date, today: Date) -> bool {
    day.until((jiff::Unit::Day, today))
        .is_ok_and(|span| span.get_days() > CONFIRM_EVERY_DAYS)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_police_catalog_holds_every_prefecture_in_order() {
        let desks = PoliceDesks::builtin().expect("the shipped catalog parses");
        assert_eq!(desks.desks.len(), 47);
        let tokyo = desks.for_prefecture("東京都").expect("東京都");
        assert_eq!(tokyo.police, "警視庁");
        assert!(desks.for_prefecture("東京").is_none());
        assert!(desks.national_list.starts_with("https://www.npa.go.jp/"));
    }

    #[test]
    fn a_broken_police_catalog_is_refused() {
        let shipped = include_str!("../../../../catalogs/police_desks.yaml");
        let missing = shipped.replacen("prefecture: 沖縄県", "prefecture: 琉球", 1);
        assert!(PoliceDesks::parse(&missing).is_err());
        let bad_phone = shipped.replacen("phone: \"011-241-9110\"", "phone: \"110\"", 1);
        assert_ne!(bad_phone, shipped);
        assert!(PoliceDesks::parse(&bad_phone).is_err());
    }

    #[test]
    fn keys_round_trip_and_strangers_are_refused() {
        for key in [
            ContactKey::User(12),
            ContactKey::Vendor(3),
            ContactKey::Authority(Authority::Police),
        ] {
            assert_eq!(ContactKey::parse(&key.code()), Ok(key));
        }
        for bad in [
            "user:",
            "user:-1",
            "user:+1",
            "vendor:x",
            "authority:fbi",
            "x:1",
            "user",
        ] {
            assert!(ContactKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_is_checked_field_by_field() {
        let good = parse_contact(RawContact {
            phone: "０８８－６２２－３１０１",
            email: "soudan@police.example.jp",
            hours: "平日 8:30–17:15",
            page: "https://www.police.example.jp/cyber/",
            note: "",
        })
        .expect("valid");
        assert_eq!(good.phone, "088-622-3101");
        let errors = parse_contact(RawContact {
            phone: "110",
            email: "not an address",
            hours: "",
            page: "javascript:alert(1)",
            note: "a\u{202E}b",
        })
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, vec!["phone", "email", "page", "note"]);
        assert_eq!(
            parse_contact(RawContact::default()),
            Ok(ContactDetails::default())
        );
    }

    #[test]
    fn what_the_institution_wrote_stands_over_the_catalog_field_by_field() {
        let catalog = ContactDetails {
            phone: "088-622-3101".into(),
            page: "https://www.npa.go.jp/bureau/cyber/soudan.html".into(),
            ..ContactDetails::default()
        };
        let written = ContactDetails {
            page: "https://www.police.pref.tokushima.jp/".into(),
            hours: "24時間".into(),
            ..ContactDetails::default()
        };
        let shown = written.over(&catalog);
        assert_eq!(shown.phone, "088-622-3101");
        assert_eq!(shown.page, "https://www.police.pref.tokushima.jp/");
        assert_eq!(shown.hours, "24時間");
        assert_eq!(ContactDetails::default().over(&catalog), catalog);
    }

    #[test]
    fn the_chart_names_what_is_missing_and_asks_for_the_yearly_check() {
        let today = date(2026, 12, 6);
        let line = |key, name: &str, phone: &str, confirmed_on| ChartLine {
            key,
            name: name.to_owned(),
            phone: phone.to_owned(),
            needs_phone: true,
            confirmed_on,
        };
        let lines = vec![
            line(ContactKey::User(1), "守 太郎", "088-123-4567", Some(today)),
            line(
                ContactKey::User(2),
                "山田 花子",
                "",
                Some(date(2025, 12, 6)),
            ),
            line(
                ContactKey::Authority(Authority::Police),
                "警察",
                "088-622-3101",
                Some(date(2025, 12, 5)),
            ),
            line(
                ContactKey::Authority(Authority::Mhlw),
                "厚生労働省",
                "03-6812-7837",
                None,
            ),
        ];
        let gaps = gaps(&lines, &["企画管理者"], today);
        assert_eq!(
            gaps,
            vec![
                Gap::NoHolder("企画管理者"),
                Gap::NoVendor,
                Gap::NoPhone("山田 花子".into()),
                // 365 days is still within the year; 366 is not.
                Gap::CheckDue("警察".into(), date(2025, 12, 5)),
                Gap::NeverConfirmed("厚生労働省".into()),
            ]
        );
        // Across a leap day: 2024-02-29 + 365 days is 2025-02-28.
        assert!(!is_due(date(2024, 2, 29), date(2025, 2, 28)));
        assert!(is_due(date(2024, 2, 29), date(2025, 3, 1)));
    }
}
