//! Bulk NDJSON bodies and per-item results. HTTP 200 is not success: every item of a bulk
//! response is read and sorted into done, transient (retry) and permanent (dead-letter).

use serde_json::{Value, json};

use super::Engine;
use super::layout::schema::Schema;
use super::transport::{describe_error, truncate};
use crate::error::is_transient_status;

/// One document ready to index.
#[derive(Debug, Clone)]
pub struct BulkDoc {
    pub id: String,
    pub title: String,
    pub text: String,
    pub metadata: serde_json::Map<String, Value>,
    pub vector: DocVectors,
}

/// A vector and, for a passage, its [start, end) character offsets in the text.
pub type VectorAt<'a> = (&'a [f32], Option<[usize; 2]>);

/// A document's vectors: one, or one per passage (with chunking).
#[derive(Debug, Clone, PartialEq)]
pub enum DocVectors {
    One(Vec<f32>),
    Passages(Vec<PassageVector>),
}

/// One passage's vector and where its window lies in the document's text.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageVector {
    pub vector: Vec<f32>,
    /// [start, end) in characters of the text.
    pub start: usize,
    pub end: usize,
}

impl From<Vec<f32>> for DocVectors {
    fn from(v: Vec<f32>) -> Self {
        DocVectors::One(v)
    }
}

impl DocVectors {
    /// How many vectors (passages) this is.
    pub fn len(&self) -> usize {
        match self {
            DocVectors::One(_) => 1,
            DocVectors::Passages(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each vector with its offsets (`None` for a whole document's).
    pub fn iter(&self) -> Box<dyn Iterator<Item = VectorAt<'_>> + '_> {
        match self {
            DocVectors::One(v) => Box::new(std::iter::once((v.as_slice(), None))),
            DocVectors::Passages(ps) => Box::new(
                ps.iter()
                    .map(|p| (p.vector.as_slice(), Some([p.start, p.end]))),
            ),
        }
    }
}

impl BulkDoc {
    /// The NDJSON lines (action + source) of this document, newline-terminated. The vector is
    /// written as f32 (shortest round-trip digits, e.g. `0.1`), not widened to f64 first (which
    /// prints `0.10000000149011612`): the engine parses both to the same float, and the f32 form
    /// is about half the text and a fraction of the formatting time.
    ///
    /// Fields are named by `schema`. Without a title field the title is prefixed to the text
    /// (as it is embedded, so a framework that shows the text shows the title too) and kept as
    /// the metadata key `title` unless the metadata has one. Flattened metadata that collides
    /// with a field of the schema makes a duplicate key, which the engine refuses for that
    /// document (dead-lettered with the engine's reason).
    pub fn to_ndjson(&self, index: &str, schema: &Schema) -> Vec<u8> {
        self.ndjson(index, schema, true)
    }

    /// The NDJSON lines without `_id` in the action: the engine picks the id (OpenSearch
    /// Serverless refuses ids chosen by the client); the corpus id stays in the schema's id
    /// field (`doc_id` by default).
    pub fn to_ndjson_without_id(&self, index: &str, schema: &Schema) -> Vec<u8> {
        self.ndjson(index, schema, false)
    }

    fn ndjson(&self, index: &str, schema: &Schema, with_id: bool) -> Vec<u8> {
        let action = match with_id {
            true => json!({"index": {"_index": index, "_id": self.id}}),
            false => json!({"index": {"_index": index}}),
        };
        let source = Source(self, schema);
        let mut out = serde_json::to_vec(&action).expect("JSON of a map serializes");
        out.push(b'\n');
        serde_json::to_writer(&mut out, &source).expect("JSON of a document serializes");
        out.push(b'\n');
        out
    }
}

/// A document's `_source`, written field by field so the vector goes out as f32.
struct Source<'a>(&'a BulkDoc, &'a Schema);

impl serde::Serialize for Source<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (d, schema) = (self.0, self.1);
        let mut map = s.serialize_map(None)?;
        if let Some(id) = &schema.id {
            map.serialize_entry(id, &d.id)?;
        }
        match &schema.title {
            Some(t) => {
                map.serialize_entry(t, &d.title)?;
                map.serialize_entry(&schema.text, &d.text)?;
            }
            None => {
                map.serialize_entry(&schema.text, &crate::corpus::embed_text(&d.title, &d.text))?
            }
        }
        match (&schema.passages, &d.vector) {
            (None, DocVectors::One(v)) => map.serialize_entry(&schema.vector, v)?,
            (Some(path), vectors) => {
                let at = text_offsets(d, schema);
                map.serialize_entry(path, &Passages(vectors, schema.vector_leaf(), at))?
            }
            // One vector per document asked, passages given: the first. Library callers only:
            // ingest refuses passages for a schema without them (`ingest::check_job`).
            (None, DocVectors::Passages(ps)) => map.serialize_entry(
                &schema.vector,
                ps.first().map(|p| p.vector.as_slice()).unwrap_or_default(),
            )?,
        }
        let title =
            (schema.title.is_none() && !d.title.is_empty() && !d.metadata.contains_key("title"))
                .then_some(&d.title);
        match &schema.metadata {
            Some(m) if !d.metadata.is_empty() || title.is_some() => {
                map.serialize_entry(m, &Metadata(&d.metadata, title))?
            }
            Some(_) => {}
            None => {
                if let Some(t) = title {
                    map.serialize_entry("title", t)?;
                }
                for (k, v) in &d.metadata {
                    map.serialize_entry(k, v)?;
                }
            }
        }
        map.end()
    }
}

/// The nested passages `[{VECTOR, start, end}, ...]`; a single vector is one passage over the
/// whole text.
struct Passages<'a>(&'a DocVectors, &'a str, TextOffsets);

impl serde::Serialize for Passages<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let at = self.2;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (vector, offsets) in self.0.iter() {
            let [start, end] = offsets.unwrap_or([0, at.text_len]);
            seq.serialize_element(&Passage(vector, self.1, at.map(start), at.map(end)))?;
        }
        seq.end()
    }
}

