//! The one step from what an ingest job asks for to the finished [`IndexSpec`]: the analyzer
//! probed on the engine, the field layout and the chunking given outright or adopted from what
//! the index (or the source of `--from-index`) recorded, the version an `--alias` job writes,
//! and the vectors' dims and model. A caller (the CLI, a test, a binding) fills an
//! [`IndexRequest`] and gets the same decisions back in [`Resolved`], with nothing to copy.

use super::{DocSource, IngestOptions, VectorSource};
use crate::corpus::chunk::ChunkOptions;
use crate::embed::Embedder;
use crate::engines::{Engine, IndexSpec, SchemaRequest};
use crate::error::{Error, Result};

/// The chunking a job asks for; with neither field set it follows what the index recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkRequest {
    /// Passages of `(tokens, overlap)` (`--chunk-tokens`, `--chunk-overlap`).
    pub cut: Option<(usize, usize)>,
    /// One vector per document, also where the index records a cut (`--no-chunking`).
    pub none: bool,
}

impl ChunkRequest {
    /// The asked cut, checked against a model whose inputs are at most `max_seq_length` tokens.
    pub fn options(&self, max_seq_length: usize) -> Result<Option<ChunkOptions>> {
        let Some((tokens, overlap)) = self.cut else {
            return Ok(None);
        };
        ChunkOptions::new(tokens, overlap, max_seq_length)
            .map(Some)
            .map_err(|(flag, msg)| Error::config(flag, msg))
    }

