//! CSV and TSV corpora: a header row names the columns; each record becomes a [`Doc`].
//!
//! Records are found line by line (a quoted field may span lines), so every record knows the line it
//! starts on, blank lines are skipped exactly, and memory is one record; the csv crate then splits
//! the record's fields.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use ::csv::{ByteRecord, ReaderBuilder};
use serde_json::{Map, Value};

use super::Doc;
use super::jsonl::check_id;
use super::lines::{self, Lines};
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
    lines: Lines,
    delimiter: u8,
    quoting: bool,
    id_field: String,
    text_field: String,
    title_field: Option<String>,
    columns: Option<Columns>,
    done: bool,
}

/// Where the scan of a record stands at the end of a line: inside a quoted field the newline is
/// part of the field. Mirrors csv-core: a quote opens a quoted field only at the start of a field,
/// `""` inside one is a literal quote, and a quote anywhere else is literal.
#[derive(Default)]
struct QuoteScan {
    in_quotes: bool,
}

impl QuoteScan {
    fn feed(&mut self, bytes: &[u8], delimiter: u8) {
        let mut at_field_start = !self.in_quotes;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if self.in_quotes {
                if b == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 1;
                    } else {
                        self.in_quotes = false;
                    }
                }
            } else if b == delimiter {
                at_field_start = true;
                i += 1;
                continue;
            } else if b == b'"' && at_field_start {
                self.in_quotes = true;
            }
            at_field_start = false;
            i += 1;
        }
    }
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
        Self {
            path: path.to_owned(),
            lines: Lines::new(inner),
            delimiter,
            // TSV files (BEIR, MS MARCO) carry literal quotes in their text.
            quoting: delimiter != b'\t',
            id_field: id_field.to_owned(),
            text_field: text_field.to_owned(),
            title_field: title_field.map(str::to_owned),
            columns: None,
            done: false,
        }
    }

    /// The next non-blank record: its first line and its fields. `Ok(None)` at the end.
    fn next_record(&mut self) -> Result<Option<(u64, ByteRecord)>> {
        let mut raw = Vec::new();
        let mut start = 0;
        let mut scan = QuoteScan::default();
        loop {
            let next = self
                .lines
                .next_line()
                .map_err(|e| Error::io(&self.path, e))?;
            let Some((line, bytes)) = next else {
                break; // An unclosed quote at the end: what was gathered is the last record.
            };
            if start == 0 {
                if lines::is_blank(bytes) {
                    continue;
                }
                start = line;
            } else {
                raw.push(b'\n');
            }
            raw.extend_from_slice(bytes);
            if self.quoting {
                scan.feed(bytes, self.delimiter);
            }
            if !scan.in_quotes {
                break;
            }
        }
        if start == 0 {
            return Ok(None);
        }
        let mut reader = ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .quoting(self.quoting)
            .buffer_capacity(raw.len().clamp(64, 1 << 16))
            .from_reader(raw.as_slice());
        let mut record = ByteRecord::new();
        match reader.read_byte_record(&mut record) {
            Ok(_) => Ok(Some((start, record))),
            Err(e) => Err(Error::record(&self.path, start, None, e.to_string())),
        }
    }

    fn columns(&self, line: u64, header: &ByteRecord) -> Result<Columns> {
        let mut names = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| {
                Error::record(
                    &self.path,
                    line,
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
                line,
                Some(f),
                format!(
                    "no such column in the header (columns: {}); name the columns with \
                     --id-field / --text-field",
                    names.join(", ")
                ),
            )
        };
        let id = find(&self.id_field).ok_or_else(|| missing(&self.id_field))?;
        let text = find(&self.text_field).ok_or_else(|| missing(&self.text_field))?;
        let title = self.title_field.as_deref().and_then(find);
        Ok(Columns {
            names,
            id,
            text,
            title,
        })
    }

    fn to_doc(&self, cols: &Columns, line: u64, rec: &ByteRecord) -> Result<Doc> {
        let err = |field: Option<&str>, msg: String| Error::record(&self.path, line, field, msg);
        if rec.len() > cols.names.len() {
            return Err(err(
                None,
                format!(
                    "{} fields but the header names {}; is the delimiter inside an unquoted field?",
                    rec.len(),
                    cols.names.len()
                ),
            ));
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
        let id = field(cols.id)?.ok_or_else(|| err(Some(&self.id_field), "missing".into()))?;
        check_id(id).map_err(|m| err(Some(&self.id_field), m))?;
        let text =
            field(cols.text)?.ok_or_else(|| err(Some(&self.text_field), "missing".into()))?;
        if text.trim().is_empty() {
            return Err(err(
                Some(&self.text_field),
                "empty: nothing to embed".into(),
            ));
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
    }

    fn step(&mut self) -> Option<Result<Doc>> {
        let (line, record) = match self.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                if matches!(e, Error::Io { .. }) {
                    self.done = true;
                }
                return Some(Err(e));
            }
        };
        match &self.columns {
            Some(cols) => Some(self.to_doc(cols, line, &record)),
            None => match self.columns(line, &record) {
                Ok(cols) => {
                    self.columns = Some(cols);
                    self.step()
                }
                Err(e) => {
                    // Without the columns no record can be read: report once and stop.
                    self.done = true;
                    Some(Err(e))
                }
            },
        }
    }
}

impl Iterator for CsvDocs {
    type Item = Result<Doc>;

    fn next(&mut self) -> Option<Result<Doc>> {
        if self.done { None } else { self.step() }
    }
}
