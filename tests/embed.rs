//! Parity of the Rust embedder with the published sentence-transformers results, with the real
//! models (fp32 reference export and the default int8 model), and batching invariance.

use std::sync::OnceLock;

use sembridge::embed::{EmbedOptions, Embedder};

use crate::support;

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn fp32() -> &'static Embedder {
    static E: OnceLock<Embedder> = OnceLock::new();
    E.get_or_init(|| {
        Embedder::load(&support::fp32_model(), EmbedOptions::default()).expect("fp32 model loads")
    })
}

fn lines(name: &str) -> Vec<String> {
    std::fs::read_to_string(support::dataset("sbert-example").join(name))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// expected.tsv rows: (query line, rank, corpus line, score), lines 1-based.
fn expected() -> Vec<(usize, usize, usize, f32)> {
    std::fs::read_to_string(support::dataset("sbert-example/expected.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Source of the reference: the sbert.net semantic search example as printed there (expected.tsv),
/// reproduced exactly by the fp32 export. Tolerance: the published 4 decimals (fp32) and 0.01 (int8
/// quantization error).
pub(crate) fn check_sbert_example(embedder: &Embedder, tolerance: f32) {
    let corpus = lines("corpus.txt");
    let queries = lines("queries.txt");
    let c = embedder
        .embed_documents(&corpus.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    let q = embedder
        .embed_queries(&queries.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    for (qi, rank, ci, score) in expected() {
        let mut scored: Vec<(usize, f32)> = c
            .iter()
            .enumerate()
            .map(|(i, v)| (i + 1, dot(&q[qi - 1], v)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        let (got_line, got_score) = scored[rank - 1];
        assert_eq!(
            got_line, ci,
            "query {qi} rank {rank}: expected corpus line {ci}, got {got_line}"
        );
        assert!(
            (got_score - score).abs() <= tolerance,
            "query {qi} rank {rank}: score {got_score:.5} vs published {score} (tolerance {tolerance})"
        );
    }
}

#[test]
fn sbert_example_fp32_matches_published_scores() {
    // 0.00005 = rounding of the 4 published decimals, plus f32 noise.
    check_sbert_example(fp32(), 0.0001);
}

// The sbert.net example for an int8 graph: tests/models.rs runs it on the former default
// (PyPI int8, within 0.01 of the published scores). The default graph (langchain4j int8,
// activations quantized over the batch: cosine >= 0.9879 from fp32 in issue 24's table) puts
// another document at query 3's rank 4 of that example and is checked instead
// against an independent onnxruntime computation (tests/models.rs, parity within 1e-4 cosine).

#[test]
fn vectors_are_unit_length_and_384_wide() {
    let v = fp32()
        .embed_documents(&["a short text", "another one"])
        .unwrap();
    assert_eq!(fp32().dims(), 384);
    for x in v {
        assert_eq!(x.len(), 384);
        assert!((dot(&x, &x) - 1.0).abs() < 1e-5);
    }
}

#[test]
fn same_vector_alone_and_in_short_and_long_batches() {
    let e = fp32();
    let text = "Neural networks are computing systems vaguely inspired by biological brains.";
    let alone = e.embed_documents(&[text]).unwrap().remove(0);
    let short: Vec<&str> = vec!["hi", text, "ok", "a cat", "mars"];
    let long_text = "word ".repeat(200);
    let long: Vec<&str> = vec![long_text.as_str(), text, long_text.as_str()];
    let in_short = e.embed_documents(&short).unwrap().remove(1);
    let in_long = e.embed_documents(&long).unwrap().remove(1);
    for other in [&in_short, &in_long] {
        let max_diff = alone
            .iter()
            .zip(other)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max_diff <= 1e-5, "max difference {max_diff}");
    }
}

#[test]
fn order_is_restored_across_windows_and_batches() {
    // Window of 3 and tiny budgets force many windows and batches; results must equal one-by-one.
    let opts = EmbedOptions {
        window: 3,
        token_budget: 40,
        max_batch: 2,
        ..EmbedOptions::default()
    };
    let e = Embedder::load(&support::fp32_model(), opts).unwrap();
    let texts: Vec<String> = (0..11)
        .map(|i| format!("text number {i} {}", "long ".repeat(i * 3)))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batched = e.embed_documents(&refs).unwrap();
    for (t, b) in refs.iter().zip(&batched) {
        let single = fp32().embed_documents(&[t]).unwrap().remove(0);
        assert!(dot(&single, b) > 0.99999, "vector of {t:?} moved");
    }
}

#[test]
fn truncation_at_max_seq_length_is_honoured() {
    let e = fp32();
    assert_eq!(e.config().max_seq_length, 256);
    let base = "alpha beta gamma delta ".repeat(100); // far beyond 256 tokens
    let longer = format!("{base} and a tail that must be cut off entirely");
    let lengths = e.token_lengths(&[base.clone(), longer.clone()]).unwrap();
    assert_eq!(lengths, vec![256, 256]);
    let v = e.embed_documents(&[&base, &longer]).unwrap();
    assert!(
        dot(&v[0], &v[1]) > 0.999999,
        "text past the limit changed the vector"
    );
}

#[test]
fn onnx_file_that_is_not_a_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::fp32_model().join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("model.onnx"), b"this is not an ONNX graph").unwrap();
    let err = Embedder::load(dir.path(), EmbedOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("model.onnx") && err.contains("ONNX Runtime cannot load it"),
        "{err}"
    );
}
