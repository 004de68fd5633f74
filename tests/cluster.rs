//! The three-node OpenSearch cluster of `scripts/engines.sh --profile cluster`: SciFact goes in
//! while a data node is killed (`kill -9`) half way; nothing is lost or doubled, queries answer
//! while the node is down, and an answer with failed shards is an error, never a silently partial
//! result. Skipped unless SEMBRIDGE_CLUSTER_URL is set (scripts/test.sh sets it).

use std::time::{Duration, Instant};

use sembridge::engines::{ConnectOptions, Engine, IndexSpec};

use crate::support;

/// `scripts/engines.sh ARGS --profile cluster`: its stdout.
fn engines_sh(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/engines.sh");
    let out = std::process::Command::new(script)
        .args(args)
        .args(["--profile", "cluster"])
        .output()
        .expect("run scripts/engines.sh");
    assert!(
        out.status.success(),
        "scripts/engines.sh {args:?} --profile cluster: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_half_way_loses_nothing() {
    let Ok(url) = std::env::var("SEMBRIDGE_CLUSTER_URL") else {
        eprintln!(
            "skipped: SEMBRIDGE_CLUSTER_URL is not set (scripts/test.sh starts --profile cluster)"
        );
        return;
    };
    let (engine, info) = Engine::connect(&ConnectOptions::new(&url)).await.unwrap();
    println!("{} {} at {url}", info.kind, info.version);
    // The client talks to node 1; node 3 is killed.
    let victim = engines_sh(&["pid", "3"]);
    let victim: i32 = victim
        .parse()
        .unwrap_or_else(|_| panic!("pid of node 3: {victim:?}"));

    // An index without replicas, one shard on each node: once node 3 is gone, its answers are
    // partial, and sembridge must say so.
    let fragile = support::unique_index("fragile");
    let mut spec = IndexSpec::new(&fragile, 3);
    spec.shards = 3;
    spec.replicas = 0;
    engine.create_index(&spec).await.unwrap();
    let ids: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
    let mut body = Vec::new();
    for id in &ids {
        body.extend(
            sembridge::engines::BulkDoc {
                id: id.clone(),
                title: "fragile".into(),
                text: format!("fragile document {id}"),
                metadata: Default::default(),
                vector: vec![1.0, 0.5, 0.25].into(),
            }
            .to_ndjson(&fragile, &Default::default()),
        );
    }
    engine.bulk(body, ids.len()).await.unwrap();
    engine.refresh(&fragile).await.unwrap();
    assert_eq!(engine.count(&fragile).await.unwrap(), 30);

    // SciFact with 3 shards and 1 replica, slowly enough to be half way when the node dies.
    let index = support::unique_index("cluster");
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("ckpt.json");
    let args = support::ingest_args(
        &url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &[
            "--shards",
            "3",
            "--replicas",
            "1",
            "--concurrency",
            "1",
            "--bulk-docs",
            "100",
            "--embed-chunk",
            "100",
            "--retry-for",
            "120",
        ],
    );
    let started = Instant::now();
    let child = std::process::Command::new(support::bin())
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let done_at_kill = loop {
        let done = support::checkpoint_done(&checkpoint);
        if done >= 2000 {
            break done;
        }
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(20));
    };
    // SAFETY-free: a plain kill(2) through the kill command.
    let killed = std::process::Command::new("kill")
        .args(["-9", &victim.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    println!("killed node 3 (pid {victim}) at {done_at_kill} documents done");

    // Queries while the node is down: SciFact (1 replica) answers whole every time; the index
    // without replicas is reported partial (or answers whole only if the cluster said so).
    let mut partial_reported = 0;
    for i in 0..10 {
        let res = engine
            .bm25(&index, &Default::default(), "cancer cells", 10, &[])
            .await;
        match res {
            Ok(r) => assert!(!r.hits.is_empty() || i == 0, "no hits"),
            Err(e) => panic!("a query on the replicated index failed while node 3 is down: {e}"),
        }
        match engine
            .bm25(&fragile, &Default::default(), "fragile", 30, &[])
            .await
        {
            Err(sembridge::Error::PartialResults { failed, total, .. }) => {
                assert!(failed >= 1 && total == 3, "{failed}/{total}");
                partial_reported += 1;
            }
            Err(e) => panic!("unexpected error on the fragile index: {e}"),
            Ok(r) => assert_eq!(r.hits.len(), 30, "a partial answer passed as whole"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("fragile index: {partial_reported} of 10 answers refused as partial");
    assert!(partial_reported > 0, "a missing shard was never reported");
    // The CLI says so too, and exits 2.
    let (code, _, err) = support::run_cli(&[
        "query", "fragile", "--index", &fragile, "--mode", "bm25", "--url", &url,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("shards of") && err.contains("partial"),
        "{err}"
    );

    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    println!(
        "ingest with node 3 killed: exit {:?} after {:.0} s",
        out.status.code(),
        started.elapsed().as_secs_f64()
    );
    if out.status.code() != Some(0) {
        // stopped with a checkpoint: --resume completes the job
        println!("first run stopped: {err}");
        let (code, summary, err) = support::ingest(
            &url,
            &index,
            &support::scifact_corpus(),
            dir.path(),
            &["--resume", "--retry-for", "120"],
        );
        assert_eq!(code, 0, "{err}");
        println!("resumed: {summary}");
    }
    support::assert_scifact_complete(&engine, &index).await;
    println!("cluster: 5183 documents, same id set as the corpus, 0 missing, 0 duplicates");
    engine.delete_index(&index).await.unwrap();
    engine.delete_index(&fragile).await.unwrap();
    // Leave the cluster whole for whatever runs next.
    engines_sh(&["start", "3"]);
}
