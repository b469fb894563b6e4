//! The write side of the API: create, update and delete each kind, link companies, import.
//!
//! Every mutation needs `Authorization: Bearer <token>` with one of the configured tokens.

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, MergedObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::context::kb;
use super::enums::{CompanyStage, Lang, OrganisationKind, ProgrammeKind, TechnologyDomain};
use super::inputs::{
    CreateCompanyInput, CreateEventInput, CreateOrganisationInput, CreatePersonInput, CreateProgrammeInput,
    CreateTechnologyInput, RoleInput, Source, Translation,
};
use super::mirror::IntoDomain;
use super::nodes::{Company, Entity, Event, Organisation, Person, Programme, Technology};
use super::outputs::ImportSummary;
use super::query::load_entity;
use super::relay::parse_id_of;
use crate::auth::Tokens;
use crate::error::{AppError, Problem};
use crate::kb::draft::{CompanyDraft, EventDraft, OrganisationDraft, PersonDraft, ProgrammeDraft, TechnologyDraft};
use crate::kb::write::CompanyLink;
use crate::kb::{Document, ImportOptions};
use entity::EntityKind;

/// The caller's bearer token, if the request had one (per-request data).
pub struct Bearer(pub String);

/// Marks a request that came as an HTTP GET: it may only read (mutations are refused before they run).
pub struct ReadOnlyRequest;

/// Lets a field run only for a request whose bearer token may write. Every mutation object
/// carries it (`#[Object(guard = "Writer")]`); a test calls every mutation of the schema without
/// a token and with a wrong one.
struct Writer;

impl async_graphql::Guard for Writer {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        actor(ctx).map(drop).map_err(Into::into)
    }
}

/// The name of the request's token (the actor of a write), if it may write. The only reader of tokens.
fn actor<'a>(ctx: &Context<'a>) -> Result<&'a str, AppError> {
    let Some(Bearer(token)) = ctx.data_opt::<Bearer>() else { return Err(AppError::Unauthenticated) };
    match ctx.data_opt::<Tokens>().and_then(|tokens| tokens.identify(token)) {
        Some(name) => Ok(name),
        None => Err(AppError::Forbidden),
    }
}

