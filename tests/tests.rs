//! One integration test binary (fewer links on a 2-core machine); modules by area.

mod embed;
mod support;
