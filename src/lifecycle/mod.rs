//! Model lifecycle: versioned indexes behind an alias. A job writes a fresh version
//! (`ALIAS--MODEL--TIME`), which is verified (every acknowledged document counted, optionally a
//! quality gate) before one atomic `_aliases` request moves the alias (read and write) onto it;
//! old versions are kept per `--keep`, listed, rolled back to and pruned. [`swap`] names, checks
//! and promotes a job's version. Re-embedding reads the documents back from a live index
//! ([`from_index`]), so a model migration needs no corpus file.

pub mod from_index;
pub mod swap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::engines::Engine;
use crate::error::{Error, Result};

/// The separator between alias, model and time in a version's name.
const SEP: &str = "--";

/// The name of a new version: `ALIAS--MODEL--YYYYMMDDhhmmss` (UTC; the model's short
/// fingerprint cut to 12 characters), so a listing shows what and when at a glance.
pub fn version_name(alias: &str, model: &str, unix_secs: u64) -> String {
    let model: String = model
        .chars()
        .take(12)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{alias}{SEP}{model}{SEP}{}", utc_stamp(unix_secs))
}

/// `YYYYMMDDhhmmss` of a Unix time (UTC), civil-from-days (Howard Hinnant's algorithm).
fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// An alias name: a concrete index name without `--` (the separator of version names: with
/// `a--b` allowed, the versions of `a` and of `a--b` would share a prefix).
pub fn check_alias_name(alias: &str) -> Result<()> {
    crate::engines::names::check_index_name("--alias", alias)?;
    if alias.contains(SEP) {
        return Err(Error::config(
            "--alias",
            format!(
                "`{alias}` holds `{SEP}`, which separates alias, model and time in version names"
            ),
        ));
    }
    Ok(())
}

/// The pattern every version of `alias` matches.
pub fn versions_pattern(alias: &str) -> String {
    format!("{alias}{SEP}*")
}

/// One version of an alias.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    pub index: String,
    /// The model its `_meta` names.
    pub model: Option<String>,
    pub docs: u64,
    /// Creation time, ms since the epoch.
    pub created_ms: u64,
    /// The alias points at it.
    pub current: bool,
    /// Every alias that points at it (`current` or not).
    pub aliases: Vec<String>,
}

