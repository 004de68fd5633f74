//! Robustness: arbitrary bytes, as a file, through every reader. Proptest's case count comes from
//! PROPTEST_CASES (default 256); scripts/fuzz-readers.sh runs these (filter `corpus::tests::fuzz_`)
//! with many more.

use proptest::prelude::*;

use super::*;

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
