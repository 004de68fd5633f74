//! The ingest pipeline: read -> embed -> bulk, joined by bounded channels (the backpressure).
//!
//! Each stage is a file: [`reader`] (a thread streaming the corpus in chunks; bad records pass
//! along in order), [`embedder`] (a thread turning chunks into vectors), [`dispatch`] (the async
//! bulk stage keeping `concurrency` requests in flight) and [`acks`] (what the engine
//! acknowledged: summary, checkpoint, dead letters, progress). Before the job, [`resolve`] turns
//! what it asks for plus the live engine into the finished index spec; `validate` refuses what
//! cannot work, and [`index`] checks the index before any embedding and creates it when the
//! first request is ready. Every document gets a sequence
//! number in stream order; the checkpoint advances to the highest number below which every
//! document is acknowledged, so a resume never skips an unacknowledged document.

mod acks;
mod batch;
pub mod checkpoint;
mod dispatch;
mod duplicates;
mod embedder;
mod identity;
mod index;
mod options;
mod progress;
mod reader;
pub mod resolve;
pub mod sender;
mod source;
mod stage;
mod validate;

use std::time::Instant;

use self::acks::{AckPaths, Acks};
use self::batch::Batcher;
pub use self::checkpoint::Checkpoint;
use self::dispatch::Dispatcher;
use self::embedder::{Embedded, StoreOutput, spawn_embedder};
pub use self::index::{IndexSetup, apply_index_setup, plan_index};
pub use self::options::{Batching, IngestOptions, OnError, Skipped, Summary, default_state_files};
pub use self::progress::count_lines;
use self::reader::{ReaderConfig, spawn_reader};
pub use self::resolve::{ChunkRequest, IndexRequest, Resolved, resolve};
pub use self::sender::RetryPolicy;
pub use self::source::{DocSource, VectorSource};
use crate::engines::{DocVectors, Engine};
use crate::error::{Error, Result};

/// A job refused by the engine (401/403: credentials that may create the index but not write to
/// it) before any document went in must not leave behind the empty index it created: it is
/// deleted again (best effort; the error says what happened to it).
async fn undo_refused_create(
    engine: &Engine,
    index: &str,
    setup: IndexSetup,
    nothing_in: bool,
    e: Error,
) -> Error {
    let Error::Engine {
        url,
        status: status @ (401 | 403),
        reason,
    } = e
    else {
        return e;
    };
    if setup == IndexSetup::Ready
        || !nothing_in
        || !engine.index_exists(index).await.unwrap_or(false)
    {
        return Error::Engine {
            url,
            status,
            reason,
        };
    }
    let note = match engine.delete_index(index).await {
        Ok(()) => format!("; the empty index `{index}` this job had created was deleted again"),
        Err(d) => format!(
            "; the index `{index}` this job created is empty and could not be deleted ({d})"
        ),
    };
    Error::Engine {
        url,
        status,
        reason: format!("{reason}{note}"),
    }
}

