//! `sembridge eval`: every mode against qrels on a live index, ANN recall vs exact, latency, and
//! an optional candidates sweep with a recall-latency plot.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::EXIT_OK;
use super::args::{ConnArgs, ModelArgs, SearchArgs, check_file, check_output};
use crate::corpus::{read_qrels, read_queries};
use crate::engines::Engine;
use crate::error::{Error, Result};
use crate::eval::plot::write_sweep_svg;
use crate::eval::report::{render_markdown, render_sweep_markdown};
use crate::eval::run::{EvalConfig, evaluate};
use crate::eval::trec::write_trec_run;
use crate::exact::Store;
use crate::query::QueryParams;

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
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub fields: super::target::SchemaArgs,
    /// Sweep candidates (comma separated, e.g. 10,20,50,100,200) and print ANN recall vs latency
    /// (needs --store).
    #[arg(long, value_delimiter = ',', value_parser = super::args::positive::<usize>())]
    pub sweep: Vec<usize>,
    /// Write the sweep's recall-latency plot here (SVG; needs --sweep).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print JSON instead of the Markdown table.
    #[arg(long)]
    pub json: bool,
    /// Write one TREC run file per mode into this folder (`bm25.run`, `knn.run`, `hybrid.run`,
    /// `exact.run`; depth 100): trec_eval / pytrec_eval score them as sembridge does (ties in
    /// sembridge's order, by doc id).
    #[arg(long)]
    pub trec_run: Option<PathBuf>,
}

