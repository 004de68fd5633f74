//! Reaching a cluster: the HTTP client over the engines' own crates ([`client`]), how to connect
//! and which engine answered ([`connect`]), credentials kept out of messages ([`secret`]), AWS
//! SigV4 signing ([`aws`]) and Elastic Cloud ids ([`cloud_id`]). Knows nothing of indexes or
//! queries.

pub mod aws;
pub(crate) mod client;
pub mod cloud_id;
pub mod connect;
pub mod secret;

use serde_json::Value;

/// `type: reason (caused by: type: reason)` from an engine error object.
pub fn describe_error(error: &Value) -> String {
    let one = |e: &Value| {
        let t = e.get("type").and_then(Value::as_str).unwrap_or("error");
        let r = e.get("reason").and_then(Value::as_str).unwrap_or("");
        format!("{t}: {r}")
    };
    match error {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let mut s = one(error);
            if let Some(cause) = error.get("caused_by") {
                s.push_str(&format!(" (caused by {})", one(cause)));
            }
            s
        }
        other => other.to_string(),
    }
}

/// `s` cut to at most `max` bytes (at a character boundary) with `...` when it was longer.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}
