//! Readers against the shared BEIR collections, hand-made fixtures and arbitrary bytes.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::shard::fnv1a64;
use super::*;
use crate::error::Error;

fn datasets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(name)
}

/// Writes `bytes` to `name` in a fresh temporary folder (kept alive by the returned guard).
fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn read_all(path: &Path, format: Option<CorpusFormat>) -> (Vec<Doc>, Vec<Error>) {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for item in CorpusReader::open(path, format).unwrap() {
        match item {
            Ok(d) => docs.push(d),
            Err(e) => errors.push(e),
        }
    }
    (docs, errors)
}

/// (line, field) of a record error.
fn where_(e: &Error) -> (u64, Option<&str>) {
    match e {
        Error::Record { line, field, .. } => (*line, field.as_deref()),
        other => panic!("not a record error: {other}"),
    }
}

#[test]
fn scifact_corpus() {
    let path = datasets().join("scifact/corpus.jsonl");
    let (docs, errors) = read_all(&path, None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(docs.len(), 5183);
    let first = &docs[0];
    assert_eq!(first.id, "4983");
    assert_eq!(
        first.title,
        "Microstructural development of human newborn cerebral white matter assessed in vivo by \
         diffusion tensor magnetic resonance imaging."
    );
    assert_eq!(first.line, 1);
    assert!(
        first
            .text
            .starts_with("Alterations of the architecture of cerebral white matter")
    );
    assert_eq!(
        first.embed_text(),
        format!("{} {}", first.title, first.text).trim()
    );
    assert_eq!(docs[5182].line, 5183);
}

#[test]
fn vaswani_corpus_has_no_titles() {
    let (docs, errors) = read_all(&datasets().join("vaswani/corpus.jsonl"), None);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(docs.len(), 11429);
    assert_eq!(docs[0].id, "1");
    assert_eq!(docs[0].title, "");
    assert_eq!(docs[0].embed_text(), docs[0].text.trim());
    assert!(docs[0].embed_text().starts_with("compact memories"));
}

#[test]
fn scifact_fingerprint_matches_the_published_sha256() {
    let path = datasets().join("scifact/corpus.jsonl");
    assert_eq!(
        corpus_fingerprint(&path).unwrap(),
        "dec31c8182f3d744c7d2c09423756fd1d17cbef75808db13ba01cc0aab4d1ac6"
    );
    assert!(matches!(
        corpus_fingerprint(Path::new("-")),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        corpus_fingerprint(Path::new("/nonexistent/corpus.jsonl")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn queries_and_qrels() {
    let q = read_queries(&datasets().join("scifact/queries.jsonl")).unwrap();
    assert_eq!(q.len(), 1109);
    assert_eq!(q[0].id, "0");
    assert_eq!(
        q[0].text,
        "0-dimensional biomaterials lack inductive properties."
    );
    assert_eq!(
        read_queries(&datasets().join("vaswani/queries.jsonl"))
            .unwrap()
            .len(),
        93
    );

    let qrels = read_qrels(&datasets().join("scifact/qrels/test.tsv")).unwrap();
    assert_eq!(qrels.len(), 300);
    assert_eq!(qrels.values().map(|j| j.len()).sum::<usize>(), 339);
    assert_eq!(qrels["1"]["31715818"], 1);
    let train = read_qrels(&datasets().join("scifact/qrels/train.tsv")).unwrap();
    assert_eq!(train.len(), 809);
    assert_eq!(train.values().map(|j| j.len()).sum::<usize>(), 919);
    let vaswani = read_qrels(&datasets().join("vaswani/qrels/test.tsv")).unwrap();
    assert_eq!(vaswani.values().map(|j| j.len()).sum::<usize>(), 2083);
}

#[test]
fn sbert_example_text_corpus_and_queries() {
    let dir = datasets().join("sbert-example");
    let (docs, errors) = read_all(&dir.join("corpus.txt"), None);
    assert!(errors.is_empty());
    assert_eq!(docs.len(), 9);
    assert_eq!(docs[2].id, "3");
    assert!(
        docs[2]
            .text
            .starts_with("Neural networks are computing systems")
    );
    let q = read_queries(&dir.join("queries.txt")).unwrap();
    assert_eq!(q.len(), 3);
    assert_eq!(
        (q[0].id.as_str(), q[0].text.as_str()),
        ("1", "How do artificial neural networks work?")
    );
}

#[test]
fn bad_records_are_reported_per_line_and_reading_goes_on() {
    let path = fixture("bad_records.jsonl");
    let (docs, errors) = read_all(&path, None);
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["a", "42", "g"]);
    assert_eq!(docs.iter().map(|d| d.line).collect::<Vec<_>>(), [1, 8, 13]);
    let a = &docs[0];
    assert_eq!(a.title, "Title A");
    // The `metadata` object is merged; other fields are kept.
    assert_eq!(a.metadata["source"], "x");
    assert_eq!(a.metadata["year"], 2020);
    assert_eq!(a.metadata.len(), 2);
    // A null title is no title; text is kept as written, trimmed only for embedding.
    assert_eq!(docs[2].title, "");
    assert_eq!(docs[2].text, "  last good  ");
    assert_eq!(docs[2].embed_text(), "last good");

    let got: Vec<(u64, Option<&str>)> = errors.iter().map(where_).collect();
    assert_eq!(
        got,
        [
            (3, None),          // malformed JSON
            (4, Some("_id")),   // missing id
            (5, Some("text")),  // missing text
            (6, Some("text")),  // empty after trim
            (7, None),          // invalid UTF-8
            (9, None),          // an array, not an object
            (10, Some("_id")),  // boolean id
            (11, Some("text")), // number text
            (12, Some("_id")),  // empty id
        ]
    );
    let msg = errors[4].to_string();
    assert!(
        msg.contains("bad_records.jsonl:7:") && msg.contains("UTF-8"),
        "{msg}"
    );
    assert!(
        errors[1].to_string().contains("field `_id`: missing"),
        "{}",
        errors[1]
    );
}

#[test]
fn generic_jsonl_fields() {
    let (_d, path) = temp_file(
        "c.jsonl",
        b"\xEF\xBB\xBF{\"doc_id\": 7, \"body\": \"b\", \"heading\": \"h\", \"lang\": \"en\", \"_id\": \"x\"}\n",
    );
    let format = CorpusFormat::Jsonl {
        id_field: "doc_id".into(),
        text_field: "body".into(),
        title_field: Some("heading".into()),
    };
    let (docs, errors) = read_all(&path, Some(format));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!((docs[0].id.as_str(), docs[0].title.as_str()), ("7", "h"));
    assert_eq!(docs[0].embed_text(), "h b");
    assert_eq!(docs[0].metadata.len(), 2); // lang and _id
}

#[test]
fn csv_and_tsv() {
    let (_d, path) = temp_file(
        "c.csv",
        b"_id,title,text,lang\n1,T,\"quoted, with comma\nand newline\",en\n\n2,,plain,fr\n3,,,de\n4,x,y,z,extra\n",
    );
    let (docs, errors) = read_all(&path, None);
    assert_eq!(docs.len(), 2, "{errors:?}");
    assert_eq!(docs[0].text, "quoted, with comma\nand newline");
    assert_eq!(docs[0].metadata["lang"], "en");
    assert_eq!((docs[1].id.as_str(), docs[1].line), ("2", 5));
    let got: Vec<_> = errors.iter().map(where_).collect();
    assert_eq!(got, [(6, Some("text")), (7, None)]);

    // TSV: quotes are literal, invalid UTF-8 names its column.
    let (_d, path) = temp_file(
        "c.tsv",
        b"_id\ttext\n1\the said \"hi\n2\tfine\n3\tbad \xff byte\n",
    );
    let (docs, errors) = read_all(&path, None);
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].text, "he said \"hi");
    assert_eq!(
        errors.iter().map(where_).collect::<Vec<_>>(),
        [(4, Some("text"))]
    );

    // A header without the id column: one error, then the end.
    let (_d, path) = temp_file("c.csv", b"id,body\n1,x\n2,y\n");
    let (docs, errors) = read_all(&path, None);
    assert!(docs.is_empty());
    assert_eq!(
        errors.iter().map(where_).collect::<Vec<_>>(),
        [(1, Some("_id"))]
    );
}

#[test]
fn empty_and_blank_files_give_no_docs() {
    for name in ["e.jsonl", "e.csv", "e.tsv", "e.txt"] {
        let (_d, path) = temp_file(name, b"");
        let (docs, errors) = read_all(&path, None);
        assert!(docs.is_empty() && errors.is_empty(), "{name}");
        let (_d, path) = temp_file(name, b"\n  \n\r\n");
        let (docs, errors) = read_all(&path, None);
        assert!(docs.is_empty() && errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn json_array_file_gives_errors_per_line() {
    let (_d, path) = temp_file(
        "a.json",
        b"[\n  {\"_id\": \"1\", \"text\": \"x\"},\n  {\"_id\": \"2\", \"text\": \"y\"}\n]\n",
    );
    // Each line is read as JSONL: the last element, without its comma, is a valid record.
    let (docs, errors) = read_all(&path, None);
    assert_eq!(docs.len(), 1);
    assert_eq!(
        errors.iter().map(where_).collect::<Vec<_>>(),
        [(1, None), (2, None), (4, None)]
    );
    let (_d, path) = temp_file("a.json", b"[{\"_id\": \"1\", \"text\": \"x\"}]");
    let (_, errors) = read_all(&path, None);
    assert!(
        errors[0].to_string().contains("found an array"),
        "{}",
        errors[0]
    );
}

#[test]
fn very_long_line() {
    let text = "word ".repeat(2_000_000); // 10 MB
    let line = format!(
        "{{\"_id\": \"big\", \"text\": \"{text}\"}}\n{{\"_id\": \"next\", \"text\": \"t\"}}\n"
    );
    let (_d, path) = temp_file("big.jsonl", line.as_bytes());
    let (docs, errors) = read_all(&path, None);
    assert!(errors.is_empty());
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].text.len(), 10_000_000);
    assert_eq!(docs[1].line, 2);
}

#[test]
fn io_error_is_yielded_once_then_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<_> = CorpusReader::open(dir.path(), Some(CorpusFormat::Beir))
        .unwrap()
        .collect();
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Err(Error::Io { .. })));
    assert!(matches!(
        CorpusReader::open(Path::new("/nonexistent/c.jsonl"), None),
        Err(Error::Io { .. })
    ));
}

