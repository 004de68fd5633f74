//! Chunking with the real default model: passages cut on the tokenizer's boundaries map back to
//! the text, and a sentence past the model's 256 tokens is found only with chunking on.

use sembridge::corpus::Doc;
use sembridge::corpus::chunk::ChunkOptions;

use crate::support;

/// Filler: the texts of SciFact documents, so the target's first 256 tokens are real biomedical
/// prose about something else.
pub(crate) fn filler(words: usize) -> String {
    let mut out = Vec::new();
    for d in sembridge::corpus::CorpusReader::open(&support::scifact_corpus(), None).unwrap() {
        out.extend(
            d.unwrap()
                .text
                .split_whitespace()
                .map(str::to_owned)
                .take(120),
        );
        if out.len() >= words {
            break;
        }
    }
    out.truncate(words);
    out.join(" ")
}

/// The answer: a short closing section on another subject than the filler before it.
pub(crate) const ANSWER: &str = "The lighthouse keeper of Vlieland feeds seventeen grey seals with herring \
                      every Tuesday at dawn. The seals wait on the sand bank below the lighthouse. \
                      The keeper counts the seals and writes their number in the lighthouse log. \
                      Fishermen of the island bring the herring for the seals. In winter the keeper \
                      feeds the grey seals twice a week, and visitors of Vlieland come to the \
                      lighthouse to watch the seals being fed. The keeper has fed the seals of \
                      Vlieland for twenty years.";
/// A query on that sentence.
pub(crate) const QUESTION: &str =
    "lighthouse keeper of Vlieland feeds seventeen grey seals with herring every Tuesday at dawn";

#[test]
fn passages_map_back_to_the_text_and_fit_the_model() {
    let e = support::int8_embedder();
    let text = format!("{} {ANSWER} Ünïcödé tail — with “quotes”.", filler(600));
    let doc = Doc {
        id: "long#1".into(),
        title: "A title".into(),
        text: text.clone(),
        ..Doc::default()
    };
    let opts = ChunkOptions::new(256, 64, e.config().max_seq_length).unwrap();
    let passages = e.passages(&[&doc], &opts).unwrap().remove(0);
    assert!(passages.len() >= 3, "{} passages", passages.len());
    let chars: Vec<char> = text.chars().collect();
    assert_eq!(passages[0].start, 0);
    assert_eq!(passages.last().unwrap().end, chars.len());
    for (i, p) in passages.iter().enumerate() {
        assert_eq!((p.index, p.id()), (i, format!("long#1#{i}")));
        let slice: String = chars[p.start..p.end].iter().collect();
        assert_eq!(p.text, format!("A title {slice}"));
    }
    for pair in passages.windows(2) {
        assert!(pair[1].start < pair[0].end, "consecutive windows overlap");
    }
    let lengths = e
        .count_tokens(&passages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>())
        .unwrap();
    // A window that starts or ends inside a word re-tokenizes to a token or two more (the model's
    // truncation then drops them); it never holds fewer than the window minus the title.
    assert!(
        lengths.iter().all(|&n| (240..=258).contains(&n)),
        "{lengths:?}"
    );
    // A document that fits is one passage whose text is exactly what is embedded unchunked.
    let short = Doc {
        id: "s".into(),
        title: "T".into(),
        text: " short text ".into(),
        ..Doc::default()
    };
    let p = e.passages(&[&short], &opts).unwrap().remove(0);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].text, short.embed_text());
}

/// Rank (from 1) of `id` for `QUESTION` in `store`, and the hit's passage offsets.
fn rank_of(store: &std::path::Path, id: &str) -> (Option<usize>, serde_json::Value) {
    let (code, out, err) = support::run_cli(&[
        "exact",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "-k",
        "20",
        QUESTION,
    ]);
    assert_eq!(code, 0, "{err}");
    let hits: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let pos = hits.iter().position(|h| h["id"] == id);
    (
        pos.map(|p| p + 1),
        pos.map(|p| hits[p]["passage"].clone()).unwrap_or_default(),
    )
}

