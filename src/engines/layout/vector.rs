//! The vector field's kinds, shared by the index spec, the schema and mapping discovery: the
//! similarity, the OpenSearch k-NN library, the Elasticsearch index type, and a vector field as a
//! mapping declares it. A module of its own so that the layout modules import it and never each
//! other in a circle.

use serde::{Deserialize, Serialize};

/// Vector similarity, named as users know it; of an engine's index and of exact search alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    Cosine,
    Dot,
    /// Euclidean distance; as a score, the negated squared distance (higher is closer).
    L2,
}

impl Similarity {
    pub const ALL: [Similarity; 3] = [Similarity::Cosine, Similarity::Dot, Similarity::L2];

    /// `cosine`, `dot` or `l2`.
    pub fn name(self) -> &'static str {
        match self {
            Similarity::Cosine => "cosine",
            Similarity::Dot => "dot",
            Similarity::L2 => "l2",
        }
    }
}

impl std::fmt::Display for Similarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// OpenSearch k-NN library. Only `lucene` works on a node without the native libraries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KnnEngine {
    Lucene,
    Faiss,
}

impl KnnEngine {
    pub const ALL: [KnnEngine; 2] = [KnnEngine::Lucene, KnnEngine::Faiss];

    /// `lucene` or `faiss`, as OpenSearch mappings and the flag spell it.
    pub fn name(self) -> &'static str {
        match self {
            KnnEngine::Lucene => "lucene",
            KnnEngine::Faiss => "faiss",
        }
    }
}

/// Elasticsearch `index_options.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EsIndexType {
    Hnsw,
    Int8Hnsw,
    BbqHnsw,
    Flat,
}

impl EsIndexType {
    pub const ALL: [EsIndexType; 4] = [
        EsIndexType::Hnsw,
        EsIndexType::Int8Hnsw,
        EsIndexType::BbqHnsw,
        EsIndexType::Flat,
    ];

    /// The flag's spelling: `hnsw`, `int8-hnsw`, `bbq-hnsw`, `flat` (Elasticsearch's own is
    /// [`EsIndexType::as_str`]).
    pub fn name(self) -> &'static str {
        match self {
            EsIndexType::Hnsw => "hnsw",
            EsIndexType::Int8Hnsw => "int8-hnsw",
            EsIndexType::BbqHnsw => "bbq-hnsw",
            EsIndexType::Flat => "flat",
        }
    }

    /// Elasticsearch's spelling: `hnsw`, `int8_hnsw`, `bbq_hnsw`, `flat`.
    pub fn as_str(self) -> &'static str {
        match self {
            EsIndexType::Hnsw => "hnsw",
            EsIndexType::Int8Hnsw => "int8_hnsw",
            EsIndexType::BbqHnsw => "bbq_hnsw",
            EsIndexType::Flat => "flat",
        }
    }
}

/// One vector field found in a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorField {
    /// Full path (`embedding`, `passage.vector`).
    pub path: String,
    pub dims: usize,
    /// `None` when the mapping names a similarity sembridge does not know.
    pub similarity: Option<Similarity>,
    /// The name as the mapping spells it (`cosinesimil`, `dot_product`, ...).
    pub similarity_name: String,
    /// OpenSearch: the k-NN library (`lucene`, `faiss`, `nmslib`).
    pub knn_engine: Option<String>,
    /// The `nested` field the vector sits in (`passages` for `passages.embedding`): one vector
    /// per passage, a document scored by its best passage.
    pub nested: Option<String>,
}

impl VectorField {
    /// How this field's scores convert back: faiss and nmslib differ from lucene for cosine.
    pub fn scores(&self) -> KnnEngine {
        match self.knn_engine.as_deref() {
            Some("faiss") | Some("nmslib") => KnnEngine::Faiss,
            _ => KnnEngine::Lucene,
        }
    }
}

/// `name (384 dims, cosine), ...` for messages.
pub fn list_vectors(vectors: &[VectorField]) -> String {
    vectors
        .iter()
        .map(|v| format!("`{}` ({} dims, {})", v.path, v.dims, v.similarity_name))
        .collect::<Vec<_>>()
        .join(", ")
}
