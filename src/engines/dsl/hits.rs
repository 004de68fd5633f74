//! Reading a search answer: its hits read the schema's way (id, `_source`, the matched passage)
//! in the engine's order with ties broken by id, and the shards that did not answer.

use serde_json::Value;

use super::inner_hits::best_passage;
use crate::engines::layout::schema::Schema;
use crate::engines::transport::{describe_error, truncate};
use crate::hit::Hit;

/// Hits of one search plus the engine's own `took` (ms).
#[derive(Debug, Clone)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    pub took_ms: u64,
    /// `_source` of each hit (title, text), for display.
    pub sources: Vec<Value>,
}

impl SearchResult {
    /// The hits of a search `answer` (shards already checked): a hit's id and `_source` are read
    /// the schema's way (`sources` are `{title, text}`), ties broken by id as documented.
    pub fn read(answer: &Value, schema: &Schema) -> SearchResult {
        let took_ms = answer.get("took").and_then(Value::as_u64).unwrap_or(0);
        let raw = answer
            .pointer("/hits/hits")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut pairs: Vec<(Hit, Value)> = raw
            .into_iter()
            .filter_map(|h| {
                let source = h.get("_source").cloned().unwrap_or(Value::Null);
                let id = schema.hit_id(h.get("_id")?.as_str()?, &source);
                let score = h.get("_score").and_then(Value::as_f64).unwrap_or(0.0) as f32;
                let mut hit = Hit::new(id, score);
                hit.passage = schema.passages.as_deref().and_then(|p| best_passage(&h, p));
                Some((hit, schema.display_source(&source)))
            })
            .collect();
        pairs.sort_by(|a, b| crate::hit::hit_order(&a.0, &b.0));
        let (hits, sources) = pairs.into_iter().unzip();
        SearchResult {
            hits,
            took_ms,
            sources,
        }
    }
}

/// `(failed, total, first reason)` when some shards of an answer did not answer. Not only
/// `_shards.failed`: a shard with no assigned copy (its only node is down) is counted in `total`
/// but in neither `successful` nor `failed` (OpenSearch 3.5.0 answered `total 3, successful 2,
/// failed 0` and 21 of 30 documents), so whatever `total` has beyond `successful` is missing too
/// (skipped shards, which a pre-filter proved empty, are counted as successful).
pub fn shard_failures(answer: &Value) -> Option<(u64, u64, String)> {
    let shards = answer.get("_shards")?;
    let get = |k: &str| shards.get(k).and_then(Value::as_u64);
    let failed = get("failed").unwrap_or(0);
    let total = get("total").unwrap_or(0);
    let missing = match get("successful") {
        Some(ok) => total.saturating_sub(ok),
        None => 0,
    };
    let failed = failed.max(missing);
    if failed == 0 {
        return None;
    }
    let reason = shards
        .pointer("/failures/0/reason")
        .map(describe_error)
        .unwrap_or_else(|| "no copy of the shard answered: unassigned, its node down?".into());
    Some((failed, total, truncate(&reason, 300)))
}

#[cfg(test)]
#[path = "tests/hits.rs"]
mod tests;
