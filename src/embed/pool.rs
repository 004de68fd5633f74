//! Several ONNX Runtime sessions of the same model, so that embedding scales with the machine:
//! one session with many intra-op threads scales poorly (issue 22: on 16 cores, one session of 16
//! threads reached 59 docs/s, eight sessions of 2 threads 120), and one session behind one lock
//! lets a long `/embed` request stall every search of `serve`.
//!
//! [`Layout`] chooses how many sessions ("workers") and how many threads each; [`WorkerPool`]
//! holds the sessions and hands them out one caller at a time ([`WorkerPool::checkout`] blocks,
//! [`WorkerPool::reserve`] is the async, bounded wait a server takes before any blocking work).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use ort::session::Session;

use crate::error::{Error, Result};

/// The cores this process may use: `std::thread::available_parallelism`, which on Linux takes the
/// smaller of the CPU affinity mask (`sched_getaffinity`, e.g. `taskset`) and the cgroup CPU quota
/// (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`, as containers set it); 1 if it cannot tell.
pub fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// How many sessions, and how many intra-op threads each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub workers: usize,
    pub threads: usize,
}

impl Layout {
    /// The rule (`--embed-workers N`, `--threads T`; 0 = choose), on `cores` available cores:
    /// - neither given: under 4 cores, one session with every core (what measured best on 2
    ///   cores); from 4 cores, sessions of 2 threads, `cores / 2` of them (on 16 cores 8 x 2 beat
    ///   4 x 4 by 1.2x and 1 x 16 by 2x, issue 22's table);
    /// - only T given: as many sessions of T threads as fit, at least one;
    /// - only N given: the cores shared out, at least one thread each;
    /// - both given: as given (more than the cores is allowed, but oversubscribes them).
    pub fn choose(workers: usize, threads: usize, cores: usize) -> Layout {
        let cores = cores.max(1);
        let (workers, threads) = match (workers, threads) {
            (0, 0) if cores < 4 => (1, cores),
            (0, 0) => (cores / 2, 2),
            (0, t) => ((cores / t).max(1), t),
            (w, 0) => (w, (cores / w).max(1)),
            (w, t) => (w, t),
        };
        Layout { workers, threads }
    }

    /// Cores the layout keeps busy.
    pub fn cores(&self) -> usize {
        self.workers * self.threads
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} worker{} x {} thread{}",
            self.workers,
            s(self.workers),
            self.threads,
            s(self.threads)
        )
    }
}

/// The sessions, which are free, and a semaphore with one permit per session for async callers.
pub(super) struct WorkerPool {
    sessions: Vec<Mutex<Session>>,
    free: Mutex<Vec<usize>>,
    freed: Condvar,
    permits: Arc<tokio::sync::Semaphore>,
    layout: Layout,
    /// Session locks found poisoned (a panic during a run) and taken back into service.
    recovered: AtomicU64,
}

/// One session, lent to one caller until dropped.
pub(super) struct Worker<'a> {
    pool: &'a WorkerPool,
    id: usize,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut free = self
            .pool
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        free.push(self.id);
        drop(free);
        self.pool.freed.notify_one();
    }
}

impl Worker<'_> {
    /// Run `f` on this worker's session. A lock poisoned by a panic in an earlier run is taken
    /// back: a session keeps no state between runs, so the next run is as good as any.
    pub(super) fn with_session<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let lock = &self.pool.sessions[self.id];
        let mut session = lock.lock().unwrap_or_else(|poisoned| {
            lock.clear_poison();
            self.pool.recovered.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                worker = self.id,
                "an embedding worker's session lock was poisoned by a panic; recovered"
            );
            poisoned.into_inner()
        });
        f(&mut session)
    }
}

/// A right to one worker, taken asynchronously (see [`WorkerPool::reserve`]); the worker's
/// permit is released when this is dropped, so move it into the blocking closure that runs the
/// model and it is held until the run ends.
pub struct Reservation {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reservation")
    }
}

/// What `/healthz` reports about the model.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PoolState {
    pub workers: usize,
    pub threads: usize,
    /// Workers running the model right now.
    pub busy: usize,
    /// Permits held by async callers (server requests), each until its model run ends.
    pub reserved: usize,
    /// Session locks recovered after a panic, since start.
    pub recovered: u64,
}

