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
#[path = "tests/cloud_id.rs"]
mod tests;
