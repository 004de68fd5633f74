//! Unit tests of [`super`] (hits.rs).

use serde_json::json;

use super::*;
use crate::error::Error;

#[test]
fn failed_shards_are_found_and_described() {
    let whole = json!({"_shards": {"total": 3, "successful": 3, "skipped": 0, "failed": 0}});
    assert_eq!(shard_failures(&whole), None);
    assert_eq!(shard_failures(&json!({"count": 3})), None);
    let partial = json!({"_shards": {"total": 3, "successful": 2, "failed": 1, "failures": [
        {"shard": 2, "index": "x", "reason": {"type": "no_shard_available_action_exception",
         "reason": "No shard available for [x][2]"}}]}});
    let (failed, total, reason) = shard_failures(&partial).unwrap();
    assert_eq!((failed, total), (1, 3));
    assert!(reason.contains("No shard available"), "{reason}");
    let err = Error::PartialResults {
        url: "http://n1:9200".into(),
        index: "x".into(),
        failed,
        total,
        reason,
    };
    assert!(
        err.to_string().contains("1 of 3 shards of `x` failed"),
        "{err}"
    );
    assert!(err.is_transient());
    // a shard without any assigned copy: neither successful nor failed
    let missing = json!({"_shards": {"total": 3, "successful": 2, "skipped": 0, "failed": 0}});
    let (failed, total, reason) = shard_failures(&missing).unwrap();
    assert_eq!((failed, total), (1, 3));
    assert!(reason.contains("unassigned"), "{reason}");
    let skipped = json!({"_shards": {"total": 3, "successful": 3, "skipped": 2, "failed": 0}});
    assert_eq!(shard_failures(&skipped), None);
}
