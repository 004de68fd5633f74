//! `--aws-sigv4` against an independent implementation: botocore (pinned in scripts/setup-test.sh, run
//! by tests/sigv4_botocore.py) signs the same requests with the same credentials and instant, and
//! must produce the same `Authorization`. First the signer alone, then every request the real
//! client sent through the recording proxy to the real OpenSearch (the CLI's `info` and a library
//! ingest + search on an index with a non-ASCII name). `--cloud-id` and the flag errors are here too.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sembridge::engines::{
    AwsCredentials, AwsService, BulkDoc, ConnectOptions, Engine, EngineKind, SigV4,
};
use serde_json::{Value, json};
use url::Url;

use crate::proxy::{Proxy, Recorded};
use crate::support;

const KEY: &str = "AKIDSEMBRIDGETEST";
const SECRET: &str = "sEcReT/sembridge+test+key0123456789abcd";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLEsessionTOKEN+/=sembridge";

/// A request as sent: method, URL, every header (name, value), body.
struct Sent {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What botocore computes for each request: (Authorization, sha256 hex of the body).
fn botocore(
    region: &str,
    service: &str,
    token: Option<&str>,
    sent: &[Sent],
) -> Vec<(String, String)> {
    let python = sembridge::paths::home().join("venv/bin/python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sigv4_botocore.py");
    let job = json!({
        "credentials": {"key": KEY, "secret": SECRET, "token": token},
        "region": region,
        "service": service,
        "requests": sent.iter().map(|s| json!({
            "method": s.method,
            "url": s.url,
            "headers": s.headers.iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), Value::from(v.as_str())))
                .collect::<serde_json::Map<_, _>>(),
            "body_b64": STANDARD.encode(&s.body),
        })).collect::<Vec<_>>(),
    });
    let mut child = std::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} (scripts/setup-test.sh installs botocore there): {e}",
                python.display()
            )
        });
    serde_json::to_writer(child.stdin.take().unwrap(), &job).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "botocore failed (is botocore installed? scripts/setup-test.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    answers
        .iter()
        .map(|a| {
            (
                a["authorization"].as_str().unwrap().to_owned(),
                a["body_sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn header<'a>(s: &'a Sent, name: &str) -> &'a str {
    s.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{} {} has no {name} header", s.method, s.url))
}

/// Every request's Authorization equals botocore's and its x-amz-content-sha256 is the body's.
fn assert_botocore_agrees(region: &str, service: &str, token: Option<&str>, sent: &[Sent]) {
    let expected = botocore(region, service, token, sent);
    assert_eq!(expected.len(), sent.len());
    for (s, (auth, sha)) in sent.iter().zip(&expected) {
        assert_eq!(header(s, "authorization"), auth, "{} {}", s.method, s.url);
        assert_eq!(
            header(s, "x-amz-content-sha256"),
            sha,
            "{} {}",
            s.method,
            s.url
        );
    }
}

fn signer(region: &str, service: AwsService, token: Option<&str>) -> SigV4 {
    let creds = AwsCredentials::new(KEY, SECRET, token.map(str::to_owned), "test");
    SigV4::new(region, service, creds).unwrap()
}

fn signed(s: &SigV4, method: &str, url: &str, body: &[u8], at: SystemTime) -> Sent {
    let u = Url::parse(url).unwrap();
    let headers = s
        .sign(method, &u, body, at)
        .unwrap()
        .into_iter()
        .map(|h| (h.name.to_owned(), h.value))
        .collect();
    Sent {
        method: method.into(),
        url: url.into(),
        headers,
        body: body.to_vec(),
    }
}

#[test]
fn the_signer_agrees_with_botocore() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
    let bulk = "{\"index\":{\"_index\":\"scifact\",\"_id\":\"d1\"}}\n\
                {\"doc_id\":\"d1\",\"title\":\"Café\",\"text\":\"naïve – ünïcode\",\"embedding\":[0.1,-2.5]}\n";
    let host = "https://search-demo-abc123.eu-west-3.es.amazonaws.com";
    for (token, service) in [(Some(TOKEN), AwsService::Es), (None, AwsService::Aoss)] {
        let s = signer("eu-west-3", service, token);
        let sent = vec![
            // A query string as the client encodes it (RFC 3986, %20 for space).
            signed(
                &s,
                "GET",
                &format!("{host}/scifact/_search?q=heart%20disease%2Bstatins&size=10"),
                b"",
                at,
            ),
            signed(
                &s,
                "GET",
                &format!("{host}/_cat/plugins?format=json&h=component"),
                b"",
                at,
            ),
            signed(&s, "POST", &format!("{host}/_bulk"), bulk.as_bytes(), at),
            // A non-ASCII index name, percent-encoded in the path as the URL parser leaves it.
            signed(
                &s,
                "PUT",
                &format!("{host}/%C3%BCber-index"),
                br#"{"mappings":{}}"#,
                at,
            ),
            signed(&s, "HEAD", "http://127.0.0.1:9200/%C3%BCber-index", b"", at),
            signed(&s, "DELETE", &format!("{host}/caf%C3%A9"), b"", at),
        ];
        assert_botocore_agrees("eu-west-3", service.name(), token, &sent);
        if let Some(t) = token {
            assert!(sent.iter().all(|r| header(r, "x-amz-security-token") == t));
        }
    }
}

#[test]
fn a_changed_request_no_longer_agrees() {
    // The comparison can fail. botocore takes the body's hash from x-amz-content-sha256, so a
    // body changed after signing shows in the separate hash check; a changed URL or region in
    // the Authorization itself.
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let s = signer("us-east-1", AwsService::Es, None);
    let mut sent = signed(&s, "POST", "https://h.example/_bulk", b"{}\n", at);
    sent.body = b"{} \n".to_vec();
    let expected = botocore("us-east-1", "es", None, std::slice::from_ref(&sent));
    assert_ne!(header(&sent, "x-amz-content-sha256"), expected[0].1);
    let mut sent = signed(&s, "GET", "https://h.example/idx/_search?size=10", b"", at);
    sent.url = "https://h.example/idx/_search?size=11".into();
    let expected = botocore("us-east-1", "es", None, std::slice::from_ref(&sent));
    assert_ne!(header(&sent, "authorization"), expected[0].0);
    let sent = signed(&s, "GET", "https://h.example/", b"", at);
    let expected = botocore("us-west-2", "es", None, std::slice::from_ref(&sent));
    assert_ne!(header(&sent, "authorization"), expected[0].0);
}

fn recorded_as_sent(proxy: &Proxy) -> Vec<Sent> {
    let recorded: Vec<Recorded> = proxy.faults.recorded.lock().unwrap().clone();
    recorded
        .into_iter()
        .map(|r| {
            let host = r
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("host"))
                .map(|(_, v)| v.clone())
                .expect("a Host header");
            Sent {
                method: r.method,
                url: format!("http://{host}{}", r.target),
                headers: r.headers,
                body: r.body,
            }
        })
        .collect()
}

fn aws_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
        ("AWS_PROFILE", "sembridge-none"),
    ]
}

