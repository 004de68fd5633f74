//! One evaluation run against a live index: every mode (bm25, knn, hybrid, exact) on the same
//! queries, quality against qrels, ANN recall of the engine's kNN against exact search on the
//! same vectors, latency per mode, and an optional candidates sweep (recall vs latency).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::metrics::mean_ann_recall_at;
pub use super::report::SweepPoint;
use super::report::{AnnRecall, ModeReport};
use crate::corpus::{Qrels, Query};
use crate::embed::Embedder;
use crate::engines::Engine;
use crate::error::{Error, Result};
use crate::exact::{ExactParams, Store};
use crate::hit::Hit;
use crate::query::{Mode, QueryParams};

#[derive(Debug, Clone)]
pub struct EvalConfig {
    pub query: QueryParams,
    /// Depth of every run (recall@100 needs 100).
    pub depth: usize,
    /// Candidate counts for the sweep (empty = no sweep).
    pub sweep: Vec<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub engine: String,
    pub index: String,
    pub queries: usize,
    pub modes: Vec<ModeReport>,
    pub sweep: Vec<SweepPoint>,
    /// Each mode's results (mode -> query id -> hits at the run depth), for `--trec-run`.
    #[serde(skip)]
    pub runs: BTreeMap<String, Runs>,
}

/// Query id -> its hits.
pub type Runs = BTreeMap<String, Vec<Hit>>;

/// Run every mode for every judged query. `store` (the corpus vectors) enables the exact mode
/// and ANN recall. Query embedding and exact search run on Tokio's blocking pool, hence the
/// `Arc`s.
pub async fn evaluate(
    engine: &Engine,
    embedder: &Arc<Embedder>,
    store: Option<&Arc<Store>>,
    queries: &[Query],
    qrels: &Qrels,
    cfg: &EvalConfig,
) -> Result<EvalReport> {
    if !cfg.sweep.is_empty() && store.is_none() {
        return Err(Error::config(
            "--sweep",
            "needs --store (ANN recall is measured against exact search)",
        ));
    }
    let judged = judged(queries, qrels)?;
    let texts: Vec<String> = judged.iter().map(|q| q.text.clone()).collect();
    let model = Arc::clone(embedder);
    let vectors = Arc::new(
        crate::blocking::run("query embedding", move || {
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            model.embed_queries(&texts)
        })
        .await?,
    );

    let mut p = cfg.query.clone();
    p.k = cfg.depth;
    let mut reports = Vec::new();
    let mut all_runs = BTreeMap::new();
    for mode in [Mode::Bm25, Mode::Knn, Mode::Hybrid] {
        let (runs, lat) = run_mode(engine, &judged, &vectors, mode, &p).await?;
        reports.push(ModeReport::compute(mode.to_string(), qrels, &runs, &lat));
        all_runs.insert(mode.to_string(), runs);
    }

    if let Some(store) = store {
        store.check_dims(embedder.dims(), "store vs model")?;
        let ids: Vec<String> = judged.iter().map(|q| q.id.clone()).collect();
        let (store, query_vectors) = (Arc::clone(store), Arc::clone(&vectors));
        // Exact search with the similarity the index uses, so ANN recall compares like with like.
        let params = ExactParams {
            k: cfg.depth,
            similarity: p.similarity,
            ..ExactParams::default()
        };
        let (exact_runs, lat) = crate::blocking::run("exact search", move || {
            exact_runs(&store, &ids, &query_vectors, &params)
        })
        .await?;
        let mut exact_report = ModeReport::compute("exact", qrels, &exact_runs, &lat);
        // ANN recall@10 at the default query settings (k = 10), @100 from the depth-100 run.
        let mut p10 = cfg.query.clone();
        p10.k = 10;
        let (knn10, _) = run_mode(engine, &judged, &vectors, Mode::Knn, &p10).await?;
        let ann = AnnRecall {
            at10: mean_ann_recall_at(&knn10, &exact_runs, 10),
            at100: mean_ann_recall_at(&all_runs[&Mode::Knn.to_string()], &exact_runs, 100),
        };
        if let Some(knn) = reports.iter_mut().find(|r| r.mode == "knn") {
            knn.ann_recall = Some(ann);
        }
        exact_report.ann_recall = None;
        reports.push(exact_report);
        all_runs.insert("exact".to_string(), exact_runs.clone());

        let mut sweep = Vec::new();
        for &c in &cfg.sweep {
            let mut ps = cfg.query.clone();
            ps.k = 10;
            ps.candidates = c.max(10);
            let (runs, mut lat) = run_mode(engine, &judged, &vectors, Mode::Knn, &ps).await?;
            lat.sort_by(f64::total_cmp);
            let ann_recall_at100 = if ps.candidates >= 100 {
                let mut p100 = ps.clone();
                p100.k = 100;
                let (runs100, _) = run_mode(engine, &judged, &vectors, Mode::Knn, &p100).await?;
                Some(mean_ann_recall_at(&runs100, &exact_runs, 100))
            } else {
                None
            };
            sweep.push(SweepPoint {
                candidates: ps.candidates,
                ann_recall_at10: mean_ann_recall_at(&runs, &exact_runs, 10),
                ann_recall_at100,
                latency_p50_ms: super::percentile(&lat, 50.0),
                latency_p95_ms: super::percentile(&lat, 95.0),
                latency_p99_ms: super::percentile(&lat, 99.0),
            });
        }
        return Ok(EvalReport {
            engine: format!("{}", engine.kind()),
            index: p.index.clone(),
            queries: judged.len(),
            modes: reports,
            sweep,
            runs: all_runs,
        });
    }
    Ok(EvalReport {
        engine: format!("{}", engine.kind()),
        index: p.index.clone(),
        queries: judged.len(),
        modes: reports,
        sweep: Vec::new(),
        runs: all_runs,
    })
}

/// The queries `qrels` judges (the others cannot be scored); none is an error.
pub(super) fn judged<'q>(queries: &'q [Query], qrels: &Qrels) -> Result<Vec<&'q Query>> {
    let judged: Vec<&Query> = queries
        .iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    if judged.is_empty() {
        return Err(Error::config(
            "--qrels",
            "no query of the query file has judgments in the qrels file",
        ));
    }
    Ok(judged)
}

/// Exact search for each query vector, one query at a time (latency per query, in ms). Blocking:
/// call it from [`crate::blocking::run`] on async paths.
fn exact_runs(
    store: &Store,
    ids: &[String],
    vectors: &[Vec<f32>],
    params: &ExactParams,
) -> Result<(Runs, Vec<f64>)> {
    let mut runs = Runs::new();
    let mut lat = Vec::with_capacity(ids.len());
    for (id, v) in ids.iter().zip(vectors) {
        let t = Instant::now();
        let hits = crate::exact::search(store, std::slice::from_ref(v), params)?.remove(0);
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        runs.insert(id.clone(), hits);
    }
    Ok((runs, lat))
}

/// Queries one at a time (latency is per query, client side, query embedding excluded).
async fn run_mode(
    engine: &Engine,
    queries: &[&Query],
    vectors: &[Vec<f32>],
    mode: Mode,
    p: &QueryParams,
) -> Result<(Runs, Vec<f64>)> {
    let mut runs = Runs::new();
    let mut lat = Vec::with_capacity(queries.len());
    for (q, v) in queries.iter().zip(vectors) {
        let t = Instant::now();
        let out = crate::query::run(engine, None, &q.text, Some(v), mode, p).await?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        runs.insert(q.id.clone(), out.hits);
    }
    Ok((runs, lat))
}
