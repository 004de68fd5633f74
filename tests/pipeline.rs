//! The ingest pipeline's shape, against both real engines: a reader or embedder stage that dies
//! fails the job (the checkpoint stays unfinished), flags are validated before anything is read,
//! field flags apply to formats told by the extension, and state goes under $SEMBRIDGE_HOME.

use std::path::Path;
use std::sync::Arc;

use sembridge::corpus::{CorpusFormat, CorpusReader, Doc};
use sembridge::engines::{Engine, EngineInfo, IndexSpec};
use sembridge::error::{Error, Result};
use sembridge::exact::Store;
use sembridge::ingest::{DocSource, IngestOptions, VectorSource, checkpoint::Checkpoint};

use crate::support::{self, ModelKind};

/// The first `n` SciFact documents.
fn scifact_docs(n: usize) -> Vec<Result<Doc>> {
    CorpusReader::open(&support::scifact_corpus(), Some(CorpusFormat::Beir))
        .unwrap()
        .take(n)
        .collect()
}

/// Options for a small job into `index` with its checkpoint in `dir`: requests of 100 documents,
/// two in flight, so several are acknowledged before the stream ends.
fn options(index: &str, dir: &Path) -> IngestOptions {
    let mut o = IngestOptions::new(&support::scifact_corpus(), IndexSpec::new(index, 0));
    o.checkpoint = dir.join("ckpt.json");
    o.dead_letter = dir.join("dead.jsonl");
    o.batching.embed_chunk = 100;
    o.batching.bulk_docs = 100;
    o.batching.concurrency = 2;
    o
}

fn store() -> VectorSource {
    VectorSource::Store(Arc::new(
        Store::open(&support::scifact_store(ModelKind::Int8)).unwrap(),
    ))
}

