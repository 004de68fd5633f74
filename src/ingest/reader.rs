//! Stage 1, the reader thread: streams documents in chunks for the embedder, skips what a resume
//! or the shard excludes, and passes bad records along in stream order.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, sync_channel};

use super::stage::Stage;
use crate::corpus::{Doc, shard_of};
use crate::error::{Error, Result};

/// Bad records before any good one after which the file is taken for something that is not a
/// corpus of its format (a binary file, a JSON array, CSV read as JSONL): stop instead of
/// reporting every line of it.
const NOT_A_CORPUS_AFTER: u64 = 100;

/// Documents `start..start + docs.len()` of the stream.
pub(crate) struct Chunk {
    pub start: u64,
    pub docs: Vec<Doc>,
}

pub(crate) enum ReadEvent {
    Chunk(Chunk),
    /// A bad record (or the I/O error that ends the stream), in stream order.
    Bad(Error),
}

pub(crate) struct ReaderConfig {
    /// The corpus' name in messages.
    pub name: PathBuf,
    pub chunk_size: usize,
    pub shard: Option<(u32, u32)>,
    pub limit: Option<u64>,
    /// Documents of the stream an earlier run acknowledged: read past, not sent.
    pub skip: u64,
}

/// Start the reader; chunks and bad records arrive on the receiver in stream order.
pub(crate) fn spawn_reader(
    docs: Box<dyn Iterator<Item = Result<Doc>> + Send>,
    cfg: ReaderConfig,
) -> Result<(Receiver<ReadEvent>, Stage<()>)> {
    let (tx, rx) = sync_channel::<ReadEvent>(4);
    let stage = Stage::spawn("reader", move || {
        let chunk_size = cfg.chunk_size.max(1);
        let mut seq: u64 = 0;
        let mut chunk = Vec::with_capacity(chunk_size);
        let mut start = cfg.skip;
        let (mut any_good, mut bad_before_good) = (false, 0u64);
        for item in docs {
            match item {
                Ok(doc) => {
                    any_good = true;
                    if let Some((i, n)) = cfg.shard
                        && shard_of(&doc.id, n) != i
                    {
                        continue;
                    }
                    if cfg.limit.is_some_and(|l| seq >= l) {
                        break;
                    }
                    seq += 1;
                    if seq <= cfg.skip {
                        continue;
                    }
                    chunk.push(doc);
                    if chunk.len() == chunk_size {
                        let docs = std::mem::replace(&mut chunk, Vec::with_capacity(chunk_size));
                        let n = docs.len() as u64;
                        if tx.send(ReadEvent::Chunk(Chunk { start, docs })).is_err() {
                            return Ok(()); // the job stopped for another reason
                        }
                        start += n;
                    }
                }
                Err(e) => {
                    let fatal = matches!(e, Error::Io { .. });
                    // A bad record before the resume point was reported (and counted) by the
                    // run that got there: a resume does not report it again.
                    if !fatal && seq < cfg.skip {
                        continue;
                    }
                    if tx.send(ReadEvent::Bad(e)).is_err() || fatal {
                        return Ok(());
                    }
                    bad_before_good += u64::from(!any_good);
                    if bad_before_good == NOT_A_CORPUS_AFTER {
                        let _ = tx.send(ReadEvent::Bad(Error::NotACorpus {
                            path: cfg.name.clone(),
                            bad: NOT_A_CORPUS_AFTER,
                        }));
                        return Ok(());
                    }
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(ReadEvent::Chunk(Chunk { start, docs: chunk }));
        }
        Ok(())
    });
    Ok((rx, stage?))
}
