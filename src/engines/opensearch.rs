//! OpenSearch's JSON: `knn_vector` mapping, `knn` query, and `_score` back to similarity.
//! Pure functions, tested without a server.

use serde_json::{Value, json};

use super::capabilities::{Version, opensearch_has_method_parameters};
use super::spec::{self, FIELD_VECTOR, lucene_score};
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

/// `knn` query with `k` and (OpenSearch 2.16+) `method_parameters.ef_search`; filters go inside
/// the knn clause so they pre-filter (lucene engine).
pub fn knn_body(vector: &[f32], p: &KnnParams, filters: &[TermFilter]) -> Value {
    let mut knn = json!({
        "vector": vector,
        "k": p.k,
        "method_parameters": {"ef_search": p.candidates_at_least_k()}
    });
    if !filters.is_empty() {
        knn["filter"] = json!({"bool": {"filter": filter_clauses(filters)}});
    }
    let mut body = spec::hits_body(p.k);
    body["query"] = json!({"knn": {FIELD_VECTOR: knn}});
    body
}

/// [`knn_body`] for an OpenSearch of version `v`: before 2.16 the `knn` query has no
/// `method_parameters` (it would be refused), so it is left out and the index's `ef_search`
/// (default 100) applies. An unknown version gets the current body.
pub fn knn_body_for(
    v: Option<Version>,
    vector: &[f32],
    p: &KnnParams,
    filters: &[TermFilter],
) -> Value {
    let mut body = knn_body(vector, p, filters);
    if v.is_some_and(|v| !opensearch_has_method_parameters(v))
        && let Some(knn) = body.pointer_mut(&format!("/query/knn/{FIELD_VECTOR}"))
        && let Some(o) = knn.as_object_mut()
    {
        o.remove("method_parameters");
    }
    body
}

/// The similarity a lucene-engine `_score` stands for:
/// cosinesimil `score = (1 + cos) / 2`; innerproduct `score = 1 + dot` if dot >= 0 else
/// `1 / (1 - dot)`; l2 `score = 1 / (1 + d²)`, returned as `-d²` (higher is closer).
pub fn score_to_similarity(score: f32, s: Similarity) -> f32 {
    match s {
        Similarity::Cosine => lucene_score::halved_to_similarity(score),
        Similarity::Dot => lucene_score::max_inner_product_to_similarity(score),
        Similarity::L2 => lucene_score::euclidean_to_similarity(score),
    }
}

/// Read dims / similarity of an existing mapping's vector field, to compare with the spec.
pub fn vector_field_of(mapping: &Value) -> Option<(usize, Option<Similarity>)> {
    spec::vector_field_of(mapping, "dimension", "/method/space_type", space_type)
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
        assert_eq!(
            vector_field_of(&body["mappings"]),
            Some((384, Some(Similarity::Dot)))
        );
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
                knn_body_for(v, &[1.0], &p, &[]).pointer(path),
                Some(&json!(50))
            );
        }
        let old = knn_body_for(Some(Version(2, 11, 1)), &[1.0], &p, &[]);
        assert_eq!(old.pointer(path), None);
        assert_eq!(old["query"]["knn"]["embedding"]["k"], 5);
    }

    #[test]
    fn score_conversions_invert_the_documented_formulas() {
        for sim in [-0.9f32, -0.2, 0.0, 0.3, 0.99] {
            assert!(
                (score_to_similarity((1.0 + sim) / 2.0, Similarity::Cosine) - sim).abs() < 1e-6
            );
            let ip = if sim >= 0.0 {
                1.0 + sim
            } else {
                1.0 / (1.0 - sim)
            };
            assert!((score_to_similarity(ip, Similarity::Dot) - sim).abs() < 1e-6);
        }
        assert!((score_to_similarity(1.0 / (1.0 + 0.25), Similarity::L2) + 0.25).abs() < 1e-6);
    }
}
