//! Bulk NDJSON bodies and per-item results. HTTP 200 is not success: every item of a bulk
//! response is read and sorted into done, transient (retry) and permanent (dead-letter).

use serde_json::{Value, json};

use super::spec::{FIELD_ID, FIELD_METADATA, FIELD_TEXT, FIELD_TITLE, FIELD_VECTOR};
use crate::error::is_transient_status;

/// One document ready to index.
#[derive(Debug, Clone)]
pub struct BulkDoc {
    pub id: String,
    pub title: String,
    pub text: String,
    pub metadata: serde_json::Map<String, Value>,
    pub vector: Vec<f32>,
}

impl BulkDoc {
    /// The NDJSON lines (action + source) of this document, newline-terminated.
    pub fn to_ndjson(&self, index: &str) -> Vec<u8> {
        let action = json!({"index": {"_index": index, "_id": self.id}});
        let mut source = json!({
            FIELD_ID: self.id,
            FIELD_TITLE: self.title,
            FIELD_TEXT: self.text,
            FIELD_VECTOR: self.vector,
        });
        if !self.metadata.is_empty() {
            source[FIELD_METADATA] = Value::Object(self.metadata.clone());
        }
        let mut out = serde_json::to_vec(&action).expect("JSON of a map serializes");
        out.push(b'\n');
        out.extend(serde_json::to_vec(&source).expect("JSON of a map serializes"));
        out.push(b'\n');
        out
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
            vector: vec![0.5, 1.0],
        };
        let text = String::from_utf8(doc.to_ndjson("idx")).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["index"]["_id"], "d1");
        assert_eq!(lines[0]["index"]["_index"], "idx");
        assert_eq!(lines[1]["embedding"][1], 1.0);
        assert!(text.ends_with('\n'));
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
}
