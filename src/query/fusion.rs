//! Client-side fusion of a BM25 list and a kNN list into one hybrid ranking: reciprocal rank
//! fusion and min-max normalized linear combination. Pure functions, property-tested.
//!
//! Inputs are ranked lists (best first). A doc id repeated within one list counts once, at its
//! first (best) position. Output is sorted by [`hit_order`] (score desc, then doc id asc) and cut
//! to `top`.

use std::collections::HashMap;

use crate::hit::{Hit, hit_order};

/// The customary RRF constant (Cormack et al. 2009; also the OpenSearch/Elasticsearch default).
pub const DEFAULT_RRF_K: f32 = 60.0;

/// Reciprocal rank fusion: `score(d) = sum over lists of 1 / (k + rank)`, rank 1-based.
///
/// The result does not depend on the order of `lists`: each doc's terms are summed smallest rank
/// first, in f64.
pub fn rrf(lists: &[Vec<Hit>], k: f32, top: usize) -> Vec<Hit> {
    let mut ranks: HashMap<&str, Vec<usize>> = HashMap::new();
    for list in lists {
        let mut seen = std::collections::HashSet::new();
        for (i, hit) in list.iter().enumerate() {
            if seen.insert(hit.doc_id.as_str()) {
                ranks.entry(&hit.doc_id).or_default().push(i + 1);
            }
        }
    }
    let hits = ranks
        .into_iter()
        .map(|(id, mut r)| {
            r.sort_unstable();
            let score: f64 = r
                .iter()
                .map(|&rank| 1.0 / (f64::from(k) + rank as f64))
                .sum();
            Hit::new(id, score as f32)
        })
        .collect();
    let legs: Vec<&[Hit]> = lists.iter().map(Vec::as_slice).collect();
    finish(hits, top, &legs)
}

/// Linear fusion: each leg min-max normalized to [0, 1] (a leg whose scores are all equal maps
/// to 1.0), then `(1 - alpha) * bm25 + alpha * knn`; a doc missing from a leg gets 0 from it.
/// `alpha` is the weight of the kNN leg (meant to be in [0, 1]; not checked here). Non-finite
/// scores are left out of the min/max and normalize to 0.
pub fn linear(bm25: &[Hit], knn: &[Hit], alpha: f32, top: usize) -> Vec<Hit> {
    let mut fused: HashMap<&str, [f32; 2]> = HashMap::new();
    for (leg, hits) in [bm25, knn].into_iter().enumerate() {
        for (id, s) in normalized(hits) {
            fused.entry(id).or_insert([0.0; 2])[leg] = s;
        }
    }
    let hits = fused
        .into_iter()
        .map(|(id, [b, v])| Hit::new(id, (1.0 - alpha) * b + alpha * v))
        .collect();
    finish(hits, top, &[bm25, knn])
}

/// Min-max normalized scores of one leg, first occurrence of each id.
fn normalized(hits: &[Hit]) -> Vec<(&str, f32)> {
    let finite = hits.iter().map(|h| h.score).filter(|s| s.is_finite());
    let (min, max) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), s| {
        (lo.min(s), hi.max(s))
    });
    let mut seen = std::collections::HashSet::new();
    hits.iter()
        .filter(|h| seen.insert(h.doc_id.as_str()))
        .map(|h| {
            let s = if !h.score.is_finite() {
                0.0
            } else if max > min {
                // Computed in f64 so the extremes land exactly on 0 and 1.
                ((f64::from(h.score) - f64::from(min)) / (f64::from(max) - f64::from(min))) as f32
            } else {
                1.0
            };
            (h.doc_id.as_str(), s)
        })
        .collect()
}

/// Sorted, cut to `top`, and each fused document keeps the matched passage a leg named (the kNN
/// leg over passages), so a hybrid answer shows it too.
fn finish(mut hits: Vec<Hit>, top: usize, legs: &[&[Hit]]) -> Vec<Hit> {
    hits.sort_by(hit_order);
    hits.truncate(top);
    let passages: HashMap<&str, crate::hit::PassageRef> = legs
        .iter()
        .flat_map(|l| l.iter().rev())
        .filter_map(|h| Some((h.doc_id.as_str(), h.passage?)))
        .collect();
    for h in &mut hits {
        h.passage = passages.get(h.doc_id.as_str()).copied();
    }
    hits
}

#[cfg(test)]
#[path = "fusion_tests.rs"]
mod tests;
