//! Full-text search with tantivy: indexing (fed from the database's change outbox) and querying live apart.

pub mod analyzer;
mod expand;
pub mod facets;
mod highlight;
mod indexer;
pub mod partners;
mod plan;
pub mod query;
mod rank;
mod schema;
mod source;
mod vocabulary;
mod words;

pub use source::dependents;

pub use indexer::{Following, IndexStatus, SearchIndex};

/// The four kinds of entity in the knowledge base.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    /// Companies.
    Company,
    /// Technologies.
    Technology,
    /// Support programmes.
    Programme,
    /// Organisations.
    Organisation,
}

impl EntityKind {
    pub const ALL: [EntityKind; 4] =
        [EntityKind::Organisation, EntityKind::Technology, EntityKind::Programme, EntityKind::Company];

    /// The name used in the outbox, in index keys and in facets.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Company => "COMPANY",
            EntityKind::Technology => "TECHNOLOGY",
            EntityKind::Programme => "PROGRAMME",
            EntityKind::Organisation => "ORGANISATION",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}
