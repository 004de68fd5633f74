//! Unit tests of [`super`] (elasticsearch.rs).

use super::*;
use crate::engines::layout::vector::EsIndexType;

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
        assert!((score_to_similarity((1.0 + sim) / 2.0, Similarity::Cosine) - sim).abs() < 1e-6);
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
