//! Checks that a live engine really works, beyond answering `GET /`: `sembridge info` reports
//! them, and a library caller can run the same.

use crate::engines::{BulkDoc, Engine, IndexSpec, KnnParams, Similarity};
use crate::error::Result;

/// Create a 3-dim index, index two vectors, ask for the nearest, delete the index; true when
/// the nearest is the right one. An error (e.g. 403: the credentials may not create an index)
/// comes back as it is.
pub async fn knn_round_trip(engine: &Engine) -> Result<bool> {
    let index = format!("sembridge-smoke-{}", std::process::id());
    let spec = IndexSpec::new(&index, 3);
    engine.create_index(&spec).await?;
    let result = async {
        let mut body = Vec::new();
        for (id, v) in [("x", vec![1.0, 0.0, 0.0]), ("y", vec![0.0, 1.0, 0.0])] {
            let doc = BulkDoc {
                id: id.into(),
                title: String::new(),
                text: id.into(),
                metadata: Default::default(),
                vector: v.into(),
            };
            body.extend(match engine.serverless() {
                true => doc.to_ndjson_without_id(&index, &spec.schema),
                false => doc.to_ndjson(&index, &spec.schema),
            });
        }
        engine.bulk(body, 2).await?;
        engine.refresh(&index).await?;
        // Serverless has no refresh: documents become searchable within seconds.
        let tries = if engine.serverless() { 30 } else { 1 };
        for attempt in 1..=tries {
            let res = engine
                .knn(
                    &index,
                    &spec.schema,
                    &[0.9, 0.1, 0.0],
                    &KnnParams {
                        k: 1,
                        candidates: 10,
                    },
                    &[],
                    Similarity::Cosine,
                )
                .await?;
            if !res.hits.is_empty() || attempt == tries {
                return Ok(res.hits.first().is_some_and(|h| h.doc_id == "x"));
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        Ok(false)
    }
    .await;
    engine.delete_index(&index).await?;
    result
}
