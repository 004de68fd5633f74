//! A fault-injecting HTTP/1.1 proxy in front of a real engine, for the reliability tests: it
//! answers 429 to a share of `_bulk` requests, rewrites a share of bulk items to 429
//! `es_rejected_execution_exception`, drops connections while "down" (a dead node), and can act
//! like a secured cluster (401 without the right `Authorization` header).
//!
//! Every request goes to the real engine on a fresh connection (`Connection: close`, read to EOF)
//! and comes back de-chunked with a `Content-Length`, so the client keeps its keep-alive
//! connection to the proxy. It runs on its own runtime in a background thread, so a test may
//! block on a child process while the proxy serves it. Faults are decided by a seeded generator:
//! a run is repeatable.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does wrong, changeable while it runs; and what it counted.
#[derive(Debug, Default)]
pub struct Faults {
    /// Share (per mille) of `_bulk` requests answered 429 without reaching the engine.
    pub reject_bulk_per_mille: AtomicU32,
    /// Share (per mille) of bulk response items rewritten to 429 (the engine did index them).
    pub item_429_per_mille: AtomicU32,
    /// Drop every connection and request (a node that died).
    pub down: AtomicBool,
    /// Go down after forwarding this many `_bulk` requests (0: never).
    pub down_after_bulk: AtomicU64,
    /// When set, only these `Authorization` values are let through; others get 401.
    pub accept_auth: Mutex<Option<Vec<String>>>,
    /// Every `Authorization` header seen (to prove a test's credentials were really sent).
    pub auth_seen: Mutex<Vec<String>>,
    pub requests: AtomicU64,
    pub bulk_requests: AtomicU64,
    pub rejected_bulk: AtomicU64,
    pub rewritten_items: AtomicU64,
    pub dropped: AtomicU64,
    pub unauthorized: AtomicU64,
    rng: Mutex<u64>,
}

impl Faults {
    fn chance(&self, per_mille: &AtomicU32) -> bool {
        let p = per_mille.load(Ordering::Relaxed);
        if p == 0 {
            return false;
        }
        let mut s = self.rng.lock().unwrap();
        // xorshift64*
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 33) % 1000 < p as u64
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    pub fn count(&self, c: &AtomicU64) -> u64 {
        c.load(Ordering::SeqCst)
    }
}

pub struct Proxy {
    pub url: String,
    pub faults: Arc<Faults>,
    _server: Server,
}

/// An accept loop on its own runtime in a background thread (so a test may block on a child
/// process while it serves), each connection handled by its own task; stopped and joined on drop.
pub struct Server {
    /// `127.0.0.1:PORT`
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Listen on 127.0.0.1 (a free port); `handle` gets every accepted connection.
    pub fn start<F, Fut>(handle: F) -> Server
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            if let Ok((conn, _)) = accepted {
                                tokio::spawn(handle(conn));
                            }
                        }
                    }
                }
            });
            rt.shutdown_background();
        });
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
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

