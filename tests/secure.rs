//! The secured pair of `scripts/engines.sh --profile secure` (OpenSearch 2.19.1 with the security
//! plugin, Elasticsearch with xpack security; HTTPS with the script's own CA; users admin, writer,
//! reader): credentials, privileges, API keys and TLS, through the real CLI. Skipped unless
//! scripts/test.sh (or `eval "$(scripts/engines.sh env --profile secure)"`) set the variables.

use std::path::Path;

use sembridge::engines::{ConnectOptions, Engine, EngineKind, Secret};

use crate::support;

/// Where one engine of the secure profile is and how to log in.
struct Secure {
    url: String,
    ca: String,
    kind: EngineKind,
}

impl Secure {
    fn from_env(kind: EngineKind) -> Option<Secure> {
        let var = match kind {
            EngineKind::OpenSearch => "SEMBRIDGE_SECURE_OS_URL",
            EngineKind::Elasticsearch => "SEMBRIDGE_SECURE_ES_URL",
        };
        let Ok(url) = std::env::var(var) else {
            eprintln!(
                "skipped: {var} is not set (scripts/test.sh starts --profile secure and sets it)"
            );
            return None;
        };
        Some(Secure {
            url,
            ca: std::env::var("SEMBRIDGE_SECURE_CA").expect("SEMBRIDGE_SECURE_CA with the URL"),
            kind,
        })
    }

    fn password(user: &str) -> String {
        let var = format!("SEMBRIDGE_SECURE_{}_PASSWORD", user.to_uppercase());
        std::env::var(&var)
            .unwrap_or_else(|_| panic!("{var} (scripts/engines.sh env --profile secure)"))
    }

    /// `--url --ca-cert --user --password` for `user`.
    fn login(&self, user: &str) -> Vec<String> {
        [
            "--url",
            &self.url,
            "--ca-cert",
            &self.ca,
            "--user",
            user,
            "--password",
            &Self::password(user),
        ]
        .map(String::from)
        .into()
    }

    /// The engine, logged in as admin (for checks and clean-up).
    async fn admin(&self) -> Engine {
        let mut o = ConnectOptions::new(&self.url);
        o.ca_cert = Some(self.ca.clone().into());
        o.username = Some("admin".into());
        o.password = Some(Secret::new(Self::password("admin")));
        let (engine, info) = Engine::connect(&o).await.expect("admin connects");
        assert_eq!(info.kind, self.kind);
        engine
    }
}

/// An index name in the pattern the writer may create (`sb-*`).
fn sb_index(prefix: &str) -> String {
    format!("sb-{}", support::unique_index(prefix))
}

/// `sembridge ingest` of the first `limit` SciFact documents (cached vectors) with `login`.
fn ingest(
    login: &[String],
    index: &str,
    dir: &Path,
    limit: &str,
) -> (i32, serde_json::Value, String) {
    let mut args = support::ingest_args(
        "-",
        index,
        &support::scifact_corpus(),
        dir,
        &["--limit", limit],
    );
    // support::ingest_args puts `--url -` first: replace it by the login
    let at = args.iter().position(|a| a == "--url").unwrap();
    args.drain(at..at + 2);
    args.extend(login.iter().cloned());
    let (code, out, err) = support::run_cli_env(&args, &[]);
    (code, serde_json::from_str(&out).unwrap_or_default(), err)
}

/// `sembridge query --mode bm25` with `login`: (exit code, stdout, stderr).
fn query(login: &[String], index: &str) -> (i32, String, String) {
    let mut args: Vec<String> = [
        "query",
        "cancer treatment",
        "--index",
        index,
        "--mode",
        "bm25",
        "--json",
    ]
    .map(String::from)
    .into();
    args.extend(login.iter().cloned());
    support::run_cli_env(&args, &[])
}

