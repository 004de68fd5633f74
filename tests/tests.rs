//! One integration test binary (fewer links on a 2-core machine); modules by area.

#[macro_use]
mod support;

mod chunking;
mod embed;
mod engines;
mod ingest;
mod interop;
mod layouts;
mod pipeline;
mod proxy;
mod quality;
mod reliability;
mod serve;
mod sigv4;
mod tls;
