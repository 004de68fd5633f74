//! Times the embedder on a corpus (documents) or a query file (short texts), printing JSON for
//! `bench/bench-embed.sh`: `{texts, tokens, secs, texts_per_sec, tokens_per_sec, ...}`.
//!
//! ```text
//! cargo run --release --example bench_embed -- (--corpus PATH | --queries PATH) [--model DIR]
//!     [--limit N] [--workers 1] [--threads 2] [--token-budget N] [--max-batch N] [--window N]
//!     [--opt disable|basic|extended|all] [--repeat 2] [--vectors PATH] [--sample 64]
//! ```
//! Tokenization is inside the timed region (as on the Python side); the token count (special
//! tokens included, after truncation) is taken separately. `--vectors` receives the first
//! `--sample` vectors in input order as raw little-endian f32, for the parity check.
//! `--workers N --threads T` is the pool's layout (`--workers 0 --threads 0`: the default rule,
//! as `sembridge` flags without `--embed-workers`/`--threads`); the JSON reports the layout used.

use std::path::PathBuf;
use std::time::Instant;

use sembridge::corpus::{CorpusReader, read_queries};
use sembridge::embed::{EmbedOptions, Embedder, OptLevel};

#[path = "common/args.rs"]
mod args;
use args::{arg, opt_arg};

fn main() -> anyhow::Result<()> {
    let args = args::args();
    let defaults = EmbedOptions::default();
    let model: PathBuf = arg(&args, "--model", sembridge::paths::default_model_dir());
    let corpus: Option<PathBuf> = opt_arg(&args, "--corpus");
    let queries: Option<PathBuf> = opt_arg(&args, "--queries");
    let limit: usize = arg(&args, "--limit", usize::MAX);
    let repeat: usize = arg(&args, "--repeat", 2).max(1);
    let sample: usize = arg(&args, "--sample", 64);
    let vectors: Option<PathBuf> = opt_arg(&args, "--vectors");
    let opt = match arg(&args, "--opt", "all".to_owned()).as_str() {
        "disable" => OptLevel::Disable,
        "basic" => OptLevel::Basic,
        "extended" => OptLevel::Extended,
        "all" => OptLevel::All,
        other => anyhow::bail!("--opt {other}: expected disable, basic, extended or all"),
    };
    let opts = EmbedOptions {
        threads: arg(&args, "--threads", 2),
        workers: arg(&args, "--workers", 1),
        worker_wait: defaults.worker_wait,
        token_budget: arg(&args, "--token-budget", defaults.token_budget),
        max_batch: arg(&args, "--max-batch", defaults.max_batch),
        window: arg(&args, "--window", defaults.window),
        optimization: opt,
    };

    let (kind, texts): (&str, Vec<String>) = match (&corpus, &queries) {
        (Some(path), None) => {
            let mut texts = Vec::new();
            for doc in CorpusReader::open(path, None)?.take(limit) {
                texts.push(doc?.embed_text());
            }
            ("documents", texts)
        }
        (None, Some(path)) => (
            "queries",
            read_queries(path)?
                .into_iter()
                .take(limit)
                .map(|q| q.text)
                .collect(),
        ),
        _ => anyhow::bail!("give exactly one of --corpus PATH or --queries PATH"),
    };
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();

    let t = Instant::now();
    let embedder = Embedder::load(&model, opts.clone())?;
    let load_secs = t.elapsed().as_secs_f64();
    let tokens: usize = embedder.token_lengths(&texts)?.iter().sum();
    // Warm-up: the first runs of a session allocate and pick kernels.
    embedder.embed_documents(&refs[..refs.len().min(32)])?;

    let mut runs = Vec::with_capacity(repeat);
    let mut first: Option<Vec<Vec<f32>>> = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let out = match kind {
            "documents" => embedder.embed_documents(&refs)?,
            _ => embedder.embed_queries(&refs)?,
        };
        runs.push(t.elapsed().as_secs_f64());
        first.get_or_insert(out);
    }
    if let (Some(path), Some(out)) = (&vectors, &first) {
        let bytes: Vec<u8> = out
            .iter()
            .take(sample)
            .flat_map(|v| v.iter().flat_map(|x| x.to_le_bytes()))
            .collect();
        std::fs::write(path, bytes)?;
    }
    let secs = runs.iter().copied().fold(f64::INFINITY, f64::min);
    let json = serde_json::json!({
        "impl": "sembridge",
        "kind": kind,
        "model": model,
        "workers": embedder.layout().workers,
        "threads": embedder.layout().threads,
        "token_budget": opts.token_budget,
        "max_batch": opts.max_batch,
        "window": opts.window,
        "opt": format!("{:?}", opts.optimization).to_lowercase(),
        "texts": texts.len(),
        "tokens": tokens,
        "load_secs": load_secs,
        "runs": runs,
        "secs": secs,
        "texts_per_sec": texts.len() as f64 / secs,
        "tokens_per_sec": tokens as f64 / secs,
    });
    println!("{json}");
    Ok(())
}
