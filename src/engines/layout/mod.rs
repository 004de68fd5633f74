//! How an index lays out its documents: the field names ([`schema`]), what sembridge reads from
//! an existing mapping ([`discover`]), the index sembridge creates ([`spec`]) and the vector
//! field's kinds they share ([`vector`]). Pure data and JSON, no requests.

pub mod discover;
pub mod schema;
pub mod spec;
pub mod vector;
