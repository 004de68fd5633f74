//! Searching: kNN, BM25 and any body, with an answer with missing shards turned into an error
//! (the bodies are in [`super::dsl`] and the two engine files, the answer read by
//! [`SearchResult::read`]).

use serde_json::Value;

use super::dsl::KnnParams;
use super::dsl::bm25::bm25_body;
use super::dsl::filter::TermFilter;
use super::dsl::hits::{SearchResult, shard_failures};
use super::layout::schema::Schema;
use super::layout::vector::Similarity;
use super::transport::client::Method;
use super::{Engine, EngineKind, elasticsearch, opensearch};
use crate::error::{Error, Result};

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
        self.search(index, schema, bm25_body(text, size, filters, schema))
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
        Ok(SearchResult::read(&res, schema))
    }
}
