//! Connecting to a cluster: how to reach it ([`ConnectOptions`]), which engine answers
//! ([`EngineKind`], told from `GET /`) and what it said ([`EngineInfo`]).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::aws::{AwsService, SigV4};
use super::client::{Client, Method};
use super::secret::Secret;
use crate::error::{Error, Result};

/// Which engine a cluster runs. Displayed as the product name; [`EngineKind::name`] is the
/// lowercase spelling of flags and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    OpenSearch,
    Elasticsearch,
}

impl EngineKind {
    pub const ALL: [EngineKind; 2] = [EngineKind::OpenSearch, EngineKind::Elasticsearch];

    /// `opensearch` or `elasticsearch`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::OpenSearch => "opensearch",
            EngineKind::Elasticsearch => "elasticsearch",
        }
    }

    /// Which engine answered `GET /` with `root`, if either.
    pub(super) fn detect(root: &Value) -> Option<EngineKind> {
        if root
            .pointer("/version/distribution")
            .and_then(Value::as_str)
            == Some("opensearch")
        {
            Some(EngineKind::OpenSearch)
        } else if root.pointer("/version/number").is_some() {
            Some(EngineKind::Elasticsearch)
        } else {
            None
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EngineKind::OpenSearch => "OpenSearch",
            EngineKind::Elasticsearch => "Elasticsearch",
        })
    }
}

/// How to reach a cluster. Credentials may also come inside the URL (`https://user:pw@host`);
/// they are taken out of it and never printed.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    pub kind: Option<EngineKind>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Elasticsearch API key: `id:key` or the base64 encoded form.
    pub api_key: Option<Secret>,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    pub timeout: Duration,
    /// Let the engine gzip its answers (saves bandwidth on slow links, costs CPU at both ends;
    /// off by default, as it adds milliseconds per query on a local or data-center network).
    pub gzip: bool,
    /// Sign every request with AWS SigV4 (Amazon OpenSearch Service, Serverless).
    pub sigv4: Option<SigV4>,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        ConnectOptions {
            url: url.into(),
            kind: None,
            username: None,
            password: None,
            api_key: None,
            ca_cert: None,
            insecure: false,
            timeout: Duration::from_secs(60),
            gzip: false,
            sigv4: None,
        }
    }
}

/// What `GET /` (and `_cat/plugins` on OpenSearch) said.
#[derive(Debug, Clone, Serialize)]
pub struct EngineInfo {
    pub kind: EngineKind,
    pub version: String,
    pub url: String,
    pub cluster_name: String,
    pub plugins: Vec<String>,
}

/// Open a connection: the client for the engine that answers (detected from `GET /` unless
/// `opts.kind` says which) and what it said about itself.
pub(crate) async fn open(opts: &ConnectOptions) -> Result<(Client, EngineInfo)> {
    if opts.sigv4.as_ref().map(|s| s.service) == Some(AwsService::Aoss) {
        return open_serverless(opts);
    }
    // Probe with a transport that accepts the credentials given: only Elasticsearch's takes
    // an encoded API key (no `:`); the answer to `GET /` then says which engine it is.
    let encoded_key = opts
        .api_key
        .as_ref()
        .is_some_and(|k| !k.expose().contains(':'));
    let probe_kind = opts.kind.unwrap_or(if encoded_key {
        EngineKind::Elasticsearch
    } else {
        EngineKind::OpenSearch
    });
    let probe = Client::new(opts, probe_kind)?;
    let root = probe.json(Method::Get, "", None).await?;
    let detected = EngineKind::detect(&root).ok_or_else(|| {
        probe.bad_answer(
            "`GET /` did not answer like OpenSearch or Elasticsearch (no version.number)",
        )
    })?;
    let kind = opts.kind.unwrap_or(detected);
    let client = match kind == probe_kind {
        true => probe,
        false => Client::new(opts, kind)?,
    };
    let plugins = match kind {
        EngineKind::OpenSearch => plugins(&client).await?,
        EngineKind::Elasticsearch => Vec::new(),
    };
    let info = EngineInfo {
        kind,
        version: root
            .pointer("/version/number")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        url: client.url().to_owned(),
        cluster_name: root
            .get("cluster_name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        plugins,
    };
    Ok((client, info))
}

/// OpenSearch Serverless has no `GET /` (nor `_cat/plugins`): the engine is OpenSearch by
/// definition and nothing is asked before the first real request.
fn open_serverless(opts: &ConnectOptions) -> Result<(Client, EngineInfo)> {
    if opts.kind == Some(EngineKind::Elasticsearch) {
        return Err(Error::config(
            "--engine",
            "--aws-service aoss is OpenSearch Serverless; drop --engine elasticsearch",
        ));
    }
    let client = Client::new(opts, EngineKind::OpenSearch)?;
    let info = EngineInfo {
        kind: EngineKind::OpenSearch,
        version: "serverless".to_owned(),
        url: client.url().to_owned(),
        cluster_name: String::new(),
        plugins: Vec::new(),
    };
    Ok((client, info))
}

/// The OpenSearch plugins installed (components of `_cat/plugins`, sorted, deduplicated).
async fn plugins(client: &Client) -> Result<Vec<String>> {
    let rows = client
        .json(Method::Get, "_cat/plugins?format=json&h=component", None)
        .await?;
    let mut p: Vec<String> = rows
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("component")?.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    p.sort();
    p.dedup();
    Ok(p)
}
