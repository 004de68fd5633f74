//! `sembridge query` (bm25 | knn | hybrid against an engine) and `sembridge exact` (brute force
//! over a local vector store): the same table or JSON out of both. A store holds ids and vectors,
//! no texts: `exact` shows the text column only when `--corpus` says where the texts are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use serde_json::{Value, json};

use super::EXIT_OK;
use super::args::{ConnArgs, ModelArgs, SearchArgs, check_file, detect_format, positive};
use crate::corpus::{CorpusFormat, CorpusReader};
use crate::engines::{Engine, Similarity, TermFilter};
use crate::error::{Error, Result};
use crate::exact::{ExactParams, Store};
use crate::hit::Hit;
use crate::query::{Mode, QueryParams};

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// The query text.
    pub text: String,
    #[arg(long)]
    pub index: String,
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    pub mode: Mode,
    /// Results to show.
    #[arg(short, long, default_value_t = 10, value_parser = positive::<usize>())]
    pub k: usize,
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub fields: super::target::SchemaArgs,
    /// Hits fetched per hybrid leg before fusion.
    #[arg(long, default_value_t = 100)]
    pub leg_size: usize,
    /// `field=value` term filter on every leg (kNN: pre-filter); repeatable.
    #[arg(long = "filter", value_parser = TermFilter::parse)]
    pub filters: Vec<TermFilter>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExactArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The query text (or --queries with --qrels).
    #[arg(required_unless_present = "queries")]
    pub text: Option<String>,
    /// Evaluate the store instead of one query: every judged query of this file (BEIR
    /// queries.jsonl, .tsv, .txt) against --qrels; prints nDCG@10, recall@100 and MRR@10.
    #[arg(long, requires = "qrels", conflicts_with_all = ["text", "corpus"])]
    pub queries: Option<PathBuf>,
    /// Relevance judgments for --queries (BEIR qrels TSV or TREC qrels).
    #[arg(long, requires = "queries")]
    pub qrels: Option<PathBuf>,
    /// Vector store written by `sembridge embed` or `ingest --store`.
    #[arg(long)]
    pub store: PathBuf,
    /// The corpus the store was made from (format told by the extension, as `embed` does): show
    /// the hits' titles and texts. Without it only rank, id and score are shown (a store holds
    /// no texts).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Results to show.
    #[arg(short, long, default_value_t = 10, value_parser = positive::<usize>())]
    pub k: usize,
    #[arg(long, default_value_t = ExactParams::default().query_chunk_size, value_parser = positive::<usize>())]
    pub query_chunk_size: usize,
    #[arg(long, default_value_t = ExactParams::default().corpus_chunk_size, value_parser = positive::<usize>())]
    pub corpus_chunk_size: usize,
    /// Similarity of the search (l2 is reported as the negated squared distance).
    #[arg(long, value_enum, default_value_t = ExactParams::default().similarity, conflicts_with = "dot")]
    pub similarity: Similarity,
    /// Dot product instead of cosine (the same as --similarity dot).
    #[arg(long)]
    pub dot: bool,
    #[arg(long)]
    pub json: bool,
    /// With --queries: also write the exact top-k (k at least 100) of every judged query as a
    /// TREC run file (ground truth for ANN recall; ties in sembridge's order, by doc id).
    #[arg(long, requires = "queries")]
    pub trec_run: Option<PathBuf>,
}

pub async fn run_query(a: QueryArgs) -> anyhow::Result<u8> {
    let mut p = QueryParams::new(&a.index);
    a.search.apply(&mut p)?;
    p.k = a.k;
    p.candidates = p.candidates.max(a.k);
    p.leg_size = a.leg_size.max(a.k);
    p.filters = a.filters.clone();
    let embedder = if a.mode == Mode::Bm25 {
        None
    } else {
        Some(Arc::new(a.model.load()?))
    };
    let (engine, _info) = Engine::connect(&a.conn.options()?).await?;
    let guard = a.search.guard(embedder.as_ref());
    crate::query::prepare(&engine, &mut p, &a.fields.request(), &guard).await?;
    let out = crate::query::run(&engine, embedder.as_ref(), &a.text, None, a.mode, &p).await?;
    print_hits(
        &out.hits,
        Some(&out.sources),
        a.json,
        &format!(
            "{} on {} `{}`: engine took {} ms, client {:.1} ms (embedding {:.1} ms)",
            out.mode,
            engine.kind(),
            a.index,
            out.took_ms,
            out.wall.as_secs_f64() * 1e3,
            out.embed.as_secs_f64() * 1e3
        ),
    );
    Ok(EXIT_OK)
}

pub fn run_exact(a: ExactArgs) -> anyhow::Result<u8> {
    check_file("--store", &a.store)?;
    let corpus = match &a.corpus {
        Some(p) => {
            check_file("--corpus", p)?;
            Some((p.as_path(), detect_format("--corpus", p)?))
        }
        None => None,
    };
    let store = Store::open(&a.store)?;
    let embedder = a.model.load()?;
    store.check_dims(
        embedder.dims(),
        format!("model vs store {}", a.store.display()),
    )?;
    let params = ExactParams {
        k: a.k,
        query_chunk_size: a.query_chunk_size,
        corpus_chunk_size: a.corpus_chunk_size,
        similarity: if a.dot { Similarity::Dot } else { a.similarity },
    };
    if let (Some(queries), Some(qrels)) = (&a.queries, &a.qrels) {
        if let Some(p) = &a.trec_run {
            super::args::check_output("--trec-run", p)?;
        }
        return evaluate_store(
            &store,
            &embedder,
            (queries, qrels),
            params,
            a.json,
            a.trec_run.as_deref(),
        );
    }
    let text = a.text.as_deref().unwrap_or_default();
    let q = embedder.embed_queries(&[text])?;
    let started = std::time::Instant::now();
    let hits = crate::exact::search(&store, &q, &params)?.remove(0);
    let secs = started.elapsed().as_secs_f64();
    let sources = match corpus {
        Some((path, format)) => Some(sources_from_corpus(path, format, &hits)?),
        None => None,
    };
    print_hits(
        &hits,
        sources.as_deref(),
        a.json,
        &format!("exact over {} vectors in {:.2} ms", store.len(), secs * 1e3),
    );
    Ok(EXIT_OK)
}

