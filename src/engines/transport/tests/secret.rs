//! Unit tests of [`super`] (secret.rs).

use super::*;

#[test]
fn redacts_user_info() {
    let u = Url::parse("https://admin:hunter2@example.com:9200/prefix?x=1").unwrap();
    assert_eq!(redact_url(&u), "https://example.com:9200/prefix");
}

#[test]
fn secret_never_formats() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s} {s:?}"), "*** ***");
    assert_eq!(scrub("bad password hunter2!", &[&s]), "bad password ***!");
}

#[test]
fn url_credentials_are_split_out_and_decoded() {
    let (url, creds) = parse_url("https://admin:p%40ss@localhost:9200").unwrap();
    assert_eq!(url.as_str(), "https://localhost:9200/");
    let (u, p) = creds.unwrap();
    assert_eq!((u.as_str(), p.expose()), ("admin", "p@ss"));
}

#[test]
fn bad_url_message_hides_password() {
    let err = parse_url("ftp://admin:secretpw@host")
        .unwrap_err()
        .to_string();
    assert!(!err.contains("secretpw"), "{err}");
    let err = parse_url("not a url admin:secretpw@host")
        .unwrap_err()
        .to_string();
    assert!(err.contains("--url") && !err.contains("secretpw"), "{err}");
}