fn camel(field: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Declares the input of a partial update: a field left out is kept, `null` clears an optional one.
macro_rules! update_input {
    (
        $(#[$meta:meta])* $name:ident for $draft:ty as $gql:literal,
        required { $($(#[$rmeta:meta])* $req:ident : $rty:ty,)* }
        optional { $($(#[$ometa:meta])* $opt:ident : $oty:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(InputObject, Default)]
        #[graphql(name = $gql)]
        pub struct $name {
            /// New slug (lowercase letters, digits and hyphens, 1–80 characters).
            pub slug: MaybeUndefined<String>,
            /// New name, 1–200 characters.
            pub name: MaybeUndefined<String>,
            /// The language of the description.
            pub lang: MaybeUndefined<Lang>,
            /// Free text, up to 10,000 characters; `null` clears it.
            pub description: MaybeUndefined<String>,
            /// Web site (http or https URL); `null` clears it.
            pub website: MaybeUndefined<String>,
            /// Where the facts come from (replaces the list); `null` empties it.
            pub sources: MaybeUndefined<Vec<Source>>,
            /// The name and description in other languages (replaces the list); `null` empties it.
            pub translations: MaybeUndefined<Vec<Translation>>,
            $($(#[$rmeta])* pub $req: MaybeUndefined<$rty>,)*
            $($(#[$ometa])* pub $opt: MaybeUndefined<$oty>,)*
        }

        impl $name {
            /// Applies the given fields to a draft.
            fn apply(self, draft: &mut $draft) -> Result<(), AppError> {
                let mut problems = Vec::new();
                let mut null = |field: &str| problems.push(Problem {
                    path: format!("input.{}", camel(field)),
                    message: "cannot be null; leave it out to keep the current value".into(),
                });
                match self.slug { MaybeUndefined::Value(v) => draft.slug = v, MaybeUndefined::Null => null("slug"), MaybeUndefined::Undefined => {} }
                match self.name { MaybeUndefined::Value(v) => draft.name = v, MaybeUndefined::Null => null("name"), MaybeUndefined::Undefined => {} }
                match self.lang { MaybeUndefined::Value(v) => draft.lang = v.into_domain(), MaybeUndefined::Null => null("lang"), MaybeUndefined::Undefined => {} }
                $(match self.$req {
                    MaybeUndefined::Value(v) => draft.$req = v.into_domain(),
                    MaybeUndefined::Null => null(stringify!($req)),
                    MaybeUndefined::Undefined => {}
                })*
                match self.description { MaybeUndefined::Value(v) => draft.description = Some(v), MaybeUndefined::Null => draft.description = None, MaybeUndefined::Undefined => {} }
                match self.website { MaybeUndefined::Value(v) => draft.website = Some(v), MaybeUndefined::Null => draft.website = None, MaybeUndefined::Undefined => {} }
                match self.sources { MaybeUndefined::Value(v) => draft.sources = v.into_domain(), MaybeUndefined::Null => draft.sources = Vec::new(), MaybeUndefined::Undefined => {} }
                match self.translations { MaybeUndefined::Value(v) => draft.translations = v.into_domain(), MaybeUndefined::Null => draft.translations = Vec::new(), MaybeUndefined::Undefined => {} }
                $(match self.$opt {
                    MaybeUndefined::Value(v) => draft.$opt = v.into_domain().into(),
                    MaybeUndefined::Null => draft.$opt = Default::default(),
                    MaybeUndefined::Undefined => {}
                })*
                if problems.is_empty() { Ok(()) } else { Err(AppError::Invalid(problems)) }
            }
        }
    };
}

update_input!(
    /// Changes to a company: fields left out are kept; `null` clears an optional field.
    UpdateCompanyInput for CompanyDraft as "UpdateCompanyInput",
    required {
        /// How grown-up the company is.
        stage: CompanyStage,
    }
    optional {
        /// The city it is based in.
        city: String,
        /// The year it was founded.
        founded_year: i32,
        /// How many people it employs.
        employees: i32,
        /// Slug of the organisation hosting it.
        site: String,
        /// Slugs of its technologies (replaces the list).
        technologies: Vec<String>,
        /// Slugs of the programmes it takes part in (replaces the list).
        programmes: Vec<String>,
        /// Slugs of the organisations it belongs to (replaces the list).
        memberships: Vec<String>,
        /// Other names, in any language (replaces the list).
        aliases: Vec<String>,
    }
);

update_input!(
    /// Changes to a technology: fields left out are kept; `null` clears an optional field.
    UpdateTechnologyInput for TechnologyDraft as "UpdateTechnologyInput",
    required {
        /// The field it belongs to.
        domain: TechnologyDomain,
    }
    optional {
        /// Other names, in any language (replaces the list).
        aliases: Vec<String>,
        /// Slug of the broader technology.
        parent: String,
    }
);

update_input!(
    /// Changes to a programme: fields left out are kept; `null` clears an optional field.
    UpdateProgrammeInput for ProgrammeDraft as "UpdateProgrammeInput",
    required {
        /// What the programme offers.
        kind: ProgrammeKind,
    }
    optional {
        /// Slug of the organisation running it.
        operator: String,
        /// Company stages it is open to (replaces the list; empty: every stage).
        eligible_stages: Vec<CompanyStage>,
        /// Technology domains it is open to (replaces the list; empty: every domain).
        eligible_domains: Vec<TechnologyDomain>,
        /// Slugs of the organisations a company must be hosted by, any of them (replaces the list; empty: any site).
        eligible_sites: Vec<String>,
        /// Slugs of the organisations a company must belong to, any of them (replaces the list; empty: none required).
        required_memberships: Vec<String>,
        /// First day.
        starts_on: NaiveDate,
        /// Last day.
        ends_on: NaiveDate,
        /// Other names, in any language (replaces the list).
        aliases: Vec<String>,
    }
);

update_input!(
    /// Changes to an organisation: fields left out are kept; `null` clears an optional field.
    UpdateOrganisationInput for OrganisationDraft as "UpdateOrganisationInput",
    required {
        /// What kind of organisation it is.
        kind: OrganisationKind,
    }
    optional {
        /// The city it is based in.
        city: String,
        /// Other names, in any language (replaces the list).
        aliases: Vec<String>,
    }
);

update_input!(
    /// Changes to a person: fields left out are kept; `null` clears an optional field.
    UpdatePersonInput for PersonDraft as "UpdatePersonInput",
    required {}
    optional {
        /// Roles at organisations (replaces the list).
        roles: Vec<RoleInput>,
        /// Other names, in any language (replaces the list).
        aliases: Vec<String>,
    }
);

update_input!(
    /// Changes to an event: fields left out are kept; `null` clears an optional field.
    UpdateEventInput for EventDraft as "UpdateEventInput",
    required {
        /// The (first) day.
        date: NaiveDate,
    }
    optional {
        /// The last day.
        end_date: NaiveDate,
        /// Slug of the organisation where it took place.
        site: String,
        /// Slugs of the organisers (replaces the list).
        organisers: Vec<String>,
        /// Slugs of the companies that took part (replaces the list).
        companies: Vec<String>,
        /// Slugs of the people who took part (replaces the list).
        people: Vec<String>,
        /// Slugs of the organisations that took part (replaces the list).
        organisations: Vec<String>,
        /// Other names, in any language (replaces the list).
        aliases: Vec<String>,
    }
);

/// Reads back what a mutation wrote.
async fn reload(ctx: &Context<'_>, kind: EntityKind, id: i32) -> Result<Entity> {
    load_entity(ctx, kind, id).await?.ok_or_else(|| AppError::NotFound("it was deleted meanwhile".into()).into())
}

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
        match reload(ctx, EntityKind::Company, id).await? {
            Entity::Company(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Company, id).await? {
            Entity::Company(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Technology, id).await? {
            Entity::Technology(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Technology, id).await? {
            Entity::Technology(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Programme, id).await? {
            Entity::Programme(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Programme, id).await? {
            Entity::Programme(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Organisation, id).await? {
            Entity::Organisation(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Organisation, id).await? {
            Entity::Organisation(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Person, id).await? {
            Entity::Person(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Person, id).await? {
            Entity::Person(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Event, id).await? {
            Entity::Event(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
        match reload(ctx, EntityKind::Event, id).await? {
            Entity::Event(found) => Ok(found),
            _ => Err(AppError::Internal("wrong kind".into()).into()),
        }
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
    match reload(ctx, EntityKind::Company, company_id).await? {
        Entity::Company(found) => Ok(found),
        _ => Err(AppError::Internal("wrong kind".into()).into()),
    }
}

#[derive(Default)]
pub struct LinkMutation;

#[Object(guard = "Writer")]
impl LinkMutation {
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

    /// Upserts a knowledge-base document by slug, like `pepite import`: all or nothing, every
    /// problem listed in `extensions.problems` with its path. Entities whose content did not
    /// change are not written (their `updatedAt` stays); the summary counts each kind.
    async fn import_knowledge_base(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The document, as `pepite export` writes it (see the document format).")] document: Json<
            serde_json::Value,
        >,
        #[graphql(
            desc = "Delete the entities the document does not hold, so that the knowledge base equals it.",
            default = false
        )]
        prune: bool,
        #[graphql(
            desc = "With `prune`: clear the document's references to entities it does not hold, instead of refusing them.",
            default = false
        )]
        force: bool,
        #[graphql(desc = "Check and count everything, and write nothing.", default = false)] dry_run: bool,
    ) -> Result<ImportSummary> {
        let actor = actor(ctx)?;
        // Up to 16 MiB to serialise and parse: on the blocking pool, not on the async runtime.
        let parse = move || {
            let text = serde_json::to_string(&document.0).map_err(|err| AppError::Internal(err.to_string()))?;
            Document::parse(&text)
        };
        let document = tokio::task::spawn_blocking(parse)
            .await
            .map_err(|err| AppError::Internal(format!("the import's parsing failed: {err}")))??;
        let options = ImportOptions { prune, force, dry_run };
        Ok(kb(ctx).import(actor, &document, options, &()).await?.into())
    }
}

/// Every write of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    CompanyMutation,
    TechnologyMutation,
    ProgrammeMutation,
    OrganisationMutation,
    LinkMutation,
    PersonMutation,
    EventMutation,
);
