//! Where an index keeps each part of a document: the field names sembridge writes on ingest and
//! reads on query, eval and export. Presets give the layouts of sembridge itself, LangChain's
//! vector stores and Haystack's document stores; every name can be overridden by a flag.
//!
//! Reading an index somebody else wrote starts from its mapping: see [`super::discover`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::vector::KnnEngine;
use crate::engines::EngineKind;

/// A named layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaPreset {
    Sembridge,
    Langchain,
    Haystack,
}

impl SchemaPreset {
    pub const ALL: [SchemaPreset; 3] = [
        SchemaPreset::Sembridge,
        SchemaPreset::Langchain,
        SchemaPreset::Haystack,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SchemaPreset::Sembridge => "sembridge",
            SchemaPreset::Langchain => "langchain",
            SchemaPreset::Haystack => "haystack",
        }
    }
}

/// A full-text field searched by BM25, with its boost (`title^2`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boosted {
    pub field: String,
    pub boost: f32,
}

impl Boosted {
    pub fn new(field: impl Into<String>) -> Boosted {
        Boosted {
            field: field.into(),
            boost: 1.0,
        }
    }

    /// `field` or `field^boost` (boost a positive number).
    pub fn parse(s: &str) -> std::result::Result<Boosted, String> {
        let (field, boost) = match s.split_once('^') {
            None => (s, 1.0),
            Some((f, b)) => {
                let boost: f32 = b
                    .parse()
                    .map_err(|_| format!("`{s}`: the boost after `^` must be a number"))?;
                if !(boost.is_finite() && boost > 0.0) {
                    return Err(format!("`{s}`: the boost must be a positive number"));
                }
                (f, boost)
            }
        };
        let field = field.trim();
        if field.is_empty() {
            return Err(format!("`{s}`: empty field name"));
        }
        Ok(Boosted {
            field: field.to_owned(),
            boost,
        })
    }

    /// `field` or `field^boost`, as the engines' `multi_match` takes it.
    pub fn to_query_field(&self) -> String {
        if self.boost == 1.0 {
            self.field.clone()
        } else {
            format!("{}^{}", self.field, self.boost)
        }
    }
}

/// The field names of one index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// A `_source` field that holds the document id too (written on ingest; read back as the
    /// hit's id when present). `None`: the id is only the engine's `_id`.
    pub id: Option<String>,
    /// A field of its own for the title. `None`: the title is prefixed to the text field (as
    /// it is embedded) and kept as `title` in the metadata.
    pub title: Option<String>,
    /// The document text.
    pub text: String,
    /// The vector field's full path (`embedding`, or `passages.embedding` under [`Self::passages`]).
    pub vector: String,
    /// With chunking: the `nested` field holding a document's passages, each `{VECTOR, start,
    /// end}` (the vector field's last name, and the passage's character offsets in the text).
    /// `None`: one vector per document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passages: Option<String>,
    /// An object field for the metadata; `None`: its keys sit at the top level of `_source`.
    pub metadata: Option<String>,
    /// The fields BM25 searches.
    pub bm25: Vec<Boosted>,
    /// How the vector field's `_score` maps back to the similarity: the OpenSearch k-NN library
    /// (lucene, or faiss/nmslib whose cosine scores differ). Elasticsearch: lucene.
    #[serde(default = "lucene")]
    pub scores: KnnEngine,
}

fn lucene() -> KnnEngine {
    KnnEngine::Lucene
}

impl Default for Schema {
    fn default() -> Self {
        Schema::preset(SchemaPreset::Sembridge, EngineKind::OpenSearch)
    }
}

impl Schema {
    /// The layout a preset stands for on an engine. LangChain's and Haystack's defaults were
    /// read from their released packages (docs/framework-defaults.md): LangChain
    /// `OpenSearchVectorSearch` (langchain-community 0.4.2) writes `text`, `vector_field` and a
    /// `metadata` object; `ElasticsearchStore` (langchain-elasticsearch 1.0.0) `text`, `vector`
    /// and `metadata`; both put the id only in `_id`. Haystack's `OpenSearchDocumentStore`
    /// (opensearch-haystack 9.0.0) and `ElasticsearchDocumentStore` (elasticsearch-haystack
    /// 7.1.0) write `id`, `content`, `embedding` and the meta keys at the top level.
    pub fn preset(preset: SchemaPreset, engine: EngineKind) -> Schema {
        match preset {
            SchemaPreset::Sembridge => Schema {
                id: Some("doc_id".into()),
                title: Some("title".into()),
                text: "text".into(),
                vector: "embedding".into(),
                metadata: Some("metadata".into()),
                bm25: vec![Boosted::new("title"), Boosted::new("text")],
                passages: None,
                scores: KnnEngine::Lucene,
            },
            SchemaPreset::Langchain => Schema {
                id: None,
                title: None,
                text: "text".into(),
                vector: match engine {
                    EngineKind::OpenSearch => "vector_field".into(),
                    EngineKind::Elasticsearch => "vector".into(),
                },
                metadata: Some("metadata".into()),
                bm25: vec![Boosted::new("text")],
                passages: None,
                scores: KnnEngine::Lucene,
            },
            SchemaPreset::Haystack => Schema {
                id: Some("id".into()),
                title: None,
                text: "content".into(),
                vector: "embedding".into(),
                metadata: None,
                bm25: vec![Boosted::new("content")],
                passages: None,
                scores: KnnEngine::Lucene,
            },
        }
    }

