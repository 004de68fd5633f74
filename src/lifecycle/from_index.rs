//! `ingest --from-index SOURCE`: the documents of a live index (ids, titles, texts, metadata,
//! read the way its layout says) as a document stream for the ingest pipeline, so that a model
//! migration re-embeds what the engine holds.

use serde_json::{Map, Value};

use crate::corpus::Doc;
use crate::engines::layout::schema::get_path;
use crate::engines::scan::{ScanFields, ScannedDoc};
use crate::engines::{Engine, Schema, SchemaRequest};
use crate::error::{Error, Result};
use crate::ingest::DocSource;

/// Documents per scroll page, and documents buffered between the scroll and the reader stage.
const PAGE: usize = 500;
const BUFFER: usize = 2048;

/// A [`DocSource`] over every document of `index` (scrolled in index order on the runtime into
/// a bounded channel: the pipeline's reader stage drains it, so a slow embedder holds the scroll
/// back), and the schema it was read with. A failing scroll ends the stream with its error.
pub async fn source(
    engine: &Engine,
    index: &str,
    request: &SchemaRequest,
) -> Result<(DocSource, Schema)> {
    let layout = engine.layout(index, request).await?;
    let schema = layout.schema;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Doc>>(BUFFER);
    let (engine2, index2, schema2) = (engine.clone(), index.to_owned(), schema.clone());
    tokio::spawn(async move {
        let mut n = 0u64;
        let send = |item: Result<Doc>| tokio::task::block_in_place(|| tx.send(item).is_ok());
        let scrolled = engine2
            .scan(&index2, &schema2, ScanFields::Documents, PAGE, |d| {
                n += 1;
                match send(Ok(doc_of(d, &schema2, n))) {
                    true => Ok(()),
                    false => Err(Error::Other("the ingest stopped reading".into())),
                }
            })
            .await;
        if let Err(e) = scrolled {
            send(Err(e));
        }
    });
    let name = format!("{}/{index}", engine.url());
    Ok((
        DocSource::Stream {
            name,
            docs: Box::new(rx.into_iter()),
        },
        schema,
    ))
}

/// One document read back as a document to ingest: `line` is its place in the scan (for
/// messages).
fn doc_of(scanned: ScannedDoc, schema: &Schema, line: u64) -> Doc {
    let ScannedDoc { id, source } = scanned;
    let text_at = |field: &str| {
        get_path(&source, field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let metadata: Map<String, Value> = match &schema.metadata {
        Some(m) => get_path(&source, m)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        None => {
            let reserved = schema.reserved();
            source
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| !reserved.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default()
        }
    };
    Doc {
        id,
        // Without a title field the text already begins with the title (it is what was
        // embedded) and the metadata keeps it: re-embedding the text gives the same input.
        title: schema.title.as_deref().map(text_at).unwrap_or_default(),
        text: text_at(&schema.text),
        metadata,
        line,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engines::{EngineKind, SchemaPreset};

    #[test]
    fn hits_become_the_documents_that_were_written() {
        let sb = Schema::default();
        let hit = json!({"_id": "d1", "_source": {"doc_id": "d1", "title": "T", "text": "body", "metadata": {"lang": "en"}}});
        let d = doc_of(ScannedDoc::from_hit(&hit, &sb), &sb, 7);
        assert_eq!(
            (d.id.as_str(), d.title.as_str(), d.text.as_str(), d.line),
            ("d1", "T", "body", 7)
        );
        assert_eq!(d.metadata["lang"], "en");
        assert_eq!(d.embed_text(), "T body");

        let hs = Schema::preset(SchemaPreset::Haystack, EngineKind::OpenSearch);
        let hit = json!({"_id": "x", "_source": {"id": "h1", "content": "T body", "title": "T", "lang": "en"}});
        let d = doc_of(ScannedDoc::from_hit(&hit, &hs), &hs, 1);
        assert_eq!((d.id.as_str(), d.title.as_str()), ("h1", ""));
        assert_eq!(d.embed_text(), "T body", "the same text is embedded again");
        assert_eq!(
            d.metadata.len(),
            2,
            "title and lang, not id or content: {:?}",
            d.metadata
        );
    }
}
