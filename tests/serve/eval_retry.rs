//! `/eval` (issue 23, item 5): one evaluation within `--eval-timeout`; a failure (here: the
//! engine, slowed by the proxy, misses the deadline) is shown, then a later request tries again
//! and gets the report once the engine is back (it used to be cached for the server's life).
//! The engine does not matter here: OpenSearch only.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sembridge::engines::EngineKind;

use super::{ServeProcess, get, ingest_head};
use crate::proxy::Proxy;
use crate::support;

/// The first `n` judged SciFact test queries and their judgments, as files in `dir`.
fn judged_head(dir: &std::path::Path, n: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    let qrels = std::fs::read_to_string(support::dataset("scifact/qrels/test.tsv")).unwrap();
    let mut lines = qrels.lines();
    let header = lines.next().unwrap();
    let mut ids: Vec<&str> = Vec::new();
    let mut kept = vec![header];
    for l in lines {
        let id = l.split('\t').next().unwrap();
        if !ids.contains(&id) {
            if ids.len() == n {
                break;
            }
            ids.push(id);
        }
        kept.push(l);
    }
    let queries = std::fs::read_to_string(support::dataset("scifact/queries.jsonl")).unwrap();
    let picked: Vec<&str> = queries
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            ids.contains(&v["_id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(picked.len(), n);
    let (q, r) = (dir.join("queries.jsonl"), dir.join("qrels.tsv"));
    std::fs::write(&q, picked.join("\n") + "\n").unwrap();
    std::fs::write(&r, kept.join("\n") + "\n").unwrap();
    (q, r)
}

async fn eval_status(url: &str, want: u16, within: Duration) -> String {
    let started = Instant::now();
    loop {
        let (status, page) = get(&format!("{url}/eval")).await;
        // The report is HTML (a string); a failure may come as a JSON error.
        let page = match page.as_str() {
            Some(text) => text.to_owned(),
            None => page.to_string(),
        };
        if status == want {
            return page;
        }
        assert!(
            started.elapsed() < within,
            "/eval still {status} after {within:?}: {page}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_failure_is_retried() {
    let (engine, info) = support::connect(EngineKind::OpenSearch).await;
    let (index, dir) = ingest_head(&info.url, "serve-eval-retry", 50);
    let (queries, qrels) = judged_head(dir.path(), 3);
    let proxy = Proxy::start(&info.url);
    let server = ServeProcess::start(
        &proxy.url,
        &index,
        &[
            "--queries",
            queries.to_str().unwrap(),
            "--qrels",
            qrels.to_str().unwrap(),
            "--eval-timeout",
            "2",
        ],
    );
    proxy.faults.delay_ms.store(3000, Ordering::SeqCst);
    let page = eval_status(&server.url, 500, Duration::from_secs(30)).await;
    assert!(page.contains("--eval-timeout"), "{page}");
    proxy.faults.delay_ms.store(0, Ordering::SeqCst);
    let page = eval_status(&server.url, 200, Duration::from_secs(120)).await;
    assert!(page.contains("<td>hybrid</td>"), "{page}");
    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    engine.delete_index(&index).await.unwrap();
}
