//! One error type for the library. Variants carry their context (file, line, field, URL, expected
//! vs got) so messages say what went wrong where, and what to do next. URLs in errors are always
//! redacted (no user:password) by the code that builds them.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
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

    /// `--on-error fail` and a bad record: the record's error is the source.
    #[error("stopped at a bad record (--on-error fail)")]
    StoppedAtBadRecord {
        #[source]
        record: Box<Error>,
    },

    /// A pipeline stage (reader, embedder, a bulk task) died without saying why in an error: it
    /// panicked or was cancelled. The job fails; what was acknowledged stays checkpointed.
    #[error("the {stage} stage failed: {message}")]
    StageFailed {
        stage: &'static str,
        message: String,
    },

    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
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
            _ => false,
        }
    }
}

/// HTTP statuses that mean "try again later": 429 (throttled), 502/503/504 (node busy or restarting).
pub fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

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
