//! The HTTP layer: one small wrapper over the `opensearch` and `elasticsearch` crates' transports
//! (auth, TLS, pooling) that turns every non-2xx answer into an error with the engine's reason,
//! and every message into one without credentials.

use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use url::Url;

use super::aws::{AwsService, SigV4};
use super::connect::{ConnectOptions, EngineKind};
use super::secret::{Secret, parse_url, redact_url, scrub};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Head,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

/// What a query string keeps unencoded when the request is signed: RFC 3986's unreserved
/// characters, the encoding SigV4's canonical query uses, so the bytes sent are the bytes signed.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The transport of one engine's client crate. The single place that knows which engine a
/// [`Client`] (and so an [`Engine`](crate::engines::Engine)) talks to.
#[derive(Debug, Clone)]
enum Transport {
    OpenSearch(opensearch::OpenSearch),
    Elasticsearch(elasticsearch::Elasticsearch),
}

/// A client for one engine with its redacted URL and the secrets to scrub from messages.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    /// The URL the transport joins request paths to (no credentials in it).
    base: Url,
    /// Signs every request (`--aws-sigv4`).
    sigv4: Option<SigV4>,
    url: String,
    secrets: Vec<Secret>,
    timeout: Duration,
    gzip: bool,
}

impl Client {
    pub fn new(opts: &ConnectOptions, kind: EngineKind) -> Result<Client> {
        let (url, url_creds) = parse_url(&opts.url)?;
        let shown = redact_url(&url);
        let basic = match (&opts.username, &opts.password, url_creds) {
            (Some(u), Some(p), _) => Some((u.clone(), p.clone())),
            (Some(u), None, _) => Some((u.clone(), Secret::new(""))),
            (None, Some(_), _) => {
                return Err(Error::config("--password", "a password needs --user"));
            }
            (None, None, c) => c,
        };
        if opts.sigv4.is_some() && (basic.is_some() || opts.api_key.is_some()) {
            return Err(Error::config(
                "--aws-sigv4",
                "signs every request itself: drop --user/--password, --api-key and \
                 user:password@ in --url",
            ));
        }
        let mut secrets: Vec<Secret> = Vec::new();
        if let Some(s) = &opts.sigv4 {
            secrets.extend(s.credentials().secrets());
        }
        if let Some((_, p)) = &basic {
            secrets.push(p.clone());
        }
        if let Some(k) = &opts.api_key {
            secrets.push(k.clone());
        }
        let ca = match &opts.ca_cert {
            Some(path) => Some(std::fs::read(path).map_err(|e| Error::io(path, e))?),
            None => None,
        };
        let build_err = |e: &dyn std::fmt::Display| {
            Error::config("--url", format!("cannot build a client for {shown}: {e}"))
        };
        // The two crates have the same transport API under different paths: one body serves
        // both. `$encoded_key` turns an API key without `:` into credentials (OpenSearch only
        // takes `id:key`; Elasticsearch also takes the encoded form).
        macro_rules! build_transport {
            ($krate:ident, $variant:ident, $encoded_key:expr) => {{
                use $krate::auth::Credentials;
                use $krate::cert::{Certificate, CertificateValidation};
                use $krate::http::transport::{SingleNodeConnectionPool, TransportBuilder};
                let mut b = TransportBuilder::new(SingleNodeConnectionPool::new(url.clone()))
                    .timeout(opts.timeout)
                    .disable_proxy();
                if let Some((u, p)) = &basic {
                    b = b.auth(Credentials::Basic(u.clone(), p.expose().to_owned()));
                }
                if let Some(k) = &opts.api_key {
                    b = b.auth(match k.expose().split_once(':') {
                        Some((id, key)) => Credentials::ApiKey(id.to_owned(), key.to_owned()),
                        None => $encoded_key(k.expose())?,
                    });
                }
                if opts.insecure {
                    b = b.cert_validation(CertificateValidation::None);
                } else if let (Some(pem), Some(path)) = (&ca, &opts.ca_cert) {
                    let cert = Certificate::from_pem(pem).map_err(|e| {
                        Error::config("--ca-cert", format!("{}: {e}", path.display()))
                    })?;
                    b = b.cert_validation(CertificateValidation::Full(cert));
                }
                Transport::$variant($krate::$variant::new(b.build().map_err(|e| build_err(&e))?))
            }};
        }
        let transport = match kind {
            EngineKind::OpenSearch => build_transport!(opensearch, OpenSearch, |_: &str| Err(
                Error::config("--api-key", "OpenSearch API keys are given as id:key")
            )),
            EngineKind::Elasticsearch => {
                build_transport!(elasticsearch, Elasticsearch, |key: &str| Ok::<_, Error>(
                    elasticsearch::auth::Credentials::EncodedApiKey(key.to_owned())
                ))
            }
        };
        Ok(Client {
            transport,
            base: url,
            sigv4: opts.sigv4.clone(),
            url: shown,
            secrets,
            timeout: opts.timeout,
            gzip: opts.gzip,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the cluster is OpenSearch Serverless (requests signed for `aoss`).
    pub fn serverless(&self) -> bool {
        self.sigv4
            .as_ref()
            .is_some_and(|s| s.service == AwsService::Aoss)
    }

    /// Which engine this client talks to (the transport it was built with).
    pub fn kind(&self) -> EngineKind {
        match self.transport {
            Transport::OpenSearch(_) => EngineKind::OpenSearch,
            Transport::Elasticsearch(_) => EngineKind::Elasticsearch,
        }
    }

    fn scrub(&self, s: &str) -> String {
        scrub(s, &self.secrets.iter().collect::<Vec<_>>())
    }

    /// A 2xx answer that cannot be read (see [`Error::BadAnswer`]).
    pub fn bad_answer(&self, message: impl Into<String>) -> Error {
        Error::BadAnswer {
            url: self.url.clone(),
            message: self.scrub(&message.into()),
        }
    }

    fn unreachable(&self, e: &dyn std::error::Error, timeout: bool) -> Error {
        let mut message = self.scrub(&crate::error::chain(e));
        if timeout {
            message = format!(
                "timed out after {:?} ({message}); a busy cluster may need a larger --timeout",
                self.timeout
            );
        } else if self.url.starts_with("https:") {
            message.push_str(tls_hint(&message));
        } else {
            message.push_str("; is the engine running at this address? check --url");
        }
        Error::Unreachable {
            url: self.url.clone(),
            message,
        }
    }

    /// Send a request; returns status and body bytes, or `Unreachable` when no answer came.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        ndjson: bool,
    ) -> Result<(u16, Vec<u8>)> {
        let path = format!("/{}", path.trim_start_matches('/'));
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (
                p.to_owned(),
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect::<Vec<(String, String)>>(),
            ),
            None => (path, Vec::new()),
        };
        // A signed request carries its query in the path, encoded here, and the signature of
        // the URL the transport will build from it (it joins the path to the base URL the same
        // way) and of the exact body bytes (the transports send them unchanged: no request
        // compression is enabled).
        let (path, query, signed) = match &self.sigv4 {
            Some(signer) => {
                let mut target = path;
                for (i, (k, v)) in query.iter().enumerate() {
                    target.push(if i == 0 { '?' } else { '&' });
                    target.extend(utf8_percent_encode(k, QUERY_VALUE));
                    target.push('=');
                    target.extend(utf8_percent_encode(v, QUERY_VALUE));
                }
                let url = self
                    .base
                    .join(target.trim_start_matches('/'))
                    .map_err(|e| {
                        Error::config(
                            "--url",
                            format!("cannot join `{target}` to {}: {e}", self.url),
                        )
                    })?;
                let body = body.as_deref().unwrap_or_default();
                let headers = signer.sign(method.as_str(), &url, body, SystemTime::now())?;
                (target, Vec::new(), headers)
            }
            None => (path, query, Vec::new()),
        };
        let query = if query.is_empty() { None } else { Some(&query) };
        // The two crates have the same transport API under different paths: one body serves both.
        macro_rules! send_via {
            ($krate:ident, $c:expr) => {{
                use $krate::http::Method as M;
                use $krate::http::headers::{
                    ACCEPT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue,
                };
                let m = match method {
                    Method::Get => M::Get,
                    Method::Put => M::Put,
                    Method::Post => M::Post,
                    Method::Delete => M::Delete,
                    Method::Head => M::Head,
                };
                let mut headers = HeaderMap::new();
                // The crates' HTTP client asks for gzip unless told otherwise.
                if !self.gzip {
                    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
                }
                for h in &signed {
                    let mut value = HeaderValue::from_str(&h.value)
                        .map_err(|e| Error::config("--aws-sigv4", format!("{}: {e}", h.name)))?;
                    value.set_sensitive(h.sensitive || h.name == "authorization");
                    headers.insert(h.name, value);
                }
                if ndjson {
                    headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-ndjson"),
                    );
                }
                let resp = $c
                    .send(m, &path, headers, query, body, None)
                    .await
                    .map_err(|e| self.unreachable(&e, e.is_timeout()))?;
                let status = resp.status_code().as_u16();
                let bytes = resp
                    .bytes()
                    .await
                    .map_err(|e| self.unreachable(&e, false))?;
                Ok((status, bytes.to_vec()))
            }};
        }
        match &self.transport {
            Transport::OpenSearch(c) => send_via!(opensearch, c),
            Transport::Elasticsearch(c) => send_via!(elasticsearch, c),
        }
    }

