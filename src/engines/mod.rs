//! The two search engines behind one type; engine-specific JSON lives in pure functions.
//!
//! [`Engine`] wraps a client of the `opensearch` or `elasticsearch` crate; which one is the single
//! record of the engine's kind ([`Engine::kind`]). Every method that differs is one
//! `match self.kind()`; the differences between the engines are JSON bodies ([`opensearch`],
//! [`elasticsearch`]), so they are unit-tested without a server and the behaviour tests run
//! against both real engines.

pub mod aws;
pub mod bulk;
pub mod capabilities;
mod client;
pub mod cloud_id;
mod connect;
pub mod discover;
pub mod elasticsearch;
pub mod names;
pub mod opensearch;
pub mod schema;
mod search;
pub mod secret;
pub mod spec;

use serde_json::{Value, json};

pub use self::aws::{AwsCredentials, AwsService, SigV4};
pub use self::bulk::{BulkDoc, DocVectors, ItemOutcome, PassageVector};
use self::client::{Client, Method};
pub use self::cloud_id::CloudId;
pub use self::connect::{ConnectOptions, EngineInfo, EngineKind};
pub use self::schema::{IndexLayout, Schema, SchemaPreset, SchemaRequest};
pub use self::search::shard_failures;
pub use self::secret::{Secret, redact_url};
pub use self::spec::{IndexSpec, KnnParams, Similarity, TermFilter};
use crate::error::{Error, Result};
use crate::hit::Hit;

/// A connected engine; its client's transport says which ([`Engine::kind`]).
#[derive(Debug, Clone)]
pub struct Engine {
    client: Client,
    /// From `GET /` at connect time; `None` when it did not parse.
    version: Option<capabilities::Version>,
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
    fn client(&self) -> &Client {
        &self.client
    }

    pub fn kind(&self) -> EngineKind {
        self.client.kind()
    }

    /// Amazon OpenSearch Serverless (`--aws-service aoss`): no client-chosen `_id`, no
    /// `_refresh`, no `GET /`; hits name their document by the `doc_id` field.
    pub fn serverless(&self) -> bool {
        self.client.serverless()
    }

    /// The corpus id of a hit in `all_ids`: `_id`, or on Serverless (where `_id` is the
    /// engine's) the default schema's id field of its `_source`.
    fn hit_id(&self, hit: &Value) -> Option<String> {
        let id = match (self.serverless(), Schema::default().id) {
            (true, Some(field)) => hit.get("_source")?.get(field)?.clone(),
            _ => hit.get("_id")?.clone(),
        };
        id.as_str().map(str::to_owned)
    }

    /// The engine's version, as `GET /` said at connect time.
    pub fn version(&self) -> Option<capabilities::Version> {
        self.version
    }

    /// The engine's URL, credentials removed.
    pub fn url(&self) -> &str {
        self.client().url()
    }

    /// GET a JSON answer (2xx) at `path` (an index, `_alias/NAME`, `_cat/...?format=json`).
    pub async fn get_json(&self, path: &str) -> Result<Value> {
        self.client().json(Method::Get, path, None).await
    }

    /// POST a JSON body to `path` (e.g. `_aliases`); the 2xx answer.
    pub async fn post_json(&self, path: &str, body: Value) -> Result<Value> {
        self.client().json(Method::Post, path, Some(body)).await
    }

    pub async fn index_exists(&self, index: &str) -> Result<bool> {
        self.client().exists(&names::path_segment(index)).await
    }

    pub fn create_index_body(&self, spec: &IndexSpec) -> Value {
        match self.kind() {
            EngineKind::OpenSearch => opensearch::create_index_body(spec),
            EngineKind::Elasticsearch => elasticsearch::create_index_body(spec),
        }
    }

