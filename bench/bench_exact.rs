//! Times exact search (one query at a time, and batches) on a vector store, printing JSON for
//! `bench/bench-exact.sh`. Without `--store`, builds (once) a synthetic store of random unit
//! vectors under `--cache`.
//!
//! ```text
//! cargo run --release --example bench_exact -- [--store PATH] [--cache DIR] [--n 1000000]
//!     [--dims 384] [--k 10] [--batch 100] [--single 20] [--batches 3]
//!     [--query-chunk 100] [--corpus-chunk 16384] [--queries PATH] [--results PATH]
//! ```
//! `--queries` is a raw little-endian f32 file of `batch x dims` query vectors, shared with the
//! numpy side (written here if absent); `--results` receives the top-k ids of every batch query.

use std::path::PathBuf;
use std::time::Instant;

use sembridge::engines::Similarity;
use sembridge::exact::{ExactParams, Store, StoreWriter, search_flat};

#[path = "common/args.rs"]
mod args;
use args::{arg, opt_arg};

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// A random unit vector (normalized Gaussian, Box-Muller).
    fn unit_vector(&mut self, dims: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dims)
            .map(|_| {
                let (u1, u2) = (self.unit(), self.unit());
                ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    }
}

/// Sum with 16 accumulators (vectorizes), so the scan is limited by memory, not by add latency.
fn sum16(v: &[f32]) -> f32 {
    let (chunks, rest) = v.as_chunks::<16>();
    let mut acc = [0f32; 16];
    for c in chunks {
        for i in 0..16 {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

fn main() -> anyhow::Result<()> {
    let args = args::args();
    let n: usize = arg(&args, "--n", 1_000_000);
    let dims: usize = arg(&args, "--dims", 384);
    let k: usize = arg(&args, "--k", 10);
    let batch: usize = arg(&args, "--batch", 100);
    let single: usize = arg(&args, "--single", 20);
    let batches: usize = arg(&args, "--batches", 3);
    let defaults = ExactParams::default();
    let qc: usize = arg(&args, "--query-chunk", defaults.query_chunk_size);
    let cc: usize = arg(&args, "--corpus-chunk", defaults.corpus_chunk_size);
    let cache: PathBuf = arg(&args, "--cache", sembridge::paths::home().join("bench"));
    let store_path: PathBuf = arg(
        &args,
        "--store",
        cache.join(format!("synthetic-{n}x{dims}.sbstore")),
    );
    let mut build_s = 0.0;
    if !store_path.exists() {
        std::fs::create_dir_all(&cache)?;
        let t = Instant::now();
        let meta =
            serde_json::json!({"kind": "documents", "synthetic": "normalized gaussian", "seed": 1});
        let mut w = StoreWriter::create(&store_path, dims, meta)?;
        let mut rng = Rng(1);
        for i in 0..n {
            w.push(&format!("doc{i}"), &rng.unit_vector(dims))?;
        }
        w.finish()?;
        build_s = t.elapsed().as_secs_f64();
    }
    let t = Instant::now();
    let store = Store::open(&store_path)?;
    let open_s = t.elapsed().as_secs_f64();
    let dims = store.dims();

    let qpath: PathBuf = arg(
        &args,
        "--queries",
        cache.join(format!("queries-{batch}x{dims}.f32")),
    );
    let queries: Vec<f32> = match std::fs::read(&qpath) {
        Ok(b) if b.len() == batch * dims * 4 => b
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        _ => {
            let mut rng = Rng(2);
            let q: Vec<f32> = (0..batch).flat_map(|_| rng.unit_vector(dims)).collect();
            std::fs::create_dir_all(qpath.parent().unwrap())?;
            std::fs::write(
                &qpath,
                q.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
            )?;
            q
        }
    };
    let params = ExactParams {
        k,
        query_chunk_size: qc,
        corpus_chunk_size: cc,
        similarity: Similarity::Cosine,
    };

    // Warm-up: faults the mapping in (and the page cache, if the store was just written).
    let t = Instant::now();
    search_flat(&store, &queries[..dims], &params)?;
    let warm_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    for i in 0..single {
        let q = &queries[(i % batch) * dims..(i % batch + 1) * dims];
        std::hint::black_box(search_flat(&store, q, &params)?);
    }
    let single_s = t.elapsed().as_secs_f64() / single.max(1) as f64;

    // Memory-bandwidth bound of one query: a parallel read of the whole matrix, nothing else.
    let t = Instant::now();
    let scans = 3;
    for _ in 0..scans {
        use rayon::prelude::*;
        let sum: f32 = store.matrix().par_chunks(1 << 16).map(sum16).sum();
        std::hint::black_box(sum);
    }
    let scan_s = t.elapsed().as_secs_f64() / scans as f64;
    let bytes = (store.len() * dims * 4) as f64;

    let mut results = Vec::new();
    let t = Instant::now();
    for _ in 0..batches {
        results = search_flat(&store, &queries, &params)?;
    }
    let batch_s = t.elapsed().as_secs_f64() / batches.max(1) as f64;

    if let Some(path) = opt_arg::<PathBuf>(&args, "--results") {
        let ids: Vec<Vec<&str>> = results
            .iter()
            .map(|h| h.iter().map(|h| h.doc_id.as_str()).collect())
            .collect();
        std::fs::write(path, serde_json::to_vec(&ids)?)?;
    }
    let report = serde_json::json!({
        "store": store_path, "n": store.len(), "dims": dims, "k": k,
        "threads": rayon::current_num_threads(),
        "queries": qpath, "query_chunk_size": qc, "corpus_chunk_size": cc, "unit_norm_flag": store.is_unit_norm(),
        "build_s": build_s, "open_s": open_s, "warmup_s": warm_s,
        "single": {"queries": single, "s_per_query": single_s, "qps": 1.0 / single_s},
        "scan": {"bytes": bytes, "s": scan_s, "gb_per_s": bytes / scan_s / 1e9},
        "batch": {"size": batch, "batches": batches, "s_per_batch": batch_s, "qps": batch as f64 / batch_s},
    });
    println!("{report}");
    Ok(())
}