    fn check(&self, status: u16, bytes: &[u8]) -> Result<()> {
        if (200..300).contains(&status) {
            return Ok(());
        }
        let reason = match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => v
                .get("error")
                .map(super::describe_error)
                .unwrap_or_else(|| v.to_string()),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let hint = match status {
            401 => " (check --user/--password or --api-key)",
            403 => " (the credentials lack the privilege for this action)",
            _ => "",
        };
        Err(Error::Engine {
            url: self.url.clone(),
            status,
            reason: format!("{}{hint}", self.scrub(&super::truncate(&reason, 500))),
        })
    }

    /// A JSON request whose answer must be 2xx JSON.
    pub async fn json(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let body = body.map(|b| serde_json::to_vec(&b).expect("a JSON value serializes"));
        let (status, bytes) = self.send(method, path, body, false).await?;
        self.check(status, &bytes)?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| self.bad_answer(format!("answer is not JSON: {e}")))
    }

    pub async fn exists(&self, path: &str) -> Result<bool> {
        let (status, bytes) = self.send(Method::Head, path, None, false).await?;
        match status {
            200 => Ok(true),
            404 => Ok(false),
            _ => self.check(status, &bytes).map(|_| false),
        }
    }

    /// POST `_bulk` with an NDJSON body; the parsed answer (items are read by the caller).
    pub async fn bulk(&self, ndjson: Vec<u8>) -> Result<Value> {
        let (status, bytes) = self.send(Method::Post, "_bulk", Some(ndjson), true).await?;
        self.check(status, &bytes)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| self.bad_answer(format!("bulk answer is not JSON: {e}")))
    }
}

/// What to do when an https request got no answer, judged from the error chain's text (rustls
/// says "invalid peer certificate: UnknownIssuer", "certificate not valid for name ...", ...).
fn tls_hint(chain: &str) -> &'static str {
    let c = chain.to_ascii_lowercase();
    if [
        "unknownissuer",
        "unknown issuer",
        "self-signed",
        "self signed",
    ]
    .iter()
    .any(|m| c.contains(m))
    {
        "; the server's TLS certificate is not trusted (no known CA signed it): give the CA \
         certificate that signed it (PEM) with --ca-cert FILE, or skip verification with \
         --insecure (test clusters only)"
    } else if c.contains("not valid for name") || c.contains("notvalidforname") {
        "; the server's TLS certificate is not issued for this host name: use in --url a name the \
         certificate lists, or skip verification with --insecure (test clusters only)"
    } else if c.contains("certificate") {
        "; the server's TLS certificate was refused (expired? signed by another CA?): give the CA \
         that signed it with --ca-cert FILE, or skip verification with --insecure (test clusters \
         only)"
    } else {
        "; check --url (http:// if the engine does not use TLS), and --ca-cert for a certificate \
         signed by your own CA"
    }
}

#[cfg(test)]
#[path = "tests/client.rs"]
mod tests;
