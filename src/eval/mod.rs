//! Retrieval quality (nDCG, recall, MRR against qrels) and ANN recall against exact search.
