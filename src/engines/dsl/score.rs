//! The kNN `_score` formulas both engines document (Lucene's `VectorSimilarityFunction` scores),
//! turned back into the similarity; each engine's `score_to_similarity` says which applies to
//! which of its similarities.

/// COSINE and DOT_PRODUCT: `score = (1 + sim) / 2`.
pub fn halved_to_similarity(score: f32) -> f32 {
    2.0 * score - 1.0
}

/// MAXIMUM_INNER_PRODUCT: `score = 1 + dot` if dot >= 0 else `1 / (1 - dot)`.
pub fn max_inner_product_to_similarity(score: f32) -> f32 {
    if score >= 1.0 {
        score - 1.0
    } else {
        1.0 - 1.0 / score
    }
}

/// EUCLIDEAN: `score = 1 / (1 + d²)`, returned as `-d²` (higher is closer).
pub fn euclidean_to_similarity(score: f32) -> f32 {
    -(1.0 / score - 1.0)
}
