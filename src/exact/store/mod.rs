//! The local vector store: one file of ids + f32 vectors + the embedder's metadata, written as a
//! stream (ingest does not know the count up front) and read memory-mapped by exact search and eval.
//!
//! # File format (version 1, all integers little-endian)
//!
//! ```text
//! offset  size  field
//!      0     8  magic "SBSTORE1"
//!      8     4  version (u32) = 1
//!     12     4  flags (u32): bit 0 = every row has unit L2 norm (|norm - 1| <= 1e-4)
//!     16     8  dims (u64, > 0)
//!     24     8  count (u64): number of vectors
//!     32     8  matrix_offset (u64) = 64
//!     40     8  ids_offset (u64) = matrix_offset + count * dims * 4
//!     48     8  meta_offset (u64) = end of the ids section
//!     56     8  meta_len (u64); file length = meta_offset + meta_len
//!     64     -  matrix: count rows of dims f32 (LE), row-major; 64-byte aligned in the file
//!      -     -  ids: count times (u32 byte length, UTF-8 bytes), in row order, unique
//!      -     -  meta: a JSON value (the embedder's fingerprint: model hashes, dims, pooling, ...)
//! ```
//!
//! The writer writes `PATH.tmp` with a zeroed header, patches the header last, fsyncs and renames
//! onto `PATH`, so a crash never leaves a file that passes the magic check. [`Store::open`] checks
//! every field against the file length before it hands out a slice.
//!
//! `writer.rs` streams a store out; `reader.rs` maps one in and checks it; this module holds the
//! format's constants that both share.

mod passages;
mod reader;
mod writer;

pub use self::passages::PassageMap;
pub use self::reader::Store;
pub use self::writer::{StoreSummary, StoreWriter};

pub const MAGIC: &[u8; 8] = b"SBSTORE1";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 64;
/// Header flag: every row was within [`UNIT_TOLERANCE`] of unit length when written.
pub const FLAG_UNIT_NORM: u32 = 1;
pub const UNIT_TOLERANCE: f32 = 1e-4;

#[cfg(test)]
mod tests;
