//! From an index to query parameters: its mapping chooses the fields and the similarity, and
//! before any search that embeds the query, the model is checked against the index (vector
//! dims, and the model guard: the model its `_meta` names). `query`, `eval`, `serve` and the
//! alias gate share it.

use std::sync::Arc;

use super::QueryParams;
use crate::embed::Embedder;
use crate::engines::{Engine, IndexLayout, SchemaRequest, Similarity};
use crate::error::{Error, Result};

/// What the caller knows besides the mapping, and the model it will embed queries with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Guard<'a> {
    /// The similarity to read scores as (`--similarity`): only needed where the mapping names
    /// one sembridge does not convert; a different one than the mapping's is refused.
    pub similarity: Option<Similarity>,
    /// The query model (the modes that embed the query): the index must have a vector field of
    /// its dims and, when its `_meta` names the model that wrote it, be this model.
    pub embedder: Option<&'a Arc<Embedder>>,
    /// Search even when the index's `_meta` names another model (with a warning).
    pub allow_model_mismatch: bool,
}

/// Read `p.index`'s layout (as `request` asks) and set its fields and similarity on `p`, after
/// the checks of `guard`.
pub async fn prepare(
    engine: &Engine,
    p: &mut QueryParams,
    request: &SchemaRequest,
    guard: &Guard<'_>,
) -> Result<IndexLayout> {
    let layout = engine.layout(&p.index, request).await?;
    for note in &layout.notes {
        tracing::info!("index `{}`: {note}", p.index);
    }
    let similarity = match (&layout.vector, guard.similarity) {
        (Some(v), flag) => match (v.similarity, flag) {
            (Some(s), Some(f)) if s != f => {
                return Err(Error::config(
                    "--similarity",
                    format!(
                        "{f}, but the vector field `{}` of `{}` uses {} ({}); leave the flag out",
                        v.path, p.index, s, v.similarity_name
                    ),
                ));
            }
            (Some(s), _) => s,
            (None, Some(f)) => f,
            (None, None) if guard.embedder.is_some() => {
                return Err(layout_error(
                    &p.index,
                    format!(
                        "its vector field `{}` uses the similarity `{}`, which sembridge does not \
                         convert; give --similarity to read its scores as one of cosine, dot, l2",
                        v.path, v.similarity_name
                    ),
                ));
            }
            (None, None) => Similarity::Cosine,
        },
        (None, flag) => flag.unwrap_or(Similarity::Cosine),
    };
    if let Some(embedder) = guard.embedder {
        let v = layout
            .vector_field()
            .map_err(|message| layout_error(&p.index, message))?;
        if v.dims != embedder.dims() {
            return Err(Error::Dimension {
                expected: v.dims,
                got: embedder.dims(),
                context: format!(
                    "the model ({}) vs the vector field `{}` of index `{}`",
                    embedder.config().dir.display(),
                    v.path,
                    p.index
                ),
            });
        }
        if let Some(index_model) = &layout.model {
            check_model(&p.index, index_model, embedder, guard.allow_model_mismatch).await?;
        }
    }
    p.schema = Arc::new(layout.schema.clone());
    p.similarity = similarity;
    Ok(layout)
}

/// The model guard: the index's `_meta` model against the query model's fingerprint.
async fn check_model(
    index: &str,
    index_model: &str,
    embedder: &Arc<Embedder>,
    allow: bool,
) -> Result<()> {
    let e = Arc::clone(embedder);
    let model =
        crate::blocking::run("model fingerprint", move || Ok(e.fingerprint()?.short())).await?;
    if model == index_model {
        return Ok(());
    }
    if allow {
        eprintln!(
            "warning: index `{index}` holds vectors of model {index_model}, the query model is \
             {model} (--allow-model-mismatch)"
        );
        return Ok(());
    }
    Err(Error::ModelMismatch {
        index: index.to_owned(),
        index_model: index_model.to_owned(),
        model,
        dir: embedder.config().dir.display().to_string(),
    })
}

fn layout_error(index: &str, message: String) -> Error {
    Error::Layout {
        index: index.to_owned(),
        message,
    }
}
