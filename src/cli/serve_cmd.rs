//! `sembridge serve`: validate the flags, load the model once, connect, open the store and the
//! eval inputs, then hand everything to [`crate::serve`] until ctrl-c or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::EXIT_OK;
use super::args::{ConnArgs, ModelArgs, SearchArgs, check_file, positive};
use crate::corpus::{read_qrels, read_queries};
use crate::engines::Engine;
use crate::error::{Error, Result};
use crate::exact::Store;
use crate::query::QueryParams;
use crate::serve::{EvalInputs, Limits, ServeState};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// The index to search.
    #[arg(long)]
    pub index: String,
    /// Local store of the corpus vectors: enables `mode=exact` (and the sweep plot on /eval).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// Address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Queries for the /eval page (BEIR queries.jsonl, .tsv, .txt); needs --qrels.
    #[arg(long, requires = "qrels")]
    pub queries: Option<PathBuf>,
    /// Relevance judgments for the /eval page; needs --queries.
    #[arg(long, requires = "queries")]
    pub qrels: Option<PathBuf>,
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub fields: super::target::SchemaArgs,
    /// Hits fetched per hybrid leg before fusion (at least the request's k).
    #[arg(long, default_value_t = 100, value_parser = positive::<usize>())]
    pub leg_size: usize,
    /// /search and /embed requests in flight at most; more are answered 503 at once.
    #[arg(long, default_value_t = Limits::default().max_concurrent, value_parser = positive::<usize>())]
    pub max_concurrent: usize,
    /// Seconds a /search or /embed request may take before it is answered 504.
    #[arg(long, default_value_t = Limits::default().request_timeout.as_secs(), value_parser = positive::<u64>())]
    pub request_timeout: u64,
    /// Tokens one /embed request may ask to embed, all texts together, each counted after
    /// truncation to the model's max_seq_length with its special tokens (413 above).
    #[arg(long, default_value_t = Limits::default().max_embed_tokens, value_parser = positive::<usize>())]
    pub max_embed_tokens: usize,
    /// Milliseconds a request waits for a free embedding worker (see --embed-workers) before it
    /// is answered 503.
    #[arg(long, default_value_t = 10_000, value_parser = positive::<u64>())]
    pub worker_wait_ms: u64,
    /// Largest request body in bytes (413 above).
    #[arg(long, default_value_t = Limits::default().max_body_bytes, value_parser = positive::<usize>())]
    pub max_body_bytes: usize,
}

impl ServeArgs {
    /// Every check that needs no I/O beyond looking at paths: the search defaults and the files.
    pub fn validate(&self) -> Result<QueryParams> {
        if let Some(p) = &self.store {
            check_file("--store", p)?;
        }
        if let Some(p) = &self.queries {
            check_file("--queries", p)?;
        }
        if let Some(p) = &self.qrels {
            check_file("--qrels", p)?;
        }
        let mut q = QueryParams::new(&self.index);
        self.search.apply(&mut q)?;
        q.leg_size = self.leg_size;
        Ok(q)
    }
}

pub async fn run(a: ServeArgs) -> anyhow::Result<u8> {
    let mut base = a.validate()?;
    let conn = a.conn.options()?;
    let eval = match (&a.queries, &a.qrels) {
        (Some(q), Some(r)) => Some(EvalInputs {
            queries: read_queries(q)?,
            qrels: read_qrels(r)?,
        }),
        _ => None,
    };
    let store = match &a.store {
        Some(p) => Some((Arc::new(Store::open(p)?), p.display().to_string())),
        None => None,
    };
    let embedder = Arc::new(a.model.load_with(Duration::from_millis(a.worker_wait_ms))?);
    if let Some((s, path)) = &store
        && s.dims() != embedder.dims()
    {
        return Err(Error::Dimension {
            expected: s.dims(),
            got: embedder.dims(),
            context: format!("model vs --store {path}"),
        }
        .into());
    }
    let (engine, info) = Engine::connect(&conn).await?;
    if !engine.index_exists(&a.index).await? {
        return Err(Error::config(
            "--index",
            format!("index `{}` does not exist on {}", a.index, engine.url()),
        )
        .into());
    }
    super::target::prepare(&engine, &mut base, &a.fields, &a.search, Some(&embedder)).await?;
    eprintln!(
        "sembridge serve: {} {} at {}, index `{}`, model {} ({}){}",
        info.kind,
        info.version,
        engine.url(),
        a.index,
        a.model.dir().display(),
        embedder.layout(),
        store
            .as_ref()
            .map(|(_, p)| format!(", store {p}"))
            .unwrap_or_default()
    );
    let limits = Limits {
        max_concurrent: a.max_concurrent,
        max_body_bytes: a.max_body_bytes,
        request_timeout: Duration::from_secs(a.request_timeout),
        max_embed_tokens: a.max_embed_tokens,
    };
    let state = ServeState::new(engine, info, embedder, store, base, eval, limits);
    crate::serve::serve(state, a.bind, crate::serve::shutdown_signal()).await?;
    Ok(EXIT_OK)
}
