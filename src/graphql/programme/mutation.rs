//! A support programme's write surface: its inputs, create, update and delete.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::context::kb;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload};
use crate::graphql::relay::parse_id_of;
use chrono::NaiveDate;
use entity::EntityKind;

use crate::graphql::enums::{CompanyStage, ProgrammeKind, TechnologyDomain};
use crate::graphql::nodes::Programme;
use crate::kb::draft::ProgrammeDraft;

kind_inputs!(
    /// A support programme: mentoring, funding, acceleration…
    CreateProgrammeInput,
    /// Changes to a programme: fields left out are kept; `null` clears an optional field.
    UpdateProgrammeInput,
    for ProgrammeDraft;
    required {
        /// What the programme offers.
        kind: ProgrammeKind, "What the programme offers.",
    }
    optional {
        /// Slug of the organisation running it.
        operator: Option<String> => String, "Slug of the organisation running it.",
        /// Company stages the programme is open to (empty: every stage).
        #[graphql(default)]
        eligible_stages: Vec<CompanyStage> => Vec<CompanyStage>,
            "Company stages it is open to (replaces the list; empty: every stage).",
        /// Technology domains the programme is open to: a company qualifies when one of its
        /// technologies is in one of them (empty: every domain).
        #[graphql(default)]
        eligible_domains: Vec<TechnologyDomain> => Vec<TechnologyDomain>,
            "Technology domains it is open to (replaces the list; empty: every domain).",
        /// Slugs of the organisations a company must be hosted by, any of them (empty: any site).
        #[graphql(default)]
        eligible_sites: Vec<String> => Vec<String>,
            "Slugs of the organisations a company must be hosted by, any of them (replaces the list; empty: any site).",
        /// Slugs of the organisations a company must belong to, any of them (empty: no membership required).
        #[graphql(default)]
        required_memberships: Vec<String> => Vec<String>,
            "Slugs of the organisations a company must belong to, any of them (replaces the list; empty: none required).",
        /// First day of the programme.
        starts_on: Option<NaiveDate> => NaiveDate, "First day.",
        /// Last day of the programme.
        ends_on: Option<NaiveDate> => NaiveDate, "Last day.",
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[graphql(default)]
        aliases: Vec<String> => Vec<String>, "Other names, in any language (replaces the list).",
    }
);

#[derive(Default)]
pub struct ProgrammeMutation;

#[Object(guard = "Writer")]
impl ProgrammeMutation {
    /// Creates a programme. A taken slug is a `CONFLICT`; every broken rule is a `BAD_USER_INPUT` naming its field.
    async fn create_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new entity's fields.")] input: CreateProgrammeInput,
    ) -> Result<Programme> {
        let id = kb(ctx).create::<ProgrammeDraft>(actor(ctx)?, input.into_domain()).await?;
        reload(ctx, id).await
    }

    /// Changes a programme: only the given fields; `null` clears an optional one. With `expectedUpdatedAt`, a record changed since then is refused with `CONFLICT` instead of overwritten.
    async fn update_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to change.")] id: ID,
        #[graphql(desc = "The fields to change; those left out are kept.")] input: UpdateProgrammeInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the entity changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Programme> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Programme, "id")?;
        kb(ctx).update::<ProgrammeDraft>(actor, id, expected_updated_at, |draft| input.apply(draft)).await?;
        reload(ctx, id).await
    }

    /// Deletes a programme and its participations. Returns its id.
    async fn delete_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to delete.")] id: ID,
        #[graphql(desc = "Clear the references that would otherwise prevent the deletion (organisations only).")]
        force: Option<bool>,
    ) -> Result<ID> {
        let actor = actor(ctx)?;
        let number = parse_id_of(&id, EntityKind::Programme, "id")?;
        kb(ctx).delete(actor, EntityKind::Programme, number, force.unwrap_or(false)).await?;
        Ok(id)
    }
}
