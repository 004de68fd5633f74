//! Corpus, queries and relevance judgments: streaming readers whose errors name file:line:field.
