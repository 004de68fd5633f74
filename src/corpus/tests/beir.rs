//! The shared BEIR collections (SciFact, Vaswani, the sbert example), their queries and qrels, and
//! the query and qrels readers' errors.

use super::*;

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
