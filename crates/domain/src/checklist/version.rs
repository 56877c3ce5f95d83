//! New versions of a checklist made inside mamori (issue #16): a
//! 安全管理責任者 — or the server's operator, for every institution — makes the
//! new 年度's version from the previous one, edits, adds and removes items,
//! records where each item's wording was checked, and publishes it. A version
//! is kept as the text of a catalog file, so it is validated exactly like a
//! shipped one and can be downloaded to be shipped in the next release.

use jiff::civil;
use serde::Serialize;

use super::catalog::{
    AnswerColumn, Catalog, CatalogError, CatalogItem, CatalogOrigin, CatalogSet, FormKind, Group,
    Guidance, GuidanceBook, Target, WordingCheck,
};
use crate::calendar::FiscalYear;
use crate::error::{ParseError, ParseErrorKind, multiline_text, optional_text, required_text};

/// The id of a version made in mamori.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionId(i64);

impl VersionId {
    /// Wraps a database id; only the store and route parsing should call this.
    pub fn from_db(raw: i64) -> Self {
        Self(raw)
    }

    /// The database id.
    pub fn get(&self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for VersionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a new version is made from: the 年度 it applies from and whether it
/// is one form for both hospitals/clinics and pharmacies (as 令和8年度's is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewVersion {
    /// The first 年度 it applies to.
    pub fiscal_year: FiscalYear,
    /// One form for 医療機関 and 薬局.
    pub combined: bool,
}

/// Checks the "new version" form against the version it is made from: a
/// later 年度 (2020–2100) and "combined" only for an institution form.
pub fn parse_new_version(
    raw_year: &str,
    combined: bool,
    base: &Catalog,
) -> Result<NewVersion, ParseError> {
    let fiscal_year = parse_fiscal_year("version_year", raw_year)?;
    if fiscal_year <= base.fiscal_year {
        return Err(ParseError::new(
            "version_year",
            ParseErrorKind::Inconsistent(
                "a new version must be for a later fiscal year than the one it is made from",
            ),
        ));
    }
    if combined && base.form == FormKind::Vendor {
        return Err(ParseError::new(
            "combined",
            ParseErrorKind::Inconsistent(
                "only an institution form can serve hospitals and pharmacies at once",
            ),
        ));
    }
    Ok(NewVersion {
        fiscal_year,
        combined,
    })
}

/// A 年度 typed as its starting year (2026), between 2020 and 2100.
fn parse_fiscal_year(field: &'static str, raw: &str) -> Result<FiscalYear, ParseError> {
    let year: i16 = raw.trim().parse().map_err(|_| {
        ParseError::new(
            field,
            ParseErrorKind::BadFormat("a whole number is expected"),
        )
    })?;
    FiscalYear::new(year)
        .ok()
        .filter(|y| (2020..=2100).contains(&y.start_year()))
        .ok_or(ParseError::new(
            field,
            ParseErrorKind::OutOfRange {
                min: 2020,
                max: 2100,
            },
        ))
}

/// `R8` for 2026: the version name of a 年度.
pub fn version_name(year: FiscalYear) -> String {
    format!("R{}", i32::from(year.start_year()) - 2018)
}

impl Catalog {
    /// The version a new 年度 starts from: every item kept with its key (so
    /// answers carry over), marked unchanged and not yet verified, its due
    /// 年度 moved up to the new version's when it was earlier.
    pub fn successor(&self, new: &NewVersion) -> Catalog {
        let version = version_name(new.fiscal_year);
        let also_serves = if new.combined {
            match self.form {
                FormKind::Medical => Some(FormKind::Pharmacy),
                FormKind::Pharmacy => Some(FormKind::Medical),
                FormKind::Vendor => None,
            }
        } else {
            self.also_serves
        };
        Catalog {
            file: format!("{}-{}.yaml", version.to_lowercase(), self.form.code()),
            origin: CatalogOrigin::Institution,
            version,
            also_serves,
            columns: self.columns.clone(),
            fiscal_year: new.fiscal_year,
            form: self.form,
            title: self.title.clone(),
            published: None,
            source: format!("mamori で {} をもとに作成", self.id()),
            wording_verified: false,
            gate: self.gate.clone(),
            notes: self.notes.clone(),
            groups: self.groups.clone(),
            items: self
                .items
                .iter()
                .map(|item| CatalogItem {
                    due: item.due.max(new.fiscal_year),
                    verified: false,
                    unchanged: true,
                    checked: None,
                    source: None,
                    note: None,
                    ..item.clone()
                })
                .collect(),
        }
    }