#[test]
fn an_answer_after_token_256_is_found_only_with_chunking() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let mut lines: Vec<String> =
        sembridge::corpus::CorpusReader::open(&support::scifact_corpus(), None)
            .unwrap()
            .skip(100)
            .take(40)
            .map(|d| {
                let d = d.unwrap();
                serde_json::json!({"_id": d.id, "title": d.title, "text": d.text}).to_string()
            })
            .collect();
    let before = filler(260);
    let text = format!("{before} {ANSWER}");
    let answer_at = text.chars().count() - ANSWER.chars().count();
    lines.push(serde_json::json!({"_id": "target", "title": "", "text": text}).to_string());
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    let tokens = support::int8_embedder().count_tokens(&[&before]).unwrap()[0];
    assert!(
        tokens > 300,
        "the answer starts after token {tokens}, past the model's 256"
    );

    let embed = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "embed",
            "--input",
            corpus.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let (code, _, err) = support::run_cli(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let truncated = embed("off.sbv", &[]);
    let (off, _) = rank_of(&truncated, "target");
    assert!(
        off.is_none_or(|r| r > 5),
        "without chunking the answer is cut off, yet the target ranks {off:?}"
    );
    for (n, m) in [("256", "64"), ("128", "32")] {
        let chunked = embed(
            &format!("on-{n}.sbv"),
            &["--chunk-tokens", n, "--chunk-overlap", m],
        );
        let (on, passage) = rank_of(&chunked, "target");
        assert_eq!(on, Some(1), "with --chunk-tokens {n} the target is first");
        // The matched passage holds the answer's first sentence.
        let (start, end) = (
            passage["start"].as_u64().unwrap() as usize,
            passage["end"].as_u64().unwrap() as usize,
        );
        assert!(start <= answer_at && end >= answer_at + 90, "{passage}");
    }
}

#[test]
fn ingest_refuses_chunk_flags_that_contradict_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = |name: &str, chunked: bool| {
        let path = dir.path().join(name);
        let mut w = sembridge::exact::StoreWriter::create(&path, 2, serde_json::json!({})).unwrap();
        w.push(if chunked { "a#0" } else { "a" }, &[1.0, 0.0])
            .unwrap();
        if chunked {
            w.meta_mut()["chunking"] = serde_json::json!({"tokens": 256, "overlap": 64});
            w.meta_mut()["passages"] = serde_json::json!([[0, 5]]);
        }
        w.finish().unwrap();
        path
    };
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(&corpus, r#"{"_id": "a", "title": "", "text": "hello"}"#).unwrap();
    // The store is checked before any connection: no engine needed (the port is closed).
    for (store, flags, says) in [
        (
            store("p.sbv", true),
            ["128", "32"],
            "passages of 256 overlapping by 64",
        ),
        (
            store("d.sbv", false),
            ["256", "64"],
            "one vector per document",
        ),
    ] {
        let (code, _, err) = support::run_cli(&[
            "ingest",
            "--url",
            "http://127.0.0.1:9",
            "--index",
            "x",
            "--corpus",
            corpus.to_str().unwrap(),
            "--vectors-from",
            store.to_str().unwrap(),
            "--chunk-tokens",
            flags[0],
            "--chunk-overlap",
            flags[1],
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("--chunk-tokens") && err.contains(says),
            "{err}"
        );
    }
}

#[test]
fn chunking_flag_errors_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(&corpus, r#"{"_id": "a", "title": "", "text": "hello"}"#).unwrap();
    let out = dir.path().join("o.sbv");
    for (extra, flag) in [
        (
            ["--chunk-tokens", "512", "--chunk-overlap", "0"],
            "--chunk-tokens",
        ),
        (
            ["--chunk-tokens", "256", "--chunk-overlap", "200"],
            "--chunk-overlap",
        ),
    ] {
        let mut args = vec![
            "embed",
            "--input",
            corpus.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let (code, _, err) = support::run_cli(&args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("invalid {flag}")), "{err}");
    }
}
