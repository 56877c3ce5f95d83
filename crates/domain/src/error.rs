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
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(ParseError::new(
            field,
            ParseErrorKind::BadFormat("control characters are not allowed"),
        ));
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
