//! Sharding: the id hash is FNV-1a 64 and shards split a real corpus evenly.

use super::*;
use crate::corpus::shard::fnv1a64;

#[test]
fn shard_hash_is_fnv1a64() {
    // Published FNV-1a 64 test vectors.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    assert_eq!(shard_of("anything", 0), 0);
    assert_eq!(shard_of("anything", 1), 0);
}

#[test]
fn shards_partition_scifact_evenly() {
    let ids: Vec<String> = CorpusReader::open(&datasets().join("scifact/corpus.jsonl"), None)
        .unwrap()
        .map(|d| d.unwrap().id)
        .collect();
    for n in [2u32, 3, 4, 8] {
        let mut counts = vec![0usize; n as usize];
        for id in &ids {
            let s = shard_of(id, n);
            assert!(s < n);
            assert_eq!(s, shard_of(id, n), "deterministic");
            counts[s as usize] += 1;
        }
        assert_eq!(counts.iter().sum::<usize>(), ids.len());
        let fair = ids.len() as f64 / f64::from(n);
        for c in &counts {
            assert!((*c as f64 - fair).abs() < 0.1 * fair, "n={n}: {counts:?}");
        }
    }
}
