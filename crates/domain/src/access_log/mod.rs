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

/// `f` of every item, in order; a long vector is cut into one run per core
/// ([`parallelism`]), each run's items handed over (not copied) to its core.
pub fn map_parallel<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    /// Below this many items one thread does it all.
    const LEAST: usize = 4096;
    let workers = parallelism();
    if items.len() < 2 * LEAST || workers < 2 {
        return items.into_iter().map(f).collect();
    }
    let run = items.len().div_ceil(workers).max(LEAST);
    let mut runs = Vec::with_capacity(workers);
    let mut rest = items;
    while rest.len() > run {
        let tail = rest.split_off(run);
        runs.push(rest);
        rest = tail;
    }
    runs.push(rest);
    each_on_a_thread(runs, |run| run.into_iter().map(&f).collect())
}

/// `work` of every run on a thread of its own, the results joined in
/// order. A run that panicked panics here, as it would have in one go.
pub(crate) fn each_on_a_thread<T: Send, R: Send>(
    runs: Vec<T>,
    work: impl Fn(T) -> Vec<R> + Sync,
) -> Vec<R> {
    std::thread::scope(|scope| {
        let work = &work;
        let workers: Vec<_> = runs
            .into_iter()
            .map(|run| scope.spawn(move || work(run)))
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            match worker.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_shared_between_cores_comes_back_in_order() {
        let items: Vec<u64> = (0..50_000).collect();
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let squares = map_parallel(items.clone(), |n| {
            if let Ok(mut seen) = threads.lock() {
                seen.insert(std::thread::current().id());
            }
            n * n
        });
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        let used = threads.lock().map(|seen| seen.len()).unwrap_or(0);
        assert_eq!(used, parallelism().min(50_000 / 4096), "one run per core");
        assert_eq!(map_parallel(vec![1u8, 2], |n| n + 1), [2, 3]);
    }
}
