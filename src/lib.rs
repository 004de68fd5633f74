//! sembridge brings semantic search to OpenSearch and Elasticsearch.
//!
//! The data travels one way: a corpus file becomes [`corpus::Doc`]s, the [`embed::Embedder`] turns
//! their text into vectors with ONNX Runtime, and [`engines::Engine`] bulk-indexes text plus vectors.
//! Queries go through the same embedder (with the model's query prompt) to kNN, BM25 or a hybrid of
//! both; [`exact`] answers the same queries by brute force over a local vector store, so
//! [`eval`] can measure what the engines' approximate search loses.
//!
//! Every search path returns the same [`Hit`] type:
//!
//! ```
//! use sembridge::hit::{sort_hits, Hit};
//! let mut hits = vec![Hit::new("b", 0.5), Hit::new("a", 0.5), Hit::new("c", 0.9)];
//! sort_hits(&mut hits);
//! let ids: Vec<&str> = hits.iter().map(|h| h.doc_id.as_str()).collect();
//! assert_eq!(ids, ["c", "a", "b"]); // score desc, then doc id asc
//! ```

mod blocking;
pub mod cli;
pub mod corpus;
pub mod defaults;
pub mod diagnose;
pub mod embed;
pub mod engines;
pub mod error;
pub mod eval;
pub mod exact;
pub mod hit;
pub mod ingest;
pub mod lifecycle;
pub mod paths;
pub mod query;
pub mod serve;

pub use error::{Error, Result};
pub use hit::{DocId, Hit};
