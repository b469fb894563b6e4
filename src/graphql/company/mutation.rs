//! A company's write surface: its inputs, create, update, delete, and its links to technologies,
//! programmes and organisations.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::graphql::context::kb;
use crate::graphql::enums::{CompanyStage, Topic};
use crate::graphql::inputs::{Place, PointInput};
use crate::graphql::limits;
use crate::graphql::mirror::IntoDomain;
use crate::graphql::mutation::{Writer, actor, reload, reload_all};
use crate::graphql::nodes::Company;
use crate::graphql::relay::parse_id_of;
use crate::kb::draft::CompanyDraft;
use crate::kb::write::CompanyLink;
use entity::EntityKind;

kind_inputs!(
    /// A company.
    CreateCompanyInput,
    /// Changes to a company: fields left out are kept; `null` clears an optional field.
    UpdateCompanyInput,
    for CompanyDraft;
    required {
        /// How grown-up the company is.
        stage: CompanyStage, "How grown-up the company is.",
    }
    optional {
        /// The city it is based in.
        city: Option<String> => String, "The city it is based in.",
        /// The year it was founded.
        founded_year: Option<i32> => i32, "The year it was founded.",
        /// How many people it employs.
        employees: Option<i32> => i32, "How many people it employs.",
        /// Slug of the organisation hosting it, e.g. a technopole.
        site: Option<String> => String, "Slug of the organisation hosting it.",
        /// Slugs of the technologies it works on.
        #[graphql(default)]
        technologies: Vec<String> => Vec<String>, "Slugs of its technologies (replaces the list).",
        /// Slugs of the support programmes it takes part in.
        #[graphql(default)]
        programmes: Vec<String> => Vec<String>, "Slugs of the programmes it takes part in (replaces the list).",
        /// Slugs of the organisations it belongs to, e.g. a cluster.
        #[graphql(default)]
        memberships: Vec<String> => Vec<String>, "Slugs of the organisations it belongs to (replaces the list).",
        /// Other names, in any language: names in the other language, acronyms, former names.
        #[graphql(default)]
        aliases: Vec<String> => Vec<String>, "Other names, in any language (replaces the list).",
        /// What it needs help with now, as the park or the company says.
        #[graphql(default)]
        needs: Vec<Topic> => Vec<Topic>, "What it needs help with now (replaces the list).",
        /// Its main point (WGS84); a company without one is placed at its host site's.
        location: Option<PointInput> => PointInput, "Its main point (WGS84); `null` clears it.",
        /// Its other places (establishments, second sites), each with a name and a point.
        #[graphql(default)]
        places: Vec<Place> => Vec<Place>, "Its other places (replaces the list).",
    }
);

#[derive(Default)]
pub struct CompanyMutation;

#[Object(guard = "Writer")]
impl CompanyMutation {
    /// Creates a company. A taken slug is a `CONFLICT`; every broken rule is a `BAD_USER_INPUT` naming its field.
    async fn create_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new entity's fields.")] input: CreateCompanyInput,
    ) -> Result<Company> {
        let id = kb(ctx).create::<CompanyDraft>(actor(ctx)?, input.into_domain()).await?;
        reload(ctx, id).await
    }

    /// Creates several companies in one transaction, searchable after one index commit: all of
    /// them, or none. Every problem names its item (`inputs[3].slug`); a taken slug is a
    /// `CONFLICT`. At most 1,000 at once; each costs like a `createCompany`.
    #[graphql(complexity = "limits::bulk_cost(inputs.len(), child_complexity)")]
    async fn create_companies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new companies' fields, in the order of the answer.")] inputs: Vec<CreateCompanyInput>,
    ) -> Result<Vec<Company>> {
        let drafts = inputs.into_iter().map(IntoDomain::into_domain).collect();
        let ids = kb(ctx).create_many::<CompanyDraft>(actor(ctx)?, drafts).await?;
        reload_all(ctx, &ids).await
    }

    /// Changes a company: only the given fields; `null` clears an optional one. With `expectedUpdatedAt`, a record changed since then is refused with `CONFLICT` instead of overwritten.
    async fn update_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to change.")] id: ID,
        #[graphql(desc = "The fields to change; those left out are kept.")] input: UpdateCompanyInput,
        #[graphql(desc = "The `updatedAt` last read: refuse the change with `CONFLICT` if the entity changed since.")]
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Company> {
        let actor = actor(ctx)?;
        let id = parse_id_of(&id, EntityKind::Company, "id")?;
        kb(ctx).update::<CompanyDraft>(actor, id, expected_updated_at, |draft| input.apply(draft)).await?;
        reload(ctx, id).await
    }

    /// Deletes a company and its links to technologies, programmes and organisations. Returns its id.
    async fn delete_company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the entity to delete.")] id: ID,
        #[graphql(desc = "Clear the references that would otherwise prevent the deletion (organisations only).")]
        force: Option<bool>,
    ) -> Result<ID> {
        let actor = actor(ctx)?;
        let number = parse_id_of(&id, EntityKind::Company, "id")?;
        kb(ctx).delete(actor, EntityKind::Company, number, force.unwrap_or(false)).await?;
        Ok(id)
    }
}

