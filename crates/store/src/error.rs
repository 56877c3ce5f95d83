//! The store's error type: callers match on these, never on sqlx errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No row matched, or it belongs to another institution.
    #[error("not found")]
    NotFound,
    /// A unique value (such as a login ID) is already taken; names the field.
    #[error("{0} is already in use")]
    Conflict(&'static str),
    /// The change would break a rule about people.
    #[error("{0}")]
    Rule(mamori_domain::institution::PeopleRuleViolation),
    /// The operation is not available on this database (e.g. an SQLite snapshot of PostgreSQL).
    #[error("not available on this database: {0}")]
    NotSupported(&'static str),
    /// Setup was attempted after an institution already exists.
    #[error("mamori has already been set up")]
    AlreadySetUp,
    /// The database URL could not be understood.
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    /// The database could not be reached or read.
    #[error("{0}")]
    Unavailable(String),
    /// A migration failed; the database was left as it was.
    #[error("database migration failed, nothing was changed: {0}")]
    Migration(String),
    /// A stored value could not be read back (the database was edited by hand).
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
    /// A sealed secret does not open with the key in the data folder (the key
    /// was replaced or lost, or the value was edited).
    #[error("a stored secret does not open with the data folder's secrets key")]
    SealedSecret,
    /// The store was opened without the key that seals secrets.
    #[error("no secrets key was given to the store")]
    NoSecretKey,
    /// A portable export could not be read or stored (names the line and why);
    /// nothing was stored.
    #[error("{0}")]
    Portable(String),
    /// A reference in the input (a 管理番号, a network segment, an incident
    /// to join) matches nothing of the institution; names the field.
    #[error("{0}: nothing of this institution matches")]
    Unknown(&'static str),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// `NotFound` unless `result` changed exactly one row: an update by id and
    /// institution that matched nothing is another tenant's record, or none.
    pub(crate) fn unless_one_row(result: &sqlx::any::AnyQueryResult) -> Result<(), Self> {
        if result.rows_affected() == 1 {
            Ok(())
        } else {
            Err(Self::NotFound)
        }
    }

    /// Maps a unique-constraint violation to [`Error::Conflict`] on `field`.
    pub(crate) fn conflict_on(field: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |error| match &error {
            sqlx::Error::Database(database_error) if database_error.is_unique_violation() => {
                Self::Conflict(field)
            }
            _ => Self::Database(error),
        }
    }
}
