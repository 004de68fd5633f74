//! `sembridge export`: read the ids and vectors of a live index back into a local vector store,
//! so that exact search, eval's ANN recall and `ingest --vectors-from` work on any index, also
//! one that sembridge did not write.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use super::args::{ConnArgs, check_output, positive};
use super::target::SchemaArgs;
use super::{EXIT_OK, EXIT_PARTIAL};
use crate::corpus::chunk::passage_id;
use crate::engines::Engine;
use crate::engines::schema::get_path;
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
    // Naming the vector field in `includes` brings it back also where the engine leaves vectors
    // out of `_source` by default (Elasticsearch 9.1+ `exclude_source_vectors`; OpenSearch 3.x
    // derived source rebuilds them).
    let mut includes = vec![vector.path.clone()];
    includes.extend(schema.id.clone());
    // Passages (a nested vector field) become rows `ID#I`, their offsets kept in the meta as
    // `embed --chunk-tokens` keeps them, so `exact` scores documents by their best passage.
    let mut offsets: Vec<[usize; 2]> = Vec::new();
    if let Some(p) = &schema.passages {
        includes.extend([format!("{p}.start"), format!("{p}.end")]);
    }
    engine
        .scroll(&a.index, json!({"includes": includes}), a.page, |hits| {
            for h in hits {
                let source = h.get("_source").cloned().unwrap_or(Value::Null);
                let underscore = h.get("_id").and_then(Value::as_str).unwrap_or_default();
                let id = schema.hit_id(underscore, &source);
                if let Some(p) = &schema.passages {
                    let passages = get_path(&source, p).and_then(Value::as_array);
                    let mut any = false;
                    for (i, passage) in passages.into_iter().flatten().enumerate() {
                        // Offsets as sembridge writes them; [0, 0] (unknown) in others'
                        // nested layouts.
                        let at = |k: &str| passage.get(k).and_then(Value::as_u64).unwrap_or(0);
                        if let Some(v) = vector_of(passage, schema.vector_leaf(), vector.dims) {
                            writer.push(&passage_id(&id, i), &v)?;
                            offsets.push([at("start") as usize, at("end") as usize]);
                            any = true;
                        }
                    }
                    match any {
                        true => out.written += 1,
                        false => {
                            out.without_vector += 1;
                            out.first_without.get_or_insert(id);
                        }
                    }
                    continue;
                }
                match vector_of(&source, &vector.path, vector.dims) {
                    Some(v) => {
                        writer.push(&id, &v)?;
                        out.written += 1;
                    }
                    None => {
                        out.without_vector += 1;
                        out.first_without.get_or_insert(id);
                    }
                }
            }
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

/// The vector at `path` of a `_source`, when it is an array of `dims` numbers.
fn vector_of(source: &Value, path: &str, dims: usize) -> Option<Vec<f32>> {
    let arr = get_path(source, path)?.as_array()?;
    if arr.len() != dims {
        return None;
    }
    arr.iter().map(|x| x.as_f64().map(|f| f as f32)).collect()
}
