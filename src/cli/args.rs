//! Flags shared by several subcommands: how to reach the engine, which model to load, how to
//! search; and the one check of a path flag that every command makes before it reads or writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::corpus::{CorpusFormat, KNOWN_EXTENSIONS};
use crate::embed::{EmbedOptions, Embedder, OptLevel};
use crate::engines::{
    AwsCredentials, AwsService, CloudId, ConnectOptions, EngineKind, Secret, SigV4, Similarity,
};
use crate::error::{Error, Result};
use crate::query::fusion::DEFAULT_RRF_K;
use crate::query::{Fusion, Guard, QueryParams};

/// Where the engine is (`--url`) and how to talk to it (every other connection flag).
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// Engine URL; user:password@ in it is accepted and never printed.
    #[arg(
        long,
        env = "SEMBRIDGE_URL",
        default_value_t = crate::defaults::opensearch_url(),
        hide_env_values = true
    )]
    pub url: String,
    /// Elastic Cloud deployment id (NAME:BASE64 from the console); gives the URL
    /// (https://ES_UUID.HOST[:PORT]) instead of --url.
    #[arg(long, env = "SEMBRIDGE_CLOUD_ID", conflicts_with = "url")]
    pub cloud_id: Option<String>,
    #[command(flatten)]
    pub client: ClientArgs,
}

impl ConnArgs {
    pub fn options(&self) -> Result<ConnectOptions> {
        match &self.cloud_id {
            Some(id) => self.client.options(&CloudId::parse(id)?.es_url()),
            None => self.client.options(&self.url),
        }
    }
}

/// How to talk to an engine, whatever its URL: engine kind, credentials, TLS, timeout, gzip.
/// `info` flattens this group next to its own repeatable `--url`; the other commands get it
/// through [`ConnArgs`].
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// Skip detection (`GET /`) and treat the cluster as this engine.
    #[arg(long, value_enum)]
    pub engine: Option<EngineKind>,
    /// Basic auth user.
    #[arg(long, env = "SEMBRIDGE_USER")]
    pub user: Option<String>,
    /// Basic auth password (prefer the environment variable over the flag).
    #[arg(long, env = "SEMBRIDGE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// API key (Elasticsearch: id:key or encoded; OpenSearch: id:key).
    #[arg(long, env = "SEMBRIDGE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// PEM file of the CA that signed the engine's certificate (certificates are verified by default).
    #[arg(long)]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify TLS certificates (test clusters only).
    #[arg(long)]
    pub insecure: bool,
    /// Request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Ask the engine to gzip its answers (for slow links; off by default: on a fast network it
    /// costs more CPU time than it saves).
    #[arg(long)]
    pub gzip: bool,
    /// Sign every request with AWS Signature V4 for this region (Amazon OpenSearch Service or
    /// Serverless); credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
    /// AWS_SESSION_TOKEN, else the AWS_PROFILE profile of ~/.aws/credentials or ~/.aws/config.
    #[arg(long, value_name = "REGION", conflicts_with_all = ["user", "password", "api_key"])]
    pub aws_sigv4: Option<String>,
    /// The AWS service to sign for: es (OpenSearch Service domains) or aoss (Serverless
    /// collections: no custom _id, no _refresh, no --resume).
    #[arg(long, value_enum, default_value_t = AwsService::Es, requires = "aws_sigv4")]
    pub aws_service: AwsService,
}

impl ClientArgs {
    /// The validated connection options for the engine at `url`.
    pub fn options(&self, url: &str) -> Result<ConnectOptions> {
        if self.timeout == 0 {
            return Err(Error::config("--timeout", "must be at least 1 second"));
        }
        if let Some(p) = &self.ca_cert {
            check_file("--ca-cert", p)?;
        }
        Ok(ConnectOptions {
            url: url.to_owned(),
            kind: self.engine,
            username: self.user.clone(),
            password: self.password.clone().map(Secret::new),
            api_key: self.api_key.clone().map(Secret::new),
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
            timeout: Duration::from_secs(self.timeout),
            gzip: self.gzip,
            sigv4: match &self.aws_sigv4 {
                Some(region) => Some(SigV4::new(
                    region,
                    self.aws_service,
                    AwsCredentials::from_default_chain()?,
                )?),
                None => None,
            },
        })
    }
}