#[test]
fn every_request_through_the_proxy_is_signed_as_botocore_signs_it() {
    let proxy = Proxy::start(&support::engine_url(EngineKind::OpenSearch));
    proxy
        .faults
        .record
        .store(true, std::sync::atomic::Ordering::SeqCst);

    // 1. The CLI: `info` connects (GET /, GET _cat/plugins?...), creates an index, bulk-indexes,
    //    refreshes, searches and deletes, each request signed.
    let (code, out, err) = support::run_cli_env(
        &[
            "info",
            "--url",
            &proxy.url,
            "--aws-sigv4",
            "us-east-1",
            "--json",
        ],
        &aws_env(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report[0]["knn"], true, "{out}");
    for s in [SECRET, TOKEN] {
        assert!(
            !out.contains(s) && !err.contains(s),
            "a secret was printed: {out}\n{err}"
        );
    }

    // 2. The library: a non-ASCII index name, bulk NDJSON, refresh, count, search.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut opts = ConnectOptions::new(&proxy.url);
        opts.sigv4 = Some(signer("us-east-1", AwsService::Es, Some(TOKEN)));
        let (engine, _) = Engine::connect(&opts).await.unwrap();
        let index = format!("{}-übung", support::unique_index("sigv4"));
        let spec = sembridge::engines::IndexSpec::new(&index, 2);
        engine.create_index(&spec).await.unwrap();
        let mut body = Vec::new();
        for (id, v) in [("a", [1.0, 0.0]), ("b", [0.0, 1.0])] {
            let doc = BulkDoc {
                id: id.into(),
                title: "Café".into(),
                text: format!("naïve {id}"),
                metadata: Default::default(),
                vector: v.to_vec().into(),
            };
            body.extend(doc.to_ndjson(&index, &Default::default()));
        }
        let outcomes = engine.bulk(body, 2).await.unwrap();
        assert!(
            outcomes
                .iter()
                .all(|o| *o == sembridge::engines::ItemOutcome::Done)
        );
        engine.refresh(&index).await.unwrap();
        assert_eq!(engine.count(&index).await.unwrap(), 2);
        let res = engine
            .bm25(&index, &Default::default(), "naïve a", 10, &[])
            .await
            .unwrap();
        assert!(!res.hits.is_empty());
        engine.delete_index(&index).await.unwrap();
    });

    let sent = recorded_as_sent(&proxy);
    let methods: std::collections::BTreeSet<&str> =
        sent.iter().map(|s| s.method.as_str()).collect();
    for m in ["GET", "PUT", "POST", "DELETE"] {
        assert!(methods.contains(m), "no {m} request recorded: {methods:?}");
    }
    assert!(
        sent.iter()
            .any(|s| s.url.contains("_bulk") && !s.body.is_empty())
    );
    assert!(
        sent.iter().any(|s| s.url.contains('?')),
        "no request with a query string"
    );
    assert!(
        sent.iter().any(|s| s.url.contains("%C3%BCbung")),
        "no non-ASCII path"
    );
    assert!(sent.len() >= 12, "{} requests", sent.len());
    assert_botocore_agrees("us-east-1", "es", Some(TOKEN), &sent);
}

