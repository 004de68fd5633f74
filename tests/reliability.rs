//! Reliability and security (issue 6): faults survived through a fault-injecting proxy in front of
//! each real engine (throttling, a node that dies mid-ingest), documents the engine refuses, bad
//! input refused with a message naming file/line/field or URL, and secrets that never show.
//!
//! Vectors come from the cached SciFact store (`--vectors-from`), so no test here runs the model
//! over the corpus; small corpora reuse SciFact ids for the same reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sembridge::engines::{Engine, EngineInfo, EngineKind};
use serde_json::Value;

use crate::proxy::{Proxy, base64, basic_auth};
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
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(refused_documents_go_to_the_dead_letter_file);

fn os_url() -> String {
    support::engine_url(EngineKind::OpenSearch)
}

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

/// Item 4, whole-run refusals: each exits 2 with a message naming the file, flag or URL, before
/// anything is written.
#[test]
fn bad_inputs_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = support::int8_model();
    let url = os_url();
    let never = support::unique_index("never-created");
    let mut tried = 0;
    let mut refuse = |what: &str, args: &[&str], needles: &[&str]| {
        tried += 1;
        let (code, _, err) = support::run_cli_env(args, &[]);
        assert_eq!(code, 2, "{what}: exit 2 expected\n{err}");
        for n in needles {
            assert!(err.contains(n), "{what}: message should name `{n}`: {err}");
        }
        println!("{what}: {}", err.trim());
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

/// Item 6: ingest and query with a password, an API key and credentials in the URL, at -vv and
/// with every crate's trace logs on: no secret (nor its base64 form) in stdout, stderr, the
/// checkpoint or the dead-letter file.
async fn secrets_never_show(engine: &Engine, info: &EngineInfo) {
    let proxy = Proxy::start(&info.url);
    let (user, password) = ("sbuser", "Pw-5ecret-7c1f9e");
    let (key_id, key) = ("kid42", "ApiK3y-5ecret-0b7d2a");
    let url_password = "Url-5ecret-93ab11";
    *proxy.faults.accept_auth.lock().unwrap() = Some(vec![
        basic_auth(user, password),
        basic_auth(user, url_password),
        format!("ApiKey {}", base64(format!("{key_id}:{key}").as_bytes())),
    ]);
    let secrets: Vec<String> = vec![
        password.into(),
        key.into(),
        url_password.into(),
        base64(format!("{user}:{password}").as_bytes()),
        base64(format!("{key_id}:{key}").as_bytes()),
        base64(format!("{user}:{url_password}").as_bytes()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let index = support::unique_index("secrets");
    // One refused document, so that a dead-letter file is written.
    let corpus = write_corpus(
        dir.path(),
        "c.jsonl",
        &[
            serde_json::json!({"year": 1}),
            serde_json::json!({"year": "x"}),
            serde_json::json!({"year": 3}),
        ],
    );
    let api_key = format!("{key_id}:{key}");
    let url_with_creds = proxy
        .url
        .replace("http://", &format!("http://{user}:{url_password}@"));
    // (URL, the other credential flags)
    let url = proxy.url.as_str();
    let auth_flags: Vec<(&str, Vec<&str>)> = vec![
        (url, vec!["--user", user, "--password", password]),
        (url, vec!["--api-key", &api_key]),
        (&url_with_creds, vec![]),
        // A wrong password: the 401 path.
        (url, vec!["--user", user, "--password", "Wrong-5ecret-x1"]),
    ];
    let mut outputs = Vec::new();
    for (i, (url, auth)) in auth_flags.iter().enumerate() {
        let wrong = i == 3;
        for log in ["", "trace"] {
            let env: Vec<(&str, &str)> = if log.is_empty() {
                vec![]
            } else {
                vec![("SEMBRIDGE_LOG", log)]
            };
            let mut args = vec!["-vv".to_owned()];
            args.extend(support::ingest_args(url, &index, &corpus, dir.path(), auth));
            let (code, stdout, stderr) = support::run_cli_env(&args, &env);
            assert_eq!(
                code,
                if wrong { 2 } else { 1 },
                "{url} {auth:?} {log}: {stderr}"
            );
            outputs.extend([stdout, stderr]);
            for f in ["ckpt.json", "dead.jsonl"] {
                outputs.push(std::fs::read_to_string(dir.path().join(f)).unwrap_or_default());
            }

            let mut args = vec!["-vv", "query", "--url", url];
            args.extend(auth.iter().copied());
            args.extend(["--index", &index, "--mode", "bm25", "--json", "cells"]);
            let (code, stdout, stderr) = support::run_cli_env(&args, &env);
            assert_eq!(code, if wrong { 2 } else { 0 }, "{stderr}");
            outputs.extend([stdout, stderr]);
        }
    }
    // The credentials really went over the wire (the test is not vacuous).
    let seen = proxy.faults.auth_seen.lock().unwrap().clone();
    assert!(seen.iter().any(|a| a.contains(&secrets[3])), "{seen:?}");
    assert!(seen.iter().any(|a| a.contains(&secrets[4])), "{seen:?}");
    assert!(seen.iter().any(|a| a.contains(&secrets[5])), "{seen:?}");
    assert!(
        outputs.iter().any(|o| o.contains("DEBUG")),
        "-vv logs were on"
    );
    let all = outputs.join("\n");
    for s in secrets.iter().chain([&"Wrong-5ecret-x1".to_owned()]) {
        assert!(!all.contains(s.as_str()), "secret `{s}` leaked");
    }
    assert!(!all.contains("5ecret"), "a secret leaked");
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(secrets_never_show);

/// `--help` with the secrets in the environment does not print them.
#[test]
fn help_hides_secret_environment_values() {
    let (_, out, _) = support::run_cli_env(
        &["ingest", "--help"],
        &[
            ("SEMBRIDGE_PASSWORD", "Env-5ecret-pw"),
            ("SEMBRIDGE_API_KEY", "Env-5ecret-key"),
            ("SEMBRIDGE_URL", "http://u:Env-5ecret-url@host:9200"),
        ],
    );
    assert!(out.contains("--password"), "{out}");
    assert!(!out.contains("5ecret"), "{out}");
}
