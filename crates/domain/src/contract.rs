//! Vendor contracts (委託契約, 第9条) and the items of 【別紙1】 each one
//! contains: which clauses a contract holds, which essential ones it lacks,
//! and whether it has expired. The clause list is data
//! (`catalogs/contract_clauses.yaml`), checked when mamori starts.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::Date;

use crate::calendar::parse_date_ja;
use crate::error::{multiline_text, required_text};
use crate::{ParseError, ParseErrorKind};

/// The id of a stored contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContractId(i64);

impl ContractId {
    /// Wraps a database id; only the store and route parsing should call this.
    pub fn from_db(raw: i64) -> Self {
        Self(raw)
    }

    /// The database id.
    pub fn get(&self) -> i64 {
        self.0
    }
}

impl fmt::Display for ContractId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One item of 【別紙1】.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// Stable key, stored with each contract that contains the item.
    pub key: String,
    /// The 別紙1 section it belongs to.
    pub section: String,
    /// The item in the seed's words (Japanese).
    pub text: String,
    /// Whether a contract without it gets a warning.
    pub essential: bool,
}

/// Every item of 【別紙1】, in the order of the handbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseList {
    clauses: Vec<Clause>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClauses {
    clauses: Vec<RawClause>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    key: String,
    section: String,
    text: String,
    #[serde(default)]
    essential: bool,
}

/// Why the clause list does not load; names the file, item and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct ClauseListError {
    file: &'static str,
    problem: String,
}

const FILE: &str = "catalogs/contract_clauses.yaml";

impl ClauseList {
    /// The list shipped with mamori.
    pub fn builtin() -> Result<Self, ClauseListError> {
        Self::parse(include_str!("../../../catalogs/contract_clauses.yaml"))
    }

    /// Parses and checks a clause list: keys unique and of a-z, 0-9 and `-`;
    /// section and text not empty.
    pub fn parse(yaml: &str) -> Result<Self, ClauseListError> {
        let error = |problem: String| ClauseListError {
            file: FILE,
            problem,
        };
        let raw: RawClauses = serde_norway::from_str(yaml).map_err(|e| error(e.to_string()))?;
        if raw.clauses.is_empty() {
            return Err(error("no clauses".to_owned()));
        }
        let mut seen = BTreeSet::new();
        let mut clauses = Vec::with_capacity(raw.clauses.len());
        for (index, clause) in raw.clauses.into_iter().enumerate() {
            let at = format!("clause {} ({})", index + 1, clause.key);
            let key_ok = !clause.key.is_empty()
                && clause
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !key_ok {
                return Err(error(format!("{at}: key: only a-z, 0-9 and '-'")));
            }
            if !seen.insert(clause.key.clone()) {
                return Err(error(format!("{at}: key: used twice")));
            }
            if clause.section.trim().is_empty() {
                return Err(error(format!("{at}: section: empty")));
            }
            if clause.text.trim().is_empty() {
                return Err(error(format!("{at}: text: empty")));
            }
            clauses.push(Clause {
                key: clause.key,
                section: clause.section,
                text: clause.text,
                essential: clause.essential,
            });
        }
        Ok(Self { clauses })
    }

    /// Every clause, in order.
    pub fn all(&self) -> &[Clause] {
        &self.clauses
    }

    /// The clause with `key`.
    pub fn get(&self, key: &str) -> Option<&Clause> {
        self.clauses.iter().find(|clause| clause.key == key)
    }

    /// The essential clauses a contract holding `keys` lacks, in order.
    pub fn missing_essentials(&self, keys: &BTreeSet<String>) -> Vec<&Clause> {
        self.clauses
            .iter()
            .filter(|clause| clause.essential && !keys.contains(&clause.key))
            .collect()
    }
}

/// A contract as the form gives it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawContract<'a> {
    /// 契約の名称 (e.g. 電子カルテ保守契約).
    pub title: &'a str,
    /// 締結日.
    pub signed_on: &'a str,
    /// 契約期限 (may be empty: no end date).
    pub expires_on: &'a str,
    /// 備考.
    pub note: &'a str,
    /// The keys of the 別紙1 items ticked.
    pub clauses: &'a [String],
}