/// The indexes `alias` points at now (none when it does not exist).
pub async fn alias_targets(engine: &Engine, alias: &str) -> Result<Vec<String>> {
    match engine.get_json(&format!("_alias/{alias}")).await {
        Ok(v) => Ok(v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()),
        Err(Error::Engine { status: 404, .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Every version of `alias`, oldest first: the indexes named `ALIAS--*` whose `_meta` records
/// `alias` (an index of another alias such as `ALIAS--x`, or one without the record, is not).
pub async fn versions(engine: &Engine, alias: &str) -> Result<Vec<Version>> {
    crate::engines::names::check_index_name("alias", alias)?;
    let pattern = versions_pattern(alias);
    let cat = engine
        .get_json(&format!(
            "_cat/indices/{pattern}?format=json&h=index,creation.date,docs.count&expand_wildcards=open"
        ))
        .await?;
    let current = alias_targets(engine, alias).await?;
    let mut out = Vec::new();
    for row in cat.as_array().cloned().unwrap_or_default() {
        let Some(index) = row.get("index").and_then(Value::as_str) else {
            continue;
        };
        let num = |k: &str| {
            row.get(k)
                .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()))
                .unwrap_or(0)
        };
        let mapping = engine.mappings(index).await?;
        let meta = |key: &str| {
            mapping.first().and_then(|(_, m)| {
                m.pointer(&format!("/_meta/sembridge/{key}"))?
                    .as_str()
                    .map(str::to_owned)
            })
        };
        if meta("alias").as_deref() != Some(alias) {
            continue;
        }
        let model = meta("model");
        let aliases = index_aliases(engine, index).await?;
        out.push(Version {
            index: index.to_owned(),
            model,
            docs: num("docs.count"),
            created_ms: num("creation.date"),
            current: current.iter().any(|c| c == index),
            aliases,
        });
    }
    out.sort_by(|a, b| (a.created_ms, &a.index).cmp(&(b.created_ms, &b.index)));
    Ok(out)
}

/// The aliases that point at `index`.
async fn index_aliases(engine: &Engine, index: &str) -> Result<Vec<String>> {
    let path = format!("{}/_alias", crate::engines::names::path_segment(index));
    let v = engine.get_json(&path).await?;
    Ok(v.pointer(&format!(
        "/{}/aliases",
        index.replace('~', "~0").replace('/', "~1")
    ))
    .and_then(Value::as_object)
    .map(|o| o.keys().cloned().collect())
    .unwrap_or_default())
}

/// Point `alias` (for reads, and as the write index) at `to` alone, in one atomic `_aliases`
/// request that also removes it from every index it pointed at. An existing index named like
/// the alias is refused (the engine would refuse the alias anyway).
pub async fn move_alias(engine: &Engine, alias: &str, to: &str) -> Result<()> {
    let from = alias_targets(engine, alias).await?;
    if from.is_empty() && engine.index_exists(alias).await? {
        return Err(Error::config(
            "--alias",
            format!("`{alias}` is an index, not an alias: choose another name or delete it"),
        ));
    }
    let mut actions: Vec<Value> = from
        .iter()
        .filter(|i| *i != to)
        .map(|i| json!({"remove": {"index": i, "alias": alias}}))
        .collect();
    actions.push(json!({"add": {"index": to, "alias": alias, "is_write_index": true}}));
    engine
        .post_json("_aliases", json!({"actions": actions}))
        .await
        .map(drop)
}

/// Delete the versions of `alias` that no alias points at, keeping the `keep` newest of them;
/// returns the deleted names. Only indexes whose `_meta` records `alias` are versions of it.
pub async fn prune(engine: &Engine, alias: &str, keep: usize) -> Result<Vec<String>> {
    let old: Vec<Version> = versions(engine, alias)
        .await?
        .into_iter()
        .filter(|v| !v.current && v.aliases.is_empty())
        .collect();
    let cut = old.len().saturating_sub(keep);
    let mut deleted = Vec::new();
    for v in &old[..cut] {
        engine.delete_index(&v.index).await?;
        deleted.push(v.index.clone());
    }
    Ok(deleted)
}

/// Move `alias` back to the newest version older than the current one; returns (from, to).
pub async fn rollback(engine: &Engine, alias: &str) -> Result<(String, String)> {
    let all = versions(engine, alias).await?;
    let Some(cur) = all.iter().rposition(|v| v.current) else {
        return Err(Error::config(
            "alias",
            format!(
                "`{alias}` points at no version of its own ({} versions exist)",
                all.len()
            ),
        ));
    };
    let Some(prev) = cur.checked_sub(1).map(|i| &all[i]) else {
        return Err(Error::config(
            "alias",
            format!(
                "`{alias}` is at its oldest version `{}`: nothing to roll back to",
                all[cur].index
            ),
        ));
    };
    move_alias(engine, alias, &prev.index).await?;
    Ok((all[cur].index.clone(), prev.index.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_show_alias_model_and_utc_time() {
        // 2026-11-29 23:07:41 UTC = 1795993661.
        assert_eq!(
            version_name("scifact", "8199be6f699a-be50c362-384d", 1_795_993_661),
            "scifact--8199be6f699a--20261129230741"
        );
        assert_eq!(utc_stamp(0), "19700101000000");
        assert_eq!(utc_stamp(951_782_400), "20000229000000");
        assert!(version_name("a", "Store", 0).starts_with("a--store--"));
    }

    #[test]
    fn alias_names_refuse_the_separator() {
        assert!(check_alias_name("scifact").is_ok());
        let e = check_alias_name("a--b").unwrap_err().to_string();
        assert!(e.contains("--alias") && e.contains("`--`"), "{e}");
        assert!(check_alias_name("a*").is_err());
    }
}
