//! CSV and TSV corpora: a header row names the columns; each record becomes a [`Doc`].

use std::io::BufRead;
use std::path::{Path, PathBuf};

use ::csv::{ByteRecord, ReaderBuilder};
use serde_json::{Map, Value};

use super::Doc;
use super::jsonl::check_id;
use crate::error::{Error, Result};

/// Column positions resolved from the header.
struct Columns {
    names: Vec<String>,
    id: usize,
    text: usize,
    title: Option<usize>,
}

pub(crate) struct CsvDocs {
    path: PathBuf,
    reader: ::csv::Reader<Box<dyn BufRead + Send>>,
    record: ByteRecord,
    id_field: String,
    text_field: String,
    title_field: Option<String>,
    columns: Option<Columns>,
    done: bool,
}

impl CsvDocs {
    pub(crate) fn new(
        path: &Path,
        inner: Box<dyn BufRead + Send>,
        delimiter: u8,
        id_field: &str,
        text_field: &str,
        title_field: Option<&str>,
    ) -> Self {
        let reader = ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            // TSV files (BEIR, MS MARCO) carry literal quotes in their text.
            .quoting(delimiter != b'\t')
            .from_reader(inner);
        Self {
            path: path.to_owned(),
            reader,
            record: ByteRecord::new(),
            id_field: id_field.to_owned(),
            text_field: text_field.to_owned(),
            title_field: title_field.map(str::to_owned),
            columns: None,
            done: false,
        }
    }

    /// The columns, or `None` for an empty file.
    fn read_header(&mut self) -> Result<Option<Columns>> {
        let header = match self.reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(self.csv_error(e)),
        };
        if header.is_empty() {
            return Ok(None);
        }
        let mut names = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                Error::record(
                    &self.path,
                    1,
                    None,
                    format!("header column {} is not valid UTF-8", i + 1),
                )
            })?;
            names.push(name.trim().to_owned());
        }
        let find = |f: &str| names.iter().position(|n| n == f);
        let missing = |f: &str| {
            Error::record(
                &self.path,
                1,
                Some(f),
                format!(
                    "no such column in the header (columns: {}); name the column with --id-field / \
                     --text-field",
                    names.join(", ")
                ),
            )
        };
        let id = find(&self.id_field).ok_or_else(|| missing(&self.id_field))?;
        let text = find(&self.text_field).ok_or_else(|| missing(&self.text_field))?;
        let title = self.title_field.as_deref().and_then(find);
        Ok(Some(Columns {
            names,
            id,
            text,
            title,
        }))
    }

    /// An I/O error is fatal; anything else the csv crate reports is a record error.
    fn csv_error(&mut self, e: ::csv::Error) -> Error {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            ::csv::ErrorKind::Io(io) => {
                self.done = true;
                Error::io(&self.path, io)
            }
            other => Error::record(&self.path, line, None, format!("{other:?}")),
        }
    }

    fn to_doc(&self, cols: &Columns) -> Option<Result<Doc>> {
        let rec = &self.record;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            return None;
        }
        let err = |field: Option<&str>, msg: String| Error::record(&self.path, line, field, msg);
        if rec.len() > cols.names.len() {
            return Some(Err(err(
                None,
                format!(
                    "{} fields but the header names {}; is the delimiter inside an unquoted field?",
                    rec.len(),
                    cols.names.len()
                ),
            )));
        }
        let field = |i: usize| -> Result<Option<&str>> {
            match rec.get(i) {
                None => Ok(None),
                Some(raw) => std::str::from_utf8(raw).map(Some).map_err(|e| {
                    err(
                        Some(&cols.names[i]),
                        format!(
                            "not valid UTF-8 (first bad byte at offset {})",
                            e.valid_up_to()
                        ),
                    )
                }),
            }
        };
        Some((|| {
            let id = field(cols.id)?.ok_or_else(|| err(Some(&self.id_field), "missing".into()))?;
            check_id(id).map_err(|m| err(Some(&self.id_field), m))?;
            let text =
                field(cols.text)?.ok_or_else(|| err(Some(&self.text_field), "missing".into()))?;
            if text.trim().is_empty() {
                return Err(err(Some(&self.text_field), "empty: nothing to embed".into()));
            }
            let title = match cols.title {
                Some(i) => field(i)?.unwrap_or_default().to_owned(),
                None => String::new(),
            };
            let mut metadata = Map::new();
            for i in 0..rec.len() {
                if i != cols.id && i != cols.text && Some(i) != cols.title {
                    let v = field(i)?.unwrap_or_default();
                    metadata.insert(cols.names[i].clone(), Value::String(v.to_owned()));
                }
            }
            Ok(Doc {
                id: id.to_owned(),
                title,
                text: text.to_owned(),
                metadata,
                line,
            })
        })())
    }
}

impl Iterator for CsvDocs {
    type Item = Result<Doc>;

    fn next(&mut self) -> Option<Result<Doc>> {
        if self.done {
            return None;
        }
        let cols = match self.columns.take() {
            Some(c) => c,
            None => match self.read_header() {
                Ok(Some(c)) => c,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    // Without the columns no record can be read: report once and stop.
                    self.done = true;
                    return Some(Err(e));
                }
            },
        };
        let item = loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    break None;
                }
                Ok(true) => {
                    if let Some(item) = self.to_doc(&cols) {
                        break Some(item);
                    }
                }
                Err(e) => break Some(Err(self.csv_error(e))),
            }
        };
        self.columns = Some(cols);
        item
    }
}
