//! Institutions (医療機関・薬局) as tenants, their people, roles and passwords.
//!
//! Every record in mamori belongs to one institution; an `InstitutionId` travels
//! with every query, taken from the signed-in person and never from the request.

mod lockout;
mod password;
mod people;
mod two_factor;

use std::fmt;

use crate::error::required_text;
use crate::{ParseError, ParseErrorKind};

pub use lockout::{AuthStep, LockState, LockoutPolicy, SignInVerdict};
pub use password::{
    PasswordHash, PasswordPolicy, PasswordRelaxation, PlainPassword, hash_password, verify_password,
};
pub use people::{
    DisplayName, Grant, InstitutionCode, LoginId, NewUser, PeopleRuleViolation, Permission,
    Principal, RawUser, Role, UserId, permissions,
};
pub use two_factor::{TotpSecret, TwoFactorPolicy, format_recovery_code, normalize_recovery_code};

/// The id of an institution (tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstitutionId(i64);

impl InstitutionId {
    /// Wraps a database id; only the store should call this.
    pub fn from_db(raw: i64) -> Self {
        Self(raw)
    }

    /// The database id.
    pub fn get(&self) -> i64 {
        self.0
    }
}

impl fmt::Display for InstitutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// 種別: what kind of medical institution this is; it decides which checklist applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstitutionKind {
    /// 病院 (20 beds or more).
    Hospital,
    /// 有床診療所 (1–19 beds).
    ClinicWithBeds,
    /// 無床診療所.
    ClinicWithoutBeds,
    /// 歯科診療所.
    DentalClinic,
    /// 薬局.
    Pharmacy,
}

impl InstitutionKind {
    /// All kinds, in the order forms list them.
    pub const ALL: [Self; 5] = [
        Self::Hospital,
        Self::ClinicWithBeds,
        Self::ClinicWithoutBeds,
        Self::DentalClinic,
        Self::Pharmacy,
    ];

    /// The stable code stored in the database and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::Hospital => "hospital",
            Self::ClinicWithBeds => "clinic_with_beds",
            Self::ClinicWithoutBeds => "clinic_without_beds",
            Self::DentalClinic => "dental_clinic",
            Self::Pharmacy => "pharmacy",
        }
    }

    /// Parses a code written by [`InstitutionKind::code`].
    pub fn from_code(code: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.code() == code.trim())
            .ok_or(ParseError::new("kind", ParseErrorKind::UnknownChoice))
    }

    /// The Japanese name, e.g. `有床診療所`.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Hospital => "病院",
            Self::ClinicWithBeds => "有床診療所",
            Self::ClinicWithoutBeds => "無床診療所",
            Self::DentalClinic => "歯科診療所",
            Self::Pharmacy => "薬局",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Hospital => "Hospital",
            Self::ClinicWithBeds => "Clinic with beds",
            Self::ClinicWithoutBeds => "Clinic without beds",
            Self::DentalClinic => "Dental clinic",
            Self::Pharmacy => "Pharmacy",
        }
    }

    /// The beds the 医療法 allows this kind to have: a hospital has 20 or more,
    /// a clinic 19 or fewer, a clinic without beds and a pharmacy none.
    fn allowed_beds(self) -> (i64, i64) {
        match self {
            Self::Hospital => (20, 99_999),
            Self::ClinicWithBeds => (1, 19),
            Self::ClinicWithoutBeds | Self::Pharmacy => (0, 0),
            Self::DentalClinic => (0, 19),
        }
    }
}

/// The 47 都道府県, in the order of the JIS X 0401 codes (01 北海道 … 47 沖縄県).
pub const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// The prefectures' English names, in the order of [`PREFECTURES`].
pub const PREFECTURES_EN: [&str; 47] = [
    "Hokkaido",
    "Aomori",
    "Iwate",
    "Miyagi",
    "Akita",
    "Yamagata",
    "Fukushima",
    "Ibaraki",
    "Tochigi",
    "Gunma",
    "Saitama",
    "Chiba",
    "Tokyo",
    "Kanagawa",
    "Niigata",
    "Toyama",
    "Ishikawa",
    "Fukui",
    "Yamanashi",
    "Nagano",
    "Gifu",
    "Shizuoka",
    "Aichi",
    "Mie",
    "Shiga",
    "Kyoto",
    "Osaka",
    "Hyogo",
    "Nara",
    "Wakayama",
    "Tottori",
    "Shimane",
    "Okayama",
    "Hiroshima",
    "Yamaguchi",
    "Tokushima",
    "Kagawa",
    "Ehime",
    "Kochi",
    "Fukuoka",
    "Saga",
    "Nagasaki",
    "Kumamoto",
    "Oita",
    "Miyazaki",
    "Kagoshima",
    "Okinawa",
];

