//! Term filters: `field = value` clauses that every leg of a query (BM25, kNN) applies.

use serde_json::{Value, json};

/// A `field = value` term filter applied to every leg of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct TermFilter {
    pub field: String,
    pub value: String,
}

impl TermFilter {
    /// Parse `field=value` (the `--filter` flag, serve's `filter=` parameter); the error says
    /// what is wrong.
    pub fn parse(s: &str) -> std::result::Result<TermFilter, String> {
        let (field, value) = s.split_once('=').ok_or("expected field=value")?;
        if field.trim().is_empty() {
            return Err("empty field name".into());
        }
        Ok(TermFilter {
            field: field.trim().to_owned(),
            value: value.to_owned(),
        })
    }
}

pub(crate) fn filter_clauses(filters: &[TermFilter]) -> Vec<Value> {
    filters
        .iter()
        .map(|f| json!({"term": {f.field.clone(): f.value}}))
        .collect()
}
