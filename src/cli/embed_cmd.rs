//! `sembridge embed`: a corpus or a query file into a local vector store (ids + f32 matrix +
//! model fingerprint) that exact search and eval read memory-mapped.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::args::{ChunkArgs, ModelArgs, check_file, check_output, detect_format};
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::corpus::{CorpusReader, Doc, read_queries};
use crate::embed::Role;
use crate::error::Error;
use crate::exact::StoreWriter;

#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Corpus (BEIR corpus.jsonl, JSONL, CSV/TSV, .txt one text per line) or, with --queries,
    /// a query file (BEIR queries.jsonl, .tsv, .txt).
    #[arg(long)]
    pub input: PathBuf,
    /// The input holds queries: embed with the model's query prompt.
    #[arg(long)]
    pub queries: bool,
    /// Output vector store file.
    #[arg(long)]
    pub output: PathBuf,
    /// Use this named prompt of the model (config_sentence_transformers.json) instead of the
    /// query/document default.
    #[arg(long, conflicts_with = "prompt")]
    pub prompt_name: Option<String>,
    /// Use this literal prompt prefix instead of the model's.
    #[arg(long)]
    pub prompt: Option<String>,
    #[command(flatten)]
    pub chunking: ChunkArgs,
    /// Texts per embedding call (progress granularity).
    #[arg(long, default_value_t = 1024, value_parser = super::args::positive::<usize>())]
    pub chunk: usize,
}

pub fn run(a: EmbedArgs) -> anyhow::Result<u8> {
    check_file("--input", &a.input)?;
    check_output("--output", &a.output)?;
    let format = if a.queries {
        None
    } else {
        Some(detect_format("--input", &a.input)?)
    };
    if a.queries && a.chunking.chunk_tokens.is_some() {
        return Err(
            Error::config("--chunk-tokens", "applies to documents, not to --queries").into(),
        );
    }
    let embedder = a.model.load()?;
    let chunking = a
        .chunking
        .request(false)
        .options(embedder.config().max_seq_length)?;
    let role = if a.queries {
        Role::Query
    } else {
        Role::Document
    };
    let prompt = match (&a.prompt_name, &a.prompt) {
        (Some(name), _) => Some(embedder.config().named_prompt(name)?.to_owned()),
        (None, Some(p)) => Some(p.clone()),
        (None, None) => embedder.config().prompt_for(role).map(str::to_owned),
    };
    let mut meta = embedder.store_meta(role, &a.input)?;
    meta["prompt"] = serde_json::json!(prompt);
    let mut writer = StoreWriter::create(&a.output, embedder.dims(), meta)?;

    // Documents (queries as documents without a title), streamed; bad corpus records are reported
    // and skipped.
    let mut skipped = 0u64;
    let mut fatal: Option<Error> = None;
    let (items, total): (Box<dyn Iterator<Item = Doc>>, u64) = if a.queries {
        let queries = read_queries(&a.input)?;
        let n = queries.len() as u64;
        let docs = queries.into_iter().map(|q| Doc {
            id: q.id,
            text: q.text,
            ..Doc::default()
        });
        (Box::new(docs), n)
    } else {
        let reader = CorpusReader::open(&a.input, format)?;
        let skipped = &mut skipped;
        let fatal = &mut fatal;
        let docs = reader.filter_map(move |r| match r {
            Ok(d) => Some(d),
            Err(e @ Error::Record { .. }) => {
                eprintln!("skipped: {e}");
                *skipped += 1;
                None
            }
            Err(e) => {
                *fatal = Some(e);
                None
            }
        });
        (
            Box::new(docs),
            crate::ingest::count_lines(&a.input).unwrap_or(0),
        )
    };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} texts {per_sec} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut count = 0u64;
    let mut vectors_written = 0u64;
    // With chunking: each row's [start, end) character offsets in its document's text.
    let mut offsets: Vec<[usize; 2]> = Vec::new();
    let mut items = items.peekable();
    while items.peek().is_some() {
        let docs: Vec<Doc> = items.by_ref().take(a.chunk).collect();
        let (ids, texts): (Vec<String>, Vec<String>) = match &chunking {
            None => docs
                .iter()
                .map(|d| {
                    let text = if a.queries {
                        d.text.clone()
                    } else {
                        d.embed_text()
                    };
                    (d.id.clone(), text)
                })
                .unzip(),
            Some(opts) => embedder
                .passages(&docs.iter().collect::<Vec<_>>(), opts)?
                .into_iter()
                .flatten()
                .map(|p| {
                    offsets.push([p.start, p.end]);
                    (p.id(), p.text)
                })
                .unzip(),
        };
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed_with_prompt(&refs, prompt.as_deref())?;
        for (id, v) in ids.iter().zip(&vectors) {
            writer.push(id, v)?;
        }
        vectors_written += ids.len() as u64;
        count += docs.len() as u64;
        bar.inc(docs.len() as u64);
    }
    if let Some(opts) = chunking {
        writer.record_passages(Some(opts), count, &offsets);
    }
    drop(items);
    bar.finish_and_clear();
    if let Some(e) = fatal {
        return Err(e.into());
    }
    writer.finish()?;
    let secs = started.elapsed().as_secs_f64();
    let passages = if chunking.is_some() {
        format!(" as {vectors_written} passages")
    } else {
        String::new()
    };
    eprintln!(
        "embedded {} texts{passages} into {} ({} dims) in {secs:.1}s, {:.1} texts/s ({}){}",
        count,
        a.output.display(),
        embedder.dims(),
        count as f64 / secs.max(1e-9),
        embedder.layout(),
        if skipped > 0 {
            format!("; {skipped} bad records skipped")
        } else {
            String::new()
        }
    );
    Ok(if skipped > 0 { EXIT_PARTIAL } else { EXIT_OK })
}
