//! Exact top-k search over a local vector store: query chunks x corpus chunks, then merge.
//!
//! The ground truth that ANN recall is measured against. Work is split into (query chunk, corpus
//! chunk) tiles run in parallel with rayon; a tile of several queries is one `sgemm`
//! (matrixmultiply, through ndarray's safe `general_mat_mul`), a tile of one query is a
//! matrix-vector scan (memory-bandwidth bound). Each tile keeps its own top-k per query
//! ([`topk::TopK`]) and the tiles are merged in the documented order: score descending, then doc
//! id ascending. Scores of the one-query path and the batched path can differ in the last bits
//! (different summation order), so near-ties may order differently between them.
//!
//! The similarity is the engines' [`Similarity`]: cosine (queries normalized here; stored rows
//! divided by their norm unless the store says every row is unit length; a zero vector scores 0),
//! dot (raw dot product), or l2 (the negated squared distance `-(|q|² - 2 q·x + |x|²)`, higher is
//! closer, as the engines' l2 scores are converted back).

pub mod store;
pub mod topk;

pub use self::store::{Store, StoreSummary, StoreWriter};
use self::topk::{Scored, TopK};
use crate::engines::Similarity;
use crate::error::{Error, Result};
use crate::hit::Hit;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

/// Parameters of [`search`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExactParams {
    pub k: usize,
    /// Queries per tile (default 100, as sentence-transformers `util.semantic_search`).
    pub query_chunk_size: usize,
    /// Stored rows per tile. The default (16,384) is smaller than `util.semantic_search`'s 100,000:
    /// a 100 x 16,384 score tile (6.5 MB) stays near the cache and gives every core work; it
    /// measured faster on the 1M x 384 benchmark (see `bench/bench-exact.sh`).
    pub corpus_chunk_size: usize,
    pub similarity: Similarity,
}

impl Default for ExactParams {
    fn default() -> Self {
        ExactParams {
            k: 10,
            query_chunk_size: 100,
            corpus_chunk_size: 16_384,
            similarity: Similarity::Cosine,
        }
    }
}

/// The top `params.k` hits of every query (each `store.dims()` long), best first.
pub fn search(store: &Store, queries: &[Vec<f32>], params: &ExactParams) -> Result<Vec<Vec<Hit>>> {
    let dims = store.dims();
    let mut flat = Vec::with_capacity(queries.len() * dims);
    for (i, q) in queries.iter().enumerate() {
        check_dims(store, q.len(), i)?;
        flat.extend_from_slice(q);
    }
    search_flat(store, &flat, params)
}

/// Like [`search`], with the queries as one row-major slice of `n * store.dims()` values.
///
/// A store of passages answers at document level (MaxP): a document scores as its best passage,
/// the hit names that passage. Exact: the top `k * m` passages (m = the most passages of any
/// document) hold the best passage of each of the top `k` documents, since at most `k - 1`
/// documents (`(k - 1) * m` passages) can rank above a top-k document's best passage.
pub fn search_flat(store: &Store, queries: &[f32], params: &ExactParams) -> Result<Vec<Vec<Hit>>> {
    let Some(map) = store.passages() else {
        return search_rows(store, queries, params);
    };
    let rows = ExactParams {
        k: params.k.saturating_mul(map.max_per_parent),
        ..params.clone()
    };
    Ok(search_rows(store, queries, &rows)?
        .into_iter()
        .map(|hits| {
            let mut seen = std::collections::HashSet::new();
            hits.into_iter()
                .filter_map(|h| {
                    let row = store.index_of(&h.doc_id)?;
                    let parent = map.parent_of[row];
                    if !seen.insert(parent) {
                        return None;
                    }
                    let [start, end] = map.offsets[row];
                    Some(Hit {
                        doc_id: map.parents[parent as usize].clone(),
                        score: h.score,
                        passage: Some(crate::hit::PassageRef {
                            index: map.index[row] as usize,
                            start,
                            end,
                        }),
                    })
                })
                .take(params.k)
                .collect()
        })
        .collect())
}

