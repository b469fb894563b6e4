//! The GraphQL schema: one query object per domain, merged; limits; the SDL export.

#[macro_use]
mod mirror;
#[macro_use]
pub mod mutation;

mod advice;
mod company;
mod context;
mod entity_fields;
mod enums;
mod errors;
mod event;
mod federation;
mod inputs;
pub mod limits;
pub mod loaders;
mod mentors;
mod node;
mod nodes;
mod organisation;
mod outputs;
mod person;
mod places;
mod programme;
pub mod relay;
mod search;
pub mod subscription;
mod technology;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{MergedObject, Schema, SchemaBuilder};

pub use mutation::{Bearer, Mutation, ReadOnlyRequest};
pub use subscription::{ConnectionSlots, Shutdown, Subscription};

use crate::auth::Tokens;
use crate::kb::Kb;

/// Every read of the API: `node`, then each kind's lookup and list, then search; and the entity
/// lookups of a federation gateway (`_entities`, `_service`).
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    company::CompanyQuery,
    technology::TechnologyQuery,
    programme::ProgrammeQuery,
    organisation::OrganisationQuery,
    person::PersonQuery,
    event::EventQuery,
    search::SearchQuery,
    federation::EntityQuery,
);

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

/// The subgraph SDL a federation gateway composes: `_service { sdl }` answers the same.
pub fn federation_sdl() -> String {
    builder().finish().sdl_with_options(async_graphql::SDLExportOptions::new().federation().compose_directive())
}
