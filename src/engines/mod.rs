//! The two search engines behind one type; engine-specific JSON lives in pure functions.
//!
//! [`Engine`] wraps a client of the `opensearch` or `elasticsearch` crate; which one is the single
//! record of the engine's kind ([`Engine::kind`]). Every method that differs is one
//! `match self.kind()`; the differences between the engines are JSON bodies ([`opensearch`],
//! [`elasticsearch`]), so they are unit-tested without a server and the behaviour tests run
//! against both real engines.

pub mod bulk;
mod client;
pub mod elasticsearch;
pub mod opensearch;
pub mod secret;
pub mod spec;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

pub use self::bulk::{BulkDoc, ItemOutcome};
use self::client::{Client, Method};
pub use self::secret::{Secret, redact_url};
pub use self::spec::{IndexSpec, KnnParams, Similarity, TermFilter};
use crate::error::{Error, Result};
use crate::hit::Hit;

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
    fn detect(root: &Value) -> Option<EngineKind> {
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

/// A connected engine; its client's transport says which ([`Engine::kind`]).
#[derive(Debug, Clone)]
pub struct Engine {
    client: Client,
}

/// Hits of one search plus the engine's own `took` (ms).
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    pub took_ms: u64,
    /// `_source` of each hit (title, text), for display.
    pub sources: Vec<Value>,
}

