//! Chunked exact search against a naive reference, for random small stores and any chunk sizes.

use proptest::prelude::*;
use serde_json::json;
use tempfile::TempDir;

use super::*;
use crate::hit::{hit_order, sort_hits};

fn build(dir: &TempDir, dims: usize, rows: &[Vec<f32>]) -> Store {
    let path = dir.path().join("s.sbstore");
    let mut w = StoreWriter::create(&path, dims, json!({})).unwrap();
    for (i, r) in rows.iter().enumerate() {
        // Ids not in row order, so the id tie-break is really exercised.
        w.push(&format!("doc{:03}", (i * 7919) % 1000), r).unwrap();
    }
    w.finish().unwrap();
    Store::open(&path).unwrap()
}

fn naive(store: &Store, q: &[f32], k: usize, sim: Similarity) -> Vec<Hit> {
    let qn = dot(q, q).sqrt();
    let mut all: Vec<Hit> = (0..store.len())
        .map(|i| {
            let v = store.vector(i);
            let d: f32 = q.iter().zip(v).map(|(a, b)| a * b).sum();
            let vn = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let s = match sim {
                Similarity::Dot => d,
                Similarity::Cosine if qn == 0.0 || vn == 0.0 => 0.0,
                Similarity::Cosine => d / qn / vn,
                Similarity::L2 => -q.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(),
            };
            Hit::new(store.ids()[i].clone(), s)
        })
        .collect();
    all.sort_by(hit_order);
    all.truncate(k);
    all
}

fn small_int_vec(dims: usize) -> impl Strategy<Value = Vec<f32>> {
    // Small integers: every dot product is exact in f32, whatever the summation order.
    prop::collection::vec((-3i32..=3).prop_map(|v| v as f32), dims)
}

