//! Pure pooling kernels (masked mean, CLS, max) and L2 normalization, as sentence-transformers
//! computes them; kept free of ONNX types so they can be property-tested against naive versions.

use serde::{Deserialize, Serialize};

/// How token embeddings become one sentence embedding (`1_Pooling/config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Average of the token vectors where the attention mask is 1.
    Mean,
    /// The first token's vector ([CLS]).
    Cls,
    /// Element-wise maximum over unmasked tokens.
    Max,
}

impl std::fmt::Display for Pooling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::Max => "max",
        })
    }
}

/// Pool one sequence. `hidden` is `[seq, dim]` row-major, `mask` has `seq` entries (0 or 1).
/// Writes `dim` values into `out`.
pub fn pool(pooling: Pooling, hidden: &[f32], mask: &[i64], dim: usize, out: &mut [f32]) {
    debug_assert_eq!(hidden.len(), mask.len() * dim);
    debug_assert_eq!(out.len(), dim);
    match pooling {
        Pooling::Cls => out.copy_from_slice(&hidden[..dim]),
        Pooling::Mean => {
            out.fill(0.0);
            let mut count = 0.0f32;
            for (row, &m) in hidden.chunks_exact(dim).zip(mask) {
                if m != 0 {
                    count += 1.0;
                    for (o, &h) in out.iter_mut().zip(row) {
                        *o += h;
                    }
                }
            }
            // sentence-transformers clamps the token count at 1e-9.
            let denom = count.max(1e-9);
            out.iter_mut().for_each(|o| *o /= denom);
        }
        Pooling::Max => {
            out.fill(f32::NEG_INFINITY);
            let mut any = false;
            for (row, &m) in hidden.chunks_exact(dim).zip(mask) {
                if m != 0 {
                    any = true;
                    for (o, &h) in out.iter_mut().zip(row) {
                        *o = o.max(h);
                    }
                }
            }
            if !any {
                out.fill(0.0);
            }
        }
    }
}

/// Scale to unit L2 norm (torch.nn.functional.normalize: divide by max(norm, 1e-12)).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Naive references written independently of the kernels above (f64 accumulation).
    fn naive_mean(hidden: &[Vec<f32>], mask: &[i64]) -> Vec<f64> {
        let dim = hidden[0].len();
        let kept: Vec<&Vec<f32>> = hidden
            .iter()
            .zip(mask)
            .filter(|(_, m)| **m != 0)
            .map(|(h, _)| h)
            .collect();
        (0..dim)
            .map(|d| {
                if kept.is_empty() {
                    0.0
                } else {
                    kept.iter().map(|h| h[d] as f64).sum::<f64>() / kept.len() as f64
                }
            })
            .collect()
    }

    fn seq_strategy() -> impl Strategy<Value = (Vec<Vec<f32>>, Vec<i64>)> {
        (1usize..12, 1usize..9).prop_flat_map(|(seq, dim)| {
            (
                prop::collection::vec(prop::collection::vec(-10.0f32..10.0, dim), seq),
                prop::collection::vec(0i64..2, seq),
            )
        })
    }

    proptest! {
        #[test]
        fn mean_matches_naive((hidden, mask) in seq_strategy()) {
            let dim = hidden[0].len();
            let flat: Vec<f32> = hidden.concat();
            let mut out = vec![0.0; dim];
            pool(Pooling::Mean, &flat, &mask, dim, &mut out);
            for (a, b) in out.iter().zip(naive_mean(&hidden, &mask)) {
                prop_assert!((*a as f64 - b).abs() < 1e-4, "{a} vs {b}");
            }
        }

        #[test]
        fn max_matches_naive((hidden, mask) in seq_strategy()) {
            let dim = hidden[0].len();
            let mut out = vec![0.0; dim];
            pool(Pooling::Max, &hidden.concat(), &mask, dim, &mut out);
            for d in 0..dim {
                let want = hidden.iter().zip(&mask).filter(|(_, m)| **m != 0).map(|(h, _)| h[d]).fold(None, |acc: Option<f32>, x| Some(acc.map_or(x, |a| a.max(x))));
                prop_assert_eq!(out[d], want.unwrap_or(0.0));
            }
        }

        #[test]
        fn cls_is_first_row((hidden, mask) in seq_strategy()) {
            let dim = hidden[0].len();
            let mut out = vec![0.0; dim];
            pool(Pooling::Cls, &hidden.concat(), &mask, dim, &mut out);
            prop_assert_eq!(&out, &hidden[0]);
        }

        #[test]
        fn normalize_gives_unit_norm_and_keeps_direction(v in prop::collection::vec(-100.0f32..100.0, 1..64)) {
            let norm: f64 = v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let mut w = v.clone();
            l2_normalize(&mut w);
            if norm > 1e-6 {
                let n2: f64 = w.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
                prop_assert!((n2 - 1.0).abs() < 1e-5);
                for (a, b) in w.iter().zip(&v) {
                    prop_assert!((*a as f64 - *b as f64 / norm).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn mean_ignores_padding_exactly() {
        // Two real tokens and one padded token with a huge value: the padding must not leak in.
        let hidden = [1.0, 2.0, 3.0, 4.0, 1000.0, 1000.0];
        let mut out = [0.0; 2];
        pool(Pooling::Mean, &hidden, &[1, 1, 0], 2, &mut out);
        assert_eq!(out, [2.0, 3.0]);
    }
}
