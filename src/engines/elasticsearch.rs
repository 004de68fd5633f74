//! Elasticsearch's JSON: `dense_vector` mapping, top-level `knn` search, and `_score` back to
//! similarity. Pure functions, tested without a server.

use serde_json::{Value, json};

use super::dsl::filter::{TermFilter, filter_clauses};
use super::dsl::inner_hits::best_passage_inner_hits;
use super::dsl::{KnnParams, hits_body, score};
use super::layout::schema::Schema;
use super::layout::spec::IndexSpec;
use super::layout::vector::Similarity;

pub fn similarity_name(s: Similarity) -> &'static str {
    match s {
        Similarity::Cosine => "cosine",
        // dot_product needs unit-length vectors (checked before indexing).
        Similarity::Dot => "dot_product",
        Similarity::L2 => "l2_norm",
    }
}

pub fn create_index_body(spec: &IndexSpec) -> Value {
    let mut index_options = json!({"type": spec.es_index_type.as_str()});
    if spec.es_index_type.as_str().ends_with("hnsw") {
        index_options["m"] = json!(spec.m);
        index_options["ef_construction"] = json!(spec.ef_construction);
    }
    json!({
        "settings": {"number_of_shards": spec.shards, "number_of_replicas": spec.replicas},
        "mappings": spec.mappings(json!({
            "type": "dense_vector",
            "dims": spec.dims,
            "index": true,
            "similarity": similarity_name(spec.similarity),
            "index_options": index_options
        }))
    })
}

/// Top-level `knn` search; filters pre-filter inside the knn section. On a nested vector field
/// (passages) `k` counts documents, each scored by its best passage, which `inner_hits` names.
pub fn knn_body(vector: &[f32], p: &KnnParams, filters: &[TermFilter], schema: &Schema) -> Value {
    let mut knn = json!({
        "field": schema.vector,
        "query_vector": vector,
        "k": p.k,
        "num_candidates": p.candidates_at_least_k()
    });
    if !filters.is_empty() {
        knn["filter"] = json!(filter_clauses(filters));
    }
    if let Some(path) = &schema.passages {
        knn["inner_hits"] = best_passage_inner_hits(path);
    }
    let mut body = hits_body(p.k, schema);
    body["knn"] = knn;
    body
}

/// The similarity an Elasticsearch kNN `_score` stands for: cosine and dot_product
/// `score = (1 + sim) / 2`; l2_norm `score = 1 / (1 + d²)`, returned as `-d²`.
pub fn score_to_similarity(score: f32, s: Similarity) -> f32 {
    match s {
        Similarity::Cosine | Similarity::Dot => score::halved_to_similarity(score),
        Similarity::L2 => score::euclidean_to_similarity(score),
    }
}

#[cfg(test)]
#[path = "tests/elasticsearch.rs"]
mod tests;
