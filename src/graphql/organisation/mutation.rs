//! An organisation's write surface: its inputs, create, update and delete.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::graphql::context::kb;
use crate::graphql::enums::OrganisationKind;
use crate::graphql::inputs::{Place, PointInput};
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload};
use crate::graphql::nodes::Organisation;
use crate::graphql::relay::parse_id_of;
use crate::kb::draft::OrganisationDraft;
use entity::EntityKind;

kind_inputs!(
    /// An organisation: a technopole, a cluster, a chamber of commerce, a business network…
    CreateOrganisationInput,
    /// Changes to an organisation: fields left out are kept; `null` clears an optional field.
    UpdateOrganisationInput,
    for OrganisationDraft;
    required {
        /// What kind of organisation it is.
        kind: OrganisationKind, "What kind of organisation it is.",
    }
    optional {
        /// The city it is based in.
        city: Option<String> => String, "The city it is based in.",
        /// Its main point (WGS84).
        location: Option<PointInput> => PointInput, "Its main point (WGS84); `null` clears it.",
        /// Its other places (establishments, second sites), each with a name and a point.
        #[graphql(default)]
        places: Vec<Place> => Vec<Place>, "Its other places (replaces the list).",
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[graphql(default)]
        aliases: Vec<String> => Vec<String>, "Other names, in any language (replaces the list).",
    }
);

#[derive(Default)]
pub struct OrganisationMutation;

#[Object(guard = "Writer")]
impl OrganisationMutation {
    /// Creates an organisation. A taken slug is a `CONFLICT`; every broken rule is a `BAD_USER_INPUT` naming its field.
    async fn create_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new entity's fields.")] input: CreateOrganisationInput,
    ) -> Result<Organisation> {
        let id = kb(ctx).create::<OrganisationDraft>(actor(ctx)?, input.into_domain()).await?;
        reload(ctx, id).await
    }

    /// Changes an organisation: only the given fields; `null` clears an optional one. With `expectedUpdatedAt`, a record changed since then is refused with `CONFLICT` instead of overwritten.
    async fn update_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to change.")] id: ID,
        #[graphql(desc = "The fields to change; those left out are kept.")] input: UpdateOrganisationInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the entity changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Organisation> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Organisation, "id")?;
        kb(ctx).update::<OrganisationDraft>(actor, id, expected_updated_at, |draft| input.apply(draft)).await?;
        reload(ctx, id).await
    }

    /// Deletes an organisation and its memberships. One that hosts companies, runs programmes or is named in a programme's `eligibleSites` or `requiredMemberships` is refused with `CONFLICT`, unless `force: true`, which leaves those companies without a site, those programmes without an operator, and removes it from those criteria (a criterion left empty is open to all). Returns its id.
    async fn delete_organisation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to delete.")] id: ID,
        #[graphql(desc = "Clear the references that would otherwise prevent the deletion (organisations only).")]
        force: Option<bool>,
    ) -> Result<ID> {
        let actor = actor(ctx)?;
        let number = parse_id_of(&id, EntityKind::Organisation, "id")?;
        kb(ctx).delete(actor, EntityKind::Organisation, number, force.unwrap_or(false)).await?;
        Ok(id)
    }
}
