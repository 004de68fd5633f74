//! The best passage of a kNN search over passages: the `inner_hits` a request asks for, and the
//! passage read back from a hit.

use serde_json::{Value, json};

use crate::hit::PassageRef;

/// The `inner_hits` of a kNN search over passages: the best one, with its offsets (not its
/// vector).
pub(crate) fn best_passage_inner_hits(path: &str) -> Value {
    json!({"size": 1, "_source": [format!("{path}.start"), format!("{path}.end")]})
}

/// The passage `inner_hits` named in a hit of a kNN search over passages (see
/// [`best_passage_inner_hits`]): its position among the document's passages and its offsets.
pub(crate) fn best_passage(hit: &Value, path: &str) -> Option<PassageRef> {
    let inner = hit.get("inner_hits")?.get(path)?.pointer("/hits/hits/0")?;
    let offset = |k: &str| inner.pointer(k).and_then(Value::as_u64).map(|n| n as usize);
    Some(PassageRef {
        index: offset("/_nested/offset")?,
        start: offset("/_source/start")?,
        end: offset("/_source/end")?,
    })
}
