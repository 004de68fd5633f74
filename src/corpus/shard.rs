//! Splitting a corpus between workers (`--shard i/n`) and recognising it again on resume.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The shard (`0..n`) a document id belongs to: FNV-1a 64 of the id's UTF-8 bytes, modulo `n`.
///
/// Depends only on the id bytes, so it is the same on every run, platform and corpus order, and
/// `--shard 0/n` .. `--shard n-1/n` partition any corpus. `n == 0` is treated as 1 (the CLI refuses
/// it before this is reached).
pub fn shard_of(id: &str, n: u32) -> u32 {
    // The remainder is below `n`, so it fits in u32.
    (fnv1a64(id.as_bytes()) % u64::from(n.max(1))) as u32
}

/// FNV-1a, 64 bits: tiny, fast on short ids, and fixed by its published constants.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The sha256 (lower-case hex) of a corpus file, read in streaming fashion. A resume checkpoint
/// stores it so a resume against another (or an edited) corpus is refused. Standard input (`-`)
/// cannot be fingerprinted: it can only be read once.
pub fn corpus_fingerprint(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        return Err(Error::io(
            path,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "standard input cannot be fingerprinted for a resumable job; pass a file",
            ),
        ));
    }
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

/// The variable that gives the worker count under a Kubernetes Indexed Job (the Job's
/// `completions`, which Kubernetes does not put in the pod's environment itself).
pub const SHARD_COUNT_VAR: &str = "SEMBRIDGE_SHARD_COUNT";

/// `--shard auto` / `--shard auto/N`: this worker's `(index, count)` from a batch scheduler's
/// environment, read through `env` (so tests need not touch the process environment).
///
/// - Kubernetes Indexed Job: the index is `JOB_COMPLETION_INDEX` (0-based); the count is `N` of
///   `auto/N`, else [`SHARD_COUNT_VAR`].
/// - Slurm job array: the index is `SLURM_ARRAY_TASK_ID` relative to `SLURM_ARRAY_TASK_MIN`
///   (divided by `SLURM_ARRAY_TASK_STEP` when set), the count `SLURM_ARRAY_TASK_COUNT` (or `N`);
///   `--array=1-4` gives shards 0/4..3/4.
///
/// Errors name the variables so the job definition can be fixed.
pub fn shard_from_env(
    count: Option<u32>,
    env: impl Fn(&str) -> Option<String>,
) -> std::result::Result<(u32, u32), String> {
    fn num(
        env: &dyn Fn(&str) -> Option<String>,
        var: &str,
    ) -> std::result::Result<Option<u32>, String> {
        match env(var) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .map(Some)
                .map_err(|_| format!("{var}={v:?} is not a non-negative integer")),
        }
    }
    let env: &dyn Fn(&str) -> Option<String> = &env;
    let (index, count, source) = if let Some(i) = num(env, "JOB_COMPLETION_INDEX")? {
        let n = match count {
            Some(n) => n,
            None => num(env, SHARD_COUNT_VAR)?.ok_or_else(|| {
                format!(
                    "JOB_COMPLETION_INDEX={i} (Kubernetes Indexed Job) gives the worker index but not \
                     the count: use --shard auto/N or set {SHARD_COUNT_VAR} to the Job's completions"
                )
            })?,
        };
        (i, n, "JOB_COMPLETION_INDEX")
    } else if let Some(id) = num(env, "SLURM_ARRAY_TASK_ID")? {
        let min = num(env, "SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = num(env, "SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        if id < min || (id - min) % step != 0 {
            return Err(format!(
                "SLURM_ARRAY_TASK_ID={id} is not on the array SLURM_ARRAY_TASK_MIN={min}, \
                 SLURM_ARRAY_TASK_STEP={step}"
            ));
        }
        let n = match count {
            Some(n) => n,
            None => num(env, "SLURM_ARRAY_TASK_COUNT")?.ok_or(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: use --shard auto/N",
            )?,
        };
        ((id - min) / step, n, "SLURM_ARRAY_TASK_ID")
    } else {
        return Err(format!(
            "--shard auto found neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with \
             {SHARD_COUNT_VAR} or auto/N for the count) nor SLURM_ARRAY_TASK_ID (Slurm job array) \
             in the environment; pass --shard i/n"
        ));
    };
    if count == 0 {
        return Err(format!("--shard auto: the worker count from {source} is 0"));
    }
    if index >= count {
        return Err(format!(
            "--shard auto: worker index {index} (from {source}) is not below the count {count}"
        ));
    }
    Ok((index, count))
}
