//! One row per search mode (quality against qrels, latency, ANN recall) and one per setting of a
//! candidates sweep, rendered as Markdown tables (`sembridge eval` prints them, serve's `/eval`
//! page shows them as HTML); the rows serialize as JSON for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::metrics::{mean_over_queries, mrr_at, ndcg_at, recall_at};
use crate::corpus::Qrels;
use crate::hit::Hit;

/// ANN recall of an approximate mode against exact search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnnRecall {
    pub at10: f64,
    pub at100: f64,
}

/// The results of one search mode (e.g. `knn`, `bm25`, `hybrid`, or `opensearch/knn`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeReport {
    pub mode: String,
    pub ndcg10: f64,
    pub recall100: f64,
    pub mrr10: f64,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    /// Judged queries the means are taken over.
    pub queries: usize,
    /// Only for approximate (kNN) modes measured against exact search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ann_recall: Option<AnnRecall>,
}

impl ModeReport {
    /// Computes the quality means over every query of `qrels` (a judged query without a run counts
    /// as 0) and the latency percentiles of `latencies_ms` (any order).
    pub fn compute(
        mode: impl Into<String>,
        qrels: &Qrels,
        runs: &BTreeMap<String, Vec<Hit>>,
        latencies_ms: &[f64],
    ) -> Self {
        let mut sorted: Vec<f64> = latencies_ms
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        Self {
            mode: mode.into(),
            ndcg10: mean_over_queries(qrels, runs, |r, j| ndcg_at(r, j, 10)),
            recall100: mean_over_queries(qrels, runs, |r, j| recall_at(r, j, 100)),
            mrr10: mean_over_queries(qrels, runs, |r, j| mrr_at(r, j, 10)),
            latency_p50_ms: percentile(&sorted, 50.0),
            latency_p95_ms: percentile(&sorted, 95.0),
            queries: qrels.len(),
            ann_recall: None,
        }
    }
}

/// The `p`-th percentile (0..=100) of ascending `sorted_ms`, linearly interpolated between the
/// closest ranks (numpy's default): index `p / 100 * (n - 1)`. NaN for an empty slice; `p` outside
/// 0..=100 is clamped.
pub fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    let n = sorted_ms.len();
    if n == 0 {
        return f64::NAN;
    }
    let p = if p.is_nan() {
        50.0
    } else {
        p.clamp(0.0, 100.0)
    };
    let pos = p / 100.0 * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let (Some(&a), Some(&b)) = (sorted_ms.get(lo), sorted_ms.get(hi)) else {
        return f64::NAN;
    };
    a + (b - a) * (pos - lo as f64)
}

fn cell(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "–".to_owned()
    }
}

/// A Markdown table, one row per mode. ANN columns show `–` for modes without them.
pub fn render_markdown(reports: &[ModeReport]) -> String {
    let mut out = String::from(
        "| mode | nDCG@10 | recall@100 | MRR@10 | p50 ms | p95 ms | ANN recall@10 | ANN recall@100 | queries |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in reports {
        let (a10, a100) = r
            .ann_recall
            .map_or((f64::NAN, f64::NAN), |a| (a.at10, a.at100));
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.mode.replace('|', "\\|"),
            cell(r.ndcg10, 4),
            cell(r.recall100, 4),
            cell(r.mrr10, 4),
            cell(r.latency_p50_ms, 2),
            cell(r.latency_p95_ms, 2),
            cell(a10, 4),
            cell(a100, 4),
            r.queries
        );
    }
    out
}

/// One setting of a candidates sweep: ANN recall@10 against exact search and kNN latency.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    pub candidates: usize,
    pub ann_recall_at10: f64,
    /// kNN recall@100 against exact, from a second pass at k = 100 (only where the candidates
    /// are at least 100: the engines need num_candidates >= k).
    pub ann_recall_at100: Option<f64>,
    /// Latency percentiles of the k = 10 pass, queries one at a time.
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_p99_ms: f64,
}

