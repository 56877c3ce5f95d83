//! Access logs (アクセスログ) as pure parsers: syslog lines and TCP frames in,
//! common [`LogEvent`]s out. Nothing here receives, stores or seals a log;
//! the receivers and the tamper-evident store come later. CSV/TSV audit
//! exports of EHR and レセコン products are read by [`ehr_csv`].

pub mod ehr_csv;
pub mod event;
pub mod framing;
pub mod products;
pub mod syslog;
pub mod windows;

pub use event::{Action, LogEvent, Outcome};