/// Search flags that `query` and `eval` share: one help text and one validation for both.
#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// kNN candidates: Elasticsearch num_candidates, OpenSearch ef_search.
    #[arg(long, alias = "ef-search", default_value_t = 100)]
    pub num_candidates: usize,
    /// RRF constant of hybrid fusion (positive).
    #[arg(long, default_value_t = DEFAULT_RRF_K)]
    pub rrf_k: f32,
    /// Hybrid: min-max normalized linear fusion with this weight (0 to 1) on the kNN leg instead
    /// of RRF.
    #[arg(long)]
    pub alpha: Option<f32>,
    /// Similarity of the index's vector field, for converting scores back; only needed when
    /// the mapping names one sembridge does not know (it is read from the mapping).
    #[arg(long, value_enum)]
    pub similarity: Option<Similarity>,
    /// Search even when the index's `_meta` names another model than --model (the model guard).
    #[arg(long)]
    pub allow_model_mismatch: bool,
}

impl SearchArgs {
    /// The hybrid fusion these flags ask for, validated: `--alpha` in [0, 1], `--rrf-k` positive
    /// and finite.
    pub fn fusion(&self) -> Result<Fusion> {
        if !(self.rrf_k.is_finite() && self.rrf_k > 0.0) {
            return Err(Error::config(
                "--rrf-k",
                format!("{} is not a positive number", self.rrf_k),
            ));
        }
        match self.alpha {
            None => Ok(Fusion::Rrf { k: self.rrf_k }),
            Some(alpha) if (0.0..=1.0).contains(&alpha) => Ok(Fusion::Linear { alpha }),
            Some(alpha) => Err(Error::config(
                "--alpha",
                format!("{alpha} is not in [0, 1]"),
            )),
        }
    }

