//! Checklist catalogs: each official version of each form (医療機関確認用,
//! 薬局確認用, 事業者確認用) is one YAML file under `catalogs/checklists/`,
//! validated here. A file that breaks a rule is refused with its file name,
//! the item and the field named.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use jiff::civil;
use serde::Deserialize;

use crate::calendar::FiscalYear;

/// The three official forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormKind {
    /// 医療機関確認用: hospitals and clinics.
    Medical,
    /// 薬局確認用: pharmacies.
    Pharmacy,
    /// 事業者確認用: answered by each vendor (ベンダ) of the institution.
    Vendor,
}

impl FormKind {
    /// All forms, in the order the UI lists them.
    pub const ALL: [Self; 3] = [Self::Medical, Self::Pharmacy, Self::Vendor];

    /// The code used in catalog files, URLs and the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Medical => "medical",
            Self::Pharmacy => "pharmacy",
            Self::Vendor => "vendor",
        }
    }

    /// Parses [`FormKind::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|form| form.code() == code)
    }

    /// The form an institution of `kind` answers itself: pharmacies the
    /// 薬局確認用, everyone else the 医療機関確認用 (the 事業者確認用 is the
    /// vendors').
    pub fn answered_by(kind: crate::institution::InstitutionKind) -> Self {
        match kind {
            crate::institution::InstitutionKind::Pharmacy => Self::Pharmacy,
            _ => Self::Medical,
        }
    }

    /// 医療機関確認用 …
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::Medical => "医療機関確認用",
            Self::Pharmacy => "薬局確認用",
            Self::Vendor => "事業者確認用",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Medical => "for medical institutions",
            Self::Pharmacy => "for pharmacies",
            Self::Vendor => "for vendors",
        }
    }
}

/// What an item is about, as the form's 「…について、以下を実施している。」 headings say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// 医療情報システム全般
    General,
    /// サーバ
    Server,
    /// 端末PC
    Pc,
    /// ネットワーク機器
    Network,
}

impl Target {
    const ALL: [Self; 4] = [Self::General, Self::Server, Self::Pc, Self::Network];

    /// The name used in catalog files and on the form.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::General => "全般",
            Self::Server => "サーバ",
            Self::Pc => "端末PC",
            Self::Network => "ネットワーク機器",
        }
    }

    /// The English name, for the English UI.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Server => "servers",
            Self::Pc => "PCs",
            Self::Network => "network devices",
        }
    }

    /// The heading the form prints above the items of this target.
    pub fn heading_ja(self) -> &'static str {
        match self {
            Self::General => "医療情報システム全般について、以下を実施している。",
            Self::Server => "サーバについて、以下を実施している。",
            Self::Pc => "端末PCについて、以下を実施している。",
            Self::Network => "ネットワーク機器について、以下を実施している。",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|target| target.name_ja() == name)
    }
}

/// A column of the form in which the institution writes (besides the item
/// itself): the R5–R7 forms print 1回目, 目標日, 2回目 and 備考; the final R7
/// form added a 確認日. Each version lists its own columns, and the screen
/// and the printout follow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerColumn {
    /// 1回目 (はい／いいえ with its date).
    First,
    /// 目標日 (when the 1回目 is いいえ).
    Target,
    /// 2回目.
    Second,
    /// 確認日: the day the answers were last confirmed.
    CheckedOn,
    /// 備考.
    Remarks,
}

impl AnswerColumn {
    /// Every column, in the order they may appear.
    pub const ALL: [Self; 5] = [
        Self::First,
        Self::Target,
        Self::Second,
        Self::CheckedOn,
        Self::Remarks,
    ];

    /// The columns of a version that lists none: the R5–R7 draft layout.
    pub const CLASSIC: [Self; 4] = [Self::First, Self::Target, Self::Second, Self::Remarks];

