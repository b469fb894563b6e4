//! The GraphQL schema: one query object per domain, merged; limits; the SDL export.

pub mod ids;
pub mod loaders;
pub mod mutation;
mod query;
pub mod types;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

pub use mutation::{AdminTokens, Bearer, Mutation, ReadOnlyRequest};

use crate::kb::Kb;

/// Every read of the API.
#[derive(MergedObject, Default)]
pub struct Query(query::EntityQuery);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest query accepted (the playground's introspection query needs about 13).
const MAX_DEPTH: usize = 16;
/// Most expensive query accepted, counting one per field.
const MAX_COMPLEXITY: usize = 10_000;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<types::Entity>()
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema, serving the given knowledge base; `tokens` may write.
pub fn schema(kb: Kb, tokens: Vec<String>) -> AppSchema {
    builder().data(kb).data(AdminTokens(tokens)).finish()
}

/// Per-request data: a fresh DataLoader, so that no request sees another's cache.
pub fn loader(kb: &Kb) -> loaders::RequestLoader {
    DataLoader::with_cache(loaders::DbLoader { db: kb.db.clone() }, tokio::spawn, HashMapCache::default())
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