/// A checked contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContract {
    /// 契約の名称.
    pub title: String,
    /// 締結日.
    pub signed_on: Date,
    /// 契約期限, if any.
    pub expires_on: Option<Date>,
    /// 備考.
    pub note: String,
    /// The 別紙1 items it contains, by key.
    pub clauses: BTreeSet<String>,
}

impl NewContract {
    /// Whether the contract has ended by `today` (its last day is still in force).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires_on.is_some_and(|end| end < today)
    }
}

/// Checks a contract, reporting every wrong field at once: a title, a signing
/// date (西暦 or 和暦), an end date not before it, and only known 別紙1 items.
pub fn parse_contract(
    raw: RawContract<'_>,
    list: &ClauseList,
) -> Result<NewContract, Vec<ParseError>> {
    let mut errors = Vec::new();
    let title = required_text("title", raw.title, 100)
        .map_err(|e| errors.push(e))
        .ok();
    let signed_on = match parse_date_ja("signed_on", raw.signed_on) {
        Ok(Some(date)) => Some(date),
        Ok(None) => {
            errors.push(ParseError::new("signed_on", ParseErrorKind::Empty));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let expires_on = parse_date_ja("expires_on", raw.expires_on)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if let (Some(signed), Some(end)) = (signed_on, expires_on)
        && end < signed
    {
        errors.push(ParseError::new(
            "expires_on",
            ParseErrorKind::Inconsistent("the contract cannot end before it was signed"),
        ));
    }
    // The note is a textarea: new lines are kept, other controls refused.
    let note = multiline_text("note", raw.note, 1000)
        .map_err(|e| errors.push(e))
        .ok();
    let mut clauses = BTreeSet::new();
    for key in raw.clauses {
        if list.get(key).is_some() {
            clauses.insert(key.clone());
        } else {
            errors.push(ParseError::new("clauses", ParseErrorKind::UnknownChoice));
            break;
        }
    }
    match (title, signed_on, note) {
        (Some(title), Some(signed_on), Some(note)) if errors.is_empty() => Ok(NewContract {
            title,
            signed_on,
            expires_on,
            note,
            clauses,
        }),
        _ => Err(errors),
    }
}

/// A vendor's certification (第9条, 別紙1 1-①).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertificateKind {
    /// プライバシーマーク.
    PrivacyMark,
    /// ISMS (ISO/IEC 27001).
    Isms,
    /// ISMAP (the government's cloud security register).
    Ismap,
    /// ISMSクラウドセキュリティ (ISO/IEC 27017).
    CloudSecurity,
    /// Anything else; the number field says what.
    Other,
}

impl CertificateKind {
    /// Every kind, in the order the form lists them.
    pub const ALL: &'static [Self] = &[
        Self::PrivacyMark,
        Self::Isms,
        Self::Ismap,
        Self::CloudSecurity,
        Self::Other,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::PrivacyMark => "privacy_mark",
            Self::Isms => "isms",
            Self::Ismap => "ismap",
            Self::CloudSecurity => "iso27017",
            Self::Other => "other",
        }
    }

    /// The Japanese name.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::PrivacyMark => "プライバシーマーク",
            Self::Isms => "ISMS（ISO/IEC 27001）",
            Self::Ismap => "ISMAP",
            Self::CloudSecurity => "ISMSクラウドセキュリティ（ISO/IEC 27017）",
            Self::Other => "その他",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::PrivacyMark => "PrivacyMark",
            Self::Isms => "ISMS (ISO/IEC 27001)",
            Self::Ismap => "ISMAP",
            Self::CloudSecurity => "ISMS cloud security (ISO/IEC 27017)",
            Self::Other => "Other",
        }
    }

    /// Reads a stored or posted code.
    pub fn from_code(code: &str) -> Result<Self, ParseError> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.code() == code.trim())
            .ok_or_else(|| ParseError::new("certificate_kind", ParseErrorKind::UnknownChoice))
    }
}

/// A checked certificate: its kind, registration number and last valid day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCertificate {
    /// What it certifies.
    pub kind: CertificateKind,
    /// Its registration number (登録番号), or what it is for `Other`.
    pub number: String,
    /// 有効期限: its last valid day.
    pub expires_on: Date,
}

impl NewCertificate {
    /// Whether it has lapsed by `today` (its last day still counts).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires_on < today
    }
}

