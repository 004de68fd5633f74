//! Reading an index sembridge may not have written: its vector and text fields from the mapping
//! ([`discover_vectors`], [`text_fields`]), and a [`SchemaRequest`] (preset plus flags) resolved
//! against it into the [`IndexLayout`] a search uses.

use serde_json::Value;

use super::schema::{Boosted, Schema, SchemaPreset};
use super::vector::{Similarity, VectorField, list_vectors};
use crate::engines::EngineKind;

/// Every vector field of a mapping (`knn_vector` or `dense_vector`), walking object fields.
/// Defaults where the mapping is silent, as each engine documents them: OpenSearch space type
/// `l2` and library `faiss` (nmslib before 2.18; both score alike), Elasticsearch similarity
/// `cosine`.
pub fn discover_vectors(mapping: &Value) -> Vec<VectorField> {
    let mut out = Vec::new();
    let mut nested: Vec<String> = Vec::new();
    walk(mapping.get("properties"), "", &mut |path, field| {
        if field.get("type").and_then(Value::as_str) == Some("nested") {
            nested.push(path.to_owned());
        }
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
            // Parents are walked before their fields: the innermost nested parent so far.
            nested: nested
                .iter()
                .filter(|n| path.starts_with(&format!("{n}.")))
                .max_by_key(|n| n.len())
                .cloned(),
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
            schema.passages = v.nested.clone();
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
        false => format!("its vector fields: {}", list_vectors(vectors)),
    }
}

#[cfg(test)]
#[path = "tests/discover.rs"]
mod tests;
