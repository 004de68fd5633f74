//! Documents the engine refuses (item 3) land in the dead-letter file; the others are indexed.

use std::collections::BTreeSet;

use sembridge::engines::{Engine, EngineInfo};
use serde_json::Value;

use super::{scifact_docs, write_corpus};
use crate::support;

/// Item 3: documents whose `year` conflicts with the mapping the first one made (long) are
/// refused by the engine; they land in the dead-letter file with the engine's reason, the others
/// are indexed, the exit code is 1 and the checkpoint counts them as done.
async fn refused_documents_go_to_the_dead_letter_file(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("deadletter");
    let dir = tempfile::tempdir().unwrap();
    let years: Vec<Value> = (0..20)
        .map(|i| match i {
            7 | 13 => serde_json::json!({"year": "not a number"}),
            _ => serde_json::json!({"year": 2000 + i}),
        })
        .collect();
    let corpus = write_corpus(dir.path(), "corpus.jsonl", &years);
    let (code, summary, err) = support::ingest(&info.url, &index, &corpus, dir.path(), &[]);
    assert_eq!(code, 1, "documents were refused: exit 1\n{err}");
    assert_eq!(summary["indexed"], 18, "{summary}");
    assert_eq!(summary["failed"], 2, "{summary}");
    assert_eq!(summary["count_after"], 18, "{summary}");
    let dead = std::fs::read_to_string(dir.path().join("dead.jsonl")).unwrap();
    let dead: Vec<Value> = dead
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let docs = scifact_docs(20);
    let want: BTreeSet<&str> = [docs[7].0.as_str(), docs[13].0.as_str()].into();
    let got: BTreeSet<&str> = dead.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(got, want, "{dead:?}");
    for d in &dead {
        assert_eq!(d["status"], 400, "{d}");
        let reason = d["reason"].as_str().unwrap();
        assert!(
            reason.contains("year") && reason.contains("parsing_exception"),
            "the engine's reason: {reason}"
        );
        assert!(d["line"] == 8 || d["line"] == 14, "{d}");
    }
    let ckpt: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ckpt.json")).unwrap())
            .unwrap();
    assert_eq!(ckpt["done"], 20);
    let ids: BTreeSet<String> = engine.all_ids(&index).await.unwrap().into_iter().collect();
    assert_eq!(ids.len(), 18);
    assert!(want.iter().all(|w| !ids.contains(*w)));

    // Issue 23 item 11: the checkpoint keeps the refusals, so a resume of the finished job
    // still exits 1 and names the dead-letter file (it exited 0 with failed 0).
    assert_eq!(ckpt["failed"], 2, "{ckpt}");
    let (code, summary, err) =
        support::ingest(&info.url, &index, &corpus, dir.path(), &["--resume"]);
    assert_eq!(code, 1, "a resume after refusals: still exit 1\n{err}");
    assert_eq!(summary["failed"], 2, "{summary}");
    assert_eq!(summary["indexed"], 0, "{summary}");
    let named = summary["dead_letter"].as_str().unwrap_or_default();
    assert!(named.ends_with("dead.jsonl"), "{summary}");
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(refused_documents_go_to_the_dead_letter_file);
