//! Just enough HTTP/1.1 for the proxy: read a request from a keep-alive client, forward it on a
//! fresh upstream connection read to EOF (de-chunked), and write a message back with a fresh
//! Content-Length.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One parsed HTTP message.
pub(super) struct Message {
    /// Request line or status line.
    pub(super) start: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Message {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Serialize with a fresh Content-Length (unless `keep_length`, for HEAD answers) and the
    /// given Connection header.
    pub(super) fn to_bytes(&self, connection: &str, keep_length: bool) -> Vec<u8> {
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
pub(super) async fn read_request(
    conn: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Message>> {
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
pub(super) async fn forward(req: &Message, upstream: SocketAddr) -> std::io::Result<Message> {
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

pub(super) fn json_response(
    status: u16,
    reason: &str,
    body: Value,
    extra: &[(&str, &str)],
) -> Message {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    Message {
        start: format!("HTTP/1.1 {status} {reason}"),
        headers,
        body: serde_json::to_vec(&body).unwrap(),
    }
}
