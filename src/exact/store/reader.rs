//! The reader of a vector store: memory-maps the file, checks every header field against the file
//! length, and hands out the matrix (zero-copy where the host allows), ids, norms and meta.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use memmap2::Mmap;

use super::PassageMap;
use super::{FLAG_UNIT_NORM, HEADER_LEN, MAGIC, VERSION};
use crate::error::{Error, Result};

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
    passages: Option<PassageMap>,
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
        let passages = PassageMap::from_store(&ids, &meta).map_err(bad)?;
        Ok(Store {
            passages,
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

    /// Row -> parent document, when the store holds passages (`--chunk-tokens`).
    pub fn passages(&self) -> Option<&PassageMap> {
        self.passages.as_ref()
    }

    pub fn meta(&self) -> &serde_json::Value {
        &self.meta
    }

    /// How a passage store's documents were cut, as its meta records it.
    pub fn chunking(&self) -> Option<crate::corpus::chunk::ChunkOptions> {
        super::passages::recorded_cut(&self.meta)
    }

    /// The store's vectors must have the model's dims; `context` says which two met.
    pub fn check_dims(&self, model_dims: usize, context: impl Into<String>) -> Result<()> {
        if self.dims() == model_dims {
            return Ok(());
        }
        Err(Error::Dimension {
            expected: self.dims(),
            got: model_dims,
            context: context.into(),
        })
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
