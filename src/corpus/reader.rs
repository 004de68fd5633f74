//! The streaming corpus reader: one [`Doc`] (or one record error) per step, whatever the format.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::Doc;
use super::csv::CsvDocs;
use super::format::CorpusFormat;
use super::jsonl::{self, JsonFields};
use super::lines::{self, Lines};
use crate::error::{Error, Result};

/// Reads a corpus one record at a time.
///
/// Each item is a document or the error of one bad record (`Error::Record` naming file, line and
/// field); after a record error the next call goes on with the next record, so the caller decides
/// whether to skip or stop. Blank lines are skipped. An I/O error is yielded once and ends the
/// iteration. An empty file yields nothing.
pub struct CorpusReader {
    path: PathBuf,
    source: Source,
}

enum Source {
    Json {
        lines: Lines,
        id: String,
        text: String,
        title: Option<String>,
    },
    Text(Lines),
    Csv(Box<CsvDocs>),
    Done,
}

impl std::fmt::Debug for CorpusReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorpusReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CorpusReader {
    /// Opens `path` (`-` for standard input) in `format`, or in the format its extension names
    /// when `format` is `None` (see [`CorpusFormat::detect`]).
    pub fn open(path: &Path, format: Option<CorpusFormat>) -> Result<Self> {
        let format = match format {
            Some(f) => f,
            None => CorpusFormat::detect(path)?,
        };
        if path.as_os_str() == "-" {
            let stdin: Box<dyn BufRead + Send> = Box::new(BufReader::new(std::io::stdin()));
            return Ok(Self::from_reader(Path::new("<stdin>"), stdin, format));
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let inner = Box::new(BufReader::with_capacity(1 << 16, file));
        Ok(Self::from_reader(path, inner, format))
    }

    /// Reads from any byte stream; `name` is the path the errors show.
    pub fn from_reader(name: &Path, inner: Box<dyn BufRead + Send>, format: CorpusFormat) -> Self {
        let source = match &format {
            CorpusFormat::Csv {
                delimiter,
                id_field,
                text_field,
                title_field,
            } => Source::Csv(Box::new(CsvDocs::new(
                name,
                inner,
                *delimiter,
                id_field,
                text_field,
                title_field.as_deref(),
            ))),
            CorpusFormat::Text => Source::Text(Lines::new(inner)),
            CorpusFormat::Beir | CorpusFormat::Jsonl { .. } => {
                let (id, text, title) =
                    format
                        .json_fields()
                        .unwrap_or(("_id", "text", Some("title")));
                Source::Json {
                    lines: Lines::new(inner),
                    id: id.to_owned(),
                    text: text.to_owned(),
                    title: title.map(str::to_owned),
                }
            }
        };
        Self {
            path: name.to_owned(),
            source,
        }
    }

    /// The path the errors show (`<stdin>` for standard input).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Iterator for CorpusReader {
    type Item = Result<Doc>;

    fn next(&mut self) -> Option<Result<Doc>> {
        let path = &self.path;
        let item = match &mut self.source {
            Source::Done => return None,
            Source::Csv(docs) => {
                let item = docs.next();
                if item.is_none() {
                    self.source = Source::Done;
                }
                return item;
            }
            Source::Text(lines) => next_nonblank(path, lines, |line, bytes| {
                jsonl::text_doc(path, line, bytes)
            }),
            Source::Json {
                lines,
                id,
                text,
                title,
            } => {
                let fields = JsonFields {
                    id,
                    text,
                    title: title.as_deref(),
                };
                next_nonblank(path, lines, |line, bytes| {
                    jsonl::parse_doc(path, line, bytes, &fields)
                })
            }
        };
        match item {
            None => {
                self.source = Source::Done;
                None
            }
            Some(Err(e @ Error::Io { .. })) => {
                self.source = Source::Done;
                Some(Err(e))
            }
            some => some,
        }
    }
}

/// The next non-blank line parsed with `parse`; `None` at the end, an `Error::Io` on a read error.
fn next_nonblank(
    path: &Path,
    lines: &mut Lines,
    parse: impl Fn(u64, &[u8]) -> Result<Doc>,
) -> Option<Result<Doc>> {
    loop {
        match lines.next_line() {
            Err(e) => return Some(Err(Error::io(path, e))),
            Ok(None) => return None,
            Ok(Some((_, bytes))) if lines::is_blank(bytes) => continue,
            Ok(Some((line, bytes))) => return Some(parse(line, bytes)),
        }
    }
}
