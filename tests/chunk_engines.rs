//! Chunking in the engines: passages as nested vectors of their document, searched at
//! document level on both engines: SciFact quality, k documents (not k passages), pre-filtering,
//! the matched passage, no stale passages after a document shrinks, and an answer past token 256.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use sembridge::corpus::read_queries;
use sembridge::engines::{Engine, EngineInfo, KnnParams, Similarity, TermFilter};
use sembridge::exact::{ExactParams, Store};
use sembridge::query::QueryParams;

use crate::chunking::{ANSWER, QUESTION, filler};
use crate::support;

/// `sembridge ingest --json` with the given vectors/flags; (exit code, summary, stderr).
fn ingest(
    url: &str,
    index: &str,
    corpus: &Path,
    dir: &Path,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let (corpus, ckpt, dead) = (
        corpus.display().to_string(),
        dir.join(format!("{index}.ckpt.json")).display().to_string(),
        dir.join(format!("{index}.dead.jsonl"))
            .display()
            .to_string(),
    );
    let mut args = vec![
        "ingest",
        "--url",
        url,
        "--index",
        index,
        "--json",
        "--corpus",
        &corpus,
        "--checkpoint",
        &ckpt,
        "--dead-letter",
        &dead,
    ];
    args.extend(extra);
    let (code, out, err) = support::run_cli(&args);
    (code, serde_json::from_str(&out).unwrap_or_default(), err)
}

