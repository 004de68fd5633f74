//! Faults survived through the fault-injecting proxy (items 1 and 2): throttled bulk requests and
//! items, and a node that dies mid-ingest, then `--resume`.

use sembridge::engines::{Engine, EngineInfo};
use serde_json::Value;

use crate::proxy::Proxy;
use crate::support;

/// Item 2: 30% of bulk requests answered 429, 10% of the items of the others marked 429
/// (es_rejected_execution_exception): the job completes, every document is there once, and the
/// retries are counted.
async fn throttled_ingest_loses_nothing(engine: &Engine, info: &EngineInfo) {
    let proxy = Proxy::start(&info.url);
    let f = &proxy.faults;
    f.reject_bulk_per_mille
        .store(300, std::sync::atomic::Ordering::SeqCst);
    f.item_429_per_mille
        .store(100, std::sync::atomic::Ordering::SeqCst);
    let index = support::unique_index("throttle");
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = support::ingest(
        &proxy.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &[
            "--bulk-docs",
            "250",
            "--concurrency",
            "4",
            "--retry-initial-ms",
            "5",
            "--retry-for",
            "30",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["indexed"], 5183, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["count_after"], 5183, "{summary}");
    let retried = summary["retried"].as_u64().unwrap();
    let (rejected, rewritten) = (f.count(&f.rejected_bulk), f.count(&f.rewritten_items));
    println!(
        "{}: {} bulk requests, {rejected} answered 429, {rewritten} items marked 429, {retried} retries",
        info.kind,
        f.count(&f.bulk_requests)
    );
    assert!(rejected > 0 && rewritten > 0, "the proxy injected nothing");
    assert!(
        retried >= rejected + rewritten,
        "retries {retried} < faults {rejected} + {rewritten}"
    );
    support::assert_scifact_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(throttled_ingest_loses_nothing);

/// Item 1 (through the proxy): the node "dies" after a few bulk requests (connections dropped and
/// refused); ingest retries for `--retry-for` seconds, exits 2 naming the URL and leaves a
/// checkpoint; after the node is back, `--resume` completes with every id exactly once.
async fn engine_dies_then_resume_completes(engine: &Engine, info: &EngineInfo) {
    let proxy = Proxy::start(&info.url);
    let f = &proxy.faults;
    f.down_after_bulk
        .store(8, std::sync::atomic::Ordering::SeqCst);
    let index = support::unique_index("dies");
    let dir = tempfile::tempdir().unwrap();
    let small = [
        "--bulk-docs",
        "100",
        "--embed-chunk",
        "100",
        "--concurrency",
        "2",
        "--retry-initial-ms",
        "50",
    ];
    let mut args = small.to_vec();
    args.extend(["--retry-for", "2"]);
    let started = std::time::Instant::now();
    let (code, _, err) = support::ingest(
        &proxy.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &args,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("cannot reach {}", proxy.url)),
        "the error names the URL: {err}"
    );
    assert!(err.contains("--resume"), "the error says what to do: {err}");
    assert!(
        started.elapsed().as_secs() < 30,
        "gave up after {:?}",
        started.elapsed()
    );
    let ckpt: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ckpt.json")).unwrap())
            .unwrap();
    let done = ckpt["done"].as_u64().unwrap();
    assert!(done > 0 && done < 5183, "checkpoint {ckpt}");
    assert_eq!(ckpt["finished"], false);
    assert!(f.count(&f.dropped) > 0);

    // The node comes back.
    f.down_after_bulk
        .store(0, std::sync::atomic::Ordering::SeqCst);
    f.set_down(false);
    let mut args = small.to_vec();
    args.push("--resume");
    let (code, summary, err) = support::ingest(
        &proxy.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &args,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["resumed_from"], done, "{summary}");
    assert_eq!(summary["indexed"].as_u64().unwrap(), 5183 - done);
    support::assert_scifact_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(engine_dies_then_resume_completes);
