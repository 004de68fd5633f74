//! The two search engines behind one type; engine-specific JSON lives in pure functions.
//!
//! [`Engine`] wraps a client of the `opensearch` or `elasticsearch` crate; which one is the single
//! record of the engine's kind ([`Engine::kind`]). Every method that differs is one
//! `match self.kind()`; the differences between the engines are JSON bodies ([`opensearch`],
//! [`elasticsearch`]), so they are unit-tested without a server and the behaviour tests run
//! against both real engines.
//!
//! Four rooms: [`transport`] reaches a cluster (HTTP, credentials, connecting), [`layout`] says
//! how an index lays out its documents (schema, mapping discovery, index spec), [`dsl`] holds the
//! query JSON both engines share, and the operations are `impl Engine` blocks, one file per
//! concern: connecting and raw requests here, `indexes.rs` (create, inspect, count), `search.rs`,
//! [`bulk`], [`scan`] (reading an index back) and [`capabilities`].

pub mod bulk;
pub mod capabilities;
pub mod dsl;
pub mod elasticsearch;
mod indexes;
pub mod layout;
pub mod names;
pub mod opensearch;
pub mod scan;
mod search;
pub mod transport;

use serde_json::Value;

pub use self::bulk::{BulkDoc, DocVectors, ItemOutcome, PassageVector};
pub use self::dsl::KnnParams;
pub use self::dsl::filter::TermFilter;
pub use self::dsl::hits::SearchResult;
pub use self::layout::discover::{IndexLayout, SchemaRequest};
pub use self::layout::schema::{Schema, SchemaPreset};
pub use self::layout::spec::IndexSpec;
pub use self::layout::vector::Similarity;
pub use self::transport::aws::{AwsCredentials, AwsService, SigV4};
use self::transport::client::{Client, Method};
pub use self::transport::cloud_id::CloudId;
pub use self::transport::connect::{ConnectOptions, EngineInfo, EngineKind};
pub use self::transport::secret::Secret;
use crate::error::Result;

/// A connected engine; its client's transport says which ([`Engine::kind`]).
#[derive(Debug, Clone)]
pub struct Engine {
    client: Client,
    /// From `GET /` at connect time; `None` when it did not parse.
    version: Option<capabilities::Version>,
}

impl Engine {
    /// Connect, detecting the engine from `GET /` unless `opts.kind` says which.
    pub async fn connect(opts: &ConnectOptions) -> Result<(Engine, EngineInfo)> {
        let (client, info) = transport::connect::open(opts).await?;
        let version = capabilities::Version::parse(&info.version);
        Ok((Engine { client, version }, info))
    }

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
}
