//! `ingest --alias`: which version a job writes, and after it the check (every acknowledged
//! document counted, the quality gate) and the move of the alias onto it.

use std::sync::Arc;

use crate::engines::Engine;
use crate::error::Error;
use crate::ingest::{Summary, VectorSource};

/// The version an `--alias` job writes: with --resume, the one its checkpoint names (an
/// interrupted job finishes the same version); else a fresh `ALIAS--MODEL--TIME`.
pub(super) async fn version_to_write(
    alias: &str,
    vectors: &VectorSource,
    docs: &crate::ingest::DocSource,
    options: &crate::ingest::IngestOptions,
) -> crate::error::Result<String> {
    if options.resume
        && let Some(c) = crate::ingest::Checkpoint::load(&options.checkpoint)?
        && c.index.starts_with(&format!("{alias}--"))
    {
        return Ok(c.index);
    }
    let (model, _) = vectors.identity(docs.name()).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(crate::lifecycle::version_name(alias, &model, now))
}

/// Verify the new version (every acknowledged document counted; the gate, if any), then move the
/// alias onto it atomically and prune old versions. A failed check leaves the alias untouched
/// (the version stays, for a look; `sembridge alias NAME prune` removes it).
pub(super) async fn swap(
    engine: &Engine,
    ap: &super::ingest_plan::AliasPlan,
    version: &str,
    summary: &Summary,
) -> crate::error::Result<()> {
    let refused = |why: String| Error::AliasNotMoved {
        alias: ap.alias.clone(),
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
    if let Some(g) = &ap.gate {
        let embedder = Arc::new(g.model.load()?);
        let queries = crate::corpus::read_queries(&g.queries)?;
        let qrels = crate::corpus::read_qrels(&g.qrels)?;
        let mut query = crate::query::QueryParams::new(version);
        let layout = engine.layout(version, &Default::default()).await?;
        query.schema = Arc::new(layout.schema);
        if let Some(s) = layout.vector.and_then(|v| v.similarity) {
            query.similarity = s;
        }
        let cfg = crate::eval::run::EvalConfig {
            query,
            depth: 100,
            sweep: Vec::new(),
        };
        let report =
            crate::eval::run::evaluate(engine, &embedder, None, &queries, &qrels, &cfg).await?;
        let knn = report
            .modes
            .iter()
            .find(|m| m.mode == "knn")
            .map(|m| m.ndcg10)
            .unwrap_or(0.0);
        eprintln!(
            "gate: kNN nDCG@10 of `{version}` is {knn:.4} (at least {} asked)",
            g.min_ndcg
        );
        if knn < g.min_ndcg {
            return Err(refused(format!(
                "the gate failed: kNN nDCG@10 {knn:.4} < --gate-min-ndcg {}",
                g.min_ndcg
            )));
        }
    }
    let before = crate::lifecycle::alias_targets(engine, &ap.alias).await?;
    crate::lifecycle::move_alias(engine, &ap.alias, version).await?;
    eprintln!(
        "alias `{}` now points at `{version}` ({count} documents; was {})",
        ap.alias,
        match before.is_empty() {
            true => "nothing".to_owned(),
            false => before.join(", "),
        }
    );
    let pruned = crate::lifecycle::prune(engine, &ap.alias, ap.keep).await?;
    if !pruned.is_empty() {
        eprintln!(
            "deleted old versions (--keep {}): {}",
            ap.keep,
            pruned.join(", ")
        );
    }
    Ok(())
}
