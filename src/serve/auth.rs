//! Who may use the server, from which page, and what it may see: the bearer token (compared in
//! fixed time), the `Host` check that stops DNS rebinding, the content types a browser cannot
//! send cross-origin without asking first, the headers that keep the page out of frames, and the
//! serve-side caps on what a search returns (k, text length, filterable fields).
//!
//! `/healthz` stays open without the token (load balancers probe it); without the token it
//! answers its status code and `{"status": ...}` only, never the engine URL or an error text.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::ServeState;
use super::errors::ApiError;
use crate::error::{Error, Result};

/// Shortest token accepted from `--auth-token-file` (characters).
pub const MIN_TOKEN_CHARS: usize = 16;
/// Default of `--max-k`.
pub const DEFAULT_MAX_K: usize = 100;
/// Default of `--max-text-chars`.
pub const DEFAULT_MAX_TEXT_CHARS: usize = 2000;

/// The access policy of one server.
#[derive(Clone)]
pub struct Access {
    /// SHA-256 of the bearer token; `None`: no authentication (`--no-auth` or loopback).
    token: Option<[u8; 32]>,
    /// The address the server listens on (its IP is an accepted `Host`).
    bind: SocketAddr,
    /// Extra host names (`--allowed-host`), lowercase, without port.
    allowed_hosts: Vec<String>,
    /// Fields a request may filter on (`--filter-fields`); `None`: the schema's id, title and
    /// text fields and `_id` (what the page shows anyway).
    pub filter_fields: Option<Vec<String>>,
    /// Largest `k` a request may ask for (`--max-k`).
    pub max_k: usize,
    /// Text of a hit is cut to this many characters (`--max-text-chars`).
    pub max_text_chars: usize,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("token", &self.token.map(|_| "<redacted>"))
            .field("bind", &self.bind)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("filter_fields", &self.filter_fields)
            .field("max_k", &self.max_k)
            .field("max_text_chars", &self.max_text_chars)
            .finish()
    }
}

impl Default for Access {
    fn default() -> Self {
        Access {
            token: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            allowed_hosts: Vec::new(),
            filter_fields: None,
            max_k: DEFAULT_MAX_K,
            max_text_chars: DEFAULT_MAX_TEXT_CHARS,
        }
    }
}

impl Access {
    /// The policy for `bind`: a token (or none), the extra host names. A non-loopback `bind`
    /// without a token is refused unless `no_auth` says so explicitly.
    pub fn new(
        bind: SocketAddr,
        token: Option<String>,
        no_auth: bool,
        allowed_hosts: &[String],
    ) -> Result<Access> {
        if token.is_none() && !no_auth && !bind.ip().is_loopback() {
            return Err(Error::config(
                "--bind",
                format!(
                    "{bind} is reachable from other machines and the server would answer \
                     anyone: give --auth-token-file FILE (a bearer token), or --no-auth to \
                     serve without authentication on purpose"
                ),
            ));
        }
        let mut hosts = Vec::new();
        for h in allowed_hosts {
            let h = h.trim().to_ascii_lowercase();
            if h.is_empty() || h.contains(['/', ' ', '@']) {
                return Err(Error::config(
                    "--allowed-host",
                    format!("`{h}` is not a host name (give it without scheme or path)"),
                ));
            }
            hosts.push(strip_port(&h).to_owned());
        }
        Ok(Access {
            token: token.map(|t| digest(t.as_bytes())),
            bind,
            allowed_hosts: hosts,
            ..Access::default()
        })
    }

    /// Whether a token is required.
    pub fn requires_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `headers` carry the bearer token (always true without one configured). The
    /// comparison takes the same time wherever the two differ: both sides are hashed first and
    /// the digests compared byte by byte without an early exit.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(want) = &self.token else {
            return true;
        };
        let Some(given) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
        else {
            return false;
        };
        fixed_time_eq(want, &digest(given.as_bytes()))
    }

    /// Whether `host` (a `Host` header: name or IP, maybe a port) names this server: an IP
    /// literal that is the bind address, a loopback address or (bound to every interface) any
    /// IP; `localhost`; or an `--allowed-host`. A host name set by DNS (rebinding) is refused.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = strip_port(host.trim()).to_ascii_lowercase();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return ip.is_loopback() || ip == self.bind.ip() || self.bind.ip().is_unspecified();
        }
        let name = host.trim_end_matches('.');
        name == "localhost" || self.allowed_hosts.iter().any(|h| h == name)
    }

    /// Whether filtering on `field` is allowed; `defaults` are the fields the page shows.
    pub fn filter_allowed(&self, field: &str, defaults: &[String]) -> bool {
        match &self.filter_fields {
            Some(fields) => fields.iter().any(|f| f == field),
            None => field == "_id" || defaults.iter().any(|f| f == field),
        }
    }
}

/// Read a token file: the first line, trimmed; refused when empty or shorter than
/// [`MIN_TOKEN_CHARS`] (the message never shows the token).
pub fn read_token_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(
            "--auth-token-file",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.chars().count() < MIN_TOKEN_CHARS {
        return Err(Error::config(
            "--auth-token-file",
            format!(
                "{}: the token on its first line has fewer than {MIN_TOKEN_CHARS} characters \
                 (make one with `openssl rand -hex 32`)",
                path.display()
            ),
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::config(
            "--auth-token-file",
            format!(
                "{}: the token holds a space or control character",
                path.display()
            ),
        ));
    }
    Ok(token)
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Equal without an early exit: every byte is looked at whatever the first difference.
fn fixed_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// `name:port` -> `name`, `[v6]:port` -> `[v6]`; a bare IPv6 address is left whole.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map(|i| &host[..=i]).unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// Whether the request's `Content-Type` is `mime` (parameters such as charset ignored).
fn content_type_is(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(mime))
}

/// The content security policy of every answer: scripts only the page's own inline script (by
/// hash), fetches only to this server, no frames around it.
fn content_security_policy() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        use base64::Engine as _;
        let page = include_str!("index.html");
        let script = page
            .split_once("<script>")
            .and_then(|(_, rest)| rest.split_once("</script>"))
            .map(|(s, _)| s)
            .unwrap_or("");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
        format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
             frame-ancestors 'none'"
        )
    })
}

