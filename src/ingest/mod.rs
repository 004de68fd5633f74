//! The ingest pipeline: read -> embed -> bulk, joined by bounded channels (the backpressure).
//!
//! A reader thread streams the corpus (bad records are reported with file:line and skipped or
//! fatal), an embedding thread turns chunks into vectors (or looks them up in a vector store),
//! and the async bulk stage keeps `concurrency` requests in flight. Every document gets a
//! sequence number in stream order; the checkpoint advances to the highest number below which
//! every document is acknowledged, so a resume never skips an unacknowledged document.

mod batch;
pub mod checkpoint;
pub mod sender;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use self::batch::Batcher;
use self::checkpoint::{Checkpoint, Watermark};
use self::sender::Outcome;
pub use self::sender::RetryPolicy;
use crate::corpus::{CorpusFormat, CorpusReader, Doc, corpus_fingerprint, shard_of};
use crate::embed::Embedder;
use crate::engines::{Engine, IndexSpec, Similarity};
use crate::error::{Error, Result};
use crate::exact::store::{Store, StoreWriter};

/// What to do with a bad corpus record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Report it (file:line:field), count it, go on; exit code 1 at the end.
    Skip,
    /// Stop at the first bad record (what was already sent stays indexed and checkpointed).
    Fail,
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
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub corpus: PathBuf,
    pub format: Option<CorpusFormat>,
    pub on_error: OnError,
    /// `(i, n)`: ingest only documents whose id hashes to shard i of n.
    pub shard: Option<(u32, u32)>,
    pub spec: IndexSpec,
    pub recreate: bool,
    /// Documents per embedding call.
    pub embed_chunk: usize,
    pub bulk_docs: usize,
    pub bulk_bytes: usize,
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub checkpoint: PathBuf,
    pub resume: bool,
    pub dead_letter: PathBuf,
    pub store: Option<PathBuf>,
    pub refresh: bool,
    pub progress: bool,
    /// Stop after this many documents of the stream (for trials).
    pub limit: Option<u64>,
}

impl IngestOptions {
    pub fn new(corpus: impl Into<PathBuf>, spec: IndexSpec) -> Self {
        let corpus = corpus.into();
        let stem = format!(
            "{}.{}",
            corpus
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("stdin"),
            spec.name
        );
        let dir = corpus
            .parent()
            .filter(|p| !p.as_os_str().is_empty() && p.is_dir())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        IngestOptions {
            checkpoint: writable_dir(&dir).join(format!("{stem}.checkpoint.json")),
            dead_letter: writable_dir(&dir).join(format!("{stem}.deadletter.jsonl")),
            corpus,
            format: None,
            on_error: OnError::Skip,
            shard: None,
            spec,
            recreate: false,
            embed_chunk: 1024,
            bulk_docs: 500,
            bulk_bytes: 8 << 20,
            concurrency: 4,
            retry: RetryPolicy::default(),
            resume: false,
            store: None,
            refresh: true,
            progress: false,
            limit: None,
        }
    }
}

/// The corpus folder when writable (BEIR folders are often read-only, as ../shared is), else the
/// current directory.
fn writable_dir(dir: &std::path::Path) -> PathBuf {
    let probe = dir.join(format!(".sembridge-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            dir.to_path_buf()
        }
        Err(_) => PathBuf::from("."),
    }
}

/// A skipped bad record, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub index: String,
    pub engine_url: String,
    /// Documents of the stream skipped because an earlier run had done them (`--resume`).
    pub resumed_from: u64,
    /// Good records read in this run.
    pub read: u64,
    pub indexed: u64,
    /// Bad records (reported with file:line).
    pub skipped: u64,
    /// Documents the engine refused (in the dead-letter file).
    pub failed: u64,
    pub retried: u64,
    pub wall_secs: f64,
    pub embed_secs: f64,
    /// Summed duration of bulk requests (with `concurrency` in flight this exceeds wall time).
    pub index_secs: f64,
    pub docs_per_sec: f64,
    pub checkpoint: PathBuf,
    pub dead_letter: Option<PathBuf>,
    pub store: Option<PathBuf>,
    pub skipped_records: Vec<Skipped>,
    pub count_after: Option<u64>,
}

