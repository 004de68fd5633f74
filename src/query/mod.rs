//! Search modes against an engine (bm25, knn, hybrid) and client-side fusion.