/// The English name of the prefecture named `name` in Japanese, or `name` itself.
pub fn prefecture_en(name: &str) -> &str {
    PREFECTURES
        .iter()
        .position(|ja| *ja == name)
        .and_then(|index| PREFECTURES_EN.get(index).copied())
        .unwrap_or(name)
}

/// A 都道府県, one of [`PREFECTURES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefecture(&'static str);

impl Prefecture {
    /// Parses a prefecture's full name such as `徳島県`.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        PREFECTURES
            .iter()
            .find(|name| **name == raw)
            .map(|name| Self(name))
            .ok_or(ParseError::new("prefecture", ParseErrorKind::UnknownChoice))
    }

    /// The full name, e.g. `徳島県`.
    pub fn name(&self) -> &'static str {
        self.0
    }
}

/// A telephone number: digits with optional hyphens, 10 or 11 digits, starting with 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a domestic number such as `088-123-4567`; full-width digits are accepted.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let normalized: String = raw.trim().chars().map(fold_full_width).collect();
        if normalized.is_empty() {
            return Err(ParseError::new("phone", ParseErrorKind::Empty));
        }
        if !normalized.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return Err(ParseError::new(
                "phone",
                ParseErrorKind::BadFormat("only digits and hyphens"),
            ));
        }
        let n_digits = normalized.chars().filter(char::is_ascii_digit).count();
        if !normalized.starts_with('0') || !(10..=11).contains(&n_digits) {
            return Err(ParseError::new(
                "phone",
                ParseErrorKind::BadFormat("a domestic number of 10 or 11 digits starting with 0"),
            ));
        }
        Ok(Self(normalized))
    }

    /// The number as entered, with half-width digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Full-width digits and hyphen-like characters to ASCII, as Japanese IMEs type them.
fn fold_full_width(c: char) -> char {
    match c {
        '０'..='９' => {
            char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
        }
        '－' | 'ー' | '‐' | '−' | '―' => '-',
        other => other,
    }
}

/// The raw strings of an institution form, before parsing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawInstitution<'a> {
    /// 名称
    pub name: &'a str,
    /// 種別 code
    pub kind: &'a str,
    /// 病床数
    pub bed_count: &'a str,
    /// 都道府県
    pub prefecture: &'a str,
    /// 住所
    pub address: &'a str,
    /// 電話
    pub phone: &'a str,
}

/// A validated institution, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstitution {
    name: String,
    kind: InstitutionKind,
    bed_count: i64,
    prefecture: Prefecture,
    address: String,
    phone: PhoneNumber,
}

impl NewInstitution {
    /// Parses every field and returns all the errors found, not only the first.
    pub fn parse(raw: RawInstitution<'_>) -> Result<Self, Vec<ParseError>> {
        let mut errors = Vec::new();
        let name = required_text("name", raw.name, 100)
            .map_err(|e| errors.push(e))
            .ok();
        let kind = InstitutionKind::from_code(raw.kind)
            .map_err(|e| errors.push(e))
            .ok();
        let bed_count = parse_bed_count(raw.bed_count, kind)
            .map_err(|e| errors.push(e))
            .ok();
        let prefecture = Prefecture::parse(raw.prefecture)
            .map_err(|e| errors.push(e))
            .ok();
        let address = required_text("address", raw.address, 200)
            .map_err(|e| errors.push(e))
            .ok();
        let phone = PhoneNumber::parse(raw.phone)
            .map_err(|e| errors.push(e))
            .ok();
        match (name, kind, bed_count, prefecture, address, phone) {
            (
                Some(name),
                Some(kind),
                Some(bed_count),
                Some(prefecture),
                Some(address),
                Some(phone),
            ) if errors.is_empty() => Ok(Self {
                name,
                kind,
                bed_count,
                prefecture,
                address,
                phone,
            }),
            _ => Err(errors),
        }
    }

    /// Rebuilds a stored institution; the store calls this with values it wrote itself.
    pub fn from_stored(
        name: String,
        kind: InstitutionKind,
        bed_count: i64,
        prefecture: Prefecture,
        address: String,
        phone: PhoneNumber,
    ) -> Self {
        Self {
            name,
            kind,
            bed_count,
            prefecture,
            address,
            phone,
        }
    }

