//! Where sembridge finds what `scripts/setup.sh` installed: the ONNX Runtime library and the default
//! model, under `~/.cache/sembridge` unless the environment says otherwise.

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

/// The default model folder assembled by setup (all-MiniLM-L6-v2, int8 ONNX).
pub fn default_model_dir() -> PathBuf {
    home().join("models").join("all-MiniLM-L6-v2-int8")
}

/// Candidate locations of `libonnxruntime.so`, in the order they are tried after `ORT_DYLIB_PATH`.
pub fn onnxruntime_candidates() -> Vec<PathBuf> {
    vec![home().join("onnxruntime").join("libonnxruntime.so")]
}

/// Where ingest jobs keep their checkpoints and dead-letter files unless told otherwise.
pub fn ingest_state_dir() -> PathBuf {
    home().join("ingest")
}
