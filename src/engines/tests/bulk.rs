//! Unit tests of [`super`] (bulk.rs).

use super::*;

#[test]
fn ndjson_has_action_and_source_lines() {
    let doc = BulkDoc {
        id: "d1".into(),
        title: "T".into(),
        text: "x".into(),
        metadata: Default::default(),
        vector: vec![0.5, 1.0].into(),
    };
    let text = String::from_utf8(doc.to_ndjson("idx", &Schema::default())).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["index"]["_id"], "d1");
    assert_eq!(lines[0]["index"]["_index"], "idx");
    assert_eq!(lines[1]["embedding"][1], 1.0);
    assert!(text.ends_with('\n'));
    let fields: Vec<&str> = lines[1]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["doc_id", "embedding", "text", "title"],
        "no metadata key when there is none"
    );
    // Serverless: no `_id` in the action; the source (with doc_id) is the same line.
    let auto = String::from_utf8(doc.to_ndjson_without_id("idx", &Schema::default())).unwrap();
    let (action, source) = auto.trim_end().split_once('\n').unwrap();
    assert_eq!(action, r#"{"index":{"_index":"idx"}}"#);
    assert_eq!(source, text.lines().nth(1).unwrap());
}

fn source_of(doc: &BulkDoc, schema: &Schema) -> Value {
    let text = String::from_utf8(doc.to_ndjson("i", schema)).unwrap();
    serde_json::from_str(text.lines().nth(1).unwrap()).unwrap()
}

#[test]
fn each_preset_writes_its_layout() {
    use crate::engines::EngineKind;
    use crate::engines::layout::schema::SchemaPreset;
    let mut metadata = serde_json::Map::new();
    metadata.insert("lang".into(), json!("en"));
    let doc = BulkDoc {
        id: "d1".into(),
        title: "Title".into(),
        text: "body".into(),
        metadata,
        vector: vec![1.0].into(),
    };
    let lc = Schema::preset(SchemaPreset::Langchain, EngineKind::OpenSearch);
    assert_eq!(
        source_of(&doc, &lc),
        json!({"text": "Title body", "vector_field": [1.0], "metadata": {"title": "Title", "lang": "en"}})
    );
    let hs = Schema::preset(SchemaPreset::Haystack, EngineKind::Elasticsearch);
    assert_eq!(
        source_of(&doc, &hs),
        json!({"id": "d1", "content": "Title body", "embedding": [1.0], "title": "Title", "lang": "en"})
    );
    let untitled = BulkDoc {
        title: String::new(),
        metadata: Default::default(),
        ..doc
    };
    assert_eq!(
        source_of(&untitled, &lc),
        json!({"text": "body", "vector_field": [1.0]})
    );
}

#[test]
fn vectors_are_written_as_f32_and_read_back_exactly() {
    let vector: Vec<f32> = vec![0.1, -0.123_456_78, 1e-7, 3.402_823_5e38];
    let mut metadata = serde_json::Map::new();
    metadata.insert("lang".into(), json!("en"));
    let doc = BulkDoc {
        id: "d".into(),
        title: String::new(),
        text: String::new(),
        metadata,
        vector: vector.clone().into(),
    };
    let text = String::from_utf8(doc.to_ndjson("i", &Schema::default())).unwrap();
    assert!(text.contains("[0.1,"), "shortest f32 digits: {text}");
    let source: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let back: Vec<f32> = source["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(back, vector, "the same floats after a round trip");
    assert_eq!(source["metadata"]["lang"], "en");
}

#[test]
fn items_sorted_into_done_transient_permanent() {
    let body = json!({"errors": true, "items": [
        {"index": {"_id": "a", "status": 201}},
        {"index": {"_id": "b", "status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}},
        {"index": {"_id": "c", "status": 400, "error": {"type": "document_parsing_exception", "reason": "failed to parse field [metadata.year]", "caused_by": {"type": "number_format_exception", "reason": "For input string: \"abc\""}}}}
    ]});
    let out = parse_bulk_response(&body, 3).unwrap();
    assert_eq!(out[0], ItemOutcome::Done);
    assert!(
        matches!(&out[1], ItemOutcome::Transient { status: 429, reason } if reason.contains("queue full"))
    );
    assert!(
        matches!(&out[2], ItemOutcome::Permanent { status: 400, reason } if reason.contains("metadata.year") && reason.contains("number_format_exception"))
    );
    assert!(parse_bulk_response(&body, 4).is_err());
}

#[test]
fn passages_are_written_nested_with_their_offsets() {
    let schema = Schema::default().with_passages(true);
    let mut doc = BulkDoc {
        id: "d1".into(),
        title: "T".into(),
        text: "héllo world".into(),
        metadata: Default::default(),
        vector: DocVectors::Passages(vec![
            PassageVector {
                vector: vec![0.5, 1.0],
                start: 0,
                end: 5,
            },
            PassageVector {
                vector: vec![1.0, 0.0],
                start: 3,
                end: 11,
            },
        ]),
    };
    let source = |d: &BulkDoc| -> Value {
        let nd = String::from_utf8(d.to_ndjson("i", &schema)).unwrap();
        serde_json::from_str(nd.lines().nth(1).unwrap()).unwrap()
    };
    let s = source(&doc);
    assert_eq!(
        s["passages"],
        json!([
            {"embedding": [0.5, 1.0], "start": 0, "end": 5},
            {"embedding": [1.0, 0.0], "start": 3, "end": 11}
        ])
    );
    assert!(s.get("embedding").is_none());
    assert_eq!(s["text"], "héllo world");
    // One vector under a passages schema: one passage over the whole text (in characters).
    doc.vector = vec![0.25, 0.75].into();
    assert_eq!(
        source(&doc)["passages"],
        json!([{"embedding": [0.25, 0.75], "start": 0, "end": 11}])
    );
}

#[test]
fn passage_offsets_point_into_the_text_as_stored() {
    // A schema without a title field stores `title text`: offsets move by the title.
    let schema = Schema::preset(
        crate::engines::SchemaPreset::Langchain,
        crate::engines::EngineKind::OpenSearch,
    )
    .with_passages(true);
    let doc = BulkDoc {
        id: "d1".into(),
        title: "Tïtle".into(),
        text: "héllo world".into(),
        metadata: Default::default(),
        vector: DocVectors::Passages(vec![PassageVector {
            vector: vec![1.0],
            start: 6,
            end: 11,
        }]),
    };
    let nd = String::from_utf8(doc.to_ndjson("i", &schema)).unwrap();
    let s: Value = serde_json::from_str(nd.lines().nth(1).unwrap()).unwrap();
    let stored: Vec<char> = s["text"].as_str().unwrap().chars().collect();
    let p = &s["passages"][0];
    let (start, end) = (
        p["start"].as_u64().unwrap() as usize,
        p["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(stored[start..end].iter().collect::<String>(), "world");
}
