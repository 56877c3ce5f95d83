//! `multipart/form-data` forms (file uploads) that passed the same CSRF and
//! origin checks as [`crate::auth::CsrfForm`]. The whole body is read into
//! memory; its size is bounded by the route's body limit.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use subtle::ConstantTimeEq;

use crate::AppError;
use crate::auth::{expected_csrf, origin_matches_host};
use crate::i18n::Locale;

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The name the browser sent.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A multipart form: its text fields and its (non-empty) files.
#[derive(Debug, Default)]
pub struct CsrfMultipart {
    /// Text fields by name (the last value wins).
    pub fields: HashMap<String, String>,
    /// Files, in order; a file input left empty is not listed.
    pub files: Vec<UploadedFile>,
}

impl CsrfMultipart {
    /// A text field, or "" when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

impl<S: Send + Sync> FromRequest<S> for CsrfMultipart {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let locale = Locale::from_parts(&parts);
        let t = locale.messages();
        let forbidden = || AppError::User {
            status: axum::http::StatusCode::FORBIDDEN,
            locale,
            message: t.error_csrf.into(),
        };
        if !origin_matches_host(&parts) {
            return Err(forbidden());
        }
        let (expected, _) = expected_csrf(&parts);
        let unreadable = |detail: String| {
            AppError::bad_request(locale, format!("{}: {detail}", t.error_form_unreadable))
        };
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|error| unreadable(error.body_text()))?;
        let mut form = Self::default();
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|error| too_large_or(locale, error))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|error| too_large_or(locale, error))?;
                    if !(file_name.is_empty() && bytes.is_empty()) {
                        form.files.push(UploadedFile {
                            field: name,
                            name: file_name,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                None => {
                    let text = field
                        .text()
                        .await
                        .map_err(|error| too_large_or(locale, error))?;
                    form.fields.insert(name, text);
                }
            }
        }
        let csrf = form.field("csrf");
        if csrf.is_empty() || !bool::from(csrf.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(forbidden());
        }
        Ok(form)
    }
}

fn too_large_or(locale: Locale, error: axum::extract::multipart::MultipartError) -> AppError {
    let t = locale.messages();
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::User {
            status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            locale,
            message: t.error_upload_too_large.into(),
        }
    } else {
        AppError::bad_request(
            locale,
            format!("{}: {}", t.error_form_unreadable, error.body_text()),
        )
    }
}