#[test]
fn format_detection() {
    let d = |p: &str| CorpusFormat::detect(Path::new(p));
    assert_eq!(d("a.jsonl").unwrap(), CorpusFormat::Beir);
    assert_eq!(d("A.JSON").unwrap(), CorpusFormat::Beir);
    assert_eq!(d("-").unwrap(), CorpusFormat::Beir);
    assert_eq!(d("a.csv").unwrap(), CorpusFormat::csv(b','));
    assert_eq!(d("a.tsv").unwrap(), CorpusFormat::csv(b'\t'));
    assert_eq!(d("a.txt").unwrap(), CorpusFormat::Text);
    let err = d("corpus.parquet").unwrap_err().to_string();
    assert!(err.contains("--format"), "{err}");
    assert!(d("noext").is_err());
}

#[test]
fn qrels_formats_and_errors() {
    let (_d, path) = temp_file("q.txt", b"1 0 d1 2\n1 0 d2 0\n2 Q0 d3 1\n\n");
    let q = read_qrels(&path).unwrap();
    assert_eq!(q["1"]["d1"], 2);
    assert_eq!(q["1"]["d2"], 0);
    assert_eq!(q["2"]["d3"], 1);
    // No header, duplicate pair: the last judgment wins.
    let (_d, path) = temp_file("q.tsv", b"1\td1\t1\n1\td1\t2\n");
    assert_eq!(read_qrels(&path).unwrap()["1"]["d1"], 2);

    let (_d, path) = temp_file(
        "q.tsv",
        b"query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\thigh\n",
    );
    let err = read_qrels(&path).unwrap_err();
    assert_eq!(where_(&err), (3, Some("score")));
    let (_d, path) = temp_file("q.tsv", b"1\td1\t1\nonly two\n");
    assert_eq!(where_(&read_qrels(&path).unwrap_err()), (2, None));
    let (_d, path) = temp_file("q.tsv", b"1\t\t1\n");
    assert_eq!(
        where_(&read_qrels(&path).unwrap_err()),
        (1, Some("corpus-id"))
    );
}

