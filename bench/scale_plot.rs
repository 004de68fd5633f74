//! Draws bench/bench-scale.sh's recall-vs-throughput picture of one engine (the ann-benchmarks
//! plot: one line per index type, a dot per num_candidates) with the plotting code of `eval --plot`.
//!
//! ```text
//! cargo run --release --example scale_plot -- SPEC.json OUT.svg TITLE
//! ```
//! SPEC.json (written by bench/scale_report.py): `[{"name": "elasticsearch hnsw", "points":
//! [{"x": QPS, "recall": R, "label": "100"}, ...]}, ...]`.

use sembridge::eval::plot::{PlotPoint, Series, write_recall_latency_svg};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, out, title] = args.as_slice() else {
        eprintln!("usage: scale_plot SPEC.json OUT.svg TITLE");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(spec).unwrap_or_else(|e| {
        eprintln!("error: cannot read {spec}: {e}");
        std::process::exit(2);
    });
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        eprintln!("error: {spec} is not JSON: {e}");
        std::process::exit(2);
    });
    let series: Vec<Series> = json
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Series {
            name: s["name"].as_str().unwrap_or("?").to_owned(),
            points: s["points"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| PlotPoint {
                    latency_ms: p["x"].as_f64().unwrap_or(f64::NAN),
                    recall: p["recall"].as_f64().unwrap_or(f64::NAN),
                    label: p["label"].as_str().map(str::to_owned),
                })
                .collect(),
        })
        .collect();
    if let Err(e) = write_recall_latency_svg(
        std::path::Path::new(out),
        title,
        "queries/s, one client (1000 / p50 ms)",
        "kNN recall@10 vs exact",
        &series,
    ) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
