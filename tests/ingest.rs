//! `sembridge ingest` against both real engines: SciFact end to end, idempotent re-runs, kill and
//! resume, shards, bad records, mapping mismatch, unreachable cluster.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sembridge::engines::{Engine, EngineInfo};

use crate::support::{self, ModelKind};

fn scifact_corpus() -> PathBuf {
    support::dataset("scifact/corpus.jsonl")
}

fn scifact_ids() -> BTreeSet<String> {
    sembridge::corpus::CorpusReader::open(&scifact_corpus(), None)
        .unwrap()
        .map(|d| d.unwrap().id)
        .collect()
}

/// `ingest` of SciFact with the cached vectors (the model's own path is tested elsewhere);
/// returns (exit code, parsed --json summary or Null, stderr).
fn ingest(
    info: &EngineInfo,
    index: &str,
    dir: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let store = support::scifact_store(ModelKind::Int8);
    let mut all: Vec<String> = vec![
        "ingest".into(),
        "--url".into(),
        info.url.clone(),
        "--index".into(),
        index.into(),
        "--json".into(),
    ];
    for (flag, path) in [
        ("--checkpoint", dir.join("ckpt.json")),
        ("--dead-letter", dir.join("dead.jsonl")),
        ("--corpus", scifact_corpus()),
        ("--vectors-from", store),
    ] {
        all.push(flag.into());
        all.push(path.display().to_string());
    }
    all.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let (code, out, err) = support::run_cli(&refs);
    assert!(!err.contains("panicked"), "{err}");
    (
        code,
        serde_json::from_str(&out).unwrap_or(serde_json::Value::Null),
        err,
    )
}

async fn assert_complete(engine: &Engine, index: &str) {
    engine.refresh(index).await.unwrap();
    assert_eq!(engine.count(index).await.unwrap(), 5183);
    let ids = engine.all_ids(index).await.unwrap();
    assert_eq!(ids.len(), 5183, "duplicates or missing documents");
    assert_eq!(
        ids.into_iter().collect::<BTreeSet<_>>(),
        scifact_ids(),
        "the id sets differ"
    );
}

async fn scifact_twice_changes_nothing(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("scifact");
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = ingest(info, &index, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["indexed"], 5183);
    assert_eq!(summary["count_after"], 5183);
    assert_complete(engine, &index).await;
    let (code, summary, err) = ingest(info, &index, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["indexed"], 5183, "a re-run overwrites by _id");
    assert_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(scifact_twice_changes_nothing);

async fn killed_half_way_then_resumed(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("resume");
    let dir = tempfile::tempdir().unwrap();
    let store = support::scifact_store(ModelKind::Int8);
    let checkpoint = dir.path().join("ckpt.json");
    let corpus = scifact_corpus();
    // Small requests, one at a time: slow enough to be killed in the middle.
    let mut child = std::process::Command::new(support::bin())
        .args([
            "ingest",
            "--url",
            &info.url,
            "--index",
            &index,
            "--quiet",
            "--concurrency",
            "1",
            "--bulk-docs",
            "50",
            "--embed-chunk",
            "50",
        ])
        .args([
            "--corpus",
            corpus.to_str().unwrap(),
            "--vectors-from",
            store.to_str().unwrap(),
            "--checkpoint",
            checkpoint.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_at_kill = loop {
        let done = std::fs::read_to_string(&checkpoint)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["done"].as_u64())
            .unwrap_or(0);
        if done >= 1000 {
            child.kill().unwrap();
            break done;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(20));
    };
    child.wait().unwrap();
    assert!(done_at_kill < 5183, "killed too late");
    let (code, summary, err) = ingest(info, &index, dir.path(), &["--resume"]);
    assert_eq!(code, 0, "{err}");
    let resumed = summary["resumed_from"].as_u64().unwrap();
    assert!(
        resumed >= done_at_kill,
        "resumed from {resumed}, checkpoint said {done_at_kill}"
    );
    assert_eq!(summary["indexed"].as_u64().unwrap(), 5183 - resumed);
    assert_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(killed_half_way_then_resumed);

async fn two_shards_make_the_whole(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("shards");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (c0, s0, e0) = ingest(info, &index, a.path(), &["--shard", "0/2", "--no-refresh"]);
    let (c1, s1, e1) = ingest(info, &index, b.path(), &["--shard", "1/2"]);
    assert_eq!((c0, c1), (0, 0), "{e0}\n{e1}");
    let (n0, n1) = (
        s0["indexed"].as_u64().unwrap(),
        s1["indexed"].as_u64().unwrap(),
    );
    assert_eq!(n0 + n1, 5183);
    assert!(n0 > 2000 && n1 > 2000, "unbalanced shards {n0}/{n1}");
    assert_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(two_shards_make_the_whole);

async fn bad_records_are_reported_and_the_rest_indexed(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("badrec");
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let mut body = Vec::new();
    body.extend_from_slice(
        b"{\"_id\": \"a\", \"title\": \"Mars\", \"text\": \"Rovers drive on Mars.\"}\n",
    );
    body.extend_from_slice(b"{\"_id\": \"b\", \"text\": \"broken json\"\n");
    body.extend_from_slice(b"{\"title\": \"no id\", \"text\": \"x\"}\n");
    body.extend_from_slice(b"{\"_id\": \"c\", \"text\": \"   \"}\n");
    body.extend_from_slice(b"{\"_id\": \"d\", \"text\": \"bad \xff utf8\"}\n");
    body.extend_from_slice(b"{\"_id\": \"e\", \"text\": \"Neural networks learn from data.\"}\n");
    std::fs::write(&corpus, body).unwrap();
    let (code, out, err) = support::run_cli(&[
        "ingest",
        "--url",
        &info.url,
        "--index",
        &index,
        "--json",
        "--corpus",
        corpus.to_str().unwrap(),
        "--model",
        support::int8_model().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "records were skipped: exit 1\n{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["indexed"], 2);
    assert_eq!(summary["skipped"], 4);
    let c = corpus.display().to_string();
    for (line, what) in [(2, ""), (3, "_id"), (4, "text"), (5, "")] {
        let needle = format!("{c}:{line}:");
        assert!(err.contains(&needle), "line {line} not reported: {err}");
        if !what.is_empty() {
            let reported = err.lines().find(|l| l.contains(&needle)).unwrap();
            assert!(
                reported.contains(what),
                "line {line} should name `{what}`: {reported}"
            );
        }
    }
    assert_eq!(engine.count(&index).await.unwrap(), 2);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(bad_records_are_reported_and_the_rest_indexed);

async fn mapping_mismatch_is_a_clear_error(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("mismatch");
    engine
        .create_index(&sembridge::engines::IndexSpec::new(&index, 768))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = ingest(info, &index, dir.path(), &["--limit", "10"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&index)
            && err.contains("768")
            && err.contains("384")
            && err.contains("--recreate"),
        "{err}"
    );
    assert_eq!(
        engine.count(&index).await.unwrap(),
        0,
        "nothing written into the mismatched index"
    );
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(mapping_mismatch_is_a_clear_error);

#[test]
fn unreachable_cluster_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = support::scifact_store(ModelKind::Int8);
    let corpus = scifact_corpus();
    let (code, _, err) = support::run_cli(&[
        "ingest",
        "--url",
        "http://user:topsecret@127.0.0.1:1",
        "--index",
        "x",
        "--corpus",
        corpus.to_str().unwrap(),
        "--vectors-from",
        store.to_str().unwrap(),
        "--checkpoint",
        dir.path().join("c").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach http://127.0.0.1:1"), "{err}");
    assert!(!err.contains("topsecret"), "{err}");
}
