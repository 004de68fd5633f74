//! `ingest`'s chunking: what the flags and a passage store ask for, and else how the index (or
//! the source index of `--from-index`) was cut, so a re-run cuts the same way.

use crate::cli::args::ChunkArgs;
use crate::corpus::chunk::ChunkOptions;
use crate::embed::Embedder;
use crate::engines::Engine;
use crate::error::{Error, Result};
use crate::ingest::VectorSource;

/// The chunking a job's flags and vectors ask for: the flags with a model; a passage store's own
/// (flags that contradict it are refused: the store was cut otherwise).
pub(super) fn chunking_asked(
    vectors: &VectorSource,
    flags: &ChunkArgs,
) -> Result<Option<ChunkOptions>> {
    match vectors {
        VectorSource::Model(e) => flags.options(e.config().max_seq_length),
        VectorSource::Store(store) => {
            let cut: Option<ChunkOptions> = match store.passages() {
                None => None,
                Some(_) => Some(
                    store
                        .meta()
                        .get("chunking")
                        .and_then(|c| serde_json::from_value(c.clone()).ok())
                        .ok_or_else(|| {
                            Error::config(
                                "--vectors-from",
                                format!(
                                    "{} holds passages but does not record how they were cut \
                                     (meta `chunking` without tokens and overlap, as an export \
                                     of an index sembridge did not write has): embed the corpus \
                                     with --chunk-tokens instead",
                                    store.path().display()
                                ),
                            )
                        })?,
                ),
            };
            let asked = flags
                .chunk_tokens
                .map(|tokens| (tokens, flags.chunk_overlap));
            match (cut, asked) {
                (Some(c), Some(a)) if (c.tokens, c.overlap) != a => Err(Error::config(
                    "--chunk-tokens",
                    format!(
                        "{} {} asks for passages of {} tokens overlapping by {}, but {} holds \
                         passages of {} overlapping by {}: drop the flags or embed again",
                        a.0,
                        a.1,
                        a.0,
                        a.1,
                        store.path().display(),
                        c.tokens,
                        c.overlap
                    ),
                )),
                (None, Some(_)) => Err(Error::config(
                    "--chunk-tokens",
                    format!(
                        "{} holds one vector per document (embedded without --chunk-tokens); \
                         drop the flag, or embed with --chunk-tokens and ingest that store",
                        store.path().display()
                    ),
                )),
                (c, _) => Ok(c),
            }
        }
    }
}

/// The chunking recorded in `written` (the index, a resumed version or the alias' current one),
/// else in the `--from-index` source, checked against the model; `None` when neither records
/// any. Says which index it followed.
pub(super) async fn recorded_chunking(
    engine: &Engine,
    written: &str,
    from_index: Option<&str>,
    embedder: &Embedder,
) -> Result<Option<ChunkOptions>> {
    let mut recorded = engine.recorded_chunking(written).await?;
    let mut from = written.to_owned();
    if let (None, Some(src)) = (recorded, from_index) {
        recorded = engine.recorded_chunking(src).await?;
        from = src.to_owned();
    }
    let Some(c) = recorded else {
        return Ok(None);
    };
    let max = embedder.config().max_seq_length;
    let checked = ChunkOptions::new(c.tokens, c.overlap, max).map_err(|(_, m)| {
        Error::config(
            "--chunk-tokens",
            format!(
                "`{from}` was cut into passages of {} tokens, which this model cannot take \
                 ({m}): pass --chunk-tokens, or --no-chunking",
                c.tokens
            ),
        )
    })?;
    eprintln!(
        "cutting documents into passages of {} tokens overlapping by {}, as `{from}` was \
         written (--no-chunking: one vector per document)",
        c.tokens, c.overlap
    );
    Ok(Some(checked))
}
