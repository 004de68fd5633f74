//! The local vector store: one file of ids + f32 vectors + the embedder's metadata, written as a
//! stream (ingest does not know the count up front) and read memory-mapped by exact search and eval.
//!
//! # File format (version 1, all integers little-endian)
//!
//! ```text
//! offset  size  field
//!      0     8  magic "SBSTORE1"
//!      8     4  version (u32) = 1
//!     12     4  flags (u32): bit 0 = every row has unit L2 norm (|norm - 1| <= 1e-4)
//!     16     8  dims (u64, > 0)
//!     24     8  count (u64): number of vectors
//!     32     8  matrix_offset (u64) = 64
//!     40     8  ids_offset (u64) = matrix_offset + count * dims * 4
//!     48     8  meta_offset (u64) = end of the ids section
//!     56     8  meta_len (u64); file length = meta_offset + meta_len
//!     64     -  matrix: count rows of dims f32 (LE), row-major; 64-byte aligned in the file
//!      -     -  ids: count times (u32 byte length, UTF-8 bytes), in row order, unique
//!      -     -  meta: a JSON value (the embedder's fingerprint: model hashes, dims, pooling, ...)
//! ```
//!
//! The writer writes `PATH.tmp` with a zeroed header, patches the header last, fsyncs and renames
//! onto `PATH`, so a crash never leaves a file that passes the magic check. [`Store::open`] checks
//! every field against the file length before it hands out a slice.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memmap2::Mmap;
use serde::Serialize;

use crate::error::{Error, Result};

pub const MAGIC: &[u8; 8] = b"SBSTORE1";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 64;
/// Header flag: every row was within [`UNIT_TOLERANCE`] of unit length when written.
pub const FLAG_UNIT_NORM: u32 = 1;
pub const UNIT_TOLERANCE: f32 = 1e-4;

/// What [`StoreWriter::finish`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreSummary {
    pub path: PathBuf,
    pub dims: usize,
    pub count: usize,
    pub bytes: u64,
    pub unit_norm: bool,
}

/// Streaming writer: `create`, `push` each (id, vector), then `finish`. Dropping it unfinished
/// removes the temporary file.
pub struct StoreWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    dims: usize,
    meta: serde_json::Value,
    ids: Vec<String>,
    seen: HashSet<String>,
    unit: bool,
    buf: Vec<u8>,
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

