//! Paths and helpers shared by the integration tests: shared datasets, models, engine URLs.

use std::path::PathBuf;

/// `../shared` next to the repository (CI has it too).
pub fn shared() -> PathBuf {
    std::env::var_os("SEMBRIDGE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

pub fn dataset(name: &str) -> PathBuf {
    shared().join("datasets").join(name)
}

/// The fp32 reference export (checked to 1e-7 against a reference implementation).
pub fn fp32_model() -> PathBuf {
    shared().join("models/all-MiniLM-L6-v2")
}

/// The default int8 model assembled by scripts/setup.sh.
pub fn int8_model() -> PathBuf {
    sembridge::paths::default_model_dir()
}
