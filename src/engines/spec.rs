//! What an index must look like for sembridge, independent of the engine: field names, vector
//! dimensions, similarity and HNSW parameters. Engine modules turn it into their JSON, and read
//! an existing index's mapping back to compare it with the spec.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Field names used in every index sembridge writes.
pub const FIELD_ID: &str = "doc_id";
pub const FIELD_TITLE: &str = "title";
pub const FIELD_TEXT: &str = "text";
pub const FIELD_VECTOR: &str = "embedding";
pub const FIELD_METADATA: &str = "metadata";
/// The fields every search returns in `_source`.
const SOURCE_FIELDS: [&str; 3] = [FIELD_ID, FIELD_TITLE, FIELD_TEXT];

/// Vector similarity, named as users know it; of an engine's index and of exact search alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    Cosine,
    Dot,
    /// Euclidean distance; as a score, the negated squared distance (higher is closer).
    L2,
}

impl Similarity {
    pub const ALL: [Similarity; 3] = [Similarity::Cosine, Similarity::Dot, Similarity::L2];

    /// `cosine`, `dot` or `l2`.
    pub fn name(self) -> &'static str {
        match self {
            Similarity::Cosine => "cosine",
            Similarity::Dot => "dot",
            Similarity::L2 => "l2",
        }
    }
}

impl std::fmt::Display for Similarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// OpenSearch k-NN library. Only `lucene` works on a node without the native libraries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KnnEngine {
    Lucene,
    Faiss,
}

impl KnnEngine {
    pub const ALL: [KnnEngine; 2] = [KnnEngine::Lucene, KnnEngine::Faiss];

    /// `lucene` or `faiss`, as OpenSearch mappings and the flag spell it.
    pub fn name(self) -> &'static str {
        match self {
            KnnEngine::Lucene => "lucene",
            KnnEngine::Faiss => "faiss",
        }
    }
}

/// Elasticsearch `index_options.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EsIndexType {
    Hnsw,
    Int8Hnsw,
    BbqHnsw,
    Flat,
}

impl EsIndexType {
    pub const ALL: [EsIndexType; 4] = [
        EsIndexType::Hnsw,
        EsIndexType::Int8Hnsw,
        EsIndexType::BbqHnsw,
        EsIndexType::Flat,
    ];

    /// The flag's spelling: `hnsw`, `int8-hnsw`, `bbq-hnsw`, `flat` (Elasticsearch's own is
    /// [`EsIndexType::as_str`]).
    pub fn name(self) -> &'static str {
        match self {
            EsIndexType::Hnsw => "hnsw",
            EsIndexType::Int8Hnsw => "int8-hnsw",
            EsIndexType::BbqHnsw => "bbq-hnsw",
            EsIndexType::Flat => "flat",
        }
    }

    /// Elasticsearch's spelling: `hnsw`, `int8_hnsw`, `bbq_hnsw`, `flat`.
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
    /// Set when `analyzer` was assumed, not probed (`--analyzer auto` with credentials that may
    /// not call `_analyze`): the analyzer to use instead if the engine turns out not to know it.
    #[serde(skip)]
    pub analyzer_fallback: Option<String>,
    /// Replica copies of each shard of a new index (0 on a single node; 1 on a cluster keeps
    /// every document searchable when a node is lost).
    #[serde(default)]
    pub replicas: u32,
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
            replicas: 0,
            analyzer_fallback: None,
            model: None,
        }
    }

    pub(crate) fn meta(&self) -> Value {
        json!({
            "sembridge": {
                "version": env!("CARGO_PKG_VERSION"),
                "dims": self.dims,
                "similarity": self.similarity,
                "model": self.model,
            }
        })
    }

    /// The `mappings` both engines share (`_meta`, id, title, text and metadata fields) around
    /// the engine's own `vector_field`.
    pub(crate) fn mappings(&self, vector_field: Value) -> Value {
        json!({
            "_meta": self.meta(),
            "properties": {
                FIELD_ID: {"type": "keyword"},
                FIELD_TITLE: {"type": "text", "analyzer": self.analyzer},
                FIELD_TEXT: {"type": "text", "analyzer": self.analyzer},
                FIELD_VECTOR: vector_field,
                FIELD_METADATA: {"type": "object", "dynamic": true}
            }
        })
    }

    /// The differences between an existing index's `mapping` and this spec (empty = fine);
    /// `vector_field` is what the engine's `vector_field_of` read from the mapping.
    pub(crate) fn differences(
        &self,
        mapping: &Value,
        vector_field: Option<(usize, Option<Similarity>)>,
    ) -> Vec<String> {
        let mut diffs = Vec::new();
        match vector_field {
            None => diffs.push(format!("no vector field `{FIELD_VECTOR}`")),
            Some((dims, sim)) => {
                if dims != self.dims {
                    diffs.push(format!(
                        "vector dims {dims} in the index, {} from the model",
                        self.dims
                    ));
                }
                if let Some(sim) = sim
                    && sim != self.similarity
                {
                    diffs.push(format!(
                        "similarity {sim} in the index, {} requested",
                        self.similarity
                    ));
                }
            }
        }
        for field in [FIELD_TITLE, FIELD_TEXT, FIELD_ID] {
            if mapping.pointer(&format!("/properties/{field}")).is_none() {
                diffs.push(format!("no field `{field}`"));
            }
        }
        if let (Some(want), Some(have)) = (
            self.model.as_deref(),
            mapping
                .pointer("/_meta/sembridge/model")
                .and_then(Value::as_str),
        ) && want != have
        {
            diffs.push(format!(
                "vectors written by model {have}, this job uses {want}"
            ));
        }
        diffs
    }
}

