//! Reading an index back, every document in index order: ids (to compare what an index holds),
//! documents with their text and metadata (to re-embed them, `ingest --from-index`) or their
//! vectors (to copy them into a local store, `export`), each read the way the index's layout says.

use serde_json::{Value, json};

use super::Engine;
use super::layout::schema::{Schema, get_path};
use super::layout::vector::VectorField;
use super::transport::client::Method;
use crate::error::Result;

/// What a scan reads of each document.
#[derive(Debug, Clone, Copy)]
pub enum ScanFields<'a> {
    /// The id, title, text and metadata (flattened metadata: everything but the vector).
    Documents,
    /// The id and the vectors of this field (with a passage's offsets when it is nested).
    Vectors(&'a VectorField),
}

impl ScanFields<'_> {
    /// The `_source` filter that reads these fields of `schema`.
    fn source_filter(self, schema: &Schema) -> Value {
        match self {
            ScanFields::Documents => match &schema.metadata {
                Some(_) => {
                    let mut f = schema.source_fields();
                    f.extend(schema.metadata.clone());
                    json!({"includes": f})
                }
                // Flattened metadata: everything but the vector.
                None => json!({"excludes": [schema.vector]}),
            },
            ScanFields::Vectors(vector) => {
                // Naming the vector field in `includes` brings it back also where the engine
                // leaves vectors out of `_source` by default (Elasticsearch 9.1+
                // `exclude_source_vectors`; OpenSearch 3.x derived source rebuilds them).
                let mut includes = vec![vector.path.clone()];
                includes.extend(schema.id.clone());
                if let Some(p) = &schema.passages {
                    includes.extend([format!("{p}.start"), format!("{p}.end")]);
                }
                json!({"includes": includes})
            }
        }
    }
}

/// One document read back: its id (the schema's id field, else `_id`) and its `_source` as the
/// scan's filter left it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedDoc {
    pub id: String,
    pub source: Value,
}

/// One vector of a scanned document.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedVector {
    /// The passage's position among the document's passages (`None`: the document's vector).
    pub passage: Option<usize>,
    pub vector: Vec<f32>,
    /// The passage's character offsets in the text as sembridge writes them; `[0, 0]` (unknown)
    /// in others' nested layouts and for a document's vector.
    pub offsets: [usize; 2],
}

impl ScannedDoc {
    /// A search hit read the schema's way.
    pub fn from_hit(hit: &Value, schema: &Schema) -> ScannedDoc {
        let source = hit.get("_source").cloned().unwrap_or(Value::Null);
        let underscore = hit.get("_id").and_then(Value::as_str).unwrap_or_default();
        ScannedDoc {
            id: schema.hit_id(underscore, &source),
            source,
        }
    }

    /// The vectors of `field` in this document that have its dims: the document's one, or one
    /// per passage (a nested field); empty when it has none.
    pub fn vectors(&self, schema: &Schema, field: &VectorField) -> Vec<ScannedVector> {
        let Some(p) = &schema.passages else {
            return vector_of(&self.source, &field.path, field.dims)
                .map(|vector| ScannedVector {
                    passage: None,
                    vector,
                    offsets: [0, 0],
                })
                .into_iter()
                .collect();
        };
        let passages = get_path(&self.source, p).and_then(Value::as_array);
        let mut out = Vec::new();
        for (i, passage) in passages.into_iter().flatten().enumerate() {
            let at = |k: &str| passage.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
            if let Some(vector) = vector_of(passage, schema.vector_leaf(), field.dims) {
                out.push(ScannedVector {
                    passage: Some(i),
                    vector,
                    offsets: [at("start"), at("end")],
                });
            }
        }
        out
    }
}

/// The vector at `path` of a `_source`, when it is an array of `dims` numbers.
fn vector_of(source: &Value, path: &str, dims: usize) -> Option<Vec<f32>> {
    let arr = get_path(source, path)?.as_array()?;
    if arr.len() != dims {
        return None;
    }
    arr.iter().map(|x| x.as_f64().map(|f| f as f32)).collect()
}

impl Engine {
    /// Every document of `index` (read with `schema`), `page` at a time in index order, handed
    /// to `each` one by one with the `fields` asked for; the number of documents read.
    pub async fn scan(
        &self,
        index: &str,
        schema: &Schema,
        fields: ScanFields<'_>,
        page: usize,
        mut each: impl FnMut(ScannedDoc) -> Result<()>,
    ) -> Result<u64> {
        self.scroll(index, fields.source_filter(schema), page, |hits| {
            hits.iter()
                .try_for_each(|h| each(ScannedDoc::from_hit(h, schema)))
        })
        .await
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

    /// The corpus id of a hit in `all_ids`: `_id`, or on Serverless (where `_id` is the
    /// engine's) the default schema's id field of its `_source`.
    fn hit_id(&self, hit: &Value) -> Option<String> {
        let id = match (self.serverless(), Schema::default().id) {
            (true, Some(field)) => hit.get("_source")?.get(field)?.clone(),
            _ => hit.get("_id")?.clone(),
        };
        id.as_str().map(str::to_owned)
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
