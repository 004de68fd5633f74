//! Where an index keeps each part of a document: the field names sembridge writes on ingest and
//! reads on query, eval and export. Presets give the layouts of sembridge itself, LangChain's
//! vector stores and Haystack's document stores; every name can be overridden by a flag.
//!
//! Reading an index somebody else wrote starts from its mapping: [`discover_vectors`] lists its
//! vector fields (with dims and similarity), [`text_fields`] its full-text fields.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::spec::{KnnEngine, Similarity};
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
    pub vector: String,
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
                scores: KnnEngine::Lucene,
            },
            SchemaPreset::Haystack => Schema {
                id: Some("id".into()),
                title: None,
                text: "content".into(),
                vector: "embedding".into(),
                metadata: None,
                bm25: vec![Boosted::new("content")],
                scores: KnnEngine::Lucene,
            },
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
        p.insert(self.vector.clone(), vector_field);
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

/// One vector field found in a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorField {
    /// Full path (`embedding`, `passage.vector`).
    pub path: String,
    pub dims: usize,
    /// `None` when the mapping names a similarity sembridge does not know.
    pub similarity: Option<Similarity>,
    /// The name as the mapping spells it (`cosinesimil`, `dot_product`, ...).
    pub similarity_name: String,
    /// OpenSearch: the k-NN library (`lucene`, `faiss`, `nmslib`).
    pub knn_engine: Option<String>,
}

impl VectorField {
    /// How this field's scores convert back: faiss and nmslib differ from lucene for cosine.
    pub fn scores(&self) -> KnnEngine {
        match self.knn_engine.as_deref() {
            Some("faiss") | Some("nmslib") => KnnEngine::Faiss,
            _ => KnnEngine::Lucene,
        }
    }
}

/// Every vector field of a mapping (`knn_vector` or `dense_vector`), walking object fields.
/// Defaults where the mapping is silent, as each engine documents them: OpenSearch space type
/// `l2` and library `faiss` (nmslib before 2.18; both score alike), Elasticsearch similarity
/// `cosine`.
pub fn discover_vectors(mapping: &Value) -> Vec<VectorField> {
    let mut out = Vec::new();
    walk(mapping.get("properties"), "", &mut |path, field| {
        let ty = field.get("type").and_then(Value::as_str);
        let (dims_key, sim_name, engine) = match ty {
            Some("knn_vector") => (
                "dimension",
                field
                    .pointer("/method/space_type")
                    .or_else(|| field.get("space_type"))
                    .and_then(Value::as_str)
                    .unwrap_or("l2"),
                Some(
                    field
                        .pointer("/method/engine")
                        .and_then(Value::as_str)
                        .unwrap_or("faiss")
                        .to_owned(),
                ),
            ),
            Some("dense_vector") => (
                "dims",
                field
                    .get("similarity")
                    .and_then(Value::as_str)
                    .unwrap_or("cosine"),
                None,
            ),
            _ => return,
        };
        let Some(dims) = field.get(dims_key).and_then(Value::as_u64) else {
            return;
        };
        out.push(VectorField {
            path: path.to_owned(),
            dims: dims as usize,
            similarity: similarity_of(sim_name),
            similarity_name: sim_name.to_owned(),
            knn_engine: engine,
        });
    });
    out
}

/// A similarity named either engine's way.
fn similarity_of(name: &str) -> Option<Similarity> {
    match name {
        "cosinesimil" | "cosine" => Some(Similarity::Cosine),
        "innerproduct" | "dot_product" => Some(Similarity::Dot),
        "l2" | "l2_norm" => Some(Similarity::L2),
        _ => None,
    }
}

/// Every full-text (`text`) field of a mapping, by path.
pub fn text_fields(mapping: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(mapping.get("properties"), "", &mut |path, field| {
        if field.get("type").and_then(Value::as_str) == Some("text") {
            out.push(path.to_owned());
        }
    });
    out
}

