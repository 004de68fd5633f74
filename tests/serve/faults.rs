//! `sembridge serve` when things go wrong: the engine goes away behind the fault-injecting proxy
//! (503 with the reason, `/healthz` 503, then recovery when it is back: the shared engines are
//! never stopped), a server with every slot busy answers 503 at once instead of queueing, a slow
//! engine gets 504, and SIGTERM lets the requests in flight finish.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sembridge::engines::{Engine, EngineInfo};

use super::{QUERY, ServeProcess, get, ingest_head, post, query_string, sample};
use crate::proxy::Proxy;

async fn serve_reports_engine_down_then_recovers(engine: &Engine, info: &EngineInfo) {
    let (index, _dir) = ingest_head(&info.url, "serve-down", 200);
    let proxy = Proxy::start(&info.url);
    let server = ServeProcess::start(&proxy.url, &index, &[]);
    let search = format!(
        "{}/search?{}",
        server.url,
        query_string(&[("q", QUERY), ("mode", "hybrid")])
    );
    let (status, answer) = get(&search).await;
    assert_eq!(status, 200, "{answer}");

    proxy.faults.set_down(true);
    for mode in ["bm25", "hybrid"] {
        let url = format!(
            "{}/search?{}",
            server.url,
            query_string(&[("q", QUERY), ("mode", mode)])
        );
        let (status, answer) = get(&url).await;
        assert_eq!(status, 503, "{mode}: {answer}");
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"));
        assert!(error.starts_with("engine unavailable: "), "{error}");
        assert!(
            error.contains(&proxy.url),
            "the reason names the engine URL: {error}"
        );
    }
    let (status, health) = get(&format!("{}/healthz", server.url)).await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["engine"], "unreachable");
    assert!(
        health["error"].as_str().unwrap().contains(&proxy.url),
        "{health}"
    );
    assert!(proxy.faults.count(&proxy.faults.dropped) > 0);

    proxy.faults.set_down(false);
    let started = Instant::now();
    loop {
        let (status, answer) = get(&search).await;
        if status == 200 {
            assert!(!super::ids(&answer).is_empty(), "{answer}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no recovery within 10 s: {status} {answer}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, health) = get(&format!("{}/healthz", server.url)).await;
    assert_eq!(status, 200, "{health}");
    let (_, metrics) = get(&format!("{}/metrics", server.url)).await;
    let metrics = metrics.as_str().unwrap();
    let errors = sample(metrics, r#"sembridge_engine_errors_total{mode="hybrid"}"#);
    assert!(errors >= 1.0, "{metrics}");
    println!(
        "{}: engine down -> 503, back after {:?}",
        info.kind,
        started.elapsed()
    );
    drop(server);
    engine.delete_index(&index).await.unwrap();
    assert!(proxy.faults.requests.load(Ordering::SeqCst) > 0);
}
crate::both_engines!(serve_reports_engine_down_then_recovers);

/// One slot (`--max-concurrent 1`) and 24 hybrid searches at once: some are answered, the others
/// get 503 JSON saying the server is busy, none waits or fails otherwise.
async fn serve_sheds_load_when_full(engine: &Engine, info: &EngineInfo) {
    let (index, _dir) = ingest_head(&info.url, "serve-full", 200);
    let server = ServeProcess::start(&info.url, &index, &["--max-concurrent", "1"]);
    let url = format!(
        "{}/search?{}",
        server.url,
        query_string(&[("q", QUERY), ("mode", "hybrid"), ("k", "100")])
    );
    let calls = (0..24).map(|_| get(&url));
    let answers = futures::future::join_all(calls).await;
    let (mut ok, mut busy) = (0, 0);
    for (status, answer) in &answers {
        match status {
            200 => ok += 1,
            503 => {
                let error = answer["error"].as_str().unwrap();
                assert!(error.contains("--max-concurrent"), "{error}");
                busy += 1;
            }
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert!(ok >= 1 && busy >= 1, "{ok} answered, {busy} turned away");
    let (_, metrics) = get(&format!("{}/metrics", server.url)).await;
    let shed = sample(
        metrics.as_str().unwrap(),
        r#"sembridge_rejected_requests_total{reason="overloaded"}"#,
    );
    assert_eq!(shed as usize, busy);
    println!("{}: {ok} answered, {busy} turned away", info.kind);
    drop(server);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(serve_sheds_load_when_full);

/// The slots are shared by every bounded route and method: with `--max-concurrent 1` and one GET
/// /search held at a slow engine, a POST /search and an /embed (which needs no engine) are turned
/// away at once too.
async fn serve_shares_one_limit_across_routes(engine: &Engine, info: &EngineInfo) {
    let (index, _dir) = ingest_head(&info.url, "serve-onelimit", 200);
    let proxy = Proxy::start(&info.url);
    let server = ServeProcess::start(&proxy.url, &index, &["--max-concurrent", "1"]);
    proxy.faults.delay_ms.store(1500, Ordering::SeqCst);
    let held = format!(
        "{}/search?{}",
        server.url,
        query_string(&[("q", QUERY), ("mode", "bm25")])
    );
    let in_flight = in_flight_at(&proxy, held).await;
    let body = serde_json::json!({"q": QUERY, "mode": "bm25"});
    let (status, answer) = post(&format!("{}/search", server.url), &body).await;
    assert_eq!(
        status, 503,
        "POST /search while the slot is taken: {answer}"
    );
    let texts = serde_json::json!({"texts": ["a"]});
    let (status, answer) = post(&format!("{}/embed", server.url), &texts).await;
    assert_eq!(status, 503, "/embed while the slot is taken: {answer}");
    let (status, answer) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    proxy.faults.delay_ms.store(0, Ordering::SeqCst);
    drop(server);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(serve_shares_one_limit_across_routes);

/// A slow engine (the proxy holds each request back): past `--request-timeout` the answer is 504
/// JSON naming the flag; a request in flight when SIGTERM arrives still gets its answer, then the
/// server exits 0.
async fn serve_times_out_and_drains_on_sigterm(engine: &Engine, info: &EngineInfo) {
    let (index, _dir) = ingest_head(&info.url, "serve-slow", 200);
    let proxy = Proxy::start(&info.url);
    // 2 s: the request in flight at SIGTERM below is held 0.7 s and must finish within it, also
    // on 2 busy cores while other tests run (1 s left 0.3 s and timed out once under load).
    let server = ServeProcess::start(&proxy.url, &index, &["--request-timeout", "2"]);
    let search = format!(
        "{}/search?{}",
        server.url,
        query_string(&[("q", QUERY), ("mode", "bm25")])
    );
    proxy.faults.delay_ms.store(4500, Ordering::SeqCst);
    let started = Instant::now();
    let (status, answer) = get(&search).await;
    assert_eq!(status, 504, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("--request-timeout"),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(4400),
        "{:?}",
        started.elapsed()
    );
    let (_, metrics) = get(&format!("{}/metrics", server.url)).await;
    let timeouts = sample(
        metrics.as_str().unwrap(),
        r#"sembridge_rejected_requests_total{reason="timeout"}"#,
    );
    assert_eq!(timeouts, 1.0);

    proxy.faults.delay_ms.store(700, Ordering::SeqCst);
    // SIGTERM only once the request is in flight.
    let in_flight = in_flight_at(&proxy, search).await;
    let stopped = tokio::task::spawn_blocking(move || server.stop());
    let (status, answer) = in_flight.await.unwrap();
    assert_eq!(status, 200, "the request in flight at SIGTERM: {answer}");
    assert!(!super::ids(&answer).is_empty(), "{answer}");
    let (code, err) = stopped.await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    proxy.faults.delay_ms.store(0, Ordering::SeqCst);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(serve_times_out_and_drains_on_sigterm);

/// GET `url` in the background and return once the request is in flight: the proxy has seen it
/// (and, with a delay set, holds it back from the engine).
async fn in_flight_at(
    proxy: &Proxy,
    url: String,
) -> tokio::task::JoinHandle<(u16, serde_json::Value)> {
    let before = proxy.faults.requests.load(Ordering::SeqCst);
    let request = tokio::spawn(async move { get(&url).await });
    let waited = Instant::now();
    while proxy.faults.requests.load(Ordering::SeqCst) == before {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the search never reached the proxy"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    request
}
