//! TREC run files (`eval --trec-run DIR`): one file per mode that trec_eval, pytrec_eval or any
//! other tool scores to the same figures sembridge printed.
//!
//! Line format (trec_eval's): `QUERY_ID Q0 DOC_ID RANK SCORE TAG`. trec_eval ignores RANK and
//! re-sorts each query's lines by SCORE descending, breaking ties by DOC_ID *descending*, while
//! sembridge ranks ties by doc id *ascending* ([`crate::hit::hit_order`]; RRF fusion ties often).
//! So that every tool sees sembridge's order, a hit whose score equals (or, after rounding,
//! exceeds) the one written before it is written as the next `f64` below that one: a change in
//! the 16th significant digit, only where scores tie. Scores are printed as the shortest decimal
//! that reads back as the same `f64`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::metrics::ranked;
use crate::error::{Error, Result};
use crate::hit::Hit;

/// Write `runs` (query id -> hits) as a TREC run file: each query's hits in [`ranked`] order (score
/// descending, ties by doc id ascending, each doc once), at most `depth`, with strictly decreasing
/// scores (see the module note). Queries in id order.
pub fn write_trec_run(
    path: &Path,
    runs: &BTreeMap<String, Vec<Hit>>,
    depth: usize,
    tag: &str,
) -> Result<()> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::new(file);
    for (qid, hits) in runs {
        let mut prev = f64::INFINITY;
        for (i, h) in ranked(hits, depth).into_iter().enumerate() {
            let score = strictly_below(f64::from(h.score), prev);
            prev = score;
            writeln!(out, "{qid} Q0 {} {} {score} {tag}", h.doc_id, i + 1)
                .map_err(|e| Error::io(path, e))?;
        }
    }
    out.flush().map_err(|e| Error::io(path, e))
}

/// `score` if it is below `prev`, else the largest `f64` below `prev`.
fn strictly_below(score: f64, prev: f64) -> f64 {
    if score < prev {
        return score;
    }
    prev.next_down()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_are_written_in_id_order_with_strictly_decreasing_scores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hybrid.run");
        let mut runs = BTreeMap::new();
        // Input order does not matter; b and c tie with a, d ties at 0 with e.
        runs.insert(
            "q1".to_string(),
            vec![
                Hit::new("c", 0.5),
                Hit::new("a", 0.5),
                Hit::new("z", 0.9),
                Hit::new("b", 0.5),
                Hit::new("e", 0.0),
                Hit::new("d", 0.0),
            ],
        );
        runs.insert(
            "q0".to_string(),
            vec![Hit::new("x", -1.0), Hit::new("y", -1.0)],
        );
        write_trec_run(&path, &runs, 5, "sembridge-hybrid").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
        let docs: Vec<(&str, &str, &str)> = lines.iter().map(|l| (l[0], l[2], l[3])).collect();
        assert_eq!(
            docs,
            [
                ("q0", "x", "1"),
                ("q0", "y", "2"),
                ("q1", "z", "1"),
                ("q1", "a", "2"),
                ("q1", "b", "3"),
                ("q1", "c", "4"),
                ("q1", "d", "5"),
            ]
        );
        for l in &lines {
            assert_eq!((l[1], l[5]), ("Q0", "sembridge-hybrid"));
        }
        // Scores read back strictly decreasing within a query, and equal to the hit's own score
        // where there is no tie.
        let scores: Vec<f64> = lines.iter().map(|l| l[4].parse().unwrap()).collect();
        assert_eq!(scores[0], -1.0);
        assert!(scores[1] < -1.0 && scores[1] > -1.0 - 1e-12);
        assert_eq!(scores[2], f64::from(0.9f32));
        assert_eq!(scores[3], 0.5);
        assert!(scores[3] > scores[4] && scores[4] > scores[5] && scores[5] > 0.4999999);
        assert_eq!(scores[6], 0.0);
    }

    #[test]
    fn strictly_below_steps_one_ulp_down_through_zero() {
        assert_eq!(strictly_below(0.25, 1.0), 0.25);
        assert!(strictly_below(1.0, 1.0) < 1.0);
        assert!(strictly_below(0.0, 0.0) < 0.0);
        assert!(strictly_below(-2.0, -2.0) < -2.0);
        assert_eq!(strictly_below(5.0, f64::INFINITY), 5.0);
    }
}