#[test]
fn sigv4_flag_errors_name_the_flag_and_print_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let home_s = home.path().to_str().unwrap();
    // No credentials anywhere: exit 2, the message names the flag and what to set.
    let (code, _, err) = support::run_cli_env(
        &[
            "info",
            "--url",
            "http://127.0.0.1:9",
            "--aws-sigv4",
            "us-east-1",
        ],
        &[
            ("HOME", home_s),
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("invalid --aws-sigv4") && err.contains("AWS_ACCESS_KEY_ID"),
        "{err}"
    );
    // A bad region.
    let mut env = aws_env();
    env.push(("HOME", home_s));
    let (code, _, err) = support::run_cli_env(
        &[
            "info",
            "--url",
            "http://127.0.0.1:9",
            "--aws-sigv4",
            "US East",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--aws-sigv4") && !err.contains(SECRET),
        "{err}"
    );
    // Basic auth and signing both want the Authorization header: refused by the parser.
    let (code, _, err) = support::run_cli_env(
        &[
            "info",
            "--aws-sigv4",
            "us-east-1",
            "--user",
            "u",
            "--password",
            "p",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--aws-sigv4") && err.contains("--user"),
        "{err}"
    );
    // ... and with user:password@ in the URL, by the client.
    let (code, _, err) = support::run_cli_env(
        &[
            "query",
            "--url",
            "http://u:pw1234@127.0.0.1:9",
            "--aws-sigv4",
            "us-east-1",
            "--index",
            "x",
            "--mode",
            "bm25",
            "q",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--aws-sigv4") && !err.contains("pw1234"),
        "{err}"
    );
    // --aws-service needs --aws-sigv4.
    let (code, _, err) = support::run_cli_env(&["info", "--aws-service", "aoss"], &env);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--aws-sigv4"), "{err}");
    // An unreachable signed endpoint: the error names the URL, never the secret or token.
    let (code, out, err) = support::run_cli_env(
        &[
            "query",
            "--url",
            "http://127.0.0.1:9",
            "--aws-sigv4",
            "us-east-1",
            "--index",
            "x",
            "--mode",
            "bm25",
            "q",
        ],
        &env,
    );
    assert_eq!(code, 2, "{err}");
    for s in [SECRET, TOKEN] {
        assert!(!out.contains(s) && !err.contains(s), "{err}");
    }
}

#[test]
fn cloud_id_becomes_the_url_and_conflicts_with_url() {
    let id = "cluster:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5NyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5Ng==";
    let (code, _, err) = support::run_cli(&[
        "query",
        "--cloud-id",
        id,
        "--url",
        "http://127.0.0.1:9200",
        "--index",
        "x",
        "--mode",
        "bm25",
        "q",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--cloud-id") && err.contains("--url"), "{err}");
    let (code, _, err) = support::run_cli(&[
        "query",
        "--cloud-id",
        "cluster:",
        "--index",
        "x",
        "--mode",
        "bm25",
        "q",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid --cloud-id"), "{err}");
}