impl StoreWriter {
    pub fn create(path: &Path, dims: usize, meta: serde_json::Value) -> Result<StoreWriter> {
        if dims == 0 {
            return Err(Error::store(path, "dims must be > 0"));
        }
        let tmp = tmp_path(path);
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0u8; HEADER_LEN])
            .map_err(|e| Error::io(&tmp, e))?;
        Ok(StoreWriter {
            path: path.to_owned(),
            tmp,
            out: Some(out),
            dims,
            meta,
            ids: Vec::new(),
            seen: HashSet::new(),
            unit: true,
            buf: Vec::with_capacity(dims * 4),
        })
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Append one vector. Rejects a wrong dimension, a non-finite value or an id already written.
    pub fn push(&mut self, id: &str, vector: &[f32]) -> Result<()> {
        if vector.len() != self.dims {
            return Err(Error::Dimension {
                expected: self.dims,
                got: vector.len(),
                context: format!("vector for id `{id}` in store {}", self.path.display()),
            });
        }
        if u32::try_from(id.len()).is_err() {
            return Err(Error::store(
                &self.path,
                format!("id of {} bytes is too long", id.len()),
            ));
        }
        if let Some(i) = vector.iter().position(|v| !v.is_finite()) {
            return Err(Error::store(
                &self.path,
                format!("id `{id}`: component {i} is not finite"),
            ));
        }
        if self.seen.contains(id) {
            return Err(Error::store(&self.path, format!("duplicate id `{id}`")));
        }
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
        self.unit &= (norm - 1.0).abs() <= UNIT_TOLERANCE;
        self.buf.clear();
        for v in vector {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        let out = self.out.as_mut().expect("writer is open until finish");
        out.write_all(&self.buf)
            .map_err(|e| Error::io(&self.tmp, e))?;
        self.seen.insert(id.to_owned());
        self.ids.push(id.to_owned());
        Ok(())
    }

    /// Write ids and meta, patch the header, fsync and atomically rename onto the final path.
    pub fn finish(mut self) -> Result<StoreSummary> {
        let tmp = self.tmp.clone();
        let io = |e| Error::io(&tmp, e);
        let mut out = self.out.take().expect("writer is open until finish");
        let count = self.ids.len() as u64;
        let ids_offset = HEADER_LEN as u64 + count * self.dims as u64 * 4;
        let mut ids_len = 0u64;
        for id in &self.ids {
            out.write_all(&(id.len() as u32).to_le_bytes())
                .map_err(io)?;
            out.write_all(id.as_bytes()).map_err(io)?;
            ids_len += 4 + id.len() as u64;
        }
        let meta = serde_json::to_vec(&self.meta)
            .map_err(|e| Error::store(&self.path, format!("cannot serialize meta: {e}")))?;
        out.write_all(&meta).map_err(io)?;
        let meta_offset = ids_offset + ids_len;
        let flags = if self.unit && count > 0 {
            FLAG_UNIT_NORM
        } else {
            0
        };
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&flags.to_le_bytes());
        for v in [
            self.dims as u64,
            count,
            HEADER_LEN as u64,
            ids_offset,
            meta_offset,
        ] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        header.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&header).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(|e| Error::io(&self.path, e))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Best effort: make the rename durable; not every platform can open a directory.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(StoreSummary {
            path: self.path.clone(),
            dims: self.dims,
            count: count as usize,
            bytes: meta_offset + meta.len() as u64,
            unit_norm: flags & FLAG_UNIT_NORM != 0,
        })
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Where the matrix lives: a zero-copy view of the mapping, or a decoded copy on hosts where the
/// view is impossible (big-endian, or a misaligned mapping).
enum Matrix {
    Mapped { offset: usize, len: usize },
    Owned(Vec<f32>),
}

