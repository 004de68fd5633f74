//! Generic JSONL and CSV/TSV corpora, format detection, and readers built from any `Read`.

use super::*;

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