/// Whether a mapping has a field at `path` (an object's subfield by dotted path).
pub fn has_field(mapping: &Value, path: &str) -> bool {
    let mut found = false;
    walk(mapping.get("properties"), "", &mut |p, _| {
        found |= p == path
    });
    found
}

fn walk(props: Option<&Value>, prefix: &str, f: &mut dyn FnMut(&str, &Value)) {
    let Some(props) = props.and_then(Value::as_object) else {
        return;
    };
    for (name, field) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        f(&path, field);
        walk(field.get("properties"), &path, f);
    }
}

/// What the user asked for: a preset and field names given by flags (each overrides the
/// preset). The spellings `_id` (id), `none` (title) and `flat` (metadata) mean "no field".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaRequest {
    pub preset: Option<SchemaPreset>,
    pub id: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub vector: Option<String>,
    pub metadata: Option<String>,
    pub bm25: Option<Vec<Boosted>>,
}

/// An existing index as sembridge will search it: the field names, the vector field's dims and
/// similarity, and the model its `_meta` names.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexLayout {
    pub schema: Schema,
    /// The vector field chosen (`None`: the index has none, or several and no flag chose).
    pub vector: Option<VectorField>,
    /// `_meta.sembridge.model` (the model that wrote the vectors), when there.
    pub model: Option<String>,
    /// The concrete indexes behind the name (an alias may point at several).
    pub indexes: Vec<String>,
    /// Every vector field of the mapping (to say which to choose from).
    pub vector_fields: Vec<VectorField>,
    /// How each field was chosen, for `-v` and messages.
    pub notes: Vec<String>,
}

impl IndexLayout {
    /// The vector field, for a search or export that needs one: an error (without the index's
    /// name) when the index has none or several and no `--vector-field` chose.
    pub fn vector_field(&self) -> std::result::Result<&VectorField, String> {
        match (&self.vector, self.vector_fields.len()) {
            (Some(v), _) => Ok(v),
            (None, 0) => Err(
                "it has no vector field (knn_vector or dense_vector): only BM25 \
                              can search it"
                    .to_owned(),
            ),
            (None, _) => Err(format!(
                "it has several vector fields ({}): choose one with --vector-field",
                describe_vectors(&self.vector_fields)
            )),
        }
    }
}

impl SchemaRequest {
    /// The schema an index created by sembridge gets: the preset (sembridge by default) with
    /// the flags applied.
    pub fn for_writing(&self, engine: EngineKind) -> Schema {
        let mut s = Schema::preset(self.preset.unwrap_or(SchemaPreset::Sembridge), engine);
        self.apply(&mut s);
        s
    }

    fn apply(&self, s: &mut Schema) {
        if let Some(id) = &self.id {
            s.id = (id != "_id").then(|| id.clone());
        }
        if let Some(t) = &self.title {
            s.title = (t != "none").then(|| t.clone());
        }
        if let Some(t) = &self.text {
            s.text = t.clone();
        }
        if let Some(v) = &self.vector {
            s.vector = v.clone();
        }
        if let Some(m) = &self.metadata {
            s.metadata = (m != "flat").then(|| m.clone());
        }
        if let Some(b) = &self.bm25 {
            s.bm25 = b.clone();
        }
    }

