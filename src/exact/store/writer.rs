//! The streaming writer of a vector store: rows go to `PATH.tmp` as they come, ids and meta at the
//! end, then the header is patched, the file fsynced and renamed onto `PATH`. Errors name `PATH`,
//! the file the caller asked for, never the temporary one.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{FLAG_UNIT_NORM, HEADER_LEN, MAGIC, UNIT_TOLERANCE, VERSION};
use crate::error::{Error, Result};

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

pub(super) fn tmp_path(path: &Path) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

impl StoreWriter {
    pub fn create(path: &Path, dims: usize, meta: serde_json::Value) -> Result<StoreWriter> {
        if dims == 0 {
            return Err(Error::store(path, "dims must be > 0"));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(Error::store(
                path,
                format!("the folder {} does not exist", dir.display()),
            ));
        }
        let tmp = tmp_path(path);
        let file = File::create(&tmp).map_err(|e| Error::io(path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(&[0u8; HEADER_LEN])
            .map_err(|e| Error::io(path, e))?;
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

    /// The meta written at [`StoreWriter::finish`]; may still be changed until then.
    pub fn meta_mut(&mut self) -> &mut serde_json::Value {
        &mut self.meta
    }

    /// Record that the rows are passages (the meta keys of [`super::passages::write_meta`]).
    pub fn record_passages(
        &mut self,
        cut: Option<crate::corpus::chunk::ChunkOptions>,
        documents: u64,
        offsets: &[[usize; 2]],
    ) {
        super::passages::write_meta(&mut self.meta, cut, documents, offsets);
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
            .map_err(|e| Error::io(&self.path, e))?;
        self.seen.insert(id.to_owned());
        self.ids.push(id.to_owned());
        Ok(())
    }

    /// Write ids and meta, patch the header, fsync and atomically rename onto the final path.
    pub fn finish(mut self) -> Result<StoreSummary> {
        let tmp = self.tmp.clone();
        let path = self.path.clone();
        let io = |e| Error::io(&path, e);
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
