//! The schema flags of the index a command reads or writes, as `ingest`, `query`, `eval`,
//! `serve` and `export` share them (the mapping is read, and the model checked against it, by
//! [`crate::query::prepare`]).

use clap::Args;

use crate::engines::SchemaPreset;
use crate::engines::SchemaRequest;
use crate::engines::layout::schema::Boosted;

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
