//! Retrieval quality (nDCG, recall, MRR against qrels) and ANN recall against exact search.
//!
//! [`metrics`] holds the per-query measures with trec_eval's definitions (as BEIR computes them with
//! pytrec_eval) and their means; [`report`] gathers them per search mode with latency percentiles
//! into a Markdown table; [`run`] evaluates a live index in every mode, [`store`] a local vector
//! store by exact search alone; [`plot`] draws recall against latency as an SVG (plotters);
//! [`trec`] writes the runs as TREC run files for other evaluation tools.

pub mod metrics;
pub mod plot;
pub mod report;
pub mod run;
pub mod store;
pub mod trec;

pub use metrics::{
    ann_recall_at, mean_ann_recall_at, mean_over_queries, mrr_at, ndcg_at, precision_at, recall_at,
};
pub use report::{AnnRecall, ModeReport, percentile};