    /// Resolve the request against an index's mappings (one per concrete index). The starting
    /// point is the preset if one was asked for, else the schema sembridge recorded in `_meta`,
    /// else sembridge's own; a field named by a flag must exist; a preset's field that the
    /// index lacks is replaced by what the mapping offers when that is unambiguous (the one
    /// vector field, the one text field). Errors name the flag to choose with.
    pub fn resolve(
        &self,
        engine: EngineKind,
        mappings: &[(String, Value)],
    ) -> std::result::Result<IndexLayout, String> {
        let Some((_, first)) = mappings.first() else {
            return Err("it has no mapping".to_owned());
        };
        let vectors = discover_vectors(first);
        let model = first
            .pointer("/_meta/sembridge/model")
            .and_then(Value::as_str)
            .map(str::to_owned);
        for (name, m) in &mappings[1..] {
            let other_model = m.pointer("/_meta/sembridge/model").and_then(Value::as_str);
            if discover_vectors(m) != vectors || other_model != model.as_deref() {
                return Err(format!(
                    "it covers indexes whose vector fields or models differ (`{}` and `{name}`): \
                     name one index",
                    mappings[0].0
                ));
            }
        }
        let recorded: Option<Schema> = first
            .pointer("/_meta/sembridge/schema")
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let mut notes = Vec::new();
        let mut schema = match (self.preset, recorded) {
            (Some(p), _) => Schema::preset(p, engine),
            (None, Some(s)) => {
                notes.push("field names from the index's _meta (written by sembridge)".into());
                s
            }
            (None, None) => Schema::default(),
        };
        let texts = text_fields(first);
        let list_texts = || match texts.is_empty() {
            true => "it has no text field".to_owned(),
            false => format!("its text fields: {}", texts.join(", ")),
        };

        // The vector field.
        let vector = match &self.vector {
            Some(v) => match vectors.iter().find(|f| &f.path == v) {
                Some(f) => Some(f.clone()),
                None => {
                    return Err(format!(
                        "--vector-field `{v}` is not one of its vector fields ({})",
                        describe_vectors(&vectors)
                    ));
                }
            },
            None => match vectors.iter().find(|f| f.path == schema.vector) {
                Some(f) => Some(f.clone()),
                None if vectors.len() == 1 => {
                    notes.push(format!("vector field `{}`: the only one", vectors[0].path));
                    Some(vectors[0].clone())
                }
                // None or several: only BM25 can search it as it stands (the caller says so
                // when it needs vectors, see [`IndexLayout::vector_field`]).
                None => None,
            },
        };
        if let Some(v) = &vector {
            schema.vector = v.path.clone();
            schema.scores = v.scores();
        }

        // Text, title, id, metadata, BM25 fields.
        if let Some(t) = &self.text {
            if !texts.contains(t) {
                return Err(format!(
                    "--index-text-field `{t}` is not one of its text fields ({})",
                    list_texts()
                ));
            }
            schema.text = t.clone();
        } else if !texts.contains(&schema.text) && texts.len() == 1 {
            notes.push(format!("text field `{}`: the only one", texts[0]));
            schema.text = texts[0].clone();
        }
        if let Some(t) = &self.title {
            schema.title = (t != "none").then(|| t.clone());
        } else if schema.title.as_ref().is_some_and(|t| !has_field(first, t)) {
            schema.title = None;
        }
        if let Some(id) = &self.id {
            schema.id = (id != "_id").then(|| id.clone());
        } else if schema.id.as_ref().is_some_and(|f| !has_field(first, f)) {
            schema.id = None;
        }
        if let Some(m) = &self.metadata {
            schema.metadata = (m != "flat").then(|| m.clone());
        }
        match &self.bm25 {
            Some(b) => {
                if let Some(missing) = b.iter().find(|b| !texts.contains(&b.field)) {
                    return Err(format!(
                        "--bm25-fields: `{}` is not one of its text fields ({})",
                        missing.field,
                        list_texts()
                    ));
                }
                schema.bm25 = b.clone();
            }
            None => {
                let kept: Vec<Boosted> = schema
                    .bm25
                    .iter()
                    .filter(|b| texts.contains(&b.field))
                    .cloned()
                    .collect();
                schema.bm25 = match kept.is_empty() {
                    false => kept,
                    true if texts.contains(&schema.text) => vec![Boosted::new(&schema.text)],
                    true => texts.iter().map(Boosted::new).collect(),
                };
            }
        }
        Ok(IndexLayout {
            schema,
            vector,
            model,
            indexes: mappings.iter().map(|m| m.0.clone()).collect(),
            vector_fields: vectors,
            notes,
        })
    }
}

