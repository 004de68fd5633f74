//! Unit tests of [`super`] (discover.rs).

use super::*;
use crate::engines::layout::vector::KnnEngine;
use serde_json::json;

#[test]
fn discovery_finds_vectors_with_the_engines_defaults() {
    let mapping = json!({"properties": {
        "text": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "vector_field": {"type": "knn_vector", "dimension": 384,
            "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}},
        "bare": {"type": "knn_vector", "dimension": 8},
        "meta": {"properties": {
            "v": {"type": "dense_vector", "dims": 3},
            "title": {"type": "text"}
        }}
    }});
    let found = discover_vectors(&mapping);
    assert_eq!(found.len(), 3);
    let lc = found.iter().find(|v| v.path == "vector_field").unwrap();
    assert_eq!(
        (lc.dims, lc.similarity, lc.knn_engine.as_deref()),
        (384, Some(Similarity::Cosine), Some("lucene"))
    );
    let bare = found.iter().find(|v| v.path == "bare").unwrap();
    assert_eq!(bare.similarity, Some(Similarity::L2));
    let es = found.iter().find(|v| v.path == "meta.v").unwrap();
    assert_eq!(
        (es.dims, es.similarity, es.knn_engine.as_deref()),
        (3, Some(Similarity::Cosine), None)
    );
    assert_eq!(text_fields(&mapping), ["meta.title", "text"]);
    assert!(has_field(&mapping, "meta.title"));
    assert!(!has_field(&mapping, "title"));
}

#[test]
fn unknown_similarities_are_none_and_faiss_scores_differ() {
    let mapping = json!({"properties": {
        "a": {"type": "dense_vector", "dims": 3, "similarity": "max_inner_product"},
        "b": {"type": "knn_vector", "dimension": 3,
            "method": {"name": "hnsw", "space_type": "cosinesimil"}}
    }});
    let found = discover_vectors(&mapping);
    assert_eq!(found[0].similarity, None);
    assert_eq!(found[0].similarity_name, "max_inner_product");
    assert_eq!(found[1].scores(), KnnEngine::Faiss);
}

fn one(mapping: Value) -> Vec<(String, Value)> {
    vec![("idx".to_owned(), mapping)]
}

#[test]
fn resolve_takes_the_only_vector_field_and_lists_several() {
    let lc = json!({"properties": {
        "text": {"type": "text"},
        "metadata": {"properties": {"title": {"type": "text"}}},
        "vector_field": {"type": "knn_vector", "dimension": 4,
            "method": {"engine": "lucene", "space_type": "l2"}}
    }});
    let r = SchemaRequest::default()
        .resolve(EngineKind::OpenSearch, &one(lc.clone()))
        .unwrap();
    assert_eq!(r.schema.vector, "vector_field");
    assert_eq!(r.vector.as_ref().unwrap().similarity, Some(Similarity::L2));
    assert_eq!(r.schema.text, "text");
    assert_eq!(r.schema.bm25, [Boosted::new("text")]);
    assert_eq!(r.schema.id, None, "no doc_id field: hits are read by _id");
    assert_eq!(r.model, None);

    let mut two = lc.clone();
    two["properties"]["other"] = json!({"type": "knn_vector", "dimension": 8});
    let r = SchemaRequest::default()
        .resolve(EngineKind::OpenSearch, &one(two.clone()))
        .unwrap();
    assert_eq!(r.vector, None, "BM25 can still search it");
    let e = r.vector_field().unwrap_err();
    assert!(
        e.contains("several vector fields")
            && e.contains("`other` (8 dims, l2)")
            && e.contains("--vector-field"),
        "{e}"
    );
    let pick = SchemaRequest {
        vector: Some("other".into()),
        ..Default::default()
    };
    let r = pick
        .resolve(EngineKind::OpenSearch, &one(two.clone()))
        .unwrap();
    assert_eq!(
        (r.schema.vector.as_str(), r.schema.scores),
        ("other", KnnEngine::Faiss)
    );
    let wrong = SchemaRequest {
        vector: Some("nope".into()),
        ..Default::default()
    };
    let e = wrong
        .resolve(EngineKind::OpenSearch, &one(two))
        .unwrap_err();
    assert!(
        e.contains("--vector-field `nope`") && e.contains("vector_field"),
        "{e}"
    );
    let bad_bm25 = SchemaRequest {
        bm25: Some(vec![Boosted::parse("title^2").unwrap()]),
        ..Default::default()
    };
    let e = bad_bm25
        .resolve(EngineKind::OpenSearch, &one(lc))
        .unwrap_err();
    assert!(
        e.contains("`title`") && e.contains("metadata.title, text"),
        "{e}"
    );
}

#[test]
fn resolve_reads_the_schema_and_model_sembridge_recorded() {
    let mut spec = crate::engines::IndexSpec::new("i", 4);
    spec.schema = Schema::preset(SchemaPreset::Haystack, EngineKind::Elasticsearch);
    spec.schema.bm25 = vec![Boosted::parse("content^2").unwrap()];
    spec.model = Some("m1".into());
    let body = crate::engines::elasticsearch::create_index_body(&spec);
    let r = SchemaRequest::default()
        .resolve(EngineKind::Elasticsearch, &one(body["mappings"].clone()))
        .unwrap();
    assert_eq!(r.schema, spec.schema);
    assert_eq!(r.model.as_deref(), Some("m1"));
    let mut other = body["mappings"].clone();
    other["_meta"]["sembridge"]["model"] = json!("m2");
    let e = SchemaRequest::default()
        .resolve(
            EngineKind::Elasticsearch,
            &[("a".into(), body["mappings"].clone()), ("b".into(), other)],
        )
        .unwrap_err();
    assert!(e.contains("`a` and `b`"), "{e}");
}

#[test]
fn passages_are_a_nested_field_that_discovery_finds_again() {
    use crate::engines::{IndexSpec, opensearch};
    let schema = Schema::default().with_passages(true);
    assert_eq!(
        (schema.vector.as_str(), schema.vector_leaf()),
        ("passages.embedding", "embedding")
    );
    assert_eq!(schema.clone().with_passages(false).vector, "embedding");
    let mut spec = IndexSpec::new("x", 4);
    spec.schema = schema;
    let body = opensearch::create_index_body(&spec);
    let mapping = &body["mappings"];
    let nested = &mapping["properties"]["passages"];
    assert_eq!(nested["type"], "nested");
    assert_eq!(nested["properties"]["embedding"]["dimension"], 4);
    assert_eq!(nested["properties"]["start"]["type"], "integer");
    let found = discover_vectors(mapping);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].path.as_str(), found[0].nested.as_deref()),
        ("passages.embedding", Some("passages"))
    );
    // Read back without flags: the recorded schema, the nested path from the mapping.
    let layout = SchemaRequest::default()
        .resolve(EngineKind::OpenSearch, &[("x".into(), mapping.clone())])
        .unwrap();
    assert_eq!(layout.schema.passages.as_deref(), Some("passages"));
    assert_eq!(layout.schema.vector, "passages.embedding");
    // A nested vector in someone else's index is found as nested too.
    let other = json!({"properties": {"chunks": {"type": "nested", "properties": {
        "vec": {"type": "dense_vector", "dims": 3}}}}});
    let layout = SchemaRequest::default()
        .resolve(EngineKind::Elasticsearch, &[("y".into(), other)])
        .unwrap();
    assert_eq!(
        (
            layout.schema.vector.as_str(),
            layout.schema.passages.as_deref()
        ),
        ("chunks.vec", Some("chunks"))
    );
}
