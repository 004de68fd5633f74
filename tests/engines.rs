//! The engine contract, one body run against real OpenSearch and real Elasticsearch: create an
//! index with a 384-dim vector field and text fields, bulk real embeddings, kNN and BM25 queries.

use sembridge::engines::{
    BulkDoc, ConnectOptions, Engine, EngineKind, IndexSpec, ItemOutcome, KnnParams, Schema,
    Similarity,
};

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
                vector: v.clone().into(),
            }
            .to_ndjson(&index, &Schema::default()),
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
            &Schema::default(),
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
        .bm25(
            &index,
            &Schema::default(),
            "robotic vehicles on Mars",
            3,
            &[],
        )
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

crate::both_engines!(contract, compat);

#[tokio::test]
async fn opensearch_lists_the_knn_plugin() {
    let (_, info) = support::connect(sembridge::engines::EngineKind::OpenSearch).await;
    assert!(
        info.plugins.iter().any(|p| p == "opensearch-knn"),
        "{:?}",
        info.plugins
    );
}

/// The documented `_score` -> similarity formulas, checked against exact values on real engines
/// for every similarity (cosine is also covered by the contract above).
async fn scores_convert_back_to_the_similarity(
    engine: &Engine,
    _info: &sembridge::engines::EngineInfo,
) {
    let norm = |v: [f32; 3]| {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.map(|x| x / n)
    };
    let docs = [
        ("a", norm([1.0, 0.2, 0.0])),
        ("b", norm([0.0, 1.0, 0.3])),
        ("c", norm([-1.0, -0.5, 0.1])),
    ];
    let query = norm([0.6, 0.5, -0.2]);
    for sim in [Similarity::Cosine, Similarity::Dot, Similarity::L2] {
        let index = support::unique_index("scores");
        let mut spec = IndexSpec::new(&index, 3);
        spec.similarity = sim;
        engine.create_index(&spec).await.unwrap();
        let mut body = Vec::new();
        for (id, v) in &docs {
            body.extend(
                BulkDoc {
                    id: id.to_string(),
                    title: String::new(),
                    text: id.to_string(),
                    metadata: Default::default(),
                    vector: v.to_vec().into(),
                }
                .to_ndjson(&index, &Schema::default()),
            );
        }
        assert!(
            engine
                .bulk(body, 3)
                .await
                .unwrap()
                .iter()
                .all(|o| *o == ItemOutcome::Done)
        );
        engine.refresh(&index).await.unwrap();
        let res = engine
            .knn(
                &index,
                &Schema::default(),
                &query,
                &KnnParams {
                    k: 3,
                    candidates: 10,
                },
                &[],
                sim,
            )
            .await
            .unwrap();
        assert_eq!(res.hits.len(), 3);
        for hit in &res.hits {
            let v = docs.iter().find(|(id, _)| *id == hit.doc_id).unwrap().1;
            let dot: f32 = v.iter().zip(&query).map(|(a, b)| a * b).sum();
            let want = match sim {
                Similarity::Cosine | Similarity::Dot => dot,
                Similarity::L2 => -v
                    .iter()
                    .zip(&query)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>(),
            };
            assert!(
                (hit.score - want).abs() < 1e-3,
                "{sim}: {} scored {} (converted), exact {want}",
                hit.doc_id,
                hit.score
            );
        }
        engine.delete_index(&index).await.unwrap();
    }
}
crate::both_engines!(scores_convert_back_to_the_similarity, compat);

/// An encoded API key (no `:`, the form Elasticsearch hands out) reaches Elasticsearch without
/// `--engine`: the probe uses a transport that accepts it (these test clusters run without
/// security, so the key is not checked). OpenSearch, which only takes id:key, says so.
#[tokio::test]
async fn an_encoded_api_key_is_probed_with_a_transport_that_takes_it() {
    let mut opts = ConnectOptions::new(support::engine_url(EngineKind::Elasticsearch));
    opts.api_key = Some(sembridge::engines::Secret::new("aWQ6a2V5"));
    let (_, info) = Engine::connect(&opts)
        .await
        .expect("Elasticsearch connects");
    assert_eq!(info.kind, EngineKind::Elasticsearch);
    opts.url = support::engine_url(EngineKind::OpenSearch);
    let err = Engine::connect(&opts).await.unwrap_err().to_string();
    assert!(err.contains("--api-key") && err.contains("id:key"), "{err}");
    assert!(!err.contains("aWQ6a2V5"), "the key never shows: {err}");
}

/// `sembridge info` on the older majors says what each is and can do.
#[test]
fn info_describes_the_older_majors() {
    let (Ok(os), Ok(es)) = (
        std::env::var(support::COMPAT_OS_URL),
        std::env::var(support::COMPAT_ES_URL),
    ) else {
        eprintln!("skipped: the compat profile's URLs are not set");
        return;
    };
    let (code, out, err) = support::run_cli(&["info", "--url", &os, "--url", &es]);
    assert_eq!(code, 0, "{out}{err}");
    // One block per engine, in the order of the URLs.
    let at = out
        .find("Elasticsearch 8.19.21")
        .expect("an Elasticsearch 8.19.21 block");
    let (os_block, es_block) = out.split_at(at);
    assert!(os_block.starts_with("OpenSearch 2.19.1"), "{out}");
    for (block, expected) in [
        (os_block, "security: off, plain HTTP"),
        (os_block, "nodes: 1 (health"),
        (os_block, "kNN engines: lucene, faiss, nmslib"),
        // The 2.19.1 integ-test-zip lacks analysis-common: `--analyzer auto` takes standard.
        (os_block, "english NO, standard yes"),
        (os_block, "kNN: works"),
        (es_block, "security: off, plain HTTP"),
        (es_block, "licence: basic (active)"),
        (es_block, "nodes: 1 (health"),
        // the scripts' stand-in plugin
        (es_block, "english yes, standard yes"),
        (es_block, "kNN: works"),
    ] {
        assert!(
            block.contains(expected),
            "`{expected}` missing from:\n{block}"
        );
    }
    let types = es_block
        .lines()
        .find(|l| l.contains("dense_vector index types"))
        .unwrap_or_default();
    assert!(
        types.contains("bbq_hnsw") && !types.contains("bbq_disk"),
        "{types}"
    );
}