    /// 医療機関確認用, or 医療機関・薬局確認用 for a combined form.
    pub fn form_name_ja(&self) -> String {
        match self.also_serves {
            Some(_) => "医療機関・薬局確認用".to_owned(),
            None => self.form.name_ja().to_owned(),
        }
    }

    /// The form's English name.
    pub fn form_name_en(&self) -> String {
        match self.also_serves {
            Some(_) => "for medical institutions and pharmacies".to_owned(),
            None => self.form.name_en().to_owned(),
        }
    }

    /// The catalog as a file in the format of `catalogs/checklists/`: guidance
    /// equal to `book`'s for the key is left out, as in the shipped files.
    pub fn to_file_text(&self, book: &GuidanceBook) -> String {
        let file = FileCatalog {
            version: &self.version,
            fiscal_year: i64::from(self.fiscal_year.start_year()),
            form: self.form.code(),
            also_serves: self.also_serves.map(FormKind::code),
            columns: self.columns.iter().map(|c| c.code()).collect(),
            title: &self.title,
            published: self.published.map(|date| date.to_string()),
            source: &self.source,
            wording_verified: self.wording_verified,
            gate: self.gate.as_deref(),
            notes: &self.notes,
            groups: self
                .groups
                .iter()
                .map(|group| FileGroup {
                    number: group.number,
                    name: &group.name,
                })
                .collect(),
            items: self
                .items
                .iter()
                .map(|item| FileItem {
                    key: &item.key,
                    number: &item.number,
                    group: self
                        .groups
                        .get(item.group)
                        .map(|group| group.name.as_str())
                        .unwrap_or_default(),
                    target: item.target.map(Target::name_ja),
                    text: &item.text,
                    due: i64::from(item.due.start_year()),
                    verified: item.verified,
                    vendor_contract_only: item.vendor_contract_only,
                    unchanged: item.unchanged,
                    source: item.source.as_deref(),
                    note: item.note.as_deref(),
                    checked: item.checked.as_ref().map(|check| FileCheck {
                        document: &check.document,
                        url: &check.url,
                        on: check.on.to_string(),
                        by: &check.by,
                    }),
                    guidance: (book.get(&item.key) != Some(&item.guidance)).then(|| FileGuidance {
                        meaning: &item.guidance.meaning,
                        evidence: &item.guidance.evidence,
                        who: &item.guidance.who,
                        for_vendor: item.guidance.for_vendor.as_deref(),
                    }),
                })
                .collect(),
        };
        let body = serde_norway::to_string(&file).unwrap_or_else(|e| {
            // Plain strings, numbers and lists always serialise; keep the
            // failure visible rather than writing half a file.
            format!("# could not be written: {e}\n")
        });
        format!(
            "# {} — {} ({})\n# {}\n{body}",
            self.title,
            self.form_name_ja(),
            self.id(),
            self.source
        )
    }

    /// Replaces the item keyed `key` (its key may change).
    pub fn replace_item(&mut self, key: &str, item: CatalogItem) -> Result<(), ParseError> {
        let slot = self
            .items
            .iter_mut()
            .find(|existing| existing.key == key)
            .ok_or(ParseError::new("item_key", ParseErrorKind::UnknownChoice))?;
        *slot = item;
        Ok(())
    }

    /// Adds `item` after the item keyed `after`, or at the end.
    pub fn insert_item(&mut self, after: Option<&str>, item: CatalogItem) {
        let at = after
            .and_then(|key| self.items.iter().position(|existing| existing.key == key))
            .map_or(self.items.len(), |index| index + 1);
        self.items.insert(at, item);
    }

