//! Readers against the shared BEIR collections, hand-made fixtures and arbitrary bytes: the
//! helpers shared by the test modules below, one module per concern.

mod bad_inputs;
mod beir;
mod formats;
mod fuzz_readers;
mod shards;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::*;
use crate::error::Error;

fn datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(name)
}

/// Writes `bytes` to `name` in a fresh temporary folder (kept alive by the returned guard).
fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn read_all(path: &Path, format: Option<CorpusFormat>) -> (Vec<Doc>, Vec<Error>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for item in CorpusReader::open(path, format).unwrap() {
        match item {
            Ok(d) => docs.push(d),
            Err(e) => errors.push(e),
        }
    }
    (docs, errors)
}

/// (line, field) of a record error.
fn where_(e: &Error) -> (u64, Option<&str>) {
    match e {
        Error::Record { line, field, .. } => (*line, field.as_deref()),
        other => panic!("not a record error: {other}"),
    }
}

#[test]
fn temp_file_helper_writes_bytes() {
    let (_d, path) = temp_file("x", b"abc");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"d").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"abcd");
}
