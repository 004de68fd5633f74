//! Indexes on the engine: whether one exists (and the one message when it does not), creating,
//! deleting, refreshing and counting one, and reading its mapping back as a layout, a recorded
//! schema or chunking, or its differences from a spec.

use serde_json::Value;

use super::layout::discover::{IndexLayout, SchemaRequest};
use super::layout::schema::Schema;
use super::layout::spec::{self, IndexSpec};
use super::transport::client::Method;
use super::{Engine, EngineKind, capabilities, elasticsearch, names, opensearch};
use crate::error::{Error, Result};

impl Engine {
    pub async fn index_exists(&self, index: &str) -> Result<bool> {
        self.client().exists(&names::path_segment(index)).await
    }

    /// "index `NAME` does not exist on URL": the one wording of a missing index.
    pub fn missing_index(&self, index: &str) -> String {
        format!("index `{index}` does not exist on {}", self.url())
    }

    /// Ok when `index` exists; else a configuration error naming `--index` (for a command that
    /// reads an index it does not create).
    pub async fn require_index(&self, index: &str) -> Result<()> {
        if !self.index_exists(index).await? {
            return Err(Error::config("--index", self.missing_index(index)));
        }
        Ok(())
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

    /// The mapping of an existing index (of an alias' first index); `None` when there is no
    /// such index.
    async fn existing_mapping(&self, index: &str) -> Result<Option<Value>> {
        if !self.index_exists(index).await? {
            return Ok(None);
        }
        Ok(self.mappings(index).await?.into_iter().next().map(|m| m.1))
    }

    /// The schema sembridge recorded in an existing index's `_meta` (`None`: no such index, or
    /// not written by sembridge).
    pub async fn recorded_schema(&self, index: &str) -> Result<Option<Schema>> {
        Ok(self.existing_mapping(index).await?.and_then(|m| {
            serde_json::from_value(m.pointer("/_meta/sembridge/schema")?.clone()).ok()
        }))
    }

    /// How sembridge cut the documents of an index (or of an alias' first index) into passages,
    /// as its `_meta` records; `None` for one vector per document, or no such index.
    pub async fn recorded_chunking(
        &self,
        index: &str,
    ) -> Result<Option<crate::corpus::chunk::ChunkOptions>> {
        Ok(self
            .existing_mapping(index)
            .await?
            .and_then(|m| spec::recorded_chunking(&m)))
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
}
