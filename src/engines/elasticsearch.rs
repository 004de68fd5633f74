//! Elasticsearch's JSON: `dense_vector` mapping, top-level `knn` search, and `_score` back to
//! similarity. Pure functions, tested without a server.

use serde_json::{Value, json};

use super::schema::Schema;
use super::spec::{self, lucene_score};
use super::spec::{IndexSpec, KnnParams, Similarity, TermFilter, filter_clauses};

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
        knn["inner_hits"] = spec::best_passage_inner_hits(path);
    }
    let mut body = spec::hits_body(p.k, schema);
    body["knn"] = knn;
    body
}

/// The similarity an Elasticsearch kNN `_score` stands for: cosine and dot_product
/// `score = (1 + sim) / 2`; l2_norm `score = 1 / (1 + d²)`, returned as `-d²`.
pub fn score_to_similarity(score: f32, s: Similarity) -> f32 {
    match s {
        Similarity::Cosine | Similarity::Dot => lucene_score::halved_to_similarity(score),
        Similarity::L2 => lucene_score::euclidean_to_similarity(score),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::spec::EsIndexType;

    #[test]
    fn mapping_is_dense_vector_with_index_options() {
        let mut spec = IndexSpec::new("x", 384);
        spec.es_index_type = EsIndexType::Int8Hnsw;
        let body = create_index_body(&spec);
        let v = &body["mappings"]["properties"]["embedding"];
        assert_eq!(v["type"], "dense_vector");
        assert_eq!(v["dims"], 384);
        assert_eq!(v["index"], true);
        assert_eq!(v["similarity"], "cosine");
        assert_eq!(v["index_options"]["type"], "int8_hnsw");
        assert_eq!(v["index_options"]["m"], 16);
    }

    #[test]
    fn knn_is_top_level_with_num_candidates_at_least_k() {
        let body = knn_body(
            &[1.0, 0.0],
            &KnnParams {
                k: 100,
                candidates: 50,
            },
            &[],
            &Schema::default(),
        );
        assert_eq!(body["knn"]["k"], 100);
        assert_eq!(body["knn"]["num_candidates"], 100);
        assert!(body.get("query").is_none());
    }

    #[test]
    fn score_conversion_inverts_the_documented_formula() {
        for sim in [-1.0f32, -0.3, 0.0, 0.5, 1.0] {
            assert!(
                (score_to_similarity((1.0 + sim) / 2.0, Similarity::Cosine) - sim).abs() < 1e-6
            );
            assert!((score_to_similarity((1.0 + sim) / 2.0, Similarity::Dot) - sim).abs() < 1e-6);
        }
        assert!((score_to_similarity(1.0 / (1.0 + 0.25), Similarity::L2) + 0.25).abs() < 1e-6);
    }

    #[test]
    fn knn_over_passages_asks_for_the_best_passage() {
        let p = KnnParams {
            k: 10,
            candidates: 100,
        };
        let schema = Schema::default().with_passages(true);
        let body = knn_body(&[1.0, 0.0], &p, &[], &schema);
        assert_eq!(body["knn"]["field"], "passages.embedding");
        assert_eq!(body["knn"]["inner_hits"]["size"], 1);
        assert_eq!(
            body["knn"]["inner_hits"]["_source"],
            json!(["passages.start", "passages.end"])
        );
        let flat = knn_body(&[1.0, 0.0], &p, &[], &Schema::default());
        assert!(flat["knn"].get("inner_hits").is_none());
    }
}
