//! Credentials that never reach a log line: `Secret` prints as `***`, and URLs are shown with
//! their user info removed.

use url::Url;

/// A password or API key. Debug and Display print `***`; the value is only read where it is used.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The URL without user name, password, query or fragment: safe to print.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string().trim_end_matches('/').to_owned()
}

/// Remove every occurrence of the secrets from a message coming from elsewhere (an engine's error
/// body, a transport error) before it is shown.
pub fn scrub(message: &str, secrets: &[&Secret]) -> String {
    let mut out = message.to_owned();
    for s in secrets {
        if s.0.len() >= 3 {
            out = out.replace(&s.0, "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
}
