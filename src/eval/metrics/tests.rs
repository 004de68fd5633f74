//! Hand-computed cases for the measures, with the arithmetic in the comments.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn judgments(pairs: &[(&str, i32)]) -> Judgments {
    pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect()
}

fn run(pairs: &[(&str, f32)]) -> Vec<Hit> {
    pairs.iter().map(|(d, s)| Hit::new(*d, *s)).collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

/// Judgments d1:2, d2:1, d3:0, d4:1 (three relevant: d1, d2, d4). The run, given out of order,
/// ranks d3 (0.9), d1 (0.8), d5 (0.7, unjudged), d2 (0.6).
fn case_a() -> (Vec<Hit>, Judgments) {
    (
        run(&[("d2", 0.6), ("d3", 0.9), ("d5", 0.7), ("d1", 0.8)]),
        judgments(&[("d1", 2), ("d2", 1), ("d3", 0), ("d4", 1)]),
    )
}

#[test]
fn ndcg_hand_computed() {
    let (r, j) = case_a();
    let l3 = 3f64.log2(); // discount at rank 2 = log2(3) = 1.5849625
    // @3: top 3 = d3, d1, d5 -> gains 0, 2, 0. DCG = 2 / log2(3) = 1.2618595.
    // Ideal: gains 2, 1, 1 -> 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.6309298 + 0.5 = 3.1309298.
    // nDCG@3 = 1.2618595 / 3.1309298 = 0.4030303.
    close(ndcg_at(&r, &j, 3), (2.0 / l3) / (2.0 + 1.0 / l3 + 0.5));
    assert!((ndcg_at(&r, &j, 3) - 0.403_030_3).abs() < 1e-7);
    // @10: d2 adds 1 / log2(5) at rank 4; ideal is unchanged (only three relevant).
    // (1.2618595 + 0.4306766) / 3.1309298 = 0.5405858.
    close(
        ndcg_at(&r, &j, 10),
        (2.0 / l3 + 1.0 / 5f64.log2()) / (2.0 + 1.0 / l3 + 0.5),
    );
    assert!((ndcg_at(&r, &j, 10) - 0.540_585_8).abs() < 1e-7);
    // @1: d3 is not relevant -> 0.
    close(ndcg_at(&r, &j, 1), 0.0);
}

#[test]
fn recall_precision_mrr_hand_computed() {
    let (r, j) = case_a();
    // recall@3: d1 of {d1, d2, d4} -> 1/3; recall@10: d1, d2 -> 2/3.
    close(recall_at(&r, &j, 3), 1.0 / 3.0);
    close(recall_at(&r, &j, 10), 2.0 / 3.0);
    // P@3 = 1/3; P@10 = 2/10 (divides by k even though the run has 4 hits, as trec_eval's P.10).
    close(precision_at(&r, &j, 3), 1.0 / 3.0);
    close(precision_at(&r, &j, 10), 0.2);
    // First relevant (d1) at rank 2 -> 1/2; cut at 1 it is not reached -> 0.
    close(mrr_at(&r, &j, 10), 0.5);
    close(mrr_at(&r, &j, 1), 0.0);
}

#[test]
fn no_relevant_documents_score_zero() {
    let r = run(&[("d1", 1.0), ("d2", 0.5)]);
    let j = judgments(&[("d1", 0), ("d2", -1)]);
    for k in [1, 10] {
        close(ndcg_at(&r, &j, k), 0.0);
        close(recall_at(&r, &j, k), 0.0);
        close(precision_at(&r, &j, k), 0.0);
        close(mrr_at(&r, &j, k), 0.0);
    }
    close(ndcg_at(&[], &judgments(&[]), 10), 0.0);
    close(precision_at(&r, &j, 0), 0.0);
}

#[test]
fn negative_judgments_gain_nothing() {
    // d1 judged -1 at rank 1 gains 0; d2 (rel 1) at rank 2 gains 1/log2(3). Ideal: 1/log2(2) = 1.
    let r = run(&[("d1", 0.9), ("d2", 0.8)]);
    let j = judgments(&[("d1", -1), ("d2", 1)]);
    close(ndcg_at(&r, &j, 10), 1.0 / 3f64.log2());
}

#[test]
fn k_larger_than_run() {
    // One hit, two relevant: DCG = 1; ideal = 1 + 1/log2(3) = 1.6309298 -> 0.6131472.
    let r = run(&[("d1", 0.9)]);
    let j = judgments(&[("d1", 1), ("d2", 1)]);
    close(ndcg_at(&r, &j, 100), 1.0 / (1.0 + 1.0 / 3f64.log2()));
    close(recall_at(&r, &j, 100), 0.5);
    close(precision_at(&r, &j, 100), 0.01);
    close(mrr_at(&r, &j, 100), 1.0);
}

#[test]
fn duplicates_count_once() {
    // d1 twice: the second occurrence is dropped, so d2 moves into the top 2.
    let r = run(&[("d1", 0.9), ("d1", 0.8), ("d2", 0.7)]);
    let j = judgments(&[("d1", 1), ("d2", 1)]);
    close(recall_at(&r, &j, 2), 1.0);
    close(ndcg_at(&r, &j, 2), 1.0);
    close(precision_at(&r, &j, 2), 1.0);
    // Without the drop, DCG would count d1 twice and exceed the ideal.
    let r = run(&[("d1", 0.9), ("d1", 0.8)]);
    close(ndcg_at(&r, &j, 2), 1.0 / (1.0 + 1.0 / 3f64.log2()));
}

#[test]
fn ties_break_by_doc_id_ascending_unlike_trec_eval() {
    // a and b tie; hit_order puts a first, so MRR@1 is 0. trec_eval (docno descending) would rank b
    // first and give 1.
    let r = run(&[("b", 0.5), ("a", 0.5)]);
    let j = judgments(&[("b", 1)]);
    close(mrr_at(&r, &j, 1), 0.0);
    close(mrr_at(&r, &j, 2), 0.5);
}

#[test]
fn mean_counts_missing_runs_as_zero() {
    let qrels: Qrels = [
        ("q1".to_string(), judgments(&[("d1", 1)])),
        ("q2".to_string(), judgments(&[("d2", 1)])),
    ]
    .into_iter()
    .collect();
    let mut runs = BTreeMap::new();
    runs.insert("q1".to_string(), run(&[("d1", 1.0)]));
    runs.insert("q9".to_string(), run(&[("d9", 1.0)])); // not judged: ignored
    // q1: 1, q2: no run -> 0; mean 0.5.
    close(
        mean_over_queries(&qrels, &runs, |r, j| ndcg_at(r, j, 10)),
        0.5,
    );
    close(
        mean_over_queries(&Qrels::new(), &runs, |r, j| ndcg_at(r, j, 10)),
        0.0,
    );
}

#[test]
fn ann_recall_hand_computed() {
    let exact = run(&[("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6)]);
    let approx = run(&[("a", 0.9), ("c", 0.7), ("e", 0.65), ("f", 0.1)]);
    // top-2 exact {a, b}, top-2 approx {a, c}: 1 / min(2, 4) = 0.5.
    close(ann_recall_at(&approx, &exact, 2), 0.5);
    // k = 10: exact has 4, approx finds a, c: 2 / min(10, 4) = 0.5.
    close(ann_recall_at(&approx, &exact, 10), 0.5);
    close(ann_recall_at(&exact, &exact, 3), 1.0);
    // Nothing to find.
    close(ann_recall_at(&approx, &[], 10), 1.0);
    close(ann_recall_at(&[], &exact, 2), 0.0);
    // Duplicates in approx count once: a, a would otherwise give 2/2.
    let dup = run(&[("a", 0.9), ("a", 0.8)]);
    close(ann_recall_at(&dup, &exact, 2), 0.5);

    let mut approx_runs = BTreeMap::new();
    let mut exact_runs = BTreeMap::new();
    exact_runs.insert("q1".to_string(), exact.clone());
    exact_runs.insert("q2".to_string(), exact.clone());
    approx_runs.insert("q1".to_string(), exact);
    // q1: 1, q2 missing: 0 -> 0.5.
    close(mean_ann_recall_at(&approx_runs, &exact_runs, 2), 0.5);
}

fn arb_run() -> impl Strategy<Value = Vec<Hit>> {
    prop::collection::vec((0u8..20, -1.0f32..1.0), 0..30).prop_map(|v| {
        v.into_iter()
            .map(|(d, s)| Hit::new(format!("d{d}"), s))
            .collect()
    })
}

fn arb_judgments() -> impl Strategy<Value = Judgments> {
    prop::collection::btree_map((0u8..20).prop_map(|d| format!("d{d}")), -1i32..4, 0..10)
}

proptest! {
    #[test]
    fn measures_stay_in_unit_interval(r in arb_run(), j in arb_judgments(), k in 0usize..40) {
        for m in [ndcg_at(&r, &j, k), recall_at(&r, &j, k), precision_at(&r, &j, k),
                  mrr_at(&r, &j, k), ann_recall_at(&r, &r, k)] {
            prop_assert!((0.0..=1.0 + 1e-12).contains(&m), "{m}");
        }
        prop_assert!((ann_recall_at(&r, &r, k) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ideal_run_has_ndcg_one(j in arb_judgments(), k in 1usize..40) {
        // Rank the judged docs by relevance: that is the ideal ordering.
        let r: Vec<Hit> = j.iter().map(|(d, &rel)| Hit::new(d.clone(), rel as f32)).collect();
        let has_relevant = j.values().any(|&r| r > 0);
        let expected = if has_relevant { 1.0 } else { 0.0 };
        prop_assert!((ndcg_at(&r, &j, k) - expected).abs() < 1e-9);
    }

    #[test]
    fn ranked_matches_sort_then_dedup(r in arb_run(), k in 0usize..40) {
        let mut naive = r.clone();
        crate::hit::sort_hits(&mut naive);
        let mut seen = std::collections::HashSet::new();
        naive.retain(|h| seen.insert(h.doc_id.clone()));
        naive.truncate(k);
        let got: Vec<Hit> = ranked(&r, k).into_iter().cloned().collect();
        prop_assert_eq!(got, naive);
    }
}