async fn credentials_and_privileges(s: Secure) {
    let admin = s.admin().await;
    let dir = tempfile::tempdir().unwrap();

    // A wrong password: 401, said clearly, the password nowhere in the output.
    let mut wrong = s.login("writer");
    let bad = "Wr0ng-pa55-do-not-print";
    *wrong.last_mut().unwrap() = bad.into();
    let index = sb_index("denied");
    let (code, _, err) = ingest(&wrong, &index, dir.path(), "10");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("401") && err.contains("--user/--password"),
        "{err}"
    );
    assert!(!err.contains(bad), "the password was printed: {err}");
    assert!(!admin.index_exists(&index).await.unwrap());

    // The writer creates and fills an index of its pattern.
    let index = sb_index("writer");
    let (code, summary, err) = ingest(&s.login("writer"), &index, dir.path(), "300");
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["count_after"], 300, "{summary}");
    assert!(!err.contains(&Secure::password("writer")), "{err}");

    // The reader searches it...
    let (code, out, err) = query(&s.login("reader"), &index);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"rank\""), "no hits: {out}");

    // ...but may not create an index: refused, the privilege named, nothing left behind.
    let refused = sb_index("reader");
    let rdir = tempfile::tempdir().unwrap();
    let (code, _, err) = ingest(&s.login("reader"), &refused, rdir.path(), "100");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("403") && err.contains("indices:admin/create"),
        "{err}"
    );
    assert!(!err.contains(&Secure::password("reader")), "{err}");
    assert!(
        !admin.index_exists(&refused).await.unwrap(),
        "an index was left behind"
    );

    // ...nor write into the writer's index: refused, naming the bulk action; the index keeps
    // its documents (the job did not create it, so it does not delete it).
    let rdir = tempfile::tempdir().unwrap();
    let (code, _, err) = ingest(&s.login("reader"), &index, rdir.path(), "100");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("403") && err.contains("indices:data/write"),
        "{err}"
    );
    admin.refresh(&index).await.unwrap();
    assert_eq!(admin.count(&index).await.unwrap(), 300);
    admin.delete_index(&index).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_privileges_opensearch() {
    if let Some(s) = Secure::from_env(EngineKind::OpenSearch) {
        credentials_and_privileges(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_privileges_elasticsearch() {
    if let Some(s) = Secure::from_env(EngineKind::Elasticsearch) {
        credentials_and_privileges(s).await;
    }
}

async fn tls_is_verified(s: Secure) {
    let login = s.login("reader");
    let (code, out, err) = support::run_cli_env(&[&["info".to_string()][..], &login].concat(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("security: on, HTTPS"), "{out}");
    // Without the CA: refused, with what to do.
    let no_ca: Vec<String> = [
        "info",
        "--url",
        &s.url,
        "--user",
        "reader",
        "--password",
        &Secure::password("reader"),
    ]
    .map(String::from)
    .into();
    let (code, out, err) = support::run_cli_env(&no_ca, &[]);
    assert_eq!(code, 2, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(
        text.contains("--ca-cert") && text.contains("certificate"),
        "{text}"
    );
    assert!(!text.contains(&Secure::password("reader")), "{text}");
    // --insecure: works.
    let mut insecure = no_ca.clone();
    insecure.push("--insecure".into());
    let (code, out, err) = support::run_cli_env(&insecure, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("security: on, HTTPS") && out.contains("kNN: not checked"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_opensearch() {
    if let Some(s) = Secure::from_env(EngineKind::OpenSearch) {
        tls_is_verified(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_elasticsearch() {
    if let Some(s) = Secure::from_env(EngineKind::Elasticsearch) {
        tls_is_verified(s).await;
    }
}

/// An API key made through `POST /_security/api_key` (by the writer, for its own indexes) ingests
/// and queries; the key is never printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn elasticsearch_api_key_ingests_and_queries() {
    let Some(s) = Secure::from_env(EngineKind::Elasticsearch) else {
        return;
    };
    let out = std::process::Command::new("curl")
        .args(["-sS", "--fail-with-body", "--cacert", &s.ca, "-u"])
        .arg(format!("writer:{}", Secure::password("writer")))
        .args(["-H", "Content-Type: application/json", "-X", "POST"])
        .arg(format!("{}/_security/api_key", s.url))
        .args(["-d", r#"{"name":"sembridge-test","expiration":"1h"}"#])
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let encoded = key["encoded"].as_str().unwrap().to_owned();
    let login: Vec<String> = ["--url", &s.url, "--ca-cert", &s.ca, "--api-key", &encoded]
        .map(String::from)
        .into();
    let index = sb_index("apikey");
    let dir = tempfile::tempdir().unwrap();
    let (code, summary, err) = ingest(&login, &index, dir.path(), "200");
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["count_after"], 200, "{summary}");
    let (code, out, err) = query(&login, &index);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"rank\""), "no hits: {out}");
    for text in [&out, &err] {
        assert!(!text.contains(&encoded), "the API key was printed");
    }
    // the id:key form works too
    let id_key = format!(
        "{}:{}",
        key["id"].as_str().unwrap(),
        key["api_key"].as_str().unwrap()
    );
    let login: Vec<String> = ["--url", &s.url, "--ca-cert", &s.ca, "--api-key", &id_key]
        .map(String::from)
        .into();
    let (code, _, err) = query(&login, &index);
    assert_eq!(code, 0, "{err}");
    s.admin().await.delete_index(&index).await.unwrap();
}
