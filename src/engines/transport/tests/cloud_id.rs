//! Unit tests of [`super`] (cloud_id.rs).

use super::*;

// Cases of elastic-transport-python's tests/test_client_utils.py (test_parse_cloud_id,
// test_parse_cloud_id_ports, test_parse_cloud_id_no_kibana, test_parse_cloud_id_no_es,
// test_invalid_cloud_id).
const ES: &str = "4fa8821e75634032bed1cf22110e2f97";
const KIBANA: &str = "4fa8821e75634032bed1cf22110e2f96";

#[test]
fn documented_cloud_id() {
    let c = CloudId::parse(
        "cluster:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZTc1NjM0MDMyYmVk\
         MWNmMjIxMTBlMmY5NyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5Ng==",
    )
    .unwrap();
    assert_eq!(c.name, "cluster");
    assert_eq!((c.host.as_str(), c.port), ("us-east-1.aws.found.io", 443));
    assert_eq!(c.es_uuid, ES);
    assert_eq!(c.kibana_uuid.as_deref(), Some(KIBANA));
    assert_eq!(
        c.es_url(),
        "https://4fa8821e75634032bed1cf22110e2f97.us-east-1.aws.found.io"
    );
}

#[test]
fn a_port_in_the_host_is_kept() {
    let c = CloudId::parse(
        ":dXMtZWFzdC0xLmF3cy5mb3VuZC5pbzo5MjQzJDRmYTg4MjFlNzU2MzQwMzJiZ\
         WQxY2YyMjExMGUyZjk3JDRmYTg4MjFlNzU2MzQwMzJiZWQxY2YyMjExMGUyZjk2",
    )
    .unwrap();
    assert_eq!((c.name.as_str(), c.port), ("", 9243));
    assert_eq!(
        c.es_url(),
        "https://4fa8821e75634032bed1cf22110e2f97.us-east-1.aws.found.io:9243"
    );
    let c = CloudId::parse(
        ":dXMtZWFzdC0xLmF3cy5mb3VuZC5pbzo0NDMkNGZhODgyMWU3NTYzNDAzMmJlZD\
         FjZjIyMTEwZTJmOTckNGZhODgyMWU3NTYzNDAzMmJlZDFjZjIyMTEwZTJmOTY=",
    )
    .unwrap();
    assert_eq!(c.port, 443);
    assert_eq!(
        c.es_url(),
        "https://4fa8821e75634032bed1cf22110e2f97.us-east-1.aws.found.io"
    );
}

#[test]
fn kibana_is_optional() {
    for id in [
        "cluster:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5NyQ=",
        "cluster:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5Nw==",
    ] {
        let c = CloudId::parse(id).unwrap();
        assert_eq!((c.es_uuid.as_str(), c.kibana_uuid), (ES, None), "{id}");
    }
}

#[test]
fn malformed_ids_name_the_flag() {
    for (id, why) in [
        // No Elasticsearch uuid: there is nothing to connect to.
        (
            "cluster:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbzo0NDMkJA==",
            "no Elasticsearch",
        ),
        (
            "cluster:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbzo0NDM=",
            "no Elasticsearch",
        ),
        ("cluster:", "nothing after"),
        (
            "dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyQ0ZmE4ODIxZTc1NjM0MDMyYmVkMWNmMjIxMTBlMmY5NyQ=",
            "no `:`",
        ),
        ("cluster:ā", "not base64"),
        // base64 of "host:port$uuid$k"
        ("x:aG9zdDpwb3J0JHV1aWQkaw==", "not a number"),
    ] {
        let err = CloudId::parse(id).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid --cloud-id: ") && err.contains(why),
            "{id}: {err}"
        );
    }
}
