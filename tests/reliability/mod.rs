//! Reliability and security: faults survived through a fault-injecting proxy in front of
//! each real engine (throttling, a node that dies mid-ingest), documents the engine refuses, bad
//! input refused with a message naming file/line/field or URL, and secrets that never show.
//!
//! Vectors come from the cached SciFact store (`--vectors-from`), so no test here runs the model
//! over the corpus; small corpora reuse SciFact ids for the same reason.

mod bad_inputs;
mod dead_letter;
mod faults;
mod messages;
mod secrets;

use std::path::{Path, PathBuf};

use sembridge::engines::{Engine, EngineKind};
use serde_json::Value;

use crate::support::{self, ModelKind};

fn store() -> PathBuf {
    support::scifact_store(ModelKind::Int8)
}

/// The first `n` SciFact documents as (id, title, text): vectors for them are in the store.
fn scifact_docs(n: usize) -> Vec<(String, String, String)> {
    sembridge::corpus::CorpusReader::open(&support::scifact_corpus(), None)
        .unwrap()
        .take(n)
        .map(|d| {
            let d = d.unwrap();
            (d.id, d.title, d.text)
        })
        .collect()
}

/// A JSONL corpus of SciFact documents (their vectors are in the store) with extra fields.
fn write_corpus(dir: &Path, name: &str, extra: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let mut body = String::new();
    for ((id, title, text), more) in scifact_docs(extra.len()).into_iter().zip(extra) {
        let mut doc = serde_json::json!({"_id": id, "title": title, "text": text});
        for (k, v) in more.as_object().unwrap() {
            doc[k] = v.clone();
        }
        body.push_str(&doc.to_string());
        body.push('\n');
    }
    std::fs::write(&path, body).unwrap();
    path
}

fn os_url() -> String {
    support::engine_url(EngineKind::OpenSearch)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn run_delete(url: &str, index: &str) -> Option<()> {
    let rt = tokio::runtime::Runtime::new().ok()?;
    rt.block_on(async {
        let (engine, _) = Engine::connect(&sembridge::engines::ConnectOptions::new(url))
            .await
            .ok()?;
        engine.delete_index(index).await.ok()
    })
}
