//! AWS Signature Version 4 for Amazon OpenSearch Service (`es`) and OpenSearch Serverless
//! (`aoss`): static credentials from the environment or the shared credentials / config files,
//! and the signature of each request, computed by the `aws-sigv4` crate (no crypto here).
//!
//! Why not `aws-config`: its provider chain (SSO, STS, IMDS, ECS, ...) brings 33 crates, the
//! generated AWS SDK clients among them, for credentials this module reads in a hundred lines;
//! users of those sources export them first (`aws configure export-credentials --format env`).
//! The measured build cost is in docs/connecting.md.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use url::Url;

use super::secret::Secret;
use crate::error::{Error, Result};

const FLAG: &str = "--aws-sigv4";

/// Which AWS service signs: the managed domains (`es`) or Serverless collections (`aoss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AwsService {
    #[default]
    Es,
    Aoss,
}

impl AwsService {
    pub const ALL: [AwsService; 2] = [AwsService::Es, AwsService::Aoss];

    /// The service name in the credential scope.
    pub fn name(self) -> &'static str {
        match self {
            AwsService::Es => "es",
            AwsService::Aoss => "aoss",
        }
    }
}

/// An access key with its secret and, for temporary credentials, the session token. Debug shows
/// the key id and where it came from, never the secret or the token.
#[derive(Clone)]
pub struct AwsCredentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    /// Where the credentials were found (`environment`, `profile default in ~/.aws/credentials`).
    pub source: String,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token.as_ref().map(|_| "***"))
            .field("source", &self.source)
            .finish()
    }
}

impl AwsCredentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        source: impl Into<String>,
    ) -> Self {
        AwsCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: session_token.map(Secret::new),
            source: source.into(),
        }
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secrets to scrub from any message (secret key, session token).
    pub fn secrets(&self) -> Vec<Secret> {
        let mut s = vec![self.secret_access_key.clone()];
        s.extend(self.session_token.clone());
        s
    }

    /// The standard chain, static sources only: the environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the profile `AWS_PROFILE` (default
    /// `default`) in the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default
    /// `~/.aws/credentials`), then in the config file (`AWS_CONFIG_FILE`, default
    /// `~/.aws/config`).
    pub fn from_default_chain() -> Result<AwsCredentials> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Self::resolve(|k| std::env::var(k).ok().filter(|v| !v.is_empty()), home)
    }

    /// [`Self::from_default_chain`] with the environment and home folder given (for tests).
    pub fn resolve(
        env: impl Fn(&str) -> Option<String>,
        home: Option<PathBuf>,
    ) -> Result<AwsCredentials> {
        match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => {
                return Ok(AwsCredentials::new(
                    id,
                    secret,
                    env("AWS_SESSION_TOKEN"),
                    "environment",
                ));
            }
            (Some(_), None) => {
                return Err(Error::config(
                    FLAG,
                    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    FLAG,
                    "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
                ));
            }
            (None, None) => {}
        }
        let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
        let in_home = |rel: &str| home.as_ref().map(|h| h.join(rel));
        let files = [
            (
                env("AWS_SHARED_CREDENTIALS_FILE")
                    .map(PathBuf::from)
                    .or_else(|| in_home(".aws/credentials")),
                profile.clone(),
            ),
            // The config file names every profile but `default` as `[profile NAME]`.
            (
                env("AWS_CONFIG_FILE")
                    .map(PathBuf::from)
                    .or_else(|| in_home(".aws/config")),
                if profile == "default" {
                    profile.clone()
                } else {
                    format!("profile {profile}")
                },
            ),
        ];
        let mut looked = Vec::new();
        for (path, section) in files {
            let Some(path) = path else { continue };
            looked.push(path.display().to_string());
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&path, e)),
            };
            let sections = parse_ini(&text);
            let Some(keys) = sections.get(section.as_str()) else {
                continue;
            };
            if let Some(found) = from_profile(keys, &profile, &path)? {
                return Ok(found);
            }
        }
        Err(Error::config(
            FLAG,
            format!(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and \
                 AWS_SESSION_TOKEN for temporary ones), or give profile `{profile}` \
                 aws_access_key_id and aws_secret_access_key in {} (AWS_PROFILE picks the \
                 profile)",
                if looked.is_empty() {
                    "~/.aws/credentials (HOME is not set)".to_owned()
                } else {
                    looked.join(" or ")
                }
            ),
        ))
    }
}