impl EvalArgs {
    /// Everything that can be checked before reading a file or connecting: flag combinations,
    /// input paths, search flags. Returns the query settings.
    pub fn validate(&self) -> Result<QueryParams> {
        if !self.sweep.is_empty() && self.store.is_none() {
            return Err(Error::config(
                "--sweep",
                "needs --store (ANN recall is measured against exact search over the stored vectors)",
            ));
        }
        if self.plot.is_some() && self.sweep.is_empty() {
            return Err(Error::config(
                "--plot",
                "needs --sweep (the plot shows the sweep's recall against latency)",
            ));
        }
        check_file("--queries", &self.queries)?;
        check_file("--qrels", &self.qrels)?;
        if let Some(p) = &self.store {
            check_file("--store", p)?;
        }
        if let Some(p) = &self.plot {
            check_output("--plot", p)?;
        }
        if let Some(dir) = &self.trec_run {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::config(
                    "--trec-run",
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
        }
        let mut q = QueryParams::new(&self.index);
        self.search.apply(&mut q)?;
        Ok(q)
    }
}

pub async fn run(a: EvalArgs) -> anyhow::Result<u8> {
    let mut query = a.validate()?;
    let queries = read_queries(&a.queries)?;
    let qrels = read_qrels(&a.qrels)?;
    let store = a
        .store
        .as_ref()
        .map(|p| Store::open(p).map(Arc::new))
        .transpose()?;
    let embedder = Arc::new(a.model.load()?);
    let (engine, info) = Engine::connect(&a.conn.options()?).await?;
    engine.require_index(&a.index).await?;
    let guard = a.search.guard(Some(&embedder));
    crate::query::prepare(&engine, &mut query, &a.fields.request(), &guard).await?;
    let cfg = EvalConfig {
        query,
        depth: 100,
        sweep: a.sweep.clone(),
    };
    let report = evaluate(&engine, &embedder, store.as_ref(), &queries, &qrels, &cfg).await?;
    let depth = cfg.depth;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} {} index `{}`, {} judged queries\n",
            info.kind, info.version, report.index, report.queries
        );
        println!("{}", render_markdown(&report.modes));
        if !report.sweep.is_empty() {
            print!("\n{}", render_sweep_markdown(&report.sweep));
        }
    }
    if let Some(dir) = &a.trec_run {
        for (mode, runs) in &report.runs {
            let path = dir.join(format!("{mode}.run"));
            write_trec_run(&path, runs, depth, &format!("sembridge-{mode}"))?;
        }
        eprintln!(
            "TREC run files ({}) in {}",
            report
                .runs
                .keys()
                .map(|m| format!("{m}.run"))
                .collect::<Vec<_>>()
                .join(", "),
            dir.display()
        );
    }
    if let Some(path) = &a.plot {
        let name = format!("{} {}", info.kind, info.version);
        write_sweep_svg(path, &name, &report.sweep)?;
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};
    use crate::query::Fusion;

    /// A file that exists wherever the tests run.
    const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");

    /// `eval --index i` plus `extra`, with `--queries` and `--qrels` set to an existing file
    /// unless `extra` gives them.
    fn parse(extra: &[&str]) -> EvalArgs {
        let mut argv = vec!["sembridge", "eval", "--index", "i"];
        for flag in ["--queries", "--qrels"] {
            if !extra.contains(&flag) {
                argv.extend([flag, FILE]);
            }
        }
        let cli = Cli::try_parse_from(argv.iter().chain(extra)).unwrap();
        match cli.command {
            Command::Eval(a) => a,
            other => panic!("parsed as {other:?}"),
        }
    }

    /// The flag a validation error names, and its message.
    fn refused(extra: &[&str]) -> (String, String) {
        match parse(extra).validate() {
            Err(Error::Config { flag, message }) => (flag, message),
            other => panic!("{extra:?}: expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn sweep_needs_store_and_plot_needs_sweep() {
        let (flag, message) = refused(&["--sweep", "10,20"]);
        assert_eq!(flag, "--sweep");
        assert!(message.contains("--store"), "{message}");
        let (flag, message) = refused(&["--plot", "x.svg"]);
        assert_eq!(flag, "--plot");
        assert!(message.contains("--sweep"), "{message}");
        // With --store the plot still needs a sweep.
        let (flag, _) = refused(&["--store", FILE, "--plot", "x.svg"]);
        assert_eq!(flag, "--plot");
        parse(&["--store", FILE, "--sweep", "10,20", "--plot", "x.svg"])
            .validate()
            .unwrap();
    }

    #[test]
    fn input_paths_must_be_files() {
        let err = parse(&["--qrels", "/nonexistent/qrels.tsv"])
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --qrels: /nonexistent/qrels.tsv does not exist"
        );
        let dir = env!("CARGO_MANIFEST_DIR");
        assert_eq!(refused(&["--queries", dir]).0, "--queries");
        assert_eq!(refused(&["--store", dir]).0, "--store");
    }

    #[test]
    fn search_flags_are_validated_like_query() {
        let (flag, message) = refused(&["--alpha", "1.5"]);
        assert_eq!(
            (flag.as_str(), message.as_str()),
            ("--alpha", "1.5 is not in [0, 1]")
        );
        assert_eq!(refused(&["--rrf-k=0"]).0, "--rrf-k");
        assert_eq!(refused(&["--rrf-k=-1"]).0, "--rrf-k");
        assert_eq!(refused(&["--rrf-k", "inf"]).0, "--rrf-k");
        assert_eq!(refused(&["--num-candidates", "0"]).0, "--num-candidates");

        let q = parse(&[
            "--ef-search",
            "40",
            "--alpha",
            "0.25",
            "--similarity",
            "dot",
        ])
        .validate()
        .unwrap();
        assert_eq!(q.candidates, 40);
        assert_eq!(q.fusion, Fusion::Linear { alpha: 0.25 });
        assert_eq!(q.similarity, crate::engines::Similarity::Dot);
        assert_eq!(q.index, "i");
        let q = parse(&[]).validate().unwrap();
        assert_eq!(
            q.fusion,
            Fusion::Rrf {
                k: crate::query::fusion::DEFAULT_RRF_K
            }
        );
        assert_eq!(q.candidates, 100);
    }
}
