//! `sembridge serve` with a pool of embedding workers: a long `/embed` holds one worker, so
//! searches go on with the others; with every worker busy a kNN search is answered 503 naming the
//! limit after `--worker-wait-ms`, not queued; a request that timed out (504) keeps its worker
//! until its model run ends and then frees it; `/embed` past `--max-embed-tokens` is 413.
//! (Embedding does not depend on the engine: OpenSearch only.)

use std::time::{Duration, Instant};

use sembridge::engines::{Engine, EngineInfo};
use serde_json::{Value, json};

use super::{QUERY, ServeProcess, get, ingest_head, post, query_string};
use crate::support;

/// `n` texts that each hold more than max_seq_length (256) tokens: `n` x 256 tokens to embed.
fn long_texts(n: usize) -> Vec<String> {
    let corpus = std::fs::read_to_string(support::scifact_corpus()).unwrap();
    corpus
        .lines()
        .take(n)
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            let text = d["text"].as_str().unwrap();
            // a SciFact abstract is ~300 words; three times over is always past 256 tokens
            format!("{text} {text} {text} {n}")
        })
        .collect()
}

/// The `/healthz` embedding counts.
async fn busy(url: &str) -> (u64, Value) {
    let (_, h) = get(&format!("{url}/healthz")).await;
    (h["embedding"]["busy"].as_u64().unwrap_or(u64::MAX), h)
}

/// Poll `/healthz` until `busy` workers are running (a request has its worker), at most 60 s.
async fn wait_busy(url: &str, want: u64) -> Value {
    let started = Instant::now();
    loop {
        let (n, h) = busy(url).await;
        if n == want {
            return h;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never {want} busy: {h}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn knn(url: &str) -> String {
    format!(
        "{url}/search?{}",
        query_string(&[("q", QUERY), ("mode", "knn")])
    )
}

async fn long_embed_leaves_the_other_workers_to_searches(_engine: &Engine, info: &EngineInfo) {
    let (index, _dir) = ingest_head(&info.url, "serve-pool", 200);
    let server = ServeProcess::start(
        &info.url,
        &index,
        &[
            "--embed-workers",
            "2",
            "--threads",
            "1",
            "--max-embed-tokens",
            "65536",
            "--max-body-bytes",
            "8388608",
        ],
    );
    let url = server.url.clone();
    let (_, health) = get(&format!("{url}/healthz")).await;
    assert_eq!(health["model"], "ready", "{health}");
    assert_eq!(health["embedding"]["workers"], 2, "{health}");
    assert_eq!(health["embedding"]["busy"], 0, "{health}");

    let texts = long_texts(256);
    let embed_url = format!("{url}/embed");
    let big = tokio::spawn(async move { post(&embed_url, &json!({"texts": texts})).await });
    wait_busy(&url, 1).await;
    // One worker runs the long request; the other serves kNN searches meanwhile.
    for _ in 0..5 {
        let (status, answer) = get(&knn(&url)).await;
        assert_eq!(status, 200, "{answer}");
        assert!(!super::ids(&answer).is_empty(), "{answer}");
    }
    assert!(
        !big.is_finished(),
        "the long /embed ended before the searches did: the test proves nothing (make it longer)"
    );
    let (status, answer) = big.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["vectors"].as_array().unwrap().len(), 256);
    wait_busy(&url, 0).await;
}

async fn busy_pool_answers_503_and_a_timed_out_run_frees_its_worker(
    _engine: &Engine,
    info: &EngineInfo,
) {
    let (index, _dir) = ingest_head(&info.url, "serve-pool1", 200);
    let server = ServeProcess::start(
        &info.url,
        &index,
        &[
            "--embed-workers",
            "1",
            "--threads",
            "1",
            "--request-timeout",
            "1",
            "--worker-wait-ms",
            "300",
            "--max-embed-tokens",
            "60000",
            "--max-body-bytes",
            "8388608",
        ],
    );
    let url = server.url.clone();

    // Past the token cap: refused before the model runs, naming the flag.
    let (status, answer) = post(&format!("{url}/embed"), &json!({"texts": long_texts(256)})).await;
    assert_eq!(status, 413, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("--max-embed-tokens") && error.contains("60000"),
        "{error}"
    );
    assert_eq!(busy(&url).await.0, 0);

    // 200 x 256 tokens on one thread: longer than the 1 s request timeout.
    let started = Instant::now();
    let (status, answer) = post(&format!("{url}/embed"), &json!({"texts": long_texts(200)})).await;
    assert_eq!(status, 504, "{answer}");
    // The run goes on after the answer and keeps the only worker...
    let health = wait_busy(&url, 1).await;
    assert_eq!(health["model"], "busy", "{health}");
    // ...so a kNN search waits --worker-wait-ms and is answered 503 naming the limit,
    let (status, answer) = get(&knn(&url)).await;
    assert_eq!(status, 503, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("--worker-wait-ms")
            && error.contains("--embed-workers")
            && error.contains("300 ms"),
        "{error}"
    );
    // while BM25 (no model) is served as usual.
    let bm25 = format!(
        "{url}/search?{}",
        query_string(&[("q", QUERY), ("mode", "bm25")])
    );
    let (status, answer) = get(&bm25).await;
    assert_eq!(status, 200, "{answer}");
    // When the run ends the worker is free again, and kNN works at once.
    wait_busy(&url, 0).await;
    let freed = started.elapsed();
    assert!(freed > Duration::from_secs(1), "{freed:?}");
    let (status, answer) = get(&knn(&url)).await;
    assert_eq!(status, 200, "{answer}");
    let (_, health) = get(&format!("{url}/healthz")).await;
    assert_eq!(health["model"], "ready", "{health}");
    assert_eq!(health["embedding"]["recovered"], 0, "{health}");
}

mod long_embed_leaves_the_other_workers_to_searches {
    crate::engine_test!(
        long_embed_leaves_the_other_workers_to_searches,
        opensearch,
        OpenSearch
    );
}
mod busy_pool_answers_503_and_a_timed_out_run_frees_its_worker {
    crate::engine_test!(
        busy_pool_answers_503_and_a_timed_out_run_frees_its_worker,
        opensearch,
        OpenSearch
    );
}
