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
use crate::serve::{Access, Connections, EvalInputs, Limits, ServeState};

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
    /// Seconds one evaluation for /eval may take (a failure is retried by a later request).
    #[arg(long, default_value_t = 600, value_parser = positive::<u64>())]
    pub eval_timeout: u64,
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
    /// Connections open at once at most; more wait until one closes.
    #[arg(long, default_value_t = Connections::default().max_connections, value_parser = positive::<usize>())]
    pub max_connections: usize,
    /// Seconds a client has to send a request's line and headers (the connection is closed
    /// after).
    #[arg(long, default_value_t = Connections::default().header_timeout.as_secs(), value_parser = positive::<u64>())]
    pub header_timeout: u64,
    /// Seconds the open connections get to finish after ctrl-c or SIGTERM.
    #[arg(long, default_value_t = Connections::default().shutdown_timeout.as_secs(), value_parser = positive::<u64>())]
    pub shutdown_timeout: u64,
    /// A file whose first line is the bearer token every request must send
    /// (`Authorization: Bearer TOKEN`; /healthz answers its status without it).
    #[arg(long, env = "SEMBRIDGE_AUTH_TOKEN_FILE", conflicts_with = "no_auth")]
    pub auth_token_file: Option<PathBuf>,
    /// Serve without a token on a non-loopback --bind (refused otherwise).
    #[arg(long)]
    pub no_auth: bool,
    /// A host name the server is reached by (the Host header; repeat or comma-separate).
    /// Its IP addresses and localhost are always accepted; any other name is answered 421.
    #[arg(long, value_delimiter = ',')]
    pub allowed_host: Vec<String>,
    /// Fields a request may filter on (comma-separated); default: `_id` and the id, title and
    /// text fields the page shows.
    #[arg(long, value_delimiter = ',')]
    pub filter_fields: Option<Vec<String>>,
    /// Largest k a request may ask for.
    #[arg(long, default_value_t = crate::serve::auth::DEFAULT_MAX_K, value_parser = positive::<usize>())]
    pub max_k: usize,
    /// A hit's text is cut to this many characters (`text_truncated: true` then).
    #[arg(long, default_value_t = crate::serve::auth::DEFAULT_MAX_TEXT_CHARS, value_parser = positive::<usize>())]
    pub max_text_chars: usize,
}

impl ServeArgs {
    /// Every check that needs no I/O beyond looking at paths: the search defaults and the files.
    pub fn validate(&self) -> Result<QueryParams> {
        self.access()?;
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
        if self.max_k > crate::serve::params::MAX_K {
            return Err(Error::config(
                "--max-k",
                format!("at most {}", crate::serve::params::MAX_K),
            ));
        }
        Ok(q)
    }

    /// The access policy: token, bind, hosts, caps (reads the token file).
    pub fn access(&self) -> Result<Access> {
        let token = match &self.auth_token_file {
            Some(p) => Some(crate::serve::auth::read_token_file(p)?),
            None => None,
        };
        let mut access = Access::new(self.bind, token, self.no_auth, &self.allowed_host)?;
        access.filter_fields = self.filter_fields.clone().map(|f| {
            f.into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        });
        access.max_k = self.max_k;
        access.max_text_chars = self.max_text_chars;
        Ok(access)
    }
}

pub async fn run(a: ServeArgs) -> anyhow::Result<u8> {
    let mut base = a.validate()?;
    let conn = a.conn.options()?;
    let eval = match (&a.queries, &a.qrels) {
        (Some(q), Some(r)) => Some(EvalInputs {
            queries: read_queries(q)?,
            qrels: read_qrels(r)?,
            timeout: Duration::from_secs(a.eval_timeout),
        }),
        _ => None,
    };
    let store = match &a.store {
        Some(p) => Some((Arc::new(Store::open(p)?), p.display().to_string())),
        None => None,
    };
    let embedder = Arc::new(a.model.load_with(Duration::from_millis(a.worker_wait_ms))?);
    if let Some((s, path)) = &store {
        s.check_dims(embedder.dims(), format!("model vs --store {path}"))?;
    }
    let (engine, info) = Engine::connect(&conn).await?;
    engine.require_index(&a.index).await?;
    let guard = a.search.guard(Some(&embedder));
    crate::query::prepare(&engine, &mut base, &a.fields.request(), &guard).await?;
    eprintln!(
        "sembridge serve: {} {} at {}, index `{}`, model {} ({}){}",
        info.kind,
        info.version,
        engine.url(),
        a.index,
        embedder.config().dir.display(),
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
    let access = a.access()?;
    if !access.requires_token() && !a.bind.ip().is_loopback() {
        eprintln!(
            "sembridge serve: warning: --no-auth on {}: anyone who reaches it can search",
            a.bind
        );
    }
    let state =
        ServeState::new(engine, info, embedder, store, base, eval, limits).with_access(access);
    let conns = Connections {
        max_connections: a.max_connections,
        header_timeout: Duration::from_secs(a.header_timeout),
        shutdown_timeout: Duration::from_secs(a.shutdown_timeout),
    };
    crate::serve::serve(state, a.bind, conns, crate::serve::shutdown_signal()).await?;
    Ok(EXIT_OK)
}