    pub async fn create_index(&self, spec: &IndexSpec) -> Result<()> {
        if let Some(v) = self.version {
            capabilities::check_index_type(self.kind(), v, spec.es_index_type)?;
        }
        names::check_index_name("index name", &spec.name)?;
        let body = self.create_index_body(spec);
        self.client()
            .json(Method::Put, &names::path_segment(&spec.name), Some(body))
            .await
            .map(drop)
    }

    /// Delete the concrete index `index`; a pattern (`docs*`, `a,b`) or another bad name is
    /// refused before any request ([`names::check_index_name`]).
    pub async fn delete_index(&self, index: &str) -> Result<()> {
        names::check_index_name("index name", index)?;
        let path = names::path_segment(index);
        match self.client().json(Method::Delete, &path, None).await {
            Ok(_) => Ok(()),
            Err(Error::Engine { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The mappings of `index` (an alias or pattern gives several): concrete index name and its
    /// `mappings`.
    pub async fn mappings(&self, index: &str) -> Result<Vec<(String, Value)>> {
        let body = self
            .client()
            .json(
                Method::Get,
                &format!("{}/_mapping", names::path_segment(index)),
                None,
            )
            .await?;
        let Some(obj) = body.as_object() else {
            return Err(self
                .client
                .bad_answer(format!("mapping of `{index}` is not an object")));
        };
        Ok(obj
            .iter()
            .map(|(name, v)| {
                let m = v.get("mappings").cloned().unwrap_or(Value::Null);
                (name.clone(), m)
            })
            .collect())
    }

    /// How `index` lays out its documents (see [`SchemaRequest::resolve`]); an index that does
    /// not exist is an error naming it.
    pub async fn layout(&self, index: &str, request: &SchemaRequest) -> Result<IndexLayout> {
        let mappings = match self.mappings(index).await {
            Err(Error::Engine { status: 404, .. }) => {
                return Err(Error::Layout {
                    index: index.to_owned(),
                    message: format!("no such index or alias on {}", self.url()),
                });
            }
            other => other?,
        };
        request
            .resolve(self.kind(), &mappings)
            .map_err(|message| Error::Layout {
                index: index.to_owned(),
                message,
            })
    }

    /// The schema sembridge recorded in an existing index's `_meta` (`None`: no such index, or
    /// not written by sembridge).
    pub async fn recorded_schema(&self, index: &str) -> Result<Option<Schema>> {
        if !self.index_exists(index).await? {
            return Ok(None);
        }
        Ok(self.mappings(index).await?.first().and_then(|(_, m)| {
            serde_json::from_value(m.pointer("/_meta/sembridge/schema")?.clone()).ok()
        }))
    }

    /// How sembridge cut the documents of an index (or of an alias' first index) into passages,
    /// as its `_meta` records; `None` for one vector per document, or no such index.
    pub async fn recorded_chunking(
        &self,
        index: &str,
    ) -> Result<Option<crate::corpus::chunk::ChunkOptions>> {
        if !self.index_exists(index).await? {
            return Ok(None);
        }
        Ok(self
            .mappings(index)
            .await?
            .first()
            .and_then(|(_, m)| spec::recorded_chunking(m)))
    }

    /// The differences between an existing index's mapping and the spec (empty = fine).
    pub async fn mapping_differences(&self, spec: &IndexSpec) -> Result<Vec<String>> {
        let mappings = self.mappings(&spec.name).await?;
        let mapping = mappings
            .into_iter()
            .next()
            .map(|m| m.1)
            .unwrap_or(Value::Null);
        Ok(spec.differences(&mapping))
    }

    /// Whether the engine knows an analyzer (probed with `_analyze`); `None` when the credentials
    /// may not ask (`_analyze` without an index needs a cluster privilege, e.g. Elasticsearch's
    /// `manage`, that a user who may only write some indexes often lacks).
    pub async fn has_analyzer(&self, analyzer: &str) -> Result<Option<bool>> {
        match self
            .client()
            .json(
                Method::Post,
                "_analyze",
                Some(json!({"analyzer": analyzer, "text": "probe"})),
            )
            .await
        {
            Ok(_) => Ok(Some(true)),
            Err(Error::Engine { status: 400, .. }) => Ok(Some(false)),
            Err(Error::Engine {
                status: 401 | 403, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Send one bulk body (NDJSON of `n` documents) and return one outcome per document.
    /// Transport errors and whole-request errors come back as `Err` (see `Error::is_transient`).
    pub async fn bulk(&self, ndjson: Vec<u8>, n: usize) -> Result<Vec<ItemOutcome>> {
        let body = self.client().bulk(ndjson).await?;
        bulk::parse_bulk_response(&body, n).map_err(|reason| self.client.bad_answer(reason))
    }

    /// Make what was indexed searchable; nothing on Serverless, which has no `_refresh` (it
    /// makes documents searchable by itself within seconds).
    pub async fn refresh(&self, index: &str) -> Result<()> {
        if self.serverless() {
            return Ok(());
        }
        self.client()
            .json(
                Method::Post,
                &format!("{}/_refresh", names::path_segment(index)),
                None,
            )
            .await
            .map(drop)
    }

    pub async fn count(&self, index: &str) -> Result<u64> {
        let body = self
            .client()
            .json(
                Method::Get,
                &format!("{}/_count", names::path_segment(index)),
                None,
            )
            .await?;
        self.check_shards(index, &body)?;
        body.get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.client.bad_answer(format!("no `count` in {body}")))
    }

    /// Every document id in the index (`_id`, or on Serverless `doc_id`; sorted).
    pub async fn all_ids(&self, index: &str) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let source = match (self.serverless(), Schema::default().id) {
            (true, Some(field)) => json!([field]),
            _ => json!(false),
        };
        self.scroll(index, source, 5000, |hits| {
            ids.extend(hits.iter().filter_map(|h| self.hit_id(h)));
            Ok(())
        })
        .await?;
        ids.sort();
        Ok(ids)
    }

    /// Read every document of `index` with a scroll in index order (`_doc`), `page` hits at a
    /// time, each page handed to `each`; `source` is the `_source` filter of the request. The
    /// scroll is cleared at the end, also when `each` fails.
    pub async fn scroll(
        &self,
        index: &str,
        source: Value,
        page: usize,
        mut each: impl FnMut(&[Value]) -> Result<()>,
    ) -> Result<u64> {
        const KEEP: &str = "2m";
        let body =
            json!({"size": page, "sort": ["_doc"], "_source": source, "query": {"match_all": {}}});
        let mut res = self
            .client()
            .json(
                Method::Post,
                &format!("{index}/_search?scroll={KEEP}"),
                Some(body),
            )
            .await?;
        let mut seen = 0u64;
        let mut scroll_id: Option<String> = None;
        let outcome = loop {
            if let Some(id) = res.get("_scroll_id").and_then(Value::as_str) {
                scroll_id = Some(id.to_owned());
            }
            if let Err(e) = self.check_shards(index, &res) {
                break Err(e);
            }
            let hits = res
                .pointer("/hits/hits")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if hits.is_empty() {
                break Ok(seen);
            }
            seen += hits.len() as u64;
            if let Err(e) = each(&hits) {
                break Err(e);
            }
            let Some(id) = scroll_id.clone() else {
                break Err(self
                    .client
                    .bad_answer("scroll answer without `_scroll_id`".to_owned()));
            };
            res = match self
                .client()
                .json(
                    Method::Post,
                    "_search/scroll",
                    Some(json!({"scroll": KEEP, "scroll_id": id})),
                )
                .await
            {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
        };
        if let Some(id) = scroll_id {
            // Best effort: a scroll not cleared expires after KEEP anyway.
            let _ = self
                .client()
                .json(
                    Method::Delete,
                    "_search/scroll",
                    Some(json!({"scroll_id": [id]})),
                )
                .await;
        }
        outcome
    }
}
