//! Apollo Federation v2: each kind is an entity a gateway may look up by `id` or by `slug`
//! (`@key(fields: "id")`, `@key(fields: "slug")`), through `_entities`.
//!
//! The gateway sends every representation of one fetch in one `_entities` call; each lookup goes
//! through the request's DataLoader, so a list of fifty companies is one statement, not fifty.

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, Result};

use super::context::loader;
use super::loaders::{
    CompanyId, CompanySlug, DbLoader, EventId, EventSlug, OrganisationId, OrganisationSlug, PersonId, PersonSlug,
    ProgrammeId, ProgrammeSlug, TechnologyId, TechnologySlug,
};
use super::nodes::{Company, Event, Organisation, Person, Programme, Technology};
use super::relay::parse_id_of;
use entity::EntityKind;

/// The entity lookups of `_entities`; they add no field of their own to `Query`.
#[derive(Default)]
pub struct EntityQuery;

/// One entity by its global id, through the DataLoader.
async fn by_id<K, V>(ctx: &Context<'_>, id: &ID, kind: EntityKind, key: fn(i32) -> K) -> Result<Option<V>>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    V: Send + Sync + Clone + 'static,
    DbLoader: Loader<K, Value = V, Error = async_graphql::Error>,
{
    let id = parse_id_of(id, kind, "id")?;
    loader(ctx).load_one(key(id)).await
}

/// One entity by its slug, through the DataLoader.
async fn by_slug<K, V>(ctx: &Context<'_>, slug: String, key: fn(String) -> K) -> Result<Option<V>>
where
    K: Send + Sync + Clone + Eq + std::hash::Hash + 'static,
    V: Send + Sync + Clone + 'static,
    DbLoader: Loader<K, Value = V, Error = async_graphql::Error>,
{
    loader(ctx).load_one(key(slug)).await
}

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn company_by_id(&self, ctx: &Context<'_>, #[graphql(key)] id: ID) -> Result<Option<Company>> {
        Ok(by_id(ctx, &id, EntityKind::Company, CompanyId).await?.map(Company))
    }
    #[graphql(entity)]
    async fn company_by_slug(&self, ctx: &Context<'_>, #[graphql(key)] slug: String) -> Result<Option<Company>> {
        Ok(by_slug(ctx, slug, CompanySlug).await?.map(Company))
    }
    #[graphql(entity)]
    async fn technology_by_id(&self, ctx: &Context<'_>, #[graphql(key)] id: ID) -> Result<Option<Technology>> {
        Ok(by_id(ctx, &id, EntityKind::Technology, TechnologyId).await?.map(Technology))
    }
    #[graphql(entity)]
    async fn technology_by_slug(&self, ctx: &Context<'_>, #[graphql(key)] slug: String) -> Result<Option<Technology>> {
        Ok(by_slug(ctx, slug, TechnologySlug).await?.map(Technology))
    }
    #[graphql(entity)]
    async fn programme_by_id(&self, ctx: &Context<'_>, #[graphql(key)] id: ID) -> Result<Option<Programme>> {
        Ok(by_id(ctx, &id, EntityKind::Programme, ProgrammeId).await?.map(Programme))
    }
    #[graphql(entity)]
    async fn programme_by_slug(&self, ctx: &Context<'_>, #[graphql(key)] slug: String) -> Result<Option<Programme>> {
        Ok(by_slug(ctx, slug, ProgrammeSlug).await?.map(Programme))
    }
    #[graphql(entity)]
    async fn organisation_by_id(&self, ctx: &Context<'_>, #[graphql(key)] id: ID) -> Result<Option<Organisation>> {
        Ok(by_id(ctx, &id, EntityKind::Organisation, OrganisationId).await?.map(Organisation))
    }
    #[graphql(entity)]
    async fn organisation_by_slug(
        &self,
        ctx: &Context<'_>,
        #[graphql(key)] slug: String,
    ) -> Result<Option<Organisation>> {
        Ok(by_slug(ctx, slug, OrganisationSlug).await?.map(Organisation))
    }
    #[graphql(entity)]
    async fn person_by_id(&self, ctx: &Context<'_>, #[graphql(key)] id: ID) -> Result<Option<Person>> {
        Ok(by_id(ctx, &id, EntityKind::Person, PersonId).await?.map(Person))
    }
    #[graphql(entity)]
    async fn person_by_slug(&self, ctx: &Context<'_>, #[graphql(key)] slug: String) -> Result<Option<Person>> {
        Ok(by_slug(ctx, slug, PersonSlug).await?.map(Person))
    }
    #[graphql(entity)]
    async fn event_by_id(&self, ctx: &Context<'_>, #[graphql(key)] id: ID) -> Result<Option<Event>> {
        Ok(by_id(ctx, &id, EntityKind::Event, EventId).await?.map(Event))
    }
    #[graphql(entity)]
    async fn event_by_slug(&self, ctx: &Context<'_>, #[graphql(key)] slug: String) -> Result<Option<Event>> {
        Ok(by_slug(ctx, slug, EventSlug).await?.map(Event))
    }
}
