//! `--name value` flags, shared by the examples (each includes this file with `#[path]`; it is
//! not an example itself). Flags come in any order; words no example asks for are ignored.

use std::str::FromStr;

/// This process's command line.
pub fn args() -> Vec<String> {
    std::env::args().collect()
}

/// The value after `name`, parsed; `None` when `name` is absent. Panics when the value is
/// missing or does not parse.
pub fn opt_arg<T: FromStr>(args: &[String], name: &str) -> Option<T> {
    let i = args.iter().position(|a| a == name)?;
    Some(
        args.get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a valid value")),
    )
}

/// The value after `name`, parsed, or `default` when `name` is absent.
pub fn arg<T: FromStr>(args: &[String], name: &str, default: T) -> T {
    opt_arg(args, name).unwrap_or(default)
}
