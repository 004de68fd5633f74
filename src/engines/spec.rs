//! What an index must look like for sembridge, independent of the engine: field names, vector
//! dimensions, similarity and HNSW parameters. Engine modules turn it into their JSON.

use serde::{Deserialize, Serialize};

/// Field names used in every index sembridge writes.
pub const FIELD_ID: &str = "doc_id";
pub const FIELD_TITLE: &str = "title";
pub const FIELD_TEXT: &str = "text";
pub const FIELD_VECTOR: &str = "embedding";
pub const FIELD_METADATA: &str = "metadata";

/// Vector similarity, named as users know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    Cosine,
    Dot,
    L2,
}

impl std::fmt::Display for Similarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Similarity::Cosine => "cosine",
            Similarity::Dot => "dot",
            Similarity::L2 => "l2",
        })
    }
}

/// OpenSearch k-NN library. Only `lucene` works on a node without the native libraries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum KnnEngine {
    Lucene,
    Faiss,
}

/// Elasticsearch `index_options.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum EsIndexType {
    Hnsw,
    Int8Hnsw,
    BbqHnsw,
    Flat,
}

impl EsIndexType {
    pub fn as_str(self) -> &'static str {
        match self {
            EsIndexType::Hnsw => "hnsw",
            EsIndexType::Int8Hnsw => "int8_hnsw",
            EsIndexType::BbqHnsw => "bbq_hnsw",
            EsIndexType::Flat => "flat",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSpec {
    pub name: String,
    pub dims: usize,
    pub similarity: Similarity,
    pub m: u32,
    pub ef_construction: u32,
    pub knn_engine: KnnEngine,
    pub es_index_type: EsIndexType,
    /// Text analyzer for title and text (e.g. "english", "standard").
    pub analyzer: String,
    pub shards: u32,
    /// Stored in the mapping's `_meta` so a later job can tell which model wrote the vectors.
    pub model: Option<String>,
}

impl IndexSpec {
    pub fn new(name: impl Into<String>, dims: usize) -> Self {
        IndexSpec {
            name: name.into(),
            dims,
            similarity: Similarity::Cosine,
            m: 16,
            ef_construction: 100,
            knn_engine: KnnEngine::Lucene,
            es_index_type: EsIndexType::Hnsw,
            analyzer: "standard".into(),
            shards: 1,
            model: None,
        }
    }

    pub(crate) fn meta(&self) -> serde_json::Value {
        serde_json::json!({
            "sembridge": {
                "version": env!("CARGO_PKG_VERSION"),
                "dims": self.dims,
                "similarity": self.similarity,
                "model": self.model,
            }
        })
    }
}

/// kNN search parameters shared by both engines.
#[derive(Debug, Clone, PartialEq)]
pub struct KnnParams {
    pub k: usize,
    /// Candidates per shard (Elasticsearch `num_candidates`, OpenSearch `ef_search`); at least k.
    pub candidates: usize,
}

/// A `field = value` term filter applied to every leg of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct TermFilter {
    pub field: String,
    pub value: String,
}

pub(crate) fn filter_clauses(filters: &[TermFilter]) -> Vec<serde_json::Value> {
    filters
        .iter()
        .map(|f| serde_json::json!({"term": {f.field.clone(): f.value}}))
        .collect()
}

/// The BM25 body, the same for both engines: best_fields over title and text with tie_breaker 0.5
/// (as BEIR's Elasticsearch baseline does).
pub fn bm25_body(text: &str, size: usize, filters: &[TermFilter]) -> serde_json::Value {
    serde_json::json!({
        "size": size,
        "_source": [FIELD_ID, FIELD_TITLE, FIELD_TEXT],
        "query": {"bool": {
            "must": {"multi_match": {"query": text, "type": "best_fields", "tie_breaker": 0.5, "fields": [FIELD_TITLE, FIELD_TEXT]}},
            "filter": filter_clauses(filters),
        }}
    })
}
