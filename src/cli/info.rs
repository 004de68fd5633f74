//! `sembridge info`: the smoke check. For each URL: engine, version, security, licence, nodes,
//! vector index types, analyzers, plugins, and a real kNN round trip on a throwaway index.

use clap::Args;
use serde_json::json;

use super::EXIT_OK;
use super::args::ClientArgs;
use crate::engines::capabilities::Capabilities;
use crate::engines::{ConnectOptions, Engine};
use crate::error::Error;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Engine URLs to check, repeatable (default: the two local engines of scripts/engines.sh);
    /// user:password@ in a URL is accepted and never printed.
    #[arg(long = "url", value_name = "URL", num_args = 1.., default_values_t = [crate::defaults::opensearch_url(), crate::defaults::elasticsearch_url()])]
    pub urls: Vec<String>,
    #[command(flatten)]
    pub client: ClientArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

impl InfoArgs {
    /// Connection options for every URL, validated before the first connection.
    fn options(&self) -> crate::error::Result<Vec<ConnectOptions>> {
        if self.client.engine.is_some() && self.urls.len() > 1 {
            return Err(Error::config(
                "--engine",
                "treats every --url as that engine; give a single --url with it",
            ));
        }
        self.urls.iter().map(|u| self.client.options(u)).collect()
    }
}

fn refused(e: &Error) -> bool {
    matches!(e, Error::Engine { status: 403, .. })
}

fn print_capabilities(kind: crate::engines::EngineKind, caps: &Capabilities) {
    let unknown = "unknown (the credentials may not read it)";
    let security = match caps.security {
        Some(true) => "on",
        Some(false) => "off",
        None => unknown,
    };
    let tls = if caps.tls { "HTTPS" } else { "plain HTTP" };
    println!("  security: {security}, {tls}");
    if kind == crate::engines::EngineKind::Elasticsearch {
        println!("  licence: {}", caps.licence.as_deref().unwrap_or(unknown));
    }
    match (caps.nodes, &caps.health) {
        (Some(n), Some(h)) => println!("  nodes: {n} (health {h})"),
        _ => println!("  nodes: {unknown}"),
    }
    let types = if caps.vector_types.is_empty() {
        "none".to_owned()
    } else {
        caps.vector_types.join(", ")
    };
    match kind {
        crate::engines::EngineKind::OpenSearch => println!(
            "  kNN engines: {types} (sembridge uses lucene by default; faiss and nmslib need the k-NN plugin's native libraries)"
        ),
        crate::engines::EngineKind::Elasticsearch => {
            println!("  dense_vector index types: {types}")
        }
    }
    let analyzers: Vec<String> = caps
        .analyzers
        .iter()
        .map(|(a, ok)| {
            let known = match ok {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "unknown (_analyze refused)",
            };
            format!("{a} {known}")
        })
        .collect();
    println!(
        "  analyzers (title/text; --analyzer auto takes english, else standard): {}",
        analyzers.join(", ")
    );
}

pub async fn run(args: InfoArgs) -> anyhow::Result<u8> {
    let mut reports = Vec::new();
    let mut failed = false;
    for (url, opts) in args.urls.iter().zip(args.options()?) {
        match Engine::connect(&opts).await {
            Ok((engine, info)) => {
                let caps = engine.capabilities(&info.plugins).await?;
                let knn = crate::diagnose::knn_round_trip(&engine).await;
                let knn_ok = matches!(knn, Ok(true));
                // credentials that may not create an index are not a broken engine
                failed |= !knn_ok && !knn.as_ref().is_err_and(refused);
                if !args.json {
                    println!(
                        "{} {} at {} (cluster {})",
                        info.kind, info.version, info.url, info.cluster_name
                    );
                    print_capabilities(info.kind, &caps);
                    if !info.plugins.is_empty() {
                        println!("  plugins: {}", info.plugins.join(", "));
                    }
                    match &knn {
                        Ok(true) => println!(
                            "  kNN: works (created an index with a vector field, indexed, searched, deleted)"
                        ),
                        Ok(false) => println!("  kNN: WRONG RESULT (nearest neighbour not found)"),
                        Err(e) if refused(e) => println!(
                            "  kNN: not checked: the credentials may not create the throwaway index ({e})"
                        ),
                        Err(e) => println!("  kNN: FAILED: {e}"),
                    }
                }
                reports.push(json!({"url": info.url, "engine": info.kind, "version": info.version, "plugins": info.plugins, "capabilities": caps, "knn": knn_ok, "error": knn.err().map(|e| e.to_string())}));
            }
            Err(e) => {
                failed = true;
                let shown = url::Url::parse(url)
                    .map(|u| crate::engines::transport::secret::redact_url(&u))
                    .unwrap_or_default();
                let message = e.to_string();
                if !args.json {
                    // Most errors name the URL already.
                    if shown.is_empty() || message.contains(shown.trim_end_matches('/')) {
                        println!("{message}");
                    } else {
                        println!("{shown}: {message}");
                    }
                }
                reports.push(json!({"url": shown, "error": message}));
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if failed { super::EXIT_ERROR } else { EXIT_OK })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> InfoArgs {
        let cli = Cli::try_parse_from(["sembridge", "info"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Info(a) => a,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn connection_flags_apply_to_every_url() {
        let a = parse(&[]);
        assert_eq!(
            a.urls,
            [
                crate::defaults::opensearch_url(),
                crate::defaults::elasticsearch_url()
            ]
        );
        let opts = parse(&[
            "--url",
            "http://a:1",
            "--url",
            "http://b:2",
            "--timeout",
            "5",
            "--gzip",
        ])
        .options()
        .unwrap();
        assert_eq!(opts.len(), 2);
        assert_eq!(opts[1].url, "http://b:2");
        assert!(opts.iter().all(|o| o.gzip && o.timeout.as_secs() == 5));
        assert_eq!(parse(&[]).options().unwrap()[0].timeout.as_secs(), 60);
    }

    #[test]
    fn engine_needs_a_single_url() {
        let err = parse(&["--engine", "opensearch"]).options().unwrap_err();
        assert!(err.to_string().starts_with("invalid --engine:"), "{err}");
        let opts = parse(&["--url", "http://a:1", "--engine", "elasticsearch"])
            .options()
            .unwrap();
        assert_eq!(
            opts[0].kind,
            Some(crate::engines::EngineKind::Elasticsearch)
        );
    }
}
