//! One error type for the library. Variants carry their context (file, line, field, URL, expected
//! vs got) so messages say what went wrong where, and what to do next. URLs in errors are always
//! redacted (no user:password) by the code that builds them.
//!
//! Each message states its cause once: a variant that wraps another error shows it in its own
//! text and does not also return it from `source()` (the CLI prints the whole chain, so a cause
//! in both places would be printed twice; `to_string()` alone must still be complete,
//! because skipped-record lines and dead letters use it). [`chain`] renders any error that way.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cause is in the text, not in `source()` (see the module docs).
    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    /// A bad record in an input file (corpus, queries, qrels). `line` is 1-based.
    #[error("{}:{line}: {}{message}", path.display(), field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Record {
        path: PathBuf,
        line: u64,
        field: Option<String>,
        message: String,
    },

    /// A command-line value that does not validate; `flag` names it.
    #[error("invalid {flag}: {message}")]
    Config { flag: String, message: String },

    /// The model folder is incomplete or inconsistent.
    #[error("model {}: {message}", path.display())]
    Model { path: PathBuf, message: String },

    /// ONNX Runtime could not be loaded or failed while running.
    #[error("ONNX Runtime: {message}")]
    Ort { message: String },

    #[error("tokenizer: {message}")]
    Tokenizer { message: String },

    /// The vector store file is missing, corrupt or does not match.
    #[error("vector store {}: {message}", path.display())]
    Store { path: PathBuf, message: String },

    /// Vectors of a different dimension than expected.
    #[error("vector dimension mismatch: expected {expected}, got {got} ({context})")]
    Dimension {
        expected: usize,
        got: usize,
        context: String,
    },

    /// The engine could not be reached (connection refused, DNS, TLS, timeout).
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },

    /// The engine answered with an error status.
    #[error("{url} answered {status}: {reason}")]
    Engine {
        url: String,
        status: u16,
        reason: String,
    },

    /// A search or count answered 2xx but some shards failed (`_shards.failed > 0`, e.g. a node
    /// of a cluster is down and a shard has no other copy): the answer covers part of the index
    /// only, so it is refused rather than shown as if whole. Transient: once the cluster has
    /// promoted replicas or the node is back, the same request answers whole.
    #[error(
        "{url}: {failed} of {total} shards of `{index}` failed ({reason}); the answer would be \
         partial, so it is refused (a node down? check _cluster/health; replicas keep an index \
         whole when a node is lost)"
    )]
    PartialResults {
        url: String,
        index: String,
        failed: u64,
        total: u64,
        reason: String,
    },

    /// The engine answered 2xx with something sembridge cannot read (not JSON, a missing field, a
    /// `GET /` like neither engine). Not transient: asking again gets the same answer.
    #[error("{url} gave an answer sembridge cannot read: {message}")]
    BadAnswer { url: String, message: String },

    /// An existing index whose mapping disagrees with what this job needs.
    #[error("index `{index}` exists with a different mapping: {}; use --recreate to drop and rebuild it", differences.join("; "))]
    MappingMismatch {
        index: String,
        differences: Vec<String>,
    },

    /// `ingest --alias`: the new version failed its check; the alias did not move.
    #[error(
        "alias `{alias}` left where it was: the new version `{version}` failed its check: {why} \
         (the version is kept for a look; `sembridge alias {alias} prune` deletes it)"
    )]
    AliasNotMoved {
        alias: String,
        version: String,
        why: String,
    },

    /// An index sembridge cannot search as asked (which vector or text field, which layout).
    #[error("index `{index}`: {message}")]
    Layout { index: String, message: String },

    /// The index's `_meta` names the model that wrote its vectors, and the query model is another.
    #[error(
        "index `{index}` holds vectors of model {index_model}, but the query model is {model} \
         ({dir}): its query vectors would be compared with another model's. Give the model that \
         wrote the index with --model, or --allow-model-mismatch to search anyway"
    )]
    ModelMismatch {
        index: String,
        index_model: String,
        model: String,
        dir: String,
    },

    /// A resume that would mix another corpus, model or index into the job.
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint { path: PathBuf, message: String },

    /// The first records of a corpus are all bad and none is good: the file is not a corpus of
    /// the format it was read as.
    #[error(
        "{}: the first {bad} records are all bad and none is good: the file does not look like a \
         corpus of the format it was read as; check the file, or pass --format",
        path.display()
    )]
    NotACorpus { path: PathBuf, bad: u64 },

    /// `--on-error fail` and a bad record: the record's error is in the text (not `source()`).
    #[error("stopped at a bad record (--on-error fail): {record}")]
    StoppedAtBadRecord { record: Box<Error> },

    /// A pipeline stage (reader, embedder, a bulk task) died without saying why in an error: it
    /// panicked or was cancelled. The job fails; what was acknowledged stays checkpointed.
    #[error("the {stage} stage failed: {message}")]
    StageFailed {
        stage: &'static str,
        message: String,
    },

    /// Every embedding worker stayed busy longer than a caller may wait (a server answers 503).
    #[error("{message}")]
    Busy { message: String },

    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause,
        }
    }

    pub fn record(
        path: impl Into<PathBuf>,
        line: u64,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Record {
            path: path.into(),
            line,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn config(flag: &str, message: impl Into<String>) -> Self {
        Error::Config {
            flag: flag.to_owned(),
            message: message.into(),
        }
    }

    pub fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn store(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Store {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Worth retrying: throttling, unavailability, timeouts and dropped connections.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } => true,
            Error::Engine { status, .. } => is_transient_status(*status),
            Error::PartialResults { .. } => true,
            _ => false,
        }
    }
}

