//! `sembridge ingest`: flags, validated into an [`IngestPlan`](super::ingest_plan::IngestPlan)
//! before any I/O, then the pipeline, then the summary.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::args::{ChunkArgs, ConnArgs, ModelArgs, parse_shard, positive};
use super::ingest_plan::Vectors;
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::engines::layout::vector::{EsIndexType, KnnEngine};
use crate::engines::{Engine, IndexSpec, Similarity};
use crate::error::Error;
use crate::exact::Store;
use crate::ingest::{Batching, OnError, RetryPolicy, Summary, VectorSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Beir,
    Jsonl,
    Csv,
    Tsv,
    Text,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Corpus file (`-` = stdin, read as JSONL).
    #[arg(
        long,
        required_unless_present = "from_index",
        conflicts_with = "from_index"
    )]
    pub corpus: Option<PathBuf>,
    /// Re-embed the documents of this live index (ids, titles, texts, metadata, read the way its
    /// mapping says) instead of reading a corpus file: a model migration without the corpus.
    #[arg(long, conflicts_with_all = ["resume", "format"])]
    pub from_index: Option<String>,
    /// Corpus format (default: from the extension).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Id field of JSONL/CSV/TSV, with --format or a format told by the extension [default: _id].
    #[arg(long)]
    pub id_field: Option<String>,
    /// Text field of JSONL/CSV/TSV [default: text].
    #[arg(long)]
    pub text_field: Option<String>,
    /// Title field of JSONL/CSV/TSV; "" for none [default: title].
    #[arg(long)]
    pub title_field: Option<String>,
    /// Index name.
    #[arg(long, required_unless_present = "alias", conflicts_with = "alias")]
    pub index: Option<String>,
    /// Write a fresh version `ALIAS--MODEL--TIME`, verify it (its `_count` equals the documents
    /// acknowledged; with --gate-*, a quality gate), then move the alias onto it in one atomic
    /// `_aliases` request. A failed check leaves the alias where it was. --resume continues the
    /// version the checkpoint names.
    #[arg(long, conflicts_with = "recreate")]
    pub alias: Option<String>,
    /// Old versions of the alias kept after a swap (older ones are deleted).
    #[arg(long, default_value_t = 1, requires = "alias")]
    pub keep: usize,
    /// Quality gate before the swap: queries file (with --gate-qrels and --gate-min-ndcg).
    #[arg(long, requires_all = ["alias", "gate_qrels", "gate_min_ndcg"])]
    pub gate_queries: Option<PathBuf>,
    /// Quality gate: relevance judgments (TSV) of the gate queries.
    #[arg(long, requires = "gate_queries")]
    pub gate_qrels: Option<PathBuf>,
    /// Quality gate: the new version's kNN nDCG@10 on the gate queries must reach this.
    #[arg(long, requires = "gate_queries")]
    pub gate_min_ndcg: Option<f64>,
    #[command(flatten)]
    pub fields: super::target::SchemaArgs,
    /// Drop and recreate the index if it exists.
    #[arg(long)]
    pub recreate: bool,
    #[arg(long, value_enum, default_value_t = IndexSpec::new("", 0).similarity)]
    pub similarity: Similarity,
    /// HNSW graph degree.
    #[arg(long, default_value_t = IndexSpec::new("", 0).m)]
    pub m: u32,
    #[arg(long, default_value_t = IndexSpec::new("", 0).ef_construction)]
    pub ef_construction: u32,
    /// OpenSearch k-NN library (lucene works everywhere; faiss needs the plugin's native libraries).
    #[arg(long, value_enum, default_value_t = IndexSpec::new("", 0).knn_engine)]
    pub knn_engine: KnnEngine,
    /// Elasticsearch dense_vector index_options type.
    #[arg(long, value_enum, default_value_t = IndexSpec::new("", 0).es_index_type)]
    pub es_index_type: EsIndexType,
    /// Analyzer of title and text; `auto` = english when the engine has it, else standard.
    #[arg(long, default_value = "auto")]
    pub analyzer: String,
    /// Primary shards of a new index.
    #[arg(long, default_value_t = IndexSpec::new("", 0).shards, value_parser = positive::<u32>())]
    pub shards: u32,
    /// Replicas of each shard of a new index (1 or more on a multi-node cluster, so that losing a
    /// node loses no document).
    #[arg(long, default_value_t = IndexSpec::new("", 0).replicas)]
    pub replicas: u32,
    /// What to do with a bad record.
    #[arg(long, value_enum, default_value_t = OnError::Skip)]
    pub on_error: OnError,
    /// Ingest only shard i of n (deterministic partition by id hash), e.g. 0/2.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Bulk requests in flight.
    #[arg(long, default_value_t = Batching::default().concurrency, value_parser = positive::<usize>())]
    pub concurrency: usize,
    /// Documents per bulk request at most.
    #[arg(long, default_value_t = Batching::default().bulk_docs, value_parser = positive::<usize>())]
    pub bulk_docs: usize,
    /// Bulk request body size at most (MiB).
    #[arg(long, default_value_t = Batching::default().bulk_bytes >> 20, value_parser = positive::<usize>())]
    pub bulk_mib: usize,
    /// Documents per embedding call (sorted by length inside it, so larger chunks pad less;
    /// bulk requests are cut independently of it).
    #[arg(long, default_value_t = Batching::default().embed_chunk, value_parser = positive::<usize>())]
    pub embed_chunk: usize,
    #[command(flatten)]
    pub chunking: ChunkArgs,
    /// One vector per document (truncated at the model's max_seq_length), also where the index
    /// records chunking (a re-run without flags cuts as recorded); with --recreate or a new
    /// --alias version, it turns chunking off.
    #[arg(long, conflicts_with = "chunk_tokens")]
    pub no_chunking: bool,
    /// Give up after this many seconds without any document accepted (engine down, throttling).
    #[arg(long, default_value_t = RetryPolicy::default().give_up_after.as_secs())]
    pub retry_for: u64,
    /// First retry delay (ms); doubles up to 10 s, with jitter.
    #[arg(long, default_value_t = RetryPolicy::default().initial.as_millis() as u64, value_parser = positive::<u64>())]
    pub retry_initial_ms: u64,
    /// Checkpoint file [default: $SEMBRIDGE_HOME/ingest/INDEX-KEY.checkpoint.json, KEY from the
    /// corpus path and --shard; the summary prints it].
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Continue an interrupted job from its checkpoint.
    #[arg(long, conflicts_with_all = ["recreate", "store"])]
    pub resume: bool,
    /// Dead-letter file for documents the engine refuses (JSONL with the engine's reason)
    /// [default: next to the default checkpoint, .deadletter.jsonl].
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// Also write the vectors to this local store (for exact search and recall checks).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Take vectors from this store (by doc id) instead of running the model.
    #[arg(long, conflicts_with = "store")]
    pub vectors_from: Option<PathBuf>,
    /// Stop after this many documents (trial runs).
    #[arg(long)]
    pub limit: Option<u64>,
    /// Do not refresh the index at the end.
    #[arg(long)]
    pub no_refresh: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub async fn run(a: IngestArgs) -> anyhow::Result<u8> {
    let (chunk_flags, no_chunking) = (a.chunking.clone(), a.no_chunking);
    let plan = a.plan()?;
    // Load the model (or store) before touching the cluster: a bad model folder fails fast.
    let vectors = match &plan.vectors {
        Vectors::Store(p) => VectorSource::Store(Arc::new(Store::open(p)?)),
        Vectors::Model(m) => VectorSource::Model(Arc::new(m.load()?)),
    };
    let mut chunking = super::ingest_chunking::chunking_asked(&vectors, &chunk_flags)?;
    let (engine, info) = Engine::connect(&plan.conn).await?;
    tracing::info!("{} {} at {}", info.kind, info.version, info.url);
    let mut options = plan.options;
    let (analyzer, fallback) = resolve_analyzer(&engine, &plan.analyzer).await?;
    options.spec.analyzer = analyzer;
    options.spec.analyzer_fallback = fallback;
    let (docs, source_schema) = match &plan.from_index {
        Some(src) => {
            let (docs, schema) =
                crate::lifecycle::from_index::source(&engine, src, &Default::default()).await?;
            (docs, Some(schema))
        }
        None => (plan.docs, None),
    };
    // --alias: the version this job writes (with --resume, the one its checkpoint names).
    let version = match &plan.alias {
        Some(ap) => {
            Some(super::ingest_swap::version_to_write(&ap.alias, &vectors, &docs, &options).await?)
        }
        None => None,
    };
    // Flags or a preset say what to write; without them an existing index (a resumed version,
    // or the alias' current one) keeps the layout it recorded, so a re-run writes what the
    // first run wrote; a re-embedding keeps the source's.
    let written = match &version {
        Some(v) if engine.index_exists(v).await? => v.clone(),
        _ => options.spec.name.clone(),
    };
    let recorded = match plan.schema == Default::default() {
        true => match engine.recorded_schema(&written).await? {
            Some(s) => Some(s),
            None => source_schema,
        },
        false => None,
    };
    // Chunking likewise: the flags (--no-chunking: none), else the store's, else what the
    // index, else the source index, was written with.
    if chunk_flags.chunk_tokens.is_none()
        && !no_chunking
        && let VectorSource::Model(embedder) = &vectors
        && let Some(c) = super::ingest_chunking::recorded_chunking(
            &engine,
            &written,
            plan.from_index.as_deref(),
            embedder,
        )
        .await?
    {
        chunking = Some(c);
    }
    options.spec.schema = recorded
        .unwrap_or_else(|| plan.schema.for_writing(engine.kind()))
        .with_passages(chunking.is_some());
    options.spec.schema.scores = options.spec.knn_engine;
    options.spec.chunking = chunking;
    if let (Some(ap), Some(v)) = (&plan.alias, &version) {
        options.spec.name = v.clone();
        eprintln!("writing version `{v}` of alias `{}`", ap.alias);
    }
    let version = options.spec.name.clone();
    let checkpoint = options.checkpoint.clone();
    let summary = match crate::ingest::run(&engine, docs, vectors, options).await {
        Ok(s) => s,
        Err(e) if e.is_transient() => {
            return Err(anyhow::Error::new(e).context(format!(
                "ingest stopped; {} records what the engine acknowledged: run again with --resume to continue",
                checkpoint.display()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if plan.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary, &format!("{} {}", info.kind, info.version));
    }
    // Said also with --json (on stderr): the one hint that chunking would change the results.
    if summary.truncated > 0 && summary.passages == 0 {
        eprintln!(
            "{} of {} documents were longer than the model's max_seq_length and embedded only up \
             to it; --chunk-tokens 128 --chunk-overlap 32 embeds all of their text (SciFact \
             nDCG@10 0.647 -> 0.688, README: Chunking)",
            summary.truncated, summary.read
        );
    }

    if let Some(ap) = &plan.alias {
        super::ingest_swap::swap(&engine, ap, &version, &summary).await?;
    }
    Ok(if summary.skipped > 0 || summary.failed > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}

fn print_summary(s: &Summary, engine: &str) {
    eprintln!(
        "{engine}: indexed {} docs into `{}` at {} in {:.1}s ({:.0} docs/s; embed {:.1}s, bulk {:.1}s summed over requests)",
        s.indexed, s.index, s.engine_url, s.wall_secs, s.docs_per_sec, s.embed_secs, s.index_secs
    );
    if s.resumed_from > 0 {
        eprintln!(
            "resumed after {} documents already acknowledged",
            s.resumed_from
        );
    }
    if s.passages > 0 {
        eprintln!(
            "{} passages ({:.2} per document), each with its vector; a document scores as its best passage",
            s.passages,
            s.passages as f64 / s.read.max(1) as f64
        );
    }
    eprintln!(
        "skipped {} bad records, {} refused by the engine, {} retries",
        s.skipped, s.failed, s.retried
    );
    if let Some(p) = &s.dead_letter {
        eprintln!("refused documents and reasons: {}", p.display());
    }
    if let Some(c) = s.count_after {
        eprintln!("index `{}` now holds {c} documents", s.index);
    }
    eprintln!("checkpoint: {}", s.checkpoint.display());
}

/// `auto` picks english (stemming, stop words: what BEIR's BM25 baselines use) when the engine
/// has it. Returns the analyzer and, when it was assumed rather than probed, the one to fall back
/// on should the engine not know it.
async fn resolve_analyzer(
    engine: &Engine,
    requested: &str,
) -> crate::error::Result<(String, Option<String>)> {
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
