//! Pure domain types and rules of mamori: parsed values, roles and permissions, the Japanese calendar.
//!
//! Invariant: nothing here does IO (no files, network or database), except that
//! password hashing reads the operating system's random source for salts.
//! Invariant: nothing here is `Serialize`; the web and store layers convert explicitly.
#![forbid(unsafe_code)]

/// A database id with its own type, so that ids of different records cannot be mixed up.
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a database id; only the store and route parsing should call this.
            pub fn from_db(raw: i64) -> Self {
                Self(raw)
            }

            /// The database id.
            pub fn get(&self) -> i64 {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

/// A closed set of choices with a stored code, a Japanese name, the
/// aliases spreadsheets use for it and an English name for the English UI.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($code:literal, $ja:literal $(, $alias:literal)*) => $en:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            /// Every value, in the order the forms list them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The stable code stored in the database.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),* }
            }

            /// The Japanese name, as shown and exported.
            pub fn name_ja(self) -> &'static str {
                match self { $(Self::$variant => $ja),* }
            }

            /// The English name, for the English UI only (files stay Japanese).
            pub fn name_en(self) -> &'static str {
                match self { $(Self::$variant => $en),* }
            }

            /// Reads a code, the Japanese name, or a common alias.
            pub fn parse(field: &'static str, raw: &str) -> Result<Self, $crate::ParseError> {
                let raw = raw.trim();
                $(
                    if raw == $code || raw == $ja $(|| raw == $alias)* {
                        return Ok(Self::$variant);
                    }
                )*
                Err($crate::ParseError::new(field, $crate::ParseErrorKind::UnknownChoice))
            }
        }
    };
}

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
pub mod maintenance;
pub mod policy;
pub mod reminder;
pub mod schedule;
pub mod training;

pub use error::{ParseError, ParseErrorKind};
