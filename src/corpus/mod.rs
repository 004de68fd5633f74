//! Corpus, queries and relevance judgments: streaming readers whose errors name file:line:field.
//!
//! A corpus is read one record at a time ([`CorpusReader`] is an iterator), so memory stays flat
//! whatever the file size. A bad record is an `Err(Error::Record { path, line, field, .. })` item and
//! the iterator goes on with the next one; the caller decides whether to skip or stop (`--on-error`).
//! Only an I/O error ends the iteration. Queries and qrels are small and read whole
//! ([`read_queries`], [`read_qrels`]); there the first bad line is the error.

mod beir;
pub mod chunk;
mod csv;
mod format;
mod jsonl;
mod lines;
mod reader;
mod shard;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use beir::{read_qrels, read_queries};
pub use format::{CorpusFormat, KNOWN_EXTENSIONS};
pub use reader::CorpusReader;
pub use shard::{SHARD_COUNT_VAR, corpus_fingerprint, shard_from_env, shard_of};

/// The engines' `_id` limit (OpenSearch and Elasticsearch both refuse longer ids): a longer id is a
/// record error here, at its file and line, rather than a bulk failure later.
pub const MAX_ID_BYTES: usize = 512;

/// One corpus document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc {
    /// The document id (BEIR `_id`); JSON number ids are converted to their decimal text.
    pub id: String,
    /// The title, empty when the record has none.
    pub title: String,
    pub text: String,
    /// Every other field of the record (for BEIR, the keys of its `metadata` object too).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// 1-based line of the record in its file (for CSV, the line where the record starts).
    pub line: u64,
}

impl Doc {
    /// The text that gets embedded, as BEIR does it: `(title + " " + text).strip()`, which is just the
    /// trimmed text when there is no title.
    pub fn embed_text(&self) -> String {
        embed_text(&self.title, &self.text)
    }
}

/// `(title + " " + text).strip()`, or the trimmed text without a title: what a document's vector
/// is made from (and what a schema without a title field stores as the text).
pub fn embed_text(title: &str, text: &str) -> String {
    if title.is_empty() {
        text.trim().to_owned()
    } else {
        format!("{title} {text}").trim().to_owned()
    }
}

/// One query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: String,
    pub text: String,
}

/// Relevance judgments: query id -> doc id -> relevance (0 or below: judged not relevant).
pub type Qrels = BTreeMap<String, BTreeMap<String, i32>>;
