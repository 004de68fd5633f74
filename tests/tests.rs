//! One integration test binary (fewer links on a 2-core machine); modules by area.

#[macro_use]
mod support;

mod chunk_engines;
mod chunking;
mod cluster;
mod embed;
mod embed_pool;
mod engines;
mod ingest;
mod interop;
mod layouts;
mod lifecycle;
mod models;
mod pipeline;
mod proxy;
mod quality;
mod reliability;
mod secure;
mod serve;
mod sigv4;
mod tls;
mod trec_run;
