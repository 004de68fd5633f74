//! Bulk NDJSON bodies and per-item results. HTTP 200 is not success: every item of a bulk
//! response is read and sorted into done, transient (retry) and permanent (dead-letter).

use serde_json::{Value, json};

use super::schema::Schema;
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
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[f32], Option<[usize; 2]>)> + '_> {
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
                map.serialize_entry(path, &Passages(vectors, schema.vector_leaf(), &d.text))?
            }
            // One vector per document asked, passages given: the first (not reached: ingest
            // cuts passages only for a schema with them).
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
struct Passages<'a>(&'a DocVectors, &'a str, &'a str);

impl serde::Serialize for Passages<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let whole = [0, self.2.chars().count()];
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (vector, offsets) in self.0.iter() {
            let [start, end] = offsets.unwrap_or(whole);
            seq.serialize_element(&Passage(vector, self.1, start, end))?;
        }
        seq.end()
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

/// `type: reason (caused by: type: reason)` from an engine error object.
pub fn describe_error(error: &Value) -> String {
    let one = |e: &Value| {
        let t = e.get("type").and_then(Value::as_str).unwrap_or("error");
        let r = e.get("reason").and_then(Value::as_str).unwrap_or("");
        format!("{t}: {r}")
    };
    match error {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let mut s = one(error);
            if let Some(cause) = error.get("caused_by") {
                s.push_str(&format!(" (caused by {})", one(cause)));
            }
            s
        }
        other => other.to_string(),
    }
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_has_action_and_source_lines() {
        let doc = BulkDoc {
            id: "d1".into(),
            title: "T".into(),
            text: "x".into(),
            metadata: Default::default(),
            vector: vec![0.5, 1.0].into(),
        };
        let text = String::from_utf8(doc.to_ndjson("idx", &Schema::default())).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["index"]["_id"], "d1");
        assert_eq!(lines[0]["index"]["_index"], "idx");
        assert_eq!(lines[1]["embedding"][1], 1.0);
        assert!(text.ends_with('\n'));
        let fields: Vec<&str> = lines[1]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            ["doc_id", "embedding", "text", "title"],
            "no metadata key when there is none"
        );
        // Serverless: no `_id` in the action; the source (with doc_id) is the same line.
        let auto = String::from_utf8(doc.to_ndjson_without_id("idx", &Schema::default())).unwrap();
        let (action, source) = auto.trim_end().split_once('\n').unwrap();
        assert_eq!(action, r#"{"index":{"_index":"idx"}}"#);
        assert_eq!(source, text.lines().nth(1).unwrap());
    }

    fn source_of(doc: &BulkDoc, schema: &Schema) -> Value {
        let text = String::from_utf8(doc.to_ndjson("i", schema)).unwrap();
        serde_json::from_str(text.lines().nth(1).unwrap()).unwrap()
    }

    #[test]
    fn each_preset_writes_its_layout() {
        use crate::engines::EngineKind;
        use crate::engines::schema::SchemaPreset;
        let mut metadata = serde_json::Map::new();
        metadata.insert("lang".into(), json!("en"));
        let doc = BulkDoc {
            id: "d1".into(),
            title: "Title".into(),
            text: "body".into(),
            metadata,
            vector: vec![1.0].into(),
        };
        let lc = Schema::preset(SchemaPreset::Langchain, EngineKind::OpenSearch);
        assert_eq!(
            source_of(&doc, &lc),
            json!({"text": "Title body", "vector_field": [1.0], "metadata": {"title": "Title", "lang": "en"}})
        );
        let hs = Schema::preset(SchemaPreset::Haystack, EngineKind::Elasticsearch);
        assert_eq!(
            source_of(&doc, &hs),
            json!({"id": "d1", "content": "Title body", "embedding": [1.0], "title": "Title", "lang": "en"})
        );
        let untitled = BulkDoc {
            title: String::new(),
            metadata: Default::default(),
            ..doc
        };
        assert_eq!(
            source_of(&untitled, &lc),
            json!({"text": "body", "vector_field": [1.0]})
        );
    }

    #[test]
    fn vectors_are_written_as_f32_and_read_back_exactly() {
        let vector: Vec<f32> = vec![0.1, -0.123_456_78, 1e-7, 3.402_823_5e38];
        let mut metadata = serde_json::Map::new();
        metadata.insert("lang".into(), json!("en"));
        let doc = BulkDoc {
            id: "d".into(),
            title: String::new(),
            text: String::new(),
            metadata,
            vector: vector.clone().into(),
        };
        let text = String::from_utf8(doc.to_ndjson("i", &Schema::default())).unwrap();
        assert!(text.contains("[0.1,"), "shortest f32 digits: {text}");
        let source: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        let back: Vec<f32> = source["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(back, vector, "the same floats after a round trip");
        assert_eq!(source["metadata"]["lang"], "en");
    }

    #[test]
    fn items_sorted_into_done_transient_permanent() {
        let body = json!({"errors": true, "items": [
            {"index": {"_id": "a", "status": 201}},
            {"index": {"_id": "b", "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}},
            {"index": {"_id": "c", "status": 400, "error": {"type": "document_parsing_exception", "reason": "failed to parse field [metadata.year]", "caused_by": {"type": "number_format_exception", "reason": "For input string: \"abc\""}}}}
        ]});
        let out = parse_bulk_response(&body, 3).unwrap();
        assert_eq!(out[0], ItemOutcome::Done);
        assert!(
            matches!(&out[1], ItemOutcome::Transient { status: 429, reason } if reason.contains("queue full"))
        );
        assert!(
            matches!(&out[2], ItemOutcome::Permanent { status: 400, reason } if reason.contains("metadata.year") && reason.contains("number_format_exception"))
        );
        assert!(parse_bulk_response(&body, 4).is_err());
    }

    #[test]
    fn passages_are_written_nested_with_their_offsets() {
        let schema = Schema::default().with_passages(true);
        let mut doc = BulkDoc {
            id: "d1".into(),
            title: "T".into(),
            text: "héllo world".into(),
            metadata: Default::default(),
            vector: DocVectors::Passages(vec![
                PassageVector {
                    vector: vec![0.5, 1.0],
                    start: 0,
                    end: 5,
                },
                PassageVector {
                    vector: vec![1.0, 0.0],
                    start: 3,
                    end: 11,
                },
            ]),
        };
        let source = |d: &BulkDoc| -> Value {
            let nd = String::from_utf8(d.to_ndjson("i", &schema)).unwrap();
            serde_json::from_str(nd.lines().nth(1).unwrap()).unwrap()
        };
        let s = source(&doc);
        assert_eq!(
            s["passages"],
            json!([
                {"embedding": [0.5, 1.0], "start": 0, "end": 5},
                {"embedding": [1.0, 0.0], "start": 3, "end": 11}
            ])
        );
        assert!(s.get("embedding").is_none());
        assert_eq!(s["text"], "héllo world");
        // One vector under a passages schema: one passage over the whole text (in characters).
        doc.vector = vec![0.25, 0.75].into();
        assert_eq!(
            source(&doc)["passages"],
            json!([{"embedding": [0.25, 0.75], "start": 0, "end": 11}])
        );
    }
}
