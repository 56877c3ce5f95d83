//! The MHLW cybersecurity checklists (医療機関・薬局・事業者確認用) and the
//! Tokushima Lv1–3 list: catalogs read from data files, answers and their
//! rules, and where each item stands.

pub mod answer;
pub mod catalog;
pub mod forms;
pub mod tokushima;
pub mod upload;
pub mod version;

pub use answer::{
    Answer, DatedAnswer, GroupProgress, ItemRecord, ItemState, RawItemRecord, group_progress,
    item_state, not_after, open_items, parse_date, parse_dated_answer, parse_item_record,
};
pub use catalog::{
    AnswerColumn, Catalog, CatalogError, CatalogItem, CatalogOrigin, CatalogSet, FormKind, Group,
    Guidance, GuidanceBook, OFFICIAL_FORMS_PAGE, Target, WordingCheck,
};
pub use forms::{
    NewVendor, parse_evidence_link, parse_gate, parse_link_days, parse_note, parse_officer,
    parse_vendor, parse_vendor_answer,
};
pub use tokushima::{TokushimaItem, TokushimaList};
pub use upload::{AcceptedFile, MAX_UPLOAD_BYTES, accept_upload};
pub use version::{
    NewVersion, RawHeaderEdit, RawItemEdit, VersionId, apply_header_edit, parse_item_edit,
    parse_new_version, version_name,
};
