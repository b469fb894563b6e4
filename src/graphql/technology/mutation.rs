//! A technology's write surface: its inputs, create, update and delete.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::context::kb;
use crate::graphql::enums::TechnologyDomain;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload};
use crate::graphql::nodes::Technology;
use crate::graphql::relay::parse_id_of;
use crate::kb::draft::TechnologyDraft;
use entity::EntityKind;

kind_inputs!(
    /// A technology companies work on.
    CreateTechnologyInput,
    /// Changes to a technology: fields left out are kept; `null` clears an optional field.
    UpdateTechnologyInput,
    for TechnologyDraft;
    required {
        /// The field it belongs to.
        domain: TechnologyDomain, "The field it belongs to.",
    }
    optional {
        /// Other names, in any language ("fibre optique", "fiber optics").
        #[graphql(default)]
        aliases: Vec<String> => Vec<String>, "Other names, in any language (replaces the list).",
        /// Slug of the broader technology this one belongs to.
        parent: Option<String> => String, "Slug of the broader technology.",
    }
);

#[derive(Default)]
pub struct TechnologyMutation;

#[Object(guard = "Writer")]
impl TechnologyMutation {
    /// Creates a technology. A taken slug is a `CONFLICT`; every broken rule is a `BAD_USER_INPUT` naming its field.
    async fn create_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new entity's fields.")] input: CreateTechnologyInput,
    ) -> Result<Technology> {
        let id = kb(ctx).create::<TechnologyDraft>(actor(ctx)?, input.into_domain()).await?;
        reload(ctx, id).await
    }

    /// Changes a technology: only the given fields; `null` clears an optional one. With `expectedUpdatedAt`, a record changed since then is refused with `CONFLICT` instead of overwritten.
    async fn update_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to change.")] id: ID,
        #[graphql(desc = "The fields to change; those left out are kept.")] input: UpdateTechnologyInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the entity changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Technology> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Technology, "id")?;
        kb(ctx).update::<TechnologyDraft>(actor, id, expected_updated_at, |draft| input.apply(draft)).await?;
        reload(ctx, id).await
    }

    /// Deletes a technology: companies lose it, its children move up to its parent. Returns its id.
    async fn delete_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to delete.")] id: ID,
        #[graphql(desc = "Clear the references that would otherwise prevent the deletion (organisations only).")]
        force: Option<bool>,
    ) -> Result<ID> {
        let actor = actor(ctx)?;
        let number = parse_id_of(&id, EntityKind::Technology, "id")?;
        kb(ctx).delete(actor, EntityKind::Technology, number, force.unwrap_or(false)).await?;
        Ok(id)
    }
}