/// Top-k over the store's rows (passages or documents alike).
fn search_rows(store: &Store, queries: &[f32], params: &ExactParams) -> Result<Vec<Vec<Hit>>> {
    let dims = store.dims();
    if !queries.len().is_multiple_of(dims) {
        return Err(Error::Dimension {
            expected: dims,
            got: queries.len(),
            context: "flat query slice length is not a multiple of the store's dims".into(),
        });
    }
    if params.query_chunk_size == 0 || params.corpus_chunk_size == 0 {
        return Err(Error::config("exact search chunk size", "must be > 0"));
    }
    let n_queries = queries.len() / dims;
    let rows = store.len();
    if u32::try_from(rows).is_err() {
        return Err(Error::store(
            store.path(),
            format!("{rows} rows: more than exact search supports"),
        ));
    }
    let k = params.k.min(rows);
    if n_queries == 0 || k == 0 {
        return Ok(vec![Vec::new(); n_queries]);
    }
    let mut queries = queries.to_vec();
    let queries_sq: Vec<f32>;
    let finish = match params.similarity {
        Similarity::Dot => Finish::Dot,
        Similarity::Cosine => {
            queries.chunks_mut(dims).for_each(normalize);
            if store.is_unit_norm() {
                Finish::Dot
            } else {
                Finish::DivideByRowNorm(store.norms())
            }
        }
        Similarity::L2 => {
            queries_sq = queries.chunks(dims).map(|q| dot(q, q)).collect();
            Finish::NegSquaredDistance {
                queries_sq: &queries_sq,
                row_norms: store.norms(),
            }
        }
    };
    let (qc, cc) = (params.query_chunk_size, params.corpus_chunk_size);
    let tiles: Vec<(usize, usize)> = (0..n_queries.div_ceil(qc))
        .flat_map(|qi| (0..rows.div_ceil(cc)).map(move |ci| (qi, ci)))
        .collect();
    let tile_tops: Vec<(usize, Vec<Vec<Scored>>)> = tiles
        .into_par_iter()
        .map_init(Vec::new, |scratch, (qi, ci)| {
            let q = &queries[qi * qc * dims..((qi + 1) * qc).min(n_queries) * dims];
            let (start, end) = (ci * cc, ((ci + 1) * cc).min(rows));
            let tile = Tile {
                store,
                finish,
                first_query: qi * qc,
                start,
                end,
                k,
            };
            (qi, tile.top(q, scratch))
        })
        .collect();
    let ids = store.ids();
    let tie = |a: u32, b: u32| ids[a as usize].cmp(&ids[b as usize]);
    let mut merged: Vec<TopK<_>> = (0..n_queries).map(|_| TopK::new(k, tie)).collect();
    for (qi, per_query) in tile_tops {
        for (j, top) in per_query.into_iter().enumerate() {
            let m = &mut merged[qi * qc + j];
            top.into_iter().for_each(|s| m.push(s.score, s.row));
        }
    }
    Ok(merged
        .into_iter()
        .map(|m| {
            let top = m.into_sorted_vec();
            top.into_iter()
                .map(|s| Hit::new(ids[s.row as usize].clone(), s.score))
                .collect()
        })
        .collect())
}

fn check_dims(store: &Store, got: usize, query: usize) -> Result<()> {
    if got == store.dims() {
        return Ok(());
    }
    Err(Error::Dimension {
        expected: store.dims(),
        got,
        context: format!("query {query} vs store {}", store.path().display()),
    })
}

fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Dot product with 16 independent accumulators, so the compiler vectorizes it.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ac, ar) = a.as_chunks::<16>();
    let (bc, br) = b.as_chunks::<16>();
    let mut acc = [0f32; 16];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// What turns the dot product of a query and a stored row into the similarity's score.
#[derive(Clone, Copy)]
enum Finish<'a> {
    /// The dot product is the score (dot; cosine over unit rows with normalized queries).
    Dot,
    /// Cosine over rows of any length (queries are normalized): divide by the row's norm; a zero
    /// row scores 0.
    DivideByRowNorm(&'a [f32]),
    /// L2: `-(|q|² - 2 q·x + |x|²)`, with every query's squared norm and every row's norm.
    NegSquaredDistance {
        queries_sq: &'a [f32],
        row_norms: &'a [f32],
    },
}

/// One corpus chunk `start..end` scored against one chunk of queries (`first_query..`).
struct Tile<'a> {
    store: &'a Store,
    finish: Finish<'a>,
    first_query: usize,
    start: usize,
    end: usize,
    k: usize,
}

impl Tile<'_> {
    fn top(&self, queries: &[f32], scratch: &mut Vec<f32>) -> Vec<Vec<Scored>> {
        let dims = self.store.dims();
        let (nq, nc) = (queries.len() / dims, self.end - self.start);
        let corpus = &self.store.matrix()[self.start * dims..self.end * dims];
        scratch.clear();
        scratch.resize(nq * nc, 0.0);
        if nq == 1 {
            for (s, row) in scratch.iter_mut().zip(corpus.chunks_exact(dims)) {
                *s = dot(queries, row);
            }
        } else {
            let a = ArrayView2::from_shape((nq, dims), queries).expect("query chunk shape");
            let c = ArrayView2::from_shape((nc, dims), corpus).expect("corpus chunk shape");
            let mut s = ArrayViewMut2::from_shape((nq, nc), &mut scratch[..]).expect("score shape");
            general_mat_mul(1.0, &a, &c.t(), 0.0, &mut s);
        }
        let ids = self.store.ids();
        scratch
            .chunks_mut(nc)
            .enumerate()
            .map(|(j, scores)| {
                match self.finish {
                    Finish::Dot => {}
                    Finish::DivideByRowNorm(norms) => {
                        for (s, &n) in scores.iter_mut().zip(&norms[self.start..self.end]) {
                            *s = if n > 0.0 { *s / n } else { 0.0 };
                        }
                    }
                    Finish::NegSquaredDistance {
                        queries_sq,
                        row_norms,
                    } => {
                        let q_sq = queries_sq[self.first_query + j];
                        for (s, &n) in scores.iter_mut().zip(&row_norms[self.start..self.end]) {
                            *s = -(q_sq - 2.0 * *s + n * n);
                        }
                    }
                }
                let mut top = TopK::new(self.k, |a: u32, b: u32| {
                    ids[a as usize].cmp(&ids[b as usize])
                });
                top.push_all(scores, self.start as u32);
                top.into_sorted_vec()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
