//! Black-box HTTP tests: the real application on a free port, driven through
//! HTTP, on SQLite or on the PostgreSQL server named by `TEST_DATABASE_URL`.

mod access_logs;
mod audit_trail;
mod break_glass;
mod calendar;
mod carry_out;
mod checklist;
mod checklist_versions;
mod continuity;
mod english;
mod first_use;
mod helpers;
mod incidents;
mod ledger;
mod lockout;
mod maintenance;
mod policy;
mod reminders;
mod roles;
mod security;
mod setup;
mod sign_in;
mod tenancy;
mod training;
mod two_factor;
mod users;
