//! The engine contract, one body run against real OpenSearch and real Elasticsearch: create an
//! index with a 384-dim vector field and text fields, bulk real embeddings, kNN and BM25 queries.

use sembridge::engines::{BulkDoc, Engine, IndexSpec, ItemOutcome, KnnParams, Similarity};

use crate::support;

async fn contract(engine: &Engine, info: &sembridge::engines::EngineInfo) {
    println!("{} {} at {}", info.kind, info.version, info.url);
    let index = support::unique_index("contract");
    let embedder = support::int8_embedder();
    let texts = [
        (
            "mars",
            "Mars rovers",
            "Mars rovers are robotic vehicles designed to travel on the surface of Mars.",
        ),
        (
            "nn",
            "Neural networks",
            "Neural networks are computing systems inspired by biological brains.",
        ),
        (
            "climate",
            "Global warming",
            "Global warming is the long-term heating of Earth's climate system.",
        ),
    ];
    let vectors = embedder
        .embed_documents(&texts.iter().map(|t| t.2).collect::<Vec<_>>())
        .unwrap();
    let mut spec = IndexSpec::new(&index, embedder.dims());
    spec.similarity = Similarity::Cosine;
    engine.create_index(&spec).await.expect("create index");
    assert!(engine.index_exists(&index).await.unwrap());
    assert!(engine.mapping_differences(&spec).await.unwrap().is_empty());

    let mut body = Vec::new();
    for ((id, title, text), v) in texts.iter().zip(&vectors) {
        body.extend(
            BulkDoc {
                id: id.to_string(),
                title: title.to_string(),
                text: text.to_string(),
                metadata: Default::default(),
                vector: v.clone(),
            }
            .to_ndjson(&index),
        );
    }
    let outcomes = engine.bulk(body, 3).await.expect("bulk");
    assert!(
        outcomes.iter().all(|o| *o == ItemOutcome::Done),
        "{outcomes:?}"
    );
    engine.refresh(&index).await.unwrap();
    assert_eq!(engine.count(&index).await.unwrap(), 3);

    let q = embedder
        .embed_queries(&["How do artificial neural networks work?"])
        .unwrap()
        .remove(0);
    let res = engine
        .knn(
            &index,
            &q,
            &KnnParams {
                k: 3,
                candidates: 10,
            },
            &[],
            Similarity::Cosine,
        )
        .await
        .unwrap();
    assert_eq!(res.hits[0].doc_id, "nn", "{:?}", res.hits);
    // The converted score is the cosine similarity itself (unit vectors: the dot product).
    let exact: f32 = q.iter().zip(&vectors[1]).map(|(a, b)| a * b).sum();
    assert!(
        (res.hits[0].score - exact).abs() < 1e-3,
        "engine {} vs exact {exact}",
        res.hits[0].score
    );

    let res = engine
        .bm25(&index, "robotic vehicles on Mars", 3, &[])
        .await
        .unwrap();
    assert_eq!(res.hits[0].doc_id, "mars", "{:?}", res.hits);

    let diffs = engine
        .mapping_differences(&IndexSpec::new(&index, 768))
        .await
        .unwrap();
    assert!(diffs.iter().any(|d| d.contains("768")), "{diffs:?}");

    engine.delete_index(&index).await.unwrap();
    assert!(!engine.index_exists(&index).await.unwrap());
}

crate::both_engines!(contract);

#[tokio::test]
async fn opensearch_lists_the_knn_plugin() {
    let (_, info) = support::connect(sembridge::engines::EngineKind::OpenSearch).await;
    assert!(
        info.plugins.iter().any(|p| p == "opensearch-knn"),
        "{:?}",
        info.plugins
    );
}