/// Checks a certificate, reporting every wrong field at once.
pub fn parse_certificate(
    kind: &str,
    number: &str,
    expires_on: &str,
) -> Result<NewCertificate, Vec<ParseError>> {
    let mut errors = Vec::new();
    let kind = CertificateKind::from_code(kind)
        .map_err(|e| errors.push(e))
        .ok();
    let number = required_text("certificate_number", number, 100)
        .map_err(|e| errors.push(e))
        .ok();
    let expires_on = match parse_date_ja("certificate_expires_on", expires_on) {
        Ok(Some(date)) => Some(date),
        Ok(None) => {
            errors.push(ParseError::new(
                "certificate_expires_on",
                ParseErrorKind::Empty,
            ));
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    };
    match (kind, number, expires_on) {
        (Some(kind), Some(number), Some(expires_on)) => Ok(NewCertificate {
            kind,
            number,
            expires_on,
        }),
        _ => Err(errors),
    }
}

/// What a vendor's contracts and certificates say, most pressing first: the
/// one warning the vendors list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// One of its certificates has lapsed.
    CertificateExpired,
    /// No contract is recorded.
    NoContract,
    /// Its latest contract (by signing date) has ended.
    ContractExpired,
    /// Its latest contract lacks an essential 別紙1 item.
    MissingEssentials,
    /// Nothing to warn of; this many contracts are recorded.
    InOrder {
        /// How many contracts.
        contracts: usize,
    },
}

