//! Who may use `sembridge serve` and what it shows (issue 23, items 1 and 2): the bearer token
//! (401 without it, `/healthz` answered in short), a non-loopback `--bind` refused without a
//! token, the caps on k, text length and filterable fields, the `Host` check (421), the content
//! type of the JSON routes (415) and the page's security headers.

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use sembridge::engines::{Engine, EngineInfo};
use serde_json::{Value, json};

use super::{QUERY, ServeProcess, ingest_head, query_string};
use crate::support;

const TOKEN: &str = "harden-test-token-0123456789";

async fn send(r: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

async fn serve_guards_its_doors(engine: &Engine, info: &EngineInfo) {
    let (index, dir) = ingest_head(&info.url, "serve-access", 50);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let server = ServeProcess::start(
        &info.url,
        &index,
        &[
            "--auth-token-file",
            token_file.to_str().unwrap(),
            "--allowed-host",
            "search.example.test",
            "--max-k",
            "5",
            "--max-text-chars",
            "40",
        ],
    );
    let base = &server.url;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let c = reqwest::Client::new();
    let search = |params: &[(&str, &str)]| format!("{base}/search?{}", query_string(params));
    let bearer = format!("Bearer {TOKEN}");

    // 1. No token, a wrong one: 401 naming the header; the right one: 200.
    let url = search(&[("q", QUERY), ("mode", "bm25"), ("k", "5")]);
    let (status, headers, body) = send(c.get(&url)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert!(
        body["error"].as_str().unwrap().contains("Authorization"),
        "{body}"
    );
    let (status, _, body) = send(
        c.get(&url)
            .header(AUTHORIZATION, "Bearer wrong-token-of-some-length"),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    for path in ["/metrics", "/", "/eval"] {
        let (status, _, body) = send(c.get(format!("{base}{path}"))).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let (status, _, body) = send(
        c.post(format!("{base}/embed"))
            .json(&json!({"texts": ["x"]})),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, _, body) = send(c.get(&url).header(AUTHORIZATION, &bearer)).await;
    assert_eq!(status, 200, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{body}");
    // Text cut to --max-text-chars, and said so.
    for h in hits {
        let text = h["text"].as_str().unwrap();
        assert!(text.chars().count() <= 40, "{h}");
    }
    assert!(hits.iter().any(|h| h["text_truncated"] == true), "{body}");

    // /healthz stays open, in short: no engine URL without the token; the whole answer with it.
    let (status, _, open) = send(c.get(format!("{base}/healthz"))).await;
    assert_eq!(status, 200, "{open}");
    assert_eq!(open, json!({"status": "ok"}));
    assert!(!open.to_string().contains(&info.url));
    let (status, _, full) = send(
        c.get(format!("{base}/healthz"))
            .header(AUTHORIZATION, &bearer),
    )
    .await;
    assert_eq!(status, 200, "{full}");
    assert_eq!(full["engine"], "ok", "{full}");

    // Caps: k above --max-k, a filter on a field the page does not show.
    let (status, _, body) = send(
        c.get(search(&[("q", QUERY), ("k", "6")]))
            .header(AUTHORIZATION, &bearer),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let e = body["error"].as_str().unwrap();
    assert!(e.contains("`k`") && e.contains("--max-k"), "{e}");
    let (status, _, body) = send(
        c.get(search(&[
            ("q", QUERY),
            ("k", "5"),
            ("mode", "bm25"),
            ("filter", "secret_field=yes"),
        ]))
        .header(AUTHORIZATION, &bearer),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let e = body["error"].as_str().unwrap();
    assert!(e.contains("`filter`") && e.contains("secret_field"), "{e}");
    let (status, _, body) = send(
        c.get(search(&[
            ("q", QUERY),
            ("k", "5"),
            ("mode", "bm25"),
            ("filter", "_id=no-such-doc"),
        ]))
        .header(AUTHORIZATION, &bearer),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // 2. Host: a DNS name that is not this server's is 421; localhost, its IP and
    // --allowed-host pass.
    for (host, want) in [
        (format!("rebound.example.com:{port}"), 421),
        (format!("localhost:{port}"), 200),
        (format!("127.0.0.1:{port}"), 200),
        ("search.example.test".to_owned(), 200),
    ] {
        let (status, _, body) = send(
            c.get(&url)
                .header(AUTHORIZATION, &bearer)
                .header(HOST, host.as_str()),
        )
        .await;
        assert_eq!(status, want, "{host}: {body}");
    }
    // JSON routes need application/json (text/plain is what any page may POST cross-origin).
    let (status, _, body) = send(
        c.post(format!("{base}/embed"))
            .header(AUTHORIZATION, &bearer)
            .header(CONTENT_TYPE, "text/plain")
            .body(r#"{"texts": ["x"]}"#),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert!(body["error"].as_str().unwrap().contains("application/json"));
    let (status, _, body) = send(
        c.post(format!("{base}/search"))
            .header(AUTHORIZATION, &bearer)
            .header(CONTENT_TYPE, "text/plain")
            .body(format!(r#"{{"q": "{QUERY}"}}"#)),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let (status, _, body) = send(
        c.post(format!("{base}/embed"))
            .header(AUTHORIZATION, &bearer)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(r#"{"texts": ["x"]}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The page: CSP with frame-ancestors 'none', nosniff.
    let (status, headers, _) = send(c.get(format!("{base}/")).header(AUTHORIZATION, &bearer)).await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");

    let (code, err) = server.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains(TOKEN), "the token never in the log: {err}");
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(serve_guards_its_doors);

/// A non-loopback `--bind` without a token is refused (exit 2 naming the flag) before anything
/// loads; `--no-auth` and `--auth-token-file` together are refused too.
#[test]
fn serve_refuses_a_public_bind_without_a_token() {
    let model = support::int8_model();
    let model = model.to_str().unwrap();
    let (code, _, err) = support::run_cli(&[
        "serve",
        "--url",
        "http://127.0.0.1:9",
        "--index",
        "x",
        "--model",
        model,
        "--bind",
        "0.0.0.0:0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--bind") && err.contains("--auth-token-file"),
        "{err}"
    );
    let (code, _, err) = support::run_cli(&[
        "serve",
        "--url",
        "http://127.0.0.1:9",
        "--index",
        "x",
        "--model",
        model,
        "--bind",
        "0.0.0.0:0",
        "--no-auth",
        "--auth-token-file",
        "/dev/null",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--no-auth"), "{err}");
}
