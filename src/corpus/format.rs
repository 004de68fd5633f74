//! Which shape a corpus file has, and how to tell it from the file name when the user does not say.

use std::path::Path;

use crate::error::{Error, Result};

/// The layout of a corpus file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorpusFormat {
    /// BEIR `corpus.jsonl`: one JSON object per line with `_id`, `text`, optional `title` and an
    /// optional `metadata` object. The same reader as [`CorpusFormat::Jsonl`] with those field names.
    Beir,
    /// JSON Lines with the given field names. Every other field is kept as metadata; a `metadata`
    /// object is merged into it (its keys, not the object itself).
    Jsonl {
        id_field: String,
        text_field: String,
        title_field: Option<String>,
    },
    /// Delimited text with a header row naming the columns. Other columns become string metadata.
    /// A comma delimiter follows RFC 4180 quoting; a tab delimiter is read without quote processing
    /// (as BEIR and MS MARCO TSV files are written: quotes in text are literal), so a stray `"` can
    /// never swallow the lines after it.
    Csv {
        delimiter: u8,
        id_field: String,
        text_field: String,
        title_field: Option<String>,
    },
    /// Plain text, one document per line; the id is the 1-based line number (as the sentence-
    /// transformers examples number `corpus.txt`).
    Text,
}

/// The extensions [`CorpusFormat::detect`] knows, for messages.
pub const KNOWN_EXTENSIONS: &str = ".jsonl, .json, .ndjson, .csv, .tsv, .txt";

impl CorpusFormat {
    /// CSV with the BEIR column names `_id`, `text`, `title`.
    pub fn csv(delimiter: u8) -> Self {
        CorpusFormat::Csv {
            delimiter,
            id_field: "_id".into(),
            text_field: "text".into(),
            title_field: Some("title".into()),
        }
    }

    /// Tells the format from the extension: `.jsonl`/`.json`/`.ndjson` BEIR JSONL, `.csv` comma,
    /// `.tsv` tab, `.txt` one document per line. `-` (stdin) is read as BEIR JSONL.
    pub fn detect(path: &Path) -> Result<Self> {
        Self::from_extension(path).ok_or_else(|| {
            Error::config(
                "--format",
                format!(
                    "cannot tell the format of {} from its extension (known: {KNOWN_EXTENSIONS}); \
                     name it with --format",
                    path.display()
                ),
            )
        })
    }

    /// [`CorpusFormat::detect`] without the error: `None` for an extension it does not know.
    pub fn from_extension(path: &Path) -> Option<Self> {
        if path.as_os_str() == "-" {
            return Some(CorpusFormat::Beir);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "json" | "ndjson") => Some(CorpusFormat::Beir),
            Some("csv") => Some(CorpusFormat::csv(b',')),
            Some("tsv") => Some(CorpusFormat::csv(b'\t')),
            Some("txt") => Some(CorpusFormat::Text),
            _ => None,
        }
    }

    /// The (id, text, title) field names for the JSONL shapes.
    pub(crate) fn json_fields(&self) -> Option<(&str, &str, Option<&str>)> {
        match self {
            CorpusFormat::Beir => Some(("_id", "text", Some("title"))),
            CorpusFormat::Jsonl {
                id_field,
                text_field,
                title_field,
            } => Some((id_field, text_field, title_field.as_deref())),
            CorpusFormat::Csv { .. } | CorpusFormat::Text => None,
        }
    }
}
