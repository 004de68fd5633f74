//! Finding and loading the ONNX Runtime shared library once per process, and building sessions.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use super::EmbedOptions;
use crate::error::{Error, Result};

/// ONNX Runtime graph optimization level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptLevel {
    Disable,
    Basic,
    Extended,
    All,
}

impl OptLevel {
    pub const ALL: [OptLevel; 4] = [
        OptLevel::Disable,
        OptLevel::Basic,
        OptLevel::Extended,
        OptLevel::All,
    ];

    /// `disable`, `basic`, `extended` or `all`.
    pub fn name(self) -> &'static str {
        match self {
            OptLevel::Disable => "disable",
            OptLevel::Basic => "basic",
            OptLevel::Extended => "extended",
            OptLevel::All => "all",
        }
    }
}

/// `ORT_DYLIB_PATH` if set, else the library `scripts/setup.sh` installed.
pub fn ort_library_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        return Err(Error::Ort {
            message: format!(
                "ORT_DYLIB_PATH={} is not a file; point it at libonnxruntime.so or unset it",
                p.display()
            ),
        });
    }
    let candidates = crate::paths::onnxruntime_candidates();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| Error::Ort {
        message: format!(
            "libonnxruntime.so not found (looked in {}); run scripts/setup.sh, or set ORT_DYLIB_PATH to the library",
            candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    })
}

static ENV: OnceLock<std::result::Result<Environment, String>> = OnceLock::new();

fn environment() -> Result<&'static Environment> {
    ENV.get_or_init(|| {
        let path = ort_library_path().map_err(|e| e.to_string())?;
        let builder =
            ort::init_from(&path).map_err(|e| format!("cannot load {}: {e}", path.display()))?;
        builder
            .with_name("sembridge")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", path.display()))
    })
    .as_ref()
    .map_err(|message| Error::Ort {
        message: message.clone(),
    })
}

/// One session of `threads` intra-op threads (the pool's layout decides how many).
pub(super) fn session(onnx: &Path, opts: &EmbedOptions, threads: usize) -> Result<Session> {
    let env = environment()?;
    let threads = threads.max(1);
    let level = match opts.optimization {
        OptLevel::Disable => GraphOptimizationLevel::Disable,
        OptLevel::Basic => GraphOptimizationLevel::Level1,
        OptLevel::Extended => GraphOptimizationLevel::Level2,
        OptLevel::All => GraphOptimizationLevel::All,
    };
    let fail =
        |e: &dyn std::fmt::Display| Error::model(onnx, format!("ONNX Runtime cannot load it: {e}"));
    let mut builder = Session::builder(env)
        .map_err(|e| fail(&e))?
        .with_optimization_level(level)
        .map_err(|e| fail(&e))?
        .with_intra_threads(threads)
        .map_err(|e| fail(&e))?
        .with_inter_threads(1)
        .map_err(|e| fail(&e))?;
    builder.commit_from_file(onnx).map_err(|e| fail(&e))
}
