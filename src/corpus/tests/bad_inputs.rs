//! Bad records are reported per line and reading goes on; empty, JSON-array, very long and
//! unreadable inputs.

use super::*;

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
