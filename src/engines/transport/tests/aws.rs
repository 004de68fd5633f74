//! The signer against AWS's published SigV4 test suite, and the credential chain's sources.

use std::time::{Duration, SystemTime};

use super::*;

/// 2015-08-30T12:36:00Z, the timestamp of every vector in the suite.
fn suite_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// The suite's credentials and scope (region us-east-1, service `service`).
fn suite_signer(token: Option<&str>) -> (SigV4, Url) {
    let creds = AwsCredentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token.map(str::to_owned),
        "test",
    );
    let mut s = SigV4::new("us-east-1", AwsService::Es, creds).unwrap();
    s.service_name = "service";
    (s, Url::parse("https://example.amazonaws.com/").unwrap())
}

fn authorization(headers: &[SignedHeader]) -> &str {
    &headers
        .iter()
        .find(|h| h.name == "authorization")
        .expect("an authorization header")
        .value
}

fn header<'a>(headers: &'a [SignedHeader], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.value.as_str())
}

// Vectors of the AWS SigV4 signing test suite (awslabs/aws-c-auth,
// tests/aws-signing-test-suite/v4, tag v0.9.0; the copy the aws-sigv4 1.6.4 crate ships in
// aws-signing-test-suite/v4/). Expected values are the suite's header-signed-request.txt.
const SUITE_PREFIX: &str =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

