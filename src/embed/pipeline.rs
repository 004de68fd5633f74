//! Embedding many texts: windows tokenized on a helper thread one step ahead of inference, cut
//! into length-sorted batches, run on one worker or spread over every worker of the pool, and the
//! vectors put back at their texts' places (so the output does not depend on how many workers ran).

use std::sync::{Arc, Mutex, PoisonError, mpsc};

use tokenizers::Encoding;

use super::pool::Worker;
use super::{Embedder, batch};
use crate::error::{Error, Result};

/// A window's first text, its encodings and its batches (indices into the encodings).
type Window = (usize, Vec<Encoding>, Vec<Vec<usize>>);

impl Embedder {
    /// The pipeline: windows are tokenized on a helper thread one step ahead of inference; each
    /// window's batches go to one worker (`one_worker`, or a pool of one) or are spread over every
    /// worker, and their vectors land at their texts' places.
    pub(super) fn embed_texts_on(
        &self,
        texts: &[String],
        one_worker: bool,
        max_tokens: Option<usize>,
    ) -> Result<Vec<Vec<f32>>> {
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let window = self.opts.window.max(1);
        let workers = if one_worker {
            1
        } else {
            self.pool.layout().workers.min(texts.len().max(1))
        };
        let mut tokens = 0usize;
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = mpsc::sync_channel::<Result<Vec<Encoding>>>(1);
            scope.spawn(move || {
                for chunk in texts.chunks(window) {
                    if tx.send(self.tokenize(chunk)).is_err() {
                        break;
                    }
                }
            });
            let windows = rx.into_iter().enumerate().map(|(w, encodings)| {
                let encodings = encodings?;
                let cut = encodings
                    .iter()
                    .filter(|e| !e.get_overflowing().is_empty())
                    .count();
                self.truncated
                    .fetch_add(cut as u64, std::sync::atomic::Ordering::Relaxed);
                let lengths: Vec<usize> = encodings.iter().map(|e| e.get_ids().len()).collect();
                tokens += lengths.iter().sum::<usize>();
                if let Some(max) = max_tokens.filter(|&m| tokens > m) {
                    return Err(Error::config(
                        "--max-embed-tokens",
                        format!(
                            "the texts hold {tokens} tokens or more (after truncation to {} per \
                             text), more than the {max} one request may embed",
                            self.config.max_seq_length
                        ),
                    ));
                }
                let batches =
                    batch::plan_batches(&lengths, self.opts.token_budget, self.opts.max_batch);
                Ok((w * window, encodings, batches))
            });
            if workers <= 1 {
                let worker = self.pool.checkout();
                for window in windows {
                    let (base, encodings, batches) = window?;
                    for batch in batches {
                        let refs: Vec<&Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
                        let vectors = self.run_batch(&worker, &refs)?;
                        for (i, v) in batch.into_iter().zip(vectors) {
                            out[base + i] = v;
                        }
                    }
                }
                return Ok(());
            }
            self.spread(scope, windows, workers, &mut out)
        })?;
        Ok(out)
    }

    /// Spread the batches of `windows` over `workers` threads, each with its own worker; the
    /// jobs queue is short (memory stays bounded) and results come back tagged with their places.
    fn spread<'scope, 'env: 'scope>(
        &'env self,
        scope: &'scope std::thread::Scope<'scope, 'env>,
        windows: impl Iterator<Item = Result<Window>>,
        workers: usize,
        out: &mut [Vec<f32>],
    ) -> Result<()> {
        struct Job {
            base: usize,
            encodings: Arc<Vec<Encoding>>,
            batch: Vec<usize>,
        }
        type Done = (usize, Vec<usize>, Result<Vec<Vec<f32>>>);
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || {
                let worker: Worker<'_> = self.pool.checkout();
                loop {
                    let job = job_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = job else { break };
                    let refs: Vec<&Encoding> =
                        job.batch.iter().map(|&i| &job.encodings[i]).collect();
                    let result = self.run_batch(&worker, &refs);
                    let failed = result.is_err();
                    if done_tx.send((job.base, job.batch, result)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        // Once every worker thread has stopped (a failed batch stops one), sending fails.
        drop(job_rx);
        drop(done_tx);
        let mut first_error = None;
        'feed: for window in windows {
            let (base, encodings, batches) = match window {
                Ok(w) => w,
                Err(e) => {
                    first_error = Some(e);
                    break;
                }
            };
            let encodings = Arc::new(encodings);
            for batch in batches {
                let job = Job {
                    base,
                    encodings: Arc::clone(&encodings),
                    batch,
                };
                if job_tx.send(job).is_err() {
                    break 'feed;
                }
            }
        }
        drop(job_tx);
        for (base, batch, result) in done_rx {
            match result {
                Ok(vectors) => {
                    for (i, v) in batch.into_iter().zip(vectors) {
                        out[base + i] = v;
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
