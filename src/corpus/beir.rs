//! Queries and relevance judgments (BEIR `queries.jsonl` and `qrels/*.tsv`, TREC qrels, plain text).
//! They are small and read whole; the first bad line is the error, naming file:line:field.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use super::jsonl::{check_id, kind, take_id};
use super::lines::{self, Lines};
use super::{Qrels, Query};
use crate::error::{Error, Result};

fn open(path: &Path) -> Result<Lines> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let inner: Box<dyn BufRead + Send> = Box::new(BufReader::new(file));
    Ok(Lines::new(inner))
}

/// Reads queries. By extension: `.txt` is one query per line with its 1-based line number as id;
/// `.tsv` is `id<TAB>text` per line (a first line `query-id<TAB>...`/`_id<TAB>...`/`id<TAB>...` is
/// a header); anything else is BEIR `queries.jsonl` (`_id` string or number, `text`). Blank lines
/// are skipped; a duplicate id is an error.
pub fn read_queries(path: &Path) -> Result<Vec<Query>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let mut lines = open(path)?;
    let mut queries = Vec::new();
    let mut seen = HashSet::new();
    while let Some((line, bytes)) = lines.next_line().map_err(|e| Error::io(path, e))? {
        if lines::is_blank(bytes) {
            continue;
        }
        let err = |field: Option<&str>, msg: String| Error::record(path, line, field, msg);
        let text = lines::utf8(bytes).map_err(|m| err(None, m))?;
        let query = match ext.as_deref() {
            Some("txt") => Query {
                id: line.to_string(),
                text: text.to_owned(),
            },
            Some("tsv") => {
                let Some((id, text)) = text.split_once('\t') else {
                    return Err(err(None, "expected `id<TAB>text`, found no tab".into()));
                };
                if line == 1 && matches!(id.trim(), "query-id" | "_id" | "id" | "qid") {
                    continue;
                }
                check_id(id).map_err(|m| err(Some("id"), m))?;
                Query {
                    id: id.to_owned(),
                    text: text.to_owned(),
                }
            }
            _ => parse_json_query(text).map_err(|(f, m)| err(f, m))?,
        };
        if query.text.trim().is_empty() {
            return Err(err(Some("text"), "empty".into()));
        }
        if !seen.insert(query.id.clone()) {
            return Err(err(
                Some("_id"),
                format!("duplicate query id `{}`", query.id),
            ));
        }
        queries.push(query);
    }
    Ok(queries)
}

fn parse_json_query(line: &str) -> Result<Query, (Option<&'static str>, String)> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| (None, format!("invalid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err((
            None,
            format!("expected a JSON object, found {}", kind(&value)),
        ));
    };
    let id = take_id(&mut obj, "_id").map_err(|m| (Some("_id"), m))?;
    let text = match obj.remove("text") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => return Err((Some("text"), "missing".into())),
        Some(other) => {
            return Err((
                Some("text"),
                format!("expected a string, found {}", kind(&other)),
            ));
        }
    };
    Ok(Query { id, text })
}

/// Reads relevance judgments, one per line, in either layout (told apart per line):
///
/// * BEIR: `query-id<TAB>corpus-id<TAB>score`, with an optional header line (a first line whose
///   score column is not an integer);
/// * TREC: `qid iteration docid relevance`, whitespace separated (the iteration is ignored).
///
/// Relevance is an integer (0 or below: judged not relevant). When a pair is judged twice, the
/// last judgment wins (as BEIR's dict loading does). Blank lines are skipped.
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    let mut lines = open(path)?;
    let mut qrels = Qrels::new();
    while let Some((line, bytes)) = lines.next_line().map_err(|e| Error::io(path, e))? {
        if lines::is_blank(bytes) {
            continue;
        }
        let err = |field: Option<&str>, msg: String| Error::record(path, line, field, msg);
        let text = lines::utf8(bytes).map_err(|m| err(None, m))?;
        let tabbed: Vec<&str> = text.split('\t').map(str::trim).collect();
        let (qid, docid, rel) = if tabbed.len() == 3 {
            (tabbed[0], tabbed[1], tabbed[2])
        } else {
            let cols: Vec<&str> = text.split_ascii_whitespace().collect();
            match cols.as_slice() {
                [q, _iter, d, r] => (*q, *d, *r),
                [q, d, r] => (*q, *d, *r),
                _ => {
                    return Err(err(
                        None,
                        format!(
                            "expected `query-id<TAB>corpus-id<TAB>score` or TREC `qid 0 docid rel`, \
                             found {} columns",
                            cols.len()
                        ),
                    ));
                }
            }
        };
        let rel: i32 = match rel.parse() {
            Ok(r) => r,
            // A header line: BEIR writes `query-id corpus-id score`.
            Err(_) if line == 1 => continue,
            Err(e) => {
                return Err(err(
                    Some("score"),
                    format!("`{rel}` is not an integer relevance: {e}"),
                ));
            }
        };
        check_id(qid).map_err(|m| err(Some("query-id"), m))?;
        check_id(docid).map_err(|m| err(Some("corpus-id"), m))?;
        qrels
            .entry(qid.to_owned())
            .or_default()
            .insert(docid.to_owned(), rel);
    }
    Ok(qrels)
}