/// A read-only, memory-mapped vector store.
pub struct Store {
    path: PathBuf,
    mmap: Mmap,
    matrix: Matrix,
    dims: usize,
    unit_norm: bool,
    ids: Vec<String>,
    meta: serde_json::Value,
    index: OnceLock<HashMap<String, usize>>,
    norms: OnceLock<Vec<f32>>,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        let bad = |msg: String| Error::store(path, msg);
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the mapping is read-only and private to this process. Like every reader of an
        // mmapped file we rely on nobody truncating it while it is open; stores are written to
        // `PATH.tmp` and renamed, so the writer never modifies a file a reader has open.
        let mmap = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let b: &[u8] = &mmap;
        if b.len() < HEADER_LEN {
            return Err(bad(format!(
                "file is {} bytes, shorter than the header",
                b.len()
            )));
        }
        if &b[..8] != MAGIC {
            return Err(bad("not a sembridge vector store (bad magic)".into()));
        }
        let version = u32_at(b, 8);
        if version != VERSION {
            return Err(bad(format!(
                "format version {version}, this build reads {VERSION}"
            )));
        }
        let flags = u32_at(b, 12);
        let dims = u64_at(b, 16);
        let count = u64_at(b, 24);
        let (m_off, ids_off, meta_off, meta_len) =
            (u64_at(b, 32), u64_at(b, 40), u64_at(b, 48), u64_at(b, 56));
        if dims == 0 {
            return Err(bad("dims is 0".into()));
        }
        let matrix_bytes = count
            .checked_mul(dims)
            .and_then(|n| n.checked_mul(4))
            .ok_or_else(|| bad(format!("count {count} x dims {dims} overflows")))?;
        let file_len = b.len() as u64;
        if m_off != HEADER_LEN as u64
            || m_off.checked_add(matrix_bytes) != Some(ids_off)
            || ids_off > meta_off
            || meta_off.checked_add(meta_len) != Some(file_len)
        {
            return Err(bad(format!(
                "sections do not fit the file (count {count}, dims {dims}, matrix at {m_off}, \
                 ids at {ids_off}, meta at {meta_off}+{meta_len}, file {file_len} bytes); \
                 the file is truncated or corrupt"
            )));
        }
        let (dims, count) = (dims as usize, count as usize);
        let ids = parse_ids(&b[ids_off as usize..meta_off as usize], count).map_err(bad)?;
        let meta = serde_json::from_slice(&b[meta_off as usize..])
            .map_err(|e| bad(format!("meta is not valid JSON: {e}")))?;
        let (offset, len) = (m_off as usize, count * dims);
        let bytes = &b[offset..ids_off as usize];
        let view_ok = cfg!(target_endian = "little") && bytes.as_ptr().align_offset(4) == 0;
        let matrix = if view_ok {
            Matrix::Mapped { offset, len }
        } else {
            let v = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                .collect();
            Matrix::Owned(v)
        };
        Ok(Store {
            path: path.to_owned(),
            mmap,
            matrix,
            dims,
            unit_norm: flags & FLAG_UNIT_NORM != 0,
            ids,
            meta,
            index: OnceLock::new(),
            norms: OnceLock::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn meta(&self) -> &serde_json::Value {
        &self.meta
    }

    /// True when the writer saw every row at unit length (so cosine equals dot).
    pub fn is_unit_norm(&self) -> bool {
        self.unit_norm
    }

    /// All vectors, row-major, `len() * dims()` values.
    pub fn matrix(&self) -> &[f32] {
        match &self.matrix {
            Matrix::Mapped { offset, len } => {
                let bytes = &self.mmap[*offset..*offset + *len * 4];
                // SAFETY: `open` checked that these bytes lie inside the mapping, that the pointer
                // is 4-byte aligned and that the host is little-endian (the file's byte order);
                // every bit pattern is a valid f32, and the mapping lives as long as `self`.
                unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<f32>(), *len) }
            }
            Matrix::Owned(v) => v,
        }
    }

    /// Row `i`. Panics if `i >= len()`, like slice indexing.
    pub fn vector(&self, i: usize) -> &[f32] {
        &self.matrix()[i * self.dims..(i + 1) * self.dims]
    }

    /// The row of `id`, if present (the lookup table is built on first use).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        let index = self.index.get_or_init(|| {
            self.ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect()
        });
        index.get(id).copied()
    }

    /// L2 norm of every row, computed once per store (in parallel) on first use.
    pub fn norms(&self) -> &[f32] {
        use rayon::prelude::*;
        self.norms.get_or_init(|| {
            self.matrix()
                .par_chunks(self.dims)
                .map(|r| r.iter().map(|v| v * v).sum::<f32>().sqrt())
                .collect()
        })
    }
}

fn parse_ids(mut b: &[u8], count: usize) -> std::result::Result<Vec<String>, String> {
    let mut ids = Vec::with_capacity(count.min(b.len() / 4));
    for i in 0..count {
        if b.len() < 4 {
            return Err(format!("ids section ends before id {i} of {count}"));
        }
        let n = u32_at(b, 0) as usize;
        if b.len() - 4 < n {
            return Err(format!(
                "id {i} claims {n} bytes past the end of the ids section"
            ));
        }
        let s = std::str::from_utf8(&b[4..4 + n])
            .map_err(|e| format!("id {i} is not valid UTF-8: {e}"))?;
        ids.push(s.to_owned());
        b = &b[4 + n..];
    }
    if !b.is_empty() {
        return Err(format!("{} unexpected bytes after the last id", b.len()));
    }
    Ok(ids)
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
