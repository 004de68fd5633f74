//! `eval --trec-run`: the run files score, in an independent implementation of trec_eval's
//! nDCG@10 (tests/trec_ndcg.py, ties by docno descending as trec_eval), exactly as sembridge
//! printed, hybrid (RRF, many tied scores) included. SciFact on OpenSearch.

use sembridge::engines::EngineKind;

use crate::support::{self, ModelKind};

#[tokio::test]
async fn trec_run_files_score_the_same_ndcg_in_trec_eval_rules() {
    let (engine, info) = support::connect(EngineKind::OpenSearch).await;
    let index = support::unique_index("trecrun");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = support::ingest(
        &info.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let runs = dir.path().join("runs");
    let qrels = support::dataset("scifact/qrels/test.tsv");
    let store = support::scifact_store(ModelKind::Int8);
    let (model, queries) = (
        support::int8_model(),
        support::dataset("scifact/queries.jsonl"),
    );
    let args: Vec<String> = [
        "eval",
        "--url",
        &info.url,
        "--index",
        &index,
        "--json",
        "--model",
        model.to_str().unwrap(),
        "--queries",
        queries.to_str().unwrap(),
        "--qrels",
        qrels.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--trec-run",
        runs.to_str().unwrap(),
    ]
    .map(String::from)
    .into();
    let (code, out, err) = support::run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    engine.delete_index(&index).await.unwrap();
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();

    let files: Vec<String> = ["bm25", "knn", "hybrid", "exact"]
        .iter()
        .map(|m| runs.join(format!("{m}.run")).display().to_string())
        .collect();
    let py = std::process::Command::new(sembridge::paths::home().join("venv/bin/python"))
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/trec_ndcg.py"))
        .arg(&qrels)
        .args(&files)
        .output()
        .expect("run the venv's python");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let independent: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();

    for mode in ["bm25", "knn", "hybrid", "exact"] {
        let ours = report["modes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mode"] == mode)
            .unwrap()["ndcg10"]
            .as_f64()
            .unwrap();
        let theirs = independent[format!("{mode}.run")].as_f64().unwrap();
        println!("{mode}: sembridge {ours:.6}, trec_eval rules on the run file {theirs:.6}");
        assert!(
            (ours - theirs).abs() < 1e-9,
            "{mode}: sembridge nDCG@10 {ours} vs {theirs} from the run file"
        );
        // 300 judged queries, at most 100 lines each: kNN and exact always find 100 of SciFact's
        // 5,183 documents; BM25 (and so hybrid) fewer for a query whose terms few documents hold.
        let text = std::fs::read_to_string(runs.join(format!("{mode}.run"))).unwrap();
        let lines = text.lines().count();
        let queries: std::collections::BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(queries.len(), 300, "{mode}");
        match mode {
            "knn" | "exact" => assert_eq!(lines, 300 * 100, "{mode}"),
            _ => assert!(lines > 290 * 100 && lines <= 300 * 100, "{mode}: {lines}"),
        }
    }
}
