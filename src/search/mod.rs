//! Full-text search with tantivy: indexing (following the database's change log) and querying live apart.

pub mod analyzer;
mod bits;
mod document;
mod expand;
pub mod facets;
mod geo;
mod highlight;
mod indexer;
mod matches;
pub mod mentors;
mod ordinals;
pub mod partners;
mod plan;
mod pool;
pub mod query;
mod rank;
mod schema;
mod source;
mod terms;
pub mod vocabulary;
mod words;

pub use source::{SearchDoc, Source, Translated};
pub use words::{date_words, sort_name};

pub use indexer::{Bulk, Following, IndexStatus, SearchIndex};