/// Records kept for the summary (all are counted; the first ones are listed).
const LISTED_SKIPS: usize = 100;

/// Bad records before any good one after which the file is taken for something that is not a
/// corpus of its format (a binary file, a JSON array, CSV read as JSONL): stop instead of
/// reporting every line of it.
const NOT_A_CORPUS_AFTER: u64 = 100;

struct Chunk {
    start: u64,
    docs: Vec<Doc>,
}

struct Embedded {
    start: u64,
    docs: Vec<(Doc, Vec<f32>)>,
}

enum ReadEvent {
    Chunk(Chunk),
    Bad(Error),
}

/// What the index needs before the first bulk request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexSetup {
    /// It exists with a mapping that agrees: nothing.
    Ready,
    Create,
    /// `--recreate` of an existing index: drop, then create.
    DropAndCreate,
}

/// Check the index against the spec without changing anything: a mismatch is an error here,
/// before any embedding; creating (or dropping) waits for [`apply_index_setup`].
pub async fn plan_index(engine: &Engine, spec: &IndexSpec, recreate: bool) -> Result<IndexSetup> {
    if !engine.index_exists(&spec.name).await? {
        return Ok(IndexSetup::Create);
    }
    if recreate {
        return Ok(IndexSetup::DropAndCreate);
    }
    let differences = engine.mapping_differences(spec).await?;
    if !differences.is_empty() {
        return Err(Error::MappingMismatch {
            index: spec.name.clone(),
            differences,
        });
    }
    Ok(IndexSetup::Ready)
}

/// Carry out what [`plan_index`] decided (drop and/or create the index).
pub async fn apply_index_setup(engine: &Engine, spec: &IndexSpec, setup: IndexSetup) -> Result<()> {
    match setup {
        IndexSetup::Ready => Ok(()),
        IndexSetup::Create => engine.create_index(spec).await,
        IndexSetup::DropAndCreate => {
            engine.delete_index(&spec.name).await?;
            engine.create_index(spec).await
        }
    }
}

