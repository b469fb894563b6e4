//! A person's write surface: their inputs (with their roles), create, update and erase.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::context::kb;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload};
use crate::graphql::relay::parse_id_of;
use chrono::NaiveDate;
use entity::EntityKind;

use crate::graphql::enums::{CompanyStage, Lang, TechnologyDomain, Topic};
use crate::graphql::inputs::Source;
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

mirror_struct!(
    /// What a person offers as a mentor: only with their consent, from a cited source.
    #[derive(Clone, Debug, async_graphql::InputObject)]
    MentorInput = draft::MentorDraft, in,
    {
        /// Since when they offer it, when the source says.
        since: Option<NaiveDate>,
        /// What they help with, at least one.
        topics: Vec<Topic>,
        /// Slugs of the technologies they know.
        #[graphql(default)]
        technologies: Vec<String>,
        /// The technology domains they know.
        #[graphql(default)]
        domains: Vec<TechnologyDomain>,
        /// The stages of the companies they prefer to help (empty: any).
        #[graphql(default)]
        stages: Vec<CompanyStage>,
        /// The languages they mentor in.
        #[graphql(default)]
        languages: Vec<Lang>,
        /// Where the person publishes the offer or consents to it: at least one.
        sources: Vec<Source>,
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
        /// What the person offers as a mentor, published by them or with their consent.
        mentor: Option<MentorInput> => MentorInput, "What the person offers as a mentor; `null` withdraws it.",
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

    /// Sets what a person offers as a mentor, replacing any offer they had: only with their consent, cited in `offer.sources`. An unknown technology is a `BAD_USER_INPUT` naming its path.
    async fn set_mentor_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the person.")] id: ID,
        #[graphql(desc = "What they offer.")] offer: MentorInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the person changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Person> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Person, "id")?;
        let offer = offer.into_domain();
        kb(ctx)
            .update::<PersonDraft>(actor, id, expected_updated_at, |draft| {
                draft.mentor = Some(offer);
                Ok(())
            })
            .await?;
        reload(ctx, id).await
    }

    /// Withdraws what a person offers as a mentor: it leaves the database, the search index, exports and what the change feed shows of them; their other facts stay.
    async fn withdraw_mentor_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the person.")] id: ID,
    ) -> Result<Person> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Person, "id")?;
        kb(ctx)
            .update::<PersonDraft>(actor, id, None, |draft| {
                draft.mentor = None;
                Ok(())
            })
            .await?;
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
