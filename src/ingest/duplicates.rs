//! Duplicate ids in a corpus: the engine keeps the last document of each id, so a corpus with
//! duplicates ends with fewer documents than were acknowledged. When the job created the index
//! the two counts must agree; where they do not, the corpus is read again to name the first
//! duplicate id and the job counts the overwritten documents as skipped (exit 1).

use std::collections::HashSet;
use std::path::PathBuf;

use crate::corpus::{CorpusFormat, CorpusReader};
use crate::error::Result;

/// A corpus file that can be read again for [`first_duplicate`].
#[derive(Debug, Clone)]
pub(crate) struct Reread {
    pub path: PathBuf,
    pub format: CorpusFormat,
}

/// The first id of the corpus that appears twice, with the 1-based line of its second
/// appearance (bad records are passed over); `None` when every id is unique.
pub(crate) fn first_duplicate(corpus: &Reread) -> Result<Option<(String, u64)>> {
    let mut seen = HashSet::new();
    for doc in CorpusReader::open(&corpus.path, Some(corpus.format.clone()))?.flatten() {
        if !seen.insert(doc.id.clone()) {
            return Ok(Some((doc.id, doc.line)));
        }
    }
    Ok(None)
}

/// The message for `lost` documents overwritten by a later one with the same id.
pub(crate) fn message(
    corpus: &std::path::Path,
    index: &str,
    lost: u64,
    first: Option<(String, u64)>,
) -> String {
    let first = match first {
        Some((id, line)) => format!("; the first is `{id}` (again at line {line})"),
        None => String::new(),
    };
    format!(
        "{}: {lost} documents overwrote an earlier one with the same id, so index `{index}` \
         holds fewer documents than were acknowledged{first}; make the ids unique",
        corpus.display()
    )
}