impl ClauseList {
    /// The [`Standing`] of a vendor with these contracts and certificates on
    /// `today`; only its latest contract counts for ending and missing items.
    pub fn standing(
        &self,
        contracts: &[&NewContract],
        certificates: &[&NewCertificate],
        today: Date,
    ) -> Standing {
        if certificates.iter().any(|c| c.is_expired(today)) {
            return Standing::CertificateExpired;
        }
        let Some(latest) = contracts.iter().max_by_key(|c| c.signed_on) else {
            return Standing::NoContract;
        };
        if latest.is_expired(today) {
            Standing::ContractExpired
        } else if !self.missing_essentials(&latest.clauses).is_empty() {
            Standing::MissingEssentials
        } else {
            Standing::InOrder {
                contracts: contracts.len(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ClauseList {
        ClauseList::builtin().unwrap()
    }

    #[test]
    fn the_shipped_list_loads_with_the_essential_items() {
        let list = list();
        assert!(list.all().len() >= 25);
        for key in [
            "incident-responsibility",
            "incident-reporting",
            "remote-maintenance-method",
            "remote-maintenance-log",
            "mds-sds",
            "disposal-erasure",
            "cost-sharing",
            "network-patches",
        ] {
            assert!(list.get(key).is_some_and(|c| c.essential), "{key}");
        }
    }

    #[test]
    fn a_bad_list_is_refused_naming_the_item_and_field() {
        let twice =
            "clauses:\n  - {key: a, section: s, text: t}\n  - {key: a, section: s, text: t}\n";
        assert!(
            ClauseList::parse(twice)
                .unwrap_err()
                .to_string()
                .contains("clause 2 (a): key: used twice")
        );
        let empty = "clauses:\n  - {key: a, section: s, text: ' '}\n";
        assert!(
            ClauseList::parse(empty)
                .unwrap_err()
                .to_string()
                .contains("text: empty")
        );
        let bad_key = "clauses:\n  - {key: A B, section: s, text: t}\n";
        assert!(
            ClauseList::parse(bad_key)
                .unwrap_err()
                .to_string()
                .contains("key:")
        );
        assert!(ClauseList::parse("clauses: []\n").is_err());
        assert!(ClauseList::parse("nonsense: 1\n").is_err());
    }

    #[test]
    fn a_contract_is_checked_field_by_field_and_its_gaps_named() {
        let list = list();
        let keys = vec!["mds-sds".to_owned(), "remote-maintenance-log".to_owned()];
        let contract = parse_contract(
            RawContract {
                title: "電子カルテ保守契約",
                signed_on: "令和7年4月1日",
                expires_on: "2026-03-31",
                note: "",
                clauses: &keys,
            },
            &list,
        )
        .unwrap();
        assert_eq!(contract.signed_on, jiff::civil::date(2025, 4, 1));
        assert!(
            !contract.is_expired(jiff::civil::date(2026, 3, 31)),
            "its last day"
        );
        assert!(contract.is_expired(jiff::civil::date(2026, 4, 1)));
        let missing: Vec<&str> = list
            .missing_essentials(&contract.clauses)
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        assert!(missing.contains(&"disposal-erasure") && !missing.contains(&"mds-sds"));

        let unknown = vec!["no-such-item".to_owned()];
        let errors = parse_contract(
            RawContract {
                title: " ",
                signed_on: "2026-02-30",
                expires_on: "",
                note: "",
                clauses: &unknown,
            },
            &list,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(fields, ["title", "signed_on", "clauses"]);

        let backwards = parse_contract(
            RawContract {
                title: "契約",
                signed_on: "2026-04-01",
                expires_on: "2026-03-31",
                ..RawContract::default()
            },
            &list,
        )
        .unwrap_err();
        assert_eq!(backwards[0].field(), "expires_on");
        let missing_date = parse_contract(
            RawContract {
                title: "契約",
                ..RawContract::default()
            },
            &list,
        )
        .unwrap_err();
        assert_eq!(missing_date[0].field(), "signed_on");

        let lines = parse_contract(
            RawContract {
                title: "契約",
                signed_on: "2026-04-01",
                note: "自動更新\r\n解約は3か月前まで",
                ..RawContract::default()
            },
            &list,
        )
        .unwrap();
        assert_eq!(lines.note, "自動更新\n解約は3か月前まで");
        let hidden = parse_contract(
            RawContract {
                title: "契約",
                signed_on: "2026-04-01",
                note: "a\u{202e}b",
                ..RawContract::default()
            },
            &list,
        )
        .unwrap_err();
        assert_eq!(hidden[0].field(), "note");
    }

    #[test]
    fn the_standing_follows_the_latest_contract_and_any_lapsed_certificate() {
        let list = list();
        let today = jiff::civil::date(2026, 12, 1);
        let contract = |signed: &str, ends: &str, keys: &[&str]| {
            let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
            parse_contract(
                RawContract {
                    title: "契約",
                    signed_on: signed,
                    expires_on: ends,
                    clauses: &keys,
                    ..RawContract::default()
                },
                &list,
            )
            .unwrap()
        };
        let all: Vec<&str> = list
            .all()
            .iter()
            .filter(|c| c.essential)
            .map(|c| c.key.as_str())
            .collect();
        let complete = contract("2026-04-01", "", &all);
        let old_ended = contract("2020-04-01", "2021-03-31", &[]);
        let partial = contract("2026-05-01", "2099-01-01", &["mds-sds"]);
        let ended = contract("2026-06-01", "2026-11-30", &all);
        assert_eq!(list.standing(&[], &[], today), Standing::NoContract);
        assert_eq!(
            list.standing(&[&old_ended, &complete], &[], today),
            Standing::InOrder { contracts: 2 },
            "an older, ended contract does not count"
        );
        assert_eq!(
            list.standing(&[&complete, &partial], &[], today),
            Standing::MissingEssentials
        );
        assert_eq!(
            list.standing(&[&partial, &ended], &[], today),
            Standing::ContractExpired
        );
        let lapsed = parse_certificate("isms", "IS-1", "2026-11-30").unwrap();
        assert_eq!(
            list.standing(&[&complete], &[&lapsed], today),
            Standing::CertificateExpired
        );
        assert_eq!(
            list.standing(&[], &[&lapsed], today),
            Standing::CertificateExpired
        );
    }

    #[test]
    fn a_certificate_is_checked_field_by_field() {
        let isms = parse_certificate("isms", "IS 123456", "令和9年3月31日").unwrap();
        assert_eq!(isms.kind, CertificateKind::Isms);
        assert!(!isms.is_expired(jiff::civil::date(2027, 3, 31)));
        assert!(isms.is_expired(jiff::civil::date(2027, 4, 1)));
        let errors = parse_certificate("gold-star", "", "2027-13-01").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(ParseError::field).collect();
        assert_eq!(
            fields,
            [
                "certificate_kind",
                "certificate_number",
                "certificate_expires_on"
            ]
        );
        for kind in CertificateKind::ALL {
            assert_eq!(CertificateKind::from_code(kind.code()), Ok(*kind));
        }
    }
}
