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
