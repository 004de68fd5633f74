//! The `sembridge` binary: a thin shell around [`sembridge::cli::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    match sembridge::cli::run() {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // The whole chain, each cause once (`{err:#}` would repeat a cause that an error of
            // another crate shows in its own text too).
            eprintln!("sembridge: {}", sembridge::error::chain(err.as_ref()));
            ExitCode::from(sembridge::cli::EXIT_ERROR)
        }
    }
}