async fn a_panicking_reader_fails_the_job(engine: &Engine, _info: &EngineInfo) {
    let index = support::unique_index("readerpanic");
    let dir = tempfile::tempdir().unwrap();
    // 700 good documents, then the stream's producer panics (a bug in a reader, say).
    let docs =
        scifact_docs(700)
            .into_iter()
            .chain(std::iter::from_fn(|| -> Option<Result<Doc>> {
                panic!("reader bug after 700 documents")
            }));
    let source = DocSource::Stream {
        name: "panicking stream".into(),
        docs: Box::new(docs),
    };
    let mut opts = options(&index, dir.path());
    let partial = dir.path().join("out.sbv");
    opts.store = Some(partial.clone());
    let err = sembridge::ingest::run(engine, source, store(), opts)
        .await
        .expect_err("a reader that died must fail the job, not end it as a success");
    assert!(
        !partial.exists(),
        "a store of part of the corpus must not be put in place"
    );
    assert!(
        matches!(
            &err,
            Error::StageFailed {
                stage: "reader",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("reader bug after 700"), "{err}");
    let ckpt = Checkpoint::load(&dir.path().join("ckpt.json"))
        .unwrap()
        .unwrap();
    assert!(
        !ckpt.finished,
        "the checkpoint must not say finished: {ckpt:?}"
    );
    assert!(ckpt.done <= 700, "{ckpt:?}");
    engine.refresh(&index).await.unwrap();
    // What is in the index is exactly what the checkpoint counts (a resume would send the rest).
    assert_eq!(engine.count(&index).await.unwrap(), ckpt.done);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(a_panicking_reader_fails_the_job);

async fn a_failing_embedder_fails_the_job(engine: &Engine, _info: &EngineInfo) {
    let index = support::unique_index("embedfail");
    let dir = tempfile::tempdir().unwrap();
    // Document 451 has no vector in the store: the embedding stage fails on its chunk.
    let mut docs = scifact_docs(900);
    if let Some(Ok(d)) = docs.get_mut(450) {
        d.id = "not-in-the-store".into();
    }
    let source = DocSource::Stream {
        name: "stream".into(),
        docs: Box::new(docs.into_iter()),
    };
    let err = sembridge::ingest::run(engine, source, store(), options(&index, dir.path()))
        .await
        .expect_err("a failed embedding must fail the job");
    assert!(
        matches!(&err, Error::Store { .. }) && err.to_string().contains("not-in-the-store"),
        "the store's own error, typed: {err}"
    );
    let ckpt = Checkpoint::load(&dir.path().join("ckpt.json")).unwrap();
    if let Some(c) = ckpt {
        assert!(!c.finished && c.done <= 400, "{c:?}");
    }
    let _ = engine.delete_index(&index).await;
}
crate::both_engines!(a_failing_embedder_fails_the_job);

/// `--resume --recreate` is refused by the parser: before the corpus is hashed or read, before
/// the cluster is asked anything (the URL here has no engine behind it).
#[test]
fn resume_with_recreate_is_refused_before_reading() {
    let corpus = support::scifact_corpus();
    for pair in [["--recreate"], ["--store"]] {
        let mut args = vec![
            "ingest",
            "--url",
            "http://127.0.0.1:9",
            "--index",
            "x",
            "--resume",
            "--corpus",
            corpus.to_str().unwrap(),
        ];
        args.push(pair[0]);
        if pair[0] == "--store" {
            args.push("/tmp/never-written.sbv");
        }
        let (code, _, err) = support::run_cli(&args);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("--resume")
                && err.contains(pair[0])
                && err.contains("cannot be used with"),
            "{err}"
        );
        assert!(!err.contains("cannot reach"), "nothing was sent: {err}");
    }
}

/// A CSV told by its extension, with its own column names: the field flags apply.
async fn field_flags_apply_to_a_detected_csv(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("csvfields");
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("articles.csv");
    std::fs::write(
        &corpus,
        "pid,headline,body,lang\n\
         p1,Statins,Statins lower cholesterol and the risk of heart disease.,en\n\
         p2,Vaccines,Vaccination trains the immune system against a pathogen.,en\n",
    )
    .unwrap();
    let model = support::int8_model();
    let (code, out, err) = support::run_cli(&[
        "ingest",
        "--url",
        &info.url,
        "--index",
        &index,
        "--json",
        "--quiet",
        "--corpus",
        corpus.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--checkpoint",
        dir.path().join("ckpt.json").to_str().unwrap(),
        "--id-field",
        "pid",
        "--text-field",
        "body",
        "--title-field",
        "headline",
    ]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["indexed"], 2, "{summary}");
    assert_eq!(engine.all_ids(&index).await.unwrap(), ["p1", "p2"]);
    let res = engine
        .bm25(&index, &Default::default(), "cholesterol", 1, &[])
        .await
        .unwrap();
    assert_eq!(res.hits[0].doc_id, "p1");
    assert_eq!(res.sources[0]["title"], "Statins");
    assert!(
        res.sources[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Statins lower")
    );
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(field_flags_apply_to_a_detected_csv);

/// Without --checkpoint / --dead-letter the state goes under $SEMBRIDGE_HOME/ingest (made when
/// missing; not next to the corpus, a folder the user meant only to read), and the summary says
/// where. Two documents the engine refuses (a `year` that is not a number) land in the default
/// dead-letter file.
#[test]
fn the_default_state_files_live_under_sembridge_home() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let corpus = data.path().join("corpus.jsonl");
    let lines: Vec<String> = scifact_docs(20)
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let d = d.unwrap();
            let year = match i {
                7 | 13 => serde_json::json!("not a number"),
                _ => serde_json::json!(2000 + i),
            };
            serde_json::json!({"_id": d.id, "title": d.title, "text": d.text, "metadata": {"year": year}})
                .to_string()
        })
        .collect();
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let index = support::unique_index("statehome");
    let url = support::engine_url(sembridge::engines::EngineKind::OpenSearch);
    let store = support::scifact_store(ModelKind::Int8);
    let (code, _, err) = support::run_cli_env(
        &[
            "ingest",
            "--url",
            &url,
            "--index",
            &index,
            "--corpus",
            corpus.to_str().unwrap(),
            "--vectors-from",
            store.to_str().unwrap(),
        ],
        &[(
            "SEMBRIDGE_HOME",
            home.path().join("fresh").to_str().unwrap(),
        )],
    );
    assert_eq!(code, 1, "two documents refused: exit 1\n{err}");
    let state = home.path().join("fresh").join("ingest");
    let line = err
        .lines()
        .find(|l| l.starts_with("checkpoint: "))
        .expect(&err);
    let path = Path::new(line.trim_start_matches("checkpoint: "));
    assert!(path.starts_with(&state), "{line}");
    let ckpt = Checkpoint::load(path).unwrap().expect("written");
    assert!(ckpt.finished && ckpt.done == 20, "{ckpt:?}");
    let line = err
        .lines()
        .find(|l| l.starts_with("refused documents and reasons: "))
        .expect(&err);
    let dead = Path::new(line.trim_start_matches("refused documents and reasons: "));
    assert!(dead.starts_with(&state), "{line}");
    assert_eq!(std::fs::read_to_string(dead).unwrap().lines().count(), 2);
    let beside: Vec<_> = std::fs::read_dir(data.path()).unwrap().collect();
    assert_eq!(
        beside.len(),
        1,
        "nothing written next to the corpus: {beside:?}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (engine, _) = support::connect(sembridge::engines::EngineKind::OpenSearch).await;
        engine.delete_index(&index).await.unwrap();
    });
}

/// A bad record before the resume point was reported by the run that passed it: `--resume`
/// neither reports nor counts it again (it used to, and so exited 1 on a clean continuation).
async fn a_resume_does_not_count_old_bad_records_again(engine: &Engine, info: &EngineInfo) {
    let index = support::unique_index("resumebad");
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let mut lines: Vec<String> = scifact_docs(300)
        .into_iter()
        .map(|d| {
            let d = d.unwrap();
            serde_json::json!({"_id": d.id, "title": d.title, "text": d.text}).to_string()
        })
        .collect();
    lines.insert(10, r#"{"_id": "no-text"}"#.into());
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let (code, summary, err) =
        support::ingest(&info.url, &index, &corpus, dir.path(), &["--limit", "100"]);
    assert_eq!(
        (code, &summary["skipped"]),
        (1, &serde_json::json!(1)),
        "{err}"
    );
    let (code, summary, err) =
        support::ingest(&info.url, &index, &corpus, dir.path(), &["--resume"]);
    assert_eq!(code, 0, "nothing new was skipped: exit 0\n{err}");
    assert_eq!(summary["resumed_from"], 100, "{summary}");
    assert_eq!(summary["skipped"], 0, "{summary}");
    assert_eq!(summary["indexed"], 200, "{summary}");
    assert_eq!(engine.count(&index).await.unwrap(), 300);
    engine.delete_index(&index).await.unwrap();
}
crate::both_engines!(a_resume_does_not_count_old_bad_records_again);
