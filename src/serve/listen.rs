//! The accept loop of `serve`, in place of `axum::serve`, for what that one does not bound: a
//! client gets `header_timeout` to send its request head (a slow or half-sent request line is
//! closed, not kept forever), at most `max_connections` connections are open at once (further
//! ones wait in the kernel's backlog), and shutdown waits for the connections in flight at most
//! `shutdown_timeout`, then returns whatever they are doing.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Bounds on connections (`--max-connections`, `--header-timeout`, `--shutdown-timeout`).
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    pub max_connections: usize,
    /// Time to receive a request's head (line and headers), per request.
    pub header_timeout: Duration,
    /// After the shutdown signal: time the open connections get to finish.
    pub shutdown_timeout: Duration,
}

impl Default for Connections {
    fn default() -> Self {
        Connections {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Serve `app` on `listener` until `shutdown` completes, then let the open connections finish
/// within `limits.shutdown_timeout`. Returns how many were still open at the deadline (0: all
/// finished).
pub async fn run(
    listener: TcpListener,
    app: axum::Router,
    limits: Connections,
    shutdown: impl std::future::Future<Output = ()>,
) -> usize {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(limits.header_timeout))
        .keep_alive_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, never spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    match tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown()).await {
        Ok(()) => 0,
        // Every connection task holds a permit until it ends.
        Err(_) => limits.max_connections - permits.available_permits(),
    }
}