/// The static credentials of one profile section; `None` when it has none and names no other
/// source; an error naming the source when it uses one this module does not resolve.
fn from_profile(
    keys: &HashMap<String, String>,
    profile: &str,
    path: &Path,
) -> Result<Option<AwsCredentials>> {
    let get = |k: &str| keys.get(k).filter(|v| !v.is_empty()).cloned();
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => {
            return Ok(Some(AwsCredentials::new(
                id,
                secret,
                get("aws_session_token"),
                format!("profile {profile} in {}", path.display()),
            )));
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::config(
                FLAG,
                format!(
                    "profile `{profile}` in {} has only one of aws_access_key_id and \
                     aws_secret_access_key",
                    path.display()
                ),
            ));
        }
        (None, None) => {}
    }
    let other = [
        "role_arn",
        "sso_session",
        "sso_start_url",
        "credential_process",
        "web_identity_token_file",
    ]
    .into_iter()
    .find(|k| keys.contains_key(*k));
    match other {
        Some(k) => Err(Error::config(
            FLAG,
            format!(
                "profile `{profile}` in {} gets its credentials through `{k}`, which sembridge \
                 does not resolve; export them first, e.g. `eval \"$(aws configure \
                 export-credentials --profile {profile} --format env)\"`",
                path.display()
            ),
        )),
        None => Ok(None),
    }
}

/// Sections of an INI file (the AWS shared files' syntax): `[name]` then `key = value` lines;
/// `#` and `;` start comments; keys are lowercased. Indented lines (nested settings such as
/// `s3 =` blocks) are skipped.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    out
}

/// Signs requests for one region and service with one set of credentials.
#[derive(Debug, Clone)]
pub struct SigV4 {
    pub region: String,
    pub service: AwsService,
    /// The service name of the credential scope: `service.name()` (the AWS test suite uses
    /// `service`).
    service_name: &'static str,
    credentials: AwsCredentials,
}

/// A header the signature adds to a request. The value of a sensitive one (the session token)
/// must not be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedHeader {
    pub name: &'static str,
    pub value: String,
    pub sensitive: bool,
}

impl std::fmt::Debug for SignedHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.sensitive { "***" } else { &self.value };
        write!(f, "{}: {value}", self.name)
    }
}

impl SigV4 {
    pub fn new(region: &str, service: AwsService, credentials: AwsCredentials) -> Result<SigV4> {
        let ok = !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(Error::config(
                FLAG,
                format!("`{region}` is not an AWS region (e.g. us-east-1)"),
            ));
        }
        Ok(SigV4 {
            region: region.to_owned(),
            service,
            service_name: service.name(),
            credentials,
        })
    }

    pub fn credentials(&self) -> &AwsCredentials {
        &self.credentials
    }

    /// The headers that sign a request sembridge sends: `authorization`, `x-amz-date`,
    /// `x-amz-content-sha256` (the body's hash, which Serverless requires) and
    /// `x-amz-security-token` with temporary credentials. The signed headers are `host` (from
    /// `url`) and those `x-amz-*` ones, so headers a proxy may rewrite do not break it. `url` must
    /// be exactly the URL sent, query included, and `body` the exact bytes sent.
    pub fn sign(
        &self,
        method: &str,
        url: &Url,
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<SignedHeader>> {
        self.sign_with(method, url, &[], body, time, true)
    }

    /// Sign with `headers` also signed and the body hash header optional (the AWS test suite
    /// vectors come both ways).
    pub fn sign_with(
        &self,
        method: &str,
        url: &Url,
        headers: &[(&str, &str)],
        body: &[u8],
        time: SystemTime,
        content_sha256_header: bool,
    ) -> Result<Vec<SignedHeader>> {
        let c = &self.credentials;
        let identity: Identity = Credentials::new(
            &c.access_key_id,
            c.secret_access_key.expose(),
            c.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "sembridge",
        )
        .into();
        let mut settings = SigningSettings::default();
        if content_sha256_header {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service_name)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| Error::config(FLAG, format!("cannot sign: {e}")))?;
        let request = SignableRequest::new(
            method,
            url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| Error::config(FLAG, format!("cannot sign a request to {url}: {e}")))?;
        let (instructions, _signature) = sign(request, &params.into())
            .map_err(|e| Error::config(FLAG, format!("cannot sign a request to {url}: {e}")))?
            .into_parts();
        let (headers, _params) = instructions.into_parts();
        Ok(headers
            .into_iter()
            .map(|h| SignedHeader {
                name: h.name(),
                value: h.value().to_owned(),
                sensitive: h.sensitive() || h.name() == "x-amz-security-token",
            })
            .collect())
    }
}

#[cfg(test)]
#[path = "tests/aws.rs"]
mod tests;