    /// The chunking these flags and `vectors` ask for: the flags with a model; a passage store's
    /// own cut (flags that contradict it are refused: the store was cut otherwise). Needs no
    /// engine: call it before connecting, so a bad store fails fast.
    pub fn asked(&self, vectors: &VectorSource) -> Result<Option<ChunkOptions>> {
        let store = match vectors {
            VectorSource::Model(e) => return self.options(e.config().max_seq_length),
            VectorSource::Store(store) => store,
        };
        let cut = match store.passages() {
            None => None,
            Some(_) => Some(store.chunking().ok_or_else(|| {
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
            })?),
        };
        match (cut, self.cut) {
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

/// What an ingest job asks of its index beyond the settings given outright in
/// [`IngestOptions::spec`] (name, similarity, HNSW, shards, replicas).
#[derive(Debug, Clone)]
pub struct IndexRequest {
    /// `auto` (english when the engine has it, else standard) or an analyzer name.
    pub analyzer: String,
    /// Field names and preset; left empty, an existing index keeps the layout it recorded.
    pub schema: SchemaRequest,
    pub chunking: ChunkRequest,
    /// Read the documents from this index (a re-embedding) instead of the job's own.
    pub from_index: Option<String>,
    /// Write a version `ALIAS--MODEL--TIME` of this alias (the spec's name is the alias); with
    /// resume, the version the checkpoint names.
    pub alias: Option<String>,
}

impl Default for IndexRequest {
    /// The analyzer `auto`, the layout and the chunking as recorded (else the defaults), the
    /// job's own documents, no alias.
    fn default() -> Self {
        IndexRequest {
            analyzer: "auto".into(),
            schema: SchemaRequest::default(),
            chunking: ChunkRequest::default(),
            from_index: None,
            alias: None,
        }
    }
}

/// A cut followed because an index recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptedChunking {
    pub chunking: ChunkOptions,
    /// The index it was read from.
    pub from: String,
}

/// What [`resolve`] decided.
pub struct Resolved {
    /// Every field set: what the job writes (with `--alias`, `name` is the version).
    pub spec: IndexSpec,
    /// The documents: the job's own, or the stream of `--from-index`.
    pub docs: DocSource,
    /// Set when no flag said how to cut and the cut recorded in an index was followed.
    pub adopted_chunking: Option<AdoptedChunking>,
}

/// Turn `request` plus the live engine into the finished spec. Flags or a preset say what to
/// write; without them an existing index (a resumed version, or the alias' current one) keeps
/// the layout it recorded, so a re-run writes what the first run wrote, and a re-embedding keeps
/// the source's. Chunking likewise: `asked` (from [`ChunkRequest::asked`]; `--no-chunking`:
/// none), else what the index, else the source index, was written with.
pub async fn resolve(
    engine: &Engine,
    request: &IndexRequest,
    asked: Option<ChunkOptions>,
    docs: DocSource,
    vectors: &VectorSource,
    options: &IngestOptions,
) -> Result<Resolved> {
    let mut spec = options.spec.clone();
    let (analyzer, fallback) = resolve_analyzer(engine, &request.analyzer).await?;
    spec.analyzer = analyzer;
    spec.analyzer_fallback = fallback;
    let (docs, source_schema) = match &request.from_index {
        Some(src) => {
            let (docs, schema) =
                crate::lifecycle::from_index::source(engine, src, &Default::default()).await?;
            (docs, Some(schema))
        }
        None => (docs, None),
    };
    let version = match &request.alias {
        Some(alias) => {
            Some(crate::lifecycle::swap::version_to_write(alias, vectors, &docs, options).await?)
        }
        None => None,
    };
    let written = match &version {
        Some(v) if engine.index_exists(v).await? => v.clone(),
        _ => spec.name.clone(),
    };
    let recorded = match request.schema == Default::default() {
        true => match engine.recorded_schema(&written).await? {
            Some(s) => Some(s),
            None => source_schema,
        },
        false => None,
    };
    let mut chunking = asked;
    let mut adopted = None;
    if request.chunking.cut.is_none()
        && !request.chunking.none
        && let VectorSource::Model(embedder) = vectors
        && let Some(a) =
            recorded_chunking(engine, &written, request.from_index.as_deref(), embedder).await?
    {
        chunking = Some(a.chunking);
        adopted = Some(a);
    }
    spec.schema = recorded
        .unwrap_or_else(|| request.schema.for_writing(engine.kind()))
        .with_passages(chunking.is_some());
    spec.schema.scores = spec.knn_engine;
    spec.chunking = chunking;
    if let Some(v) = version {
        spec.name = v;
    }
    identify(&mut spec, vectors, &docs).await?;
    Ok(Resolved {
        spec,
        docs,
        adopted_chunking: adopted,
    })
}

/// Set the spec's dims and model from the vectors; returns the model's short id (what the
/// checkpoint and the index `_meta` record) and the metadata of a store written alongside.
pub(crate) async fn identify(
    spec: &mut IndexSpec,
    vectors: &VectorSource,
    docs: &DocSource,
) -> Result<(String, serde_json::Value)> {
    spec.dims = vectors.dims();
    let (model, store_meta) = vectors.identity(docs.name()).await?;
    spec.model = Some(model.clone());
    Ok((model, store_meta))
}

/// The chunking recorded in `written` (the index, a resumed version or the alias' current one),
/// else in the `--from-index` source, checked against the model; `None` when neither records
/// any.
async fn recorded_chunking(
    engine: &Engine,
    written: &str,
    from_index: Option<&str>,
    embedder: &Embedder,
) -> Result<Option<AdoptedChunking>> {
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
    let chunking = ChunkOptions::new(c.tokens, c.overlap, max).map_err(|(_, m)| {
        Error::config(
            "--chunk-tokens",
            format!(
                "`{from}` was cut into passages of {} tokens, which this model cannot take \
                 ({m}): pass --chunk-tokens, or --no-chunking",
                c.tokens
            ),
        )
    })?;
    Ok(Some(AdoptedChunking { chunking, from }))
}

/// `auto` picks english (stemming, stop words: what BEIR's BM25 baselines use) when the engine
/// has it. Returns the analyzer and, when it was assumed rather than probed, the one to fall back
/// on should the engine not know it.
async fn resolve_analyzer(engine: &Engine, requested: &str) -> Result<(String, Option<String>)> {
    if requested != "auto" {
        if engine.has_analyzer(requested).await? == Some(false) {
            return Err(Error::config(
                "--analyzer",
                format!("{} does not know the analyzer `{requested}`", engine.kind()),
            ));
        }
        return Ok((requested.to_owned(), None));
    }
    Ok(match engine.has_analyzer("english").await? {
        Some(true) => ("english".into(), None),
        // The credentials may not ask: try english (every released distribution has it; some
        // Maven integ-test-zips do not), standard if the index cannot be made with it.
        None => {
            tracing::warn!(
                "the credentials may not call _analyze; trying the english analyzer, standard if the engine lacks it (pass --analyzer to choose)"
            );
            ("english".into(), Some("standard".into()))
        }
        Some(false) => ("standard".into(), None),
    })
}
