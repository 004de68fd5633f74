//! The pool of embedding workers changes where batches run, never what comes out: vectors and
//! stores are the same bytes for one worker and for several (documents, queries, passage stores,
//! window boundaries), and the default layout counts only the cores the process may use.

use sembridge::embed::{EmbedOptions, Embedder};

use crate::support;

fn texts(n: usize) -> Vec<String> {
    let corpus = std::fs::read_to_string(support::scifact_corpus()).unwrap();
    corpus
        .lines()
        .take(n)
        .map(|l| {
            let d: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                d["title"].as_str().unwrap(),
                d["text"].as_str().unwrap()
            )
        })
        .collect()
}

fn load(workers: usize, window: usize) -> Embedder {
    Embedder::load(
        &support::int8_model(),
        EmbedOptions {
            workers,
            threads: 1,
            window,
            ..EmbedOptions::default()
        },
    )
    .expect("default model (run scripts/setup.sh)")
}

#[test]
fn vectors_are_identical_for_one_and_three_workers_across_windows() {
    let texts = texts(240);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // windows of 100: three windows, the last one partial, each cut in batches of varied length
    let one = load(1, 100);
    let three = load(3, 100);
    assert_eq!(three.layout().workers, 3);
    assert_eq!(three.layout().threads, 1);
    let a = one.embed_documents(&refs).unwrap();
    let b = three.embed_documents(&refs).unwrap();
    assert_eq!(a.len(), 240);
    assert!(a.iter().all(|v| v.len() == 384));
    assert_eq!(a, b, "vectors differ between 1 and 3 workers");
    let q1 = one.embed_queries(&refs[..7]).unwrap();
    let q3 = three.embed_queries(&refs[..7]).unwrap();
    assert_eq!(q1, q3);
    // and a vector is the same alone as in the crowd
    assert_eq!(three.embed_documents(&refs[123..124]).unwrap()[0], a[123]);
}

/// `sembridge embed` with `--embed-workers 1` and `2` (one thread each) into two stores.
fn embed_twice(extra: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::serve::scifact_head(dir.path(), 300);
    let model = support::int8_model();
    let mut stores = Vec::new();
    for workers in ["1", "2"] {
        let out = dir.path().join(format!("w{workers}.sbv"));
        let mut args = vec![
            "embed",
            "--model",
            model.to_str().unwrap(),
            "--input",
            corpus.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--embed-workers",
            workers,
            "--threads",
            "1",
            // several calls into the embedder, the last one short
            "--chunk",
            "128",
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = support::run_cli(&args);
        assert_eq!(code, 0, "{err}");
        let layout = if workers == "1" {
            "(1 worker x 1 thread)"
        } else {
            "(2 workers x 1 thread)"
        };
        assert!(err.contains(layout), "{err}");
        stores.push(std::fs::read(&out).unwrap());
    }
    let b = stores.pop().unwrap();
    (stores.pop().unwrap(), b)
}

#[test]
fn embed_store_is_byte_identical_for_one_and_two_workers() {
    let (one, two) = embed_twice(&[]);
    assert!(one.len() > 300 * 384 * 4, "{} bytes", one.len());
    assert!(one == two, "the stores differ");
}

#[test]
fn passage_store_is_byte_identical_for_one_and_two_workers() {
    let (one, two) = embed_twice(&["--chunk-tokens", "64"]);
    // more passages than documents: each long abstract is cut in several
    assert!(one.len() > 600 * 384 * 4, "{} bytes", one.len());
    assert!(one == two, "the passage stores differ");
}

/// The default layout follows the CPU affinity mask: pinned to one core, one worker of one
/// thread, whatever the machine has.
#[test]
fn default_layout_counts_the_cores_the_process_may_use() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = crate::serve::scifact_head(dir.path(), 5);
    let out = dir.path().join("x.sbv");
    let model = support::int8_model();
    let status = std::process::Command::new("taskset")
        .args(["-c", "0", support::bin(), "embed", "--model"])
        .arg(&model)
        .arg("--input")
        .arg(&corpus)
        .arg("--output")
        .arg(&out)
        .env_remove("SEMBRIDGE_LOG")
        .output();
    let Ok(output) = status else {
        eprintln!("skipped: no taskset");
        return;
    };
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("(1 worker x 1 thread)"), "{err}");
}
