//! The query DSL both engines share: the search body every query starts from, its term filters
//! ([`filter`]), the BM25 query ([`bm25`]), the best passage of a kNN over passages
//! ([`inner_hits`]), reading a search answer ([`hits`]) and the Lucene score formulas turned back
//! into similarities ([`score`]). What differs between the engines (the kNN clause, the mapping)
//! is in `engines::opensearch` and `engines::elasticsearch`.

pub mod bm25;
pub mod filter;
pub mod hits;
pub mod inner_hits;
pub(crate) mod score;

use serde_json::{Value, json};

use super::layout::schema::Schema;

/// kNN search parameters shared by both engines.
#[derive(Debug, Clone, PartialEq)]
pub struct KnnParams {
    pub k: usize,
    /// Candidates per shard (Elasticsearch `num_candidates`, OpenSearch `ef_search`); at least k.
    pub candidates: usize,
}

impl KnnParams {
    /// `candidates`, raised to `k` where it is lower (both engines refuse fewer candidates than k).
    pub(crate) fn candidates_at_least_k(&self) -> usize {
        self.candidates.max(self.k)
    }
}

/// A search body for the first `size` hits with the `_source` fields every search returns (the
/// schema's id, title and text); the caller adds the query (`query`, or Elasticsearch's
/// top-level `knn`).
pub(crate) fn hits_body(size: usize, schema: &Schema) -> Value {
    json!({"size": size, "_source": schema.source_fields()})
}
