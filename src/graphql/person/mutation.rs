//! A person's write surface: their inputs (with their roles), create, update and erase.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::context::kb;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload};
use crate::graphql::relay::parse_id_of;
use chrono::NaiveDate;
use entity::EntityKind;

use crate::graphql::nodes::Person;
use crate::kb::draft::{self, PersonDraft};

mirror_struct!(
    /// A role a person holds or held at an organisation.
    #[derive(Clone, Debug, async_graphql::InputObject)]
    RoleInput = draft::RoleDraft, in,
    {
        /// Slug of the organisation.
        organisation: String,
        /// The role, in the words of the source ("président", "directeur général"), 1–200 characters.
        title: String,
        /// First day in the role, when known.
        since: Option<NaiveDate>,
        /// Last day in the role, when it ended.
        until: Option<NaiveDate>,
    }
);

kind_inputs!(
    /// A person of the ecosystem: only public professional facts from cited sources, never an
    /// e-mail address, a phone number or a home address.
    CreatePersonInput,
    /// Changes to a person: fields left out are kept; `null` clears an optional field.
    UpdatePersonInput,
    for PersonDraft;
    required {}
    optional {
        /// The roles the person holds or held at organisations, most relevant first.
        #[graphql(default)]
        roles: Vec<RoleInput> => Vec<RoleInput>, "Roles at organisations (replaces the list).",
        /// Other names, in any language: former names, usual short forms.
        #[graphql(default)]
        aliases: Vec<String> => Vec<String>, "Other names, in any language (replaces the list).",
    }
);

#[derive(Default)]
pub struct PersonMutation;

#[Object(guard = "Writer")]
impl PersonMutation {
    /// Creates a person. A taken slug is a `CONFLICT`; every broken rule is a `BAD_USER_INPUT` naming its field.
    async fn create_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new entity's fields.")] input: CreatePersonInput,
    ) -> Result<Person> {
        let id = kb(ctx).create::<PersonDraft>(actor(ctx)?, input.into_domain()).await?;
        reload(ctx, id).await
    }

    /// Changes a person: only the given fields; `null` clears an optional one. With `expectedUpdatedAt`, a record changed since then is refused with `CONFLICT` instead of overwritten.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to change.")] id: ID,
        #[graphql(desc = "The fields to change; those left out are kept.")] input: UpdatePersonInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the entity changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Person> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Person, "id")?;
        kb(ctx).update::<PersonDraft>(actor, id, expected_updated_at, |draft| input.apply(draft)).await?;
        reload(ctx, id).await
    }

    /// Erases a person: their record and roles leave the database, the search index and exports, and the change log keeps only their id. Returns their id.
    async fn delete_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to delete.")] id: ID,
        #[graphql(desc = "Clear the references that would otherwise prevent the deletion (organisations only).")]
        force: Option<bool>,
    ) -> Result<ID> {
        let actor = actor(ctx)?;
        let number = parse_id_of(&id, EntityKind::Person, "id")?;
        kb(ctx).delete(actor, EntityKind::Person, number, force.unwrap_or(false)).await?;
        Ok(id)
    }
}
