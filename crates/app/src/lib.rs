//! mamori's application crate: the command line, configuration, and the wiring
//! of store and web into one server that `main` and the tests both build.
#![forbid(unsafe_code)]

pub mod access_logs;
pub mod audit;
pub mod backup;
pub mod catalogs;
pub mod cli;
mod config;
mod data_dir;
pub mod receivers;
pub mod reminders;
mod startup;
mod time_sync;

pub use config::Config;
pub use startup::Application;