/// One parsed HTTP message.
struct Message {
    /// Request line or status line.
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Serialize with a fresh Content-Length (unless `keep_length`, for HEAD answers) and the
    /// given Connection header.
    fn to_bytes(&self, connection: &str, keep_length: bool) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (n, v) in &self.headers {
            let skip = [
                "connection",
                "transfer-encoding",
                "keep-alive",
                "accept-encoding",
            ]
            .iter()
            .any(|h| n.eq_ignore_ascii_case(h))
                || (!keep_length && n.eq_ignore_ascii_case("content-length"));
            if !skip {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        if !keep_length {
            out.push_str(&format!("content-length: {}\r\n", self.body.len()));
        }
        out.push_str(&format!("connection: {connection}\r\n\r\n"));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Split a head (without the blank line) into start line and headers.
fn parse_head(head: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or("").to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (start, headers)
}

/// Decode a complete chunked body; None when it is not complete yet.
fn dechunk(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let eol = find(&data[pos..], b"\r\n")? + pos;
        let size_text = String::from_utf8_lossy(&data[pos..eol]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        pos = eol + 2;
        if size == 0 {
            // Trailers end with an empty line.
            let end = find(&data[pos..], b"\r\n")? + pos + 2;
            return Some((out, end));
        }
        if data.len() < pos + size + 2 {
            return None;
        }
        out.extend_from_slice(&data[pos..pos + size]);
        pos += size + 2;
    }
}

/// Read one request from a keep-alive client connection; `buf` keeps bytes of the next one.
async fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Message>> {
    let mut chunk = [0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let (start, headers) = parse_head(&buf[..head_end]);
    let mut msg = Message {
        start,
        headers,
        body: Vec::new(),
    };
    let body_start = head_end + 4;
    if msg
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        loop {
            if let Some((body, used)) = dechunk(&buf[body_start..]) {
                msg.body = body;
                buf.drain(..body_start + used);
                return Ok(Some(msg));
            }
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    let len: usize = msg
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < body_start + len {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    msg.body = buf[body_start..body_start + len].to_vec();
    buf.drain(..body_start + len);
    Ok(Some(msg))
}

/// Forward one request on a fresh upstream connection and read the whole answer.
async fn forward(req: &Message, upstream: SocketAddr) -> std::io::Result<Message> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&req.to_bytes("close", false)).await?;
    let mut raw = Vec::new();
    up.read_to_end(&mut raw).await?;
    let head_end = find(&raw, b"\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "upstream answer without a head",
        )
    })?;
    let (start, headers) = parse_head(&raw[..head_end]);
    let mut resp = Message {
        start,
        headers,
        body: raw[head_end + 4..].to_vec(),
    };
    let head = req.start.starts_with("HEAD ");
    if !head
        && resp
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        resp.body = dechunk(&resp.body)
            .map(|(b, _)| b)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunks"))?;
    }
    Ok(resp)
}

fn json_response(status: u16, reason: &str, body: Value, extra: &[(&str, &str)]) -> Message {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    Message {
        start: format!("HTTP/1.1 {status} {reason}"),
        headers,
        body: serde_json::to_vec(&body).unwrap(),
    }
}

fn rejected_bulk() -> Message {
    let error = json!({
        "type": "es_rejected_execution_exception",
        "reason": "rejected execution of coordinating operation [injected by the test proxy]"
    });
    json_response(
        429,
        "Too Many Requests",
        json!({"error": {"root_cause": [error.clone()], "type": error["type"], "reason": error["reason"]}, "status": 429}),
        &[],
    )
}

fn unauthorized(path: &str) -> Message {
    let error = json!({
        "type": "security_exception",
        "reason": format!("missing authentication credentials for REST request [{path}]"),
    });
    json_response(
        401,
        "Unauthorized",
        json!({"error": {"root_cause": [error.clone()], "type": error["type"], "reason": error["reason"], "header": {"WWW-Authenticate": "Basic realm=\"security\""}}, "status": 401}),
        &[(
            "www-authenticate",
            "Basic realm=\"security\" charset=\"UTF-8\"",
        )],
    )
}

/// Mark a share of the items of a bulk answer as rejected by a full write queue.
fn rewrite_items(body: &[u8], f: &Faults) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let mut rewritten = 0;
    for item in v.get_mut("items")?.as_array_mut()? {
        let Some((_, result)) = item.as_object_mut().and_then(|o| o.iter_mut().next()) else {
            continue;
        };
        if f.chance(&f.item_429_per_mille) {
            let id = result.get("_id").cloned().unwrap_or(Value::Null);
            let index = result.get("_index").cloned().unwrap_or(Value::Null);
            *result = json!({
                "_index": index, "_id": id, "status": 429,
                "error": {"type": "es_rejected_execution_exception",
                          "reason": "rejected execution of primary operation [injected by the test proxy]"}
            });
            rewritten += 1;
        }
    }
    if rewritten > 0 {
        v["errors"] = Value::Bool(true);
        f.rewritten_items.fetch_add(rewritten, Ordering::SeqCst);
    }
    Some(serde_json::to_vec(&v).unwrap())
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
