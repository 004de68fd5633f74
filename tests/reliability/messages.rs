//! Issue 16: every error says what the user gave, once. Each bad input of the CLI (the path flags
//! of every command and an I/O error here, the whole-run refusals of `bad_inputs`) exits 2 with
//! one message that names the flag or path as typed, repeats no clause and names no temporary
//! file.

use std::path::Path;

use super::{os_url, store};
use crate::support;

/// A temporary folder whose name holds no `.tmp` (tempfile's default prefix), so that a `.tmp` in
/// a message can only be a temporary file sembridge named.
pub(super) fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sembridge-msg")
        .tempdir()
        .unwrap()
}

/// Assert that `stderr` of a run that exited `code` ends in one clear error: exit 2; its last
/// `sembridge: ` line names each of `names`; no clause (text between `: `) and no sentence
/// (between `; ` or `. `) appears twice; no `.tmp` file is named. Returns that line.
pub(super) fn assert_clear_error(what: &str, code: i32, stderr: &str, names: &[&str]) -> String {
    assert_eq!(code, 2, "{what}: exit 2 expected\n{stderr}");
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("sembridge: "))
        .unwrap_or_else(|| panic!("{what}: no `sembridge: ` line\n{stderr}"));
    for n in names {
        assert!(line.contains(n), "{what}: should name `{n}`: {line}");
    }
    for sep in [": ", "; ", ". "] {
        let parts: Vec<&str> = line.split(sep).map(str::trim).collect();
        for (i, p) in parts.iter().enumerate() {
            assert!(
                !parts[i + 1..].contains(p),
                "{what}: `{p}` is said twice: {line}"
            );
        }
    }
    assert!(
        !line.contains(".tmp"),
        "{what}: names a temporary file: {line}"
    );
    line.to_owned()
}