/// Dims and similarity of the vector field of an existing mapping, read the engine's way:
/// `dims_key` names the dimension inside the field, `similarity_at` (a JSON pointer inside the
/// field) the similarity, and `name_of` is the engine's name for each similarity (the one its
/// mapping writes), so that writing and reading a mapping cannot disagree.
pub(crate) fn vector_field_of(
    mapping: &Value,
    dims_key: &str,
    similarity_at: &str,
    name_of: fn(Similarity) -> &'static str,
) -> Option<(usize, Option<Similarity>)> {
    let field = mapping.pointer(&format!("/properties/{FIELD_VECTOR}"))?;
    let dims = field.get(dims_key)?.as_u64()? as usize;
    let name = field.pointer(similarity_at).and_then(Value::as_str);
    let sim = Similarity::ALL
        .into_iter()
        .find(|&s| Some(name_of(s)) == name);
    Some((dims, sim))
}

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

/// A `field = value` term filter applied to every leg of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct TermFilter {
    pub field: String,
    pub value: String,
}

pub(crate) fn filter_clauses(filters: &[TermFilter]) -> Vec<Value> {
    filters
        .iter()
        .map(|f| json!({"term": {f.field.clone(): f.value}}))
        .collect()
}

/// A search body for the first `size` hits with the `_source` fields every search returns; the
/// caller adds the query (`query`, or Elasticsearch's top-level `knn`).
pub(crate) fn hits_body(size: usize) -> Value {
    json!({"size": size, "_source": SOURCE_FIELDS})
}

/// The BM25 body, the same for both engines: best_fields over title and text with tie_breaker 0.5
/// (as BEIR's Elasticsearch baseline does).
pub fn bm25_body(text: &str, size: usize, filters: &[TermFilter]) -> Value {
    let mut body = hits_body(size);
    body["query"] = json!({"bool": {
        "must": {"multi_match": {"query": text, "type": "best_fields", "tie_breaker": 0.5, "fields": [FIELD_TITLE, FIELD_TEXT]}},
        "filter": filter_clauses(filters),
    }});
    body
}

/// The kNN `_score` formulas both engines document (Lucene's `VectorSimilarityFunction` scores),
/// turned back into the similarity; each engine's `score_to_similarity` says which applies to
/// which of its similarities.
pub(crate) mod lucene_score {
    /// COSINE and DOT_PRODUCT: `score = (1 + sim) / 2`.
    pub fn halved_to_similarity(score: f32) -> f32 {
        2.0 * score - 1.0
    }

    /// MAXIMUM_INNER_PRODUCT: `score = 1 + dot` if dot >= 0 else `1 / (1 - dot)`.
    pub fn max_inner_product_to_similarity(score: f32) -> f32 {
        if score >= 1.0 {
            score - 1.0
        } else {
            1.0 - 1.0 / score
        }
    }

    /// EUCLIDEAN: `score = 1 / (1 + d²)`, returned as `-d²` (higher is closer).
    pub fn euclidean_to_similarity(score: f32) -> f32 {
        -(1.0 / score - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::{elasticsearch as es, opensearch as os};

    #[test]
    fn each_engine_reads_back_the_similarity_it_writes() {
        let mut spec = IndexSpec::new("x", 8);
        for s in Similarity::ALL {
            spec.similarity = s;
            let body = os::create_index_body(&spec);
            assert_eq!(os::vector_field_of(&body["mappings"]), Some((8, Some(s))));
            let body = es::create_index_body(&spec);
            assert_eq!(es::vector_field_of(&body["mappings"]), Some((8, Some(s))));
        }
        let mut body = os::create_index_body(&spec);
        body["mappings"]["properties"][FIELD_VECTOR]["method"]["space_type"] = json!("hamming");
        assert_eq!(os::vector_field_of(&body["mappings"]), Some((8, None)));
        let mut body = es::create_index_body(&spec);
        body["mappings"]["properties"][FIELD_VECTOR]["similarity"] = json!("max_inner_product");
        assert_eq!(es::vector_field_of(&body["mappings"]), Some((8, None)));
    }
}
