//! Token-aware batching: sort texts by token length and cut batches by a token budget, so a batch
//! pads only to its own longest text and short texts are not padded to long ones.

/// Plan batches over sequences of the given token `lengths`.
///
/// Returns groups of indices into `lengths`. Indices are sorted by length (longest first, ties by
/// index), and a batch grows while `batch_size * longest_in_batch <= token_budget` (the padded
/// tensor's size) and `batch_size <= max_batch`. A single sequence longer than the budget gets a
/// batch of its own. Every index appears exactly once.
pub fn plan_batches(lengths: &[usize], token_budget: usize, max_batch: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(a.cmp(&b)));
    let max_batch = max_batch.max(1);
    let mut batches = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut longest = 0;
    for idx in order {
        let len = lengths[idx].max(1);
        let new_longest = longest.max(len);
        if !current.is_empty()
            && ((current.len() + 1) * new_longest > token_budget || current.len() >= max_batch)
        {
            batches.push(std::mem::take(&mut current));
            longest = 0;
        }
        longest = longest.max(len);
        current.push(idx);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Padding cost of a plan: padded tokens / real tokens (1.0 = no padding at all).
pub fn padding_ratio(lengths: &[usize], batches: &[Vec<usize>]) -> f64 {
    let real: usize = lengths.iter().sum();
    let padded: usize = batches
        .iter()
        .map(|b| b.len() * b.iter().map(|&i| lengths[i]).max().unwrap_or(0))
        .sum();
    if real == 0 {
        1.0
    } else {
        padded as f64 / real as f64
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn every_index_once_and_budget_kept(lengths in prop::collection::vec(1usize..300, 0..200), budget in 1usize..4000, max_batch in 1usize..64) {
            let batches = plan_batches(&lengths, budget, max_batch);
            let mut seen: Vec<usize> = batches.concat();
            seen.sort();
            prop_assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
            for b in &batches {
                prop_assert!(!b.is_empty() && b.len() <= max_batch);
                let longest = b.iter().map(|&i| lengths[i]).max().unwrap();
                prop_assert!(b.len() == 1 || b.len() * longest <= budget);
            }
        }
    }

    #[test]
    fn sorting_removes_most_padding() {
        // Alternating short and long texts: batching in input order pads every short text to 200.
        let lengths: Vec<usize> = (0..64).map(|i| if i % 2 == 0 { 10 } else { 200 }).collect();
        let naive: Vec<Vec<usize>> = (0..64)
            .collect::<Vec<_>>()
            .chunks(8)
            .map(<[usize]>::to_vec)
            .collect();
        let planned = plan_batches(&lengths, 1600, 64);
        assert!(padding_ratio(&lengths, &planned) < 1.01);
        assert!(padding_ratio(&lengths, &naive) > 1.9);
    }
}
