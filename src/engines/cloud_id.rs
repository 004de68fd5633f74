//! Elastic Cloud's `--cloud-id`: `NAME:BASE64` where BASE64 decodes to
//! `HOST[:PORT]$ES_UUID$KIBANA_UUID`; the Elasticsearch endpoint is `https://ES_UUID.HOST:PORT`
//! (port 443 unless given). The format is Elastic's ("Cloud ID" in the Elastic Cloud docs); the
//! reading follows `parse_cloud_id` of elastic-transport-python, whose test cases the unit tests
//! reuse.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};

const FLAG: &str = "--cloud-id";

/// A decoded cloud id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudId {
    /// The deployment name before `:` (may be empty).
    pub name: String,
    pub host: String,
    pub port: u16,
    pub es_uuid: String,
    pub kibana_uuid: Option<String>,
}

impl CloudId {
    pub fn parse(raw: &str) -> Result<CloudId> {
        let bad = |why: &str| {
            Error::config(
                FLAG,
                format!("{why}; a cloud id is `NAME:BASE64` as the Elastic Cloud console shows it"),
            )
        };
        let (name, data) = raw.trim().split_once(':').ok_or_else(|| bad("no `:`"))?;
        if data.is_empty() {
            return Err(bad("nothing after `:`"));
        }
        let decoded = STANDARD
            .decode(data)
            .map_err(|e| bad(&format!("the part after `:` is not base64 ({e})")))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| bad("the part after `:` does not decode to text"))?;
        let mut parts = decoded.split('$');
        let host_port = parts.next().unwrap_or("");
        let es_uuid = parts.next().unwrap_or("");
        let kibana_uuid = parts.next().filter(|k| !k.is_empty()).map(str::to_owned);
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad(&format!("port `{p}` of host `{h}` is not a number")))?,
            ),
            None => (host_port, 443),
        };
        if host.is_empty() {
            return Err(bad("it names no host"));
        }
        if es_uuid.is_empty() {
            return Err(bad(&format!(
                "it names no Elasticsearch deployment (host `{host}` only)"
            )));
        }
        Ok(CloudId {
            name: name.to_owned(),
            host: host.to_owned(),
            port,
            es_uuid: es_uuid.to_owned(),
            kibana_uuid,
        })
    }

    /// The Elasticsearch URL: `https://ES_UUID.HOST` (with `:PORT` unless 443).
    pub fn es_url(&self) -> String {
        match self.port {
            443 => format!("https://{}.{}", self.es_uuid, self.host),
            p => format!("https://{}.{}:{p}", self.es_uuid, self.host),
        }
    }
}

#[cfg(test)]
mod tests {
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
}
