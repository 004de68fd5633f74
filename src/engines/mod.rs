//! The two search engines behind one enum; engine-specific JSON lives in pure functions.
//!
//! [`Engine`] wraps the `opensearch` and `elasticsearch` client crates. Every method is one
//! `match`; the differences between the engines are JSON bodies ([`opensearch`],
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    #[value(name = "opensearch")]
    OpenSearch,
    #[value(name = "elasticsearch")]
    Elasticsearch,
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

/// A connected engine.
#[derive(Debug, Clone)]
pub enum Engine {
    OpenSearch(Client),
    Elasticsearch(Client),
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
        let probe = Client::new(opts, EngineKind::OpenSearch)?;
        let root = probe.json(Method::Get, "", None).await?;
        let detected = if root
            .pointer("/version/distribution")
            .and_then(Value::as_str)
            == Some("opensearch")
        {
            EngineKind::OpenSearch
        } else if root.pointer("/version/number").is_some() {
            EngineKind::Elasticsearch
        } else {
            return Err(Error::Engine {
                url: probe.url().to_owned(),
                status: 200,
                reason:
                    "`GET /` did not answer like OpenSearch or Elasticsearch (no version.number)"
                        .into(),
            });
        };
        let kind = opts.kind.unwrap_or(detected);
        let engine = match kind {
            EngineKind::OpenSearch => Engine::OpenSearch(probe),
            EngineKind::Elasticsearch => {
                Engine::Elasticsearch(Client::new(opts, EngineKind::Elasticsearch)?)
            }
        };
        let plugins = match &engine {
            Engine::OpenSearch(c) => {
                let rows = c
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
                p
            }
            Engine::Elasticsearch(_) => Vec::new(),
        };
        let info = EngineInfo {
            kind,
            version: root
                .pointer("/version/number")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned(),
            url: engine.client().url().to_owned(),
            cluster_name: root
                .get("cluster_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            plugins,
        };
        Ok((engine, info))
    }

    fn client(&self) -> &Client {
        match self {
            Engine::OpenSearch(c) | Engine::Elasticsearch(c) => c,
        }
    }

    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::OpenSearch(_) => EngineKind::OpenSearch,
            Engine::Elasticsearch(_) => EngineKind::Elasticsearch,
        }
    }

    /// The engine's URL, credentials removed.
    pub fn url(&self) -> &str {
        self.client().url()
    }

    pub async fn index_exists(&self, index: &str) -> Result<bool> {
        self.client().exists(index).await
    }

    pub fn create_index_body(&self, spec: &IndexSpec) -> Value {
        match self {
            Engine::OpenSearch(_) => opensearch::create_index_body(spec),
            Engine::Elasticsearch(_) => elasticsearch::create_index_body(spec),
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
        let found = match self {
            Engine::OpenSearch(_) => opensearch::vector_field_of(&mapping),
            Engine::Elasticsearch(_) => elasticsearch::vector_field_of(&mapping),
        };
        let mut diffs = Vec::new();
        match found {
            None => diffs.push(format!("no vector field `{}`", spec::FIELD_VECTOR)),
            Some((dims, sim)) => {
                if dims != spec.dims {
                    diffs.push(format!(
                        "vector dims {dims} in the index, {} from the model",
                        spec.dims
                    ));
                }
                if let Some(sim) = sim
                    && sim != spec.similarity
                {
                    diffs.push(format!(
                        "similarity {sim} in the index, {} requested",
                        spec.similarity
                    ));
                }
            }
        }
        for field in [spec::FIELD_TITLE, spec::FIELD_TEXT, spec::FIELD_ID] {
            if mapping.pointer(&format!("/properties/{field}")).is_none() {
                diffs.push(format!("no field `{field}`"));
            }
        }
        if let (Some(want), Some(have)) = (
            spec.model.as_deref(),
            mapping
                .pointer("/_meta/sembridge/model")
                .and_then(Value::as_str),
        ) && want != have
        {
            diffs.push(format!(
                "vectors written by model {have}, this job uses {want}"
            ));
        }
        Ok(diffs)
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
        bulk::parse_bulk_response(&body, n).map_err(|reason| Error::Engine {
            url: self.url().to_owned(),
            status: 200,
            reason,
        })
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
            .ok_or_else(|| Error::Engine {
                url: self.url().to_owned(),
                status: 200,
                reason: format!("no count in {body}"),
            })
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
        let body = match self {
            Engine::OpenSearch(_) => opensearch::knn_body(vector, params, filters),
            Engine::Elasticsearch(_) => elasticsearch::knn_body(vector, params, filters),
        };
        let mut res = self.search(index, body).await?;
        for h in &mut res.hits {
            h.score = match self {
                Engine::OpenSearch(_) => opensearch::score_to_similarity(h.score, similarity),
                Engine::Elasticsearch(_) => elasticsearch::score_to_similarity(h.score, similarity),
            };
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