    /// Removes the item keyed `key`; a form keeps at least one item.
    pub fn remove_item(&mut self, key: &str) -> Result<CatalogItem, ParseError> {
        let index = self
            .items
            .iter()
            .position(|existing| existing.key == key)
            .ok_or(ParseError::new("item_key", ParseErrorKind::UnknownChoice))?;
        if self.items.len() == 1 {
            return Err(ParseError::new(
                "item_key",
                ParseErrorKind::Inconsistent("a form keeps at least one item"),
            )
            .with_subject(key.to_owned()));
        }
        Ok(self.items.remove(index))
    }
}

impl CatalogSet {
    /// Writes `catalog` as a file and reads it back through the same
    /// validation as a shipped file: the text that is stored, or what is wrong.
    pub fn check_version(&self, catalog: &Catalog) -> Result<(Catalog, String), CatalogError> {
        let text = catalog.to_file_text(self.guidance());
        let checked = self.parse_version(&catalog.file, &text, catalog.origin)?;
        Ok((checked, text))
    }
}

#[derive(Serialize)]
struct FileCatalog<'a> {
    version: &'a str,
    fiscal_year: i64,
    form: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    also_serves: Option<&'a str>,
    columns: Vec<&'a str>,
    title: &'a str,
    published: Option<String>,
    source: &'a str,
    wording_verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<&'a str>,
    notes: &'a [String],
    groups: Vec<FileGroup<'a>>,
    items: Vec<FileItem<'a>>,
}

#[derive(Serialize)]
struct FileGroup<'a> {
    number: u8,
    name: &'a str,
}

#[derive(Serialize)]
struct FileItem<'a> {
    key: &'a str,
    number: &'a str,
    group: &'a str,
    target: Option<&'a str>,
    text: &'a str,
    due: i64,
    verified: bool,
    vendor_contract_only: bool,
    unchanged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checked: Option<FileCheck<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guidance: Option<FileGuidance<'a>>,
}

#[derive(Serialize)]
struct FileCheck<'a> {
    document: &'a str,
    url: &'a str,
    on: String,
    by: &'a str,
}

#[derive(Serialize)]
struct FileGuidance<'a> {
    meaning: &'a str,
    evidence: &'a str,
    who: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    for_vendor: Option<&'a str>,
}

/// The raw fields of the item form of the version editor.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawItemEdit<'a> {
    /// The stable topic key (the same key for an item only reworded).
    pub key: &'a str,
    /// `①`, `(4)` …
    pub number: &'a str,
    /// The group's name.
    pub group: &'a str,
    /// 全般, サーバ, 端末PC, ネットワーク機器 or empty.
    pub target: &'a str,
    /// The official wording.
    pub text: &'a str,
    /// The 年度 by which it must be はい (2026).
    pub due: &'a str,
    /// The wording was checked against the official form.
    pub verified: bool,
    /// The wording is the same as in the version this one was made from.
    pub unchanged: bool,
    /// 2(2)/2(3): blank without a vendor contract.
    pub vendor_contract_only: bool,
    /// A note for the reader.
    pub note: &'a str,
    /// The document the wording was checked against.
    pub check_document: &'a str,
    /// Its web address.
    pub check_url: &'a str,
    /// The day it was checked.
    pub check_on: &'a str,
    /// Who checked it.
    pub check_by: &'a str,
    /// Guidance: what the item means (empty: the standard guidance of the key).
    pub meaning: &'a str,
    /// What an inspector expects to see.
    pub evidence: &'a str,
    /// Who usually does it.
    pub who: &'a str,
    /// What it means to the vendor (事業者確認用 only).
    pub for_vendor: &'a str,
}

/// Checks one item of a version being edited. `editing` is the key of the
/// item being changed (None for a new item); every error names the item.
pub fn parse_item_edit(
    raw: &RawItemEdit<'_>,
    catalog: &Catalog,
    book: &GuidanceBook,
    editing: Option<&str>,
    today: civil::Date,
) -> Result<CatalogItem, ParseError> {
    let subject = {
        let key = raw.key.trim();
        let number = raw.number.trim();
        match (number.is_empty(), key.is_empty()) {
            (false, false) => format!("{number} {key}"),
            (true, false) => key.to_owned(),
            (false, true) => number.to_owned(),
            (true, true) => editing.unwrap_or("?").to_owned(),
        }
    };
    parse_item_fields(raw, catalog, book, editing, today).map_err(|e| e.with_subject(subject))
}

