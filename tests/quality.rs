//! Retrieval quality on SciFact (test split) against the published and measured references, on
//! both real engines: exact, knn, bm25 and hybrid, plus ANN recall of kNN against exact search.

use std::collections::BTreeMap;
use std::sync::Arc;

use sembridge::corpus::{read_qrels, read_queries};
use sembridge::engines::{Engine, EngineInfo};
use sembridge::exact::{ExactParams, Store};
use sembridge::query::QueryParams;

use crate::support::{self, ModelKind};

/// nDCG@10 of exact cosine search over a cached SciFact store.
fn exact_ndcg(model: ModelKind) -> f64 {
    exact_ndcg_of(&support::scifact_store(model), model)
}

fn exact_ndcg_of(store: &std::path::Path, model: ModelKind) -> f64 {
    let store = Store::open(store).unwrap();
    let embedder = sembridge::embed::Embedder::load(&model.dir(), Default::default()).unwrap();
    let queries = read_queries(&support::dataset("scifact/queries.jsonl")).unwrap();
    let qrels = read_qrels(&support::dataset("scifact/qrels/test.tsv")).unwrap();
    let judged: Vec<_> = queries
        .iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    let vectors = embedder
        .embed_queries(&judged.iter().map(|q| q.text.as_str()).collect::<Vec<_>>())
        .unwrap();
    let hits = sembridge::exact::search(
        &store,
        &vectors,
        &ExactParams {
            k: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let runs: BTreeMap<String, Vec<sembridge::Hit>> =
        judged.iter().map(|q| q.id.clone()).zip(hits).collect();
    sembridge::eval::mean_over_queries(&qrels, &runs, |run, j| sembridge::eval::ndcg_at(run, j, 10))
}

#[test]
fn exact_search_matches_the_reference_ndcg_int8() {
    // Reference: support::DEFAULT_SCIFACT_NDCG10, an independent Python onnxruntime + exact
    // cosine computation with the same model (issue 24); tolerance 0.001 as issue 5 states.
    let ndcg = exact_ndcg(ModelKind::Int8);
    let reference = support::DEFAULT_SCIFACT_NDCG10;
    assert!(
        (ndcg - reference).abs() <= 0.001,
        "nDCG@10 {ndcg:.4} vs {reference}"
    );
}

#[test]
fn exact_search_matches_the_published_ndcg_fp32() {
    // Reference: MTEB's all-MiniLM-L6-v2 SciFact nDCG@10 0.6451 (../shared/datasets/README.md).
    let ndcg = exact_ndcg(ModelKind::Fp32);
    assert!((ndcg - 0.6451).abs() <= 0.001, "nDCG@10 {ndcg:.4}");
}

#[test]
fn chunked_exact_search_beats_truncation_on_scifact() {
    // Windows of 256 tokens sharing 64, document score = best passage (MaxP), must beat
    // truncation: the default model's exact nDCG@10 of 0.6501 (independent Python reference,
    // support::DEFAULT_SCIFACT_NDCG10). Measured with the default: 0.6532 (with the former PyPI
    // int8 graph 0.6560 against its 0.6468; docs/benchmarks.md, Chunking).
    let store = support::scifact_chunked_store();
    let passages = Store::open(&store).unwrap();
    let map = passages.passages().expect("a passage store");
    assert_eq!(map.parents.len(), 5183, "every document has passages");
    assert!(passages.len() > 9000, "{} passages", passages.len());
    let ndcg = exact_ndcg_of(&store, ModelKind::Int8);
    assert!(
        ndcg > support::DEFAULT_SCIFACT_NDCG10,
        "chunked nDCG@10 {ndcg:.4} does not beat truncation's {}",
        support::DEFAULT_SCIFACT_NDCG10
    );
}

async fn quality_bars(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("quality");
    let dir = tempfile::tempdir().unwrap();
    let store_path = support::scifact_store(ModelKind::Int8);
    let (code, _, err) = support::ingest(
        &info.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &[],
    );
    assert_eq!(code, 0, "{err}");

    let store = Arc::new(Store::open(&store_path).unwrap());
    let report = support::eval_scifact(engine, info, QueryParams::new(&index), &store, "").await;

    let exact = support::mode(&report, "exact").ndcg10;
    let knn = support::mode(&report, "knn");
    let bm25 = support::mode(&report, "bm25").ndcg10;
    let hybrid = support::mode(&report, "hybrid").ndcg10;
    // Measured reference: Python onnxruntime + exact cosine, default model.
    let reference = support::DEFAULT_SCIFACT_NDCG10;
    assert!(
        (exact - reference).abs() <= 0.001,
        "exact {exact:.4} vs {reference}"
    );
    // Issue 5: kNN within 0.005 nDCG@10 of exact, ANN recall@10 >= 0.98 at the defaults.
    assert!(
        (knn.ndcg10 - exact).abs() <= 0.005,
        "knn {:.4} vs exact {exact:.4}",
        knn.ndcg10
    );
    let ann = knn.ann_recall.as_ref().unwrap();
    assert!(ann.at10 >= 0.98, "ANN recall@10 {:.4}", ann.at10);
    // Published BM25 multifield 0.6647 (pyserini BEIR 2CR); issue bar 0.65.
    assert!(bm25 >= 0.65, "bm25 {bm25:.4}");
    // Issue bar: hybrid (default RRF k=60) >= max(bm25, knn) + 0.01.
    assert!(
        hybrid >= bm25.max(knn.ndcg10) + 0.01,
        "hybrid {hybrid:.4} bm25 {bm25:.4} knn {:.4}",
        knn.ndcg10
    );
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(quality_bars, compat);
