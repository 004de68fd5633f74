//! Index names as the engines define them, checked before any request that creates or deletes
//! an index: a name with `*` or `,` is a pattern to the engine (`DELETE docs*` deletes every
//! index that matches on OpenSearch), and one with `/`, `?` or `#` changes the request's path.
//!
//! The rules are the engines' own (Elasticsearch "Create index API", path parameter `<index>`;
//! OpenSearch "Create index", "Index naming restrictions"): lowercase; none of
//! `\ / * ? " < > | ,` `#`, space; not starting with `_`, `-` or `+`; not `.` or `..`; at most
//! 255 bytes. Control characters and `:` (cross-cluster) are refused too.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::error::{Error, Result};

/// Longest index name in bytes.
pub const MAX_INDEX_NAME_BYTES: usize = 255;

/// Why `name` is not a concrete index name, or `None` when it is one.
pub fn index_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name == "." || name == ".." {
        return Some(format!("`{name}` is not allowed"));
    }
    if name.len() > MAX_INDEX_NAME_BYTES {
        return Some(format!(
            "is {} bytes long (at most {MAX_INDEX_NAME_BYTES})",
            name.len()
        ));
    }
    if let Some(c) = name.chars().next().filter(|c| matches!(c, '_' | '-' | '+')) {
        return Some(format!("starts with `{c}`"));
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ',' | '#' | ' ' | ':'
        ) || c.is_control()
    }) {
        return Some(format!(
            "holds `{}` (not allowed: \\ / * ? \" < > | , # : space)",
            c.escape_default()
        ));
    }
    if name.chars().any(|c| c.is_uppercase()) {
        return Some("holds upper-case letters (index names are lowercase)".into());
    }
    None
}

/// `name` as a concrete index name (what create, delete and a job's target need), or a
/// [`Error::Config`] naming `flag` and the rule it breaks.
pub fn check_index_name(flag: &str, name: &str) -> Result<()> {
    match index_name_problem(name) {
        None => Ok(()),
        Some(why) => Err(Error::config(
            flag,
            format!("index name `{}` {why}", name.escape_default()),
        )),
    }
}

/// `pattern` as a name to read from: the rules of [`check_index_name`] except that `*` and `,`
/// (a pattern, a list) are allowed.
pub fn check_read_pattern(flag: &str, pattern: &str) -> Result<()> {
    for part in pattern.split(',') {
        let probe = part.replace('*', "x");
        if let Some(why) = index_name_problem(&probe) {
            return Err(Error::config(
                flag,
                format!("index name `{}` {why}", part.escape_default()),
            ));
        }
    }
    Ok(())
}

/// What is escaped in a path segment: everything that would end or split it (`/ ? # %`, space,
/// quotes, controls); `*` and `,` stay, since a read may name a pattern or a list.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `name` encoded as one segment of a request path.
pub fn path_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concrete_names_pass() {
        for ok in [
            "docs",
            "docs-2024.01",
            "a_b",
            "é-index",
            ".hidden",
            &"x".repeat(255),
        ] {
            assert_eq!(index_name_problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn patterns_and_paths_are_refused() {
        for (bad, why) in [
            ("docs*", "`*`"),
            ("a,b", "`,`"),
            ("a/_doc", "`/`"),
            ("a?x=1", "`?`"),
            ("a#b", "`#`"),
            ("a b", "` `"),
            ("a\\b", "`\\\\`"),
            ("remote:idx", "`:`"),
            ("_all", "starts with `_`"),
            ("-x", "starts with `-`"),
            ("+x", "starts with `+`"),
            (".", "not allowed"),
            ("..", "not allowed"),
            ("", "empty"),
            ("Docs", "lowercase"),
        ] {
            let got = index_name_problem(bad).unwrap_or_else(|| panic!("{bad} passed"));
            assert!(got.contains(why), "{bad}: {got}");
        }
        assert!(
            index_name_problem(&"x".repeat(256))
                .unwrap()
                .contains("256 bytes")
        );
        let e = check_index_name("--index", "docs*")
            .unwrap_err()
            .to_string();
        assert!(e.contains("--index") && e.contains("docs*"), "{e}");
    }

    #[test]
    fn read_patterns_allow_star_and_comma_only() {
        assert!(check_read_pattern("--from-index", "logs-*,docs").is_ok());
        for bad in ["a/../b", "a,_all", "a b", "A*"] {
            assert!(check_read_pattern("--from-index", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(path_segment("docs"), "docs");
        assert_eq!(path_segment("a/_doc?x#y"), "a%2F_doc%3Fx%23y");
        assert_eq!(path_segment("a*,b"), "a*,b");
        assert_eq!(path_segment("a b%"), "a%20b%25");
    }
}