fn parse_item_fields(
    raw: &RawItemEdit<'_>,
    catalog: &Catalog,
    book: &GuidanceBook,
    editing: Option<&str>,
    today: civil::Date,
) -> Result<CatalogItem, ParseError> {
    let key = required_text("item_key", raw.key, 60)?;
    if !key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ParseError::new(
            "item_key",
            ParseErrorKind::BadFormat("only a-z, 0-9 and - are allowed"),
        ));
    }
    if catalog
        .items
        .iter()
        .any(|item| item.key == key && Some(item.key.as_str()) != editing)
    {
        return Err(ParseError::new(
            "item_key",
            ParseErrorKind::Inconsistent("another item of this form has this key"),
        ));
    }
    let number = required_text("item_number", raw.number, 10)?;
    let group_name = raw.group.trim();
    let group = catalog
        .groups
        .iter()
        .position(|group| group.name == group_name)
        .ok_or(ParseError::new("item_group", ParseErrorKind::UnknownChoice))?;
    let target = match raw.target.trim() {
        "" => None,
        name => Some(
            [Target::General, Target::Server, Target::Pc, Target::Network]
                .into_iter()
                .find(|target| target.name_ja() == name)
                .ok_or(ParseError::new(
                    "item_target",
                    ParseErrorKind::UnknownChoice,
                ))?,
        ),
    };
    // Wording copied from a PDF arrives broken into lines; Japanese joins them without spaces.
    let text = required_text("item_text", &raw.text.replace(['\r', '\n'], ""), 500)?;
    let due = parse_fiscal_year("item_due", raw.due)?;
    if due < catalog.fiscal_year {
        return Err(ParseError::new(
            "item_due",
            ParseErrorKind::Inconsistent("the due fiscal year cannot be before the form's own"),
        ));
    }
    if raw.vendor_contract_only && catalog.form == FormKind::Vendor {
        return Err(ParseError::new(
            "vendor_contract_only",
            ParseErrorKind::Inconsistent(
                "only institution forms have items blank without a vendor contract",
            ),
        ));
    }
    let note = optional_text("item_note", raw.note, 300)?;
    let checked = parse_check(raw, today)?;
    if raw.verified && checked.is_none() {
        return Err(ParseError::new(
            "check_document",
            ParseErrorKind::Inconsistent(
                "a verified item needs where, when and by whom its wording was checked",
            ),
        ));
    }
    let previous = editing.and_then(|key| catalog.item(key));
    let guidance = parse_guidance(raw, &key, book, previous)?;
    if catalog.form == FormKind::Vendor
        && guidance.for_vendor.is_none()
        && !key.starts_with("vendor-")
    {
        return Err(ParseError::new("for_vendor", ParseErrorKind::Empty));
    }
    Ok(CatalogItem {
        key,
        number,
        group,
        target,
        text,
        due,
        verified: raw.verified,
        vendor_contract_only: raw.vendor_contract_only,
        source: checked
            .as_ref()
            .map(|check| check.url.clone())
            .or_else(|| previous.and_then(|p| p.source.clone())),
        note: (!note.is_empty()).then_some(note),
        guidance,
        unchanged: raw.unchanged,
        checked,
    })
}

fn parse_check(
    raw: &RawItemEdit<'_>,
    today: civil::Date,
) -> Result<Option<WordingCheck>, ParseError> {
    let given = [
        raw.check_document,
        raw.check_url,
        raw.check_on,
        raw.check_by,
    ];
    if given.iter().all(|field| field.trim().is_empty()) {
        return Ok(None);
    }
    let document = required_text("check_document", raw.check_document, 300)?;
    let url = required_text("check_url", raw.check_url, 500)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ParseError::new(
            "check_url",
            ParseErrorKind::BadFormat("a web address starting with https://"),
        ));
    }
    let on = super::answer::parse_date("check_on", raw.check_on)?
        .ok_or(ParseError::new("check_on", ParseErrorKind::Empty))?;
    let on = super::answer::not_after("check_on", on, today)?;
    let by = required_text("check_by", raw.check_by, 100)?;
    Ok(Some(WordingCheck {
        document,
        url,
        on,
        by,
    }))
}

