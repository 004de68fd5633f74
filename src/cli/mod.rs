//! Command line: clap definitions, validated into typed configs, and the subcommand runners.
//!
//! Every flag that can come from the environment says so in `--help` (secrets hide their
//! values). Validation errors name the flag. Exit codes: 0 ok, 1 partial (records skipped or
//! documents refused), 2 error.

mod alias_cmd;
pub(crate) mod args;
mod embed_cmd;
mod eval_cmd;
mod export_cmd;
mod info;
mod ingest_cmd;
mod ingest_plan;
mod models_cmd;
mod query_cmd;
mod serve_cmd;
mod target;
mod values;

use clap::{Parser, Subcommand};

pub use self::args::{ConnArgs, ModelArgs};

/// Exit codes: 0 success, 1 partial (some records skipped or documents failed), 2 error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_PARTIAL: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "sembridge",
    version,
    about = "Semantic search for OpenSearch and Elasticsearch: embed, ingest, query, measure"
)]
pub struct Cli {
    /// More log output (-v info, -vv debug). Credentials are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report each engine's version, plugins and whether kNN works (creates and deletes a tiny index).
    Info(info::InfoArgs),
    /// Embed a corpus or queries into a local vector store file.
    Embed(embed_cmd::EmbedArgs),
    /// Stream a corpus through the model into bulk indexing.
    Ingest(Box<ingest_cmd::IngestArgs>),
    /// Search an index: bm25, knn or hybrid.
    Query(query_cmd::QueryArgs),
    /// Exact (brute force) search over a local vector store.
    Exact(query_cmd::ExactArgs),
    /// Measure retrieval quality (nDCG@10, recall@100, MRR@10) of every mode and ANN recall vs exact.
    Eval(eval_cmd::EvalArgs),
    /// Versions behind an alias written by `ingest --alias`: list, rollback, prune.
    Alias(alias_cmd::AliasArgs),
    /// Read the ids and vectors of an index (any layout) back into a local vector store.
    Export(export_cmd::ExportArgs),
    /// Serve search over HTTP: /search, /embed, /healthz, /metrics, a page comparing the modes.
    Serve(serve_cmd::ServeArgs),
    /// List the installed models (`--model NAME`): dims, pooling, prompts, max length, fingerprint, origin.
    Models(models_cmd::ModelsArgs),
}

pub fn run() -> anyhow::Result<u8> {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Info(a) => runtime.block_on(info::run(a)),
        Command::Embed(a) => embed_cmd::run(a),
        Command::Ingest(a) => runtime.block_on(ingest_cmd::run(*a)),
        Command::Query(a) => runtime.block_on(query_cmd::run_query(a)),
        Command::Exact(a) => query_cmd::run_exact(a),
        Command::Eval(a) => runtime.block_on(eval_cmd::run(a)),
        Command::Serve(a) => runtime.block_on(serve_cmd::run(a)),
        Command::Export(a) => runtime.block_on(export_cmd::run(a)),
        Command::Alias(a) => runtime.block_on(alias_cmd::run(a)),
        Command::Models(a) => models_cmd::run(a),
    }
}

fn init_logging(verbose: u8) {
    // rustls' platform verifier logs a refused certificate at ERROR; sembridge's own error says
    // the same and what to do, so that line is silenced (SEMBRIDGE_LOG can bring it back).
    let level = match verbose {
        0 => "warn,rustls_platform_verifier=off",
        1 => "sembridge=info,rustls_platform_verifier=off",
        _ => "sembridge=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEMBRIDGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
