//! Load on `sembridge serve` (not a test): `clients` concurrent HTTP clients, each with its own
//! connection, send `GET /search` in a loop for `seconds`, cycling over the queries; prints JSON
//! with the count, errors, queries per second and latency percentiles (as `load_query` does for
//! the library). Unlike `load_query`, the server embeds every query: this measures the service.
//!
//! ```text
//! cargo run --release --example load_serve -- --url http://127.0.0.1:8080 --queries queries.jsonl
//!     [--clients 16] [--seconds 30] [--mode hybrid|knn|bm25|exact] [--k 10]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/args.rs"]
mod args;
#[path = "common/load.rs"]
mod load;
use args::{arg, opt_arg};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args::args();
    let url: String = arg(&args, "--url", "http://127.0.0.1:8080".to_owned());
    let queries: String = opt_arg(&args, "--queries").expect("--queries");
    let clients: usize = arg(&args, "--clients", 16);
    let seconds: u64 = arg(&args, "--seconds", 30);
    let k: usize = arg(&args, "--k", 10);
    let mode: String = arg(&args, "--mode", "hybrid".to_owned());

    let queries = sembridge::corpus::read_queries(std::path::Path::new(&queries))?;
    let urls: Arc<Vec<String>> = Arc::new(
        queries
            .iter()
            .map(|q| {
                let qs = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", &q.text)
                    .append_pair("mode", &mode)
                    .append_pair("k", &k.to_string())
                    .finish();
                format!("{url}/search?{qs}")
            })
            .collect(),
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let urls = urls.clone();
        tasks.spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            let mut i = c * 7919;
            while Instant::now() < deadline {
                let target = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                let outcome = match client.get(target).send().await {
                    Ok(r) => {
                        let status = r.status();
                        match r.json::<serde_json::Value>().await {
                            Ok(v) if status.is_success() => v["hits"]
                                .as_array()
                                .filter(|h| !h.is_empty())
                                .map(|_| ())
                                .ok_or_else(|| format!("no hits for {target}")),
                            Ok(v) => Err(format!("{status}: {}", v["error"])),
                            Err(e) => Err(format!("{status}: {e}")),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                match outcome {
                    Ok(()) => lat.push(t.elapsed().as_secs_f64() * 1e3),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (lat, errors, first_error)
        });
    }
    let fields =
        serde_json::Map::from_iter([("url".into(), url.into()), ("mode".into(), mode.into())]);
    load::report(tasks, started, clients, fields).await
}