/// Adds or removes one link of a company, and reads the company back.
async fn relink(ctx: &Context<'_>, company: ID, other: ID, link: CompanyLink, add: bool) -> Result<Company> {
    let actor = actor(ctx)?;
    let company_id = parse_id_of(&company, EntityKind::Company, "companyId")?;
    let field = match link {
        CompanyLink::Technology => "technologyId",
        CompanyLink::Programme => "programmeId",
        CompanyLink::Membership => "organisationId",
    };
    let other_id = parse_id_of(&other, link.kind(), field)?;
    if !kb(ctx).relink(actor, company_id, link, other_id, add).await? {
        let kind = link.kind().as_str().to_lowercase();
        return Err(AppError::NotFound(format!("no {kind} has the id given as `{field}`")).into());
    }
    reload(ctx, company_id).await
}

#[derive(Default)]
pub struct CompanyLinkMutation;

#[Object(guard = "Writer")]
impl CompanyLinkMutation {
    /// Records that a company works on a technology (seen from both sides). Linking twice is harmless.
    async fn link_company_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] company_id: ID,
        #[graphql(desc = "The technology's global id.")] technology_id: ID,
    ) -> Result<Company> {
        relink(ctx, company_id, technology_id, CompanyLink::Technology, true).await
    }

    /// Removes a company's link to a technology.
    async fn unlink_company_technology(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] company_id: ID,
        #[graphql(desc = "The technology's global id.")] technology_id: ID,
    ) -> Result<Company> {
        relink(ctx, company_id, technology_id, CompanyLink::Technology, false).await
    }

    /// Records that a company takes part in a programme.
    async fn link_company_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] company_id: ID,
        #[graphql(desc = "The programme's global id.")] programme_id: ID,
    ) -> Result<Company> {
        relink(ctx, company_id, programme_id, CompanyLink::Programme, true).await
    }

    /// Removes a company's participation in a programme.
    async fn unlink_company_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] company_id: ID,
        #[graphql(desc = "The programme's global id.")] programme_id: ID,
    ) -> Result<Company> {
        relink(ctx, company_id, programme_id, CompanyLink::Programme, false).await
    }

    /// Records that a company belongs to an organisation (a cluster, a business network…).
    async fn link_company_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] company_id: ID,
        #[graphql(desc = "The organisation's global id.")] organisation_id: ID,
    ) -> Result<Company> {
        relink(ctx, company_id, organisation_id, CompanyLink::Membership, true).await
    }

    /// Removes a company's membership of an organisation.
    async fn unlink_company_membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's global id.")] company_id: ID,
        #[graphql(desc = "The organisation's global id.")] organisation_id: ID,
    ) -> Result<Company> {
        relink(ctx, company_id, organisation_id, CompanyLink::Membership, false).await
    }
}
