//! Which uploaded files mamori keeps as evidence: PDF, images and Office
//! files, recognised by their first bytes *and* their extension (a renamed
//! executable is neither), up to [`MAX_UPLOAD_BYTES`].

use crate::{ParseError, ParseErrorKind};

/// The largest file accepted as evidence: 10 MiB.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// A file that passed the checks, with its media type and cleaned name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedFile {
    /// The file name without any folder part or control characters.
    pub name: String,
    /// The media type decided from its contents.
    pub content_type: &'static str,
}

const KINDS: &[(&[&str], &[u8], &str)] = &[
    (&["pdf"], b"%PDF-", "application/pdf"),
    (&["png"], b"\x89PNG\r\n\x1a\n", "image/png"),
    (&["jpg", "jpeg"], b"\xFF\xD8\xFF", "image/jpeg"),
    (
        &["docx"],
        b"PK\x03\x04",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        &["xlsx"],
        b"PK\x03\x04",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        &["pptx"],
        b"PK\x03\x04",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        &["doc"],
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "application/msword",
    ),
    (
        &["xls"],
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "application/vnd.ms-excel",
    ),
    (
        &["ppt"],
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        "application/vnd.ms-powerpoint",
    ),
];

/// The name an upload is kept under, with what every upload must be: a name
/// (its last path part, without control or bidirectional characters, which
/// would let "exe.pdf" look like "pdf.exe") of at most 200 characters, and
/// contents of 1 byte to 10 MB.
pub(crate) fn checked_name(
    field: &'static str,
    raw_name: &str,
    bytes: &[u8],
) -> Result<String, ParseError> {
    let name: String = raw_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !crate::error::is_forbidden(*c, false))
        .collect::<String>()
        .trim()
        .to_owned();
    if name.is_empty() || bytes.is_empty() {
        return Err(ParseError::new(field, ParseErrorKind::Empty));
    }
    if name.chars().count() > 200 {
        return Err(ParseError::new(field, ParseErrorKind::TooLong { max: 200 }));
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ParseError::new(
            field,
            ParseErrorKind::BadFormat("a file of at most 10 MB"),
        ));
    }
    Ok(name)
}

/// Checks an upload named `raw_name` with contents `bytes`; `field` names the form field.
pub fn accept_upload(
    field: &'static str,
    raw_name: &str,
    bytes: &[u8],
) -> Result<AcceptedFile, ParseError> {
    let name = checked_name(field, raw_name, bytes)?;
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    KINDS
        .iter()
        .find(|(extensions, magic, _)| {
            extensions.contains(&extension.as_str()) && bytes.starts_with(magic)
        })
        .map(|(_, _, content_type)| AcceptedFile {
            name: name.clone(),
            content_type,
        })
        .ok_or(ParseError::new(
            field,
            ParseErrorKind::BadFormat("a PDF, PNG, JPEG or Office file (Word, Excel, PowerPoint)"),
        ))
}

/// Checks a log file (a vendor's work log): what [`accept_upload`] accepts,
/// or plain text (.txt, .log, .csv) with no NUL byte.
pub fn accept_log(
    field: &'static str,
    raw_name: &str,
    bytes: &[u8],
) -> Result<AcceptedFile, ParseError> {
    if let Ok(accepted) = accept_upload(field, raw_name, bytes) {
        return Ok(accepted);
    }
    let name = checked_name(field, raw_name, bytes)?;
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if ["txt", "log", "csv"].contains(&extension.as_str()) && !bytes.contains(&0) {
        Ok(AcceptedFile {
            name,
            content_type: "text/plain",
        })
    } else {
        Err(ParseError::new(
            field,
            ParseErrorKind::BadFormat("a PDF, Office file or text log (.txt, .log, .csv)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_is_a_document_or_text_without_nul() {
        assert_eq!(
            accept_log("file", "rtx.log", b"2026/12/03 09:00 login").map(|a| a.content_type),
            Ok("text/plain")
        );
        assert!(accept_log("file", "report.pdf", b"%PDF-1.7").is_ok());
        assert!(accept_log("file", "tool.exe", b"MZ\x90").is_err());
        assert!(accept_log("file", "binary.log", b"ab\0cd").is_err());
    }

    #[test]
    fn contents_and_extension_must_agree() {
        assert_eq!(
            accept_upload("file", "C:\\docs\\MDS.pdf", b"%PDF-1.7 ...")
                .unwrap()
                .name,
            "MDS.pdf"
        );
        assert!(accept_upload("file", "evil.pdf", b"MZ\x90\x00").is_err());
        assert!(accept_upload("file", "evil.exe", b"%PDF-1.7").is_err());
        assert!(accept_upload("file", "photo.JPG", b"\xFF\xD8\xFF\xE0").is_ok());
        assert!(accept_upload("file", "empty.pdf", b"").is_err());
        let big = vec![b'%'; MAX_UPLOAD_BYTES + 1];
        assert!(accept_upload("file", "big.pdf", &big).is_err());
    }

    #[test]
    fn a_name_shows_what_it_is_without_bidi_or_control_characters() {
        // "report<RLO>fdp.exe" displays as "reportexe.pdf": stored, it must read
        // as what it is, and then it is an .exe and refused.
        assert!(accept_upload("file", "report\u{202E}fdp.exe", b"%PDF-1.7").is_err());
        let accepted =
            accept_upload("file", "MDS\u{2066}\u{0}\u{202E}.pdf", b"%PDF-1.7").expect("accepted");
        assert_eq!(accepted.name, "MDS.pdf");
        assert!(crate::error::is_bidi_control('\u{202E}'));
        assert!(!crate::error::is_forbidden('\n', true));
        assert!(crate::error::is_forbidden('\n', false));
    }
}