fn case() -> impl Strategy<Value = (usize, Vec<Vec<f32>>, Vec<Vec<f32>>)> {
    (1usize..40).prop_flat_map(|dims| {
        (
            Just(dims),
            prop::collection::vec(small_int_vec(dims), 0..60),
            prop::collection::vec(small_int_vec(dims), 1..8),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn chunked_dot_equals_brute_force(
        (dims, rows, queries) in case(),
        k in 0usize..15,
        qc in 1usize..5,
        cc in 1usize..70,
    ) {
        let dir = TempDir::new().unwrap();
        let store = build(&dir, dims, &rows);
        let params = ExactParams { k, query_chunk_size: qc, corpus_chunk_size: cc, similarity: Similarity::Dot };
        let got = search(&store, &queries, &params).unwrap();
        prop_assert_eq!(got.len(), queries.len());
        for (q, hits) in queries.iter().zip(&got) {
            prop_assert_eq!(hits, &naive(&store, q, k, Similarity::Dot));
        }
    }

    #[test]
    fn chunked_cosine_matches_brute_force_scores(
        (dims, rows, queries) in case(),
        k in 1usize..15,
        qc in 1usize..5,
        cc in 1usize..70,
    ) {
        let dir = TempDir::new().unwrap();
        let store = build(&dir, dims, &rows);
        let params = ExactParams { k, query_chunk_size: qc, corpus_chunk_size: cc, similarity: Similarity::Cosine };
        let got = search(&store, &queries, &params).unwrap();
        for (q, hits) in queries.iter().zip(&got) {
            let want = naive(&store, q, k, Similarity::Cosine);
            prop_assert_eq!(hits.len(), want.len());
            // Rounding may swap near-ties: compare the score at every rank, with a tolerance.
            for (g, w) in hits.iter().zip(&want) {
                prop_assert!((g.score - w.score).abs() <= 1e-5, "{:?} vs {:?}", hits, want);
            }
            let mut sorted = hits.clone();
            sort_hits(&mut sorted);
            prop_assert_eq!(&sorted, hits);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `-(|q|² - 2 q·x + |x|²)` against the naive `-Σ (q_i - x_i)²`. Rows' norms are stored as
    /// `sqrt` and squared again, so scores carry a relative error of about 1e-7 of `|x|²`.
    #[test]
    fn chunked_l2_matches_brute_force_scores(
        (dims, rows, queries) in case(),
        k in 1usize..15,
        qc in 1usize..5,
        cc in 1usize..70,
    ) {
        let dir = TempDir::new().unwrap();
        let store = build(&dir, dims, &rows);
        let params = ExactParams { k, query_chunk_size: qc, corpus_chunk_size: cc, similarity: Similarity::L2 };
        let got = search(&store, &queries, &params).unwrap();
        for (q, hits) in queries.iter().zip(&got) {
            let want = naive(&store, q, k, Similarity::L2);
            prop_assert_eq!(hits.len(), want.len());
            for (g, w) in hits.iter().zip(&want) {
                prop_assert!((g.score - w.score).abs() <= 1e-3, "{:?} vs {:?}", hits, want);
            }
            let mut sorted = hits.clone();
            sort_hits(&mut sorted);
            prop_assert_eq!(&sorted, hits);
        }
    }
}

#[test]
fn l2_scores_are_negated_squared_distances() {
    let dir = TempDir::new().unwrap();
    let store = build(&dir, 2, &[vec![1.0, 0.0], vec![3.0, 4.0], vec![0.0, 0.0]]);
    let params = ExactParams {
        similarity: Similarity::L2,
        ..ExactParams::default()
    };
    let hits = search(&store, &[vec![3.0, 3.0]], &params)
        .unwrap()
        .remove(0);
    let by_row = |i: usize| &store.ids()[i];
    let got: Vec<(&String, f32)> = hits.iter().map(|h| (&h.doc_id, h.score)).collect();
    assert_eq!(
        got,
        [(by_row(1), -1.0), (by_row(0), -13.0), (by_row(2), -18.0)]
    );
}

#[test]
fn unit_store_cosine_is_dot_and_errors_are_typed() {
    let dir = TempDir::new().unwrap();
    let rows = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]];
    let store = build(&dir, 2, &rows);
    assert!(store.is_unit_norm());
    let hits = search(&store, &[vec![3.0, 4.0]], &ExactParams::default()).unwrap();
    assert_eq!(hits[0][0].doc_id, store.ids()[2]);
    assert!((hits[0][0].score - 1.0).abs() < 1e-6);
    assert_eq!(hits[0].len(), 3);
    let err = search(&store, &[vec![1.0]], &ExactParams::default()).unwrap_err();
    assert!(matches!(
        err,
        Error::Dimension {
            expected: 2,
            got: 1,
            ..
        }
    ));
    let zero = ExactParams {
        corpus_chunk_size: 0,
        ..ExactParams::default()
    };
    assert!(search(&store, &[vec![1.0, 0.0]], &zero).is_err());
    assert!(
        search(&store, &[], &ExactParams::default())
            .unwrap()
            .is_empty()
    );
}

/// A passage store: row i belongs to document `parents[i]` (passage ids `dNN#I`).
fn build_passages(dir: &TempDir, dims: usize, rows: &[Vec<f32>], parents: &[usize]) -> Store {
    let path = dir.path().join("p.sbstore");
    let mut w = StoreWriter::create(&path, dims, json!({})).unwrap();
    let mut next = std::collections::HashMap::new();
    let mut offsets = Vec::new();
    for (r, &p) in rows.iter().zip(parents) {
        let i = next.entry(p).or_insert(0usize);
        w.push(&format!("d{p:02}#{i}"), r).unwrap();
        offsets.push([*i * 10, *i * 10 + 15]);
        *i += 1;
    }
    let meta = w.meta_mut();
    meta["chunking"] = json!({"tokens": 256, "overlap": 0});
    meta["passages"] = json!(offsets);
    w.finish().unwrap();
    Store::open(&path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// MaxP: documents ranked by their best passage, against a naive per-document max; the hit
    /// names the passage that scored.
    #[test]
    fn passage_store_answers_documents_by_their_best_passage(
        (dims, rows, queries) in case(),
        parents_seed in prop::collection::vec(0usize..12, 60),
        k in 1usize..15,
        qc in 1usize..5,
        cc in 1usize..9,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let parents = &parents_seed[..rows.len()];
        let store = build_passages(&dir, dims, &rows, parents);
        let params = ExactParams { k, query_chunk_size: qc, corpus_chunk_size: cc, similarity: Similarity::Dot };
        let got = search(&store, &queries, &params).unwrap();
        for (q, hits) in queries.iter().zip(&got) {
            let mut best: std::collections::BTreeMap<String, (f32, String)> = Default::default();
            for h in naive(&store, q, store.len(), Similarity::Dot) {
                let (parent, _) = crate::corpus::chunk::split_passage_id(&h.doc_id).unwrap();
                // naive is sorted: the first passage seen per parent is its best
                best.entry(parent.to_owned()).or_insert((h.score, h.doc_id.clone()));
            }
            let mut expected: Vec<Hit> = best.iter().map(|(p, (s, _))| Hit::new(p.clone(), *s)).collect();
            expected.sort_by(hit_order);
            expected.truncate(k);
            let scores = |v: &[Hit]| v.iter().map(|h| h.score).collect::<Vec<_>>();
            prop_assert_eq!(scores(hits), scores(&expected));
            let mut ids: Vec<&str> = hits.iter().map(|h| h.doc_id.as_str()).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), hits.len(), "a document twice");
            for h in hits {
                let p = h.passage.unwrap();
                let row = store.index_of(&format!("{}#{}", h.doc_id, p.index)).unwrap();
                prop_assert_eq!(dot(q, store.vector(row)), h.score);
                prop_assert_eq!([p.start, p.end], [p.index * 10, p.index * 10 + 15]);
            }
        }
    }
}

#[test]
fn a_passage_store_with_bad_meta_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.sbstore");
    let mut w = StoreWriter::create(&path, 2, json!({})).unwrap();
    w.push("a#0", &[1.0, 0.0]).unwrap();
    w.meta_mut()["chunking"] = json!({"tokens": 256, "overlap": 0});
    w.meta_mut()["passages"] = json!([]);
    w.finish().unwrap();
    let err = Store::open(&path).err().unwrap().to_string();
    assert!(
        err.contains("bad.sbstore") && err.contains("1 rows"),
        "{err}"
    );
}
