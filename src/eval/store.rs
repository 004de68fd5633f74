//! A store's quality without an engine: every judged query embedded, searched exactly over a
//! local vector store at depth 100, and scored against the qrels (`sembridge exact --queries
//! --qrels`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::report::ModeReport;
use crate::corpus::{Qrels, Query};
use crate::embed::Embedder;
use crate::error::Result;
use crate::exact::{ExactParams, Store};
use crate::hit::Hit;

/// The exact search's quality over a store.
#[derive(Debug, Clone, Serialize)]
pub struct StoreReport {
    /// Judged queries.
    pub queries: usize,
    /// Rows of the store.
    pub vectors: usize,
    /// Documents the rows belong to (the rows themselves, unless they are passages).
    pub documents: usize,
    /// Set when the rows are passages (a document scores as its best passage).
    #[serde(skip)]
    pub passages: bool,
    pub ndcg10: f64,
    pub recall100: f64,
    pub mrr10: f64,
    /// Seconds the exact search of all judged queries took (embedding excluded).
    pub search_secs: f64,
    /// Depth of the runs.
    pub k: usize,
    /// The exact runs, per judged query (for TREC run files).
    #[serde(skip)]
    pub runs: BTreeMap<String, Vec<Hit>>,
}

/// Evaluate `store` with exact search (`params`, at depth 100 at least) on the judged `queries`.
/// Blocking: call it from [`crate::blocking::run`] on async paths.
pub fn evaluate_store(
    store: &Store,
    embedder: &Embedder,
    queries: &[Query],
    qrels: &Qrels,
    mut params: ExactParams,
) -> Result<StoreReport> {
    let judged = super::run::judged(queries, qrels)?;
    let texts: Vec<&str> = judged.iter().map(|q| q.text.as_str()).collect();
    let vectors = embedder.embed_queries(&texts)?;
    params.k = params.k.max(100);
    let started = std::time::Instant::now();
    let hits = crate::exact::search(store, &vectors, &params)?;
    let search_secs = started.elapsed().as_secs_f64();
    let runs: BTreeMap<String, Vec<Hit>> = judged.iter().map(|q| q.id.clone()).zip(hits).collect();
    let m = ModeReport::compute("exact", qrels, &runs, &[]);
    let passages = store.passages().map(|p| p.parents.len());
    Ok(StoreReport {
        queries: judged.len(),
        vectors: store.len(),
        documents: passages.unwrap_or(store.len()),
        passages: passages.is_some(),
        ndcg10: m.ndcg10,
        recall100: m.recall100,
        mrr10: m.mrr10,
        search_secs,
        k: params.k,
        runs,
    })
}
