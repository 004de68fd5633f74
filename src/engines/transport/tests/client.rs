//! Unit tests of [`super`] (client.rs).

use serde_json::json;

use super::*;

#[test]
fn the_transport_is_the_kind_and_api_keys_follow_each_engine() {
    let mut opts = ConnectOptions::new("http://localhost:9200");
    opts.api_key = Some(Secret::new("aWQ6a2V5"));
    let es = Client::new(&opts, EngineKind::Elasticsearch).unwrap();
    assert_eq!(es.kind(), EngineKind::Elasticsearch);
    let err = Client::new(&opts, EngineKind::OpenSearch).unwrap_err();
    assert!(
        matches!(&err, Error::Config { flag, .. } if flag == "--api-key"),
        "{err}"
    );
    opts.api_key = Some(Secret::new("id:key"));
    let os = Client::new(&opts, EngineKind::OpenSearch).unwrap();
    assert_eq!(os.kind(), EngineKind::OpenSearch);
}

#[test]
fn get_root_tells_the_engines_apart() {
    let detect = EngineKind::detect;
    let os = json!({"version": {"distribution": "opensearch", "number": "3.1.0"}});
    assert_eq!(detect(&os), Some(EngineKind::OpenSearch));
    let es = json!({"version": {"number": "9.2.8"}});
    assert_eq!(detect(&es), Some(EngineKind::Elasticsearch));
    assert_eq!(detect(&json!({"ok": true})), None);
}

#[test]
fn tls_failures_say_what_to_do() {
    let hint = |e| {
        tls_hint(&format!(
            "error sending request: client error (Connect): {e}"
        ))
    };
    let untrusted = hint("invalid peer certificate: UnknownIssuer");
    assert!(untrusted.contains("not trusted"), "{untrusted}");
    assert!(untrusted.contains("--ca-cert") && untrusted.contains("--insecure"));
    let name = hint(
        r#"certificate not valid for name "10.0.0.1"; certificate is only valid for localhost"#,
    );
    assert!(
        name.contains("host name") && name.contains("--url"),
        "{name}"
    );
    let expired = hint("certificate expired: verification time 2 (UNIX), but ...");
    assert!(
        expired.contains("refused") && expired.contains("--ca-cert"),
        "{expired}"
    );
    let plain = hint("received corrupt message of type InvalidContentType");
    assert!(plain.contains("http://"), "{plain}");
}
