//! Credentials that never reach a log line: `Secret` prints as `***`, credentials given inside a
//! URL are split out of it, and URLs are shown with their user info removed.

use url::Url;

use crate::error::{Error, Result};

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

/// Split `user:password@` out of the URL; the URL that reaches the transport has none.
pub(crate) fn parse_url(raw: &str) -> Result<(Url, Option<(String, Secret)>)> {
    let mut url = Url::parse(raw)
        .map_err(|e| Error::config("--url", format!("`{}` is not a URL: {e}", redact_raw(raw))))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(
            "--url",
            format!("scheme `{}` is not http or https", url.scheme()),
        ));
    }
    let creds = if url.username().is_empty() {
        None
    } else {
        let user = percent_decode(url.username());
        let pass = url.password().map(percent_decode).unwrap_or_default();
        Some((user, Secret::new(pass)))
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Ok((url, creds))
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// Best effort redaction of a string that did not even parse as a URL: everything before the last
/// `@` (where user info would be) is masked.
fn redact_raw(raw: &str) -> String {
    match raw.rfind('@') {
        Some(at) => {
            let start = raw
                .find("://")
                .map(|s| s + 3)
                .filter(|s| *s <= at)
                .unwrap_or(0);
            format!("{}***@{}", &raw[..start], &raw[at + 1..])
        }
        None => raw.to_owned(),
    }
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
#[path = "tests/secret.rs"]
mod tests;
