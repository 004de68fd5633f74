//! Reading indexes by their mapping: the vector field found or asked for, the model guard,
//! dims checked before any search, and `export` giving back the vectors that were indexed.

use std::path::PathBuf;

use sembridge::engines::{Engine, EngineInfo};
use sembridge::exact::Store;
use serde_json::json;

use crate::support::{self, run_cli, unique_index};

fn demo_corpus() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/corpus.jsonl")
}

/// `sembridge query` of `index` with `extra` flags: (exit code, stdout, stderr).
fn query(url: &str, index: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["query", "--url", url, "--index", index, "--json"];
    args.extend_from_slice(extra);
    args.push("robots on Mars");
    run_cli(&args)
}

/// The index's `_meta` names the model that wrote it: a query with another model is refused
/// with both named (before any search), and `--allow-model-mismatch` searches with a warning.
async fn model_guard_names_both_models(engine: &Engine, info: &EngineInfo) {
    let url = support::engine_url(info.kind);
    let index = unique_index("guard");
    let (code, _, err) = support::ingest_with_model(&url, &index, &demo_corpus());
    assert_eq!(code, 0, "{err}");
    let fp32 = support::fp32_model();
    let (code, _, err) = query(&url, &index, &["--model", fp32.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("holds vectors of model") && err.contains("--allow-model-mismatch"),
        "{err}"
    );
    let int8_short = sembridge::embed::Embedder::load(&support::int8_model(), Default::default())
        .unwrap()
        .fingerprint()
        .unwrap()
        .short();
    assert!(err.contains(&int8_short), "names the index's model: {err}");
    assert!(
        err.contains(fp32.to_str().unwrap()),
        "names the query model: {err}"
    );

    let (code, out, err) = query(
        &url,
        &index,
        &["--model", fp32.to_str().unwrap(), "--allow-model-mismatch"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning"), "{err}");
    assert!(
        !serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .is_empty()
    );
    // BM25 embeds nothing: no guard.
    let (code, _, err) = query(
        &url,
        &index,
        &["--model", fp32.to_str().unwrap(), "--mode", "bm25"],
    );
    assert_eq!(code, 0, "{err}");
    engine.delete_index(&index).await.unwrap();
}
both_engines!(model_guard_names_both_models);

/// An index with two vector fields: the error lists both and names --vector-field; with it the
/// query runs. A field of other dims than the model is an error before any search.
async fn vector_fields_are_found_or_chosen(engine: &Engine, info: &EngineInfo) {
    let url = support::engine_url(info.kind);
    let index = unique_index("twovec");
    let vector = |dims: usize| match info.kind {
        sembridge::engines::EngineKind::OpenSearch => {
            json!({"type": "knn_vector", "dimension": dims,
            "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}})
        }
        sembridge::engines::EngineKind::Elasticsearch => {
            json!({"type": "dense_vector", "dims": dims, "index": true, "similarity": "cosine"})
        }
    };
    let settings = match info.kind {
        sembridge::engines::EngineKind::OpenSearch => json!({"index": {"knn": true}}),
        sembridge::engines::EngineKind::Elasticsearch => json!({}),
    };
    let body = json!({"settings": settings, "mappings": {"properties": {
        "body": {"type": "text"},
        "a_vec": vector(384),
        "small_vec": vector(8),
    }}});
    let status = reqwest::Client::new()
        .put(format!("{url}/{index}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");
    let mut v = vec![0f32; 384];
    v[0] = 1.0;
    let doc =
        json!({"body": "robots explore Mars", "a_vec": v, "small_vec": [1.0, 0, 0, 0, 0, 0, 0, 0]});
    let status = reqwest::Client::new()
        .put(format!("{url}/{index}/_doc/d1?refresh=true"))
        .json(&doc)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "{status}");

    let (code, _, err) = query(&url, &index, &["--mode", "knn"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("several vector fields")
            && err.contains("`a_vec` (384 dims")
            && err.contains("`small_vec` (8 dims")
            && err.contains("--vector-field"),
        "{err}"
    );
    let (code, out, err) = query(&url, &index, &["--mode", "knn", "--vector-field", "a_vec"]);
    assert_eq!(code, 0, "{err}");
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(hits[0]["id"], "d1");
    assert_eq!(
        hits[0]["text"], "robots explore Mars",
        "the only text field is the text"
    );
    let (code, _, err) = query(
        &url,
        &index,
        &["--mode", "knn", "--vector-field", "small_vec"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("small_vec") && err.contains('8') && err.contains("384"),
        "{err}"
    );
    let (code, _, err) = query(&url, &index, &["--mode", "knn", "--vector-field", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--vector-field `nope`"), "{err}");
    // BM25 needs no vector field and finds the text field by itself.
    let (code, out, err) = query(&url, &index, &["--mode", "bm25"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("d1"), "{out}");
    engine.delete_index(&index).await.unwrap();
}
both_engines!(vector_fields_are_found_or_chosen);

/// `export` reads back the vectors that were indexed (Elasticsearch 9.2 leaves them out of
/// `_source` unless asked for), with the ids, in every schema.
async fn export_gives_back_the_indexed_vectors(engine: &Engine, info: &EngineInfo) {
    let url = support::engine_url(info.kind);
    for schema in ["sembridge", "langchain", "haystack"] {
        let dir = tempfile::tempdir().unwrap();
        let index = unique_index(&format!("export-{schema}"));
        let written = dir.path().join("written.sbv");
        let (code, out, err) = run_cli(&[
            "ingest",
            "--url",
            &url,
            "--index",
            &index,
            "--corpus",
            demo_corpus().to_str().unwrap(),
            "--store",
            written.to_str().unwrap(),
            "--schema",
            schema,
            "--quiet",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let exported = dir.path().join("exported.sbv");
        let (code, _, err) = run_cli(&[
            "export",
            "--url",
            &url,
            "--index",
            &index,
            "--store",
            exported.to_str().unwrap(),
            "--page",
            "7",
        ]);
        assert_eq!(code, 0, "{err}");
        let (a, b) = (
            Store::open(&written).unwrap(),
            Store::open(&exported).unwrap(),
        );
        assert_eq!(a.len(), b.len(), "{schema}");
        let mut max = 0f32;
        for (i, id) in a.ids().iter().enumerate() {
            let j = b
                .index_of(id)
                .unwrap_or_else(|| panic!("{schema}: {id} not exported"));
            for (x, y) in a.vector(i).iter().zip(b.vector(j)) {
                max = max.max((x - y).abs());
            }
        }
        assert!(
            max <= 1e-6,
            "{schema} on {}: max difference {max}",
            info.kind
        );
        assert_eq!(
            b.meta().pointer("/model/short"),
            a.meta().pointer("/model/short"),
            "the index's model goes into the store"
        );
        engine.delete_index(&index).await.unwrap();
    }
}
both_engines!(export_gives_back_the_indexed_vectors);
