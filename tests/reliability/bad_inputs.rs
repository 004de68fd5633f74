//! Bad input (item 4): bad corpus records named by file:line:field and skipped, a 10 MB text,
//! whole-run refusals naming the file, flag or URL, wrong credentials, differing vector dims.

use std::path::Path;

use sembridge::engines::{Engine, EngineKind};

use super::{os_url, run_delete, scifact_docs, store, strs, write_corpus};
use crate::proxy::{Proxy, basic_auth};
use crate::support;

/// Item 4, corpus records: each bad record is reported as file:line (and field), skipped, and
/// the good ones indexed; exit 1. A 10 MB text is indexed (the model truncates it, the engines
/// take it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_name_file_line_and_field() {
    let (engine, _) = support::connect(EngineKind::OpenSearch).await;
    let index = support::unique_index("badinput");
    let dir = tempfile::tempdir().unwrap();
    let docs = scifact_docs(3);
    let good = |i: usize| {
        serde_json::json!({"_id": docs[i].0, "title": docs[i].1, "text": docs[i].2}).to_string()
    };
    let big = "claims about cells and proteins ".repeat(10 * 1024 * 1024 / 32);
    let lines: Vec<Vec<u8>> = vec![
        good(0).into_bytes(),
        b"{\"_id\": \"x1\", \"text\": \"unterminated\"".to_vec(),
        b"{\"title\": \"no id\", \"text\": \"x\"}".to_vec(),
        b"{\"_id\": \"x3\", \"title\": \"no text\"}".to_vec(),
        b"{\"_id\": \"x4\", \"text\": \"\"}".to_vec(),
        b"{\"_id\": \"x5\", \"text\": \"bad \xc3\x28 utf8\"}".to_vec(),
        b"[1, 2, 3]".to_vec(),
        b"{\"_id\": {\"nested\": 1}, \"text\": \"x\"}".to_vec(),
        good(1).into_bytes(),
        serde_json::json!({"_id": docs[2].0, "text": big})
            .to_string()
            .into_bytes(),
    ];
    let corpus = dir.path().join("corpus.jsonl");
    std::fs::write(&corpus, lines.join(&b"\n"[..])).unwrap();
    let (code, summary, err) = support::ingest(&os_url(), &index, &corpus, dir.path(), &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(summary["skipped"], 7, "{summary}");
    assert_eq!(summary["indexed"], 3, "{summary}");
    let c = corpus.display().to_string();
    for (line, what) in [
        (2, "invalid JSON"),
        (3, "field `_id`: missing"),
        (4, "field `text`: missing"),
        (5, "field `text`: empty"),
        (6, "UTF-8"),
        (7, "expected a JSON object"),
        (8, "field `_id`"),
    ] {
        let needle = format!("{c}:{line}: ");
        let reported = err
            .lines()
            .find(|l| l.contains(&needle))
            .unwrap_or_else(|| panic!("line {line} not reported: {err}"));
        assert!(
            reported.contains(what),
            "line {line}: want `{what}`: {reported}"
        );
    }
    // The 10 MB text went in whole.
    engine.refresh(&index).await.unwrap();
    let res = engine
        .search(
            &index,
            &Default::default(),
            serde_json::json!({"query": {"ids": {"values": [docs[2].0]}}}),
        )
        .await
        .unwrap();
    assert_eq!(
        res.sources[0]["text"].as_str().map(str::len),
        Some(big.len())
    );
    engine.delete_index(&index).await.unwrap();
}

/// The 10 MB text through the model too (tokenized, truncated to max_seq_length, embedded).
#[test]
fn ten_megabyte_text_is_embedded_and_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("big.jsonl");
    let big = "claims about cells and proteins ".repeat(10 * 1024 * 1024 / 32);
    std::fs::write(
        &corpus,
        format!(
            "{}\n{}\n",
            serde_json::json!({"_id": "big", "text": big}),
            serde_json::json!({"_id": "small", "text": "a small document"})
        ),
    )
    .unwrap();
    let index = support::unique_index("bigtext");
    let (code, summary, err) = support::ingest_with_model(&os_url(), &index, &corpus);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["count_after"], 2, "{summary}");
    let _ = run_delete(&os_url(), &index);
}

