//! The built-in checklist catalogs: they load, the R5 and R6 wording matches
//! the seed handbook's reproduction of the official forms character for
//! character, and malformed files are refused with file, item and field named.

use mamori_domain::calendar::FiscalYear;
use mamori_domain::checklist::{Catalog, CatalogSet, FormKind};

/// 【参考1】 of the seed handbook (shared/seed), copied verbatim.
const SEED: &str = include_str!("fixtures/seed-sankou1.txt");

/// `(number, text)` of every item row of one form in the seed, in order.
fn seed_rows(form: &str) -> Vec<(String, String)> {
    form.lines()
        .filter(|line| line.contains("はい・いいえ (/)\t(/)"))
        .filter_map(|line| {
            let cell = line
                .trim_start_matches('\t')
                .split('\t')
                .find(|cell| cell.trim_start().starts_with('('))?;
            let (number, text) = cell.trim().split_once(' ')?;
            Some((number.to_owned(), text.trim().to_owned()))
        })
        .collect()
}

/// `(number, text)` rows of one form.
type Rows = Vec<(String, String)>;

fn seed_forms() -> (Rows, Rows) {
    let (medical, vendor) = SEED
        .split_once("事業者確認用")
        .expect("the seed has both forms");
    (seed_rows(medical), seed_rows(vendor))
}

fn rows(catalog: &Catalog) -> Vec<(String, String)> {
    catalog
        .items
        .iter()
        .map(|item| (item.number.clone(), item.text.clone()))
        .collect()
}

