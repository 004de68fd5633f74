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

/// `--shard auto` from a fake scheduler environment (a map, not the process environment).
fn auto(count: Option<u32>, vars: &[(&str, &str)]) -> Result<(u32, u32), String> {
    let map: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    crate::corpus::shard_from_env(count, |k| map.get(k).cloned())
}

#[test]
fn shard_auto_reads_kubernetes_indexed_jobs() {
    assert_eq!(auto(Some(4), &[("JOB_COMPLETION_INDEX", "3")]), Ok((3, 4)));
    let env = [("JOB_COMPLETION_INDEX", "0"), (SHARD_COUNT_VAR, "2")];
    assert_eq!(auto(None, &env), Ok((0, 2)));
    // The flag's count wins over the variable.
    assert_eq!(auto(Some(5), &env), Ok((0, 5)));
    let err = auto(None, &[("JOB_COMPLETION_INDEX", "1")]).unwrap_err();
    assert!(
        err.contains("SEMBRIDGE_SHARD_COUNT") && err.contains("auto/N"),
        "{err}"
    );
    let err = auto(Some(4), &[("JOB_COMPLETION_INDEX", "4")]).unwrap_err();
    assert!(
        err.contains("JOB_COMPLETION_INDEX") && err.contains("4"),
        "{err}"
    );
    let err = auto(Some(4), &[("JOB_COMPLETION_INDEX", "x")]).unwrap_err();
    assert!(err.contains("JOB_COMPLETION_INDEX=\"x\""), "{err}");
    let err = auto(Some(0), &[("JOB_COMPLETION_INDEX", "0")]).unwrap_err();
    assert!(err.contains("count"), "{err}");
}

#[test]
fn shard_auto_reads_slurm_arrays() {
    // sbatch --array=1-4: ids 1..=4 become shards 0..=3 of 4.
    let env = |id: &'static str| {
        [
            ("SLURM_ARRAY_TASK_ID", id),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]
    };
    assert_eq!(auto(None, &env("1")), Ok((0, 4)));
    assert_eq!(auto(None, &env("4")), Ok((3, 4)));
    // --array=0-6:2 (ids 0, 2, 4, 6).
    let stepped = [
        ("SLURM_ARRAY_TASK_ID", "4"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_STEP", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    assert_eq!(auto(None, &stepped), Ok((2, 4)));
    let err = auto(None, &[("SLURM_ARRAY_TASK_ID", "2")]).unwrap_err();
    assert!(err.contains("SLURM_ARRAY_TASK_COUNT"), "{err}");
    let err = auto(
        None,
        &[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "1")],
    )
    .unwrap_err();
    assert!(err.contains("SLURM_ARRAY_TASK_MIN=1"), "{err}");
    // Kubernetes wins when both are set (a Slurm-launched pod is not a thing; a stale variable is).
    let both = [("JOB_COMPLETION_INDEX", "1"), ("SLURM_ARRAY_TASK_ID", "0")];
    assert_eq!(auto(Some(2), &both), Ok((1, 2)));
}

#[test]
fn shard_auto_without_a_scheduler_names_the_variables() {
    let err = auto(Some(2), &[]).unwrap_err();
    for var in ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "--shard i/n"] {
        assert!(err.contains(var), "{err}");
    }
}
