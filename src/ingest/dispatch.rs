//! Stage 3, the bulk dispatcher: keeps up to `concurrency` bulk requests in flight, creates the
//! index when the first request is ready, and hands every finished request to [`Acks`].

use tokio::task::JoinSet;

use super::acks::{Acked, Acks};
use super::index::{IndexSetup, apply_index_setup};
use super::sender::{self, Prepared, RetryPolicy};
use crate::engines::{Engine, IndexSpec};
use crate::error::{Error, Result};

pub(crate) struct Dispatcher<'a> {
    engine: &'a Engine,
    spec: &'a IndexSpec,
    retry: RetryPolicy,
    concurrency: usize,
    /// What the index still needs; taken before the first request goes out.
    setup: Option<IndexSetup>,
    in_flight: JoinSet<Acked>,
}

impl<'a> Dispatcher<'a> {
    pub fn new(
        engine: &'a Engine,
        spec: &'a IndexSpec,
        retry: RetryPolicy,
        concurrency: usize,
        setup: IndexSetup,
    ) -> Self {
        Dispatcher {
            engine,
            spec,
            retry,
            concurrency: concurrency.max(1),
            setup: Some(setup),
            in_flight: JoinSet::new(),
        }
    }

    /// Send one request (documents `start..` of the stream) once fewer than `concurrency` are
    /// in flight. Returns false, sending nothing, when a finished request reported a failure
    /// that stops the job.
    pub async fn send(
        &mut self,
        (start, request): (u64, Vec<Prepared>),
        acks: &mut Acks,
    ) -> Result<bool> {
        while self.in_flight.len() >= self.concurrency {
            self.join_one(acks).await?;
            if acks.failed() {
                return Ok(false);
            }
        }
        if acks.failed() {
            return Ok(false);
        }
        self.ensure_index().await?;
        let end = start + request.len() as u64;
        let engine = self.engine.clone();
        let policy = self.retry.clone();
        self.in_flight.spawn(async move {
            let outcome = sender::send(&engine, request, &policy).await;
            Acked {
                start,
                end,
                outcome,
            }
        });
        Ok(true)
    }

    /// Create (or drop and create) the index if that is still pending. A job without a single
    /// document to send (all skipped, an empty shard) still leaves the index it was asked for.
    pub async fn ensure_index(&mut self) -> Result<()> {
        match self.setup.take() {
            Some(setup) => apply_index_setup(self.engine, self.spec, setup).await,
            None => Ok(()),
        }
    }

    /// Wait for everything in flight: each finished request is recorded (nothing is dropped).
    pub async fn drain(&mut self, acks: &mut Acks) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.join_one(acks).await?;
        }
        Ok(())
    }

    async fn join_one(&mut self, acks: &mut Acks) -> Result<()> {
        match self.in_flight.join_next().await {
            Some(Ok(acked)) => acks.record(acked),
            // A panicked or cancelled task is a failure, not a lost request: its documents stay
            // unacknowledged.
            Some(Err(e)) => {
                acks.fail(Error::StageFailed {
                    stage: "bulk",
                    message: e.to_string(),
                });
                Ok(())
            }
            None => Ok(()),
        }
    }
}
