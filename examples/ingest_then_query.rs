//! The library in one page: load the model, ingest the bundled demo corpus (data/demo) into an
//! engine, then ask one question in every mode and print the hits.
//!
//! ```sh
//! cargo run --example ingest_then_query -- http://127.0.0.1:9200 "how do astronomers find planets"
//! ```
//!
//! Arguments (both optional): the engine URL (else `$SEMBRIDGE_URL`, else the local OpenSearch of
//! `scripts/engines.sh`) and the question. The model is the default one `scripts/setup.sh`
//! assembles (`$SEMBRIDGE_MODEL` names another folder). The index `sembridge-example` is
//! recreated on every run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use sembridge::corpus::CorpusFormat;
use sembridge::embed::{EmbedOptions, Embedder};
use sembridge::engines::{ConnectOptions, Engine, IndexSpec};
use sembridge::ingest::{DocSource, IngestOptions, VectorSource};
use sembridge::query::{Mode, QueryParams};

const INDEX: &str = "sembridge-example";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .or_else(|| std::env::var("SEMBRIDGE_URL").ok())
        .unwrap_or_else(sembridge::defaults::opensearch_url);
    let question = args
        .next()
        .unwrap_or_else(|| "how do astronomers find planets around other stars".into());

    // 1. The model: a sentence-transformers folder with an ONNX graph, loaded once.
    let model = std::env::var_os("SEMBRIDGE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(sembridge::paths::default_model_dir);
    let embedder = Arc::new(
        Embedder::load(&model, EmbedOptions::default())
            .with_context(|| format!("loading the model in {}", model.display()))?,
    );

    // 2. The engine: OpenSearch or Elasticsearch, told apart by its answer to `GET /`.
    let (engine, info) = Engine::connect(&ConnectOptions::new(&url)).await?;
    println!("{} {} at {url}", info.kind, info.version);

    // 3. Ingest: read -> embed -> bulk; the index is created (here: recreated) on the way.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/corpus.jsonl");
    let mut opts = IngestOptions::new(&corpus, IndexSpec::new(INDEX, embedder.dims()));
    opts.recreate = true;
    let docs = DocSource::file(&corpus, CorpusFormat::Beir);
    let summary =
        sembridge::ingest::run(&engine, docs, VectorSource::Model(embedder.clone()), opts).await?;
    println!(
        "indexed {} of {} documents into `{INDEX}` in {:.1} s",
        summary.indexed, summary.read, summary.wall_secs
    );

    // 4. Query: the same question by words (bm25), by meaning (knn) and both fused (hybrid).
    let mut params = QueryParams::new(INDEX);
    params.k = 3;
    println!("\n{question}");
    for mode in Mode::ALL {
        let out =
            sembridge::query::run(&engine, Some(&embedder), &question, None, mode, &params).await?;
        println!("  {mode}:");
        for (hit, source) in out.hits.iter().zip(&out.sources) {
            let title = source.get("title").and_then(|t| t.as_str()).unwrap_or("");
            println!("    {:<10} {:.4}  {title}", hit.doc_id, hit.score);
        }
    }
    Ok(())
}
