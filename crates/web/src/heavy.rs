//! Work that takes a core for a while (reading an imported workbook, rendering
//! a PDF) runs on the blocking pool, a bounded number at a time, so that one
//! person's upload or print cannot starve every other request — in hosted mode,
//! every other institution's.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::AppError;
use crate::i18n::Locale;

/// How long a request waits for a free slot before it is told to try again.
const WAIT: Duration = Duration::from_secs(30);

/// The slots for each kind of heavy work.
#[derive(Debug, Clone)]
pub struct HeavyWork {
    imports: Arc<Semaphore>,
    prints: Arc<Semaphore>,
}

impl Default for HeavyWork {
    /// One import and one print at a time each: the machines mamori runs on
    /// have few cores, and the async workers must keep one free.
    fn default() -> Self {
        Self::new(1, 1)
    }
}

/// Which kind of work.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Reading and checking an uploaded ledger file.
    Import,
    /// Rendering a PDF.
    Print,
}

impl HeavyWork {
    /// `imports` and `prints` slots.
    pub fn new(imports: usize, prints: usize) -> Self {
        Self {
            imports: Arc::new(Semaphore::new(imports.max(1))),
            prints: Arc::new(Semaphore::new(prints.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a slot of `kind` is free; answers
    /// 503 when none frees up within [`WAIT`].
    pub async fn run<T, F>(&self, kind: Kind, locale: Locale, work: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slots = match kind {
            Kind::Import => &self.imports,
            Kind::Print => &self.prints,
        };
        let permit = tokio::time::timeout(WAIT, Arc::clone(slots).acquire_owned())
            .await
            .map_err(|_| AppError::busy(locale))?
            .map_err(|error| AppError::Unexpected(error.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|error| AppError::Unexpected(format!("blocking task: {error}")))
    }

    /// Prints a document (PDF, workbook) in a print slot: `render` fails only
    /// on a bug (the templates are fixed), which is reported as one.
    pub async fn print<F>(&self, locale: Locale, render: F) -> Result<Vec<u8>, AppError>
    where
        F: FnOnce() -> Result<Vec<u8>, mamori_docs::DocumentError> + Send + 'static,
    {
        self.run(Kind::Print, locale, render)
            .await?
            .map_err(|error| AppError::Unexpected(error.to_string()))
    }
}
