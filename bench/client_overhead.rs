//! Client overhead per query (wall time minus the engine's `took`) of sembridge's query path, for
//! bm25, knn and hybrid, against a baseline in the same run: a minimal blocking HTTP/1.1 client on
//! a kept-alive socket that sends the same JSON bodies and reads only `took` (what no client can
//! avoid: loopback, the engine serializing the response, which `took` does not include, and the
//! transfer). Prints JSON for `bench/bench-query.sh`.
//!
//! ```text
//! cargo run --release --example client_overhead -- --url URL --index INDEX --queries queries.jsonl
//!     --qrels qrels/test.tsv [--model DIR] [--k 10] [--candidates 100] [--warmup 30] [--rounds 1]
//! ```
//! Query vectors are computed up front (`Embedder::embed_queries`), so embedding is not timed.
//! Every mode goes through `sembridge::query::run`; for hybrid its `took` is the larger of the
//! two concurrent legs'. `took` is whole milliseconds (truncated), so every overhead here carries
//! up to +1 ms of engine time; the raw baseline carries the same bias.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Instant;

use sembridge::corpus::{Query, read_qrels, read_queries};
use sembridge::embed::{EmbedOptions, Embedder};
use sembridge::engines::dsl::bm25::bm25_body;
use sembridge::engines::{ConnectOptions, Engine, EngineKind, KnnParams};
use sembridge::eval::percentile;
use sembridge::query::{Mode, QueryParams};
use serde_json::Value;

#[path = "common/args.rs"]
mod args;
use args::arg;