impl WorkerPool {
    /// Build `layout.workers` sessions with `make` (called on as many threads at once, since a
    /// session takes a while to load), each meant to run `layout.threads` intra-op threads.
    pub(super) fn build(
        layout: Layout,
        make: impl Fn() -> Result<Session> + Sync,
    ) -> Result<WorkerPool> {
        let n = layout.workers.max(1);
        let made: Vec<Result<Session>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n).map(|_| scope.spawn(&make)).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Ort {
                            message: "loading a session panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let sessions = made
            .into_iter()
            .map(|r| r.map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(WorkerPool {
            sessions,
            free: Mutex::new((0..n).rev().collect()),
            freed: Condvar::new(),
            permits: Arc::new(tokio::sync::Semaphore::new(n)),
            layout: Layout {
                workers: n,
                threads: layout.threads,
            },
            recovered: AtomicU64::new(0),
        })
    }

    pub(super) fn layout(&self) -> Layout {
        self.layout
    }

    /// A free worker; waits until one is.
    pub(super) fn checkout(&self) -> Worker<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(id) = free.pop() {
                return Worker { pool: self, id };
            }
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Wait at most `wait` for a permit (one per worker). The wait is async and cancellable: a
    /// request that times out while waiting leaves nothing queued behind it. The error names the
    /// limits (a server answers it 503).
    pub(super) async fn reserve(&self, wait: Duration) -> Result<Reservation> {
        let permits = Arc::clone(&self.permits);
        match tokio::time::timeout(wait, permits.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Reservation { _permit: permit }),
            _ => Err(Error::Busy {
                message: format!(
                    "every embedding worker ({} of them, --embed-workers) stayed busy for {} ms \
                     (--worker-wait-ms); retry later",
                    self.layout.workers,
                    wait.as_millis()
                ),
            }),
        }
    }

    pub(super) fn state(&self) -> PoolState {
        let free = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        PoolState {
            workers: self.layout.workers,
            threads: self.layout.threads,
            busy: self.layout.workers - free,
            reserved: self.layout.workers - self.permits.available_permits(),
            recovered: self.recovered.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        // today's behaviour on small machines: one session, every core
        assert_eq!(
            Layout::choose(0, 0, 1),
            Layout {
                workers: 1,
                threads: 1
            }
        );
        assert_eq!(
            Layout::choose(0, 0, 2),
            Layout {
                workers: 1,
                threads: 2
            }
        );
        assert_eq!(
            Layout::choose(0, 0, 3),
            Layout {
                workers: 1,
                threads: 3
            }
        );
        // from 4 cores, sessions of two threads
        assert_eq!(
            Layout::choose(0, 0, 4),
            Layout {
                workers: 2,
                threads: 2
            }
        );
        assert_eq!(
            Layout::choose(0, 0, 16),
            Layout {
                workers: 8,
                threads: 2
            }
        );
        assert_eq!(
            Layout::choose(0, 0, 17),
            Layout {
                workers: 8,
                threads: 2
            }
        );
        // one side given: the other fills the cores
        assert_eq!(
            Layout::choose(0, 4, 16),
            Layout {
                workers: 4,
                threads: 4
            }
        );
        assert_eq!(
            Layout::choose(0, 8, 2),
            Layout {
                workers: 1,
                threads: 8
            }
        );
        assert_eq!(
            Layout::choose(2, 0, 16),
            Layout {
                workers: 2,
                threads: 8
            }
        );
        assert_eq!(
            Layout::choose(4, 0, 2),
            Layout {
                workers: 4,
                threads: 1
            }
        );
        assert_eq!(
            Layout::choose(3, 5, 2),
            Layout {
                workers: 3,
                threads: 5
            }
        );
        for cores in 1..64 {
            assert!(Layout::choose(0, 0, cores).cores() <= cores);
        }
    }

    /// The cores counted are the ones this process may run on: never more than its affinity
    /// mask allows (`Cpus_allowed_list` in /proc/self/status, which `taskset` narrows).
    #[cfg(target_os = "linux")]
    #[test]
    fn cores_follow_the_affinity_mask() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let list = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim();
        let allowed: usize = list
            .split(',')
            .map(|r| match r.split_once('-') {
                Some((a, b)) => b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1,
                None => 1,
            })
            .sum();
        let cores = available_cores();
        assert!(cores >= 1 && cores <= allowed, "{cores} cores, mask {list}");
    }
}
