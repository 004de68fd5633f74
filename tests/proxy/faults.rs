//! What the proxy does wrong (shares of throttled bulk requests and items, a dead node, a secured
//! cluster), what it counted, and the engine-like error answers it sends instead.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use serde_json::{Value, json};

use super::http::{Message, json_response};

/// What the proxy does wrong, changeable while it runs; and what it counted.
#[derive(Debug, Default)]
pub struct Faults {
    /// Share (per mille) of `_bulk` requests answered 429 without reaching the engine.
    pub reject_bulk_per_mille: AtomicU32,
    /// Share (per mille) of bulk response items rewritten to 429 (the engine did index them).
    pub item_429_per_mille: AtomicU32,
    /// Drop every connection and request (a node that died).
    pub down: AtomicBool,
    /// Go down after forwarding this many `_bulk` requests (0: never).
    pub down_after_bulk: AtomicU64,
    /// Hold every request this many milliseconds before forwarding it (a slow engine).
    pub delay_ms: AtomicU64,
    /// When set, only these `Authorization` values are let through; others get 401.
    pub accept_auth: Mutex<Option<Vec<String>>>,
    /// Every `Authorization` header seen (to prove a test's credentials were really sent).
    pub auth_seen: Mutex<Vec<String>>,
    /// Keep every request as it arrived in `recorded` (the SigV4 tests verify them).
    pub record: AtomicBool,
    pub recorded: Mutex<Vec<Recorded>>,
    pub requests: AtomicU64,
    pub bulk_requests: AtomicU64,
    pub rejected_bulk: AtomicU64,
    pub rewritten_items: AtomicU64,
    pub dropped: AtomicU64,
    pub unauthorized: AtomicU64,
    pub(super) rng: Mutex<u64>,
}

/// A request as the proxy received it: method, target (path and query), headers, body.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Faults {
    pub(super) fn chance(&self, per_mille: &AtomicU32) -> bool {
        let p = per_mille.load(Ordering::Relaxed);
        if p == 0 {
            return false;
        }
        let mut s = self.rng.lock().unwrap();
        // xorshift64*
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (r >> 33) % 1000 < p as u64
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub(super) fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    pub fn count(&self, c: &AtomicU64) -> u64 {
        c.load(Ordering::SeqCst)
    }
}

pub(super) fn rejected_bulk() -> Message {
    let error = json!({
        "type": "es_rejected_execution_exception",
        "reason": "rejected execution of coordinating operation [injected by the test proxy]"
    });
    json_response(
        429,
        "Too Many Requests",
        json!({"error": {"root_cause": [error.clone()], "type": error["type"], "reason": error["reason"]}, "status": 429}),
        &[],
    )
}

pub(super) fn unauthorized(path: &str) -> Message {
    let error = json!({
        "type": "security_exception",
        "reason": format!("missing authentication credentials for REST request [{path}]"),
    });
    json_response(
        401,
        "Unauthorized",
        json!({"error": {"root_cause": [error.clone()], "type": error["type"], "reason": error["reason"], "header": {"WWW-Authenticate": "Basic realm=\"security\""}}, "status": 401}),
        &[(
            "www-authenticate",
            "Basic realm=\"security\" charset=\"UTF-8\"",
        )],
    )
}

/// Mark a share of the items of a bulk answer as rejected by a full write queue.
pub(super) fn rewrite_items(body: &[u8], f: &Faults) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let mut rewritten = 0;
    for item in v.get_mut("items")?.as_array_mut()? {
        let Some((_, result)) = item.as_object_mut().and_then(|o| o.iter_mut().next()) else {
            continue;
        };
        if f.chance(&f.item_429_per_mille) {
            let id = result.get("_id").cloned().unwrap_or(Value::Null);
            let index = result.get("_index").cloned().unwrap_or(Value::Null);
            *result = json!({
                "_index": index, "_id": id, "status": 429,
                "error": {"type": "es_rejected_execution_exception",
                          "reason": "rejected execution of primary operation [injected by the test proxy]"}
            });
            rewritten += 1;
        }
    }
    if rewritten > 0 {
        v["errors"] = Value::Bool(true);
        f.rewritten_items.fetch_add(rewritten, Ordering::SeqCst);
    }
    Some(serde_json::to_vec(&v).unwrap())
}
