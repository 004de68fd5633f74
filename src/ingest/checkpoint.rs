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
    /// Documents the engine refused so far, over every run of this job (a resume after
    /// failures still ends with exit 1).
    #[serde(default)]
    pub failed: u64,
    /// Bad records skipped so far, over every run of this job.
    #[serde(default)]
    pub skipped: u64,
    /// Where the refused documents were written, once one was.
    #[serde(default)]
    pub dead_letter: Option<PathBuf>,
    /// The cluster written to (`cluster_uuid`); a resume elsewhere is refused.
    #[serde(default)]
    pub cluster_uuid: Option<String>,
    /// The index written to (`index.uuid`), once it exists; a resume into another index of the
    /// same name is refused.
    #[serde(default)]
    pub index_uuid: Option<String>,
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

    /// Write to a temporary file of its own (`path.PID.N.tmp`), flush it to disk, rename it over
    /// `path` and flush the folder (creating it first, e.g. the default state folder): a crash,
    /// even of the machine, leaves the old or the new checkpoint, never half, and a checkpoint
    /// that said so is on disk. Errors name `path`, not the temporary file.
    pub fn save(&self, path: &Path) -> Result<()> {
        use std::io::Write;
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let n = N.fetch_add(1, Ordering::Relaxed);
        let tmp = PathBuf::from(format!("{}.{}.{n}.tmp", path.display(), std::process::id()));
        let body = serde_json::to_vec_pretty(self).expect("checkpoint serializes");
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(&body)?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(path, e));
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(path, e));
        }
        sync_dir(dir.unwrap_or(Path::new("."))).map_err(|e| Error::io(path, e))
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

/// Flush a folder's entries (a rename or a new file in it) to disk. Unix only: elsewhere a
/// folder cannot be opened for this and the call does nothing.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
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
            failed: 0,
            skipped: 0,
            dead_letter: None,
            cluster_uuid: None,
            index_uuid: None,
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

    #[test]
    fn saves_leave_no_temporary_file_and_read_old_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("job.checkpoint.json");
        let mut c: Checkpoint = serde_json::from_value(serde_json::json!({
            "corpus_sha256": "c", "model": "m", "index": "i", "engine_url": "u",
            "shard": null, "done": 3, "finished": false
        }))
        .unwrap();
        assert_eq!((c.failed, c.skipped, c.dead_letter.clone()), (0, 0, None));
        c.failed = 2;
        c.dead_letter = Some(dir.path().join("d.jsonl"));
        c.save(&path).unwrap();
        c.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap().unwrap(), c);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("job.checkpoint.json")]);
    }
}
