//! Round trips and corruption checks for the store file.

use std::path::{Path, PathBuf};

use serde_json::json;
use tempfile::TempDir;

use super::writer::tmp_path;
use super::*;
use crate::error::Error;

fn write(dir: &TempDir, rows: &[(&str, Vec<f32>)], dims: usize) -> PathBuf {
    let path = dir.path().join("v.sbstore");
    let mut w = StoreWriter::create(&path, dims, json!({"model": "m", "dims": dims})).unwrap();
    for (id, v) in rows {
        w.push(id, v).unwrap();
    }
    let summary = w.finish().unwrap();
    assert_eq!(summary.count, rows.len());
    assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    assert!(!tmp_path(&path).exists());
    path
}

fn err_text(path: &Path) -> String {
    match Store::open(path) {
        Ok(_) => panic!("opened a corrupt store"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip() {
    let dir = TempDir::new().unwrap();
    let rows = [("a", vec![1.0, 2.0, 3.0]), ("é-ü", vec![-0.5, 0.0, 7.25])];
    let path = write(&dir, &rows, 3);
    let s = Store::open(&path).unwrap();
    assert_eq!((s.dims(), s.len(), s.is_empty()), (3, 2, false));
    assert_eq!(s.ids(), ["a", "é-ü"]);
    assert_eq!(s.vector(1), [-0.5, 0.0, 7.25]);
    assert_eq!(s.matrix(), [1.0, 2.0, 3.0, -0.5, 0.0, 7.25]);
    assert_eq!(s.meta(), &json!({"model": "m", "dims": 3}));
    assert_eq!(s.index_of("é-ü"), Some(1));
    assert_eq!(s.index_of("zz"), None);
    assert!(!s.is_unit_norm());
    assert_eq!(s.norms()[0], 14f32.sqrt());
    assert_eq!(s.matrix().as_ptr().align_offset(64), 0);
}

#[test]
fn empty_store_and_unit_flag() {
    let dir = TempDir::new().unwrap();
    let s = Store::open(&write(&dir, &[], 4)).unwrap();
    assert!(s.is_empty() && s.matrix().is_empty());
    let dir = TempDir::new().unwrap();
    let s = Store::open(&write(
        &dir,
        &[("x", vec![0.6, 0.8]), ("y", vec![0.0, -1.0])],
        2,
    ))
    .unwrap();
    assert!(s.is_unit_norm());
}

#[test]
fn writer_rejects_bad_input_and_cleans_up() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("v.sbstore");
    assert!(StoreWriter::create(&path, 0, json!({})).is_err());
    let mut w = StoreWriter::create(&path, 2, json!({})).unwrap();
    assert!(matches!(
        w.push("a", &[1.0]),
        Err(Error::Dimension {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(w.push("a", &[f32::NAN, 1.0]).is_err());
    w.push("a", &[1.0, 1.0]).unwrap();
    assert!(
        w.push("a", &[1.0, 1.0])
            .unwrap_err()
            .to_string()
            .contains("duplicate id `a`")
    );
    assert!(tmp_path(&path).exists());
    drop(w);
    assert!(!tmp_path(&path).exists() && !path.exists());
}

#[test]
fn writer_errors_name_the_path_asked_for_not_the_temporary_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("no-such-folder").join("v.sbv");
    let err = StoreWriter::create(&path, 2, json!({}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(
        err.contains("does not exist") && !err.contains("v.sbv.tmp"),
        "{err}"
    );
    // A path the writer cannot create (a folder stands where the temporary file would go).
    let path = dir.path().join("busy.sbv");
    std::fs::create_dir(tmp_path(&path)).unwrap();
    let err = StoreWriter::create(&path, 2, json!({}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(!err.contains("busy.sbv.tmp"), "{err}");
}

#[test]
fn corrupt_files_are_errors_naming_the_path() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, &[("a", vec![1.0, 2.0]), ("b", vec![3.0, 4.0])], 2);
    let good = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.sbstore");
    let try_bytes = |bytes: &[u8], want: &str| {
        std::fs::write(&bad, bytes).unwrap();
        let e = err_text(&bad);
        assert!(e.contains("bad.sbstore") && e.contains(want), "{e}");
    };
    try_bytes(&good[..10], "shorter than the header");
    try_bytes(&good[..good.len() - 1], "truncated or corrupt");
    let mut b = good.clone();
    b[0] = b'X';
    try_bytes(&b, "bad magic");
    let mut b = good.clone();
    b[8] = 9;
    try_bytes(&b, "format version 9");
    let mut b = good.clone();
    b[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
    try_bytes(&b, "overflows");
    let mut b = good.clone();
    b[16..24].copy_from_slice(&0u64.to_le_bytes());
    try_bytes(&b, "dims is 0");
    // First id's bytes: header + 2x2 f32 + u32 length.
    let mut b = good.clone();
    b[64 + 16 + 4] = 0xff;
    try_bytes(&b, "not valid UTF-8");
    let mut b = good.clone();
    b[64 + 16..64 + 20].copy_from_slice(&1000u32.to_le_bytes());
    try_bytes(&b, "past the end");
    let mut b = good.clone();
    let n = b.len();
    b[n - 1] = b'{';
    try_bytes(&b, "meta is not valid JSON");
    let e = err_text(&dir.path().join("missing.sbstore"));
    assert!(e.contains("missing.sbstore"), "{e}");
}
