//! The validation step of a job: combinations that cannot work, refused before any I/O
//! ([`check_job`]), and what the index found on the engine rules out ([`check_index`]).

use super::{DocSource, IngestOptions, VectorSource};
use crate::engines::{Engine, EngineKind, Similarity};
use crate::error::{Error, Result};
use crate::ingest::IndexSetup;

/// Combinations that cannot work, refused before any I/O.
pub(super) fn check_job(
    engine: &Engine,
    docs: &DocSource,
    vectors: &VectorSource,
    opts: &IngestOptions,
) -> Result<()> {
    if engine.kind() == EngineKind::Elasticsearch
        && opts.spec.similarity == Similarity::Dot
        && let VectorSource::Model(e) = vectors
        && !e.config().normalize
    {
        return Err(Error::config(
            "--similarity",
            "Elasticsearch dot_product needs unit vectors and this model does not normalize; use cosine",
        ));
    }
    if let VectorSource::Store(store) = vectors
        && store.passages().is_some() != opts.spec.chunking.is_some()
    {
        return Err(Error::config(
            "--vectors-from",
            format!(
                "{} holds {}, but the job writes {}",
                store.path().display(),
                match store.passages() {
                    Some(_) => "passages",
                    None => "one vector per document",
                },
                match opts.spec.chunking {
                    Some(_) => "passages",
                    None => "one vector per document (--no-chunking?)",
                }
            ),
        ));
    }
    if opts.spec.chunking.is_some()
        && let Some(v) = engine.version()
    {
        crate::engines::capabilities::check_nested_knn(engine.kind(), v)?;
    }
    if opts.resume && engine.serverless() {
        return Err(Error::config(
            "--resume",
            "is not available on OpenSearch Serverless (--aws-service aoss): it refuses the \
             corpus ids as `_id`, so a document sent again is stored again and a resumed job \
             cannot tell what the engine kept; run the whole job again with --recreate",
        ));
    }
    if opts.resume && opts.recreate {
        return Err(Error::config(
            "--recreate",
            "cannot be combined with --resume (it would drop what the resume continues)",
        ));
    }
    if opts.resume && opts.store.is_some() {
        return Err(Error::config(
            "--store",
            "cannot be combined with --resume (the store is written in one pass); drop --resume to rebuild both",
        ));
    }
    if opts.resume && docs.rereadable_file().is_none() {
        return Err(Error::config(
            "--resume",
            "needs a corpus file (standard input or a stream cannot be re-read)",
        ));
    }
    Ok(())
}

/// What the index as found (`setup`) rules out: a resume into an index that is gone, and on
/// OpenSearch Serverless (which gives each document its own `_id`) indexing into one that
/// already holds documents.
pub(super) async fn check_index(
    engine: &Engine,
    opts: &IngestOptions,
    setup: IndexSetup,
    resumed_from: u64,
) -> Result<()> {
    if resumed_from > 0 && setup == IndexSetup::Create {
        return Err(Error::Checkpoint {
            path: opts.checkpoint.clone(),
            message: format!(
                "records {resumed_from} documents as indexed into `{}`, but that index does not \
                 exist (deleted?); run again without --resume to index everything",
                opts.spec.name
            ),
        });
    }
    if engine.serverless() && setup == IndexSetup::Ready {
        let n = engine.count(&opts.spec.name).await?;
        if n > 0 {
            return Err(Error::config(
                "--index",
                format!(
                    "`{}` on OpenSearch Serverless already holds {n} documents; Serverless \
                     gives each document its own `_id`, so indexing the corpus again would store \
                     it twice: add --recreate to rebuild the index, or name another --index",
                    opts.spec.name
                ),
            ));
        }
    }
    Ok(())
}