#[test]
fn query_errors() {
    let (_d, path) = temp_file(
        "q.jsonl",
        b"{\"_id\": 1, \"text\": \"a\"}\n{\"_id\": \"1\", \"text\": \"b\"}\n",
    );
    let err = read_queries(&path).unwrap_err();
    assert_eq!(where_(&err), (2, Some("_id")));
    assert!(err.to_string().contains("duplicate"));
    let (_d, path) = temp_file("q.jsonl", b"{\"_id\": \"1\"}\n");
    assert_eq!(where_(&read_queries(&path).unwrap_err()), (1, Some("text")));
    let (_d, path) = temp_file("q.tsv", b"query-id\ttext\nq1\tfirst\nq2\tsecond\n");
    let q = read_queries(&path).unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[1].id, "q2");
}

#[test]
fn shard_hash_is_fnv1a64() {
    // Published FNV-1a 64 test vectors.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    assert_eq!(shard_of("anything", 0), 0);
    assert_eq!(shard_of("anything", 1), 0);
}

#[test]
fn shards_partition_scifact_evenly() {
    let ids: Vec<String> = CorpusReader::open(&datasets().join("scifact/corpus.jsonl"), None)
        .unwrap()
        .map(|d| d.unwrap().id)
        .collect();
    for n in [2u32, 3, 4, 8] {
        let mut counts = vec![0usize; n as usize];
        for id in &ids {
            let s = shard_of(id, n);
            assert!(s < n);
            assert_eq!(s, shard_of(id, n), "deterministic");
            counts[s as usize] += 1;
        }
        assert_eq!(counts.iter().sum::<usize>(), ids.len());
        let fair = ids.len() as f64 / f64::from(n);
        for c in &counts {
            assert!((*c as f64 - fair).abs() < 0.1 * fair, "n={n}: {counts:?}");
        }
    }
}

