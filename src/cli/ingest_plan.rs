//! `ingest` flags -> [`IngestPlan`]: every check that needs no model, corpus read or cluster,
//! done once before any of them (parse, then validate, as ripgrep turns LowArgs into HiArgs).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::args::{ModelArgs, check_file, check_output};
use super::ingest_cmd::{FormatArg, IngestArgs};
use crate::corpus::CorpusFormat;
use crate::engines::{ConnectOptions, IndexSpec};
use crate::error::{Error, Result};
use crate::exact::Store;
use crate::ingest::{
    Batching, DocSource, IndexRequest, IngestOptions, RetryPolicy, VectorSource,
    default_state_files,
};
use crate::lifecycle::swap::{Gate, SwapPlan};

/// Where the vectors will come from (loaded after validation).
#[derive(Debug)]
enum Vectors {
    Model(ModelArgs),
    Store(PathBuf),
}

/// A validated ingest job.
pub struct IngestPlan {
    pub conn: ConnectOptions,
    vectors: Vectors,
    pub docs: DocSource,
    /// What the index is asked to be (resolved once the engine is known).
    pub request: IndexRequest,
    pub options: IngestOptions,
    pub json: bool,
    /// `--alias`: the alias, how many old versions to keep, and the quality gate.
    pub alias: Option<SwapPlan>,
    /// The model that embeds the gate's queries.
    pub gate_model: ModelArgs,
}

impl IngestPlan {
    /// The model (or the store) the vectors come from, loaded.
    pub fn load_vectors(&self) -> Result<VectorSource> {
        Ok(match &self.vectors {
            Vectors::Store(p) => VectorSource::Store(Arc::new(Store::open(p)?)),
            Vectors::Model(m) => VectorSource::Model(Arc::new(m.load()?)),
        })
    }
}

