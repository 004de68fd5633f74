//! What an index must look like for sembridge, independent of the engine: field names, vector
//! dimensions, similarity and HNSW parameters. Engine modules turn it into their JSON, and read
//! an existing index's mapping back to compare it with the spec.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::discover::discover_vectors;
use super::schema::Schema;
use super::vector::{EsIndexType, KnnEngine, Similarity, list_vectors};
use crate::corpus::chunk::ChunkOptions;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSpec {
    pub name: String,
    pub dims: usize,
    pub similarity: Similarity,
    pub m: u32,
    pub ef_construction: u32,
    pub knn_engine: KnnEngine,
    pub es_index_type: EsIndexType,
    /// Text analyzer for title and text (e.g. "english", "standard").
    pub analyzer: String,
    pub shards: u32,
    /// Set when `analyzer` was assumed, not probed (`--analyzer auto` with credentials that may
    /// not call `_analyze`): the analyzer to use instead if the engine turns out not to know it.
    #[serde(skip)]
    pub analyzer_fallback: Option<String>,
    /// Replica copies of each shard of a new index (0 on a single node; 1 on a cluster keeps
    /// every document searchable when a node is lost).
    #[serde(default)]
    pub replicas: u32,
    /// Stored in the mapping's `_meta` so a later job can tell which model wrote the vectors.
    pub model: Option<String>,
    /// Field names (stored in `_meta` too, so query and eval find them again).
    pub schema: Schema,
    /// How documents were cut into passages (`None`: one vector per document); stored in `_meta`
    /// so a re-run cuts the same way. With it the schema has [`Schema::passages`].
    #[serde(default)]
    pub chunking: Option<ChunkOptions>,
    /// The alias this index is a version of (`ingest --alias`), stored in `_meta`: `alias
    /// prune` deletes only versions that record their alias.
    #[serde(default)]
    pub alias: Option<String>,
}

impl IndexSpec {
    pub fn new(name: impl Into<String>, dims: usize) -> Self {
        IndexSpec {
            name: name.into(),
            dims,
            similarity: Similarity::Cosine,
            m: 16,
            ef_construction: 100,
            knn_engine: KnnEngine::Lucene,
            es_index_type: EsIndexType::Hnsw,
            analyzer: "standard".into(),
            shards: 1,
            replicas: 0,
            analyzer_fallback: None,
            model: None,
            schema: Schema::default(),
            chunking: None,
            alias: None,
        }
    }

    pub(crate) fn meta(&self) -> Value {
        json!({
            "sembridge": {
                "version": env!("CARGO_PKG_VERSION"),
                "dims": self.dims,
                "similarity": self.similarity,
                "model": self.model,
                "schema": self.schema,
                "chunking": self.chunking,
                "alias": self.alias,
            }
        })
    }

    /// The `mappings` both engines share (`_meta`, the schema's id, title, text and metadata
    /// fields) around the engine's own `vector_field`.
    pub(crate) fn mappings(&self, vector_field: Value) -> Value {
        let mut m = json!({
            "_meta": self.meta(),
            "properties": self.schema.properties(&self.analyzer, vector_field),
        });
        if let Some(t) = self.schema.dynamic_templates() {
            m["dynamic_templates"] = t;
        }
        m
    }

    /// The differences between an existing index's `mapping` and this spec (empty = fine): the
    /// schema's vector field with the model's dims and the similarity, and the model that wrote
    /// it. Text fields may be missing (an index a framework created empty maps them on the
    /// first document).
    pub(crate) fn differences(&self, mapping: &Value) -> Vec<String> {
        let mut diffs = Vec::new();
        let vectors = discover_vectors(mapping);
        match vectors.iter().find(|v| v.path == self.schema.vector) {
            None => diffs.push(format!(
                "no vector field `{}`{}",
                self.schema.vector,
                match vectors.is_empty() {
                    true => String::new(),
                    false => format!(
                        " (it has {}: choose with --vector-field or --schema)",
                        list_vectors(&vectors)
                    ),
                }
            )),
            Some(v) => {
                if v.dims != self.dims {
                    diffs.push(format!(
                        "vector dims {} in the index, {} from the model",
                        v.dims, self.dims
                    ));
                }
                if v.similarity != Some(self.similarity) {
                    diffs.push(format!(
                        "similarity {} in the index, {} requested",
                        v.similarity_name, self.similarity
                    ));
                }
            }
        }
        if let Some(recorded) = mapping.pointer("/_meta/sembridge/schema")
            && let Ok(recorded) = serde_json::from_value::<Schema>(recorded.clone())
            && recorded != self.schema
        {
            diffs.push(format!(
                "written with other field names ({}), this job writes {}",
                recorded.summary(),
                self.schema.summary()
            ));
        }
        let recorded_chunking = recorded_chunking(mapping);
        if recorded_chunking != self.chunking {
            let says = |c: Option<ChunkOptions>| match c {
                Some(c) => format!(
                    "passages of {} tokens overlapping by {}",
                    c.tokens, c.overlap
                ),
                None => "one vector per document".to_owned(),
            };
            diffs.push(format!(
                "written as {}, this job writes {} (--chunk-tokens/--chunk-overlap, --no-chunking)",
                says(recorded_chunking),
                says(self.chunking)
            ));
        }
        if let (Some(want), Some(have)) = (
            self.model.as_deref(),
            mapping
                .pointer("/_meta/sembridge/model")
                .and_then(Value::as_str),
        ) && want != have
        {
            diffs.push(format!(
                "vectors written by model {have}, this job uses {want}"
            ));
        }
        diffs
    }
}

/// `_meta.sembridge.chunking` of a mapping: how sembridge cut the documents it wrote.
pub fn recorded_chunking(mapping: &Value) -> Option<ChunkOptions> {
    serde_json::from_value(mapping.pointer("/_meta/sembridge/chunking")?.clone()).ok()
}

#[cfg(test)]
#[path = "tests/spec.rs"]
mod tests;