fn parse_guidance(
    raw: &RawItemEdit<'_>,
    key: &str,
    book: &GuidanceBook,
    previous: Option<&CatalogItem>,
) -> Result<Guidance, ParseError> {
    let fields = [raw.meaning, raw.evidence, raw.who];
    let for_vendor = multiline_text("for_vendor", raw.for_vendor, 1000)?;
    if fields.iter().all(|field| field.trim().is_empty()) {
        // The standard guidance of the key, or what the item had.
        let standard = book
            .get(key)
            .or_else(|| previous.map(|item| &item.guidance))
            .cloned()
            .ok_or(ParseError::new("meaning", ParseErrorKind::Empty))?;
        return Ok(Guidance {
            for_vendor: if for_vendor.is_empty() {
                standard.for_vendor.clone()
            } else {
                Some(for_vendor)
            },
            ..standard
        });
    }
    Ok(Guidance {
        meaning: non_empty_multiline("meaning", raw.meaning)?,
        evidence: non_empty_multiline("evidence_text", raw.evidence)?,
        who: required_text("who", raw.who, 200)?,
        for_vendor: if for_vendor.is_empty() {
            book.get(key)
                .or_else(|| previous.map(|item| &item.guidance))
                .and_then(|guidance| guidance.for_vendor.clone())
        } else {
            Some(for_vendor)
        },
    })
}

fn non_empty_multiline(field: &'static str, raw: &str) -> Result<String, ParseError> {
    let text = multiline_text(field, raw, 1000)?;
    if text.is_empty() {
        return Err(ParseError::new(field, ParseErrorKind::Empty));
    }
    Ok(text)
}

/// The raw fields of the version's own form: title, source, gate question,
/// notes, columns and whether it serves both institution forms.
#[derive(Debug, Clone, Default)]
pub struct RawHeaderEdit<'a> {
    /// The form's title.
    pub title: &'a str,
    /// Where it comes from (the ministry's page).
    pub source: &'a str,
    /// When MHLW published it (may be empty).
    pub published: &'a str,
    /// The 医療情報システムの有無 question (institution forms).
    pub gate: &'a str,
    /// Notes printed on the form, one a line.
    pub notes: &'a str,
    /// The groups, one a line: its number, a space, its name (`1 体制構築`).
    /// Items keep their group by position, so renaming a line renames the
    /// group of its items.
    pub groups: &'a str,
    /// The codes of the columns ticked.
    pub columns: Vec<&'a str>,
    /// One form for 医療機関 and 薬局.
    pub combined: bool,
}