/// Run the whole job. Errors that stop the job leave the checkpoint at what the engine
/// acknowledged (unfinished); bad records and refused documents are counted in the summary.
pub async fn run(
    engine: &Engine,
    docs: DocSource,
    vectors: VectorSource,
    mut opts: IngestOptions,
) -> Result<Summary> {
    let started = Instant::now();
    validate::check_job(engine, &docs, &vectors, &opts)?;
    create_parent_dirs(&[&opts.checkpoint, &opts.dead_letter])?;
    // One job per checkpoint; released when the job ends, however it ends.
    let _lock = identity::Lock::take(&opts.checkpoint)?;
    let (model_id, store_meta) = resolve::identify(&mut opts.spec, &vectors, &docs).await?;
    let checkpoint = resume_point(engine, &docs, model_id, &opts).await?;
    let resumed_from = checkpoint.done;

    // Checked now; created (or dropped and created, with --recreate) only when the first
    // request is ready, so a corpus that turns out unreadable leaves the cluster as it was.
    let setup = plan_index(engine, &opts.spec, opts.recreate).await?;
    validate::check_index(engine, &opts, setup, resumed_from).await?;
    let docs_name = docs.name();
    let mut acks = start_acks(engine, &docs, &opts, checkpoint).await;

    let reader_cfg = ReaderConfig {
        name: docs.name(),
        chunk_size: opts.batching.embed_chunk,
        shard: opts.shard,
        limit: opts.limit,
        skip: resumed_from,
    };
    let reread = match &docs {
        DocSource::File { path, format } if path.as_os_str() != "-" => Some(duplicates::Reread {
            path: path.clone(),
            format: format.clone(),
        }),
        _ => None,
    };
    let (read_rx, reader) = spawn_reader(docs.open()?, reader_cfg)?;
    let model = match &vectors {
        VectorSource::Model(e) => Some((std::sync::Arc::clone(e), e.truncated_texts())),
        VectorSource::Store(_) => None,
    };
    let store = opts.store.clone().map(|path| StoreOutput {
        path,
        dims: opts.spec.dims,
        meta: store_meta,
    });
    let (mut embedded_rx, embedder) = spawn_embedder(read_rx, vectors, opts.spec.chunking, store)?;

    let b = &opts.batching;
    let mut dispatcher =
        Dispatcher::new(engine, &opts.spec, opts.retry.clone(), b.concurrency, setup);
    let mut batcher = Batcher::new(
        &opts.spec.name,
        &opts.spec.schema,
        b.bulk_docs,
        b.bulk_bytes,
        resumed_from,
    );
    batcher.with_ids = !engine.serverless();
    let streamed = match stream(
        &mut embedded_rx,
        &mut batcher,
        &mut dispatcher,
        &mut acks,
        opts.on_error,
    )
    .await
    {
        // Drain: whatever is in flight completes (or fails) and is checkpointed; nothing is
        // dropped.
        Ok(()) => {
            drop(embedded_rx);
            dispatcher.drain(&mut acks).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = streamed {
        let nothing_in = resumed_from == 0 && acks.summary.indexed == 0;
        return Err(undo_refused_create(engine, &opts.spec.name, setup, nothing_in, e).await);
    }
    let embed_done = crate::blocking::run("embedder join", move || Ok(embedder.join())).await?;
    let read_done = crate::blocking::run("reader join", move || Ok(reader.join())).await?;
    acks.take_failure()?;
    // A stage that died cut the stream short: the job fails and the checkpoint stays unfinished
    // (and a --store being written is not put in place: it would hold part of the corpus).
    let embed_done = embed_done?;
    read_done?;
    let store = match embed_done.store {
        Some(writer) => Some(crate::blocking::run("store", move || writer.finish()).await?),
        None => None,
    };

    dispatcher.ensure_index().await?;
    if let Some(uuid) = identity::index_uuid(engine, &opts.spec.name).await {
        acks.set_index_uuid(uuid);
    }
    // Serverless has no `_refresh` and its `_count` lags by seconds: no count after there.
    if opts.refresh && !engine.serverless() {
        engine.refresh(&opts.spec.name).await?;
        let count = engine.count(&opts.spec.name).await?;
        acks.summary.count_after = Some(count);
        // This job made the index: every acknowledged document is in it, unless a later one
        // with the same id replaced it.
        let created = matches!(setup, IndexSetup::Create | IndexSetup::DropAndCreate);
        if created && resumed_from == 0 && count < acks.summary.indexed {
            let lost = acks.summary.indexed - count;
            let first = match reread {
                Some(r) => {
                    crate::blocking::run("duplicate ids", move || duplicates::first_duplicate(&r))
                        .await?
                }
                None => None,
            };
            let message = duplicates::message(&docs_name, &opts.spec.name, lost, first);
            acks.overwritten(lost, message);
        }
    }
    acks.summary.embed_secs = embed_done.busy_secs;
    if let Some((e, before)) = model {
        acks.summary.truncated = e.truncated_texts() - before;
    }
    acks.summary.store = store.map(|s| s.path);
    let mut summary = acks.finish()?;
    summary.wall_secs = started.elapsed().as_secs_f64();
    summary.docs_per_sec = (summary.indexed + summary.failed) as f64 / summary.wall_secs.max(1e-9);
    Ok(summary)
}

/// What the engine acknowledged so far: the job's summary, checkpoint and state files, with the
/// progress bar.
async fn start_acks(
    engine: &Engine,
    docs: &DocSource,
    opts: &IngestOptions,
    checkpoint: Checkpoint,
) -> Acks {
    let resumed_from = checkpoint.done;
    // The bar's total costs a pass over the file: only when there is a bar.
    let total = match opts.progress {
        true => docs.line_count().await,
        false => None,
    };
    let progress = progress::progress_bar(opts.progress, total, resumed_from);
    let summary = Summary {
        index: opts.spec.name.clone(),
        engine_url: engine.url().to_owned(),
        resumed_from,
        checkpoint: opts.checkpoint.clone(),
        ..Summary::default()
    };
    let paths = AckPaths {
        checkpoint: opts.checkpoint.clone(),
        dead_letter: opts.dead_letter.clone(),
        corpus: docs.name(),
    };
    Acks::new(summary, checkpoint, paths, progress)
}

/// Stage 3's loop: embedded documents into bulk requests, sent as they fill, until the stream
/// ends or a failure stops the job; then the last partial request (unless stopped: its documents
/// stay unacknowledged, so a resume sends them).
async fn stream(
    embedded_rx: &mut tokio::sync::mpsc::Receiver<Result<Embedded>>,
    batcher: &mut Batcher,
    dispatcher: &mut Dispatcher<'_>,
    acks: &mut Acks,
    on_error: OnError,
) -> Result<()> {
    while let Some(msg) = embedded_rx.recv().await {
        let embedded = match msg {
            Ok(e) => e,
            Err(e @ Error::Record { .. }) => {
                acks.bad_record(e, on_error);
                match acks.failed() {
                    true => break,
                    false => continue,
                }
            }
            Err(e) => {
                acks.fail(e);
                break;
            }
        };
        acks.summary.read += embedded.docs.len() as u64;
        batcher.check_contiguous(embedded.start);
        let mut ready = Vec::new();
        for (doc, vector) in embedded.docs {
            if let DocVectors::Passages(p) = &vector {
                acks.summary.passages += p.len() as u64;
            }
            ready.extend(batcher.push(doc, vector));
        }
        for request in ready {
            if !dispatcher.send(request, acks).await? {
                return Ok(());
            }
        }
    }
    if !acks.failed()
        && let Some(request) = batcher.finish()
    {
        dispatcher.send(request, acks).await?;
    }
    Ok(())
}

/// The folders of the state files (the default ones live under `$SEMBRIDGE_HOME/ingest`), made
/// before the job starts, so an unwritable place fails it before anything is sent.
fn create_parent_dirs(paths: &[&std::path::Path]) -> Result<()> {
    for dir in paths.iter().filter_map(|p| p.parent()) {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    Ok(())
}

/// The job's checkpoint: fresh, or (with `--resume`) continuing the saved one of the same job.
async fn resume_point(
    engine: &Engine,
    docs: &DocSource,
    model: String,
    opts: &IngestOptions,
) -> Result<Checkpoint> {
    let mut checkpoint = Checkpoint {
        corpus_sha256: docs.fingerprint().await?,
        model,
        index: opts.spec.name.clone(),
        engine_url: engine.url().to_owned(),
        shard: opts.shard.map(|(i, n)| format!("{i}/{n}")),
        done: 0,
        finished: false,
        failed: 0,
        skipped: 0,
        dead_letter: None,
        cluster_uuid: identity::cluster_uuid(engine).await,
        index_uuid: None,
    };
    if opts.resume {
        match Checkpoint::load(&opts.checkpoint)? {
            Some(previous) => {
                previous.check_same_job(&opts.checkpoint, &checkpoint)?;
                identity::check_resume_target(engine, &opts.checkpoint, &previous, &mut checkpoint)
                    .await?;
                checkpoint.done = previous.done;
                // What the earlier runs refused stays counted: the job is not clean yet.
                checkpoint.failed = previous.failed;
                checkpoint.dead_letter = previous.dead_letter;
            }
            None => tracing::warn!(
                "--resume: no checkpoint at {}; starting from the first document",
                opts.checkpoint.display()
            ),
        }
    }
    Ok(checkpoint)
}
