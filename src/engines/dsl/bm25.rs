//! The BM25 query, the same JSON on both engines.

use serde_json::{Value, json};

use super::filter::{TermFilter, filter_clauses};
use super::hits_body;
use crate::engines::layout::schema::Schema;

/// The BM25 body, the same for both engines: best_fields over the schema's BM25 fields (title and
/// text by default) with tie_breaker 0.5 (as BEIR's Elasticsearch baseline does).
pub fn bm25_body(text: &str, size: usize, filters: &[TermFilter], schema: &Schema) -> Value {
    let fields: Vec<String> = schema.bm25.iter().map(|b| b.to_query_field()).collect();
    let mut body = hits_body(size, schema);
    body["query"] = json!({"bool": {
        "must": {"multi_match": {"query": text, "type": "best_fields", "tie_breaker": 0.5, "fields": fields}},
        "filter": filter_clauses(filters),
    }});
    body
}
