//! One JSON Lines record (or one plain-text line) to a [`Doc`], with an error naming the field.

use std::path::Path;

use serde_json::{Map, Value};

use super::{Doc, MAX_ID_BYTES};
use crate::error::{Error, Result};

/// The field names a JSONL record is read with.
pub(crate) struct JsonFields<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub title: Option<&'a str>,
}

/// Parses one non-blank line of a JSONL corpus.
pub(crate) fn parse_doc(path: &Path, line: u64, bytes: &[u8], fields: &JsonFields) -> Result<Doc> {
    let err = |field: Option<&str>, msg: String| Error::record(path, line, field, msg);
    let text = super::lines::utf8(bytes).map_err(|m| err(None, m))?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        err(
            None,
            format!("invalid JSON: {e}; a JSONL corpus holds one JSON object per line"),
        )
    })?;
    let Value::Object(mut obj) = value else {
        return Err(err(
            None,
            format!(
                "expected a JSON object, found {}; a JSONL corpus holds one JSON object per line",
                kind(&value)
            ),
        ));
    };
    let id = take_id(&mut obj, fields.id).map_err(|m| err(Some(fields.id), m))?;
    let text = match obj.remove(fields.text) {
        None | Some(Value::Null) => return Err(err(Some(fields.text), "missing".into())),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(err(
                Some(fields.text),
                format!("expected a string, found {}", kind(&other)),
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(err(Some(fields.text), "empty: nothing to embed".into()));
    }
    let title = match fields.title.map(|f| (f, obj.remove(f))) {
        None | Some((_, None | Some(Value::Null))) => String::new(),
        Some((_, Some(Value::String(s)))) => s,
        Some((f, Some(other))) => {
            return Err(err(
                Some(f),
                format!("expected a string, found {}", kind(&other)),
            ));
        }
    };
    let metadata = flatten_metadata(obj);
    Ok(Doc {
        id,
        title,
        text,
        metadata,
        line,
    })
}

/// A line of a plain-text corpus: the line number is the id.
pub(crate) fn text_doc(path: &Path, line: u64, bytes: &[u8]) -> Result<Doc> {
    let text = super::lines::utf8(bytes).map_err(|m| Error::record(path, line, None, m))?;
    if text.trim().is_empty() {
        // Only Unicode whitespace (blank ASCII lines never get here).
        return Err(Error::record(path, line, None, "empty: nothing to embed"));
    }
    Ok(Doc {
        id: line.to_string(),
        title: String::new(),
        text: text.to_owned(),
        metadata: Map::new(),
        line,
    })
}

/// Removes and validates the id: a non-empty string or a JSON number (kept as its decimal text).
pub(crate) fn take_id(obj: &mut Map<String, Value>, field: &str) -> Result<String, String> {
    let id = match obj.remove(field) {
        None | Some(Value::Null) => return Err("missing".into()),
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(format!(
                "expected a string or a number, found {}",
                kind(&other)
            ));
        }
    };
    check_id(&id)?;
    Ok(id)
}

/// An id must hold something other than whitespace and fit the engines' `_id` limit.
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err("empty".into());
    }
    if id.len() > MAX_ID_BYTES {
        return Err(format!(
            "{} bytes long; OpenSearch and Elasticsearch accept ids of at most {MAX_ID_BYTES} bytes",
            id.len()
        ));
    }
    Ok(())
}

/// The remaining fields, with the keys of a `metadata` object lifted to the top (top-level fields
/// win on a clash). A `metadata` field that is not an object is kept under that name.
fn flatten_metadata(mut obj: Map<String, Value>) -> Map<String, Value> {
    match obj.remove("metadata") {
        Some(Value::Object(mut inner)) => {
            inner.extend(obj);
            inner
        }
        Some(other) => {
            obj.insert("metadata".into(), other);
            obj
        }
        None => obj,
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
