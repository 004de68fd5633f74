//! `sembridge info`: the smoke check. For each URL: engine, version, plugins, and a real kNN round
//! trip on a throwaway index.

use clap::Args;
use serde_json::json;

use super::EXIT_OK;
use super::args::ConnArgs;
use crate::engines::{BulkDoc, ConnectOptions, Engine, IndexSpec, KnnParams, Similarity};

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Engine URLs to check (default: the two local engines of scripts/engines.sh).
    #[arg(long = "url", value_name = "URL", num_args = 1.., default_values_t = ["http://127.0.0.1:9200".to_string(), "http://127.0.0.1:9201".to_string()])]
    pub urls: Vec<String>,
    #[command(flatten)]
    pub conn: InfoConn,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Connection flags without `--url` (info takes several URLs).
#[derive(Debug, Args)]
pub struct InfoConn {
    #[arg(long, env = "SEMBRIDGE_USER")]
    pub user: Option<String>,
    #[arg(long, env = "SEMBRIDGE_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    #[arg(long, env = "SEMBRIDGE_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    #[arg(long)]
    pub ca_cert: Option<std::path::PathBuf>,
    #[arg(long)]
    pub insecure: bool,
}

/// Create a 3-dim index, index two vectors, ask for the nearest, delete the index.
async fn knn_round_trip(engine: &Engine) -> crate::error::Result<bool> {
    let index = format!("sembridge-smoke-{}", std::process::id());
    let spec = IndexSpec::new(&index, 3);
    engine.create_index(&spec).await?;
    let result = async {
        let mut body = Vec::new();
        for (id, v) in [("x", vec![1.0, 0.0, 0.0]), ("y", vec![0.0, 1.0, 0.0])] {
            body.extend(
                BulkDoc {
                    id: id.into(),
                    title: String::new(),
                    text: id.into(),
                    metadata: Default::default(),
                    vector: v,
                }
                .to_ndjson(&index),
            );
        }
        engine.bulk(body, 2).await?;
        engine.refresh(&index).await?;
        let res = engine
            .knn(
                &index,
                &[0.9, 0.1, 0.0],
                &KnnParams {
                    k: 1,
                    candidates: 10,
                },
                &[],
                Similarity::Cosine,
            )
            .await?;
        Ok(res.hits.first().is_some_and(|h| h.doc_id == "x"))
    }
    .await;
    engine.delete_index(&index).await?;
    result
}

pub async fn run(args: InfoArgs) -> anyhow::Result<u8> {
    let mut reports = Vec::new();
    let mut failed = false;
    for url in &args.urls {
        let conn = ConnArgs {
            url: url.clone(),
            engine: None,
            user: args.conn.user.clone(),
            password: args.conn.password.clone(),
            api_key: args.conn.api_key.clone(),
            ca_cert: args.conn.ca_cert.clone(),
            insecure: args.conn.insecure,
            timeout: 30,
            gzip: false,
        };
        let opts: ConnectOptions = conn.options()?;
        match Engine::connect(&opts).await {
            Ok((engine, info)) => {
                let knn = knn_round_trip(&engine).await;
                let knn_ok = matches!(knn, Ok(true));
                failed |= !knn_ok;
                if !args.json {
                    println!(
                        "{} {} at {} (cluster {})",
                        info.kind, info.version, info.url, info.cluster_name
                    );
                    if !info.plugins.is_empty() {
                        println!("  plugins: {}", info.plugins.join(", "));
                    }
                    match &knn {
                        Ok(true) => println!(
                            "  kNN: works (created an index with a vector field, indexed, searched, deleted)"
                        ),
                        Ok(false) => println!("  kNN: WRONG RESULT (nearest neighbour not found)"),
                        Err(e) => println!("  kNN: FAILED: {e}"),
                    }
                }
                reports.push(json!({"url": info.url, "engine": info.kind, "version": info.version, "plugins": info.plugins, "knn": knn_ok, "error": knn.err().map(|e| e.to_string())}));
            }
            Err(e) => {
                failed = true;
                let shown = url::Url::parse(url)
                    .map(|u| crate::engines::redact_url(&u))
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
