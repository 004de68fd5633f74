//! Term filters: `field = value` clauses that every leg of a query (BM25, kNN) applies.

use serde_json::{Value, json};

/// A `field = value` term filter applied to every leg of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct TermFilter {
    pub field: String,
    pub value: String,
}

pub(crate) fn filter_clauses(filters: &[TermFilter]) -> Vec<Value> {
    filters
        .iter()
        .map(|f| json!({"term": {f.field.clone(): f.value}}))
        .collect()
}