impl Engine {
    /// Connect, detecting the engine from `GET /` unless `opts.kind` says which.
    pub async fn connect(opts: &ConnectOptions) -> Result<(Engine, EngineInfo)> {
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
        let engine = Engine { client };
        let plugins = match kind {
            EngineKind::OpenSearch => engine.plugins().await?,
            EngineKind::Elasticsearch => Vec::new(),
        };
        let info = EngineInfo {
            kind,
            version: root
                .pointer("/version/number")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned(),
            url: engine.url().to_owned(),
            cluster_name: root
                .get("cluster_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            plugins,
        };
        Ok((engine, info))
    }

    /// The OpenSearch plugins installed (components of `_cat/plugins`, sorted, deduplicated).
    async fn plugins(&self) -> Result<Vec<String>> {
        let rows = self
            .client
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

    fn client(&self) -> &Client {
        &self.client
    }

    pub fn kind(&self) -> EngineKind {
        self.client.kind()
    }

    /// The engine's URL, credentials removed.
    pub fn url(&self) -> &str {
        self.client().url()
    }

    pub async fn index_exists(&self, index: &str) -> Result<bool> {
        self.client().exists(index).await
    }

    pub fn create_index_body(&self, spec: &IndexSpec) -> Value {
        match self.kind() {
            EngineKind::OpenSearch => opensearch::create_index_body(spec),
            EngineKind::Elasticsearch => elasticsearch::create_index_body(spec),
        }
    }

    pub async fn create_index(&self, spec: &IndexSpec) -> Result<()> {
        let body = self.create_index_body(spec);
        self.client()
            .json(Method::Put, &spec.name, Some(body))
            .await
            .map(drop)
    }

    pub async fn delete_index(&self, index: &str) -> Result<()> {
        match self.client().json(Method::Delete, index, None).await {
            Ok(_) => Ok(()),
            Err(Error::Engine { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The differences between an existing index's vector mapping and the spec (empty = fine).
    pub async fn mapping_differences(&self, spec: &IndexSpec) -> Result<Vec<String>> {
        let body = self
            .client()
            .json(Method::Get, &format!("{}/_mapping", spec.name), None)
            .await?;
        let mapping = body
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.get("mappings"))
            .cloned()
            .unwrap_or(Value::Null);
        let found = match self.kind() {
            EngineKind::OpenSearch => opensearch::vector_field_of(&mapping),
            EngineKind::Elasticsearch => elasticsearch::vector_field_of(&mapping),
        };
        Ok(spec.differences(&mapping, found))
    }

    /// Whether the engine knows an analyzer (probed with `_analyze`).
    pub async fn has_analyzer(&self, analyzer: &str) -> Result<bool> {
        match self
            .client()
            .json(
                Method::Post,
                "_analyze",
                Some(json!({"analyzer": analyzer, "text": "probe"})),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::Engine { status: 400, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Send one bulk body (NDJSON of `n` documents) and return one outcome per document.
    /// Transport errors and whole-request errors come back as `Err` (see `Error::is_transient`).
    pub async fn bulk(&self, ndjson: Vec<u8>, n: usize) -> Result<Vec<ItemOutcome>> {
        let body = self.client().bulk(ndjson).await?;
        bulk::parse_bulk_response(&body, n).map_err(|reason| self.client.bad_answer(reason))
    }

    pub async fn refresh(&self, index: &str) -> Result<()> {
        self.client()
            .json(Method::Post, &format!("{index}/_refresh"), None)
            .await
            .map(drop)
    }

    pub async fn count(&self, index: &str) -> Result<u64> {
        let body = self
            .client()
            .json(Method::Get, &format!("{index}/_count"), None)
            .await?;
        body.get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.client.bad_answer(format!("no `count` in {body}")))
    }

    /// Every document id in the index (sorted), paging with search_after on the keyword id.
    pub async fn all_ids(&self, index: &str) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut after: Option<Value> = None;
        loop {
            let mut body = json!({"size": 5000, "_source": false, "sort": [{spec::FIELD_ID: "asc"}], "query": {"match_all": {}}});
            if let Some(a) = &after {
                body["search_after"] = a.clone();
            }
            let res = self
                .client()
                .json(Method::Post, &format!("{index}/_search"), Some(body))
                .await?;
            let hits = res
                .pointer("/hits/hits")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if hits.is_empty() {
                break;
            }
            for h in &hits {
                if let Some(id) = h.get("_id").and_then(Value::as_str) {
                    ids.push(id.to_owned());
                }
            }
            after = hits.last().and_then(|h| h.get("sort")).cloned();
        }
        Ok(ids)
    }

    /// kNN search; scores converted back to the similarity (see each engine's
    /// `score_to_similarity`).
    pub async fn knn(
        &self,
        index: &str,
        vector: &[f32],
        params: &KnnParams,
        filters: &[TermFilter],
        similarity: Similarity,
    ) -> Result<SearchResult> {
        let (body, to_similarity): (_, fn(f32, Similarity) -> f32) = match self.kind() {
            EngineKind::OpenSearch => (
                opensearch::knn_body(vector, params, filters),
                opensearch::score_to_similarity,
            ),
            EngineKind::Elasticsearch => (
                elasticsearch::knn_body(vector, params, filters),
                elasticsearch::score_to_similarity,
            ),
        };
        let mut res = self.search(index, body).await?;
        for h in &mut res.hits {
            h.score = to_similarity(h.score, similarity);
        }
        Ok(res)
    }

    /// BM25 over title and text (scores are BM25 scores).
    pub async fn bm25(
        &self,
        index: &str,
        text: &str,
        size: usize,
        filters: &[TermFilter],
    ) -> Result<SearchResult> {
        self.search(index, spec::bm25_body(text, size, filters))
            .await
    }

    /// Any search body; hits in the engine's order, ties broken by id as documented.
    pub async fn search(&self, index: &str, body: Value) -> Result<SearchResult> {
        let res = self
            .client()
            .json(Method::Post, &format!("{index}/_search"), Some(body))
            .await?;
        let took_ms = res.get("took").and_then(Value::as_u64).unwrap_or(0);
        let raw = res
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut pairs: Vec<(Hit, Value)> = raw
            .into_iter()
            .filter_map(|h| {
                let id = h.get("_id")?.as_str()?.to_owned();
                let score = h.get("_score").and_then(Value::as_f64).unwrap_or(0.0) as f32;
                Some((
                    Hit::new(id, score),
                    h.get("_source").cloned().unwrap_or(Value::Null),
                ))
            })
            .collect();
        pairs.sort_by(|a, b| crate::hit::hit_order(&a.0, &b.0));
        let (hits, sources) = pairs.into_iter().unzip();
        Ok(SearchResult {
            hits,
            took_ms,
            sources,
        })
    }
}
