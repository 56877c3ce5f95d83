//! Pure domain types and rules of mamori: parsed values, roles and permissions, the Japanese calendar.
//!
//! Invariant: nothing here does IO (no files, network or database), except that
//! password hashing reads the operating system's random source for salts.
//! Invariant: nothing here is `Serialize`; the web and store layers convert explicitly.
#![forbid(unsafe_code)]

pub mod access_log;
pub mod calendar;
pub mod checklist;
pub mod continuity;
pub mod contract;
pub mod dashboard;
pub mod document;
pub mod error;
pub mod holiday;
pub mod incident;
pub mod institution;
pub mod ledger;

pub use error::{ParseError, ParseErrorKind};
