//! Stage 2, the embedding thread: turns chunks into vectors (blocking ONNX Runtime work, off the
//! async runtime), writes them to the local store when asked, and passes bad records through in
//! order.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use super::reader::ReadEvent;
use super::source::VectorSource;
use super::stage::Stage;
use crate::corpus::Doc;
use crate::corpus::chunk::{ChunkOptions, passage_id};
use crate::engines::DocVectors;
use crate::error::Result;
use crate::exact::store::StoreWriter;

/// Documents `start..` of the stream with their vectors.
pub(crate) struct Embedded {
    pub start: u64,
    pub docs: Vec<(Doc, DocVectors)>,
}

/// What the embedder did, known once it ended.
pub(crate) struct EmbedDone {
    /// Seconds spent producing vectors.
    pub busy_secs: f64,
    /// The store being written alongside (`--store`), all vectors pushed; the job finishes it
    /// (puts it in place) only when every stage ended well.
    pub store: Option<StoreWriter>,
}

pub(crate) struct StoreOutput {
    pub path: PathBuf,
    pub dims: usize,
    pub meta: serde_json::Value,
}

/// Start the embedder on the reader's events. Errors (a failed model call, a store that cannot
/// be written, bad records) go down the channel in stream order, where the bulk stage decides.
pub(crate) fn spawn_embedder(
    events: Receiver<ReadEvent>,
    vectors: VectorSource,
    chunking: Option<ChunkOptions>,
    store: Option<StoreOutput>,
) -> Result<(
    tokio::sync::mpsc::Receiver<Result<Embedded>>,
    Stage<EmbedDone>,
)> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Embedded>>(2);
    let stage = Stage::spawn("embedder", move || {
        let mut done = EmbedDone {
            busy_secs: 0.0,
            store: None,
        };
        // A passage store's rows are `ID#I`, their offsets kept in its meta (as `embed` writes).
        let mut offsets: Vec<[usize; 2]> = Vec::new();
        let mut documents = 0u64;
        let mut writer = match store {
            Some(s) => match StoreWriter::create(&s.path, s.dims, s.meta) {
                Ok(w) => Some(w),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return Ok(done);
                }
            },
            None => None,
        };
        for event in events {
            let chunk = match event {
                ReadEvent::Chunk(c) => c,
                ReadEvent::Bad(e) => {
                    if tx.blocking_send(Err(e)).is_err() {
                        return Ok(done);
                    }
                    continue;
                }
            };
            let t = Instant::now();
            let result = vectors.vectors(&chunk.docs, chunking.as_ref());
            done.busy_secs += t.elapsed().as_secs_f64();
            let result = result.and_then(|vs| {
                if let Some(w) = writer.as_mut() {
                    documents += chunk.docs.len() as u64;
                    for (d, v) in chunk.docs.iter().zip(&vs) {
                        for (i, (vector, at)) in v.iter().enumerate() {
                            match at.filter(|_| chunking.is_some()) {
                                Some(at) => {
                                    w.push(&passage_id(&d.id, i), vector)?;
                                    offsets.push(at);
                                }
                                None => w.push(&d.id, vector)?,
                            }
                        }
                    }
                }
                Ok(vs)
            });
            let sent = match result {
                Ok(vs) => tx.blocking_send(Ok(Embedded {
                    start: chunk.start,
                    docs: chunk.docs.into_iter().zip(vs).collect(),
                })),
                Err(e) => {
                    // The job stops here: the error goes down the channel, the store is left
                    // unfinished (its temporary file is not renamed into place).
                    let _ = tx.blocking_send(Err(e));
                    return Ok(done);
                }
            };
            if sent.is_err() {
                return Ok(done);
            }
        }
        if let (Some(w), Some(opts)) = (writer.as_mut(), chunking) {
            w.record_passages(Some(opts), documents, &offsets);
        }
        done.store = writer;
        Ok(done)
    });
    Ok((rx, stage?))
}
