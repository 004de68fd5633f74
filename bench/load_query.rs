//! Query load (not a test): `clients` concurrent clients, each with its own connection pool,
//! run `sembridge::query::run` in a loop for `seconds`, cycling over the queries; prints JSON with
//! the count, errors, queries per second and latency percentiles. Query vectors are computed up
//! front (on 2 cores, 16 clients embedding at once would measure the model, not the engine).
//!
//! ```text
//! cargo run --release --example load_query -- --url URL --index INDEX --queries queries.jsonl
//!     [--clients 16] [--seconds 30] [--mode hybrid|knn|bm25] [--model DIR] [--k 10]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use sembridge::embed::{EmbedOptions, Embedder};
use sembridge::engines::{ConnectOptions, Engine};
use sembridge::query::{Mode, QueryParams};

#[path = "common/args.rs"]
mod args;
#[path = "common/load.rs"]
mod load;
use args::{arg, opt_arg};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args::args();
    let url: String = arg(&args, "--url", sembridge::defaults::opensearch_url());
    let index: String = opt_arg(&args, "--index").expect("--index");
    let queries: String = opt_arg(&args, "--queries").expect("--queries");
    let clients: usize = arg(&args, "--clients", 16);
    let seconds: u64 = arg(&args, "--seconds", 30);
    let k: usize = arg(&args, "--k", 10);
    let mode = match arg(&args, "--mode", "hybrid".to_owned()).as_str() {
        "bm25" => Mode::Bm25,
        "knn" => Mode::Knn,
        "hybrid" => Mode::Hybrid,
        other => anyhow::bail!("--mode {other}: bm25, knn or hybrid"),
    };
    let model: std::path::PathBuf = arg(&args, "--model", sembridge::paths::default_model_dir());

    let queries = sembridge::corpus::read_queries(std::path::Path::new(&queries))?;
    let embedder = Embedder::load(&model, EmbedOptions::default())?;
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let vectors = embedder.embed_queries(&texts)?;
    let work: Arc<Vec<(String, Vec<f32>)>> = Arc::new(
        queries
            .iter()
            .map(|q| q.text.clone())
            .zip(vectors)
            .collect(),
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (engine, _) = Engine::connect(&ConnectOptions::new(&url)).await?;
        let work = work.clone();
        let mut p = QueryParams::new(&index);
        p.k = k;
        tasks.spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            let mut i = c * 7919;
            while Instant::now() < deadline {
                let (text, v) = &work[i % work.len()];
                i += 1;
                let t = Instant::now();
                match sembridge::query::run(&engine, None, text, Some(v), mode, &p).await {
                    Ok(out) if !out.hits.is_empty() => lat.push(t.elapsed().as_secs_f64() * 1e3),
                    Ok(_) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("no hits for `{text}`"));
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            (lat, errors, first_error)
        });
    }
    let fields = serde_json::Map::from_iter([
        ("url".into(), url.into()),
        ("index".into(), index.into()),
        ("mode".into(), mode.to_string().into()),
    ]);
    load::report(tasks, started, clients, fields).await
}
