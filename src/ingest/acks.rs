//! What the engine acknowledged, recorded in one place: the summary's counts, the checkpoint's
//! watermark (saved as it advances), refused documents in the dead-letter file, skipped records,
//! the progress bar, and the first failure that stops the job.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use super::checkpoint::{Checkpoint, Watermark};
use super::options::{OnError, Skipped, Summary};
use super::sender::Outcome;
use crate::error::{Error, Result};

/// Records kept for the summary (all are counted; the first ones are listed).
const LISTED_SKIPS: usize = 100;

/// A finished bulk request: documents `start..end` of the stream and how it went.
pub(crate) struct Acked {
    pub start: u64,
    pub end: u64,
    pub outcome: Result<Outcome>,
}

pub(crate) struct Acks {
    pub summary: Summary,
    watermark: Watermark,
    checkpoint: Checkpoint,
    checkpoint_path: PathBuf,
    dead_letter_path: PathBuf,
    dead_letter: Option<File>,
    /// The corpus (and index) the dead-letter lines name.
    corpus: PathBuf,
    progress: indicatif::ProgressBar,
    failure: Option<Error>,
}

pub(crate) struct AckPaths {
    pub checkpoint: PathBuf,
    pub dead_letter: PathBuf,
    pub corpus: PathBuf,
}

impl Acks {
    pub fn new(
        summary: Summary,
        checkpoint: Checkpoint,
        paths: AckPaths,
        progress: indicatif::ProgressBar,
    ) -> Self {
        let mut summary = summary;
        // A resumed job: the earlier runs' refusals count in this run's summary (those documents
        // are not in the index: the job is not clean). Skipped input records do not: the run
        // that passed them reported them, and no resume can index them.
        summary.failed += checkpoint.failed;
        if summary.dead_letter.is_none() {
            summary.dead_letter = checkpoint.dead_letter.clone();
        }
        Acks {
            watermark: Watermark::starting_at(checkpoint.done),
            summary,
            checkpoint,
            checkpoint_path: paths.checkpoint,
            dead_letter_path: paths.dead_letter,
            dead_letter: None,
            corpus: paths.corpus,
            progress,
            failure: None,
        }
    }

    /// Whether a failure stops the job (no further requests go out).
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Remember the first failure; later ones are consequences.
    pub fn fail(&mut self, e: Error) {
        self.failure.get_or_insert(e);
    }

    /// A bad record: report and count it, or stop the job with `--on-error fail`.
    pub fn bad_record(&mut self, e: Error, on_error: OnError) {
        self.summary.skipped += 1;
        let message = e.to_string();
        self.progress.suspend(|| eprintln!("skipped: {message}"));
        if self.summary.skipped_records.len() < LISTED_SKIPS {
            self.summary.skipped_records.push(Skipped { message });
        }
        if on_error == OnError::Fail {
            self.fail(Error::StoppedAtBadRecord {
                record: Box::new(e),
            });
        }
    }

    /// `lost` acknowledged documents were overwritten by later ones with the same id: counted
    /// as skipped (exit 1), reported with `message`.
    pub fn overwritten(&mut self, lost: u64, message: String) {
        self.summary.skipped += lost;
        self.progress.suspend(|| eprintln!("skipped: {message}"));
        if self.summary.skipped_records.len() < LISTED_SKIPS {
            self.summary.skipped_records.push(Skipped { message });
        }
    }

    /// The index's UUID, recorded by the next checkpoint save.
    pub fn set_index_uuid(&mut self, uuid: String) {
        self.checkpoint.index_uuid = Some(uuid);
    }

    /// A finished request: counts, refused documents to the dead-letter file, the checkpoint
    /// advanced over every contiguous acknowledged range. A failed request stops the job (its
    /// documents stay unacknowledged, so a resume sends them again).
    pub fn record(&mut self, acked: Acked) -> Result<()> {
        let outcome = match acked.outcome {
            Ok(o) => o,
            Err(e) => {
                self.fail(e);
                return Ok(());
            }
        };
        let s = &mut self.summary;
        s.indexed += outcome.indexed;
        s.retried += outcome.retries;
        s.index_secs += outcome.elapsed.as_secs_f64();
        s.failed += outcome.rejected.len() as u64;
        if !outcome.rejected.is_empty() {
            self.dead_letter(&outcome)?;
        }
        self.progress.inc(acked.end - acked.start);
        self.progress.set_message(format!(
            "retries {} failed {} skipped {}",
            self.summary.retried, self.summary.failed, self.summary.skipped
        ));
        let before = self.watermark.value();
        self.checkpoint.done = self.watermark.complete(acked.start, acked.end);
        self.checkpoint.failed = self.summary.failed;
        self.checkpoint.skipped = self.summary.skipped;
        self.checkpoint.dead_letter = self.summary.dead_letter.clone();
        if self.checkpoint.done != before {
            self.checkpoint.save(&self.checkpoint_path)?;
        }
        Ok(())
    }

    fn dead_letter(&mut self, outcome: &Outcome) -> Result<()> {
        let path = &self.dead_letter_path;
        let io = |e| Error::io(path, e);
        let file = match self.dead_letter.as_mut() {
            Some(f) => f,
            None => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(io)?;
                // The file's entry in its folder is on disk before a checkpoint names it.
                let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
                super::checkpoint::sync_dir(dir.unwrap_or(std::path::Path::new(".")))
                    .map_err(io)?;
                self.summary.dead_letter = Some(path.clone());
                self.dead_letter.insert(f)
            }
        };
        for (doc, status, reason) in &outcome.rejected {
            let line = serde_json::json!({"id": doc.id, "line": doc.line, "corpus": self.corpus,
                "index": self.summary.index, "status": status, "reason": reason});
            writeln!(file, "{line}").map_err(io)?;
        }
        // On disk before the checkpoint moves past these documents.
        file.flush().map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// The failure that stopped the job, if any (the checkpoint stays unfinished).
    pub fn take_failure(&mut self) -> Result<()> {
        match self.failure.take() {
            Some(e) => {
                self.progress.finish_and_clear();
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// The end of a job that did not fail: the checkpoint is marked finished.
    pub fn finish(mut self) -> Result<Summary> {
        self.take_failure()?;
        self.checkpoint.finished = true;
        self.checkpoint.failed = self.summary.failed;
        self.checkpoint.skipped = self.summary.skipped;
        self.checkpoint.dead_letter = self.summary.dead_letter.clone();
        self.checkpoint.save(&self.checkpoint_path)?;
        Ok(std::mem::take(&mut self.summary))
    }
}

/// However the job ends (an early `?` too), the progress bar does not stay on the screen.
impl Drop for Acks {
    fn drop(&mut self) {
        self.progress.finish_and_clear();
    }
}
