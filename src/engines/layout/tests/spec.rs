//! Unit tests of [`super`] (spec.rs).

use super::*;
use crate::engines::{elasticsearch as es, opensearch as os};

#[test]
fn each_engine_reads_back_the_similarity_it_writes() {
    use crate::engines::EngineKind;
    use crate::engines::layout::schema::SchemaPreset;
    let mut spec = IndexSpec::new("x", 8);
    for preset in SchemaPreset::ALL {
        for s in Similarity::ALL {
            spec.similarity = s;
            spec.schema = Schema::preset(preset, EngineKind::OpenSearch);
            let body = os::create_index_body(&spec);
            assert!(spec.differences(&body["mappings"]).is_empty());
            spec.schema = Schema::preset(preset, EngineKind::Elasticsearch);
            let body = es::create_index_body(&spec);
            assert!(spec.differences(&body["mappings"]).is_empty());
        }
    }
    spec.schema = Schema::default();
    let mut body = os::create_index_body(&spec);
    body["mappings"]["properties"]["embedding"]["method"]["space_type"] = json!("hamming");
    assert_eq!(
        spec.differences(&body["mappings"]),
        ["similarity hamming in the index, l2 requested"]
    );
    let mut body = es::create_index_body(&spec);
    body["mappings"]["properties"]["embedding"]["dims"] = json!(9);
    assert_eq!(
        spec.differences(&body["mappings"]),
        ["vector dims 9 in the index, 8 from the model"]
    );
    spec.schema.vector = "vec".into();
    let diffs = spec.differences(&body["mappings"]);
    assert_eq!(
        diffs[0],
        "no vector field `vec` (it has `embedding` (9 dims, l2_norm): choose with --vector-field or --schema)"
    );
    assert!(
        diffs[1].starts_with("written with other field names (id=doc_id")
            && diffs[1].ends_with("vector=vec metadata=metadata bm25=title,text"),
        "{diffs:?}"
    );
}

#[test]
fn other_chunking_is_a_difference() {
    use crate::corpus::chunk::ChunkOptions;
    let mut spec = IndexSpec::new("x", 4);
    spec.chunking = Some(ChunkOptions {
        tokens: 128,
        overlap: 32,
    });
    spec.schema = spec.schema.clone().with_passages(true);
    let mapping = crate::engines::opensearch::create_index_body(&spec)["mappings"].clone();
    assert!(
        spec.differences(&mapping).is_empty(),
        "{:?}",
        spec.differences(&mapping)
    );
    let mut other = spec.clone();
    other.chunking = Some(ChunkOptions {
        tokens: 256,
        overlap: 64,
    });
    let d = other.differences(&mapping);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].contains("passages of 128 tokens overlapping by 32"),
        "{d:?}"
    );
    let mut none = spec.clone();
    none.chunking = None;
    none.schema = none.schema.clone().with_passages(false);
    let d = none.differences(&mapping);
    assert!(
        d.iter().any(|x| x.contains("one vector per document")),
        "{d:?}"
    );
}
