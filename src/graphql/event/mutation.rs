//! An event's write surface: its inputs, create, update and delete.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::context::kb;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload};
use crate::graphql::relay::parse_id_of;
use chrono::NaiveDate;
use entity::EntityKind;

use crate::graphql::nodes::Event;
use crate::kb::draft::EventDraft;

kind_inputs!(
    /// An event of the ecosystem: a visit, a meeting, a fair.
    CreateEventInput,
    /// Changes to an event: fields left out are kept; `null` clears an optional field.
    UpdateEventInput,
    for EventDraft;
    required {
        /// The (first) day.
        date: NaiveDate, "The (first) day.",
    }
    optional {
        /// The last day of an event over several days.
        end_date: Option<NaiveDate> => NaiveDate, "The last day.",
        /// Slug of the organisation where it took place.
        site: Option<String> => String, "Slug of the organisation where it took place.",
        /// Slugs of the organisations that organised it.
        #[graphql(default)]
        organisers: Vec<String> => Vec<String>, "Slugs of the organisers (replaces the list).",
        /// Slugs of the companies that took part.
        #[graphql(default)]
        companies: Vec<String> => Vec<String>, "Slugs of the companies that took part (replaces the list).",
        /// Slugs of the people who took part.
        #[graphql(default)]
        people: Vec<String> => Vec<String>, "Slugs of the people who took part (replaces the list).",
        /// Slugs of the organisations that took part (besides organising it).
        #[graphql(default)]
        organisations: Vec<String> => Vec<String>,
            "Slugs of the organisations that took part (replaces the list).",
        /// Other names, in any language.
        #[graphql(default)]
        aliases: Vec<String> => Vec<String>, "Other names, in any language (replaces the list).",
    }
);

#[derive(Default)]
pub struct EventMutation;

#[Object(guard = "Writer")]
impl EventMutation {
    /// Creates an event. A taken slug is a `CONFLICT`; every broken rule is a `BAD_USER_INPUT` naming its field.
    async fn create_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new entity's fields.")] input: CreateEventInput,
    ) -> Result<Event> {
        let id = kb(ctx).create::<EventDraft>(actor(ctx)?, input.into_domain()).await?;
        reload(ctx, id).await
    }

    /// Changes an event: only the given fields; `null` clears an optional one. With `expectedUpdatedAt`, a record changed since then is refused with `CONFLICT` instead of overwritten.
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to change.")] id: ID,
        #[graphql(desc = "The fields to change; those left out are kept.")] input: UpdateEventInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the entity changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Event> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Event, "id")?;
        kb(ctx).update::<EventDraft>(actor, id, expected_updated_at, |draft| input.apply(draft)).await?;
        reload(ctx, id).await
    }

    /// Deletes an event and its links to organisers and participants. Returns its id.
    async fn delete_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to delete.")] id: ID,
        #[graphql(desc = "Clear the references that would otherwise prevent the deletion (organisations only).")]
        force: Option<bool>,
    ) -> Result<ID> {
        let actor = actor(ctx)?;
        let number = parse_id_of(&id, EntityKind::Event, "id")?;
        kb(ctx).delete(actor, EntityKind::Event, number, force.unwrap_or(false)).await?;
        Ok(id)
    }
}
