//! `sembridge serve` over HTTP: the real binary on a free port, in front of an index ingested by
//! the test on each real engine; every endpoint called with a plain HTTP client (reqwest).
mod access;
mod browser;
mod endpoints;
mod eval_retry;
mod faults;
mod pool;
mod slow_clients;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support;

/// A SciFact query (`_id` 0 of queries.jsonl).
pub const QUERY: &str = "0-dimensional biomaterials lack inductive properties.";

/// A running `sembridge serve`; killed on drop, stopped gracefully by [`ServeProcess::stop`].
pub struct ServeProcess {
    child: Child,
    pub url: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl ServeProcess {
    /// Start `sembridge serve --url ENGINE --index INDEX --bind 127.0.0.1:0 EXTRA...` and wait
    /// for the address it prints.
    pub fn start(engine_url: &str, index: &str, extra: &[&str]) -> ServeProcess {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("serve.err");
        let model = support::int8_model();
        let mut child = Command::new(support::bin())
            .args(["serve", "--url", engine_url, "--index", index])
            .args(["--bind", "127.0.0.1:0", "--model", model.to_str().unwrap()])
            .args(extra)
            .env_remove("SEMBRIDGE_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start sembridge serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "serve did not start: {}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                );
            }
        };
        ServeProcess {
            child,
            url,
            stderr,
            _dir: dir,
        }
    }

    /// SIGTERM, then wait: the exit code and stderr.
    pub fn stop(mut self) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "serve did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        assert!(!err.contains("panicked"), "{err}");
        (status.code(), err)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first `n` SciFact documents as a corpus file in `dir`.
pub fn scifact_head(dir: &Path, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(support::scifact_corpus()).unwrap();
    let head: Vec<&str> = text.lines().take(n).collect();
    let path = dir.join(format!("scifact-{n}.jsonl"));
    std::fs::write(&path, head.join("\n") + "\n").unwrap();
    path
}

/// Ingest the first `n` SciFact documents into a new index at `url` (the cached vectors: the
/// model does not run), searchable at once.
pub fn ingest_head(url: &str, prefix: &str, n: usize) -> (String, tempfile::TempDir) {
    let index = support::unique_index(prefix);
    let dir = tempfile::tempdir().unwrap();
    let corpus = scifact_head(dir.path(), n);
    let (code, summary, err) = support::ingest(url, &index, &corpus, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["indexed"], n, "{summary}");
    (index, dir)
}

/// GET `url`: (status, body as JSON or a string).
pub async fn get(url: &str) -> (u16, Value) {
    answer(reqwest::get(url).await.expect("GET")).await
}

/// POST JSON `body` to `url`: (status, body as JSON or a string).
pub async fn post(url: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("POST");
    answer(r).await
}

async fn answer(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// The hit ids of a `/search` answer.
pub fn ids(answer: &Value) -> Vec<String> {
    answer["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits in {answer}"))
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The value of one Prometheus sample line, e.g. `name{a="b"}`, or 0 when absent.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// The query string of `params`, encoded.
pub fn query_string(params: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}
