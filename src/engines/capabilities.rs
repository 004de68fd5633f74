//! What a cluster can do, from what it says about itself: version (`GET /`), security, licence,
//! nodes, vector index types. Every version-dependent JSON branch asks [`Version`] here instead of
//! comparing version strings in the bodies.

use serde::Serialize;
use serde_json::{Value, json};

use super::layout::vector::EsIndexType;
use super::transport::client::Method;
use super::{Engine, EngineKind};
use crate::error::{Error, Result};

/// `major.minor.patch` of an engine (a `-SNAPSHOT` or other suffix is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut parts = s.split(['.', '-']).map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Version(major, minor, patch))
    }

    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self >= Version(major, minor, 0)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The first Elasticsearch version whose `dense_vector` takes `index_options.type` = `t`.
pub fn es_index_type_since(t: &str) -> Version {
    match t {
        "hnsw" => Version(8, 0, 0),
        "int8_hnsw" => Version(8, 12, 0),
        "flat" | "int8_flat" => Version(8, 13, 0),
        "int4_hnsw" | "int4_flat" => Version(8, 15, 0),
        "bbq_hnsw" | "bbq_flat" => Version(8, 16, 0),
        "bbq_disk" => Version(9, 2, 0),
        _ => Version(u32::MAX, 0, 0),
    }
}

/// Every `dense_vector` index type an Elasticsearch of `v` accepts, oldest first.
pub fn es_index_types(v: Version) -> Vec<&'static str> {
    [
        "hnsw",
        "int8_hnsw",
        "flat",
        "int8_flat",
        "int4_hnsw",
        "int4_flat",
        "bbq_hnsw",
        "bbq_flat",
        "bbq_disk",
    ]
    .into_iter()
    .filter(|t| v >= es_index_type_since(t))
    .collect()
}

/// The k-NN engines an OpenSearch of `v` with the k-NN plugin accepts for new indexes (nmslib is
/// refused from 3.0); faiss and nmslib need the plugin's native libraries.
pub fn opensearch_knn_engines(v: Version) -> Vec<&'static str> {
    if v.at_least(3, 0) {
        vec!["lucene", "faiss"]
    } else {
        vec!["lucene", "faiss", "nmslib"]
    }
}

/// OpenSearch 2.16 added `method_parameters` (`ef_search` per query) to the `knn` query.
pub fn opensearch_has_method_parameters(v: Version) -> bool {
    v.at_least(2, 16)
}

/// Whether the OpenSearch k-NN query takes `expand_nested_docs` (added in 2.19: score every
/// nested document of the parents found).
pub fn opensearch_has_expand_nested_docs(v: Version) -> bool {
    v.at_least(2, 19)
}

/// Whether an engine of `version` searches passages the way chunking needs (k documents, each
/// scored by its best nested vector, filters on document fields pre-filtering, `inner_hits`):
/// Elasticsearch 8.11 added kNN over nested `dense_vector` with `inner_hits`; OpenSearch 2.12's
/// k-NN returns one hit per document for nested fields and applies filters on parent fields
/// (opensearch-project/k-NN issue 1356). Older engines are refused naming the flag.
pub fn check_nested_knn(kind: EngineKind, version: Version) -> Result<()> {
    let since = match kind {
        EngineKind::Elasticsearch => Version(8, 11, 0),
        EngineKind::OpenSearch => Version(2, 12, 0),
    };
    if version < since {
        return Err(Error::config(
            "--chunk-tokens",
            format!(
                "passages need {kind} {since} or later (kNN over nested vectors, one hit per \
                 document) and this cluster runs {version}; ingest without chunking"
            ),
        ));
    }
    Ok(())
}

