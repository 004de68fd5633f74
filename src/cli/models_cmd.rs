//! `sembridge models`: the installed models `--model NAME` accepts, with what sets their vectors
//! apart (width, pooling, prompts, input length, fingerprint) and where they came from.

use clap::Args;

use super::{EXIT_OK, EXIT_PARTIAL};
use crate::embed::installed::{self, ModelSummary};

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Print JSON (one object per model, with the full fingerprint).
    #[arg(long)]
    pub json: bool,
}

fn prompt(p: &Option<String>) -> String {
    match p {
        Some(p) => format!("{p:?}"),
        None => "-".to_owned(),
    }
}

fn row(s: &ModelSummary) -> String {
    format!(
        "{}{}\n  dims {}, {} pooling{}, max {} tokens, fingerprint {}{}\n  query prompt {}, document prompt {}\n  from {}\n  at {}",
        s.name,
        if s.default { " (default)" } else { "" },
        s.dims,
        serde_json::to_value(s.pooling)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        if s.normalize { ", normalized" } else { "" },
        s.max_seq_length,
        s.fingerprint.short(),
        if s.one_text_per_run {
            ", one text per run (dynamic int8)"
        } else {
            ""
        },
        prompt(&s.query_prompt),
        prompt(&s.document_prompt),
        s.origin.as_deref().unwrap_or("(no SOURCE.txt)"),
        s.dir.display(),
    )
}

pub fn run(a: ModelsArgs) -> anyhow::Result<u8> {
    let root = crate::paths::models_dir();
    let models = installed::installed_in(&root);
    if models.is_empty() {
        eprintln!(
            "no model is installed in {} (scripts/models.sh installs them)",
            root.display()
        );
        return Ok(EXIT_PARTIAL);
    }
    let mut failed = 0;
    let mut summaries = Vec::new();
    for m in &models {
        match installed::summarize(m) {
            Ok(s) => summaries.push(s),
            Err(e) => {
                failed += 1;
                eprintln!("{}: cannot be loaded: {e}", m.name);
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else {
        for s in &summaries {
            println!("{}", row(s));
        }
    }
    Ok(if failed > 0 { EXIT_PARTIAL } else { EXIT_OK })
}
