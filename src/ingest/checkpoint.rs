//! Resumability: a small JSON file that records how many documents of the (sharded) corpus stream
//! the engine has acknowledged, keyed by corpus hash, model and index, written atomically and
//! only after the acknowledgement.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// sha256 of the corpus file.
    pub corpus_sha256: String,
    /// The model fingerprint (short form).
    pub model: String,
    pub index: String,
    /// The engine URL, credentials removed.
    pub engine_url: String,
    /// `i/n` when the job is one shard of the corpus.
    pub shard: Option<String>,
    /// Documents of the stream (in corpus order, after sharding, bad records excluded) that are
    /// acknowledged by the engine or dead-lettered: a resume skips exactly these.
    pub done: u64,
    pub finished: bool,
}

impl Checkpoint {
    pub fn load(path: &Path) -> Result<Option<Checkpoint>> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Checkpoint {
                    path: path.to_owned(),
                    message: format!("unreadable ({e}); delete it to start over"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Write to `path.tmp`, then rename (creating the folder, e.g. the default state folder): a crash
    /// leaves the old or the new checkpoint, never half. Errors name `path`, not the temporary file.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        let body = serde_json::to_vec_pretty(self).expect("checkpoint serializes");
        std::fs::write(&tmp, body).map_err(|e| Error::io(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Refuse to resume into a different corpus, model, index or shard.
    pub fn check_same_job(&self, path: &Path, other: &Checkpoint) -> Result<()> {
        let mut diffs = Vec::new();
        if self.corpus_sha256 != other.corpus_sha256 {
            diffs.push("the corpus file changed (different sha256)".to_owned());
        }
        if self.model != other.model {
            diffs.push(format!(
                "it was written with model {}, this run uses {}",
                self.model, other.model
            ));
        }
        if self.index != other.index {
            diffs.push(format!(
                "it is for index `{}`, not `{}`",
                self.index, other.index
            ));
        }
        if self.shard != other.shard {
            diffs.push(format!(
                "it is for shard {:?}, not {:?}",
                self.shard, other.shard
            ));
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(Error::Checkpoint {
                path: path.to_owned(),
                message: format!(
                    "cannot resume: {}; run without --resume to start over",
                    diffs.join("; ")
                ),
            })
        }
    }
}

/// Tracks acknowledged sequence ranges that complete out of order and yields the contiguous
/// watermark: every document below it is done.
#[derive(Debug, Default)]
pub struct Watermark {
    next: u64,
    pending: std::collections::BTreeMap<u64, u64>,
}

impl Watermark {
    pub fn starting_at(next: u64) -> Self {
        Watermark {
            next,
            pending: Default::default(),
        }
    }

    /// Mark `[start, end)` done; returns the new watermark.
    pub fn complete(&mut self, start: u64, end: u64) -> u64 {
        self.pending.insert(start, end);
        while let Some(end) = self.pending.remove(&self.next) {
            self.next = end;
        }
        self.next
    }

    pub fn value(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_advances_only_over_contiguous_ranges() {
        let mut w = Watermark::starting_at(10);
        assert_eq!(w.complete(20, 30), 10);
        assert_eq!(w.complete(10, 20), 30);
        assert_eq!(w.complete(40, 50), 30);
        assert_eq!(w.complete(30, 40), 50);
    }

    #[test]
    fn a_different_model_is_refused() {
        let a = Checkpoint {
            corpus_sha256: "c".into(),
            model: "m1".into(),
            index: "i".into(),
            engine_url: "u".into(),
            shard: None,
            done: 5,
            finished: false,
        };
        let b = Checkpoint {
            model: "m2".into(),
            ..a.clone()
        };
        let err = a
            .check_same_job(Path::new("x.ckpt"), &b)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("m1") && err.contains("m2") && err.contains("x.ckpt"),
            "{err}"
        );
        assert!(a.check_same_job(Path::new("x"), &a.clone()).is_ok());
    }
}