/// The middleware: 421 for a foreign `Host`, 401 without the token (`/healthz` answered in
/// short instead), 415 for a JSON route without `application/json`; the security headers on
/// every answer.
pub async fn guard(State(s): State<Arc<ServeState>>, req: Request, next: Next) -> Response {
    let mut response = check(&s, req, next).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(content_security_policy()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

async fn check(s: &ServeState, req: Request, next: Next) -> Response {
    let access = &s.access;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match &host {
        Some(h) if access.host_allowed(h) => {}
        _ => {
            return ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "host `{}` is not this server's (allowed: its IP address, localhost, \
                     --allowed-host)",
                    host.as_deref().unwrap_or("")
                ),
            )
            .into_response();
        }
    }
    let authorized = access.authorized(req.headers());
    if req.uri().path() == "/healthz" && !authorized {
        let status = next.run(req).await.status();
        let word = if status.is_success() {
            "ok"
        } else {
            "unavailable"
        };
        return (status, axum::Json(json!({"status": word}))).into_response();
    }
    if !authorized {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or wrong bearer token (send `Authorization: Bearer TOKEN`)",
        )
        .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    if req.method() == Method::POST {
        let path = req.uri().path();
        let json = content_type_is(req.headers(), "application/json");
        let form = content_type_is(req.headers(), "application/x-www-form-urlencoded");
        let ok = match path {
            "/embed" => json,
            "/search" => json || form,
            _ => true,
        };
        if !ok {
            let want = if path == "/embed" {
                "application/json"
            } else {
                "application/json or application/x-www-form-urlencoded"
            };
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("POST {path} needs `Content-Type: {want}`"),
            )
            .into_response();
        }
    }
    next.run(req).await
}

/// `text` cut to `max` characters (`None` when it is not longer).
pub fn truncate_chars(text: &str, max: usize) -> Option<String> {
    text.char_indices()
        .nth(max)
        .map(|(at, _)| text[..at].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(t).unwrap());
        h
    }

    #[test]
    fn the_token_must_match_whole() {
        let bind = SocketAddr::from(([127, 0, 0, 1], 8080));
        let a = Access::new(bind, Some("0123456789abcdef".into()), false, &[]).unwrap();
        assert!(a.authorized(&bearer("Bearer 0123456789abcdef")));
        assert!(a.authorized(&bearer("bearer 0123456789abcdef")));
        assert!(!a.authorized(&bearer("Bearer 0123456789abcde")));
        assert!(!a.authorized(&bearer("Bearer 0123456789abcdefg")));
        assert!(!a.authorized(&bearer("Basic 0123456789abcdef")));
        assert!(!a.authorized(&HeaderMap::new()));
        let open = Access::new(bind, None, false, &[]).unwrap();
        assert!(open.authorized(&HeaderMap::new()));
        assert!(!format!("{a:?}").contains("0123"), "{a:?}");
    }

    #[test]
    fn a_public_bind_needs_a_token_or_no_auth() {
        let public = SocketAddr::from(([0, 0, 0, 0], 8080));
        let e = Access::new(public, None, false, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--bind") && e.contains("--auth-token-file"),
            "{e}"
        );
        assert!(Access::new(public, None, true, &[]).is_ok());
        assert!(Access::new(public, Some("x".repeat(16)), false, &[]).is_ok());
        let v6 = "[::1]:8080".parse().unwrap();
        assert!(Access::new(v6, None, false, &[]).is_ok());
    }

    #[test]
    fn hosts_by_ip_localhost_or_allowed() {
        let bind = SocketAddr::from(([127, 0, 0, 1], 8080));
        let a = Access::new(bind, None, false, &["Search.Example.org".into()]).unwrap();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "localhost",
            "[::1]:8080",
            "search.example.org",
            "search.example.org:443",
        ] {
            assert!(a.host_allowed(ok), "{ok}");
        }
        for no in [
            "evil.example.com:8080",
            "10.0.0.5:8080",
            "",
            "localhost.evil.com",
        ] {
            assert!(!a.host_allowed(no), "{no}");
        }
        let any = SocketAddr::from(([0, 0, 0, 0], 8080));
        let a = Access::new(any, None, true, &[]).unwrap();
        assert!(a.host_allowed("10.0.0.5:8080"));
        assert!(!a.host_allowed("rebind.example.com:8080"));
    }

    #[test]
    fn token_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, "short\n").unwrap();
        let e = read_token_file(&p).unwrap_err().to_string();
        assert!(
            e.contains("--auth-token-file") && !e.contains("short"),
            "{e}"
        );
        std::fs::write(&p, "0123456789abcdef0123\n").unwrap();
        assert_eq!(read_token_file(&p).unwrap(), "0123456789abcdef0123");
    }

    #[test]
    fn texts_are_cut_at_characters() {
        assert_eq!(truncate_chars("héllo", 2).as_deref(), Some("hé"));
        assert_eq!(truncate_chars("héllo", 5), None);
    }

    #[test]
    fn the_policy_hashes_the_page_script() {
        let csp = content_security_policy();
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
}