/// Applies the header form to `catalog`.
pub fn apply_header_edit(
    catalog: &mut Catalog,
    raw: &RawHeaderEdit<'_>,
    today: civil::Date,
) -> Result<(), ParseError> {
    let title = required_text("form_title", raw.title, 200)?;
    let source = required_text("form_source", raw.source, 500)?;
    let published = super::answer::parse_date("published_on", raw.published)?
        .map(|date| super::answer::not_after("published_on", date, today))
        .transpose()?;
    let gate = match catalog.form {
        FormKind::Vendor => None,
        _ => Some(required_text(
            "gate_text",
            &raw.gate.replace(['\r', '\n'], ""),
            500,
        )?),
    };
    let notes = multiline_text("notes", raw.notes, 3000)?
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let mut columns = Vec::new();
    for code in &raw.columns {
        let column = AnswerColumn::from_code(code)
            .ok_or(ParseError::new("columns", ParseErrorKind::UnknownChoice))?;
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    // The form's order, whatever order the boxes came in.
    columns.sort_by_key(|column| AnswerColumn::ALL.iter().position(|c| c == column));
    if !columns.contains(&AnswerColumn::First) {
        return Err(ParseError::new(
            "columns",
            ParseErrorKind::Inconsistent("a form needs its first check column"),
        ));
    }
    let groups = parse_groups(raw.groups)?;
    if let Some(item) = catalog.items.iter().find(|item| item.group >= groups.len()) {
        return Err(ParseError::new(
            "groups",
            ParseErrorKind::Inconsistent("a group that still has items cannot be removed"),
        )
        .with_subject(format!("{} {}", item.number, item.key)));
    }
    let also_serves = match (raw.combined, catalog.form) {
        (false, _) => None,
        (true, FormKind::Medical) => Some(FormKind::Pharmacy),
        (true, FormKind::Pharmacy) => Some(FormKind::Medical),
        (true, FormKind::Vendor) => {
            return Err(ParseError::new(
                "combined",
                ParseErrorKind::Inconsistent(
                    "only an institution form can serve hospitals and pharmacies at once",
                ),
            ));
        }
    };
    catalog.title = title;
    catalog.source = source;
    catalog.published = published;
    catalog.gate = gate;
    catalog.notes = notes;
    catalog.columns = columns;
    catalog.also_serves = also_serves;
    catalog.groups = groups;
    Ok(())
}

/// The groups as the header form writes them: `1 体制構築`, one a line.
fn parse_groups(raw: &str) -> Result<Vec<Group>, ParseError> {
    let text = multiline_text("groups", raw, 2000)?;
    let mut groups: Vec<Group> = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (number, name) = line
            .split_once([' ', '\u{3000}'])
            .map(|(number, name)| (number.trim(), name.trim()))
            .ok_or(ParseError::new(
                "groups",
                ParseErrorKind::BadFormat("one group a line: its number, a space and its name"),
            ))?;
        let number: u8 = number.parse().map_err(|_| {
            ParseError::new(
                "groups",
                ParseErrorKind::BadFormat("one group a line: its number, a space and its name"),
            )
        })?;
        let name = required_text("groups", name, 100)?;
        if groups.iter().any(|g| g.number == number || g.name == name) {
            return Err(ParseError::new(
                "groups",
                ParseErrorKind::Inconsistent("each group's number and name are used once"),
            )
            .with_subject(line.to_owned()));
        }
        groups.push(Group { number, name });
    }
    if groups.is_empty() {
        return Err(ParseError::new("groups", ParseErrorKind::Empty));
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: civil::Date = civil::date(2026, 6, 1);

    fn set() -> CatalogSet {
        CatalogSet::builtin().expect("the shipped catalogs are valid")
    }

    fn r7(set: &CatalogSet) -> Catalog {
        set.by_id("R7-medical").expect("R7-medical ships").clone()
    }

    fn edit_of(item: &CatalogItem, catalog: &Catalog) -> (String, String, String) {
        (
            item.key.clone(),
            catalog.groups[item.group].name.clone(),
            item.due.start_year().to_string(),
        )
    }

    #[test]
    fn a_successor_keeps_every_key_and_passes_the_shipped_files_validation() {
        let set = set();
        let base = r7(&set);
        let new = parse_new_version("2026", true, &base).expect("a later year");
        let next = base.successor(&new);
        let (checked, text) = set.check_version(&next).expect("valid");
        assert_eq!(checked.id(), "R8-medical");
        assert_eq!(checked.also_serves, Some(FormKind::Pharmacy));
        assert!(checked.serves(FormKind::Pharmacy) && checked.serves(FormKind::Medical));
        assert_eq!(
            checked.items.iter().map(|i| &i.key).collect::<Vec<_>>(),
            base.items.iter().map(|i| &i.key).collect::<Vec<_>>()
        );
        assert!(checked.items.iter().all(|i| i.unchanged && !i.verified));
        assert!(checked.items.iter().all(|i| i.due.start_year() >= 2026));
        // Guidance equal to guidance.yaml's is not repeated in the file.
        assert!(!text.contains("meaning:"), "{text}");
        // The same text parses to the same catalog again.
        let again = set
            .parse_version("r8-medical.yaml", &text, CatalogOrigin::Institution)
            .expect("round trip");
        assert_eq!(again, checked);
        // And, once added, it is the form in force for both kinds in 令和8年度.
        let with = set.with_versions(vec![checked]);
        let year = FiscalYear::new(2026).expect("year");
        assert_eq!(
            with.for_year(FormKind::Pharmacy, year)
                .map(Catalog::id)
                .as_deref(),
            Some("R8-medical")
        );
        assert_eq!(
            with.for_year(FormKind::Medical, year)
                .map(Catalog::id)
                .as_deref(),
            Some("R8-medical")
        );
        assert!(
            set.for_year(FormKind::Medical, year)
                .is_some_and(|c| c.id() == "R7-medical")
        );
    }

    #[test]
    fn every_shipped_form_can_start_a_next_version_that_validates() {
        let set = set();
        for base in set.all() {
            let next = base.successor(&NewVersion {
                fiscal_year: FiscalYear::new(2030).expect("year"),
                combined: false,
            });
            let (checked, _) = set
                .check_version(&next)
                .unwrap_or_else(|e| panic!("{}: {e}", base.id()));
            assert_eq!(checked.form, base.form);
            assert_eq!(
                checked.gate,
                base.gate,
                "{}: the gate question is kept",
                base.id()
            );
            for item in &checked.items {
                let old = base.item(&item.key).expect("same keys");
                assert_eq!(item.guidance, old.guidance, "{} {}", base.id(), item.key);
            }
        }
    }

    #[test]
    fn a_new_version_must_be_for_a_later_year() {
        let set = set();
        let base = r7(&set);
        for year in ["2025", "2024", "abc", "2101"] {
            let error = parse_new_version(year, false, &base).unwrap_err();
            assert_eq!(error.field(), "version_year", "{year}");
        }
        let vendor = set.by_id("R7-vendor").expect("vendor form").clone();
        assert_eq!(
            parse_new_version("2026", true, &vendor)
                .unwrap_err()
                .field(),
            "combined"
        );
    }

    fn raw_for<'a>(key: &'a str, group: &'a str, due: &'a str, text: &'a str) -> RawItemEdit<'a> {
        RawItemEdit {
            key,
            number: "⑭",
            group,
            target: "全般",
            text,
            due,
            ..RawItemEdit::default()
        }
    }

    #[test]
    fn an_item_with_a_used_key_an_empty_wording_or_an_unknown_group_is_refused_naming_it() {
        let set = set();
        let next = r7(&set).successor(&NewVersion {
            fiscal_year: FiscalYear::new(2026).expect("year"),
            combined: false,
        });
        let first = &next.items[0];
        let (used_key, group, due) = edit_of(first, &next);
        let book = set.guidance();

        let duplicate = parse_item_edit(
            &raw_for(&used_key, &group, &due, "新しい項目。"),
            &next,
            book,
            None,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(duplicate.field(), "item_key");
        assert_eq!(duplicate.subject(), Some(format!("⑭ {used_key}").as_str()));

        let pasted = parse_item_edit(
            &raw_for(
                "new-item",
                &group,
                &due,
                "医療情報システム安全管理責任者を\r\n設置している。",
            ),
            &next,
            book,
            None,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(pasted.field(), "meaning", "the wording itself was accepted");
        let empty = parse_item_edit(
            &raw_for("new-item", &group, &due, "  "),
            &next,
            book,
            None,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(empty.field(), "item_text");
        assert_eq!(empty.subject(), Some("⑭ new-item"));

        let unknown = parse_item_edit(
            &raw_for("new-item", "存在しない区分", &due, "文言。"),
            &next,
            book,
            None,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(unknown.field(), "item_group");

        // A new key needs guidance of its own.
        let no_guidance = parse_item_edit(
            &raw_for("new-item", &group, &due, "文言。"),
            &next,
            book,
            None,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(no_guidance.field(), "meaning");

        // Editing an item may keep its own key.
        let same = parse_item_edit(
            &RawItemEdit {
                unchanged: true,
                ..raw_for(&used_key, &group, &due, "文言を改めた。")
            },
            &next,
            book,
            Some(&used_key),
            TODAY,
        )
        .expect("its own key");
        assert_eq!(same.guidance, first.guidance);
    }

    #[test]
    fn a_verified_item_records_where_when_and_by_whom() {
        let set = set();
        let next = r7(&set).successor(&NewVersion {
            fiscal_year: FiscalYear::new(2026).expect("year"),
            combined: false,
        });
        let (key, group, due) = edit_of(&next.items[0], &next);
        let book = set.guidance();
        let bare = RawItemEdit {
            verified: true,
            ..raw_for(&key, &group, &due, "文言。")
        };
        assert_eq!(
            parse_item_edit(&bare, &next, book, Some(&key), TODAY)
                .unwrap_err()
                .field(),
            "check_document"
        );
        let checked = RawItemEdit {
            check_document: "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト",
            check_url: "https://www.mhlw.go.jp/stf/shingi/0000516275_00006.html",
            check_on: "2026-05-20",
            check_by: "山田 太郎",
            ..bare
        };
        let item = parse_item_edit(&checked, &next, book, Some(&key), TODAY).expect("recorded");
        let mut edited = next.clone();
        edited.replace_item(&key, item).expect("there");
        let (parsed, _) = set.check_version(&edited).expect("valid");
        let item = parsed.item(&key).expect("kept");
        assert!(!parsed.needs_wording_check(item));
        assert_eq!(
            item.checked.as_ref().map(|c| c.on),
            Some(civil::date(2026, 5, 20))
        );
        // A check dated tomorrow is refused.
        let future = RawItemEdit {
            check_on: "2026-06-02",
            ..checked
        };
        assert_eq!(
            parse_item_edit(&future, &next, book, Some(&key), TODAY)
                .unwrap_err()
                .field(),
            "check_on"
        );
    }

    #[test]
    fn the_header_sets_the_columns_in_form_order_and_needs_the_first() {
        let set = set();
        let mut next = r7(&set).successor(&NewVersion {
            fiscal_year: FiscalYear::new(2026).expect("year"),
            combined: false,
        });
        let raw = RawHeaderEdit {
            title: "医療機関・薬局におけるサイバーセキュリティ対策チェックリスト",
            source: "https://www.mhlw.go.jp/stf/shingi/0000516275_00006.html",
            gate: "医療情報システムを導入、運用している。",
            columns: vec!["remarks", "checked_on", "first"],
            groups: "1 体制構築\n2 医療情報システムの管理・運用\n3 インシデント発生に備えた対応\n4 規程類・教育",
            combined: true,
            ..RawHeaderEdit::default()
        };
        apply_header_edit(&mut next, &raw, TODAY).expect("valid");
        assert_eq!(
            next.columns,
            vec![
                AnswerColumn::First,
                AnswerColumn::CheckedOn,
                AnswerColumn::Remarks
            ]
        );
        assert_eq!(next.form_name_ja(), "医療機関・薬局確認用");
        let (parsed, text) = set.check_version(&next).expect("valid");
        assert!(text.contains("checked_on"), "{text}");
        assert_eq!(parsed.columns, next.columns);
        assert_eq!(parsed.groups[3].name, "規程類・教育", "renamed in place");
        let dropped = RawHeaderEdit {
            groups: "1 体制構築\n2 医療情報システムの管理・運用\n3 インシデント発生に備えた対応",
            ..raw.clone()
        };
        let error = apply_header_edit(&mut next.clone(), &dropped, TODAY).unwrap_err();
        assert_eq!(error.field(), "groups");
        assert_eq!(error.subject(), Some("① operation-rules"));
        let twice = RawHeaderEdit {
            groups: "1 体制構築\n1 体制構築",
            ..raw.clone()
        };
        assert_eq!(
            apply_header_edit(&mut next.clone(), &twice, TODAY)
                .unwrap_err()
                .field(),
            "groups"
        );
        let without_first = RawHeaderEdit {
            columns: vec!["remarks"],
            ..raw
        };
        assert_eq!(
            apply_header_edit(&mut next, &without_first, TODAY)
                .unwrap_err()
                .field(),
            "columns"
        );
    }

    #[test]
    fn the_last_item_cannot_be_removed() {
        let set = set();
        let mut next = r7(&set).successor(&NewVersion {
            fiscal_year: FiscalYear::new(2026).expect("year"),
            combined: false,
        });
        let keys: Vec<String> = next.items.iter().map(|i| i.key.clone()).collect();
        let (last, rest) = keys.split_last().expect("items");
        for key in rest {
            next.remove_item(key).expect("removable");
        }
        assert_eq!(next.remove_item(last).unwrap_err().field(), "item_key");
        assert!(set.check_version(&next).is_ok());
    }
}