    /// The nested field sembridge writes passages into.
    pub const PASSAGES: &'static str = "passages";

    /// This schema with passages (`Some`: the vector moves into the nested field `passages`) or
    /// one vector per document (`None`: the vector field back at the top level).
    pub fn with_passages(mut self, passages: bool) -> Schema {
        let leaf = self.vector_leaf().to_owned();
        match passages {
            true => {
                self.vector = format!("{}.{leaf}", Self::PASSAGES);
                self.passages = Some(Self::PASSAGES.to_owned());
            }
            false => {
                self.vector = leaf;
                self.passages = None;
            }
        }
        self
    }

    /// The vector field's name inside a passage (the whole path without passages).
    pub fn vector_leaf(&self) -> &str {
        match &self.passages {
            Some(p) => self
                .vector
                .strip_prefix(p.as_str())
                .and_then(|r| r.strip_prefix('.'))
                .unwrap_or(&self.vector),
            None => &self.vector,
        }
    }

    /// `id=doc_id text=text title=title vector=embedding metadata=metadata bm25=title,text`, for
    /// messages.
    pub fn summary(&self) -> String {
        let bm25: Vec<String> = self.bm25.iter().map(Boosted::to_query_field).collect();
        format!(
            "id={} title={} text={} vector={} metadata={} bm25={}",
            self.id.as_deref().unwrap_or("_id"),
            self.title.as_deref().unwrap_or("none"),
            self.text,
            self.vector,
            self.metadata.as_deref().unwrap_or("flat"),
            bm25.join(",")
        )
    }

    /// The `_source` fields a search returns (id, title, text; never the vector).
    pub fn source_fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = self.id.iter().chain(&self.title).cloned().collect();
        fields.push(self.text.clone());
        if self.title.is_none() {
            fields.push(self.metadata_key("title"));
        }
        fields
    }

    /// Where a metadata key lives: `metadata.KEY` or the top-level `KEY`.
    pub fn metadata_key(&self, key: &str) -> String {
        match &self.metadata {
            Some(m) => format!("{m}.{key}"),
            None => key.to_owned(),
        }
    }

    /// The names this schema writes itself, which flattened metadata must not overwrite.
    pub fn reserved(&self) -> Vec<&str> {
        let mut r: Vec<&str> = vec![self.text.as_str(), self.vector.as_str()];
        r.extend(self.passages.as_deref());
        r.extend(self.id.as_deref());
        r.extend(self.title.as_deref());
        r.extend(self.metadata.as_deref());
        r
    }

    /// A hit's `_source` in the shape the rest of sembridge reads: `{title, text}`. Without a
    /// title field the title comes from the metadata, when it is there and not already the
    /// text's beginning.
    pub fn display_source(&self, source: &Value) -> Value {
        let text = get_path(source, &self.text).cloned().unwrap_or(Value::Null);
        let title = match &self.title {
            Some(t) => get_path(source, t).cloned(),
            None => get_path(source, &self.metadata_key("title"))
                .filter(|t| match (t.as_str(), text.as_str()) {
                    (Some(t), Some(x)) => !x.starts_with(t),
                    _ => true,
                })
                .cloned(),
        };
        json!({"title": title.unwrap_or(Value::Null), "text": text})
    }

    /// The id of a hit: the id field of its `_source` when the schema has one and it is there,
    /// else the engine's `_id`.
    pub fn hit_id(&self, underscore_id: &str, source: &Value) -> String {
        self.id
            .as_deref()
            .and_then(|f| get_path(source, f))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| underscore_id.to_owned())
    }

    /// The properties an index created for this schema maps (besides the vector field, which is
    /// the engine's): id as keyword, title and text with `analyzer`, metadata as a dynamic
    /// object. Flattened metadata gets Haystack's rule of mapping new strings as keywords (so
    /// term filters on meta values work).
    pub(crate) fn properties(&self, analyzer: &str, vector_field: Value) -> Map<String, Value> {
        let mut p = Map::new();
        if let Some(id) = &self.id {
            p.insert(id.clone(), json!({"type": "keyword"}));
        }
        if let Some(t) = &self.title {
            p.insert(t.clone(), json!({"type": "text", "analyzer": analyzer}));
        }
        p.insert(
            self.text.clone(),
            json!({"type": "text", "analyzer": analyzer}),
        );
        match &self.passages {
            Some(path) => {
                let offset = json!({"type": "integer", "index": false});
                p.insert(
                    path.clone(),
                    json!({"type": "nested", "properties": {
                        self.vector_leaf(): vector_field,
                        "start": offset.clone(),
                        "end": offset,
                    }}),
                );
            }
            None => {
                p.insert(self.vector.clone(), vector_field);
            }
        }
        if let Some(m) = &self.metadata {
            p.insert(m.clone(), json!({"type": "object", "dynamic": true}));
        }
        p
    }

    /// Dynamic templates of a created index (flattened metadata: strings are keywords).
    pub(crate) fn dynamic_templates(&self) -> Option<Value> {
        match self.metadata {
            Some(_) => None,
            None => Some(json!([{"strings": {
                "match_mapping_type": "string",
                "mapping": {"type": "keyword"}
            }}])),
        }
    }
}

/// The value at a dotted path (`metadata.title`) of a JSON object; a key with dots in it is
/// tried whole first.
pub fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let (head, rest) = path.split_once('.')?;
    get_path(v.get(head)?, rest)
}

#[cfg(test)]
#[path = "tests/schema.rs"]
mod tests;