/// A Markdown table of a sweep, one row per setting.
pub fn render_sweep_markdown(sweep: &[SweepPoint]) -> String {
    let mut out = String::from(
        "| candidates | ANN recall@10 | ANN recall@100 | p50 ms | p95 ms | p99 ms |\n\
         |---:|---:|---:|---:|---:|---:|\n",
    );
    for p in sweep {
        let at100 = p.ann_recall_at100.map_or("-".into(), |r| format!("{r:.4}"));
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "| {} | {:.4} | {at100} | {:.2} | {:.2} | {:.2} |",
            p.candidates, p.ann_recall_at10, p.latency_p50_ms, p.latency_p95_ms, p.latency_p99_ms
        );
    }
    out.push_str("(latency: the k = 10 pass, one query at a time, query embedding excluded)\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&xs, 50.0), 3.0);
        assert_eq!(percentile(&xs, 0.0), 1.0);
        assert_eq!(percentile(&xs, 100.0), 5.0);
        // 95th: index 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4) = 4.8.
        assert!((percentile(&xs, 95.0) - 4.8).abs() < 1e-12);
        // 25th of [10, 20]: index 0.25 -> 12.5.
        assert!((percentile(&[10.0, 20.0], 25.0) - 12.5).abs() < 1e-12);
        assert!(percentile(&[], 50.0).is_nan());
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        assert_eq!(percentile(&xs, 250.0), 5.0);
        assert_eq!(percentile(&xs, f64::NAN), 3.0);
    }

    fn sample() -> Vec<ModeReport> {
        let mut qrels = Qrels::new();
        qrels.insert("q1".into(), [("d1".to_string(), 1)].into_iter().collect());
        qrels.insert("q2".into(), [("d2".to_string(), 1)].into_iter().collect());
        let mut runs = BTreeMap::new();
        runs.insert("q1".to_string(), vec![Hit::new("d1", 1.0)]);
        runs.insert(
            "q2".to_string(),
            vec![Hit::new("x", 1.0), Hit::new("d2", 0.5)],
        );
        let mut knn = ModeReport::compute("knn", &qrels, &runs, &[3.0, 1.0, 2.0]);
        knn.ann_recall = Some(AnnRecall {
            at10: 0.98,
            at100: 0.95,
        });
        let bm25 = ModeReport::compute("bm25", &qrels, &BTreeMap::new(), &[]);
        vec![knn, bm25]
    }

    #[test]
    fn compute_means_and_latency() {
        let r = &sample()[0];
        // q1: nDCG 1, MRR 1; q2: d2 at rank 2 -> nDCG 1/log2(3), MRR 1/2.
        assert!((r.ndcg10 - (1.0 + 1.0 / 3f64.log2()) / 2.0).abs() < 1e-12);
        assert!((r.mrr10 - 0.75).abs() < 1e-12);
        assert_eq!(r.recall100, 1.0);
        assert_eq!(r.latency_p50_ms, 2.0);
        assert_eq!(r.queries, 2);
    }

    #[test]
    fn markdown_and_json() {
        let reports = sample();
        let md = render_markdown(&reports);
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 4, "{md}");
        assert!(
            lines[2].starts_with("| knn | 0.8155 | 1.0000 | 0.7500 | 2.00 |"),
            "{md}"
        );
        assert!(lines[2].contains("| 0.9800 | 0.9500 | 2 |"), "{md}");
        assert!(lines[3].contains("| – | – |"), "{md}");
        let json = serde_json::to_string_pretty(&reports).unwrap();
        let back: Vec<ModeReport> = serde_json::from_str(&json.replace("null", "0.0")).unwrap();
        assert_eq!(back[0], reports[0]);
        assert!(!json.contains("\"ann_recall\": null"));
    }
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn a_sweep_is_one_row_per_setting() {
        let point = |candidates, recall| SweepPoint {
            candidates,
            ann_recall_at10: recall,
            ann_recall_at100: None,
            latency_p50_ms: 1.234,
            latency_p95_ms: 2.5,
            latency_p99_ms: 3.0,
        };
        let md = render_sweep_markdown(&[point(10, 0.9), point(100, 0.99)]);
        assert_eq!(
            md,
            "| candidates | ANN recall@10 | ANN recall@100 | p50 ms | p95 ms | p99 ms |\n\
             |---:|---:|---:|---:|---:|---:|\n\
             | 10 | 0.9000 | - | 1.23 | 2.50 | 3.00 |\n| 100 | 0.9900 | - | 1.23 | 2.50 | 3.00 |\n\
             (latency: the k = 10 pass, one query at a time, query embedding excluded)\n"
        );
    }
}
