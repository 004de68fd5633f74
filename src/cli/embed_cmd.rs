//! `sembridge embed`: a corpus or a query file into a local vector store (ids + f32 matrix +
//! model fingerprint) that exact search and eval read memory-mapped.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::args::ModelArgs;
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::corpus::{CorpusFormat, CorpusReader, Doc, read_queries};
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
    /// Texts per embedding call (progress granularity).
    #[arg(long, default_value_t = 1024)]
    pub chunk: usize,
}

pub fn run(a: EmbedArgs) -> anyhow::Result<u8> {
    let embedder = a.model.load()?;
    let role = if a.queries {
        Role::Query
    } else {
        Role::Document
    };
    let prompt = embedder.config().prompt_for(role).map(str::to_owned);
    let meta = embedder.store_meta(role, &a.input)?;
    let mut writer = StoreWriter::create(&a.output, embedder.dims(), meta)?;

    // (id, text) items; bad corpus records are reported and skipped.
    let mut skipped = 0u64;
    let items: Box<dyn Iterator<Item = (String, String)>> = if a.queries {
        Box::new(read_queries(&a.input)?.into_iter().map(|q| (q.id, q.text)))
    } else {
        let reader = CorpusReader::open(&a.input, None::<CorpusFormat>)?;
        let skipped_ref = &mut skipped;
        let docs: Vec<(String, String)> = reader
            .filter_map(|r| match r {
                Ok(d) => Some((d.id.clone(), Doc::embed_text(&d))),
                Err(e @ Error::Record { .. }) => {
                    eprintln!("skipped: {e}");
                    *skipped_ref += 1;
                    None
                }
                Err(e) => {
                    eprintln!("sembridge: {e}");
                    None
                }
            })
            .collect();
        Box::new(docs.into_iter())
    };
    let items: Vec<(String, String)> = items.collect();
    let bar = indicatif::ProgressBar::new(items.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} texts {per_sec} ETA {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    for chunk in items.chunks(a.chunk.max(1)) {
        let texts: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
        let vectors = embedder.embed_with_prompt(&texts, prompt.as_deref())?;
        for ((id, _), v) in chunk.iter().zip(&vectors) {
            writer.push(id, v)?;
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let summary = writer.finish()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "embedded {} texts into {} ({} dims) in {secs:.1}s, {:.1} texts/s{}",
        items.len(),
        a.output.display(),
        embedder.dims(),
        items.len() as f64 / secs.max(1e-9),
        if skipped > 0 {
            format!("; {skipped} bad records skipped")
        } else {
            String::new()
        }
    );
    let _ = summary;
    Ok(if skipped > 0 { EXIT_PARTIAL } else { EXIT_OK })
}