/// Whether an Elasticsearch of `version` has the `dense_vector` index type `es_type`; the error
/// names the flag and what to use instead.
pub fn check_index_type(kind: EngineKind, version: Version, es_type: EsIndexType) -> Result<()> {
    match kind {
        EngineKind::Elasticsearch => {
            let since = es_index_type_since(es_type.as_str());
            if version < since {
                return Err(Error::config(
                    "--es-index-type",
                    format!(
                        "{} needs Elasticsearch {since} or later and this cluster runs {version}; \
                         use one of: {}",
                        es_type.name(),
                        EsIndexType::ALL
                            .iter()
                            .filter(|t| version >= es_index_type_since(t.as_str()))
                            .map(|t| t.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        // lucene and faiss (the two sembridge offers) are accepted by every 2.x and 3.x; nmslib,
        // which 3.0 refuses, is not offered
        EngineKind::OpenSearch => {}
    }
    Ok(())
}

/// What `sembridge info` prints about a cluster. A field the credentials may not read is `None`.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    pub version: String,
    /// Authentication and authorisation on (OpenSearch security plugin / Elasticsearch xpack).
    pub security: Option<bool>,
    pub tls: bool,
    /// Elasticsearch only: `type (status)`.
    pub licence: Option<String>,
    pub nodes: Option<u64>,
    pub health: Option<String>,
    /// OpenSearch k-NN engines, or Elasticsearch `dense_vector` index types.
    pub vector_types: Vec<String>,
    /// (analyzer, known) for the analyzers sembridge writes into its mappings; `None`: the
    /// credentials may not ask.
    pub analyzers: Vec<(String, Option<bool>)>,
}

impl Engine {
    /// Whether the engine knows an analyzer (probed with `_analyze`); `None` when the credentials
    /// may not ask (`_analyze` without an index needs a cluster privilege, e.g. Elasticsearch's
    /// `manage`, that a user who may only write some indexes often lacks).
    pub async fn has_analyzer(&self, analyzer: &str) -> Result<Option<bool>> {
        match self
            .client()
            .json(
                Method::Post,
                "_analyze",
                Some(json!({"analyzer": analyzer, "text": "probe"})),
            )
            .await
        {
            Ok(_) => Ok(Some(true)),
            Err(Error::Engine { status: 400, .. }) => Ok(Some(false)),
            Err(Error::Engine {
                status: 401 | 403, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Ask the cluster what [`Capabilities`] holds (several small requests; for `info`).
    pub async fn capabilities(&self, plugins: &[String]) -> Result<Capabilities> {
        let client = self.client();
        let version = self.version();
        let health = client.json(Method::Get, "_cluster/health", None).await.ok();
        let (security, licence, vector_types) = match self.kind() {
            EngineKind::OpenSearch => {
                let security = if plugins.iter().any(|p| p == "opensearch-security") {
                    // the plugin may be installed but disabled (plugins.security.disabled)
                    match client
                        .json(Method::Get, "_plugins/_security/authinfo", None)
                        .await
                    {
                        Ok(_) => Some(true),
                        Err(Error::Engine {
                            status: 400 | 404 | 405,
                            ..
                        }) => Some(false),
                        Err(_) => None,
                    }
                } else {
                    Some(false)
                };
                let types = match (plugins.iter().any(|p| p == "opensearch-knn"), version) {
                    (false, _) => Vec::new(),
                    (true, Some(v)) => opensearch_knn_engines(v)
                        .into_iter()
                        .map(String::from)
                        .collect(),
                    (true, None) => vec!["lucene".into()],
                };
                (security, None, types)
            }
            EngineKind::Elasticsearch => {
                // Any authenticated user may ask who it is; with security off the API is
                // missing (405, or 500 "Security must be explicitly enabled"). `_xpack` is no
                // help: it fails on a node without the monitoring module.
                let security = match client
                    .json(Method::Get, "_security/_authenticate", None)
                    .await
                {
                    Ok(_) => Some(true),
                    Err(Error::Engine {
                        status: 400 | 404 | 405 | 500,
                        ..
                    }) => Some(false),
                    Err(_) => None,
                };
                let licence = client
                    .json(Method::Get, "_license", None)
                    .await
                    .ok()
                    .and_then(|l| {
                        let l = l.get("license")?;
                        Some(format!(
                            "{} ({})",
                            l.get("type")?.as_str()?,
                            l.get("status").and_then(Value::as_str).unwrap_or("?")
                        ))
                    });
                let types = version
                    .map(es_index_types)
                    .unwrap_or_default()
                    .into_iter()
                    .map(String::from)
                    .collect();
                (security, licence, types)
            }
        };
        let mut analyzers = Vec::new();
        for a in ["english", "standard"] {
            analyzers.push((a.to_owned(), self.has_analyzer(a).await.ok().flatten()));
        }
        Ok(Capabilities {
            version: version.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
            security,
            tls: self.url().starts_with("https:"),
            licence,
            nodes: health
                .as_ref()
                .and_then(|h| h.get("number_of_nodes"))
                .and_then(Value::as_u64),
            health: health
                .as_ref()
                .and_then(|h| h.get("status"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            vector_types,
            analyzers,
        })
    }
}

#[cfg(test)]
#[path = "tests/capabilities.rs"]
mod tests;