/// Where the corpus text lies in the text field as stored: passages' offsets are cut on the
/// corpus text, and a schema without a title field stores `title + " " + text` (trimmed), so
/// they move by the title's length (and back by trimmed leading whitespace).
#[derive(Clone, Copy)]
struct TextOffsets {
    shift: isize,
    text_len: usize,
    stored_len: usize,
}

impl TextOffsets {
    fn map(self, at: usize) -> usize {
        (at as isize + self.shift).clamp(0, self.stored_len as isize) as usize
    }
}

fn text_offsets(d: &BulkDoc, schema: &Schema) -> TextOffsets {
    let text_len = d.text.chars().count();
    if schema.title.is_some() {
        return TextOffsets {
            shift: 0,
            text_len,
            stored_len: text_len,
        };
    }
    let joined = match d.title.is_empty() {
        true => d.text.clone(),
        false => format!("{} {}", d.title, d.text),
    };
    let trimmed = joined.chars().take_while(|c| c.is_whitespace()).count() as isize;
    let before = (joined.chars().count() - text_len) as isize;
    TextOffsets {
        shift: before - trimmed,
        text_len,
        stored_len: crate::corpus::embed_text(&d.title, &d.text).chars().count(),
    }
}

struct Passage<'a>(&'a [f32], &'a str, usize, usize);

impl serde::Serialize for Passage<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry(self.1, self.0)?;
        map.serialize_entry("start", &self.2)?;
        map.serialize_entry("end", &self.3)?;
        map.end()
    }
}

/// The metadata object, with the title first when it goes there.
struct Metadata<'a>(&'a serde_json::Map<String, Value>, Option<&'a String>);

impl serde::Serialize for Metadata<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        if let Some(t) = self.1 {
            map.serialize_entry("title", t)?;
        }
        for (k, v) in self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// What happened to one item of a bulk request.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    Done,
    /// Worth retrying (429 es_rejected_execution_exception, 503, ...).
    Transient {
        status: u16,
        reason: String,
    },
    /// The engine refuses this document (mapping conflict, parse error): dead-letter it.
    Permanent {
        status: u16,
        reason: String,
    },
}

/// Parse a bulk response into one outcome per item, in request order. `expected` is the number
/// of items sent; a response that does not account for each is an error string.
pub fn parse_bulk_response(body: &Value, expected: usize) -> Result<Vec<ItemOutcome>, String> {
    let items = body.get("items").and_then(Value::as_array).ok_or_else(|| {
        format!(
            "bulk response without `items`: {}",
            truncate(&body.to_string(), 300)
        )
    })?;
    if items.len() != expected {
        return Err(format!(
            "bulk response has {} items for {expected} documents",
            items.len()
        ));
    }
    Ok(items
        .iter()
        .map(|item| {
            let result = item
                .as_object()
                .and_then(|o| o.values().next())
                .cloned()
                .unwrap_or(Value::Null);
            let status = result.get("status").and_then(Value::as_u64).unwrap_or(0) as u16;
            match result.get("error") {
                None if (200..300).contains(&status) => ItemOutcome::Done,
                error => {
                    let reason = error
                        .map(describe_error)
                        .unwrap_or_else(|| format!("status {status}"));
                    if is_transient_status(status) {
                        ItemOutcome::Transient { status, reason }
                    } else {
                        ItemOutcome::Permanent { status, reason }
                    }
                }
            }
        })
        .collect())
}

impl Engine {
    /// Send one bulk body (NDJSON of `n` documents) and return one outcome per document.
    /// Transport errors and whole-request errors come back as `Err` (see `Error::is_transient`).
    pub async fn bulk(&self, ndjson: Vec<u8>, n: usize) -> crate::error::Result<Vec<ItemOutcome>> {
        let body = self.client().bulk(ndjson).await?;
        parse_bulk_response(&body, n).map_err(|reason| self.client.bad_answer(reason))
    }
}

#[cfg(test)]
#[path = "tests/bulk.rs"]
mod tests;
