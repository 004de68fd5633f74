//! One bulk request with its retries: only the items that failed transiently are sent again,
//! with exponential backoff and jitter, for a bounded time without progress; permanent item
//! failures come back for the dead-letter file.

use std::time::{Duration, Instant};

use crate::engines::{Engine, ItemOutcome};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max_delay: Duration,
    /// Give up when no item has succeeded for this long.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            give_up_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `attempt` (0-based): `initial * 2^attempt`, capped, with "equal
    /// jitter" (uniform in [d/2, d]) so concurrent senders do not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
        let base = self
            .initial
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let half = base / 2;
        half + Duration::from_secs_f64(half.as_secs_f64() * rand::random::<f64>())
    }
}

/// A document already serialized for the bulk body, with where it came from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub line: u64,
    pub ndjson: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub indexed: u64,
    /// (document, status, engine's reason) of each permanently refused document.
    pub rejected: Vec<(Prepared, u16, String)>,
    /// Items and requests sent again.
    pub retries: u64,
    pub elapsed: Duration,
}

pub async fn send(engine: &Engine, docs: Vec<Prepared>, policy: &RetryPolicy) -> Result<Outcome> {
    let started = Instant::now();
    let mut out = Outcome::default();
    let mut pending = docs;
    let mut attempt = 0u32;
    let mut last_progress = Instant::now();
    while !pending.is_empty() {
        let body: Vec<u8> = pending
            .iter()
            .flat_map(|d| d.ndjson.iter().copied())
            .collect();
        match engine.bulk(body, pending.len()).await {
            Ok(outcomes) => {
                let mut again = Vec::new();
                let mut last_transient = None;
                let done_before = out.indexed;
                for (doc, outcome) in pending.into_iter().zip(outcomes) {
                    match outcome {
                        ItemOutcome::Done => out.indexed += 1,
                        ItemOutcome::Transient { status, reason } => {
                            last_transient = Some((status, reason));
                            again.push(doc);
                        }
                        ItemOutcome::Permanent { status, reason } => {
                            out.rejected.push((doc, status, reason))
                        }
                    }
                }
                if out.indexed > done_before {
                    // Some item got through: the engine is alive, so the clock restarts.
                    last_progress = Instant::now();
                }
                pending = again;
                if let Some((status, reason)) = last_transient {
                    out.retries += pending.len() as u64;
                    give_up_if_stuck(engine, last_progress, policy, status, &reason)?;
                    tokio::time::sleep(policy.delay(attempt)).await;
                    attempt += 1;
                }
            }
            Err(e) if e.is_transient() => {
                out.retries += 1;
                if last_progress.elapsed() >= policy.give_up_after {
                    return Err(e);
                }
                tracing::debug!("bulk request failed, retrying: {e}");
                tokio::time::sleep(policy.delay(attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

fn give_up_if_stuck(
    engine: &Engine,
    last_progress: Instant,
    policy: &RetryPolicy,
    status: u16,
    reason: &str,
) -> Result<()> {
    if last_progress.elapsed() >= policy.give_up_after {
        return Err(Error::Engine {
            url: engine.url().to_owned(),
            status,
            reason: format!(
                "still refusing documents after {:?} of retries: {reason}",
                policy.give_up_after
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_capped() {
        let p = RetryPolicy {
            initial: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            give_up_after: Duration::from_secs(1),
        };
        for attempt in 0..20 {
            let d = p.delay(attempt);
            let base = Duration::from_millis(100)
                .saturating_mul(1 << attempt.min(16))
                .min(Duration::from_secs(2));
            assert!(
                d >= base / 2 && d <= base,
                "attempt {attempt}: {d:?} not in [{:?}, {base:?}]",
                base / 2
            );
        }
    }
}
