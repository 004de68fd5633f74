//! `sembridge serve`: the query component as an HTTP service. One loaded model and one engine
//! client shared by every request; `/search` runs [`crate::query::run`] (or exact search over a
//! local store), `/embed` the model, `/healthz` and `/metrics` watch it, `/` compares the modes
//! side by side and `/eval` shows the eval report when queries and qrels are given.
//!
//! The model runs on Tokio's blocking pool ([`crate::blocking`]), never on a runtime worker.
//! `/search` and `/embed` are bounded: at most `max_concurrent` in flight (more are answered 503
//! at once, not queued), each within `request_timeout` (else 504), bodies up to `max_body_bytes`
//! (else 413). Every model run takes one of the embedding workers first (an async wait of at most
//! `--worker-wait-ms`, else 503 naming the limit) and keeps it until the run ends, so a long
//! `/embed` (at most `max_embed_tokens` tokens, else 413) holds one worker, never all of them.
//! Every error is JSON `{"error": "..."}` naming what was wrong.

pub mod auth;
mod errors;
mod eval_page;
pub mod listen;
mod metrics;
pub mod params;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use self::auth::Access;
pub use self::listen::Connections;
pub use self::metrics::Metrics;
use crate::corpus::{Qrels, Query};
use crate::embed::Embedder;
use crate::engines::{Engine, EngineInfo};
use crate::error::{Error, Result};
use crate::exact::Store;
use crate::query::QueryParams;

/// How much the server takes on at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `/search` and `/embed` requests in flight at most; more are answered 503.
    pub max_concurrent: usize,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// Tokens (after truncation, special tokens included) one `/embed` request may ask to embed;
    /// more is answered 413 before the model runs.
    pub max_embed_tokens: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_concurrent: 64,
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            max_embed_tokens: 32_768,
        }
    }
}

/// Judged queries for the `/eval` page.
#[derive(Debug, Clone)]
pub struct EvalInputs {
    pub queries: Vec<Query>,
    pub qrels: Qrels,
    /// One evaluation's deadline (`--eval-timeout`).
    pub timeout: Duration,
}

/// Everything the server shares between requests.
pub struct ServeState {
    pub engine: Engine,
    pub info: EngineInfo,
    pub embedder: Arc<Embedder>,
    /// The corpus vectors (enables `mode=exact`) and the path they came from.
    pub store: Option<(Arc<Store>, String)>,
    /// Index and the server's default search settings; a request overrides k, candidates,
    /// fusion and filters.
    pub base: QueryParams,
    pub eval: Option<EvalInputs>,
    pub limits: Limits,
    pub metrics: Metrics,
    /// Token, hosts and what a search may return ([`auth`]); loopback-only defaults.
    pub access: Access,
    eval_report: eval_page::Cache,
}

impl ServeState {
    pub fn new(
        engine: Engine,
        info: EngineInfo,
        embedder: Arc<Embedder>,
        store: Option<(Arc<Store>, String)>,
        base: QueryParams,
        eval: Option<EvalInputs>,
        limits: Limits,
    ) -> ServeState {
        ServeState {
            engine,
            info,
            embedder,
            store,
            base,
            eval,
            limits,
            metrics: Metrics::new(),
            access: Access::default(),
            eval_report: eval_page::Cache::default(),
        }
    }

    /// The same state under `access` (token, hosts, caps).
    pub fn with_access(mut self, access: Access) -> ServeState {
        self.access = access;
        self
    }

    /// The model's folder name (what `/embed` reports as `model`).
    pub fn model_name(&self) -> String {
        let dir = &self.embedder.config().dir;
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string())
    }
}

/// The routes of the server, with its limits.
pub fn router(state: Arc<ServeState>) -> axum::Router {
    routes::router(state)
}

/// Bind `addr` (`--bind`), print `listening on http://ADDR` on stdout, and serve until
/// `shutdown` completes; requests in flight then get `conns.shutdown_timeout` to finish before
/// this returns.
pub async fn serve(
    state: ServeState,
    addr: SocketAddr,
    conns: Connections,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| Error::config("--bind", format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::config("--bind", format!("{addr}: {e}")))?;
    println!("sembridge serve: listening on http://{local}");
    let app = router(Arc::new(state));
    let open = listen::run(listener, app, conns, shutdown).await;
    if open > 0 {
        eprintln!(
            "sembridge serve: {open} connection(s) still open after {} s (--shutdown-timeout); \
             closing them",
            conns.shutdown_timeout.as_secs_f64()
        );
    }
    Ok(())
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("sembridge serve: shutting down (requests in flight finish first)");
}