/// The path flags of every command, each refused up front with the flag and the path as typed.
#[test]
fn every_path_flag_is_checked_up_front_and_named() {
    let dir = tempdir();
    let d = dir.path();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let missing = s(&d.join("nonexist.jsonl"));
    let no_dir_out = "/nonexistent-dir/x.sbv".to_owned();
    let folder = s(d);
    let datasets = support::dataset("scifact");
    let queries = s(&datasets.join("queries.jsonl"));
    let qrels = s(&datasets.join("qrels/test.tsv"));
    let corpus = s(&datasets.join("corpus.jsonl"));
    let store = s(&store());
    let out = s(&d.join("x.sbv"));
    let odd = s(&d.join("corpus.weird"));
    std::fs::write(&odd, "{}\n").unwrap();
    // A file that exists but cannot be read (EIO): an I/O error after every up-front check.
    let unreadable = s(&d.join("mem.jsonl"));
    std::os::unix::fs::symlink("/proc/self/mem", &unreadable).unwrap();
    let url = os_url();
    let eval = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![
            "eval",
            "--url",
            &url,
            "--index",
            "never",
            "--queries",
            &queries,
        ];
        if !extra.contains(&"--qrels") {
            a.extend(["--qrels", &qrels]);
        }
        a.extend(extra);
        a.into_iter().map(str::to_owned).collect()
    };
    let ingest = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![
            "ingest", "--url", &url, "--index", "never", "--corpus", &corpus,
        ];
        a.extend(extra);
        a.into_iter().map(str::to_owned).collect()
    };
    let v = |a: &[&str]| -> Vec<String> { a.iter().map(|s| s.to_string()).collect() };
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        // The four of the issue.
        (
            "embed, missing --input",
            v(&["embed", "--input", &missing, "--output", &out]),
            vec!["--input", &missing],
        ),
        (
            "embed, an I/O error reading --input",
            v(&["embed", "--input", &unreadable, "--output", &out]),
            vec![&unreadable, "os error"],
        ),
        (
            "eval, an I/O error reading --queries",
            v(&[
                "eval",
                "--index",
                "i",
                "--queries",
                &unreadable,
                "--qrels",
                &qrels,
            ]),
            vec![&unreadable, "os error"],
        ),
        (
            "embed, --output in a missing folder",
            v(&["embed", "--input", &corpus, "--output", &no_dir_out]),
            vec!["--output", &no_dir_out, "/nonexistent-dir does not exist"],
        ),
        (
            "eval, missing --qrels",
            eval(&["--qrels", "/nonexistent"]),
            vec!["--qrels", "/nonexistent"],
        ),
        (
            "exact, missing --corpus",
            v(&["exact", "--store", &store, "--corpus", &missing, "q"]),
            vec!["--corpus", &missing],
        ),
        // Every other path flag.
        (
            "embed, --input a folder",
            v(&["embed", "--input", &folder, "--output", &out]),
            vec!["--input", &folder, "folder"],
        ),
        (
            "embed, --output a folder",
            v(&["embed", "--input", &corpus, "--output", &folder]),
            vec!["--output", &folder, "folder"],
        ),
        (
            "embed, --input of unknown format",
            v(&["embed", "--input", &odd, "--output", &out]),
            vec!["--input", &odd, ".jsonl"],
        ),
        (
            "embed, missing --model",
            v(&[
                "embed", "--input", &corpus, "--output", &out, "--model", &missing,
            ]),
            vec!["--model", &missing],
        ),
        (
            "eval, missing --queries",
            v(&[
                "eval",
                "--index",
                "i",
                "--queries",
                &missing,
                "--qrels",
                &qrels,
            ]),
            vec!["--queries", &missing],
        ),
        (
            "eval, --store a folder",
            eval(&["--store", &folder]),
            vec!["--store", &folder],
        ),
        (
            "eval, --plot in a missing folder",
            eval(&["--store", &store, "--sweep", "10", "--plot", &no_dir_out]),
            vec!["--plot", &no_dir_out],
        ),
        (
            "exact, missing --store",
            v(&["exact", "--store", &missing, "q"]),
            vec!["--store", &missing],
        ),
        (
            "exact, --corpus of unknown format",
            v(&["exact", "--store", &store, "--corpus", &odd, "q"]),
            vec!["--corpus", &odd],
        ),
        (
            "exact, --store not a store",
            v(&["exact", "--store", &corpus, "q"]),
            vec!["vector store", &corpus],
        ),
        (
            "ingest, missing --vectors-from",
            ingest(&["--vectors-from", &missing]),
            vec!["--vectors-from", &missing],
        ),
        (
            "ingest, --checkpoint in a missing folder",
            ingest(&["--checkpoint", &no_dir_out]),
            vec!["--checkpoint", &no_dir_out],
        ),
        (
            "ingest, --dead-letter in a missing folder",
            ingest(&["--dead-letter", &no_dir_out]),
            vec!["--dead-letter", &no_dir_out],
        ),
        (
            "ingest, --store in a missing folder",
            ingest(&["--store", &no_dir_out]),
            vec!["--store", &no_dir_out],
        ),
        (
            "query, missing --ca-cert",
            v(&[
                "query",
                "--url",
                &url,
                "--index",
                "x",
                "--ca-cert",
                &missing,
                "q",
            ]),
            vec!["--ca-cert", &missing],
        ),
    ];
    for (what, args, names) in &cases {
        let (code, _, err) = support::run_cli_env(args, &[]);
        let line = assert_clear_error(what, code, &err, names);
        println!("{what}: {line}");
    }
    assert!(!d.join("x.sbv").exists() && !Path::new(&no_dir_out).exists());
}

/// `exact` shows the columns it has: rank, id, score from the store alone; the text column (and
/// JSON title/text) only when `--corpus` says where the texts are.
#[test]
fn exact_shows_texts_only_from_a_corpus() {
    let store = store();
    let corpus = support::scifact_corpus();
    let base = [
        "exact",
        "--store",
        store.to_str().unwrap(),
        "cells and proteins",
        "-k",
        "3",
    ];
    let (code, out, err) = support::run_cli(&base);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines[1].contains("text"), "{out}");
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines.iter().all(|l| l == &l.trim_end()), "{out:?}");

    let mut with_corpus = base.to_vec();
    with_corpus.extend(["--corpus", corpus.to_str().unwrap()]);
    let (code, out, err) = support::run_cli(&with_corpus);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().nth(1).unwrap().ends_with("text"), "{out}");
    for row in out.lines().skip(2) {
        // rank, id, score, then at least a few words of title/text.
        assert!(row.split_whitespace().count() > 5, "empty text: {out}");
    }

    with_corpus.push("--json");
    let (code, out, err) = support::run_cli(&with_corpus);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(rows[0]["text"].as_str().is_some_and(|t| !t.is_empty()));
    let mut plain_json = base.to_vec();
    plain_json.push("--json");
    let (_, out, _) = support::run_cli(&plain_json);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        rows[0].get("text").is_none() && rows[0]["id"].is_string(),
        "{rows}"
    );
}
