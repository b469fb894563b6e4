//! The GraphQL schema: one query object per domain, merged; limits; the SDL export.

pub mod ids;
pub mod limits;
pub mod loaders;
pub mod mutation;
mod query;
pub mod types;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};

pub use mutation::{Bearer, Mutation, ReadOnlyRequest};

use crate::auth::Tokens;
use crate::kb::Kb;

/// Every read of the API.
#[derive(MergedObject, Default)]
pub struct Query(query::EntityQuery);

pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest query accepted (the playground's introspection query needs about 13).
const MAX_DEPTH: usize = 16;

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .register_output_type::<types::Entity>()
        .limit_depth(MAX_DEPTH)
}

/// The schema, serving the given knowledge base; `tokens` may write; requests cost at most `max_cost`.
pub fn schema(kb: Kb, tokens: Tokens, max_cost: usize) -> AppSchema {
    builder().extension(limits::Limits { max_cost }).data(kb).data(tokens).finish()
}

/// Per-request data: a fresh DataLoader, so that no request sees another's cache.
pub fn loader(kb: &Kb) -> loaders::RequestLoader {
    DataLoader::with_cache(loaders::DbLoader { db: kb.db.clone() }, tokio::spawn, HashMapCache::default())
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
