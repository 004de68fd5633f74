//! Per-query retrieval measures with trec_eval's definitions (`ndcg_cut`, `recall`, `recip_rank`,
//! `P`), as BEIR reports them through pytrec_eval, and their means over queries.
//!
//! Every measure first puts the run in the documented [`hit_order`] (score descending, ties by
//! doc id ascending), drops repeated doc ids (the first, best-ranked one counts) and only then cuts
//! at `k`. The input order and any rank field are ignored, as trec_eval ignores them.
//!
//! One difference from trec_eval: trec_eval breaks score ties by docno *descending*; we break them
//! by doc id *ascending*, the order every sembridge search path returns. Runs with tied scores at
//! the cut can therefore score slightly differently than in pytrec_eval; runs without ties score
//! identically.

use std::collections::{BTreeMap, HashSet};

use crate::corpus::Qrels;
use crate::hit::{Hit, hit_order};

/// Relevance judgments of one query: doc id -> relevance (0 or below: not relevant).
pub type Judgments = BTreeMap<String, i32>;

/// The run in [`hit_order`], each doc id once (its best-ranked occurrence), at most `k` long.
pub fn ranked(run: &[Hit], k: usize) -> Vec<&Hit> {
    let mut sorted: Vec<&Hit> = run.iter().collect();
    sorted.sort_by(|a, b| hit_order(a, b));
    let mut seen = HashSet::with_capacity(sorted.len().min(k));
    sorted
        .into_iter()
        .filter(|h| seen.insert(h.doc_id.as_str()))
        .take(k)
        .collect()
}

/// Relevance of a doc as a gain: its judgment if positive, else 0 (unjudged counts as not relevant).
fn gain(judgments: &Judgments, doc_id: &str) -> i32 {
    judgments.get(doc_id).copied().unwrap_or(0).max(0)
}

/// The discount of 0-based position `i` (rank `i + 1`): `log2(rank + 1)`.
fn discount(i: usize) -> f64 {
    ((i + 2) as f64).log2()
}

fn relevant_count(judgments: &Judgments) -> usize {
    judgments.values().filter(|&&r| r > 0).count()
}

/// Relevant documents among the top `k` of `run` (each document counted once).
fn relevant_in_top(run: &[Hit], judgments: &Judgments, k: usize) -> usize {
    ranked(run, k)
        .iter()
        .filter(|h| gain(judgments, &h.doc_id) > 0)
        .count()
}

/// nDCG@k as trec_eval's `ndcg_cut.k`: gain = the relevance itself (linear, judgments <= 0 give 0),
/// discount `log2(rank + 1)`; the ideal DCG ranks the query's positive judgments in descending order,
/// cut at `k`. 0 when the query has no relevant document.
pub fn ndcg_at(run: &[Hit], judgments: &Judgments, k: usize) -> f64 {
    let dcg: f64 = ranked(run, k)
        .iter()
        .enumerate()
        .map(|(i, h)| f64::from(gain(judgments, &h.doc_id)) / discount(i))
        .sum();
    let mut ideal: Vec<i32> = judgments.values().copied().filter(|&r| r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &r)| f64::from(r) / discount(i))
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Recall@k: relevant documents (judgment > 0) in the top k over all relevant documents of the
/// query. 0 when the query has no relevant document.
pub fn recall_at(run: &[Hit], judgments: &Judgments, k: usize) -> f64 {
    let relevant = relevant_count(judgments);
    if relevant == 0 {
        return 0.0;
    }
    let found = relevant_in_top(run, judgments, k);
    found as f64 / relevant as f64
}

/// Precision@k as trec_eval's `P.k`: relevant documents in the top k divided by `k` (even when the
/// run is shorter than `k`). 0 for `k == 0`.
pub fn precision_at(run: &[Hit], judgments: &Judgments, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let found = relevant_in_top(run, judgments, k);
    found as f64 / k as f64
}

/// MRR@k (reciprocal rank, cut at k): `1 / rank` of the first relevant document in the top k,
/// 0 when there is none.
pub fn mrr_at(run: &[Hit], judgments: &Judgments, k: usize) -> f64 {
    ranked(run, k)
        .iter()
        .position(|h| gain(judgments, &h.doc_id) > 0)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// The mean of `metric` over every query in `qrels`. A query without a run in `runs` counts as 0
/// (as `trec_eval -c` does; BEIR would leave it out), so pass the run of every judged query. Runs
/// for queries absent from `qrels` are ignored. A judged query with no relevant document (all
/// judgments <= 0) scores 0 and stays in the mean. 0 when `qrels` is empty.
pub fn mean_over_queries(
    qrels: &Qrels,
    runs: &BTreeMap<String, Vec<Hit>>,
    metric: impl Fn(&[Hit], &Judgments) -> f64,
) -> f64 {
    if qrels.is_empty() {
        return 0.0;
    }
    let total: f64 = qrels
        .iter()
        .map(|(qid, judgments)| runs.get(qid).map_or(0.0, |run| metric(run, judgments)))
        .sum();
    total / qrels.len() as f64
}

/// ANN recall@k: the share of the exact top k that the approximate top k found,
/// `|top-k(approx) ∩ top-k(exact)| / min(k, |exact|)` on distinct doc ids, both in [`hit_order`].
/// 1 when there is nothing to find (`k == 0` or `exact` empty).
///
/// Ids only: when exact scores tie at the k-th place, an approximate result holding the other tied
/// document counts as a miss, so compare with a small tolerance, not for equality with 1.
pub fn ann_recall_at(approx: &[Hit], exact: &[Hit], k: usize) -> f64 {
    let truth: HashSet<&str> = ranked(exact, k)
        .into_iter()
        .map(|h| h.doc_id.as_str())
        .collect();
    if truth.is_empty() {
        return 1.0;
    }
    let found = ranked(approx, k)
        .iter()
        .filter(|h| truth.contains(h.doc_id.as_str()))
        .count();
    found as f64 / truth.len() as f64
}

/// The mean ANN recall@k over every query of `exact`; a query missing from `approx` counts as 0.
/// 1 when `exact` is empty (nothing to find).
pub fn mean_ann_recall_at(
    approx: &BTreeMap<String, Vec<Hit>>,
    exact: &BTreeMap<String, Vec<Hit>>,
    k: usize,
) -> f64 {
    if exact.is_empty() {
        return 1.0;
    }
    let total: f64 = exact
        .iter()
        .map(|(qid, truth)| {
            approx
                .get(qid)
                .map_or(0.0, |run| ann_recall_at(run, truth, k))
        })
        .sum();
    total / exact.len() as f64
}

#[cfg(test)]
mod tests;