impl IngestArgs {
    /// Validate every flag; nothing is read or sent yet.
    pub fn plan(self) -> Result<IngestPlan> {
        // clap makes sure one of --index / --alias and one of --corpus / --from-index is given.
        let (index_flag, target) = match (&self.index, &self.alias) {
            (Some(i), _) => ("--index", i.clone()),
            (None, Some(a)) => ("--alias", a.clone()),
            (None, None) => return Err(Error::config("--index", "give --index or --alias")),
        };
        // The target is written (and with --recreate deleted): a concrete name, never a pattern.
        crate::engines::names::check_index_name(index_flag, &target)?;
        if index_flag == "--alias" {
            crate::lifecycle::check_alias_name(&target)?;
        }
        if let Some(src) = &self.from_index {
            crate::engines::names::check_read_pattern("--from-index", src)?;
        }
        // A stream from an index is keyed like a file named after it (checkpoint and dead-letter
        // paths); it is never opened as one.
        let corpus = match (&self.corpus, &self.from_index) {
            (Some(c), _) => c.clone(),
            (None, Some(src)) => PathBuf::from(format!("from-index-{src}")),
            (None, None) => return Err(Error::config("--corpus", "give --corpus or --from-index")),
        };
        let stdin = corpus.as_os_str() == "-";
        if !stdin && self.from_index.is_none() {
            check_file("--corpus", &corpus)?;
            if corpus.metadata().is_ok_and(|m| m.len() == 0) {
                return Err(Error::config(
                    "--corpus",
                    format!("{} is empty: no documents to ingest", corpus.display()),
                ));
            }
        }
        let gate = match (&self.gate_queries, &self.gate_qrels, self.gate_min_ndcg) {
            (Some(q), Some(r), Some(min)) => {
                check_file("--gate-queries", q)?;
                check_file("--gate-qrels", r)?;
                if !(0.0..=1.0).contains(&min) {
                    return Err(Error::config(
                        "--gate-min-ndcg",
                        format!("{min} is not in [0, 1]"),
                    ));
                }
                Some(Gate {
                    queries: q.clone(),
                    qrels: r.clone(),
                    min_ndcg: min,
                })
            }
            _ => None,
        };
        let alias = self.alias.clone().map(|alias| SwapPlan {
            alias,
            keep: self.keep,
            gate,
        });
        if self.resume && stdin {
            return Err(Error::config(
                "--resume",
                "needs a corpus file (stdin cannot be re-read)",
            ));
        }
        let format = match &self.from_index {
            // Unused: the documents come from the index.
            Some(_) => CorpusFormat::Beir,
            None => resolve_format(
                self.format,
                &corpus,
                [&self.id_field, &self.text_field, &self.title_field],
            )?,
        };
        if let Some(p) = &self.vectors_from {
            check_file("--vectors-from", p)?;
        }
        for (flag, path) in [
            ("--checkpoint", &self.checkpoint),
            ("--dead-letter", &self.dead_letter),
            ("--store", &self.store),
        ] {
            if let Some(p) = path {
                check_output(flag, p)?;
            }
        }
        let conn = self.conn.options()?;

        let mut spec = IndexSpec::new(&target, 0);
        spec.similarity = self.similarity;
        spec.m = self.m;
        spec.ef_construction = self.ef_construction;
        spec.knn_engine = self.knn_engine;
        spec.es_index_type = self.es_index_type;
        spec.shards = self.shards;
        spec.replicas = self.replicas;
        let (checkpoint, dead_letter) = default_state_files(&corpus, &target, self.shard);
        let options = IngestOptions {
            checkpoint: self.checkpoint.unwrap_or(checkpoint),
            dead_letter: self.dead_letter.unwrap_or(dead_letter),
            on_error: self.on_error,
            shard: self.shard,
            spec,
            recreate: self.recreate,
            batching: Batching {
                embed_chunk: self.embed_chunk,
                bulk_docs: self.bulk_docs,
                bulk_bytes: self.bulk_mib << 20,
                concurrency: self.concurrency,
            },
            retry: RetryPolicy {
                initial: Duration::from_millis(self.retry_initial_ms),
                give_up_after: Duration::from_secs(self.retry_for),
                ..RetryPolicy::default()
            },
            resume: self.resume,
            store: self.store,
            refresh: !self.no_refresh,
            progress: !self.quiet && !self.json,
            limit: self.limit,
        };
        let request = IndexRequest {
            analyzer: self.analyzer,
            schema: self.fields.request(),
            chunking: self.chunking.request(self.no_chunking),
            from_index: self.from_index,
            alias: self.alias,
        };
        Ok(IngestPlan {
            conn,
            gate_model: self.model.clone(),
            vectors: match self.vectors_from {
                Some(p) => Vectors::Store(p),
                None => Vectors::Model(self.model),
            },
            docs: DocSource::file(corpus, format),
            request,
            alias,
            options,
            json: self.json,
        })
    }
}

const FIELD_FLAGS: [&str; 3] = ["--id-field", "--text-field", "--title-field"];

