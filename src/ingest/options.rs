//! What an ingest job is asked to do ([`IngestOptions`], with the defaults the CLI shows) and
//! what it reports back ([`Summary`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::sender::RetryPolicy;
use crate::engines::IndexSpec;

/// What to do with a bad corpus record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Report it (file:line:field), count it, go on; exit code 1 at the end.
    Skip,
    /// Stop at the first bad record (what was already sent stays indexed and checkpointed).
    Fail,
}

/// How the stream is cut: documents per embedding call, bulk request limits, requests in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batching {
    /// Documents embedded together (sorted by length inside, so larger chunks pad less).
    pub embed_chunk: usize,
    /// Documents per bulk request at most.
    pub bulk_docs: usize,
    /// Bulk body bytes at most (a single larger document still goes, alone).
    pub bulk_bytes: usize,
    /// Bulk requests in flight.
    pub concurrency: usize,
}

impl Default for Batching {
    fn default() -> Self {
        Batching {
            embed_chunk: 1024,
            bulk_docs: 500,
            bulk_bytes: 8 << 20,
            concurrency: 4,
        }
    }
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub on_error: OnError,
    /// `(i, n)`: ingest only documents whose id hashes to shard i of n.
    pub shard: Option<(u32, u32)>,
    pub spec: IndexSpec,
    pub recreate: bool,
    pub batching: Batching,
    pub retry: RetryPolicy,
    pub checkpoint: PathBuf,
    pub resume: bool,
    pub dead_letter: PathBuf,
    pub store: Option<PathBuf>,
    pub refresh: bool,
    pub progress: bool,
    /// Stop after this many documents of the stream (for trials).
    pub limit: Option<u64>,
}

impl IngestOptions {
    /// Options with the defaults for ingesting `corpus` (`-` = stdin) into `spec.name`; the
    /// checkpoint and dead-letter files go to [`default_state_files`].
    pub fn new(corpus: &Path, spec: IndexSpec) -> Self {
        let (checkpoint, dead_letter) = default_state_files(corpus, &spec.name, None);
        IngestOptions {
            checkpoint,
            dead_letter,
            on_error: OnError::Skip,
            shard: None,
            spec,
            recreate: false,
            batching: Batching::default(),
            retry: RetryPolicy::default(),
            resume: false,
            store: None,
            refresh: true,
            progress: false,
            limit: None,
        }
    }
}

/// Where a job keeps its state unless told: `$SEMBRIDGE_HOME/ingest/INDEX-KEY.checkpoint.json`
/// and `INDEX-KEY.deadletter.jsonl`, where KEY hashes the corpus' canonical path and the shard.
/// Keyed by path, not content: a rerun of an edited corpus finds its checkpoint, and `--resume`
/// then refuses it with the reason instead of silently starting over.
pub fn default_state_files(
    corpus: &Path,
    index: &str,
    shard: Option<(u32, u32)>,
) -> (PathBuf, PathBuf) {
    use sha2::{Digest, Sha256};
    let absolute = if corpus.as_os_str() == "-" {
        PathBuf::from("-")
    } else {
        std::fs::canonicalize(corpus)
            .or_else(|_| std::path::absolute(corpus))
            .unwrap_or_else(|_| corpus.to_path_buf())
    };
    let mut hasher = Sha256::new();
    hasher.update(absolute.as_os_str().as_encoded_bytes());
    if let Some((i, n)) = shard {
        hasher.update(format!("\0{i}/{n}").as_bytes());
    }
    let key = &hex::encode(hasher.finalize())[..12];
    let dir = crate::paths::ingest_state_dir();
    (
        dir.join(format!("{index}-{key}.checkpoint.json")),
        dir.join(format!("{index}-{key}.deadletter.jsonl")),
    )
}

/// A skipped bad record, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub index: String,
    pub engine_url: String,
    /// Documents of the stream skipped because an earlier run had done them (`--resume`).
    pub resumed_from: u64,
    /// Good records read in this run.
    pub read: u64,
    /// With chunking: the passages of the documents read (each its own vector).
    pub passages: u64,
    /// Texts embedded in this run that were longer than the model's max_seq_length and cut
    /// (without chunking: documents; with it: passages whose window, cut inside a word,
    /// re-tokenized a token or two longer).
    pub truncated: u64,
    pub indexed: u64,
    /// Bad records (reported with file:line).
    pub skipped: u64,
    /// Documents the engine refused (in the dead-letter file).
    pub failed: u64,
    pub retried: u64,
    pub wall_secs: f64,
    pub embed_secs: f64,
    /// Summed duration of bulk requests (with `concurrency` in flight this exceeds wall time).
    pub index_secs: f64,
    pub docs_per_sec: f64,
    pub checkpoint: PathBuf,
    pub dead_letter: Option<PathBuf>,
    pub store: Option<PathBuf>,
    pub skipped_records: Vec<Skipped>,
    pub count_after: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_state_files_are_keyed_by_index_corpus_and_shard() {
        let (a, dead) = default_state_files(Path::new("/data/corpus.jsonl"), "docs", None);
        assert!(a.starts_with(crate::paths::ingest_state_dir()), "{a:?}");
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("docs-") && name.ends_with(".checkpoint.json"),
            "{name}"
        );
        assert!(dead.to_str().unwrap().ends_with(".deadletter.jsonl"));
        let same = default_state_files(Path::new("/data/corpus.jsonl"), "docs", None).0;
        assert_eq!(a, same, "deterministic");
        for other in [
            default_state_files(Path::new("/data/other.jsonl"), "docs", None).0,
            default_state_files(Path::new("/data/corpus.jsonl"), "docs2", None).0,
            default_state_files(Path::new("/data/corpus.jsonl"), "docs", Some((0, 2))).0,
        ] {
            assert_ne!(a, other);
        }
    }
}
