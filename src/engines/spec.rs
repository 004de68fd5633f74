//! What an index must look like for sembridge, independent of the engine: field names, vector
//! dimensions, similarity and HNSW parameters. Engine modules turn it into their JSON, and read
//! an existing index's mapping back to compare it with the spec.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::schema::{Schema, VectorField, discover_vectors};
use crate::corpus::chunk::ChunkOptions;

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
    /// Field names (stored in `_meta` too, so query and eval find them again).
    pub schema: Schema,
    /// How documents were cut into passages (`None`: one vector per document); stored in `_meta`
    /// so a re-run cuts the same way. With it the schema has [`Schema::passages`].
    #[serde(default)]
    pub chunking: Option<ChunkOptions>,
    /// The alias this index is a version of (`ingest --alias`), stored in `_meta`: `alias
    /// prune` deletes only versions that record their alias.
    #[serde(default)]
    pub alias: Option<String>,
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
            schema: Schema::default(),
            chunking: None,
            alias: None,
        }
    }

    pub(crate) fn meta(&self) -> Value {
        json!({
            "sembridge": {
                "version": env!("CARGO_PKG_VERSION"),
                "dims": self.dims,
                "similarity": self.similarity,
                "model": self.model,
                "schema": self.schema,
                "chunking": self.chunking,
                "alias": self.alias,
            }
        })
    }

    /// The `mappings` both engines share (`_meta`, the schema's id, title, text and metadata
    /// fields) around the engine's own `vector_field`.
    pub(crate) fn mappings(&self, vector_field: Value) -> Value {
        let mut m = json!({
            "_meta": self.meta(),
            "properties": self.schema.properties(&self.analyzer, vector_field),
        });
        if let Some(t) = self.schema.dynamic_templates() {
            m["dynamic_templates"] = t;
        }
        m
    }

    /// The differences between an existing index's `mapping` and this spec (empty = fine): the
    /// schema's vector field with the model's dims and the similarity, and the model that wrote
    /// it. Text fields may be missing (an index a framework created empty maps them on the
    /// first document).
    pub(crate) fn differences(&self, mapping: &Value) -> Vec<String> {
        let mut diffs = Vec::new();
        let vectors = discover_vectors(mapping);
        match vectors.iter().find(|v| v.path == self.schema.vector) {
            None => diffs.push(format!(
                "no vector field `{}`{}",
                self.schema.vector,
                match vectors.is_empty() {
                    true => String::new(),
                    false => format!(
                        " (it has {}: choose with --vector-field or --schema)",
                        list_vectors(&vectors)
                    ),
                }
            )),
            Some(v) => {
                if v.dims != self.dims {
                    diffs.push(format!(
                        "vector dims {} in the index, {} from the model",
                        v.dims, self.dims
                    ));
                }
                if v.similarity != Some(self.similarity) {
                    diffs.push(format!(
                        "similarity {} in the index, {} requested",
                        v.similarity_name, self.similarity
                    ));
                }
            }
        }
        if let Some(recorded) = mapping.pointer("/_meta/sembridge/schema")
            && let Ok(recorded) = serde_json::from_value::<Schema>(recorded.clone())
            && recorded != self.schema
        {
            diffs.push(format!(
                "written with other field names ({}), this job writes {}",
                recorded.summary(),
                self.schema.summary()
            ));
        }
        let recorded_chunking = recorded_chunking(mapping);
        if recorded_chunking != self.chunking {
            let says = |c: Option<ChunkOptions>| match c {
                Some(c) => format!(
                    "passages of {} tokens overlapping by {}",
                    c.tokens, c.overlap
                ),
                None => "one vector per document".to_owned(),
            };
            diffs.push(format!(
                "written as {}, this job writes {} (--chunk-tokens/--chunk-overlap, --no-chunking)",
                says(recorded_chunking),
                says(self.chunking)
            ));
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

/// `_meta.sembridge.chunking` of a mapping: how sembridge cut the documents it wrote.
pub fn recorded_chunking(mapping: &Value) -> Option<ChunkOptions> {
    serde_json::from_value(mapping.pointer("/_meta/sembridge/chunking")?.clone()).ok()
}

/// `name (384 dims, cosine), ...` for messages.
pub fn list_vectors(vectors: &[VectorField]) -> String {
    vectors
        .iter()
        .map(|v| format!("`{}` ({} dims, {})", v.path, v.dims, v.similarity_name))
        .collect::<Vec<_>>()
        .join(", ")
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

impl TermFilter {
    /// Parse `field=value` (the `--filter` flag, serve's `filter=` parameter); the error says
    /// what is wrong.
    pub fn parse(s: &str) -> std::result::Result<TermFilter, String> {
        let (field, value) = s.split_once('=').ok_or("expected field=value")?;
        if field.trim().is_empty() {
            return Err("empty field name".into());
        }
        Ok(TermFilter {
            field: field.trim().to_owned(),
            value: value.to_owned(),
        })
    }
}

pub(crate) fn filter_clauses(filters: &[TermFilter]) -> Vec<Value> {
    filters
        .iter()
        .map(|f| json!({"term": {f.field.clone(): f.value}}))
        .collect()
}

/// A search body for the first `size` hits with the `_source` fields every search returns (the
/// schema's id, title and text); the caller adds the query (`query`, or Elasticsearch's
/// top-level `knn`).
pub(crate) fn hits_body(size: usize, schema: &Schema) -> Value {
    json!({"size": size, "_source": schema.source_fields()})
}

/// The `inner_hits` of a kNN search over passages: the best one, with its offsets (not its
/// vector).
pub(crate) fn best_passage_inner_hits(path: &str) -> Value {
    json!({"size": 1, "_source": [format!("{path}.start"), format!("{path}.end")]})
}

/// The BM25 body, the same for both engines: best_fields over the schema's BM25 fields (title and
/// text by default) with tie_breaker 0.5 (as BEIR's Elasticsearch baseline does).
pub fn bm25_body(text: &str, size: usize, filters: &[TermFilter], schema: &Schema) -> Value {
    let fields: Vec<String> = schema.bm25.iter().map(|b| b.to_query_field()).collect();
    let mut body = hits_body(size, schema);
    body["query"] = json!({"bool": {
        "must": {"multi_match": {"query": text, "type": "best_fields", "tie_breaker": 0.5, "fields": fields}},
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
#[path = "tests/spec.rs"]
mod tests;