/// Item 4, whole-run refusals: each exits 2 with a message naming the file, flag or URL, before
/// anything is written; each message states its cause once and names no temporary file.
#[test]
fn bad_inputs_are_refused_clearly() {
    let dir = super::messages::tempdir();
    let d = dir.path();
    let model = support::int8_model();
    let url = os_url();
    let never = support::unique_index("never-created");
    let mut tried = 0;
    let mut refuse = |what: &str, args: &[&str], needles: &[&str]| {
        tried += 1;
        let (code, _, err) = support::run_cli_env(args, &[]);
        let line = super::messages::assert_clear_error(what, code, &err, needles);
        println!("{what}: {line}");
    };
    let ingest_args = |corpus: &Path, extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "ingest",
            "--url",
            &url,
            "--index",
            &never,
            "--corpus",
            corpus.to_str().unwrap(),
            "--checkpoint",
            d.join("c.json").to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let store = store();
    let store_s = store.to_str().unwrap();

    // An empty corpus file.
    let empty = d.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let a = ingest_args(&empty, &["--vectors-from", store_s]);
    refuse(
        "empty corpus",
        &strs(&a),
        &[empty.to_str().unwrap(), "empty"],
    );

    // A file that is not JSONL at all (binary): stops after the first 100 bad records.
    let binary = d.join("model.jsonl");
    let onnx = std::fs::read(model.join("model.onnx")).unwrap();
    std::fs::write(&binary, &onnx[..onnx.len().min(2 << 20)]).unwrap();
    let a = ingest_args(&binary, &["--vectors-from", store_s, "--quiet"]);
    refuse(
        "binary file as corpus",
        &strs(&a),
        &[binary.to_str().unwrap(), "--format"],
    );

    // A corpus path that does not exist.
    let missing = d.join("missing.jsonl");
    let a = ingest_args(&missing, &["--vectors-from", store_s]);
    refuse(
        "missing corpus",
        &strs(&a),
        &["--corpus", missing.to_str().unwrap()],
    );

    // A model folder without tokenizer.json.
    let corpus = write_corpus(d, "ok.jsonl", &[serde_json::json!({})]);
    let no_tok = d.join("no-tokenizer");
    std::fs::create_dir(&no_tok).unwrap();
    for e in std::fs::read_dir(&model).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "tokenizer.json" {
            std::os::unix::fs::symlink(e.path(), no_tok.join(e.file_name())).unwrap();
        }
    }
    let a = ingest_args(&corpus, &["--model", no_tok.to_str().unwrap()]);
    refuse(
        "model without tokenizer.json",
        &strs(&a),
        &[no_tok.to_str().unwrap(), "tokenizer.json"],
    );

    // An ONNX file that is not a model.
    let not_onnx = d.join("not-onnx");
    std::fs::create_dir(&not_onnx).unwrap();
    for e in std::fs::read_dir(&model).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "model.onnx" {
            std::os::unix::fs::symlink(e.path(), not_onnx.join(e.file_name())).unwrap();
        }
    }
    std::fs::write(not_onnx.join("model.onnx"), b"this is not an ONNX protobuf").unwrap();
    let a = ingest_args(&corpus, &["--model", not_onnx.to_str().unwrap()]);
    refuse("ONNX file that is not a model", &strs(&a), &["model.onnx"]);

    // A vector store that is not one.
    let a = ingest_args(&corpus, &["--vectors-from", corpus.to_str().unwrap()]);
    refuse(
        "not a vector store",
        &strs(&a),
        &["vector store", corpus.to_str().unwrap()],
    );

    // Unreachable URLs, with credentials that must not show.
    let a = vec![
        "query",
        "--url",
        "http://admin:hunter2secret@127.0.0.1:1",
        "--index",
        "x",
        "--mode",
        "bm25",
        "mars",
    ];
    refuse(
        "unreachable URL (query)",
        &a,
        &["cannot reach http://127.0.0.1:1"],
    );
    let a = ingest_args(&corpus, &["--vectors-from", store_s]);
    let mut a = strs(&a);
    a[2] = "http://127.0.0.1:1";
    refuse(
        "unreachable URL (ingest)",
        &a,
        &["cannot reach http://127.0.0.1:1"],
    );

    // TLS to a port that speaks plain HTTP (no TLS server with an untrusted certificate here).
    let https = url.replace("http://", "https://");
    let a = vec![
        "query", "--url", &https, "--index", "x", "--mode", "bm25", "mars",
    ];
    refuse("TLS to a plain HTTP port", &a, &["cannot reach", &https]);

    // A URL that is not one, a scheme that is not HTTP.
    let a = vec![
        "query",
        "--url",
        "ftp://u:pw12345@host",
        "--index",
        "x",
        "--mode",
        "bm25",
        "q",
    ];
    refuse("ftp URL", &a, &["--url"]);

    // Nothing was written: not even the index (it is created when the first request is ready).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let exists = rt.block_on(async {
        let (engine, _) = Engine::connect(&sembridge::engines::ConnectOptions::new(&url))
            .await
            .unwrap();
        engine.index_exists(&never).await.unwrap()
    });
    assert!(!exists, "index `{never}` was created by a refused run");
    println!("refused clearly: {tried} bad inputs");
}

/// Item 4: wrong credentials against a cluster that wants them (the proxy answers 401 like a
/// secured one): exit 2, the URL and a hint, the password nowhere.
#[test]
fn wrong_credentials_are_refused_clearly() {
    let proxy = Proxy::start(&os_url());
    *proxy.faults.accept_auth.lock().unwrap() = Some(vec![basic_auth("alice", "right-password")]);
    let (code, _, err) = support::run_cli_env(
        &[
            "query",
            "--url",
            &proxy.url,
            "--user",
            "alice",
            "--password",
            "wr0ng-pw-1234",
            "--index",
            "x",
            "--mode",
            "bm25",
            "mars",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&proxy.url) && err.contains("401") && err.contains("--password"),
        "{err}"
    );
    assert!(!err.contains("wr0ng-pw-1234"), "{err}");
    // No credentials at all.
    let (code, _, err) = support::run_cli_env(
        &[
            "query", "--url", &proxy.url, "--index", "x", "--mode", "bm25", "mars",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("401") && err.contains("--user"), "{err}");
    assert!(proxy.faults.count(&proxy.faults.unauthorized) >= 2);
}

/// Item 4: an existing index with other vector dims is refused before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dims_differing_from_the_index_are_refused() {
    let (engine, info) = support::connect(EngineKind::Elasticsearch).await;
    let index = support::unique_index("dims");
    engine
        .create_index(&sembridge::engines::IndexSpec::new(&index, 3))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let corpus = write_corpus(dir.path(), "c.jsonl", &[serde_json::json!({})]);
    let (code, _, err) = support::ingest(&info.url, &index, &corpus, dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&index)
            && err.contains("dims 3")
            && err.contains("384")
            && err.contains("--recreate"),
        "{err}"
    );
    assert_eq!(engine.count(&index).await.unwrap(), 0);
    engine.delete_index(&index).await.unwrap();
}
