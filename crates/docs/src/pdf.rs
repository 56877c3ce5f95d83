//! The checklist PDF through typst. The data goes in as one JSON string
//! (`sys.inputs.data`), which the template decodes: no typst types leak out.

use std::sync::OnceLock;

use typst::foundations::{Dict, IntoValue, Str};
use typst_as_lib::TypstEngine;

use crate::{ChecklistPrint, DocumentError, JAPANESE_FONT};

static CHECKLIST_TEMPLATE: &str = include_str!("../templates/checklist.typ");

fn engine() -> &'static TypstEngine<typst_as_lib::TypstTemplateMainFile> {
    static ENGINE: OnceLock<TypstEngine<typst_as_lib::TypstTemplateMainFile>> = OnceLock::new();
    ENGINE.get_or_init(|| {
        TypstEngine::builder()
            .main_file(CHECKLIST_TEMPLATE)
            .fonts([JAPANESE_FONT])
            .build()
    })
}

/// Renders the checklist as an A4 PDF with real, extractable Japanese text.
pub fn checklist_pdf(print: &ChecklistPrint) -> Result<Vec<u8>, DocumentError> {
    let json = serde_json::to_string(print)?;
    let mut inputs = Dict::new();
    inputs.insert(Str::from("data"), Str::from(json).into_value());
    let document = engine()
        .compile_with_input(inputs)
        .output
        .map_err(|error| DocumentError::Template(format!("{error:?}")))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|errors| DocumentError::Template(format!("{errors:?}")))
}
