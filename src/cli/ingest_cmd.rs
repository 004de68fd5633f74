//! `sembridge ingest`: flags, validated into an [`IngestPlan`](super::ingest_plan::IngestPlan)
//! before any I/O, then the pipeline, then the summary.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::args::{ConnArgs, ModelArgs, parse_shard, positive};
use super::ingest_plan::Vectors;
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::engines::spec::{EsIndexType, KnnEngine};
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
    #[arg(long)]
    pub corpus: PathBuf,
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
    #[arg(long)]
    pub index: String,
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
    let plan = a.plan()?;
    // Load the model (or store) before touching the cluster: a bad model folder fails fast.
    let vectors = match &plan.vectors {
        Vectors::Store(p) => {
            let store = Store::open(p)?;
            if store.passages().is_some() {
                return Err(crate::error::Error::config(
                    "--vectors-from",
                    format!(
                        "{} holds passages (written with --chunk-tokens); ingest takes one vector \
                         per document for now: give it a store embedded without --chunk-tokens \
                         (passage stores are searched with `exact`)",
                        p.display()
                    ),
                )
                .into());
            }
            VectorSource::Store(Arc::new(store))
        }
        Vectors::Model(m) => VectorSource::Model(Arc::new(m.load()?)),
    };
    let (engine, info) = Engine::connect(&plan.conn).await?;
    tracing::info!("{} {} at {}", info.kind, info.version, info.url);
    let mut options = plan.options;
    options.spec.analyzer = resolve_analyzer(&engine, &plan.analyzer).await?;
    // Flags or a preset say what to write; without them an existing index keeps the layout it
    // recorded (so a re-run writes what the first run wrote).
    let recorded = match plan.schema == Default::default() {
        true => engine.recorded_schema(&options.spec.name).await?,
        false => None,
    };
    options.spec.schema = recorded.unwrap_or_else(|| plan.schema.for_writing(engine.kind()));
    options.spec.schema.scores = options.spec.knn_engine;
    let checkpoint = options.checkpoint.clone();
    let summary = match crate::ingest::run(&engine, plan.docs, vectors, options).await {
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
/// has it.
async fn resolve_analyzer(engine: &Engine, requested: &str) -> crate::error::Result<String> {
    if requested != "auto" {
        if !engine.has_analyzer(requested).await? {
            return Err(Error::config(
                "--analyzer",
                format!("{} does not know the analyzer `{requested}`", engine.kind()),
            ));
        }
        return Ok(requested.to_owned());
    }
    Ok(if engine.has_analyzer("english").await? {
        "english".into()
    } else {
        "standard".into()
    })
}
