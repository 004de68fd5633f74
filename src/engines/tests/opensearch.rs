//! Unit tests of [`super`] (opensearch.rs).

use super::*;

#[test]
fn mapping_uses_lucene_hnsw_with_the_space_type() {
    let mut spec = IndexSpec::new("x", 384);
    spec.similarity = Similarity::Dot;
    let body = create_index_body(&spec);
    assert_eq!(body["settings"]["index"]["knn"], true);
    let v = &body["mappings"]["properties"]["embedding"];
    assert_eq!(v["dimension"], 384);
    assert_eq!(v["method"]["engine"], "lucene");
    assert_eq!(v["method"]["space_type"], "innerproduct");
}

#[test]
fn knn_body_puts_filter_inside_knn() {
    let body = knn_body(
        &[0.5, 0.5],
        &KnnParams {
            k: 5,
            candidates: 50,
        },
        &[TermFilter {
            field: "metadata.lang".into(),
            value: "en".into(),
        }],
        &Schema::default(),
    );
    let knn = &body["query"]["knn"]["embedding"];
    assert_eq!(knn["k"], 5);
    assert_eq!(knn["method_parameters"]["ef_search"], 50);
    assert_eq!(
        knn["filter"]["bool"]["filter"][0]["term"]["metadata.lang"],
        "en"
    );
}

#[test]
fn method_parameters_only_where_the_version_has_them() {
    let p = KnnParams {
        k: 5,
        candidates: 50,
    };
    let path = "/query/knn/embedding/method_parameters/ef_search";
    for v in [None, Some(Version(2, 16, 0)), Some(Version(3, 5, 0))] {
        assert_eq!(
            knn_body_for(v, &[1.0], &p, &[], &Schema::default()).pointer(path),
            Some(&json!(50))
        );
    }
    let old = knn_body_for(Some(Version(2, 11, 1)), &[1.0], &p, &[], &Schema::default());
    assert_eq!(old.pointer(path), None);
    assert_eq!(old["query"]["knn"]["embedding"]["k"], 5);
}

#[test]
fn score_conversions_invert_the_documented_formulas() {
    for sim in [-0.9f32, -0.2, 0.0, 0.3, 0.99] {
        assert!(
            (score_to_similarity((1.0 + sim) / 2.0, Similarity::Cosine, KnnEngine::Lucene) - sim)
                .abs()
                < 1e-6
        );
        assert!(
            (score_to_similarity(1.0 / (2.0 - sim), Similarity::Cosine, KnnEngine::Faiss) - sim)
                .abs()
                < 1e-6
        );
        let ip = if sim >= 0.0 {
            1.0 + sim
        } else {
            1.0 / (1.0 - sim)
        };
        assert!((score_to_similarity(ip, Similarity::Dot, KnnEngine::Lucene) - sim).abs() < 1e-6);
    }
    let l2 = score_to_similarity(1.0 / (1.0 + 0.25), Similarity::L2, KnnEngine::Lucene);
    assert!((l2 + 0.25).abs() < 1e-6);
}

#[test]
fn knn_over_passages_is_a_nested_max_query_naming_the_best_passage() {
    let schema = Schema::default().with_passages(true);
    let p = KnnParams {
        k: 10,
        candidates: 100,
    };
    let filter = [TermFilter {
        field: "doc_id".into(),
        value: "d1".into(),
    }];
    let at = |v| knn_body_for(v, &[1.0, 0.0], &p, &filter, &schema);
    let body = at(Some(Version(3, 5, 0)));
    let nested = &body["query"]["nested"];
    assert_eq!(nested["path"], "passages");
    assert_eq!(nested["score_mode"], "max");
    let knn = &nested["query"]["knn"]["passages.embedding"];
    assert_eq!(knn["k"], 10);
    assert_eq!(knn["expand_nested_docs"], true);
    assert_eq!(knn["method_parameters"]["ef_search"], 100);
    assert!(
        knn["filter"].is_object(),
        "the filter stays inside knn: a pre-filter"
    );
    assert_eq!(nested["inner_hits"]["size"], 1);
    // Before 2.19 there is no expand_nested_docs, before 2.16 no method_parameters.
    let old = at(Some(Version(2, 18, 0)));
    let knn = &old["query"]["nested"]["query"]["knn"]["passages.embedding"];
    assert!(knn.get("expand_nested_docs").is_none());
    assert!(knn.get("method_parameters").is_some());
    let older = at(Some(Version(2, 11, 0)));
    let knn = &older["query"]["nested"]["query"]["knn"]["passages.embedding"];
    assert!(knn.get("method_parameters").is_none());
}