#[test]
fn aws_suite_get_vanilla() {
    let (s, url) = suite_signer(None);
    let h = s
        .sign_with("GET", &url, &[], b"", suite_time(), false)
        .unwrap();
    assert_eq!(
        authorization(&h),
        format!(
            "{SUITE_PREFIX}SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    );
    assert_eq!(header(&h, "x-amz-date"), Some("20150830T123600Z"));
}

#[test]
fn aws_suite_get_vanilla_query_order_key_case() {
    let (s, _) = suite_signer(None);
    let url = Url::parse("https://example.amazonaws.com/?Param2=value2&Param1=value1").unwrap();
    let h = s
        .sign_with("GET", &url, &[], b"", suite_time(), false)
        .unwrap();
    assert_eq!(
        authorization(&h),
        format!(
            "{SUITE_PREFIX}SignedHeaders=host;x-amz-date, \
             Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        )
    );
}

#[test]
fn aws_suite_get_vanilla_with_session_token() {
    let token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let (s, url) = suite_signer(Some(token));
    let h = s
        .sign_with("GET", &url, &[], b"", suite_time(), false)
        .unwrap();
    assert_eq!(
        authorization(&h),
        format!(
            "{SUITE_PREFIX}SignedHeaders=host;x-amz-date;x-amz-security-token, \
             Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
        )
    );
    assert_eq!(header(&h, "x-amz-security-token"), Some(token));
    // The token is a secret: Debug of the headers and of the signer hides it.
    let shown = format!("{h:?} {s:?}");
    assert!(!shown.contains(token), "{shown}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
}

#[test]
fn aws_suite_post_x_www_form_urlencoded() {
    let (s, url) = suite_signer(None);
    let body = b"Param1=value1";
    let h = s
        .sign_with(
            "POST",
            &url,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-length", "13"),
            ],
            body,
            suite_time(),
            true,
        )
        .unwrap();
    assert_eq!(
        authorization(&h),
        format!(
            "{SUITE_PREFIX}SignedHeaders=content-length;content-type;host;x-amz-content-sha256;\
             x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
        )
    );
    assert_eq!(
        header(&h, "x-amz-content-sha256"),
        Some("9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
    );
    // One byte more in the body is another signature.
    let other = s
        .sign_with(
            "POST",
            &url,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-length", "13"),
            ],
            b"Param1=value2",
            suite_time(),
            true,
        )
        .unwrap();
    assert_ne!(authorization(&h), authorization(&other));
}

#[test]
fn requests_are_signed_for_the_region_and_service_with_the_body_hash() {
    let creds = AwsCredentials::new("AKID", "secretsecret", None, "test");
    let s = SigV4::new("eu-west-3", AwsService::Aoss, creds).unwrap();
    let url = Url::parse("https://abc.eu-west-3.aoss.amazonaws.com/idx/_bulk").unwrap();
    let h = s.sign("POST", &url, b"{}\n", suite_time()).unwrap();
    let auth = authorization(&h);
    assert!(
        auth.contains("/20150830/eu-west-3/aoss/aws4_request")
            && auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"),
        "{auth}"
    );
    assert!(!auth.contains("secretsecret"));
}

#[test]
fn regions_are_checked() {
    let creds = || AwsCredentials::new("AKID", "secret", None, "test");
    for bad in ["", "US-EAST-1", "us east 1", "us-east-1/x"] {
        let err = SigV4::new(bad, AwsService::Es, creds()).unwrap_err();
        assert!(err.to_string().contains("--aws-sigv4"), "{err}");
    }
    assert!(SigV4::new("us-gov-west-1", AwsService::Es, creds()).is_ok());
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn the_environment_comes_first() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = filesecret\n",
    )
    .unwrap();
    let env = env_of(&[
        ("AWS_ACCESS_KEY_ID", "FROMENV"),
        ("AWS_SECRET_ACCESS_KEY", "envsecret"),
        ("AWS_SESSION_TOKEN", "envtoken"),
    ]);
    let c = AwsCredentials::resolve(env, Some(home.path().into())).unwrap();
    assert_eq!(
        (c.access_key_id(), c.source.as_str()),
        ("FROMENV", "environment")
    );
    assert_eq!(
        c.secrets(),
        vec![Secret::new("envsecret"), Secret::new("envtoken")]
    );
    let c = AwsCredentials::resolve(env_of(&[]), Some(home.path().into())).unwrap();
    assert_eq!(c.access_key_id(), "FROMFILE");
    assert!(c.session_token.is_none());
    let half = AwsCredentials::resolve(
        env_of(&[("AWS_ACCESS_KEY_ID", "X")]),
        Some(home.path().into()),
    )
    .unwrap_err()
    .to_string();
    assert!(half.contains("AWS_SECRET_ACCESS_KEY"), "{half}");
}

#[test]
fn profiles_come_from_the_credentials_then_the_config_file() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "# comment\n[default]\naws_access_key_id=D\naws_secret_access_key=ds\n\n\
         [work]\nAWS_ACCESS_KEY_ID = W\naws_secret_access_key = ws\n\
         aws_session_token = wt\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile cfg]\nregion = us-east-1\naws_access_key_id = C\naws_secret_access_key = cs\n\
         s3 =\n  max_concurrent_requests = 2\n\
         [profile sso]\nsso_session = corp\n\
         [profile empty]\nregion = eu-west-1\n",
    )
    .unwrap();
    let home = Some(home.path().to_path_buf());
    let with = |p: &str| AwsCredentials::resolve(env_of(&[("AWS_PROFILE", p)]), home.clone());
    let w = with("work").unwrap();
    assert_eq!(w.access_key_id(), "W");
    assert_eq!(w.session_token.as_ref().unwrap().expose(), "wt");
    assert!(w.source.contains("profile work"), "{}", w.source);
    assert_eq!(with("cfg").unwrap().access_key_id(), "C");
    let sso = with("sso").unwrap_err().to_string();
    assert!(
        sso.contains("sso_session") && sso.contains("export-credentials"),
        "{sso}"
    );
    let none = with("empty").unwrap_err().to_string();
    assert!(
        none.contains("--aws-sigv4") && none.contains("AWS_ACCESS_KEY_ID"),
        "{none}"
    );
    let missing = with("nope").unwrap_err().to_string();
    assert!(missing.contains("`nope`"), "{missing}");
    // AWS_SHARED_CREDENTIALS_FILE replaces ~/.aws/credentials.
    let elsewhere = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        elsewhere.path(),
        "[default]\naws_access_key_id = E\naws_secret_access_key = es\n",
    )
    .unwrap();
    let path = elsewhere.path().to_str().unwrap();
    let e = AwsCredentials::resolve(
        env_of(&[("AWS_SHARED_CREDENTIALS_FILE", path)]),
        home.clone(),
    )
    .unwrap();
    assert_eq!(e.access_key_id(), "E");
}
