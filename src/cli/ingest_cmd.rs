//! `sembridge ingest`: flags -> validated [`IngestOptions`], run the pipeline, print the summary.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::args::{ConnArgs, ModelArgs, parse_shard};
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::corpus::CorpusFormat;
use crate::engines::spec::{EsIndexType, KnnEngine};
use crate::engines::{Engine, IndexSpec, Similarity};
use crate::error::Error;
use crate::exact::Store;
use crate::ingest::{IngestOptions, OnError, RetryPolicy, VectorSource};

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
    /// Id field (JSONL/CSV).
    #[arg(long, default_value = "_id")]
    pub id_field: String,
    /// Text field (JSONL/CSV).
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Title field (JSONL/CSV); "" for none.
    #[arg(long, default_value = "title")]
    pub title_field: String,
    /// Index name.
    #[arg(long)]
    pub index: String,
    /// Drop and recreate the index if it exists.
    #[arg(long)]
    pub recreate: bool,
    #[arg(long, value_enum, default_value_t = Similarity::Cosine)]
    pub similarity: Similarity,
    /// HNSW graph degree.
    #[arg(long, default_value_t = 16)]
    pub m: u32,
    #[arg(long, default_value_t = 100)]
    pub ef_construction: u32,
    /// OpenSearch k-NN library (lucene works everywhere; faiss needs the plugin's native libraries).
    #[arg(long, value_enum, default_value_t = KnnEngine::Lucene)]
    pub knn_engine: KnnEngine,
    /// Elasticsearch dense_vector index_options type.
    #[arg(long, value_enum, default_value_t = EsIndexType::Hnsw)]
    pub es_index_type: EsIndexType,
    /// Analyzer of title and text; `auto` = english when the engine has it, else standard.
    #[arg(long, default_value = "auto")]
    pub analyzer: String,
    #[arg(long, default_value_t = 1)]
    pub shards: u32,
    /// What to do with a bad record.
    #[arg(long, value_enum, default_value_t = OnError::Skip)]
    pub on_error: OnError,
    /// Ingest only shard i of n (deterministic partition by id hash), e.g. 0/2.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Bulk requests in flight.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Documents per bulk request at most.
    #[arg(long, default_value_t = 500)]
    pub bulk_docs: usize,
    /// Bulk request body size at most (MiB).
    #[arg(long, default_value_t = 8)]
    pub bulk_mib: usize,
    /// Documents per embedding call (sorted by length inside it, so larger chunks pad less;
    /// bulk requests are cut independently of it).
    #[arg(long, default_value_t = 1024)]
    pub embed_chunk: usize,
    /// Give up after this many seconds without any document accepted (engine down, throttling).
    #[arg(long, default_value_t = 120)]
    pub retry_for: u64,
    /// First retry delay (ms); doubles up to 10 s, with jitter.
    #[arg(long, default_value_t = 200)]
    pub retry_initial_ms: u64,
    /// Checkpoint file (default: next to the corpus, or in the current directory if that is read-only).
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Continue an interrupted job from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Dead-letter file for documents the engine refuses (JSONL with the engine's reason).
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

impl IngestArgs {
    fn format(&self) -> Option<CorpusFormat> {
        let title = (!self.title_field.is_empty()).then(|| self.title_field.clone());
        self.format.map(|f| match f {
            FormatArg::Beir => CorpusFormat::Beir,
            FormatArg::Jsonl => CorpusFormat::Jsonl {
                id_field: self.id_field.clone(),
                text_field: self.text_field.clone(),
                title_field: title.clone(),
            },
            FormatArg::Csv | FormatArg::Tsv => CorpusFormat::Csv {
                delimiter: if f == FormatArg::Csv { b',' } else { b'\t' },
                id_field: self.id_field.clone(),
                text_field: self.text_field.clone(),
                title_field: title.clone(),
            },
            FormatArg::Text => CorpusFormat::Text,
        })
    }
}

pub async fn run(a: IngestArgs) -> anyhow::Result<u8> {
    if a.concurrency == 0 {
        return Err(Error::config("--concurrency", "must be at least 1").into());
    }
    if a.bulk_docs == 0 || a.bulk_mib == 0 {
        return Err(Error::config("--bulk-docs/--bulk-mib", "must be positive").into());
    }
    if a.index.is_empty()
        || a.index != a.index.to_lowercase()
        || a.index.starts_with(['_', '-', '+'])
    {
        return Err(Error::config(
            "--index",
            format!(
                "`{}` is not a valid index name (lowercase, not starting with _ - +)",
                a.index
            ),
        )
        .into());
    }
    let stdin = a.corpus.as_os_str() == "-";
    if !stdin && !a.corpus.is_file() {
        return Err(
            Error::config("--corpus", format!("{} is not a file", a.corpus.display())).into(),
        );
    }
    if !stdin && a.corpus.metadata().is_ok_and(|m| m.len() == 0) {
        return Err(Error::config(
            "--corpus",
            format!("{} is empty: no documents to ingest", a.corpus.display()),
        )
        .into());
    }
    // Load the model (or store) before touching the cluster: a bad model folder fails fast.
    let source = match &a.vectors_from {
        Some(p) => VectorSource::Store(Arc::new(Store::open(p)?)),
        None => VectorSource::Model(Arc::new(a.model.load()?)),
    };
    let (engine, info) = Engine::connect(&a.conn.options()?).await?;
    tracing::info!("{} {} at {}", info.kind, info.version, info.url);

    let mut spec = IndexSpec::new(&a.index, source.dims());
    spec.similarity = a.similarity;
    spec.m = a.m;
    spec.ef_construction = a.ef_construction;
    spec.knn_engine = a.knn_engine;
    spec.es_index_type = a.es_index_type;
    spec.shards = a.shards.max(1);
    spec.analyzer = resolve_analyzer(&engine, &a.analyzer).await?;

    let mut opts = IngestOptions::new(&a.corpus, spec);
    opts.format = a.format();
    opts.on_error = a.on_error;
    opts.shard = a.shard;
    opts.recreate = a.recreate;
    opts.embed_chunk = a.embed_chunk.max(1);
    opts.bulk_docs = a.bulk_docs;
    opts.bulk_bytes = a.bulk_mib << 20;
    opts.concurrency = a.concurrency;
    opts.retry = RetryPolicy {
        initial: Duration::from_millis(a.retry_initial_ms.max(1)),
        give_up_after: Duration::from_secs(a.retry_for),
        ..RetryPolicy::default()
    };
    if let Some(p) = &a.checkpoint {
        opts.checkpoint = p.clone();
    }
    if let Some(p) = &a.dead_letter {
        opts.dead_letter = p.clone();
    }
    opts.resume = a.resume;
    opts.store = a.store.clone();
    opts.refresh = !a.no_refresh;
    opts.progress = !a.quiet && !a.json;
    opts.limit = a.limit;

    let checkpoint = opts.checkpoint.clone();
    let summary = match crate::ingest::run(&engine, source, opts).await {
        Ok(s) => s,
        Err(e) if e.is_transient() => {
            return Err(anyhow::Error::new(e).context(format!(
                "ingest stopped; {} records what the engine acknowledged: run again with --resume to continue",
                checkpoint.display()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        eprintln!(
            "{} {}: indexed {} docs into `{}` at {} in {:.1}s ({:.0} docs/s; embed {:.1}s, bulk {:.1}s summed over requests)",
            info.kind,
            info.version,
            summary.indexed,
            summary.index,
            summary.engine_url,
            summary.wall_secs,
            summary.docs_per_sec,
            summary.embed_secs,
            summary.index_secs
        );
        if summary.resumed_from > 0 {
            eprintln!(
                "resumed after {} documents already acknowledged",
                summary.resumed_from
            );
        }
        eprintln!(
            "skipped {} bad records, {} refused by the engine, {} retries",
            summary.skipped, summary.failed, summary.retried
        );
        if let Some(p) = &summary.dead_letter {
            eprintln!("refused documents and reasons: {}", p.display());
        }
        if let Some(c) = summary.count_after {
            eprintln!("index `{}` now holds {c} documents", summary.index);
        }
    }
    Ok(if summary.skipped > 0 || summary.failed > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
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
