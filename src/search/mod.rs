//! Full-text search with tantivy: indexing (fed from the database's change outbox) and querying live apart.

pub mod analyzer;
mod expand;
pub mod facets;
mod highlight;
mod indexer;
mod matches;
pub mod partners;
mod plan;
pub mod query;
mod rank;
mod schema;
mod source;
mod vocabulary;
mod words;

pub use source::{dependents, linked_by_companies};

pub use indexer::{Bulk, Following, IndexStatus, SearchIndex};
