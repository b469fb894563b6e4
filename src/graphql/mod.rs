//! The GraphQL schema: one query object per domain, merged; limits; the SDL export.

#[macro_use]
mod mirror;

mod advice;
mod context;
mod enums;
mod errors;
mod inputs;
pub mod limits;
pub mod loaders;
mod mentors;
pub mod mutation;
mod nodes;
mod outputs;
mod query;
pub mod relay;
pub mod subscription;
pub mod types;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{MergedObject, Schema, SchemaBuilder};

pub use mutation::{Bearer, Mutation, ReadOnlyRequest};
pub use subscription::{ConnectionSlots, Shutdown, Subscription};

use crate::auth::Tokens;
use crate::kb::Kb;

/// Every read of the API.
#[derive(MergedObject, Default)]
pub struct Query(query::EntityQuery);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Deepest query accepted (the playground's introspection query needs about 13).
const MAX_DEPTH: usize = 16;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .register_output_type::<nodes::Entity>()
        .limit_depth(MAX_DEPTH)
}

/// The schema, serving the given knowledge base; `tokens` may write; requests cost at most
/// `max_cost`; subscriptions end when `shutdown` turns true.
pub fn schema(kb: Kb, tokens: Tokens, max_cost: usize, shutdown: Shutdown) -> AppSchema {
    builder().extension(limits::Limits { max_cost }).data(kb).data(tokens).data(shutdown).finish()
}

/// Per-request data: a fresh DataLoader, so that no request sees another's cache.
pub fn loader(kb: &Kb) -> loaders::RequestLoader {
    DataLoader::with_cache(loaders::DbLoader { kb: kb.clone() }, tokio::spawn, HashMapCache::default())
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
