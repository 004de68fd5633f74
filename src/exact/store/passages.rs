//! A store of passages (written with `--chunk-tokens`): which document each row belongs to and
//! where in its text the row's window lies, read from the ids (`PARENT#I`) and the meta. This
//! module owns the meta's passage keys: every writer records them through [`write_meta`] and
//! every reader goes through [`recorded_cut`] or [`PassageMap::from_store`].
//!
//! The meta of a passage store: `chunking` = `{tokens, overlap, documents}` (the cut, absent
//! where unknown, as in an export of an index sembridge did not write; and how many documents
//! the rows belong to), `passages` = each row's `[start, end)` character offsets.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::corpus::chunk::{ChunkOptions, split_passage_id};

/// Record in `meta` that the rows are passages of `documents` documents, cut by `cut` (`None`:
/// not known), at `offsets` (one per row).
pub fn write_meta(
    meta: &mut Value,
    cut: Option<ChunkOptions>,
    documents: u64,
    offsets: &[[usize; 2]],
) {
    let mut chunking = match cut {
        Some(c) => json!({"tokens": c.tokens, "overlap": c.overlap}),
        None => json!({}),
    };
    chunking["documents"] = json!(documents);
    meta["chunking"] = chunking;
    meta["passages"] = json!(offsets);
}

/// How a passage store's documents were cut, as its meta records it (`None`: whole documents,
/// or a cut not recorded).
pub fn recorded_cut(meta: &Value) -> Option<ChunkOptions> {
    serde_json::from_value(meta.get("chunking")?.clone()).ok()
}

/// Row -> parent document, and the passages' character offsets.
#[derive(Debug, Clone)]
pub struct PassageMap {
    /// The parent documents, in order of first appearance.
    pub parents: Vec<String>,
    /// For each row: its index in `parents`.
    pub parent_of: Vec<u32>,
    /// For each row: its position among its parent's passages.
    pub index: Vec<u32>,
    /// For each row: [start, end) character offsets of its window in the parent's text.
    pub offsets: Vec<[usize; 2]>,
    /// The most passages any one parent has.
    pub max_per_parent: usize,
    /// Parent id -> its index in `parents`.
    by_parent: HashMap<String, u32>,
    /// For each parent: its rows, in passage order.
    rows: Vec<Vec<u32>>,
}

impl PassageMap {
    /// Build the map from a store's ids and meta; `Ok(None)` when the store holds whole documents
    /// (no `chunking` in its meta).
    pub fn from_store(ids: &[String], meta: &Value) -> Result<Option<Self>, String> {
        if meta.get("chunking").is_none() {
            return Ok(None);
        }
        let offsets: Vec<[usize; 2]> = serde_json::from_value(
            meta.get("passages").cloned().unwrap_or_default(),
        )
        .map_err(|e| format!("meta `passages` is not a list of [start, end] offsets: {e}"))?;
        if offsets.len() != ids.len() {
            return Err(format!(
                "meta has {} passage offsets for {} rows",
                offsets.len(),
                ids.len()
            ));
        }
        let mut parents = Vec::new();
        let mut by_name: HashMap<&str, u32> = HashMap::new();
        let mut counts: Vec<usize> = Vec::new();
        let mut parent_of = Vec::with_capacity(ids.len());
        let mut index = Vec::with_capacity(ids.len());
        for id in ids {
            let (parent, i) = split_passage_id(id)
                .ok_or_else(|| format!("row id `{id}` is not a passage id (PARENT#N)"))?;
            let p = *by_name.entry(parent).or_insert_with(|| {
                parents.push(parent.to_owned());
                counts.push(0);
                (parents.len() - 1) as u32
            });
            counts[p as usize] += 1;
            parent_of.push(p);
            index.push(i as u32);
        }
        let mut rows: Vec<Vec<u32>> = counts.iter().map(|&n| Vec::with_capacity(n)).collect();
        for (row, &p) in parent_of.iter().enumerate() {
            rows[p as usize].push(row as u32);
        }
        for r in &mut rows {
            r.sort_by_key(|&row| index[row as usize]);
        }
        let by_parent = by_name
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        Ok(Some(PassageMap {
            parents,
            parent_of,
            index,
            offsets,
            max_per_parent: counts.into_iter().max().unwrap_or(1),
            by_parent,
            rows,
        }))
    }

    /// The rows of a parent document's passages, in passage order (`None`: not in the store).
    pub fn rows_of(&self, parent: &str) -> Option<&[u32]> {
        let p = *self.by_parent.get(parent)?;
        Some(&self.rows[p as usize])
    }
}