fn catalogs() -> CatalogSet {
    CatalogSet::builtin().unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn r5_items_match_the_official_form_exactly() {
    let set = catalogs();
    let (medical, vendor) = seed_forms();
    assert_eq!(medical.len(), 18);
    assert_eq!(vendor.len(), 14);
    assert_eq!(rows(set.by_id("R5-medical").expect("R5 medical")), medical);
    assert_eq!(rows(set.by_id("R5-vendor").expect("R5 vendor")), vendor);
    let gate = set
        .by_id("R5-medical")
        .and_then(|c| c.gate.clone())
        .unwrap_or_default();
    assert!(gate.starts_with("医療情報システムを導入、運用している。"));
}

#[test]
fn r6_items_use_the_official_wording_where_it_is_verified() {
    let set = catalogs();
    let (medical, _) = seed_forms();
    let r6 = set.by_id("R6-medical").expect("R6 medical");
    assert_eq!(r6.items.len(), 18, "1 + 14 + 3 items");
    for item in r6.items.iter().filter(|item| item.verified) {
        assert!(
            medical
                .iter()
                .any(|(number, text)| *number == item.number && *text == item.text),
            "R6 {} {} differs from the official wording",
            item.number,
            item.text
        );
    }
    assert!(
        r6.items
            .iter()
            .all(|item| item.due == FiscalYear::new(2024).expect("FY"))
    );
}

#[test]
fn every_year_has_a_form_and_every_item_has_guidance() {
    let set = catalogs();
    for year in 2023..=2030 {
        let year = FiscalYear::new(year).expect("FY");
        for form in [FormKind::Medical, FormKind::Vendor] {
            assert!(set.for_year(form, year).is_some(), "{form:?} {year}");
        }
    }
    assert_eq!(
        set.for_year(FormKind::Medical, FiscalYear::new(2026).expect("FY"))
            .map(|c| c.version.as_str()),
        Some("R7")
    );
    for catalog in set.all() {
        for item in &catalog.items {
            assert!(
                !item.guidance.meaning.is_empty()
                    && !item.guidance.evidence.is_empty()
                    && !item.guidance.who.is_empty()
            );
            // The vendor form speaks to the 事業者, not to the clinic.
            if catalog.form == FormKind::Vendor && !item.key.starts_with("vendor-") {
                let text = item.guidance.for_vendor.as_deref().unwrap_or_default();
                assert!(text.starts_with("貴社"), "{}: {text}", item.key);
            }
        }
    }
    assert_eq!(set.tokushima().items.len(), 20);
}

/// The guidance of one topic key, from the form in force in 令和7年度.
fn guidance_of(key: &str) -> mamori_domain::checklist::Guidance {
    let set = catalogs();
    let catalog = set
        .for_year(FormKind::Medical, FiscalYear::new(2025).expect("FY"))
        .expect("R7");
    catalog
        .items
        .iter()
        .find(|item| item.key == key)
        .unwrap_or_else(|| panic!("{key} in R7"))
        .guidance
        .clone()
}

/// The contact chart's guidance names every body the seed's §3(1)③ expects on
/// it, and the two-factor guidance states the guideline's condition rather than
/// a bare deadline (issue #16 item 5).
#[test]
fn guidance_names_every_contact_and_the_two_factor_condition() {
    let contacts = guidance_of("contact-chart").evidence;
    for body in [
        "外部委託業者",
        "医療情報担当参事官室",
        "03-6812-7837",
        "igishitsu@mhlw.go.jp",
        "個人情報保護委員会（個人情報保護法第26条に基づく場合",
        "都道府県警察のサイバー犯罪相談窓口",
        "コンピュータ不正アクセス届出制度",
        "コンピュータウイルス届出制度",
        "ソフトウェア等の脆弱性関連情報に関する届出制度",
    ] {
        assert!(contacts.contains(body), "{body} missing from: {contacts}");
    }
    let two_factor = guidance_of("two-factor").meaning;
    for part in ["令和9年度", "稼働", "新しく導入または更新", "第6.0版による"]
    {
        assert!(
            two_factor.contains(part),
            "{part} missing from: {two_factor}"
        );
    }
}

const GOOD: &str = r#"
version: R9
fiscal_year: 2027
form: medical
title: テスト
published: null
source: test
wording_verified: false
gate: 医療情報システムを導入、運用している。
groups:
  - {number: 1, name: 体制構築}
items:
  - {key: security-officer, number: "(1)", group: 体制構築, target: null, text: 責任者を置く。, due: 2027, verified: false}
"#;

fn load(text: &str) -> Result<CatalogSet, String> {
    CatalogSet::builtin_with(&[("r9-medical.yaml".into(), text.into())]).map_err(|e| e.to_string())
}

#[test]
fn a_new_years_file_is_a_new_catalog_without_code() {
    let set = load(GOOD).expect("a valid file");
    let year = FiscalYear::new(2027).expect("FY");
    assert_eq!(
        set.for_year(FormKind::Medical, year)
            .map(|c| c.version.as_str()),
        Some("R9")
    );
}

#[test]
fn malformed_files_are_refused_naming_file_item_and_field() {
    let cases = [
        (
            GOOD.replace("due: 2027", "due: 2026"),
            "item security-officer (#1): field due",
        ),
        (
            GOOD.replace("group: 体制構築,", "group: 存在しない,"),
            "item security-officer (#1): field group",
        ),
        (
            GOOD.replace("text: 責任者を置く。,", "txt: 責任者を置く。,"),
            "item security-officer (#1): field txt",
        ),
        (
            GOOD.replace("fiscal_year: 2027", "fiscal_year: 2030"),
            "field fiscal_year",
        ),
        (GOOD.replace("form: medical", "form: clinic"), "field form"),
        (
            GOOD.replace("gate: 医療情報システムを導入、運用している。", "gate: null"),
            "field gate",
        ),
        (
            GOOD.replace("key: security-officer", "key: no-guidance-anywhere"),
            "field guidance",
        ),
        (
            format!(
                "{GOOD}  - {{key: security-officer, number: \"(2)\", group: 体制構築, target: null, text: x, due: 2027, verified: false}}\n"
            ),
            "field key",
        ),
        (
            GOOD.replace("target: null", "target: プリンタ"),
            "field target",
        ),
        ("version: [".to_owned(), "r9-medical.yaml"),
    ];
    for (text, expected) in cases {
        let error = load(&text).expect_err(expected);
        assert!(error.starts_with("r9-medical.yaml"), "{error}");
        assert!(
            error.contains(expected),
            "expected {expected:?} in {error:?}"
        );
    }
    let twice = CatalogSet::builtin_with(&[
        ("a.yaml".into(), GOOD.into()),
        ("b.yaml".into(), GOOD.into()),
    ])
    .expect_err("twice");
    assert!(
        twice.to_string().contains("also defined by a.yaml"),
        "{twice}"
    );
}