/// `exact --queries --qrels`: the store's quality without an engine (depth 100).
fn evaluate_store(
    store: &Store,
    embedder: &crate::embed::Embedder,
    (queries, qrels): (&Path, &Path),
    params: ExactParams,
    as_json: bool,
    trec_run: Option<&Path>,
) -> anyhow::Result<u8> {
    check_file("--queries", queries)?;
    check_file("--qrels", qrels)?;
    let (queries, qrels) = (
        crate::corpus::read_queries(queries)?,
        crate::corpus::read_qrels(qrels)?,
    );
    let r = crate::eval::store::evaluate_store(store, embedder, &queries, &qrels, params)?;
    if let Some(path) = trec_run {
        crate::eval::trec::write_trec_run(path, &r.runs, r.k, "sembridge-exact")?;
    }
    if as_json {
        // Through a Value: its keys print sorted, as they always have.
        println!("{}", serde_json::to_value(&r)?);
    } else {
        println!(
            "exact over {} vectors{}, {} judged queries: nDCG@10 {:.4}, recall@100 {:.4}, \
             MRR@10 {:.4}",
            r.vectors,
            match r.passages {
                true => format!(
                    " (passages of {} documents, document score = best passage)",
                    r.documents
                ),
                false => String::new(),
            },
            r.queries,
            r.ndcg10,
            r.recall100,
            r.mrr10
        );
    }
    Ok(EXIT_OK)
}

/// The title and text of each hit, read from `corpus` in one pass that keeps only the hits' ids
/// and stops when all are found. Bad records are passed over (the corpus is only looked up); a
/// hit the corpus lacks gets no text and a warning.
fn sources_from_corpus(corpus: &Path, format: CorpusFormat, hits: &[Hit]) -> Result<Vec<Value>> {
    let mut wanted: HashMap<&str, Option<Value>> =
        hits.iter().map(|h| (h.doc_id.as_str(), None)).collect();
    let mut missing = wanted.len();
    for doc in CorpusReader::open(corpus, Some(format))? {
        let doc = match doc {
            Ok(d) => d,
            Err(Error::Record { .. }) => continue,
            Err(e) => return Err(e),
        };
        if let Some(slot @ None) = wanted.get_mut(doc.id.as_str()) {
            *slot = Some(json!({"title": doc.title, "text": doc.text}));
            missing -= 1;
            if missing == 0 {
                break;
            }
        }
    }
    if missing > 0 {
        eprintln!(
            "warning: {missing} of the {} hits are not in {} (was the store made from another corpus?)",
            hits.len(),
            corpus.display()
        );
    }
    Ok(hits
        .iter()
        .map(|h| wanted[h.doc_id.as_str()].clone().unwrap_or(Value::Null))
        .collect())
}

/// One line of a hit's text: the title and the start of the text, or with a matched passage,
/// `[start-end]` and the passage's text (character offsets).
fn snippet(source: &Value, passage: Option<&crate::hit::PassageRef>) -> String {
    let title = source.get("title").and_then(Value::as_str).unwrap_or("");
    let text = source.get("text").and_then(Value::as_str).unwrap_or("");
    if let Some(p) = passage {
        let window: String = text.chars().skip(p.start).take(p.end - p.start).collect();
        let one_line: String = window.split_whitespace().collect::<Vec<_>>().join(" ");
        return crate::engines::transport::truncate(
            &format!("[{}-{}] {one_line}", p.start, p.end),
            90,
        );
    }
    let joined = if title.is_empty() {
        text.to_owned()
    } else {
        format!("{title}: {text}")
    };
    let one_line: String = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::engines::transport::truncate(&one_line, 90)
}

/// The hits as a table (rank, id, score, and a text column when there are `sources`) or JSON
/// (with `title` and `text` when there are `sources`).
fn print_hits(hits: &[Hit], sources: Option<&[Value]>, as_json: bool, header: &str) {
    if as_json {
        let rows: Vec<Value> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let mut row = json!({"rank": i + 1, "id": h.doc_id, "score": h.score});
                if let Some(p) = &h.passage {
                    row["passage"] = json!(p);
                }
                if let Some(s) = sources.and_then(|s| s.get(i)) {
                    row["title"] = s.get("title").cloned().unwrap_or(Value::Null);
                    row["text"] = s.get("text").cloned().unwrap_or(Value::Null);
                }
                row
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return;
    }
    println!("{header}");
    let text_column = if sources.is_some() { "  text" } else { "" };
    println!("{:>4}  {:<24} {:>9}{text_column}", "rank", "id", "score");
    for (i, h) in hits.iter().enumerate() {
        let text = sources
            .and_then(|s| s.get(i))
            .map(|s| format!("  {}", snippet(s, h.passage.as_ref())))
            .unwrap_or_default();
        println!(
            "{:>4}  {:<24} {:>9.4}{}",
            i + 1,
            crate::engines::transport::truncate(&h.doc_id, 24),
            h.score,
            text.trim_end()
        );
    }
}
