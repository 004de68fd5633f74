//! `sembridge export`: read the ids and vectors of a live index back into a local vector store,
//! so that exact search, eval's ANN recall and `ingest --vectors-from` work on any index, also
//! one that sembridge did not write.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::args::{ConnArgs, check_output, positive};
use super::target::SchemaArgs;
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::corpus::chunk::passage_id;
use crate::engines::Engine;
use crate::engines::scan::ScanFields;
use crate::error::Error;
use crate::exact::StoreWriter;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Index (or alias) to read.
    #[arg(long)]
    pub index: String,
    /// The vector store to write.
    #[arg(long)]
    pub store: PathBuf,
    #[command(flatten)]
    pub fields: SchemaArgs,
    /// Documents per scroll page.
    #[arg(long, default_value_t = 1000, value_parser = positive::<usize>())]
    pub page: usize,
}

/// What one export did.
#[derive(Debug, Default)]
struct Exported {
    written: u64,
    /// Documents without a vector (or with one of other dims): not in the store.
    without_vector: u64,
    first_without: Option<String>,
}

pub async fn run(a: ExportArgs) -> anyhow::Result<u8> {
    check_output("--store", &a.store)?;
    let (engine, info) = Engine::connect(&a.conn.options()?).await?;
    let layout = engine.layout(&a.index, &a.fields.request()).await?;
    let vector = layout
        .vector_field()
        .map_err(|message| Error::Layout {
            index: a.index.clone(),
            message,
        })?
        .clone();
    let schema = layout.schema;
    let meta = json!({
        "kind": "documents",
        "model": {"short": layout.model},
        "source": format!("{}/{}", engine.url(), a.index),
        "exported": {
            "engine": info.kind.to_string(),
            "version": info.version,
            "vector_field": vector.path,
            "similarity": vector.similarity_name,
        },
    });
    let mut writer = StoreWriter::create(&a.store, vector.dims, meta)?;
    let mut out = Exported::default();
    // Passages (a nested vector field) become rows `ID#I`, their offsets kept in the meta as
    // `embed --chunk-tokens` keeps them, so `exact` scores documents by their best passage.
    let mut offsets: Vec<[usize; 2]> = Vec::new();
    let fields = ScanFields::Vectors(&vector);
    engine
        .scan(&a.index, &schema, fields, a.page, |doc| {
            let vectors = doc.vectors(&schema, &vector);
            if vectors.is_empty() {
                out.without_vector += 1;
                out.first_without.get_or_insert(doc.id);
                return Ok(());
            }
            for v in vectors {
                match v.passage {
                    Some(i) => {
                        writer.push(&passage_id(&doc.id, i), &v.vector)?;
                        offsets.push(v.offsets);
                    }
                    None => writer.push(&doc.id, &v.vector)?,
                }
            }
            out.written += 1;
            Ok(())
        })
        .await?;
    if schema.passages.is_some() {
        // The cut, when sembridge recorded it (`ingest --vectors-from` needs it); else only
        // the count, so the store still searches as passages.
        let cut = engine.recorded_chunking(&a.index).await?;
        writer.record_passages(cut, out.written, &offsets);
    }
    let summary = crate::blocking::run("finishing the store", move || writer.finish()).await?;
    eprintln!(
        "exported {} vectors ({} dims, {}{}) of `{}` on {} {} into {}",
        summary.count,
        summary.dims,
        vector.similarity_name,
        match schema.passages {
            Some(_) => format!("; passages of {} documents", out.written),
            None => String::new(),
        },
        a.index,
        info.kind,
        info.version,
        summary.path.display()
    );
    if out.without_vector > 0 {
        eprintln!(
            "warning: {} documents have no vector of {} dims in `{}` (first: {}); they are not \
             in the store",
            out.without_vector,
            vector.dims,
            vector.path,
            out.first_without.unwrap_or_default()
        );
        return Ok(EXIT_PARTIAL);
    }
    Ok(EXIT_OK)
}