    /// The code used in catalog files and forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Target => "target",
            Self::Second => "second",
            Self::CheckedOn => "checked_on",
            Self::Remarks => "remarks",
        }
    }

    /// Parses [`AnswerColumn::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|column| column.code() == code)
    }

    /// The column's heading on the form.
    pub fn name_ja(self) -> &'static str {
        match self {
            Self::First => "1回目",
            Self::Target => "目標日",
            Self::Second => "2回目",
            Self::CheckedOn => "確認日",
            Self::Remarks => "備考",
        }
    }

    /// The English heading.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::First => "1st check",
            Self::Target => "Target date",
            Self::Second => "2nd check",
            Self::CheckedOn => "Confirmed on",
            Self::Remarks => "Remarks",
        }
    }
}

/// Where an item's wording was checked against the official form, and by whom:
/// "verified" is recorded per item, not per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordingCheck {
    /// The document read (e.g. 「医療機関におけるサイバーセキュリティ対策チェックリスト（令和8年5月）」).
    pub document: String,
    /// Where it is published.
    pub url: String,
    /// The day it was read.
    pub on: civil::Date,
    /// Who read it.
    pub by: String,
}

/// Plain-Japanese guidance shown beside an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guidance {
    /// What the item means, written to the institution.
    pub meaning: String,
    /// What the item means, written to the 事業者 (ベンダ) who answers it on
    /// the 事業者確認用 form; items of that form must have it unless their
    /// key is the vendor's own (`vendor-…`).
    pub for_vendor: Option<String>,
    /// What an inspector expects to see.
    pub evidence: String,
    /// Who usually does it (院長, 事務長, ベンダ …).
    pub who: String,
}

/// A group of the form (1 体制構築 …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its number on the form.
    pub number: u8,
    /// Its name.
    pub name: String,
}

/// One item of a checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItem {
    /// Stable topic key, the same across versions (answers carry over by it).
    pub key: String,
    /// The number printed within its group: `(4)` or `④`.
    pub number: String,
    /// Index into [`Catalog::groups`].
    pub group: usize,
    /// The heading it sits under, if any.
    pub target: Option<Target>,
    /// The official wording.
    pub text: String,
    /// The 年度 by which it must be はい.
    pub due: FiscalYear,
    /// Whether the wording was checked against the official form.
    pub verified: bool,
    /// Blank (対象外) when the institution has no vendor contract: 2(2), 2(3).
    pub vendor_contract_only: bool,
    /// Where the wording comes from.
    pub source: Option<String>,
    /// A note for the reader (e.g. why it is unverified).
    pub note: Option<String>,
    /// What it means, what evidence is expected, who does it.
    pub guidance: Guidance,
    /// Marked by whoever made the version: the wording is the same as in the
    /// version it was made from.
    pub unchanged: bool,
    /// Where the wording was checked, when and by whom.
    pub checked: Option<WordingCheck>,
}

impl CatalogItem {
    /// The last day by which the item must be はい.
    pub fn due_date(&self) -> civil::Date {
        self.due.last_day()
    }
}

/// The MHLW page where the guideline and each year's checklist forms are
/// published (医療情報システムの安全管理に関するガイドライン), for people to
/// fetch a year's official form that mamori does not hold yet.
pub const OFFICIAL_FORMS_PAGE: &str = "https://www.mhlw.go.jp/stf/shingi/0000516275_00006.html";

/// Where a catalog comes from; a later origin wins over an earlier one for
/// the same version and form, and for the same 年度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CatalogOrigin {
    /// Built into mamori, or a file the operator put in the data folder.
    Shipped,
    /// Made in mamori and shared by the server's operator with every institution.
    Server,
    /// Made in mamori by this institution.
    Institution,
}

