//! The smaller checklist forms: the 医療情報システムの有無 question, evidence
//! links, vendors and their answers, and the Tokushima notes.

use jiff::civil;

use super::answer::{Answer, DatedAnswer, parse_dated_answer};
use crate::error::{optional_text, required_text};
use crate::{ParseError, ParseErrorKind};

/// The gate answer: empty clears it; otherwise はい／いいえ with a check date
/// that is not in the future.
pub fn parse_gate(
    in_use: &str,
    checked_on: &str,
    today: civil::Date,
) -> Result<Option<(bool, civil::Date)>, ParseError> {
    if in_use.trim().is_empty() {
        return Ok(None);
    }
    let answer = parse_dated_answer("in_use", in_use, "checked_on", checked_on, today)?;
    Ok(Some((answer.answer == Answer::Yes, answer.date)))
}

/// Evidence that is a page of mamori: a path starting with one `/` (never an
/// outside address), and what it shows.
pub fn parse_evidence_link(path: &str, label: &str) -> Result<(String, String), ParseError> {
    let path = required_text("path", path, 300)?;
    if !path.starts_with('/') || path.starts_with("//") || path.contains('\\') {
        return Err(ParseError::new(
            "path",
            ParseErrorKind::BadFormat("a path inside mamori, starting with /"),
        ));
    }
    Ok((path, required_text("label", label, 200)?))
}

/// A vendor as the institution records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVendor {
    /// 事業者名.
    pub name: String,
    /// Contact person, phone, e-mail.
    pub contact: String,
    /// The systems it supplies or maintains.
    pub systems: String,
}

/// Parses the add-vendor form.
pub fn parse_vendor(name: &str, contact: &str, systems: &str) -> Result<NewVendor, ParseError> {
    Ok(NewVendor {
        name: required_text("name", name, 100)?,
        contact: optional_text("contact", contact, 200)?,
        systems: optional_text("systems", systems, 200)?,
    })
}

/// How many days a vendor link works: 1–90, 30 when left empty.
pub fn parse_link_days(raw: &str) -> Result<i64, ParseError> {
    match raw.trim() {
        "" => Ok(30),
        digits => digits
            .parse()
            .ok()
            .filter(|days| (1..=90).contains(days))
            .ok_or(ParseError::new(
                "days",
                ParseErrorKind::OutOfRange { min: 1, max: 90 },
            )),
    }
}

/// The name of the vendor's 管理責任者.
pub fn parse_officer(raw: &str) -> Result<String, ParseError> {
    required_text("officer_name", raw, 100)
}

/// One row of the vendor's form: a dated answer and 備考.
pub fn parse_vendor_answer(
    answer: &str,
    date: &str,
    remarks: &str,
    today: civil::Date,
) -> Result<(DatedAnswer, String), ParseError> {
    Ok((
        parse_dated_answer("vendor_answer", answer, "first_date", date, today)?,
        optional_text("remarks", remarks, 500)?,
    ))
}

/// A 対策メモ of the Tokushima list.
pub fn parse_note(raw: &str) -> Result<String, ParseError> {
    optional_text("remarks", raw, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: civil::Date = civil::date(2026, 11, 25);

    #[test]
    fn links_stay_inside_mamori() {
        assert!(parse_evidence_link("/users", "利用者一覧").is_ok());
        for outside in [
            "https://evil.example/",
            "//evil.example/",
            "users",
            "/\\evil",
        ] {
            assert_eq!(
                parse_evidence_link(outside, "x").unwrap_err().field(),
                "path",
                "{outside}"
            );
        }
        assert_eq!(
            parse_evidence_link("/users", " ").unwrap_err().field(),
            "label"
        );
    }

    #[test]
    fn gate_and_vendor_answers_need_a_past_date() {
        assert_eq!(parse_gate("", "", TODAY), Ok(None));
        assert_eq!(
            parse_gate("no", "2026-04-01", TODAY),
            Ok(Some((false, civil::date(2026, 4, 1))))
        );
        assert_eq!(
            parse_gate("yes", "2026-12-01", TODAY).unwrap_err().field(),
            "checked_on"
        );
        assert_eq!(
            parse_vendor_answer("", "2026-04-01", "", TODAY)
                .unwrap_err()
                .field(),
            "vendor_answer"
        );
        assert_eq!(
            parse_vendor_answer("yes", "", "", TODAY)
                .unwrap_err()
                .field(),
            "first_date"
        );
        assert!(parse_vendor_answer("yes", "2026-04-01", "", TODAY).is_ok());
    }

    #[test]
    fn vendors_need_a_name_and_links_1_to_90_days() {
        assert_eq!(parse_vendor(" ", "", "").unwrap_err().field(), "name");
        assert_eq!(
            parse_vendor("保守", "", "").map(|v| v.name),
            Ok("保守".to_owned())
        );
        assert_eq!(parse_link_days(""), Ok(30));
        assert!(
            parse_link_days("91").is_err()
                && parse_link_days("0").is_err()
                && parse_link_days("x").is_err()
        );
    }
}
