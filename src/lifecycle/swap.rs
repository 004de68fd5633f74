//! An `--alias` job's version: which one a job writes, and after it the check (every
//! acknowledged document counted, the quality gate), the atomic move of the alias onto it and
//! the pruning of old versions. A failed check leaves the alias where it was.

use std::path::PathBuf;
use std::sync::Arc;

use crate::embed::Embedder;
use crate::engines::Engine;
use crate::error::{Error, Result};
use crate::ingest::{Checkpoint, DocSource, IngestOptions, Summary, VectorSource};

/// The quality gate a new version must pass before the alias moves.
#[derive(Debug, Clone)]
pub struct Gate {
    pub queries: PathBuf,
    pub qrels: PathBuf,
    /// The new version's kNN nDCG@10 on the queries must reach this.
    pub min_ndcg: f64,
}

/// What happens after an `--alias` job wrote its version.
#[derive(Debug, Clone)]
pub struct SwapPlan {
    pub alias: String,
    /// Old versions kept after the swap (older ones are deleted).
    pub keep: usize,
    pub gate: Option<Gate>,
}

/// What [`swap`] did, step by step, for the caller to report.
#[derive(Debug)]
pub enum SwapStep<'a> {
    /// The gate measured the version (said also when it fails, before the error).
    Gate {
        version: &'a str,
        ndcg: f64,
        min: f64,
    },
    /// The alias moved onto `version`, which holds `count` documents; it pointed at `before`.
    Moved {
        version: &'a str,
        count: u64,
        before: &'a [String],
    },
    /// Old versions deleted (`keep` kept).
    Pruned { keep: usize, deleted: &'a [String] },
}

/// The version an `--alias` job writes: with resume, the one its checkpoint names (an
/// interrupted job finishes the same version); else a fresh `ALIAS--MODEL--TIME`.
pub async fn version_to_write(
    alias: &str,
    vectors: &VectorSource,
    docs: &DocSource,
    options: &IngestOptions,
) -> Result<String> {
    if options.resume
        && let Some(c) = Checkpoint::load(&options.checkpoint)?
        && c.index.starts_with(&format!("{alias}--"))
    {
        return Ok(c.index);
    }
    let (model, _) = vectors.identity(docs.name()).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(super::version_name(alias, &model, now))
}

/// Verify the new version (every acknowledged document counted; the gate, if any, with the model
/// `gate_model` loads), then move the alias onto it atomically and prune old versions. A failed
/// check leaves the alias untouched (the version stays, for a look; `sembridge alias NAME prune`
/// removes it). Each step is told to `report`.
pub async fn swap(
    engine: &Engine,
    plan: &SwapPlan,
    version: &str,
    summary: &Summary,
    gate_model: impl FnOnce() -> Result<Embedder>,
    mut report: impl FnMut(SwapStep<'_>),
) -> Result<()> {
    let refused = |why: String| Error::AliasNotMoved {
        alias: plan.alias.clone(),
        version: version.to_owned(),
        why,
    };
    engine.refresh(version).await?;
    let count = engine.count(version).await?;
    // A whole run knows exactly what the engine acknowledged; after a resume, the earlier runs'
    // part (`resumed_from`) also counts documents they dead-lettered, so it bounds from above.
    let (low, high) = (summary.indexed, summary.resumed_from + summary.indexed);
    let exact = summary.resumed_from == 0;
    if count < low || count > high || (exact && count != low) {
        return Err(refused(format!(
            "it holds {count} documents, the engine acknowledged {}",
            match exact {
                true => low.to_string(),
                false => format!(
                    "{low} in this run and at most {} before",
                    summary.resumed_from
                ),
            }
        )));
    }
    if let Some(g) = &plan.gate {
        let embedder = Arc::new(gate_model()?);
        let ndcg = gate_ndcg(engine, version, g, &embedder).await?;
        report(SwapStep::Gate {
            version,
            ndcg,
            min: g.min_ndcg,
        });
        if ndcg < g.min_ndcg {
            return Err(refused(format!(
                "the gate failed: kNN nDCG@10 {ndcg:.4} < --gate-min-ndcg {}",
                g.min_ndcg
            )));
        }
    }
    let before = super::alias_targets(engine, &plan.alias).await?;
    super::move_alias(engine, &plan.alias, version).await?;
    report(SwapStep::Moved {
        version,
        count,
        before: &before,
    });
    let deleted = super::prune(engine, &plan.alias, plan.keep).await?;
    if !deleted.is_empty() {
        report(SwapStep::Pruned {
            keep: plan.keep,
            deleted: &deleted,
        });
    }
    Ok(())
}

/// The kNN nDCG@10 of `version` on the gate's queries.
async fn gate_ndcg(
    engine: &Engine,
    version: &str,
    gate: &Gate,
    embedder: &Arc<Embedder>,
) -> Result<f64> {
    let queries = crate::corpus::read_queries(&gate.queries)?;
    let qrels = crate::corpus::read_qrels(&gate.qrels)?;
    let mut query = crate::query::QueryParams::new(version);
    crate::query::prepare(engine, &mut query, &Default::default(), &Default::default()).await?;
    let cfg = crate::eval::run::EvalConfig {
        query,
        depth: 100,
        sweep: Vec::new(),
    };
    let report = crate::eval::run::evaluate(engine, embedder, None, &queries, &qrels, &cfg).await?;
    Ok(report
        .modes
        .iter()
        .find(|m| m.mode == "knn")
        .map(|m| m.ndcg10)
        .unwrap_or(0.0))
}
