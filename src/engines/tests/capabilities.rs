//! Unit tests of [`super`] (capabilities.rs).

use super::*;

#[test]
fn versions_parse_and_compare() {
    assert_eq!(Version::parse("8.19.21"), Some(Version(8, 19, 21)));
    assert_eq!(Version::parse("3.5.0-SNAPSHOT"), Some(Version(3, 5, 0)));
    assert_eq!(Version::parse("9"), Some(Version(9, 0, 0)));
    assert_eq!(Version::parse("x"), None);
    assert!(Version(2, 19, 1).at_least(2, 16));
    assert!(!Version(2, 15, 9).at_least(2, 16));
    assert!(Version(10, 0, 0) > Version(9, 99, 99));
}

#[test]
fn elasticsearch_index_types_follow_the_version() {
    assert_eq!(es_index_types(Version(8, 11, 0)), ["hnsw"]);
    assert!(es_index_types(Version(8, 19, 21)).contains(&"bbq_hnsw"));
    assert!(!es_index_types(Version(8, 19, 21)).contains(&"bbq_disk"));
    assert!(es_index_types(Version(9, 2, 8)).contains(&"bbq_disk"));
    let err = check_index_type(
        EngineKind::Elasticsearch,
        Version(8, 15, 3),
        EsIndexType::BbqHnsw,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("--es-index-type") && err.contains("8.16.0") && err.contains("int8-hnsw"),
        "{err}"
    );
    assert!(
        check_index_type(
            EngineKind::Elasticsearch,
            Version(8, 19, 21),
            EsIndexType::BbqHnsw,
        )
        .is_ok()
    );
}

#[test]
fn opensearch_knn_follows_the_version() {
    assert!(opensearch_knn_engines(Version(2, 19, 1)).contains(&"nmslib"));
    assert!(!opensearch_knn_engines(Version(3, 5, 0)).contains(&"nmslib"));
    assert!(opensearch_has_method_parameters(Version(2, 19, 1)));
    assert!(!opensearch_has_method_parameters(Version(2, 11, 0)));
    assert!(check_nested_knn(EngineKind::Elasticsearch, Version(8, 19, 21)).is_ok());
    assert!(check_nested_knn(EngineKind::OpenSearch, Version(2, 12, 0)).is_ok());
    let old = check_nested_knn(EngineKind::Elasticsearch, Version(8, 10, 4)).unwrap_err();
    assert!(old.to_string().contains("--chunk-tokens"), "{old}");
    assert!(check_nested_knn(EngineKind::OpenSearch, Version(2, 11, 1)).is_err());
}