/// Run the whole job. Errors that stop the job leave the checkpoint at what the engine
/// acknowledged; bad records and refused documents are counted in the summary instead.
pub async fn run(
    engine: &Engine,
    source: VectorSource,
    mut opts: IngestOptions,
) -> Result<Summary> {
    let started = Instant::now();
    opts.spec.dims = source.dims();
    if engine.kind() == crate::engines::EngineKind::Elasticsearch
        && opts.spec.similarity == Similarity::Dot
        && let VectorSource::Model(e) = &source
        && !e.config().normalize
    {
        return Err(Error::config(
            "--similarity",
            "Elasticsearch dot_product needs unit vectors and this model does not normalize; use cosine",
        ));
    }
    if opts.resume && opts.store.is_some() {
        return Err(Error::config(
            "--store",
            "cannot be combined with --resume (the store is written in one pass); drop --resume to rebuild both",
        ));
    }
    let stdin = opts.corpus.as_os_str() == "-";
    if opts.resume && stdin {
        return Err(Error::config(
            "--resume",
            "needs a corpus file (stdin cannot be re-read)",
        ));
    }
    let (model_id, store_meta) = match &source {
        VectorSource::Model(e) => (
            e.fingerprint()?.short(),
            e.store_meta(crate::embed::Role::Document, &opts.corpus)?,
        ),
        VectorSource::Store(s) => {
            let short = s
                .meta()
                .pointer("/model/short")
                .and_then(|v| v.as_str())
                .unwrap_or("store")
                .to_owned();
            (short, s.meta().clone())
        }
    };
    opts.spec.model = Some(model_id.clone());

    let mut checkpoint = Checkpoint {
        corpus_sha256: if stdin {
            String::new()
        } else {
            corpus_fingerprint(&opts.corpus)?
        },
        model: model_id,
        index: opts.spec.name.clone(),
        engine_url: engine.url().to_owned(),
        shard: opts.shard.map(|(i, n)| format!("{i}/{n}")),
        done: 0,
        finished: false,
    };
    if opts.resume
        && let Some(previous) = Checkpoint::load(&opts.checkpoint)?
    {
        previous.check_same_job(&opts.checkpoint, &checkpoint)?;
        checkpoint.done = previous.done;
    }
    let resumed_from = checkpoint.done;
    if opts.resume && opts.recreate {
        return Err(Error::config(
            "--recreate",
            "cannot be combined with --resume (it would drop what the resume continues)",
        ));
    }
    // Checked now; created (or dropped and created, with --recreate) only when the first
    // request is ready, so a corpus that turns out unreadable leaves the cluster as it was.
    let setup = plan_index(engine, &opts.spec, opts.recreate).await?;
    if resumed_from > 0 && setup == IndexSetup::Create {
        // Resuming into a new index would leave out everything the checkpoint says is done.
        return Err(Error::Checkpoint {
            path: opts.checkpoint.clone(),
            message: format!(
                "records {resumed_from} documents as indexed into `{}`, but that index does not \
                 exist (deleted?); run again without --resume to index everything",
                opts.spec.name
            ),
        });
    }
    let mut index_setup = Some(setup);

    let reader = CorpusReader::open(&opts.corpus, opts.format.clone())?;
    // The bar's total costs a pass over the file: only when there is a bar.
    let total_hint = if stdin || !opts.progress {
        None
    } else {
        count_lines(&opts.corpus)
    };
    let progress = progress_bar(opts.progress, total_hint, resumed_from);

    // Stage 1: reader thread.
    let (read_tx, read_rx) = std::sync::mpsc::sync_channel::<ReadEvent>(4);
    let chunk_size = opts.embed_chunk.max(1);
    let shard = opts.shard;
    let limit = opts.limit;
    let corpus_path = opts.corpus.clone();
    let reader_thread = std::thread::spawn(move || {
        let mut seq: u64 = 0;
        let mut docs = Vec::with_capacity(chunk_size);
        let mut start = resumed_from;
        let (mut any_good, mut bad_before_good) = (false, 0u64);
        for item in reader {
            match item {
                Ok(doc) => {
                    any_good = true;
                    if let Some((i, n)) = shard
                        && shard_of(&doc.id, n) != i
                    {
                        continue;
                    }
                    if limit.is_some_and(|l| seq >= l) {
                        break;
                    }
                    seq += 1;
                    if seq <= resumed_from {
                        continue;
                    }
                    docs.push(doc);
                    if docs.len() == chunk_size {
                        let chunk = Chunk {
                            start,
                            docs: std::mem::replace(&mut docs, Vec::with_capacity(chunk_size)),
                        };
                        start += chunk.docs.len() as u64;
                        if read_tx.send(ReadEvent::Chunk(chunk)).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let fatal = matches!(e, Error::Io { .. });
                    if read_tx.send(ReadEvent::Bad(e)).is_err() || fatal {
                        return;
                    }
                    bad_before_good += u64::from(!any_good);
                    if bad_before_good == NOT_A_CORPUS_AFTER {
                        let _ = read_tx.send(ReadEvent::Bad(Error::Other(format!(
                            "{}: the first {NOT_A_CORPUS_AFTER} records are all bad and none is good: \
                             the file does not look like a corpus of the format it was read as; \
                             check the file, or pass --format",
                            corpus_path.display()
                        ))));
                        return;
                    }
                }
            }
        }
        if !docs.is_empty() {
            let _ = read_tx.send(ReadEvent::Chunk(Chunk { start, docs }));
        }
    });

    // Stage 2: embedding thread (blocking); bad records pass through it in order.
    let (emb_tx, mut emb_rx) =
        tokio::sync::mpsc::channel::<std::result::Result<Embedded, Error>>(2);
    let store_path = opts.store.clone();
    let dims = opts.spec.dims;
    let embed_thread = std::thread::spawn(
        move || -> (f64, Result<Option<crate::exact::store::StoreSummary>>) {
            let mut busy = 0.0;
            let mut writer = match &store_path {
                Some(p) => match StoreWriter::create(p, dims, store_meta) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        let _ = emb_tx.blocking_send(Err(e));
                        return (busy, Ok(None));
                    }
                },
                None => None,
            };
            for event in read_rx {
                let chunk = match event {
                    ReadEvent::Chunk(c) => c,
                    ReadEvent::Bad(e) => {
                        if emb_tx.blocking_send(Err(e)).is_err() {
                            break;
                        }
                        continue;
                    }
                };
                let t = Instant::now();
                let vectors = match &source {
                    VectorSource::Model(embedder) => {
                        let texts: Vec<String> = chunk.docs.iter().map(Doc::embed_text).collect();
                        embedder
                            .embed_documents(&texts.iter().map(String::as_str).collect::<Vec<_>>())
                    }
                    VectorSource::Store(store) => chunk
                        .docs
                        .iter()
                        .map(|d| {
                            store
                                .index_of(&d.id)
                                .map(|i| store.vector(i).to_vec())
                                .ok_or_else(|| {
                                    Error::store(
                                        store.path(),
                                        format!(
                                            "no vector for document `{}` (corpus line {})",
                                            d.id, d.line
                                        ),
                                    )
                                })
                        })
                        .collect(),
                };
                busy += t.elapsed().as_secs_f64();
                let vectors = match vectors {
                    Ok(v) => v,
                    Err(e) => {
                        let _ = emb_tx
                            .blocking_send(Err(Error::Other(format!("embedding failed: {e}"))));
                        return (busy, Ok(None));
                    }
                };
                if let Some(w) = writer.as_mut() {
                    for (d, v) in chunk.docs.iter().zip(&vectors) {
                        if let Err(e) = w.push(&d.id, v) {
                            let _ = emb_tx.blocking_send(Err(e));
                            return (busy, Ok(None));
                        }
                    }
                }
                let embedded = Embedded {
                    start: chunk.start,
                    docs: chunk.docs.into_iter().zip(vectors).collect(),
                };
                if emb_tx.blocking_send(Ok(embedded)).is_err() {
                    return (busy, Ok(None));
                }
            }
            (busy, writer.map(|w| w.finish()).transpose())
        },
    );

    // Stage 3: bulk senders.
    let mut summary = Summary {
        index: opts.spec.name.clone(),
        engine_url: engine.url().to_owned(),
        resumed_from,
        checkpoint: opts.checkpoint.clone(),
        ..Summary::default()
    };
    let mut watermark = Watermark::starting_at(resumed_from);
    let mut dead_letter: Option<std::fs::File> = None;
    let mut in_flight: JoinSet<(u64, u64, Result<Outcome>)> = JoinSet::new();
    let mut failure: Option<Error> = None;
    let index = opts.spec.name.clone();

    let mut handle_done = |res: (u64, u64, Result<Outcome>),
                           summary: &mut Summary,
                           failure: &mut Option<Error>|
     -> Result<()> {
        let (start, end, outcome) = res;
        match outcome {
            Ok(o) => {
                summary.indexed += o.indexed;
                summary.retried += o.retries;
                summary.index_secs += o.elapsed.as_secs_f64();
                summary.failed += o.rejected.len() as u64;
                if !o.rejected.is_empty() {
                    let file = match dead_letter.as_mut() {
                        Some(f) => f,
                        None => {
                            let f = std::fs::OpenOptions::new()
                                .create(true)
                                .append(true)
                                .open(&opts.dead_letter)
                                .map_err(|e| Error::io(&opts.dead_letter, e))?;
                            summary.dead_letter = Some(opts.dead_letter.clone());
                            dead_letter.insert(f)
                        }
                    };
                    for (doc, status, reason) in &o.rejected {
                        let line = serde_json::json!({"id": doc.id, "line": doc.line, "corpus": opts.corpus, "index": index, "status": status, "reason": reason});
                        writeln!(file, "{line}").map_err(|e| Error::io(&opts.dead_letter, e))?;
                    }
                    file.flush().map_err(|e| Error::io(&opts.dead_letter, e))?;
                }
                progress.inc(end - start);
                progress.set_message(format!(
                    "retries {} failed {} skipped {}",
                    summary.retried, summary.failed, summary.skipped
                ));
                let before = watermark.value();
                checkpoint.done = watermark.complete(start, end);
                if checkpoint.done != before {
                    checkpoint.save(&opts.checkpoint)?;
                }
            }
            Err(e) => {
                if failure.is_none() {
                    *failure = Some(e);
                }
            }
        }
        Ok(())
    };

    let mut batcher = Batcher::new(&index, opts.bulk_docs, opts.bulk_bytes, resumed_from);
    // Send one request once fewer than `concurrency` are in flight; false when a finished request
    // reported a failure that stops the job.
    macro_rules! dispatch {
        ($request:expr) => {{
            let (start, request) = $request;
            let mut go_on = true;
            while go_on && in_flight.len() >= opts.concurrency.max(1) {
                if let Some(done) = in_flight.join_next().await {
                    handle_done(joined(done)?, &mut summary, &mut failure)?;
                    go_on = failure.is_none();
                }
            }
            if go_on && let Some(setup) = index_setup.take() {
                apply_index_setup(engine, &opts.spec, setup).await?;
            }
            if go_on {
                let end = start + request.len() as u64;
                let engine = engine.clone();
                let policy = opts.retry.clone();
                in_flight.spawn(async move {
                    (start, end, sender::send(&engine, request, &policy).await)
                });
            }
            go_on
        }};
    }

    'outer: while let Some(msg) = emb_rx.recv().await {
        let embedded = match msg {
            Ok(e) => e,
            Err(e @ Error::Record { .. }) => {
                summary.skipped += 1;
                let message = e.to_string();
                progress.suspend(|| eprintln!("skipped: {message}"));
                if summary.skipped_records.len() < LISTED_SKIPS {
                    summary.skipped_records.push(Skipped { message });
                }
                if opts.on_error == OnError::Fail {
                    failure = Some(Error::Other(format!(
                        "stopped at a bad record (--on-error fail): {e}"
                    )));
                    break;
                }
                continue;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        summary.read += embedded.docs.len() as u64;
        batcher.check_contiguous(embedded.start);
        let mut ready = Vec::new();
        for (doc, vector) in embedded.docs {
            ready.extend(batcher.push(doc, vector));
        }
        for request in ready {
            if !dispatch!(request) {
                break 'outer;
            }
        }
    }
    // End of the stream (or a stop): the last partial request goes out too, unless a failure
    // stopped the job (its documents stay unacknowledged, so a resume sends them).
    if failure.is_none()
        && let Some(request) = batcher.finish()
    {
        dispatch!(request);
    }
    // Drain: whatever is in flight completes (or fails) and is checkpointed; nothing is dropped.
    drop(emb_rx);
    while let Some(done) = in_flight.join_next().await {
        handle_done(joined(done)?, &mut summary, &mut failure)?;
    }
    let (embed_secs, store_result) = embed_thread
        .join()
        .map_err(|_| Error::Other("the embedding thread panicked".into()))?;
    let _ = reader_thread.join();
    summary.embed_secs = embed_secs;
    progress.finish_and_clear();
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(s) = store_result? {
        summary.store = Some(s.path.clone());
    }
    // A job without a single document to send (all skipped, an empty shard) still leaves the
    // index it was asked for.
    if let Some(setup) = index_setup.take() {
        apply_index_setup(engine, &opts.spec, setup).await?;
    }
    if opts.refresh {
        engine.refresh(&index).await?;
        summary.count_after = Some(engine.count(&index).await?);
    }
    checkpoint.finished = true;
    checkpoint.save(&opts.checkpoint)?;
    summary.wall_secs = started.elapsed().as_secs_f64();
    summary.docs_per_sec = (summary.indexed + summary.failed) as f64 / summary.wall_secs.max(1e-9);
    Ok(summary)
}

/// A bulk task's result; a panicked or cancelled task is an error, not a lost request.
fn joined<T>(r: std::result::Result<T, tokio::task::JoinError>) -> Result<T> {
    r.map_err(|e| Error::Other(format!("bulk task failed: {e}")))
}

/// Newlines in the file: the progress bar's total (an estimate; blank lines count too).
pub fn count_lines(path: &std::path::Path) -> Option<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).ok()?;
        if k == 0 {
            return Some(n);
        }
        n += buf[..k].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

fn progress_bar(enabled: bool, total: Option<u64>, resumed: u64) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let bar = match total {
        Some(t) => indicatif::ProgressBar::new(t),
        None => indicatif::ProgressBar::new_spinner(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} docs {per_sec} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_position(resumed);
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}
