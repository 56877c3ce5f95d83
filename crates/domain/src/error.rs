//! The one error type of parsing user input into domain values.

use std::fmt;

/// Why a field was refused; the web layer turns it into a Japanese or English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The field was empty or only white space.
    Empty,
    /// The field was longer than `max` characters.
    TooLong { max: usize },
    /// The field was shorter than `min` characters.
    TooShort { min: usize },
    /// A number was outside `min..=max`.
    OutOfRange { min: i64, max: i64 },
    /// The value is not one of the allowed choices.
    UnknownChoice,
    /// The value has characters or a shape that is not allowed; the text says which.
    BadFormat(&'static str),
    /// The value contradicts another field; the text says how.
    Inconsistent(&'static str),
}

/// A field that could not be parsed, named by its form field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    field: &'static str,
    kind: ParseErrorKind,
    subject: Option<String>,
}

impl ParseError {
    /// An error for `field` (the form field's name, e.g. `"login_id"`).
    pub fn new(field: &'static str, kind: ParseErrorKind) -> Self {
        Self {
            field,
            kind,
            subject: None,
        }
    }

    /// The same error about one row or item of a longer form (e.g. `2(4)`),
    /// so that the message can name it.
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The row or item the error is about, if the form has several.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The form field's name.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Why the field was refused.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(subject) = &self.subject {
            write!(f, "{subject}: ")?;
        }
        match &self.kind {
            ParseErrorKind::Empty => write!(f, "{}: must not be empty", self.field),
            ParseErrorKind::TooLong { max } => {
                write!(f, "{}: must be at most {max} characters", self.field)
            }
            ParseErrorKind::TooShort { min } => {
                write!(f, "{}: must be at least {min} characters", self.field)
            }
            ParseErrorKind::OutOfRange { min, max } => {
                write!(f, "{}: must be between {min} and {max}", self.field)
            }
            ParseErrorKind::UnknownChoice => {
                write!(f, "{}: not one of the allowed values", self.field)
            }
            ParseErrorKind::BadFormat(why) => write!(f, "{}: {why}", self.field),
            ParseErrorKind::Inconsistent(why) => write!(f, "{}: {why}", self.field),
        }
    }
}

/// Trims `raw` and checks that it is non-empty and at most `max` characters.
pub(crate) fn required_text(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<String, ParseError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ParseError::new(field, ParseErrorKind::Empty));
    }
    if trimmed.chars().count() > max {
        return Err(ParseError::new(field, ParseErrorKind::TooLong { max }));
    }
    if trimmed.chars().any(|c| is_forbidden(c, false)) {
        return Err(ParseError::new(field, ParseErrorKind::BadFormat(CONTROL)));
    }
    Ok(trimmed.to_owned())
}

/// The reason given for a refused control or bidirectional character.
pub(crate) const CONTROL: &str = "control characters are not allowed";

/// The bidirectional formatting characters (Unicode's "explicit directional"
/// marks, embeddings, overrides and isolates): they make text display other
/// than it is — U+202E turns `report\u{202E}fdp.exe` into "reportexe.pdf".
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is refused in text people type: control characters (NUL among
/// them, which PostgreSQL cannot store in text), except new line and tab where
/// `multiline`, and the bidirectional controls.
pub fn is_forbidden(c: char, multiline: bool) -> bool {
    (c.is_control() && !(multiline && matches!(c, '\n' | '\t'))) || is_bidi_control(c)
}

/// A short note beside a step (棚卸 or approval メモ): trimmed, without
/// control or bidirectional characters, at most `max` characters. Lenient by
/// design — a note never blocks the step it accompanies.
pub fn short_note(raw: &str, max: usize) -> String {
    raw.trim()
        .chars()
        .filter(|c| !is_forbidden(*c, false))
        .take(max)
        .collect()
}

/// Multi-line free text (備考, メモ): trimmed, `\r\n` and `\r` read as new
/// lines, at most `max` characters, no other control characters; may be empty.
pub(crate) fn multiline_text(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<String, ParseError> {
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = text.trim();
    if trimmed.chars().count() > max {
        return Err(ParseError::new(field, ParseErrorKind::TooLong { max }));
    }
    if trimmed.chars().any(|c| is_forbidden(c, true)) {
        return Err(ParseError::new(field, ParseErrorKind::BadFormat(CONTROL)));
    }
    Ok(trimmed.to_owned())
}

/// Trims `raw` (which may be empty) and checks it is at most `max` characters
/// without control characters.
pub(crate) fn optional_text(
    field: &'static str,
    raw: &str,
    max: usize,
) -> Result<String, ParseError> {
    if raw.trim().is_empty() {
        Ok(String::new())
    } else {
        required_text(field, raw, max)
    }
}

/// A whole number in `0..=max`, written with ASCII or full-width digits.
pub(crate) fn whole_number(field: &'static str, raw: &str, max: u32) -> Result<u32, ParseError> {
    let digits: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    if digits.is_empty() {
        return Err(ParseError::new(field, ParseErrorKind::Empty));
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ParseError::new(
            field,
            ParseErrorKind::BadFormat("a whole number"),
        ));
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ParseError::new(
            field,
            ParseErrorKind::OutOfRange {
                min: 0,
                max: i64::from(max),
            },
        )),
    }
}
