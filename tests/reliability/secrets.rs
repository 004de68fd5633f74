//! Secrets never show (item 6): not in output, logs, checkpoint or dead-letter file, nor in
//! `--help`.

use sembridge::engines::{Engine, EngineInfo};

use super::write_corpus;
use crate::proxy::{Proxy, base64, basic_auth};
use crate::support;

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