    /// The checks of the index before a search with `embedder` (none: BM25 only).
    pub fn guard<'a>(&self, embedder: Option<&'a Arc<Embedder>>) -> Guard<'a> {
        Guard {
            similarity: self.similarity,
            embedder,
            allow_model_mismatch: self.allow_model_mismatch,
        }
    }

    /// Validate the flags and set candidates, fusion and similarity of `p`.
    pub fn apply(&self, p: &mut QueryParams) -> Result<()> {
        if self.num_candidates == 0 {
            return Err(Error::config("--num-candidates", "must be at least 1"));
        }
        p.fusion = self.fusion()?;
        p.candidates = self.num_candidates;
        if let Some(s) = self.similarity {
            p.similarity = s;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Model: an installed model's name (`sembridge models` lists them; scripts/models.sh installs
    /// all-MiniLM-L6-v2, bge-small-en-v1.5, e5-small-v2) or a folder (sentence-transformers layout
    /// with model.onnx and tokenizer.json); default: all-MiniLM-L6-v2 (int8).
    #[arg(long, env = "SEMBRIDGE_MODEL")]
    pub model: Option<PathBuf>,
    /// ONNX Runtime intra-op threads of each embedding worker (0 = chosen, see --embed-workers).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Embedding workers: ONNX Runtime sessions running batches side by side (0 = chosen from
    /// the cores this process may use, cgroup quota and CPU affinity included: under 4 cores one
    /// worker with every core, from 4 cores cores/2 workers of 2 threads; with only --threads T,
    /// cores/T workers; with only --embed-workers N, cores/N threads each).
    #[arg(long, default_value_t = 0)]
    pub embed_workers: usize,
    /// Padded tokens per inference batch.
    #[arg(long, default_value_t = EmbedOptions::default().token_budget)]
    pub token_budget: usize,
    /// Texts per inference batch at most.
    #[arg(long, default_value_t = EmbedOptions::default().max_batch)]
    pub max_batch: usize,
    /// ONNX Runtime graph optimization level.
    #[arg(long, value_enum, default_value_t = OptLevel::All)]
    pub opt_level: OptLevel,
}

impl ModelArgs {
    /// The model folder: `--model` as a folder or an installed model's name, else the default.
    pub fn dir(&self) -> Result<PathBuf> {
        match &self.model {
            // A path (or anything that exists) must be a folder: the message says what it is.
            Some(path) if path.exists() || path.components().count() > 1 => {
                check_dir("--model", path)?;
                Ok(path.clone())
            }
            Some(name) => crate::embed::installed::resolve(name)
                .map_err(|message| Error::config("--model", message)),
            None => Ok(crate::paths::default_model_dir()),
        }
    }

    pub fn load(&self) -> Result<Embedder> {
        self.load_with(EmbedOptions::default().worker_wait)
    }

    /// [`ModelArgs::load`], async callers waiting at most `worker_wait` for a free worker.
    pub fn load_with(&self, worker_wait: std::time::Duration) -> Result<Embedder> {
        let dir = self.dir()?;
        if self.token_budget == 0 {
            return Err(Error::config("--token-budget", "must be positive"));
        }
        if self.max_batch == 0 {
            return Err(Error::config("--max-batch", "must be positive"));
        }
        let opts = EmbedOptions {
            threads: self.threads,
            workers: self.embed_workers,
            worker_wait,
            token_budget: self.token_budget,
            max_batch: self.max_batch,
            optimization: self.opt_level,
            ..EmbedOptions::default()
        };
        Embedder::load(&dir, opts)
    }
}

/// An input file flag: `path` must be a file. The message names the flag and the path as typed.
pub fn check_file(flag: &str, path: &Path) -> Result<()> {
    if path.is_file() {
        return Ok(());
    }
    let why = if path.is_dir() {
        "is a folder, not a file"
    } else if path.exists() {
        "is not a file"
    } else {
        "does not exist"
    };
    Err(Error::config(flag, format!("{} {why}", path.display())))
}

/// A folder flag (`--model`): `path` must be a folder. The message names the flag and the path.
pub fn check_dir(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let why = if path.exists() {
        "is not a folder"
    } else {
        "does not exist"
    };
    Err(Error::config(flag, format!("{} {why}", path.display())))
}

/// An output file flag: its folder must exist (a typo should not become a new folder) and the
/// path must not be a folder. The message names the flag and the path as typed.
pub fn check_output(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(Error::config(
            flag,
            format!("{} is a folder, not a file", path.display()),
        ));
    }
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) if !dir.is_dir() => Err(Error::config(
            flag,
            format!(
                "{}: the folder {} does not exist",
                path.display(),
                dir.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// The corpus format told by `path`'s extension, for the commands that have no `--format`
/// (`embed`, `exact --corpus`): the error names their `flag`, not a `--format` they lack.
pub fn detect_format(flag: &str, path: &Path) -> Result<CorpusFormat> {
    CorpusFormat::from_extension(path).ok_or_else(|| {
        Error::config(
            flag,
            format!(
                "cannot tell the format of {} from its extension (known: {KNOWN_EXTENSIONS})",
                path.display()
            ),
        )
    })
}

/// At least 1, for counts and sizes that cannot be zero (clap names the flag in its error).
pub fn positive<T: TryFrom<u64> + Clone + Send + Sync + 'static>()
-> clap::builder::RangedU64ValueParser<T> {
    clap::builder::RangedU64ValueParser::<T>::new().range(1..)
}

/// Parse `i/n` (0 <= i < n), or `auto` / `auto/N`: the worker index (and count) from a batch
/// scheduler's environment (Kubernetes Indexed Job, Slurm array; see
/// [`crate::corpus::shard_from_env`]).
pub fn parse_shard(s: &str) -> std::result::Result<(u32, u32), String> {
    if let Some(rest) = s.trim().strip_prefix("auto") {
        let count = match rest.strip_prefix('/') {
            None if rest.is_empty() => None,
            Some(n) => Some(
                n.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("`{n}` is not a number (auto/N: N workers)"))?,
            ),
            None => return Err("expected auto, auto/N or i/n".into()),
        };
        return crate::corpus::shard_from_env(count, |v| std::env::var(v).ok());
    }
    let (i, n) = s.split_once('/').ok_or("expected i/n, e.g. 0/2, or auto")?;
    let i: u32 = i
        .trim()
        .parse()
        .map_err(|_| format!("`{i}` is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a number"))?;
    if n == 0 || i >= n {
        return Err(format!("need 0 <= i < n, got {i}/{n}"));
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn query_shares_the_search_flags_and_their_checks() {
        let parse = |extra: &[&str]| {
            let argv = ["sembridge", "query", "some text", "--index", "i"];
            match Cli::try_parse_from(argv.iter().chain(extra))
                .unwrap()
                .command
            {
                Command::Query(a) => a,
                other => panic!("parsed as {other:?}"),
            }
        };
        let a = parse(&[]);
        if std::env::var_os("SEMBRIDGE_URL").is_none() {
            assert_eq!(a.conn.url, crate::defaults::opensearch_url());
        }
        let mut p = QueryParams::new("i");
        parse(&["--ef-search", "7", "--rrf-k", "10"])
            .search
            .apply(&mut p)
            .unwrap();
        assert_eq!((p.candidates, p.fusion), (7, Fusion::Rrf { k: 10.0 }));
        let err = parse(&["--alpha=-0.1"]).search.apply(&mut p).unwrap_err();
        assert_eq!(err.to_string(), "invalid --alpha: -0.1 is not in [0, 1]");
        let err = parse(&["--rrf-k", "NaN"]).search.apply(&mut p).unwrap_err();
        assert!(err.to_string().starts_with("invalid --rrf-k:"), "{err}");
    }

    #[test]
    fn path_checks_name_the_flag_and_the_path_as_typed() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        check_file("--input", Path::new(file)).unwrap();
        let msg = |r: Result<()>| r.unwrap_err().to_string();
        assert_eq!(
            msg(check_file("--qrels", Path::new("/nonexistent"))),
            "invalid --qrels: /nonexistent does not exist"
        );
        assert_eq!(
            msg(check_file("--store", Path::new(dir))),
            format!("invalid --store: {dir} is a folder, not a file")
        );
        check_dir("--model", Path::new(dir)).unwrap();
        assert_eq!(
            msg(check_dir("--model", Path::new(file))),
            format!("invalid --model: {file} is not a folder")
        );
        check_output("--output", Path::new("x.sbv")).unwrap();
        check_output("--output", Path::new(&format!("{dir}/new.sbv"))).unwrap();
        assert_eq!(
            msg(check_output(
                "--output",
                Path::new("/nonexistent-dir/x.sbv")
            )),
            "invalid --output: /nonexistent-dir/x.sbv: the folder /nonexistent-dir does not exist"
        );
        assert_eq!(
            msg(check_output("--plot", Path::new(dir))),
            format!("invalid --plot: {dir} is a folder, not a file")
        );
    }

    #[test]
    fn shard_and_filter_parse_or_explain() {
        assert_eq!(parse_shard("1/2"), Ok((1, 2)));
        assert!(parse_shard("2/2").unwrap_err().contains("0 <= i < n"));
        assert!(parse_shard("x").is_err());
        assert_eq!(
            crate::engines::TermFilter::parse("metadata.lang=en")
                .unwrap()
                .value,
            "en"
        );
        assert!(crate::engines::TermFilter::parse("=x").is_err());
    }
}

/// `--chunk-tokens N --chunk-overlap M`: cut documents into passages (see `corpus::chunk`).
#[derive(Debug, Clone, Args)]
pub struct ChunkArgs {
    /// Cut each document into passages of N tokens of model input (title + text window +
    /// special tokens; at most the model's max_seq_length), every passage embedded: the document
    /// scores as its best passage. Off when absent: documents are truncated to max_seq_length.
    #[arg(long, value_name = "N", value_parser = positive::<usize>())]
    pub chunk_tokens: Option<usize>,
    /// Text tokens shared by consecutive passages (with --chunk-tokens).
    #[arg(long, value_name = "M", requires = "chunk_tokens", default_value_t = 0)]
    pub chunk_overlap: usize,
}

impl ChunkArgs {
    /// What the flags ask for; `none` is `ingest --no-chunking`.
    pub fn request(&self, none: bool) -> crate::ingest::ChunkRequest {
        crate::ingest::ChunkRequest {
            cut: self.chunk_tokens.map(|tokens| (tokens, self.chunk_overlap)),
            none,
        }
    }
}