/// One official version of one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The file it was read from.
    pub file: String,
    /// Shipped, or made in mamori (by the server's operator or the institution).
    pub origin: CatalogOrigin,
    /// `R5`, `R6` …
    pub version: String,
    /// The other institution form this one also serves: 令和8年度's single
    /// 「医療機関・薬局」 form is `medical` serving `pharmacy` too.
    pub also_serves: Option<FormKind>,
    /// The columns the institution fills in, in form order.
    pub columns: Vec<AnswerColumn>,
    /// The first 年度 the version applies to.
    pub fiscal_year: FiscalYear,
    /// Which form.
    pub form: FormKind,
    /// The form's title.
    pub title: String,
    /// When MHLW published it, if known.
    pub published: Option<civil::Date>,
    /// Where it comes from.
    pub source: String,
    /// Whether the wording of the whole form was checked against the official PDF.
    pub wording_verified: bool,
    /// The 医療情報システムの有無 question (none on the vendor form).
    pub gate: Option<String>,
    /// Notes printed on the form.
    pub notes: Vec<String>,
    /// Groups in form order.
    pub groups: Vec<Group>,
    /// Items in form order.
    pub items: Vec<CatalogItem>,
}

impl Catalog {
    /// Whether this is `year`'s own form, not an earlier year's used because
    /// the year's official form is not in mamori yet (pages and prints must
    /// then say so).
    pub fn is_own_form_of(&self, year: FiscalYear) -> bool {
        self.fiscal_year == year
    }

    /// Whether institutions answering `form` use this catalog.
    pub fn serves(&self, form: FormKind) -> bool {
        self.form == form || self.also_serves == Some(form)
    }

    /// Whether the form has `column`.
    pub fn has_column(&self, column: AnswerColumn) -> bool {
        self.columns.contains(&column)
    }

    /// `R7-medical`: how answers and links name the catalog.
    pub fn id(&self) -> String {
        format!("{}-{}", self.version, self.form.code())
    }

    /// The item with `key`.
    pub fn item(&self, key: &str) -> Option<&CatalogItem> {
        self.items.iter().find(|item| item.key == key)
    }

    /// Whether the item's wording must be checked against the official form
    /// before it is relied on (「公式様式で文言をご確認ください」).
    pub fn needs_wording_check(&self, item: &CatalogItem) -> bool {
        !(item.verified && (self.wording_verified || item.checked.is_some()))
    }

    /// The distinct 年度 in which items fall due, in order (the form's sections).
    pub fn due_years(&self) -> Vec<FiscalYear> {
        let mut years: Vec<FiscalYear> = self.items.iter().map(|item| item.due).collect();
        years.sort();
        years.dedup();
        years
    }
}

/// A catalog file that breaks a rule: which file, which item, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// The file name.
    pub file: String,
    /// The item (its key, or its position when it has no key yet).
    pub item: Option<String>,
    /// The field.
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(item) = &self.item {
            write!(f, ": item {item}")?;
        }
        write!(f, ": field {}: {}", self.field, self.reason)
    }
}

