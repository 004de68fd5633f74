//! `sembridge ingest`: flags, validated into an [`IngestPlan`](super::ingest_plan::IngestPlan)
//! before any I/O, then the pipeline, then the summary.

use std::path::PathBuf;

use clap::Args;

use super::args::{ChunkArgs, ConnArgs, ModelArgs, parse_shard, positive};
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::engines::layout::vector::{EsIndexType, KnnEngine};
use crate::engines::{Engine, IndexSpec, Similarity};
use crate::ingest::{Batching, OnError, RetryPolicy, Summary, resolve};
use crate::lifecycle::swap::{SwapStep, swap};

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
    /// Ingest only shard i of n (deterministic partition by id hash), e.g. 0/2; `auto` (or
    /// `auto/N`) reads i and n from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with N or
    /// SEMBRIDGE_SHARD_COUNT) or a Slurm array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT).
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
    let plan = a.plan()?;
    // Load the model (or store) before touching the cluster: a bad model folder, or a store
    // the chunking flags contradict, fails fast.
    let vectors = plan.load_vectors()?;
    let asked = plan.request.chunking.asked(&vectors)?;
    let (engine, info) = Engine::connect(&plan.conn).await?;
    tracing::info!("{} {} at {}", info.kind, info.version, info.url);
    let mut options = plan.options;
    let resolved = resolve(&engine, &plan.request, asked, plan.docs, &vectors, &options).await?;
    if let Some(c) = &resolved.adopted_chunking {
        eprintln!(
            "cutting documents into passages of {} tokens overlapping by {}, as `{}` was \
             written (--no-chunking: one vector per document)",
            c.chunking.tokens, c.chunking.overlap, c.from
        );
    }
    if let Some(ap) = &plan.alias {
        eprintln!(
            "writing version `{}` of alias `{}`",
            resolved.spec.name, ap.alias
        );
    }
    options.spec = resolved.spec;
    if let Some(ap) = &plan.alias {
        options.spec.alias = Some(ap.alias.clone());
    }
    let version = options.spec.name.clone();
    let checkpoint = options.checkpoint.clone();
    let summary = match crate::ingest::run(&engine, resolved.docs, vectors, options).await {
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
             to it; --chunk-tokens 128 --chunk-overlap 32 embeds all of their text (README: \
             Chunking)",
            summary.truncated, summary.read
        );
    }
    if let Some(ap) = &plan.alias {
        let gate_model = || plan.gate_model.load();
        swap(&engine, ap, &version, &summary, gate_model, |step| {
            print_swap_step(&ap.alias, step)
        })
        .await?;
    }
    Ok(if summary.skipped > 0 || summary.failed > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}

/// What the move of `alias` did, as it happens.
fn print_swap_step(alias: &str, step: SwapStep<'_>) {
    match step {
        SwapStep::Gate { version, ndcg, min } => {
            eprintln!("gate: kNN nDCG@10 of `{version}` is {ndcg:.4} (at least {min} asked)")
        }
        SwapStep::Moved {
            version,
            count,
            before,
        } => eprintln!(
            "alias `{alias}` now points at `{version}` ({count} documents; was {})",
            match before.is_empty() {
                true => "nothing".to_owned(),
                false => before.join(", "),
            }
        ),
        SwapStep::Pruned { keep, deleted } => eprintln!(
            "deleted old versions (--keep {keep}): {}",
            deleted.join(", ")
        ),
    }
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
