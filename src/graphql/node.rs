//! Any entity by its global id (`node`), and the lookups every kind's queries share: one entity
//! by kind and database id, or by slug or global id.

use async_graphql::{Context, ID, Object, Result};

use super::context::kb;
use super::nodes::{Company, Entity, Event, Organisation, Person, Programme, Technology};
use super::relay::{parse_global_id, parse_id_of};
use crate::error::AppError;
use crate::kb::model::Stored;
use entity::EntityKind;

/// The `node` query: any entity by its global id.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any entity by its global id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id returned by this API.")] id: ID,
    ) -> Result<Option<Entity>> {
        let (kind, id) = parse_global_id(&id, "id")?;
        load_entity(ctx, kind, id).await
    }
}

/// Loads one entity by kind and database id.
pub(super) async fn load_entity(ctx: &Context<'_>, kind: EntityKind, id: i32) -> Result<Option<Entity>> {
    let kb = kb(ctx);
    Ok(match kind {
        EntityKind::Company => kb.by_id(id).await?.map(|m| Entity::Company(Company(m))),
        EntityKind::Technology => kb.by_id(id).await?.map(|m| Entity::Technology(Technology(m))),
        EntityKind::Programme => kb.by_id(id).await?.map(|m| Entity::Programme(Programme(m))),
        EntityKind::Organisation => kb.by_id(id).await?.map(|m| Entity::Organisation(Organisation(m))),
        EntityKind::Person => kb.by_id(id).await?.map(|m| Entity::Person(Person(m))),
        EntityKind::Event => kb.by_id(id).await?.map(|m| Entity::Event(Event(m))),
    })
}

/// Checks that exactly one of `slug` and `id` is given, and turns the id into a database id.
fn one_key(slug: &Option<String>, id: &Option<ID>, kind: EntityKind) -> Result<Option<i32>, AppError> {
    match (slug, id) {
        (Some(_), None) => Ok(None),
        (None, Some(id)) => parse_id_of(id, kind, "id").map(Some),
        _ => Err(AppError::invalid("", "give exactly one of `slug` and `id`")),
    }
}

/// Looks one entity up by slug or id (give exactly one).
pub(super) async fn lookup<S: Stored>(ctx: &Context<'_>, slug: Option<String>, id: Option<ID>) -> Result<Option<S>> {
    let kb = kb(ctx);
    Ok(match one_key(&slug, &id, S::KIND)? {
        Some(id) => kb.by_id(id).await?,
        None => kb.by_slug(&slug.unwrap_or_default()).await?,
    })
}
