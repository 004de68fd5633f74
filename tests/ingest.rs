//! `sembridge ingest` against both real engines: SciFact end to end, idempotent re-runs, kill and
//! resume, shards, bad records, mapping mismatch, unreachable cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use sembridge::engines::{Engine, EngineInfo};

use crate::support;

/// `ingest --json` of SciFact with the cached vectors (the model's own path is tested elsewhere),
/// checkpoint and dead-letter in `dir`: (exit code, summary or Null, stderr).
fn ingest(
    info: &EngineInfo,
    index: &str,
    dir: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    support::ingest(&info.url, index, &support::scifact_corpus(), dir, extra)
}

async fn scifact_twice_changes_nothing(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("scifact");
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = ingest(info, &index, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["indexed"], 5183);
    assert_eq!(summary["count_after"], 5183);
    support::assert_scifact_complete(engine, &index).await;
    let (code, summary, err) = ingest(info, &index, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["indexed"], 5183, "a re-run overwrites by _id");
    support::assert_scifact_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(scifact_twice_changes_nothing, compat);

async fn killed_half_way_then_resumed(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("resume");
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("ckpt.json");
    // Small requests, one at a time: slow enough to be killed in the middle.
    let small = [
        "--concurrency",
        "1",
        "--bulk-docs",
        "50",
        "--embed-chunk",
        "50",
    ];
    let mut child = std::process::Command::new(support::bin())
        .args(support::ingest_args(
            &info.url,
            &index,
            &support::scifact_corpus(),
            dir.path(),
            &small,
        ))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let done_at_kill = loop {
        let done = support::checkpoint_done(&checkpoint);
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
    support::assert_scifact_complete(engine, &index).await;
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(killed_half_way_then_resumed, compat);

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
    support::assert_scifact_complete(engine, &index).await;
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
    let (code, summary, err) = support::ingest_with_model(&info.url, &index, &corpus);
    assert_eq!(code, 1, "records were skipped: exit 1\n{err}");
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

async fn recreate_with_an_unreadable_corpus_keeps_the_index(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("keep");
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = ingest(info, &index, dir.path(), &["--limit", "100"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["count_after"], 100);
    // --recreate with a file that is no corpus: the job stops before its first request, so the
    // index it would have dropped is still there, whole.
    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "not json at all\n".repeat(500)).unwrap();
    let (code, _, err) = support::ingest(
        &info.url,
        &index,
        &garbage,
        dir.path(),
        &["--recreate", "--quiet"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not look like a corpus"), "{err}");
    engine.refresh(&index).await.unwrap();
    assert_eq!(
        engine.count(&index).await.unwrap(),
        100,
        "the index was dropped"
    );
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(recreate_with_an_unreadable_corpus_keeps_the_index);

async fn bulk_requests_span_embedding_chunks(engine: &Engine, info: &EngineInfo) {
    // Counted by a pass-through proxy in front of the engine: 1000 documents looked up in chunks
    // of 100 go out as two requests of 500, not ten of 100.
    let proxy = crate::proxy::Proxy::start(&info.url);
    let index = support::unique_index("batching");
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = support::ingest(
        &proxy.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &[
            "--limit",
            "1000",
            "--embed-chunk",
            "100",
            "--bulk-docs",
            "500",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["count_after"], 1000, "{summary}");
    let bulks = proxy
        .faults
        .bulk_requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(bulks, 2, "bulk requests sent");
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(bulk_requests_span_embedding_chunks);

async fn resume_into_a_deleted_index_is_refused(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("gone");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = ingest(info, &index, dir.path(), &["--limit", "100"]);
    assert_eq!(code, 0, "{err}");
    engine.delete_index(&index).await.unwrap();
    // The checkpoint says 100 documents are in; a resume would silently leave them out.
    let (code, _, err) = ingest(info, &index, dir.path(), &["--resume", "--limit", "200"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not exist") && err.contains("without --resume"),
        "{err}"
    );
    assert!(
        !engine.index_exists(&index).await.unwrap(),
        "created anyway"
    );
}
crate::both_engines!(resume_into_a_deleted_index_is_refused);

#[test]
fn unreachable_cluster_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = support::ingest(
        "http://user:topsecret@127.0.0.1:1",
        "x",
        &support::scifact_corpus(),
        dir.path(),
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach http://127.0.0.1:1"), "{err}");
    assert!(!err.contains("topsecret"), "{err}");
}

/// Issue 23 item 12: `--index 'PREFIX*' --recreate` is refused (exit 2 naming `--index` and the
/// `*`) before any request, and the index the pattern matches is still there; the library's
/// `delete_index` refuses a pattern too.
async fn a_pattern_is_never_a_target(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("names");
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::serve::scifact_head(dir.path(), 5);
    let (code, _, err) = support::ingest(&info.url, &index, &corpus, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let pattern = format!("{}*", &index[..index.len() - 2]);
    let (code, _, err) = support::ingest(&info.url, &pattern, &corpus, dir.path(), &["--recreate"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--index") && err.contains("`*`"), "{err}");
    let e = engine.delete_index(&pattern).await.unwrap_err().to_string();
    assert!(e.contains("`*`"), "{e}");
    assert!(
        engine.index_exists(&index).await.unwrap(),
        "the index matching {pattern} was deleted"
    );
    let (code, _, err) = support::ingest(&info.url, "a/_doc", &corpus, dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`/`"), "{err}");
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(a_pattern_is_never_a_target);

/// Issue 23 item 7: a corpus whose ids repeat loses the earlier documents on the engine; the job
/// that created the index sees `_count` below what was acknowledged and exits 1 naming the
/// first duplicate id (it exited 0).
async fn duplicate_ids_are_reported(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("dupes");
    let dir = tempfile::tempdir().unwrap();
    let head = crate::serve::scifact_head(dir.path(), 6);
    let text = std::fs::read_to_string(&head).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let corpus = dir.path().join("dupes.jsonl");
    std::fs::write(&corpus, format!("{text}{}\n", lines[2])).unwrap();
    let first: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    let id = first["_id"].as_str().unwrap();
    let (code, summary, err) = support::ingest(&info.url, &index, &corpus, dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["indexed"], 7, "{summary}");
    assert_eq!(summary["count_after"], 6, "{summary}");
    assert_eq!(summary["skipped"], 1, "{summary}");
    assert!(
        err.contains(&format!("`{id}` (again at line 7)")),
        "names the first duplicate: {err}"
    );
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(duplicate_ids_are_reported);

/// Issue 23 item 6: a resume checks it writes where the checkpoint was written: an index deleted
/// and created again under the same name is refused (it skipped the `done` documents and exited
/// 0), so is one that lost acknowledged documents; and a second job on a checkpoint in use is
/// refused naming the process that holds it.
async fn resume_checks_the_target(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("same");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = ingest(info, &index, dir.path(), &["--limit", "100"]);
    assert_eq!(code, 0, "{err}");
    let ckpt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ckpt.json")).unwrap())
            .unwrap();
    assert!(ckpt["index_uuid"].is_string(), "{ckpt}");

    // Fewer documents than acknowledged.
    let ids: Vec<String> = engine.all_ids(&index).await.unwrap()[..3].to_vec();
    // Bulk deletes by id: the Elasticsearch integ-test zip has no _delete_by_query (no reindex
    // module).
    let mut body = String::new();
    for id in &ids {
        body.push_str(&serde_json::json!({"delete": {"_index": index, "_id": id}}).to_string());
        body.push('\n');
    }
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/_bulk?refresh=true", info.url))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let (code, _, err) = ingest(info, &index, dir.path(), &["--resume", "--limit", "200"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holds 97 documents, fewer than the 100"),
        "{err}"
    );

    // Deleted and created again (by another job) under the same name.
    engine.delete_index(&index).await.unwrap();
    let other = tempfile::tempdir().unwrap();
    let (code, _, err) = ingest(info, &index, other.path(), &["--limit", "100"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = ingest(info, &index, dir.path(), &["--resume", "--limit", "200"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("deleted and created again"), "{err}");

    // A checkpoint in use by a live process (this test's).
    let lock = dir.path().join("ckpt.json.lock");
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let (code, _, err) = ingest(info, &index, dir.path(), &["--limit", "10"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("process {}", std::process::id())),
        "{err}"
    );
    std::fs::remove_file(&lock).unwrap();
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(resume_checks_the_target);