fn error(file: &str, item: Option<&str>, field: &str, reason: impl Into<String>) -> CatalogError {
    CatalogError {
        file: file.to_owned(),
        item: item.map(str::to_owned),
        field: field.to_owned(),
        reason: reason.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    version: String,
    fiscal_year: i64,
    form: String,
    title: String,
    published: Option<String>,
    source: String,
    wording_verified: bool,
    gate: Option<String>,
    #[serde(default)]
    also_serves: Option<String>,
    #[serde(default)]
    columns: Option<Vec<String>>,
    #[serde(default)]
    notes: Vec<String>,
    groups: Vec<RawGroup>,
    items: Vec<serde_norway::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    number: u8,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    key: String,
    number: String,
    group: String,
    target: Option<String>,
    text: String,
    due: i64,
    verified: bool,
    #[serde(default)]
    vendor_contract_only: bool,
    source: Option<String>,
    note: Option<String>,
    guidance: Option<RawGuidance>,
    #[serde(default)]
    unchanged: bool,
    #[serde(default)]
    checked: Option<RawCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    document: String,
    url: String,
    on: String,
    by: String,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct RawGuidance {
    meaning: String,
    evidence: String,
    who: String,
    /// The meaning written to the 事業者, for a key the vendor form shares.
    #[serde(default)]
    for_vendor: Option<String>,
}

/// Shared guidance, keyed by topic key (`catalogs/guidance.yaml`).
#[derive(Debug, Clone, Default)]
pub struct GuidanceBook(BTreeMap<String, Guidance>);

impl GuidanceBook {
    /// Parses the guidance file.
    pub fn parse(file: &str, text: &str) -> Result<Self, CatalogError> {
        let raw: BTreeMap<String, RawGuidance> =
            serde_norway::from_str(text).map_err(|e| yaml_error(file, None, &e))?;
        let mut book = BTreeMap::new();
        for (key, guidance) in raw {
            book.insert(key.clone(), check_guidance(file, &key, guidance)?);
        }
        Ok(Self(book))
    }

    /// The guidance for `key`.
    pub fn get(&self, key: &str) -> Option<&Guidance> {
        self.0.get(key)
    }
}

fn yaml_error(file: &str, item: Option<&str>, e: &serde_norway::Error) -> CatalogError {
    let message = e.to_string();
    // serde's messages name the field as `name`; pull it out for the field slot.
    let field = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .unwrap_or("(structure)")
        .to_owned();
    let location = e
        .location()
        .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
        .unwrap_or_default();
    error(file, item, &field, format!("{message}{location}"))
}

fn check_guidance(file: &str, key: &str, raw: RawGuidance) -> Result<Guidance, CatalogError> {
    for (field, value) in [
        ("guidance.meaning", &raw.meaning),
        ("guidance.evidence", &raw.evidence),
        ("guidance.who", &raw.who),
    ] {
        if value.trim().is_empty() {
            return Err(error(file, Some(key), field, "must not be empty"));
        }
    }
    if raw
        .for_vendor
        .as_ref()
        .is_some_and(|text| text.trim().is_empty())
    {
        return Err(error(
            file,
            Some(key),
            "guidance.for_vendor",
            "must not be empty",
        ));
    }
    Ok(Guidance {
        meaning: raw.meaning.trim().to_owned(),
        for_vendor: raw.for_vendor.map(|text| text.trim().to_owned()),
        evidence: raw.evidence.trim().to_owned(),
        who: raw.who.trim().to_owned(),
    })
}

fn fiscal_year(
    file: &str,
    item: Option<&str>,
    field: &str,
    raw: i64,
) -> Result<FiscalYear, CatalogError> {
    i16::try_from(raw)
        .ok()
        .filter(|year| (2020..=2100).contains(year))
        .and_then(|year| FiscalYear::new(year).ok())
        .ok_or_else(|| {
            error(
                file,
                item,
                field,
                format!("{raw} is not a 年度 between 2020 and 2100"),
            )
        })
}

fn non_empty(
    file: &str,
    item: Option<&str>,
    field: &str,
    value: &str,
    max: usize,
) -> Result<String, CatalogError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(error(file, item, field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(error(
            file,
            item,
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

impl Catalog {
    /// Parses and validates one catalog file. `guidance` supplies the guidance
    /// of items that carry none of their own.
    pub fn parse(file: &str, text: &str, guidance: &GuidanceBook) -> Result<Self, CatalogError> {
        let raw: RawCatalog =
            serde_norway::from_str(text).map_err(|e| yaml_error(file, None, &e))?;
        let version = raw.version.trim().to_owned();
        let reiwa_year: i64 = version
            .strip_prefix('R')
            .and_then(|digits| digits.parse().ok())
            .filter(|year| (1..=80).contains(year))
            .ok_or_else(|| {
                error(
                    file,
                    None,
                    "version",
                    format!("{version:?} is not R followed by a 令和 year (R7)"),
                )
            })?;
        let fiscal = fiscal_year(file, None, "fiscal_year", raw.fiscal_year)?;
        if i64::from(fiscal.start_year()) != reiwa_year + 2018 {
            return Err(error(
                file,
                None,
                "fiscal_year",
                format!(
                    "{version} is 令和{reiwa_year}年度, which is {}, not {}",
                    reiwa_year + 2018,
                    raw.fiscal_year
                ),
            ));
        }
        let form = FormKind::from_code(raw.form.trim()).ok_or_else(|| {
            error(
                file,
                None,
                "form",
                format!("{:?} is not one of medical, pharmacy, vendor", raw.form),
            )
        })?;
        let title = non_empty(file, None, "title", &raw.title, 200)?;
        let source = non_empty(file, None, "source", &raw.source, 500)?;
        let published = match raw.published.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(date) => Some(date.parse::<civil::Date>().map_err(|_| {
                error(
                    file,
                    None,
                    "published",
                    format!("{date:?} is not a date (YYYY-MM-DD)"),
                )
            })?),
        };
        let gate = match (form, raw.gate.as_deref().map(str::trim)) {
            (FormKind::Vendor, None) => None,
            (FormKind::Vendor, Some(_)) => {
                return Err(error(
                    file,
                    None,
                    "gate",
                    "the vendor form has no 医療情報システムの有無 question",
                ));
            }
            (_, None | Some("")) => {
                return Err(error(
                    file,
                    None,
                    "gate",
                    "the 医療情報システムの有無 question is required",
                ));
            }
            (_, Some(text)) => Some(text.to_owned()),
        };
        let also_serves = match raw.also_serves.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => {
                let other = FormKind::from_code(code)
                    .filter(|other| *other != FormKind::Vendor && *other != form)
                    .ok_or_else(|| {
                        error(
                            file,
                            None,
                            "also_serves",
                            format!(
                                "{code:?} is not the other institution form (medical or pharmacy)"
                            ),
                        )
                    })?;
                if form == FormKind::Vendor {
                    return Err(error(
                        file,
                        None,
                        "also_serves",
                        "the vendor form serves vendors only",
                    ));
                }
                Some(other)
            }
        };
        let columns = match raw.columns {
            None => AnswerColumn::CLASSIC.to_vec(),
            Some(codes) => {
                let mut columns = Vec::with_capacity(codes.len());
                for code in codes {
                    let column = AnswerColumn::from_code(code.trim()).ok_or_else(|| {
                        error(
                            file,
                            None,
                            "columns",
                            format!(
                                "{code:?} is not one of first, target, second, checked_on, remarks"
                            ),
                        )
                    })?;
                    if columns.contains(&column) {
                        return Err(error(
                            file,
                            None,
                            "columns",
                            format!("{code} is listed twice"),
                        ));
                    }
                    columns.push(column);
                }
                if !columns.contains(&AnswerColumn::First) {
                    return Err(error(
                        file,
                        None,
                        "columns",
                        "a form needs its first column (first: 1回目)",
                    ));
                }
                columns.sort_by_key(|column| AnswerColumn::ALL.iter().position(|c| c == column));
                columns
            }
        };
        if raw.groups.is_empty() {
            return Err(error(
                file,
                None,
                "groups",
                "a form needs at least one group",
            ));
        }
        let mut groups: Vec<Group> = Vec::new();
        for group in raw.groups {
            let name = non_empty(file, None, "groups.name", &group.name, 100)?;
            if groups
                .iter()
                .any(|g| g.name == name || g.number == group.number)
            {
                return Err(error(
                    file,
                    None,
                    "groups",
                    format!("group {} {name} is listed twice", group.number),
                ));
            }
            groups.push(Group {
                number: group.number,
                name,
            });
        }
        if raw.items.is_empty() {
            return Err(error(file, None, "items", "a form needs at least one item"));
        }
        let mut keys = HashSet::new();
        let mut items = Vec::with_capacity(raw.items.len());
        for (index, value) in raw.items.into_iter().enumerate() {
            let position = format!("#{}", index + 1);
            let hint = value
                .get("key")
                .and_then(|key| key.as_str())
                .map(|key| format!("{key} ({position})"))
                .unwrap_or(position);
            let item: RawItem =
                serde_norway::from_value(value).map_err(|e| yaml_error(file, Some(&hint), &e))?;
            let at = Some(hint.as_str());
            let key = item.key.trim().to_owned();
            if key.is_empty()
                || key.len() > 60
                || !key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(error(
                    file,
                    at,
                    "key",
                    "must be 1–60 characters of a–z, 0–9 and -",
                ));
            }
            if !keys.insert(key.clone()) {
                return Err(error(
                    file,
                    at,
                    "key",
                    "is used by another item of this form",
                ));
            }
            let number = non_empty(file, at, "number", &item.number, 10)?;
            let group = groups
                .iter()
                .position(|g| g.name == item.group.trim())
                .ok_or_else(|| {
                    error(
                        file,
                        at,
                        "group",
                        format!("{:?} is not one of the form's groups", item.group),
                    )
                })?;
            let target = match item.target.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(name) => Some(Target::from_name(name).ok_or_else(|| {
                    error(
                        file,
                        at,
                        "target",
                        format!("{name:?} is not one of 全般, サーバ, 端末PC, ネットワーク機器"),
                    )
                })?),
            };
            let text = non_empty(file, at, "text", &item.text, 500)?;
            let due = fiscal_year(file, at, "due", item.due)?;
            if due < fiscal {
                return Err(error(
                    file,
                    at,
                    "due",
                    format!("{} is before the form's own 年度 {}", item.due, fiscal),
                ));
            }
            if item.vendor_contract_only && form == FormKind::Vendor {
                return Err(error(
                    file,
                    at,
                    "vendor_contract_only",
                    "only institution forms have items blank without a vendor contract",
                ));
            }
            let guidance = match item.guidance {
                Some(own) => check_guidance(file, &key, own)?,
                None => guidance.get(&key).cloned().ok_or_else(|| {
                    error(
                        file,
                        at,
                        "guidance",
                        "no guidance here and none for this key in guidance.yaml",
                    )
                })?,
            };
            if form == FormKind::Vendor
                && guidance.for_vendor.is_none()
                && !key.starts_with("vendor-")
            {
                return Err(error(
                    file,
                    at,
                    "guidance.for_vendor",
                    "an item of the 事業者確認用 form needs guidance written to the vendor",
                ));
            }
            let checked = match item.checked {
                None => None,
                Some(check) => Some(WordingCheck {
                    document: non_empty(file, at, "checked.document", &check.document, 300)?,
                    url: {
                        let url = non_empty(file, at, "checked.url", &check.url, 500)?;
                        if !(url.starts_with("https://") || url.starts_with("http://")) {
                            return Err(error(
                                file,
                                at,
                                "checked.url",
                                "must be a web address starting with https:// or http://",
                            ));
                        }
                        url
                    },
                    on: check.on.trim().parse::<civil::Date>().map_err(|_| {
                        error(
                            file,
                            at,
                            "checked.on",
                            format!("{:?} is not a date (YYYY-MM-DD)", check.on),
                        )
                    })?,
                    by: non_empty(file, at, "checked.by", &check.by, 100)?,
                }),
            };
            items.push(CatalogItem {
                key,
                number,
                group,
                target,
                text,
                due,
                verified: item.verified,
                vendor_contract_only: item.vendor_contract_only,
                source: item
                    .source
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                note: item
                    .note
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
                guidance,
                unchanged: item.unchanged,
                checked,
            });
        }
        Ok(Self {
            file: file.to_owned(),
            origin: CatalogOrigin::Shipped,
            version,
            also_serves,
            columns,
            fiscal_year: fiscal,
            form,
            title,
            published,
            source,
            wording_verified: raw.wording_verified,
            gate,
            notes: raw
                .notes
                .into_iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect(),
            groups,
            items,
        })
    }
}

/// Every catalog mamori knows, with the Tokushima list.
#[derive(Debug, Clone)]
pub struct CatalogSet {
    catalogs: Vec<Catalog>,
    guidance: GuidanceBook,
    tokushima: super::tokushima::TokushimaList,
}

/// The built-in files, embedded at build time (see `build.rs`): adding a file
/// under `catalogs/checklists/` adds a catalog without a code change.
mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_catalogs.rs"));
}

impl CatalogSet {
    /// Parses and validates every file: `checklists` are (file name, text)
    /// pairs. Two files of the same version and form are refused.
    pub fn parse(
        checklists: &[(&str, &str)],
        guidance: (&str, &str),
        tokushima: (&str, &str),
    ) -> Result<Self, CatalogError> {
        let book = GuidanceBook::parse(guidance.0, guidance.1)?;
        let mut catalogs: Vec<Catalog> = Vec::new();
        for (file, text) in checklists {
            let catalog = Catalog::parse(file, text, &book)?;
            if let Some(other) = catalogs.iter().find(|c| c.id() == catalog.id()) {
                return Err(error(
                    file,
                    None,
                    "version",
                    format!("{} is also defined by {}", catalog.id(), other.file),
                ));
            }
            catalogs.push(catalog);
        }
        catalogs.sort_by_key(|c| (c.form, c.fiscal_year));
        let tokushima = super::tokushima::TokushimaList::parse(tokushima.0, tokushima.1)?;
        Ok(Self {
            catalogs,
            guidance: book,
            tokushima,
        })
    }

    /// The catalogs built into this binary, plus `extra` files (e.g. read
    /// from the data folder at start-up).
    pub fn builtin_with(extra: &[(String, String)]) -> Result<Self, CatalogError> {
        let mut files: Vec<(&str, &str)> = builtin::CHECKLISTS.to_vec();
        files.extend(
            extra
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        );
        Self::parse(&files, builtin::GUIDANCE, builtin::TOKUSHIMA)
    }

    /// The catalogs built into this binary.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::builtin_with(&[])
    }

    /// Every catalog, by form then year.
    pub fn all(&self) -> &[Catalog] {
        &self.catalogs
    }

    /// The catalog with [`Catalog::id`] `id`.
    pub fn by_id(&self, id: &str) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| c.id() == id)
    }

    /// The version of `form` in force in `year`: the latest one that applies
    /// from that year or earlier (a combined form serves both institution
    /// forms; for the same 年度 one made in mamori wins over a shipped one).
    /// It may be an earlier year's form when the year's own has not been
    /// entered yet: see [`Catalog::is_own_form_of`].
    pub fn for_year(&self, form: FormKind, year: FiscalYear) -> Option<&Catalog> {
        self.catalogs
            .iter()
            .filter(|c| c.serves(form) && c.fiscal_year <= year)
            .max_by_key(|c| (c.fiscal_year, c.origin, c.form == form))
    }

    /// The guidance book the catalogs were read with.
    pub fn guidance(&self) -> &GuidanceBook {
        &self.guidance
    }

    /// Parses and validates a version made in mamori, exactly as a shipped
    /// file is, with this set's guidance.
    pub fn parse_version(
        &self,
        file: &str,
        text: &str,
        origin: CatalogOrigin,
    ) -> Result<Catalog, CatalogError> {
        let mut catalog = Catalog::parse(file, text, &self.guidance)?;
        catalog.origin = origin;
        Ok(catalog)
    }

    /// This set with `versions` added (made in mamori); a version with the
    /// same id as one already here replaces it when its origin is later.
    pub fn with_versions(&self, versions: Vec<Catalog>) -> Self {
        let mut catalogs = self.catalogs.clone();
        for version in versions {
            match catalogs.iter_mut().find(|c| c.id() == version.id()) {
                Some(existing) if existing.origin <= version.origin => *existing = version,
                Some(_) => {}
                None => catalogs.push(version),
            }
        }
        catalogs.sort_by_key(|c| (c.form, c.fiscal_year));
        Self {
            catalogs,
            guidance: self.guidance.clone(),
            tokushima: self.tokushima.clone(),
        }
    }

    /// The Tokushima Lv1–3 list (参考2).
    pub fn tokushima(&self) -> &super::tokushima::TokushimaList {
        &self.tokushima
    }
}
