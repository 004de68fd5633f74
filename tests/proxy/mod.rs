//! A fault-injecting HTTP/1.1 proxy in front of a real engine, for the reliability tests: it
//! answers 429 to a share of `_bulk` requests, rewrites a share of bulk items to 429
//! `es_rejected_execution_exception`, drops connections while "down" (a dead node), holds
//! requests back (a slow node), and can act like a secured cluster (401 without the right
//! `Authorization` header).
//!
//! Every request goes to the real engine on a fresh connection (`Connection: close`, read to EOF)
//! and comes back de-chunked with a `Content-Length`, so the client keeps its keep-alive
//! connection to the proxy. It runs on its own runtime in a background thread, so a test may
//! block on a child process while the proxy serves it. Faults are decided by a seeded generator:
//! a run is repeatable.
mod faults;
mod http;
mod server;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub use self::faults::{Faults, Recorded};
use self::faults::{rejected_bulk, rewrite_items, unauthorized};
use self::http::{forward, read_request};
pub use self::server::Server;

pub struct Proxy {
    pub url: String,
    pub faults: Arc<Faults>,
    _server: Server,
}

impl Proxy {
    /// Listen on 127.0.0.1 (a free port) and forward to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let addr: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("proxy upstream {upstream}: {e}"));
        let faults = Arc::new(Faults {
            rng: Mutex::new(0x9E37_79B9_7F4A_7C15),
            ..Faults::default()
        });
        let f = faults.clone();
        let server = Server::start(move |conn| {
            let f = f.clone();
            async move {
                if f.is_down() {
                    f.dropped.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                let _ = serve(conn, addr, f).await;
            }
        });
        Proxy {
            url: format!("http://{}", server.addr),
            faults,
            _server: server,
        }
    }
}

async fn serve(mut conn: TcpStream, upstream: SocketAddr, f: Arc<Faults>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut conn, &mut buf).await? {
        f.requests.fetch_add(1, Ordering::SeqCst);
        if f.is_down() {
            f.dropped.fetch_add(1, Ordering::SeqCst);
            return Ok(());
        }
        let mut parts = req.start.split(' ');
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        if f.record.load(Ordering::SeqCst) {
            f.recorded.lock().unwrap().push(Recorded {
                method: method.clone(),
                target: path.clone(),
                headers: req.headers.clone(),
                body: req.body.clone(),
            });
        }
        if let Some(auth) = req.header("authorization") {
            f.auth_seen.lock().unwrap().push(auth.to_owned());
        }
        let accepted = f.accept_auth.lock().unwrap().clone();
        if let Some(accepted) = accepted
            && !req
                .header("authorization")
                .is_some_and(|a| accepted.iter().any(|x| x == a))
        {
            f.unauthorized.fetch_add(1, Ordering::SeqCst);
            conn.write_all(&unauthorized(&path).to_bytes("keep-alive", false))
                .await?;
            continue;
        }
        let is_bulk = method == "POST" && path.split('?').next().unwrap_or("").ends_with("/_bulk");
        if is_bulk {
            let n = f.bulk_requests.fetch_add(1, Ordering::SeqCst) + 1;
            if f.chance(&f.reject_bulk_per_mille) {
                f.rejected_bulk.fetch_add(1, Ordering::SeqCst);
                conn.write_all(&rejected_bulk().to_bytes("keep-alive", false))
                    .await?;
                continue;
            }
            let after = f.down_after_bulk.load(Ordering::SeqCst);
            if after > 0 && n > after {
                f.set_down(true);
                f.dropped.fetch_add(1, Ordering::SeqCst);
                return Ok(());
            }
        }
        let delay = f.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        }
        let mut resp = forward(&req, upstream).await?;
        if is_bulk
            && resp.start.contains(" 200")
            && let Some(body) = rewrite_items(&resp.body, &f)
        {
            resp.body = body;
        }
        let head = method == "HEAD";
        conn.write_all(&resp.to_bytes("keep-alive", head)).await?;
    }
    Ok(())
}

/// `Authorization: Basic ...` for a user and password (for `accept_auth`).
pub fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_rfc4648() {
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fooba"), "Zm9vYmE=");
    assert_eq!(base64(b"foob"), "Zm9vYg==");
}