/// The corpus format: `--format`, or told by the extension; the field flags apply to either
/// (JSONL, CSV, TSV) and are an error where they cannot (BEIR named explicitly, plain text).
pub(crate) fn resolve_format(
    format: Option<FormatArg>,
    corpus: &Path,
    fields: [&Option<String>; 3],
) -> Result<CorpusFormat> {
    let given = FIELD_FLAGS
        .iter()
        .zip(fields)
        .find_map(|(flag, v)| v.as_ref().map(|_| *flag));
    let [id, text, title] = fields;
    let id_field = id.clone().unwrap_or_else(|| "_id".into());
    let text_field = text.clone().unwrap_or_else(|| "text".into());
    let title_field = match title.as_deref() {
        None => Some("title".to_owned()),
        Some("") => None,
        Some(t) => Some(t.to_owned()),
    };
    let base = match format {
        Some(FormatArg::Beir) => CorpusFormat::Beir,
        Some(FormatArg::Jsonl) => CorpusFormat::Beir,
        Some(FormatArg::Csv) => CorpusFormat::csv(b','),
        Some(FormatArg::Tsv) => CorpusFormat::csv(b'\t'),
        Some(FormatArg::Text) => CorpusFormat::Text,
        None => CorpusFormat::detect(corpus)?,
    };
    Ok(match (base, given) {
        (base, None) if format != Some(FormatArg::Jsonl) => base,
        (CorpusFormat::Text, Some(flag)) => {
            return Err(Error::config(
                flag,
                "does not apply to plain text (one document per line, numbered)",
            ));
        }
        (CorpusFormat::Beir, Some(flag)) if format == Some(FormatArg::Beir) => {
            return Err(Error::config(
                flag,
                "does not apply to --format beir (its fields are _id, title, text); use --format jsonl",
            ));
        }
        (CorpusFormat::Csv { delimiter, .. }, _) => CorpusFormat::Csv {
            delimiter,
            id_field,
            text_field,
            title_field,
        },
        (_, _) => CorpusFormat::Jsonl {
            id_field,
            text_field,
            title_field,
        },
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn args(extra: &[&str]) -> std::result::Result<IngestArgs, clap::Error> {
        let mut argv = vec!["sembridge", "ingest", "--index", "x", "--corpus", "c.jsonl"];
        argv.extend(extra);
        match Cli::try_parse_from(argv)?.command {
            Command::Ingest(a) => Ok(*a),
            _ => unreachable!(),
        }
    }

    #[test]
    fn conflicting_and_zero_flags_are_refused_by_the_parser() {
        for (extra, flag) in [
            (&["--resume", "--recreate"][..], "--recreate"),
            (&["--resume", "--store", "s.sbv"], "--store"),
            (&["--shards", "0"], "--shards"),
            (&["--embed-chunk", "0"], "--embed-chunk"),
            (&["--retry-initial-ms", "0"], "--retry-initial-ms"),
            (&["--concurrency", "0"], "--concurrency"),
            (&["--bulk-docs", "0"], "--bulk-docs"),
            (&["--bulk-mib", "0"], "--bulk-mib"),
        ] {
            let err = args(extra).unwrap_err().to_string();
            assert!(err.contains(flag), "{extra:?}: {err}");
        }
    }

    #[test]
    fn defaults_come_from_the_library() {
        let a = args(&[]).unwrap();
        let b = Batching::default();
        assert_eq!(
            (a.embed_chunk, a.bulk_docs, a.bulk_mib << 20, a.concurrency),
            (b.embed_chunk, b.bulk_docs, b.bulk_bytes, b.concurrency)
        );
        let r = RetryPolicy::default();
        assert_eq!(Duration::from_millis(a.retry_initial_ms), r.initial);
        assert_eq!(Duration::from_secs(a.retry_for), r.give_up_after);
    }

    #[test]
    fn field_flags_apply_to_detected_formats() {
        let custom = |v: &str| Some(v.to_owned());
        let csv = resolve_format(
            None,
            Path::new("a.csv"),
            [&custom("pid"), &custom("body"), &Some(String::new())],
        )
        .unwrap();
        assert_eq!(
            csv,
            CorpusFormat::Csv {
                delimiter: b',',
                id_field: "pid".into(),
                text_field: "body".into(),
                title_field: None,
            }
        );
        let jsonl =
            resolve_format(None, Path::new("a.jsonl"), [&None, &custom("body"), &None]).unwrap();
        assert_eq!(
            jsonl,
            CorpusFormat::Jsonl {
                id_field: "_id".into(),
                text_field: "body".into(),
                title_field: Some("title".into()),
            }
        );
        assert_eq!(
            resolve_format(None, Path::new("a.jsonl"), [&None, &None, &None]).unwrap(),
            CorpusFormat::Beir
        );
        let err = resolve_format(None, Path::new("a.txt"), [&None, &custom("body"), &None])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--text-field"), "{err}");
        let err = resolve_format(
            Some(FormatArg::Beir),
            Path::new("a"),
            [&custom("x"), &None, &None],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("--id-field") && err.contains("--format jsonl"),
            "{err}"
        );
    }
}
