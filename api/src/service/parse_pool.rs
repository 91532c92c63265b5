//! The bounded pool where every parse of bytes that came with a request runs (verifying an
//! upload, reading a licence's digest, sealing a document), never on the async workers that
//! answer everyone else: at most `parse_workers` jobs at once, at most `parse_queue` more
//! waiting for a turn, and a time limit per job.
//!
//! - A job beyond the queue is refused at once: 503 with `Retry-After` ([`ApiError::Busy`]).
//! - A job that runs longer than `parse_timeout_secs` is answered 422 naming the limit: with
//!   waiting excluded and one core per worker, a job that long is the document's doing, and
//!   sending it again would not help. Its thread cannot be interrupted (the PDF reader has no
//!   cancellation point), so the job keeps its place in the pool until the thread really
//!   returns: the bound on concurrent parses holds even for abandoned jobs. The reader's own
//!   budget (decoded bytes, objects) bounds how long that can be and how much memory it takes.
//!
//! The pool is one per process, like tokio's blocking pool it sits on: what it bounds is this
//! machine's cores. `eseal serve` [`install`]s it from the configuration before it answers
//! anything, and [`run`] takes the place of `tokio::task::spawn_blocking` at every call site
//! (sealing in `routes/seals.rs` reaches it through `engine::run_sealing`).
//!
//! Hand-written: tokio's semaphores give the bound and the queue; no crate offers a bounded
//! blocking pool with admission control and a timeout that keeps the slot until the thread
//! ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::error::{ApiError, ApiResult};

/// What one verification in the service may decode by default (MiB): real documents need a
/// few (cross-reference and object streams, the DSS); a 10,000-page file under 50.
pub const DEFAULT_DECODED_MIB: u64 = 64;

/// The pool's bounds (settings `parse_workers`, `parse_queue`, `parse_timeout_secs`,
/// `parse_decoded_mib`).
#[derive(Debug, Clone)]
pub struct ParseSettings {
    pub workers: usize,
    pub queue: usize,
    pub timeout: Duration,
    /// What one verification in the service may decode (bytes): smaller than the command
    /// line's 256 MiB, so that `workers` hostile documents at once stay within the service's
    /// memory (two streams bombs verified together reached 427 MB with 256 MiB each).
    pub decoded_bytes: u64,
    /// Tests only (see `config::test_parse_delay`): each job sleeps this long first.
    pub delay_for_tests: Option<Duration>,
}

impl Default for ParseSettings {
    fn default() -> Self {
        ParseSettings {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue: 32,
            decoded_bytes: DEFAULT_DECODED_MIB * 1024 * 1024,
            timeout: Duration::from_secs(10),
            delay_for_tests: None,
        }
    }
}

/// What `/metrics` shows of the pool.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub workers: u64,
    pub running: u64,
    pub waiting: u64,
    pub refused_full: u64,
    pub timed_out: u64,
}

#[derive(Default)]
struct Counters {
    running: AtomicU64,
    waiting: AtomicU64,
    refused_full: AtomicU64,
    timed_out: AtomicU64,
}

/// Adds one to a gauge for as long as it lives.
struct Gauge(Arc<Counters>, fn(&Counters) -> &AtomicU64);

impl Gauge {
    fn up(c: &Arc<Counters>, field: fn(&Counters) -> &AtomicU64) -> Gauge {
        field(c).fetch_add(1, Ordering::Relaxed);
        Gauge(c.clone(), field)
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        (self.1)(&self.0).fetch_sub(1, Ordering::Relaxed);
    }
}

pub struct ParsePool {
    settings: ParseSettings,
    /// One permit per job running.
    workers: Arc<Semaphore>,
    /// One permit per job running or waiting: admission.
    admitted: Arc<Semaphore>,
    counters: Arc<Counters>,
}

