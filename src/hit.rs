//! The one result type shared by the engines and exact search, so ANN recall is a plain comparison.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A document id as it appears in the corpus (BEIR `_id`) and as the engines' `_id`.
pub type DocId = String;

/// One search result: a document id and its similarity score (higher is better).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub doc_id: DocId,
    pub score: f32,
    /// With chunking: the passage of the document that scored (the document's score is its
    /// best passage's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passage: Option<PassageRef>,
}

/// Which passage of a document matched: its position and its character offsets in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassageRef {
    pub index: usize,
    /// [start, end) in characters (Unicode scalar values) of the document's text.
    pub start: usize,
    pub end: usize,
}

impl Hit {
    pub fn new(doc_id: impl Into<DocId>, score: f32) -> Self {
        Self {
            doc_id: doc_id.into(),
            score,
            passage: None,
        }
    }
}

/// The documented result order: score descending, then doc id ascending (so ties are deterministic).
/// NaN scores sort last.
pub fn hit_order(a: &Hit, b: &Hit) -> Ordering {
    score_desc(a.score, b.score).then_with(|| a.doc_id.cmp(&b.doc_id))
}

/// Descending order on scores with NaN last.
pub fn score_desc(a: f32, b: f32) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => b.partial_cmp(&a).unwrap_or(Ordering::Equal),
    }
}

/// Sort hits in the documented order.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(hit_order);
}
