//! The Tokushima 20-item list for the 企画管理者 (seed 参考2): each item is
//! assessed at Lv1 (最低限), Lv2 (基本) or Lv3 (できている); Lv2 is the target.

use serde::Deserialize;

use super::catalog::CatalogError;

/// One item: the question and the three level descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokushimaItem {
    /// 1–20.
    pub number: u8,
    /// The チェック項目.
    pub question: String,
    /// What Lv1, Lv2 and Lv3 mean for this item.
    pub levels: [String; 3],
}

/// The whole list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokushimaList {
    /// Its title.
    pub title: String,
    /// Where it comes from.
    pub source: String,
    /// The level every item should reach (Lv2).
    pub target_level: u8,
    /// The items in order.
    pub items: Vec<TokushimaItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    title: String,
    source: String,
    target_level: u8,
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    number: u8,
    question: String,
    levels: Vec<String>,
}

impl TokushimaList {
    /// Parses and validates the list file.
    pub fn parse(file: &str, text: &str) -> Result<Self, CatalogError> {
        let fail = |item: Option<String>, field: &str, reason: String| CatalogError {
            file: file.to_owned(),
            item,
            field: field.to_owned(),
            reason,
        };
        let raw: RawList =
            serde_norway::from_str(text).map_err(|e| fail(None, "(structure)", e.to_string()))?;
        if !(1..=3).contains(&raw.target_level) {
            return Err(fail(None, "target_level", "must be 1, 2 or 3".into()));
        }
        let mut items = Vec::with_capacity(raw.items.len());
        for (index, item) in raw.items.into_iter().enumerate() {
            let at = Some(format!("#{}", index + 1));
            if usize::from(item.number) != index + 1 {
                return Err(fail(
                    at,
                    "number",
                    format!("{} is out of order (expected {})", item.number, index + 1),
                ));
            }
            if item.question.trim().is_empty() {
                return Err(fail(at, "question", "must not be empty".into()));
            }
            let levels: [String; 3] = item
                .levels
                .into_iter()
                .map(|level| level.trim().to_owned())
                .collect::<Vec<_>>()
                .try_into()
                .map_err(|_| {
                    fail(
                        at.clone(),
                        "levels",
                        "must list exactly three levels".into(),
                    )
                })?;
            if levels.iter().any(String::is_empty) {
                return Err(fail(
                    at,
                    "levels",
                    "a level must not be empty (write — for none)".into(),
                ));
            }
            items.push(TokushimaItem {
                number: item.number,
                question: item.question.trim().to_owned(),
                levels,
            });
        }
        if items.is_empty() {
            return Err(fail(
                None,
                "items",
                "the list needs at least one item".into(),
            ));
        }
        Ok(Self {
            title: raw.title.trim().to_owned(),
            source: raw.source.trim().to_owned(),
            target_level: raw.target_level,
            items,
        })
    }
}

/// A level chosen for an item: 1, 2 or 3.
pub fn parse_level(raw: &str) -> Result<Option<u8>, crate::ParseError> {
    match raw.trim() {
        "" => Ok(None),
        "1" => Ok(Some(1)),
        "2" => Ok(Some(2)),
        "3" => Ok(Some(3)),
        _ => Err(crate::ParseError::new(
            "level",
            crate::ParseErrorKind::UnknownChoice,
        )),
    }
}