impl ParsePool {
    pub fn new(settings: ParseSettings) -> ParsePool {
        let workers = settings.workers.max(1);
        ParsePool {
            workers: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers.saturating_add(settings.queue))),
            counters: Arc::default(),
            settings: ParseSettings {
                workers,
                ..settings
            },
        }
    }

    /// Runs `work` on a blocking thread when a worker is free; see the module doc for the
    /// answers at each bound. A panic in `work` is an internal error, not a crash.
    pub async fn run<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> ApiResult<T> + Send + 'static,
    {
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| {
            self.counters.refused_full.fetch_add(1, Ordering::Relaxed);
            ApiError::Busy(format!(
                "the service is parsing as many documents as it takes ({} at once, {} waiting); try again shortly",
                self.settings.workers, self.settings.queue
            ))
        })?;
        let waiting = Gauge::up(&self.counters, |c| &c.waiting);
        let worker = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        drop(waiting);
        let running = Gauge::up(&self.counters, |c| &c.running);
        let delay = self.settings.delay_for_tests;
        let job = tokio::task::spawn_blocking(move || {
            // Held until the thread returns, even when nobody waits for the answer any more.
            let _slot = (admitted, worker, running);
            if let Some(d) = delay {
                std::thread::sleep(d);
            }
            work()
        });
        match tokio::time::timeout(self.settings.timeout, job).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => Err(ApiError::internal(format!("parse job failed: {e}"))),
            Err(_) => {
                self.counters.timed_out.fetch_add(1, Ordering::Relaxed);
                Err(ApiError::Unprocessable(format!(
                    "the document needs more than the {} s parse time limit (parse_timeout_secs); it was not processed",
                    self.settings.timeout.as_secs()
                )))
            }
        }
    }

    pub fn stats(&self) -> PoolStats {
        let c = &self.counters;
        PoolStats {
            workers: self.settings.workers as u64,
            running: c.running.load(Ordering::Relaxed),
            waiting: c.waiting.load(Ordering::Relaxed),
            refused_full: c.refused_full.load(Ordering::Relaxed),
            timed_out: c.timed_out.load(Ordering::Relaxed),
        }
    }
}

static POOL: OnceLock<ParsePool> = OnceLock::new();

/// Sets up the process's pool; an error when it was set up (or used) already.
pub fn install(settings: ParseSettings) -> Result<(), String> {
    POOL.set(ParsePool::new(settings))
        .map_err(|_| "the parse pool is set up already".to_string())
}

/// The process's pool (with the default bounds when nothing installed one).
pub fn global() -> &'static ParsePool {
    POOL.get_or_init(|| ParsePool::new(ParseSettings::default()))
}

/// Runs `work` on the process's pool.
pub async fn run<T, F>(work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> ApiResult<T> + Send + 'static,
{
    global().run(work).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn pool(workers: usize, queue: usize, timeout_ms: u64) -> Arc<ParsePool> {
        Arc::new(ParsePool::new(ParseSettings {
            workers,
            queue,
            timeout: Duration::from_millis(timeout_ms),
            decoded_bytes: DEFAULT_DECODED_MIB * 1024 * 1024,
            delay_for_tests: None,
        }))
    }

    /// A job that blocks its thread until the test lets it go.
    fn held(pool: &Arc<ParsePool>) -> (mpsc::Sender<()>, tokio::task::JoinHandle<ApiResult<u8>>) {
        let (tx, rx) = mpsc::channel::<()>();
        let p = pool.clone();
        let h = tokio::spawn(async move {
            p.run(move || {
                let _ = rx.recv();
                Ok(1)
            })
            .await
        });
        (tx, h)
    }

    async fn until(pool: &ParsePool, f: impl Fn(PoolStats) -> bool) {
        for _ in 0..2000 {
            if f(pool.stats()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("pool never reached the state: {:?}", pool.stats());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_is_refused_and_the_rest_run_in_turn() {
        let p = pool(1, 1, 60_000);
        let (go1, first) = held(&p);
        until(&p, |s| s.running == 1).await;
        let (go2, second) = held(&p);
        until(&p, |s| s.waiting == 1).await;
        let third = p.run(|| Ok(3u8)).await;
        assert!(matches!(third, Err(ApiError::Busy(_))), "{third:?}");
        assert_eq!(p.stats().refused_full, 1);
        go1.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        go2.send(()).unwrap();
        assert_eq!(second.await.unwrap().unwrap(), 1);
        assert_eq!(p.run(|| Ok(4u8)).await.unwrap(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_past_its_limit_is_answered_but_keeps_its_slot_until_it_ends() {
        let p = pool(1, 0, 50);
        let (go, slow) = held(&p);
        let answer = slow.await.unwrap();
        match answer {
            Err(ApiError::Unprocessable(m)) => assert!(m.contains("parse_timeout_secs"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(p.stats().timed_out, 1);
        // The thread still runs: the only slot is still taken.
        assert_eq!(p.stats().running, 1);
        assert!(matches!(p.run(|| Ok(0u8)).await, Err(ApiError::Busy(_))));
        go.send(()).unwrap();
        until(&p, |s| s.running == 0).await;
        assert_eq!(p.run(|| Ok(5u8)).await.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_internal_error() {
        let p = pool(1, 0, 60_000);
        let r: ApiResult<u8> = p.run(|| panic!("boom")).await;
        assert!(matches!(r, Err(ApiError::Internal(_))), "{r:?}");
        assert_eq!(p.run(|| Ok(6u8)).await.unwrap(), 6);
    }
}
