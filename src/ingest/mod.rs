//! The ingest pipeline: read -> embed -> bulk, joined by bounded channels (the backpressure).