#[test]
fn reader_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<CorpusReader>();
}

#[test]
fn from_reader_names_the_source() {
    let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(b"{}\n".to_vec()));
    let mut reader = CorpusReader::from_reader(Path::new("<stdin>"), input, CorpusFormat::Beir);
    let err = reader.next().unwrap().unwrap_err();
    assert!(
        err.to_string().starts_with("<stdin>:1: field `_id`"),
        "{err}"
    );
    assert!(reader.next().is_none());
}

// Robustness: arbitrary bytes, as a file, through every reader. Proptest's case count comes from
// PROPTEST_CASES (default 256); scripts/fuzz-readers.sh runs these with many more.

/// Bytes that are often almost valid: fragments of JSON, CSV and qrels lines mixed with noise.
fn arb_input() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..40),
        Just(b"{\"_id\": \"1\", \"text\": \"x\"}\n".to_vec()),
        Just(b"{\"_id\": 1e400, \"text\": \"x\", \"title\": [1]}\n".to_vec()),
        Just(b"{\"metadata\": {\"metadata\": 1}, \"_id\": -0.0, \"text\": \"\\ud800\"}\n".to_vec()),
        Just(b"_id,text,title\n".to_vec()),
        Just(b"\"a,\"\"b\",c\r\n".to_vec()),
        Just(b"q1\td1\t1\n".to_vec()),
        Just(b"q 0 d 3\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
        Just(b"\t\t\n\r\n\n".to_vec()),
        Just(vec![0xff, 0xfe, 0x00, b'\n']),
    ];
    prop::collection::vec(fragment, 0..12).prop_map(|v| v.concat())
}

fn formats() -> Vec<CorpusFormat> {
    vec![
        CorpusFormat::Beir,
        CorpusFormat::Jsonl {
            id_field: "id".into(),
            text_field: "text".into(),
            title_field: None,
        },
        CorpusFormat::csv(b','),
        CorpusFormat::csv(b'\t'),
        CorpusFormat::Csv {
            delimiter: b';',
            id_field: "_id".into(),
            text_field: "_id".into(),
            title_field: Some("_id".into()),
        },
        CorpusFormat::Text,
    ]
}

fn check_reader_on(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (_dir, path) = temp_file("input", bytes);
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    for format in formats() {
        let mut items = 0u64;
        for item in CorpusReader::open(&path, Some(format.clone())).unwrap() {
            items += 1;
            prop_assert!(items <= lines, "more items than lines");
            match item {
                Ok(doc) => {
                    prop_assert!(!doc.id.trim().is_empty());
                    prop_assert!(!doc.text.trim().is_empty());
                    prop_assert!(doc.line >= 1 && doc.line <= lines);
                }
                Err(Error::Record { line, .. }) => prop_assert!(line <= lines),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
    let _ = read_qrels(&path);
    let (_dir2, qpath) = temp_file("q.jsonl", bytes);
    let _ = read_queries(&qpath);
    Ok(())
}

proptest! {
    #[test]
    fn fuzz_readers_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_reader_on(&bytes)?;
    }

    #[test]
    fn fuzz_readers_near_valid_input(bytes in arb_input()) {
        check_reader_on(&bytes)?;
    }
}

#[test]
fn temp_file_helper_writes_bytes() {
    let (_d, path) = temp_file("x", b"abc");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"d").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"abcd");
}
