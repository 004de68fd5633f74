//! OpenSearch's JSON: `knn_vector` mapping, `knn` query, and `_score` back to similarity.
//! Pure functions, tested without a server.

use serde_json::{Value, json};

use super::capabilities::{
    Version, opensearch_has_expand_nested_docs, opensearch_has_method_parameters,
};
use super::schema::Schema;
use super::spec::{self, lucene_score};
use super::spec::{IndexSpec, KnnEngine, KnnParams, Similarity, TermFilter, filter_clauses};

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
    let mut body = spec::hits_body(p.k, schema);
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
                "inner_hits": spec::best_passage_inner_hits(path),
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
        Similarity::Cosine => lucene_score::halved_to_similarity(score),
        Similarity::Dot => lucene_score::max_inner_product_to_similarity(score),
        Similarity::L2 => lucene_score::euclidean_to_similarity(score),
    }
}

#[cfg(test)]
mod tests {
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
                (score_to_similarity((1.0 + sim) / 2.0, Similarity::Cosine, KnnEngine::Lucene)
                    - sim)
                    .abs()
                    < 1e-6
            );
            assert!(
                (score_to_similarity(1.0 / (2.0 - sim), Similarity::Cosine, KnnEngine::Faiss)
                    - sim)
                    .abs()
                    < 1e-6
            );
            let ip = if sim >= 0.0 {
                1.0 + sim
            } else {
                1.0 / (1.0 - sim)
            };
            assert!(
                (score_to_similarity(ip, Similarity::Dot, KnnEngine::Lucene) - sim).abs() < 1e-6
            );
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
}
