//! The `sembridge` binary: a thin shell around [`sembridge::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    match sembridge::cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("sembridge: {err:#}");
            ExitCode::from(sembridge::cli::EXIT_ERROR)
        }
    }
}