    /// 名称
    pub fn name(&self) -> &str {
        &self.name
    }
    /// 種別
    pub fn kind(&self) -> InstitutionKind {
        self.kind
    }
    /// 病床数
    pub fn bed_count(&self) -> i64 {
        self.bed_count
    }
    /// 都道府県
    pub fn prefecture(&self) -> Prefecture {
        self.prefecture
    }
    /// 住所
    pub fn address(&self) -> &str {
        &self.address
    }
    /// 電話
    pub fn phone(&self) -> &PhoneNumber {
        &self.phone
    }
}

fn parse_bed_count(raw: &str, kind: Option<InstitutionKind>) -> Result<i64, ParseError> {
    let normalized: String = raw.trim().chars().map(fold_full_width).collect();
    let bed_count: i64 = if normalized.is_empty() {
        0
    } else {
        normalized.parse().map_err(|_| {
            ParseError::new(
                "bed_count",
                ParseErrorKind::BadFormat("a whole number is expected"),
            )
        })?
    };
    let (min, max) = kind.map_or((0, 99_999), InstitutionKind::allowed_beds);
    if !(min..=max).contains(&bed_count) {
        return Err(ParseError::new(
            "bed_count",
            ParseErrorKind::OutOfRange { min, max },
        ));
    }
    Ok(bed_count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawInstitution<'static> {
        RawInstitution {
            name: "まもりクリニック",
            kind: "clinic_without_beds",
            bed_count: "0",
            prefecture: "徳島県",
            address: "徳島市幸町1-1",
            phone: "088-123-4567",
        }
    }

    fn check_error(raw: RawInstitution<'_>, expect_field: &str) {
        let errors = NewInstitution::parse(raw).expect_err("must be refused");
        assert!(
            errors.iter().any(|e| e.field() == expect_field),
            "{errors:?}"
        );
    }

    #[test]
    fn a_complete_form_parses() {
        let institution = NewInstitution::parse(raw()).expect("valid");
        assert_eq!(institution.kind(), InstitutionKind::ClinicWithoutBeds);
        assert_eq!(institution.prefecture().name(), "徳島県");
    }

    #[test]
    fn full_width_digits_are_folded() {
        let institution = NewInstitution::parse(RawInstitution {
            phone: "０８８－１２３－４５６７",
            kind: "hospital",
            bed_count: "１２０",
            ..raw()
        })
        .expect("valid");
        assert_eq!(institution.phone().as_str(), "088-123-4567");
        assert_eq!(institution.bed_count(), 120);
    }

    #[test]
    fn each_bad_field_is_named() {
        check_error(
            RawInstitution {
                name: "  ",
                ..raw()
            },
            "name",
        );
        check_error(
            RawInstitution {
                kind: "castle",
                ..raw()
            },
            "kind",
        );
        check_error(
            RawInstitution {
                prefecture: "江戸",
                ..raw()
            },
            "prefecture",
        );
        check_error(
            RawInstitution {
                phone: "12345",
                ..raw()
            },
            "phone",
        );
        check_error(
            RawInstitution {
                phone: "088-abc-4567",
                ..raw()
            },
            "phone",
        );
        check_error(
            RawInstitution {
                address: "",
                ..raw()
            },
            "address",
        );
        check_error(
            RawInstitution {
                bed_count: "many",
                ..raw()
            },
            "bed_count",
        );
    }

    #[test]
    fn beds_must_fit_the_kind() {
        check_error(
            RawInstitution {
                kind: "hospital",
                bed_count: "10",
                ..raw()
            },
            "bed_count",
        );
        check_error(
            RawInstitution {
                kind: "clinic_with_beds",
                bed_count: "0",
                ..raw()
            },
            "bed_count",
        );
        check_error(
            RawInstitution {
                kind: "clinic_with_beds",
                bed_count: "20",
                ..raw()
            },
            "bed_count",
        );
        check_error(
            RawInstitution {
                kind: "pharmacy",
                bed_count: "3",
                ..raw()
            },
            "bed_count",
        );
        assert!(
            NewInstitution::parse(RawInstitution {
                kind: "clinic_with_beds",
                bed_count: "19",
                ..raw()
            })
            .is_ok()
        );
    }

    #[test]
    fn all_errors_are_reported_together() {
        let errors = NewInstitution::parse(RawInstitution {
            name: "",
            phone: "",
            ..raw()
        })
        .expect_err("bad");
        assert_eq!(errors.len(), 2);
    }
}
