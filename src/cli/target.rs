//! The index a search reads, as `query`, `eval`, `serve` and `export` share it: the schema flags,
//! reading the index's mapping to choose its fields, and checking the model against the index
//! (vector dims and the model guard) before any search.

use std::sync::Arc;

use clap::Args;

use super::args::SearchArgs;
use crate::embed::Embedder;
use crate::engines::layout::schema::Boosted;
use crate::engines::{Engine, SchemaPreset, Similarity};
use crate::engines::{IndexLayout, SchemaRequest};
use crate::error::{Error, Result};
use crate::query::QueryParams;

/// Where the index keeps each part of a document. On a new index (`ingest`) the preset and the
/// flags say what to write; on an existing one they override what is read from its mapping.
#[derive(Debug, Clone, Default, Args)]
pub struct SchemaArgs {
    /// Field layout: sembridge (doc_id, title, text, embedding, metadata object), langchain
    /// (LangChain's OpenSearch/Elasticsearch vector stores: text, vector_field | vector,
    /// metadata object, id in _id), haystack (Haystack's document stores: id, content,
    /// embedding, meta at the top level). Default: what the index recorded, else sembridge.
    #[arg(long, value_enum)]
    pub schema: Option<SchemaPreset>,
    /// The index's vector field (an existing index with one vector field needs no flag).
    #[arg(long)]
    pub vector_field: Option<String>,
    /// The index's field holding the document text.
    #[arg(long)]
    pub index_text_field: Option<String>,
    /// The index's title field; `none` = no title field (the title is prefixed to the text and
    /// kept as metadata `title`).
    #[arg(long)]
    pub index_title_field: Option<String>,
    /// A `_source` field that holds the document id too; `_id` = only the engine's id.
    #[arg(long)]
    pub index_id_field: Option<String>,
    /// The metadata object field; `flat` = metadata keys at the top level.
    #[arg(long)]
    pub metadata_field: Option<String>,
    /// Fields BM25 searches, with boosts: `title^2,text`.
    #[arg(long, value_delimiter = ',', value_parser = Boosted::parse)]
    pub bm25_fields: Vec<Boosted>,
}

impl SchemaArgs {
    pub fn request(&self) -> SchemaRequest {
        SchemaRequest {
            preset: self.schema,
            id: self.index_id_field.clone(),
            title: self.index_title_field.clone(),
            text: self.index_text_field.clone(),
            vector: self.vector_field.clone(),
            metadata: self.metadata_field.clone(),
            bm25: (!self.bm25_fields.is_empty()).then(|| self.bm25_fields.clone()),
        }
    }
}

/// Read `p.index`'s layout and set its fields and similarity on `p`. With an `embedder` (the
/// modes that embed the query): the index must have a vector field of the model's dims, and
/// when its `_meta` names the model that wrote it, that must be this model unless
/// `--allow-model-mismatch`.
pub async fn prepare(
    engine: &Engine,
    p: &mut QueryParams,
    schema: &SchemaArgs,
    search: &SearchArgs,
    embedder: Option<&Arc<Embedder>>,
) -> Result<IndexLayout> {
    let layout = engine.layout(&p.index, &schema.request()).await?;
    for note in &layout.notes {
        tracing::info!("index `{}`: {note}", p.index);
    }
    let similarity = match (&layout.vector, search.similarity) {
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
            (None, None) if embedder.is_some() => {
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
    if let Some(embedder) = embedder {
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
            check_model(&p.index, index_model, embedder, search.allow_model_mismatch).await?;
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