/// HTTP statuses that mean "try again later": 429 (throttled), 502/503/504 (node busy or restarting).
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// `error: cause: cause`, each cause once: a cause whose text the message already holds (an error
/// that shows its source in its own Display, as many do) is not repeated. For errors from other
/// crates (reqwest hides its source) and for the CLI's last word.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_cause_is_stated_once_however_the_error_is_printed() {
        let e = Error::io(
            "/tmp/nonexist.jsonl",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        let once = "/tmp/nonexist.jsonl: entity not found";
        assert_eq!(e.to_string(), once);
        assert_eq!(format!("{:#}", anyhow::Error::new(e)), once);
        let stopped = Error::StoppedAtBadRecord {
            record: Box::new(Error::record("c.jsonl", 3, Some("_id"), "missing")),
        };
        let text = "stopped at a bad record (--on-error fail): c.jsonl:3: field `_id`: missing";
        assert_eq!(stopped.to_string(), text);
        let wrapped = anyhow::Error::new(stopped).context("ingest stopped");
        assert_eq!(format!("{wrapped:#}"), format!("ingest stopped: {text}"));
        assert_eq!(chain(wrapped.as_ref()), format!("ingest stopped: {text}"));
    }

    #[test]
    fn chain_skips_a_cause_already_in_the_text() {
        #[derive(Debug, thiserror::Error)]
        #[error("reading x: {0}")]
        struct Both(#[source] std::io::Error);
        let e = Both(std::io::Error::other("disk on fire"));
        assert_eq!(
            format!(
                "{:#}",
                anyhow::Error::new(Both(std::io::Error::other("disk on fire")))
            ),
            "reading x: disk on fire: disk on fire"
        );
        assert_eq!(chain(&e), "reading x: disk on fire");
    }

    #[test]
    fn a_bad_answer_is_not_transient() {
        let e = Error::BadAnswer {
            url: "http://localhost:9200".into(),
            message: "no `count` in {}".into(),
        };
        assert!(!e.is_transient());
        assert_eq!(
            e.to_string(),
            "http://localhost:9200 gave an answer sembridge cannot read: no `count` in {}"
        );
    }
}