fn describe_vectors(vectors: &[VectorField]) -> String {
    match vectors.is_empty() {
        true => "it has no vector field".to_owned(),
        false => format!("its vector fields: {}", super::spec::list_vectors(vectors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boosts_parse_and_print() {
        assert_eq!(
            Boosted::parse("title^2").unwrap(),
            Boosted {
                field: "title".into(),
                boost: 2.0
            }
        );
        assert_eq!(Boosted::parse("text").unwrap().to_query_field(), "text");
        assert_eq!(
            Boosted::parse("title^2.5").unwrap().to_query_field(),
            "title^2.5"
        );
        for bad in [
            "title^",
            "title^x",
            "^2",
            "title^0",
            "title^-1",
            "title^inf",
        ] {
            assert!(Boosted::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn discovery_finds_vectors_with_the_engines_defaults() {
        let mapping = json!({"properties": {
            "text": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
            "vector_field": {"type": "knn_vector", "dimension": 384,
                "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}},
            "bare": {"type": "knn_vector", "dimension": 8},
            "meta": {"properties": {
                "v": {"type": "dense_vector", "dims": 3},
                "title": {"type": "text"}
            }}
        }});
        let found = discover_vectors(&mapping);
        assert_eq!(found.len(), 3);
        let lc = found.iter().find(|v| v.path == "vector_field").unwrap();
        assert_eq!(
            (lc.dims, lc.similarity, lc.knn_engine.as_deref()),
            (384, Some(Similarity::Cosine), Some("lucene"))
        );
        let bare = found.iter().find(|v| v.path == "bare").unwrap();
        assert_eq!(bare.similarity, Some(Similarity::L2));
        let es = found.iter().find(|v| v.path == "meta.v").unwrap();
        assert_eq!(
            (es.dims, es.similarity, es.knn_engine.as_deref()),
            (3, Some(Similarity::Cosine), None)
        );
        assert_eq!(text_fields(&mapping), ["meta.title", "text"]);
        assert!(has_field(&mapping, "meta.title"));
        assert!(!has_field(&mapping, "title"));
    }

    #[test]
    fn unknown_similarities_are_none_and_faiss_scores_differ() {
        let mapping = json!({"properties": {
            "a": {"type": "dense_vector", "dims": 3, "similarity": "max_inner_product"},
            "b": {"type": "knn_vector", "dimension": 3,
                "method": {"name": "hnsw", "space_type": "cosinesimil"}}
        }});
        let found = discover_vectors(&mapping);
        assert_eq!(found[0].similarity, None);
        assert_eq!(found[0].similarity_name, "max_inner_product");
        assert_eq!(found[1].scores(), KnnEngine::Faiss);
    }

    #[test]
    fn display_source_reads_each_layout() {
        let sb = Schema::default();
        let src = json!({"doc_id": "d1", "title": "T", "text": "body"});
        assert_eq!(
            sb.display_source(&src),
            json!({"title": "T", "text": "body"})
        );
        assert_eq!(sb.hit_id("other", &src), "d1");
        let lc = Schema::preset(SchemaPreset::Langchain, EngineKind::Elasticsearch);
        let src = json!({"text": "T body", "metadata": {"title": "T"}});
        assert_eq!(
            lc.display_source(&src),
            json!({"title": null, "text": "T body"})
        );
        let src = json!({"text": "body", "metadata": {"title": "T"}});
        assert_eq!(
            lc.display_source(&src),
            json!({"title": "T", "text": "body"})
        );
        assert_eq!(lc.hit_id("u1", &src), "u1");
        let hs = Schema::preset(SchemaPreset::Haystack, EngineKind::OpenSearch);
        assert_eq!(hs.hit_id("x", &json!({"id": "h1"})), "h1");
        assert_eq!(hs.metadata_key("title"), "title");
        assert!(hs.dynamic_templates().is_some());
        assert!(sb.dynamic_templates().is_none());
    }

    fn one(mapping: Value) -> Vec<(String, Value)> {
        vec![("idx".to_owned(), mapping)]
    }

    #[test]
    fn resolve_takes_the_only_vector_field_and_lists_several() {
        let lc = json!({"properties": {
            "text": {"type": "text"},
            "metadata": {"properties": {"title": {"type": "text"}}},
            "vector_field": {"type": "knn_vector", "dimension": 4,
                "method": {"engine": "lucene", "space_type": "l2"}}
        }});
        let r = SchemaRequest::default()
            .resolve(EngineKind::OpenSearch, &one(lc.clone()))
            .unwrap();
        assert_eq!(r.schema.vector, "vector_field");
        assert_eq!(r.vector.as_ref().unwrap().similarity, Some(Similarity::L2));
        assert_eq!(r.schema.text, "text");
        assert_eq!(r.schema.bm25, [Boosted::new("text")]);
        assert_eq!(r.schema.id, None, "no doc_id field: hits are read by _id");
        assert_eq!(r.model, None);

        let mut two = lc.clone();
        two["properties"]["other"] = json!({"type": "knn_vector", "dimension": 8});
        let r = SchemaRequest::default()
            .resolve(EngineKind::OpenSearch, &one(two.clone()))
            .unwrap();
        assert_eq!(r.vector, None, "BM25 can still search it");
        let e = r.vector_field().unwrap_err();
        assert!(
            e.contains("several vector fields")
                && e.contains("`other` (8 dims, l2)")
                && e.contains("--vector-field"),
            "{e}"
        );
        let pick = SchemaRequest {
            vector: Some("other".into()),
            ..Default::default()
        };
        let r = pick
            .resolve(EngineKind::OpenSearch, &one(two.clone()))
            .unwrap();
        assert_eq!(
            (r.schema.vector.as_str(), r.schema.scores),
            ("other", KnnEngine::Faiss)
        );
        let wrong = SchemaRequest {
            vector: Some("nope".into()),
            ..Default::default()
        };
        let e = wrong
            .resolve(EngineKind::OpenSearch, &one(two))
            .unwrap_err();
        assert!(
            e.contains("--vector-field `nope`") && e.contains("vector_field"),
            "{e}"
        );
        let bad_bm25 = SchemaRequest {
            bm25: Some(vec![Boosted::parse("title^2").unwrap()]),
            ..Default::default()
        };
        let e = bad_bm25
            .resolve(EngineKind::OpenSearch, &one(lc))
            .unwrap_err();
        assert!(
            e.contains("`title`") && e.contains("metadata.title, text"),
            "{e}"
        );
    }

    #[test]
    fn resolve_reads_the_schema_and_model_sembridge_recorded() {
        let mut spec = crate::engines::IndexSpec::new("i", 4);
        spec.schema = Schema::preset(SchemaPreset::Haystack, EngineKind::Elasticsearch);
        spec.schema.bm25 = vec![Boosted::parse("content^2").unwrap()];
        spec.model = Some("m1".into());
        let body = crate::engines::elasticsearch::create_index_body(&spec);
        let r = SchemaRequest::default()
            .resolve(EngineKind::Elasticsearch, &one(body["mappings"].clone()))
            .unwrap();
        assert_eq!(r.schema, spec.schema);
        assert_eq!(r.model.as_deref(), Some("m1"));
        let mut other = body["mappings"].clone();
        other["_meta"]["sembridge"]["model"] = json!("m2");
        let e = SchemaRequest::default()
            .resolve(
                EngineKind::Elasticsearch,
                &[("a".into(), body["mappings"].clone()), ("b".into(), other)],
            )
            .unwrap_err();
        assert!(e.contains("`a` and `b`"), "{e}");
    }
}
