//! `sembridge alias NAME list | rollback | prune`: the versions behind an alias that
//! `ingest --alias` wrote.

use clap::{Args, Subcommand};

use super::EXIT_OK;
use super::args::ConnArgs;
use crate::engines::Engine;
use crate::lifecycle;

#[derive(Debug, Args)]
pub struct AliasArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The alias.
    pub name: String,
    #[command(subcommand)]
    pub action: AliasAction,
}

#[derive(Debug, Subcommand)]
pub enum AliasAction {
    /// Versions (oldest first) with model, document count and creation time; `*` = current.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Move the alias back to the version before the current one (one atomic request).
    Rollback,
    /// Delete old versions, keeping the newest --keep besides the current one.
    Prune {
        #[arg(long, default_value_t = 1)]
        keep: usize,
    },
}

pub async fn run(a: AliasArgs) -> anyhow::Result<u8> {
    let (engine, _) = Engine::connect(&a.conn.options()?).await?;
    match a.action {
        AliasAction::List { json } => {
            let versions = lifecycle::versions(&engine, &a.name).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&versions)?);
            } else if versions.is_empty() {
                eprintln!("alias `{}` has no versions on {}", a.name, engine.url());
            } else {
                println!(
                    "   {:<48} {:<28} {:>9}  created (UTC)",
                    "version", "model", "docs"
                );
                for v in &versions {
                    println!(
                        "{}  {:<48} {:<28} {:>9}  {}",
                        if v.current { "*" } else { " " },
                        v.index,
                        v.model.as_deref().unwrap_or("-"),
                        v.docs,
                        created(v.created_ms)
                    );
                }
            }
        }
        AliasAction::Rollback => {
            let (from, to) = lifecycle::rollback(&engine, &a.name).await?;
            eprintln!("alias `{}` moved back from `{from}` to `{to}`", a.name);
        }
        AliasAction::Prune { keep } => {
            let deleted = lifecycle::prune(&engine, &a.name, keep).await?;
            eprintln!(
                "deleted {} old versions of `{}`{}",
                deleted.len(),
                a.name,
                match deleted.is_empty() {
                    true => String::new(),
                    false => format!(": {}", deleted.join(", ")),
                }
            );
        }
    }
    Ok(EXIT_OK)
}

/// Creation time as the version names write it (`YYYYMMDDhhmmss`, UTC).
fn created(ms: u64) -> String {
    let name = lifecycle::version_name("", "", ms / 1000);
    name.rsplit("--").next().unwrap_or_default().to_owned()
}
