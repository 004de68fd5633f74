//! OpenSearch's JSON: `knn_vector` mapping, `knn` query, and `_score` back to similarity.
//! Pure functions, tested without a server.

use serde_json::{Value, json};

use super::capabilities::{
    Version, opensearch_has_expand_nested_docs, opensearch_has_method_parameters,
};
use super::dsl::filter::{TermFilter, filter_clauses};
use super::dsl::inner_hits::best_passage_inner_hits;
use super::dsl::{KnnParams, hits_body, score};
use super::layout::schema::Schema;
use super::layout::spec::IndexSpec;
use super::layout::vector::{KnnEngine, Similarity};

pub fn space_type(s: Similarity) -> &'static str {
    match s {
        Similarity::Cosine => "cosinesimil",
        Similarity::Dot => "innerproduct",
        Similarity::L2 => "l2",
    }
}

pub fn create_index_body(spec: &IndexSpec) -> Value {
    let engine = match spec.knn_engine {
        KnnEngine::Lucene => "lucene",
        KnnEngine::Faiss => "faiss",
    };
    json!({
        "settings": {"index": {"knn": true, "number_of_shards": spec.shards, "number_of_replicas": spec.replicas}},
        "mappings": spec.mappings(json!({
            "type": "knn_vector",
            "dimension": spec.dims,
            "method": {
                "name": "hnsw",
                "engine": engine,
                "space_type": space_type(spec.similarity),
                "parameters": {"m": spec.m, "ef_construction": spec.ef_construction}
            }
        }))
    })
}

/// `knn` query with `k` and `method_parameters.ef_search`; filters go inside the knn clause so
/// they pre-filter (lucene engine). For an OpenSearch of unknown version: see [`knn_body_for`].
pub fn knn_body(vector: &[f32], p: &KnnParams, filters: &[TermFilter], schema: &Schema) -> Value {
    knn_body_for(None, vector, p, filters, schema)
}

/// [`knn_body`] for an OpenSearch of version `v` (`None`: unknown, the current body). Before
/// 2.16 the `knn` query has no `method_parameters` (it would be refused), so the index's
/// `ef_search` (default 100) applies.
///
/// Passages (a nested vector field): the `knn` goes inside a `nested` query scoring a document by
/// its best passage (`score_mode: max`); `k` counts documents (the k-NN plugin keeps one passage
/// per document), a filter on document fields still pre-filters, and `inner_hits` names the best
/// passage. From 2.19 `expand_nested_docs` scores every passage of the documents found, so the
/// best passage is the best of all, not only of those the graph search met.
pub fn knn_body_for(
    v: Option<Version>,
    vector: &[f32],
    p: &KnnParams,
    filters: &[TermFilter],
    schema: &Schema,
) -> Value {
    let mut knn = json!({"vector": vector, "k": p.k});
    if v.is_none_or(opensearch_has_method_parameters) {
        knn["method_parameters"] = json!({"ef_search": p.candidates_at_least_k()});
    }
    if !filters.is_empty() {
        knn["filter"] = json!({"bool": {"filter": filter_clauses(filters)}});
    }
    let mut body = hits_body(p.k, schema);
    body["query"] = match &schema.passages {
        None => json!({"knn": {schema.vector.clone(): knn}}),
        Some(path) => {
            if v.is_none_or(opensearch_has_expand_nested_docs) {
                knn["expand_nested_docs"] = json!(true);
            }
            json!({"nested": {
                "path": path,
                "score_mode": "max",
                "query": {"knn": {schema.vector.clone(): knn}},
                "inner_hits": best_passage_inner_hits(path),
            }})
        }
    };
    body
}

/// The similarity a `_score` stands for: lucene cosinesimil `score = (1 + cos) / 2`, faiss and
/// nmslib cosinesimil `score = 1 / (2 - cos)` (OpenSearch's k-NN "spaces" table); innerproduct
/// `score = 1 + dot` if dot >= 0 else `1 / (1 - dot)`; l2 `score = 1 / (1 + d²)`, returned as
/// `-d²` (higher is closer).
pub fn score_to_similarity(score: f32, s: Similarity, engine: KnnEngine) -> f32 {
    match s {
        Similarity::Cosine if engine == KnnEngine::Faiss => 2.0 - 1.0 / score,
        Similarity::Cosine => score::halved_to_similarity(score),
        Similarity::Dot => score::max_inner_product_to_similarity(score),
        Similarity::L2 => score::euclidean_to_similarity(score),
    }
}

#[cfg(test)]
#[path = "tests/opensearch.rs"]
mod tests;
