//! Access logs (アクセスログ) as pure parsers: syslog lines and TCP frames in,
//! common [`LogEvent`]s out, and the registered sources ([`source`]) with
//! the reading of a file they exported. Nothing here receives, stores or
//! seals a log (the app keeps them in a tiled log, `crates/tiles`). CSV/TSV
//! audit exports of EHR and レセコン products are read by [`ehr_csv`].

pub mod ehr_csv;
pub mod event;
pub mod evtx;
pub mod framing;
pub mod products;
pub mod relp;
pub mod review;
pub mod source;
pub mod syslog;
pub mod windows;

pub use event::{Action, LogEvent, Outcome};

/// How many threads a large read or append may use: the machine's cores,
/// at most eight.
pub fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}
