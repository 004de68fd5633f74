//! Bounded top-k selection in the documented result order (score descending, then doc id
//! ascending, NaN last), cheap enough to run over every score exact search computes.
//!
//! [`TopK`] keeps a buffer of at most `2k` candidates; when it fills, a linear-time partial select
//! keeps the best `k` and remembers the worst kept score as a threshold, so most later candidates
//! are rejected by one float comparison. Ties on the threshold still go through the full order.

use std::cmp::Ordering;

use crate::hit::score_desc;

/// One candidate: a score and the row it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub score: f32,
    pub row: u32,
}

/// The best `k` of a stream of [`Scored`] rows; `tie` orders rows of equal score (for a store:
/// by doc id, so the result matches [`hit_order`](crate::hit::hit_order)).
pub struct TopK<F> {
    k: usize,
    buf: Vec<Scored>,
    /// Worst score kept by the last prune; anything strictly below it cannot enter.
    threshold: f32,
    tie: F,
}

impl<F: Fn(u32, u32) -> Ordering> TopK<F> {
    pub fn new(k: usize, tie: F) -> Self {
        TopK {
            k,
            buf: Vec::with_capacity(Self::capacity(k).min(4096)),
            threshold: f32::NEG_INFINITY,
            tie,
        }
    }

    /// Buffer size that triggers a prune: `2k` (at least `k + 32`), so pruning is amortized O(1).
    fn capacity(k: usize) -> usize {
        k.saturating_add(k.max(32))
    }

    fn order(&self, a: &Scored, b: &Scored) -> Ordering {
        score_desc(a.score, b.score).then_with(|| (self.tie)(a.row, b.row))
    }

    /// Offer one candidate.
    #[inline]
    pub fn push(&mut self, score: f32, row: u32) {
        if score < self.threshold || self.k == 0 {
            return;
        }
        self.buf.push(Scored { score, row });
        if self.buf.len() >= Self::capacity(self.k) {
            self.prune();
        }
    }

    /// Offer a contiguous run of scores for rows `first_row..`.
    #[inline]
    pub fn push_all(&mut self, scores: &[f32], first_row: u32) {
        for (i, &s) in scores.iter().enumerate() {
            self.push(s, first_row + i as u32);
        }
    }

    fn prune(&mut self) {
        let k = self.k;
        if self.buf.len() <= k {
            return;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.select_nth_unstable_by(k - 1, |a, b| self.order(a, b));
        buf.truncate(k);
        // After the select, the worst kept element sits at k - 1. A NaN threshold would reject
        // nothing (every comparison is false), which is correct: NaN is the worst score.
        let worst = buf[k - 1].score;
        self.threshold = if worst.is_nan() {
            f32::NEG_INFINITY
        } else {
            worst
        };
        self.buf = buf;
    }

    /// The kept candidates, best first.
    pub fn into_sorted_vec(mut self) -> Vec<Scored> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.sort_unstable_by(|a, b| self.order(a, b));
        buf.truncate(self.k);
        buf
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hit::{Hit, hit_order};

    fn reference(scores: &[f32], ids: &[String], k: usize) -> Vec<Hit> {
        let mut all: Vec<Hit> = scores
            .iter()
            .zip(ids)
            .map(|(&s, id)| Hit::new(id.clone(), s))
            .collect();
        all.sort_by(hit_order);
        all.truncate(k);
        all
    }

    fn score_strategy() -> impl Strategy<Value = f32> {
        // Few distinct values, so ties (and the id tie-break) are common; NaN now and then.
        prop_oneof![10 => (-4i32..4).prop_map(|v| v as f32 / 2.0), 1 => Just(f32::NAN)]
    }

    proptest! {
        #[test]
        fn topk_matches_sort_truncate(
            scores in prop::collection::vec(score_strategy(), 0..300),
            k in 0usize..50,
            seed in any::<u64>(),
        ) {
            // Ids in a shuffled order, so row order and id order differ.
            let ids: Vec<String> = (0..scores.len())
                .map(|i| format!("d{:05}", (i as u64).wrapping_mul(seed | 1) % 100_000))
                .enumerate()
                .map(|(i, s)| format!("{s}-{i}"))
                .collect();
            let mut top = TopK::new(k, |a: u32, b: u32| ids[a as usize].cmp(&ids[b as usize]));
            top.push_all(&scores, 0);
            let got: Vec<Hit> = top
                .into_sorted_vec()
                .into_iter()
                .map(|s| Hit::new(ids[s.row as usize].clone(), s.score))
                .collect();
            let want = reference(&scores, &ids, k);
            prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
    }

    #[test]
    fn ties_break_by_id() {
        let ids = ["c", "a", "b", "d"];
        let mut top = TopK::new(2, |a: u32, b: u32| ids[a as usize].cmp(ids[b as usize]));
        top.push_all(&[1.0, 1.0, 1.0, 2.0], 0);
        let rows: Vec<u32> = top.into_sorted_vec().iter().map(|s| s.row).collect();
        assert_eq!(rows, [3, 1]); // "d" (2.0), then "a" (1.0, smallest id)
    }
}
