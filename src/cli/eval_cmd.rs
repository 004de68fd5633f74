//! `sembridge eval`: every mode against qrels on a live index, ANN recall vs exact, latency, and
//! an optional candidates sweep with a recall-latency plot.

use std::path::PathBuf;

use clap::Args;

use super::EXIT_OK;
use super::args::{ConnArgs, ModelArgs};
use crate::corpus::{read_qrels, read_queries};
use crate::engines::{Engine, Similarity};
use crate::error::Error;
use crate::eval::plot::{PlotPoint, Series, write_recall_latency_svg};
use crate::eval::report::render_markdown;
use crate::eval::run::{EvalConfig, evaluate};
use crate::exact::Store;
use crate::query::{Fusion, QueryParams};

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long)]
    pub index: String,
    /// Queries (BEIR queries.jsonl, .tsv, .txt).
    #[arg(long)]
    pub queries: PathBuf,
    /// Relevance judgments (BEIR qrels TSV or TREC qrels).
    #[arg(long)]
    pub qrels: PathBuf,
    /// Local store of the corpus vectors (enables exact search and ANN recall).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// kNN candidates (num_candidates / ef_search).
    #[arg(long, alias = "ef-search", default_value_t = 100)]
    pub num_candidates: usize,
    #[arg(long, default_value_t = crate::query::fusion::DEFAULT_RRF_K)]
    pub rrf_k: f32,
    /// Linear fusion weight of the kNN leg instead of RRF.
    #[arg(long)]
    pub alpha: Option<f32>,
    #[arg(long, value_enum, default_value_t = Similarity::Cosine)]
    pub similarity: Similarity,
    /// Sweep candidates (comma separated, e.g. 10,20,50,100,200) and print ANN recall vs latency.
    #[arg(long, value_delimiter = ',')]
    pub sweep: Vec<usize>,
    /// Write the sweep's recall-latency plot here (SVG).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(a: EvalArgs) -> anyhow::Result<u8> {
    let queries = read_queries(&a.queries)?;
    let qrels = read_qrels(&a.qrels)?;
    let store = a.store.as_ref().map(|p| Store::open(p)).transpose()?;
    let embedder = a.model.load()?;
    let (engine, info) = Engine::connect(&a.conn.options()?).await?;
    if !engine.index_exists(&a.index).await? {
        return Err(Error::config(
            "--index",
            format!("index `{}` does not exist on {}", a.index, engine.url()),
        )
        .into());
    }
    let mut q = QueryParams::new(&a.index);
    q.candidates = a.num_candidates;
    q.similarity = a.similarity;
    q.fusion = match a.alpha {
        Some(alpha) => Fusion::Linear { alpha },
        None => Fusion::Rrf { k: a.rrf_k },
    };
    let cfg = EvalConfig {
        query: q,
        depth: 100,
        sweep: a.sweep.clone(),
    };
    let report = evaluate(&engine, &embedder, store.as_ref(), &queries, &qrels, &cfg).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} {} index `{}`, {} judged queries\n",
            info.kind, info.version, report.index, report.queries
        );
        println!("{}", render_markdown(&report.modes));
        if !report.sweep.is_empty() {
            println!("\n| candidates | ANN recall@10 | p50 ms | p95 ms |\n|---:|---:|---:|---:|");
            for s in &report.sweep {
                println!(
                    "| {} | {:.4} | {:.2} | {:.2} |",
                    s.candidates, s.ann_recall_at10, s.latency_p50_ms, s.latency_p95_ms
                );
            }
        }
    }
    if let Some(path) = &a.plot {
        let series = Series {
            name: format!("{} {}", info.kind, info.version),
            points: report
                .sweep
                .iter()
                .map(|s| PlotPoint {
                    latency_ms: s.latency_p50_ms,
                    recall: s.ann_recall_at10,
                    label: Some(s.candidates.to_string()),
                })
                .collect(),
        };
        write_recall_latency_svg(
            path,
            "kNN recall@10 vs latency (candidates sweep)",
            "p50 latency (ms)",
            "ANN recall@10 vs exact",
            &[series],
        )?;
    }
    Ok(EXIT_OK)
}
