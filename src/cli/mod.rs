//! Command line: clap definitions, validated into typed configs, and the subcommand runners.

/// Exit codes: 0 success, 1 partial (some records skipped or documents failed), 2 error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_PARTIAL: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn run() -> anyhow::Result<u8> {
    Ok(EXIT_OK)
}
