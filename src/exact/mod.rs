//! Exact top-k search over a local vector store: query chunks x corpus chunks, then merge.
