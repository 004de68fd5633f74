//! Unit tests of [`super`] (schema.rs).

use super::*;

#[test]
fn boosts_parse_and_print() {
    assert_eq!(
        Boosted::parse("title^2").unwrap(),
        Boosted {
            field: "title".into(),
            boost: 2.0
        }
    );
    assert_eq!(Boosted::parse("text").unwrap().to_query_field(), "text");
    assert_eq!(
        Boosted::parse("title^2.5").unwrap().to_query_field(),
        "title^2.5"
    );
    for bad in [
        "title^",
        "title^x",
        "^2",
        "title^0",
        "title^-1",
        "title^inf",
    ] {
        assert!(Boosted::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn display_source_reads_each_layout() {
    let sb = Schema::default();
    let src = json!({"doc_id": "d1", "title": "T", "text": "body"});
    assert_eq!(
        sb.display_source(&src),
        json!({"title": "T", "text": "body"})
    );
    assert_eq!(sb.hit_id("other", &src), "d1");
    let lc = Schema::preset(SchemaPreset::Langchain, EngineKind::Elasticsearch);
    let src = json!({"text": "T body", "metadata": {"title": "T"}});
    assert_eq!(
        lc.display_source(&src),
        json!({"title": null, "text": "T body"})
    );
    let src = json!({"text": "body", "metadata": {"title": "T"}});
    assert_eq!(
        lc.display_source(&src),
        json!({"title": "T", "text": "body"})
    );
    assert_eq!(lc.hit_id("u1", &src), "u1");
    let hs = Schema::preset(SchemaPreset::Haystack, EngineKind::OpenSearch);
    assert_eq!(hs.hit_id("x", &json!({"id": "h1"})), "h1");
    assert_eq!(hs.metadata_key("title"), "title");
    assert!(hs.dynamic_templates().is_some());
    assert!(sb.dynamic_templates().is_none());
}
