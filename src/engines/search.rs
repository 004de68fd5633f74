//! Searching: kNN, BM25 and any body, with hits read the schema's way (id, `_source`, the
//! matched passage) and an answer with missing shards turned into an error.

use serde_json::Value;

use super::client::Method;
use super::schema::Schema;
use super::spec::{self, KnnParams, Similarity, TermFilter};
use super::{Engine, EngineKind, SearchResult, bulk, elasticsearch, opensearch};
use crate::error::{Error, Result};
use crate::hit::Hit;

impl Engine {
    /// kNN search; scores converted back to the similarity (see each engine's
    /// `score_to_similarity`).
    pub async fn knn(
        &self,
        index: &str,
        schema: &Schema,
        vector: &[f32],
        params: &KnnParams,
        filters: &[TermFilter],
        similarity: Similarity,
    ) -> Result<SearchResult> {
        let body = match self.kind() {
            EngineKind::OpenSearch => {
                opensearch::knn_body_for(self.version, vector, params, filters, schema)
            }
            EngineKind::Elasticsearch => elasticsearch::knn_body(vector, params, filters, schema),
        };
        let mut res = self.search(index, schema, body).await?;
        for h in &mut res.hits {
            h.score = match self.kind() {
                EngineKind::OpenSearch => {
                    opensearch::score_to_similarity(h.score, similarity, schema.scores)
                }
                EngineKind::Elasticsearch => {
                    elasticsearch::score_to_similarity(h.score, similarity)
                }
            };
        }
        Ok(res)
    }

    /// BM25 over title and text (scores are BM25 scores).
    pub async fn bm25(
        &self,
        index: &str,
        schema: &Schema,
        text: &str,
        size: usize,
        filters: &[TermFilter],
    ) -> Result<SearchResult> {
        self.search(index, schema, spec::bm25_body(text, size, filters, schema))
            .await
    }

    /// An answer with failed shards is an error ([`Error::PartialResults`]), never a silently
    /// partial result.
    pub(super) fn check_shards(&self, index: &str, answer: &Value) -> Result<()> {
        match shard_failures(answer) {
            None => Ok(()),
            Some((failed, total, reason)) => Err(Error::PartialResults {
                url: self.url().to_owned(),
                index: index.to_owned(),
                failed,
                total,
                reason,
            }),
        }
    }

    /// Any search body; hits in the engine's order, ties broken by id as documented. A hit's id
    /// and `_source` are read the schema's way (`sources` are `{title, text}`). An answer in
    /// which shards failed is an error naming how many: never a silently partial list.
    pub async fn search(&self, index: &str, schema: &Schema, body: Value) -> Result<SearchResult> {
        let res = self
            .client()
            .json(
                Method::Post,
                &format!("{}/_search", super::names::path_segment(index)),
                Some(body),
            )
            .await?;
        self.check_shards(index, &res)?;
        let took_ms = res.get("took").and_then(Value::as_u64).unwrap_or(0);
        let raw = res
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
        Ok(SearchResult {
            hits,
            took_ms,
            sources,
        })
    }
}

/// The passage `inner_hits` named in a hit of a kNN search over passages (see
/// `spec::best_passage_inner_hits`): its position among the document's passages and its offsets.
fn best_passage(hit: &Value, path: &str) -> Option<crate::hit::PassageRef> {
    let inner = hit.get("inner_hits")?.get(path)?.pointer("/hits/hits/0")?;
    let offset = |k: &str| inner.pointer(k).and_then(Value::as_u64).map(|n| n as usize);
    Some(crate::hit::PassageRef {
        index: offset("/_nested/offset")?,
        start: offset("/_source/start")?,
        end: offset("/_source/end")?,
    })
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
        .map(bulk::describe_error)
        .unwrap_or_else(|| "no copy of the shard answered: unassigned, its node down?".into());
    Some((failed, total, bulk::truncate(&reason, 300)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn failed_shards_are_found_and_described() {
        let whole = json!({"_shards": {"total": 3, "successful": 3, "skipped": 0, "failed": 0}});
        assert_eq!(shard_failures(&whole), None);
        assert_eq!(shard_failures(&json!({"count": 3})), None);
        let partial = json!({"_shards": {"total": 3, "successful": 2, "failed": 1, "failures": [
            {"shard": 2, "index": "x", "reason": {"type": "no_shard_available_action_exception",
             "reason": "No shard available for [x][2]"}}]}});
        let (failed, total, reason) = shard_failures(&partial).unwrap();
        assert_eq!((failed, total), (1, 3));
        assert!(reason.contains("No shard available"), "{reason}");
        let err = Error::PartialResults {
            url: "http://n1:9200".into(),
            index: "x".into(),
            failed,
            total,
            reason,
        };
        assert!(
            err.to_string().contains("1 of 3 shards of `x` failed"),
            "{err}"
        );
        assert!(err.is_transient());
        // a shard without any assigned copy: neither successful nor failed
        let missing = json!({"_shards": {"total": 3, "successful": 2, "skipped": 0, "failed": 0}});
        let (failed, total, reason) = shard_failures(&missing).unwrap();
        assert_eq!((failed, total), (1, 3));
        assert!(reason.contains("unassigned"), "{reason}");
        let skipped = json!({"_shards": {"total": 3, "successful": 3, "skipped": 2, "failed": 0}});
        assert_eq!(shard_failures(&skipped), None);
    }
}