/// SciFact from the cached passage store (256/64): the chunking quality bars at document
/// level, k documents per kNN answer, the best passage named, filters that pre-filter.
async fn chunked_scifact(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("chunked");
    let dir = tempfile::tempdir().unwrap();
    let store_path = support::scifact_chunked_store();
    let store = Arc::new(Store::open(&store_path).unwrap());
    let (code, summary, err) = ingest(
        &info.url,
        &index,
        &support::scifact_corpus(),
        dir.path(),
        &["--vectors-from", store_path.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(summary["passages"], store.len(), "every passage sent");
    support::assert_scifact_complete(engine, &index).await;
    let mut query = QueryParams::new(&index);
    let layout =
        sembridge::query::prepare(engine, &mut query, &Default::default(), &Default::default())
            .await
            .unwrap();
    assert_eq!(
        layout.schema.passages.as_deref(),
        Some("passages"),
        "{layout:?}"
    );
    // 200 candidates, not the default 100: HNSW graphs differ from build to build, and at 100
    // OpenSearch's nested kNN measured 0.6510-0.6553 over three builds (docs/chunk-layouts.md),
    // the worst at the 0.005 bar itself.
    query.candidates = 200;
    let report = support::eval_scifact(engine, info, query, &store, "chunked 256/64, ").await;
    let exact = support::mode(&report, "exact").ndcg10;
    let knn = support::mode(&report, "knn");
    let (bm25, hybrid) = (
        support::mode(&report, "bm25").ndcg10,
        support::mode(&report, "hybrid").ndcg10,
    );
    // Chunking beats truncation (the default model's exact 0.6501, support::DEFAULT_SCIFACT_NDCG10).
    assert!(
        exact > support::DEFAULT_SCIFACT_NDCG10,
        "exact (MaxP) {exact:.4}"
    );
    assert!(
        (knn.ndcg10 - exact).abs() <= 0.005,
        "knn {:.4} vs exact {exact:.4}",
        knn.ndcg10
    );
    assert!(
        hybrid >= bm25.max(knn.ndcg10) + 0.01,
        "hybrid {hybrid:.4} bm25 {bm25:.4} knn {:.4}",
        knn.ndcg10
    );

    // k documents, each once, each naming its best passage: the one exact search names.
    let queries = read_queries(&support::dataset("scifact/queries.jsonl")).unwrap();
    let texts: Vec<&str> = queries.iter().take(5).map(|q| q.text.as_str()).collect();
    let vectors = support::int8_embedder().embed_queries(&texts).unwrap();
    let exact_params = ExactParams {
        k: 1000,
        ..ExactParams::default()
    };
    let exact_hits = sembridge::exact::search(&store, &vectors, &exact_params).unwrap();
    let p = KnnParams {
        k: 100,
        candidates: 200,
    };
    let schema = &layout.schema;
    for (v, exact) in vectors.iter().zip(&exact_hits) {
        let hits = engine
            .knn(&index, schema, v, &p, &[], Similarity::Cosine)
            .await
            .unwrap()
            .hits;
        let ids: BTreeSet<&str> = hits.iter().map(|h| h.doc_id.as_str()).collect();
        assert_eq!(
            (hits.len(), ids.len()),
            (100, 100),
            "100 documents, not 100 passages"
        );
        // The passage named is the document's best (or one scoring within 1e-3 of it: two
        // overlapping windows can score alike), with its offsets.
        let top = &hits[0];
        let best = exact.iter().find(|h| h.doc_id == top.doc_id).unwrap();
        let named = top.passage.expect("inner_hits name the passage");
        let row = store
            .index_of(&format!("{}#{}", top.doc_id, named.index))
            .unwrap();
        let cos: f32 = store.vector(row).iter().zip(v).map(|(a, b)| a * b).sum();
        assert!(
            (cos - best.score).abs() < 1e-3,
            "{named:?}: {cos} vs best {:?}",
            best.passage
        );
        let offsets = store.passages().unwrap().offsets[row];
        assert_eq!([named.start, named.end], offsets, "the passage's offsets");
        assert!(
            (top.score - best.score).abs() < 2e-3,
            "{} vs exact {}",
            top.score,
            best.score
        );

        // A filter pre-filters: a document far down the list (rank 500 of exact search) is
        // the one answer when the filter keeps only it.
        let far = &exact[500].doc_id;
        let filter = [TermFilter {
            field: "doc_id".into(),
            value: far.clone(),
        }];
        let p10 = KnnParams {
            k: 10,
            candidates: 100,
        };
        let only = engine
            .knn(&index, schema, v, &p10, &filter, Similarity::Cosine)
            .await
            .unwrap();
        let got: Vec<&str> = only.hits.iter().map(|h| h.doc_id.as_str()).collect();
        assert_eq!(got, vec![far.as_str()], "pre-filtered kNN");
    }
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(chunked_scifact, compat);

/// Passage row ids (`ID#I`) of `id` in an export of `index`.
fn exported_passages(url: &str, index: &str, dir: &Path, id: &str) -> Vec<String> {
    let out = dir.join(format!("export-{}.sbv", rand_suffix()));
    let (code, _, err) = support::run_cli(&[
        "export",
        "--url",
        url,
        "--index",
        index,
        "--store",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let store = Store::open(&out).unwrap();
    assert!(
        store.passages().is_some(),
        "an export of passages is a passage store"
    );
    store
        .ids()
        .iter()
        .filter(|r| r.rsplit_once('#').is_some_and(|(p, _)| p == id))
        .cloned()
        .collect()
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// A document that shrinks between two runs keeps no passage of its longer self: its passages
/// live inside it, so writing it again replaces them all. A re-run without flags cuts as the
/// index records; other flags are a mapping difference, refused before anything is written.
async fn no_stale_passages(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("stale");
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    let model = support::int8_model().display().to_string();
    let write = |text: &str| {
        let docs = [
            serde_json::json!({"_id": "grows-short", "title": "Shrinking", "text": text}),
            serde_json::json!({"_id": "other", "title": "Other", "text": "a short neighbour"}),
        ];
        let lines: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        std::fs::write(&corpus, lines.join("\n")).unwrap();
    };
    let flags = [
        "--model",
        &model,
        "--chunk-tokens",
        "128",
        "--chunk-overlap",
        "32",
    ];
    write(&format!("{} {ANSWER}", filler(500)));
    let (code, summary, err) = ingest(&info.url, &index, &corpus, dir.path(), &flags);
    assert_eq!(code, 0, "{err}");
    let long = exported_passages(&info.url, &index, dir.path(), "grows-short");
    assert!(long.len() >= 4, "{long:?}");
    assert_eq!(summary["passages"], long.len() + 1);

    write("Now only one sentence remains.");
    let (code, _, err) = ingest(&info.url, &index, &corpus, dir.path(), &["--model", &model]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("as `{index}` was written")), "{err}");
    engine.refresh(&index).await.unwrap();
    let short = exported_passages(&info.url, &index, dir.path(), "grows-short");
    assert_eq!(short, vec!["grows-short#0".to_owned()], "no stale passages");
    assert_eq!(engine.count(&index).await.unwrap(), 2);
    // The old answer is gone from the index with its passages.
    let (code, out, err) = support::run_cli(&[
        "query", "--url", &info.url, "--index", &index, "--model", &model, "--mode", "knn",
        "--json", "-k", "1", QUESTION,
    ]);
    assert_eq!(code, 0, "{err}");
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(hits[0]["score"].as_f64().unwrap() < 0.5, "{out}");

    let (code, _, err) = ingest(
        &info.url,
        &index,
        &corpus,
        dir.path(),
        &[
            "--model",
            &model,
            "--chunk-tokens",
            "256",
            "--chunk-overlap",
            "64",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--chunk-tokens") && err.contains("passages of 128"),
        "{err}"
    );
    // --no-chunking turns it off: with --recreate, one vector per document again.
    let (code, _, err) = ingest(
        &info.url,
        &index,
        &corpus,
        dir.path(),
        &["--model", &model, "--no-chunking", "--recreate"],
    );
    assert_eq!(code, 0, "{err}");
    let layout = engine.layout(&index, &Default::default()).await.unwrap();
    assert_eq!(
        (layout.schema.passages, layout.schema.vector.as_str()),
        (None, "embedding")
    );
    assert_eq!(engine.recorded_chunking(&index).await.unwrap(), None);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(no_stale_passages);

/// On an engine as in the store: an answer after token 300 of a document is found by a kNN query
/// on it only when the document was cut into passages, and the hit names the passage.
async fn answer_past_the_model_length(engine: &Engine, info: &EngineInfo) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let mut lines: Vec<String> =
        sembridge::corpus::CorpusReader::open(&support::scifact_corpus(), None)
            .unwrap()
            .skip(200)
            .take(30)
            .map(|d| {
                let d = d.unwrap();
                serde_json::json!({"_id": d.id, "title": d.title, "text": d.text}).to_string()
            })
            .collect();
    let text = format!("{} {ANSWER}", filler(260));
    let answer_at = text.chars().count() - ANSWER.chars().count();
    lines.push(serde_json::json!({"_id": "target", "title": "", "text": text}).to_string());
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let model = support::int8_model().display().to_string();
    let mut ranks = Vec::new();
    for chunk in [
        None,
        Some(["--chunk-tokens", "256", "--chunk-overlap", "64"]),
    ] {
        let index = support::unique_index("needle");
        let mut flags = vec!["--model", model.as_str()];
        flags.extend(chunk.iter().flatten());
        let (code, summary, err) = ingest(&info.url, &index, &corpus, dir.path(), &flags);
        assert_eq!(code, 0, "{err}");
        // Without chunking the long documents are counted as cut (the target among them) and the
        // user is pointed at chunking; with it not (a window cut inside a word can re-tokenize a
        // token or two longer than the model takes: those passages are counted, not reported).
        let cut = summary["truncated"].as_u64().unwrap();
        let hint = err.contains("were longer than the model's max_seq_length");
        match chunk {
            None => assert!(
                cut >= 1 && hint && err.contains("--chunk-tokens"),
                "{cut} {err}"
            ),
            Some(_) => assert!(!hint, "{err}"),
        }
        let (code, out, err) = support::run_cli(&[
            "query", "--url", &info.url, "--index", &index, "--model", &model, "--mode", "knn",
            "--json", "-k", "5", QUESTION,
        ]);
        assert_eq!(code, 0, "{err}");
        let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        let at = hits.iter().position(|h| h["id"] == "target");
        if chunk.is_some() {
            let p = &hits[0]["passage"];
            let (start, end) = (
                p["start"].as_u64().unwrap() as usize,
                p["end"].as_u64().unwrap() as usize,
            );
            assert!(start <= answer_at && end >= answer_at + 90, "{p}");
        }
        ranks.push(at);
        engine.delete_index(&index).await.unwrap();
    }
    assert_eq!(
        ranks[1],
        Some(0),
        "with chunking the target is first: {ranks:?}"
    );
    assert_eq!(
        ranks[0], None,
        "without chunking the answer is cut off: {ranks:?}"
    );
}
crate::both_engines!(answer_past_the_model_length);
