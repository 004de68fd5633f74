//! Sentence embeddings with ONNX Runtime: model folder, tokenization, batching, pooling.
