//! Every endpoint of `sembridge serve` against an index on each real engine: search results equal
//! `sembridge query` / `sembridge exact` for the same query, embeddings equal the library's, bad
//! requests are 400 JSON naming the parameter, unknown paths 404, metrics count what happened,
//! the eval page renders, and SIGTERM stops the server cleanly.

use std::time::{Duration, Instant};

use sembridge::engines::{Engine, EngineInfo};
use serde_json::{Value, json};

use super::{QUERY, ServeProcess, get, ids, ingest_head, post, query_string, sample};
use crate::support::{self, ModelKind};

/// `sembridge query --json` (or `exact --json` for mode exact): the hit ids.
fn cli_ids(url: &str, index: &str, mode: &str, k: usize) -> Vec<String> {
    let store = support::scifact_store(ModelKind::Int8);
    let k = k.to_string();
    let args: Vec<&str> = match mode {
        "exact" => vec!["exact", "--store", store.to_str().unwrap(), "--json"],
        m => vec![
            "query", "--url", url, "--index", index, "--mode", m, "--json",
        ],
    };
    let mut args = args;
    args.extend(["-k", &k, QUERY]);
    let (code, out, err) = support::run_cli(&args);
    assert_eq!(code, 0, "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn serve_answers_every_endpoint(engine: &Engine, info: &EngineInfo) {
    let (index, _dir) = ingest_head(&info.url, "serve", 1000);
    let store = support::scifact_store(ModelKind::Int8);
    let (queries, qrels) = (
        support::dataset("scifact/queries.jsonl"),
        support::dataset("scifact/qrels/test.tsv"),
    );
    let server = ServeProcess::start(
        &info.url,
        &index,
        &[
            "--store",
            store.to_str().unwrap(),
            "--queries",
            queries.to_str().unwrap(),
            "--qrels",
            qrels.to_str().unwrap(),
        ],
    );
    let base = server.url.clone();

    let (status, health) = get(&format!("{base}/healthz")).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["engine"], "ok");
    assert_eq!(health["model"], "ready", "{health}");
    assert!(
        health["embedding"]["workers"].as_u64() >= Some(1),
        "{health}"
    );

    // Each mode: the same top 10 as the CLI, with texts from the engine.
    for mode in ["bm25", "knn", "hybrid", "exact"] {
        let qs = query_string(&[("q", QUERY), ("mode", mode), ("k", "10")]);
        let (status, answer) = get(&format!("{base}/search?{qs}")).await;
        assert_eq!(status, 200, "{mode}: {answer}");
        assert_eq!(answer["mode"], mode);
        assert_eq!(answer["k"], 10);
        let got = ids(&answer);
        assert_eq!(got.len(), 10, "{mode}: {answer}");
        assert_eq!(got, cli_ids(&info.url, &index, mode, 10), "{mode}");
        let first = &answer["hits"][0];
        assert!(first["score"].as_f64().is_some(), "{first}");
        if mode == "exact" {
            assert!(first["text"].is_null(), "a store holds no texts: {first}");
        } else {
            assert!(
                first["text"].as_str().is_some_and(|t| !t.is_empty()),
                "{first}"
            );
            assert!(answer["took_ms"].as_u64().is_some(), "{answer}");
        }
        if mode != "bm25" {
            assert!(answer["embed_ms"].as_f64().unwrap() > 0.0, "{answer}");
        }
        assert!(answer["client_ms"].as_f64().unwrap() > 0.0, "{answer}");
    }

    // POST with a JSON body; a filter that matches nothing leaves no hits; k is honoured.
    let (status, answer) = post(
        &format!("{base}/search"),
        &json!({"q": QUERY, "mode": "bm25", "k": 3}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(ids(&answer), cli_ids(&info.url, &index, "bm25", 3));
    let (status, answer) = post(
        &format!("{base}/search"),
        &json!({"q": QUERY, "mode": "hybrid", "filter": ["_id=no-such-doc"]}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(ids(&answer).is_empty(), "{answer}");

    // /embed equals the library's embedding of the same text.
    let (status, answer) = post(
        &format!("{base}/embed"),
        &json!({"texts": [QUERY, "second text"], "role": "query"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["dims"], 384);
    assert_eq!(answer["model"], sembridge::paths::DEFAULT_MODEL);
    let got: Vec<Vec<f32>> = serde_json::from_value(answer["vectors"].clone()).unwrap();
    let want = support::int8_embedder().embed_queries(&[QUERY]).unwrap();
    assert_eq!(got.len(), 2);
    let max_diff = got[0]
        .iter()
        .zip(&want[0])
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(max_diff < 1e-5, "vectors differ by {max_diff}");

    // Bad requests: 400 JSON naming the parameter; unknown paths 404 JSON.
    for (qs, param) in [
        ("mode=knn", "`q`"),
        ("q=x&mode=fuzzy", "`mode`"),
        ("q=x&k=0", "`k`"),
        ("q=x&k=1001", "`k`"),
        ("q=x&alpha=3", "`alpha`"),
        ("q=x&size=3", "`size`"),
    ] {
        let (status, answer) = get(&format!("{base}/search?{qs}")).await;
        assert_eq!(status, 400, "{qs}: {answer}");
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"));
        assert!(error.contains(param), "{qs}: {error}");
    }
    let (status, answer) = post(&format!("{base}/embed"), &json!({"texts": "one"})).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("`texts`"));
    let (status, answer) = post(
        &format!("{base}/embed"),
        &json!({"texts": ["a"], "role": "x"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("`role`"));
    let (status, answer) = get(&format!("{base}/no/such/path")).await;
    assert_eq!(status, 404, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("/search"));

    // Metrics counted what happened above.
    let (status, metrics) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    let metrics = metrics.as_str().unwrap().to_owned();
    for mode in ["bm25", "knn", "hybrid", "exact"] {
        let series = format!("sembridge_search_seconds_count{{mode=\"{mode}\"}}");
        assert!(sample(&metrics, &series) >= 1.0, "{series} in\n{metrics}");
    }
    let ok = r#"sembridge_search_requests_total{mode="bm25",outcome="ok"}"#;
    assert_eq!(sample(&metrics, ok), 2.0, "{metrics}");
    let bad = r#"sembridge_search_requests_total{mode="invalid",outcome="bad_request"}"#;
    assert_eq!(sample(&metrics, bad), 6.0, "{metrics}");
    assert!(sample(&metrics, r#"sembridge_embed_seconds_count{route="embed"}"#) >= 1.0);

    // The search page and the eval report (computed on the first request).
    let (status, page) = get(&format!("{base}/")).await;
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("id=\"col-hybrid\""));
    let started = Instant::now();
    let report = loop {
        let (status, page) = get(&format!("{base}/eval")).await;
        let page = page.as_str().unwrap_or_default().to_owned();
        match status {
            200 => break page,
            202 => {}
            other => panic!("/eval answered {other}: {page}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "/eval not ready"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for row in [
        "<td>bm25</td>",
        "<td>knn</td>",
        "<td>hybrid</td>",
        "<td>exact</td>",
        "<svg",
    ] {
        assert!(report.contains(row), "{row} missing from /eval:\n{report}");
    }
    println!("{}: /eval ready after {:?}", info.kind, started.elapsed());

    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("shutting down"), "{err}");
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(serve_answers_every_endpoint);
