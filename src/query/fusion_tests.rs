//! Hand-computed cases and properties of the fusion functions.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;

fn hits(v: &[(&str, f32)]) -> Vec<Hit> {
    v.iter().map(|&(id, s)| Hit::new(id, s)).collect()
}

fn close(got: &[Hit], want: &[(&str, f32)]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, (id, s)) in got.iter().zip(want) {
        assert_eq!(g.doc_id, *id, "{got:?}");
        assert!((g.score - s).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

#[test]
fn rrf_by_hand() {
    let a = hits(&[("x", 9.0), ("y", 5.0), ("z", 1.0)]);
    let b = hits(&[("y", 0.9), ("w", 0.8)]);
    let got = rrf(&[a, b], 60.0, 10);
    close(
        &got,
        &[
            ("y", 1.0 / 62.0 + 1.0 / 61.0),
            ("x", 1.0 / 61.0),
            ("w", 1.0 / 62.0),
            ("z", 1.0 / 63.0),
        ],
    );
    // A doc repeated within one list counts once, at its best rank; ties order by id.
    let got = rrf(
        &[hits(&[("b", 1.0), ("b", 1.0)]), hits(&[("a", 1.0)])],
        1.0,
        1,
    );
    close(&got, &[("a", 0.5)]);
    assert!(rrf(&[], 60.0, 10).is_empty());
}

#[test]
fn linear_by_hand() {
    let bm25 = hits(&[("a", 10.0), ("b", 6.0), ("c", 2.0)]);
    let knn = hits(&[("c", 0.9), ("d", 0.7), ("a", 0.5)]);
    // bm25 norm: a 1, b 0.5, c 0; knn norm: c 1, d 0.5, a 0.
    let got = linear(&bm25, &knn, 0.25, 10);
    close(
        &got,
        &[("a", 0.75), ("b", 0.375), ("c", 0.25), ("d", 0.125)],
    );
    // A leg whose scores are all equal normalizes to 1.0; an empty leg contributes nothing.
    let got = linear(&hits(&[("a", 3.0), ("b", 3.0)]), &[], 0.5, 1);
    close(&got, &[("a", 0.5)]);
    let got = linear(&[], &hits(&[("q", 0.2), ("r", f32::NAN)]), 1.0, 10);
    close(&got, &[("q", 1.0), ("r", 0.0)]);
}

fn list() -> impl Strategy<Value = Vec<Hit>> {
    // Unique ids per list (from a small pool so lists overlap), scores descending.
    prop::collection::hash_set(0u8..30, 0..15).prop_flat_map(|ids| {
        let ids: Vec<u8> = ids.into_iter().collect();
        let n = ids.len();
        (Just(ids), prop::collection::vec(-5.0f32..5.0, n)).prop_map(|(ids, mut s)| {
            s.sort_by(|a, b| b.total_cmp(a));
            ids.iter()
                .zip(s)
                .map(|(id, s)| Hit::new(format!("d{id}"), s))
                .collect()
        })
    })
}

fn check_subset(out: &[Hit], lists: &[&[Hit]], top: usize) -> Result<(), TestCaseError> {
    let union: HashSet<&str> = lists
        .iter()
        .flat_map(|l| l.iter().map(|h| h.doc_id.as_str()))
        .collect();
    let ids: HashSet<&str> = out.iter().map(|h| h.doc_id.as_str()).collect();
    prop_assert_eq!(ids.len(), out.len(), "duplicate ids in {:?}", out);
    prop_assert!(ids.is_subset(&union));
    prop_assert_eq!(out.len(), top.min(union.len()));
    prop_assert!(out.windows(2).all(|w| hit_order(&w[0], &w[1]).is_lt()));
    Ok(())
}

proptest! {
    #[test]
    fn rrf_properties(mut lists in prop::collection::vec(list(), 0..5), top in 0usize..40, rot in 0usize..5) {
        let out = rrf(&lists, DEFAULT_RRF_K, top);
        let refs: Vec<&[Hit]> = lists.iter().map(Vec::as_slice).collect();
        check_subset(&out, &refs, top)?;
        if !lists.is_empty() {
            let n = lists.len();
            lists.rotate_left(rot % n);
            lists.reverse();
            prop_assert_eq!(&rrf(&lists, DEFAULT_RRF_K, top), &out);
        }
    }

    #[test]
    fn rrf_first_everywhere_ranks_first(mut lists in prop::collection::vec(list(), 1..5)) {
        for l in &mut lists {
            l.retain(|h| h.doc_id != "star");
            l.insert(0, Hit::new("star", 100.0));
        }
        prop_assert_eq!(&rrf(&lists, DEFAULT_RRF_K, 3)[0].doc_id, "star");
    }

    #[test]
    fn linear_properties(bm25 in list(), knn in list(), alpha in 0.0f32..=1.0, top in 0usize..40) {
        let out = linear(&bm25, &knn, alpha, top);
        check_subset(&out, &[&bm25, &knn], top)?;
        prop_assert!(out.iter().all(|h| (-1e-6..=1.0 + 1e-6).contains(&h.score)));
    }

    #[test]
    fn linear_first_everywhere_ranks_first(mut bm25 in list(), mut knn in list(), alpha in 0.0f32..=1.0) {
        for l in [&mut bm25, &mut knn] {
            l.retain(|h| h.doc_id != "star");
            l.insert(0, Hit::new("star", 100.0));
        }
        let out = linear(&bm25, &knn, alpha, 5);
        // "star" scores 1.0, the maximum; only a doc also at the top of both legs could tie.
        prop_assert!((out[0].score - 1.0).abs() < 1e-6);
        prop_assert!(out.iter().any(|h| h.doc_id == "star"));
    }
}

#[test]
fn fused_documents_keep_the_passage_the_knn_leg_named() {
    let bm25 = hits(&[("x", 9.0), ("y", 5.0)]);
    let mut knn = hits(&[("y", 0.9), ("z", 0.8)]);
    let p = crate::hit::PassageRef {
        index: 2,
        start: 10,
        end: 40,
    };
    knn[0].passage = Some(p);
    for fused in [
        rrf(&[bm25.clone(), knn.clone()], 60.0, 10),
        linear(&bm25, &knn, 0.5, 10),
    ] {
        let by_id = |id: &str| fused.iter().find(|h| h.doc_id == id).unwrap().passage;
        assert_eq!(by_id("y"), Some(p));
        assert_eq!((by_id("x"), by_id("z")), (None, None));
    }
}
