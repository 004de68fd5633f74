//! Where an ingest job's documents and vectors come from: a corpus file (or any document stream)
//! and the model (or a store of precomputed vectors).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::corpus::chunk::ChunkOptions;
use crate::corpus::{CorpusFormat, CorpusReader, Doc, corpus_fingerprint};
use crate::embed::{Embedder, Role};
use crate::engines::{DocVectors, PassageVector};
use crate::error::{Error, Result};
use crate::exact::store::Store;

/// The documents of a job.
pub enum DocSource {
    /// A corpus file (`-` = standard input) in a resolved format.
    File { path: PathBuf, format: CorpusFormat },
    /// Any stream of documents (or record errors), named for messages. It cannot be read twice,
    /// so a job from a stream cannot be resumed.
    Stream {
        name: String,
        docs: Box<dyn Iterator<Item = Result<Doc>> + Send>,
    },
}

impl DocSource {
    pub fn file(path: impl Into<PathBuf>, format: CorpusFormat) -> Self {
        DocSource::File {
            path: path.into(),
            format,
        }
    }

    /// The path messages, checkpoints and dead-letter lines name.
    pub fn name(&self) -> PathBuf {
        match self {
            DocSource::File { path, .. } => path.clone(),
            DocSource::Stream { name, .. } => PathBuf::from(name),
        }
    }

    /// A file that can be read again (not stdin, not a stream): the only kind a resume can trust.
    pub fn rereadable_file(&self) -> Option<&Path> {
        match self {
            DocSource::File { path, .. } if path.as_os_str() != "-" => Some(path),
            _ => None,
        }
    }

    /// sha256 of a re-readable file, "" for the rest (hashed off the async runtime).
    pub(crate) async fn fingerprint(&self) -> Result<String> {
        let Some(path) = self.rereadable_file().map(Path::to_path_buf) else {
            return Ok(String::new());
        };
        crate::blocking::run("corpus hashing", move || corpus_fingerprint(&path)).await
    }

    /// Lines of a re-readable file: the progress bar's total (counted off the async runtime).
    pub(crate) async fn line_count(&self) -> Option<u64> {
        let path = self.rereadable_file()?.to_path_buf();
        crate::blocking::run("line counting", move || {
            Ok(super::progress::count_lines(&path))
        })
        .await
        .ok()
        .flatten()
    }

    pub(crate) fn open(self) -> Result<Box<dyn Iterator<Item = Result<Doc>> + Send>> {
        Ok(match self {
            DocSource::File { path, format } => Box::new(CorpusReader::open(&path, Some(format))?),
            DocSource::Stream { docs, .. } => docs,
        })
    }
}

/// Where vectors come from.
pub enum VectorSource {
    Model(Arc<Embedder>),
    /// Precomputed vectors (a store written by `sembridge embed` or `ingest --store`), by doc id.
    Store(Arc<Store>),
}

impl VectorSource {
    pub fn dims(&self) -> usize {
        match self {
            VectorSource::Model(e) => e.dims(),
            VectorSource::Store(s) => s.dims(),
        }
    }

    /// The short model id the checkpoint and the index `_meta` record, and the metadata of a
    /// store written alongside (the model files are hashed once, off the async runtime).
    pub(crate) async fn identity(&self, corpus: PathBuf) -> Result<(String, serde_json::Value)> {
        match self {
            VectorSource::Model(e) => {
                let e = Arc::clone(e);
                crate::blocking::run("model fingerprint", move || {
                    Ok((
                        e.fingerprint()?.short(),
                        e.store_meta(Role::Document, &corpus)?,
                    ))
                })
                .await
            }
            VectorSource::Store(s) => {
                let short = s
                    .meta()
                    .pointer("/model/short")
                    .and_then(|v| v.as_str())
                    .unwrap_or("store")
                    .to_owned();
                Ok((short, s.meta().clone()))
            }
        }
    }

    /// The vectors of `docs`, in order: embedded (cut into passages first with `chunking`), or
    /// looked up in the store (a passage store gives each document its passages `ID#0..`).
    pub(crate) fn vectors(
        &self,
        docs: &[Doc],
        chunking: Option<&ChunkOptions>,
    ) -> Result<Vec<DocVectors>> {
        match self {
            VectorSource::Model(embedder) => match chunking {
                None => {
                    let texts: Vec<String> = docs.iter().map(Doc::embed_text).collect();
                    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                    Ok(embedder
                        .embed_documents(&refs)?
                        .into_iter()
                        .map(DocVectors::One)
                        .collect())
                }
                Some(opts) => {
                    let cut = embedder.passages(&docs.iter().collect::<Vec<_>>(), opts)?;
                    let refs: Vec<&str> = cut.iter().flatten().map(|p| p.text.as_str()).collect();
                    let mut vectors = embedder.embed_documents(&refs)?.into_iter();
                    Ok(cut
                        .iter()
                        .map(|ps| {
                            DocVectors::Passages(
                                ps.iter()
                                    .zip(vectors.by_ref())
                                    .map(|(p, vector)| PassageVector {
                                        vector,
                                        start: p.start,
                                        end: p.end,
                                    })
                                    .collect(),
                            )
                        })
                        .collect())
                }
            },
            VectorSource::Store(store) => docs.iter().map(|d| stored(store, d)).collect(),
        }
    }
}

/// A document's vectors in a store: its row, or in a passage store its rows `ID#0, ID#1, ...`.
fn stored(store: &Store, d: &Doc) -> Result<DocVectors> {
    let missing = || {
        Error::store(
            store.path(),
            format!("no vector for document `{}` (corpus line {})", d.id, d.line),
        )
    };
    let Some(map) = store.passages() else {
        let i = store.index_of(&d.id).ok_or_else(missing)?;
        return Ok(DocVectors::One(store.vector(i).to_vec()));
    };
    let rows = map.rows_of(&d.id).ok_or_else(missing)?;
    Ok(DocVectors::Passages(
        rows.iter()
            .map(|&row| {
                let row = row as usize;
                PassageVector {
                    vector: store.vector(row).to_vec(),
                    start: map.offsets[row][0],
                    end: map.offsets[row][1],
                }
            })
            .collect(),
    ))
}