/// Kept-alive HTTP/1.1 connection: POST a JSON body, return (wall ms, took ms).
struct Raw {
    host: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Raw {
    fn connect(url: &str) -> anyhow::Result<Raw> {
        let u = url::Url::parse(url)?;
        anyhow::ensure!(
            u.scheme() == "http",
            "the raw baseline speaks plain http only"
        );
        let host = format!(
            "{}:{}",
            u.host_str().unwrap_or("127.0.0.1"),
            u.port().unwrap_or(80)
        );
        let s = TcpStream::connect(&host)?;
        s.set_nodelay(true)?;
        Ok(Raw {
            host,
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    fn post(&mut self, path: &str, body: &[u8]) -> anyhow::Result<(f64, f64)> {
        let t = Instant::now();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        self.writer.write_all(&req)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        anyhow::ensure!(line.contains(" 200 "), "raw request failed: {line}");
        let (mut len, mut chunked) = (None, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end().to_ascii_lowercase();
            if l.is_empty() {
                break;
            }
            if let Some(v) = l.strip_prefix("content-length:") {
                len = Some(v.trim().parse::<usize>()?);
            }
            if l.starts_with("transfer-encoding:") && l.contains("chunked") {
                chunked = true;
            }
        }
        let mut out = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)?;
                let mut chunk = vec![0u8; n + 2];
                self.reader.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
        } else {
            let mut b = vec![0u8; len.unwrap_or(0)];
            self.reader.read_exact(&mut b)?;
            out = b;
        }
        let v: Value = serde_json::from_slice(&out)?;
        let wall = t.elapsed().as_secs_f64() * 1e3;
        Ok((wall, v["took"].as_u64().unwrap_or(0) as f64))
    }
}

fn stats(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    serde_json::json!({"n": v.len(), "p50_ms": percentile(&v, 50.0), "p95_ms": percentile(&v, 95.0),
        "mean_ms": v.iter().sum::<f64>() / v.len().max(1) as f64})
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = args::args();
    let url: String = arg(&args, "--url", sembridge::defaults::opensearch_url());
    let index: String = arg(&args, "--index", "scifact".to_string());
    let queries_path: PathBuf = arg(&args, "--queries", PathBuf::new());
    let qrels_path: PathBuf = arg(&args, "--qrels", PathBuf::new());
    let model: PathBuf = arg(&args, "--model", sembridge::paths::default_model_dir());
    let k: usize = arg(&args, "--k", 10);
    let candidates: usize = arg(&args, "--candidates", 100);
    let warmup: usize = arg(&args, "--warmup", 30);
    let rounds: usize = arg(&args, "--rounds", 1);

    let qrels = read_qrels(&qrels_path)?;
    let queries: Vec<Query> = read_queries(&queries_path)?
        .into_iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    let embedder = Embedder::load(&model, EmbedOptions::default())?;
    let texts: Vec<&str> = queries.iter().map(|q| q.text.as_str()).collect();
    let vectors = embedder.embed_queries(&texts)?;
    drop(embedder);

    let (engine, info) = Engine::connect(&ConnectOptions::new(&url)).await?;
    let mut p = QueryParams::new(&index);
    p.k = k;
    p.candidates = candidates;
    let leg = p.leg_size.max(p.k);
    let leg_knn = KnnParams {
        k: leg,
        candidates: p.candidates.max(leg),
    };
    let knn_params = KnnParams {
        k: p.k,
        candidates: p.candidates,
    };
    let schema = sembridge::engines::Schema::default();
    let knn_body = |v: &[f32], kp: &KnnParams| match engine.kind() {
        EngineKind::OpenSearch => sembridge::engines::opensearch::knn_body(v, kp, &[], &schema),
        EngineKind::Elasticsearch => {
            sembridge::engines::elasticsearch::knn_body(v, kp, &[], &schema)
        }
    };
    let search_path = format!("/{index}/_search");
    let mut raw = Raw::connect(&url)?;
    let mut raw2 = Raw::connect(&url)?;

    // Warm-up: caches, connections, JIT of the engine.
    for (q, v) in queries.iter().zip(&vectors).take(warmup) {
        for mode in [Mode::Bm25, Mode::Knn, Mode::Hybrid] {
            sembridge::query::run(&engine, None, &q.text, Some(v), mode, &p).await?;
        }
        raw.post(
            &search_path,
            &serde_json::to_vec(&bm25_body(&q.text, k, &[], &schema))?,
        )?;
        raw.post(
            &search_path,
            &serde_json::to_vec(&knn_body(v, &knn_params))?,
        )?;
    }

    let mut sb: [Vec<f64>; 3] = Default::default();
    let mut base: [Vec<f64>; 3] = Default::default();
    let mut took: [Vec<f64>; 3] = Default::default();
    let mut wall: [Vec<f64>; 3] = Default::default();
    for _ in 0..rounds {
        for (q, v) in queries.iter().zip(&vectors) {
            for (i, mode) in [Mode::Bm25, Mode::Knn, Mode::Hybrid]
                .into_iter()
                .enumerate()
            {
                let t = Instant::now();
                let out = sembridge::query::run(&engine, None, &q.text, Some(v), mode, &p).await?;
                let w = t.elapsed().as_secs_f64() * 1e3;
                sb[i].push(w - out.took_ms as f64);
                took[i].push(out.took_ms as f64);
                wall[i].push(w);
            }

            // Raw baseline: same bodies, blocking socket.
            let bb = serde_json::to_vec(&bm25_body(&q.text, k, &[], &schema))?;
            let (w, tk) = raw.post(&search_path, &bb)?;
            base[0].push(w - tk);
            let kb = serde_json::to_vec(&knn_body(v, &knn_params))?;
            let (w, tk) = raw.post(&search_path, &kb)?;
            base[1].push(w - tk);
            let hb = serde_json::to_vec(&bm25_body(&q.text, leg, &[], &schema))?;
            let hk = serde_json::to_vec(&knn_body(v, &leg_knn))?;
            let t = Instant::now();
            let (r1, r2) = std::thread::scope(|s| {
                let h = s.spawn(|| raw2.post(&search_path, &hk));
                let r1 = raw.post(&search_path, &hb);
                (r1, h.join().expect("raw leg thread"))
            });
            let w = t.elapsed().as_secs_f64() * 1e3;
            base[2].push(w - r1?.1.max(r2?.1));
        }
    }
    let names = ["bm25", "knn", "hybrid"];
    let mut modes = serde_json::Map::new();
    for i in 0..3 {
        modes.insert(
            names[i].into(),
            serde_json::json!({
                "sembridge": stats(sb[i].clone()),
                "raw_http": stats(base[i].clone()),
                "took": stats(took[i].clone()),
                "wall": stats(wall[i].clone()),
            }),
        );
    }
    println!(
        "{}",
        serde_json::json!({"engine": format!("{}", info.kind), "version": info.version, "url": url,
            "index": index, "queries": queries.len(), "rounds": rounds, "k": k, "candidates": candidates,
            "modes": modes})
    );
    Ok(())
}
