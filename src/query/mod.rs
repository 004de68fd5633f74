//! Search modes against an engine (bm25, knn, hybrid) and client-side fusion.
//!
//! Hybrid runs the BM25 leg and the kNN leg concurrently and fuses them here ([`fusion`]), which
//! works on every engine and version (no search pipeline or `rrf` retriever needed).

pub mod fusion;
mod target;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::embed::Embedder;
use crate::engines::{Engine, KnnParams, Schema, Similarity, TermFilter};
use crate::error::Result;
use crate::hit::Hit;

pub use self::target::{Guard, prepare};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Bm25,
    Knn,
    Hybrid,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Bm25, Mode::Knn, Mode::Hybrid];

    /// `bm25`, `knn` or `hybrid`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Bm25 => "bm25",
            Mode::Knn => "knn",
            Mode::Hybrid => "hybrid",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How hybrid combines its legs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Fusion {
    /// Reciprocal rank fusion with constant k.
    Rrf { k: f32 },
    /// Min-max normalized linear fusion; `alpha` weighs the kNN leg.
    Linear { alpha: f32 },
}

#[derive(Debug, Clone)]
pub struct QueryParams {
    pub index: String,
    pub k: usize,
    /// kNN candidates (num_candidates / ef_search).
    pub candidates: usize,
    /// Each hybrid leg fetches this many before fusion (at least k).
    pub leg_size: usize,
    pub fusion: Fusion,
    pub filters: Vec<TermFilter>,
    pub similarity: Similarity,
    /// The index's field names (see [`crate::engines::layout::schema`]).
    pub schema: Arc<Schema>,
}

impl QueryParams {
    pub fn new(index: impl Into<String>) -> Self {
        QueryParams {
            index: index.into(),
            k: 10,
            candidates: 100,
            leg_size: 100,
            fusion: Fusion::Rrf {
                k: fusion::DEFAULT_RRF_K,
            },
            filters: Vec::new(),
            similarity: Similarity::Cosine,
            schema: Arc::new(Schema::default()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryOutput {
    pub mode: Mode,
    pub hits: Vec<Hit>,
    /// Title and text of each hit when the engine returned them (same order as `hits`).
    #[serde(skip)]
    pub sources: Vec<Value>,
    /// Engine-reported time; for hybrid the longer leg (the two legs run concurrently).
    pub took_ms: u64,
    /// Client wall time including embedding the query.
    pub wall: Duration,
    pub embed: Duration,
}

/// Embed `text` with the model's query prompt on Tokio's blocking pool (a model run is CPU-bound);
/// returns the vector and the time the model took (not counting the waits for a worker and a
/// blocking thread). A worker is reserved first ([`Embedder::reserve`]: an async wait, bounded,
/// that a cancelled request leaves without a trace) and held until the run ends.
pub async fn embed_query(embedder: &Arc<Embedder>, text: &str) -> Result<(Vec<f32>, Duration)> {
    let reservation = embedder.reserve().await?;
    let embedder = Arc::clone(embedder);
    let text = text.to_owned();
    crate::blocking::run("query embedding", move || {
        let started = Instant::now();
        let vector = embedder
            .embed_reserved(
                &reservation,
                &[text.as_str()],
                crate::embed::Role::Query,
                None,
            )?
            .remove(0);
        drop(reservation);
        Ok((vector, started.elapsed()))
    })
    .await
}

/// Run one query in `mode`. `vector` may be given (precomputed query embedding); otherwise the
/// embedder embeds `text` with the model's query prompt, off the async worker threads
/// ([`embed_query`]).
pub async fn run(
    engine: &Engine,
    embedder: Option<&Arc<Embedder>>,
    text: &str,
    vector: Option<&[f32]>,
    mode: Mode,
    p: &QueryParams,
) -> Result<QueryOutput> {
    let started = Instant::now();
    let mut embed = Duration::ZERO;
    let needs_vector = mode != Mode::Bm25;
    let owned;
    let vector: Option<&[f32]> = match (needs_vector, vector, embedder) {
        (false, _, _) => None,
        (true, Some(v), _) => Some(v),
        (true, None, Some(e)) => {
            (owned, embed) = embed_query(e, text).await?;
            Some(&owned)
        }
        (true, None, None) => {
            return Err(crate::error::Error::config(
                "--model",
                "kNN and hybrid modes need a model to embed the query",
            ));
        }
    };
    let (hits, sources, took_ms) = match mode {
        Mode::Bm25 => {
            let r = engine
                .bm25(&p.index, &p.schema, text, p.k, &p.filters)
                .await?;
            (r.hits, r.sources, r.took_ms)
        }
        Mode::Knn => {
            let v = vector.expect("vector computed above for knn");
            let r = engine
                .knn(
                    &p.index,
                    &p.schema,
                    v,
                    &KnnParams {
                        k: p.k,
                        candidates: p.candidates,
                    },
                    &p.filters,
                    p.similarity,
                )
                .await?;
            (r.hits, r.sources, r.took_ms)
        }
        Mode::Hybrid => {
            let v = vector.expect("vector computed above for hybrid");
            let leg = p.leg_size.max(p.k);
            let knn_params = KnnParams {
                k: leg,
                candidates: p.candidates.max(leg),
            };
            let (b, k) = tokio::try_join!(
                engine.bm25(&p.index, &p.schema, text, leg, &p.filters),
                engine.knn(
                    &p.index,
                    &p.schema,
                    v,
                    &knn_params,
                    &p.filters,
                    p.similarity
                )
            )?;
            let fused = match p.fusion {
                Fusion::Rrf { k: rrf_k } => {
                    fusion::rrf(&[b.hits.clone(), k.hits.clone()], rrf_k, p.k)
                }
                Fusion::Linear { alpha } => fusion::linear(&b.hits, &k.hits, alpha, p.k),
            };
            let mut by_id: std::collections::HashMap<&str, &Value> =
                std::collections::HashMap::new();
            for (h, s) in b
                .hits
                .iter()
                .zip(&b.sources)
                .chain(k.hits.iter().zip(&k.sources))
            {
                by_id.entry(h.doc_id.as_str()).or_insert(s);
            }
            let sources = fused
                .iter()
                .map(|h| {
                    by_id
                        .get(h.doc_id.as_str())
                        .map(|v| (*v).clone())
                        .unwrap_or(Value::Null)
                })
                .collect();
            (fused, sources, b.took_ms.max(k.took_ms))
        }
    };
    Ok(QueryOutput {
        mode,
        hits,
        sources,
        took_ms,
        wall: started.elapsed(),
        embed,
    })
}
