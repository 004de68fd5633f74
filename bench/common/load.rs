//! What the load examples (load_query, load_serve) share: gathering the clients' latencies and
//! errors, and the JSON line of the run's figures the load scripts read.

use std::time::Instant;

use sembridge::eval::percentile;
use tokio::task::JoinSet;

/// One client's record: latencies of the answered requests (ms), errors, the first error.
pub type ClientTally = (Vec<f64>, u64, Option<String>);

/// Wait for every client; print the figures as one JSON line (`fields` first: url, mode, ...),
/// and exit 1 when any request failed.
pub async fn report(
    mut tasks: JoinSet<ClientTally>,
    started: Instant,
    clients: usize,
    mut fields: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None::<String>);
    while let Some(r) = tasks.join_next().await {
        let (l, e, f) = r?;
        lat.extend(l);
        errors += e;
        if first_error.is_none() {
            first_error = f;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let figures = serde_json::json!({
        "clients": clients, "seconds": wall, "ok": lat.len(), "errors": errors,
        "first_error": first_error, "qps": lat.len() as f64 / wall,
        "p50_ms": percentile(&lat, 50.0), "p90_ms": percentile(&lat, 90.0),
        "p99_ms": percentile(&lat, 99.0), "max_ms": lat.last().copied().unwrap_or(f64::NAN),
    });
    if let serde_json::Value::Object(f) = figures {
        fields.extend(f);
    }
    println!("{}", serde_json::Value::Object(fields));
    if errors > 0 {
        std::process::exit(1);
    }
    Ok(())
}
